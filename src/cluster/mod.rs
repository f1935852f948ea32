//! The graph path on a cluster: the nodes cut into p row shards, one per
//! worker, and the first-order estimator, the randomized SVD and the
//! propagation run on every shard at once, talking over a TCP mesh.
//!
//! The stages are the single-machine ones, generic over [`Comm`]: a worker
//! holds its rows of every sparse matrix and of every dense n × l block,
//! and a product streams in the *ghost rows* its columns reference from
//! their owners, a range of columns at a time (a halo exchange, never a
//! broadcast, and never all of it in memory at once: partial sums over
//! increasing column ranges add every entry in the single machine's order). Reductions — the
//! Gram matrices, the context normalizer — are the single-machine sums in
//! the single-machine order: shards are contiguous runs of whole
//! [`crate::factorize::ROW_BLOCK`]-row blocks, each block's partial is the
//! one the single machine computes, and the running sum is handed from
//! rank to rank. So the vectors are byte-identical to one machine's for
//! any number of workers (same CPU family: the kernels use FMA where the
//! CPU has it, plain multiply-adds elsewhere).
//!
//! Who starts the workers and moves the edges to their owners is not this
//! module's business: the Python package does it with Dask
//! (`pmivec.distributed`), and anything else that can run one process per
//! shard could.

mod mesh;
mod partition;
mod shard;

pub use mesh::{Listener, Mesh, MeshStats};
pub use partition::Partition;
pub use shard::{Shard, ShardEdges, ShardPlan, ShardResult};

pub use crate::comm::{Comm, Local, RowLayout, Side};

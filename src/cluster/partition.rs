//! Which worker owns which rows: contiguous runs of whole
//! [`ROW_BLOCK`]-row blocks, balanced by nonzeros (degrees are
//! power-law: equal node counts would give one worker the hubs).

use crate::error::{Error, Result};
use crate::factorize::ROW_BLOCK;
use serde::{Deserialize, Serialize};

/// What a row weighs against a nonzero in [`Partition::balanced`].
const ROW_WEIGHT: u64 = 32;

/// The shards' row ranges: shard q owns rows `starts[q]..starts[q + 1]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    starts: Vec<usize>,
}

impl Partition {
    /// Cut `rows` rows into `parts` shards of whole blocks, balanced by
    /// rows and nonzeros: block b holds `block_weights[b]` nonzeros (one
    /// entry per block of [`ROW_BLOCK`] rows) and counts as those plus 32
    /// per row, so that shards are as even in memory and work as block
    /// boundaries allow. Shards may be empty when there are fewer
    /// blocks than parts.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for no parts or a weight list of the wrong length.
    pub fn balanced(rows: usize, block_weights: &[u64], parts: usize) -> Result<Self> {
        let blocks = rows.div_ceil(ROW_BLOCK);
        if parts == 0 {
            return Err(Error::invalid("partitions", "must be at least 1"));
        }
        if block_weights.len() != blocks {
            return Err(Error::invalid(
                "block_weights",
                format!("{} weights for {blocks} blocks of {ROW_BLOCK} rows", block_weights.len()),
            ));
        }
        // A block weighs its nonzeros plus ROW_WEIGHT per row: what a
        // worker holds is mostly its rows of the dense blocks (2 × l floats
        // a row, about 1.2 KB at l = 148, against ~32 bytes a nonzero over
        // the sparse matrices), and they decide the time too: on the
        // million-node graph M, equal rows ran 1.13× faster than equal
        // nonzeros + rows at the mean degree, with 0.60× against 0.72× of
        // one machine's peak on the fuller worker. Nonzeros still count, so
        // a shard of hubs gets fewer rows. Shard q ends at the first block
        // boundary where the running weight reaches q/p of the total.
        let w: Vec<u64> =
            (0..blocks).map(|b| block_weights[b] + (rows - b * ROW_BLOCK).min(ROW_BLOCK) as u64 * ROW_WEIGHT).collect();
        let total: u64 = w.iter().sum();
        let mut starts = vec![0usize];
        let (mut acc, mut b) = (0u64, 0usize);
        for q in 1..parts {
            let target = (total as u128 * q as u128 / parts as u128) as u64;
            while b < blocks && acc + w[b] / 2 < target {
                acc += w[b];
                b += 1;
            }
            starts.push((b * ROW_BLOCK).min(rows));
        }
        starts.push(rows);
        Ok(Partition { starts })
    }

    /// From explicit boundaries (tests, and a plan handed to the workers).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless they start at 0, do not decrease, and
    /// every inner boundary is a multiple of [`ROW_BLOCK`].
    pub fn from_starts(starts: Vec<usize>) -> Result<Self> {
        let ok = starts.len() >= 2
            && starts[0] == 0
            && starts.windows(2).all(|w| w[0] <= w[1])
            && starts[1..starts.len() - 1].iter().all(|&s| s % ROW_BLOCK == 0 || s == *starts.last().unwrap());
        if !ok {
            return Err(Error::invalid(
                "partition",
                format!("boundaries must start at 0, not decrease, and fall on multiples of {ROW_BLOCK}"),
            ));
        }
        Ok(Partition { starts })
    }

    /// The boundaries, p + 1 of them.
    pub fn starts(&self) -> &[usize] {
        &self.starts
    }
    /// Shards.
    pub fn parts(&self) -> usize {
        self.starts.len() - 1
    }
    /// Rows in all.
    pub fn rows(&self) -> usize {
        *self.starts.last().unwrap()
    }
    /// Shard q's rows.
    pub fn range(&self, q: usize) -> std::ops::Range<usize> {
        self.starts[q]..self.starts[q + 1]
    }
    /// The shard that owns row `row`.
    pub fn owner(&self, row: usize) -> usize {
        // The last boundary ≤ row whose shard is not empty.
        self.starts[1..].partition_point(|&s| s <= row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_whole_blocks_balanced_by_weight() {
        // Eight blocks, the first holding most nonzeros: it and one more
        // make a shard.
        let rows = 8 * ROW_BLOCK - 5;
        let b = ROW_BLOCK as u64 * ROW_WEIGHT;
        let p = Partition::balanced(rows, &[4 * b, 0, 0, 0, 0, 0, 0, 0], 2).unwrap();
        assert_eq!(p.starts(), &[0, 2 * ROW_BLOCK, rows]);
        assert!(p.starts().iter().all(|s| s % ROW_BLOCK == 0 || *s == rows));
        assert_eq!((p.owner(0), p.owner(2 * ROW_BLOCK - 1), p.owner(2 * ROW_BLOCK), p.owner(rows - 1)), (0, 0, 1, 1));
        // More parts than blocks: the extra shards are empty, and owners skip them.
        let p = Partition::balanced(34, &[90], 3).unwrap();
        assert_eq!(p.parts(), 3);
        assert_eq!(p.range(0).len() + p.range(1).len() + p.range(2).len(), 34);
        assert!((0..34).all(|r| p.range(p.owner(r)).contains(&r)));
        assert!(Partition::balanced(34, &[1, 2], 2).is_err());
        assert!(Partition::from_starts(vec![0, 100, 5000]).is_err());
    }
}

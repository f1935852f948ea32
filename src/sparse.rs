//! The sparse matrix every stage shares — counts, PMI, NetMF, tf-idf, the
//! graph operators of propagation — and its parallel products with dense
//! row-major blocks.
//!
//! Products are rayon kernels over rows: each output row is summed by one
//! thread in a fixed order, so results are bit-identical for any thread
//! count. Dense blocks are `f32` (half the memory traffic of `f64`; the
//! products are memory-bound), accumulated with FMA where the CPU has it.

use crate::precision::Elem;
use rayon::prelude::*;

/// A sparse matrix in compressed sparse row form: `u32` column indices,
/// `f32` values, columns sorted within each row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseMatrix {
    rows: usize,
    cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl SparseMatrix {
    /// A matrix from its CSR arrays.
    ///
    /// # Panics
    /// If the arrays are inconsistent: `indptr` not of length `rows + 1`,
    /// not non-decreasing or not ending at `indices.len()`, `values` of
    /// another length, or a column index out of range. Unsorted rows are a
    /// contract breach caught in debug builds.
    #[track_caller]
    pub fn from_csr(shape: (usize, usize), indptr: Vec<usize>, indices: Vec<u32>, values: Vec<f32>) -> Self {
        let (rows, cols) = shape;
        assert_eq!(indptr.len(), rows + 1, "indptr must have rows + 1 entries");
        assert_eq!(indptr[0], 0, "indptr must start at 0");
        assert_eq!(*indptr.last().unwrap(), indices.len(), "indptr must end at nnz");
        assert_eq!(indices.len(), values.len(), "indices and values must have the same length");
        assert!(indptr.windows(2).all(|w| w[0] <= w[1]), "indptr must be non-decreasing");
        assert!(indices.iter().all(|&c| (c as usize) < cols), "column index out of range");
        debug_assert!(
            (0..rows).all(|i| indices[indptr[i]..indptr[i + 1]].windows(2).all(|w| w[0] < w[1])),
            "columns must be sorted and distinct within a row"
        );
        SparseMatrix { rows, cols, indptr, indices, values }
    }

    /// (rows, columns).
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// Stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Row `i` as (column indices, values).
    #[inline]
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.values[r])
    }

    /// Where each row's entries start (a cursor per row for
    /// [`SparseMatrix::mul_dense_range`]).
    pub fn row_starts(&self) -> Vec<usize> {
        self.indptr[..self.rows].to_vec()
    }

    /// Number of entries in row `i`.
    #[inline]
    pub fn row_nnz(&self, i: usize) -> usize {
        self.indptr[i + 1] - self.indptr[i]
    }

    /// The value at (i, j), 0 if not stored.
    pub fn get(&self, i: usize, j: usize) -> f32 {
        let (cols, vals) = self.row(i);
        cols.binary_search(&(j as u32)).map_or(0.0, |k| vals[k])
    }

    /// Bytes held by the arrays.
    pub fn memory_bytes(&self) -> usize {
        self.indptr.len() * 8 + self.indices.len() * 8
    }

    /// Whether the matrix equals its transpose (same pattern and values).
    pub fn is_symmetric(&self) -> bool {
        self.rows == self.cols
            && (0..self.rows).into_par_iter().all(|i| {
                let (cols, vals) = self.row(i);
                cols.iter().zip(vals).all(|(&j, &v)| self.get(j as usize, i) == v)
            })
    }

    /// The transpose, by a counting sort over columns (its rows come out sorted).
    pub fn transpose(&self) -> SparseMatrix {
        let (indptr, indices, values) = transpose_csr(self.cols, &self.indptr, &self.indices, &self.values);
        SparseMatrix { rows: self.cols, cols: self.rows, indptr, indices, values }
    }

    /// A dense row-major copy, for tests and small references.
    pub fn to_dense(&self) -> Vec<f64> {
        let mut out = vec![0f64; self.rows * self.cols];
        for i in 0..self.rows {
            let (cols, vals) = self.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                out[i * self.cols + c as usize] = v as f64;
            }
        }
        out
    }

    /// out = A·X for row-major X (cols × l) and out (rows × l), stored as
    /// `f32` or `f16` ([`crate::precision`]), each row summed in `f32`.
    ///
    /// X is read in column blocks that fit the last-level cache when it is
    /// large (measured: no gain while X fits, as whole rows prefetch well;
    /// 20 % faster on an 84k-word PPMI matrix).
    ///
    /// # Panics
    /// If `x` or `out` has the wrong length.
    #[track_caller]
    pub fn mul_dense<T: Elem>(&self, x: &[T], l: usize, out: &mut [T]) {
        assert_eq!(x.len(), self.cols * l, "X must be cols × l");
        assert_eq!(out.len(), self.rows * l, "out must be rows × l");
        if l == 0 {
            return;
        }
        let kernel = row_kernel_for_cpu::<T>();
        let width = block_width(self.cols, l, T::BYTES, self.nnz() as f64 / self.rows.max(1) as f64);
        for c0 in (0..l).step_by(width) {
            let w = width.min(l - c0);
            out.par_chunks_mut(l).with_min_len(64).enumerate().for_each_init(
                || vec![0f32; w],
                |acc, (i, row)| {
                    if i + PREFETCH_ROWS < self.rows {
                        prefetch_rows(x, l, 0, c0, w, self.row(i + PREFETCH_ROWS).0);
                    }
                    let (cols, vals) = self.row(i);
                    kernel(acc, cols, vals, x, l, c0);
                    T::store_any(acc, &mut row[c0..c0 + w]);
                },
            );
        }
    }

    /// Like [`SparseMatrix::mul_dense`] without column blocks, handing each
    /// product row to `finish(i, product_row, out_row)`: a fused epilogue
    /// (scale, add, combine with other blocks' row i) that saves a pass over
    /// `out`. `out` may hold data `finish` reads (its row i only); the
    /// epilogue sees it in `f32` (an `f16` row widened before and rounded
    /// after, next to the kernel).
    ///
    /// # Panics
    /// If `x` or `out` has the wrong length.
    #[track_caller]
    pub fn mul_dense_then<T: Elem>(
        &self,
        x: &[T],
        l: usize,
        out: &mut [T],
        finish: impl Fn(usize, &[f32], &mut [f32]) + Sync,
    ) {
        assert_eq!(out.len(), self.rows * l, "out must be rows × l");
        let rows = out.par_chunks_mut(l.max(1)).map(|o| (o, &mut [][..]));
        self.rows_then(
            x,
            l,
            rows,
            #[inline(always)]
            |i, p, o, _| finish(i, p, o),
        );
    }

    /// [`SparseMatrix::mul_dense_then`] with a second row-major buffer
    /// `aux` (`aux_width` values per row) whose row i the epilogue may
    /// update too: `finish(i, product_row, out_row, aux_row)`. An empty
    /// `out` hands the epilogue empty out rows (the product goes only where
    /// `finish` puts it).
    ///
    /// # Panics
    /// If `x`, `out` or `aux` has the wrong length.
    #[track_caller]
    pub fn mul_dense_zip<T: Elem>(
        &self,
        x: &[T],
        l: usize,
        out: &mut [T],
        aux: &mut [T],
        aux_width: usize,
        finish: impl Fn(usize, &[f32], &mut [f32], &mut [f32]) + Sync,
    ) {
        assert_eq!(aux.len(), self.rows * aux_width, "aux must be rows × aux_width");
        let aux = aux.par_chunks_mut(aux_width.max(1));
        if out.is_empty() {
            return self.rows_then(x, l, aux.map(|a| (&mut [][..], a)), finish);
        }
        assert_eq!(out.len(), self.rows * l, "out must be rows × l");
        self.rows_then(x, l, out.par_chunks_mut(l.max(1)).zip(aux), finish);
    }

    fn rows_then<'a, T: Elem>(
        &self,
        x: &[T],
        l: usize,
        rows: impl IndexedParallelIterator<Item = (&'a mut [T], &'a mut [T])>,
        finish: impl Fn(usize, &[f32], &mut [f32], &mut [f32]) + Sync,
    ) {
        assert_eq!(x.len(), self.cols * l, "X must be cols × l");
        if l == 0 {
            return;
        }
        let isa = Isa::detect();
        // Rows go in chunks to one call compiled for the CPU's vector
        // width, so the epilogue is inlined next to the kernel and
        // vectorized as wide as it is (called row by row through rayon it
        // stayed 4-wide: a third of the propagation's time on M).
        rows.chunks(CHUNK_ROWS).enumerate().for_each_init(
            || [vec![0f32; l], Vec::new(), Vec::new()],
            |scratch, (c, chunk)| {
                let first = c * CHUNK_ROWS;
                match isa {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: `isa` was detected on this CPU.
                    Isa::Avx512 => unsafe { chunk_avx512(self, x, l, first, chunk, scratch, &finish) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    Isa::Avx2 => unsafe { chunk_avx2(self, x, l, first, chunk, scratch, &finish) },
                    Isa::Portable => chunk_then(self, x, l, first, chunk, scratch, false, &finish),
                }
            },
        );
    }
}

impl SparseMatrix {
    /// One pass of a product streamed over column ranges: out += A[:,
    /// c0..c1]·X_c, X_c (rows c0..c1 of X, row-major, `l` wide) arriving
    /// one range at a time. `next[i]` is where row i's entries in the range
    /// start, and is moved past them. Passes over increasing ranges that
    /// cover all columns, from a zeroed `out`, add every entry in the order
    /// [`SparseMatrix::mul_dense`] does: the same result to the bit, while
    /// only one range of X is in memory (a cluster's ghost rows).
    ///
    /// # Panics
    /// If `x`, `out` or `next` has the wrong length.
    #[track_caller]
    pub fn mul_dense_range(
        &self,
        x: &[f32],
        l: usize,
        cols: std::ops::Range<usize>,
        next: &mut [usize],
        out: &mut [f32],
    ) {
        assert_eq!(x.len(), cols.len() * l, "X_c must be (c1 - c0) × l");
        assert_eq!(out.len(), self.rows * l, "out must be rows × l");
        assert_eq!(next.len(), self.rows, "one cursor per row");
        if l == 0 {
            return;
        }
        let isa = Isa::detect();
        let (c0, c1) = (cols.start, cols.end);
        // This row's entries in the range: from its cursor to the first
        // column ≥ c1.
        let span = |i: usize, k: usize| {
            let end = self.indptr[i + 1];
            let mut stop = k;
            while stop < end && (self.indices[stop] as usize) < c1 {
                stop += 1;
            }
            stop
        };
        // Rows in chunks, so that the X rows of a row a few ahead can be
        // asked for while this one is summed (as the whole product does).
        out.par_chunks_mut(CHUNK_ROWS * l).zip(next.par_chunks_mut(CHUNK_ROWS)).enumerate().for_each(
            |(c, (rows, ks))| {
                let first = c * CHUNK_ROWS;
                let mut stops = [0usize; CHUNK_ROWS];
                for (j, &k) in ks.iter().enumerate() {
                    stops[j] = span(first + j, k);
                }
                for (j, row) in rows.chunks_exact_mut(l).enumerate() {
                    if let Some(&ahead) = ks.get(j + PREFETCH_ROWS) {
                        prefetch_rows(x, l, c0, 0, l, &self.indices[ahead..stops[j + PREFETCH_ROWS]]);
                    }
                    let (start, stop) = (ks[j], stops[j]);
                    ks[j] = stop;
                    if stop == start {
                        continue;
                    }
                    let (cs, vs) = (&self.indices[start..stop], &self.values[start..stop]);
                    match isa {
                        #[cfg(target_arch = "x86_64")]
                        // SAFETY: `isa` was detected on this CPU.
                        Isa::Avx512 => unsafe { range_avx512(row, cs, vs, x, l, c0) },
                        #[cfg(target_arch = "x86_64")]
                        // SAFETY: as above.
                        Isa::Avx2 => unsafe { range_avx2(row, cs, vs, x, l, c0) },
                        Isa::Portable => range_body(row, cs, vs, x, l, c0, false),
                    }
                }
            },
        );
    }
}

/// acc += Σ_k vals[k] · X_c[cols[k] − c0, ..], in [`row_kernel_body`]'s
/// arithmetic (FMA where `fma`).
#[inline(always)]
fn range_body(acc: &mut [f32], cols: &[u32], vals: &[f32], x: &[f32], l: usize, c0: usize, fma: bool) {
    for (&c, &v) in cols.iter().zip(vals) {
        let src = &x[(c as usize - c0) * l..][..l];
        if fma {
            for (o, s) in acc.iter_mut().zip(src) {
                *o = s.mul_add(v, *o);
            }
        } else {
            for (o, s) in acc.iter_mut().zip(src) {
                *o += v * s;
            }
        }
    }
}

macro_rules! range_for {
    ($name:ident, $features:literal) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $name(acc: &mut [f32], cols: &[u32], vals: &[f32], x: &[f32], l: usize, c0: usize) {
            range_body(acc, cols, vals, x, l, c0, true)
        }
    };
}
range_for!(range_avx512, "avx512f,avx2,fma");
range_for!(range_avx2, "avx2,fma");

/// Rows `first..` of a chunk: the product row into `scratch[0]`, then
/// `finish` on the output and aux rows in `f32` (widened into the other
/// two scratch rows when stored as `f16`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn chunk_then<T: Elem>(
    a: &SparseMatrix,
    x: &[T],
    l: usize,
    first: usize,
    chunk: Vec<(&mut [T], &mut [T])>,
    scratch: &mut [Vec<f32>; 3],
    fma: bool,
    finish: &impl Fn(usize, &[f32], &mut [f32], &mut [f32]),
) {
    let [acc, so, sa] = scratch;
    for (k, (row, aux)) in chunk.into_iter().enumerate() {
        let i = first + k;
        if i + PREFETCH_ROWS < a.rows {
            prefetch_rows(x, l, 0, 0, l, a.row(i + PREFETCH_ROWS).0);
        }
        let (cols, vals) = a.row(i);
        row_kernel_body(acc, cols, vals, x, l, 0, fma);
        crate::precision::with_f32(
            row,
            aux,
            so,
            sa,
            #[inline(always)]
            |o, r| finish(i, acc, o, r),
        );
    }
}

/// [`chunk_then`] compiled for a set of target features (with FMA).
macro_rules! chunk_for {
    ($name:ident, $features:literal) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $name<T: Elem>(
            a: &SparseMatrix,
            x: &[T],
            l: usize,
            first: usize,
            chunk: Vec<(&mut [T], &mut [T])>,
            scratch: &mut [Vec<f32>; 3],
            finish: &impl Fn(usize, &[f32], &mut [f32], &mut [f32]),
        ) {
            chunk_then(a, x, l, first, chunk, scratch, true, finish)
        }
    };
}
chunk_for!(chunk_avx512, "avx512f,avx2,fma");
chunk_for!(chunk_avx2, "avx2,fma");

/// Rows handed to one vectorized call of the fused products.
const CHUNK_ROWS: usize = 64;

/// The vector extensions a fused product is compiled for.
#[derive(Clone, Copy)]
enum Isa {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Portable,
}

impl Isa {
    fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma") {
            return Isa::Avx512;
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            return Isa::Avx2;
        }
        Isa::Portable
    }
}

/// How many rows ahead the products ask for X's rows: a row's entries are
/// random reads, and on a sparse graph a row has few of them, so the reads
/// of later rows must be in flight while this one is summed (25-35 %
/// faster on a million-node graph with ~6 entries a row).
const PREFETCH_ROWS: usize = 4;

/// Rows longer than this are not prefetched: the CPU already overlaps the
/// independent loads within a long row, and the hints would cost as much as
/// they save (measured 28 % of a PPMI product with ~540 entries a row).
const PREFETCH_MAX_ROW: usize = 32;

/// Hint the cache to fetch X[c − row0, c0..c0 + w] for every column c in
/// `cols` (`row0`: the first row of X a streamed range holds).
#[inline(always)]
fn prefetch_rows<T: Elem>(x: &[T], l: usize, row0: usize, c0: usize, w: usize, cols: &[u32]) {
    if cols.len() > PREFETCH_MAX_ROW {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    for &c in cols {
        let start = (c as usize - row0) * l + c0;
        for off in (0..w).step_by(64 / T::BYTES) {
            // SAFETY: prefetching is a hint; the address is inside `x`.
            unsafe {
                use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
                _mm_prefetch::<_MM_HINT_T0>(x.as_ptr().add(start + off) as *const i8);
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (x, l, row0, c0, w, cols);
}

/// The transpose of CSR arrays with `cols` columns, by a counting sort
/// over columns (rows come out sorted): shared by [`SparseMatrix`] and the
/// counters' raw `u32` counts.
pub(crate) fn transpose_csr<T: Copy + Default>(
    cols: usize,
    indptr: &[usize],
    indices: &[u32],
    values: &[T],
) -> (Vec<usize>, Vec<u32>, Vec<T>) {
    let mut out_ptr = vec![0usize; cols + 1];
    for &c in indices {
        out_ptr[c as usize + 1] += 1;
    }
    for i in 0..cols {
        out_ptr[i + 1] += out_ptr[i];
    }
    let mut cursor = out_ptr.clone();
    let mut out_idx = vec![0u32; indices.len()];
    let mut out_val = vec![T::default(); indices.len()];
    for r in 0..indptr.len() - 1 {
        for k in indptr[r]..indptr[r + 1] {
            let c = indices[k] as usize;
            out_idx[cursor[c]] = r as u32;
            out_val[cursor[c]] = values[k];
            cursor[c] += 1;
        }
    }
    (out_ptr, out_idx, out_val)
}

/// Columns of X per pass of [`SparseMatrix::mul_dense`]: all of them while
/// X fits in ~16 MiB, else, for matrices with long rows, blocks that do, so
/// the rows that many of A's rows share stay in the last-level cache (a
/// pass over A per block is the price; 20 % faster on an 84k-word PPMI
/// matrix with ~540 entries a row). Short rows (a sparse graph's few
/// neighbours) share little: there a block only cuts each random read to a
/// cache line and multiplies the passes, measured 3× slower on a
/// million-node graph with ~5 entries a row (1.2 s against 0.4 s at l = 148).
fn block_width(cols: usize, l: usize, bytes: usize, mean_row: f64) -> usize {
    const BUDGET: usize = 16 << 20;
    if mean_row <= PREFETCH_MAX_ROW as f64 {
        return l;
    }
    let fit = BUDGET / (bytes * cols.max(1));
    if fit >= l { l } else { (fit / 8 * 8).max(16).min(l) }
}

type RowKernel<T> = fn(&mut [f32], &[u32], &[f32], &[T], usize, usize);

/// acc = Σ_k vals[k] · X[cols[k], c0..c0 + acc.len()], X row-major with `l`
/// columns, summed in `f32` whatever X's storage.
#[inline(always)]
fn row_kernel_body<T: Elem>(acc: &mut [f32], cols: &[u32], vals: &[f32], x: &[T], l: usize, c0: usize, fma: bool) {
    let w = acc.len();
    acc.fill(0.0);
    for (&c, &v) in cols.iter().zip(vals) {
        let src = &x[c as usize * l + c0..][..w];
        if fma {
            for (o, s) in acc.iter_mut().zip(src) {
                *o = s.get().mul_add(v, *o);
            }
        } else {
            for (o, s) in acc.iter_mut().zip(src) {
                *o += v * s.get();
            }
        }
    }
}

fn row_kernel_portable<T: Elem>(acc: &mut [f32], cols: &[u32], vals: &[f32], x: &[T], l: usize, c0: usize) {
    row_kernel_body(acc, cols, vals, x, l, c0, false)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn row_kernel_avx2_fma<T: Elem>(acc: &mut [f32], cols: &[u32], vals: &[f32], x: &[T], l: usize, c0: usize) {
    row_kernel_body(acc, cols, vals, x, l, c0, true)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn row_kernel_avx512<T: Elem>(acc: &mut [f32], cols: &[u32], vals: &[f32], x: &[T], l: usize, c0: usize) {
    row_kernel_body(acc, cols, vals, x, l, c0, true)
}

fn row_kernel_for_cpu<T: Elem>() -> RowKernel<T> {
    match Isa::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has the features the function is compiled for.
        Isa::Avx512 => |acc, cols, vals, x, l, c0| unsafe { row_kernel_avx512(acc, cols, vals, x, l, c0) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx2 => |acc, cols, vals, x, l, c0| unsafe { row_kernel_avx2_fma(acc, cols, vals, x, l, c0) },
        Isa::Portable => row_kernel_portable::<T>,
    }
}

/// A matrix a Rust caller already holds (feature `sprs`).
#[cfg(feature = "sprs")]
impl SparseMatrix {
    /// The matrix of a [`sprs`] matrix, CSR or CSC (converted), any value
    /// type that widens to `f64`; values are stored as `f32`, explicit zeros
    /// dropped.
    ///
    /// # Errors
    /// [`crate::error::Error::InvalidConfig`] for a non-finite value, or a
    /// dimension beyond what `u32` column indices hold.
    pub fn from_sprs<N: Copy + Default + Into<f64>>(m: sprs::CsMatView<'_, N>) -> crate::error::Result<SparseMatrix> {
        use crate::error::Error;
        let (rows, cols) = m.shape();
        if cols > u32::MAX as usize {
            return Err(Error::invalid("matrix", "more columns than u32 indexes"));
        }
        let converted = (!m.is_csr()).then(|| m.to_other_storage());
        let m = converted.as_ref().map_or(m, |c| c.view());
        let mut indptr = Vec::with_capacity(rows + 1);
        indptr.push(0);
        let (mut indices, mut values) = (Vec::with_capacity(m.nnz()), Vec::with_capacity(m.nnz()));
        for (i, row) in m.outer_iterator().enumerate() {
            for (j, &x) in row.iter() {
                let x: f64 = x.into();
                if !x.is_finite() {
                    return Err(Error::invalid("matrix", format!("entry ({i}, {j}) is {x}")));
                }
                if x != 0.0 {
                    indices.push(j as u32);
                    values.push(x as f32);
                }
            }
            indptr.push(indices.len());
        }
        Ok(SparseMatrix::from_csr((rows, cols), indptr, indices, values))
    }
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "sprs")]
    #[test]
    fn a_sprs_matrix_comes_in_as_csr_whatever_its_storage() {
        let mut t = sprs::TriMat::new((2, 3));
        t.add_triplet(0, 2, 1.5f64);
        t.add_triplet(1, 0, -2.0);
        t.add_triplet(1, 1, 0.0);
        let csr: sprs::CsMat<f64> = t.to_csr();
        let csc: sprs::CsMat<f64> = t.to_csc();
        let (a, b) = (SparseMatrix::from_sprs(csr.view()).unwrap(), SparseMatrix::from_sprs(csc.view()).unwrap());
        assert_eq!(a, b);
        assert_eq!((a.shape(), a.nnz(), a.get(0, 2), a.get(1, 0)), ((2, 3), 2, 1.5, -2.0));
        let mut bad = sprs::TriMat::new((1, 1));
        bad.add_triplet(0, 0, f32::NAN);
        let bad: sprs::CsMat<f32> = bad.to_csr();
        assert!(SparseMatrix::from_sprs(bad.view()).unwrap_err().to_string().contains("(0, 0) is NaN"));
    }

    use super::*;

    fn small() -> SparseMatrix {
        // [[1 0 2], [0 0 0], [0 3 4]]
        SparseMatrix::from_csr((3, 3), vec![0, 2, 2, 4], vec![0, 2, 1, 2], vec![1.0, 2.0, 3.0, 4.0])
    }

    #[test]
    fn products_match_the_dense_definition() {
        let a = small();
        let x: Vec<f32> = (0..6).map(|i| i as f32 - 2.0).collect(); // 3 × 2
        let mut out = vec![0f32; 6];
        a.mul_dense(&x, 2, &mut out);
        let d = a.to_dense();
        for i in 0..3 {
            for j in 0..2 {
                let want: f64 = (0..3).map(|k| d[i * 3 + k] * x[k * 2 + j] as f64).sum();
                assert_eq!(out[i * 2 + j] as f64, want);
            }
        }
        let mut fused = vec![1f32; 6];
        a.mul_dense_then(&x, 2, &mut fused, |_, p, o: &mut [f32]| o.iter_mut().zip(p).for_each(|(o, p)| *o += 2.0 * p));
        assert!(fused.iter().zip(&out).all(|(f, o)| *f == 1.0 + 2.0 * o));
    }

    #[test]
    fn fused_products_over_many_chunks_equal_the_plain_product() {
        // 300 rows: several chunks of CHUNK_ROWS and a partial one.
        let n = 300;
        let (mut indptr, mut indices, mut values) = (vec![0], vec![], vec![]);
        for i in 0..n {
            let mut cols = vec![(i * 7) % n, (i * 13 + 1) % n, (i * 31 + 5) % n];
            cols.sort_unstable();
            cols.dedup();
            indices.extend(cols.iter().map(|&j| j as u32));
            values.extend(cols.iter().map(|&j| (i + j) as f32 / 100.0));
            indptr.push(indices.len());
        }
        let a = SparseMatrix::from_csr((n, n), indptr, indices, values);
        let l = 24;
        let x: Vec<f32> = (0..n * l).map(|i| (i % 17) as f32 - 8.0).collect();
        let mut plain = vec![0f32; n * l];
        a.mul_dense(&x, l, &mut plain);
        let mut fused = vec![0f32; n * l];
        let mut aux = vec![0f32; n];
        a.mul_dense_zip(&x, l, &mut fused, &mut aux, 1, |i, p, o, r| {
            o.copy_from_slice(p);
            r[0] = i as f32;
        });
        assert_eq!(fused, plain);
        assert!(aux.iter().enumerate().all(|(i, &r)| r == i as f32), "each row's epilogue sees its own index");
    }

    #[test]
    fn half_width_products_sum_in_single_precision() {
        use half::f16;
        let n = 300;
        let (mut indptr, mut indices, mut values) = (vec![0], vec![], vec![]);
        for i in 0..n {
            let mut cols = vec![(i * 7) % n, (i * 13 + 1) % n, (i * 31 + 5) % n, (i * 3 + 2) % n];
            cols.sort_unstable();
            cols.dedup();
            indices.extend(cols.iter().map(|&j| j as u32));
            values.extend(cols.iter().map(|&j| (i + j) as f32 / 100.0 - 1.5));
            indptr.push(indices.len());
        }
        let a = SparseMatrix::from_csr((n, n), indptr, indices, values);
        for l in [1, 24, 37] {
            let x16: Vec<f16> = (0..n * l).map(|i| f16::from_f32(((i * 7919) % 101) as f32 / 13.0 - 3.0)).collect();
            let x32: Vec<f32> = x16.iter().map(|h| h.to_f32()).collect();
            let mut want = vec![0f32; n * l];
            a.mul_dense(&x32, l, &mut want);
            // The same f32 sums, rounded once to f16 at the end.
            let mut got = vec![f16::ZERO; n * l];
            a.mul_dense(&x16, l, &mut got);
            assert!(got.iter().zip(&want).all(|(g, w)| *g == f16::from_f32(*w)), "l = {l}");
            let mut fused = vec![f16::ZERO; n * l];
            a.mul_dense_then(&x16, l, &mut fused, |_, p, o| o.copy_from_slice(p));
            assert_eq!(fused, got, "l = {l}");
        }
    }

    #[test]
    fn a_product_streamed_over_column_ranges_equals_the_whole_one_to_the_bit() {
        let n = 500;
        let (mut indptr, mut indices, mut values) = (vec![0], vec![], vec![]);
        for i in 0..n {
            let mut cols: Vec<usize> = (0..9).map(|k| (i * 7 + k * 131 + k * k * 17) % n).collect();
            cols.sort_unstable();
            cols.dedup();
            indices.extend(cols.iter().map(|&j| j as u32));
            values.extend(cols.iter().map(|&j| ((i * 31 + j) % 19) as f32 / 7.0 - 1.3));
            indptr.push(indices.len());
        }
        let a = SparseMatrix::from_csr((n, n), indptr.clone(), indices, values);
        let l = 13;
        let x: Vec<f32> = (0..n * l).map(|i| ((i * 7919) % 1013) as f32 / 97.0 - 5.0).collect();
        let mut whole = vec![0f32; n * l];
        a.mul_dense(&x, l, &mut whole);
        let mut streamed = vec![0f32; n * l];
        let mut next = indptr[..n].to_vec();
        for r in [0..37, 37..38, 38..250, 250..251, 251..n] {
            a.mul_dense_range(&x[r.start * l..r.end * l], l, r, &mut next, &mut streamed);
        }
        assert!(streamed == whole);
        assert!((0..n).all(|i| next[i] == indptr[i + 1]), "every entry was taken once");
    }

    #[test]
    fn only_long_rows_are_read_in_column_blocks() {
        // A million columns at l = 148 do not fit the cache: long rows share
        // X's rows and take blocks; a sparse graph's short rows do not.
        assert_eq!(block_width(1_000_000, 148, 4, 5.0), 148);
        assert!(block_width(1_000_000, 148, 4, 500.0) < 148);
        assert_eq!(block_width(1000, 148, 4, 500.0), 148, "X fits the cache");
    }

    #[test]
    fn transpose_swaps_entries_and_symmetry_is_detected() {
        let a = small();
        let t = a.transpose();
        assert_eq!(t.shape(), (3, 3));
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(a.get(i, j), t.get(j, i));
            }
        }
        assert!(!a.is_symmetric());
        let s = SparseMatrix::from_csr((2, 2), vec![0, 1, 2], vec![1, 0], vec![5.0, 5.0]);
        assert!(s.is_symmetric());
    }

    #[test]
    #[should_panic(expected = "column index out of range")]
    fn inconsistent_arrays_are_refused() {
        SparseMatrix::from_csr((1, 2), vec![0, 1], vec![2], vec![1.0]);
    }
}

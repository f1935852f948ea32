//! How the n × l dense blocks of the SVD and the propagation are stored:
//! `f32`, or half-width `f16` with every sum in `f32` (Gram matrices in
//! `f64`, as always).
//!
//! The products are bound by memory traffic: each nonzero of the sparse
//! matrix fetches a row of the dense block from a random place. Half-width
//! rows halve the bytes of every block — the whole memory of a large run
//! beside the graph — and let the propagation filter all 128 columns in one
//! pass for the bytes per fetch that 64 `f32` columns cost (measured on a
//! 10-million-node graph: 4.1 s for one 128-column `f16` product against
//! 2 × 3.3 s for two 64-column `f32` ones). `f16` keeps 11 significant
//! bits (relative rounding 2⁻¹¹ ≈ 4.9·10⁻⁴), far below the sampling and
//! truncation error of any embedding; its range (±65504, normal down to
//! 6·10⁻⁵) holds every block we store: orthonormal columns, unit rows and
//! the filter's bounded Chebyshev terms.

use half::f16;
use serde::{Deserialize, Serialize};

/// Storage of the dense blocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// `f16` above [`HALF_FROM_ROWS`] rows, `f32` up to it (small blocks
    /// cost little memory or time, so they keep full precision).
    #[default]
    #[cfg_attr(feature = "clap", value(help = "f16 from 200,000 rows, f32 below"))]
    Auto,
    /// Single precision throughout.
    F32,
    /// Half-width blocks, single-precision sums.
    F16,
}

/// Rows from which [`Precision::Auto`] stores blocks in `f16`.
pub const HALF_FROM_ROWS: usize = 200_000;

impl Precision {
    /// Whether a matrix of `rows` rows gets `f16` blocks.
    pub fn half_for(self, rows: usize) -> bool {
        match self {
            Precision::Auto => rows >= HALF_FROM_ROWS,
            Precision::F32 => false,
            Precision::F16 => true,
        }
    }
}

/// The error for an `f16` block on a cluster: its shards exchange `f32` rows.
pub(crate) fn cluster_needs_f32() -> crate::error::Error {
    crate::error::Error::invalid("precision", "a cluster's shards store f32 blocks")
}

/// A stored element of a dense block: `f32` or `f16`.
pub trait Elem: Copy + Default + Send + Sync + PartialEq + std::fmt::Debug + 'static {
    /// Bytes per value.
    const BYTES: usize;
    /// The value in `f32` (exact for both types), written so that a loop of
    /// it vectorizes.
    fn get(self) -> f32;
    /// `v` rounded to the nearest stored value (ties to even), written so
    /// that a loop of it vectorizes.
    fn put(v: f32) -> Self;
    /// `dst[i] = src[i]` in `f32`, inlined: as wide as the caller's target
    /// features (a kernel compiled for AVX-512 converts 16 at a time).
    fn load(src: &[Self], dst: &mut [f32]);
    /// `dst[i] = src[i]` rounded to the nearest stored value (ties to
    /// even), inlined as [`Elem::load`].
    fn store(src: &[f32], dst: &mut [Self]);
    /// [`Elem::load`] compiled for the widest vectors this CPU has, for
    /// callers outside the kernels.
    fn load_any(src: &[Self], dst: &mut [f32]);
    /// [`Elem::store`] as [`Elem::load_any`].
    fn store_any(src: &[f32], dst: &mut [Self]);
    /// `src` as `f32`: itself, or widened into `scratch`.
    fn view<'a>(src: &'a [Self], scratch: &'a mut Vec<f32>) -> &'a [f32];
    /// The block in `f32`: itself, or a widened copy (the input freed).
    fn into_f32(x: Vec<Self>) -> Vec<f32>;
    /// The block itself when it is `f32` (a cluster exchanges `f32` rows only).
    fn as_f32(x: &[Self]) -> Option<&[f32]>;
    /// [`Elem::as_f32`], mutable.
    fn as_f32_mut(x: &mut [Self]) -> Option<&mut [f32]>;
}

/// Let `f` update rows `a` and `b` in `f32`: the rows themselves when
/// stored as `f32`; else widened into `sa` and `sb` and rounded back after.
#[inline(always)]
pub(crate) fn with_f32<T: Elem>(
    a: &mut [T],
    b: &mut [T],
    sa: &mut Vec<f32>,
    sb: &mut Vec<f32>,
    f: impl FnOnce(&mut [f32], &mut [f32]),
) {
    if let (Some(a), Some(b)) = (T::as_f32_mut(a), T::as_f32_mut(b)) {
        return f(a, b);
    }
    sa.resize(a.len(), 0.0);
    sb.resize(b.len(), 0.0);
    T::load(a, sa);
    T::load(b, sb);
    f(sa, sb);
    T::store(sa, a);
    T::store(sb, b);
}

impl Elem for f32 {
    const BYTES: usize = 4;
    #[inline(always)]
    fn get(self) -> f32 {
        self
    }
    #[inline(always)]
    fn put(v: f32) -> f32 {
        v
    }
    #[inline(always)]
    fn load(src: &[f32], dst: &mut [f32]) {
        dst.copy_from_slice(src);
    }
    #[inline(always)]
    fn store(src: &[f32], dst: &mut [f32]) {
        dst.copy_from_slice(src);
    }
    fn load_any(src: &[f32], dst: &mut [f32]) {
        dst.copy_from_slice(src);
    }
    fn store_any(src: &[f32], dst: &mut [f32]) {
        dst.copy_from_slice(src);
    }
    fn view<'a>(src: &'a [f32], _: &'a mut Vec<f32>) -> &'a [f32] {
        src
    }
    fn into_f32(x: Vec<f32>) -> Vec<f32> {
        x
    }
    fn as_f32(x: &[f32]) -> Option<&[f32]> {
        Some(x)
    }
    fn as_f32_mut(x: &mut [f32]) -> Option<&mut [f32]> {
        Some(x)
    }
}

impl Elem for f16 {
    const BYTES: usize = 2;
    /// Branch-free widening: the exponent and mantissa move into an f32's
    /// places and a multiplication by 2¹¹² rebiases the exponent (which also
    /// makes f16 subnormals normal, exactly); infinities and NaNs get the
    /// f32 exponent back. The same bits the hardware conversion gives.
    #[inline(always)]
    fn get(self) -> f32 {
        let h = self.to_bits() as u32;
        let sign = (h & 0x8000) << 16;
        let em = h & 0x7fff;
        let scaled = f32::from_bits(em << 13) * f32::from_bits(0x7780_0000);
        let v = if em >= 0x7c00 { f32::from_bits((em << 13) | 0x7f80_0000) } else { scaled };
        f32::from_bits(v.to_bits() | sign)
    }
    /// Branch-free narrowing with round-to-nearest-even (after F. Giesen's
    /// `float_to_half_fast3_rtne`): normal results add the rounding bias to
    /// the bits and shift; subnormal ones let an f32 addition of a magic
    /// number round the mantissa into place; overflow gives infinity and a
    /// NaN a quiet NaN. Every branch is computed and one selected, so a loop
    /// of it vectorizes.
    #[inline(always)]
    fn put(v: f32) -> f16 {
        const F16_MAX: u32 = (127 + 16) << 23;
        const DENORM_MAGIC: u32 = ((127 - 15) + (23 - 10) + 1) << 23;
        let bits = v.to_bits();
        let sign = bits & 0x8000_0000;
        let a = bits ^ sign;
        let special = if a > 0x7f80_0000 { 0x7e00 } else { 0x7c00 };
        let sub = (f32::from_bits(a) + f32::from_bits(DENORM_MAGIC)).to_bits().wrapping_sub(DENORM_MAGIC);
        let odd = (a >> 13) & 1;
        let normal = a.wrapping_add(((15u32.wrapping_sub(127)) << 23).wrapping_add(0xfff)).wrapping_add(odd) >> 13;
        let h = if a >= F16_MAX {
            special
        } else if a < (113 << 23) {
            sub
        } else {
            normal
        };
        f16::from_bits((h | (sign >> 16)) as u16)
    }
    #[inline(always)]
    fn load(src: &[f16], dst: &mut [f32]) {
        dst.iter_mut().zip(src).for_each(|(d, s)| *d = s.get());
    }
    #[inline(always)]
    fn store(src: &[f32], dst: &mut [f16]) {
        dst.iter_mut().zip(src).for_each(|(d, s)| *d = f16::put(*s));
    }
    fn load_any(src: &[f16], dst: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the feature.
            return unsafe { load_avx512(src, dst) };
        } else if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { load_avx2(src, dst) };
        }
        Self::load(src, dst)
    }
    fn store_any(src: &[f32], dst: &mut [f16]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the feature.
            return unsafe { store_avx512(src, dst) };
        } else if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { store_avx2(src, dst) };
        }
        Self::store(src, dst)
    }
    fn view<'a>(src: &'a [f16], scratch: &'a mut Vec<f32>) -> &'a [f32] {
        scratch.resize(src.len(), 0.0);
        Self::load_any(src, scratch);
        scratch
    }
    fn into_f32(x: Vec<f16>) -> Vec<f32> {
        to_f32(&x)
    }
    fn as_f32(_: &[f16]) -> Option<&[f32]> {
        None
    }
    fn as_f32_mut(_: &mut [f16]) -> Option<&mut [f32]> {
        None
    }
}

/// The `f16` conversions compiled for a set of target features.
macro_rules! convert_for {
    ($load:ident, $store:ident, $features:literal) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $load(src: &[f16], dst: &mut [f32]) {
            f16::load(src, dst)
        }
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $store(src: &[f32], dst: &mut [f16]) {
            f16::store(src, dst)
        }
    };
}
convert_for!(load_avx512, store_avx512, "avx512f,avx2");
convert_for!(load_avx2, store_avx2, "avx2");

/// Multiply column j of a row-major block (`scale.len()` columns) by `scale[j]`.
pub fn scale_columns<T: Elem>(x: &mut [T], scale: &[f32]) {
    use rayon::prelude::*;
    let k = scale.len().max(1);
    x.par_chunks_mut(ROWS * k).for_each_init(Vec::new, |buf, rows| {
        buf.resize(rows.len(), 0.0);
        T::load_any(rows, buf);
        buf.chunks_exact_mut(k).for_each(|row| row.iter_mut().zip(scale).for_each(|(x, s)| *x *= s));
        T::store_any(buf, rows);
    });
}

/// Scale every row of a row-major block to unit length (zero rows stay zero).
pub fn normalize_rows<T: Elem>(x: &mut [T], dim: usize) {
    use rayon::prelude::*;
    let k = dim.max(1);
    x.par_chunks_mut(ROWS * k).for_each_init(Vec::new, |buf, rows| {
        buf.resize(rows.len(), 0.0);
        T::load_any(rows, buf);
        buf.chunks_exact_mut(k).for_each(|row| {
            let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|v| *v /= norm);
            }
        });
        T::store_any(buf, rows);
    });
}

/// A zeroed block of `len` values on transparent huge pages where the
/// system grants them (Linux, `madvise` mode or `always`).
///
/// Every product reads rows of its dense block from random places, and at
/// gigabytes a 4 KiB page's translation misses the TLB on nearly every
/// read: on 2 MiB pages one 64-column product on a 10-million-node graph
/// took 2.4 s instead of 3.3 s. The advice is a hint: where it is refused
/// the block is an ordinary one.
pub fn zeroed_block<T: Elem>(len: usize) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(len);
    advise_huge(v.as_mut_ptr() as usize, len * T::BYTES);
    v.resize(len, T::default());
    v
}

/// Clear the upper halves of this thread's vector registers (`vzeroupper`).
///
/// An SVD was measured to leave them dirty on the calling thread (some
/// kernel returns without `vzeroupper`), and on Intel cores since Skylake
/// every later scalar instruction in the legacy SSE encoding — `ln`, `sqrt`,
/// any f64 arithmetic of code compiled for baseline x86-64 — then pays a
/// false dependency: the PMI of BlogCatalog's windows took 0.80 s after an
/// SVD instead of 0.05 s. Each stage ends with it ([`crate::Report`]).
#[inline]
pub(crate) fn clear_upper_state() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: AVX is present; vzeroupper only zeroes bits 128 and up of
        // the vector registers, which no live value here occupies.
        unsafe { std::arch::x86_64::_mm256_zeroupper() }
    }
}

/// Hand the pages of freed heap memory back to the system (glibc keeps
/// them in its per-thread arenas: after the parallel reader, its parse
/// buffers and id table stay resident under the stages that follow).
pub(crate) fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory that is free in the allocator.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Ask for huge pages over the whole 2 MiB pages inside `[start, start + bytes)`.
fn advise_huge(start: usize, bytes: usize) {
    const HUGE: usize = 2 << 20;
    #[cfg(target_os = "linux")]
    {
        let (a, e) = ((start + HUGE - 1) & !(HUGE - 1), (start + bytes) & !(HUGE - 1));
        if e > a {
            // SAFETY: the range lies inside an allocation this process owns;
            // MADV_HUGEPAGE changes no contents, only how pages are backed.
            unsafe { libc::madvise(a as *mut libc::c_void, e - a, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (start, bytes, HUGE);
}

/// `x` widened to `f32`, the pages of `x` already read handed back to the
/// system as it goes (`x` reads as zeros after): the peak is the `f32`
/// result, not the result beside the whole `f16` block. For the last
/// step of a half-width run, whose output is twice its block.
pub fn widen_releasing<T: Elem>(x: &mut [T]) -> Vec<f32> {
    use rayon::prelude::*;
    const CHUNK: usize = 16 << 20; // values per step
    let mut out: Vec<f32> = Vec::with_capacity(x.len());
    advise_huge(out.as_mut_ptr() as usize, x.len() * 4);
    for part in x.chunks_mut(CHUNK) {
        let start = out.len();
        out.resize(start + part.len(), 0.0);
        out[start..].par_chunks_mut(1 << 16).zip(part.par_chunks(1 << 16)).for_each(|(o, s)| T::load_any(s, o));
        release(part);
    }
    out
}

/// Return the whole pages inside `x` to the system (Linux; a no-op
/// elsewhere). The memory stays mapped and reads as zeros.
fn release<T: Elem>(x: &mut [T]) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = x.as_mut_ptr() as usize;
        let (a, e) = ((start + PAGE - 1) & !(PAGE - 1), (start + x.len() * T::BYTES) & !(PAGE - 1));
        if e > a {
            // SAFETY: the range lies inside `x`, borrowed mutably; after
            // MADV_DONTNEED private anonymous pages read as zeros, a valid
            // value of every `Elem` (both are plain bits).
            unsafe { libc::madvise(a as *mut libc::c_void, e - a, libc::MADV_DONTNEED) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = x;
}

/// Rows per task of the row-wise helpers.
const ROWS: usize = 256;

/// A whole block in `f32` (a copy for `f16`, the block itself for `f32`
/// would need no copy: callers that can borrow should).
pub fn to_f32<T: Elem>(x: &[T]) -> Vec<f32> {
    use rayon::prelude::*;
    let mut out = zeroed_block::<f32>(x.len());
    out.par_chunks_mut(1 << 16).zip(x.par_chunks(1 << 16)).for_each(|(o, s)| T::load_any(s, o));
    out
}

/// A block of `f32` values stored as `T`.
pub fn from_f32<T: Elem>(x: &[f32]) -> Vec<T> {
    use rayon::prelude::*;
    let mut out = zeroed_block::<T>(x.len());
    out.par_chunks_mut(1 << 16).zip(x.par_chunks(1 << 16)).for_each(|(o, s)| T::store_any(s, o));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_is_exact_for_every_half_value() {
        for bits in 0..=u16::MAX {
            let h = f16::from_bits(bits);
            let (want, got) = (h.to_f32(), h.get());
            assert!(want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()), "{bits:#06x}: {want} vs {got}");
        }
    }

    #[test]
    fn narrowing_rounds_as_the_reference_conversion_does() {
        // Every f16 value, the midpoints between neighbours (ties to even),
        // points just beside them, overflow, underflow and the specials.
        let mut probes = vec![0.0f32, -0.0, 65504.0, 65519.99, 65520.0, 1e9, -1e9, f32::INFINITY, f32::NEG_INFINITY];
        probes.extend([1e-8, 2.98e-8, 2.99e-8, 5.96e-8, 6.0e-5, 6.1e-5, f32::MIN_POSITIVE, 1e-40]);
        for bits in 0..0x7c00u16 {
            let a = f16::from_bits(bits).to_f32();
            let b = f16::from_bits(bits + 1).to_f32();
            let mid = (a as f64 + b as f64) / 2.0;
            probes.extend([
                a,
                mid as f32,
                f32::from_bits((mid as f32).to_bits() + 1),
                f32::from_bits((mid as f32).to_bits() - 1),
            ]);
        }
        for &p in &probes {
            for v in [p, -p] {
                let (want, got) = (f16::from_f32(v), f16::put(v));
                assert_eq!(want.to_bits(), got.to_bits(), "{v:e}");
            }
        }
        assert!(f16::put(f32::NAN).is_nan());
    }

    #[test]
    fn bulk_conversions_round_to_nearest_and_back() {
        let x: Vec<f32> = (0..1000).map(|i| (i as f32 - 500.0) * 0.01234).collect();
        let h: Vec<f16> = from_f32(&x);
        assert!(h.iter().zip(&x).all(|(h, x)| *h == f16::from_f32(*x)));
        let back = to_f32(&h);
        assert!(back.iter().zip(&x).all(|(b, x)| (b - x).abs() <= x.abs() * 4.9e-4 + 1e-7));
    }

    #[test]
    fn widening_while_releasing_gives_the_widened_block() {
        let x: Vec<f32> = (0..(40 << 20) + 77).map(|i| ((i % 1999) as f32 - 999.0) / 64.0).collect();
        let mut h: Vec<f16> = from_f32(&x);
        let want = to_f32(&h);
        assert!(widen_releasing(&mut h) == want);
        assert!(h[4096..1 << 20].iter().all(|v| v.to_bits() == 0), "read pages are handed back");
    }

    #[test]
    fn auto_is_half_only_for_large_blocks() {
        assert!(!Precision::Auto.half_for(10_000));
        assert!(Precision::Auto.half_for(1_000_000));
        assert!(Precision::F16.half_for(10) && !Precision::F32.half_for(10_000_000));
    }
}

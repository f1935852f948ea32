//! Where seeds become randomness. Every random choice in pmivec is a pure
//! function of (master seed, stream, index) — a walk of a node, a block of
//! the SVD sketch, a token to subsample, a split of an evaluation — so any
//! thread may draw it and results do not depend on scheduling.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator of every stream.
pub type Rng = Xoshiro256PlusPlus;

/// Independent uses of one master seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Random walks: index = walk number, keyed by start node.
    Walk = 1,
    /// Blocks of rows of the randomized SVD's Gaussian sketch.
    Sketch = 2,
    /// Token positions for frequent-word subsampling.
    Subsample = 3,
    /// Shuffles of evaluation splits and folds.
    Shuffle = 4,
    /// Pairs drawn by the label-free locality probe ([`crate::locality`]).
    Probe = 5,
}

#[inline]
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 64-bit hash of two words (SplitMix64 rounds).
#[inline]
pub fn mix(a: u64, b: u64) -> u64 {
    splitmix64(splitmix64(a) ^ b)
}

/// The hash of (seed, stream, index).
#[inline]
pub fn hash(seed: u64, stream: Stream, index: u64) -> u64 {
    mix(mix(seed, stream as u64), index)
}

/// A generator for (seed, stream, index).
#[inline]
pub fn rng(seed: u64, stream: Stream, index: u64) -> Rng {
    Rng::seed_from_u64(hash(seed, stream, index))
}

/// A uniform draw in [0, 1) for (seed, stream, index), without a generator.
#[inline]
pub fn unit(seed: u64, stream: Stream, index: u64) -> f64 {
    (hash(seed, stream, index) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    #[test]
    fn every_part_of_the_key_matters_and_draws_repeat() {
        let a = rng(1, Stream::Walk, 3).next_u64();
        assert_ne!(a, rng(2, Stream::Walk, 3).next_u64());
        assert_ne!(a, rng(1, Stream::Sketch, 3).next_u64());
        assert_ne!(a, rng(1, Stream::Walk, 4).next_u64());
        assert_eq!(a, rng(1, Stream::Walk, 3).next_u64());
        let u = unit(5, Stream::Subsample, 9);
        assert!((0.0..1.0).contains(&u));
    }
}

//! Walker's alias tables, one per node, for O(1) weighted neighbour sampling.
//!
//! Memory is O(edges): one `f32` threshold and one `u32` alias per adjacency
//! entry, laid out parallel to the CSR arrays.

/// Alias tables for every row of a CSR adjacency.
#[derive(Clone, Debug, Default)]
pub struct AliasTable {
    /// Acceptance threshold of slot `k` (in `[0, 1]`), parallel to the CSR targets.
    prob: Vec<f32>,
    /// Local index (within the row) to take when slot `k` rejects.
    alias: Vec<u32>,
}

impl AliasTable {
    /// Build the tables for rows delimited by `offsets` with the given weights.
    pub fn build(offsets: &[usize], weights: &[f32]) -> Self {
        let mut prob = vec![0f32; weights.len()];
        let mut alias = vec![0u32; weights.len()];
        let mut small = Vec::new();
        let mut large = Vec::new();
        let mut scaled = Vec::new();
        for row in offsets.windows(2) {
            let (lo, hi) = (row[0], row[1]);
            let deg = hi - lo;
            if deg == 0 {
                continue;
            }
            let w = &weights[lo..hi];
            let total: f64 = w.iter().map(|&x| x as f64).sum();
            scaled.clear();
            scaled.extend(w.iter().map(|&x| x as f64 * deg as f64 / total));
            small.clear();
            large.clear();
            for (k, &s) in scaled.iter().enumerate() {
                if s < 1.0 { small.push(k) } else { large.push(k) }
            }
            while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
                small.pop();
                prob[lo + s] = scaled[s] as f32;
                alias[lo + s] = l as u32;
                scaled[l] -= 1.0 - scaled[s];
                if scaled[l] < 1.0 {
                    large.pop();
                    small.push(l);
                }
            }
            // Leftovers are 1 up to rounding.
            for &k in large.iter().chain(small.iter()) {
                prob[lo + k] = 1.0;
                alias[lo + k] = k as u32;
            }
        }
        AliasTable { prob, alias }
    }

    /// Pick a local index in the row starting at `lo` with `deg` entries, given a
    /// uniform slot `slot < deg` and a uniform `u` in `[0, 1)`.
    #[inline]
    pub(crate) fn pick(&self, lo: usize, slot: usize, u: f32) -> usize {
        if u < self.prob[lo + slot] { slot } else { self.alias[lo + slot] as usize }
    }

    /// Bytes held by the tables.
    pub fn memory_bytes(&self) -> usize {
        self.prob.len() * 4 + self.alias.len() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_table_reproduces_the_weights_exactly() {
        // The probability of local index k is (1/deg) * Σ_slots [slot==k]*prob + [alias==k]*(1-prob).
        let offsets = [0, 4, 5];
        let weights = [1.0, 2.0, 3.0, 4.0, 7.0];
        let t = AliasTable::build(&offsets, &weights);
        let mut p = [0f64; 4];
        for slot in 0..4 {
            p[slot] += t.prob[slot] as f64 / 4.0;
            p[t.alias[slot] as usize] += (1.0 - t.prob[slot] as f64) / 4.0;
        }
        for k in 0..4 {
            assert!((p[k] - weights[k] as f64 / 10.0).abs() < 1e-6, "{k}: {}", p[k]);
        }
        assert_eq!(t.pick(4, 0, 0.999), 0);
    }
}

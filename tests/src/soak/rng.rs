//! A tiny deterministic PRNG (xorshift64*), seeded through splitmix64, so a failing
//! soak can be repeated with the seed it printed. Not for cryptography.

/// xorshift64* generator.
#[derive(Debug, Clone)]
pub struct Rng(u64);

/// splitmix64: spreads a seed (or a seed plus a salt) over all 64 bits.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for `seed` (any value, zero included).
    pub fn new(seed: u64) -> Rng {
        Rng(splitmix64(seed) | 1)
    }

    /// An independent generator for one actor of the soak (a lifecycle, a chaos task):
    /// the same seed and salt always give the same stream.
    pub fn fork(seed: u64, salt: u64) -> Rng {
        Rng::new(splitmix64(seed) ^ splitmix64(salt.wrapping_add(0x5EED)))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..=hi` (`lo` when `hi < lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A float in `[lo, hi)`.
    pub fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An index into `weights`, each chosen in proportion to its weight (0 when all are 0).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        if total == 0 {
            return 0;
        }
        let mut roll = self.next_u64() % total;
        for (i, w) in weights.iter().enumerate() {
            let w = u64::from(*w);
            if roll < w {
                return i;
            }
            roll -= w;
        }
        weights.len() - 1
    }

    /// One of `items`, or `None` when there are none.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        let i = self.next_u64() % items.len() as u64;
        items.get(usize::try_from(i).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut c = Rng::fork(42, 1);
        let mut d = Rng::fork(42, 2);
        assert_ne!(c.next_u64(), d.next_u64());
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = Rng::new(0);
        for _ in 0..1000 {
            let v = r.range(5, 30);
            assert!((5..=30).contains(&v));
            let f = r.between(0.5, 2.5);
            assert!((0.5..2.5).contains(&f));
            assert!(r.weighted(&[0, 3, 0]) == 1);
        }
        assert_eq!(r.range(7, 3), 7);
        assert!(r.pick::<u8>(&[]).is_none());
    }
}

//! A small portable PRNG (xoshiro256** seeded by SplitMix64) and the samplers the generator needs.
//!
//! Portable means the same seed gives the same numbers on every platform and Rust version:
//! only integer arithmetic and IEEE-754 `f64` operations (`ln`, `exp`, `sqrt`, `powf`) are used.

/// One step of SplitMix64: advances `state` and returns a well-mixed 64-bit value.
pub fn split_mix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The xoshiro256** generator (Blackman and Vigna), with the samplers built on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// A generator whose state is filled from `seed` by SplitMix64 (never all zero).
    pub fn seeded(seed: u64) -> Rng {
        let mut sm = seed;
        let state = [
            split_mix64(&mut sm),
            split_mix64(&mut sm),
            split_mix64(&mut sm),
            split_mix64(&mut sm),
        ];
        Rng { state }
    }

    /// An independent stream for one `(seed, stream)` pair, e.g. one customer of one store.
    pub fn for_stream(seed: u64, stream: u64) -> Rng {
        let mut sm = seed ^ 0x6A09_E667_F3BC_C908;
        let mixed_seed = split_mix64(&mut sm);
        let mut sm_stream = stream.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ mixed_seed;
        Rng::seeded(split_mix64(&mut sm_stream))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.state[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.state[1] << 17;
        self.state[2] ^= self.state[0];
        self.state[3] ^= self.state[1];
        self.state[1] ^= self.state[2];
        self.state[0] ^= self.state[3];
        self.state[2] ^= t;
        self.state[3] = self.state[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `(0, 1]`, safe to take the logarithm of.
    pub fn unit_open(&mut self) -> f64 {
        1.0 - self.unit()
    }

    /// Uniform integer in `[0, n)`; 0 when `n` is 0 (Lemire's multiply-shift, bias below 2^-64 * n).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in `[low, high]` (inclusive); `low` when `high < low`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = (high - low) as u64 + 1;
        low + self.below(span) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One item of a non-empty slice, uniformly.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A copy of one item of a non-empty slice, uniformly.
    pub fn pick_copy<T: Copy>(&mut self, items: &[T]) -> T {
        *self.pick(items)
    }

    /// An index drawn with probability proportional to `weights` (all non-negative, not all zero).
    pub fn weighted_index(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut target = self.unit() * total;
        for (idx, weight) in weights.iter().enumerate() {
            if target < *weight {
                return idx;
            }
            target -= weight;
        }
        weights.len().saturating_sub(1)
    }

    /// Exponential with the given rate (mean `1 / rate`).
    pub fn exponential(&mut self, rate: f64) -> f64 {
        -self.unit_open().ln() / rate
    }

    /// Standard normal, by the Marsaglia polar method (one value per call; no cached state).
    pub fn normal(&mut self) -> f64 {
        loop {
            let u = 2.0 * self.unit() - 1.0;
            let v = 2.0 * self.unit() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                return u * (-2.0 * s.ln() / s).sqrt();
            }
        }
    }

    /// Gamma with `shape` and `scale` (mean `shape * scale`), by Marsaglia and Tsang (2000);
    /// shapes below 1 use the boost `Gamma(shape + 1) * U^(1 / shape)`.
    pub fn gamma(&mut self, shape: f64, scale: f64) -> f64 {
        if shape < 1.0 {
            let boost = self.unit_open().powf(1.0 / shape);
            return self.gamma(shape + 1.0, scale) * boost;
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v_root = 1.0 + c * x;
            if v_root <= 0.0 {
                continue;
            }
            let v = v_root * v_root * v_root;
            let u = self.unit_open();
            if u < 1.0 - 0.0331 * x * x * x * x || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
                return d * v * scale;
            }
        }
    }

    /// Beta(a, b) as `X / (X + Y)` with `X ~ Gamma(a)`, `Y ~ Gamma(b)`.
    pub fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a, 1.0);
        let y = self.gamma(b, 1.0);
        if x + y <= 0.0 {
            return a / (a + b);
        }
        x / (x + y)
    }

    /// Poisson with the given mean: Knuth's product method below 30, a rounded normal above.
    pub fn poisson(&mut self, mean: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        if mean >= 30.0 {
            let draw = mean + mean.sqrt() * self.normal();
            return draw.round().max(0.0) as u64;
        }
        let limit = (-mean).exp();
        let mut product = self.unit_open();
        let mut count = 0;
        while product > limit {
            product *= self.unit_open();
            count += 1;
        }
        count
    }

    /// A log-normal multiplier `exp(sigma * N(0, 1))` with median 1.
    pub fn log_normal_factor(&mut self, sigma: f64) -> f64 {
        (sigma * self.normal()).exp()
    }
}

/// A discrete distribution over `0..n` held as a cumulative table, sampled by binary search.
#[derive(Debug, Clone, PartialEq)]
pub struct CumulativeTable {
    cumulative: Vec<f64>,
}

impl CumulativeTable {
    /// A table from non-negative weights; an all-zero or empty input samples index 0.
    pub fn from_weights(weights: impl IntoIterator<Item = f64>) -> CumulativeTable {
        let mut total = 0.0;
        let mut cumulative = Vec::new();
        for weight in weights {
            total += weight.max(0.0);
            cumulative.push(total);
        }
        CumulativeTable { cumulative }
    }

    /// Zipf weights `1 / rank^exponent` for ranks `1..=n` in the given order of ranks.
    pub fn zipf(ranks: &[u32], exponent: f64) -> CumulativeTable {
        CumulativeTable::from_weights(
            ranks
                .iter()
                .map(|rank| 1.0 / f64::from((*rank).max(1)).powf(exponent)),
        )
    }

    /// The number of outcomes.
    pub fn len(&self) -> usize {
        self.cumulative.len()
    }

    /// Whether the table has no outcomes.
    pub fn is_empty(&self) -> bool {
        self.cumulative.is_empty()
    }

    /// Draws an index in `0..len()`.
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = rng.unit() * total;
        let idx = self.cumulative.partition_point(|cum| *cum <= target);
        idx.min(self.cumulative.len().saturating_sub(1))
    }
}

//! The BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6) over customers compressed into
//! weighted groups, with its analytic gradient.
//!
//! Customers with the same `(x, t_x, T)` form one group. Groups are ordered by `x`, so the gamma
//! and digamma terms, which depend only on `x`, are computed once per distinct `x`; `ln(α + T)` and
//! `ln(α + t_x)` are computed once per distinct `T` and `t_x`. The inner loop per group is then
//! two table look-ups, one `exp` and one `ln_1p`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use crate::analytics::bgnbd::{BgnbdCustomer, BgnbdParams};
use crate::analytics::error::ModelError;
use crate::analytics::special::{digamma, ln_gamma, log_add_exp_with_share};

/// Customers compressed into weighted `(x, t_x, T)` groups.
#[derive(Debug, Clone)]
pub struct GroupedCustomers {
    ages: Vec<f64>,
    recencies: Vec<f64>,
    levels: Vec<FrequencyLevel>,
    groups: Vec<Group>,
    /// Number of customers.
    pub customers: u64,
    /// Customers with at least one repeat purchase.
    pub repeat_customers: u64,
    /// The largest `T`, a natural time scale for the optimiser's start.
    pub max_age: f64,
}

#[derive(Debug, Clone)]
struct FrequencyLevel {
    frequency: f64,
    weight: f64,
    groups: Range<usize>,
}

#[derive(Debug, Clone, Copy)]
struct Group {
    recency_index: u32,
    age_index: u32,
    weight: f64,
}

impl GroupedCustomers {
    /// Validates and compresses the customers.
    pub fn new(customers: &[BgnbdCustomer]) -> Result<GroupedCustomers, ModelError> {
        if customers.is_empty() {
            return Err(ModelError::NoCustomers);
        }
        for (index, customer) in customers.iter().enumerate() {
            customer
                .validate()
                .map_err(|reason| ModelError::InvalidCustomer { index, reason })?;
        }
        let (ages, age_ranks) = dense_ids(customers.iter().map(|customer| customer.age));
        let (recencies, recency_ranks) =
            dense_ids(customers.iter().map(|customer| customer.recency));
        let mut keys: Vec<u128> = customers
            .iter()
            .enumerate()
            .map(|(index, customer)| {
                (u128::from(customer.frequency) << 64)
                    | (u128::from(recency_ranks[index]) << 32)
                    | u128::from(age_ranks[index])
            })
            .collect();
        keys.sort_unstable();
        let mut levels: Vec<FrequencyLevel> = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut previous_key = None;
        for key in keys {
            let frequency = (key >> 64) as u32;
            let group = Group {
                recency_index: (key >> 32) as u32,
                age_index: key as u32,
                weight: 1.0,
            };
            if previous_key == Some(key) {
                if let Some(last) = groups.last_mut() {
                    last.weight += 1.0;
                }
            } else {
                groups.push(group);
            }
            previous_key = Some(key);
            match levels.last_mut() {
                Some(level) if level.frequency == f64::from(frequency) => {
                    level.weight += 1.0;
                    level.groups.end = groups.len();
                }
                _ => levels.push(FrequencyLevel {
                    frequency: f64::from(frequency),
                    weight: 1.0,
                    groups: groups.len() - 1..groups.len(),
                }),
            }
        }
        let repeat_customers = customers
            .iter()
            .filter(|customer| customer.frequency > 0)
            .count() as u64;
        let max_age = ages.iter().fold(0.0f64, |largest, age| largest.max(*age));
        Ok(GroupedCustomers {
            ages,
            recencies,
            levels,
            groups,
            customers: customers.len() as u64,
            repeat_customers,
            max_age,
        })
    }

    /// Number of distinct `(x, t_x, T)` groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The summed log-likelihood and its gradient with respect to `(r, α, a, b)`.
    pub fn log_likelihood_and_gradient(&self, params: &BgnbdParams) -> (f64, [f64; 4]) {
        let BgnbdParams { r, alpha, a, b } = *params;
        let ln_alpha = alpha.ln();
        let ln_a = a.ln();
        let age_logs: Vec<f64> = self.ages.iter().map(|age| (alpha + age).ln()).collect();
        let age_inverses: Vec<f64> = self.ages.iter().map(|age| 1.0 / (alpha + age)).collect();
        let recency_logs: Vec<f64> = self
            .recencies
            .iter()
            .map(|recency| (alpha + recency).ln())
            .collect();
        let recency_inverses: Vec<f64> = self
            .recencies
            .iter()
            .map(|recency| 1.0 / (alpha + recency))
            .collect();
        let (ln_gamma_r, digamma_r) = (ln_gamma(r), digamma(r));
        let (ln_gamma_b, digamma_b) = (ln_gamma(b), digamma(b));
        let (ln_gamma_ab, digamma_ab) = (ln_gamma(a + b), digamma(a + b));

        let mut log_likelihood = 0.0;
        let mut gradient = [0.0; 4];
        for level in &self.levels {
            let x = level.frequency;
            let weight = level.weight;
            let a1 = ln_gamma(r + x) - ln_gamma_r + r * ln_alpha;
            let a2 = ln_gamma_ab + ln_gamma(b + x) - ln_gamma_b - ln_gamma(a + b + x);
            let digamma_abx = digamma(a + b + x);
            log_likelihood += weight * (a1 + a2);
            gradient[0] += weight * (digamma(r + x) - digamma_r + ln_alpha);
            gradient[1] += weight * r / alpha;
            gradient[2] += weight * (digamma_ab - digamma_abx);
            gradient[3] += weight * (digamma_ab + digamma(b + x) - digamma_b - digamma_abx);

            let groups = &self.groups[level.groups.clone()];
            // Sums over the level's groups of w·s, w·ds/dr, w·(ds/dα)/(r+x) and w·p4.
            let (mut sum_s, mut sum_log, mut sum_inverse, mut sum_share) = (0.0, 0.0, 0.0, 0.0);
            if x == 0.0 {
                for group in groups {
                    let age_log = age_logs[group.age_index as usize];
                    sum_s -= group.weight * r * age_log;
                    sum_log += group.weight * age_log;
                    sum_inverse += group.weight * age_inverses[group.age_index as usize];
                }
            } else {
                let a4_constant = ln_a - (b + x - 1.0).ln();
                for group in groups {
                    let age_log = age_logs[group.age_index as usize];
                    let recency_log = recency_logs[group.recency_index as usize];
                    let a3 = -(r + x) * age_log;
                    let a4 = a4_constant - (r + x) * recency_log;
                    let (s, share4) = log_add_exp_with_share(a3, a4);
                    let share3 = 1.0 - share4;
                    sum_s += group.weight * s;
                    sum_log += group.weight * (share3 * age_log + share4 * recency_log);
                    sum_inverse += group.weight
                        * (share3 * age_inverses[group.age_index as usize]
                            + share4 * recency_inverses[group.recency_index as usize]);
                    sum_share += group.weight * share4;
                }
            }
            log_likelihood += sum_s;
            gradient[0] -= sum_log;
            gradient[1] -= (r + x) * sum_inverse;
            if x > 0.0 {
                gradient[2] += sum_share / a;
                gradient[3] -= sum_share / (b + x - 1.0);
            }
        }
        (log_likelihood, gradient)
    }
}

/// Distinct values (in first-seen order) and each input's index among them, by hashing the bits.
fn dense_ids(values: impl Iterator<Item = f64>) -> (Vec<f64>, Vec<u32>) {
    let mut ids_by_bits: HashMap<u64, u32, BuildHasherDefault<WordHasher>> = HashMap::default();
    let mut distinct: Vec<f64> = Vec::new();
    let ids = values
        .map(|value| {
            // Adding 0.0 turns -0.0 into 0.0, so equal numbers share one id.
            let normalised = value + 0.0;
            *ids_by_bits.entry(normalised.to_bits()).or_insert_with(|| {
                distinct.push(normalised);
                (distinct.len() - 1) as u32
            })
        })
        .collect();
    (distinct, ids)
}

/// A fast hasher for one 64-bit word (a multiply and the MurmurHash3 finaliser); not DoS-resistant,
/// which is fine for numbers the caller already holds.
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0xff51_afd7_ed55_8ccd);
    }

    fn finish(&self) -> u64 {
        // The finaliser of MurmurHash3: every input bit reaches the bucket and tag bits.
        let mut mixed = self.0 ^ (self.0 >> 33);
        mixed = mixed.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        mixed ^ (mixed >> 33)
    }
}

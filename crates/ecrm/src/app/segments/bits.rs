//! A growable set of customer rows, one bit each.

/// Rows as bits; rows past the end read as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bits {
    words: Vec<u64>,
}

impl Bits {
    pub fn get(&self, row: usize) -> bool {
        self.words
            .get(row / 64)
            .is_some_and(|word| word & (1 << (row % 64)) != 0)
    }

    pub fn set(&mut self, row: usize, on: bool) {
        let word = row / 64;
        if word >= self.words.len() {
            if !on {
                return;
            }
            self.words.resize(word + 1, 0);
        }
        if on {
            self.words[word] |= 1 << (row % 64);
        } else {
            self.words[word] &= !(1 << (row % 64));
        }
    }

    /// Rows in both.
    pub fn and(&self, other: &Bits) -> Bits {
        Bits {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| a & b)
                .collect(),
        }
    }

    /// Rows in `self` but not in `other`.
    pub fn and_not(&self, other: &Bits) -> Bits {
        Bits {
            words: self
                .words
                .iter()
                .enumerate()
                .map(|(i, a)| a & !other.words.get(i).copied().unwrap_or(0))
                .collect(),
        }
    }

    /// Rows in either.
    pub fn or(&self, other: &Bits) -> Bits {
        let len = self.words.len().max(other.words.len());
        Bits {
            words: (0..len)
                .map(|i| {
                    self.words.get(i).copied().unwrap_or(0)
                        | other.words.get(i).copied().unwrap_or(0)
                })
                .collect(),
        }
    }

    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// The set rows, ascending.
    pub fn rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, word)| {
            let mut word = *word;
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                Some(i * 64 + bit)
            })
        })
    }

    /// Keeps the set rows of `self` for which `keep` holds.
    pub fn filter(&self, mut keep: impl FnMut(usize) -> bool) -> Bits {
        let mut out = Bits {
            words: vec![0; self.words.len()],
        };
        for row in self.rows() {
            if keep(row) {
                out.words[row / 64] |= 1 << (row % 64);
            }
        }
        out
    }
}

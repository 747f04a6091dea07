//! The few dense `f32` kernels the recommenders need, written so the compiler vectorises them.

const LANES: usize = 8;

/// The dot product of two equal-length vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let (a_body, a_tail) = a.split_at(a.len() - a.len() % LANES);
    let (b_body, b_tail) = b.split_at(a_body.len());
    for (x, y) in a_body.chunks_exact(LANES).zip(b_body.chunks_exact(LANES)) {
        for k in 0..LANES {
            acc[k] += x[k] * y[k];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in a_tail.iter().zip(b_tail) {
        sum += x * y;
    }
    sum
}

/// `y += a * x`.
pub fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// `out = m * x` for a row-major square matrix `m` of side `x.len()`.
pub fn symv(m: &[f32], x: &[f32], out: &mut [f32]) {
    let n = x.len();
    for (row, o) in m.chunks_exact(n).zip(out.iter_mut()) {
        *o = dot(row, x);
    }
}

/// `YᵀY` (row-major, `f × f`) of a row-major `n × f` matrix `y`: blocks of rows summed in `f32`
/// (vectorised), then in `f64` within 16 fixed parts, the parts added in order; the parts are
/// shared out over `threads` scoped threads, so the result does not depend on the thread count.
pub fn gram(y: &[f32], f: usize, threads: usize) -> Vec<f32> {
    const BLOCK: usize = 256;
    const PARTS: usize = 16;
    let rows = y.len() / f.max(1);
    let per = rows.div_ceil(PARTS).max(1);
    let parts: Vec<&[f32]> = y.chunks(per * f).collect();
    let threads = threads.clamp(1, PARTS);
    let mut partials: Vec<Vec<f64>> = vec![Vec::new(); parts.len()];
    std::thread::scope(|scope| {
        for (t, slots) in partials
            .chunks_mut(parts.len().div_ceil(threads).max(1))
            .enumerate()
        {
            let parts = &parts;
            let first = t * parts.len().div_ceil(threads).max(1);
            scope.spawn(move || {
                let mut block = vec![0f32; f * f];
                for (k, slot) in slots.iter_mut().enumerate() {
                    let mut acc = vec![0f64; f * f];
                    for rows in parts[first + k].chunks(BLOCK * f) {
                        block.iter_mut().for_each(|v| *v = 0.0);
                        for row in rows.chunks_exact(f) {
                            for (a, &ra) in row.iter().enumerate() {
                                let line = &mut block[a * f + a..a * f + f];
                                for (l, &rb) in line.iter_mut().zip(&row[a..]) {
                                    *l += ra * rb;
                                }
                            }
                        }
                        acc.iter_mut()
                            .zip(&block)
                            .for_each(|(a, &b)| *a += f64::from(b));
                    }
                    *slot = acc;
                }
            });
        }
    });
    let mut out = vec![0f32; f * f];
    for a in 0..f {
        for b in a..f {
            let sum: f64 = partials
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| p[a * f + b])
                .sum();
            out[a * f + b] = sum as f32;
            out[b * f + a] = sum as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_handles_tails() {
        let a: Vec<f32> = (1..=11).map(|v| v as f32).collect();
        assert_eq!(dot(&a, &a), (1..=11).map(|v| (v * v) as f32).sum::<f32>());
    }

    #[test]
    fn gram_is_yty() {
        // y = [[1, 2], [3, 4]] -> yᵀy = [[10, 14], [14, 20]]
        assert_eq!(
            gram(&[1.0, 2.0, 3.0, 4.0], 2, 1),
            vec![10.0, 14.0, 14.0, 20.0]
        );
        assert_eq!(
            gram(&[1.0, 2.0, 3.0, 4.0], 2, 3),
            vec![10.0, 14.0, 14.0, 20.0]
        );
    }
}

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

/// `YᵀY` (row-major, `f × f`) of a row-major `n × f` matrix `y`, summed in `f64`.
pub fn gram(y: &[f32], f: usize) -> Vec<f32> {
    let mut acc = vec![0f64; f * f];
    for row in y.chunks_exact(f) {
        for (a, &ra) in row.iter().enumerate() {
            let ra = ra as f64;
            let line = &mut acc[a * f..a * f + f];
            for (b, &rb) in row.iter().enumerate().skip(a) {
                line[b] += ra * rb as f64;
            }
        }
    }
    let mut out = vec![0f32; f * f];
    for a in 0..f {
        for b in a..f {
            out[a * f + b] = acc[a * f + b] as f32;
            out[b * f + a] = acc[a * f + b] as f32;
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
        assert_eq!(gram(&[1.0, 2.0, 3.0, 4.0], 2), vec![10.0, 14.0, 14.0, 20.0]);
    }
}

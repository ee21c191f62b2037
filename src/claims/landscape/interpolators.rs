//! The interpolators of claim P1's lower-bound part: five families of parameter points that fit
//! the labels of orthogonal inputs ([`random_interpolator`]), and orthogonal inputs that are not
//! unit-norm ([`rescaled_inputs`]).

use super::points::random_theta_star;
use crate::data::Dataset;
use crate::numerics::{dot, norm_sq as sq};
use crate::params::Params;
use crate::seeds::{self, Stream};
use nalgebra::{DMatrix, DVector};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use rand_distr::StandardNormal;

/// The families of interpolators of [`random_interpolator`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterpolatorKind {
    /// `theta*` with random shares over several neurons per side, other neurons zero (a minimiser).
    SplitShares,
    /// `SplitShares` with every neuron rescaled `(a_j / c_j, c_j w_j)`, `c_j = 2^(k/4)`, `k` in
    /// `-8..=8` (same function, unbalanced layers).
    Unbalanced,
    /// `SplitShares` with some neurons (at least one) rotated by an angle in `[1, 60]` degrees away
    /// from `v+-`, towards a direction inactive on every other input, and rescaled by
    /// `1/sqrt(cos phi)` to keep fitting (misaligned directions; relative excess of that neuron's
    /// mass `1/cos phi - 1`).
    Misaligned,
    /// `SplitShares` plus neurons inactive on every input (extra neurons, any `a_j`): the zero
    /// neurons of `theta*` and one appended neuron (width `m + 1`).
    ExtraNeurons,
    /// Random hidden weights (half of them covering their sign's labels), output weights solving
    /// `Phi a = y` (minimum-norm least squares, `Phi_kj = relu(<w_j, x_k>)`), then each neuron
    /// rebalanced to `|a_j| = |w_j|` or not (a coin): interpolators unrelated to `theta*`.
    Solved,
}

impl InterpolatorKind {
    /// Every kind.
    pub const ALL: [InterpolatorKind; 5] = [
        InterpolatorKind::SplitShares,
        InterpolatorKind::Unbalanced,
        InterpolatorKind::Misaligned,
        InterpolatorKind::ExtraNeurons,
        InterpolatorKind::Solved,
    ];
}

/// A unit vector `u` with `<u, x_k> = 0` for `k` in `zero`, `<u, x_k> < 0` for the other inputs
/// (orthogonal inputs), plus a random component orthogonal to every input when `d > n`.
fn inactive_direction(data: &Dataset, zero: impl Fn(usize) -> bool, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let d = data.d();
    let mut g: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
    // remove the span of the inputs
    for k in 0..data.n() {
        let x = data.x(k);
        let c = dot(&g, x) / sq(x);
        g.iter_mut().zip(x).for_each(|(gi, xi)| *gi -= c * xi);
    }
    for k in 0..data.n() {
        if !zero(k) {
            let x = data.x(k);
            let c = rng.random_range(0.2..=1.0) / sq(x).sqrt();
            g.iter_mut().zip(x).for_each(|(gi, xi)| *gi -= c * xi);
        }
    }
    let nv = sq(&g).sqrt();
    g.iter().map(|v| v / nv).collect()
}

/// A random interpolator of `data` (orthogonal inputs) of the given kind and width `m >= 2`, from
/// `seed`; `None` if the kind cannot be built (no `theta*`, or `Phi` is rank-deficient for
/// `Solved`, or its least-squares residual exceeds `1e-9 max|y|`).
pub fn random_interpolator(data: &Dataset, kind: InterpolatorKind, m: usize, seed: u64) -> Option<Params> {
    let mut rng = seeds::rng(seed, Stream::ParameterPoints);
    let d = data.d();
    match kind {
        InterpolatorKind::SplitShares => random_theta_star(data, m, &mut rng),
        InterpolatorKind::Unbalanced => {
            let mut t = random_theta_star(data, m, &mut rng)?;
            for j in 0..m {
                let c = 2f64.powf(rng.random_range(-8..=8) as f64 / 4.0);
                t.a[j] /= c;
                t.w[j].iter_mut().for_each(|v| *v *= c);
            }
            Some(t)
        }
        InterpolatorKind::Misaligned => {
            let mut t = random_theta_star(data, m, &mut rng)?;
            let first = (0..m).find(|&j| t.a[j] != 0.0)?;
            for j in 0..m {
                // the first neuron of theta* always, the others with probability 1/2
                if t.a[j] == 0.0 || (j != first && rng.random::<bool>()) {
                    continue;
                }
                let positive = t.a[j] > 0.0;
                let side = |k: usize| if positive { data.y()[k] > 0.0 } else { data.y()[k] < 0.0 };
                let u = inactive_direction(data, side, &mut rng);
                let phi = rng.random_range(1..=60) as f64 * std::f64::consts::PI / 180.0;
                let nw = sq(&t.w[j]).sqrt();
                // w' = rho' (cos phi w/|w| + sin phi u) with rho'^2 = |w|^2 / cos phi: same outputs
                let rho = nw / phi.cos().sqrt();
                t.w[j] = t.w[j].iter().zip(&u).map(|(w, u)| rho * (phi.cos() * w / nw + phi.sin() * u)).collect();
                t.a[j] = t.a[j].signum() * rho;
            }
            Some(t)
        }
        InterpolatorKind::ExtraNeurons => {
            let mut t = random_theta_star(data, m, &mut rng)?;
            // one more neuron, so that there is at least one extra
            t.a.push(0.0);
            t.w.push(vec![0.0; d]);
            for j in 0..=m {
                if t.a[j] == 0.0 {
                    let u = inactive_direction(data, |_| false, &mut rng);
                    let size = 10f64.powf(rng.random_range(-2.0..=0.5));
                    t.w[j] = u.iter().map(|v| size * v).collect();
                    // any a_j keeps h (the neuron is inactive on every input): a mutant
                    // `g * size` -> `g + size` builds another member of the family, equivalent
                    t.a[j] = rng.sample::<f64, _>(StandardNormal) * size;
                }
            }
            Some(t)
        }
        InterpolatorKind::Solved => {
            let n = data.n();
            let mut w: Vec<Vec<f64>> = Vec::with_capacity(m);
            for _ in 0..m {
                let mut g: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
                if rng.random::<bool>() {
                    let positive = rng.random::<bool>();
                    for k in 0..n {
                        let own = if positive { data.y()[k] > 0.0 } else { data.y()[k] < 0.0 };
                        let x = data.x(k);
                        let c = dot(&g, x);
                        if own && c < 0.0 {
                            let f = 2.0 * c / sq(x);
                            g.iter_mut().zip(x).for_each(|(gi, xi)| *gi -= f * xi);
                        }
                    }
                }
                w.push(g);
            }
            let phi = DMatrix::from_fn(n, m, |k, j| dot(&w[j], data.x(k)).max(0.0));
            let y = DVector::from_column_slice(data.y());
            let a = phi.clone().svd(true, true).solve(&y, 1e-10).ok()?;
            let y_max = data.y().iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
            if (&phi * &a - &y).amax() > 1e-9 * y_max {
                return None;
            }
            let mut t = Params { a: a.iter().copied().collect(), w };
            if rng.random::<bool>() {
                for j in 0..m {
                    let (na, nw) = (t.a[j].abs(), sq(&t.w[j]).sqrt());
                    if na > 0.0 && nw > 0.0 {
                        let c = (na / nw).sqrt();
                        t.a[j] /= c;
                        t.w[j].iter_mut().for_each(|v| *v *= c);
                    }
                }
            }
            Some(t)
        }
    }
}

/// The same dataset with input `x_k` scaled by `2^e_k`, `e_k` uniform in `-2..=2` (orthogonal,
/// not unit-norm: Proposition 1's extension, see [`crate::theory::min_norm_sq`] and [`super::p1_min_norm_sq`]).
pub fn rescaled_inputs(data: &Dataset, seed: u64) -> Dataset {
    let mut rng = seeds::rng(seed, Stream::InputPerturbation);
    let rows: Vec<Vec<f64>> = (0..data.n())
        .map(|k| {
            let s = 2f64.powi(rng.random_range(-2..=2));
            data.x(k).iter().map(|v| s * v).collect()
        })
        .collect();
    Dataset::new(rows, data.y().to_vec()).expect("scaling finite inputs by powers of two keeps them valid")
}

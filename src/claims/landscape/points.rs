//! The parameter points of claims L14 and L15: random balanced points ([`balanced_point`]) and
//! balanced points near a minimum-norm interpolator ([`l15_point`]), built from integer seeds so
//! that proptest can shrink them.

use super::l15_radius;
use crate::data::Dataset;
use crate::numerics::{dot, norm_sq as sq};
use crate::params::Params;
use crate::seeds::{self, Stream};
use crate::theory;
use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use rand_distr::StandardNormal;

/// How a neuron of [`balanced_point`] is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeuronMode {
    /// `w_j` a standard Gaussian.
    Free,
    /// Coordinates on the labels of the neuron's sign made positive (the neuron covers them).
    Covering,
    /// Coordinates made positive on the labels of its sign and negative on the others.
    Exact,
}

/// A random balanced point (`a_j = s_j |w_j|`) of width `m` on `data`, from `seed`.
///
/// The stream [`Stream::ParameterPoints`] of `seed` draws, per neuron: `s_j` (fair), the mode (Free, Covering, Exact with
/// probabilities 1/3 each), `g ~ N(0, I_d)`, and a scale `10^u`, `u` uniform in `[-1.5, 1]` (so
/// that the loss ranges from that of the zero network to that of strongly overfitting points).
/// `w_j = 10^u g'` where `g'` is `g` with the coordinates `<g, x_k>` flipped as the mode says
/// (reflections `g - 2 <g, x_k> x_k / |x_k|^2`, exact in direction for orthogonal inputs).
pub fn balanced_point(data: &Dataset, m: usize, seed: u64) -> Params {
    let mut rng = seeds::rng(seed, Stream::ParameterPoints);
    let d = data.d();
    let mut theta = Params { a: Vec::with_capacity(m), w: Vec::with_capacity(m) };
    for _ in 0..m {
        let s = if rng.random::<bool>() { 1.0 } else { -1.0 };
        let mode = match rng.random_range(0..3u8) {
            0 => NeuronMode::Free,
            1 => NeuronMode::Covering,
            _ => NeuronMode::Exact,
        };
        let mut g: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
        let scale = 10f64.powf(rng.random_range(-1.5..=1.0));
        for k in 0..data.n() {
            let own = data.y()[k] * s > 0.0;
            let x = data.x(k);
            let c = dot(&g, x);
            let flip = match mode {
                NeuronMode::Free => false,
                NeuronMode::Covering => own && c < 0.0,
                NeuronMode::Exact => (own && c < 0.0) || (!own && c > 0.0),
            };
            if flip {
                let f = 2.0 * c / sq(x);
                g.iter_mut().zip(x).for_each(|(gi, xi)| *gi -= f * xi);
            }
        }
        g.iter_mut().for_each(|v| *v *= scale);
        theta.a.push(s * sq(&g).sqrt());
        theta.w.push(g);
    }
    theta
}

/// A point of claim L15: `theta*` of width `m` with random shares (neurons `0..k+` on the `+` side,
/// the next `k-` on the `-` side, the rest zero), plus a balanced perturbation of norm
/// `fraction * rho` (`rho` = [`l15_radius`]) in a random direction, `a_j = s_j |w_j|` with the signs
/// of `theta*` (random signs for the zero neurons). Returns `None` if `theta*` does not exist
/// (see [`theory::theta_star`]) or `m < 2`. [`l15_point_and_centre`] also returns `theta*`.
pub fn l15_point(data: &Dataset, m: usize, fraction: f64, seed: u64) -> Option<Params> {
    l15_point_and_centre(data, m, fraction, seed).map(|(theta, _)| theta)
}

/// [`l15_point`] and the `theta*` it perturbs: `(theta, theta*)` with
/// `sqrt(sum_j |w_j - w*_j|^2) = fraction * rho` (to rounding) and `a_j = s*_j |w_j|`.
///
/// Equivalent mutants (cargo-mutants): `w + c e` -> `w - c e` draws the perturbation `-delta`,
/// which has the same distribution as `delta` (a standard Gaussian), the same norm and the same
/// signs; `star.a[j] > 0` -> `>= 0` (or `< 0` -> `<= 0`, or the last `-1.0` -> `1.0`) gives the
/// zero neurons of `theta*` a fixed sign instead of a random one, and either sign is allowed for
/// them (Lemma 15's points are any balanced points of the ball). Both build valid L15 points; the tests pin the norm and the
/// signs of the perturbation, which every other mutant of this function changes.
pub fn l15_point_and_centre(data: &Dataset, m: usize, fraction: f64, seed: u64) -> Option<(Params, Params)> {
    let mut rng = seeds::rng(seed, Stream::ParameterPoints);
    let star = random_theta_star(data, m, &mut rng)?;
    let rho = l15_radius(data)?;
    let d = data.d();
    let delta: Vec<Vec<f64>> = (0..m).map(|_| (0..d).map(|_| rng.sample(StandardNormal)).collect()).collect();
    let size = delta.iter().map(|v| sq(v)).sum::<f64>().sqrt();
    let c = fraction * rho / size;
    let mut theta = star.clone();
    for j in 0..m {
        let s = if star.a[j] > 0.0 {
            1.0
        } else if star.a[j] < 0.0 {
            -1.0
        } else if rng.random::<bool>() {
            1.0
        } else {
            -1.0
        };
        theta.w[j] = star.w[j].iter().zip(&delta[j]).map(|(w, e)| w + c * e).collect();
        theta.a[j] = s * sq(&theta.w[j]).sqrt();
    }
    Some((theta, star))
}

/// `theta*` of width `m >= 2` with random shares: `k+ >= 1` neurons on the `+` side and `k- >= 1`
/// on the `-` side (disjoint, in a random order), shares uniform in `[0.05, 1]`, other neurons zero.
pub(super) fn random_theta_star(data: &Dataset, m: usize, rng: &mut ChaCha8Rng) -> Option<Params> {
    if m < 2 {
        return None;
    }
    let mut order: Vec<usize> = (0..m).collect();
    for i in (1..m).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let k_plus = rng.random_range(1..m);
    let k_minus = rng.random_range(1..=m - k_plus);
    let plus: Vec<(usize, f64)> = order[..k_plus].iter().map(|&j| (j, rng.random_range(0.05..=1.0))).collect();
    let minus: Vec<(usize, f64)> =
        order[k_plus..k_plus + k_minus].iter().map(|&j| (j, rng.random_range(0.05..=1.0))).collect();
    theory::theta_star(data, m, &plus, &minus).ok()
}

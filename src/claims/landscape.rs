//! Claim checks: the loss landscape at a parameter point, no simulation (claims L14, L15, P1).
//!
//! - L14 (Lemma 14): on balanced points, `|grad L|^2 >= 2 L min((1/n) sum_P |w_j|^2, (1/n) sum_N |w_j|^2)`
//!   ([`check_l14`]).
//! - L15 (Lemma 15 / Lemma 5): on balanced points near a minimum-norm interpolator `theta*`,
//!   `|grad L|^2 / L >= min(|D+|, |D-|)` ([`check_l15`], neighbourhood radius [`l15_radius`]).
//! - P1 (Proposition 1): `theta*` interpolates with `|theta*|^2 = min_norm_sq`
//!   ([`check_p1_minimiser`]) and no interpolator has a smaller norm ([`check_p1_lower_bound`]).
//!
//! The points are built from integer seeds by the `*_point` / [`random_interpolator`] builders
//! below (so proptest can shrink them); [`instance`] draws them for `reluflow verify`.
//!
//! ## Rounding
//! These claims are exact inequalities, so the only tolerance is floating-point rounding,
//! [`rounding_tolerance`]: a relative `tau = 64 (n + d + m) max(n, d) u` with `u = 2^-53`. Each side
//! of each inequality is a sum of non-negative terms, each computed from inner products of at most
//! `n + d + m` terms (first-order rounding bound `gamma_N = N u` per accumulated sum); the inputs
//! are orthonormal only to the rounding of their QR factorisation (`|<x_k, x_l> - delta_kl|` of
//! order `max(n, d) u`), which enters `n |D_j|^2 = (1/n) sum_{active} r_k^2` through at most `n`
//! Gram entries. The factor 64 covers the constants of these first-order bounds. For the sizes used
//! here (`n, d, m <= 16`) `tau` is below `2e-11`; `tests/claims_landscape.rs` shows it is never
//! approached by rounding (the sharp point of Lemma 14 has a relative slack of order `1e-16`) and
//! that the negative controls fail by margins of order 1, not `tau`.

use super::{ClaimId, Outcome, Verdict};
use crate::Instance;
use crate::data::Dataset;
use crate::generators::InstanceShape;
use crate::network::Model;
use crate::params::Params;
use crate::seeds::{self, Stream};
use crate::theory;
use nalgebra::{DMatrix, DVector};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Unit roundoff of `f64`, `2^-53`.
const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;

fn dot(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v).map(|(a, b)| a * b).sum()
}

fn sq(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

/// The relative rounding allowance `tau = 64 (n + d + m) max(n, d) u` of every check of this module
/// (see the module docs for its derivation).
pub fn rounding_tolerance(n: usize, d: usize, m: usize) -> f64 {
    64.0 * (n + d + m) as f64 * n.max(d) as f64 * UNIT_ROUNDOFF
}

/// `|grad L(theta)|^2` for the paper's model (ReLU, `relu'(0) = 0`), from
/// [`crate::network::ValidModel::gradient`].
pub fn grad_norm_sq(data: &Dataset, theta: &Params) -> f64 {
    let model = Model::relu().validate().expect("the paper's model is valid");
    let g = model.gradient(theta, data);
    sq(&g.a) + g.w.iter().map(|w| sq(w)).sum::<f64>()
}

/// `L(theta) = 1/(2n) sum_k (h(x_k) - y_k)^2` (paper's model).
pub fn loss(data: &Dataset, theta: &Params) -> f64 {
    Model::relu().validate().expect("the paper's model is valid").loss(theta, data)
}

/// The residuals `h(x_k) - y_k` (paper's model).
pub fn residuals(data: &Dataset, theta: &Params) -> Vec<f64> {
    let h = Model::relu().validate().expect("the paper's model is valid").predict(theta, data);
    h.iter().zip(data.y()).map(|(h, y)| h - y).collect()
}

/// The sets of Lemma 14 at `theta` (not at initialisation): `P` = neurons with `a_j > 0` (`s_j = +1`)
/// and `<w_j, x_k> > 0` for every `k` with `y_k > 0`; `N` = neurons with `a_j < 0` and
/// `<w_j, x_k> > 0` for every `k` with `y_k < 0`. "Active" is strict, as `relu'(0) = 0`.
pub fn lemma14_sets(data: &Dataset, theta: &Params) -> (Vec<usize>, Vec<usize>) {
    let covers = |j: usize, positive: bool| {
        (0..data.n())
            .filter(|&k| if positive { data.y()[k] > 0.0 } else { data.y()[k] < 0.0 })
            .all(|k| dot(&theta.w[j], data.x(k)) > 0.0)
    };
    let p = (0..theta.m()).filter(|&j| theta.a[j] > 0.0 && covers(j, true)).collect();
    let nn = (0..theta.m()).filter(|&j| theta.a[j] < 0.0 && covers(j, false)).collect();
    (p, nn)
}

/// Claim L14 (Lemma 14) at one parameter point.
///
/// **Finite statement checked** (exactly Lemma 14, with the sets taken at `theta`):
/// `|grad L(theta)|^2 >= 2 L(theta) min((1/n) sum_{j in P} |w_j|^2, (1/n) sum_{j in N} |w_j|^2) (1 - tau)`,
/// `P`, `N` from [`lemma14_sets`]. The lemma assumes orthonormal inputs and a balanced `theta`
/// (`a_j = s_j |w_j|`); the check does not verify them (negative controls feed it points that
/// violate them). Lemma 14 writes `S+,1`, `S-,1` (sets defined at initialisation), but its proof
/// only uses that those neurons are active on every label of their sign *at `theta`*
/// (`n |D_j|^2 >= (1/n) sum_{y_k > 0} r_k^2`); with the sets taken at `theta` the statement holds
/// for every balanced `theta`, which is what is checked.
///
/// **Tolerance**: rounding only, `tau` = [`rounding_tolerance`] relative (module docs).
///
/// **lambda**: none; a point, no simulation.
pub fn check_l14(data: &Dataset, theta: &Params) -> Verdict {
    let (n, d, m) = (data.n(), data.d(), theta.m());
    let (p, nn) = lemma14_sets(data, theta);
    let mass = |set: &[usize]| set.iter().map(|&j| sq(&theta.w[j])).sum::<f64>() / n as f64;
    let (mp, mn) = (mass(&p), mass(&nn));
    let l = loss(data, theta);
    let g = grad_norm_sq(data, theta);
    let tau = rounding_tolerance(n, d, m);
    let rhs = 2.0 * l * mp.min(mn);
    Verdict::at_least(
        ClaimId::L14,
        g,
        rhs * (1.0 - tau),
        format!(
            "Lemma 14 (n = {n}, d = {d}, m = {m}, |P| = {}, |N| = {}): |grad L|^2 = {g:.6e} >= \
             2 L min((1/n) sum_P |w_j|^2, (1/n) sum_N |w_j|^2) = 2 * {l:.4e} * min({mp:.4e}, {mn:.4e}) = {rhs:.6e} \
             (relative rounding allowance tau = {tau:.1e}; ratio = {:.6})",
            p.len(),
            nn.len(),
            if rhs > 0.0 { g / rhs } else { f64::INFINITY }
        ),
    )
}

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

/// The neighbourhood radius of claim L15 around `theta*`: `rho = (1/4) min_side y_min,side / sqrt(|v_side|)`
/// (`v_side` = [`theory::v_plus`], [`theory::v_minus`]; `|v+| = n|D+|` for orthonormal inputs),
/// for the perturbations `w_j = w*_j + delta_j`, `sum_j |delta_j|^2 <= rho^2`, `a_j = s*_j |w_j|`
/// (balanced, signs of `theta*`; `|theta - theta*| <= sqrt(2) rho`). `None` if the closed forms
/// do not apply (non-orthogonal inputs, a missing label sign).
///
/// Derivation (Lemma 15's proof, made explicit): an `s = +1` neuron of `theta*` with mass
/// `mu_j = |w*_j|^2` has `<w*_j, x_k> = sqrt(mu_j) y_k / |v+|` on positive labels, so it stays
/// active on all of them if `|delta_j| < sqrt(mu_j) c`, `c = y_min / |v+|`. The neurons that may
/// drop out of `P` thus carry mass at most `rho^2 / c^2 = kappa^2 |v+|` with `rho = kappa c sqrt(|v+|)`;
/// by the triangle inequality on the stacked kept neurons,
/// `sum_P |w_j|^2 >= (sqrt((1 - kappa^2)|v+|) - rho)^2 >= |v+| (sqrt(1 - kappa^2) - kappa)^2`
/// (as `c <= 1`), which is `>= |v+|/2 = n|D+|/2` for `kappa = 1/4` (`0.718 >= 0.707`). The same on
/// the `-` side, and Lemma 14 gives `|grad L|^2 >= 2 L min(|D+|, |D-|)/2`.
pub fn l15_radius(data: &Dataset) -> Option<f64> {
    let side = |v: Vec<f64>, positive: bool| -> Option<f64> {
        let nv = sq(&v).sqrt();
        let y_min = (0..data.n())
            .filter(|&k| if positive { data.y()[k] > 0.0 } else { data.y()[k] < 0.0 })
            .map(|k| data.y()[k].abs() / sq(data.x(k)).sqrt())
            .fold(f64::INFINITY, f64::min);
        (nv > 0.0 && y_min.is_finite()).then(|| 0.25 * y_min / nv.sqrt())
    };
    let p = side(theory::v_plus(data).ok()?, true)?;
    let q = side(theory::v_minus(data).ok()?, false)?;
    Some(p.min(q))
}

/// A point of claim L15: `theta*` of width `m` with random shares (neurons `0..k+` on the `+` side,
/// the next `k-` on the `-` side, the rest zero), plus a balanced perturbation of norm
/// `fraction * rho` (`rho` = [`l15_radius`]) in a random direction, `a_j = s_j |w_j|` with the signs
/// of `theta*` (random signs for the zero neurons). Returns `None` if `theta*` does not exist
/// (see [`theory::theta_star`]) or `m < 2`.
pub fn l15_point(data: &Dataset, m: usize, fraction: f64, seed: u64) -> Option<Params> {
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
    Some(theta)
}

/// `theta*` of width `m >= 2` with random shares: `k+ >= 1` neurons on the `+` side and `k- >= 1`
/// on the `-` side (disjoint, in a random order), shares uniform in `[0.05, 1]`, other neurons zero.
fn random_theta_star(data: &Dataset, m: usize, rng: &mut ChaCha8Rng) -> Option<Params> {
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

/// Claim L15 (Lemma 15 / Lemma 5) at one balanced point near `theta*`.
///
/// **Finite statement checked**: `|grad L(theta)|^2 / L(theta) >= min(|D+|, |D-|) (1 - tau)` at
/// `theta`; vacuous (holds) if `L(theta) = 0`. The points come from [`l15_point`]: balanced,
/// within the explicit radius [`l15_radius`] of a minimum-norm interpolator `theta*` (Lemma 15's
/// "B(theta_t3, lambda^(eps'/8))" is a ball around the end of phase 3, which Lemma 12 puts within
/// `lambda^(eps/31)` of `theta*`; the radius here is the one for which the lemma's proof goes
/// through around `theta*` itself, derived in [`l15_radius`]). `min(|D+|, |D-|)` is `|D-|` when
/// `r > 1` (Lemma 5's statement).
///
/// **Tolerance**: rounding only, `tau` = [`rounding_tolerance`] (the bound is Lemma 14's with
/// `(1/n) sum_P |w_j|^2 >= |D+|/2`, so it inherits Lemma 14's exactness; the loss and the gradient
/// are computed from the same residuals, so the cancellation in `h - y` near `theta*` does not
/// enter).
///
/// **lambda**: none; a point, no simulation.
pub fn check_l15(data: &Dataset, theta: &Params) -> Verdict {
    let (n, d, m) = (data.n(), data.d(), theta.m());
    let (dp, dm) = (theory::d_plus_norm(data), theory::d_minus_norm(data));
    let bound = dp.min(dm);
    let tau = rounding_tolerance(n, d, m);
    let l = loss(data, theta);
    let g = grad_norm_sq(data, theta);
    let ratio = if l > 0.0 { g / l } else { f64::INFINITY };
    Verdict::at_least(
        ClaimId::L15,
        ratio,
        bound * (1.0 - tau),
        format!(
            "Lemma 15 (n = {n}, d = {d}, m = {m}): |grad L|^2 / L = {g:.4e} / {l:.4e} = {ratio:.6} >= \
             min(|D+|, |D-|) = min({dp:.4}, {dm:.4}) = {bound:.6} (relative rounding allowance tau = {tau:.1e})"
        ),
    )
}

/// Claim P1, minimiser part: `theta` (meant to be a `theta*` of [`theory::theta_star`]) interpolates
/// and has `|theta|^2` equal to `claimed_min` (normally [`theory::min_norm_sq`]).
///
/// **Finite statement checked**: `max(max_k |h(x_k) - y_k| / max_k |y_k|, ||theta|^2 / claimed_min - 1|) <= tau`.
///
/// **Tolerance**: rounding only, `tau` = [`rounding_tolerance`] (`theta*`'s entries are a few
/// operations each; `h` and `|theta|^2` are sums of at most `m (d + 1)` products).
///
/// **lambda**: none.
pub fn check_p1_minimiser(data: &Dataset, theta: &Params, claimed_min: f64) -> Verdict {
    let (n, d, m) = (data.n(), data.d(), theta.m());
    let tau = rounding_tolerance(n, d, m);
    let r = residuals(data, theta);
    let y_max = data.y().iter().fold(0.0f64, |a, y| a.max(y.abs()));
    let fit = r.iter().fold(0.0f64, |a, v| a.max(v.abs())) / y_max;
    let norm_sq = theta.norm_sq();
    let gap = (norm_sq / claimed_min - 1.0).abs();
    let measured = fit.max(gap);
    Verdict::at_most(
        ClaimId::P1,
        measured,
        tau,
        format!(
            "Proposition 1, minimiser (n = {n}, d = {d}, m = {m}): relative fit error max|h - y|/max|y| = {fit:.2e} \
             and relative norm gap ||theta|^2 / {claimed_min:.6} - 1| = {gap:.2e} (|theta|^2 = {norm_sq:.6}) \
             are both <= tau = {tau:.1e} (rounding)"
        ),
    )
}

/// The slack `2 sqrt(2) sqrt(sum_k (e_k / |x_k|)^2)` by which an approximate interpolator with
/// residuals `e_k = h(x_k) - y_k` may undercut the minimum norm for the labels `y`.
///
/// Derivation: on orthogonal inputs `theta` interpolates the labels `h(x_k)` exactly, so
/// `|theta|^2 >= f(h)` with `f(y) = 2|P(y')| + 2|N(y')|`, `y'_k = y_k/|x_k|`, `P`/`N` the positive /
/// negative parts (Proposition 1); `P` and `N` are 1-Lipschitz and split each coordinate's change,
/// so `|f(h) - f(y)| <= 2(|dP| + |dN|) <= 2 sqrt(2) |e'|`.
pub fn fit_slack(data: &Dataset, theta: &Params) -> f64 {
    let r = residuals(data, theta);
    let s: f64 = (0..data.n()).map(|k| r[k] * r[k] / sq(data.x(k))).sum();
    2.0 * std::f64::consts::SQRT_2 * s.sqrt()
}

/// Claim P1, lower-bound part: an interpolator `theta` has `|theta|^2 >= claimed_min` (normally
/// [`theory::min_norm_sq`]).
///
/// **Finite statement checked**: `|theta|^2 >= claimed_min (1 - tau) - slack`, `slack` =
/// [`fit_slack`] (exact consequence of Proposition 1 for a `theta` that interpolates only up to
/// residuals `e_k`; 0 for an exact interpolator, about `1e-15` for the built ones).
///
/// **Tolerance**: rounding `tau` = [`rounding_tolerance`] plus the derived `slack`; nothing tuned.
///
/// **lambda**: none.
pub fn check_p1_lower_bound(data: &Dataset, theta: &Params, claimed_min: f64) -> Verdict {
    let (n, d, m) = (data.n(), data.d(), theta.m());
    let tau = rounding_tolerance(n, d, m);
    let slack = fit_slack(data, theta);
    let norm_sq = theta.norm_sq();
    Verdict::at_least(
        ClaimId::P1,
        norm_sq,
        claimed_min * (1.0 - tau) - slack,
        format!(
            "Proposition 1, lower bound (n = {n}, d = {d}, m = {m}): |theta|^2 = {norm_sq:.8} >= min_(L=0) |theta|^2 = \
             {claimed_min:.8} (relative excess {:.3e}; fit slack {slack:.1e}, rounding tau = {tau:.1e})",
            norm_sq / claimed_min - 1.0
        ),
    )
}

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
/// not unit-norm: Proposition 1's extension, see [`theory::min_norm_sq`]).
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

/// The instance of claim `id` (L14, L15 or P1) drawn from `seed` for `reluflow verify`: the
/// data of `InstanceShape::default().sample(seed)` (Assumptions 1-2); for P1 with an odd seed the
/// inputs are rescaled by [`rescaled_inputs`] (orthogonal, not unit-norm).
pub fn instance(id: ClaimId, seed: u64) -> Result<Instance, Outcome> {
    let Some(instance) = InstanceShape::default().sample(seed) else {
        return Err(Outcome::Skipped { claim: id, reason: format!("no instance drawn from seed {seed}") });
    };
    if id == ClaimId::P1 && seed % 2 == 1 {
        let data = rescaled_inputs(&instance.data, seeds::rng(seed, Stream::ParameterPoints).random());
        return Ok(Instance { data, ..instance });
    }
    Ok(instance)
}

/// Checks claim `id` (L14, L15 or P1) on the data of `instance`, at parameter points drawn from
/// the stream [`Stream::ParameterPoints`] of the instance's seed:
/// - L14: 32 points of [`balanced_point`] of width 1..=8; the verdict with the smallest ratio
///   `|grad L|^2 / bound` among those with a positive bound.
/// - L15: 16 points of [`l15_point`] with `fraction = 2^-k`, `k` in `0..=20`; the worst verdict.
/// - P1: [`check_p1_minimiser`] on a random `theta*` and [`check_p1_lower_bound`] on one
///   interpolator of each [`InterpolatorKind`]; the worst verdict.
pub fn check(id: ClaimId, instance: &Instance) -> Outcome {
    let data = instance.data.clone();
    let mut rng = seeds::rng(instance.init.seed, Stream::ParameterPoints);
    let mut worst: Option<Verdict> = None;
    let mut keep = |v: Verdict| {
        worst = Some(match worst.take() {
            Some(w) => w.worst(v),
            None => v,
        })
    };
    match id {
        ClaimId::L14 => {
            // the worst point by ratio |grad L|^2 / bound among those with a positive bound (about
            // half of them); a point with bound 0 holds trivially and is kept only if no other is
            let mut trivial = None;
            let mut tightest: Option<Verdict> = None;
            for _ in 0..32 {
                let m = rng.random_range(1..=8);
                let v = check_l14(&data, &balanced_point(&data, m, rng.random()));
                if v.bound() > 0.0 || !v.holds() {
                    let ratio = |v: &Verdict| if v.holds() { v.measured() / v.bound() } else { f64::NEG_INFINITY };
                    if tightest.as_ref().is_none_or(|t| ratio(&v) < ratio(t)) {
                        tightest = Some(v);
                    }
                } else {
                    trivial = Some(v);
                }
            }
            if let Some(v) = tightest.or(trivial) {
                keep(v);
            }
        }
        ClaimId::L15 => {
            for _ in 0..16 {
                let m = rng.random_range(2..=8);
                let fraction = 2f64.powi(-rng.random_range(0..=20));
                match l15_point(&data, m, fraction, rng.random()) {
                    Some(theta) => keep(check_l15(&data, &theta)),
                    None => return Outcome::Skipped { claim: id, reason: "theta* does not exist".into() },
                }
            }
        }
        ClaimId::P1 => {
            let Some(min) = theory::min_norm_sq(&data) else {
                return Outcome::Skipped { claim: id, reason: "inputs not orthogonal".into() };
            };
            let m = rng.random_range(2..=8);
            match random_interpolator(&data, InterpolatorKind::SplitShares, m, rng.random()) {
                Some(t) => keep(check_p1_minimiser(&data, &t, min)),
                None => return Outcome::Skipped { claim: id, reason: "theta* does not exist".into() },
            }
            for kind in InterpolatorKind::ALL {
                let m = rng.random_range(data.n().max(2)..=data.n() + 6);
                if let Some(t) = random_interpolator(&data, kind, m, rng.random()) {
                    keep(check_p1_lower_bound(&data, &t, min));
                }
            }
        }
        other => {
            return Outcome::Skipped { claim: other, reason: "not a landscape claim (L14, L15, P1)".into() };
        }
    }
    match worst {
        Some(v) => Outcome::Checked(v),
        None => Outcome::Skipped { claim: id, reason: "no point built".into() },
    }
}

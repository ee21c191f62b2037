//! Claim checks: the loss landscape at a parameter point, no simulation (claims L14, L15, P1).
//!
//! - L14 (Lemma 14): on balanced points, `|grad L|^2 >= 2 L min((1/n) sum_P |w_j|^2, (1/n) sum_N |w_j|^2)`
//!   ([`check_l14`]).
//! - L15 (Lemma 15 / Lemma 5): on balanced points near a minimum-norm interpolator `theta*`,
//!   `|grad L|^2 / L >= min(|D+|, |D-|)` ([`check_l15`], neighbourhood radius [`l15_radius`]).
//! - P1 (Proposition 1): the constructed `theta*` interpolates (`h` evaluated at the inputs) and
//!   its `sum_j a_j^2 + |w_j|^2` equals the minimum computed from the labels alone
//!   ([`p1_min_norm_sq`], [`check_p1_minimiser`]); no interpolator has a smaller norm
//!   ([`check_p1_lower_bound`]).
//!
//! The evidence is parameter points (no simulation), built from integer seeds (so proptest can
//! shrink them) by the builders of the submodules `points` ([`balanced_point`], [`l15_point`]) and
//! `interpolators` ([`random_interpolator`]), re-exported here; the judges (`check_*`) take a
//! dataset and a point as data. [`instance`] draws the data for `reluflow verify`, [`check`] the
//! points.
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

mod interpolators;
mod points;

pub use interpolators::{InterpolatorKind, random_interpolator, rescaled_inputs};
pub use points::{NeuronMode, balanced_point, l15_point, l15_point_and_centre};

use super::{ClaimId, Outcome, Verdict};
use crate::Instance;
use crate::data::Dataset;
use crate::generators::InstanceShape;
use crate::network::Model;
use crate::numerics::{dot, norm_sq as sq};
use crate::params::Params;
use crate::seeds::{self, Stream};
use crate::theory;
use rand::RngExt;

/// Unit roundoff of `f64`, `2^-53`.
const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;

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
/// `<w_j, x_k> > 0` for every `k` with `y_k < 0`. "Active" is strict, as `relu'(0) = 0`; a zero
/// label belongs to neither side, and a neuron with `a_j = 0` to neither set
/// (`tests/claims_landscape.rs` pins each of these boundaries).
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
/// **Vacuous** when the bound is 0 (`P` or `N` carries no mass, or `L(theta) = 0`): then
/// `|grad L|^2 >= 0` cannot fail ([`Verdict::vacuous_if`]).
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
    .vacuous_if(rhs == 0.0, "the bound is 0 (P or N carries no mass, or L = 0)")
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

/// Claim L15 (Lemma 15 / Lemma 5) at one balanced point near `theta*`.
///
/// **Finite statement checked**: `|grad L(theta)|^2 / L(theta) >= min(|D+|, |D-|) (1 - tau)` at
/// `theta`. **Vacuous** if `L(theta) = 0` (`theta` interpolates: the ratio is `+inf` and
/// `|grad L|^2 >= c L = 0` cannot fail; marked with [`Verdict::vacuous_if`]). The points come from [`l15_point`]: balanced,
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
    .vacuous_if(l == 0.0, "L(theta) = 0")
}

/// Proposition 1's minimum `min_{L(theta)=0} |theta|^2`, computed from the labels and the input
/// norms alone (no `v+`, `v-`, no parameter point): for orthogonal inputs,
///
/// `2 sqrt(sum_{y_k>0} (y_k/|x_k|)^2) + 2 sqrt(sum_{y_k<0} (y_k/|x_k|)^2)`,
///
/// which for orthonormal inputs is the paper's `2 sqrt(sum_{y>0} y^2) + 2 sqrt(sum_{y<0} y^2)`
/// (`= 2n(|D+| + |D-|)`).
///
/// Derivation of the form for orthogonal inputs that are not unit-norm: write `x_k = |x_k| u_k`
/// with `u_k` orthonormal. ReLU is positively 1-homogeneous, so `h_theta(x_k) = |x_k| h_theta(u_k)`:
/// `theta` interpolates `(x_k, y_k)` iff it interpolates `(u_k, y_k/|x_k|)`, where Proposition 1
/// applies with the labels `y_k/|x_k|`. The orthogonality of the inputs is a premise (the
/// requirement [`crate::claims::Requirement::OrthogonalInputs`]), not tested here: on other
/// inputs the formula is still computed, and the negative controls show the checks then fail.
/// An input `x_k = 0` with `y_k != 0` gives `+inf` (no interpolator exists).
pub fn p1_min_norm_sq(data: &Dataset) -> f64 {
    let side = |positive: bool| {
        (0..data.n())
            .filter(|&k| if positive { data.y()[k] > 0.0 } else { data.y()[k] < 0.0 })
            .map(|k| data.y()[k] * data.y()[k] / sq(data.x(k)))
            .sum::<f64>()
            .sqrt()
    };
    2.0 * side(true) + 2.0 * side(false)
}

/// Claim P1, minimiser part: the constructed minimiser `theta` (a `theta*` of
/// [`theory::theta_star`]) interpolates, and its norm is Proposition 1's minimum.
///
/// **Finite statement checked**, two parts ([`Verdict::all`]), each measured on `theta` itself:
/// (i) interpolation, by evaluating `h_theta` at the inputs: `max_k |h(x_k) - y_k| / max_k |y_k|
/// <= tau`; (ii) norm, from `theta`'s own parameters: `|sum_j (a_j^2 + |w_j|^2) / M - 1| <= tau`,
/// `M` = [`p1_min_norm_sq`] computed from the labels and input norms alone. Neither part uses
/// `v+`, `v-` or [`theory::min_norm_sq`], from which `theta*` is built, so a wrong construction
/// (a direction, a mass, a sign) fails one of them.
///
/// **Tolerance**: rounding only, `tau` = [`rounding_tolerance`] (`theta*`'s entries are a few
/// operations each; `h` and `|theta|^2` are sums of at most `m (d + 1)` products, `M` of `n`).
///
/// **lambda**: none.
pub fn check_p1_minimiser(data: &Dataset, theta: &Params) -> Verdict {
    let (n, d, m) = (data.n(), data.d(), theta.m());
    let tau = rounding_tolerance(n, d, m);
    let r = residuals(data, theta);
    let y_max = data.y().iter().fold(0.0f64, |a, y| a.max(y.abs()));
    let fit = r.iter().fold(0.0f64, |a, v| a.max(v.abs())) / y_max;
    let norm_sq: f64 = sq(&theta.a) + theta.w.iter().map(|w| sq(w)).sum::<f64>();
    let min = p1_min_norm_sq(data);
    let gap = (norm_sq / min - 1.0).abs();
    let interpolation = Verdict::at_most(
        ClaimId::P1,
        fit,
        tau,
        format!("interpolation: max_k |h(x_k) - y_k| / max_k |y_k| = {fit:.2e} <= tau = {tau:.1e}"),
    );
    let norm = Verdict::at_most(
        ClaimId::P1,
        gap,
        tau,
        format!(
            "norm: |sum_j a_j^2 + |w_j|^2 = {norm_sq:.8} / (2 sqrt(sum_(y>0) (y_k/|x_k|)^2) + \
             2 sqrt(sum_(y<0) (y_k/|x_k|)^2) = {min:.8}) - 1| = {gap:.2e} <= tau = {tau:.1e}"
        ),
    );
    Verdict::all(ClaimId::P1, [interpolation, norm])
        .with_context(format!("Proposition 1, minimiser (n = {n}, d = {d}, m = {m})"))
}

/// The slack `2 sqrt(2) sqrt(sum_k (e_k / |x_k|)^2)` by which an approximate interpolator with
/// residuals `e_k = h(x_k) - y_k` may undercut the minimum norm for the labels `y`.
///
/// Derivation: on orthogonal inputs `theta` interpolates the labels `h(x_k)` exactly, so
/// `|theta|^2 >= f(h)` with `f(y) = 2|P(y')| + 2|N(y')|`, `y'_k = y_k/|x_k|`, `P`/`N` the positive /
/// negative parts (Proposition 1); `P` and `N` are 1-Lipschitz and split each coordinate's change,
/// so `|f(h) - f(y)| <= 2(|dP| + |dN|) <= 2 sqrt(2) |e'|`.
///
/// Tight: `t theta*` (`t < 1`) has `h = t^2 y`, `|e'| = (1 - t^2)|y'|`, and undercuts the
/// minimum by `(1 - t^2) f(y)`, which is the slack times `(|y'+| + |y'-|) / (sqrt(2) |y'|)`: the
/// whole slack when `|y'+| = |y'-|` (tests/claims_landscape.rs shows it).
pub fn fit_slack(data: &Dataset, theta: &Params) -> f64 {
    let r = residuals(data, theta);
    let s: f64 = (0..data.n()).map(|k| r[k] * r[k] / sq(data.x(k))).sum();
    2.0 * std::f64::consts::SQRT_2 * s.sqrt()
}

/// Claim P1, lower-bound part: an interpolator `theta` has `|theta|^2 >= M`, `M` =
/// [`p1_min_norm_sq`] (Proposition 1's minimum from the labels and input norms).
///
/// **Finite statement checked**: `|theta|^2 >= M (1 - tau) - slack`, `slack` = [`fit_slack`]
/// (exact consequence of Proposition 1 for a `theta` that interpolates only up to residuals
/// `e_k`; 0 for an exact interpolator, about `1e-15` for the built ones).
///
/// **Tolerance**: rounding `tau` = [`rounding_tolerance`] plus the derived `slack`; nothing tuned.
///
/// **lambda**: none.
pub fn check_p1_lower_bound(data: &Dataset, theta: &Params) -> Verdict {
    let (n, d, m) = (data.n(), data.d(), theta.m());
    let tau = rounding_tolerance(n, d, m);
    let slack = fit_slack(data, theta);
    let norm_sq = theta.norm_sq();
    let min = p1_min_norm_sq(data);
    Verdict::at_least(
        ClaimId::P1,
        norm_sq,
        min * (1.0 - tau) - slack,
        format!(
            "Proposition 1, lower bound (n = {n}, d = {d}, m = {m}): |theta|^2 = {norm_sq:.8} >= min_(L=0) |theta|^2 = \
             {min:.8} (relative excess {:.3e}; fit slack {slack:.1e}, rounding tau = {tau:.1e})",
            norm_sq / min - 1.0
        ),
    )
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

/// The worst of verdicts of one statement at several points ([`Verdict::worst`]) among the
/// non-vacuous ones, prefixed with how many points were judged; a vacuous verdict only when
/// every point's is; `None` for no point.
fn worst_point(verdicts: Vec<Verdict>) -> Option<Verdict> {
    let (total, vacuous) = (verdicts.len(), verdicts.iter().filter(|v| v.is_vacuous()).count());
    let (evidence, empty): (Vec<Verdict>, Vec<Verdict>) = verdicts.into_iter().partition(|v| !v.is_vacuous());
    let worst = evidence.into_iter().reduce(Verdict::worst).or_else(|| empty.into_iter().next())?;
    Some(worst.with_context(format!("worst of {total} points ({vacuous} vacuous)")))
}

/// Checks claim `id` (L14, L15 or P1) on the data of `instance`, at parameter points drawn from
/// the stream [`Stream::ParameterPoints`] of the instance's seed:
/// - L14: 32 points of [`balanced_point`] of width 1..=8; the worst non-vacuous verdict (a point
///   with bound 0 is vacuous; [`check_l14`]).
/// - L15: 16 points of [`l15_point`] with `fraction = 2^-k`, `k` in `0..=20`; the worst
///   non-vacuous verdict.
/// - P1: [`check_p1_minimiser`] on a random `theta*` and [`check_p1_lower_bound`] on one
///   interpolator of each [`InterpolatorKind`], all parts combined by [`Verdict::all`].
pub fn check(id: ClaimId, instance: &Instance) -> Outcome {
    let data = &instance.data;
    let mut rng = seeds::rng(instance.init.seed, Stream::ParameterPoints);
    let verdict = match id {
        ClaimId::L14 => worst_point(
            (0..32)
                .map(|_| {
                    let m = rng.random_range(1..=8);
                    check_l14(data, &balanced_point(data, m, rng.random()))
                })
                .collect(),
        ),
        ClaimId::L15 => {
            let mut verdicts = Vec::with_capacity(16);
            for _ in 0..16 {
                let m = rng.random_range(2..=8);
                let fraction = 2f64.powi(-rng.random_range(0..=20));
                match l15_point(data, m, fraction, rng.random()) {
                    Some(theta) => verdicts.push(check_l15(data, &theta)),
                    None => return Outcome::Skipped { claim: id, reason: "theta* does not exist".into() },
                }
            }
            worst_point(verdicts)
        }
        ClaimId::P1 => {
            let m = rng.random_range(2..=8);
            let Some(star) = random_interpolator(data, InterpolatorKind::SplitShares, m, rng.random()) else {
                return Outcome::Skipped { claim: id, reason: "theta* does not exist".into() };
            };
            let mut parts = vec![check_p1_minimiser(data, &star)];
            for kind in InterpolatorKind::ALL {
                let m = rng.random_range(data.n().max(2)..=data.n() + 6);
                if let Some(t) = random_interpolator(data, kind, m, rng.random()) {
                    parts.push(check_p1_lower_bound(data, &t).with_context(format!("{kind:?}")));
                }
            }
            Some(Verdict::all(ClaimId::P1, parts))
        }
        other => {
            return Outcome::Skipped { claim: other, reason: "not a landscape claim (L14, L15, P1)".into() };
        }
    };
    match verdict {
        Some(v) => Outcome::Checked(v),
        None => Outcome::Skipped { claim: id, reason: "no point built".into() },
    }
}

//! What a rung's numbers can resolve, and measures on its records: distances, Lemma 15's PL
//! constant and path-length bound, the per-step resolution of `sqrt(L)`, half-fit times, and
//! the zero-loss part shared by T1, LZ and NO.

use super::{Integrator, Rung, StepRecord};
use crate::claims::{ClaimId, Verdict};
use crate::data::Dataset;
use crate::numerics::dot;
use crate::params::Params;
use crate::theory;

/// `|theta - phi|` in plain units.
pub fn distance(theta: &Params, phi: &Params) -> f64 {
    let a: f64 = theta.a.iter().zip(&phi.a).map(|(x, y)| (x - y) * (x - y)).sum();
    let w: f64 = theta.w.iter().flatten().zip(phi.w.iter().flatten()).map(|(x, y)| (x - y) * (x - y)).sum();
    (a + w).sqrt()
}

/// Lemma 15's PL constant `mu = min(|D+|, |D-|)`.
pub fn pl_constant(data: &Dataset) -> f64 {
    theory::d_plus_norm(data).min(theory::d_minus_norm(data))
}

/// `P = 2 sqrt(L_end / mu)`: the length of the flow's path from a point of loss `L_end` to its
/// limit when the PL inequality `|grad L|^2 >= mu L` of Lemma 15 holds along it
/// (`d sqrt(L)/dt = -|grad L|^2 / (2 sqrt L) <= -(sqrt(mu)/2) |grad L|`; integrate).
pub fn path_length_bound(final_loss: f64, mu: f64) -> f64 {
    2.0 * (final_loss.max(0.0) / mu).sqrt()
}

/// The resolution of `sqrt(L)` over one step that ends at `rec`: how far the computed
/// `sqrt(L_{i+1})` can be above `sqrt(L(Phi_dt theta_i))`, the loss of the exact flow from the
/// computed `theta_i` over the same step.
///
/// `rho = (rtol (1 + rtol) + 2 (d + m + 2) u) sqrt(sum_k |x_k|^2 / (2n)) S`, `S` =
/// [`StepRecord::step_scale_sq`] `= sum_j s_j^2`, `s_j = max(|theta_j(t_i)|, |theta_j(t_{i+1})|)`,
/// `u = 2^-53`; `rtol` of the flow (0 for gradient descent, whose step is the map itself).
///
/// Derivation: `sqrt(2n L) = |h - y|` (Euclidean over the points), so by the triangle
/// inequality `sqrt(L_{i+1}) <= sqrt(L(Phi_dt theta_i)) + |h(theta_{i+1}) - h(Phi_dt theta_i)| / sqrt(2n)`.
/// An accepted step's error estimate is `|e_j| <= rtol s_j` for every neuron
/// ([`crate::solver::flow`]'s error norm, per neuron relative to the larger of its sizes at the
/// two ends; the estimate is taken as the bound on the local error, as in the module docs).
/// For one neuron, `|a' relu(<w', x>) - a relu(<w, x>)| <= |a' - a| |w'| |x| + |a| |w' - w| |x|
/// <= |e_j| |(|w'|, |a|)| |x| <= rtol s_j (s_j + rtol s_j) |x|` (ReLU is 1-Lipschitz; Cauchy-Schwarz;
/// `|a| <= |theta_j(t_{i+1})| + |e_j|`). Summed over `j`, then over the points in `l2`:
/// `|delta h| <= rtol (1 + rtol) S sqrt(sum_k |x_k|^2)`. The rounding of the computed `h_k` (a
/// dot product of length `d`, a sum over `m` neurons, the residual) adds at most
/// `(d + m + 2) u sum_j |a_j| |w_j| |x_k| <= (d + m + 2) u S |x_k|` (`2|a_j||w_j| <= |theta_j|^2`)
/// at either end of the step (`S` covers both ends); the relative rounding of the sum of squares
/// in `L` itself, `(n + 2) u`, is below both and is left out.
pub fn step_loss_resolution(rung: &Rung, rec: &StepRecord) -> f64 {
    let data = &rung.data;
    let rtol = match rung.integrator {
        Integrator::Flow { rtol } => rtol,
        Integrator::Gd { .. } => 0.0,
    };
    let u = f64::EPSILON / 2.0;
    let x_sq: f64 = (0..data.n()).map(|k| dot(data.x(k), data.x(k))).sum();
    let width = rung.initial_params.m() as f64;
    let factor = rtol * (1.0 + rtol) + 2.0 * (data.d() as f64 + width + 2.0) * u;
    factor * (x_sq / (2.0 * data.n() as f64)).sqrt() * rec.step_scale_sq
}

/// First time at which `u` reaches `K/2`, by linear interpolation of the logit `ln(u/(K-u))` (linear
/// in `t` for the logistic law of Lemma 3) between the bracketing steps, with a bound on the
/// interpolation error: the step length times the relative change of the logit's slope across the
/// neighbouring steps (at most one step).
pub fn half_time(steps: &[StepRecord], k: f64, u: impl Fn(&StepRecord) -> f64) -> Option<(f64, f64)> {
    let logit = |v: f64| (v / (k - v)).ln();
    let i = steps.iter().position(|s| u(s) >= k / 2.0)?;
    if i == 0 {
        return Some((steps[0].time, 0.0));
    }
    let (a, b) = (&steps[i - 1], &steps[i]);
    let (la, lb) = (logit(u(a)), logit(u(b)));
    let h = b.time - a.time;
    let t = if lb > la && la.is_finite() { a.time - la / (lb - la) * h } else { b.time };
    let err = match (i.checked_sub(2).map(|j| &steps[j]), steps.get(i + 1)) {
        (Some(p), Some(q)) if u(p) > 0.0 && u(q) < k && la.is_finite() => {
            let s0 = (la - logit(u(p))) / (a.time - p.time);
            let s2 = (logit(u(q)) - lb) / (q.time - b.time);
            let s1 = (lb - la) / h;
            if s1 > 0.0 && s0.is_finite() && s2.is_finite() { h * ((s2 - s0).abs() / s1).min(1.0) } else { h }
        }
        _ => h,
    };
    Some((t, err))
}

/// The largest `t_stop / horizon` over `rungs`: how much of the [`derived_horizon`](super::derived_horizon) the slowest
/// run used ([`zero_loss_part`]).
pub fn latest_stop<'a>(rungs: impl IntoIterator<Item = &'a Rung>) -> f64 {
    rungs.into_iter().map(|r| r.summary.time / r.horizon).fold(0.0, f64::max)
}

/// The zero-loss part of T1, LZ and NO: every run of `rungs` reached `L < until_loss` before its
/// [`derived_horizon`](super::derived_horizon). When they all did, the part is [`latest_stop`] `<= 1`, so that its margin
/// says how much of the horizon was left; when one did not, the part fails (a run that did not
/// converge stops at its horizon, where `t_stop / horizon = 1` would hold with margin 0: the
/// ratio alone cannot fail, convergence decides). The final loss itself says nothing: the stop
/// rule ends every converged run just below `until_loss`, whatever the dynamics. `what` is the
/// statement.
pub fn zero_loss_part<'a>(claim: ClaimId, rungs: impl IntoIterator<Item = &'a Rung> + Clone, what: String) -> Verdict {
    let late = latest_stop(rungs.clone());
    let late_rungs: Vec<String> =
        rungs.into_iter().filter(|r| !r.converged()).map(|r| format!("{:.0e}", r.lambda)).collect();
    if late_rungs.is_empty() {
        Verdict::at_most(claim, late, 1.0, format!("{what}; latest stop at {late:.3} of its horizon"))
    } else {
        Verdict::condition(claim, false, format!("{what}: out of time at lambda = {}", late_rungs.join(", ")))
    }
}

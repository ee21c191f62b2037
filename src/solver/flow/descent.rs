//! The flow as a descent path: the rounding budget of a loss comparison.
//!
//! Along the gradient flow (2), `dL/dt = -|grad L|^2 <= 0`: the loss never rises. A numerical step
//! from `theta_0` to `theta_1` is *admissible* when its computed loss does not rise by more than
//! the rounding of the comparison itself; an inadmissible step is rejected and retried with half
//! the step ([`System::admissible`](super::dopri::System::admissible)), whichever integrator ran it.
//! An explicit integrator on its stability boundary (large `lambda`, the lazy regime) makes the
//! residual oscillate without its error estimate noticing, relative to the neurons' sizes; this is
//! what catches it.
//!
//! ## The budget (derived; standard forward error analysis, Higham, *Accuracy and Stability of
//! Numerical Algorithms*, Section 3.1)
//! With `u = 2^-53` and `gamma_k = k u / (1 - k u)`:
//! - the kernel's residual `r^_k = fl(-y_k + sum_j c_j act(<w^_j, x_k>))` (`c_j = a^_j 4^e_j`, exact)
//!   costs a `d`-term dot product, one product by the leaky slope, one by `c_j` and an
//!   `(m + 1)`-term sum, so `|r^_k - r_k| <= delta_k = gamma_{m+d+2} (|y_k| + s |x_k| sum_j |a_j| |w_j|)`
//!   with `s = max(1, |slope|)` (Cauchy-Schwarz on the dot products), plus `(m + 2) 2^-1074` for
//!   products that underflow;
//! - the loss `L^ = fl(sum_k r^_k^2 / (2n))` is within `gamma_{n+2} (1 + gamma_{n+2}) L^` of the exact
//!   `L(r^)`, and `|L(r^) - L(r)| <= (1/2n) sum_k delta_k (2 |r^_k| + delta_k)`: together the
//!   evaluation error `E = gamma_{n+2} (1 + gamma_{n+2}) L^ + (1/2n) sum_k delta_k (2 |r^_k| + delta_k)`;
//! - storing the new state in `f64` moves each `a_j`, `w_ji` by at most `u` relative, hence (under
//!   fixed classes `h` is bilinear per neuron) each residual by at most
//!   `(2u + u^2) s |x_k| sum_j |a_j| |w_j| <= delta_k` and `L` by at most
//!   `R = (1/2n) sum_k delta_k (2 |r^_k| + 3 delta_k)` (with `|r_k| <= |r^_k| + delta_k`).
//!
//! The reference `(L^_0, E_0)` is the accepted state's. A step cut at an activation event is
//! judged at its full end; the cut state, where the classes change (a `Zero` coordinate leaving
//! its band changes `h` by its contribution inside the band), becomes the next reference with
//! its loss under the new classes.
//!
//! So if the exact flow's endpoint had been stored, the computed losses would satisfy
//! `L^_1 <= L^_0 + E_0 + E_1 + R_1`: a step is admissible iff this holds. The budget is a bound, not
//! an estimate: an exact descent is never rejected, and an accepted step raised the exact loss by
//! at most `2 (E_0 + E_1) + R_1`. In runs that are not stiff no step is rejected for it until the
//! loss reaches the integrator's accuracy floor (`tests/stiff.rs`), so their trajectories up to
//! there are the ones they were without the check; past convergence Dormand-Prince's steps grow to
//! its stability bound and some raise the loss by orders of magnitude: those are rejected.

const U: f64 = f64::EPSILON / 2.0;

/// `gamma_k = k u / (1 - k u)` (`u = 2^-53`).
pub fn gamma(k: usize) -> f64 {
    let ku = k as f64 * U;
    ku / (1.0 - ku)
}

/// The computed loss at an accepted state and its evaluation error `E` (module doc).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Reference {
    pub loss: f64,
    pub eval_error: f64,
}

/// `delta_k` of the module doc, for a network with `sum_j |a_j| |w_j| = weight` (plain units),
/// width `m`, input dimension `d`, leaky slope `slope`, at a point of norm `x_norm` and label `y`.
#[inline]
pub(crate) fn residual_rounding(m: usize, d: usize, slope: f64, weight: f64, x_norm: f64, y: f64) -> f64 {
    let s = slope.abs().max(1.0);
    gamma(m + d + 2) * (y.abs() + s * x_norm * weight) + (m + 2) as f64 * f64::from_bits(1)
}

/// `(E, R)` of the module doc at a state of computed loss `loss`, computed residuals `residuals`
/// and per-point residual roundings `delta` (from [`residual_rounding`]).
pub(crate) fn rounding_terms(loss: f64, residuals: &[f64], delta: impl Fn(usize) -> f64) -> (f64, f64) {
    let n = residuals.len();
    let (mut eval, mut store) = (0.0, 0.0);
    for (k, r) in residuals.iter().enumerate() {
        let dk = delta(k);
        eval += dk * (2.0 * r.abs() + dk);
        store += dk * (2.0 * r.abs() + 3.0 * dk);
    }
    let g = gamma(n + 2);
    let inv = 1.0 / (2.0 * n.max(1) as f64);
    (g * (1.0 + g) * loss + eval * inv, store * inv)
}

/// Whether a step from the accepted state `reference` to a state of computed loss `loss_1`,
/// evaluation error `e_1` and storage term `r_1` is admissible: `L^_1 <= L^_0 + E_0 + E_1 + R_1`.
#[inline]
pub(crate) fn admissible(reference: Reference, loss_1: f64, e_1: f64, r_1: f64) -> bool {
    // a NaN loss is left to the error control and the divergence checks
    !(loss_1 > reference.loss + (reference.eval_error + e_1 + r_1))
}

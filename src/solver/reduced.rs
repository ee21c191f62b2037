//! The fast path for orthogonal inputs: the dynamics in the coordinates `p_jk = <w_j, x_k>`.
//!
//! For pairwise orthogonal inputs (`X X^T = diag(s)`, rows of `X` the inputs, `s_k = |x_k|^2`;
//! Assumption 1 is `s = 1`, the Section 5 toy has `s = (1.25, 5)`), eq. (3) gives
//! `dw_j/dt = a_j D_j` with `D_j` in `span(x_1..x_n)`: the component
//! `w_perp_j = w_j - sum_k p_jk x_k / s_k` of `w_j` orthogonal to the data never moves, and
//! `(a_j, p_j = X w_j)` evolves on its own (the paper's eq. (11), with the sign of `a_j` kept):
//!
//! - `h(x_k) = sum_j a_j act(p_jk)`, `r_k = h(x_k) - y_k`;
//! - `da_j/dt = -(1/n) sum_k r_k act(p_jk)`;
//! - `dp_jk/dt = -(1/n) a_j r_k act'(p_jk) s_k`;
//! - `|w_j|^2 = sum_k p_jk^2 / s_k + |w_perp_j|^2` (every size, norm and band below).
//!
//! For orthonormal inputs `s_k` is taken as exactly `1.0` (Assumption 1 integrated exactly), so
//! the factors `s_k` and `1 / s_k` change no bit there.
//!
//! The state has `m (n + 1)` numbers instead of `m (d + 1)`, and a gradient evaluation costs
//! `O(m n)` instead of `O(m n d)`. [`reduce`] checks orthogonality (off-diagonal cosines to
//! [`ORTHONORMAL_TOL`], as [`AssumptionReport::orthogonal`](crate::data::AssumptionReport)) and
//! splits `theta` into the reduced state and the frozen `w_perp`; [`Reduced::lift`] rebuilds full
//! parameters `w_j = sum_k p_jk x_k / s_k + w_perp_j`.
//! [`run_gd_reduced`] and [`run_flow_reduced`] take and return what [`run_gd`](super::gd::run_gd)
//! and [`run_flow`](super::flow::run_flow) do (same [`StopRule`](super::StopRule), [`Observer`] views
//! of the lifted parameters, [`Run`]), and are held to them by `tests/reduced.rs`.
//!
//! What this path makes true by construction (`w_perp` frozen, an inactive coordinate frozen:
//! claims L1 and L6) must be checked on the full simulator, never here.
//!
//! ## Faithfulness to the full path
//! - Per-neuron binary exponents as in [`ScaledParams`]: neuron `j` is `2^e_j (a_hat_j, p_hat_j)`;
//!   `w_perp_j` is kept at its initial exponent. A neuron is rescaled (exactly, by a power of two)
//!   when the norm of its full block `|(a_hat_j, w_hat_j)|` (with `|w_hat|^2 = |p_hat|^2 + |w_perp_hat|^2`)
//!   leaves `[2^-64, 2^64]`. The full path decides on the largest entry instead; either rule changes
//!   no value.
//! - The flow uses the same [`Dopri5`], the same activation classes, event rules, `ZERO_BAND`,
//!   `VELOCITY_ZERO` and the same per-neuron error norm (the size of a neuron includes `w_perp`),
//!   so on the same instance it takes the same steps as the full path up to rounding, as long as
//!   the full path resolves every coordinate (below).
//! - Gradient descent fuses the update of a neuron with its contribution to the next residuals:
//!   one sweep over the state per step. It counts one gradient evaluation per step taken (the full
//!   path also counts the gradient it computes at a state where it then stops on `until_loss`).
//!   Its [`View`]s carry the classes by the sign of `p_hat` (`Some`), exact, where the full path
//!   leaves `None` and a recorder recomputes them from `<w_j, x_k>`.
//!
//! ## Where the two paths part
//! This path integrates Assumption 1 exactly (`X X^T = I`); the full path integrates the stored
//! inputs, whose Gram matrix is the identity only to `~1e-17`, and reads `<w_j, x_k>` to about
//! `1e-16 |w_j|`. A coordinate frozen while its neuron grows by more than `1e16` (any run with
//! `lambda < ~1e-16`) is then below the full path's resolution: its sign there is rounding, the
//! full flow records spurious `Negative -> Zero` events and full gradient descent can reactivate
//! it, which this path never does (its frozen `p_jk` stays exactly where it froze). `tests/reduced.rs`
//! counts these cases and compares the paths everywhere else.

use super::flow::dopri::{Dopri5, DopriError, System, Tolerances};
use super::flow::{FlowConfig, VELOCITY_ZERO, ZERO_BAND};
use super::gd::GdConfig;
use super::{DivergenceBounds, Observer, Run, RunSummary, SimulationError, StopReason, View};
use crate::data::{Dataset, ORTHONORMAL_TOL};
use crate::network::{Class, ValidModel, dot};
use crate::params::{ScaledParams, exponent_of, ldexp};
use std::ops::Range;
use thiserror::Error;

/// Squared norms of a neuron's full mantissa block outside this range trigger an exact rescaling.
const BLOCK_SQ_RANGE: (f64, f64) = (2.938_735_877_055_719e-39, 3.402_823_669_209_385e38); // (2^-128, 2^128)

/// Why the reduced path cannot represent a problem.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ReducedError {
    /// The inputs are not pairwise orthogonal: the component of `w_j` orthogonal to the data would
    /// not be frozen, and the `p_jk` would not evolve on their own.
    #[error(
        "the reduced (orthogonal-input) fast path needs pairwise orthogonal inputs (Assumption 1 up to the norms): max |<x_k, x_l>| / (|x_k| |x_l|) = {max_offdiag_cosine:.3e} at (k, l) = ({}, {}) exceeds the tolerance {tolerance:e}; run the full simulator (run_gd / run_flow) on these inputs",
        pair.0,
        pair.1
    )]
    NotOrthogonal { max_offdiag_cosine: f64, pair: (usize, usize), tolerance: f64 },
    /// The data and the parameters disagree on the input dimension.
    #[error("the parameters have input dimension {params} but the data has d = {data}")]
    DimensionMismatch { params: usize, data: usize },
    /// An input of zero (or unrepresentable) squared norm: `p_jk / |x_k|^2` is undefined.
    #[error(
        "the reduced fast path needs nonzero inputs with a finite, invertible |x_k|^2: |x_{point}|^2 = {norm_sq:e}; run the full simulator (run_gd / run_flow) on these inputs"
    )]
    DegenerateInput { point: usize, norm_sq: f64 },
}

impl From<ReducedError> for SimulationError {
    fn from(e: ReducedError) -> Self {
        match e {
            ReducedError::DimensionMismatch { params, data } => SimulationError::DimensionMismatch { params, data },
            other => SimulationError::Config(other.to_string()),
        }
    }
}

/// Parameters in reduced coordinates: neuron `j` is `2^exponent[j] * (a_hat_j, p_hat_j)` with
/// `p_hat_j = X w_hat_j` in `R^n`, plus the frozen `w_perp_j`.
///
/// ```
/// use reluflow::data::generate::random_orthonormal;
/// use reluflow::init::{InitKind, InitSpec};
/// use reluflow::solver::reduced::reduce;
/// let data = random_orthonormal(3, 5, &Default::default(), 1).unwrap();
/// let theta = InitSpec { kind: InitKind::Balanced, width: 4, lambda: 1e-300, seed: 2 }
///     .validate().unwrap().draw(5).params;
/// let reduced = reduce(&data, &theta).unwrap();
/// assert_eq!((reduced.m(), reduced.n()), (4, 3));
/// let back = reduced.lift();
/// for j in 0..4 {
///     let rel = (back.ln_norm_w(j) - theta.ln_norm_w(j)).abs();
///     assert!(rel < 1e-14);
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Reduced {
    n: usize,
    d: usize,
    m: usize,
    /// Blocks `[a_hat_j, p_hat_j (n values)]`.
    state: Vec<f64>,
    exponent: Vec<i32>,
    /// `w_perp_j` mantissas (`m x d`), neuron `j` at scale `2^perp_exponent[j]`.
    perp: Vec<f64>,
    perp_exponent: Vec<i32>,
    /// `|perp_j|^2` in the units of `perp_exponent[j]`.
    perp_sq: Vec<f64>,
    /// The inputs, row-major `n x d` (for [`Reduced::lift`]).
    x: Vec<f64>,
    /// `s_k = |x_k|^2`, exactly `1.0` for orthonormal inputs (Assumption 1 integrated exactly).
    sq: Vec<f64>,
    /// `1 / s_k`: the weights of `|w_j|^2 = sum_k p_jk^2 / s_k + |w_perp_j|^2`.
    inv_sq: Vec<f64>,
}

/// Splits `theta` into reduced coordinates on `data`, after checking that the inputs are pairwise
/// orthogonal (every `|<x_k, x_l>| / (|x_k| |x_l|) <= ORTHONORMAL_TOL`, `k != l`; norms free).
pub fn reduce(data: &Dataset, theta: &ScaledParams) -> Result<Reduced, ReducedError> {
    if theta.d() != data.d() {
        return Err(ReducedError::DimensionMismatch { params: theta.d(), data: data.d() });
    }
    let report = data.assumptions();
    if !report.orthogonal {
        return Err(ReducedError::NotOrthogonal {
            max_offdiag_cosine: report.max_offdiag_cosine,
            pair: report.worst_offdiag_pair.unwrap_or((0, 0)),
            tolerance: ORTHONORMAL_TOL,
        });
    }
    let (n, d, m) = (data.n(), data.d(), theta.m());
    // orthonormal inputs: s_k = 1 exactly, so that every product and quotient by it is exact
    let sq: Vec<f64> = (0..n).map(|k| if report.orthonormal { 1.0 } else { dot(data.x(k), data.x(k)) }).collect();
    if let Some(k) = sq.iter().position(|&s| !(s > 0.0 && s.is_finite() && (1.0 / s).is_finite())) {
        return Err(ReducedError::DegenerateInput { point: k, norm_sq: sq[k] });
    }
    let inv_sq: Vec<f64> = sq.iter().map(|s| 1.0 / s).collect();
    let mut state = Vec::with_capacity(m * (n + 1));
    let mut perp = Vec::with_capacity(m * d);
    let mut perp_sq = Vec::with_capacity(m);
    for j in 0..m {
        let w = theta.w_hat(j);
        state.push(theta.a_hat(j));
        let p_start = state.len();
        // the same `dot` as the full kernel's pre-activations: the initial classes agree bit for bit
        state.extend((0..n).map(|k| dot(w, data.x(k))));
        let base = perp.len();
        perp.extend_from_slice(w);
        for k in 0..n {
            let pk = state[p_start + k] / sq[k];
            for (v, xv) in perp[base..].iter_mut().zip(data.x(k)) {
                *v -= pk * xv;
            }
        }
        perp_sq.push(perp[base..].iter().map(|v| v * v).sum());
    }
    Ok(Reduced {
        n,
        d,
        m,
        state,
        exponent: theta.exponent.clone(),
        perp,
        perp_exponent: theta.exponent.clone(),
        perp_sq,
        x: data.x_flat().to_vec(),
        sq,
        inv_sq,
    })
}

impl Reduced {
    /// Width `m`.
    pub fn m(&self) -> usize {
        self.m
    }
    /// Number of points `n`.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Input dimension `d`.
    pub fn d(&self) -> usize {
        self.d
    }
    /// The blocks `[a_hat_j, p_hat_j]`, contiguous.
    pub fn state(&self) -> &[f64] {
        &self.state
    }
    /// Mantissa of `a_j`.
    pub fn a_hat(&self, j: usize) -> f64 {
        self.state[j * (self.n + 1)]
    }
    /// Mantissa of `p_j = X w_j` (`p_jk = <w_j, x_k>`).
    pub fn p_hat(&self, j: usize) -> &[f64] {
        &self.state[j * (self.n + 1) + 1..(j + 1) * (self.n + 1)]
    }
    /// Binary exponent of neuron `j`.
    pub fn exponent(&self, j: usize) -> i32 {
        self.exponent[j]
    }
    /// `w_perp_j` in plain units is `2^perp_exponent(j) * perp_hat(j)`.
    pub fn perp_hat(&self, j: usize) -> &[f64] {
        &self.perp[j * self.d..(j + 1) * self.d]
    }
    /// Binary exponent of `perp_hat(j)`.
    pub fn perp_exponent(&self, j: usize) -> i32 {
        self.perp_exponent[j]
    }
    /// `|w_perp_j|^2` in the mantissa units of neuron `j` (`4^-exponent(j)` times plain units).
    pub fn perp_norm_sq_hat(&self, j: usize) -> f64 {
        perp_sq_in(self.perp_sq[j], self.perp_exponent[j], self.exponent[j])
    }
    /// `s_k = |x_k|^2` as this path uses it (exactly `1.0` for orthonormal inputs).
    pub fn x_norm_sq(&self, k: usize) -> f64 {
        self.sq[k]
    }
    /// `|w_hat_j|^2 = sum_k p_hat_jk^2 / s_k + |w_perp_hat_j|^2` in the mantissa units of neuron `j`.
    pub fn w_norm_sq_hat(&self, j: usize) -> f64 {
        seq_weighted_sum_sq(self.p_hat(j), &self.inv_sq) + self.perp_norm_sq_hat(j)
    }
    /// The full parameters `a_j`, `w_j = sum_k p_jk x_k / s_k + w_perp_j`.
    pub fn lift(&self) -> ScaledParams {
        let mut out =
            ScaledParams { m: self.m, d: self.d, theta: vec![0.0; self.m * (self.d + 1)], exponent: vec![0; self.m] };
        self.lift_state_into(&self.state, &self.exponent, &mut out);
        out
    }

    /// Lifts `state` (reduced blocks at exponents `exponent`, sharing this `w_perp`) into `out`
    /// (shaped `m x (d + 1)`), renormalised like [`ScaledParams::from_params`]. No allocation.
    fn lift_state_into(&self, state: &[f64], exponent: &[i32], out: &mut ScaledParams) {
        let (n, d) = (self.n, self.d);
        for j in 0..self.m {
            let block = &state[j * (n + 1)..(j + 1) * (n + 1)];
            let o = &mut out.theta[j * (d + 1)..(j + 1) * (d + 1)];
            o[0] = block[0];
            let s = ldexp(1.0, self.perp_exponent[j] - exponent[j]);
            for (v, pv) in o[1..].iter_mut().zip(self.perp_hat(j)) {
                *v = pv * s;
            }
            for k in 0..n {
                let pk = block[1 + k] / self.sq[k];
                for (v, xv) in o[1..].iter_mut().zip(&self.x[k * d..(k + 1) * d]) {
                    *v += pk * xv;
                }
            }
            out.exponent[j] = exponent[j];
            out.renormalize(j);
        }
    }
}

/// `|w_perp|^2` stored at exponent `pe`, in the mantissa units of exponent `e`.
#[inline]
fn perp_sq_in(perp_sq: f64, pe: i32, e: i32) -> f64 {
    ldexp(perp_sq, 2 * (pe - e))
}

/// `act` and `act'` by the sign of `p` (gradient descent), written as selects so that the loops
/// over coordinates vectorise (a branch on the sign mispredicts on half of them).
#[inline(always)]
fn act_by_sign(p: f64, slope: f64, sigma0: f64) -> (f64, f64) {
    let pos = p > 0.0;
    let act = if pos { p } else { slope * p };
    let not_pos = if p < 0.0 { slope } else { sigma0 };
    (act, if pos { 1.0 } else { not_pos })
}

/// Lanes of the reductions over coordinates: independent accumulators, so that the sums
/// vectorise and do not wait on one another (they differ from a sequential sum by rounding only).
const LANES: usize = 4;

/// One gradient-descent update of a neuron's `p_hat` (`p_k += g r_k s_k act'(p_k)`) from the
/// residuals `r` and `rs_k = r_k s_k`; returns `(sum_k r_k act(p_k), sum_k p_k'^2 / s_k)` with `act`
/// at the old and `p'` the new values (`inv_sq` the `1 / s_k`). `tmp` is scratch of the length of
/// `p`. Elementwise loops, then lane sums: both vectorise.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn gd_update_p(
    p: &mut [f64],
    r: &[f64],
    rs: &[f64],
    inv_sq: &[f64],
    tmp: &mut [f64],
    g: f64,
    slope: f64,
    sigma0: f64,
) -> (f64, f64) {
    for (((pk, &rk), &rsk), t) in p.iter_mut().zip(r).zip(rs).zip(tmp.iter_mut()) {
        let (act, der) = act_by_sign(*pk, slope, sigma0);
        *t = rk * act;
        *pk += g * (rsk * der);
    }
    (lane_sum(tmp), weighted_sum_sq(p, inv_sq))
}

/// `sum_k v_k` in [`LANES`] accumulators.
#[inline(always)]
fn lane_sum(v: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let chunks = v.chunks_exact(LANES);
    let rest: f64 = chunks.remainder().iter().sum();
    for c in chunks {
        for l in 0..LANES {
            acc[l] += c[l];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest
}

/// `sum_k v_k^2 w_k` in [`LANES`] accumulators (with `w_k = 1` it is bit for bit `sum_k v_k^2`).
#[inline(always)]
fn weighted_sum_sq(v: &[f64], w: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let (vc, wc) = (v.chunks_exact(LANES), w.chunks_exact(LANES));
    let rest: f64 = vc.remainder().iter().zip(wc.remainder()).map(|(x, w)| (x * x) * w).sum();
    for (c, cw) in vc.zip(wc) {
        for l in 0..LANES {
            acc[l] += (c[l] * c[l]) * cw[l];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest
}

/// `sum_k v_k^2 w_k`, summed in order (with `w_k = 1` it is bit for bit `v.iter().map(|x| x * x).sum()`).
#[inline]
fn seq_weighted_sum_sq(v: &[f64], w: &[f64]) -> f64 {
    v.iter().zip(w).map(|(x, w)| (x * x) * w).sum()
}

/// `|block|^2` of a block `[a_hat, p_hat]` in `(a, w)` units: `a^2 + sum_k p_k^2 / s_k` summed in
/// order (bit for bit the plain sum of squares when `inv_sq` is all ones).
#[inline]
fn block_sq(block: &[f64], inv_sq: &[f64]) -> f64 {
    block[1..].iter().zip(inv_sq).fold(block[0] * block[0], |acc, (x, w)| acc + (x * x) * w)
}

/// `sum_k a_k b_k c_k` in [`LANES`] accumulators.
#[inline(always)]
fn dot3(a: &[f64], b: &[f64], c: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let (ac, bc, cc) = (a.chunks_exact(LANES), b.chunks_exact(LANES), c.chunks_exact(LANES));
    let (ar, br, cr) = (ac.remainder(), bc.remainder(), cc.remainder());
    for ((al, bl), cl) in ac.zip(bc).zip(cc) {
        for l in 0..LANES {
            acc[l] += al[l] * (bl[l] * cl[l]);
        }
    }
    for ((x, y), z) in ar.iter().zip(br).zip(cr) {
        acc[0] += x * (y * z);
    }
    acc.iter().sum()
}

/// `(act, act')` multipliers of a class: `act(p) = coef.0 * p`, `act'(p) = coef.1`.
#[inline]
fn class_coefficients(c: Class, model: &ValidModel) -> (f64, f64) {
    match c {
        Class::Positive => (1.0, 1.0),
        Class::Negative => (model.negative_slope(), model.negative_slope()),
        Class::Zero => (0.0, model.relu_prime_at_zero()),
    }
}

/// Forward pass under fixed classes: residuals `r_k = h(x_k) - y_k` into `residual`, returns `L`.
fn forward_fixed(state: &[f64], act_coef: &[f64], scale_sq: &[f64], labels: &[f64], residual: &mut [f64]) -> f64 {
    let n = labels.len();
    residual.iter_mut().zip(labels).for_each(|(r, y)| *r = -y);
    for (j, (block, coef)) in state.chunks_exact(n + 1).zip(act_coef.chunks_exact(n)).enumerate() {
        let c = block[0] * scale_sq[j];
        for ((r, p), a) in residual.iter_mut().zip(&block[1..]).zip(coef) {
            *r += c * (a * p);
        }
    }
    residual.iter().map(|r| r * r).sum::<f64>() / (2.0 * n as f64)
}

/// Forward pass by signs (gradient descent), returns `L`.
fn forward_sign(state: &[f64], model: &ValidModel, scale_sq: &[f64], labels: &[f64], residual: &mut [f64]) -> f64 {
    let n = labels.len();
    let (slope, sigma0) = (model.negative_slope(), model.relu_prime_at_zero());
    residual.iter_mut().zip(labels).for_each(|(r, y)| *r = -y);
    for (j, block) in state.chunks_exact(n + 1).enumerate() {
        let c = block[0] * scale_sq[j];
        for (r, &p) in residual.iter_mut().zip(&block[1..]) {
            *r += c * act_by_sign(p, slope, sigma0).0;
        }
    }
    residual.iter().map(|r| r * r).sum::<f64>() / (2.0 * n as f64)
}

/// The exponent change that brings a block of squared norm `ss` back to `[1, 2)`, if `ss` left
/// [`BLOCK_SQ_RANGE`].
#[inline]
fn rescale_exponent(ss: f64) -> Option<i32> {
    if ss == 0.0 || !ss.is_finite() || (BLOCK_SQ_RANGE.0..=BLOCK_SQ_RANGE.1).contains(&ss) {
        None
    } else {
        Some(exponent_of(ss.sqrt()))
    }
}

/// Gradient descent in reduced coordinates: the same run as [`run_gd`](super::gd::run_gd) on
/// orthogonal inputs (up to rounding), at `O(m n)` per step. Errors with
/// [`SimulationError::Config`] naming the deviation from orthogonality if the inputs are not orthogonal.
///
/// ```
/// use reluflow::data::generate::random_orthonormal;
/// use reluflow::{init::{InitSpec, InitKind}, network::Model};
/// use reluflow::solver::{gd::{GdConfig, run_gd}, reduced::run_gd_reduced, StopRule, NoObserver};
/// let data = random_orthonormal(4, 6, &Default::default(), 3).unwrap();
/// let theta0 = InitSpec { kind: InitKind::Balanced, width: 32, lambda: 1e-6, seed: 0 }
///     .validate().unwrap().draw(6).params;
/// let cfg = GdConfig { step: 1e-2, stop: StopRule { max_steps: Some(500), ..Default::default() } };
/// let model = Model::relu().validate().unwrap();
/// let fast = run_gd_reduced(&data, model, &theta0, &cfg, &mut NoObserver).unwrap();
/// let full = run_gd(&data, model, &theta0, &cfg, &mut NoObserver).unwrap();
/// assert!((fast.summary.final_loss / full.summary.final_loss - 1.0).abs() < 1e-12);
/// ```
pub fn run_gd_reduced(
    data: &Dataset,
    model: ValidModel,
    theta0: &ScaledParams,
    cfg: &GdConfig,
    observer: &mut dyn Observer,
) -> Result<Run, SimulationError> {
    let super::gd::StepBudget { max_steps, horizon_steps } = cfg.step_budget()?;
    let mut red = reduce(data, theta0)?;
    let eta = cfg.step;
    let (n, m) = (red.n, red.m);
    let width = n + 1;
    let labels = data.y();
    let inv_n = 1.0 / n as f64;
    let (slope, sigma0) = (model.negative_slope(), model.relu_prime_at_zero());
    let mut scale_sq: Vec<f64> = red.exponent.iter().map(|&e| ldexp(1.0, 2 * e)).collect();
    let mut perp_sq: Vec<f64> = (0..m).map(|j| red.perp_norm_sq_hat(j)).collect();
    let mut residual = vec![0.0; n];
    let mut next_residual = vec![0.0; n];
    let mut residual_s = vec![0.0; n];
    let mut scratch = vec![0.0; n];
    let inv_sq = red.inv_sq.clone();
    let sq = red.sq.clone();
    let mut loss = forward_sign(&red.state, &model, &scale_sq, labels, &mut residual);
    let norm_sq0 = theta0.norm_sq();
    let bounds = DivergenceBounds::new(&cfg.stop, data, loss, norm_sq0);
    let mut norm_sq = norm_sq0;
    let mut view_params = theta0.clone();
    // the signs gradient descent acts on, read from p_hat (exact) rather than recomputed from the
    // lifted w, whose dot products with x_k carry rounding of order eps |w_j|
    let mut view_classes = vec![Class::Zero; m * n];
    let mut step = 0u64;
    let every = observer.wants_every_step();
    let stop_reason = loop {
        let time = step as f64 * eta;
        let at_end = step >= max_steps;
        bounds.check(step, time, loss, Some(norm_sq))?;
        let below = cfg.stop.until_loss.is_some_and(|x| loss < x);
        let wants_view = observer.next_time() <= time;
        if wants_view || every || below || at_end {
            red.lift_state_into(&red.state, &red.exponent, &mut view_params);
            for (c, block) in view_classes.chunks_exact_mut(n).zip(red.state.chunks_exact(width)) {
                c.iter_mut().zip(&block[1..]).for_each(|(c, &p)| *c = Class::of(p));
            }
            let view = View { step, time, loss, params: &view_params, classes: Some(&view_classes) };
            if wants_view {
                observer.observe(&view);
            }
            if every {
                observer.on_step(&view);
            }
            if below || at_end {
                observer.on_end(&view);
            }
        }
        if below {
            break StopReason::LossBelow;
        }
        if at_end {
            break if horizon_steps == Some(max_steps) && cfg.stop.max_steps != Some(max_steps) {
                StopReason::Horizon
            } else {
                StopReason::MaxSteps
            };
        }
        // one sweep: the gradient at theta_s, the update, the rescaling, |theta_{s+1}|^2 and the
        // residuals at theta_{s+1}
        norm_sq = 0.0;
        next_residual.iter_mut().zip(labels).for_each(|(r, y)| *r = -y);
        residual_s.iter_mut().zip(&residual).zip(&sq).for_each(|((o, r), s)| *o = r * s);
        for j in 0..m {
            let block = &mut red.state[j * width..(j + 1) * width];
            let a = block[0];
            let g = -eta * a * inv_n;
            let (ra, mut ss) =
                gd_update_p(&mut block[1..], &residual, &residual_s, &inv_sq, &mut scratch, g, slope, sigma0);
            let a_new = a - eta * (ra * inv_n);
            block[0] = a_new;
            ss += a_new * a_new + perp_sq[j];
            if let Some(e) = rescale_exponent(ss) {
                for v in block.iter_mut() {
                    *v = ldexp(*v, -e);
                }
                red.exponent[j] += e;
                scale_sq[j] = ldexp(1.0, 2 * red.exponent[j]);
                perp_sq[j] = perp_sq_in(red.perp_sq[j], red.perp_exponent[j], red.exponent[j]);
                ss = seq_weighted_sum_sq(&block[1..], &inv_sq) + block[0] * block[0] + perp_sq[j];
            }
            norm_sq += ldexp(ss, 2 * red.exponent[j]);
            let c = block[0] * scale_sq[j];
            for (r, &p) in next_residual.iter_mut().zip(&block[1..]) {
                *r += c * act_by_sign(p, slope, sigma0).0;
            }
        }
        std::mem::swap(&mut residual, &mut next_residual);
        loss = residual.iter().map(|r| r * r).sum::<f64>() / (2.0 * n as f64);
        step += 1;
    };
    let summary = RunSummary {
        method: "gd",
        steps: step,
        rejected_steps: 0,
        gradient_evaluations: step,
        events: 0,
        time: step as f64 * eta,
        final_loss: loss,
        stop_reason,
    };
    Ok(Run { summary, final_params: view_params, final_classes: None })
}

/// The flow in reduced coordinates as a switching [`System`]: state blocks `[a_hat_j, p_hat_j]`.
struct ReducedFlow<'a> {
    n: usize,
    m: usize,
    labels: &'a [f64],
    model: ValidModel,
    classes: Vec<Class>,
    /// `act(p) = act_coef * p` per coordinate under its class.
    act_coef: Vec<f64>,
    /// `act'(p)` per coordinate under its class.
    der_coef: Vec<f64>,
    exponent: Vec<i32>,
    scale_sq: Vec<f64>,
    /// `|w_perp_hat_j|^2` in the current mantissa units of neuron `j`.
    perp_sq: Vec<f64>,
    x_norm: Vec<f64>,
    /// `<x_k, x_k>`.
    gram_diag: Vec<f64>,
    /// `s_k = |x_k|^2` as [`Reduced`] holds it (exactly 1 for orthonormal inputs).
    sq: Vec<f64>,
    /// `1 / s_k`.
    inv_sq: Vec<f64>,
    residual: Vec<f64>,
    /// `r_k s_k`.
    residual_s: Vec<f64>,
    last_loss: f64,
    sliding: Option<SimulationError>,
}

impl ReducedFlow<'_> {
    fn set_class(&mut self, idx: usize, c: Class) {
        self.classes[idx] = c;
        let (a, d) = class_coefficients(c, &self.model);
        self.act_coef[idx] = a;
        self.der_coef[idx] = d;
    }
    /// `|w_hat_j|` from the reduced block's `p_hat_j`: `sqrt(sum_k p_k^2 / s_k + |w_perp_hat_j|^2)`.
    fn w_norm(&self, j: usize, p: &[f64]) -> f64 {
        (seq_weighted_sum_sq(p, &self.inv_sq) + self.perp_sq[j]).sqrt()
    }
    /// `dp_jk/dt` (mantissa units) with `act'(p_jk) = weight`, and its scale, as the full path's
    /// boundary velocity (there the sum over `l` has Gram weights `<x_l, x_k>`; here they are
    /// `delta_lk <x_k, x_k>`, the orthogonal inputs' Gram matrix).
    fn boundary_velocity(&self, j: usize, k: usize, y: &[f64], weight: f64) -> (f64, f64) {
        let a_hat = y[j * (self.n + 1)];
        let scale: f64 = self.residual.iter().zip(&self.x_norm).map(|(r, xn)| r.abs() * xn * self.x_norm[k]).sum();
        let c = -a_hat / self.n as f64;
        (c * (weight * self.residual[k] * self.gram_diag[k]), (c * scale).abs())
    }
}

impl System for ReducedFlow<'_> {
    fn dim(&self) -> usize {
        self.m * (self.n + 1)
    }
    fn rhs(&mut self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let n = self.n;
        self.last_loss = forward_fixed(y, &self.act_coef, &self.scale_sq, self.labels, &mut self.residual);
        self.residual_s.iter_mut().zip(&self.residual).zip(&self.sq).for_each(|((o, r), s)| *o = r * s);
        let inv_n = 1.0 / n as f64;
        let r = &self.residual;
        let rs = &self.residual_s;
        for (((block, out), ac), dc) in y
            .chunks_exact(n + 1)
            .zip(dy.chunks_exact_mut(n + 1))
            .zip(self.act_coef.chunks_exact(n))
            .zip(self.der_coef.chunks_exact(n))
        {
            let c = -block[0] * inv_n;
            for ((o, &rsk), &d) in out[1..].iter_mut().zip(rs).zip(dc) {
                *o = c * (rsk * d);
            }
            out[0] = -dot3(r, ac, &block[1..]) * inv_n;
        }
    }
    fn error_norm(&self, y0: &[f64], y1: &[f64], err: &[f64], tol: &Tolerances) -> f64 {
        // The full path measures each neuron's error relative to |(a_j, w_j)|, and
        // |w_j|^2 = sum_k p_jk^2 / s_k + |w_perp_j|^2 (the same weights for differences of
        // states or velocities). `err` is a difference of states or of velocities (no w_perp
        // part), except when the integrator passes the state itself (`err` is `y0`: Hairer's
        // initial-step heuristic), which then includes its w_perp.
        let err_is_state = std::ptr::eq(err.as_ptr(), y0.as_ptr());
        let w = self.n + 1;
        let mut worst = 0.0f64;
        for j in 0..self.m {
            let b = j * w..(j + 1) * w;
            let sq_of = |v: &[f64]| block_sq(v, &self.inv_sq);
            let (s0, s1) = (sq_of(&y0[b.clone()]), sq_of(&y1[b.clone()]));
            let size = (s0.max(s1) + self.perp_sq[j]).sqrt();
            let mut e2 = sq_of(&err[b]);
            if err_is_state {
                e2 += self.perp_sq[j];
            }
            if e2 == 0.0 {
                continue;
            }
            let atol_hat = if tol.atol > 0.0 { ldexp(tol.atol, -self.exponent[j]) } else { 0.0 };
            worst = worst.max(e2.sqrt() / (tol.rtol * size + atol_hat));
        }
        worst
    }
    fn violated(&mut self, y1: &[f64], out: &mut Vec<usize>) {
        let n = self.n;
        for j in 0..self.m {
            let p = &y1[j * (n + 1) + 1..(j + 1) * (n + 1)];
            let mut w_norm = None;
            for k in 0..n {
                let idx = j * n + k;
                let pv = p[k];
                let bad = match self.classes[idx] {
                    Class::Positive => pv <= 0.0,
                    Class::Negative => pv >= 0.0,
                    Class::Zero => {
                        let wn = *w_norm.get_or_insert_with(|| self.w_norm(j, p));
                        pv.abs() >= ZERO_BAND * wn * self.x_norm[k]
                    }
                };
                if bad {
                    out.push(idx);
                }
            }
        }
    }
    fn switch_support(&self, i: usize) -> Range<usize> {
        let (j, k) = (i / self.n, i % self.n);
        let start = j * (self.n + 1) + 1;
        match self.classes[i] {
            // the band around 0 scales with |w_j|: the whole p_j
            Class::Zero => start..start + self.n,
            _ => start + k..start + k + 1,
        }
    }
    fn switch_value(&self, i: usize, s: &[f64]) -> f64 {
        let (j, k) = (i / self.n, i % self.n);
        match self.classes[i] {
            Class::Positive => s[0],
            Class::Negative => -s[0],
            Class::Zero => ZERO_BAND * self.w_norm(j, s) * self.x_norm[k] - s[k].abs(),
        }
    }
    fn on_events(&mut self, t: f64, y: &[f64], events: &[usize]) -> Result<(), String> {
        self.last_loss = forward_fixed(y, &self.act_coef, &self.scale_sq, self.labels, &mut self.residual);
        let n = self.n;
        let slope = self.model.negative_slope();
        for &i in events {
            let (j, k) = (i / n, i % n);
            let p = y[j * (n + 1) + 1 + k];
            if self.classes[i] == Class::Zero {
                self.set_class(i, Class::of(p));
                continue;
            }
            let (v_pos, scale) = self.boundary_velocity(j, k, y, 1.0);
            let (v_neg, _) = self.boundary_velocity(j, k, y, slope);
            let thr = VELOCITY_ZERO * scale;
            let c = if v_pos < -thr && v_neg > thr {
                self.sliding = Some(SimulationError::SlidingMode {
                    neuron: j,
                    point: k,
                    time: t,
                    v_negative: v_neg,
                    v_positive: v_pos,
                });
                return Err(format!("sliding mode on <w_{j}, x_{k}>"));
            } else if v_pos > thr && v_neg > thr {
                Class::Positive
            } else if v_neg < -thr && v_pos < thr {
                Class::Negative
            } else {
                Class::Zero
            };
            self.set_class(i, c);
        }
        Ok(())
    }
}

fn validate_flow(cfg: &FlowConfig) -> Result<(), SimulationError> {
    if !(cfg.rtol > 0.0 && cfg.rtol < 1.0) {
        return Err(SimulationError::Config(format!("rtol = {} must be in (0, 1), e.g. 1e-9", cfg.rtol)));
    }
    if !(cfg.atol >= 0.0 && cfg.atol.is_finite()) {
        return Err(SimulationError::Config(format!("atol = {} must be >= 0 and finite", cfg.atol)));
    }
    if !(cfg.h_max > 0.0) {
        return Err(SimulationError::Config(format!("h_max = {} must be > 0", cfg.h_max)));
    }
    cfg.stop.validate()
}

/// The gradient flow in reduced coordinates: the same run as [`run_flow`](super::flow::run_flow)
/// on orthogonal inputs (same integrator, classes, events and error control, so the same steps up
/// to rounding), at `O(m n)` per gradient evaluation. Errors with [`SimulationError::Config`]
/// naming the deviation from orthogonality if the inputs are not orthogonal.
///
/// ```
/// use reluflow::data::generate::random_orthonormal;
/// use reluflow::{init::{InitSpec, InitKind}, network::Model};
/// use reluflow::solver::{flow::FlowConfig, reduced::run_flow_reduced, StopRule, NoObserver};
/// let data = random_orthonormal(3, 5, &Default::default(), 3).unwrap();
/// let theta0 = InitSpec { kind: InitKind::Balanced, width: 32, lambda: 1e-100, seed: 0 }
///     .validate().unwrap().draw(5).params;
/// let cfg = FlowConfig { stop: StopRule { until_loss: Some(1e-8), horizon: Some(1e5), ..Default::default() }, ..Default::default() };
/// let run = run_flow_reduced(&data, Model::relu().validate().unwrap(), &theta0, &cfg, &mut NoObserver).unwrap();
/// assert!(run.summary.final_loss < 1e-8);
/// ```
pub fn run_flow_reduced(
    data: &Dataset,
    model: ValidModel,
    theta0: &ScaledParams,
    cfg: &FlowConfig,
    observer: &mut dyn Observer,
) -> Result<Run, SimulationError> {
    validate_flow(cfg)?;
    let red = reduce(data, theta0)?;
    let (n, m) = (red.n, red.m);
    let width = n + 1;
    let classes: Vec<Class> =
        red.state.chunks_exact(width).flat_map(|b| b[1..].iter().map(|&p| Class::of(p))).collect();
    let (act_coef, der_coef) = classes.iter().map(|&c| class_coefficients(c, &model)).unzip();
    let mut sys = ReducedFlow {
        n,
        m,
        labels: data.y(),
        model,
        classes,
        act_coef,
        der_coef,
        exponent: red.exponent.clone(),
        scale_sq: red.exponent.iter().map(|&e| ldexp(1.0, 2 * e)).collect(),
        perp_sq: (0..m).map(|j| red.perp_norm_sq_hat(j)).collect(),
        x_norm: (0..n).map(|k| crate::params::norm(data.x(k))).collect(),
        gram_diag: (0..n).map(|k| dot(data.x(k), data.x(k))).collect(),
        sq: red.sq.clone(),
        inv_sq: red.inv_sq.clone(),
        residual: vec![0.0; n],
        residual_s: vec![0.0; n],
        last_loss: 0.0,
        sliding: None,
    };
    let initial_loss = forward_fixed(&red.state, &sys.act_coef, &sys.scale_sq, data.y(), &mut sys.residual);
    let bounds = DivergenceBounds::new(&cfg.stop, data, initial_loss, theta0.norm_sq());
    let tol = Tolerances { rtol: cfg.rtol, atol: cfg.atol };
    let mut solver = Dopri5::new(0.0, red.state.clone(), tol, None, cfg.h_max);
    let horizon = cfg.stop.horizon.unwrap_or(f64::INFINITY);
    let max_steps = cfg.stop.max_steps.unwrap_or(u64::MAX);
    // scratch for observations (the system's residuals stay untouched)
    let mut view_params = theta0.clone();
    let mut dense = vec![0.0; m * width];
    let mut obs_residual = vec![0.0; n];
    let every = observer.wants_every_step();

    if observer.next_time() <= 0.0 || every {
        let view = View { step: 0, time: 0.0, loss: initial_loss, params: theta0, classes: Some(&sys.classes) };
        if observer.next_time() <= 0.0 {
            observer.observe(&view);
        }
        if every {
            observer.on_step(&view);
        }
    }
    let mut loss = initial_loss;
    let mut rescale = vec![0i32; m];
    let stop_reason = loop {
        if cfg.stop.until_loss.is_some_and(|x| loss < x) {
            break StopReason::LossBelow;
        }
        if solver.t() >= horizon {
            break StopReason::Horizon;
        }
        if solver.counters().accepted_steps >= max_steps {
            break StopReason::MaxSteps;
        }
        let step_no = solver.counters().accepted_steps;
        let info = match solver.step(&mut sys, horizon) {
            Ok(info) => info,
            Err(e) => {
                if let Some(s) = sys.sliding.take() {
                    return Err(s);
                }
                return Err(match e {
                    DopriError::NonFinite { t } => SimulationError::NonFinite { step: step_no, time: t },
                    other => SimulationError::Integrator { step: step_no, reason: other.to_string() },
                });
            }
        };
        let step = solver.counters().accepted_steps;
        loss = sys.last_loss;
        // |theta|^2 and the neurons to rescale, in one pass
        let mut norm_sq = 0.0;
        let mut any_rescale = false;
        let mut finite = true;
        for (j, block) in solver.y().chunks_exact(width).enumerate() {
            let ss = block_sq(block, &sys.inv_sq) + sys.perp_sq[j];
            finite &= ss.is_finite();
            norm_sq += ldexp(ss, 2 * sys.exponent[j]);
            rescale[j] = rescale_exponent(ss).unwrap_or(0);
            any_rescale |= rescale[j] != 0;
        }
        if !finite || solver.y().iter().any(|v| !v.is_finite()) {
            return Err(SimulationError::NonFinite { step, time: info.t1 });
        }
        bounds.check(step, info.t1, loss, Some(norm_sq))?;
        while observer.next_time() <= info.t1 {
            let t = observer.next_time().max(info.t0);
            solver.dense(t, &mut dense);
            red.lift_state_into(&dense, &sys.exponent, &mut view_params);
            let l = forward_fixed(&dense, &sys.act_coef, &sys.scale_sq, data.y(), &mut obs_residual);
            let view = View { step, time: t, loss: l, params: &view_params, classes: Some(&sys.classes) };
            observer.observe(&view);
        }
        if every {
            red.lift_state_into(solver.y(), &sys.exponent, &mut view_params);
            let view = View { step, time: info.t1, loss, params: &view_params, classes: Some(&sys.classes) };
            observer.on_step(&view);
        }
        if any_rescale {
            let y = solver.y_mut();
            for (j, &e) in rescale.iter().enumerate() {
                if e != 0 {
                    for v in &mut y[j * width..(j + 1) * width] {
                        *v = ldexp(*v, -e);
                    }
                    sys.exponent[j] += e;
                    sys.scale_sq[j] = ldexp(1.0, 2 * sys.exponent[j]);
                    sys.perp_sq[j] = perp_sq_in(red.perp_sq[j], red.perp_exponent[j], sys.exponent[j]);
                }
            }
        }
    };
    let counters = solver.counters();
    let mut final_params = view_params;
    red.lift_state_into(solver.y(), &sys.exponent, &mut final_params);
    observer.on_end(&View {
        step: counters.accepted_steps,
        time: solver.t(),
        loss,
        params: &final_params,
        classes: Some(&sys.classes),
    });
    let summary = RunSummary {
        method: "flow",
        steps: counters.accepted_steps,
        rejected_steps: counters.rejected_steps,
        gradient_evaluations: counters.rhs_evaluations,
        events: counters.events,
        time: solver.t(),
        final_loss: loss,
        stop_reason,
    };
    Ok(Run { summary, final_params, final_classes: Some(sys.classes) })
}

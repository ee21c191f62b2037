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
//! and [`run_flow`](super::flow::run_flow) do (same [`StopRule`](super::StopRule), [`Observer`](super::Observer) views
//! of the lifted parameters, [`Run`](super::Run)), and are held to them by `tests/reduced.rs`.
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
//! - The flow uses the same [`Dopri5`](super::flow::dopri::Dopri5), the same activation classes, event rules, `ZERO_BAND`,
//!   `VELOCITY_ZERO` and the same per-neuron error norm (the size of a neuron includes `w_perp`),
//!   so on the same instance it takes the same steps as the full path up to rounding, as long as
//!   the full path resolves every coordinate (below). The same descent check and, once the flow is
//!   stiff, the same ROS2 with the Gauss-Newton Jacobian in these coordinates (see `flow.rs`).
//! - Gradient descent fuses the update of a neuron with its contribution to the next residuals:
//!   one sweep over the state per step, neuron-major and vectorised across neurons (see `gd.rs`).
//!   Both paths count one gradient evaluation per step taken.
//!   Its [`View`](super::View)s carry the classes by the sign of `p_hat` (`Some`), exact, where the full path
//!   leaves `None` and a recorder recomputes them from `<w_j, x_k>`.
//!
//! ## Where the two paths part
//! This path integrates Assumption 1 exactly (`X X^T = I`); the full path integrates the stored
//! inputs, whose Gram matrix is the identity only to `~1e-17`, and carries `w_j` in `f64`. On the
//! full path an inactive coordinate `<w_j, x_k>` therefore moves by rounding: every update
//! `w_j + dw_j` rounds by up to `min(|dw_j|, eps |w_j| / 2)` along `x_k`, and the Gram leak adds
//! `~1e-17 |dw_j|`. These errors are diluted while the neuron grows and pile up once it stands
//! still; on this path the frozen `p_jk` stays exactly where it froze. So:
//! - a coordinate frozen while its neuron grows by more than `1e16` (any run with
//!   `lambda < ~1e-16`), or one that sits through thousands of steps of a neuron at rest, is below
//!   the full path's resolution: its sign there is rounding, the full flow can record spurious
//!   `Negative -> Zero` events and full gradient descent can reactivate it;
//! - a neuron that shrinks keeps, on both paths, the absolute rounding it made while it was
//!   larger: relative to its final size the two paths differ by more than the final-size rounding;
//! - the lifted `w_j` carries the frozen `w_perp_j`, which for `d = n` is pure rounding
//!   (`~1e-16 |w_j(0)|`), and so reads an inactive coordinate of a shrunken neuron with that offset.
//!
//! `tests/reduced.rs` bounds these effects per neuron along each run (derived rounding budgets,
//! accumulated step by step) and compares the paths tightly everywhere else.

mod flow;
mod gd;

pub use flow::run_flow_reduced;
pub use gd::run_gd_reduced;

use super::SimulationError;
use crate::data::{Dataset, ORTHONORMAL_TOL};
use crate::numerics::dot;
use crate::params::{ScaledParams, exponent_of, ldexp};
use thiserror::Error;

/// Squared norms of a neuron's full mantissa block outside this range trigger an exact rescaling.
const BLOCK_SQ_RANGE: (f64, f64) = (2.938_735_877_055_719e-39, 3.402_823_669_209_385e38); // (2^-128, 2^128)

/// Why the reduced path cannot represent a problem.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ReducedError {
    /// The inputs are not pairwise orthogonal: the component of `w_j` orthogonal to the data would
    /// not be frozen, and the `p_jk` would not evolve on their own.
    #[error(
        "the reduced (orthogonal-input) fast path needs pairwise orthogonal inputs (Assumption 1 up to the norms): max |<x_k, x_l>| / (|x_k| |x_l|) = {max_offdiag_cosine:.3e} at (k, l) = ({}, {}) exceeds the tolerance {tolerance:e}; use the full simulator on these inputs (--coordinates full)",
        pair.0,
        pair.1
    )]
    NotOrthogonal {
        /// `max_{k != l} |<x_k, x_l>| / (|x_k| |x_l|)`.
        max_offdiag_cosine: f64,
        /// The pair `(k, l)` where it is reached.
        pair: (usize, usize),
        /// The tolerance it exceeds.
        tolerance: f64,
    },
    /// The data and the parameters disagree on the input dimension.
    #[error("the parameters have input dimension {params} but the data has d = {data}")]
    DimensionMismatch {
        /// The parameters' input dimension.
        params: usize,
        /// The data's `d`.
        data: usize,
    },
    /// An input of zero (or unrepresentable) squared norm: `p_jk / |x_k|^2` is undefined.
    #[error(
        "the reduced fast path needs nonzero inputs with a finite, invertible |x_k|^2: |x_{point}|^2 = {norm_sq:e}; use the full simulator on these inputs (--coordinates full)"
    )]
    DegenerateInput {
        /// The point `k`.
        point: usize,
        /// `|x_k|^2`.
        norm_sq: f64,
    },
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

/// Whether the reduced path runs on `data`: the inputs are pairwise orthogonal (every
/// `|<x_k, x_l>| / (|x_k| |x_l|) <= ORTHONORMAL_TOL`, `k != l`) and every `|x_k|^2` and its inverse
/// are positive and finite. [`reduce`] makes the same check (`simulate --coordinates auto` asks
/// this to choose its path).
pub fn check_inputs(data: &Dataset) -> Result<(), ReducedError> {
    input_norms(data).map(|_| ())
}

/// `s_k = |x_k|^2` after [`check_inputs`]'s checks (exactly 1 for orthonormal inputs, so that
/// every product and quotient by it is exact).
fn input_norms(data: &Dataset) -> Result<Vec<f64>, ReducedError> {
    let report = data.assumptions();
    if !report.orthogonal {
        return Err(ReducedError::NotOrthogonal {
            max_offdiag_cosine: report.max_offdiag_cosine,
            pair: report.worst_offdiag_pair.unwrap_or((0, 0)),
            tolerance: ORTHONORMAL_TOL,
        });
    }
    let sq: Vec<f64> =
        (0..data.n()).map(|k| if report.orthonormal { 1.0 } else { dot(data.x(k), data.x(k)) }).collect();
    if let Some(k) = sq.iter().position(|&s| !(s > 0.0 && s.is_finite() && (1.0 / s).is_finite())) {
        return Err(ReducedError::DegenerateInput { point: k, norm_sq: sq[k] });
    }
    Ok(sq)
}

/// Splits `theta` into reduced coordinates on `data`, after checking that the inputs are pairwise
/// orthogonal (every `|<x_k, x_l>| / (|x_k| |x_l|) <= ORTHONORMAL_TOL`, `k != l`; norms free).
pub fn reduce(data: &Dataset, theta: &ScaledParams) -> Result<Reduced, ReducedError> {
    if theta.d() != data.d() {
        return Err(ReducedError::DimensionMismatch { params: theta.d(), data: data.d() });
    }
    let sq = input_norms(data)?;
    let (n, d, m) = (data.n(), data.d(), theta.m());
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
        perp_sq.push(crate::numerics::norm_sq(&perp[base..]));
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

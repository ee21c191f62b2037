//! Claim checks: the conservation and boundary laws of the dynamics (claims L1, L6, P2).
//!
//! - **L1** (Lemma 1): `a_j^2 - |w_j|^2` is constant along the gradient flow for any data and any
//!   initialisation; with the balanced initialisation (4) also `a_j = s_j |w_j|` and `|w_j| > 0`.
//!   [`ImbalanceTrace`] follows every accepted step of a run (flow or gradient descent) and
//!   [`check_l1_conservation`] / [`check_l1_balanced`] judge it against the integrator's error
//!   budget. [`GdLawTrace`] / [`check_l1_gd_law`] check the exact per-step law of gradient
//!   descent, `Delta(a_j^2 - |w_j|^2) = eta^2 (<D_j, w_j>^2 - |D_j|^2 a_j^2)`, to rounding.
//! - **L6** (Lemma 6, eq. (11)): on orthonormal inputs a coordinate `<w_j, x_k>` that is negative
//!   never moves, and one that reaches 0 stays at 0. [`flow_checkpoints`] keeps the full
//!   parameters at many times; [`check_l6`] judges them against a floating-point rounding budget.
//! - **P2** (Proposition 2): with `relu'(0) = sigma0 > 0` the flow has no global solution. What
//!   the simulator shows, and [`check_p2`] asserts: a coordinate that reaches 0 while its residual
//!   is not zero is pushed to strictly negative values (the `Zero` class is left downwards, after
//!   which the coordinate is frozen), which never happens with `sigma0 = 0` (L6).
//!
//! All quantities are scale-free (per-neuron mantissas and binary exponents of
//! [`ScaledParams`], logs of sizes), so the checks work unchanged down to `lambda = 1e-300`.

use super::{ClaimId, Outcome, Verdict};
use crate::Instance;
use crate::data::Dataset;
use crate::data::generate::random_orthonormal;
use crate::generators::InstanceShape;
use crate::init::{InitKind, InitSpec};
use crate::network::{Model, ValidModel};
use crate::params::{ScaledParams, ldexp};
use crate::seeds::{self, Stream};
use crate::solver::flow::{FlowConfig, run_flow};
use crate::solver::gd::{GdConfig, run_gd};
use crate::solver::{Observer, RunSummary, SimulationError, StopRule, View};
use crate::theory;
use rand::RngExt;
use rand_distr::StandardNormal;

const EPS: f64 = f64::EPSILON;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn sq(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

/// `ln(e^a + e^b)` without overflow (`-inf` is the neutral element).
fn log_add(a: f64, b: f64) -> f64 {
    let hi = a.max(b);
    if hi == f64::NEG_INFINITY { hi } else { hi + ((a - hi).exp() + (b - hi).exp()).ln() }
}

/// `ln(a_j^2 + |w_j|^2)`, exact at every scale.
fn ln_size(p: &ScaledParams, j: usize) -> f64 {
    let a = p.a_hat(j);
    (a * a + sq(p.w_hat(j))).ln() + 2.0 * p.exponent(j) as f64 * std::f64::consts::LN_2
}

// ---------------------------------------------------------------------------------------------
// L1: conservation along the flow (and its failure along gradient descent)
// ---------------------------------------------------------------------------------------------

/// Per-step error budget of the flow integrator for the conserved quantity of one neuron,
/// relative to `max(S_i, S_{i+1})`, `S = a_j^2 + |w_j|^2` (see [`check_l1_conservation`]).
pub fn l1_step_budget(rtol: f64, d: usize) -> f64 {
    (2.0 + 3.0 * rtol) * rtol + 4.0 * (d as f64 + 2.0) * EPS
}

/// Rounding of the balanced initialisation `a_j = s_j |w_j|`, relative to `S_j(0)`: `|w_j|^2` is a
/// sum of `d` squares and `a_j` a product of a rounded norm (a few `eps` each).
pub fn l1_init_budget(d: usize) -> f64 {
    (d as f64 + 2.0) * EPS
}

/// One neuron's running record in an [`ImbalanceTrace`].
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronImbalance {
    rho0: f64,
    ln_size0: f64,
    ln_size_prev: f64,
    /// `ln sum_i max(S(t_i), S(t_{i+1}))` over the steps seen so far.
    ln_step_sum: f64,
    sign0: f64,
    /// `max_t |I(t) - I(0)| / sum_i max(S_i, S_{i+1})`, `I = a^2 - |w|^2`.
    pub worst_drift: f64,
    /// `max_t |I(t)| / (init_budget S(0) + step_budget sum_i max(S_i, S_{i+1}))`.
    pub worst_balance_ratio: f64,
    /// Steps after which `a_j` was zero or of the other sign than `a_j(0)`.
    pub sign_changes: u64,
    /// `min_t ln |w_j(t)|` (`-inf` if `w_j` was ever exactly zero).
    pub min_ln_norm_w: f64,
}

/// Follows `I_j = a_j^2 - |w_j|^2` at every accepted step of a run (an [`Observer`] that wants
/// every step), in scale-free form: `I_j = rho_j S_j` with `rho_j` the relative imbalance and
/// `S_j = a_j^2 + |w_j|^2` kept as a logarithm.
#[derive(Clone, Debug, PartialEq)]
pub struct ImbalanceTrace {
    /// The tolerance the run is held to (the flow's `rtol`).
    pub rtol: f64,
    /// Steps seen (after the initial state).
    pub steps: u64,
    /// Time of the last state seen.
    pub time: f64,
    /// Input dimension (for the rounding budget).
    pub d: usize,
    pub neurons: Vec<NeuronImbalance>,
}

impl ImbalanceTrace {
    /// An empty trace holding the run to `rtol`.
    pub fn new(rtol: f64) -> Self {
        Self { rtol, steps: 0, time: 0.0, d: 0, neurons: Vec::new() }
    }

    fn record(&mut self, p: &ScaledParams, time: f64) {
        if self.neurons.is_empty() {
            self.d = p.d();
            let init = l1_init_budget(self.d);
            self.neurons = (0..p.m())
                .map(|j| {
                    let rho0 = p.relative_imbalance(j);
                    let ls = ln_size(p, j);
                    NeuronImbalance {
                        rho0,
                        ln_size0: ls,
                        ln_size_prev: ls,
                        ln_step_sum: f64::NEG_INFINITY,
                        sign0: p.a_hat(j).signum(),
                        worst_drift: 0.0,
                        worst_balance_ratio: rho0.abs() / init,
                        sign_changes: u64::from(p.a_hat(j) == 0.0),
                        min_ln_norm_w: p.ln_norm_w(j),
                    }
                })
                .collect();
            self.time = time;
            return;
        }
        self.steps += 1;
        self.time = time;
        let budget = l1_step_budget(self.rtol, self.d);
        let init = l1_init_budget(self.d);
        for (j, nr) in self.neurons.iter_mut().enumerate() {
            let rho = p.relative_imbalance(j);
            let ls = ln_size(p, j);
            nr.ln_step_sum = log_add(nr.ln_step_sum, ls.max(nr.ln_size_prev));
            nr.ln_size_prev = ls;
            // everything divided by the step sum, so that no value leaves the f64 range
            let now = rho * (ls - nr.ln_step_sum).exp();
            let start = nr.rho0 * (nr.ln_size0 - nr.ln_step_sum).exp();
            nr.worst_drift = nr.worst_drift.max((now - start).abs());
            let allowed = init * (nr.ln_size0 - nr.ln_step_sum).exp() + budget;
            nr.worst_balance_ratio = nr.worst_balance_ratio.max(now.abs() / allowed);
            let a = p.a_hat(j);
            if a == 0.0 || a.signum() != nr.sign0 {
                nr.sign_changes += 1;
            }
            nr.min_ln_norm_w = nr.min_ln_norm_w.min(p.ln_norm_w(j));
        }
    }
}

impl Observer for ImbalanceTrace {
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, view: &View) {
        self.record(view.params, view.time);
    }
}

/// A run followed by an [`ImbalanceTrace`].
#[derive(Clone, Debug)]
pub struct L1Run {
    pub trace: ImbalanceTrace,
    /// `"flow"` or `"gd(eta)"`, the instance's sizes and `lambda`.
    pub context: String,
    /// How the run ended. A flow on non-orthogonal inputs may end with
    /// [`SimulationError::SlidingMode`] (the classical solution stops existing there); the trace
    /// then covers `[0, t_slide]`.
    pub outcome: Result<RunSummary, SimulationError>,
}

fn context(instance: &Instance, method: &str) -> String {
    format!(
        "{method} on n = {}, d = {}, m = {}, lambda = {:.3e}, {} init",
        instance.data.n(),
        instance.data.d(),
        instance.init.width,
        instance.lambda(),
        instance.init.kind
    )
}

/// A time by which the flow on `data` from scale `lambda` has passed its saddles:
/// `2.5 (-ln lambda) / min(|D+|, |D-|) + 20` (the last saddle is left near
/// `-ln(lambda)/|D-|`, Section 4.2; sides without labels are ignored).
pub fn flow_horizon(data: &Dataset, lambda: f64) -> f64 {
    let rate = [theory::d_plus_norm(data), theory::d_minus_norm(data)]
        .into_iter()
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let rate = if rate.is_finite() { rate } else { 1.0 };
    2.5 * (-lambda.ln()).max(1.0) / rate + 20.0
}

/// Runs the flow with tolerance `rtol` until the loss is below `1e-10 L(0)` or
/// [`flow_horizon`], following the imbalance at every accepted step.
pub fn l1_flow(instance: &Instance, rtol: f64) -> Result<L1Run, SimulationError> {
    let init = instance.initialisation()?;
    let model = instance.valid_model()?;
    let l0 = model.loss(&init.params.to_params(), &instance.data).max(f64::MIN_POSITIVE);
    let cfg = FlowConfig {
        rtol,
        stop: StopRule {
            until_loss: Some(1e-10 * l0),
            horizon: Some(flow_horizon(&instance.data, instance.lambda())),
            max_steps: Some(400_000),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut trace = ImbalanceTrace::new(rtol);
    let outcome = run_flow(&instance.data, model, &init.params, &cfg, &mut trace).map(|r| r.summary);
    Ok(L1Run { trace, context: context(instance, &format!("flow (rtol {rtol:e})")), outcome })
}

/// Runs gradient descent with step `eta` for `steps` steps, following the imbalance at every
/// step; the trace is held to the flow tolerance `rtol` (negative control of L1: the `eta^2` term
/// of gradient descent is not an integration error and exceeds that budget for a large `eta`).
pub fn l1_gd(instance: &Instance, eta: f64, steps: u64, rtol: f64) -> Result<L1Run, SimulationError> {
    let init = instance.initialisation()?;
    let cfg = GdConfig { step: eta, stop: StopRule { max_steps: Some(steps), ..Default::default() } };
    let mut trace = ImbalanceTrace::new(rtol);
    let outcome = run_gd(&instance.data, instance.valid_model()?, &init.params, &cfg, &mut trace).map(|r| r.summary);
    Ok(L1Run { trace, context: context(instance, &format!("gradient descent (eta {eta:e})")), outcome })
}

fn ending(outcome: &Result<RunSummary, SimulationError>, trace: &ImbalanceTrace) -> String {
    match outcome {
        Ok(s) => format!("{} steps to t = {:.4e} (final loss {:.3e})", s.steps, s.time, s.final_loss),
        Err(SimulationError::SlidingMode { time, .. }) => format!(
            "{} steps to the sliding mode at t = {time:.4e} (the classical flow ends there; checked on [0, t])",
            trace.steps
        ),
        Err(e) => format!("{} steps, then the run failed: {e}", trace.steps),
    }
}

/// L1, conservation: `max_j max_t |I_j(t) - I_j(0)| / sum_i max(S_j(t_i), S_j(t_{i+1}))` is at
/// most `(2 + 3 rtol) rtol + 4 (d + 2) eps`, with `I_j = a_j^2 - |w_j|^2`, `S_j = a_j^2 + |w_j|^2`
/// and the sum over the accepted steps up to `t`.
///
/// (a) Finite statement: the drift of `I_j` over the whole run, divided by the sum over the steps
/// of the neuron's size, is within the per-step budget above, for every neuron.
///
/// (b) Tolerance: the exact flow conserves `I_j` (Lemma 1; also between activation events, where
/// the simulator's vector field has fixed classes: `d a_j^2/dt = d|w_j|^2/dt = 2 a_j <D_j, w_j>`).
/// An accepted step from `theta_i` lands at `theta_{i+1} = phi(theta_i) + e` with the local error
/// `|e_j| <= rtol max(|theta_j(t_i)|, |theta_j(t_{i+1})|)` per neuron (the integrator's
/// per-neuron error control, assuming, as every error-per-step controller does, that the
/// embedded estimate bounds the local error). Since `I_j(phi(theta_i)) = I_j(theta_i)`,
/// `|I_j(theta_{i+1}) - I_j(theta_i)| <= 2|theta_j||e_j| + 3|e_j|^2 <= (2 + 3 rtol) rtol S_max`;
/// rounding the new state adds at most `4 (d + 2) eps S_max`. Summing over the steps gives the
/// bound. Nothing is tuned: the measured drift is typically `1e-3` of it (the fifth-order
/// solution is far more accurate than the fourth-order error estimate).
///
/// (c) `lambda`: the law is exact at every scale; the tests use the generators' `1e-8..1e-12`
/// and `1e-300` (all quantities are per-neuron ratios, which never underflow).
pub fn check_l1_conservation(run: &L1Run) -> Verdict {
    let t = &run.trace;
    let budget = l1_step_budget(t.rtol, t.d);
    let (j, worst) = t
        .neurons
        .iter()
        .enumerate()
        .map(|(j, n)| (j, n.worst_drift))
        .fold((0, 0.0f64), |acc, x| if x.1 > acc.1 { x } else { acc });
    Verdict::at_most(
        ClaimId::L1,
        worst,
        budget,
        format!(
            "Lemma 1 along the {}: max_j max_t |I_j(t) - I_j(0)| / sum_steps max(S_j) = {worst:.3e} (neuron {j}) \
             <= (2 + 3 rtol) rtol + 4 (d+2) eps = {budget:.3e}; {}",
            run.context,
            ending(&run.outcome, t)
        ),
    )
}

/// L1, balanced part: with the balanced initialisation (4), `a_j(t) = s_j |w_j(t)|` and
/// `|w_j(t)| > 0` at every step.
///
/// (a) Finite statement: at every accepted step, for every neuron, the sign of `a_j` is that of
/// `a_j(0)` (never zero), `ln |w_j|` is finite, and
/// `|a_j^2 - |w_j|^2| <= (d + 2) eps S_j(0) + budget * sum_i max(S_j(t_i), S_j(t_{i+1}))`
/// (measured: the worst ratio of the two sides, bound 1; `+inf` if a sign changed or a norm
/// vanished). Together these are `a_j = s_j |w_j|` to the accuracy of the run.
///
/// (b) Tolerance: `(d + 2) eps` is the rounding of the initial `a_j = s_j |w_j|`; the second term is
/// the conservation budget of [`check_l1_conservation`] (by the triangle inequality,
/// `|I(t)| <= |I(0)| + |I(t) - I(0)|`).
///
/// (c) `lambda`: as for [`check_l1_conservation`].
pub fn check_l1_balanced(run: &L1Run) -> Verdict {
    let t = &run.trace;
    let mut worst = 0.0f64;
    let mut which = 0;
    let mut problems = Vec::new();
    for (j, n) in t.neurons.iter().enumerate() {
        if n.worst_balance_ratio > worst {
            worst = n.worst_balance_ratio;
            which = j;
        }
        if n.sign_changes > 0 {
            problems.push(format!("a_{j} changed sign or vanished at {} steps", n.sign_changes));
        }
        if !n.min_ln_norm_w.is_finite() {
            problems.push(format!("|w_{j}| vanished"));
        }
    }
    let measured = if problems.is_empty() { worst } else { f64::INFINITY };
    let min_ln = t.neurons.iter().map(|n| n.min_ln_norm_w).fold(f64::INFINITY, f64::min);
    Verdict::at_most(
        ClaimId::L1,
        measured,
        1.0,
        format!(
            "Lemma 1 (balanced) along the {}: max_t max_j |a_j^2 - |w_j|^2| / ((d+2) eps S_j(0) + budget sum_steps \
             max(S_j)) = {worst:.3e} (neuron {which}) <= 1; min_t,j ln|w_j| = {min_ln:.2}; {}; {}",
            run.context,
            if problems.is_empty() { "no sign change".to_string() } else { problems.join(", ") },
            ending(&run.outcome, t)
        ),
    )
}

/// L1 on one run: [`check_l1_conservation`], and [`check_l1_balanced`] too if `balanced` (then
/// the verdict holds iff both do: [`Verdict::all`]).
pub fn check_l1(run: &L1Run, balanced: bool) -> Verdict {
    let v = check_l1_conservation(run);
    if !balanced {
        return v;
    }
    Verdict::all(ClaimId::L1, [v, check_l1_balanced(run)])
}

// ---------------------------------------------------------------------------------------------
// L1: the exact per-step law of gradient descent
// ---------------------------------------------------------------------------------------------

/// Follows every step of gradient descent and compares the change of `a_j^2 - |w_j|^2` with the
/// exact law `eta^2 (<D_j, w_j>^2 - |D_j|^2 a_j^2)` (an [`Observer`] wanting every step).
#[derive(Clone, Debug)]
pub struct GdLawTrace {
    data: Dataset,
    model: ValidModel,
    /// The step the law is evaluated with (the run's step, or a wrong one for a control).
    pub eta: f64,
    prev: Option<ScaledParams>,
    /// Steps compared.
    pub steps: u64,
    /// `max |measured - predicted| / rounding budget` over steps and neurons.
    pub worst_ratio: f64,
    /// `(step, neuron, measured, predicted)` of the worst ratio, relative to `S_j`.
    pub worst_at: (u64, usize, f64, f64),
    /// `max |predicted| / S_j`: how large the `eta^2` term itself was.
    pub largest_term: f64,
}

impl GdLawTrace {
    /// A trace evaluating the law with step `eta`.
    pub fn new(data: &Dataset, model: ValidModel, eta: f64) -> Self {
        Self {
            data: data.clone(),
            model,
            eta,
            prev: None,
            steps: 0,
            worst_ratio: 0.0,
            worst_at: (0, 0, 0.0, 0.0),
            largest_term: 0.0,
        }
    }

    fn compare(&mut self, p: &ScaledParams, q: &ScaledParams, step: u64) {
        let data = &self.data;
        let (n, d) = (data.n(), data.d());
        let plain = p.to_params();
        let h = self.model.predict(&plain, data);
        let r: Vec<f64> = h.iter().zip(data.y()).map(|(h, y)| h - y).collect();
        let x_norm: Vec<f64> = (0..n).map(|k| sq(data.x(k)).sqrt()).collect();
        let g: f64 = (0..n).map(|k| r[k].abs() * x_norm[k]).sum::<f64>() / n as f64;
        // |h(x_k)| scale, for the residual rounding of the kernel: sum_j |a_j act(z_jk)|
        let hs: Vec<f64> = (0..n)
            .map(|k| {
                plain.a.iter().zip(&plain.w).map(|(a, w)| (a * self.model.act(dot(w, data.x(k)))).abs()).sum::<f64>()
            })
            .collect();
        let m = p.m();
        let delta_d: f64 = (m as f64 + 2.0) * EPS * (0..n).map(|k| hs[k] * x_norm[k]).sum::<f64>() / n as f64;
        let kappa = 1f64.max(self.model.negative_slope().abs()).max(self.model.relu_prime_at_zero().abs());
        let eta = self.eta;
        let mut dj = vec![0.0; d];
        for j in 0..m {
            let (a, w) = (p.a_hat(j), p.w_hat(j));
            let shift = q.exponent(j) - p.exponent(j);
            let a1 = ldexp(q.a_hat(j), shift);
            let w1: Vec<f64> = q.w_hat(j).iter().map(|v| ldexp(*v, shift)).collect();
            let s0 = a * a + sq(w);
            let s1 = a1 * a1 + sq(&w1);
            let smax = s0.max(s1);
            let measured = (a1 * a1 - sq(&w1)) - (a * a - sq(w));
            dj.iter_mut().for_each(|v| *v = 0.0);
            for k in 0..n {
                let c = -self.model.act_prime(dot(w, data.x(k))) * r[k] / n as f64;
                for (o, xv) in dj.iter_mut().zip(data.x(k)) {
                    *o += c * xv;
                }
            }
            let dw = dot(&dj, w);
            let dn2 = sq(&dj);
            let predicted = eta * eta * (dw * dw - dn2 * a * a);
            let terms = eta * eta * (dw * dw + dn2 * a * a);
            let budget = (2.0 * (d as f64 + 2.0) + 2.0) * EPS * smax
                + eta * (d as f64 + n as f64 + 2.0) * EPS * kappa * smax * g
                + (n as f64 + d as f64 + 4.0) * EPS * terms
                + eta * eta * 2.0 * (dn2.sqrt() + delta_d) * delta_d * smax;
            let ratio = (measured - predicted).abs() / budget;
            if ratio > self.worst_ratio {
                self.worst_ratio = ratio;
                self.worst_at = (step, j, measured / s0, predicted / s0);
            }
            self.largest_term = self.largest_term.max(predicted.abs() / s0);
        }
        self.steps += 1;
    }
}

impl Observer for GdLawTrace {
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, view: &View) {
        if let Some(prev) = self.prev.take() {
            self.compare(&prev, view.params, view.step);
        }
        self.prev = Some(view.params.clone());
    }
}

/// Runs gradient descent with step `eta` for `steps` steps and evaluates the discrete law with
/// `law_eta` (the same `eta`, or a wrong one for a negative control).
pub fn l1_gd_law(instance: &Instance, eta: f64, steps: u64, law_eta: f64) -> Result<GdLawTrace, SimulationError> {
    let init = instance.initialisation()?;
    let model = instance.valid_model()?;
    let cfg = GdConfig { step: eta, stop: StopRule { max_steps: Some(steps), ..Default::default() } };
    let mut trace = GdLawTrace::new(&instance.data, model, law_eta);
    run_gd(&instance.data, model, &init.params, &cfg, &mut trace)?;
    Ok(trace)
}

/// L1, gradient descent: at every step `s` and for every neuron,
/// `|Delta_s(a_j^2 - |w_j|^2) - eta^2 (<D_j, w_j>^2 - |D_j|^2 a_j^2)|` is within the rounding
/// budget below (measured: the worst ratio, bound 1).
///
/// (a) Finite statement: the per-step law holds to rounding at every step of the run, with
/// `D_j = -(1/n) sum_k act'(<w_j, x_k>) (h(x_k) - y_k) x_k` recomputed from `theta_s`.
///
/// (b) Tolerance (floating-point error analysis of one step, per neuron, in units of
/// `S = max(S_s, S_{s+1})`): evaluating `a^2 - |w|^2` twice, `2(d + 2) eps S`; rounding the update,
/// `2 eps S`; the first-order term `2 eta (a <D, w> - <w, a D>)`, zero in exact arithmetic, is
/// computed from rounded pre-activations and a rounded `D_j`, at most
/// `eta (d + n + 2) eps kappa S (1/n) sum_k |r_k| |x_k|` (`kappa = max(1, |act'|)`); the
/// `eta^2` terms carry a relative `(n + d + 4) eps`, and the kernel's residuals differ from the
/// ones recomputed here by at most `(m + 2) eps sum_j |a_j act(z_jk)|`. No constant is fitted.
///
/// (c) `lambda`: any; the tests use moderate `lambda` (the law is about the step, not the scale).
pub fn check_l1_gd_law(trace: &GdLawTrace, context: &str) -> Verdict {
    let (step, j, meas, pred) = trace.worst_at;
    Verdict::at_most(
        ClaimId::L1,
        trace.worst_ratio,
        1.0,
        format!(
            "Lemma 1, gradient descent law ({context}, law evaluated with eta = {:e}): over {} steps, max \
             |Delta I_j - eta^2(<D_j,w_j>^2 - |D_j|^2 a_j^2)| / rounding budget = {:.3e} <= 1 (worst at step {step}, \
             neuron {j}: measured {meas:.6e}, predicted {pred:.6e}, relative to S_j); largest eta^2 term {:.3e} S_j",
            trace.eta, trace.steps, trace.worst_ratio, trace.largest_term
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// L6 and P2: coordinates on and below the activation boundary
// ---------------------------------------------------------------------------------------------

/// Keeps the full parameters at requested times (the flow interpolates its dense output there)
/// and at the end.
struct CheckpointObserver {
    times: Vec<f64>,
    next: usize,
    states: Vec<(f64, u64, ScaledParams)>,
}

impl Observer for CheckpointObserver {
    fn next_time(&self) -> f64 {
        self.times.get(self.next).copied().unwrap_or(f64::INFINITY)
    }
    fn observe(&mut self, view: &View) {
        while self.next < self.times.len() && self.times[self.next] <= view.time {
            self.next += 1;
        }
        if self.states.last().is_none_or(|s| s.0 < view.time) {
            self.states.push((view.time, view.step, view.params.clone()));
        }
    }
    fn on_end(&mut self, view: &View) {
        if self.states.last().is_none_or(|s| s.0 < view.time) {
            self.states.push((view.time, view.step, view.params.clone()));
        }
    }
}

/// Full parameters of a flow run at many times.
#[derive(Clone, Debug)]
pub struct CheckpointRun {
    pub data: Dataset,
    /// The method, sizes, `lambda`, model.
    pub context: String,
    /// `L(theta(0))`.
    pub initial_loss: f64,
    /// `(time, accepted steps so far, parameters)`: the initial state first, then the
    /// checkpoints, then the final state if the run ended normally.
    pub states: Vec<(f64, u64, ScaledParams)>,
    /// How the run ended (the states before an error are kept).
    pub outcome: Result<RunSummary, SimulationError>,
}

/// Checkpoint times on `[0, horizon]`: 40 log-spaced from `1e-3` (early alignment) and
/// `count` evenly spaced.
pub fn checkpoint_times(horizon: f64, count: usize) -> Vec<f64> {
    let mut t: Vec<f64> = (0..40).map(|i| 1e-3 * (horizon / 1e-3).powf(i as f64 / 40.0)).collect();
    t.extend((1..=count).map(|i| horizon * i as f64 / count as f64));
    t.sort_by(f64::total_cmp);
    t.dedup();
    t
}

/// Runs the flow of `instance` to `horizon` (tolerance `rtol`), keeping the parameters at
/// [`checkpoint_times`]`(horizon, count)`.
pub fn flow_checkpoints(
    instance: &Instance,
    horizon: f64,
    count: usize,
    rtol: f64,
) -> Result<CheckpointRun, SimulationError> {
    let init = instance.initialisation()?;
    let model = instance.valid_model()?;
    let initial_loss = model.loss(&init.params.to_params(), &instance.data);
    let cfg = FlowConfig {
        rtol,
        stop: StopRule { horizon: Some(horizon), max_steps: Some(400_000), ..Default::default() },
        ..Default::default()
    };
    let mut obs = CheckpointObserver {
        times: checkpoint_times(horizon, count),
        next: 0,
        states: vec![(0.0, 0, init.params.clone())],
    };
    let outcome = run_flow(&instance.data, model, &init.params, &cfg, &mut obs).map(|r| r.summary);
    Ok(CheckpointRun {
        data: instance.data.clone(),
        context: format!(
            "flow (rtol {rtol:e}) on n = {}, d = {}, m = {}, lambda = {:.3e}, {}",
            instance.data.n(),
            instance.data.d(),
            instance.init.width,
            instance.lambda(),
            instance.model
        ),
        initial_loss,
        states: obs.states,
        outcome,
    })
}

/// The L6 rounding budget for a coordinate `<w_j, x_k>` from time 0 to a state reached after
/// `steps` accepted steps at time `t`, relative to `max |w_j| |x_k|` (see [`check_l6`]).
pub fn l6_budget(n: usize, d: usize, steps: u64, t: f64, initial_loss: f64, a_over_w: f64) -> f64 {
    let delta_max = 4.0 * n.max(d) as f64 * EPS;
    EPS * (2.0 * d as f64 + 4.0 * (d as f64 + 1.0).sqrt() * steps as f64)
        + (delta_max + n as f64 * EPS) * (2.0 * initial_loss).sqrt() * t * a_over_w
}

/// What [`check_l6`] and [`check_p2`] measured on the coordinates of a [`CheckpointRun`].
#[derive(Clone, Debug, PartialEq)]
pub struct BoundaryMeasure {
    /// Coordinates that were non-positive (to the budget) at some state.
    pub nonpositive: usize,
    /// Of those, coordinates that had been clearly positive before (they reached 0).
    pub reached_zero: usize,
    /// `max |z(c2) - z(c1)| / ((budget(c1) + budget(c2)) W |x_k|)` over coordinates
    /// non-positive at `c1` (the first such state) and every later state `c2`.
    pub worst_ratio: f64,
    /// `(neuron, point, time c1, time c2, move / (W |x_k|))` of the worst ratio.
    pub worst_at: (usize, usize, f64, f64, f64),
    /// Coordinates clearly positive at some state and clearly negative at a later one.
    pub crossed_to_negative: usize,
    /// The most negative `z / (W |x_k|)` among those.
    pub deepest: f64,
    /// The largest budget used, relative to `W |x_k|`.
    pub largest_budget: f64,
}

/// Measures every coordinate `z_jk = <w_j, x_k>` of a [`CheckpointRun`]: see [`check_l6`].
pub fn measure_boundary(run: &CheckpointRun) -> BoundaryMeasure {
    let data = &run.data;
    let (n, d) = (data.n(), data.d());
    let states = &run.states;
    let m = states.first().map_or(0, |s| s.2.m());
    let a_over_w = states
        .iter()
        .flat_map(|(_, _, p)| (0..p.m()).map(move |j| p.a_hat(j).abs() / sq(p.w_hat(j)).sqrt()))
        .filter(|v| v.is_finite())
        .fold(1.0f64, f64::max);
    let budgets: Vec<f64> =
        states.iter().map(|(t, steps, _)| l6_budget(n, d, *steps, *t, run.initial_loss, a_over_w)).collect();
    let mut out = BoundaryMeasure {
        nonpositive: 0,
        reached_zero: 0,
        worst_ratio: 0.0,
        worst_at: (0, 0, 0.0, 0.0, 0.0),
        crossed_to_negative: 0,
        deepest: 0.0,
        largest_budget: budgets.iter().copied().fold(0.0, f64::max),
    };
    for j in 0..m {
        let e_ref = states.iter().map(|s| s.2.exponent(j)).max().unwrap_or(0);
        // |w_j| and z_jk in units of 2^e_ref
        let wn: Vec<f64> = states.iter().map(|s| ldexp(sq(s.2.w_hat(j)).sqrt(), s.2.exponent(j) - e_ref)).collect();
        let mut w_max = Vec::with_capacity(wn.len());
        let mut running = 0.0f64;
        for &v in &wn {
            running = running.max(v);
            w_max.push(running);
        }
        for k in 0..n {
            let xk = data.x(k);
            let xn = sq(xk).sqrt();
            let z: Vec<f64> = states.iter().map(|s| ldexp(dot(s.2.w_hat(j), xk), s.2.exponent(j) - e_ref)).collect();
            // first state at which the coordinate is non-positive to the budget
            let mut was_positive = false;
            let mut first = None;
            for c in 0..z.len() {
                let tau = budgets[c] * w_max[c] * xn;
                if z[c] <= tau {
                    first = Some(c);
                    break;
                }
                was_positive = true;
            }
            if let Some(c1) = first {
                out.nonpositive += 1;
                if was_positive {
                    out.reached_zero += 1;
                }
                for c2 in c1 + 1..z.len() {
                    let scale = w_max[c2] * xn;
                    let allowed = (budgets[c1] + budgets[c2]) * scale;
                    let moved = (z[c2] - z[c1]).abs();
                    let ratio = if allowed > 0.0 {
                        moved / allowed
                    } else if moved > 0.0 {
                        f64::INFINITY
                    } else {
                        0.0
                    };
                    if ratio > out.worst_ratio {
                        out.worst_ratio = ratio;
                        out.worst_at = (j, k, states[c1].0, states[c2].0, moved / scale);
                    }
                }
            }
            // P2: clearly positive, later clearly negative
            let mut positive_seen = false;
            let mut crossed = false;
            for c in 0..z.len() {
                let tau = budgets[c] * w_max[c] * xn;
                if z[c] > tau {
                    positive_seen = true;
                } else if positive_seen && z[c] < -tau {
                    crossed = true;
                    out.deepest = out.deepest.min(z[c] / (w_max[c] * xn));
                }
            }
            if crossed {
                out.crossed_to_negative += 1;
            }
        }
    }
    out
}

fn run_ending(run: &CheckpointRun) -> String {
    match &run.outcome {
        Ok(s) => format!("{} states to t = {:.4e} ({} steps, {} events)", run.states.len(), s.time, s.steps, s.events),
        Err(e) => format!("{} states before the run stopped: {e}", run.states.len()),
    }
}

/// L6 (Lemma 6, eq. (11)): on orthonormal inputs, once `z_jk = <w_j, x_k>` is non-positive it
/// never moves (`dz_jk/dt = -(1/n)(h(x_k) - y_k) a_j 1{z_jk > 0}` is 0 for a negative coordinate,
/// and 0 for a coordinate at 0 since `relu'(0) = 0`).
///
/// (a) Finite statement: for every coordinate and the first state `c1` at which
/// `z_jk(c1) <= budget(c1) W |x_k|`, every later state `c2` has
/// `|z_jk(c2) - z_jk(c1)| <= (budget(c1) + budget(c2)) W |x_k|`, where `W = max_{c <= c2} |w_j(c)|`
/// (measured: the worst ratio of the two sides, bound 1). This covers both halves of the claim:
/// negative coordinates are frozen, and coordinates that reach 0 stay at 0.
///
/// (b) Tolerance, from floating-point rounding only ([`l6_budget`], relative to `W |x_k|`, for a
/// state after `N` accepted steps at time `t`): `2 d eps` for evaluating `<w_j, x_k>` at both
/// states; `4 sqrt(d + 1) eps N` for rounding the state update of each step (each component of
/// `w_j` is rounded, which moves `<w_j, x_k>` by at most `eps |w_j| |x_k|` per rounding, with a
/// factor 4 for the Runge-Kutta combination and the dense output); and
/// `(delta + n eps) sqrt(2 L(0)) t A` for the velocity a frozen coordinate picks up from the
/// rounding of the inputs' Gram matrix, `|<x_l, x_k>| <= delta` for `l != k`, and of `D_j`:
/// `|dz/dt| <= |a_j| (delta + n eps)(1/n) sum_l |r_l|` with `(1/n) sum_l |r_l| <= sqrt(2 L) <=
/// sqrt(2 L(0))` and `|a_j| <= A |w_j|`, `A = max |a_j| / |w_j|` over the run. `delta` is taken as
/// `4 max(n, d) eps`, what the orthonormal generator delivers (Assumption 1 to rounding); it is
/// not measured from the data, so non-orthogonal inputs (a negative control) are judged by the
/// same budget and fail.
///
/// (c) `lambda`: the law is exact at every scale; the tests use `1e-8..1e-12` and `1e-300`.
pub fn check_l6(run: &CheckpointRun) -> Verdict {
    let m = measure_boundary(run);
    let (j, k, t1, t2, moved) = m.worst_at;
    Verdict::at_most(
        ClaimId::L6,
        m.worst_ratio,
        1.0,
        format!(
            "Lemma 6 along the {}: {} coordinates non-positive at some state ({} reached 0 from above); max \
             |z(c2) - z(c1)| / ((budget(c1) + budget(c2)) W |x_k|) = {:.3e} <= 1 (worst: <w_{j}, x_{k}> moved by \
             {moved:.3e} W|x_k| between t = {t1:.4e} and {t2:.4e}; largest budget {:.3e}); {}",
            run.context,
            m.nonpositive,
            m.reached_zero,
            m.worst_ratio,
            m.largest_budget,
            run_ending(run)
        ),
    )
}

/// P2 (Proposition 2): with `relu'(0) = sigma0 > 0`, the boundary behaviour of L6 breaks: a
/// coordinate that reaches 0 while `(h(x_k) - y_k) a_j != 0` has velocity
/// `-(1/n)(h(x_k) - y_k) a_j sigma0 != 0` there, pointing below 0 (it reached 0 from above, so
/// `(h(x_k) - y_k) a_j > 0`), while every negative coordinate has velocity 0; no solution can
/// stay at 0 nor go below it, which is the paper's proof that (39) has no global solution.
///
/// What the simulator does, and this check asserts: such coordinates leave the `Zero` class
/// downwards and end strictly negative (at about `-ZERO_BAND W |x_k|`, the edge of the
/// simulator's boundary band, after which they are frozen as negative coordinates).
///
/// (a) Finite statement: at least one coordinate is clearly positive
/// (`z > budget W |x_k|`) at some state and clearly negative (`z < -budget W |x_k|`) at a later
/// one (measured: the number of such coordinates, bound 1). On orthonormal inputs with
/// `sigma0 = 0` this is impossible (L6: a coordinate reaching 0 stays at 0), which is the
/// negative control.
///
/// (b) Tolerance: the L6 rounding budget ([`l6_budget`]); the observed depth is reported.
///
/// (c) `lambda`: the generators' `1e-8..1e-12`; the phenomenon needs a coordinate to reach 0
/// before its point is fitted, which happens in the early-alignment phase.
pub fn check_p2(run: &CheckpointRun) -> Verdict {
    let m = measure_boundary(run);
    Verdict::at_least(
        ClaimId::P2,
        m.crossed_to_negative as f64,
        1.0,
        format!(
            "Proposition 2 along the {}: {} coordinates went from clearly positive to clearly negative \
             (deepest z / (W|x_k|) = {:.3e}, budget {:.3e}) >= 1; {} coordinates reached the boundary from \
             above; {}",
            run.context,
            m.crossed_to_negative,
            m.deepest,
            m.largest_budget,
            m.reached_zero,
            run_ending(run)
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Instances
// ---------------------------------------------------------------------------------------------

/// Non-orthogonal data on which the flow has no sliding mode: `n` inputs with i.i.d. `|N(0, 1)|`
/// entries in `R^d` (all pairwise inner products positive) and positive labels uniform in
/// `[0.5, 2]`. While all residuals have one sign (no point overfitted yet) and all
/// `<x_l, x_k> > 0`, a coordinate's own term and the others' terms push it the same way at 0, so
/// no coordinate is pushed onto 0 from both sides: the sliding modes of generic non-orthogonal
/// data (which stop the flow within `t < 1`) are avoided during the fitting; a sliding mode can
/// still occur later, once some point is overfitted.
pub fn positive_cone_dataset(n: usize, d: usize, seed: u64) -> Dataset {
    let mut inputs = seeds::rng(seed, Stream::DataInputs);
    let x: Vec<Vec<f64>> =
        (0..n).map(|_| (0..d).map(|_| inputs.sample::<f64, _>(StandardNormal).abs()).collect()).collect();
    let mut labels = seeds::rng(seed, Stream::DataLabels);
    let y: Vec<f64> = (0..n).map(|_| 0.5 + 1.5 * labels.random::<f64>()).collect();
    Dataset::new(x, y).expect("finite data")
}

/// The inputs of `data` made non-orthogonal: `x_k + 0.5 u` with `u = (1/sqrt(n)) sum_l x_l`
/// (pairwise cosines about `0.3` to `0.5` for orthonormal `x_k`), same labels.
pub fn correlated_inputs(data: &Dataset) -> Dataset {
    let (n, d) = (data.n(), data.d());
    let mut u = vec![0.0; d];
    for k in 0..n {
        for (ui, xi) in u.iter_mut().zip(data.x(k)) {
            *ui += xi / (n as f64).sqrt();
        }
    }
    let rows = (0..n).map(|k| data.x(k).iter().zip(&u).map(|(x, u)| x + 0.5 * u).collect()).collect();
    Dataset::new(rows, data.y().to_vec()).expect("finite data")
}

/// A positive-cone instance ([`positive_cone_dataset`]) drawn from `seed`: `n` in `2..=5`,
/// `d - n` in `0..=3`, `m = 2^(n+2)`, `lambda` in `[1e-12, 2e-8)`.
pub fn positive_cone_instance(seed: u64, kind: InitKind) -> Instance {
    let mut rng = seeds::rng(seed, Stream::InstanceChoice);
    let n = rng.random_range(2..=5usize);
    let d = n + rng.random_range(0..=3usize);
    let lambda = (1.0 + rng.random_range(0..8u32) as f64 / 8.0) * 10f64.powi(-rng.random_range(8..=12i32));
    let data = positive_cone_dataset(n, d, rng.random());
    Instance { data, init: InitSpec { kind, width: 4 << n, lambda, seed: rng.random() }, model: Model::relu() }
}

/// An orthonormal instance with a given number of points and a tiny `lambda` (no Assumption 3
/// requirement: L1 and L6 hold for every initialisation).
pub fn orthonormal_instance(n: usize, d: usize, m: usize, lambda: f64, seed: u64) -> Option<Instance> {
    let data = random_orthonormal(n, d, &Default::default(), seed).ok()?;
    Some(Instance::balanced(data, m, lambda, seed.wrapping_add(1)))
}

// ---------------------------------------------------------------------------------------------
// reluflow verify
// ---------------------------------------------------------------------------------------------

/// The flow tolerance the checks run with.
pub const RTOL: f64 = 1e-9;

/// Checkpoints per run for L6 and P2 (plus 40 log-spaced early ones).
pub const CHECKPOINTS: usize = 100;

/// `relu'(0)` used by `run(P2, ..)`.
pub const SIGMA0: f64 = 1.0;

/// The instance of claim `id` (L1, L6 or P2) drawn from `seed` for `reluflow verify`.
///
/// - L1: `seed % 4` picks orthonormal data (generators' default shape) or positive-cone
///   non-orthogonal data ([`positive_cone_instance`]), each with the balanced or the unbalanced
///   initialisation.
/// - L6, P2: a default orthonormal instance (Assumptions 1-3).
pub fn instance(id: ClaimId, seed: u64) -> Result<Instance, Outcome> {
    let drawn = match id {
        ClaimId::L1 => {
            let kind = if (seed / 2) % 2 == 0 { InitKind::Balanced } else { InitKind::Unbalanced };
            if seed % 2 == 0 {
                InstanceShape { assumption_3: false, init: kind, ..InstanceShape::default() }.sample(seed)
            } else {
                Some(positive_cone_instance(seed, kind))
            }
        }
        _ => InstanceShape::default().sample(seed),
    };
    drawn.ok_or_else(|| skipped(id, "no orthonormal instance drawn"))
}

/// Checks claim `id` (L1, L6 or P2) on `instance`.
///
/// - L1: the flow runs to convergence and [`check_l1`] judges it (the balanced part only for
///   balanced initialisations).
/// - L6: [`flow_checkpoints`] to [`flow_horizon`], [`check_l6`].
/// - P2: the same instance with `relu'(0) = SIGMA0`; skipped when the `sigma0 = 0` flow has no
///   coordinate reaching 0 (then `relu'(0)` is never used and the proposition's mechanism cannot
///   show), else [`check_p2`].
pub fn check(id: ClaimId, instance: &Instance) -> Outcome {
    let result = match id {
        ClaimId::L1 => check_l1_on(instance),
        ClaimId::L6 => check_l6_on(instance),
        ClaimId::P2 => check_p2_on(instance),
        other => Err(Outcome::Skipped { claim: other, reason: "not a conservation claim (L1, L6, P2)".into() }),
    };
    match result {
        Ok(v) => Outcome::Checked(v),
        Err(o) => o,
    }
}

fn skipped(id: ClaimId, reason: &str) -> Outcome {
    Outcome::Skipped { claim: id, reason: reason.into() }
}

fn error(id: ClaimId, e: SimulationError) -> Outcome {
    Outcome::Error { claim: id, error: e.to_string() }
}

fn check_l1_on(instance: &Instance) -> Result<Verdict, Outcome> {
    let run = l1_flow(instance, RTOL).map_err(|e| error(ClaimId::L1, e))?;
    match &run.outcome {
        Ok(_) | Err(SimulationError::SlidingMode { .. }) => {}
        Err(e) => return Err(error(ClaimId::L1, e.clone())),
    }
    Ok(check_l1(&run, instance.init.kind == InitKind::Balanced))
}

fn check_l6_on(instance: &Instance) -> Result<Verdict, Outcome> {
    let horizon = flow_horizon(&instance.data, instance.lambda());
    let run = flow_checkpoints(instance, horizon, CHECKPOINTS, RTOL).map_err(|e| error(ClaimId::L6, e))?;
    if let Err(e) = &run.outcome {
        return Err(error(ClaimId::L6, e.clone()));
    }
    Ok(check_l6(&run))
}

fn check_p2_on(instance: &Instance) -> Result<Verdict, Outcome> {
    let horizon = flow_horizon(&instance.data, instance.lambda());
    let reference = flow_checkpoints(instance, horizon, CHECKPOINTS, RTOL).map_err(|e| error(ClaimId::P2, e))?;
    if measure_boundary(&reference).reached_zero == 0 {
        return Err(skipped(ClaimId::P2, "with relu'(0) = 0 no coordinate reaches 0 on this instance"));
    }
    let sigma = instance.with_model(Model { relu_prime_at_zero: SIGMA0, ..Model::relu() });
    let run = flow_checkpoints(&sigma, horizon, CHECKPOINTS, RTOL).map_err(|e| error(ClaimId::P2, e))?;
    if let Err(e) = &run.outcome {
        return Err(error(ClaimId::P2, e.clone()));
    }
    Ok(check_p2(&run))
}

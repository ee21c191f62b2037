//! L1 (Lemma 1) along a run: the conservation of `I_j = a_j^2 - |w_j|^2` and the balance
//! `a_j = s_j |w_j|`, judged on an [`ImbalanceTrace`] (the evidence, [`L1Run`]); producing it
//! ([`l1_flow`], [`l1_gd`]) is separate from judging it ([`check_l1_conservation`],
//! [`check_l1_balanced`], [`check_l1`]).

use super::instances::flow_horizon;
use crate::Instance;
use crate::claims::{ClaimId, Verdict};
use crate::solver::flow::{FlowConfig, run_flow};
use crate::solver::gd::{GdConfig, run_gd};
use crate::solver::{RunSummary, SimulationError, StopRule};
use crate::trajectory::imbalance::ImbalanceTrace;

const EPS: f64 = f64::EPSILON;

/// Per-step error budget of the flow integrator for the conserved quantity of one neuron,
/// relative to `max(S_i, S_{i+1})`, `S = a_j^2 + |w_j|^2`: `(2 + 3 rtol) rtol + 4 (d + 2) eps`
/// (derived in [`check_l1_conservation`]).
pub fn l1_step_budget(rtol: f64, d: usize) -> f64 {
    (2.0 + 3.0 * rtol) * rtol + 4.0 * (d as f64 + 2.0) * EPS
}

/// Rounding of the balanced initialisation `a_j = s_j |w_j|`, relative to `S_j(0)`: `|w_j|^2` is a
/// sum of `d` squares and `a_j` a product of a rounded norm (a few `eps` each): `(d + 2) eps`.
pub fn l1_init_budget(d: usize) -> f64 {
    (d as f64 + 2.0) * EPS
}

/// The evidence of L1 along one run: its [`ImbalanceTrace`] and what the run was.
#[derive(Clone, Debug)]
pub struct L1Run {
    /// The imbalance followed at every accepted step.
    pub trace: ImbalanceTrace,
    /// The per-neuron relative tolerance the run is held to: the flow's `rtol` (for gradient
    /// descent, the flow tolerance it is compared with).
    pub rtol: f64,
    /// `"flow"` or `"gradient descent"`, the instance's sizes and `lambda`.
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
    let mut trace = ImbalanceTrace::new();
    let outcome = run_flow(&instance.data, model, &init.params, &cfg, &mut trace).map(|r| r.summary);
    Ok(L1Run { trace, rtol, context: context(instance, &format!("flow (rtol {rtol:e})")), outcome })
}

/// Runs gradient descent with step `eta` for `steps` steps, following the imbalance at every
/// step; the run is held to the flow tolerance `rtol` (negative control of L1: the `eta^2` term
/// of gradient descent is not an integration error and exceeds that budget for a large `eta`).
pub fn l1_gd(instance: &Instance, eta: f64, steps: u64, rtol: f64) -> Result<L1Run, SimulationError> {
    let init = instance.initialisation()?;
    let cfg = GdConfig { step: eta, stop: StopRule { max_steps: Some(steps), ..Default::default() } };
    let mut trace = ImbalanceTrace::new();
    let outcome = run_gd(&instance.data, instance.valid_model()?, &init.params, &cfg, &mut trace).map(|r| r.summary);
    Ok(L1Run { trace, rtol, context: context(instance, &format!("gradient descent (eta {eta:e})")), outcome })
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
/// bound. Nothing is tuned: the measured drift of the flow is typically `1e-3` of it (the
/// fifth-order solution is far more accurate than the fourth-order error estimate). That the
/// check's threshold is this budget and no other is shown on gradient descent, whose per-step
/// change of `I_j` is known exactly (`eta^2 (<D_j, w_j>^2 - |D_j|^2 a_j^2)`): a step placed at
/// `0.8` of the budget holds, one at `1.2` fails, both for the `rtol` term and for the rounding
/// term alone (`rtol = 0`) (test `l1_budget_is_the_threshold_of_the_check`).
///
/// (c) `lambda`: the law is exact at every scale; the tests use the generators' `1e-8..1e-12`
/// and `1e-300` (all quantities are per-neuron ratios, which never underflow).
pub fn check_l1_conservation(run: &L1Run) -> Verdict {
    let t = &run.trace;
    if t.neurons.is_empty() {
        return Verdict::failed(ClaimId::L1, format!("Lemma 1 along the {}: no state recorded", run.context));
    }
    let budget = l1_step_budget(run.rtol, t.d);
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
/// (a) Finite statement: the initial state is balanced to rounding,
/// `max_j |a_j(0)^2 - |w_j(0)|^2| / S_j(0) <= (d + 2) eps` (measured: that ratio over its bound,
/// bound 1), and at every accepted step, for every neuron, `a_j` has the sign of `a_j(0)` (never
/// zero) and `ln |w_j|` is finite (measured `+inf` otherwise). With the conservation of
/// [`check_l1_conservation`] (`|I_j(t) - I_j(0)|` within its budget) these are `a_j = s_j |w_j|`
/// at every step to the accuracy of the run: `|I_j(t)| <= |I_j(0)| + |I_j(t) - I_j(0)|`, and
/// `a_j^2 = |w_j|^2` with the sign of `a_j(0)` is `a_j = s_j |w_j|`.
///
/// (b) Tolerance: `(d + 2) eps` is the rounding of the initial `a_j = s_j |w_j|` ([`l1_init_budget`]).
///
/// (c) `lambda`: as for [`check_l1_conservation`].
pub fn check_l1_balanced(run: &L1Run) -> Verdict {
    let t = &run.trace;
    if t.neurons.is_empty() {
        return Verdict::failed(
            ClaimId::L1,
            format!("Lemma 1 (balanced) along the {}: no state recorded", run.context),
        );
    }
    let init = l1_init_budget(t.d);
    let mut worst = 0.0f64;
    let mut which = 0;
    let mut problems = Vec::new();
    for (j, n) in t.neurons.iter().enumerate() {
        let ratio = n.rho0.abs() / init;
        if ratio > worst || ratio.is_nan() {
            worst = ratio;
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
            "Lemma 1 (balanced) along the {}: max_j |a_j(0)^2 - |w_j(0)|^2| / ((d+2) eps S_j(0)) = {worst:.3e} \
             (neuron {which}) <= 1; min_t,j ln|w_j| = {min_ln:.2}; {}; {}",
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

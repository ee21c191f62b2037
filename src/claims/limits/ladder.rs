//! The evidence of the ladder claims and how it is simulated: a [`Rung`] is one run to
//! convergence at one `lambda` (its data, `theta(0)`, `theta_end`, the run summary and every
//! step's [`StepRecord`]); a [`Ladder`] is the rungs of one instance at several `lambda` with the
//! same directions `g_j` and signs `s_j`. Both are plain data: the judges (`check_*`) read them
//! and never simulate, so a ladder recorded by another program can be judged the same way.

use super::{RTOL, UNTIL_LOSS, pl_constant};
use crate::Instance;
use crate::data::Dataset;
use crate::init::NeuronSets;
use crate::params::{Params, ScaledParams, ldexp};
use crate::solver::flow::{FlowConfig, run_flow};
use crate::solver::gd::{GdConfig, run_gd};
use crate::solver::{RunSummary, SimulationError, StopReason, StopRule};
use crate::theory;
pub use crate::trajectory::phase_steps::{PhaseObserver, PhaseRecord, StepRecord};

/// How a rung is integrated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Integrator {
    /// The gradient flow (adaptive Dormand-Prince, exact activation events) at this `rtol`.
    Flow {
        /// Relative tolerance per neuron and step.
        rtol: f64,
    },
    /// Gradient descent with this step (non-orthogonal data, where the flow can meet a sliding
    /// mode: `SimulationError::SlidingMode`).
    Gd {
        /// The step size.
        step: f64,
    },
}

/// One rung of a ladder: a run to convergence at one `lambda`.
#[derive(Clone, Debug)]
pub struct Rung {
    /// The initialisation scale (`w_j(0) = lambda g_j`).
    pub lambda: f64,
    /// The training set (it differs from rung to rung for NO).
    pub data: Dataset,
    /// How the run was integrated.
    pub integrator: Integrator,
    /// The run's summary (final time, loss, steps, why it stopped).
    pub summary: RunSummary,
    /// The horizon the run was given ([`derived_horizon`]).
    pub horizon: f64,
    /// `theta(0)`.
    pub initial_params: ScaledParams,
    /// `theta` at the end of the run.
    pub final_params: ScaledParams,
    /// Every accepted step.
    pub steps: Vec<StepRecord>,
    /// Gradient descent: `sum zeta^2` over every step at which a pre-activation crossed from
    /// `> 0` to `<= 0`, `zeta = <w_j, x_k>/|x_k|` just after the crossing (how far the step
    /// carried the coordinate past 0). The flow stops at every crossing (0). See
    /// [`check_no`](super::check_no).
    pub overshoot_sq: f64,
}

impl Rung {
    /// `ln(1/lambda)`.
    pub fn log_inv_lambda(&self) -> f64 {
        -self.lambda.ln()
    }
    /// `N rtol` (flow; 0 for gradient descent): the relative error per neuron we allow the
    /// integrator after `N` accepted steps (module docs).
    pub fn integrator_resolution(&self) -> f64 {
        match self.integrator {
            Integrator::Flow { rtol } => self.summary.steps as f64 * rtol,
            Integrator::Gd { .. } => 0.0,
        }
    }
    /// Whether the run reached `L < until_loss` before its horizon.
    pub fn converged(&self) -> bool {
        self.summary.stop_reason == StopReason::LossBelow
    }
    /// The initial directions `g_j = w_j(0) / lambda` (and `a_j(0) / lambda`) of eq. (4), from
    /// `theta(0)` and `lambda` alone: neuron `j` is stored as `2^e_j` times its mantissa, so
    /// `g_j` is the mantissa times `2^e_j / lambda`, which is of order 1 (no under- or overflow
    /// at any `lambda` the simulator takes).
    pub fn directions(&self) -> Params {
        let p = &self.initial_params;
        let mut a = Vec::with_capacity(p.m());
        let mut w = Vec::with_capacity(p.m());
        for j in 0..p.m() {
            let factor = ldexp(1.0, p.exponent(j)) / self.lambda;
            a.push(p.a_hat(j) * factor);
            w.push(p.w_hat(j).iter().map(|v| v * factor).collect());
        }
        Params { a, w }
    }
}

/// The rungs of a ladder, largest `lambda` first.
#[derive(Clone, Debug)]
pub struct Ladder {
    /// The rungs, largest `lambda` first.
    pub rungs: Vec<Rung>,
    /// `S+,1`, `S-,1` (the same on every rung: they depend on directions and signs only).
    pub sets: NeuronSets,
    /// The zero-loss threshold every run was given.
    pub until_loss: f64,
}

impl Ladder {
    /// The ladder of `rungs` (largest `lambda` first), its sets from the first rung's `theta(0)`;
    /// `None` for no rung.
    pub fn from_rungs(rungs: Vec<Rung>, until_loss: f64) -> Option<Ladder> {
        let first = rungs.first()?;
        let sets = NeuronSets::of(&first.initial_params, &first.data);
        Some(Ladder { rungs, sets, until_loss })
    }
    /// The smallest-`lambda` rung (`None` for a ladder without rungs).
    pub fn last(&self) -> Option<&Rung> {
        self.rungs.last()
    }
}

/// The horizon given to a run: `max(t3_bound, 0) + ln(L(0)/until_loss)/|D-|` with
/// `t3_bound = -(1 + 3 r eps) ln(lambda)/|D-|` (Lemma 4 / 11 (i)). After `t3` the loss decays at
/// rate `>= |D-|` (Lemma 15 / Theorem 2) from `L(t3) <= L(0)` (the loss never increases along a
/// gradient flow), so by this time the paper guarantees `L < until_loss`; a run that has not
/// converged by then fails T1's zero-loss part. `eps` = [`theory::epsilon_max`] (0.01 if the
/// labels leave it undefined); `|D-|` and `r` with the sides ordered so that `r >= 1`.
pub fn derived_horizon(data: &Dataset, lambda: f64, initial_loss: f64, until_loss: f64) -> f64 {
    let eps = theory::epsilon_max(data).unwrap_or(0.01);
    let dm = pl_constant(data);
    let r = theory::r(data).max(1.0 / theory::r(data));
    let t3 = (-(1.0 + 3.0 * r * eps) * lambda.ln() / dm).max(0.0);
    t3 + (initial_loss / until_loss).ln().max(0.0) / dm
}

/// Runs `instance` to `L < until_loss` (or its [`derived_horizon`]), recording every step
/// ([`PhaseObserver`]; overshoots tracked for gradient descent).
pub fn simulate_rung(instance: &Instance, integrator: Integrator, until_loss: f64) -> Result<Rung, SimulationError> {
    let init = instance.initialisation()?;
    let model = instance.valid_model()?;
    let initial_loss = model.loss(&init.params.to_params(), &instance.data);
    let horizon = derived_horizon(&instance.data, instance.lambda(), initial_loss, until_loss);
    simulate_rung_to(instance, integrator, until_loss, horizon)
}

/// [`simulate_rung`] with a horizon of the caller's (claims whose statement predicts a later end
/// than Lemma 4's, e.g. the jump process of JP).
pub fn simulate_rung_to(
    instance: &Instance,
    integrator: Integrator,
    until_loss: f64,
    horizon: f64,
) -> Result<Rung, SimulationError> {
    let init = instance.initialisation()?;
    let sets = NeuronSets::of(&init.params, &instance.data);
    let model = instance.valid_model()?;
    let stop = StopRule { until_loss: Some(until_loss), horizon: Some(horizon), ..Default::default() };
    let track_crossings = matches!(integrator, Integrator::Gd { .. });
    let mut obs = PhaseObserver::new(&instance.data, &sets.s_plus_1, &sets.s_minus_1, track_crossings);
    let run = match integrator {
        Integrator::Flow { rtol } => {
            let cfg = FlowConfig { rtol, stop, ..Default::default() };
            run_flow(&instance.data, model, &init.params, &cfg, &mut obs)?
        }
        Integrator::Gd { step } => {
            let cfg = GdConfig { step, stop };
            run_gd(&instance.data, model, &init.params, &cfg, &mut obs)?
        }
    };
    let record = obs.finish();
    Ok(Rung {
        lambda: instance.lambda(),
        data: instance.data.clone(),
        integrator,
        summary: run.summary,
        horizon,
        initial_params: init.params,
        final_params: run.final_params,
        steps: record.steps,
        overshoot_sq: record.overshoot_sq,
    })
}

/// Runs `make(lambda)` for every `lambda` of `lambdas` (largest first).
pub fn simulate_ladder_with(
    lambdas: &[f64],
    make: impl Fn(f64) -> Instance,
    integrator: Integrator,
    until_loss: f64,
) -> Result<Ladder, SimulationError> {
    let mut rungs = Vec::with_capacity(lambdas.len());
    for &lambda in lambdas {
        rungs.push(simulate_rung(&make(lambda), integrator, until_loss)?);
    }
    Ladder::from_rungs(rungs, until_loss).ok_or_else(|| SimulationError::Config("empty ladder".into()))
}

/// The flow ladder of `instance` over `lambdas` ([`RTOL`], [`UNTIL_LOSS`]).
pub fn simulate_ladder(instance: &Instance, lambdas: &[f64]) -> Result<Ladder, SimulationError> {
    simulate_ladder_with(lambdas, |l| instance.with_lambda(l), Integrator::Flow { rtol: RTOL }, UNTIL_LOSS)
}

//! Gradient descent: `theta_{s+1} = theta_s - eta grad L(theta_s)`, with `act'` taken from the
//! sign of `<w_j, x_k>` at each step (`act'(0) = sigma0`, default 0).
//!
//! One step costs one gradient evaluation and allocates nothing. Neurons are kept in the
//! per-neuron scaled form of [`ScaledParams`] (exact), so `lambda = 1e-300` runs without
//! underflow. Lemma 1 does not hold exactly for GD: the per-step change of `a_j^2 - |w_j|^2` is
//! `eta^2 (<D_j, w_j>^2 - |D_j|^2 a_j^2)` (claim L1's discrete form), which the tests assert.
//!
//! ```
//! use reluflow::{data::generate::toy, network::Model, init::{InitSpec, InitKind}};
//! use reluflow::solver::{gd::{GdConfig, run_gd}, StopRule, NoObserver};
//! let data = toy();
//! let init = InitSpec { kind: InitKind::Balanced, width: 60, lambda: 1e-6 / 60f64.sqrt(), seed: 0 }
//!     .validate().unwrap().draw(data.d());
//! let cfg = GdConfig { step: 2e-3, stop: StopRule { max_steps: Some(100), ..Default::default() } };
//! let run = run_gd(&data, Model::relu().validate().unwrap(), &init.params, &cfg, &mut NoObserver).unwrap();
//! assert_eq!(run.summary.steps, 100);
//! ```

use super::{DivergenceBounds, Observer, Run, RunSummary, SimulationError, StopReason, StopRule, View};
use crate::data::Dataset;
use crate::network::{Class, Kernel, Pattern, ValidModel};
use crate::params::{ScaledParams, ldexp};

/// Squared mantissa norms outside this range trigger an exact rescaling (see `ScaledParams`).
const MANTISSA_SQ_RANGE: (f64, f64) = (2.9e-39, 3.4e38); // (2^-128, 2^128)
use serde::Serialize;

/// `2^53`: the most gradient-descent steps a horizon may ask for (see [`run_gd`]).
const MAX_COUNTED_STEPS: f64 = 9_007_199_254_740_992.0;

/// Gradient-descent settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GdConfig {
    /// Step size `eta > 0` on the paper's loss `L` (a torch `MSELoss` lr is `eta / 2`).
    pub step: f64,
    /// `horizon` is converted to `ceil(horizon / eta)` steps (the first `k` with `k eta >= horizon`).
    pub stop: StopRule,
}

/// How many steps a [`GdConfig`] asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StepBudget {
    /// Steps to take (the smaller of `max_steps` and the horizon's steps).
    pub max_steps: u64,
    /// Steps the horizon asks for (the first `k` with `k eta >= horizon`).
    pub horizon_steps: Option<u64>,
}

impl GdConfig {
    /// Validates the step and the stop rule and converts them into a step count (shared by
    /// [`run_gd`] and the reduced path).
    pub(crate) fn step_budget(&self) -> Result<StepBudget, SimulationError> {
        let eta = self.step;
        if !(eta > 0.0 && eta.is_finite()) {
            return Err(SimulationError::Config(format!(
                "step eta = {eta} must be a positive finite number (e.g. --step 1e-3)"
            )));
        }
        self.stop.validate()?;
        let horizon_steps = match self.stop.horizon {
            Some(t) => {
                // the first k with k eta >= t (`t / eta` may round down: 5e-324 / 2 is 0, not 1 step)
                let mut k = (t / eta).ceil();
                if k * eta < t {
                    k += 1.0;
                }
                // beyond 2^53 the step count (and so `time = steps x eta`) is no longer exact, and
                // `as u64` would saturate to 2^64 - 1: a run that never ends
                if k > MAX_COUNTED_STEPS && self.stop.max_steps.is_none() {
                    return Err(SimulationError::Config(format!(
                        "horizon {t:?} / step {eta:?} = {k:.3e} steps, more than 2^53 = {MAX_COUNTED_STEPS:.3e}: raise the \
                         step, lower the horizon, or cap the run with a number of steps (--steps K)"
                    )));
                }
                Some(k.min(MAX_COUNTED_STEPS) as u64)
            }
            None => None,
        };
        let max_steps = match (self.stop.max_steps, horizon_steps) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => unreachable!("validated"),
        };
        if !(max_steps as f64 * eta).is_finite() {
            return Err(SimulationError::Config(format!(
                "step {eta:?} x {max_steps} steps overflows the simulated time (f64): lower the step or the number of steps"
            )));
        }
        Ok(StepBudget { max_steps, horizon_steps })
    }
}

/// What a gradient-descent state shows to observers (the full path and the reduced path).
pub(crate) trait GdState {
    /// The parameters at the current step and, when the state knows them exactly, the
    /// activation classes (`None`: a recorder recomputes them from `<w_j, x_k>`).
    fn view_parts(&mut self) -> (&ScaledParams, Option<&[Class]>);
}

/// The loop logic both gradient-descent paths share: the step budget, the divergence check,
/// the observations, the stop rule and the run summary. A path computes the loss and `|theta|^2`
/// at step `s`, calls [`GdDriver::visit`], and takes a step unless it returned a stop reason.
pub(crate) struct GdDriver<'a> {
    cfg: &'a GdConfig,
    data: &'a Dataset,
    budget: StepBudget,
    /// Fixed from the loss and `|theta|^2` at step 0.
    bounds: Option<DivergenceBounds>,
    every: bool,
}

impl<'a> GdDriver<'a> {
    /// Validates `cfg` (see [`GdConfig::step_budget`]).
    pub(crate) fn new(cfg: &'a GdConfig, data: &'a Dataset, observer: &dyn Observer) -> Result<Self, SimulationError> {
        Ok(Self { cfg, data, budget: cfg.step_budget()?, bounds: None, every: observer.wants_every_step() })
    }

    /// Whether step `step` is the last state (no gradient is needed there).
    pub(crate) fn at_end(&self, step: u64) -> bool {
        step >= self.budget.max_steps
    }

    /// At step `step` (`loss` and `norm_sq` at the current state): the divergence check, the
    /// observations, and the reason to stop here, if any.
    pub(crate) fn visit(
        &mut self,
        step: u64,
        loss: f64,
        norm_sq: f64,
        observer: &mut dyn Observer,
        state: &mut dyn GdState,
    ) -> Result<Option<StopReason>, SimulationError> {
        let time = step as f64 * self.cfg.step;
        let at_end = self.at_end(step);
        let (cfg, data) = (self.cfg, self.data);
        let bounds = *self.bounds.get_or_insert_with(|| DivergenceBounds::new(&cfg.stop, data, loss, norm_sq));
        bounds.check(step, time, loss, Some(norm_sq))?;
        let below = cfg.stop.until_loss.is_some_and(|x| loss < x);
        let wants_view = observer.next_time() <= time;
        if wants_view || self.every || below || at_end {
            let (params, classes) = state.view_parts();
            let view = View { step, time, loss, params, classes };
            if wants_view {
                observer.observe(&view);
            }
            if self.every {
                observer.on_step(&view);
            }
            if below || at_end {
                observer.on_end(&view);
            }
        }
        let StepBudget { max_steps, horizon_steps } = self.budget;
        Ok(if below {
            Some(StopReason::LossBelow)
        } else if at_end {
            Some(if horizon_steps == Some(max_steps) && cfg.stop.max_steps != Some(max_steps) {
                StopReason::Horizon
            } else {
                StopReason::MaxSteps
            })
        } else {
            None
        })
    }

    /// The summary of a run that stopped at step `steps` for `stop_reason`.
    pub(crate) fn summary(&self, steps: u64, evaluations: u64, final_loss: f64, stop_reason: StopReason) -> RunSummary {
        RunSummary {
            method: "gd",
            steps,
            rejected_steps: 0,
            gradient_evaluations: evaluations,
            events: 0,
            time: steps as f64 * self.cfg.step,
            final_loss,
            stop_reason,
            flow: None,
        }
    }
}

/// The full path's view: the parameters, classes left to the recorder.
struct FullView<'a>(&'a ScaledParams);

impl GdState for FullView<'_> {
    fn view_parts(&mut self) -> (&ScaledParams, Option<&[Class]>) {
        (self.0, None)
    }
}

/// Runs gradient descent from `theta0`.
///
/// Errors: [`SimulationError::Config`] for a step that is not positive and finite, an invalid
/// [`StopRule`], a horizon alone that needs more than `2^53` steps, or `steps x eta` beyond the
/// `f64` range (the reported time would be infinite); `DimensionMismatch`;
/// `Diverged` / `NonFinite` naming the step where the loss or `|theta|^2` left its bound.
pub fn run_gd(
    data: &Dataset,
    model: ValidModel,
    theta0: &ScaledParams,
    cfg: &GdConfig,
    observer: &mut dyn Observer,
) -> Result<Run, SimulationError> {
    let mut driver = GdDriver::new(cfg, data, observer)?;
    if theta0.d() != data.d() {
        return Err(SimulationError::DimensionMismatch { params: theta0.d(), data: data.d() });
    }
    let eta = cfg.step;
    let mut params = theta0.clone();
    let (m, width) = (params.m(), params.d() + 1);
    let mut kernel = Kernel::new(data, model, m);
    kernel.set_exponents(&params.exponent);
    // |block_j|^2 of each neuron after a step (from the kernel's update sweep)
    let mut block_sq = vec![0.0; m];
    let mut norm_sq = params.norm_sq();
    // 4^e_j: |theta|^2 = sum_j 4^e_j |mantissa_j|^2 (0 for neurons below the f64 range)
    let mut scale_sq: Vec<f64> = (0..m).map(|j| ldexp(1.0, 2 * params.exponent(j))).collect();
    let mut loss = kernel.forward(&params.theta, Pattern::Sign);
    let mut step = 0u64;
    let (stop_reason, final_loss) = loop {
        if let Some(reason) = driver.visit(step, loss, norm_sq, observer, &mut FullView(&params))? {
            break (reason, loss);
        }
        // one sweep: -grad L at this state (from the forward pass above), theta += eta v, each
        // neuron's |block|^2, and the pre-activations of the new state
        kernel.gd_step(&mut params.theta, eta, &mut block_sq);
        // |theta|^2 for the next divergence check, and an exact rescaling (by a power of two) of
        // a neuron whose mantissa left its range (its pre-activations are then recomputed)
        norm_sq = 0.0;
        for j in 0..m {
            let mut ss = block_sq[j];
            if !(MANTISSA_SQ_RANGE.0..=MANTISSA_SQ_RANGE.1).contains(&ss) && params.renormalize(j) {
                ss = crate::numerics::norm_sq(&params.theta[j * width..(j + 1) * width]);
                scale_sq[j] = ldexp(1.0, 2 * params.exponent(j));
                kernel.refresh_neuron(j, &params.theta, params.exponent(j));
            }
            norm_sq += ss * scale_sq[j];
        }
        loss = kernel.residual_loss(&params.theta, Pattern::Sign);
        step += 1;
    };
    // one gradient evaluation per step taken (as the reduced path counts): no gradient is
    // computed at the state where the run stops
    let summary = driver.summary(step, step, final_loss, stop_reason);
    Ok(Run { summary, final_params: params, final_classes: None })
}

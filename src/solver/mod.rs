//! Integrators of the training dynamics. Both advance `(a, W)` jointly from eq. (3) and impose
//! nothing else (no balancedness, no orthogonality, no clamping):
//!
//! - [`gd`]: gradient descent `theta <- theta - eta grad L(theta)` for `K` steps, what the
//!   paper's experiments run.
//! - [`flow`]: the gradient flow (2) by an adaptive Dormand-Prince 5(4) with event location on
//!   the activation boundaries `<w_j, x_k> = 0` (`relu'(0) = 0` exact, Proposition 2).
//!
//! Both report to an [`Observer`] (see `crate::trajectory` for the standard recorder) and stop
//! by a [`StopRule`].

pub mod errors;
pub mod flow;
pub mod gd;
pub mod reduced;

pub use errors::SimulationError;

use crate::network::Class;
use crate::params::ScaledParams;
use serde::Serialize;

/// When to stop. At least one of `max_steps` / `horizon` must be set.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StopRule {
    /// Stop after this many (accepted) steps.
    pub max_steps: Option<u64>,
    /// Stop at this simulated time (`steps x eta` for gradient descent).
    pub horizon: Option<f64>,
    /// Stop as soon as the loss is below this value.
    pub until_loss: Option<f64>,
    /// Divergence (an error, not a result): a loss above `divergence_factor x max(L(theta_0), 1)`,
    /// or a squared norm above `divergence_factor x max(|theta_0|^2, 1, 2 sum_k |y_k|/|x_k|)`.
    /// The last term is the scale of an interpolator's norm (Proposition 1 gives
    /// `2|sum_{y>0} y_k x_k/|x_k|^2| + 2|sum_{y<0} ...|` for orthogonal inputs, which it bounds):
    /// a run whose norm exceeds a million times that has left the regime any claim is about,
    /// even if dead neurons bring the loss back down.
    pub divergence_factor: f64,
}

impl Default for StopRule {
    fn default() -> Self {
        Self { max_steps: None, horizon: None, until_loss: None, divergence_factor: 1e6 }
    }
}

impl StopRule {
    pub(crate) fn validate(&self) -> Result<(), SimulationError> {
        if self.max_steps.is_none() && self.horizon.is_none() {
            return Err(SimulationError::Config(
                "no stop rule: give a number of steps (--steps K) or a time horizon (--horizon T)".into(),
            ));
        }
        if let Some(t) = self.horizon {
            if !(t > 0.0 && t.is_finite()) {
                return Err(SimulationError::Config(format!(
                    "horizon {t} must be a positive finite time (e.g. --horizon 100)"
                )));
            }
        }
        if let Some(l) = self.until_loss {
            if !(l > 0.0 && l.is_finite()) {
                return Err(SimulationError::Config(format!(
                    "until-loss {l} must be a positive finite loss (e.g. --until-loss 1e-12)"
                )));
            }
        }
        if !(self.divergence_factor > 1.0) {
            return Err(SimulationError::Config("divergence factor must be > 1".into()));
        }
        Ok(())
    }
}

/// Why a run ended normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The step limit (`StopRule::max_steps`) was reached.
    MaxSteps,
    /// The time horizon (`StopRule::horizon`) was reached.
    Horizon,
    /// The loss fell below `StopRule::until_loss`.
    LossBelow,
}

/// The state handed to an [`Observer`].
pub struct View<'a> {
    /// Steps taken so far (accepted steps for the flow).
    pub step: u64,
    /// Simulated time.
    pub time: f64,
    /// `L(theta)` at this state.
    pub loss: f64,
    /// `theta` at this state.
    pub params: &'a ScaledParams,
    /// The activation classes the integrator uses (`None` for gradient descent, which uses signs).
    pub classes: Option<&'a [Class]>,
}

/// Receives states during a run.
pub trait Observer {
    /// The next time at which the exact state is wanted (`f64::INFINITY` for none). The flow
    /// interpolates its dense output there; gradient descent reports the first step at or after it.
    fn next_time(&self) -> f64 {
        f64::INFINITY
    }
    /// The state at (or, for gradient descent, at the first step after) `next_time()`.
    fn observe(&mut self, _view: &View) {}
    /// Whether [`Observer::on_step`] should be called after every step.
    fn wants_every_step(&self) -> bool {
        false
    }
    /// Called after every step if [`Observer::wants_every_step`].
    fn on_step(&mut self, _view: &View) {}
    /// Called once with the final state when the run ends normally.
    fn on_end(&mut self, _view: &View) {}
}

/// A borrowed observer observes as the observer it borrows (so `(&mut a, &mut b)` is one).
impl<O: Observer + ?Sized> Observer for &mut O {
    fn next_time(&self) -> f64 {
        (**self).next_time()
    }
    fn observe(&mut self, view: &View) {
        (**self).observe(view)
    }
    fn wants_every_step(&self) -> bool {
        (**self).wants_every_step()
    }
    fn on_step(&mut self, view: &View) {
        (**self).on_step(view)
    }
    fn on_end(&mut self, view: &View) {
        (**self).on_end(view)
    }
}

/// An observer that records nothing.
pub struct NoObserver;
impl Observer for NoObserver {}

impl<A: Observer, B: Observer> Observer for (A, B) {
    fn next_time(&self) -> f64 {
        self.0.next_time().min(self.1.next_time())
    }
    fn observe(&mut self, view: &View) {
        // each part sees the views it asked for
        if self.0.next_time() <= view.time {
            self.0.observe(view);
        }
        if self.1.next_time() <= view.time {
            self.1.observe(view);
        }
    }
    fn wants_every_step(&self) -> bool {
        self.0.wants_every_step() || self.1.wants_every_step()
    }
    fn on_step(&mut self, view: &View) {
        if self.0.wants_every_step() {
            self.0.on_step(view);
        }
        if self.1.wants_every_step() {
            self.1.on_step(view);
        }
    }
    fn on_end(&mut self, view: &View) {
        self.0.on_end(view);
        self.1.on_end(view);
    }
}

/// What a finished run did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    /// `"gd"` or `"flow"`.
    pub method: &'static str,
    /// Steps taken (accepted steps for the flow).
    pub steps: u64,
    /// Rejected steps (flow only).
    pub rejected_steps: u64,
    /// Evaluations of `grad L`.
    pub gradient_evaluations: u64,
    /// Activation-boundary events located (flow only).
    pub events: u64,
    /// Simulated time reached.
    pub time: f64,
    /// `L(theta)` at the end.
    pub final_loss: f64,
    /// Why the run ended.
    pub stop_reason: StopReason,
    /// Which integrators the flow ran, and what its stiffness test saw (`None` for gradient descent).
    pub flow: Option<FlowReport>,
}

/// The integrator of a flow run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Integrator {
    /// The explicit Dormand-Prince 5(4) ([`flow::dopri`]).
    Dopri5,
    /// The linearly implicit Rosenbrock-W method ROS2 ([`flow::rosenbrock`]), for the stiff flow.
    Ros2,
}

/// How a flow run was integrated (see [`flow`], "Stiffness").
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FlowReport {
    /// The integrator that ran last: `dopri5` throughout, or `ros2` after a switch.
    pub integrator: Integrator,
    /// When Hairer's stiffness test ([`flow::dopri::Stiffness`]) first found the flow stiff
    /// (absent from JSON when it did not, as are the other `None`s here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stiffness_detected_at: Option<f64>,
    /// When the run switched from `dopri5` to `ros2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub switched_at: Option<f64>,
    /// Accepted steps of the explicit integrator (the rest, of `steps`, are `ros2` steps).
    pub explicit_steps: u64,
    /// Steps rejected because the loss rose beyond its rounding budget ([`flow::descent`]),
    /// included in `rejected_steps`.
    pub inadmissible_steps: u64,
    /// The time and the loss of the state from which a step was first rejected for a loss rise
    /// (`None` if none was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_inadmissible: Option<(f64, f64)>,
}

/// The end state and summary of a run.
#[derive(Clone, Debug)]
pub struct Run {
    /// Counts, times and losses of the run.
    pub summary: RunSummary,
    /// `theta` at the end.
    pub final_params: ScaledParams,
    /// Activation classes at the end (flow only).
    pub final_classes: Option<Vec<Class>>,
}

/// The loss and squared-norm bounds of [`StopRule::divergence_factor`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct DivergenceBounds {
    pub loss: f64,
    pub norm_sq: f64,
}

impl DivergenceBounds {
    pub(crate) fn new(rule: &StopRule, data: &crate::data::Dataset, initial_loss: f64, initial_norm_sq: f64) -> Self {
        let label_scale: f64 = 2.0
            * (0..data.n())
                .map(|k| {
                    let nx = crate::numerics::norm(data.x(k));
                    if nx > 0.0 { data.y()[k].abs() / nx } else { 0.0 }
                })
                .sum::<f64>();
        Self {
            loss: rule.divergence_factor * initial_loss.max(1.0),
            norm_sq: rule.divergence_factor * initial_norm_sq.max(1.0).max(label_scale),
        }
    }

    /// The error if `loss` or `norm_sq` (if given) is past its bound or not finite.
    pub(crate) fn check(&self, step: u64, time: f64, loss: f64, norm_sq: Option<f64>) -> Result<(), SimulationError> {
        if !loss.is_finite() {
            return Err(SimulationError::NonFinite { step, time });
        }
        if loss > self.loss {
            return Err(SimulationError::Diverged { step, time, quantity: "loss", value: loss, bound: self.loss });
        }
        if let Some(v) = norm_sq {
            if !v.is_finite() {
                return Err(SimulationError::NonFinite { step, time });
            }
            if v > self.norm_sq {
                return Err(SimulationError::Diverged {
                    step,
                    time,
                    quantity: "|theta|^2",
                    value: v,
                    bound: self.norm_sq,
                });
            }
        }
        Ok(())
    }
}

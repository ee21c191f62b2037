//! The run loop of the gradient flow, shared by the full path ([`run_flow`](super::run_flow)) and
//! the reduced path ([`run_flow_reduced`](crate::solver::reduced::run_flow_reduced)): both
//! integrate the flow (2) of eq. (3) as a switching [`System`] with [`Dopri5`] (and [`Ros2`] once
//! the flow is stiff) and differ only in the coordinates of the state, which [`FlowCoordinates`] hides.

use super::FlowConfig;
use super::dopri::{Counters, Dopri5, DopriError, StepInfo, System, Tolerances};
use super::rosenbrock::{LowRankJacobian, Ros2};
use crate::network::Class;
use crate::params::ScaledParams;
use crate::solver::{
    DivergenceBounds, FlowReport, Integrator, Observer, Run, RunSummary, SimulationError, StopReason, View,
};

/// The integrator running: Dormand-Prince, or ROS2 after the switch.
enum Stepper {
    Explicit(Dopri5),
    Stiff(Ros2),
}

impl Stepper {
    fn t(&self) -> f64 {
        match self {
            Stepper::Explicit(s) => s.t(),
            Stepper::Stiff(s) => s.t(),
        }
    }
    fn y(&self) -> &[f64] {
        match self {
            Stepper::Explicit(s) => s.y(),
            Stepper::Stiff(s) => s.y(),
        }
    }
    fn y_mut(&mut self) -> &mut [f64] {
        match self {
            Stepper::Explicit(s) => s.y_mut(),
            Stepper::Stiff(s) => s.y_mut(),
        }
    }
    fn counters(&self) -> Counters {
        match self {
            Stepper::Explicit(s) => s.counters(),
            Stepper::Stiff(s) => s.counters(),
        }
    }
    fn dense(&self, t: f64, out: &mut [f64]) {
        match self {
            Stepper::Explicit(s) => s.dense(t, out),
            Stepper::Stiff(s) => s.dense(t, out),
        }
    }
    fn step<S: FlowCoordinates>(&mut self, sys: &mut S, t_limit: f64) -> Result<StepInfo, DopriError> {
        match self {
            Stepper::Explicit(s) => s.step(sys, t_limit),
            Stepper::Stiff(s) => s.step(sys, t_limit),
        }
    }
}

/// ROS2 hands back to Dormand-Prince when `h trace(GN) <=` this (half of the explicit method's
/// real-axis stability limit, about 3.3).
const SWITCH_BACK: f64 = 1.6;

/// Counters of the explicit part plus those of the stiff part.
fn sum(a: Counters, b: Counters) -> Counters {
    Counters {
        accepted_steps: a.accepted_steps + b.accepted_steps,
        rejected_steps: a.rejected_steps + b.rejected_steps,
        rhs_evaluations: a.rhs_evaluations + b.rhs_evaluations,
        events: a.events + b.events,
        inadmissible_steps: a.inadmissible_steps + b.inadmissible_steps,
    }
}

/// What one pass over an accepted state finds ([`FlowCoordinates::measure`]).
pub(crate) struct Measure {
    /// `|theta|^2` in plain units.
    pub norm_sq: f64,
    /// Whether every per-neuron squared norm was finite (the driver also checks the state itself).
    pub finite: bool,
    /// Whether some neuron is to be rescaled ([`FlowCoordinates::rescale`]).
    pub rescale: bool,
}

/// A state of the flow (2) of eq. (3) in some coordinates, as [`drive`] needs it: the
/// switching [`System`] itself plus what the run loop reads from, or does to, its state `y`
/// (per-neuron blocks of mantissas at the system's binary exponents).
pub(crate) trait FlowCoordinates: System + LowRankJacobian {
    /// The activation class of each coordinate `<w_j, x_k>`, at index `j n + k`.
    fn classes(&self) -> &[Class];
    /// `L(theta)` at the last state the system evaluated: after an accepted step, its end (FSAL).
    fn last_loss(&self) -> f64;
    /// The [`SimulationError::SlidingMode`] that made `on_events` fail, if that is why the step
    /// failed (taken, so a later call returns `None`).
    fn take_sliding(&mut self) -> Option<SimulationError>;
    /// One pass over the accepted state `y`: `|theta|^2` in plain units, whether the per-neuron
    /// sums were finite, and whether a neuron's mantissa left the range where it is kept (the
    /// system remembers which, for [`FlowCoordinates::rescale`]).
    fn measure(&mut self, y: &[f64]) -> Measure;
    /// Rescales, by exact powers of two, the neurons the last [`FlowCoordinates::measure`]
    /// flagged: the mantissas in `y` and the system's exponents (no value changes).
    fn rescale(&mut self, y: &mut [f64]);
    /// The state `y` (at the system's current exponents) as the full parameters `(a, W)` of a
    /// [`View`], written into `out` (shaped like `theta_0`).
    fn lift(&self, y: &[f64], out: &mut ScaledParams);
    /// `L` at the state `y` (a dense-output point) under the current classes, leaving the
    /// caches the integrator reads (residuals, pre-activations) untouched.
    fn loss_at(&mut self, y: &[f64]) -> f64;
}

/// Integrates `sys` from `y0` (the state of `theta0`, of loss `initial_loss`) until `cfg.stop`,
/// reporting to `observer`: the initial view, dense-output observations at the times the
/// observer asks for, a view after every accepted step if wanted, and the end state.
///
/// After each accepted step it checks the state (`NonFinite`), `bounds` (`Diverged`), observes,
/// then rescales flagged neurons. A failed step is the system's `SlidingMode` if it has one,
/// else `NonFinite` or `Integrator` at the step it was attempted from. The end state is returned
/// renormalised (every neuron's mantissa brought back to `[2^-64, 2^64]`, no value changes).
/// `cfg` is validated by the caller; `bounds` is checked here at step 0 (a non-finite or
/// out-of-bounds start) and after every accepted step.
pub(crate) fn drive<S: FlowCoordinates>(
    mut sys: S,
    y0: Vec<f64>,
    theta0: &ScaledParams,
    initial_loss: f64,
    bounds: &DivergenceBounds,
    cfg: &FlowConfig,
    observer: &mut dyn Observer,
) -> Result<Run, SimulationError> {
    // A non-finite start is an error at step 0, as for gradient descent (it would otherwise
    // surface after one step integrated from NaN, as a divergence "at step 1").
    bounds.check(0, 0.0, initial_loss, Some(theta0.norm_sq()))?;
    let tol = Tolerances { rtol: cfg.rtol, atol: cfg.atol };
    let mut solver = Stepper::Explicit(Dopri5::new(0.0, y0, tol, None, cfg.h_max));
    // the counters of the finished segments (explicit and stiff), the explicit steps among them,
    // and the first stiffness detection and switch
    let mut explicit: Option<(Counters, Option<f64>)> = None;
    let mut explicit_steps_done = 0u64;
    let mut switched_at = None;
    let mut first_inadmissible = None;
    let total = |solver: &Stepper, explicit: &Option<(Counters, Option<f64>)>| match explicit {
        Some((c, _)) => sum(*c, solver.counters()),
        None => solver.counters(),
    };
    let horizon = cfg.stop.horizon.unwrap_or(f64::INFINITY);
    let max_steps = cfg.stop.max_steps.unwrap_or(u64::MAX);
    // scratch for observations
    let mut view_params = theta0.clone();
    let mut dense = vec![0.0; sys.dim()];
    let every = observer.wants_every_step();

    // the initial state
    if observer.next_time() <= 0.0 || every {
        let view = View { step: 0, time: 0.0, loss: initial_loss, params: theta0, classes: Some(sys.classes()) };
        if observer.next_time() <= 0.0 {
            observer.observe(&view);
        }
        if every {
            observer.on_step(&view);
        }
    }
    let mut loss = initial_loss;
    let stop_reason = loop {
        if cfg.stop.until_loss.is_some_and(|x| loss < x) {
            break StopReason::LossBelow;
        }
        if solver.t() >= horizon {
            break StopReason::Horizon;
        }
        if total(&solver, &explicit).accepted_steps >= max_steps {
            break StopReason::MaxSteps;
        }
        let step_no = total(&solver, &explicit).accepted_steps;
        let info = match solver.step(&mut sys, horizon) {
            Ok(info) => info,
            Err(e) => {
                if let Some(s) = sys.take_sliding() {
                    return Err(s);
                }
                return Err(match e {
                    DopriError::NonFinite { t } => SimulationError::NonFinite { step: step_no, time: t },
                    other => SimulationError::Integrator { step: step_no, reason: other.to_string() },
                });
            }
        };
        let step = total(&solver, &explicit).accepted_steps;
        if first_inadmissible.is_none() && total(&solver, &explicit).inadmissible_steps > 0 {
            first_inadmissible = Some((info.t0, loss));
        }
        loss = sys.last_loss();
        let measure = sys.measure(solver.y());
        if !measure.finite || solver.y().iter().any(|v| !v.is_finite()) {
            return Err(SimulationError::NonFinite { step, time: info.t1 });
        }
        bounds.check(step, info.t1, loss, Some(measure.norm_sq))?;
        // observations inside the accepted interval, on the dense output
        while observer.next_time() <= info.t1 {
            let t = observer.next_time().max(info.t0);
            solver.dense(t, &mut dense);
            sys.lift(&dense, &mut view_params);
            let l = sys.loss_at(&dense);
            let view = View { step, time: t, loss: l, params: &view_params, classes: Some(sys.classes()) };
            observer.observe(&view);
        }
        if every {
            sys.lift(solver.y(), &mut view_params);
            let view = View { step, time: info.t1, loss, params: &view_params, classes: Some(sys.classes()) };
            observer.on_step(&view);
        }
        if measure.rescale {
            sys.rescale(solver.y_mut());
        }
        // Hairer's test says stiff: continue with ROS2 from here
        if let Stepper::Explicit(dopri) = &solver {
            let stiffness = dopri.stiffness();
            if stiffness.detected_at.is_some() {
                let rank = sys.rank();
                let ros2 = Ros2::new(dopri.t(), dopri.y().to_vec(), tol, dopri.next_h(), cfg.h_max, rank);
                let detected = explicit.as_ref().and_then(|(_, d)| *d).or(stiffness.detected_at);
                explicit_steps_done += dopri.counters().accepted_steps;
                explicit = Some((total(&solver, &explicit), detected));
                switched_at = switched_at.or(Some(dopri.t()));
                solver = Stepper::Stiff(ros2);
            }
        } else if let Stepper::Stiff(ros2) = &solver {
            // back to Dormand-Prince once an explicit step of ROS2's size is stable again: the
            // flow is stiff only while the Gauss-Newton part dominates the time scale of the
            // dynamics (the lazy regime, or a converged or plateaued fit); a rich-regime run that
            // leaves a plateau needs the fifth-order method's long steps again (ROS2 is second
            // order). Stable: `h trace(GN) <= SWITCH_BACK`, the trace bounding the largest
            // eigenvalue, half of Dormand-Prince's real-axis stability limit 3.3.
            if ros2.gauss_newton_trace().is_some_and(|tr| ros2.next_h() * tr <= SWITCH_BACK) {
                let dopri = Dopri5::new(ros2.t(), ros2.y().to_vec(), tol, Some(ros2.next_h()), cfg.h_max);
                explicit = Some((total(&solver, &explicit), explicit.as_ref().and_then(|(_, d)| *d)));
                solver = Stepper::Explicit(dopri);
            }
        }
    };
    let counters = total(&solver, &explicit);
    let report = FlowReport {
        integrator: match solver {
            Stepper::Explicit(_) => Integrator::Dopri5,
            Stepper::Stiff(_) => Integrator::Ros2,
        },
        stiffness_detected_at: explicit.as_ref().and_then(|(_, at)| *at).or(match &solver {
            Stepper::Explicit(dopri) => dopri.stiffness().detected_at,
            Stepper::Stiff(_) => None,
        }),
        switched_at,
        explicit_steps: explicit_steps_done
            + match &solver {
                Stepper::Explicit(dopri) => dopri.counters().accepted_steps,
                Stepper::Stiff(_) => 0,
            },
        inadmissible_steps: counters.inadmissible_steps,
        first_inadmissible,
    };
    let mut final_params = view_params;
    sys.lift(solver.y(), &mut final_params);
    for j in 0..final_params.m() {
        final_params.renormalize(j);
    }
    observer.on_end(&View {
        step: counters.accepted_steps,
        time: solver.t(),
        loss,
        params: &final_params,
        classes: Some(sys.classes()),
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
        flow: Some(report),
    };
    Ok(Run { summary, final_params, final_classes: Some(sys.classes().to_vec()) })
}

//! What the two integrators, [`Dopri5`](super::dopri::Dopri5) and [`Ros2`](super::rosenbrock::Ros2),
//! do alike around their stages: the state of an integration ([`StepState`]), the size of an
//! attempt (clipped to the limit, checked for underflow), the error-based step-size controller
//! ([`Controller`], Hairer, Norsett & Wanner, *Solving ODEs I*, Section II.4, with the method's
//! order as the exponent), the rejection of an inadmissible step, the cubic Hermite part of the
//! dense output, and the end of an accepted step (event location on the dense output, the mode
//! change, the next step size). Each integrator keeps only its stages and its error estimate.

use super::dopri::{
    Counters, DopriError, Events, INADMISSIBLE_FACTOR, MAX_ZERO_LENGTH_EVENTS, StepInfo, System, dense_at,
};

/// The controller's safety factor on the optimal step.
pub(crate) const SAFETY: f64 = 0.9;
/// The smallest factor on the step (after a rejection, or a Cholesky or non-finite failure).
pub(crate) const FAC_MIN: f64 = 0.2;

/// The step-size controller `h_new = h * clamp(SAFETY * err^(-1/q), FAC_MIN, fac_max)` for a
/// method whose error estimate is of order `q` (5 for Dormand-Prince 5(4), 2 for ROS2).
pub(crate) struct Controller {
    /// The largest factor on an accepted step.
    pub(crate) fac_max: f64,
    /// `SAFETY * err^(-1/q)` for the method's `q`, computed as the method's code always did
    /// (`SAFETY * err.powf(-0.2)`, `SAFETY / err.sqrt()`), so the step sizes stay the same to
    /// the bit.
    pub(crate) ratio: fn(f64) -> f64,
}

impl Controller {
    /// `SAFETY * err^(-1/q)`.
    #[inline]
    fn ratio(&self, err: f64) -> f64 {
        (self.ratio)(err)
    }

    /// The verdict on an attempt of size `h` from time `t` with weighted error norm `err` to
    /// `y_new`: `Ok(None)` accepts it, `Ok(Some(h_retry))` rejects it with the step to retry, an
    /// error stops the run (the state became non-finite although the step is already tiny).
    pub(crate) fn judge(&self, err: f64, h: f64, t: f64, y_new: &[f64]) -> Result<Option<f64>, DopriError> {
        if !err.is_finite() {
            if y_new.iter().any(|v| !v.is_finite()) && h < 1e-12 * (1.0 + t.abs()) {
                return Err(DopriError::NonFinite { t });
            }
            return Ok(Some(h * FAC_MIN));
        }
        if err > 1.0 {
            return Ok(Some(h * self.ratio(err).max(FAC_MIN)));
        }
        Ok(None)
    }

    /// The step proposed after an accepted step of size `h` with error norm `err`; no growth
    /// (Hairer's rule after a rejection) if `no_growth` is set, which it clears.
    pub(crate) fn next(&self, err: f64, h: f64, no_growth: &mut bool) -> f64 {
        let fac = if err == 0.0 { self.fac_max } else { self.ratio(err).clamp(FAC_MIN, self.fac_max) };
        if std::mem::take(no_growth) { h * fac.min(1.0) } else { h * fac }
    }
}

/// An accepted step as the end of [`StepState::conclude`] needs it.
pub(crate) struct Accepted {
    /// The attempted (and accepted) step size.
    pub(crate) h: f64,
    /// The controller's proposal for the next step ([`Controller::next`]).
    pub(crate) h_next: f64,
    /// Whether the step was clipped to end on `t_limit`.
    pub(crate) clipped: bool,
    /// The limit the step was not to pass.
    pub(crate) t_limit: f64,
}

/// The state both integrators carry between steps (preallocated; no allocation per step).
pub(crate) struct StepState {
    /// Current time.
    pub(crate) t: f64,
    /// Current state.
    pub(crate) y: Vec<f64>,
    /// The end point of the current attempt.
    pub(crate) y_new: Vec<f64>,
    /// The step size the controller proposes.
    pub(crate) h: f64,
    /// Dense-output coefficients of the last accepted step (in the form of [`dense_at`]).
    pub(crate) rcont: [Vec<f64>; 5],
    /// Whether the integrator's `f(y)` at the current state is up to date (FSAL).
    pub(crate) fsal_valid: bool,
    /// Counters so far.
    pub(crate) counters: Counters,
    /// After an inadmissible step: do not grow the step on the next attempt.
    pub(crate) no_growth: bool,
    ev: Events,
    consecutive_zero_steps: usize,
    last: Option<StepInfo>,
}

impl StepState {
    /// The state at `(t0, y0)` with proposed step `h0`.
    pub(crate) fn new(t0: f64, y0: Vec<f64>, h0: f64) -> Self {
        let n = y0.len();
        let z = || vec![0.0; n];
        Self {
            t: t0,
            y_new: z(),
            h: h0,
            rcont: [z(), z(), z(), z(), z()],
            y: y0,
            fsal_valid: false,
            counters: Counters::default(),
            no_growth: false,
            ev: Events::default(),
            consecutive_zero_steps: 0,
            last: None,
        }
    }

    /// The size of the next attempt (the proposal, at most `h_max`, not beyond `t_limit`) and
    /// whether it was clipped to end on `t_limit`; an underflow error if it is below the time's
    /// resolution.
    pub(crate) fn attempt(&self, h_max: f64, t_limit: f64) -> Result<(f64, bool), DopriError> {
        let remaining = t_limit - self.t;
        let mut h = self.h.min(h_max);
        // a step ending within a few ulps of the limit ends on it (else the next step would be
        // shorter than the time's resolution: a step size underflow)
        let clipped = h >= remaining || remaining - h <= 4.0 * f64::EPSILON * t_limit.abs() && t_limit.is_finite();
        if clipped {
            h = remaining;
        }
        if !(h > f64::EPSILON * self.t.abs().max(1e-300)) {
            return Err(DopriError::StepSizeUnderflow { t: self.t, h });
        }
        Ok((h, clipped))
    }

    /// Rejects an attempt of size `h` that the system found inadmissible
    /// ([`System::admissible`]): the next attempt is shorter and does not grow.
    pub(crate) fn reject_inadmissible(&mut self, h: f64) {
        self.h = h * INADMISSIBLE_FACTOR;
        self.no_growth = true;
        self.counters.rejected_steps += 1;
        self.counters.inadmissible_steps += 1;
    }

    /// The first four dense-output coefficients of an accepted step of size `h` from `y` to
    /// `y_new` with derivatives `f0` and `f1` at its ends: the cubic Hermite interpolant in
    /// Hairer's form (see [`dense_at`]).
    pub(crate) fn hermite(&mut self, h: f64, f0: &[f64], f1: &[f64]) {
        let [r0, r1, r2, r3, _] = &mut self.rcont;
        for i in 0..self.y.len() {
            let ydiff = self.y_new[i] - self.y[i];
            let bspl = h * f0[i] - ydiff;
            r0[i] = self.y[i];
            r1[i] = ydiff;
            r2[i] = bspl;
            r3[i] = ydiff - h * f1[i] - bspl;
        }
    }

    /// Ends an accepted step whose dense output is in `rcont` and whose end point `y_new` has
    /// been evaluated (FSAL): if a switching function is violated at `y_new`, the step is cut at
    /// the earliest crossing on the dense output and the system changes mode; else the state
    /// moves to `y_new` and `swap_fsal` makes the derivative at `y_new` the next step's `f(y0)`.
    pub(crate) fn conclude<S: System>(
        &mut self,
        sys: &mut S,
        step: Accepted,
        swap_fsal: impl FnOnce(),
    ) -> Result<StepInfo, DopriError> {
        let Accepted { h, h_next, clipped, t_limit } = step;
        self.counters.accepted_steps += 1;
        let t0 = self.t;

        self.ev.list.clear();
        sys.violated(&self.y_new, &mut self.ev.list);
        if !self.ev.list.is_empty() {
            let theta = self.ev.locate(sys, &self.rcont);
            let t1 = t0 + theta * h;
            for i in 0..self.y.len() {
                self.y[i] = dense_at(&self.rcont, theta, i);
            }
            self.t = t1;
            sys.on_events(t1, &self.y, &self.ev.list).map_err(DopriError::Event)?;
            self.counters.events += self.ev.list.len() as u64;
            self.fsal_valid = false;
            sys.after_step(t1, &mut self.y);
            if theta == 0.0 {
                self.consecutive_zero_steps += 1;
                if self.consecutive_zero_steps > MAX_ZERO_LENGTH_EVENTS {
                    return Err(DopriError::EventStorm { t: t1, count: self.consecutive_zero_steps });
                }
            } else {
                self.consecutive_zero_steps = 0;
            }
            // the controller's proposal is for a full step; do not grow past it
            self.h = h_next.min(h.max(f64::MIN_POSITIVE));
            let info = StepInfo { t0, t1, h, events: self.ev.list.len() };
            self.last = Some(info);
            return Ok(info);
        }
        self.consecutive_zero_steps = 0;
        std::mem::swap(&mut self.y, &mut self.y_new);
        swap_fsal();
        self.t = if clipped { t_limit } else { t0 + h };
        if sys.after_step(self.t, &mut self.y) {
            self.fsal_valid = false;
        }
        if !clipped || h_next < self.h {
            self.h = h_next;
        }
        let info = StepInfo { t0, t1: self.t, h, events: 0 };
        self.last = Some(info);
        Ok(info)
    }

    /// The dense output of the last accepted step at time `t` (within its interval) into `out`.
    pub(crate) fn dense(&self, t: f64, out: &mut [f64]) {
        let info = self.last.expect("dense output needs an accepted step");
        let theta = (t - info.t0) / info.h;
        for (i, o) in out.iter_mut().enumerate() {
            *o = dense_at(&self.rcont, theta, i);
        }
    }
}

//! A Dormand-Prince 5(4) integrator with error control, dense output and event location,
//! generic over a [`System`]: the gradient flow of `crate::solver::flow` is one system, the
//! exact-solution tests (exponential, logistic, a piecewise ODE) are others.
//!
//! Switching systems (a ReLU network's vector field changes where `<w_j, x_k> = 0`) are
//! handled the way event-locating ODE codes do: inside a step the system keeps its current
//! mode, so the vector field is smooth and the 5th-order error estimate is valid; after an
//! accepted step the system reports the switching functions whose sign says the mode is no
//! longer valid, the integrator finds the earliest crossing on the dense output by bisection,
//! cuts the step there, lets the system change mode ([`System::on_events`]) and restarts.

use super::step::{Accepted, Controller, SAFETY, StepState};
use super::tableau::{A, B, C, D, E};
use std::ops::Range;

/// Error tolerances: a step is accepted when the system's weighted error norm is <= 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
}

/// An ODE `y' = f(t, y)`, possibly switching between modes at located events.
pub trait System {
    /// Dimension of `y`.
    fn dim(&self) -> usize;
    /// `dy = f(t, y)` under the current mode.
    fn rhs(&mut self, t: f64, y: &[f64], dy: &mut [f64]);
    /// Weighted norm of the local error estimate `err` of a step from `y0` to `y1`; the step is
    /// accepted when it is <= 1. Default: Hairer's RMS norm with `atol + rtol max(|y0|,|y1|)`.
    fn error_norm(&self, y0: &[f64], y1: &[f64], err: &[f64], tol: &Tolerances) -> f64 {
        let s: f64 = y0
            .iter()
            .zip(y1)
            .zip(err)
            .map(|((a, b), e)| {
                let sc = tol.atol + tol.rtol * a.abs().max(b.abs());
                (e / sc) * (e / sc)
            })
            .sum();
        (s / y0.len().max(1) as f64).sqrt()
    }
    /// After an accepted step to `y1` (where `rhs` was last called, FSAL), push the indices of
    /// switching functions that are `<= 0` at `y1` (the mode is violated).
    fn violated(&mut self, _y1: &[f64], _out: &mut Vec<usize>) {}
    /// Components of `y` that switching function `i` reads.
    fn switch_support(&self, _i: usize) -> Range<usize> {
        0..0
    }
    /// Switching function `i` evaluated on its support components: `> 0` while the current
    /// mode holds.
    fn switch_value(&self, _i: usize, _support: &[f64]) -> f64 {
        1.0
    }
    /// The state sits at the earliest crossing of the switching functions `events`: change
    /// mode. An error stops the integration (e.g. a sliding mode the system does not handle).
    fn on_events(&mut self, _t: f64, _y: &[f64], _events: &[usize]) -> Result<(), String> {
        Ok(())
    }
    /// After each accepted step: may rescale `y` in place; return `true` if `y` or the mode
    /// changed (the FSAL derivative is then recomputed).
    fn after_step(&mut self, _t: f64, _y: &mut [f64]) -> bool {
        false
    }
    /// A last say on a step whose error estimate passed, from `y0` (the current state) to `y1`
    /// (where `rhs` was last called): `false` rejects it and the integrator retries with half the
    /// step (and does not grow the step on the next attempt). The gradient flow uses it to reject a
    /// step that raises the loss beyond its rounding budget (`crate::solver::flow::descent`).
    /// Default: every step is admissible.
    fn admissible(&mut self, _y0: &[f64], _y1: &[f64]) -> bool {
        true
    }
}

/// Factor on the step after a step that the system found inadmissible ([`System::admissible`]).
pub const INADMISSIBLE_FACTOR: f64 = 0.5;

/// Hairer's stiffness test of `dopri5` (Hairer & Wanner, *Solving ODEs II*, Section IV.2; `dopri5.f`,
/// `IASTI`/`NONSTI`): after each accepted step, `h |lambda| ~ h |k7 - k6| / |y7 - y6|` (the two
/// last stages are both at `t + h`, so the quotient estimates the dominant eigenvalue of the
/// Jacobian along their difference). Dormand-Prince 5(4) is stable on the negative real axis up to
/// `h |lambda| ~ 3.3`; an estimate above [`STIFF_H_LAMBDA`] counts the step as stiff-looking. Six
/// non-stiff-looking steps in a row reset the count; [`STIFF_DETECTED_AFTER`] stiff-looking steps
/// (with fewer than six non-stiff ones in a row between them) mean the problem is stiff: the
/// step is bounded by stability, not accuracy. `dopri5.f` runs the test every `NSTIFF`-th step
/// (default 1000) or while the count is positive; here it runs at every accepted step (two
/// `O(dim)` norms, against seven evaluations of `f`).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Stiffness {
    /// The last estimate of `h |lambda|`.
    pub h_lambda: f64,
    /// Stiff-looking steps counted so far (`IASTI`), reset after six non-stiff-looking steps in a row.
    pub stiff_count: u32,
    /// Non-stiff-looking steps in a row (`NONSTI`).
    pub non_stiff_run: u32,
    /// The time at which [`Stiffness::stiff_count`] first reached [`STIFF_DETECTED_AFTER`].
    pub detected_at: Option<f64>,
}

/// `dopri5.f`'s threshold on `h |lambda|` (the stability boundary on the negative real axis is ~3.3).
pub const STIFF_H_LAMBDA: f64 = 3.25;
/// `dopri5.f`'s count of stiff-looking steps after which it reports stiffness.
pub const STIFF_DETECTED_AFTER: u32 = 15;
/// `dopri5.f`'s count of non-stiff-looking steps in a row that resets the count.
const NON_STIFF_RESET: u32 = 6;

impl Stiffness {
    /// Records one accepted step of size `h` ending at `t1` whose two last stages (both at `t + h`)
    /// were `y6`, `y7` with derivatives `k6`, `k7`.
    pub(crate) fn record(&mut self, t1: f64, h: f64, y6: &[f64], y7: &[f64], k6: &[f64], k7: &[f64]) {
        let (mut num, mut den) = (0.0, 0.0);
        for i in 0..y7.len() {
            num += (k7[i] - k6[i]) * (k7[i] - k6[i]);
            den += (y7[i] - y6[i]) * (y7[i] - y6[i]);
        }
        if den > 0.0 {
            self.h_lambda = h * (num / den).sqrt();
        }
        if self.h_lambda > STIFF_H_LAMBDA {
            self.non_stiff_run = 0;
            self.stiff_count = self.stiff_count.saturating_add(1);
            if self.stiff_count >= STIFF_DETECTED_AFTER && self.detected_at.is_none() {
                self.detected_at = Some(t1);
            }
        } else {
            self.non_stiff_run += 1;
            if self.non_stiff_run >= NON_STIFF_RESET {
                self.stiff_count = 0;
            }
        }
    }
}

/// Why the integrator stopped.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DopriError {
    /// The controller asked for a step too small to advance the time.
    #[error("step size underflow at t = {t} (h = {h}): the problem is too stiff or singular for rtol/atol")]
    StepSizeUnderflow {
        /// The time.
        t: f64,
        /// The step size asked for.
        h: f64,
    },
    /// NaN or infinity in the state.
    #[error("the state became non-finite (NaN or infinity) at t = {t}")]
    NonFinite {
        /// The time.
        t: f64,
    },
    /// Events one after the other without the time advancing.
    #[error("{count} events in a row without the time advancing, at t = {t}: the switching is chattering")]
    EventStorm {
        /// The time.
        t: f64,
        /// Events in a row.
        count: usize,
    },
    /// The system refused a mode change ([`System::on_events`]), with its reason.
    #[error("{0}")]
    Event(String),
}

/// `out[i] = base[i] + h * acc_i` (or `h * acc_i` without a base) with
/// `acc_i = sum_l c_l k_l[i]` summed in the order of `terms`: the same operations, in the same
/// order, as a per-component loop, written so that the loop over `i` vectorises.
#[inline(always)]
fn combine(out: &mut [f64], base: Option<&[f64]>, h: f64, terms: &[(f64, &[f64])]) {
    let n = out.len();
    macro_rules! run {
        ($acc:expr) => {
            match base {
                Some(y) => {
                    let y = &y[..n];
                    for i in 0..n {
                        out[i] = y[i] + h * $acc(i);
                    }
                }
                None => {
                    for i in 0..n {
                        out[i] = h * $acc(i);
                    }
                }
            }
        };
    }
    match *terms {
        [(a0, k0)] => {
            let k0 = &k0[..n];
            run!(|i: usize| a0 * k0[i])
        }
        [(a0, k0), (a1, k1)] => {
            let (k0, k1) = (&k0[..n], &k1[..n]);
            run!(|i: usize| a0 * k0[i] + a1 * k1[i])
        }
        [(a0, k0), (a1, k1), (a2, k2)] => {
            let (k0, k1, k2) = (&k0[..n], &k1[..n], &k2[..n]);
            run!(|i: usize| a0 * k0[i] + a1 * k1[i] + a2 * k2[i])
        }
        [(a0, k0), (a1, k1), (a2, k2), (a3, k3)] => {
            let (k0, k1, k2, k3) = (&k0[..n], &k1[..n], &k2[..n], &k3[..n]);
            run!(|i: usize| a0 * k0[i] + a1 * k1[i] + a2 * k2[i] + a3 * k3[i])
        }
        [(a0, k0), (a1, k1), (a2, k2), (a3, k3), (a4, k4)] => {
            let (k0, k1, k2, k3, k4) = (&k0[..n], &k1[..n], &k2[..n], &k3[..n], &k4[..n]);
            run!(|i: usize| a0 * k0[i] + a1 * k1[i] + a2 * k2[i] + a3 * k3[i] + a4 * k4[i])
        }
        [(a0, k0), (a1, k1), (a2, k2), (a3, k3), (a4, k4), (a5, k5)] => {
            let (k0, k1, k2, k3, k4, k5) = (&k0[..n], &k1[..n], &k2[..n], &k3[..n], &k4[..n], &k5[..n]);
            run!(|i: usize| a0 * k0[i] + a1 * k1[i] + a2 * k2[i] + a3 * k3[i] + a4 * k4[i] + a5 * k5[i])
        }
        _ => {
            for i in 0..n {
                let mut acc = 0.0;
                for (c, k) in terms {
                    acc += c * k[i];
                }
                out[i] = base.map_or(0.0, |y| y[i]) + h * acc;
            }
        }
    }
}

/// What one call to [`Dopri5::step`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepInfo {
    /// Start of the accepted interval.
    pub t0: f64,
    /// End of the accepted interval (earlier than `t0 + h` if an event cut the step).
    pub t1: f64,
    /// The attempted step size (dense output is parametrised by `theta = (t - t0)/h`).
    pub h: f64,
    /// Number of switching functions that changed mode at `t1` (0 if none).
    pub events: usize,
}

/// Counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Steps accepted.
    pub accepted_steps: u64,
    /// Steps rejected by the error test (or found inadmissible).
    pub rejected_steps: u64,
    /// Calls of [`System::rhs`].
    pub rhs_evaluations: u64,
    /// Events located (activation boundaries crossed or reached).
    pub events: u64,
    /// Steps whose error estimate passed but that the system found inadmissible
    /// ([`System::admissible`]: for the flow, a loss rise beyond the rounding budget); they are
    /// also counted in `rejected_steps`.
    pub inadmissible_steps: u64,
}

/// The integrator state: preallocated, no allocation per step.
pub struct Dopri5 {
    state: StepState,
    tol: Tolerances,
    h_max: f64,
    k: [Vec<f64>; 7],
    y_stage: Vec<f64>,
    err: Vec<f64>,
    /// The argument of stage 6 (for the stiffness test).
    y_sti: Vec<f64>,
    stiffness: Stiffness,
}

/// Dormand-Prince's controller: error estimate of order 5, growth at most 10.
const CONTROLLER: Controller = Controller { fac_max: 10.0, ratio: |err| SAFETY * err.powf(-0.2) };
/// Bisection iterations on `theta in [0, 1]`: 2^-60 is below one ulp of any step.
pub(crate) const BISECTIONS: usize = 60;
pub(crate) const MAX_ZERO_LENGTH_EVENTS: usize = 10_000;

impl Dopri5 {
    /// An integrator at `(t0, y0)`. `h0 = None` picks the first step by Hairer's heuristic.
    pub fn new(t0: f64, y0: Vec<f64>, tol: Tolerances, h0: Option<f64>, h_max: f64) -> Self {
        let n = y0.len();
        let z = || vec![0.0; n];
        Self {
            state: StepState::new(t0, y0, h0.unwrap_or(0.0)),
            tol,
            h_max,
            k: [z(), z(), z(), z(), z(), z(), z()],
            y_stage: z(),
            err: z(),
            y_sti: z(),
            stiffness: Stiffness::default(),
        }
    }
    /// Hairer's stiffness test so far ([`Stiffness`]).
    pub fn stiffness(&self) -> Stiffness {
        self.stiffness
    }
    /// Current time.
    pub fn t(&self) -> f64 {
        self.state.t
    }
    /// Current state.
    pub fn y(&self) -> &[f64] {
        &self.state.y
    }
    /// Mutable state (invalidates the FSAL derivative).
    pub fn y_mut(&mut self) -> &mut [f64] {
        self.state.fsal_valid = false;
        &mut self.state.y
    }
    /// Counters so far.
    pub fn counters(&self) -> Counters {
        self.state.counters
    }
    /// The next step size the controller proposes.
    pub fn next_h(&self) -> f64 {
        self.state.h
    }

    fn initial_step<S: System>(&mut self, sys: &mut S) -> f64 {
        // Hairer, Norsett & Wanner, Section II.4: h0 from |y0| and |f0|, refined by one Euler step.
        let tol = self.tol;
        let st = &mut self.state;
        let d0 = sys.error_norm(&st.y, &st.y, &st.y, &tol);
        let d1 = sys.error_norm(&st.y, &st.y, &self.k[0], &tol);
        let h0 = if d0 < 1e-5 || d1 < 1e-5 { 1e-6 } else { 0.01 * d0 / d1 };
        let h0 = h0.min(self.h_max);
        for i in 0..st.y.len() {
            self.y_stage[i] = st.y[i] + h0 * self.k[0][i];
        }
        sys.rhs(st.t + h0, &self.y_stage, &mut self.k[1]);
        st.counters.rhs_evaluations += 1;
        for i in 0..st.y.len() {
            self.err[i] = (self.k[1][i] - self.k[0][i]) / h0;
        }
        let d2 = sys.error_norm(&st.y, &st.y, &self.err, &tol);
        let dm = d1.max(d2);
        let h1 = if dm <= 1e-15 { (h0 * 1e-3).max(1e-6) } else { (0.01 / dm).powf(0.2) };
        (100.0 * h0).min(h1).min(self.h_max)
    }

    /// Advances by one accepted step (cut at the first event, if any), not beyond `t_limit`.
    pub fn step<S: System>(&mut self, sys: &mut S, t_limit: f64) -> Result<StepInfo, DopriError> {
        if !self.state.fsal_valid {
            let (k0, _) = self.k.split_first_mut().expect("seven stages");
            sys.rhs(self.state.t, &self.state.y, k0);
            self.state.counters.rhs_evaluations += 1;
            self.state.fsal_valid = true;
        }
        if self.state.h <= 0.0 {
            self.state.h = self.initial_step(sys);
        }
        loop {
            let (h, clipped) = self.state.attempt(self.h_max, t_limit)?;
            let st = &mut self.state;
            // stages 1..=6; stage 6 (index 6) is f at the new point (FSAL)
            for s in 1..7 {
                {
                    let mut terms: [(f64, &[f64]); 6] = [(0.0, &[]); 6];
                    let mut count = 0;
                    for (l, &a) in A[s].iter().enumerate().take(s) {
                        if a != 0.0 {
                            terms[count] = (a, &self.k[l]);
                            count += 1;
                        }
                    }
                    combine(&mut self.y_stage, Some(&st.y), h, &terms[..count]);
                }
                if s == 5 {
                    self.y_sti.copy_from_slice(&self.y_stage);
                }
                if s == 6 {
                    st.y_new.copy_from_slice(&self.y_stage);
                }
                let (before, after) = self.k.split_at_mut(s);
                let _ = before;
                sys.rhs(st.t + C[s] * h, &self.y_stage, &mut after[0]);
                st.counters.rhs_evaluations += 1;
            }
            {
                let mut terms: [(f64, &[f64]); 6] = [(0.0, &[]); 6];
                let mut count = 0;
                for (l, &c) in E.iter().enumerate() {
                    if c != 0.0 {
                        terms[count] = (c, &self.k[l]);
                        count += 1;
                    }
                }
                combine(&mut self.err, None, h, &terms[..count]);
            }
            let err = sys.error_norm(&st.y, &st.y_new, &self.err, &self.tol);
            if let Some(h_retry) = CONTROLLER.judge(err, h, st.t, &st.y_new)? {
                st.h = h_retry;
                st.counters.rejected_steps += 1;
                continue;
            }
            if !sys.admissible(&st.y, &st.y_new) {
                st.reject_inadmissible(h);
                continue;
            }
            self.stiffness.record(st.t + h, h, &self.y_sti, &st.y_new, &self.k[5], &self.k[6]);
            // accepted: dense output coefficients
            st.hermite(h, &self.k[0], &self.k[6]);
            {
                let mut terms: [(f64, &[f64]); 6] = [(0.0, &[]); 6];
                let mut count = 0;
                for (l, &dl) in D.iter().enumerate() {
                    if dl != 0.0 {
                        terms[count] = (dl, &self.k[l]);
                        count += 1;
                    }
                }
                combine(&mut st.rcont[4], None, h, &terms[..count]);
            }
            let _ = B; // B equals the last row of A (FSAL); kept for reference
            let h_next = CONTROLLER.next(err, h, &mut st.no_growth);
            let k = &mut self.k;
            return st.conclude(sys, Accepted { h, h_next, clipped, t_limit }, || k.swap(0, 6));
        }
    }

    /// Component `i` of the dense output of the last accepted step at `theta = (t - t0)/h`.
    #[inline]
    pub fn dense_component(&self, theta: f64, i: usize) -> f64 {
        dense_at(&self.state.rcont, theta, i)
    }

    /// The dense output of the last accepted step at time `t` (within its interval) into `out`.
    pub fn dense(&self, t: f64, out: &mut [f64]) {
        self.state.dense(t, out);
    }
}

/// Component `i` of a dense output in Hairer's form at `theta = (t - t0)/h`:
/// `r0 + theta (r1 + (1 - theta) (r2 + theta (r3 + (1 - theta) r4)))` (with `r4 = 0` it is the
/// cubic Hermite interpolant of `y0`, `y1`, `h f0`, `h f1` for `r1 = y1 - y0`, `r2 = h f0 - r1`,
/// `r3 = r1 - h f1 - r2`).
#[inline]
pub(crate) fn dense_at(rcont: &[Vec<f64>; 5], theta: f64, i: usize) -> f64 {
    let t1 = 1.0 - theta;
    let r = rcont;
    r[0][i] + theta * (r[1][i] + t1 * (r[2][i] + theta * (r[3][i] + t1 * r[4][i])))
}

/// The switching functions violated after a step, and the scratch to locate their crossing.
#[derive(Default)]
pub(crate) struct Events {
    /// Indices of the switching functions (after [`Events::locate`], those `<= 0` at the crossing).
    pub(crate) list: Vec<usize>,
    theta: Vec<f64>,
    support: Vec<f64>,
}

impl Events {
    /// Earliest crossing among `self.list` (bisection on the dense output `rcont`, see
    /// [`dense_at`]), keeping in `self.list` only the functions that are `<= 0` there.
    pub(crate) fn locate<S: System>(&mut self, sys: &mut S, rcont: &[Vec<f64>; 5]) -> f64 {
        self.theta.clear();
        for idx in 0..self.list.len() {
            let i = self.list[idx];
            let range = sys.switch_support(i);
            let support = &mut self.support;
            let mut g_at = |theta: f64| {
                support.clear();
                for c in range.clone() {
                    support.push(dense_at(rcont, theta, c));
                }
                sys.switch_value(i, support)
            };
            let theta = if g_at(0.0) <= 0.0 {
                0.0
            } else {
                let (mut lo, mut hi) = (0.0f64, 1.0f64);
                for _ in 0..BISECTIONS {
                    let mid = 0.5 * (lo + hi);
                    if mid <= lo || mid >= hi {
                        break;
                    }
                    if g_at(mid) > 0.0 { lo = mid } else { hi = mid }
                }
                hi
            };
            self.theta.push(theta);
        }
        let theta_star = self.theta.iter().copied().fold(1.0f64, f64::min);
        // keep the functions that have crossed by theta_star
        let mut kept = Vec::new();
        std::mem::swap(&mut kept, &mut self.list);
        for (idx, &i) in kept.iter().enumerate() {
            if self.theta[idx] <= theta_star {
                self.list.push(i);
            } else {
                let range = sys.switch_support(i);
                self.support.clear();
                for c in range {
                    self.support.push(dense_at(rcont, theta_star, c));
                }
                if sys.switch_value(i, &self.support) <= 0.0 {
                    self.list.push(i);
                }
            }
        }
        theta_star
    }
}

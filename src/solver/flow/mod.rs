//! Gradient flow (2): `d theta/dt = -grad L(theta)` with `relu'(0) = sigma0` (default 0),
//! integrated by an adaptive Dormand-Prince 5(4) ([`dopri`]) with event location on the
//! activation boundaries `<w_j, x_k> = 0`.
//!
//! ## Activation classes and events
//! Each coordinate `z_jk = <w_j, x_k>` carries a [`Class`]: `Positive` (`act' = 1`),
//! `Negative` (`act' = 0`, or the leaky slope) or `Zero` (on the boundary, `act' = sigma0`).
//! Inside a step the classes are fixed, so the vector field is a polynomial in `theta` and
//! the error estimate is valid. A step after which some coordinate has left its class is cut
//! at the earliest crossing, found by bisection on the dense output; the coordinate enters
//! `Zero` and the integration restarts. This is what makes `relu'(0) = 0` exact rather than a
//! step-size artefact: on orthonormal inputs a coordinate that reaches 0 has velocity
//! `-(1/n) r_k a_j act'(0) = 0` there (Lemma 6) and stays in `Zero`.
//!
//! At each entry into `Zero` the velocity of `z_jk` is computed on both sides, as a
//! Filippov-type code does: `v+` with the coordinate active, `v-` with it inactive. Both
//! pushing up: the coordinate crosses into `Positive`; both pushing down (or down and zero):
//! `Negative`; `v+ < 0 < v-` (each side pushes it back onto 0, a sliding mode, possible only
//! on non-orthogonal inputs): the run stops with [`SimulationError::SlidingMode`] naming the
//! neuron, the point and the time, rather than chattering on ever smaller steps. Otherwise it
//! stays `Zero`. A `Zero` coordinate that drifts beyond `ZERO_BAND x |w_j| |x_k|` leaves by its sign.
//!
//! ## Error control at every scale
//! Neurons are integrated in the scaled form of [`ScaledParams`] and the error of each step is
//! measured per neuron, relative to that neuron's own size: `max_j |err_j| / (rtol |theta_j|)`
//! (plus an optional absolute `atol` in plain units). A neuron of size `1e-300` is thus
//! integrated to the same relative accuracy as one of size 1, with no underflow.
//!
//! ## A descent path
//! Along the flow `L` never rises. A step whose error estimate passed but whose computed loss
//! rose by more than the rounding of the comparison (a bound derived in [`descent`]: the
//! evaluation error of `L` at both ends plus the effect of storing the new state in `f64`) is
//! rejected and retried with half the step, and the step does not grow on the next attempt. An
//! explicit integrator on its stability boundary (large `lambda`) makes the residual oscillate
//! while its error estimate, relative to the neurons' sizes, stays below the tolerance; this check
//! is what sees it. In runs that are not stiff it rejects no step until the loss is at the
//! integrator's accuracy floor (`tests/stiff.rs`), so their trajectories are unchanged.
//!
//! ## Stiffness
//! At large `lambda` (the lazy regime) the flow is stiff: the Gauss-Newton part `(1/n) J^T J` of
//! the Hessian has eigenvalues `~ |theta|^2 |x|^2 / n`, and Dormand-Prince's step is bounded by
//! its stability (`h |lambda| <~ 3.3`), not by accuracy. The run detects this as Hairer's `dopri5`
//! does ([`dopri::Stiffness`]: `h |k7 - k6| / |y7 - y6| > 3.25` on 15 steps, reset by 6 non-stiff
//! ones in a row) and then continues with [`rosenbrock::Ros2`], a linearly implicit Rosenbrock-W
//! method that uses `-(1/n) J^T J` as its Jacobian (the reason for this choice is in
//! [`rosenbrock`]): same classes fixed inside a step, same events (cut at the earliest crossing,
//! located on its cubic Hermite dense output), same Filippov rule, same per-neuron error norm and
//! the same descent check. The switch is one way (a lazy flow stays stiff). The run's
//! [`FlowReport`](crate::solver::FlowReport) says which integrator ran, when stiffness was detected
//! and when the run switched.

pub mod descent;
pub mod dopri;
pub(crate) mod driver;
pub mod rosenbrock;
mod step;
pub mod tableau;

use super::{DivergenceBounds, Observer, Run, SimulationError, StopRule};
use crate::data::Dataset;
use crate::network::{Class, Kernel, Pattern, ValidModel};
use crate::numerics::{dot, norm};
use crate::params::{ScaledParams, ldexp};
use descent::Reference;
use dopri::{System, Tolerances};
use driver::{FlowCoordinates, Measure, drive};
use rosenbrock::{LowRankJacobian, scale_lower_and_mirror};
use serde::Serialize;
use std::ops::Range;

/// Flow settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FlowConfig {
    /// Relative tolerance per neuron (default `1e-9`).
    pub rtol: f64,
    /// Absolute tolerance in plain units (default 0: purely relative control).
    pub atol: f64,
    /// Largest step (default `f64::INFINITY`).
    pub h_max: f64,
    /// When the run stops.
    pub stop: StopRule,
}

impl Default for FlowConfig {
    fn default() -> Self {
        Self { rtol: 1e-9, atol: 0.0, h_max: f64::INFINITY, stop: StopRule::default() }
    }
}

impl FlowConfig {
    /// [`SimulationError::Config`] naming the first setting out of range (tolerances, `h_max`,
    /// then the [`StopRule`]).
    pub(crate) fn validate(&self) -> Result<(), SimulationError> {
        if !(self.rtol > 0.0 && self.rtol < 1.0) {
            return Err(SimulationError::Config(format!("rtol = {} must be in (0, 1), e.g. 1e-9", self.rtol)));
        }
        if !(self.atol >= 0.0 && self.atol.is_finite()) {
            return Err(SimulationError::Config(format!("atol = {} must be >= 0 and finite", self.atol)));
        }
        if !(self.h_max > 0.0) {
            return Err(SimulationError::Config(format!("h_max = {} must be > 0", self.h_max)));
        }
        self.stop.validate()
    }
}

/// One line saying which integrator ran (for the CLI's summary): Dormand-Prince alone, or the
/// switch to ROS2 with its time, and when the flow was found stiff.
pub fn integrator_summary(f: &crate::solver::FlowReport) -> String {
    let stiff = match f.stiffness_detected_at {
        Some(t) => format!("; Hairer's stiffness test fired at t = {t:.3e}"),
        None => String::new(),
    };
    let end = match f.integrator {
        crate::solver::Integrator::Dopri5 => ", back to dopri5 at the end",
        crate::solver::Integrator::Ros2 => "",
    };
    match f.switched_at {
        Some(t) => format!(
            "integrator      dopri5 for {} steps, ros2 (stiff flow) from t = {t:.3e}{end}{stiff}",
            f.explicit_steps
        ),
        None => format!("integrator      dopri5{stiff}"),
    }
}

/// Relative width of the band around 0 inside which a `Zero` coordinate stays `Zero`.
pub const ZERO_BAND: f64 = 1e-9;
/// Relative size below which a boundary velocity counts as 0 (rounding of `<x_l, x_k>`).
pub const VELOCITY_ZERO: f64 = 1e-10;

/// The class a coordinate `<w_j, x_k>` takes when it reaches 0 (Filippov's rule), from its
/// velocities `v_pos` with `act' = 1` (the positive side) and `v_neg` with `act' = slope` (the
/// negative side), of scale `scale`: `Positive` when both push it up, `Negative` when both push it
/// down, `Zero` when it stays (a velocity within [`VELOCITY_ZERO`]` scale` of 0), and the
/// [`SimulationError::SlidingMode`] (neuron `j`, point `k`, time `t`) when both sides push it
/// back onto 0 (possible only on non-orthogonal inputs).
pub(crate) fn boundary_class(
    j: usize,
    k: usize,
    t: f64,
    v_pos: f64,
    v_neg: f64,
    scale: f64,
) -> Result<Class, SimulationError> {
    let thr = VELOCITY_ZERO * scale;
    if v_pos < -thr && v_neg > thr {
        Err(SimulationError::SlidingMode { neuron: j, point: k, time: t, v_negative: v_neg, v_positive: v_pos })
    } else if v_pos > thr && v_neg > thr {
        Ok(Class::Positive)
    } else if v_neg < -thr && v_pos < thr {
        Ok(Class::Negative)
    } else {
        Ok(Class::Zero)
    }
}

/// The flow as a switching [`System`] on the mantissas of [`ScaledParams`].
struct FlowSystem<'a> {
    kernel: Kernel<'a>,
    /// A second kernel for losses at dense-output states, so that `kernel`'s caches stay untouched.
    obs_kernel: Kernel<'a>,
    classes: Vec<Class>,
    exponent: Vec<i32>,
    x_norm: Vec<f64>,
    n: usize,
    d: usize,
    last_loss: f64,
    sliding: Option<SimulationError>,
    /// Scratch for [`FlowCoordinates::rescale`] (no allocation in the run loop).
    renormalized: ScaledParams,
    /// The computed loss at the accepted state and its evaluation error (the descent check).
    reference: Reference,
    /// The Jacobian approximation of the stiff integrator at its state: `act(z^_jk)`, `act'_jk`,
    /// `a^_j`, `4^e_j`, and the Gram matrix `<x_k, x_l>` of the inputs.
    jac_act: Vec<f64>,
    jac_gate: Vec<f64>,
    jac_a: Vec<f64>,
    jac_scale: Vec<f64>,
    gram: Vec<f64>,
}

impl FlowSystem<'_> {
    /// `(E, R)` of [`descent`] at the state `y` of computed loss `loss` and residuals `residuals`.
    fn rounding_terms(&self, y: &[f64], loss: f64, residuals: &[f64]) -> (f64, f64) {
        let weight: f64 = y
            .chunks_exact(self.d + 1)
            .zip(&self.exponent)
            .map(|(b, &e)| ldexp(b[0].abs() * norm(&b[1..]), 2 * e))
            .sum();
        let (m, d) = (self.exponent.len(), self.d);
        let slope = self.kernel.model().negative_slope();
        let labels = self.kernel.data().y();
        descent::rounding_terms(loss, residuals, |k| {
            descent::residual_rounding(m, d, slope, weight, self.x_norm[k], labels[k])
        })
    }
    /// Makes the state `y` the reference of the descent check, under the current classes (a class
    /// change moves the loss by the contribution a `Zero` coordinate had inside its band): its
    /// loss from the observation kernel, so that the integrator's caches and `last_loss` (the
    /// loss reported for the step) stay as they were.
    fn set_reference(&mut self, y: &[f64]) {
        self.obs_kernel.set_exponents(&self.exponent);
        let loss = self.obs_kernel.forward(y, Pattern::Fixed(&self.classes));
        let (eval_error, _) = self.rounding_terms(y, loss, self.obs_kernel.residuals());
        self.reference = Reference { loss, eval_error };
    }
    fn block(&self, j: usize) -> Range<usize> {
        j * (self.d + 1)..(j + 1) * (self.d + 1)
    }
    fn zero_band(&self, j: usize, k: usize, y: &[f64]) -> f64 {
        ZERO_BAND * norm(&y[j * (self.d + 1) + 1..(j + 1) * (self.d + 1)]) * self.x_norm[k]
    }
    /// `dz_jk/dt` (mantissa units) if coordinate `(j, k)` had `act' = weight`, others as classed.
    /// Needs a forward pass at the current state. Returns (velocity, its scale).
    fn boundary_velocity(&self, j: usize, k: usize, y: &[f64], weight: f64) -> (f64, f64) {
        let data = self.kernel.data();
        let n = self.n;
        let r = self.kernel.residuals();
        let a_hat = y[j * (self.d + 1)];
        let model = self.kernel.model();
        let (mut v, mut scale) = (0.0, 0.0);
        for l in 0..n {
            let act_prime = if l == k {
                weight
            } else {
                match self.classes[j * n + l] {
                    Class::Positive => 1.0,
                    Class::Negative => model.negative_slope(),
                    Class::Zero => model.relu_prime_at_zero(),
                }
            };
            let g = dot(data.x(l), data.x(k));
            v += act_prime * r[l] * g;
            scale += r[l].abs() * self.x_norm[l] * self.x_norm[k];
        }
        let c = -a_hat / n as f64;
        (c * v, (c * scale).abs())
    }
}

impl System for FlowSystem<'_> {
    fn dim(&self) -> usize {
        self.exponent.len() * (self.d + 1)
    }
    fn rhs(&mut self, _t: f64, y: &[f64], dy: &mut [f64]) {
        self.last_loss = self.kernel.velocity(y, Pattern::Fixed(&self.classes), dy);
    }
    fn error_norm(&self, y0: &[f64], y1: &[f64], err: &[f64], tol: &Tolerances) -> f64 {
        let mut worst = 0.0f64;
        for j in 0..self.exponent.len() {
            let b = self.block(j);
            let size = norm(&y0[b.clone()]).max(norm(&y1[b.clone()]));
            let e = norm(&err[b]);
            if e == 0.0 {
                continue;
            }
            let atol_hat = if tol.atol > 0.0 { ldexp(tol.atol, -self.exponent[j]) } else { 0.0 };
            worst = worst.max(e / (tol.rtol * size + atol_hat));
        }
        worst
    }
    fn admissible(&mut self, _y0: &[f64], y1: &[f64]) -> bool {
        // the last rhs call was at y1: the kernel holds its residuals and `last_loss` its loss
        let (e1, r1) = self.rounding_terms(y1, self.last_loss, self.kernel.residuals());
        if descent::admissible(self.reference, self.last_loss, e1, r1) {
            self.reference = Reference { loss: self.last_loss, eval_error: e1 };
            true
        } else {
            false
        }
    }
    fn violated(&mut self, y1: &[f64], out: &mut Vec<usize>) {
        // the last rhs call was at y1 (FSAL), so the kernel's pre-activations are z(y1)
        let z = self.kernel.pre_activations();
        let n = self.n;
        for (idx, (&c, &zv)) in self.classes.iter().zip(z).enumerate() {
            let bad = match c {
                Class::Positive => zv <= 0.0,
                Class::Negative => zv >= 0.0,
                // `zv != 0`: a neuron with w_j = 0 has a band of width 0, and an exact 0 must not
                // count as leaving it (that was an endless run of zero-length events)
                Class::Zero => zv != 0.0 && zv.abs() >= self.zero_band(idx / n, idx % n, y1),
            };
            if bad {
                out.push(idx);
            }
        }
    }
    fn switch_support(&self, i: usize) -> Range<usize> {
        let j = i / self.n;
        j * (self.d + 1) + 1..(j + 1) * (self.d + 1)
    }
    fn switch_value(&self, i: usize, w: &[f64]) -> f64 {
        let k = i % self.n;
        let z = dot(w, self.kernel.data().x(k));
        match self.classes[i] {
            Class::Positive => z,
            Class::Negative => -z,
            Class::Zero => ZERO_BAND * norm(w) * self.x_norm[k] - z.abs(),
        }
    }
    fn on_events(&mut self, t: f64, y: &[f64], events: &[usize]) -> Result<(), String> {
        self.last_loss = self.kernel.forward(y, Pattern::Fixed(&self.classes));
        let n = self.n;
        let slope = self.kernel.model().negative_slope();
        for &i in events {
            let (j, k) = (i / n, i % n);
            if self.classes[i] == Class::Zero {
                // left the band around 0: by its sign
                let z = dot(&y[j * (self.d + 1) + 1..(j + 1) * (self.d + 1)], self.kernel.data().x(k));
                self.classes[i] = Class::of(z);
                continue;
            }
            let (v_pos, scale) = self.boundary_velocity(j, k, y, 1.0);
            let (v_neg, _) = self.boundary_velocity(j, k, y, slope);
            self.classes[i] = match boundary_class(j, k, t, v_pos, v_neg, scale) {
                Ok(c) => c,
                Err(sliding) => {
                    self.sliding = Some(sliding);
                    return Err(format!("sliding mode on <w_{j}, x_{k}>"));
                }
            };
        }
        // The step was cut where the dense output first crosses for the coordinates that were
        // violated at its end; another coordinate may be past 0 at the cut although back on its
        // side at the end (a long step, e.g. with a large atol). Classify those by sign, so that
        // the classes (and the loss reported with them) agree with the state.
        let z = self.kernel.pre_activations();
        let mut changed = false;
        for (idx, class) in self.classes.iter_mut().enumerate() {
            let zv = z[idx];
            // cheap test first: the sign contradicts the class (rare), then the band
            let contradicts = match *class {
                Class::Positive => zv < 0.0,
                Class::Negative => zv > 0.0,
                Class::Zero => zv != 0.0,
            };
            if !contradicts || events.contains(&idx) {
                continue;
            }
            let (j, k) = (idx / n, idx % n);
            let band = ZERO_BAND * norm(&y[j * (self.d + 1) + 1..(j + 1) * (self.d + 1)]) * self.x_norm[k];
            if zv.abs() >= band {
                *class = Class::of(zv);
                changed = true;
            }
        }
        if changed {
            self.last_loss = self.kernel.forward(y, Pattern::Fixed(&self.classes));
        }
        // the step ends here: the reference of the next descent check
        self.set_reference(y);
        Ok(())
    }
}

/// The Gauss-Newton part of the Jacobian of `-grad L` in mantissa units, `W = -U V^T` with
/// `U[:, k]` the mantissa gradient of `h(x_k)` (block `j`: `(act(z^_jk), a^_j act'_jk x_k)`) and
/// `V[:, k] = (4^e_j / n) U[:, k]` per block: in plain units `-(1/n) J^T J`, and
/// `V^T U = (1/n) J J^T` (see [`rosenbrock`]).
impl LowRankJacobian for FlowSystem<'_> {
    fn rank(&self) -> usize {
        self.n
    }
    fn prepare_jacobian(&mut self, y: &[f64], vtu: &mut [f64]) {
        let (n, d) = (self.n, self.d);
        let data = self.kernel.data();
        let model = self.kernel.model();
        for (j, block) in y.chunks_exact(d + 1).enumerate() {
            self.jac_a[j] = block[0];
            self.jac_scale[j] = ldexp(1.0, 2 * self.exponent[j]);
            for k in 0..n {
                let z = dot(&block[1..], data.x(k));
                let (act, gate) = match self.classes[j * n + k] {
                    Class::Positive => (z, 1.0),
                    Class::Negative => (model.negative_slope() * z, model.negative_slope()),
                    Class::Zero => (0.0, model.relu_prime_at_zero()),
                };
                self.jac_act[j * n + k] = act;
                self.jac_gate[j * n + k] = gate;
            }
        }
        vtu.iter_mut().for_each(|v| *v = 0.0);
        for j in 0..self.exponent.len() {
            let (act, gate) = (&self.jac_act[j * n..(j + 1) * n], &self.jac_gate[j * n..(j + 1) * n]);
            let (s, a_sq) = (self.jac_scale[j], self.jac_a[j] * self.jac_a[j]);
            for k in 0..n {
                for l in 0..=k {
                    vtu[k * n + l] += s * (act[k] * act[l] + a_sq * gate[k] * gate[l] * self.gram[k * n + l]);
                }
            }
        }
        scale_lower_and_mirror(vtu, n);
    }
    fn apply_vt(&self, b: &[f64], out: &mut [f64]) {
        let (n, d) = (self.n, self.d);
        let data = self.kernel.data();
        out.iter_mut().for_each(|v| *v = 0.0);
        for (j, block) in b.chunks_exact(d + 1).enumerate() {
            let (act, gate) = (&self.jac_act[j * n..(j + 1) * n], &self.jac_gate[j * n..(j + 1) * n]);
            let (s, a) = (self.jac_scale[j], self.jac_a[j]);
            for k in 0..n {
                let w_part = if gate[k] != 0.0 { a * gate[k] * dot(&block[1..], data.x(k)) } else { 0.0 };
                out[k] += s * (act[k] * block[0] + w_part);
            }
        }
        let inv_n = 1.0 / n as f64;
        out.iter_mut().for_each(|v| *v *= inv_n);
    }
    fn subtract_u(&self, c: &[f64], b: &mut [f64]) {
        let (n, d) = (self.n, self.d);
        let data = self.kernel.data();
        for (j, block) in b.chunks_exact_mut(d + 1).enumerate() {
            let (act, gate) = (&self.jac_act[j * n..(j + 1) * n], &self.jac_gate[j * n..(j + 1) * n]);
            let a = self.jac_a[j];
            for k in 0..n {
                block[0] -= c[k] * act[k];
                let coef = a * gate[k] * c[k];
                if coef != 0.0 {
                    for (v, x) in block[1..].iter_mut().zip(data.x(k)) {
                        *v -= coef * x;
                    }
                }
            }
        }
    }
}

impl FlowCoordinates for FlowSystem<'_> {
    fn classes(&self) -> &[Class] {
        &self.classes
    }
    fn last_loss(&self) -> f64 {
        self.last_loss
    }
    fn take_sliding(&mut self) -> Option<SimulationError> {
        self.sliding.take()
    }
    fn measure(&mut self, y: &[f64]) -> Measure {
        let width = self.d + 1;
        let norm_sq: f64 =
            y.chunks_exact(width).zip(&self.exponent).map(|(b, &e)| ldexp(crate::numerics::norm_sq(b), 2 * e)).sum();
        // a neuron whose mantissa left [2^-64, 2^64] (by its largest entry)
        let rescale = y.chunks_exact(width).any(|b| {
            let big = b.iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
            big != 0.0 && !(5.4e-20..=1.9e19).contains(&big)
        });
        // the driver checks the entries of `y` themselves
        Measure { norm_sq, finite: true, rescale }
    }
    fn rescale(&mut self, y: &mut [f64]) {
        // every neuron renormalised, as `ScaledParams` does
        let p = &mut self.renormalized;
        p.theta.copy_from_slice(y);
        p.exponent.copy_from_slice(&self.exponent);
        for j in 0..p.m() {
            p.renormalize(j);
        }
        y.copy_from_slice(&p.theta);
        self.exponent.copy_from_slice(&p.exponent);
        self.kernel.set_exponents(&self.exponent);
    }
    fn lift(&self, y: &[f64], out: &mut ScaledParams) {
        out.exponent.copy_from_slice(&self.exponent);
        out.theta.copy_from_slice(y);
    }
    fn loss_at(&mut self, y: &[f64]) -> f64 {
        self.obs_kernel.set_exponents(&self.exponent);
        self.obs_kernel.forward(y, Pattern::Fixed(&self.classes))
    }
}

/// Runs the gradient flow from `theta0`.
///
/// Errors: [`SimulationError::Config`] (tolerances, `h_max`, [`StopRule`]), `DimensionMismatch`,
/// `InputOutOfRange` (an input with `|x_k|^2` beyond the `f64` range), `NonFinite` (at step 0
/// for a non-finite start), `Diverged`, `SlidingMode`, `Integrator`.
///
/// ```
/// use reluflow::{data::generate::toy, network::Model, init::{InitSpec, InitKind}};
/// use reluflow::solver::{flow::{FlowConfig, run_flow}, StopRule, NoObserver};
/// let data = toy();
/// let init = InitSpec { kind: InitKind::Balanced, width: 20, lambda: 1e-3, seed: 1 }
///     .validate().unwrap().draw(data.d());
/// let cfg = FlowConfig { stop: StopRule { horizon: Some(5.0), ..Default::default() }, ..Default::default() };
/// let run = run_flow(&data, Model::relu().validate().unwrap(), &init.params, &cfg, &mut NoObserver).unwrap();
/// assert_eq!(run.summary.time, 5.0);
/// ```
pub fn run_flow(
    data: &Dataset,
    model: ValidModel,
    theta0: &ScaledParams,
    cfg: &FlowConfig,
    observer: &mut dyn Observer,
) -> Result<Run, SimulationError> {
    cfg.validate()?;
    if theta0.d() != data.d() {
        return Err(SimulationError::DimensionMismatch { params: theta0.d(), data: data.d() });
    }
    let (n, d, m) = (data.n(), data.d(), theta0.m());
    // |x_k|^2 must be a normal f64 (or exactly 0): beyond ~1e154 the band and the boundary
    // velocities were infinite (a coordinate then never left `Zero`, whatever its size), below
    // ~1e-154 they underflowed to 0
    for k in 0..n {
        let norm_sq = crate::numerics::norm_sq(data.x(k));
        if !norm_sq.is_finite() || (!norm_sq.is_normal() && data.x(k).iter().any(|v| *v != 0.0)) {
            return Err(SimulationError::InputOutOfRange { point: k, norm_sq });
        }
    }
    let mut kernel = Kernel::new(data, model, m);
    kernel.set_exponents(&theta0.exponent);
    let classes: Vec<Class> = (0..m)
        .flat_map(|j| (0..n).map(move |k| (j, k)))
        .map(|(j, k)| Class::of(dot(theta0.w_hat(j), data.x(k))))
        .collect();
    let mut sys = FlowSystem {
        kernel,
        obs_kernel: Kernel::new(data, model, m),
        classes,
        exponent: theta0.exponent.clone(),
        x_norm: (0..n).map(|k| norm(data.x(k))).collect(),
        n,
        d,
        last_loss: 0.0,
        sliding: None,
        renormalized: theta0.clone(),
        reference: Reference::default(),
        jac_act: vec![0.0; m * n],
        jac_gate: vec![0.0; m * n],
        jac_a: vec![0.0; m],
        jac_scale: vec![0.0; m],
        gram: (0..n * n).map(|i| dot(data.x(i / n), data.x(i % n))).collect(),
    };
    let initial_loss = sys.kernel.forward(&theta0.theta, Pattern::Fixed(&sys.classes));
    sys.set_reference(&theta0.theta);
    let bounds = DivergenceBounds::new(&cfg.stop, data, initial_loss, theta0.norm_sq());
    drive(sys, theta0.theta.clone(), theta0, initial_loss, &bounds, cfg, observer)
}

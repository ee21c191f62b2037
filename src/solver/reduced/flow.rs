//! The gradient flow in reduced coordinates: the same switching system as the full path.

use super::{Reduced, block_sq, perp_sq_in, reduce, rescale_exponent, seq_weighted_sum_sq};
use crate::data::Dataset;
use crate::network::{Class, ValidModel};
use crate::numerics::dot;
use crate::params::{ScaledParams, ldexp};
use crate::solver::flow::descent::{self, Reference};
use crate::solver::flow::dopri::{System, Tolerances};
use crate::solver::flow::driver::{FlowCoordinates, Measure, drive};
use crate::solver::flow::rosenbrock::{LowRankJacobian, scale_lower_and_mirror};
use crate::solver::flow::{FlowConfig, ZERO_BAND, boundary_class};
use crate::solver::{DivergenceBounds, Observer, Run, SimulationError};
use std::ops::Range;

/// Lanes of the reductions over coordinates (independent accumulators).
const LANES: usize = 4;

#[inline(always)]
fn dot3(a: &[f64], b: &[f64], c: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let (ac, bc, cc) = (a.chunks_exact(LANES), b.chunks_exact(LANES), c.chunks_exact(LANES));
    let (ar, br, cr) = (ac.remainder(), bc.remainder(), cc.remainder());
    for ((al, bl), cl) in ac.zip(bc).zip(cc) {
        for l in 0..LANES {
            acc[l] += al[l] * (bl[l] * cl[l]);
        }
    }
    for ((x, y), z) in ar.iter().zip(br).zip(cr) {
        acc[0] += x * (y * z);
    }
    acc.iter().sum()
}

/// `(act, act')` multipliers of a class: `act(p) = coef.0 * p`, `act'(p) = coef.1`.
#[inline]
fn class_coefficients(c: Class, model: &ValidModel) -> (f64, f64) {
    match c {
        Class::Positive => (1.0, 1.0),
        Class::Negative => (model.negative_slope(), model.negative_slope()),
        Class::Zero => (0.0, model.relu_prime_at_zero()),
    }
}

/// Forward pass under fixed classes: residuals `r_k = h(x_k) - y_k` into `residual`, returns `L`.
fn forward_fixed(state: &[f64], act_coef: &[f64], scale_sq: &[f64], labels: &[f64], residual: &mut [f64]) -> f64 {
    let n = labels.len();
    residual.iter_mut().zip(labels).for_each(|(r, y)| *r = -y);
    for (j, (block, coef)) in state.chunks_exact(n + 1).zip(act_coef.chunks_exact(n)).enumerate() {
        let c = block[0] * scale_sq[j];
        for ((r, p), a) in residual.iter_mut().zip(&block[1..]).zip(coef) {
            *r += c * (a * p);
        }
    }
    crate::numerics::norm_sq(residual) / (2.0 * n as f64)
}

/// The flow in reduced coordinates as a switching [`System`]: state blocks `[a_hat_j, p_hat_j]`.
struct ReducedFlow<'a> {
    /// The reduced start: `w_perp` (frozen) and what lifts a state to full parameters.
    red: &'a Reduced,
    n: usize,
    m: usize,
    labels: &'a [f64],
    model: ValidModel,
    classes: Vec<Class>,
    /// `act(p) = act_coef * p` per coordinate under its class.
    act_coef: Vec<f64>,
    /// `act'(p)` per coordinate under its class.
    der_coef: Vec<f64>,
    exponent: Vec<i32>,
    scale_sq: Vec<f64>,
    /// `|w_perp_hat_j|^2` in the current mantissa units of neuron `j`.
    perp_sq: Vec<f64>,
    x_norm: Vec<f64>,
    /// `<x_k, x_k>`.
    gram_diag: Vec<f64>,
    /// `s_k = |x_k|^2` as [`Reduced`] holds it (exactly 1 for orthonormal inputs).
    sq: Vec<f64>,
    /// `1 / s_k`.
    inv_sq: Vec<f64>,
    residual: Vec<f64>,
    /// `r_k s_k`.
    residual_s: Vec<f64>,
    /// Residuals at dense-output states (so that `residual` stays untouched).
    obs_residual: Vec<f64>,
    /// Per neuron, the exponent change of a pending rescale (0 for none).
    rescale: Vec<i32>,
    last_loss: f64,
    sliding: Option<SimulationError>,
    /// The descent check's reference (as on the full path).
    reference: Reference,
    /// The stiff integrator's Jacobian approximation: `act(p^_jk)`, `act'_jk`, `a^_j`, `4^e_j`.
    jac_act: Vec<f64>,
    jac_gate: Vec<f64>,
    jac_a: Vec<f64>,
    jac_scale: Vec<f64>,
}

impl ReducedFlow<'_> {
    /// `(E, R)` of [`descent`] at `y` (computed loss `loss`, residuals `residuals`), with the full
    /// path's `delta_k` (`|p_jk| <= |w_j| |x_k|`, so it bounds this path's rounding too).
    fn rounding_terms(&self, y: &[f64], loss: f64, residuals: &[f64]) -> (f64, f64) {
        let n = self.n;
        let weight: f64 = y
            .chunks_exact(n + 1)
            .enumerate()
            .map(|(j, b)| ldexp(b[0].abs() * self.w_norm(j, &b[1..]), 2 * self.exponent[j]))
            .sum();
        let (m, slope) = (self.m, self.model.negative_slope());
        descent::rounding_terms(loss, residuals, |k| {
            descent::residual_rounding(m, 0, slope, weight, self.x_norm[k], self.labels[k])
        })
    }
    /// The descent check's reference at `y` under the current classes (as on the full path: the
    /// observation residuals, so that `residual` and `last_loss` stay as they were).
    fn set_reference(&mut self, y: &[f64]) {
        let loss = forward_fixed(y, &self.act_coef, &self.scale_sq, self.labels, &mut self.obs_residual);
        let (eval_error, _) = self.rounding_terms(y, loss, &self.obs_residual);
        self.reference = Reference { loss, eval_error };
    }
    fn set_class(&mut self, idx: usize, c: Class) {
        self.classes[idx] = c;
        let (a, d) = class_coefficients(c, &self.model);
        self.act_coef[idx] = a;
        self.der_coef[idx] = d;
    }
    /// `|w_hat_j|` from the reduced block's `p_hat_j`: `sqrt(sum_k p_k^2 / s_k + |w_perp_hat_j|^2)`.
    fn w_norm(&self, j: usize, p: &[f64]) -> f64 {
        (seq_weighted_sum_sq(p, &self.inv_sq) + self.perp_sq[j]).sqrt()
    }
    /// `dp_jk/dt` (mantissa units) with `act'(p_jk) = weight`, and its scale, as the full path's
    /// boundary velocity (there the sum over `l` has Gram weights `<x_l, x_k>`; here they are
    /// `delta_lk <x_k, x_k>`, the orthogonal inputs' Gram matrix).
    fn boundary_velocity(&self, j: usize, k: usize, y: &[f64], weight: f64) -> (f64, f64) {
        let a_hat = y[j * (self.n + 1)];
        let scale: f64 = self.residual.iter().zip(&self.x_norm).map(|(r, xn)| r.abs() * xn * self.x_norm[k]).sum();
        let c = -a_hat / self.n as f64;
        (c * (weight * self.residual[k] * self.gram_diag[k]), (c * scale).abs())
    }
}

impl System for ReducedFlow<'_> {
    fn dim(&self) -> usize {
        self.m * (self.n + 1)
    }
    fn rhs(&mut self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let n = self.n;
        self.last_loss = forward_fixed(y, &self.act_coef, &self.scale_sq, self.labels, &mut self.residual);
        self.residual_s.iter_mut().zip(&self.residual).zip(&self.sq).for_each(|((o, r), s)| *o = r * s);
        let inv_n = 1.0 / n as f64;
        let r = &self.residual;
        let rs = &self.residual_s;
        for (((block, out), ac), dc) in y
            .chunks_exact(n + 1)
            .zip(dy.chunks_exact_mut(n + 1))
            .zip(self.act_coef.chunks_exact(n))
            .zip(self.der_coef.chunks_exact(n))
        {
            let c = -block[0] * inv_n;
            for ((o, &rsk), &d) in out[1..].iter_mut().zip(rs).zip(dc) {
                *o = c * (rsk * d);
            }
            out[0] = -dot3(r, ac, &block[1..]) * inv_n;
        }
    }
    fn error_norm(&self, y0: &[f64], y1: &[f64], err: &[f64], tol: &Tolerances) -> f64 {
        // The full path measures each neuron's error relative to |(a_j, w_j)|, and
        // |w_j|^2 = sum_k p_jk^2 / s_k + |w_perp_j|^2 (the same weights for differences of
        // states or velocities). `err` is a difference of states or of velocities (no w_perp
        // part), except when the integrator passes the state itself (`err` is `y0`: Hairer's
        // initial-step heuristic), which then includes its w_perp.
        let err_is_state = std::ptr::eq(err.as_ptr(), y0.as_ptr());
        let w = self.n + 1;
        let mut worst = 0.0f64;
        for j in 0..self.m {
            let b = j * w..(j + 1) * w;
            let sq_of = |v: &[f64]| block_sq(v, &self.inv_sq);
            let (s0, s1) = (sq_of(&y0[b.clone()]), sq_of(&y1[b.clone()]));
            let size = (s0.max(s1) + self.perp_sq[j]).sqrt();
            let mut e2 = sq_of(&err[b]);
            if err_is_state {
                e2 += self.perp_sq[j];
            }
            if e2 == 0.0 {
                continue;
            }
            let atol_hat = if tol.atol > 0.0 { ldexp(tol.atol, -self.exponent[j]) } else { 0.0 };
            worst = worst.max(e2.sqrt() / (tol.rtol * size + atol_hat));
        }
        worst
    }
    fn admissible(&mut self, _y0: &[f64], y1: &[f64]) -> bool {
        let (e1, r1) = self.rounding_terms(y1, self.last_loss, &self.residual);
        if descent::admissible(self.reference, self.last_loss, e1, r1) {
            self.reference = Reference { loss: self.last_loss, eval_error: e1 };
            true
        } else {
            false
        }
    }
    fn violated(&mut self, y1: &[f64], out: &mut Vec<usize>) {
        let n = self.n;
        for j in 0..self.m {
            let p = &y1[j * (n + 1) + 1..(j + 1) * (n + 1)];
            let mut w_norm = None;
            for k in 0..n {
                let idx = j * n + k;
                let pv = p[k];
                let bad = match self.classes[idx] {
                    Class::Positive => pv <= 0.0,
                    Class::Negative => pv >= 0.0,
                    // `pv != 0`: a neuron with w_j = 0 has a band of width 0, and an exact 0 must
                    // not count as leaving it (an endless run of zero-length events; as the full path)
                    Class::Zero => {
                        pv != 0.0 && {
                            let wn = *w_norm.get_or_insert_with(|| self.w_norm(j, p));
                            pv.abs() >= ZERO_BAND * wn * self.x_norm[k]
                        }
                    }
                };
                if bad {
                    out.push(idx);
                }
            }
        }
    }
    fn switch_support(&self, i: usize) -> Range<usize> {
        let (j, k) = (i / self.n, i % self.n);
        let start = j * (self.n + 1) + 1;
        match self.classes[i] {
            // the band around 0 scales with |w_j|: the whole p_j
            Class::Zero => start..start + self.n,
            _ => start + k..start + k + 1,
        }
    }
    fn switch_value(&self, i: usize, s: &[f64]) -> f64 {
        let (j, k) = (i / self.n, i % self.n);
        match self.classes[i] {
            Class::Positive => s[0],
            Class::Negative => -s[0],
            Class::Zero => ZERO_BAND * self.w_norm(j, s) * self.x_norm[k] - s[k].abs(),
        }
    }
    fn on_events(&mut self, t: f64, y: &[f64], events: &[usize]) -> Result<(), String> {
        self.last_loss = forward_fixed(y, &self.act_coef, &self.scale_sq, self.labels, &mut self.residual);
        let n = self.n;
        let slope = self.model.negative_slope();
        for &i in events {
            let (j, k) = (i / n, i % n);
            let p = y[j * (n + 1) + 1 + k];
            if self.classes[i] == Class::Zero {
                self.set_class(i, Class::of(p));
                continue;
            }
            let (v_pos, scale) = self.boundary_velocity(j, k, y, 1.0);
            let (v_neg, _) = self.boundary_velocity(j, k, y, slope);
            match boundary_class(j, k, t, v_pos, v_neg, scale) {
                Ok(c) => self.set_class(i, c),
                Err(sliding) => {
                    self.sliding = Some(sliding);
                    return Err(format!("sliding mode on <w_{j}, x_{k}>"));
                }
            }
        }
        self.set_reference(y);
        Ok(())
    }
}

/// The Gauss-Newton Jacobian approximation in reduced coordinates, as on the full path
/// (`crate::solver::flow`): `f = -P grad L` with `P = diag(1, s_1, ..., s_n)` per block, so
/// `W = -U V^T` with `U[:, k]` per block `(act(p^_jk), s_k a^_j act'_jk e_k)` and
/// `V[:, k] = (4^e_j / n) (act(p^_jk), a^_j act'_jk e_k)`; `V^T U = (1/n) J J^T` in plain units.
impl LowRankJacobian for ReducedFlow<'_> {
    fn rank(&self) -> usize {
        self.n
    }
    fn prepare_jacobian(&mut self, y: &[f64], vtu: &mut [f64]) {
        let n = self.n;
        for (j, block) in y.chunks_exact(n + 1).enumerate() {
            self.jac_a[j] = block[0];
            self.jac_scale[j] = self.scale_sq[j];
            for k in 0..n {
                self.jac_act[j * n + k] = self.act_coef[j * n + k] * block[1 + k];
                self.jac_gate[j * n + k] = self.der_coef[j * n + k];
            }
        }
        vtu.iter_mut().for_each(|v| *v = 0.0);
        for j in 0..self.m {
            let (act, gate) = (&self.jac_act[j * n..(j + 1) * n], &self.jac_gate[j * n..(j + 1) * n]);
            let (s, a_sq) = (self.jac_scale[j], self.jac_a[j] * self.jac_a[j]);
            for k in 0..n {
                for l in 0..k {
                    vtu[k * n + l] += s * (act[k] * act[l]);
                }
                vtu[k * n + k] += s * (act[k] * act[k] + a_sq * gate[k] * gate[k] * self.sq[k]);
            }
        }
        scale_lower_and_mirror(vtu, n);
    }
    fn apply_vt(&self, b: &[f64], out: &mut [f64]) {
        let n = self.n;
        out.iter_mut().for_each(|v| *v = 0.0);
        for (j, block) in b.chunks_exact(n + 1).enumerate() {
            let (act, gate) = (&self.jac_act[j * n..(j + 1) * n], &self.jac_gate[j * n..(j + 1) * n]);
            let (s, a) = (self.jac_scale[j], self.jac_a[j]);
            for k in 0..n {
                out[k] += s * (act[k] * block[0] + a * gate[k] * block[1 + k]);
            }
        }
        let inv_n = 1.0 / n as f64;
        out.iter_mut().for_each(|v| *v *= inv_n);
    }
    fn subtract_u(&self, c: &[f64], b: &mut [f64]) {
        let n = self.n;
        for (j, block) in b.chunks_exact_mut(n + 1).enumerate() {
            let (act, gate) = (&self.jac_act[j * n..(j + 1) * n], &self.jac_gate[j * n..(j + 1) * n]);
            let a = self.jac_a[j];
            for k in 0..n {
                block[0] -= c[k] * act[k];
                block[1 + k] -= self.sq[k] * a * gate[k] * c[k];
            }
        }
    }
}

impl FlowCoordinates for ReducedFlow<'_> {
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
        // |theta|^2 and the neurons to rescale, in one pass
        let mut norm_sq = 0.0;
        let mut any_rescale = false;
        let mut finite = true;
        for (j, block) in y.chunks_exact(self.n + 1).enumerate() {
            let ss = block_sq(block, &self.inv_sq) + self.perp_sq[j];
            finite &= ss.is_finite();
            norm_sq += ldexp(ss, 2 * self.exponent[j]);
            self.rescale[j] = rescale_exponent(ss).unwrap_or(0);
            any_rescale |= self.rescale[j] != 0;
        }
        Measure { norm_sq, finite, rescale: any_rescale }
    }
    fn rescale(&mut self, y: &mut [f64]) {
        let width = self.n + 1;
        for (j, &e) in self.rescale.iter().enumerate() {
            if e != 0 {
                for v in &mut y[j * width..(j + 1) * width] {
                    *v = ldexp(*v, -e);
                }
                self.exponent[j] += e;
                self.scale_sq[j] = ldexp(1.0, 2 * self.exponent[j]);
                self.perp_sq[j] = perp_sq_in(self.red.perp_sq[j], self.red.perp_exponent[j], self.exponent[j]);
            }
        }
    }
    fn lift(&self, y: &[f64], out: &mut ScaledParams) {
        self.red.lift_state_into(y, &self.exponent, out);
    }
    fn loss_at(&mut self, y: &[f64]) -> f64 {
        forward_fixed(y, &self.act_coef, &self.scale_sq, self.labels, &mut self.obs_residual)
    }
}

/// The gradient flow in reduced coordinates: the same run as [`run_flow`](crate::solver::flow::run_flow)
/// on orthogonal inputs (same integrator, classes, events and error control, so the same steps up
/// to rounding), at `O(m n)` per gradient evaluation. Errors with [`SimulationError::Config`]
/// naming the deviation from orthogonality if the inputs are not orthogonal.
///
/// ```
/// use reluflow::data::generate::random_orthonormal;
/// use reluflow::{init::{InitSpec, InitKind}, network::Model};
/// use reluflow::solver::{flow::FlowConfig, reduced::run_flow_reduced, StopRule, NoObserver};
/// let data = random_orthonormal(3, 5, &Default::default(), 3).unwrap();
/// let theta0 = InitSpec { kind: InitKind::Balanced, width: 32, lambda: 1e-100, seed: 0 }
///     .validate().unwrap().draw(5).params;
/// let cfg = FlowConfig { stop: StopRule { until_loss: Some(1e-8), horizon: Some(1e5), ..Default::default() }, ..Default::default() };
/// let run = run_flow_reduced(&data, Model::relu().validate().unwrap(), &theta0, &cfg, &mut NoObserver).unwrap();
/// assert!(run.summary.final_loss < 1e-8);
/// ```
pub fn run_flow_reduced(
    data: &Dataset,
    model: ValidModel,
    theta0: &ScaledParams,
    cfg: &FlowConfig,
    observer: &mut dyn Observer,
) -> Result<Run, SimulationError> {
    cfg.validate()?;
    let red = reduce(data, theta0)?;
    let (n, m) = (red.n, red.m);
    let width = n + 1;
    let classes: Vec<Class> =
        red.state.chunks_exact(width).flat_map(|b| b[1..].iter().map(|&p| Class::of(p))).collect();
    let (act_coef, der_coef) = classes.iter().map(|&c| class_coefficients(c, &model)).unzip();
    let mut sys = ReducedFlow {
        red: &red,
        n,
        m,
        labels: data.y(),
        model,
        classes,
        act_coef,
        der_coef,
        exponent: red.exponent.clone(),
        scale_sq: red.exponent.iter().map(|&e| ldexp(1.0, 2 * e)).collect(),
        perp_sq: (0..m).map(|j| red.perp_norm_sq_hat(j)).collect(),
        x_norm: (0..n).map(|k| crate::numerics::norm(data.x(k))).collect(),
        gram_diag: (0..n).map(|k| dot(data.x(k), data.x(k))).collect(),
        sq: red.sq.clone(),
        inv_sq: red.inv_sq.clone(),
        residual: vec![0.0; n],
        residual_s: vec![0.0; n],
        obs_residual: vec![0.0; n],
        rescale: vec![0; m],
        last_loss: 0.0,
        sliding: None,
        reference: Reference::default(),
        jac_act: vec![0.0; m * n],
        jac_gate: vec![0.0; m * n],
        jac_a: vec![0.0; m],
        jac_scale: vec![0.0; m],
    };
    let initial_loss = forward_fixed(&red.state, &sys.act_coef, &sys.scale_sq, data.y(), &mut sys.residual);
    sys.set_reference(&red.state);
    let bounds = DivergenceBounds::new(&cfg.stop, data, initial_loss, theta0.norm_sq());
    drive(sys, red.state.clone(), theta0, initial_loss, &bounds, cfg, observer)
}

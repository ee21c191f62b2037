//! Gradient descent in reduced coordinates, neuron-major.
//!
//! The state is stored by blocks of [`LANES`] neurons (one AVX2 register): `a_hat` (one value
//! per neuron) and, per block, the `n` rows `p_hat_jk` of its [`LANES`] neurons, contiguous (see
//! [`at`]), with the width padded to a multiple of [`LANES`] by neurons that are exactly zero (a
//! zero neuron has zero gradient and stays exactly zero, so the padding changes no value). Every
//! operation of a step then acts on [`LANES`] neurons at once, for any `n`, also `n = 2` (the
//! Section 5 toy), where a loop over one neuron's `n` coordinates cannot fill a vector register;
//! and a step streams through memory block after block.
//!
//! One step is one sweep over the blocks: (A) the coordinates' update
//! `p_jk += g_j r_k s_k act'(p_jk)` with `g_j = -eta a_j / n`, accumulating `sum_k r_k act(p_jk)`
//! (old `p`) and `|p_j|^2_s` (new `p`); (B) `a_j`'s update, the neuron's squared norm and, rarely,
//! its exact power-of-two rescaling; (C) the neuron's contribution to the next residuals
//! `r'_k = -y_k + sum_j a_j act(p_jk)` in [`LANES`] accumulators per point. Summation orders are
//! fixed by the code (no fused multiply-add), so the AVX2 kernel (intrinsics; compiled for the
//! exact `n` up to [`SMALL_N`]) and the portable one are bit-identical (unit test below).

use super::{Reduced, perp_sq_in, reduce, rescale_exponent};
use crate::data::Dataset;
use crate::network::{Class, ValidModel, avx2_available};
use crate::params::ScaledParams;
use crate::solver::gd::{GdConfig, GdDriver, GdState};
use crate::solver::{Observer, Run, SimulationError};

/// `act` and `act'` by the sign of `p` (gradient descent), written as selects so that the loops
/// vectorise (a branch on the sign mispredicts on half of the coordinates).
#[inline(always)]
fn act_by_sign(p: f64, slope: f64, sigma0: f64) -> (f64, f64) {
    let pos = p > 0.0;
    let act = if pos { p } else { slope * p };
    let not_pos = if p < 0.0 { slope } else { sigma0 };
    (act, if pos { 1.0 } else { not_pos })
}

/// Neurons per vector (one AVX2 register): the sums over neurons run in `LANES` independent
/// accumulators. They differ from a sequential sum by rounding only.
const LANES: usize = 4;

/// The constants of one run's steps.
#[derive(Clone, Copy)]
struct StepConstants {
    eta: f64,
    inv_n: f64,
    slope: f64,
    sigma0: f64,
}

/// The reduced state, neuron-major (see the module doc), and the scratch of a step.
struct Columns {
    /// Real width `m`.
    m: usize,
    /// `m` rounded up to a multiple of [`LANES`].
    stride: usize,
    n: usize,
    a: Vec<f64>,
    /// `p_hat_jk` at [`at`]`(n, j, k)`: blocks of [`LANES`] neurons, each block `n` rows of
    /// [`LANES`] values (contiguous per block, so a step streams through memory).
    p: Vec<f64>,
    exponent: Vec<i32>,
    /// `4^exponent[j]`.
    scale_sq: Vec<f64>,
    /// `|w_perp_hat_j|^2` in the current mantissa units of neuron `j`.
    perp_sq: Vec<f64>,
    /// `s_k = |x_k|^2` and `1 / s_k`.
    sq: Vec<f64>,
    inv_sq: Vec<f64>,
    /// Scratch per neuron: the squared norm of the block (for [`Columns::rescale`]).
    ss: Vec<f64>,
    /// `r_k s_k`.
    residual_s: Vec<f64>,
    /// `n x LANES` accumulators of the next residuals.
    acc: Vec<f64>,
    avx2: bool,
}

impl Columns {
    fn new(red: &Reduced, simd: bool) -> Self {
        let (m, n) = (red.m, red.n);
        let stride = m.div_ceil(LANES) * LANES;
        let mut a = vec![0.0; stride];
        let mut p = vec![0.0; n * stride];
        let mut exponent = vec![0; stride];
        let mut perp_sq = vec![0.0; stride];
        for j in 0..m {
            a[j] = red.a_hat(j);
            for (k, &v) in red.p_hat(j).iter().enumerate() {
                p[at(n, j, k)] = v;
            }
            exponent[j] = red.exponent[j];
            perp_sq[j] = red.perp_norm_sq_hat(j);
        }
        let scale_sq = exponent.iter().map(|&e| crate::params::ldexp(1.0, 2 * e)).collect();
        Columns {
            m,
            stride,
            n,
            a,
            p,
            exponent,
            scale_sq,
            perp_sq,
            sq: red.sq.clone(),
            inv_sq: red.inv_sq.clone(),
            ss: vec![0.0; stride],
            residual_s: vec![0.0; n],
            acc: vec![0.0; n * LANES],
            avx2: simd && avx2_available(),
        }
    }

    /// Neuron-wise blocks `[a_hat_j, p_hat_j]` (the layout of [`Reduced`]) into `state`.
    fn blocks_into(&self, state: &mut [f64]) {
        let n = self.n;
        for (j, block) in state.chunks_exact_mut(n + 1).enumerate() {
            block[0] = self.a[j];
            for k in 0..n {
                block[1 + k] = self.p[at(n, j, k)];
            }
        }
    }

    /// Activation classes by the sign of `p_hat` (exact), neuron-major `m x n`.
    fn classes_into(&self, classes: &mut [Class]) {
        for (j, c) in classes.chunks_exact_mut(self.n).enumerate() {
            for (k, ck) in c.iter_mut().enumerate() {
                *ck = Class::of(self.p[at(self.n, j, k)]);
            }
        }
    }

    /// Residuals `r_k = h(x_k) - y_k` at the current state into `residual`; returns `L`.
    fn forward(&self, c: StepConstants, labels: &[f64], residual: &mut [f64]) -> f64 {
        for (k, (r, y)) in residual.iter_mut().zip(labels).enumerate() {
            let mut h = 0.0;
            for (j, (&a, &s)) in self.a.iter().zip(&self.scale_sq).enumerate() {
                h += (a * s) * act_by_sign(self.p[at(self.n, j, k)], c.slope, c.sigma0).0;
            }
            *r = h - y;
        }
        loss_of(residual)
    }

    /// One gradient-descent step from the residuals `residual` at the current state: updates the
    /// state, writes the residuals at the new state into `next` and returns `|theta|^2` there.
    fn step(&mut self, c: StepConstants, red: &Reduced, labels: &[f64], residual: &[f64], next: &mut [f64]) -> f64 {
        for ((o, r), s) in self.residual_s.iter_mut().zip(residual).zip(&self.sq) {
            *o = r * s;
        }
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is set only when the CPU reports AVX2 (`avx2_available`).
            return unsafe {
                match self.n {
                    1 => self.step_avx2::<1>(c, red, labels, residual, next),
                    2 => self.step_avx2::<2>(c, red, labels, residual, next),
                    3 => self.step_avx2::<3>(c, red, labels, residual, next),
                    4 => self.step_avx2::<4>(c, red, labels, residual, next),
                    _ => self.step_avx2::<0>(c, red, labels, residual, next),
                }
            };
        }
        self.step_portable(c, red, labels, residual, next)
    }

    /// The AVX2 build of [`Columns::step_portable`]: the same operations on the same lanes in the
    /// same order, four neurons per register, so the two are bit-identical.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn step_avx2<const N: usize>(
        &mut self,
        c: StepConstants,
        red: &Reduced,
        labels: &[f64],
        residual: &[f64],
        next: &mut [f64],
    ) -> f64 {
        use std::arch::x86_64::*;
        // N > 0: n = N known at compile time (small n), the loops over points unroll and the
        // accumulators and new coordinates stay in registers; N = 0: any n, through memory
        let (n, stride) = (if N > 0 { N } else { self.n }, self.stride);
        let zero = _mm256_setzero_pd();
        let one = _mm256_set1_pd(1.0);
        let slope = _mm256_set1_pd(c.slope);
        let sigma0 = _mm256_set1_pd(c.sigma0);
        let eta = _mm256_set1_pd(c.eta);
        let neg_eta = _mm256_set1_pd(-c.eta);
        let inv_n = _mm256_set1_pd(c.inv_n);
        let (lo, hi) = (_mm256_set1_pd(super::BLOCK_SQ_RANGE.0), _mm256_set1_pd(super::BLOCK_SQ_RANGE.1));
        let act = |p: __m256d| _mm256_blendv_pd(_mm256_mul_pd(slope, p), p, _mm256_cmp_pd::<_CMP_GT_OQ>(p, zero));
        self.acc.fill(0.0);
        let mut acc_reg = [zero; SMALL_N];
        let mut p_reg = [zero; SMALL_N];
        let mut norm_acc = zero;
        let lanes = |v: &[f64], j0: usize| -> __m256d {
            let chunk: &[f64; LANES] = v[j0..j0 + LANES].try_into().expect("LANES columns");
            // SAFETY: `chunk` is LANES = 4 readable f64.
            unsafe { _mm256_loadu_pd(chunk.as_ptr()) }
        };
        let store = |v: &mut [f64], j0: usize, x: __m256d| {
            let chunk: &mut [f64; LANES] = (&mut v[j0..j0 + LANES]).try_into().expect("LANES columns");
            // SAFETY: `chunk` is LANES = 4 writable f64.
            unsafe { _mm256_storeu_pd(chunk.as_mut_ptr(), x) }
        };
        for j0 in (0..stride).step_by(LANES) {
            let a = lanes(&self.a, j0);
            let g = _mm256_mul_pd(_mm256_mul_pd(neg_eta, a), inv_n);
            let (mut ra, mut ss) = (zero, zero);
            // (A) the coordinates
            for k in 0..n {
                let (rk, rsk, isk) = (residual[k], self.residual_s[k], self.inv_sq[k]);
                let p = lanes(&self.p, j0 * n + k * LANES);
                let pos = _mm256_cmp_pd::<_CMP_GT_OQ>(p, zero);
                let neg = _mm256_cmp_pd::<_CMP_LT_OQ>(p, zero);
                let der = _mm256_blendv_pd(_mm256_blendv_pd(sigma0, slope, neg), one, pos);
                ra = _mm256_add_pd(ra, _mm256_mul_pd(_mm256_set1_pd(rk), act(p)));
                let p_new = _mm256_add_pd(p, _mm256_mul_pd(g, _mm256_mul_pd(_mm256_set1_pd(rsk), der)));
                store(&mut self.p, j0 * n + k * LANES, p_new);
                if N > 0 {
                    p_reg[k] = p_new;
                }
                ss = _mm256_add_pd(ss, _mm256_mul_pd(_mm256_mul_pd(p_new, p_new), _mm256_set1_pd(isk)));
            }
            // (B) a_j and the block's squared norm
            let mut a_new = _mm256_sub_pd(a, _mm256_mul_pd(eta, _mm256_mul_pd(ra, inv_n)));
            ss = _mm256_add_pd(ss, _mm256_add_pd(_mm256_mul_pd(a_new, a_new), lanes(&self.perp_sq, j0)));
            store(&mut self.a, j0, a_new);
            let small = _mm256_and_pd(_mm256_cmp_pd::<_CMP_GT_OQ>(ss, zero), _mm256_cmp_pd::<_CMP_LT_OQ>(ss, lo));
            let rescaled = _mm256_movemask_pd(_mm256_or_pd(small, _mm256_cmp_pd::<_CMP_GT_OQ>(ss, hi))) != 0;
            if rescaled {
                store(&mut self.ss, j0, ss);
                self.rescale(red, j0..j0 + LANES);
                ss = lanes(&self.ss, j0);
                a_new = lanes(&self.a, j0);
            }
            let q = lanes(&self.scale_sq, j0);
            norm_acc = _mm256_add_pd(norm_acc, _mm256_mul_pd(ss, q));
            let coef = _mm256_mul_pd(a_new, q);
            // (C) the neurons' contributions to the next residuals
            for k in 0..n {
                // (after a rescale the registers hold the old mantissas: reload)
                if N > 0 && !rescaled {
                    acc_reg[k] = _mm256_add_pd(acc_reg[k], _mm256_mul_pd(coef, act(p_reg[k])));
                } else {
                    let p = lanes(&self.p, j0 * n + k * LANES);
                    if N > 0 {
                        acc_reg[k] = _mm256_add_pd(acc_reg[k], _mm256_mul_pd(coef, act(p)));
                    } else {
                        let acc = _mm256_add_pd(lanes(&self.acc, k * LANES), _mm256_mul_pd(coef, act(p)));
                        store(&mut self.acc, k * LANES, acc);
                    }
                }
            }
        }
        if N > 0 {
            for k in 0..n {
                store(&mut self.acc, k * LANES, acc_reg[k]);
            }
        }
        for ((r, y), acc) in next.iter_mut().zip(labels).zip(self.acc.chunks_exact(LANES)) {
            *r = sum_lanes(acc) - y;
        }
        let mut norm = [0.0; LANES];
        store(&mut norm, 0, norm_acc);
        sum_lanes(&norm)
    }

    /// One step, [`LANES`] neurons at a time (see the module doc for the three parts).
    fn step_portable(
        &mut self,
        c: StepConstants,
        red: &Reduced,
        labels: &[f64],
        residual: &[f64],
        next: &mut [f64],
    ) -> f64 {
        let (n, stride) = (self.n, self.stride);
        self.acc.fill(0.0);
        let mut norm_acc = [0.0; LANES];
        for j0 in (0..stride).step_by(LANES) {
            let lanes = j0..j0 + LANES;
            let a: [f64; LANES] = self.a[lanes.clone()].try_into().expect("LANES columns");
            let g = a.map(|a| (-c.eta * a) * c.inv_n);
            let mut ra = [0.0; LANES];
            let mut ss = [0.0; LANES];
            // (A) the coordinates
            for k in 0..n {
                let (rk, rsk, isk) = (residual[k], self.residual_s[k], self.inv_sq[k]);
                let row = &mut self.p[j0 * n + k * LANES..j0 * n + (k + 1) * LANES];
                for l in 0..LANES {
                    let (act, der) = act_by_sign(row[l], c.slope, c.sigma0);
                    ra[l] += rk * act;
                    let p_new = row[l] + g[l] * (rsk * der);
                    row[l] = p_new;
                    ss[l] += (p_new * p_new) * isk;
                }
            }
            // (B) a_j and the block's squared norm; flags a block that left the range
            let perp = &self.perp_sq[lanes.clone()];
            let mut out_of_range = false;
            let mut a_new = [0.0; LANES];
            for l in 0..LANES {
                a_new[l] = a[l] - c.eta * (ra[l] * c.inv_n);
                ss[l] += a_new[l] * a_new[l] + perp[l];
                out_of_range |= (ss[l] > 0.0 && ss[l] < super::BLOCK_SQ_RANGE.0) || ss[l] > super::BLOCK_SQ_RANGE.1;
            }
            self.a[lanes.clone()].copy_from_slice(&a_new);
            if out_of_range {
                self.ss[lanes.clone()].copy_from_slice(&ss);
                self.rescale(red, lanes.clone());
                ss.copy_from_slice(&self.ss[lanes.clone()]);
                a_new.copy_from_slice(&self.a[lanes.clone()]);
            }
            let scale_sq = &self.scale_sq[lanes.clone()];
            let mut coef = [0.0; LANES];
            for l in 0..LANES {
                norm_acc[l] += ss[l] * scale_sq[l];
                coef[l] = a_new[l] * scale_sq[l];
            }
            // (C) the neurons' contributions to the next residuals
            for k in 0..n {
                let row = &self.p[j0 * n + k * LANES..j0 * n + (k + 1) * LANES];
                let acc = &mut self.acc[k * LANES..(k + 1) * LANES];
                for l in 0..LANES {
                    acc[l] += coef[l] * act_by_sign(row[l], c.slope, c.sigma0).0;
                }
            }
        }
        for ((r, y), acc) in next.iter_mut().zip(labels).zip(self.acc.chunks_exact(LANES)) {
            *r = sum_lanes(acc) - y;
        }
        sum_lanes(&norm_acc)
    }

    /// Rescales (exactly, by powers of two) the neurons in `cols` whose block left
    /// [`BLOCK_SQ_RANGE`](super::BLOCK_SQ_RANGE), and recomputes their squared norms.
    #[cold]
    fn rescale(&mut self, red: &Reduced, cols: std::ops::Range<usize>) {
        for j in cols.filter(|&j| j < self.m) {
            let Some(e) = rescale_exponent(self.ss[j]) else { continue };
            let ldexp = crate::params::ldexp;
            self.a[j] = ldexp(self.a[j], -e);
            let mut ss = 0.0;
            for k in 0..self.n {
                let p = &mut self.p[at(self.n, j, k)];
                *p = ldexp(*p, -e);
                ss += (*p * *p) * self.inv_sq[k];
            }
            self.exponent[j] += e;
            self.scale_sq[j] = ldexp(1.0, 2 * self.exponent[j]);
            self.perp_sq[j] = perp_sq_in(red.perp_sq[j], red.perp_exponent[j], self.exponent[j]);
            self.ss[j] = ss + (self.a[j] * self.a[j] + self.perp_sq[j]);
        }
    }
}

/// Up to this many points, the AVX2 kernel is compiled for the exact `n` (registers, no loops).
const SMALL_N: usize = 4;

/// Index of `p_hat_jk` in [`Columns::p`] (`n` points).
#[inline(always)]
fn at(n: usize, j: usize, k: usize) -> usize {
    (j / LANES) * n * LANES + k * LANES + j % LANES
}

/// A reduced run's state with the scratch of its views.
struct ReducedGd {
    red: Reduced,
    cols: Columns,
    view_params: ScaledParams,
    view_state: Vec<f64>,
    /// The signs gradient descent acts on, read from `p_hat` (exact) rather than recomputed from
    /// the lifted `w`, whose dot products with `x_k` carry rounding of order `eps |w_j|`.
    view_classes: Vec<Class>,
}

impl GdState for ReducedGd {
    fn view_parts(&mut self) -> (&ScaledParams, Option<&[Class]>) {
        let m = self.red.m;
        self.cols.blocks_into(&mut self.view_state);
        self.red.lift_state_into(&self.view_state, &self.cols.exponent[..m], &mut self.view_params);
        self.cols.classes_into(&mut self.view_classes);
        (&self.view_params, Some(&self.view_classes))
    }
}

/// `sum_l acc_l` in a fixed tree order.
#[inline(always)]
fn sum_lanes(acc: &[f64]) -> f64 {
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// `L = (1 / 2n) sum_k r_k^2`.
fn loss_of(residual: &[f64]) -> f64 {
    crate::numerics::norm_sq(residual) / (2.0 * residual.len() as f64)
}

/// Gradient descent in reduced coordinates: the same run as [`run_gd`](crate::solver::gd::run_gd) on
/// orthogonal inputs (up to rounding), at `O(m n)` per step. Errors with
/// [`SimulationError::Config`] naming the deviation from orthogonality if the inputs are not orthogonal.
///
/// ```
/// use reluflow::data::generate::random_orthonormal;
/// use reluflow::{init::{InitSpec, InitKind}, network::Model};
/// use reluflow::solver::{gd::{GdConfig, run_gd}, reduced::run_gd_reduced, StopRule, NoObserver};
/// let data = random_orthonormal(4, 6, &Default::default(), 3).unwrap();
/// let theta0 = InitSpec { kind: InitKind::Balanced, width: 32, lambda: 1e-6, seed: 0 }
///     .validate().unwrap().draw(6).params;
/// let cfg = GdConfig { step: 1e-2, stop: StopRule { max_steps: Some(500), ..Default::default() } };
/// let model = Model::relu().validate().unwrap();
/// let fast = run_gd_reduced(&data, model, &theta0, &cfg, &mut NoObserver).unwrap();
/// let full = run_gd(&data, model, &theta0, &cfg, &mut NoObserver).unwrap();
/// assert!((fast.summary.final_loss / full.summary.final_loss - 1.0).abs() < 1e-12);
/// ```
pub fn run_gd_reduced(
    data: &Dataset,
    model: ValidModel,
    theta0: &ScaledParams,
    cfg: &GdConfig,
    observer: &mut dyn Observer,
) -> Result<Run, SimulationError> {
    run(data, model, theta0, cfg, observer, true)
}

/// [`run_gd_reduced`], with the AVX2 kernel allowed (`simd`) or not (the portable kernel).
fn run(
    data: &Dataset,
    model: ValidModel,
    theta0: &ScaledParams,
    cfg: &GdConfig,
    observer: &mut dyn Observer,
    simd: bool,
) -> Result<Run, SimulationError> {
    let mut driver = GdDriver::new(cfg, data, observer)?;
    let red = reduce(data, theta0)?;
    let (n, m) = (red.n, red.m);
    let labels = data.y();
    let consts = StepConstants {
        eta: cfg.step,
        inv_n: 1.0 / n as f64,
        slope: model.negative_slope(),
        sigma0: model.relu_prime_at_zero(),
    };
    let mut state = ReducedGd {
        cols: Columns::new(&red, simd),
        view_params: theta0.clone(),
        view_state: vec![0.0; m * (n + 1)],
        view_classes: vec![Class::Zero; m * n],
        red,
    };
    let mut residual = vec![0.0; n];
    let mut next_residual = vec![0.0; n];
    let mut loss = state.cols.forward(consts, labels, &mut residual);
    let mut norm_sq = theta0.norm_sq();
    let mut step = 0u64;
    let stop_reason = loop {
        if let Some(reason) = driver.visit(step, loss, norm_sq, observer, &mut state)? {
            break reason;
        }
        norm_sq = state.cols.step(consts, &state.red, labels, &residual, &mut next_residual);
        std::mem::swap(&mut residual, &mut next_residual);
        loss = loss_of(&residual);
        step += 1;
    };
    let summary = driver.summary(step, step, loss, stop_reason);
    Ok(Run { summary, final_params: state.view_params, final_classes: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::generate::{random_orthonormal, toy};
    use crate::init::{InitKind, InitSpec};
    use crate::network::{Activation, Model};
    use crate::solver::{NoObserver, StopRule};

    /// The AVX2 and the portable kernels give bit-identical runs: on the toy (orthogonal, not
    /// unit), `n = 1`, on orthonormal data with a width that is not a multiple of [`LANES`], from
    /// `lambda = 1e-100` to a fit (neurons rescaled many times during the run) with `n = 3` (the
    /// kernel compiled for fixed `n`) and `n = 7` (any `n`), and for leaky ReLU and `relu'(0) = 1`.
    #[test]
    fn avx2_and_portable_kernels_are_bit_identical() {
        if !avx2_available() {
            eprintln!("this CPU has no AVX2: the test compares the portable kernel with itself");
        }
        let cases = [
            (toy(), 60, 1.29e-7, 2e-3, Model::relu()),
            (Dataset::new(vec![vec![0.0, 0.6, 0.8]], vec![1.3]).unwrap(), 9, 1e-3, 1e-2, Model::relu()),
            (random_orthonormal(5, 9, &Default::default(), 1).unwrap(), 37, 1e-3, 1e-2, Model::relu()),
            (random_orthonormal(3, 4, &Default::default(), 2).unwrap(), 18, 1e-100, 5e-2, Model::relu()),
            (random_orthonormal(7, 9, &Default::default(), 2).unwrap(), 23, 1e-100, 5e-2, Model::relu()),
            (
                random_orthonormal(4, 6, &Default::default(), 3).unwrap(),
                21,
                1e-4,
                1e-2,
                Model { activation: Activation::Leaky { slope: 0.1 }, relu_prime_at_zero: 0.0 },
            ),
            (
                random_orthonormal(4, 6, &Default::default(), 4).unwrap(),
                16,
                1e-4,
                1e-2,
                Model { activation: Activation::Relu, relu_prime_at_zero: 1.0 },
            ),
        ];
        for (data, width, lambda, step, model) in cases {
            let theta0 =
                InitSpec { kind: InitKind::Balanced, width, lambda, seed: 5 }.validate().unwrap().draw(data.d()).params;
            let steps = if lambda < 1e-50 { 200_000 } else { 20_000 };
            let cfg = GdConfig { step, stop: StopRule { max_steps: Some(steps), ..Default::default() } };
            let model = model.validate().unwrap();
            let fast = run(&data, model, &theta0, &cfg, &mut NoObserver, true).unwrap();
            let portable = run(&data, model, &theta0, &cfg, &mut NoObserver, false).unwrap();
            assert_eq!(fast.summary.final_loss.to_bits(), portable.summary.final_loss.to_bits());
            assert_eq!(fast.final_params, portable.final_params);
            if lambda < 1e-50 {
                // fitted: the neurons grew from 1e-100 to O(1), through many exact rescalings
                assert!(fast.summary.final_loss < 1e-6, "loss {}", fast.summary.final_loss);
            }
        }
    }
}

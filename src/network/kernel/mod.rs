//! The full path's vector field `-grad L` on per-neuron mantissas: two matrix products per
//! evaluation, `Z = W X^T` (the pre-activations, forward) and `D = C X` (the `D_j` of eq. (3),
//! backward, with `C_jk = -r_k act'(z_jk)`), blocked for the cache and vectorised, split across
//! the rayon pool for one large run, in a fixed order of floating-point operations.
//!
//! # Order of operations (what makes every build and every split give the same bits)
//! Every number the kernel returns is computed by the same sequence of IEEE operations whatever
//! the CPU's vector width, the tile sizes and the number of threads:
//! - `z_jk = <w_j, x_k>` with four interleaved partial sums `s_i = sum_{l = i mod 4} w_jl x_kl`,
//!   each term added by a fused multiply-add `s_i = fma(w_jl, x_kl, s_i)` in increasing `l`,
//!   combined as `(s_0 + s_1) + (s_2 + s_3)`, then the `d mod 4` tail coordinates fused in
//!   order. The tile keeps one SIMD lane per data point (lanes across `k`), so the vector width
//!   never enters a sum.
//! - `r_k = -y_k + sum_j c_j act(z_jk)` with `c_j = 4^e_j a_hat_j`, summed over `j` in
//!   increasing order for each `k` (the points are split across threads, never the neurons).
//! - `D_j = sum_k C_jk x_k` by fused multiply-adds in increasing `k` for each coordinate (terms
//!   with `C_jk = 0` are skipped: `fma(0, x, s) = s` for finite `x`), `da_j = -sum_k r_k act(z_jk)`
//!   in increasing `k`, then `d a_hat_j / dt = da_j / n` and `d w_hat_j / dt = (a_hat_j / n) D_j`.
//! - The fused multiply-add is the correctly rounded `a * b + c` of IEEE 754: the AVX-512 and
//!   AVX2 (with FMA3) copies use the instruction, the portable copy `f64::mul_add` (the hardware
//!   instruction where the target has one, else a correctly rounded software routine). Everything
//!   else is plain `+` and `*` (Rust never contracts them).
//!
//! So the portable, AVX2 and AVX-512 builds of the tiles, and any number of threads, give
//! bit-identical results, on any CPU (tests: `kernel_matches_the_reference_bit_for_bit`, and
//! `tests/threads.rs` at 1, 2 and 3 threads). The portable copy is slow where `mul_add` has no
//! instruction (x86-64 without FMA3, before 2013); those CPUs get the same numbers.
//!
//! # Parallelism
//! One evaluation of `m n d >=` [`SPLIT_WORK`] multiply-adds is split into one piece per thread of
//! the current rayon pool: neurons for the two products, points for the residuals. Inside a rayon
//! worker (e.g. `verify`, which already runs its instances in parallel) it splits only from
//! [`SPLIT_WORK_IN_POOL`] on, so that small instances stay single-threaded and the pool is never
//! asked for more than it has.
//!
//! # Layout
//! This file holds the [`Kernel`] and its geometry; `vector.rs` the `LANES`-wide vector type
//! (portable, AVX2, AVX-512); `tiles.rs` the blocked forward, residual and backward routines and
//! their per-instruction-set copies; `tests.rs` the bit-for-bit comparison with a reference.

mod tiles;
mod vector;

#[cfg(test)]
mod tests;

use super::{Class, Pattern, ValidModel};
use crate::data::Dataset;
use rayon::prelude::*;
use tiles::{backward_rows, forward_rows, gd_rows, residual_cols};

/// SIMD lanes of a point vector in the forward tile: 8 `f64` (one AVX-512 register, two AVX2).
const LANES: usize = 8;

/// From this many multiply-adds per product (`m n d`), an evaluation is split across threads.
pub const SPLIT_WORK: usize = 1 << 20;
/// Inside a rayon worker, split only from this many multiply-adds (about `m = 2000` at
/// `n = d = 64`): smaller instances run alongside other instances instead.
pub const SPLIT_WORK_IN_POOL: usize = 1 << 23;

/// The instruction set the tiles are compiled for (chosen once per kernel from the CPU; AVX2 is
/// used with FMA3 only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Isa {
    /// The widest instruction set this CPU runs.
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }
    /// Every instruction set this CPU runs (for the bit-identity tests).
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Self> {
        let mut out = vec![Isa::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                out.push(Isa::Avx2);
            }
            if std::is_x86_feature_detected!("avx512f") {
                out.push(Isa::Avx512);
            }
        }
        out
    }
}

/// The fixed geometry of one kernel: sizes, the model and the inputs in two padded layouts.
struct Geometry {
    n: usize,
    d: usize,
    /// `n` rounded up to a multiple of [`LANES`].
    n_pad: usize,
    /// `d` rounded up to a multiple of [`LANES`].
    d_pad: usize,
    /// `x^T`, `xt[l * n_pad + k] = x_kl`, zero for `k >= n` (forward tile: lanes across points).
    xt: Vec<f64>,
    /// `x`, `xp[k * d_pad + l] = x_kl`, zero for `l >= d` (backward: lanes across coordinates).
    xp: Vec<f64>,
    slope: f64,
    sigma0: f64,
    inv_n: f64,
}

/// Per-piece scratch of the backward pass (allocated once per kernel).
struct Scratch {
    /// Points with `C_jk != 0` for the neurons of a group, `GROUP` rows of `n_pad`.
    idx: Vec<u64>,
    /// Their `C_jk`.
    coef: Vec<f64>,
    /// `C_jk` of every point, `GROUP` rows of `n_pad` (zero past `n`).
    dense: Vec<f64>,
    /// `r_k act(z_jk)`, `GROUP` rows of `n_pad`.
    prod: Vec<f64>,
    /// The group's velocities (gradient descent applies them in place).
    vel: Vec<f64>,
}

impl Scratch {
    fn new(n_pad: usize, d: usize) -> Self {
        Self {
            idx: vec![0; GROUP * n_pad],
            coef: vec![0.0; GROUP * n_pad],
            dense: vec![0.0; GROUP * n_pad],
            prod: vec![0.0; GROUP * n_pad],
            vel: vec![0.0; GROUP * (d + 1)],
        }
    }
}

/// Neurons handled together in the backward pass and the gradient-descent update (a multiple of
/// every tile height `J`).
const GROUP: usize = 12;

/// Allocation-free evaluation of the vector field `-grad L` on per-neuron mantissas.
///
/// State layout: blocks `[a_hat_j, w_hat_j (d values)]` for `j = 0..m`; neuron `j` is
/// `2^e_j` times its block. Because `act` is positively homogeneous, neuron `j` contributes
/// `4^e_j a_hat_j act(<w_hat_j, x_k>)` to `h(x_k)`, and the mantissa velocity is
/// `d a_hat_j/dt = -(1/n) sum_k r_k act(z_jk)`, `d w_hat_j/dt = a_hat_j D_j`, exactly the
/// equations of the plain parameters (eq. (3)) at another scale. The order of operations is fixed
/// (see the module documentation of `network::kernel`), so results do not depend on the CPU's
/// vector width or on the number of threads.
pub struct Kernel<'a> {
    data: &'a Dataset,
    model: ValidModel,
    m: usize,
    geo: Geometry,
    /// `z[j*n + k] = <w_hat_j, x_k>`.
    z: Vec<f64>,
    /// Residuals `h(x_k) - y_k`.
    residual: Vec<f64>,
    /// `4^e_j`.
    scale_sq: Vec<f64>,
    scratch: Vec<Scratch>,
    /// Pieces an evaluation is split into (1: no split).
    pieces: usize,
    isa: Isa,
}

/// How `act` and `act'` of coordinate `(j, k)` are decided (monomorphised per [`Pattern`]).
trait Classes: Copy + Send + Sync {
    /// `(positive, negative)` for global coordinate index `idx = j n + k` with value `z`.
    fn sides(&self, idx: usize, z: f64) -> (bool, bool);
}

#[derive(Clone, Copy)]
struct BySign;
impl Classes for BySign {
    #[inline(always)]
    fn sides(&self, _idx: usize, z: f64) -> (bool, bool) {
        (z > 0.0, z < 0.0)
    }
}

#[derive(Clone, Copy)]
struct ByClass<'c>(&'c [Class]);
impl Classes for ByClass<'_> {
    #[inline(always)]
    fn sides(&self, idx: usize, _z: f64) -> (bool, bool) {
        let c = self.0[idx];
        (c == Class::Positive, c == Class::Negative)
    }
}

impl Geometry {
    /// `(act(z), act'(z))` for a coordinate on the given side (`act'(0) = sigma0`).
    #[inline(always)]
    fn act_gate(&self, (positive, negative): (bool, bool), z: f64) -> (f64, f64) {
        if positive {
            (z, 1.0)
        } else if negative {
            (self.slope * z, self.slope)
        } else {
            (0.0, self.sigma0)
        }
    }
}

impl<'a> Kernel<'a> {
    /// A kernel for width `m` on `data`.
    pub fn new(data: &'a Dataset, model: ValidModel, m: usize) -> Self {
        Self::with_isa(data, model, m, Isa::detect())
    }

    pub(crate) fn with_isa(data: &'a Dataset, model: ValidModel, m: usize, isa: Isa) -> Self {
        let (n, d) = (data.n(), data.d());
        let (n_pad, d_pad) = (n.div_ceil(LANES) * LANES, d.div_ceil(LANES) * LANES);
        let x = data.x_flat();
        let mut xt = vec![0.0; d * n_pad];
        let mut xp = vec![0.0; n * d_pad];
        for k in 0..n {
            for l in 0..d {
                xt[l * n_pad + k] = x[k * d + l];
                xp[k * d_pad + l] = x[k * d + l];
            }
        }
        let work = m.saturating_mul(n).saturating_mul(d);
        let in_worker = rayon::current_thread_index().is_some();
        let pieces = if work >= SPLIT_WORK && (!in_worker || work >= SPLIT_WORK_IN_POOL) {
            rayon::current_num_threads().clamp(1, m.max(1))
        } else {
            1
        };
        let scratch = (0..pieces).map(|_| Scratch::new(n_pad, d)).collect();
        Self {
            data,
            model,
            m,
            geo: Geometry {
                n,
                d,
                n_pad,
                d_pad,
                xt,
                xp,
                slope: model.slope,
                sigma0: model.sigma0,
                inv_n: 1.0 / n as f64,
            },
            z: vec![0.0; m * n],
            residual: vec![0.0; n],
            scale_sq: vec![0.0; m],
            scratch,
            pieces,
            isa,
        }
    }
    /// The data.
    pub fn data(&self) -> &'a Dataset {
        self.data
    }
    /// The model.
    pub fn model(&self) -> ValidModel {
        self.model
    }
    /// Sets the per-neuron exponents (call whenever they change).
    pub fn set_exponents(&mut self, exponent: &[i32]) {
        for (s, &e) in self.scale_sq.iter_mut().zip(exponent) {
            *s = crate::params::ldexp(1.0, 2 * e);
        }
    }
    /// Pre-activations of the last evaluation, `z[j*n + k] = <w_hat_j, x_k>` (mantissa units).
    pub fn pre_activations(&self) -> &[f64] {
        &self.z
    }
    /// Residuals `h(x_k) - y_k` of the last evaluation.
    pub fn residuals(&self) -> &[f64] {
        &self.residual
    }
    /// How many pieces one evaluation is split into (1: single-threaded); see [`SPLIT_WORK`].
    pub fn pieces(&self) -> usize {
        self.pieces
    }

    /// Splits every evaluation into `pieces` (tests: splits of any size give the same bits).
    #[cfg(test)]
    fn set_pieces(&mut self, pieces: usize) {
        self.pieces = pieces.max(1);
        while self.scratch.len() < self.pieces {
            self.scratch.push(Scratch::new(self.geo.n_pad, self.geo.d));
        }
    }

    /// Neurons per piece (a multiple of [`GROUP`]).
    fn rows_per_piece(&self) -> usize {
        self.m.div_ceil(self.pieces).div_ceil(GROUP).max(1) * GROUP
    }
    /// Points per piece of the residual pass (a multiple of [`LANES`]).
    fn cols_per_piece(&self) -> usize {
        self.geo.n.div_ceil(self.pieces).div_ceil(LANES).max(1) * LANES
    }

    /// Forward pass: fills pre-activations and residuals, returns the loss `L`.
    pub(crate) fn forward(&mut self, theta: &[f64], pattern: Pattern) -> f64 {
        self.products_forward(theta);
        self.residual_loss(theta, pattern)
    }

    /// The vector field `-grad L` in mantissa units into `out` (same layout as `theta`);
    /// returns the loss at `theta`.
    pub(crate) fn velocity(&mut self, theta: &[f64], pattern: Pattern, out: &mut [f64]) -> f64 {
        let loss = self.forward(theta, pattern);
        match pattern {
            Pattern::Sign => self.backward(theta, BySign, out),
            Pattern::Fixed(classes) => self.backward(theta, ByClass(classes), out),
        }
        loss
    }

    /// `z = W X^T` for every neuron.
    fn products_forward(&mut self, theta: &[f64]) {
        let (n, d, isa) = (self.geo.n, self.geo.d, self.isa);
        let geo = &self.geo;
        let rows = self.rows_per_piece();
        if self.pieces == 1 {
            forward_rows(isa, geo, &theta[..self.m * (d + 1)], &mut self.z);
        } else {
            self.z.par_chunks_mut(rows * n).zip(theta.par_chunks(rows * (d + 1))).for_each(|(z, theta)| {
                forward_rows(isa, geo, theta, z);
            });
        }
    }

    /// Residuals from the current pre-activations, and the loss.
    pub(crate) fn residual_loss(&mut self, theta: &[f64], pattern: Pattern) -> f64 {
        match pattern {
            Pattern::Sign => self.residual_pass(theta, BySign),
            Pattern::Fixed(classes) => self.residual_pass(theta, ByClass(classes)),
        }
        let n = self.geo.n;
        crate::numerics::norm_sq(&self.residual) / (2.0 * n as f64)
    }

    fn residual_pass<C: Classes>(&mut self, theta: &[f64], classes: C) {
        let cols = self.cols_per_piece();
        let (geo, z, scale_sq, y, m, isa) = (&self.geo, &self.z, &self.scale_sq, self.data.y(), self.m, self.isa);
        if self.pieces == 1 {
            residual_cols(isa, geo, theta, scale_sq, z, m, y, 0, &mut self.residual, classes);
        } else {
            self.residual.par_chunks_mut(cols).enumerate().for_each(|(p, r)| {
                residual_cols(isa, geo, theta, scale_sq, z, m, &y[p * cols..], p * cols, r, classes);
            });
        }
    }

    fn backward<C: Classes>(&mut self, theta: &[f64], classes: C, out: &mut [f64]) {
        let (n, d, isa) = (self.geo.n, self.geo.d, self.isa);
        let rows = self.rows_per_piece();
        let (geo, z, residual) = (&self.geo, &self.z, &self.residual);
        let out = &mut out[..self.m * (d + 1)];
        if self.pieces == 1 {
            backward_rows(isa, geo, theta, z, residual, 0, out, &mut self.scratch[0], classes);
        } else {
            out.par_chunks_mut(rows * (d + 1)).zip(self.scratch.par_iter_mut()).enumerate().for_each(
                |(p, (out, scratch))| {
                    let (j0, j1) = (p * rows, (p * rows + out.len() / (d + 1)));
                    backward_rows(
                        isa,
                        geo,
                        &theta[j0 * (d + 1)..j1 * (d + 1)],
                        &z[j0 * n..j1 * n],
                        residual,
                        j0,
                        out,
                        scratch,
                        classes,
                    );
                },
            );
        }
    }

    /// One gradient-descent step after a [`Kernel::forward`] at `theta` (pattern by sign):
    /// `theta += eta (-grad L)` neuron by neuron, `ss[j] = |block_j|^2` of the new mantissas, and
    /// the pre-activations of the new state (call [`Kernel::residual_loss`] next for its loss).
    /// The same numbers as [`Kernel::velocity`] followed by the update, in one sweep.
    pub(crate) fn gd_step(&mut self, theta: &mut [f64], eta: f64, ss: &mut [f64]) {
        let (n, d, isa) = (self.geo.n, self.geo.d, self.isa);
        let rows = self.rows_per_piece();
        let (geo, residual) = (&self.geo, &self.residual);
        let theta = &mut theta[..self.m * (d + 1)];
        if self.pieces == 1 {
            let (z, scratch) = (&mut self.z, &mut self.scratch[0]);
            gd_rows(isa, geo, theta, z, residual, scratch, eta, ss);
        } else {
            theta
                .par_chunks_mut(rows * (d + 1))
                .zip(self.z.par_chunks_mut(rows * n))
                .zip(ss.par_chunks_mut(rows))
                .zip(self.scratch.par_iter_mut())
                .for_each(|(((theta, z), ss), scratch)| gd_rows(isa, geo, theta, z, residual, scratch, eta, ss));
        }
    }

    /// Recomputes the pre-activations of neuron `j` (after its mantissa was rescaled) and its `4^e_j`.
    pub(crate) fn refresh_neuron(&mut self, j: usize, theta: &[f64], exponent: i32) {
        let (n, d) = (self.geo.n, self.geo.d);
        self.scale_sq[j] = crate::params::ldexp(1.0, 2 * exponent);
        forward_rows(self.isa, &self.geo, &theta[j * (d + 1)..(j + 1) * (d + 1)], &mut self.z[j * n..(j + 1) * n]);
    }
}

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

use super::{Class, Pattern, ValidModel};
use crate::data::Dataset;
use rayon::prelude::*;

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

// ------------------------------------------------------------------------------------------
// Vectors of LANES f64
// ------------------------------------------------------------------------------------------

/// Eight `f64` lanes with lane-wise `+`, `*` and fused multiply-add (IEEE, round to nearest):
/// the same operations on every implementation, so the choice of implementation changes no bit.
trait Vector: Copy {
    fn zero() -> Self;
    fn splat(x: f64) -> Self;
    /// The first [`LANES`] values of `s` (panics if `s` is shorter).
    fn load(s: &[f64]) -> Self;
    /// Into the first [`LANES`] values of `s` (panics if `s` is shorter).
    fn store(self, s: &mut [f64]);
    fn add(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// `self * b + c` with a single rounding (fused multiply-add, as `f64::mul_add`).
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// Appends the lanes of `self` that are not zero, and their points `k0 + lane`, to
    /// `coef[at..]` and `idx[at..]` (in lane order); returns how many. May write up to
    /// [`LANES`] values past the last one appended (the buffers have that much room).
    fn append_nonzero(self, k0: usize, idx: &mut [u64], coef: &mut [f64], at: usize) -> usize;
}

/// The scalar version of [`Vector::append_nonzero`] (branch-free).
#[inline(always)]
fn append_nonzero_lanes(lanes: [f64; LANES], k0: usize, idx: &mut [u64], coef: &mut [f64], at: usize) -> usize {
    let (idx, coef) = (&mut idx[at..at + LANES], &mut coef[at..at + LANES]);
    let mut count = 0;
    for (q, &c) in lanes.iter().enumerate() {
        idx[count] = (k0 + q) as u64;
        coef[count] = c;
        count += usize::from(c != 0.0);
    }
    count
}

/// Portable: a plain array (the compiler vectorises what the target allows).
#[derive(Clone, Copy)]
struct Plain([f64; LANES]);

impl Vector for Plain {
    #[inline(always)]
    fn zero() -> Self {
        Plain([0.0; LANES])
    }
    #[inline(always)]
    fn splat(x: f64) -> Self {
        Plain([x; LANES])
    }
    #[inline(always)]
    fn load(s: &[f64]) -> Self {
        Plain(s[..LANES].try_into().expect("LANES values"))
    }
    #[inline(always)]
    fn store(self, s: &mut [f64]) {
        s[..LANES].copy_from_slice(&self.0);
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Plain(std::array::from_fn(|i| self.0[i] + o.0[i]))
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Plain(std::array::from_fn(|i| self.0[i] * o.0[i]))
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Plain(std::array::from_fn(|i| self.0[i].mul_add(b.0[i], c.0[i])))
    }
    #[inline(always)]
    fn append_nonzero(self, k0: usize, idx: &mut [u64], coef: &mut [f64], at: usize) -> usize {
        append_nonzero_lanes(self.0, k0, idx, coef, at)
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The intrinsics behind [`Vector`] on x86-64. These types are created only inside the
    //! functions that the dispatcher calls after `Isa::detect` found the instruction set.
    use super::{LANES, Vector, append_nonzero_lanes};
    use std::arch::x86_64::*;

    /// AVX2: two 4-lane registers.
    #[derive(Clone, Copy)]
    pub(super) struct Avx2([__m256d; 2]);

    impl Vector for Avx2 {
        #[inline(always)]
        fn zero() -> Self {
            // SAFETY (all methods): used only on CPUs with AVX2 (see the module doc); loads and
            // stores go through slices checked to hold `LANES` values.
            unsafe { Avx2([_mm256_setzero_pd(); 2]) }
        }
        #[inline(always)]
        fn splat(x: f64) -> Self {
            unsafe { Avx2([_mm256_set1_pd(x); 2]) }
        }
        #[inline(always)]
        fn load(s: &[f64]) -> Self {
            let s = &s[..LANES];
            unsafe { Avx2([_mm256_loadu_pd(s.as_ptr()), _mm256_loadu_pd(s.as_ptr().add(4))]) }
        }
        #[inline(always)]
        fn store(self, s: &mut [f64]) {
            let s = &mut s[..LANES];
            unsafe {
                _mm256_storeu_pd(s.as_mut_ptr(), self.0[0]);
                _mm256_storeu_pd(s.as_mut_ptr().add(4), self.0[1]);
            }
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            unsafe { Avx2([_mm256_add_pd(self.0[0], o.0[0]), _mm256_add_pd(self.0[1], o.0[1])]) }
        }
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            unsafe { Avx2([_mm256_mul_pd(self.0[0], o.0[0]), _mm256_mul_pd(self.0[1], o.0[1])]) }
        }
        #[inline(always)]
        fn mul_add(self, b: Self, c: Self) -> Self {
            // (FMA3 is checked with AVX2, `Isa::detect`)
            unsafe { Avx2([_mm256_fmadd_pd(self.0[0], b.0[0], c.0[0]), _mm256_fmadd_pd(self.0[1], b.0[1], c.0[1])]) }
        }
        #[inline(always)]
        fn append_nonzero(self, k0: usize, idx: &mut [u64], coef: &mut [f64], at: usize) -> usize {
            let mut lanes = [0.0; LANES];
            self.store(&mut lanes);
            append_nonzero_lanes(lanes, k0, idx, coef, at)
        }
    }

    /// AVX-512F: one 8-lane register.
    #[derive(Clone, Copy)]
    pub(super) struct Avx512(__m512d);

    impl Vector for Avx512 {
        #[inline(always)]
        fn zero() -> Self {
            // SAFETY (all methods): used only on CPUs with AVX-512F (see the module doc); loads
            // and stores go through slices checked to hold `LANES` values.
            unsafe { Avx512(_mm512_setzero_pd()) }
        }
        #[inline(always)]
        fn splat(x: f64) -> Self {
            unsafe { Avx512(_mm512_set1_pd(x)) }
        }
        #[inline(always)]
        fn load(s: &[f64]) -> Self {
            let s = &s[..LANES];
            unsafe { Avx512(_mm512_loadu_pd(s.as_ptr())) }
        }
        #[inline(always)]
        fn store(self, s: &mut [f64]) {
            let s = &mut s[..LANES];
            unsafe { _mm512_storeu_pd(s.as_mut_ptr(), self.0) }
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            unsafe { Avx512(_mm512_add_pd(self.0, o.0)) }
        }
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            unsafe { Avx512(_mm512_mul_pd(self.0, o.0)) }
        }
        #[inline(always)]
        fn mul_add(self, b: Self, c: Self) -> Self {
            unsafe { Avx512(_mm512_fmadd_pd(self.0, b.0, c.0)) }
        }
        #[inline(always)]
        fn append_nonzero(self, k0: usize, idx: &mut [u64], coef: &mut [f64], at: usize) -> usize {
            // compress into registers, then store all 8 lanes (the tail past `count` is scratch)
            let (idx, coef) = (&mut idx[at..at + LANES], &mut coef[at..at + LANES]);
            unsafe {
                let keep = _mm512_cmpneq_pd_mask(self.0, _mm512_setzero_pd());
                let points = _mm512_add_epi64(_mm512_set1_epi64(k0 as i64), _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
                _mm512_storeu_pd(coef.as_mut_ptr(), _mm512_maskz_compress_pd(keep, self.0));
                _mm512_storeu_si512(idx.as_mut_ptr().cast(), _mm512_maskz_compress_epi64(keep, points));
                keep.count_ones() as usize
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// Instruction-set dispatch
// ------------------------------------------------------------------------------------------
//
// Each routine below has one generic body (`#[inline(always)]`; the vector type and the tile
// sizes are generic parameters) compiled three times: portable, inside an `avx2` function and
// inside an `avx512f` function. The copies differ only in register tiling, never in the
// operations applied to any one number.
//
// Tile sizes `<J, PV, NB>`: the forward tile is `J` neurons x `PV` point vectors (`J PV`
// accumulators per partial sum); the backward keeps `NB` vectors of one `D_j` in registers.
// AVX-512 (32 registers of 8 lanes): 6 x 4 = 24 accumulators, `NB = 8` (64 coordinates).
// AVX2 (16 registers of 4 lanes, 2 per vector): 3 x 2 = 6 vectors = 12 registers, `NB = 4`.

macro_rules! isa_copies {
    (
        $(#[$doc:meta])*
        fn $name:ident [$($generic:tt)*] ($($arg:ident: $ty:ty),* $(,)?) => $body:ident [$($targ:ty),*]
    ) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        fn $name<$($generic)*>(isa: Isa, $($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            fn narrow<$($generic)*>($($arg: $ty),*) {
                $body::<$($targ,)* x86::Avx2, 3, 2, 4>($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f")]
            #[allow(clippy::too_many_arguments)]
            fn wide<$($generic)*>($($arg: $ty),*) {
                $body::<$($targ,)* x86::Avx512, 6, 4, 8>($($arg),*)
            }
            match isa {
                Isa::Portable => $body::<$($targ,)* Plain, 2, 1, 2>($($arg),*),
                // SAFETY: `Isa::Avx2` is chosen only when the CPU reports AVX2 (`Isa::detect`).
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => unsafe { narrow::<$($targ),*>($($arg),*) },
                // SAFETY: `Isa::Avx512` is chosen only when the CPU reports AVX-512F.
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => unsafe { wide::<$($targ),*>($($arg),*) },
            }
        }
    };
}

isa_copies! {
    /// `z` rows for the neurons whose blocks are `theta` (`z.len() / n` of them).
    fn forward_rows[](geo: &Geometry, theta: &[f64], z: &mut [f64]) => forward_rows_body[]
}

isa_copies! {
    /// Residuals of the points `k0 .. k0 + r.len()`, from all `m` neurons.
    fn residual_cols[C: Classes](
        geo: &Geometry,
        theta: &[f64],
        scale_sq: &[f64],
        z: &[f64],
        m: usize,
        y: &[f64],
        k0: usize,
        r: &mut [f64],
        classes: C,
    ) => residual_cols_body[C]
}

isa_copies! {
    /// Velocities of the neurons whose blocks are `theta` (the first is neuron `j0`) into `out`.
    fn backward_rows[C: Classes](
        geo: &Geometry,
        theta: &[f64],
        z: &[f64],
        residual: &[f64],
        j0: usize,
        out: &mut [f64],
        scratch: &mut Scratch,
        classes: C,
    ) => backward_rows_body[C]
}

isa_copies! {
    /// A gradient-descent step of the neurons whose blocks are `theta`, and their new `z` rows.
    fn gd_rows[](
        geo: &Geometry,
        theta: &mut [f64],
        z: &mut [f64],
        residual: &[f64],
        scratch: &mut Scratch,
        eta: f64,
        ss: &mut [f64],
    ) => gd_rows_body[]
}

// ------------------------------------------------------------------------------------------
// Forward: z = W X^T
// ------------------------------------------------------------------------------------------

#[inline(always)]
fn forward_rows_body<V: Vector, const J: usize, const PV: usize, const NB: usize>(
    geo: &Geometry,
    theta: &[f64],
    z: &mut [f64],
) {
    let rows = z.len() / geo.n;
    let mut j = 0;
    while j + J <= rows {
        tile_row::<V, J, PV>(geo, theta, z, j);
        j += J;
    }
    while j < rows {
        tile_row::<V, 1, PV>(geo, theta, z, j);
        j += 1;
    }
}

/// `z` of neurons `j0 .. j0 + J` at every point, `PV` point vectors at a time.
#[inline(always)]
fn tile_row<V: Vector, const J: usize, const PV: usize>(geo: &Geometry, theta: &[f64], z: &mut [f64], j0: usize) {
    let vectors = geo.n_pad / LANES;
    let mut v = 0;
    while v + PV <= vectors {
        z_tile::<V, J, PV>(geo, theta, z, j0, v * LANES);
        v += PV;
    }
    while v < vectors {
        z_tile::<V, J, 1>(geo, theta, z, j0, v * LANES);
        v += 1;
    }
}

/// `z_jk` for `J` neurons from `j0` and the `PV * LANES` points from `k0`, in registers: each
/// of the four partial sums of [`dot4`](super::dot4)'s order in turn, every lane accumulating
/// its own point, then `(s_0 + s_1) + (s_2 + s_3)` and the tail coordinates.
#[inline(always)]
fn z_tile<V: Vector, const J: usize, const PV: usize>(
    geo: &Geometry,
    theta: &[f64],
    z: &mut [f64],
    j0: usize,
    k0: usize,
) {
    let (n, d, np) = (geo.n, geo.d, geo.n_pad);
    let body = d - d % 4;
    let w: [&[f64]; J] = std::array::from_fn(|t| &theta[(j0 + t) * (d + 1) + 1..(j0 + t + 1) * (d + 1)]);
    let xt = &geo.xt[k0..];
    let mut s = [[[V::zero(); PV]; J]; 4];
    for (i, s_i) in s.iter_mut().enumerate() {
        let mut acc = [[V::zero(); PV]; J];
        let mut l = i;
        while l < body {
            let x: [V; PV] = std::array::from_fn(|p| V::load(&xt[l * np + p * LANES..]));
            for t in 0..J {
                let wv = V::splat(w[t][l]);
                for p in 0..PV {
                    acc[t][p] = wv.mul_add(x[p], acc[t][p]);
                }
            }
            l += 4;
        }
        *s_i = acc;
    }
    let mut out = [[V::zero(); PV]; J];
    for t in 0..J {
        for p in 0..PV {
            out[t][p] = s[0][t][p].add(s[1][t][p]).add(s[2][t][p].add(s[3][t][p]));
        }
    }
    for l in body..d {
        let x: [V; PV] = std::array::from_fn(|p| V::load(&xt[l * np + p * LANES..]));
        for t in 0..J {
            let wv = V::splat(w[t][l]);
            for p in 0..PV {
                out[t][p] = wv.mul_add(x[p], out[t][p]);
            }
        }
    }
    for t in 0..J {
        let row = &mut z[(j0 + t) * n..(j0 + t + 1) * n];
        for p in 0..PV {
            let k = k0 + p * LANES;
            if k + LANES <= n {
                out[t][p].store(&mut row[k..]);
            } else {
                let mut lanes = [0.0; LANES];
                out[t][p].store(&mut lanes);
                let left = n.saturating_sub(k);
                row[k.min(n)..].copy_from_slice(&lanes[..left]);
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// Residuals
// ------------------------------------------------------------------------------------------

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn residual_cols_body<C: Classes, V: Vector, const J: usize, const PV: usize, const NB: usize>(
    geo: &Geometry,
    theta: &[f64],
    scale_sq: &[f64],
    z: &[f64],
    m: usize,
    y: &[f64],
    k0: usize,
    r: &mut [f64],
    classes: C,
) {
    let (n, d) = (geo.n, geo.d);
    let len = r.len();
    for (rk, yk) in r.iter_mut().zip(y) {
        *rk = -yk;
    }
    for j in 0..m {
        let c = theta[j * (d + 1)] * scale_sq[j];
        let zr = &z[j * n + k0..j * n + k0 + len];
        for (q, (rk, &zv)) in r.iter_mut().zip(zr).enumerate() {
            let (act, _) = geo.act_gate(classes.sides(j * n + k0 + q, zv), zv);
            *rk += c * act;
        }
    }
}

// ------------------------------------------------------------------------------------------
// Backward: D = C X, and the gradient-descent update
// ------------------------------------------------------------------------------------------

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn backward_rows_body<C: Classes, V: Vector, const J: usize, const PV: usize, const NB: usize>(
    geo: &Geometry,
    theta: &[f64],
    z: &[f64],
    residual: &[f64],
    j0: usize,
    out: &mut [f64],
    scratch: &mut Scratch,
    classes: C,
) {
    let (n, d) = (geo.n, geo.d);
    let rows = z.len() / n;
    let mut g0 = 0;
    while g0 < rows {
        let gl = GROUP.min(rows - g0);
        let span = g0 * (d + 1)..(g0 + gl) * (d + 1);
        group_velocity::<C, V, NB>(
            geo,
            &theta[span.clone()],
            &z[g0 * n..(g0 + gl) * n],
            residual,
            j0 + g0,
            scratch,
            classes,
            &mut out[span],
        );
        g0 += gl;
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn gd_rows_body<V: Vector, const J: usize, const PV: usize, const NB: usize>(
    geo: &Geometry,
    theta: &mut [f64],
    z: &mut [f64],
    residual: &[f64],
    scratch: &mut Scratch,
    eta: f64,
    ss: &mut [f64],
) {
    let (n, d) = (geo.n, geo.d);
    let rows = z.len() / n;
    let width = d + 1;
    let mut g0 = 0;
    while g0 < rows {
        let gl = GROUP.min(rows - g0);
        let span = g0 * width..(g0 + gl) * width;
        let mut vel = std::mem::take(&mut scratch.vel);
        group_velocity::<BySign, V, NB>(
            geo,
            &theta[span.clone()],
            &z[g0 * n..(g0 + gl) * n],
            residual,
            0,
            scratch,
            BySign,
            &mut vel[..gl * width],
        );
        // theta += eta v and |block|^2, each neuron's sum in coordinate order (the neurons
        // interleaved so that their sums do not wait on each other)
        let block = &mut theta[span];
        for (t, v) in block.iter_mut().zip(&vel[..gl * width]) {
            *t += eta * v;
        }
        scratch.vel = vel;
        if gl == GROUP {
            ss[g0..g0 + GROUP].copy_from_slice(&block_sums::<GROUP>(block, width));
        } else {
            for (g, s) in ss[g0..g0 + gl].iter_mut().enumerate() {
                *s = block[g * width..(g + 1) * width].iter().fold(0.0, |acc, t| acc + t * t);
            }
        }
        forward_rows_body::<V, J, PV, NB>(geo, block, &mut z[g0 * n..(g0 + gl) * n]);
        g0 += gl;
    }
}

/// `|block_g|^2` of `G` consecutive blocks of `width`, each sum in coordinate order (the `G` sums
/// interleaved, in registers, so that they do not wait on each other).
#[inline(always)]
fn block_sums<const G: usize>(blocks: &[f64], width: usize) -> [f64; G] {
    let blocks = &blocks[..G * width];
    let mut sums = [0.0f64; G];
    for i in 0..width {
        for (g, s) in sums.iter_mut().enumerate() {
            let t = blocks[g * width + i];
            *s += t * t;
        }
    }
    sums
}

/// Velocities of the `z.len() / n` neurons of a group (the first is neuron `j0`) into `out`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn group_velocity<C: Classes, V: Vector, const NB: usize>(
    geo: &Geometry,
    theta: &[f64],
    z: &[f64],
    residual: &[f64],
    j0: usize,
    scratch: &mut Scratch,
    classes: C,
    out: &mut [f64],
) {
    let (n, np, d, d_pad, inv_n) = (geo.n, geo.n_pad, geo.d, geo.d_pad, geo.inv_n);
    let Scratch { idx, coef, dense, prod, .. } = scratch;
    let gl = z.len() / n;
    // per neuron, lanes across points: C_jk = -r_k act'(z_jk) and p_jk = r_k act(z_jk), in rows
    // of `n_pad` (the padding of `dense` is never written: it stays 0)
    for g in 0..gl {
        let base = (j0 + g) * n;
        let (zr, cr, pr) = (&z[g * n..(g + 1) * n], &mut dense[g * np..g * np + n], &mut prod[g * np..g * np + n]);
        for (k, (((&zv, &r), c), p)) in zr.iter().zip(residual).zip(cr.iter_mut()).zip(pr.iter_mut()).enumerate() {
            let (act, gate) = geo.act_gate(classes.sides(base + k, zv), zv);
            *p = r * act;
            *c = -r * gate;
        }
    }
    // da_j = -sum_k p_jk in k order: the GROUP sums interleaved (rows past `gl` are zeros)
    prod[gl * np..].fill(0.0);
    let mut da = [0.0f64; GROUP];
    for k in 0..n {
        for (g, a) in da.iter_mut().enumerate() {
            *a -= prod[g * np + k];
        }
    }
    // the points with C_jk != 0, in k order
    let mut count = [0usize; GROUP];
    for g in 0..gl {
        let row = g * np..(g + 1) * np;
        let (ir, lr) = (&mut idx[row.clone()], &mut coef[row.clone()]);
        let cr = &dense[row];
        let mut c_count = 0;
        for v in 0..np / LANES {
            c_count += V::load(&cr[v * LANES..]).append_nonzero(v * LANES, ir, lr, c_count);
        }
        count[g] = c_count;
    }
    for g in 0..gl {
        out[g * (d + 1)] = da[g] * inv_n;
    }
    // D_j, NB vectors of coordinates at a time (that block of x stays in L1 across the group)
    let mut b0 = 0;
    while b0 < d_pad {
        let vectors = NB.min((d_pad - b0) / LANES);
        for g in 0..gl {
            let scale = theta[g * (d + 1)] * inv_n;
            let list = g * np..g * np + count[g];
            let dst = &mut out[g * (d + 1) + 1..(g + 1) * (d + 1)];
            let (idx, coef) = (&idx[list.clone()], &coef[list]);
            match vectors {
                1 => d_block::<V, 1>(geo, idx, coef, b0, scale, dst),
                2 => d_block::<V, 2>(geo, idx, coef, b0, scale, dst),
                3 => d_block::<V, 3>(geo, idx, coef, b0, scale, dst),
                4 => d_block::<V, 4>(geo, idx, coef, b0, scale, dst),
                5 => d_block::<V, 5>(geo, idx, coef, b0, scale, dst),
                6 => d_block::<V, 6>(geo, idx, coef, b0, scale, dst),
                7 => d_block::<V, 7>(geo, idx, coef, b0, scale, dst),
                _ => d_block::<V, 8>(geo, idx, coef, b0, scale, dst),
            }
        }
        b0 += NB * LANES;
    }
}

/// `dst[l] = scale * sum_k coef_k x_kl` for the `W LANES` coordinates from `b0` (those below
/// `d`), the sum in the order of the list.
#[inline(always)]
fn d_block<V: Vector, const W: usize>(
    geo: &Geometry,
    idx: &[u64],
    coef: &[f64],
    b0: usize,
    scale: f64,
    dst: &mut [f64],
) {
    let mut acc = [V::zero(); W];
    for (&k, &c) in idx.iter().zip(coef) {
        let x = &geo.xp[k as usize * geo.d_pad + b0..][..W * LANES];
        let cv = V::splat(c);
        for (t, a) in acc.iter_mut().enumerate() {
            *a = cv.mul_add(V::load(&x[t * LANES..]), *a);
        }
    }
    let sv = V::splat(scale);
    let mut lanes = [0.0f64; LANES];
    for (t, a) in acc.iter().enumerate() {
        let l = b0 + t * LANES;
        if l + LANES <= dst.len() {
            sv.mul(*a).store(&mut dst[l..]);
        } else if l < dst.len() {
            sv.mul(*a).store(&mut lanes);
            let left = dst.len() - l;
            dst[l..].copy_from_slice(&lanes[..left]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{Activation, Model, dot4};
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    /// The kernel one neuron and one point at a time (as it was before blocking, with the two
    /// products' multiply-adds fused): the reference whose bits every build and split must reproduce.
    fn reference(
        data: &Dataset,
        model: ValidModel,
        theta: &[f64],
        scale_sq: &[f64],
        pattern: Pattern,
    ) -> (Vec<f64>, Vec<f64>, f64, Vec<f64>) {
        let (n, d, m) = (data.n(), data.d(), scale_sq.len());
        let x = data.x_flat();
        let mut residual: Vec<f64> = data.y().iter().map(|y| -y).collect();
        let (mut z, mut act, mut gate) = (vec![0.0; m * n], vec![0.0; m * n], vec![0.0; m * n]);
        for j in 0..m {
            let block = &theta[j * (d + 1)..(j + 1) * (d + 1)];
            let c = block[0] * scale_sq[j];
            for k in 0..n {
                let zv = dot4(&block[1..], &x[k * d..(k + 1) * d]);
                z[j * n + k] = zv;
                let class = match pattern {
                    Pattern::Sign => Class::of(zv),
                    Pattern::Fixed(classes) => classes[j * n + k],
                };
                let (a, g) = match class {
                    Class::Positive => (zv, 1.0),
                    Class::Negative => (model.slope * zv, model.slope),
                    Class::Zero => (0.0, model.sigma0),
                };
                act[j * n + k] = a;
                gate[j * n + k] = g;
                residual[k] += c * a;
            }
        }
        let loss = residual.iter().map(|r| r * r).sum::<f64>() / (2.0 * n as f64);
        let inv_n = 1.0 / n as f64;
        let mut out = vec![0.0; m * (d + 1)];
        for j in 0..m {
            let mut buf = vec![0.0; d];
            let mut da = 0.0;
            for k in 0..n {
                let r = residual[k];
                da -= r * act[j * n + k];
                let c = -r * gate[j * n + k];
                if c != 0.0 {
                    for (b, xv) in buf.iter_mut().zip(&x[k * d..(k + 1) * d]) {
                        *b = c.mul_add(*xv, *b);
                    }
                }
            }
            out[j * (d + 1)] = da * inv_n;
            let scale = theta[j * (d + 1)] * inv_n;
            for (o, b) in out[j * (d + 1) + 1..(j + 1) * (d + 1)].iter_mut().zip(&buf) {
                *o = scale * b;
            }
        }
        (z, residual, loss, out)
    }

    fn instance(n: usize, d: usize, m: usize, seed: u64) -> (Dataset, Vec<f64>, Vec<i32>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x: Vec<Vec<f64>> = (0..n).map(|_| (0..d).map(|_| rng.random_range(-1.0..1.0)).collect()).collect();
        let y = (0..n).map(|_| rng.random_range(-2.0..2.0)).collect();
        let mut theta: Vec<f64> = (0..m * (d + 1)).map(|_| rng.random_range(-1.0..1.0)).collect();
        // exact zeros (z = 0 and a = 0 cases) and a dead neuron
        theta[1] = 0.0;
        if m > 2 {
            theta[2 * (d + 1)..3 * (d + 1)].fill(0.0);
        }
        let exponent = (0..m).map(|_| rng.random_range(-3..3)).collect();
        (Dataset::new(x, y).unwrap(), theta, exponent)
    }

    /// Every build of the tiles (portable, AVX2, AVX-512 where the CPU has them), single-threaded
    /// and split, gives the reference's bits: pre-activations, residuals, loss and velocity, for
    /// sizes off every tile multiple (n, d, m not multiples of 4 or 8), the sign pattern and fixed
    /// classes, ReLU, leaky ReLU and relu'(0) = 1; and the fused gradient-descent step gives the
    /// reference velocity's update. A change in any operation's order fails it.
    #[test]
    fn kernel_matches_the_reference_bit_for_bit() {
        let models = [
            Model::relu(),
            Model { activation: Activation::Leaky { slope: 0.1 }, relu_prime_at_zero: 0.0 },
            Model { activation: Activation::Relu, relu_prime_at_zero: 1.0 },
        ];
        let shapes = [(1, 1, 1), (2, 3, 7), (5, 4, 13), (9, 10, 25), (17, 67, 31), (64, 64, 40), (13, 130, 29)];
        for (case, &(n, d, m)) in shapes.iter().enumerate() {
            let (data, theta, exponent) = instance(n, d, m, case as u64);
            let mut rng = ChaCha8Rng::seed_from_u64(100 + case as u64);
            let classes: Vec<Class> =
                (0..m * n).map(|_| [Class::Negative, Class::Zero, Class::Positive][rng.random_range(0..3)]).collect();
            for model in models {
                let model = model.validate().unwrap();
                let scale_sq: Vec<f64> = exponent.iter().map(|&e| crate::params::ldexp(1.0, 2 * e)).collect();
                for pattern in [Pattern::Sign, Pattern::Fixed(&classes)] {
                    let (z, r, loss, v) = reference(&data, model, &theta, &scale_sq, pattern);
                    for isa in Isa::available() {
                        for pieces in [1, 2, 3] {
                            let mut kernel = Kernel::with_isa(&data, model, m, isa);
                            kernel.set_pieces(pieces);
                            kernel.set_exponents(&exponent);
                            let mut out = vec![0.0; m * (d + 1)];
                            let got = kernel.velocity(&theta, pattern, &mut out);
                            let what = format!("n {n} d {d} m {m} {model:?} {isa:?} pieces {pieces}");
                            assert_eq!(got.to_bits(), loss.to_bits(), "loss, {what}");
                            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                            assert_eq!(bits(kernel.pre_activations()), bits(&z), "z, {what}");
                            assert_eq!(bits(kernel.residuals()), bits(&r), "residuals, {what}");
                            assert_eq!(bits(&out), bits(&v), "velocity, {what}");
                            if matches!(pattern, Pattern::Sign) {
                                let eta = 0.01;
                                let mut stepped = theta.clone();
                                let mut ss = vec![0.0; m];
                                kernel.gd_step(&mut stepped, eta, &mut ss);
                                let expected: Vec<f64> = theta.iter().zip(&v).map(|(t, v)| t + eta * v).collect();
                                assert_eq!(bits(&stepped), bits(&expected), "GD step, {what}");
                                for j in 0..m {
                                    let sq =
                                        expected[j * (d + 1)..(j + 1) * (d + 1)].iter().fold(0.0, |s, t| s + t * t);
                                    assert_eq!(ss[j].to_bits(), sq.to_bits(), "|block|^2, {what}");
                                }
                                let z_new: Vec<f64> = (0..m * n)
                                    .map(|i| {
                                        dot4(&expected[(i / n) * (d + 1) + 1..(i / n + 1) * (d + 1)], data.x(i % n))
                                    })
                                    .collect();
                                assert_eq!(bits(kernel.pre_activations()), bits(&z_new), "z after the step, {what}");
                            }
                        }
                    }
                }
            }
        }
    }
}

//! The stiff integrator: ROS2, a linearly implicit Rosenbrock-W method of order 2 (Verwer, Spee,
//! Blom & Hundsdorfer, *A second-order Rosenbrock method applied to photochemical dispersion
//! problems*, SIAM J. Sci. Comput. 20 (1999)), with a low-rank Jacobian approximation solved by the
//! Woodbury identity, cubic Hermite dense output and the same event location as [`Dopri5`](super::dopri::Dopri5).
//!
//! ## Why this method
//! At large `lambda` (the lazy regime) the flow `theta' = -grad L` is stiff, and the stiffness is
//! the Gauss-Newton part of the Hessian, `(1/n) J^T J` with `J = dh/dtheta` (`n x P`, rank `<= n`):
//! its eigenvalues are `~ |theta|^2 |x|^2 / n`, the rest of the Hessian, `(1/n) sum_k r_k grad^2 h_k`,
//! vanishes with the residual. A W-method keeps its order for *any* matrix `W` in place of the
//! Jacobian (the `W` terms cancel in its order conditions), so `W = -(1/n) J^T J` is enough for order 2
//! and for stability on the stiff part. Each stage solves `(I - h gamma W) k = b`, i.e.
//! `(I + h gamma U V^T) k = b` with `W = -U V^T` of rank `r = n`; by the Woodbury identity
//! `k = b - U (I / (h gamma) + V^T U)^-1 V^T b`: one `n x n` Cholesky factorisation per step
//! (`V^T U = (1/n) J J^T` is symmetric positive semi-definite) and products with `U` and `V^T`,
//! `O(P n)` each, building `V^T U` costs `O(m n^2)`. ROS2 is L-stable (`gamma = 1 + 1/sqrt(2)`,
//! `R(infinity) = 0`): a stiff mode is damped, not oscillated, at any step size.
//! An exponential integrator would need `exp(-h (1/n) J^T J)` (also cheap through the `n x n`
//! Gram matrix) but loses its order with an approximate Jacobian; a fully implicit method would
//! need Newton iterations with Hessian-vector products at every stage.
//!
//! ## The scheme
//! `(I - gamma h W) k1 = f(y0)`, `(I - gamma h W) k2 = f(y0 + h k1) - 2 k1`,
//! `y1 = y0 + (3/2) h k1 + (1/2) h k2`; the embedded first-order solution is the linearly implicit
//! Euler step `y0 + h k1`, so the error estimate is `(h/2)(k1 + k2)` and the controller uses
//! `err^(-1/2)`. Two evaluations of `f` per step (`f(y1)` is the next step's `f(y0)` and serves
//! the dense output, the descent check and the event test at `y1`). Classes are fixed inside a step
//! exactly as for Dormand-Prince; a step after which a switching function is violated is cut at its
//! earliest crossing on the cubic Hermite interpolant of `y0, y1, f(y0), f(y1)`.

use super::dopri::{Counters, DopriError, StepInfo, System, Tolerances, dense_at};
use super::step::{Accepted, Controller, FAC_MIN, SAFETY, StepState};

/// `gamma = 1 + 1/sqrt(2)`: ROS2 is L-stable with it.
pub const GAMMA: f64 = 1.0 + std::f64::consts::FRAC_1_SQRT_2;

/// ROS2's controller: error estimate of order 2 (`err^(-1/2)`), growth at most 5.
const CONTROLLER: Controller = Controller { fac_max: 5.0, ratio: |err| SAFETY / err.sqrt() };

/// A [`System`] with a low-rank approximation `W = -U V^T` of its Jacobian (`U`, `V` of size
/// `dim x rank`), given through products: what [`Ros2`] needs.
pub trait LowRankJacobian: System {
    /// The rank `r` of `W`.
    fn rank(&self) -> usize;
    /// Prepares `U` and `V` at the state `y` (under the current mode) and writes `V^T U`
    /// (`r x r`, row-major; symmetric positive semi-definite) into `vtu`.
    fn prepare_jacobian(&mut self, y: &[f64], vtu: &mut [f64]);
    /// `out = V^T b` (`r` values).
    fn apply_vt(&self, b: &[f64], out: &mut [f64]);
    /// `b -= U c`.
    fn subtract_u(&self, c: &[f64], b: &mut [f64]);
}

/// Finishes `V^T U = (1/n) J J^T` (`n x n`, row-major) for a [`LowRankJacobian::prepare_jacobian`]
/// that accumulated the lower triangle of `J J^T` (diagonal included) into `vtu`: scales it by
/// `1/n` and mirrors it into the upper triangle, so the matrix is symmetric to the bit.
pub(crate) fn scale_lower_and_mirror(vtu: &mut [f64], n: usize) {
    let inv_n = 1.0 / n as f64;
    for k in 0..n {
        for l in 0..=k {
            let v = vtu[k * n + l] * inv_n;
            vtu[k * n + l] = v;
            vtu[l * n + k] = v;
        }
    }
}

/// In-place Cholesky factorisation `A = L L^T` of the symmetric `r x r` matrix `a` (row-major,
/// lower triangle read, `L` written there). `false` if a pivot is not positive (not numerically
/// positive definite).
fn cholesky(a: &mut [f64], r: usize) -> bool {
    for j in 0..r {
        let mut diag = a[j * r + j];
        for p in 0..j {
            diag -= a[j * r + p] * a[j * r + p];
        }
        if !(diag > 0.0 && diag.is_finite()) {
            return false;
        }
        let l = diag.sqrt();
        a[j * r + j] = l;
        for i in j + 1..r {
            let mut v = a[i * r + j];
            for p in 0..j {
                v -= a[i * r + p] * a[j * r + p];
            }
            a[i * r + j] = v / l;
        }
    }
    true
}

/// Solves `L L^T x = b` in place (`l` from [`cholesky`]).
fn cholesky_solve(l: &[f64], r: usize, b: &mut [f64]) {
    for i in 0..r {
        let mut v = b[i];
        for p in 0..i {
            v -= l[i * r + p] * b[p];
        }
        b[i] = v / l[i * r + i];
    }
    for i in (0..r).rev() {
        let mut v = b[i];
        for p in i + 1..r {
            v -= l[p * r + i] * b[p];
        }
        b[i] = v / l[i * r + i];
    }
}

/// The ROS2 integrator state (preallocated; no allocation per step).
pub struct Ros2 {
    state: StepState,
    tol: Tolerances,
    h_max: f64,
    f0: Vec<f64>,
    k1: Vec<f64>,
    k2: Vec<f64>,
    y_stage: Vec<f64>,
    f_new: Vec<f64>,
    err: Vec<f64>,
    /// `V^T U` at the current state, and its factor for the current step size.
    vtu: Vec<f64>,
    factor: Vec<f64>,
    small: Vec<f64>,
    jacobian_valid: bool,
}

impl Ros2 {
    /// An integrator at `(t0, y0)` with first step `h0` for a system of rank `rank`.
    pub fn new(t0: f64, y0: Vec<f64>, tol: Tolerances, h0: f64, h_max: f64, rank: usize) -> Self {
        let n = y0.len();
        let z = || vec![0.0; n];
        Self {
            state: StepState::new(t0, y0, h0),
            tol,
            h_max,
            f0: z(),
            k1: z(),
            k2: z(),
            y_stage: z(),
            f_new: z(),
            err: z(),
            vtu: vec![0.0; rank * rank],
            factor: vec![0.0; rank * rank],
            small: vec![0.0; rank],
            jacobian_valid: false,
        }
    }
    /// Current time.
    pub fn t(&self) -> f64 {
        self.state.t
    }
    /// Current state.
    pub fn y(&self) -> &[f64] {
        &self.state.y
    }
    /// Mutable state (invalidates `f(y)` and the Jacobian approximation).
    pub fn y_mut(&mut self) -> &mut [f64] {
        self.state.fsal_valid = false;
        self.jacobian_valid = false;
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
    /// The trace of `V^T U` at the last prepared Jacobian, the one of the last accepted step's start
    /// (`None` before the first step): the trace of
    /// the Gauss-Newton matrix `(1/n) J^T J`, an upper bound of its largest eigenvalue (it is
    /// positive semi-definite). The driver compares it with the step to decide whether an explicit
    /// step of that size would be stable again.
    pub fn gauss_newton_trace(&self) -> Option<f64> {
        let r = self.small.len();
        (self.counters().accepted_steps > 0).then(|| (0..r).map(|i| self.vtu[i * r + i]).sum())
    }

    /// `out = (I - gamma h W)^-1 b = b - U (I/(gamma h) + V^T U)^-1 V^T b` with the factor of the
    /// current step.
    fn solve<S: LowRankJacobian>(sys: &S, factor: &[f64], small: &mut [f64], r: usize, b: &[f64], out: &mut [f64]) {
        sys.apply_vt(b, small);
        cholesky_solve(factor, r, small);
        out.copy_from_slice(b);
        sys.subtract_u(small, out);
    }

    /// Advances by one accepted step (cut at the first event, if any), not beyond `t_limit`.
    pub fn step<S: LowRankJacobian>(&mut self, sys: &mut S, t_limit: f64) -> Result<StepInfo, DopriError> {
        let st = &mut self.state;
        let n = st.y.len();
        let r = sys.rank();
        if !st.fsal_valid {
            sys.rhs(st.t, &st.y, &mut self.f0);
            st.counters.rhs_evaluations += 1;
            st.fsal_valid = true;
        }
        if !self.jacobian_valid {
            sys.prepare_jacobian(&st.y, &mut self.vtu);
            self.jacobian_valid = true;
        }
        loop {
            let (h, clipped) = st.attempt(self.h_max, t_limit)?;
            // the Woodbury factor I/(gamma h) + V^T U
            self.factor.copy_from_slice(&self.vtu);
            let shift = 1.0 / (GAMMA * h);
            for i in 0..r {
                self.factor[i * r + i] += shift;
            }
            if !cholesky(&mut self.factor, r) {
                st.h = h * FAC_MIN;
                st.counters.rejected_steps += 1;
                continue;
            }
            Self::solve(sys, &self.factor, &mut self.small, r, &self.f0, &mut self.k1);
            for i in 0..n {
                self.y_stage[i] = st.y[i] + h * self.k1[i];
            }
            sys.rhs(st.t + h, &self.y_stage, &mut self.k2);
            st.counters.rhs_evaluations += 1;
            for i in 0..n {
                self.y_stage[i] = self.k2[i] - 2.0 * self.k1[i];
            }
            Self::solve(sys, &self.factor, &mut self.small, r, &self.y_stage, &mut self.k2);
            for i in 0..n {
                st.y_new[i] = st.y[i] + h * (1.5 * self.k1[i] + 0.5 * self.k2[i]);
                self.err[i] = 0.5 * h * (self.k1[i] + self.k2[i]);
            }
            let err = sys.error_norm(&st.y, &st.y_new, &self.err, &self.tol);
            if let Some(h_retry) = CONTROLLER.judge(err, h, st.t, &st.y_new)? {
                st.h = h_retry;
                st.counters.rejected_steps += 1;
                continue;
            }
            // f(y1): the descent check, the event test and the next step's f(y0)
            sys.rhs(st.t + h, &st.y_new, &mut self.f_new);
            st.counters.rhs_evaluations += 1;
            if !sys.admissible(&st.y, &st.y_new) {
                st.reject_inadmissible(h);
                continue;
            }
            // accepted: cubic Hermite dense output in Hairer's form
            st.hermite(h, &self.f0, &self.f_new);
            st.rcont[4].fill(0.0);
            let h_next = CONTROLLER.next(err, h, &mut st.no_growth);
            self.jacobian_valid = false;
            let (f0, f_new) = (&mut self.f0, &mut self.f_new);
            return st.conclude(sys, Accepted { h, h_next, clipped, t_limit }, || std::mem::swap(f0, f_new));
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

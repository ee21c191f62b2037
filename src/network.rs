//! The network `h(x) = sum_j a_j act(<w_j, x>)`, the loss `L = 1/(2n) sum_k (h(x_k) - y_k)^2`
//! and its gradient, eq. (3) of the paper.
//!
//! Loss convention: this is the paper's `L`. A torch `MSELoss` is `(1/n) sum (h - y)^2 = 2L`, so
//! a torch learning rate `lr` on `MSELoss` is a step `2 lr` on `L`.
//!
//! Two layers of API:
//! - [`ValidModel::predict`], [`ValidModel::loss`], [`ValidModel::gradient`] on plain [`Params`]: simple and
//!   allocating, for users and for checking.
//! - [`Kernel`]: the allocation-free vector field on [`ScaledParams`](crate::params::ScaledParams) mantissas used by the
//!   integrators (`crate::solver`).

use crate::data::Dataset;
use crate::params::Params;

mod kernel;
pub use kernel::{Kernel, SPLIT_WORK, SPLIT_WORK_IN_POOL};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The activation function.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `relu(z) = max(z, 0)`: the paper's setting.
    Relu,
    /// `z` for `z > 0`, `slope * z` otherwise: breaks Lemma 6 (inactive coordinates move),
    /// used for negative controls.
    Leaky {
        /// The slope for `z <= 0`.
        slope: f64,
    },
}

/// Activation and the value used for `act'(0)` in the gradient.
///
/// Proposition 2: the flow (2) has a global solution for every initialisation iff
/// `relu'(0) = 0`, which is the default. Other values exist for negative controls (claim P2).
///
/// ```
/// use reluflow::network::Model;
/// let model = Model::relu().validate().unwrap();
/// assert_eq!(model.relu_prime_at_zero(), 0.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The activation `act`.
    pub activation: Activation,
    /// `sigma0 = act'(0)` used in eq. (3).
    pub relu_prime_at_zero: f64,
}

/// A [`Model`] whose parameters have been checked (finite slope and `act'(0)`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ValidModel {
    slope: f64,
    sigma0: f64,
    activation: Activation,
}

/// Why a model is invalid.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ModelError {
    /// The leaky slope is not finite (the value given).
    #[error("leaky slope {0} is not finite: give a finite slope, e.g. --leaky 0.01")]
    Slope(f64),
    /// `act'(0)` is not finite (the value given).
    #[error("relu'(0) = {0} is not finite: give a finite value (the paper's choice is 0)")]
    Sigma0(f64),
}

impl Model {
    /// The paper's model: ReLU with `relu'(0) = 0`.
    pub fn relu() -> Self {
        Self { activation: Activation::Relu, relu_prime_at_zero: 0.0 }
    }
    /// Checks the model once (linfa-style `Params -> ValidParams`).
    pub fn validate(self) -> Result<ValidModel, ModelError> {
        let slope = match self.activation {
            Activation::Relu => 0.0,
            Activation::Leaky { slope } => slope,
        };
        if !slope.is_finite() {
            return Err(ModelError::Slope(slope));
        }
        if !self.relu_prime_at_zero.is_finite() {
            return Err(ModelError::Sigma0(self.relu_prime_at_zero));
        }
        Ok(ValidModel { slope, sigma0: self.relu_prime_at_zero, activation: self.activation })
    }
}

impl Default for Model {
    fn default() -> Self {
        Self::relu()
    }
}

impl std::fmt::Display for Model {
    /// In words: `ReLU` (the paper's model), `ReLU with relu'(0) = 1`, `leaky ReLU (slope 0.1)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.activation {
            Activation::Relu => write!(f, "ReLU")?,
            Activation::Leaky { slope } => write!(f, "leaky ReLU (slope {slope})")?,
        }
        if self.relu_prime_at_zero != 0.0 {
            write!(f, " with relu'(0) = {}", self.relu_prime_at_zero)?;
        }
        Ok(())
    }
}

impl ValidModel {
    /// `act'(0)`.
    pub fn relu_prime_at_zero(&self) -> f64 {
        self.sigma0
    }
    /// Slope on the negative side (0 for ReLU).
    pub fn negative_slope(&self) -> f64 {
        self.slope
    }
    /// The activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }
    /// `act(z)`: `z` for `z > 0`, else `slope z`; ReLU (`slope = 0`) gives exactly `0` there, also
    /// at `z = -inf` (where `0 * z` would be NaN).
    ///
    /// ```
    /// use reluflow::network::Model;
    /// let relu = Model::relu().validate().unwrap();
    /// assert_eq!((relu.act(2.0), relu.act(-3.0), relu.act(f64::NEG_INFINITY)), (2.0, 0.0, 0.0));
    /// ```
    #[inline]
    pub fn act(&self, z: f64) -> f64 {
        if z > 0.0 {
            z
        } else if self.slope != 0.0 {
            self.slope * z
        } else {
            0.0
        }
    }
    /// `act'(z)` with the configured value at 0.
    #[inline]
    pub fn act_prime(&self, z: f64) -> f64 {
        if z > 0.0 {
            1.0
        } else if z < 0.0 {
            self.slope
        } else {
            self.sigma0
        }
    }

    /// `h(x_k)` for every data point.
    pub fn predict(&self, params: &Params, data: &Dataset) -> Vec<f64> {
        (0..data.n()).map(|k| self.eval(params, data.x(k))).collect()
    }
    /// `h(x)` at one input.
    pub fn eval(&self, params: &Params, x: &[f64]) -> f64 {
        params.a.iter().zip(&params.w).map(|(a, w)| a * self.act(dot(w, x))).sum()
    }
    /// `L(theta) = 1/(2n) sum_k (h(x_k) - y_k)^2` (the paper's loss; a torch MSE is `2L`).
    pub fn loss(&self, params: &Params, data: &Dataset) -> f64 {
        let h = self.predict(params, data);
        h.iter().zip(data.y()).map(|(h, y)| (h - y) * (h - y)).sum::<f64>() / (2.0 * data.n() as f64)
    }
    /// `grad L(theta)`, eq. (3): `dL/da_j = -<D_j, w_j>` (for ReLU) and `dL/dw_j = -a_j D_j` with
    /// `D_j = -(1/n) sum_k act'(<w_j,x_k>) (h(x_k) - y_k) x_k`. Returned in the shape of `Params`.
    pub fn gradient(&self, params: &Params, data: &Dataset) -> Params {
        let n = data.n() as f64;
        let h = self.predict(params, data);
        let r: Vec<f64> = h.iter().zip(data.y()).map(|(h, y)| h - y).collect();
        let mut ga = vec![0.0; params.m()];
        let mut gw = vec![vec![0.0; data.d()]; params.m()];
        for j in 0..params.m() {
            for k in 0..data.n() {
                let z = dot(&params.w[j], data.x(k));
                ga[j] += r[k] * self.act(z) / n;
                let c = params.a[j] * r[k] * self.act_prime(z) / n;
                for (g, x) in gw[j].iter_mut().zip(data.x(k)) {
                    *g += c * x;
                }
            }
        }
        Params { a: ga, w: gw }
    }
}

/// `<a, b>` in index order: [`crate::numerics::dot`], kept under this path for its callers.
pub(crate) use crate::numerics::dot;

pub(crate) fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Activation class of a coordinate `<w_j, x_k>` as the flow integrator tracks it.
///
/// The integrator keeps the class fixed inside a step (so the vector field is smooth there) and
/// changes it only at located events: `Positive -> Zero` when the coordinate reaches 0 from
/// above, `Negative -> Zero` from below, `Zero -> Positive/Negative` when it leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum Class {
    /// `<w_j, x_k> < 0`.
    Negative = 0,
    /// `<w_j, x_k> = 0` (on the boundary, where the flow holds it, Lemma 6).
    Zero = 1,
    /// `<w_j, x_k> > 0`.
    Positive = 2,
}

impl Class {
    /// The class of a value by its sign.
    #[inline]
    pub fn of(z: f64) -> Self {
        if z > 0.0 {
            Class::Positive
        } else if z < 0.0 {
            Class::Negative
        } else {
            Class::Zero
        }
    }
}

/// How the kernel decides `act` and `act'` of each coordinate.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pattern<'a> {
    /// From the sign of `<w_j, x_k>` (gradient descent).
    Sign,
    /// From a fixed class per coordinate (the flow, between events).
    Fixed(&'a [Class]),
}

/// `<a, b>` with four interleaved partial sums `s_i = sum_{l = i mod 4} a_l b_l`, each term
/// added by a fused multiply-add `s_i = fma(a_l, b_l, s_i)` in increasing `l`, combined as
/// `(s_0 + s_1) + (s_2 + s_3)`, then the tail in order, also fused: the order in which the
/// kernel's forward tile computes every `<w_j, x_k>` (its tests compare against this function).
#[cfg(test)]
pub(crate) fn dot4(a: &[f64], b: &[f64]) -> f64 {
    let len = a.len().min(b.len());
    let body = len - len % 4;
    let mut s = [0.0f64; 4];
    for (p, q) in a[..body].chunks_exact(4).zip(b[..body].chunks_exact(4)) {
        for i in 0..4 {
            s[i] = p[i].mul_add(q[i], s[i]);
        }
    }
    let mut t = (s[0] + s[1]) + (s[2] + s[3]);
    for (p, q) in a[body..len].iter().zip(&b[body..len]) {
        t = p.mul_add(*q, t);
    }
    t
}

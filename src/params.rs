//! Network parameters `theta = (a_j, w_j)_{j=1..m}`.
//!
//! Two representations of the same point:
//! - [`Params`]: plain `f64` values, what users read and write (JSON `{"a": [...], "w": [[...], ...]}`).
//! - [`ScaledParams`]: each neuron stored as `2^e_j * (a_hat_j, w_hat_j)` with an integer binary
//!   exponent `e_j`. Equations (2)-(3) are linear in `(a_j, w_j)` once `D_j` is known, and scaling
//!   by a power of two is exact in floating point, so this representation changes no number the
//!   dynamics computes; it only removes underflow, so that `lambda = 1e-300` (and neurons that
//!   shrink far below it) keep full relative precision. The simulators integrate this form.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::numerics::norm_sq;

/// Parameters in plain units: `a` (length m) and `w` (m rows of length d).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Output weights `a_j`.
    pub a: Vec<f64>,
    /// Hidden weights `w_j`, one row per neuron.
    pub w: Vec<Vec<f64>>,
}

impl Params {
    /// Width `m`.
    pub fn m(&self) -> usize {
        self.a.len()
    }
    /// Squared Euclidean norm `|theta|^2 = sum_j a_j^2 + |w_j|^2`.
    pub fn norm_sq(&self) -> f64 {
        norm_sq(&self.a) + self.w.iter().flatten().map(|v| v * v).sum::<f64>()
    }
}

/// Why plain [`Params`] cannot be scaled ([`ScaledParams::try_from_params`]).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ParamsError {
    /// `a` (and `w`) are empty.
    #[error("no neurons (a is empty): give at least one (a_j, w_j)")]
    NoNeurons,
    /// `a` and `w` have different lengths.
    #[error("{a} entries in a but {w} rows in w: give one w row per a entry")]
    Count {
        /// Entries in `a`.
        a: usize,
        /// Rows in `w`.
        w: usize,
    },
    /// The rows of `w` have 0 coordinates.
    #[error("the rows of w have 0 coordinates: each w_j needs the input dimension d >= 1")]
    ZeroDimension,
    /// A row of `w` of another length than `w[0]`.
    #[error("w[{row}] has {len} coordinates but w[0] has {expected}: every w_j needs the same length d")]
    Row {
        /// The row `j`.
        row: usize,
        /// Its length.
        len: usize,
        /// The length of `w[0]`.
        expected: usize,
    },
    /// NaN or infinity: `index` is `(j, None)` for `a_j`, `(j, Some(i))` for `w_j[i]`.
    #[error(
        "{what}[{}{}] = {value} is not finite: give finite parameters",
        index.0,
        index.1.map(|i| format!("][{i}")).unwrap_or_default()
    )]
    NonFinite {
        /// `a` or `w`.
        what: &'static str,
        /// `(j, None)` for `a_j`, `(j, Some(i))` for `w_j[i]`.
        index: (usize, Option<usize>),
        /// The value (NaN or an infinity).
        value: f64,
    },
}

/// Parameters with a per-neuron binary exponent: neuron `j` is `2^exponent[j] * (a_hat[j], w_hat[j])`.
///
/// Storage is contiguous, one block of `d + 1` values per neuron: `theta[j*(d+1)] = a_hat_j`,
/// `theta[j*(d+1)+1 ..= j*(d+1)+d] = w_hat_j`. The integrators advance `theta` directly.
#[derive(Clone, Debug, PartialEq)]
pub struct ScaledParams {
    pub(crate) m: usize,
    pub(crate) d: usize,
    pub(crate) theta: Vec<f64>,
    pub(crate) exponent: Vec<i32>,
}

/// Mantissa norms are kept within `[2^-RENORM, 2^RENORM]`; outside, the neuron is rescaled exactly.
const RENORM: i32 = 64;

impl ScaledParams {
    /// From plain parameters (exact: the exponent is chosen from each neuron's largest entry).
    ///
    /// Non-finite values are kept (a run from them stops at step 0 with
    /// [`SimulationError::NonFinite`](crate::solver::SimulationError::NonFinite)); use
    /// [`ScaledParams::try_from_params`] to reject them, and the shape errors, up front.
    ///
    /// # Panics
    /// If `a` and `w` have different lengths or the rows of `w` different lengths (which would
    /// otherwise shift every later neuron's values into the wrong slots).
    pub fn from_params(p: &Params) -> Self {
        let m = p.a.len();
        let d = p.w.first().map_or(0, |r| r.len());
        assert!(
            p.w.len() == m && p.w.iter().all(|r| r.len() == d),
            "ScaledParams::from_params: {m} entries in a, {} rows in w of lengths {:?} (use try_from_params)",
            p.w.len(),
            p.w.iter().map(Vec::len).collect::<Vec<_>>()
        );
        let mut theta = Vec::with_capacity(m * (d + 1));
        for j in 0..m {
            theta.push(p.a[j]);
            theta.extend_from_slice(&p.w[j]);
        }
        let mut s = Self { m, d, theta, exponent: vec![0; m] };
        for j in 0..m {
            s.renormalize(j);
        }
        s
    }

    /// [`ScaledParams::from_params`] after checking the shape (`m >= 1` neurons, one `w` row per
    /// `a` entry, all rows of the same length `d >= 1`) and that every value is finite.
    ///
    /// ```
    /// use reluflow::params::{Params, ParamsError, ScaledParams};
    /// let p = Params { a: vec![1.0, f64::NAN], w: vec![vec![1.0], vec![2.0]] };
    /// let e = ScaledParams::try_from_params(&p).unwrap_err();
    /// assert!(matches!(e, ParamsError::NonFinite { what: "a", index: (1, None), .. }));
    /// assert_eq!(e.to_string(), "a[1] = NaN is not finite: give finite parameters");
    /// let ragged = Params { a: vec![1.0, 2.0], w: vec![vec![1.0, 0.0], vec![2.0]] };
    /// let e = ScaledParams::try_from_params(&ragged);
    /// assert_eq!(e, Err(ParamsError::Row { row: 1, len: 1, expected: 2 }));
    /// ```
    pub fn try_from_params(p: &Params) -> Result<Self, ParamsError> {
        let m = p.a.len();
        if m == 0 {
            return Err(ParamsError::NoNeurons);
        }
        if p.w.len() != m {
            return Err(ParamsError::Count { a: m, w: p.w.len() });
        }
        let d = p.w[0].len();
        if d == 0 {
            return Err(ParamsError::ZeroDimension);
        }
        if let Some((row, r)) = p.w.iter().enumerate().find(|(_, r)| r.len() != d) {
            return Err(ParamsError::Row { row, len: r.len(), expected: d });
        }
        for j in 0..m {
            if !p.a[j].is_finite() {
                return Err(ParamsError::NonFinite { what: "a", index: (j, None), value: p.a[j] });
            }
            if let Some(i) = p.w[j].iter().position(|v| !v.is_finite()) {
                return Err(ParamsError::NonFinite { what: "w", index: (j, Some(i)), value: p.w[j][i] });
            }
        }
        Ok(Self::from_params(p))
    }

    /// From mantissas and one common exponent (used by initialisations: `w_j = lambda g_j`
    /// with `lambda = 2^e * mu` is stored as `2^e * (mu g_j)`, exactly).
    pub(crate) fn from_parts(d: usize, theta: Vec<f64>, exponent: Vec<i32>) -> Self {
        let m = exponent.len();
        debug_assert_eq!(theta.len(), m * (d + 1));
        let mut s = Self { m, d, theta, exponent };
        for j in 0..m {
            s.renormalize(j);
        }
        s
    }

    /// Width `m`.
    pub fn m(&self) -> usize {
        self.m
    }
    /// Input dimension `d`.
    pub fn d(&self) -> usize {
        self.d
    }
    /// Mantissa of `w_j`.
    pub fn w_hat(&self, j: usize) -> &[f64] {
        let b = j * (self.d + 1);
        &self.theta[b + 1..b + 1 + self.d]
    }
    /// Mantissa of `a_j`.
    pub fn a_hat(&self, j: usize) -> f64 {
        self.theta[j * (self.d + 1)]
    }
    /// The mantissa blocks `[a_hat_j, w_hat_j]`, contiguous.
    pub fn theta_hat(&self) -> &[f64] {
        &self.theta
    }
    /// Binary exponent of neuron `j`.
    pub fn exponent(&self, j: usize) -> i32 {
        self.exponent[j]
    }
    /// `2^e_j` as an `f64` (0 when it underflows: the neuron is then below what `f64` can show).
    pub fn scale(&self, j: usize) -> f64 {
        ldexp(1.0, self.exponent[j])
    }
    /// `a_j` in plain units (may underflow to 0 for neurons below ~1e-308).
    pub fn a(&self, j: usize) -> f64 {
        ldexp(self.a_hat(j), self.exponent[j])
    }
    /// `w_j` in plain units (may underflow).
    pub fn w(&self, j: usize) -> Vec<f64> {
        self.w_hat(j).iter().map(|&v| ldexp(v, self.exponent[j])).collect()
    }
    /// `ln |w_j|`, exact at every scale (`-inf` only if `w_j` is exactly zero).
    pub fn ln_norm_w(&self, j: usize) -> f64 {
        norm(self.w_hat(j)).ln() + self.exponent[j] as f64 * std::f64::consts::LN_2
    }
    /// `ln |a_j|`.
    pub fn ln_abs_a(&self, j: usize) -> f64 {
        self.a_hat(j).abs().ln() + self.exponent[j] as f64 * std::f64::consts::LN_2
    }
    /// `|w_j|` in plain units (may underflow).
    pub fn norm_w(&self, j: usize) -> f64 {
        ldexp(norm(self.w_hat(j)), self.exponent[j])
    }
    /// `(a_j^2 - |w_j|^2) / (a_j^2 + |w_j|^2)`: balancedness relative to the neuron's size,
    /// meaningful at every scale (0 for a balanced neuron, Lemma 1).
    pub fn relative_imbalance(&self, j: usize) -> f64 {
        let a2 = self.a_hat(j) * self.a_hat(j);
        let w2 = norm_sq(self.w_hat(j));
        if a2 + w2 == 0.0 { 0.0 } else { (a2 - w2) / (a2 + w2) }
    }
    /// `a_j^2 - |w_j|^2` in plain units (Lemma 1; underflows to 0 below ~1e-154).
    pub fn imbalance(&self, j: usize) -> f64 {
        let a2 = self.a_hat(j) * self.a_hat(j);
        let w2 = norm_sq(self.w_hat(j));
        ldexp(a2 - w2, 2 * self.exponent[j])
    }
    /// Squared norm `|theta|^2` in plain units.
    pub fn norm_sq(&self) -> f64 {
        (0..self.m).map(|j| ldexp(self.a_hat(j) * self.a_hat(j) + norm_sq(self.w_hat(j)), 2 * self.exponent[j])).sum()
    }
    /// Plain parameters (values below the `f64` range underflow to 0).
    pub fn to_params(&self) -> Params {
        Params { a: (0..self.m).map(|j| self.a(j)).collect(), w: (0..self.m).map(|j| self.w(j)).collect() }
    }

    /// Rescales neuron `j` by an exact power of two if its mantissa left `[2^-64, 2^64]`.
    /// Returns whether anything changed.
    pub(crate) fn renormalize(&mut self, j: usize) -> bool {
        let block = &mut self.theta[j * (self.d + 1)..(j + 1) * (self.d + 1)];
        let big = block.iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
        if big == 0.0 || !big.is_finite() {
            return false;
        }
        let e = exponent_of(big);
        if (-RENORM..=RENORM).contains(&e) {
            return false;
        }
        for v in block.iter_mut() {
            *v = ldexp(*v, -e);
        }
        self.exponent[j] += e;
        true
    }
}

// [`crate::numerics::norm`] (no overflow or underflow for mantissas in the normal range), also
// under this path for src/claims/early.rs.
pub(crate) use crate::numerics::norm;

/// `x * 2^e`, exact unless the result leaves the `f64` range (then it rounds to 0 or infinity).
pub fn ldexp(x: f64, e: i32) -> f64 {
    // Split the exponent so that each factor 2^k is a normal f64.
    let mut x = x;
    let mut e = e;
    while e > 1000 {
        x *= f64::from_bits(((1023 + 1000) as u64) << 52);
        e -= 1000;
    }
    while e < -1000 {
        x *= f64::from_bits(((1023 - 1000) as u64) << 52);
        e += 1000;
        if x == 0.0 {
            return x;
        }
    }
    x * f64::from_bits(((1023 + e) as u64) << 52)
}

/// The binary exponent `e` with `2^e <= |x| < 2^(e+1)` for a normal non-zero `x`.
pub(crate) fn exponent_of(x: f64) -> i32 {
    let bits = x.abs().to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // subnormal: normalise first
        exponent_of(x * f64::from_bits(((1023 + 64) as u64) << 52)) - 64
    } else {
        biased - 1023
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldexp_is_exact_and_handles_extremes() {
        assert_eq!(ldexp(1.5, 3), 12.0);
        assert_eq!(ldexp(1.0, -1074), f64::from_bits(1));
        assert_eq!(ldexp(1.0, -1080), 0.0);
        assert_eq!(ldexp(3.0, -2000 + 2000), 3.0);
        assert_eq!(exponent_of(1e-300), -997);
        assert_eq!(exponent_of(f64::from_bits(1)), -1074);
    }

    #[test]
    fn scaled_round_trip_is_exact() {
        let p = Params { a: vec![1e-300, -2.0], w: vec![vec![3e-300, -4e-300], vec![0.5, 0.25]] };
        let s = ScaledParams::from_params(&p);
        assert_eq!(s.to_params(), p);
        assert!((s.ln_norm_w(0) - (5e-300f64).ln()).abs() < 1e-12);
    }
}

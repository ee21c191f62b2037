//! Datasets: inputs `x_1..x_n` in R^d and labels `y_1..y_n` (Section 2 of the paper).
//!
//! A [`Dataset`] holds any finite inputs and labels; whether they satisfy the paper's
//! Assumptions 1 (orthonormal inputs) and 2 (non-zero labels, `|D+| != |D-|`) is reported,
//! with numbers, by [`Dataset::assumptions`], never silently assumed.
//!
//! - [`generate`]: random orthonormal inputs (Haar), labels satisfying Assumption 2, the Section 5 toy.
//! - [`io`]: JSON (`{"x": [[...], ...], "y": [...]}`) and CSV (one row per point, last column `y`).
//! - [`errors`]: the typed errors of this area.

pub mod errors;
pub mod generate;
pub mod io;
mod report;

pub use errors::DataError;
pub use report::{AssumptionReport, LABEL_BALANCE_TOL, ORTHONORMAL_TOL};

use serde::{Deserialize, Serialize};

/// `n` input points in `R^d` (row-major, contiguous) and their labels.
///
/// Invariants checked by [`Dataset::new`]: `n >= 1`, `d >= 1`, every row has length `d`,
/// every value is finite. Nothing else (orthogonality, label signs) is imposed: those are
/// the paper's assumptions and are reported by [`Dataset::assumptions`].
///
/// ```
/// use reluflow::data::Dataset;
/// let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![1.0, -0.5]).unwrap();
/// assert_eq!((data.n(), data.d()), (2, 2));
/// assert_eq!(data.x(1), &[0.0, 1.0]);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "io::DatasetFile", into = "io::DatasetFile")]
pub struct Dataset {
    n: usize,
    d: usize,
    /// Row-major `n x d`.
    x: Vec<f64>,
    y: Vec<f64>,
}

impl Dataset {
    /// Builds a dataset from rows `x[k]` and labels `y[k]`, validating shapes and finiteness.
    pub fn new(x: Vec<Vec<f64>>, y: Vec<f64>) -> Result<Self, DataError> {
        let n = x.len();
        if n == 0 {
            return Err(DataError::Empty);
        }
        if y.len() != n {
            return Err(DataError::LabelCount { points: n, labels: y.len() });
        }
        let d = x[0].len();
        if d == 0 {
            return Err(DataError::ZeroDimension);
        }
        let mut flat = Vec::with_capacity(n * d);
        for (k, row) in x.iter().enumerate() {
            if row.len() != d {
                return Err(DataError::Ragged { row: k, len: row.len(), expected: d });
            }
            for (i, &v) in row.iter().enumerate() {
                if !v.is_finite() {
                    return Err(DataError::NonFinite { what: "x", row: k, col: Some(i), value: v });
                }
            }
            flat.extend_from_slice(row);
        }
        for (k, &v) in y.iter().enumerate() {
            if !v.is_finite() {
                return Err(DataError::NonFinite { what: "y", row: k, col: None, value: v });
            }
        }
        Ok(Self { n, d, x: flat, y })
    }

    /// Builds a dataset from a row-major `n x d` buffer.
    ///
    /// Errors as [`Dataset::new`], and [`DataError::FlatLength`] when `x` does not hold exactly
    /// `n * d` values (including when `n * d` overflows `usize`).
    pub fn from_flat(n: usize, d: usize, x: Vec<f64>, y: Vec<f64>) -> Result<Self, DataError> {
        if n == 0 {
            return Err(DataError::Empty);
        }
        if d == 0 {
            return Err(DataError::ZeroDimension);
        }
        if n.checked_mul(d) != Some(x.len()) {
            return Err(DataError::FlatLength { n, d, len: x.len() });
        }
        let rows = x.chunks(d).map(|r| r.to_vec()).collect();
        Self::new(rows, y)
    }

    /// Number of points `n`.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Input dimension `d`.
    pub fn d(&self) -> usize {
        self.d
    }
    /// The input `x_k` (length `d`).
    pub fn x(&self, k: usize) -> &[f64] {
        &self.x[k * self.d..(k + 1) * self.d]
    }
    /// All inputs, row-major `n x d`.
    pub fn x_flat(&self) -> &[f64] {
        &self.x
    }
    /// The labels.
    pub fn y(&self) -> &[f64] {
        &self.y
    }
    /// Inputs as rows.
    pub fn rows(&self) -> Vec<Vec<f64>> {
        self.x.chunks(self.d).map(|r| r.to_vec()).collect()
    }
    /// The same inputs with every label negated: the paper's w.l.o.g. flip that makes `r > 1`
    /// (Section 4.1). See [`crate::theory::needs_label_flip`].
    pub fn with_flipped_labels(&self) -> Self {
        Self { y: self.y.iter().map(|v| -v).collect(), ..self.clone() }
    }
    /// The same inputs with other labels (validated like [`Dataset::new`]).
    pub fn with_labels(&self, y: Vec<f64>) -> Result<Self, DataError> {
        Self::from_flat(self.n, self.d, self.x.clone(), y)
    }
    /// Reports, with numbers, whether Assumptions 1 and 2 hold.
    pub fn assumptions(&self) -> AssumptionReport {
        AssumptionReport::of(self)
    }
}

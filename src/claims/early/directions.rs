//! Directions and angles in scale-free form, shared by the early-phase judges.

use crate::data::Dataset;
use crate::numerics::{dot, norm, unit};
use crate::params::ScaledParams;

/// `v / |v|`; a zero vector has no direction: all `NaN`, which fails every bound it meets.
pub(super) fn direction(v: &[f64]) -> Vec<f64> {
    unit(v).unwrap_or_else(|| vec![f64::NAN; v.len()])
}

/// `1 - cos(u, v)` for unit vectors, computed as `|u - v|^2 / 2` (no cancellation: exact to
/// rounding of the components even when it is far below `f64::EPSILON`).
pub(super) fn one_minus_cos(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / 2.0
}

/// `<w_j, x_k> / (|w_j| |x_k|)`, scale-free.
pub(super) fn cosine_to_input(p: &ScaledParams, j: usize, data: &Dataset, k: usize) -> f64 {
    let w = p.w_hat(j);
    dot(w, data.x(k)) / (norm(w) * norm(data.x(k)))
}

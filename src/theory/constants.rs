//! Key vectors and constants (Section 2, Section 4.1, Appendix B.1-B.2): `D+`, `D-`, `r`,
//! `n+`, `n-`, the constants `alpha`, `beta` of Appendix B.2 and the largest admissible `eps`.

use crate::data::Dataset;
use crate::numerics::{norm_sq, stable_norm};

/// `(1/n) sum_{k in side} y_k x_k` (`+-inf` in a coordinate only when its true value is beyond the
/// `f64` range, never NaN).
fn signed_mean(data: &Dataset, keep: impl Fn(f64) -> bool) -> Vec<f64> {
    let n = data.n() as f64;
    let mut out = vec![0.0; data.d()];
    for (k, &y) in data.y().iter().enumerate() {
        if keep(y) {
            for (o, xi) in out.iter_mut().zip(data.x(k)) {
                *o += y * xi;
            }
        }
    }
    out.iter_mut().for_each(|o| *o /= n);
    if out.iter().all(|o| o.is_finite()) {
        return out;
    }
    // y_k x_k overflowed (inf, or inf - inf = NaN): sum (y_k / y_max)(x_k / x_max) / n and scale back,
    // so that a representable result is exact to rounding and an unrepresentable one is +-inf, never NaN
    let y_max = data.y().iter().filter(|&&y| keep(y)).fold(0.0f64, |m, y| m.max(y.abs()));
    let x_max = data.x_flat().iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let mut out = vec![0.0; data.d()];
    for (k, &y) in data.y().iter().enumerate() {
        if keep(y) {
            for (o, xi) in out.iter_mut().zip(data.x(k)) {
                *o += (y / y_max) * (xi / x_max) / n;
            }
        }
    }
    out.iter_mut().for_each(|o| *o = *o * y_max * x_max);
    out
}

/// `D+ = (1/n) sum_{k : y_k > 0} y_k x_k` (Section 4.1, Appendix B.1).
///
/// Defined for any dataset (the zero vector when there is no positive label). With orthonormal
/// inputs (Assumption 1), `|D+| = sqrt(sum_{y_k>0} y_k^2) / n`.
///
/// ```
/// use reluflow::{Dataset, theory::d_plus};
/// let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![2.0, -1.0]).unwrap();
/// assert_eq!(d_plus(&data), vec![1.0, 0.0]);
/// ```
pub fn d_plus(data: &Dataset) -> Vec<f64> {
    signed_mean(data, |y| y > 0.0)
}

/// `D- = (1/n) sum_{k : y_k < 0} y_k x_k` (Section 4.1, Appendix B.1). Note the sign: `D-` points
/// *away* from the negative-label inputs; the `s_j = -1` neurons align with `-D-`.
///
/// ```
/// use reluflow::{Dataset, theory::d_minus};
/// let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![2.0, -1.0]).unwrap();
/// assert_eq!(d_minus(&data), vec![0.0, -0.5]);
/// ```
pub fn d_minus(data: &Dataset) -> Vec<f64> {
    signed_mean(data, |y| y < 0.0)
}

/// `|D+|` (see [`d_plus`]).
pub fn d_plus_norm(data: &Dataset) -> f64 {
    stable_norm(&d_plus(data))
}

/// `|D-|` (see [`d_minus`]).
pub fn d_minus_norm(data: &Dataset) -> f64 {
    stable_norm(&d_minus(data))
}

/// `r = |D+| / |D-|` (Section 4.1, Appendix B.2).
///
/// IEEE division: `+inf` when there is no negative label (and some positive one), `NaN` when
/// `D+ = D- = 0`. The paper assumes `r > 1` w.l.o.g.; see [`needs_label_flip`].
///
/// ```
/// use reluflow::{Dataset, theory::r};
/// let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![2.0, -1.0]).unwrap();
/// assert_eq!(r(&data), 2.0);
/// ```
pub fn r(data: &Dataset) -> f64 {
    d_plus_norm(data) / d_minus_norm(data)
}

/// Whether the dataset must have all its label signs swapped to satisfy the paper's w.l.o.g.
/// `r = |D+|/|D-| > 1` (Section 4.1, Appendix B.2): `true` iff `r < 1`.
///
/// `false` when `r >= 1`, including `r = 1` (Assumption 2 fails then and no flip helps) and the
/// degenerate all-zero-label case (`r = NaN`). Use [`Dataset::with_flipped_labels`] to flip.
///
/// ```
/// use reluflow::{Dataset, theory::needs_label_flip};
/// let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![1.0, -3.0]).unwrap();
/// assert!(needs_label_flip(&data));
/// assert!(!needs_label_flip(&data.with_flipped_labels()));
/// ```
pub fn needs_label_flip(data: &Dataset) -> bool {
    r(data) < 1.0
}

/// Number of positive labels `n+` (Section 3.2, claim A3).
pub fn n_plus(data: &Dataset) -> usize {
    data.y().iter().filter(|&&y| y > 0.0).count()
}

/// Number of negative labels `n-` (Section 3.2, claim A3).
pub fn n_minus(data: &Dataset) -> usize {
    data.y().iter().filter(|&&y| y < 0.0).count()
}

/// `min_{k} q_k^2 / (2 sum_k q_k^2)` over the labels `q` selected by `keep`; `None` if none is.
fn min_share(data: &Dataset, keep: impl Fn(f64) -> bool) -> Option<f64> {
    let ys: Vec<f64> = data.y().iter().copied().filter(|&y| keep(y)).collect();
    if ys.is_empty() {
        return None;
    }
    let sum = norm_sq(&ys);
    let min = ys.iter().map(|y| y * y).fold(f64::INFINITY, f64::min);
    let share = min / (2.0 * sum);
    if share > 0.0 && share.is_finite() && sum.is_normal() && min.is_normal() {
        return Some(share);
    }
    // y^2 overflowed or underflowed (|y| beyond ~1e154 or below ~1e-154): scale by max |y| first
    let big = ys.iter().fold(0.0f64, |acc, y| acc.max(y.abs()));
    let sum: f64 = ys.iter().map(|y| (y / big) * (y / big)).sum();
    let min = ys.iter().map(|y| (y / big) * (y / big)).fold(f64::INFINITY, f64::min);
    Some(min / (2.0 * sum))
}

/// `alpha = min_{y_k>0} y_k^2 / (2 sum_{y_l>0} y_l^2)` (Appendix B.2, **as corrected in
/// `CLAIMS.md`**); `None` without positive labels.
///
/// The paper prints `alpha = min y_k^2 / (2|D+|^2)`, which is `n^2` times this value for
/// orthonormal inputs (`|D+|^2 = sum_{y>0} y^2 / n^2`) and can exceed 1, making `1 - alpha`
/// negative (see [`alpha_as_printed`]). The proof of Lemma 10 needs
/// `sqrt(sum_{y>0} y^2 - y_k^2)/n <= (1-alpha)|D+|`, which holds with the corrected value, always
/// in `(0, 1/2]`. Depends on the labels only.
///
/// ```
/// use reluflow::{Dataset, theory::alpha};
/// let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![1.0, 2.0]).unwrap();
/// assert_eq!(alpha(&data), Some(1.0 / 10.0)); // 1 / (2 * (1 + 4))
/// ```
pub fn alpha(data: &Dataset) -> Option<f64> {
    min_share(data, |y| y > 0.0)
}

/// `beta = min_{y_k<0} y_k^2 / (2 sum_{y_l<0} y_l^2)` (Appendix B.2, corrected like [`alpha`]);
/// `None` without negative labels. Always in `(0, 1/2]`.
pub fn beta(data: &Dataset) -> Option<f64> {
    min_share(data, |y| y < 0.0)
}

/// The paper's printed `alpha = min_{y_k>0} y_k^2 / (2 |D+|^2)` (Appendix B.2), kept only to
/// document the misprint (`n^2` times [`alpha`] for orthonormal inputs; it can exceed 1).
/// Do not use it for `eps`; `None` without positive labels.
pub fn alpha_as_printed(data: &Dataset) -> Option<f64> {
    let min = data.y().iter().filter(|&&y| y > 0.0).map(|y| y * y).reduce(f64::min)?;
    let dp = d_plus_norm(data);
    Some(min / (2.0 * dp * dp))
}

/// The paper's printed `beta = min_{y_k<0} y_k^2 / (2 |D-|^2)` (Appendix B.2); see
/// [`alpha_as_printed`].
pub fn beta_as_printed(data: &Dataset) -> Option<f64> {
    let min = data.y().iter().filter(|&&y| y < 0.0).map(|y| y * y).reduce(f64::min)?;
    let dm = d_minus_norm(data);
    Some(min / (2.0 * dm * dm))
}

/// `(alpha, beta, r)` when the Appendix B.2 setting makes sense (both signs present, `r > 1`).
fn b2_constants(data: &Dataset) -> Option<(f64, f64, f64)> {
    let (a, b, r) = (alpha(data)?, beta(data)?, r(data));
    (r.is_finite() && r > 1.0).then_some((a, b, r))
}

/// The slacks of the two conditions on `eps` of Appendix B.2:
/// `[(1 - eps) - (1 + 3 eps) max(1 - alpha, |D-|/|D+|), (1 - eps) - (1 + 3 r eps)(1 - beta)]`,
/// with the corrected `alpha`, `beta` ([`alpha`], [`beta`]). `eps` is admissible iff both are
/// `>= 0`.
///
/// `None` under the same conditions as [`epsilon_max`] (missing label sign, or `r <= 1`).
pub fn b2_slacks(data: &Dataset, eps: f64) -> Option<[f64; 2]> {
    let (a, b, r) = b2_constants(data)?;
    let big_m = (1.0 - a).max(1.0 / r);
    // `3 r eps` as `3 (r eps)` when `3 r` alone overflows (r near the top of the f64 range)
    let r_eps = if (3.0 * r).is_finite() { 3.0 * r * eps } else { 3.0 * (r * eps) };
    Some([(1.0 - eps) - (1.0 + 3.0 * eps) * big_m, (1.0 - eps) - (1.0 + r_eps) * (1.0 - b)])
}

/// The largest `eps` allowed by Appendix B.2:
/// `min((1 - M)/(1 + 3M), beta / (1 + 3 r (1 - beta)))` with `M = max(1 - alpha, 1/r)`.
///
/// Derivation: `(1 + 3 eps) M <= 1 - eps` iff `eps (1 + 3M) <= 1 - M`, and
/// `(1 + 3 r eps)(1 - beta) <= 1 - eps` iff `eps (1 + 3 r (1 - beta)) <= beta`. Uses the
/// corrected [`alpha`] and [`beta`]. Both bounds are positive when `r > 1`, so the result lies in
/// `(0, 1)`; every `0 < eps <= epsilon_max` is admissible (both conditions are linear in `eps`).
///
/// Requirements / `None`: labels of both signs must be present (otherwise `alpha`, `beta` or `r`
/// is undefined) and `r > 1` (Section 4.1's w.l.o.g.; flip the labels first if
/// [`needs_label_flip`]; with `r = 1`, Assumption 2 fails and no `eps > 0` is admissible).
/// The statements using `eps` further assume orthonormal inputs (Assumption 1).
///
/// ```
/// use reluflow::{Dataset, theory::{epsilon_max, b2_slacks}};
/// let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![2.0, -1.0]).unwrap();
/// let eps = epsilon_max(&data).unwrap(); // alpha = beta = 1/2, r = 2: min(1/5, 1/8)
/// assert!((eps - 0.125).abs() < 1e-15);
/// assert!(b2_slacks(&data, eps).unwrap().iter().all(|s| *s >= -1e-15));
/// ```
pub fn epsilon_max(data: &Dataset) -> Option<f64> {
    let (a, b, r) = b2_constants(data)?;
    let big_m = (1.0 - a).max(1.0 / r);
    let denominator = 1.0 + 3.0 * r * (1.0 - b);
    // for r near the top of the f64 range, divide through by r instead of overflowing to eps = 0
    let second = if denominator.is_finite() { b / denominator } else { (b / r) / (1.0 / r + 3.0 * (1.0 - b)) };
    Some(((1.0 - big_m) / (1.0 + 3.0 * big_m)).min(second))
}

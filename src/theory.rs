//! Closed forms of the paper: key vectors, constants, the minimum-norm interpolator, phase times
//! and the explicit bounds of the lemmas.
//!
//! Everything here is a pure function of a [`Dataset`] (and of `lambda`, `eps`, ... where a
//! lemma needs them); nothing simulates. Claim checks compare simulations against these numbers.
//!
//! Notation (Section 2, Section 4.1, Appendix B.1 of the paper; see `CLAIMS.md`):
//! - `D+ = (1/n) sum_{y_k>0} y_k x_k`, `D- = (1/n) sum_{y_k<0} y_k x_k` ([`d_plus`], [`d_minus`]),
//!   `r = |D+| / |D-|` ([`r`]); the paper assumes `r > 1` w.l.o.g. ([`needs_label_flip`]).
//! - `alpha`, `beta` of Appendix B.2, **as corrected in `CLAIMS.md`** ([`alpha`], [`beta`]), and the
//!   largest admissible `eps` ([`epsilon_max`]).
//! - Proposition 1: the minimum norm of an interpolator ([`min_norm_sq`]) and a minimiser
//!   ([`theta_star`], [`theta_star_width_two`]).
//! - Fact 1: the loss on the intermediate saddle ([`plateau_loss`]).
//! - Figure 1 / Section 4.2: the phase times ([`phase_times`], [`phase_times_ln`]).
//! - Section 2.2 / 3.2: the probabilities behind Assumption 3 ([`prob_in_s_plus_1`],
//!   [`prob_in_s_minus_1`], [`prob_assumption_3`]).
//! - Lemmas 3, 4, 7, 8, 9, 12 and Fact 1: the explicit bounds, each also in log space (`ln_*`, or
//!   `*_ln` for a function of `ln(lambda)` whose value cannot underflow), because the bounds only
//!   bite for tiny `lambda` (down to `1e-300`, where `lambda^(1+eps)` underflows).
//!
//! Conventions: `ln_lambda` always means `ln(lambda)` (a negative number for `0 < lambda < 1`);
//! `c = max_j |g_j|` and `c_min = min_j |g_j|` are the extreme initial directions' norms
//! (`w_j(0) = lambda g_j`, equation (4)).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::data::Dataset;
// the scaled norm: closed forms of tiny lambda and raw inputs reach far outside 1e+-154
use crate::numerics::{dot, norm_sq, stable_norm};
use crate::params::Params;

/// Relative tolerance of the orthogonality test used by [`min_norm_sq`], [`theta_star`] and
/// [`check_orthogonal`]: inputs `x_k`, `x_l` (`k != l`) count as orthogonal when
/// `|<x_k, x_l>| <= ORTHOGONALITY_TOLERANCE * |x_k| |x_l|`, i.e. `|cos(x_k, x_l)| <= 1e-10`.
///
/// It is the one tolerance of the crate for orthogonality, [`crate::data::ORTHONORMAL_TOL`], under
/// this module's name: the closed forms accept exactly the inputs that
/// [`AssumptionReport::orthogonal`](crate::data::AssumptionReport) calls orthogonal.
/// `1e-10` is far above the rounding error of inputs produced by an orthonormalisation in `f64`
/// (about `1e-15`) and far below any deliberate non-orthogonality (Section 3.2's "nearly
/// orthogonal" data with `delta` of order `lambda` is *not* orthogonal for this test unless
/// `lambda <= 1e-10`).
pub use crate::data::ORTHONORMAL_TOL as ORTHOGONALITY_TOLERANCE;

/// Which side of the labels a quantity refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabelSign {
    /// `y_k > 0` (the `s_j = +1` neurons, `D+`, `S+,1`).
    Positive,
    /// `y_k < 0` (the `s_j = -1` neurons, `D-`, `S-,1`).
    Negative,
}

impl std::fmt::Display for LabelSign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LabelSign::Positive => "positive",
            LabelSign::Negative => "negative",
        })
    }
}

/// Why a closed form could not be evaluated. Each message names the problem and the fix.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TheoryError {
    /// Two inputs are not orthogonal (Assumption 1 / Proposition 1 need orthogonal inputs).
    #[error(
        "inputs x_{k} and x_{l} are not orthogonal (|cos| = {cosine:e} > {}): the closed form of \
         Proposition 1 needs orthogonal inputs (Assumption 1); use orthogonal inputs, e.g. an \
         orthonormal basis",
        ORTHOGONALITY_TOLERANCE
    )]
    NotOrthogonal {
        /// First input index.
        k: usize,
        /// Second input index.
        l: usize,
        /// `|<x_k, x_l>| / (|x_k| |x_l|)`.
        cosine: f64,
    },
    /// An input is the zero vector but its label is not zero: no network `sum_j a_j relu(<w_j, x>)`
    /// can fit it.
    #[error(
        "x_{k} = 0 but y_{k} = {y}: every ReLU network without bias outputs 0 at the origin, so no \
         interpolator exists; remove that point or give it the label 0"
    )]
    ZeroInputWithLabel {
        /// Index of the point.
        k: usize,
        /// Its label.
        y: f64,
    },
    /// The dataset has no label of the given sign, but the computation needs one.
    #[error(
        "the dataset has no {sign} labels: {what}; give labels of both signs (for theta_star: pass \
         empty shares for the {sign} side)"
    )]
    NoLabelsOfSign {
        /// The missing sign.
        sign: LabelSign,
        /// What needed it.
        what: &'static str,
    },
    /// The dataset has labels of a sign but no neuron was given a share of that side.
    #[error(
        "the dataset has {sign} labels but no neuron was given a share of the {sign} side: pass at \
         least one (neuron index, share) pair for it"
    )]
    NoShares {
        /// The side without shares.
        sign: LabelSign,
    },
    /// A share is negative, NaN or infinite.
    #[error(
        "share {share} of neuron {index} ({sign} side) is not a finite non-negative number: shares \
         are relative weights of sum_j |w_j|^2, give values >= 0"
    )]
    InvalidShare {
        /// Side of the share.
        sign: LabelSign,
        /// Neuron index.
        index: usize,
        /// The offending value.
        share: f64,
    },
    /// All shares of a side are zero.
    #[error(
        "the shares of the {sign} side sum to 0: at least one must be positive so that the {sign} \
         labels are fitted"
    )]
    ZeroShares {
        /// The side.
        sign: LabelSign,
    },
    /// A neuron index is not below the width.
    #[error("neuron index {index} is out of range for width m = {m}: use indices 0..{m} or raise m")]
    IndexOutOfRange {
        /// The index.
        index: usize,
        /// The width.
        m: usize,
    },
    /// A neuron index appears twice on the same side.
    #[error(
        "neuron {index} appears twice in the {sign} shares: give each neuron at most once (add the \
         shares up yourself)"
    )]
    RepeatedIndex {
        /// Side.
        sign: LabelSign,
        /// The index.
        index: usize,
    },
    /// A neuron index appears on both sides.
    #[error(
        "neuron {index} is given both a positive and a negative share: a neuron has one sign s_j \
         (a_j = s_j |w_j|), give it to one side only"
    )]
    IndexOnBothSides {
        /// The index.
        index: usize,
    },
    /// `lambda` outside `(0, 1)`.
    #[error(
        "lambda = {lambda} is not in (0, 1): the initialisation scale must be a small positive \
         number (use phase_times_ln with ln(lambda) for scales below the f64 range)"
    )]
    InvalidLambda {
        /// The value.
        lambda: f64,
    },
    /// `ln(lambda)` not finite and negative.
    #[error("ln(lambda) = {ln_lambda} is not a finite negative number: lambda must be in (0, 1)")]
    InvalidLnLambda {
        /// The value.
        ln_lambda: f64,
    },
    /// `eps` outside `(0, 1)`.
    #[error("eps = {eps} is not in (0, 1): take 0 < eps <= epsilon_max(data) (Appendix B.2)")]
    InvalidEpsilon {
        /// The value.
        eps: f64,
    },
    /// A quantity the closed form divides by or returns is 0, infinite or NaN in `f64`: inputs or
    /// labels near the ends of the `f64` range, or inputs of one sign that are all zero.
    #[error(
        "{what} = {value:e} is not a finite positive number in f64: the data are too extreme for the \
         closed form (inputs or labels near 1e-308 or 1e308, or zero inputs for all labels of one \
         sign); rescale the inputs and labels"
    )]
    NotRepresentable {
        /// The quantity (`"|D+|"`, `"t3_bound"`, ...).
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// `r <= 1` while the paper's statements assume `r > 1`.
    #[error(
        "r = |D+|/|D-| = {r} is not > 1: the paper assumes r > 1 w.l.o.g. (Section 4.1); if r < 1 \
         use Dataset::with_flipped_labels(), if r = 1 Assumption 2 fails and the phases coincide"
    )]
    RatioNotAboveOne {
        /// The ratio.
        r: f64,
    },
}

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

// ---------------------------------------------------------------------------------------------
// Key vectors and constants (Section 2, Section 4.1, Appendix B.1-B.2)
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Proposition 1: minimum-norm interpolators
// ---------------------------------------------------------------------------------------------

/// `Ok(())` iff the inputs are pairwise orthogonal up to [`ORTHOGONALITY_TOLERANCE`]
/// (`|<x_k, x_l>| <= tol |x_k| |x_l|` for `k != l`; zero inputs are orthogonal to everything).
/// The error names the first offending pair.
pub fn check_orthogonal(data: &Dataset) -> Result<(), TheoryError> {
    let norms: Vec<f64> = (0..data.n()).map(|k| stable_norm(data.x(k))).collect();
    for k in 0..data.n() {
        for l in k + 1..data.n() {
            let ip = dot(data.x(k), data.x(l)).abs();
            let scale = norms[k] * norms[l];
            // Where the products leave the f64 range (`inf > tol * inf` and `0 > tol * 0` are both
            // false), compare the unit vectors instead.
            let cosine = if ip.is_finite() && scale.is_finite() && scale >= 1e-280 {
                if ip <= ORTHOGONALITY_TOLERANCE * scale {
                    continue;
                }
                ip / scale
            } else if norms[k] == 0.0 || norms[l] == 0.0 {
                continue;
            } else {
                let unit = |k: usize| -> Vec<f64> { data.x(k).iter().map(|v| v / norms[k]).collect() };
                let c = dot(&unit(k), &unit(l)).abs();
                if c <= ORTHOGONALITY_TOLERANCE {
                    continue;
                }
                c
            };
            return Err(TheoryError::NotOrthogonal { k, l, cosine });
        }
    }
    Ok(())
}

/// `sum_{k : y_k has sign} y_k x_k / |x_k|^2` for orthogonal inputs (checked).
fn side_vector(data: &Dataset, keep: impl Fn(f64) -> bool) -> Result<Vec<f64>, TheoryError> {
    check_orthogonal(data)?;
    let mut out = vec![0.0; data.d()];
    for (k, &y) in data.y().iter().enumerate() {
        if !keep(y) {
            continue;
        }
        let x = data.x(k);
        let nx = stable_norm(x);
        if nx == 0.0 {
            return Err(TheoryError::ZeroInputWithLabel { k, y });
        }
        // y x / |x|^2, computed as (y/|x|) (x/|x|) to stay in range.
        let coef = y / nx;
        for (o, xi) in out.iter_mut().zip(x) {
            *o += coef * (xi / nx);
        }
    }
    Ok(out)
}

/// `v+ = sum_{y_k>0} y_k x_k / |x_k|^2`: the direction of every `s_j = +1` neuron of a
/// minimum-norm interpolator (Proposition 1, extended to orthogonal inputs; see [`min_norm_sq`]).
/// For orthonormal inputs `v+ = n D+`.
///
/// Requirements: orthogonal inputs ([`check_orthogonal`]); no zero input with a positive label.
/// It satisfies `<v+, x_k> = y_k` for `y_k > 0` and `<v+, x_k> = 0` otherwise.
pub fn v_plus(data: &Dataset) -> Result<Vec<f64>, TheoryError> {
    side_vector(data, |y| y > 0.0)
}

/// `v- = -sum_{y_k<0} y_k x_k / |x_k|^2 = sum_{y_k<0} |y_k| x_k / |x_k|^2`: the direction of every
/// `s_j = -1` neuron of a minimum-norm interpolator (Proposition 1). For orthonormal inputs
/// `v- = -n D-`. It satisfies `<v-, x_k> = -y_k > 0` for `y_k < 0`, `0` otherwise.
///
/// Requirements as [`v_plus`].
pub fn v_minus(data: &Dataset) -> Result<Vec<f64>, TheoryError> {
    let mut v = side_vector(data, |y| y < 0.0)?;
    v.iter_mut().for_each(|x| *x = -*x);
    Ok(v)
}

/// `min_{theta : L(theta) = 0} |theta|^2` (Proposition 1, Appendix C), for orthogonal inputs that
/// need not be unit-norm:
///
/// `2 |sum_{y_k>0} y_k x_k / |x_k|^2| + 2 |sum_{y_k<0} y_k x_k / |x_k|^2|
///  = 2 sqrt(sum_{y_k>0} y_k^2 / |x_k|^2) + 2 sqrt(sum_{y_k<0} y_k^2 / |x_k|^2)`,
///
/// which for orthonormal inputs is Proposition 1's `2n(|D+| + |D-|) = 2 sqrt(sum_{y>0} y^2) +
/// 2 sqrt(sum_{y<0} y^2)`.
///
/// Derivation for non-unit-norm inputs: write `x_k = |x_k| u_k` with `u_k` orthonormal. Since ReLU
/// is positively homogeneous, `h(x_k) = |x_k| h(u_k)`, so `theta` interpolates `(x_k, y_k)` iff it
/// interpolates `(u_k, y_k / |x_k|)` on orthonormal inputs, where Proposition 1 applies with labels
/// `y_k / |x_k|`: the minimum is `2 sqrt(sum_{y>0} y_k^2/|x_k|^2) + 2 sqrt(sum_{y<0} y_k^2/|x_k|^2)`,
/// and the `s_j = +1` neurons of a minimiser point along `sum_{y>0} (y_k/|x_k|) u_k =
/// sum_{y>0} y_k x_k / |x_k|^2 =: v+` ([`v_plus`]). Directly: the interpolator needs
/// `a_j = |w_j|`, `w_j = t_j v+/|v+|` and, for each positive `k`,
/// `sum_j |w_j| <w_j, x_k> = (sum_j t_j^2) <v+, x_k> / |v+| = (sum_j t_j^2) y_k / |v+| = y_k`, so
/// `sum_j |w_j|^2 = |v+|` and the `+` side costs `sum_j a_j^2 + |w_j|^2 = 2|v+|`; the negative side
/// is the same with `v-` ([`v_minus`]), and the two sides do not interact because `<v+, x_k> = 0`
/// on negative labels and `<v-, x_k> = 0` on positive ones. By orthogonality
/// `|v+|^2 = sum_{y>0} y_k^2 / |x_k|^2`.
///
/// Requirements / `None`: inputs orthogonal up to [`ORTHOGONALITY_TOLERANCE`] (otherwise `None`;
/// [`check_orthogonal`] says which pair fails), and no zero input with a non-zero label (no
/// interpolator exists then), and a minimum that overflows `f64` (labels over input norms beyond
/// about `1e308`) is `None` too, never infinity. Points with label 0 are allowed and cost nothing. Missing label
/// signs are allowed (that side contributes 0). Any width `m >= 2` attains it (`m >= 1` if one
/// side is empty); see [`theta_star`].
///
/// ```
/// use reluflow::{Dataset, theory::min_norm_sq};
/// // The Section 5 toy: orthogonal, not unit-norm.
/// let toy = Dataset::new(vec![vec![-0.5, 1.0], vec![2.0, 1.0]], vec![-1.0, 1.0]).unwrap();
/// let expected = 2.0 / 5f64.sqrt() + 2.0 / 1.25f64.sqrt();
/// assert!((min_norm_sq(&toy).unwrap() - expected).abs() < 1e-12);
/// ```
pub fn min_norm_sq(data: &Dataset) -> Option<f64> {
    let vp = v_plus(data).ok()?;
    let vm = v_minus(data).ok()?;
    Some(2.0 * stable_norm(&vp) + 2.0 * stable_norm(&vm)).filter(|v| v.is_finite())
}

fn check_shares(sign: LabelSign, shares: &[(usize, f64)], m: usize, has_labels: bool) -> Result<f64, TheoryError> {
    for (i, &(index, share)) in shares.iter().enumerate() {
        if index >= m {
            return Err(TheoryError::IndexOutOfRange { index, m });
        }
        if !(share.is_finite() && share >= 0.0) {
            return Err(TheoryError::InvalidShare { sign, index, share });
        }
        if shares[..i].iter().any(|&(j, _)| j == index) {
            return Err(TheoryError::RepeatedIndex { sign, index });
        }
    }
    if !has_labels {
        if shares.is_empty() {
            return Ok(0.0);
        }
        return Err(TheoryError::NoLabelsOfSign {
            sign,
            what: "shares were given for that side, but there is nothing to fit",
        });
    }
    if shares.is_empty() {
        return Err(TheoryError::NoShares { sign });
    }
    let total: f64 = shares.iter().map(|s| s.1).sum();
    if total <= 0.0 {
        return Err(TheoryError::ZeroShares { sign });
    }
    Ok(total)
}

/// A minimum-norm interpolator `theta*` of width `m` (Proposition 1, Appendix C; claims P1, L12),
/// for orthogonal inputs (not necessarily unit-norm; see [`min_norm_sq`]).
///
/// Neuron `j` listed in `plus_shares` with share `p_j` (shares normalised to sum 1) gets
/// `w_j = sqrt(p_j |v+|) v+/|v+|` and `a_j = +|w_j|`, with `v+` from [`v_plus`]
/// (`= n D+` for orthonormal inputs: collinear with **+D+**, the paper's text says `-D+`, a sign
/// slip, see `CLAIMS.md`); hence `sum_{plus} |w_j|^2 = |v+|` (`= n|D+|`). Neuron `j` listed in
/// `minus_shares` gets `w_j = sqrt(p_j |v-|) v-/|v-|` and `a_j = -|w_j|` with `v-` from
/// [`v_minus`] (along `-D-`), `sum_{minus} |w_j|^2 = |v-|`. All other neurons are zero. The result
/// interpolates (`h(x_k) = y_k`), is balanced, and has `|theta|^2 = `[`min_norm_sq`]. Conversely
/// every minimiser of width `m` is of this form for some choice of sides and shares
/// (Proposition 1's description of the argmin), so the shares span the whole set of minimisers.
///
/// Requirements / errors ([`TheoryError`]): orthogonal inputs (`NotOrthogonal`), no zero input
/// with a non-zero label (`ZeroInputWithLabel`); indices `< m` (`IndexOutOfRange`), each at most
/// once per side (`RepeatedIndex`) and on one side only (`IndexOnBothSides`); shares finite and
/// `>= 0` (`InvalidShare`) with a positive sum (`ZeroShares`); a side with labels needs at least
/// one share (`NoShares`), a side without labels must get none (`NoLabelsOfSign`); `|v+|`, `|v-|`
/// and the result must be finite and non-zero in `f64` (`NotRepresentable`).
///
/// ```
/// use reluflow::{Dataset, theory::{theta_star, min_norm_sq}};
/// let data = Dataset::new(vec![vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0]], vec![3.0, -4.0]).unwrap();
/// let theta = theta_star(&data, 4, &[(0, 1.0), (2, 3.0)], &[(1, 1.0)]).unwrap();
/// assert!((theta.norm_sq() - min_norm_sq(&data).unwrap()).abs() < 1e-12); // 2*3 + 2*4
/// assert_eq!(theta.a[3], 0.0);
/// ```
pub fn theta_star(
    data: &Dataset,
    m: usize,
    plus_shares: &[(usize, f64)],
    minus_shares: &[(usize, f64)],
) -> Result<Params, TheoryError> {
    let vp = v_plus(data)?;
    let vm = v_minus(data)?;
    let plus_total = check_shares(LabelSign::Positive, plus_shares, m, n_plus(data) > 0)?;
    let minus_total = check_shares(LabelSign::Negative, minus_shares, m, n_minus(data) > 0)?;
    if let Some(&(index, _)) = plus_shares.iter().find(|(i, _)| minus_shares.iter().any(|(j, _)| j == i)) {
        return Err(TheoryError::IndexOnBothSides { index });
    }
    // labels so small (or large) against their inputs that |v+| or |v-| leaves the f64 range
    // would give w_j = 0 * inf = NaN below
    for (what, v, shares) in [("|v+|", &vp, plus_shares), ("|v-|", &vm, minus_shares)] {
        let nv = stable_norm(v);
        let representable = nv.is_normal() && nv.sqrt().is_normal();
        if !shares.is_empty() && !representable {
            return Err(TheoryError::NotRepresentable { what, value: nv });
        }
    }
    let d = data.d();
    let mut theta = Params { a: vec![0.0; m], w: vec![vec![0.0; d]; m] };
    let mut place = |shares: &[(usize, f64)], total: f64, v: &[f64], s: f64| {
        let nv = stable_norm(v);
        for &(j, share) in shares {
            let mass = share / total * nv; // |w_j|^2
            let t = (share / total / nv).sqrt(); // w_j = t v, |w_j| = sqrt(mass)
            theta.a[j] = s * mass.sqrt();
            theta.w[j] = v.iter().map(|x| t * x).collect();
        }
    };
    if !plus_shares.is_empty() {
        place(plus_shares, plus_total, &vp, 1.0);
    }
    if !minus_shares.is_empty() {
        place(minus_shares, minus_total, &vm, -1.0);
    }
    if let Some(&value) = theta.a.iter().chain(theta.w.iter().flatten()).find(|v| !v.is_finite()) {
        return Err(TheoryError::NotRepresentable { what: "an entry of theta_star", value });
    }
    Ok(theta)
}

/// The width-2 minimum-norm interpolator of Proposition 1's proof (Appendix C): neuron 0 is the
/// whole `s = +1` side (along `v+`, `+D+` for orthonormal inputs), neuron 1 the whole `s = -1`
/// side (along `v-`, `-D-`). Same as `theta_star(data, 2, &[(0, 1.0)], &[(1, 1.0)])`.
///
/// Requirements: those of [`theta_star`], and labels of both signs (`NoLabelsOfSign`
/// otherwise; use [`theta_star`] with empty shares for a missing side).
///
/// ```
/// use reluflow::{Dataset, theory::theta_star_width_two};
/// let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![4.0, -1.0]).unwrap();
/// let theta = theta_star_width_two(&data).unwrap();
/// assert_eq!(theta.a, vec![2.0, -1.0]);
/// assert_eq!(theta.w, vec![vec![2.0, 0.0], vec![0.0, 1.0]]);
/// ```
pub fn theta_star_width_two(data: &Dataset) -> Result<Params, TheoryError> {
    theta_star(data, 2, &[(0, 1.0)], &[(1, 1.0)])
}

// ---------------------------------------------------------------------------------------------
// Fact 1, phase times (Figure 1, Section 4.2, Appendix B.3-B.5)
// ---------------------------------------------------------------------------------------------

/// The loss at Fact 1's intermediate saddle `theta_S`: positive labels fitted, `h(x_k) = 0` on the
/// negative ones, so `L(theta_S) = (1/(2n)) sum_{y_k<0} y_k^2` (the loss has the `1/(2n)`
/// normalisation of Section 2). This is the height of the loss plateau (claims F1, X5).
///
/// Requirements: for the plateau to be at this height, orthogonal inputs (so that the `S+,1`
/// neurons, along `v+`, are inactive on negative labels) and `r > 1` (positive labels fitted
/// first; otherwise flip the labels, and the plateau is at the positive labels' loss).
///
/// ```
/// use reluflow::{Dataset, theory::plateau_loss};
/// let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![2.0, -1.0]).unwrap();
/// assert_eq!(plateau_loss(&data), 0.25); // 1 / (2 * 2)
/// ```
pub fn plateau_loss(data: &Dataset) -> f64 {
    let s: f64 = data.y().iter().filter(|&&y| y < 0.0).map(|y| y * y).sum();
    s / (2.0 * data.n() as f64)
}

/// The timeline of Figure 1 (Section 4.2, Appendix B) for given `lambda` and `eps`, in the time
/// unit of the gradient flow (2)-(3). All times are positive for `0 < lambda < 1`.
///
/// Requirements for the paper's statements at these times: Assumptions 1-3, `r > 1`,
/// `0 < eps <= epsilon_max` and `lambda <= lambda*` (unspecified; see `CLAIMS.md`). The numbers
/// are computed whenever `0 < eps < 1` (so that `eps > epsilon_max` can be explored; compare
/// with the `epsilon_max` field).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseTimes {
    /// `ln(lambda)` used.
    pub ln_lambda: f64,
    /// `eps` used.
    pub eps: f64,
    /// `|D+|`.
    pub d_plus_norm: f64,
    /// `|D-|`.
    pub d_minus_norm: f64,
    /// `r = |D+|/|D-| > 1`.
    pub r: f64,
    /// [`epsilon_max`] of the dataset (the statements need `eps <= epsilon_max`).
    pub epsilon_max: f64,
    /// `t+1 = -eps ln(lambda)/|D+|`, end of phase +1 (Lemma 7, equation (12)).
    pub t_plus_1: f64,
    /// `t-1 = -eps r ln(lambda)/|D+| = -eps ln(lambda)/|D-|`, end of phase -1 (Lemma 8, equation
    /// (15); `t1` of Lemma 2).
    pub t_minus_1: f64,
    /// Upper bound `-(1 + 3 eps) ln(lambda)/|D+|` on `t2`, end of the positive fit (Lemma 3).
    pub t2_bound: f64,
    /// Start of Fact 1's saddle interval, `-(1 + 3 eps) ln(lambda)/|D+|` (equals `t2_bound`).
    pub plateau_start: f64,
    /// End of Fact 1's saddle interval, `-(1 - eps) ln(lambda)/|D-|`.
    pub plateau_end: f64,
    /// Upper bound `-(1 + 3 r eps) ln(lambda)/|D-|` on `t3`, end of the negative fit (Lemma 4).
    pub t3_bound: f64,
    /// `eps -> 0` time scale of the positive fit, `-ln(lambda)/|D+|` (Section 4.2, claim TS).
    pub time_scale_plus: f64,
    /// `eps -> 0` time scale of the negative fit, `-ln(lambda)/|D-|` (claim TS).
    pub time_scale_minus: f64,
    /// Approximate plateau length `-ln(lambda) (1/|D-| - 1/|D+|)` (claim F1).
    pub plateau_duration: f64,
    /// Loss on the plateau, [`plateau_loss`].
    pub plateau_loss: f64,
}

/// [`PhaseTimes`] for `lambda` in `(0, 1)` and `eps` in `(0, 1)` (Figure 1, Section 4.2).
///
/// Errors: `InvalidLambda`, `InvalidEpsilon`, `NoLabelsOfSign` (both signs are needed for finite
/// times), `RatioNotAboveOne` (`r <= 1`: flip the labels, see [`needs_label_flip`]),
/// `NotRepresentable` (`|D+|`, `|D-|` or a time is 0 or infinite in `f64`). For `lambda`
/// below the `f64` range use [`phase_times_ln`].
///
/// ```
/// use reluflow::{Dataset, theory::phase_times};
/// let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![4.0, -2.0]).unwrap();
/// // |D+| = 2, |D-| = 1, r = 2
/// let t = phase_times(&data, (-10f64).exp(), 0.1).unwrap();
/// assert!((t.t_plus_1 - 0.5).abs() < 1e-12); // 0.1 * 10 / 2
/// assert!((t.t3_bound - 16.0).abs() < 1e-12); // (1 + 0.6) * 10 / 1
/// ```
pub fn phase_times(data: &Dataset, lambda: f64, eps: f64) -> Result<PhaseTimes, TheoryError> {
    if !(lambda > 0.0 && lambda < 1.0) {
        return Err(TheoryError::InvalidLambda { lambda });
    }
    phase_times_ln(data, lambda.ln(), eps)
}

/// [`PhaseTimes`] from `ln(lambda)` (finite, `< 0`), for initialisation scales below the `f64`
/// range (e.g. `ln_lambda = -1000`). Same formulas and errors as [`phase_times`]
/// (`InvalidLnLambda` instead of `InvalidLambda`).
pub fn phase_times_ln(data: &Dataset, ln_lambda: f64, eps: f64) -> Result<PhaseTimes, TheoryError> {
    if !(ln_lambda.is_finite() && ln_lambda < 0.0) {
        return Err(TheoryError::InvalidLnLambda { ln_lambda });
    }
    if !(eps > 0.0 && eps < 1.0) {
        return Err(TheoryError::InvalidEpsilon { eps });
    }
    let what = "the phase times divide by |D+| and |D-|";
    if n_plus(data) == 0 {
        return Err(TheoryError::NoLabelsOfSign { sign: LabelSign::Positive, what });
    }
    if n_minus(data) == 0 {
        return Err(TheoryError::NoLabelsOfSign { sign: LabelSign::Negative, what });
    }
    let (dp, dm) = (d_plus_norm(data), d_minus_norm(data));
    for (what, value) in [("|D+|", dp), ("|D-|", dm)] {
        if !(value > 0.0 && value.is_finite()) {
            return Err(TheoryError::NotRepresentable { what, value });
        }
    }
    let r = dp / dm;
    if r.is_nan() || r <= 1.0 {
        return Err(TheoryError::RatioNotAboveOne { r });
    }
    let epsilon_max = epsilon_max(data).unwrap_or(f64::NAN);
    let l = -ln_lambda; // > 0
    let times = PhaseTimes {
        ln_lambda,
        eps,
        d_plus_norm: dp,
        d_minus_norm: dm,
        r,
        epsilon_max,
        t_plus_1: eps * l / dp,
        t_minus_1: eps * r * l / dp,
        t2_bound: (1.0 + 3.0 * eps) * l / dp,
        plateau_start: (1.0 + 3.0 * eps) * l / dp,
        plateau_end: (1.0 - eps) * l / dm,
        t3_bound: (1.0 + 3.0 * r * eps) * l / dm,
        time_scale_plus: l / dp,
        time_scale_minus: l / dm,
        plateau_duration: l * (1.0 / dm - 1.0 / dp),
        plateau_loss: plateau_loss(data),
    };
    let t = &times;
    for (what, value) in [
        ("r", t.r),
        ("epsilon_max", t.epsilon_max),
        ("t_minus_1", t.t_minus_1),
        ("t3_bound", t.t3_bound),
        ("plateau_end", t.plateau_end),
        ("time_scale_minus", t.time_scale_minus),
        ("plateau_duration", t.plateau_duration),
        ("plateau_loss", t.plateau_loss),
    ] {
        // the largest times (|D-| <= |D+|) and the plateau loss; the others are smaller
        if !value.is_finite() {
            return Err(TheoryError::NotRepresentable { what, value });
        }
    }
    Ok(times)
}

// ---------------------------------------------------------------------------------------------
// Assumption 3 probabilities (Section 2.2, Section 3.2, claim A3)
// ---------------------------------------------------------------------------------------------

/// `P(j in S+,1) = 2^-(n+ + 1)` for one neuron under the initialisation (4) (Sections 2.2, 3.2;
/// claim A3), `n_plus` = number of positive labels.
///
/// Derivation: with orthonormal inputs and `g_j ~ N(0, I_d)`, the `<g_j, x_k>` are i.i.d.
/// `N(0, 1)` (an orthonormal family maps a standard Gaussian to a standard Gaussian), so the
/// `n+` events `<w_j(0), x_k> >= 0` (`y_k > 0`) are independent of probability `1/2` each
/// (`= 0` has probability 0), and `s_j = +1` is an independent fair coin: `2^-n+ * 1/2`.
/// (Orthogonal inputs of any norms give the same value: only the signs matter.)
/// Then `|S+,1| ~ Binomial(m, 2^-(n+ + 1))`. Underflows to 0 for `n_plus >= 1074`.
///
/// ```
/// use reluflow::theory::prob_in_s_plus_1;
/// assert_eq!(prob_in_s_plus_1(0), 0.5);
/// assert_eq!(prob_in_s_plus_1(3), 1.0 / 16.0);
/// ```
pub fn prob_in_s_plus_1(n_plus: usize) -> f64 {
    crate::params::ldexp(1.0, -(n_plus.min(2000) as i32) - 1)
}

/// `P(j in S-,1) = 2^-(n- + 1)` (same derivation as [`prob_in_s_plus_1`], with `s_j = -1` and the
/// negative labels).
pub fn prob_in_s_minus_1(n_minus: usize) -> f64 {
    prob_in_s_plus_1(n_minus)
}

/// `P(S+,1 and S-,1 both non-empty)` = probability that Assumption 3 holds for width `m` under
/// the initialisation (4) with orthogonal inputs (Section 3.2: `m` must grow like `2^n`).
///
/// Neurons are i.i.d.; a neuron is in `S+,1` w.p. `p+ = 2^-(n+ + 1)`, in `S-,1` w.p.
/// `p- = 2^-(n- + 1)`, never in both (opposite `s_j`). Inclusion-exclusion:
/// `1 - (1 - p+)^m - (1 - p-)^m + (1 - p+ - p-)^m`, evaluated as
/// `(1 - (1 - p+)^m) - (1 - p-)^m (1 - (1 - p+/(1 - p-))^m)` with `ln_1p`/`exp_m1`.
///
/// ```
/// use reluflow::theory::prob_assumption_3;
/// // one positive and one negative label: p+ = p- = 1/4; m = 1 can never have both.
/// assert_eq!(prob_assumption_3(1, 1, 1), 0.0);
/// // m = 2: 2 * (1/4)^2 (one neuron in each set, either order)
/// assert!((prob_assumption_3(2, 1, 1) - 0.125).abs() < 1e-15);
/// ```
pub fn prob_assumption_3(m: usize, n_plus: usize, n_minus: usize) -> f64 {
    let (pp, pm) = (prob_in_s_plus_1(n_plus), prob_in_s_minus_1(n_minus));
    let mf = m as f64;
    let some_plus = -(mf * (-pp).ln_1p()).exp_m1();
    let none_minus = (mf * (-pm).ln_1p()).exp();
    let some_plus_given_no_minus = -(mf * (-pp / (1.0 - pm)).ln_1p()).exp_m1();
    (some_plus - none_minus * some_plus_given_no_minus).clamp(0.0, 1.0)
}

// ---------------------------------------------------------------------------------------------
// Lemma bounds (Appendix B.3-B.5), plain and in log space
// ---------------------------------------------------------------------------------------------

const LN_2: f64 = std::f64::consts::LN_2;

/// Lemma 7 (i): at `t+1`, every neuron has `|w_j| <= 2 c lambda^(1 - eps)`, `c = max_j |g_j|`
/// (claim L7). Underflows for tiny `lambda`: use [`ln_lemma7_norm_bound`].
pub fn lemma7_norm_bound(c: f64, lambda: f64, eps: f64) -> f64 {
    2.0 * c * lambda.powf(1.0 - eps)
}

/// `ln` of [`lemma7_norm_bound`]: `ln 2 + ln c + (1 - eps) ln(lambda)`.
///
/// ```
/// use reluflow::theory::{ln_lemma7_norm_bound, lemma7_norm_bound};
/// let (c, lambda, eps) = (3.0, 1e-6f64, 0.1);
/// assert!((ln_lemma7_norm_bound(c, lambda.ln(), eps) - lemma7_norm_bound(c, lambda, eps).ln()).abs() < 1e-12);
/// ```
pub fn ln_lemma7_norm_bound(c: f64, ln_lambda: f64, eps: f64) -> f64 {
    LN_2 + c.ln() + (1.0 - eps) * ln_lambda
}

/// Lemma 7 (ii): at `t+1`, every `j in S+,1` has `<w_j/|w_j|, D+> >= (1 - 2 lambda^eps)|D+|`
/// (claim L7).
pub fn lemma7_alignment_bound(d_plus_norm: f64, lambda: f64, eps: f64) -> f64 {
    (1.0 - 2.0 * lambda.powf(eps)) * d_plus_norm
}

/// [`lemma7_alignment_bound`] from `ln(lambda)` (the bound itself does not underflow).
pub fn lemma7_alignment_bound_ln(d_plus_norm: f64, ln_lambda: f64, eps: f64) -> f64 {
    (1.0 - 2.0 * (eps * ln_lambda).exp()) * d_plus_norm
}

/// `ln` of Lemma 7 (ii)'s allowed gap `|D+| - <w_j/|w_j|, D+> <= 2 lambda^eps |D+|`:
/// `ln(2 |D+|) + eps ln(lambda)`. Compare with `ln(|D+| - <w_j/|w_j|, D+>)` when `lambda^eps` is
/// below `f64` resolution relative to 1.
pub fn ln_lemma7_alignment_gap(d_plus_norm: f64, ln_lambda: f64, eps: f64) -> f64 {
    LN_2 + d_plus_norm.ln() + eps * ln_lambda
}

/// Lemma 8 (i): at `t-1`, every neuron has `|w_j| <= 2 c lambda^(1 - r eps)` (claim L8).
pub fn lemma8_norm_bound(c: f64, lambda: f64, eps: f64, r: f64) -> f64 {
    2.0 * c * lambda.powf(1.0 - r * eps)
}

/// `ln` of [`lemma8_norm_bound`]: `ln 2 + ln c + (1 - r eps) ln(lambda)`.
pub fn ln_lemma8_norm_bound(c: f64, ln_lambda: f64, eps: f64, r: f64) -> f64 {
    LN_2 + c.ln() + (1.0 - r * eps) * ln_lambda
}

/// Lemma 8 (ii): at `t-1`, every `j in S-,1` has `<w_j/|w_j|, -D-> >= (1 - 2 lambda^eps)|D-|`
/// (claim L8; same exponent `eps` as Lemma 7, not `r eps`).
pub fn lemma8_alignment_bound(d_minus_norm: f64, lambda: f64, eps: f64) -> f64 {
    (1.0 - 2.0 * lambda.powf(eps)) * d_minus_norm
}

/// [`lemma8_alignment_bound`] from `ln(lambda)`.
pub fn lemma8_alignment_bound_ln(d_minus_norm: f64, ln_lambda: f64, eps: f64) -> f64 {
    (1.0 - 2.0 * (eps * ln_lambda).exp()) * d_minus_norm
}

/// `ln` of Lemma 8 (ii)'s allowed gap `|D-| - <w_j/|w_j|, -D-> <= 2 lambda^eps |D-|`.
pub fn ln_lemma8_alignment_gap(d_minus_norm: f64, ln_lambda: f64, eps: f64) -> f64 {
    LN_2 + d_minus_norm.ln() + eps * ln_lambda
}

/// Lemma 9 (i): for `t <= t+1`, every `j in S+,1` has `|w_j(t)| > c_min lambda^(1 + eps) / 2`,
/// `c_min = min_j |g_j|` (claim L9). Underflows at `lambda = 1e-300`: use
/// [`ln_lemma9_lower_bound`].
pub fn lemma9_lower_bound(c_min: f64, lambda: f64, eps: f64) -> f64 {
    0.5 * c_min * lambda.powf(1.0 + eps)
}

/// `ln` of [`lemma9_lower_bound`]: `ln c_min - ln 2 + (1 + eps) ln(lambda)`.
///
/// ```
/// use reluflow::theory::{ln_lemma9_lower_bound, lemma9_lower_bound};
/// assert_eq!(lemma9_lower_bound(1.0, 1e-300, 0.1), 0.0); // underflow
/// let ln_b = ln_lemma9_lower_bound(1.0, 1e-300f64.ln(), 0.1);
/// assert!((ln_b - (1.1 * 1e-300f64.ln() - 2f64.ln())).abs() < 1e-9);
/// ```
pub fn ln_lemma9_lower_bound(c_min: f64, ln_lambda: f64, eps: f64) -> f64 {
    c_min.ln() - LN_2 + (1.0 + eps) * ln_lambda
}

/// Lemma 9 (ii): for `t <= t-1`, every `j in S-,1` has `|w_j(t)| > c_min lambda^(1 + r eps) / 2`.
pub fn lemma9_lower_bound_minus(c_min: f64, lambda: f64, eps: f64, r: f64) -> f64 {
    0.5 * c_min * lambda.powf(1.0 + r * eps)
}

/// `ln` of [`lemma9_lower_bound_minus`]: `ln c_min - ln 2 + (1 + r eps) ln(lambda)`.
pub fn ln_lemma9_lower_bound_minus(c_min: f64, ln_lambda: f64, eps: f64, r: f64) -> f64 {
    c_min.ln() - LN_2 + (1.0 + r * eps) * ln_lambda
}

/// `ln` of Lemma 3 (i)'s alignment gap: `|D+| - <w_j/|w_j|, D+> <= lambda^(eps/2)` at `t2` for
/// `j in S+,1` (claim L3); returns `(eps/2) ln(lambda)`.
pub fn ln_lemma3_alignment_gap(ln_lambda: f64, eps: f64) -> f64 {
    eps / 2.0 * ln_lambda
}

/// `ln` of Lemma 3 (ii)'s mass gap: `|sum_{S+,1} |w_j(t2)|^2 - n|D+|| <= lambda^(eps/5)` (the
/// paper writes the equality `= n|D+| - lambda^(eps/5)`; read as a bound); `(eps/5) ln(lambda)`.
pub fn ln_lemma3_mass_gap(ln_lambda: f64, eps: f64) -> f64 {
    eps / 5.0 * ln_lambda
}

/// `ln` of Lemma 3 (iii): neurons outside `S+,1` have `|w_j(t2)| <= 2 c lambda^eps`;
/// `ln 2 + ln c + eps ln(lambda)`.
pub fn ln_lemma3_other_norm_bound(c: f64, ln_lambda: f64, eps: f64) -> f64 {
    LN_2 + c.ln() + eps * ln_lambda
}

/// `ln` of Fact 1's distance bound `|theta_t - theta_S| <= lambda^(eps/5)` on the plateau
/// interval (claim F1); `(eps/5) ln(lambda)`.
pub fn ln_fact1_distance_bound(ln_lambda: f64, eps: f64) -> f64 {
    eps / 5.0 * ln_lambda
}

/// `ln` of Lemma 4 (i)'s alignment gap `|D-| - <w_j/|w_j|, -D-> <= lambda^(eps/14)` at `t3`,
/// `j in S-,1` (claim L4); also the bound `|D+^t| < lambda^(eps/14)` on `[t2, t3]`.
pub fn ln_lemma4_alignment_gap(ln_lambda: f64, eps: f64) -> f64 {
    eps / 14.0 * ln_lambda
}

/// `ln` of Lemma 4 (ii)'s mass gap `|sum_{S-,1} |w_j(t3)|^2 - n|D-|| <= lambda^(eps/29)`.
pub fn ln_lemma4_mass_gap(ln_lambda: f64, eps: f64) -> f64 {
    eps / 29.0 * ln_lambda
}

/// `ln` of Lemma 4 (iii): `|w_j(t2) - w_j(t3)| <= lambda^(eps/15)` for `j in S+,1`.
pub fn ln_lemma4_plus_movement_bound(ln_lambda: f64, eps: f64) -> f64 {
    eps / 15.0 * ln_lambda
}

/// `ln` of Lemma 4 (iv): neurons outside `S+,1 u S-,1` have `|w_j(t3)| <= 3 c lambda^eps`.
pub fn ln_lemma4_other_norm_bound(c: f64, ln_lambda: f64, eps: f64) -> f64 {
    3f64.ln() + c.ln() + eps * ln_lambda
}

/// `ln` of Lemma 12's bound `|theta_t3 - theta*| <= lambda^(eps/31)` (claim L12).
pub fn ln_lemma12_distance_bound(ln_lambda: f64, eps: f64) -> f64 {
    eps / 31.0 * ln_lambda
}

//! Fact 1's plateau loss and the phase times of Figure 1 (Section 4.2, Appendix B.3-B.5).

use serde::{Deserialize, Serialize};

use super::{LabelSign, TheoryError, d_minus_norm, d_plus_norm, epsilon_max, n_minus, n_plus};
use crate::data::Dataset;

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
/// times), `RatioNotAboveOne` (`r <= 1`: flip the labels, see [`needs_label_flip`](super::needs_label_flip)),
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

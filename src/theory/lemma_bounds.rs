//! The explicit bounds of Lemmas 3, 4, 7, 8, 9, 12 and Fact 1 (Appendix B.3-B.5), plain and in
//! log space (see the module conventions of [`crate::theory`]).

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

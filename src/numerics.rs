//! Small vector numerics shared by the whole crate: inner product, norms, unit vectors, and the
//! value that stands for `ln 0`.
//!
//! Every function sums in index order (`v_0 + v_1 + ...`, one rounding per term, no fused
//! multiply-add), the order of the private helpers these replace, so results are bit for bit
//! the same as before. Two norms exist on purpose: [`norm`] (`sqrt` of the plain sum of squares,
//! fast, overflows past `|v_i| ~ 1e154` and underflows below `1e-154`) and [`stable_norm`]
//! (scaled by the largest entry, exact range, twice the work); each caller keeps the one it had.
//!
//! ```
//! use reluflow::numerics::{dot, norm, norm_sq, stable_norm, unit};
//!
//! let v = [3.0, 4.0];
//! assert_eq!(dot(&v, &[1.0, 1.0]), 7.0);
//! assert_eq!(norm_sq(&v), 25.0);
//! assert_eq!(norm(&v), 5.0);
//! assert_eq!(norm(&[3e200, 4e200]), f64::INFINITY);
//! assert!((stable_norm(&[3e200, 4e200]) / 5e200 - 1.0).abs() < 1e-15); // scaled: no overflow
//! assert_eq!(unit(&v), Some(vec![0.6, 0.8]));
//! assert_eq!(unit(&[0.0, 0.0]), None);
//! ```

/// The value reported for `ln 0`: `ln(2^-1074) = -1074 ln 2 ~ -744.44007`, the natural log of the
/// smallest positive `f64` (the smallest subnormal, `f64::from_bits(1)`).
///
/// Why this value and not `-inf` or `ln(f64::MIN_POSITIVE) ~ -708.4`:
/// - it is finite, so a margin or a log-space quantity that contains it serialises to JSON
///   (`serde_json` writes non-finite numbers as `null`) and differences of two such values stay
///   finite (`-inf - -inf` is NaN);
/// - it is the smallest value `ln` takes on a positive `f64`, so [`ln_or_zero`] is monotone on
///   `[0, inf)` and exact on every positive `f64`, subnormals included (clamping at
///   `f64::MIN_POSITIVE` would map the subnormals to one value and lose their order).
///
/// An exactly-zero quantity therefore compares below every positive one, and holds any upper
/// bound `ln B` with `B > 0`.
pub const LN_ZERO: f64 = -1074.0 * std::f64::consts::LN_2;

/// `sum_i a_i b_i`, summed in index order over the common length.
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `|v|^2 = sum_i v_i^2`, summed in index order (bit for bit `dot(v, v)`).
#[inline]
pub fn norm_sq(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

/// `|v|^2` under the name several call sites used (`sq(v)`): the same function as [`norm_sq`].
pub use self::norm_sq as sq;

/// Euclidean norm `sqrt(norm_sq(v))`. Overflows to `inf` when an entry exceeds about `1e154` and
/// underflows for entries below about `1e-154`; use [`stable_norm`] where entries may be that far
/// from 1 (raw data, closed forms of tiny `lambda`).
#[inline]
pub fn norm(v: &[f64]) -> f64 {
    norm_sq(v).sqrt()
}

/// Euclidean norm without overflow or underflow: `m sqrt(sum_i (v_i / m)^2)` with
/// `m = max_i |v_i|`, summed in index order. Returns `m` itself when `m` is 0 or not finite
/// (`inf` for an infinite entry). `f64::max` skips NaN, so a NaN among other entries makes the
/// sum, hence the result, NaN, while a vector of NaNs only has `m = 0` and gives 0.
pub fn stable_norm(v: &[f64]) -> f64 {
    let m = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if m == 0.0 || !m.is_finite() {
        return m;
    }
    m * v.iter().map(|x| (x / m) * (x / m)).sum::<f64>().sqrt()
}

/// `v / |v|` (with [`norm`]), each entry divided by the norm; `None` when `|v|` is not positive
/// (the zero vector, a vector whose squares all underflow, or a NaN norm), since such a vector
/// has no direction. Callers that want the vector back unchanged write `unit(&v).unwrap_or(v)`.
pub fn unit(v: &[f64]) -> Option<Vec<f64>> {
    let nv = norm(v);
    if nv > 0.0 { Some(v.iter().map(|x| x / nv).collect()) } else { None }
}

/// `ln x` for `x > 0`, [`LN_ZERO`] for `x == 0` (either sign of zero); NaN for NaN and for
/// `x < 0` (a negative quantity has no log and must fail whatever it is compared with).
#[inline]
pub fn ln_or_zero(x: f64) -> f64 {
    if x == 0.0 { LN_ZERO } else { x.ln() }
}

/// `value / allowed` for a non-negative `value` against a non-negative allowance, with the
/// limits a check needs when the allowance is 0: `0` if `value` is 0 too, `+inf` otherwise (any
/// change against a zero budget fails a `<= 1` check).
///
/// ```
/// use reluflow::numerics::ratio_to_allowance;
/// assert_eq!(ratio_to_allowance(1.0, 4.0), 0.25);
/// assert_eq!(ratio_to_allowance(0.0, 0.0), 0.0);
/// assert_eq!(ratio_to_allowance(1e-300, 0.0), f64::INFINITY);
/// ```
pub fn ratio_to_allowance(value: f64, allowed: f64) -> f64 {
    if allowed > 0.0 {
        value / allowed
    } else if value > 0.0 {
        f64::INFINITY
    } else {
        0.0
    }
}

/// The mean of `values` (`None` when there are none).
///
/// ```
/// assert_eq!(reluflow::numerics::mean(&[1.0, 2.0, 6.0]), Some(3.0));
/// assert_eq!(reluflow::numerics::mean(&[]), None);
/// ```
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The sample standard deviation of `values` (`n - 1` in the denominator; `None` below two
/// values).
///
/// ```
/// assert_eq!(reluflow::numerics::sample_sd(&[1.0, 3.0]), Some(2f64.sqrt()));
/// assert_eq!(reluflow::numerics::sample_sd(&[1.0]), None);
/// ```
pub fn sample_sd(values: &[f64]) -> Option<f64> {
    let mu = mean(values).filter(|_| values.len() >= 2)?;
    Some((values.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / (values.len() - 1) as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_zero_is_the_log_of_the_smallest_positive_f64() {
        let smallest = f64::from_bits(1);
        assert!((LN_ZERO - smallest.ln()).abs() <= 1e-12, "{LN_ZERO} vs {}", smallest.ln());
        assert!(LN_ZERO < f64::MIN_POSITIVE.ln());
        assert_eq!(ln_or_zero(0.0), LN_ZERO);
        assert_eq!(ln_or_zero(-0.0), LN_ZERO);
        assert!(ln_or_zero(-1.0).is_nan() && ln_or_zero(f64::NAN).is_nan());
        // monotone across 0 and the subnormals
        assert!(ln_or_zero(0.0) <= ln_or_zero(smallest) + 1e-12 && ln_or_zero(smallest) < ln_or_zero(1e-310));
    }

    #[test]
    fn sums_run_in_index_order() {
        // 1 + 1e-16 + 1e-16 rounds to 1 left to right, to 1 + 2e-16 right to left
        let v = [1.0, 1e-16, 1e-16];
        assert_eq!(dot(&v, &[1.0, 1.0, 1.0]), 1.0);
        assert_eq!(norm_sq(&[1.0, 1e-8, 1e-8]), 1.0);
        assert_eq!(norm_sq(&v).to_bits(), dot(&v, &v).to_bits());
        assert_eq!(sq(&v), norm_sq(&v));
    }

    #[test]
    fn norms_agree_in_range_and_stable_norm_survives_outside_it() {
        let v = [1.0, -2.0, 2.0];
        assert_eq!(norm(&v), 3.0);
        assert_eq!(stable_norm(&v), 3.0);
        assert_eq!(norm(&[1e200, 1e200]), f64::INFINITY);
        assert!((stable_norm(&[1e200, 1e200]) / (2f64.sqrt() * 1e200) - 1.0).abs() < 1e-15);
        assert_eq!(norm(&[1e-200]), 0.0);
        assert_eq!(stable_norm(&[1e-200]), 1e-200);
        assert_eq!(stable_norm(&[]), 0.0);
        assert_eq!(stable_norm(&[1.0, f64::INFINITY]), f64::INFINITY);
    }

    #[test]
    fn unit_has_norm_one_or_is_none() {
        let u = unit(&[1.0, 2.0, 3.0]).unwrap();
        assert!((norm(&u) - 1.0).abs() < 1e-15);
        assert_eq!(unit(&[]), None);
        assert_eq!(unit(&[1e-200, 0.0]), None); // its square underflows
        assert_eq!(unit(&[f64::NAN]), None);
    }
}

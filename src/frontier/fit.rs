//! Ordinary least squares of `y` against `x` with a Student-t confidence interval on the slope
//! (what LS fits: `ln lambda*` against `ln m` at fixed `n`, and against `n` at fixed `m`).

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Confidence level of the slope intervals.
pub const CONFIDENCE: f64 = 0.95;

/// A straight-line fit `y = intercept + slope x` by ordinary least squares.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineFit {
    /// Fitted slope.
    pub slope: f64,
    /// Fitted intercept.
    pub intercept: f64,
    /// Standard error of the slope, `sqrt(s^2 / sum (x - x_mean)^2)` with
    /// `s^2 = sum residual^2 / (points - 2)`.
    pub slope_se: f64,
    /// Lower end of the [`CONFIDENCE`] interval of the slope, `slope - t slope_se` with `t` the
    /// `(1 + CONFIDENCE)/2` quantile of Student's t with `points - 2` degrees of freedom.
    pub slope_lo: f64,
    /// Upper end of that interval.
    pub slope_hi: f64,
    /// Number of points fitted.
    pub points: usize,
}

impl LineFit {
    /// Whether `value` lies in the slope's confidence interval (ends included).
    pub fn interval_contains(&self, value: f64) -> bool {
        self.slope_lo <= value && value <= self.slope_hi
    }
}

/// Least squares of `ys` against `xs` (pairs with a non-finite coordinate are dropped). `None`
/// with fewer than 3 points (no degree of freedom left for the interval) or when every `x` is
/// the same.
///
/// ```
/// use reluflow::frontier::fit_line;
/// let fit = fit_line(&[1.0, 2.0, 3.0, 4.0], &[2.1, 3.9, 6.1, 7.9]).expect("a fit");
/// assert!((fit.slope - 1.96).abs() < 1e-9 && fit.interval_contains(2.0));
/// ```
pub fn fit_line(xs: &[f64], ys: &[f64]) -> Option<LineFit> {
    let pairs: Vec<(f64, f64)> =
        xs.iter().zip(ys).map(|(&x, &y)| (x, y)).filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
    let k = pairs.len();
    if k < 3 {
        return None;
    }
    let mean_x = pairs.iter().map(|p| p.0).sum::<f64>() / k as f64;
    let mean_y = pairs.iter().map(|p| p.1).sum::<f64>() / k as f64;
    let sxx: f64 = pairs.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if !(sxx > 0.0) {
        return None;
    }
    let sxy: f64 = pairs.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    let rss: f64 = pairs.iter().map(|p| (p.1 - intercept - slope * p.0).powi(2)).sum();
    let dof = (k - 2) as f64;
    let slope_se = (rss / dof / sxx).sqrt();
    let t = StudentsT::new(0.0, 1.0, dof).map(|d| d.inverse_cdf((1.0 + CONFIDENCE) / 2.0)).unwrap_or(f64::NAN);
    Some(LineFit {
        slope,
        intercept,
        slope_se,
        slope_lo: slope - t * slope_se,
        slope_hi: slope + t * slope_se,
        points: k,
    })
}

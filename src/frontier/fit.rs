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
    // one group: the common-slope fit is the plain least squares (k - 2 degrees of freedom)
    let points: Vec<(usize, f64, f64)> = xs.iter().zip(ys).map(|(&x, &y)| (0, x, y)).collect();
    fit_common_slope(&points)
}

/// Least squares of `y` against `x` with one intercept per group and a common slope (analysis
/// of covariance): what LS fits over the frontier cells (`ln lambda*` against `ln m` with one
/// intercept per `n`; against `n` with one per `m`). `points` is `(group, x, y)`; pairs with a
/// non-finite coordinate are dropped, and groups whose `x` is constant contribute nothing to the
/// slope. The interval has `points - groups - 1` degrees of freedom (`groups` = the groups with
/// at least one point). `None` without a degree of freedom or without spread in `x`.
///
/// ```
/// use reluflow::frontier::fit_common_slope;
/// // two groups on parallel lines of slope 2, intercepts 0 and 5, with a little noise
/// let pts = [(0, 1.0, 2.1), (0, 2.0, 3.9), (0, 3.0, 6.0), (1, 1.0, 7.0), (1, 2.0, 9.1), (1, 3.0, 10.9)];
/// let fit = fit_common_slope(&pts).expect("a fit");
/// assert!((fit.slope - 1.95).abs() < 1e-9 && fit.interval_contains(2.0));
/// ```
pub fn fit_common_slope(points: &[(usize, f64, f64)]) -> Option<LineFit> {
    let pts: Vec<(usize, f64, f64)> = points.iter().copied().filter(|p| p.1.is_finite() && p.2.is_finite()).collect();
    let mut groups: Vec<usize> = pts.iter().map(|p| p.0).collect();
    groups.sort_unstable();
    groups.dedup();
    let means = |g: usize| {
        let inside: Vec<&(usize, f64, f64)> = pts.iter().filter(|p| p.0 == g).collect();
        let k = inside.len() as f64;
        (inside.iter().map(|p| p.1).sum::<f64>() / k, inside.iter().map(|p| p.2).sum::<f64>() / k)
    };
    let centre: Vec<(usize, f64, f64)> = groups.iter().map(|&g| (g, means(g).0, means(g).1)).collect();
    let mean_of = |g: usize| centre.iter().find(|c| c.0 == g).map(|c| (c.1, c.2)).expect("a group's means");
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for p in &pts {
        let (mx, my) = mean_of(p.0);
        sxx += (p.1 - mx).powi(2);
        sxy += (p.1 - mx) * (p.2 - my);
    }
    let k = pts.len();
    if k < groups.len() + 2 || !(sxx > 0.0) {
        return None;
    }
    let slope = sxy / sxx;
    let rss: f64 = pts
        .iter()
        .map(|p| {
            let (mx, my) = mean_of(p.0);
            (p.2 - my - slope * (p.1 - mx)).powi(2)
        })
        .sum();
    let dof = (k - groups.len() - 1) as f64;
    let slope_se = (rss / dof / sxx).sqrt();
    let t = StudentsT::new(0.0, 1.0, dof).map(|d| d.inverse_cdf((1.0 + CONFIDENCE) / 2.0)).unwrap_or(f64::NAN);
    // the intercept reported is the mean over groups of `mean_y - slope mean_x`
    let intercept = centre.iter().map(|c| c.2 - slope * c.1).sum::<f64>() / centre.len() as f64;
    Some(LineFit {
        slope,
        intercept,
        slope_se,
        slope_lo: slope - t * slope_se,
        slope_hi: slope + t * slope_se,
        points: k,
    })
}

//! The trend judgement of the ladder claims (module docs of `claims::limits`): pairwise
//! shrinkage of a gap down the ladder to its resolution ([`judge_trend`]) and the exponent
//! fitted over the resolved rungs, as verdict parts ([`trend_verdicts`]).

use crate::claims::{ClaimId, Verdict};

/// Least-squares slope of `y` against `x`.
fn slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}

/// One rung's gap to the limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GapPoint {
    /// The scale variable: `ln(1/lambda)` for power laws in `lambda`, `ln ln(1/lambda)` for
    /// power laws in `1/ln(1/lambda)`.
    pub x: f64,
    /// The gap to the limit on this rung.
    pub gap: f64,
    /// The rung's resolution `rho`.
    pub floor: f64,
}

/// What [`judge_trend`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendReport {
    /// Worst `g_{i+1} / allowed_{i+1}` over consecutive rungs (`<= 1` required).
    pub worst_ratio: f64,
    /// The upper rung of the worst pair.
    pub worst_pair: usize,
    /// Fitted exponent over the resolved rungs (`None` with fewer than 2).
    pub exponent: Option<f64>,
    /// Number of rungs with `gap > floor`.
    pub resolved: usize,
}

/// Parts 1 and 2 of the ladder judgement (module docs): pairwise shrinkage at rate `kappa` in
/// `x` down to the resolution, and the exponent fitted over the resolved rungs.
pub fn judge_trend(points: &[GapPoint], kappa: f64) -> TrendReport {
    let mut worst_ratio = 0.0f64;
    let mut worst_pair = 0;
    for (i, w) in points.windows(2).enumerate() {
        let (a, b) = (w[0], w[1]);
        let allowed =
            if a.gap > a.floor { b.floor.max(a.gap * (-kappa * (b.x - a.x)).exp()) } else { a.floor.max(b.floor) };
        let ratio = b.gap / allowed;
        if !(ratio <= worst_ratio) {
            worst_ratio = ratio;
            worst_pair = i;
        }
    }
    let resolved: Vec<&GapPoint> = points.iter().filter(|p| p.gap > p.floor).collect();
    let exponent = (resolved.len() >= 2).then(|| {
        let x: Vec<f64> = resolved.iter().map(|p| p.x).collect();
        let y: Vec<f64> = resolved.iter().map(|p| p.gap.ln()).collect();
        -slope(&x, &y)
    });
    TrendReport { worst_ratio, worst_pair, exponent, resolved: resolved.len() }
}

/// The verdicts of parts 1 and 2 for a gap series named `what` (`xname` names the scale
/// variable in the statement; `fit_exponent` adds part 2). Part 1 is vacuous for fewer than two
/// points (no pair to compare).
pub fn trend_verdicts(
    claim: ClaimId,
    what: &str,
    points: &[GapPoint],
    kappa: f64,
    xname: &str,
    fit_exponent: bool,
) -> Vec<Verdict> {
    let t = judge_trend(points, kappa);
    let gaps: Vec<String> = points.iter().map(|p| format!("{:.2e}(rho {:.1e})", p.gap, p.floor)).collect();
    let mut out = vec![
        Verdict::at_most(
            claim,
            t.worst_ratio,
            1.0,
            format!(
                "{what} down the ladder [{}] shrinks at rate >= {kappa:.2e} in {xname} or sits at the resolution rho: \
                 worst g(i+1)/allowed = {:.3} (rungs {}->{})",
                gaps.join(", "),
                t.worst_ratio,
                t.worst_pair,
                t.worst_pair + 1
            ),
        )
        .vacuous_if(points.len() < 2, "one rung: no pair of rungs to compare"),
    ];
    if let (true, Some(p)) = (fit_exponent, t.exponent) {
        out.push(Verdict::positive(
            claim,
            p,
            format!("{what}: exponent fitted over the {} resolved rungs {p:.3e} > 0", t.resolved),
        ));
    }
    out
}

//! What the paper predicts for a recorded run, from its data and first snapshot
//! ([`TheoryView`]): the assumption report in the file's precision, `lambda` (given or
//! estimated), `eps`, `D+-`, the sets `S+,1`, `S-,1`, the phase times and levels.

use serde::Serialize;

use crate::data::{Dataset, ORTHONORMAL_TOL};
use crate::params::Params;
use crate::recorded::{Precision, RunHeader};
use crate::theory::{self, PhaseTimes};

/// One line of the assumption report of a recorded run.
#[derive(Clone, Debug, Serialize)]
pub struct AssumptionRow {
    /// `"Assumption 1"`, `"orthogonal inputs"`, `"Assumption 2"`, `"Assumption 3"`, `"balanced init"`.
    pub name: String,
    /// Whether the run meets it.
    pub met: bool,
    /// What was measured, with the tolerance.
    pub statement: String,
}

/// The paper's predictions for one recorded run.
#[derive(Clone, Debug)]
pub struct TheoryView {
    /// The labels were flipped to make `r = |D+|/|D-| > 1` (the paper's w.l.o.g.; then `a` is
    /// negated too, which leaves `h` and `L` unchanged up to sign).
    pub flipped: bool,
    /// The data in the paper's convention (`r > 1`).
    pub data: Dataset,
    /// The tolerance orthonormality is judged with: `max(ORTHONORMAL_TOL, 4 max(n, d) eps)`.
    pub orthonormal_tol: f64,
    /// Inputs orthonormal to `orthonormal_tol` (Assumption 1).
    pub orthonormal: bool,
    /// Inputs pairwise orthogonal to `orthonormal_tol` (enough for L6 and Proposition 1).
    pub orthogonal: bool,
    /// Assumption 2.
    pub assumption_2: bool,
    /// `lambda`: from the file, or estimated as `sqrt(mean_j |w_j(0)|^2 / d)` (`E|g_j|^2 = d`).
    pub lambda: f64,
    /// Whether `lambda` is an estimate.
    pub lambda_estimated: bool,
    /// Appendix B.2's largest admissible `eps`, if defined.
    pub eps: Option<f64>,
    /// `|D+|`, `|D-|` (after the flip).
    pub d_plus_norm: f64,
    /// `|D-|`.
    pub d_minus_norm: f64,
    /// `D+ / |D+|`.
    pub d_plus_unit: Option<Vec<f64>>,
    /// `-D- / |D-|` (the direction `S-,1` aligns with).
    pub d_minus_unit: Option<Vec<f64>>,
    /// `S+,1` from the first snapshot (after the flip).
    pub s_plus_1: Vec<usize>,
    /// `S-,1`.
    pub s_minus_1: Vec<usize>,
    /// Largest relative imbalance `|a_j^2 - |w_j|^2| / (a_j^2 + |w_j|^2)` at the first snapshot.
    pub imbalance0: f64,
    /// Balanced initialisation to rounding: `imbalance0 <= (d + 2) eps`.
    pub balanced: bool,
    /// Figure 1's timeline at `lambda`, `eps` (Assumptions 1-2 and `eps` needed).
    pub phases: Option<PhaseTimes>,
    /// `t+1 = -eps ln(lambda)/|D+|`.
    pub t_plus_1: Option<f64>,
    /// `t-1 = -eps r ln(lambda)/|D+|`.
    pub t_minus_1: Option<f64>,
    /// Fact 1's plateau level `(1/2n) sum_{y<0} y^2` (after the flip).
    pub plateau_loss: f64,
    /// Proposition 1's `min |theta|^2` over interpolators (orthogonal inputs).
    pub min_norm_sq: Option<f64>,
    /// The assumption report.
    pub rows: Vec<AssumptionRow>,
}

fn unit(v: Vec<f64>, sign: f64) -> Option<Vec<f64>> {
    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    (n > 0.0 && n.is_finite()).then(|| v.iter().map(|x| sign * x / n).collect())
}

impl TheoryView {
    /// The view of a run with this header whose first snapshot is `first`.
    pub fn new(header: &RunHeader, first: &Params) -> Self {
        let eps_p = header.precision.epsilon();
        let raw = &header.data;
        let (n, d, m) = (raw.n(), raw.d(), first.m());
        let flipped = theory::needs_label_flip(raw);
        let data = if flipped { raw.with_flipped_labels() } else { raw.clone() };
        let report = data.assumptions();
        let orthonormal_tol = ORTHONORMAL_TOL.max(4.0 * n.max(d) as f64 * eps_p);
        let orthonormal = report.max_gram_deviation <= orthonormal_tol;
        let orthogonal = report.max_offdiag_cosine <= orthonormal_tol;
        let assumption_2 = report.assumption_2;
        let (lambda, lambda_estimated) = match header.lambda {
            Some(l) => (l, false),
            None => {
                let mean_sq =
                    first.w.iter().map(|w| w.iter().map(|v| v * v).sum::<f64>()).sum::<f64>() / (m as f64 * d as f64);
                (mean_sq.sqrt(), true)
            }
        };
        let eps = if orthonormal && assumption_2 { theory::epsilon_max(&data) } else { None };
        let (dp, dm) = (theory::d_plus_norm(&data), theory::d_minus_norm(&data));
        let sign = if flipped { -1.0 } else { 1.0 };
        let (d_plus_unit, d_minus_unit) = (unit(theory::d_plus(&data), 1.0), unit(theory::d_minus(&data), -1.0));
        let covers = |w: &[f64], positive: bool| {
            (0..n)
                .filter(|&k| (data.y()[k] > 0.0) == positive && data.y()[k] != 0.0)
                .all(|k| w.iter().zip(data.x(k)).map(|(a, b)| a * b).sum::<f64>() >= 0.0)
        };
        let s_plus_1: Vec<usize> = (0..m).filter(|&j| sign * first.a[j] > 0.0 && covers(&first.w[j], true)).collect();
        let s_minus_1: Vec<usize> = (0..m).filter(|&j| sign * first.a[j] < 0.0 && covers(&first.w[j], false)).collect();
        let imbalance0 = (0..m)
            .map(|j| {
                let a2 = first.a[j] * first.a[j];
                let w2: f64 = first.w[j].iter().map(|v| v * v).sum();
                if a2 + w2 > 0.0 { (a2 - w2).abs() / (a2 + w2) } else { 0.0 }
            })
            .fold(0.0, f64::max);
        let balanced_tol = (d as f64 + 2.0) * eps_p;
        let balanced = imbalance0 <= balanced_tol;
        let in_unit = lambda > 0.0 && lambda < 1.0;
        let phases = match eps {
            Some(e) if in_unit => theory::phase_times_ln(&data, lambda.ln(), e).ok(),
            _ => None,
        };
        let (t_plus_1, t_minus_1) = match &phases {
            Some(p) => (Some(p.t_plus_1), Some(p.t_minus_1)),
            None => (None, None),
        };
        // Proposition 1: 2n(|D+| + |D-|) on orthonormal inputs (judged to the file's precision);
        // the orthogonal, non-unit case through `theory::min_norm_sq`
        let min_norm_sq = if orthonormal {
            Some(2.0 * n as f64 * (dp + dm))
        } else if orthogonal {
            theory::min_norm_sq(&data)
        } else {
            None
        };
        let plateau_loss = theory::plateau_loss(&data);
        let precision_note = match header.precision {
            Precision::Float64 => format!("tolerance {orthonormal_tol:.1e}"),
            Precision::Float32 => {
                format!("tolerance {orthonormal_tol:.1e} = 4 max(n, d) eps for float32 inputs (eps = 2^-23)")
            }
        };
        let rows = vec![
            AssumptionRow {
                name: "Assumption 1 (orthonormal inputs)".into(),
                met: orthonormal,
                statement: format!("max |<x_k, x_l> - delta_kl| = {:.3e}, {precision_note}", report.max_gram_deviation),
            },
            AssumptionRow {
                name: "orthogonal inputs".into(),
                met: orthogonal,
                statement: format!("max |cos(x_k, x_l)| = {:.3e}, {precision_note}", report.max_offdiag_cosine),
            },
            AssumptionRow {
                name: "Assumption 2 (labels)".into(),
                met: assumption_2,
                statement: format!(
                    "{} zero labels; sum_(y>0) y^2 = {:.4}, sum_(y<0) y^2 = {:.4}{}",
                    report.zero_labels.len(),
                    report.sum_sq_plus,
                    report.sum_sq_minus,
                    if flipped { " (labels flipped to make r > 1, the paper's w.l.o.g.)" } else { "" }
                ),
            },
            AssumptionRow {
                name: "Assumption 3 (S+,1 and S-,1 non-empty)".into(),
                met: !s_plus_1.is_empty() && !s_minus_1.is_empty(),
                statement: format!("|S+,1| = {}, |S-,1| = {} at the first snapshot", s_plus_1.len(), s_minus_1.len()),
            },
            AssumptionRow {
                name: "balanced initialisation (4)".into(),
                met: balanced,
                statement: format!(
                    "max_j |a_j^2 - |w_j|^2| / (a_j^2 + |w_j|^2) = {imbalance0:.3e} <= (d + 2) eps = {balanced_tol:.3e} ({})",
                    header.precision
                ),
            },
            AssumptionRow {
                name: "small initialisation".into(),
                met: in_unit,
                statement: format!(
                    "lambda = {lambda:.3e} ({})",
                    if lambda_estimated { "estimated as sqrt(mean_j |w_j(0)|^2 / d)" } else { "from the file" }
                ),
            },
        ];
        Self {
            flipped,
            data,
            orthonormal_tol,
            orthonormal,
            orthogonal,
            assumption_2,
            lambda,
            lambda_estimated,
            eps,
            d_plus_norm: dp,
            d_minus_norm: dm,
            d_plus_unit,
            d_minus_unit,
            s_plus_1,
            s_minus_1,
            imbalance0,
            balanced,
            phases,
            t_plus_1,
            t_minus_1,
            plateau_loss,
            min_norm_sq,
            rows,
        }
    }

    /// Assumptions 1 and 2 (the statements with `D+-`, `eps` and the phases need both).
    pub fn paper_setting(&self) -> bool {
        self.orthonormal && self.assumption_2
    }

    /// Why the paper's setting is not met (for "no evidence" rows).
    pub fn setting_gap(&self) -> String {
        let mut gaps = Vec::new();
        if !self.orthonormal {
            gaps.push("inputs not orthonormal (Assumption 1)");
        }
        if !self.assumption_2 {
            gaps.push("Assumption 2 fails");
        }
        gaps.join(", ")
    }
}

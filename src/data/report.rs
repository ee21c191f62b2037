//! Whether a dataset satisfies the paper's Assumptions 1 and 2, with the numbers that decide it.

use std::fmt;

use serde::Serialize;

use super::Dataset;
use crate::numerics::{dot, stable_norm};

/// Tolerance of Assumption 1: inputs count as orthonormal when every
/// `|<x_k, x_l> - delta_kl| <= ORTHONORMAL_TOL`.
///
/// `1e-10` is about `5e5` machine epsilons (`2.2e-16`): room for the rounding of a Householder
/// QR (error of order `eps * max(n, d)` per Gram entry) and of files written with fewer digits,
/// for `n, d` up to a few hundred.
///
/// What it does not promise: that inputs within the tolerance behave as exactly orthonormal
/// ones. A deviation `delta = |<x_k, x_l>|` couples coordinates that Assumption 1 decouples, and
/// the paper's Section 3.2 needs `delta` of order `lambda` or smaller for its conclusions. A run at
/// `lambda` far below `delta` (e.g. the `~1e-16` of Haar inputs in `f64` against
/// `lambda < ~1e-16`) can differ from the exact-Assumption-1 dynamics: full gradient descent can
/// reactivate a coordinate the flow keeps frozen (claim L6). The reduced path
/// (`solver::reduced`) integrates Assumption 1 exactly and the claims run the flow there.
pub const ORTHONORMAL_TOL: f64 = 1e-10;

/// Relative margin of Assumption 2: `S+` and `S-` (sums of squared positive / negative labels)
/// count as different when `|S+ - S-| > LABEL_BALANCE_TOL * max(S+, S-)`. Ties closer than this
/// are indistinguishable from rounding (e.g. `0.36 + 0.64` vs `1`).
pub const LABEL_BALANCE_TOL: f64 = 1e-12;

/// The numbers behind Assumptions 1 and 2 (Section 2) for one dataset.
///
/// Assumption 1: `<x_k, x_l> = delta_kl` for all `k, l` (checked to [`ORTHONORMAL_TOL`]).
/// Assumption 2: every `y_k != 0` and `sum_{y>0} y^2 != sum_{y<0} y^2` (to [`LABEL_BALANCE_TOL`]);
/// under Assumption 1 the latter is `|D+| != |D-|`, with `D+ = (1/n) sum_{y_k>0} y_k x_k` and
/// `D- = (1/n) sum_{y_k<0} y_k x_k`.
///
/// ```
/// use reluflow::data::Dataset;
/// let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![2.0, -1.0]).unwrap();
/// let report = data.assumptions();
/// assert!(report.assumption_1 && report.assumption_2);
/// assert!(report.problems().is_empty());
/// assert_eq!(report.d_plus_norm, 1.0); // |(1/2) * 2 * e_1|
///
/// let tie = data.with_labels(vec![1.0, -1.0]).unwrap().assumptions();
/// assert!(!tie.assumption_2);
/// assert!(tie.problems()[0].contains("|D+| = |D-|"));
/// ```
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct AssumptionReport {
    /// Number of points.
    pub n: usize,
    /// Input dimension.
    pub d: usize,
    /// `max_{k,l} |<x_k, x_l> - delta_kl|` (diagonal included): the Assumption 1 deviation.
    pub max_gram_deviation: f64,
    /// The `(k, l)` (with `k <= l`) attaining `max_gram_deviation` (first one in row order).
    pub worst_gram_pair: (usize, usize),
    /// `max_{k != l} |<x_k, x_l>|` (0 when `n = 1`).
    pub max_offdiag_inner: f64,
    /// `max_{k != l} |<x_k, x_l>| / (|x_k| |x_l|)` (0 when `n = 1`; a zero input counts as
    /// orthogonal to everything).
    pub max_offdiag_cosine: f64,
    /// The `(k, l)`, `k < l`, attaining `max_offdiag_cosine` (`None` when `n = 1`).
    pub worst_offdiag_pair: Option<(usize, usize)>,
    /// `|x_k|` for every `k` (computed without overflow or underflow).
    pub norms: Vec<f64>,
    /// Assumption 1 to [`ORTHONORMAL_TOL`]: `max_gram_deviation <= ORTHONORMAL_TOL`.
    pub orthonormal: bool,
    /// Pairwise orthogonal: `max_offdiag_cosine <= ORTHONORMAL_TOL`.
    pub orthogonal: bool,
    /// `orthogonal && !orthonormal`: orthogonal inputs whose norms are not all 1 (the Section 5 toy).
    pub orthogonal_not_unit: bool,
    /// Indices `k` with `y_k = 0` (forbidden by Assumption 2).
    pub zero_labels: Vec<usize>,
    /// Number of positive labels.
    pub n_plus: usize,
    /// Number of negative labels.
    pub n_minus: usize,
    /// `S+ = sum_{y_k > 0} y_k^2`.
    pub sum_sq_plus: f64,
    /// `S- = sum_{y_k < 0} y_k^2`.
    pub sum_sq_minus: f64,
    /// `|S+ - S-| > LABEL_BALANCE_TOL * max(S+, S-)` (compared after scaling by `max |y_k|`, so
    /// immune to overflow): the second half of Assumption 2.
    pub sums_distinct: bool,
    /// `|D+| = |(1/n) sum_{y_k>0} y_k x_k|` (equals `sqrt(S+)/n` for orthonormal inputs).
    pub d_plus_norm: f64,
    /// `|D-| = |(1/n) sum_{y_k<0} y_k x_k|` (equals `sqrt(S-)/n` for orthonormal inputs).
    pub d_minus_norm: f64,
    /// `|D+|` and `|D-|` differ by more than [`LABEL_BALANCE_TOL`] relatively. Under Assumption 1
    /// this is the second half of Assumption 2; for orthogonal inputs that are not unit-norm it is
    /// the condition the dynamics actually uses (which side is fitted first), and it can hold while
    /// `S+ = S-` (the Section 5 toy).
    pub d_norms_distinct: bool,
    /// Assumption 1 holds (`orthonormal`).
    pub assumption_1: bool,
    /// Assumption 2 holds: `zero_labels` is empty and `sums_distinct`.
    pub assumption_2: bool,
}

/// `| |x|^2 - 1 | <= ORTHONORMAL_TOL` (the diagonal part of Assumption 1).
fn unit_norm(norm: f64) -> bool {
    (norm * norm - 1.0).abs() <= ORTHONORMAL_TOL
}

/// Relative difference `|a - b| > tol * max(a, b)` for non-negative `a, b`.
fn distinct(a: f64, b: f64) -> bool {
    (a - b).abs() > LABEL_BALANCE_TOL * a.max(b)
}

impl AssumptionReport {
    /// Computes the report (`O(n^2 d)`).
    pub fn of(data: &Dataset) -> Self {
        let (n, d) = (data.n(), data.d());
        let norms: Vec<f64> = (0..n).map(|k| stable_norm(data.x(k))).collect();
        let units: Vec<Vec<f64>> = (0..n)
            .map(|k| {
                let nk = norms[k];
                if nk > 0.0 && nk.is_finite() { data.x(k).iter().map(|v| v / nk).collect() } else { vec![0.0; d] }
            })
            .collect();

        let (mut max_gram_deviation, mut worst_gram_pair) = (-1.0f64, (0, 0));
        let (mut max_offdiag_inner, mut max_offdiag_cosine, mut worst_offdiag_pair) = (0.0f64, 0.0f64, None);
        for k in 0..n {
            for l in k..n {
                let inner = dot(data.x(k), data.x(l));
                // Overflowing products can give inf - inf = NaN: report it as an infinite deviation.
                let inner = if inner.is_nan() { f64::INFINITY } else { inner };
                let dev = if k == l { (inner - 1.0).abs() } else { inner.abs() };
                if dev > max_gram_deviation {
                    max_gram_deviation = dev;
                    worst_gram_pair = (k, l);
                }
                if k != l {
                    max_offdiag_inner = max_offdiag_inner.max(inner.abs());
                    let cosine = dot(&units[k], &units[l]).abs();
                    if worst_offdiag_pair.is_none() || cosine > max_offdiag_cosine {
                        max_offdiag_cosine = cosine;
                        worst_offdiag_pair = Some((k, l));
                    }
                }
            }
        }
        let orthonormal = max_gram_deviation <= ORTHONORMAL_TOL;
        let orthogonal = max_offdiag_cosine <= ORTHONORMAL_TOL;

        let y = data.y();
        let zero_labels: Vec<usize> = (0..n).filter(|&k| y[k] == 0.0).collect();
        let n_plus = y.iter().filter(|v| **v > 0.0).count();
        let n_minus = y.iter().filter(|v| **v < 0.0).count();
        let sum_sq =
            |pos: bool| y.iter().filter(|v| if pos { **v > 0.0 } else { **v < 0.0 }).map(|v| v * v).sum::<f64>();
        let (sum_sq_plus, sum_sq_minus) = (sum_sq(true), sum_sq(false));
        // The same sums scaled by the largest |y|, for a comparison immune to overflow.
        let ymax = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let scaled = |pos: bool| {
            if ymax == 0.0 {
                return 0.0;
            }
            y.iter().filter(|v| if pos { **v > 0.0 } else { **v < 0.0 }).map(|v| (v / ymax) * (v / ymax)).sum::<f64>()
        };
        let sums_distinct = distinct(scaled(true), scaled(false));
        let assumption_2 = zero_labels.is_empty() && sums_distinct;

        let d_vec = |pos: bool| {
            let mut acc = vec![0.0; d];
            for k in (0..n).filter(|&k| if pos { y[k] > 0.0 } else { y[k] < 0.0 }) {
                for (a, xv) in acc.iter_mut().zip(data.x(k)) {
                    *a += y[k] / n as f64 * xv;
                }
            }
            stable_norm(&acc)
        };
        let (d_plus_norm, d_minus_norm) = (d_vec(true), d_vec(false));

        Self {
            n,
            d,
            max_gram_deviation,
            worst_gram_pair,
            max_offdiag_inner,
            max_offdiag_cosine,
            worst_offdiag_pair,
            norms,
            orthonormal,
            orthogonal,
            orthogonal_not_unit: orthogonal && !orthonormal,
            zero_labels,
            n_plus,
            n_minus,
            sum_sq_plus,
            sum_sq_minus,
            sums_distinct,
            d_plus_norm,
            d_minus_norm,
            d_norms_distinct: distinct(d_plus_norm, d_minus_norm),
            assumption_1: orthonormal,
            assumption_2,
        }
    }

    /// `r = |D+| / |D-|` (infinite when there is no negative label; the paper assumes `r > 1`
    /// after flipping all labels if needed).
    pub fn ratio(&self) -> f64 {
        self.d_plus_norm / self.d_minus_norm
    }

    /// Each violated assumption, in words with the numbers that violate it; empty when
    /// Assumptions 1 and 2 both hold.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.assumption_1 && !self.orthogonal_not_unit {
            let (k, l) = self.worst_gram_pair;
            let mut msg = format!(
                "Assumption 1 fails: max |<x_k,x_l> - delta_kl| = {:.3e} (tolerance {ORTHONORMAL_TOL:e}), at (k, l) = ({k}, {l})",
                self.max_gram_deviation
            );
            if let Some((a, b)) = self.worst_offdiag_pair {
                msg += &format!(
                    "; inputs {a} and {b} are not orthogonal: |<x_{a},x_{b}>| / (|x_{a}| |x_{b}|) = {:.3e} \
                     (max off-diagonal |<x_k,x_l>| = {:.3e})",
                    self.max_offdiag_cosine, self.max_offdiag_inner
                );
            }
            out.push(msg);
        }
        if !self.zero_labels.is_empty() {
            let shown: Vec<String> = self.zero_labels.iter().take(10).map(|k| format!("y[{k}]")).collect();
            let more = if self.zero_labels.len() > shown.len() { ", ..." } else { "" };
            let what = if self.zero_labels.len() == 1 {
                format!("label {} = 0", shown[0])
            } else {
                format!("labels {}{more} are 0 ({} zero labels)", shown.join(", "), self.zero_labels.len())
            };
            out.push(format!("Assumption 2 fails: {what}; every y_k must be non-zero"));
        }
        let general_form_holds = self.orthogonal_not_unit && self.d_norms_distinct;
        if !self.sums_distinct && !general_form_holds {
            let mut msg = format!(
                "Assumption 2 fails: sum of squares of positive labels equals that of negative labels (|D+| = |D-|): \
                 S+ = {:e}, S- = {:e} (relative tolerance {LABEL_BALANCE_TOL:e})",
                self.sum_sq_plus, self.sum_sq_minus
            );
            if !self.orthonormal && self.d_norms_distinct {
                msg += &format!(
                    "; note the inputs are not orthonormal and the general |D+| = {:.6} and |D-| = {:.6} differ (r = {:.6})",
                    self.d_plus_norm,
                    self.d_minus_norm,
                    self.ratio()
                );
            }
            out.push(msg);
        }
        out
    }

    /// What is true of inputs that are orthogonal but not unit-norm (the Section 5 toy), in words:
    /// not problems, since the paper's analysis does not need unit norms (its results hold with
    /// the rescaled minimum norm of Proposition 1, `theory::min_norm_sq`), and there the form of
    /// Assumption 2 that fixes the order of the phases is `|D+| != |D-|`, not `S+ != S-`. Empty
    /// for every other dataset.
    ///
    /// ```
    /// let toy = reluflow::data::generate::toy().assumptions();
    /// assert!(toy.problems().is_empty());
    /// assert!(toy.notes()[0].contains("orthogonal but not unit-norm"));
    /// ```
    pub fn notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.orthogonal_not_unit {
            return out;
        }
        let not_unit: Vec<usize> = (0..self.n).filter(|&k| !unit_norm(self.norms[k])).collect();
        let shown: Vec<String> = not_unit.iter().take(5).map(|&k| format!("|x_{k}| = {:.6}", self.norms[k])).collect();
        let more = if not_unit.len() > shown.len() { ", ..." } else { "" };
        out.push(format!(
            "the inputs are orthogonal but not unit-norm ({}{more}): the paper's results apply, with Proposition \
             1's minimum norm for these norms (2 |sum_(y>0) y_k x_k / |x_k|^2| + 2 |sum_(y<0) ...|)",
            shown.join(", ")
        ));
        if self.zero_labels.is_empty() && self.d_norms_distinct {
            let form = if self.sums_distinct {
                String::new()
            } else {
                format!(
                    "; the sum-of-squares form S+ != S- is for unit-norm inputs (here S+ = {:e}, S- = {:e})",
                    self.sum_sq_plus, self.sum_sq_minus
                )
            };
            out.push(format!(
                "Assumption 2 holds in the form these inputs need: |D+| = {:.6} != |D-| = {:.6} (r = {:.6}){form}",
                self.d_plus_norm,
                self.d_minus_norm,
                self.ratio()
            ));
        }
        out
    }
}

impl fmt::Display for AssumptionReport {
    /// A short multi-line summary.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = |ok: bool| if ok { "holds" } else { "FAILS" };
        writeln!(f, "dataset: n = {} points in d = {}", self.n, self.d)?;
        writeln!(
            f,
            "Assumption 1 (orthonormal inputs): {} (max |<x_k,x_l> - delta_kl| = {:.3e}, max off-diagonal cosine = {:.3e})",
            if self.orthogonal_not_unit {
                "orthogonal, not unit-norm (the results apply with Proposition 1's rescaled minimum norm)"
            } else {
                verdict(self.assumption_1)
            },
            self.max_gram_deviation,
            self.max_offdiag_cosine,
        )?;
        let (form, holds) = if self.orthogonal_not_unit {
            ("|D+| != |D-|", self.zero_labels.is_empty() && self.d_norms_distinct)
        } else {
            ("S+ != S-", self.assumption_2)
        };
        writeln!(
            f,
            "Assumption 2 (y_k != 0, {form}): {} (n+ = {}, n- = {}, zero labels = {}, S+ = {:.6e}, S- = {:.6e})",
            verdict(holds),
            self.n_plus,
            self.n_minus,
            self.zero_labels.len(),
            self.sum_sq_plus,
            self.sum_sq_minus
        )?;
        write!(
            f,
            "|D+| = {:.6e}, |D-| = {:.6e}, r = |D+|/|D-| = {:.6}",
            self.d_plus_norm,
            self.d_minus_norm,
            self.ratio()
        )?;
        if self.ratio() < 1.0 {
            write!(f, " (< 1: the paper flips all labels so that r > 1)")?;
        }
        Ok(())
    }
}

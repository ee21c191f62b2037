//! The parts of a lemma in log space: one inequality is a [`Verdict`] built with
//! `Verdict::at_most` / `Verdict::at_least` and [`Verdict::in_log_units`], and the parts of one
//! grid time are combined by [`Verdict::all`]; [`witness_margin`] ranks grid times.

use super::SaddleTheory;
use crate::claims::{ClaimId, Verdict};
use crate::numerics::ln_or_zero;

/// The statement of one part: `what` alone, or with `detail` also both values (plain and log).
/// The grid searches build parts at every grid time and describe only the chosen one.
fn describe(what: &str, op: &str, ln_measured: f64, ln_bound: f64, detail: bool) -> String {
    if detail {
        format!("{what}: {:.4e} {op} {:.4e} (ln {ln_measured:.3} vs {ln_bound:.3})", ln_measured.exp(), ln_bound.exp())
    } else {
        what.to_string()
    }
}

/// One inequality `measured <= bound` of a lemma as a verdict part of `claim`, compared in log
/// space: `ln_measured` against `ln_bound` ([`Verdict::in_log_units`]; the margin is
/// `ln(bound/measured)`, so parts of one lemma are commensurable).
pub(super) fn at_most(claim: ClaimId, what: &str, ln_measured: f64, ln_bound: f64, detail: bool) -> Verdict {
    Verdict::at_most(claim, ln_measured, ln_bound, describe(what, "<=", ln_measured, ln_bound, detail)).in_log_units()
}

/// One inequality `measured >= bound`, as [`at_most`].
pub(super) fn at_least(claim: ClaimId, what: &str, ln_measured: f64, ln_bound: f64, detail: bool) -> Verdict {
    Verdict::at_least(claim, ln_measured, ln_bound, describe(what, ">=", ln_measured, ln_bound, detail)).in_log_units()
}

/// How a grid time ranks as a witness of a lemma whose inequalities at that time are `parts`:
/// the margin of the part [`Verdict::all`] would report as binding (the worst non-vacuous part,
/// [`Verdict::is_worse_than`]; every part when all are vacuous), NaN counted as `-inf`. The
/// inequalities all hold at that time iff it is `>= 0`.
pub(super) fn witness_margin(parts: &[Verdict]) -> f64 {
    let all_vacuous = parts.iter().all(Verdict::is_vacuous);
    let binding =
        parts.iter().filter(|p| all_vacuous || !p.is_vacuous()).reduce(|w, p| if p.is_worse_than(w) { p } else { w });
    match binding.map(Verdict::margin) {
        Some(m) if !m.is_nan() => m,
        _ => f64::NEG_INFINITY,
    }
}

/// The instance's numbers, which every statement starts with.
pub(super) fn instance_context(th: &SaddleTheory) -> String {
    format!(
        "n = {}, m = {}, ln(lambda) = {:.2}, eps = {:.4}, |D+| = {:.4}, |D-| = {:.4}, r = {:.3}, c = {:.3}, |S+,1| = {}, |S-,1| = {}",
        th.n,
        th.m,
        th.ln_lambda,
        th.eps,
        th.d_plus_norm,
        th.d_minus_norm,
        th.r,
        th.c,
        th.s_plus_1.len(),
        th.s_minus_1.len()
    )
}

/// `ln |u - K|` from `ln u` (`u = 0` when `ln u = -inf`).
pub(super) fn ln_mass_gap(ln_u: f64, k: f64) -> f64 {
    ln_or_zero((ln_u.exp() - k).abs())
}

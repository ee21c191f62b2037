//! L4 (Lemma 4 / Lemma 11): the end of the negative fit ([`check_l4`]).

use super::l3::{check_l3, l3_witness};
use super::parts::{at_most, instance_context, ln_mass_gap, witness_margin};
use super::{SaddleSample, SaddleTheory, SaddleTrace};
use crate::claims::{ClaimId, Verdict};
use crate::numerics::ln_or_zero;
use crate::theory;

/// Lemma 4 / Lemma 11 (claim L4), the state at the end of the negative fit.
///
/// (a) **Statement checked**: with `t2` = [`l3_witness`] (the first grid time at which Lemma 3's
/// conclusions hold; if there is none the check fails), there is a grid time
/// `t3 <= -(1+3 r eps) ln(lambda)/|D-|`, `t3 >= t2`, at which simultaneously:
/// (i) every `j` in `S-,1` has `|D-| - <w_j/|w_j|, -D-> <= lambda^(eps/14)`;
/// (ii) `|sum_{S-,1} |w_j|^2 - n|D-|| <= lambda^(eps/29)` (the paper's equality read as a bound,
/// as for L3); (iii) every `j` in `S+,1` has `|w_j(t3) - w_j(t2)| <= lambda^(eps/15)`;
/// (iv) every `j` outside `S+,1 u S-,1` has `|w_j| <= 3 c lambda^eps`; and (v) for every grid
/// time `t` in `[t2, t3]`, `|D+^t| <= lambda^(eps/14)` with
/// `D+^t = -(1/n) sum_{y_k>0} (h(x_k) - y_k) x_k` (Appendix B.1; Lemma 11 (iv) and the definition
/// (23) of `t3`; the paper's strict `<` is checked as `<=`). The verdict is at the grid time
/// with the largest smallest margin; the statement also gives the first witness.
///
/// (b) **Tolerances**: the bounds printed in Lemma 4 / Lemma 11, nothing else. At
/// `lambda = 1e-300` and `eps = 0.05`, `lambda^(eps/29) = 0.30`: weak but not vacuous. (i) is
/// marked vacuous where `lambda^(eps/14) >= 2|D-|` and (ii) where `lambda^(eps/29) >= n|D-|`
/// (e.g. `n|D-| = 0.50` against `0.56` at `eps = 0.024`): `u- = 0`, an empty `S-,1`, would pass;
/// the best grid time is then chosen by the other parts.
///
/// (c) **lambda**: `1e-300` in [`instance`](super::instance).
pub fn check_l4(trace: &SaddleTrace, th: &SaddleTheory) -> Verdict {
    let context = format!("{}; t3 bound -(1+3 r eps)ln(lambda)/|D-| = {:.2}", instance_context(th), th.t3_bound);
    let Some(i2) = l3_witness(trace, th) else {
        let l3 = check_l3(trace, th);
        return Verdict::failed(
            ClaimId::L4,
            format!("{context}; no t2: Lemma 3's conclusions never hold before its bound ({})", l3.statement()),
        );
    };
    let s = &trace.samples;
    let mut sup_dplus = 0.0f64;
    // (index, sup |D+^t| up to it, score) of the best grid time so far
    let mut best: Option<(usize, f64, f64)> = None;
    let mut first: Option<usize> = None;
    for (i, x) in s.iter().enumerate().skip(i2) {
        if x.time > th.t3_bound {
            break;
        }
        sup_dplus = sup_dplus.max(x.d_plus_t_norm);
        let score = witness_margin(&l4_parts(x, &s[i2], sup_dplus, th, false));
        if score >= 0.0 && first.is_none() {
            first = Some(i);
        }
        // strictly better only: on a tie the earlier grid time stays the witness (`>=` would
        // report the last of tied ones: tests/claims_saddles.rs, l3_l4_report_the_first_of_tied_witnesses)
        if best.is_none_or(|b| score > b.2) {
            best = Some((i, sup_dplus, score));
        }
    }
    let Some((ib, sup_at_best, _)) = best else {
        let part = at_most(ClaimId::L4, "t2 <= t3 bound", s[i2].time.ln(), th.t3_bound.ln(), true);
        return part.with_context(format!("{context}; t2 = {:.2} is after the t3 bound", s[i2].time));
    };
    let context = format!(
        "{context}; t2 = {:.2}; best grid time t3 = {:.2} (u- = {:.6}, n|D-| = {:.6}); first witness t3 = {}",
        s[i2].time,
        s[ib].time,
        s[ib].ln_u_minus.exp(),
        th.k_minus,
        first.map_or("none".into(), |i| format!("{:.2}", s[i].time))
    );
    Verdict::all(ClaimId::L4, l4_parts(&s[ib], &s[i2], sup_at_best, th, true)).with_context(context)
}

/// Lemma 4's five inequalities at grid time `x`, with `t2` at `at_t2` and `sup_{[t2, t]} |D+^t|`
/// = `sup_dplus` (statements with numbers when `detail`). (i) and (ii) are vacuous when their
/// bound is at least the largest value the measured gap can take without the lemma's conclusion:
/// the alignment gap is at most `2|D-|`, and a mass gap `|u- - n|D-||` of `n|D-|` is that of
/// `u- = 0` (an empty or unfitted `S-,1`; e.g. `n|D-| = 0.50` against `lambda^(eps/29) = 0.56`
/// at `eps = 0.024`, `lambda = 1e-300`).
fn l4_parts(x: &SaddleSample, at_t2: &SaddleSample, sup_dplus: f64, th: &SaddleTheory, detail: bool) -> Vec<Verdict> {
    let (lnl, eps) = (th.ln_lambda, th.eps);
    let id = ClaimId::L4;
    let d = if th.s_plus_1.is_empty() { 0 } else { at_t2.w_plus.len() / th.s_plus_1.len() };
    let moved = (0..th.s_plus_1.len())
        .map(|q| {
            let a = &x.w_plus[q * d..(q + 1) * d];
            let b = &at_t2.w_plus[q * d..(q + 1) * d];
            a.iter().zip(b).map(|(u, v)| (u - v) * (u - v)).sum::<f64>().sqrt()
        })
        .fold(0.0f64, f64::max);
    let align = theory::ln_lemma4_alignment_gap(lnl, eps);
    let mass = theory::ln_lemma4_mass_gap(lnl, eps);
    vec![
        at_most(
            id,
            "(i) max_{S-,1} |D-| - <w_j/|w_j|, -D-> <= lambda^(eps/14)",
            ln_or_zero(x.gap_minus),
            align,
            detail,
        )
        .vacuous_if(align >= (2.0 * th.d_minus_norm).ln(), "lambda^(eps/14) >= 2|D-|, the largest gap"),
        at_most(
            id,
            "(ii) |sum_{S-,1} |w_j|^2 - n|D-|| <= lambda^(eps/29)",
            ln_mass_gap(x.ln_u_minus, th.k_minus),
            mass,
            detail,
        )
        .vacuous_if(mass >= th.k_minus.ln(), "lambda^(eps/29) >= n|D-|: u- = 0 passes"),
        at_most(
            id,
            "(iii) max_{S+,1} |w_j(t3) - w_j(t2)| <= lambda^(eps/15)",
            ln_or_zero(moved),
            theory::ln_lemma4_plus_movement_bound(lnl, eps),
            detail,
        ),
        at_most(
            id,
            "(iv) max_{j not in S+,1 u S-,1} |w_j| <= 3 c lambda^eps",
            x.ln_max_outside_both,
            theory::ln_lemma4_other_norm_bound(th.c, lnl, eps),
            detail,
        ),
        at_most(id, "(v) sup_{[t2, t3]} |D+^t| <= lambda^(eps/14)", ln_or_zero(sup_dplus), align, detail),
    ]
}

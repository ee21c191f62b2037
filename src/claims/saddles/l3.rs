//! L3 (Lemma 3 / Lemma 10): the end of the positive fit ([`check_l3`], [`l3_witness`]) and the
//! logistic law of `u+` during it ([`check_l3_logistic`]).

use super::parts::{at_least, at_most, instance_context, ln_mass_gap, witness_margin};
use super::{FLOW_RTOL, SaddleSample, SaddleTheory, SaddleTrace};
use crate::claims::{ClaimId, Verdict};
use crate::numerics::ln_or_zero;
use crate::theory;

/// Lemma 3's three inequalities at grid time `s` (statements with numbers when `detail`).
/// (i) and (ii) are vacuous when their bound is at least the largest value the measured gap can
/// take without the lemma's conclusion: the alignment gap `|D+| - <w_j/|w_j|, D+>` is at most
/// `2|D+|`, and a mass gap `|u+ - n|D+||` of `n|D+|` is that of `u+ = 0` (nothing fitted).
fn l3_parts(s: &SaddleSample, th: &SaddleTheory, detail: bool) -> Vec<Verdict> {
    let (lnl, eps) = (th.ln_lambda, th.eps);
    let id = ClaimId::L3;
    let align = theory::ln_lemma3_alignment_gap(lnl, eps);
    let mass = theory::ln_lemma3_mass_gap(lnl, eps);
    vec![
        at_most(id, "(i) max_{S+,1} |D+| - <w_j/|w_j|, D+> <= lambda^(eps/2)", ln_or_zero(s.gap_plus), align, detail)
            .vacuous_if(align >= (2.0 * th.d_plus_norm).ln(), "lambda^(eps/2) >= 2|D+|, the largest gap"),
        at_most(
            id,
            "(ii) |sum_{S+,1} |w_j|^2 - n|D+|| <= lambda^(eps/5)",
            ln_mass_gap(s.ln_u_plus, th.k_plus),
            mass,
            detail,
        )
        .vacuous_if(mass >= th.k_plus.ln(), "lambda^(eps/5) >= n|D+|: u+ = 0 passes"),
        at_most(
            id,
            "(iii) max_{j not in S+,1} |w_j| <= 2 c lambda^eps",
            s.ln_max_outside_plus,
            theory::ln_lemma3_other_norm_bound(th.c, lnl, eps),
            detail,
        ),
    ]
}

/// The first grid index `i` with `t_i <= -(1+3eps) ln(lambda)/|D+|` at which Lemma 3's three
/// inequalities hold: the finite witness of `t2` (Lemma 10 defines `t2` as the first time one of
/// the three conditions of (17) switches; when Lemma 10 holds that is the mass condition, so this
/// is the paper's `t2` up to one grid step).
pub fn l3_witness(trace: &SaddleTrace, th: &SaddleTheory) -> Option<usize> {
    trace
        .samples
        .iter()
        .take_while(|s| s.time <= th.t2_bound)
        .position(|s| witness_margin(&l3_parts(s, th, false)) >= 0.0)
}

/// Lemma 3 / Lemma 10 (claim L3), the state at the end of the positive fit.
///
/// (a) **Statement checked**: there is a grid time `t <= -(1+3eps) ln(lambda)/|D+|` at which,
/// simultaneously, (i) every `j` in `S+,1` has `|D+| - <w_j/|w_j|, D+> <= lambda^(eps/2)`;
/// (ii) `|sum_{S+,1} |w_j|^2 - n|D+|| <= lambda^(eps/5)` (the paper's equality
/// `= n|D+| - lambda^(eps/5)` is the first crossing of that level, Lemma 10's `t2`; read as a
/// bound); (iii) every `j` outside `S+,1` has `|w_j| <= 2 c lambda^eps`. The verdict is at the
/// grid time with the largest smallest margin (the best witness); the statement also gives the
/// first witness (the finite `t2`, [`l3_witness`]).
///
/// (b) **Tolerances**: the three bounds printed in Lemma 3, with `eps` the caller's (the
/// runner uses [`theory::epsilon_max`]), `c = max_j |g_j|`; nothing else.
///
/// (c) **lambda**: `1e-300` in [`instance`](super::instance) (module docs: at `1e-30` the bounds are
/// nearly vacuous); on an instance of your own, its `lambda`, at most
/// [`SADDLE_LAMBDA_MAX`](super::SADDLE_LAMBDA_MAX).
pub fn check_l3(trace: &SaddleTrace, th: &SaddleTheory) -> Verdict {
    let context = format!("{}; t2 bound -(1+3eps)ln(lambda)/|D+| = {:.2}", instance_context(th), th.t2_bound);
    let window: Vec<&SaddleSample> = trace.samples.iter().take_while(|s| s.time <= th.t2_bound).collect();
    let scores: Vec<f64> = window.iter().map(|s| witness_margin(&l3_parts(s, th, false))).collect();
    // the first grid time with the largest score (a later tie is not preferred: the test
    // l3_l4_report_the_first_of_tied_witnesses fails on `>=`)
    let Some(best) = (0..window.len()).reduce(|b, i| if scores[i] > scores[b] { i } else { b }).map(|i| window[i])
    else {
        return Verdict::failed(ClaimId::L3, format!("{context}; the trace has no sample before the bound"));
    };
    let first = l3_witness(trace, th).map(|i| trace.samples[i].time);
    let context = format!(
        "{context}; best grid time t = {:.2} (u+ = {:.6}, n|D+| = {:.6}); first witness t2 = {}",
        best.time,
        best.ln_u_plus.exp(),
        th.k_plus,
        first.map_or("none".into(), |t| format!("{t:.2}"))
    );
    Verdict::all(ClaimId::L3, l3_parts(best, th, true)).with_context(context)
}

/// `logit(u/K) = ln(u/K) - ln(1 - u/K)` from `ln u` (exact for tiny `u`).
fn logit(ln_u: f64, k: f64) -> f64 {
    let ln_p = ln_u - k.ln();
    ln_p - (-ln_p.exp()).ln_1p()
}

/// The logistic law of Section 4.2 during the positive fit (claim L3, second sentence):
/// `u+' ~ 2|D+| (1 - u+/(n|D+|)) u+`, `u+ = sum_{S+,1} |w_j|^2`.
///
/// (a) **Statement checked**: with `p = u+/(n|D+|)` and `logit(p) = ln(p/(1-p))`, the logistic
/// law is `d logit(p)/dt = 2|D+|`: the closed-form logistic through the measured `u+(t_a)` is
/// `logit(p(t)) = logit(p(t_a)) + 2|D+|(t - t_a)`. Marks: `t_a` = first grid time
/// `>= t+1 = -eps ln(lambda)/|D+|` (end of Lemma 7's alignment phase), then the first grid times
/// `t_0.1`, `t_0.5`, `t_0.9` at which `p` reaches `0.1`, `0.5`, `0.9` (all before Lemma 3's `t2`
/// bound; if `p` does not reach `0.9` by then, the check fails). On each window `[t_a, t_b]` between
/// consecutive marks, the closed form through `u+(t_a)` must predict `logit(p(t_b))` to within
/// `2|D+|(t_b - t_a) delta(p_b) + nu`, i.e. the relative deviation of the mean slope,
/// `|slope / (2|D+|) - 1|`, is at most `delta(p_b) + nu / (2|D+|(t_b - t_a))`.
///
/// (b) **Tolerance**. *Model part `delta`, derived from Lemma 10's proof*: for `t` in `[t+1, t2]`,
/// `j` in `S+,1` is active exactly on the positive labels (Lemma 7 (iii), Lemma 6), so
/// `u+'/2 = sum_{S+,1} |w_j|^2 <D+^t, w_j/|w_j|>`. Write `w_j/|w_j| = D+/|D+| + d_j` (eq. (18),
/// `|d_j|^2 = 2 gap_j/|D+| <= 2 lambda^(eps/2)/|D+|` by Lemma 10 (iii)) and
/// `v = sum_{j not in S+,1} |w_j|^2 <= m (2 c lambda^eps)^2` (Lemma 10 (ii)). With orthonormal
/// inputs, for `y_k > 0`, `h(x_k) = p y_k + sum_{S+,1} |w_j|^2 <d_j, x_k> + e_k` with `|e_k| <= v`,
/// hence `D+^t = (1 - p) D+ - E` (eq. (19)) with `|E| <= (u+ max|d_j| + sqrt(n+) v)/n`, and
/// `<D+, w_j/|w_j|> = |D+| (1 - |d_j|^2/2)`. Therefore
/// `|u+' / (2|D+|(1-p)u+) - 1| <= delta(p) := lambda^(eps/2)/|D+|
///  + [p sqrt(2 lambda^(eps/2)/|D+|) + sqrt(n+) m 4 c^2 lambda^(2eps) / (n|D+|)] / (1 - p)`,
/// which is `|d logit(p)/dt / (2|D+|) - 1|`; it increases with `p`, and `p` increases on the
/// window, so `delta(p_b)` bounds the mean over the window. *Integrator part `nu`*: the flow
/// integrator accepts a step only if its error estimate is at most `rtol` ([`FLOW_RTOL`](super::FLOW_RTOL)) times
/// each neuron's size, so each step changes `ln u+` by at most `2 rtol` beyond the exact flow and
/// `logit(p)` by at most `2 rtol/(1-p)`; under the logistic law a perturbation of `logit(p)` is
/// carried unchanged (`d logit/dt` does not depend on `logit`), so only the `N` steps inside the
/// window count, plus one step of dense-output error at each end:
/// `nu = 2 rtol (N + 2) / (1 - p_b)`. At `lambda = 1e-300`, `eps = 0.05`, `|D+| = 1`:
/// `delta(0.9) = 2.2e-3`; for `eps` near 0.12 `delta` drops to `1e-10` and `nu` (about `1e-9`)
/// dominates. The model part says little at large `lambda` (`delta > 1`).
///
/// (c) **lambda**: `1e-300` in [`instance`](super::instance).
pub fn check_l3_logistic(trace: &SaddleTrace, th: &SaddleTheory) -> Verdict {
    let half = (th.eps / 2.0 * th.ln_lambda).exp();
    let delta = |p: f64| {
        half / th.d_plus_norm
            + (p * (2.0 * half / th.d_plus_norm).sqrt()
                + (th.n_plus as f64).sqrt() * th.m as f64 * 4.0 * th.c * th.c * (2.0 * th.eps * th.ln_lambda).exp()
                    / (th.n as f64 * th.d_plus_norm))
                / (1.0 - p)
    };
    let p_of = |s: &SaddleSample| (s.ln_u_plus - th.k_plus.ln()).exp();
    let context = format!(
        "{}; logistic rate 2|D+| = {:.6}, n|D+| = {:.6}, t+1 = {:.2}, t2 bound = {:.2}, rtol = {:e}",
        instance_context(th),
        th.logistic_rate,
        th.k_plus,
        th.t_plus_1,
        th.t2_bound,
        FLOW_RTOL
    );
    let window: Vec<&SaddleSample> =
        trace.samples.iter().filter(|s| s.time >= th.t_plus_1 && s.time <= th.t2_bound).collect();
    let mut marks: Vec<&SaddleSample> = window.first().copied().into_iter().collect();
    for level in [0.1, 0.5, 0.9] {
        match window.iter().find(|s| p_of(s) >= level) {
            Some(&s) if marks.last().is_some_and(|m| s.time > m.time) => marks.push(s),
            Some(_) => {}
            None => break,
        }
    }
    let mut parts = Vec::new();
    let p_max = window.iter().map(|s| p_of(s)).fold(0.0f64, f64::max);
    if p_max < 0.9 || marks.len() < 2 {
        parts.push(at_least(
            ClaimId::L3,
            "u+/(n|D+|) reaches 0.9 in [t+1, t2 bound] (max reached)",
            ln_or_zero(p_max),
            0.9f64.ln(),
            true,
        ));
    }
    for pair in marks.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let slope = (logit(b.ln_u_plus, th.k_plus) - logit(a.ln_u_plus, th.k_plus)) / (b.time - a.time);
        let p_b =
            window.iter().filter(|s| s.time >= a.time && s.time <= b.time).map(|s| p_of(s)).fold(0.0f64, f64::max);
        let steps = b.step.saturating_sub(a.step) as f64;
        let tol = if p_b < 1.0 {
            delta(p_b) + 2.0 * FLOW_RTOL * (steps + 2.0) / ((1.0 - p_b) * th.logistic_rate * (b.time - a.time))
        } else {
            f64::INFINITY
        };
        parts.push(at_most(
            ClaimId::L3,
            &format!(
                "window [{:.2}, {:.2}] (p {:.2e} -> {:.3}, {} steps): |slope of logit(p)/(2|D+|) - 1| <= delta + nu",
                a.time,
                b.time,
                p_of(a),
                p_b,
                steps
            ),
            ln_or_zero((slope / th.logistic_rate - 1.0).abs()),
            tol.ln(),
            true,
        ));
    }
    Verdict::all(ClaimId::L3, parts).with_context(context)
}

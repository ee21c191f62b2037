//! F1 (Fact 1): the loss plateau at the intermediate saddle ([`check_f1`], [`f1_loss_band`]).

use super::parts::{at_least, at_most, instance_context};
use super::{SaddleTheory, SaddleTrace};
use crate::claims::{ClaimId, Verdict};
use crate::numerics::ln_or_zero;

/// Fact 1's loss band: the largest `|L(theta) - L(theta_S)|` allowed by
/// `|theta - theta_S| <= delta` (see [`check_f1`]).
pub fn f1_loss_band(th: &SaddleTheory, delta: f64) -> f64 {
    let theta_s = (2.0 * th.k_plus).sqrt();
    let eta = (2.0 * theta_s + delta) * delta;
    eta * th.sum_abs_negative / th.n as f64 + eta * eta / 2.0
}

/// Fact 1 (claim F1): the loss plateau at the intermediate saddle.
///
/// (a) **Statement checked**, on the grid:
/// 1. *Near the saddle*: for every grid time `t` in Fact 1's interval
///    `[-(1+3eps) ln(lambda)/|D+|, -(1-eps) ln(lambda)/|D-|]`, `|L(theta_t) - L_S| <= B`, with
///    `L_S = (1/2n) sum_{y_k<0} y_k^2` ([`theory::plateau_loss`](crate::theory::plateau_loss)) and `B` = [`f1_loss_band`] at
///    `delta = lambda^(eps/5)`. If the interval is shorter than a grid step (at
///    `eps = epsilon_max` bound by `(1+3eps)/r <= 1-eps` it is a single point, up to rounding) the
///    first grid time after its start is judged; an empty interval (start after end) fails.
/// 2. *Lasting about `-ln(lambda)(1/|D-| - 1/|D+|)`*: the plateau is delimited by two
///    `lambda`-free landmarks of the loss curve, `t_fit+` = first grid time with
///    `L <= (L(0) + L_S)/2` (the positive labels half fitted) and `t_fit-` = first grid time with
///    `L <= L_S/2` (the negative labels half fitted). Figure 1's timeline puts them in
///    `t+1 = -eps ln(lambda)/|D+| <= t_fit+ <= -(1+3eps) ln(lambda)/|D+|` and
///    `-(1-eps) ln(lambda)/|D-| <= t_fit- <= -(1+3 r eps) ln(lambda)/|D-|`, so the measured
///    plateau `t_fit- - t_fit+` is within `-ln(lambda)[(1-eps)/|D-| - (1+3eps)/|D+|,
///    (1+3 r eps)/|D-| - eps/|D+|]`, which brackets the "about" value (both are reported).
///
/// (b) **Tolerances**. Part 1 is derived from Fact 1's `|theta_t - theta_S| <= delta =
/// lambda^(eps/5)`: `theta_S` fits the positive labels (residual 0 there) and is 0 elsewhere, so
/// its residual is `-y_k` on negative labels and `|theta_S|^2 = 2 n|D+|` (balanced,
/// `sum_{S+,1}|w_j|^2 = n|D+|`). For unit inputs, `relu` 1-Lipschitz and Cauchy-Schwarz,
/// `|h_theta(x_k) - h_theta_S(x_k)| <= sum_j |a_j - a'_j||w_j| + |a'_j||w_j - w'_j|
///  <= (|theta| + |theta_S|) delta <= eta := (2|theta_S| + delta) delta`, hence
/// `|L(theta) - L_S| = (1/2n)|sum_k dh_k (dh_k + 2 r^S_k)| <= eta^2/2 + (eta/n) sum_{y_k<0}|y_k| = B`.
/// Part 2's four inequalities are the lemmas' own times: at `t+1` every `|w_j| <= 2c
/// lambda^(1-eps)` (Lemma 7), so `L` is still `L(0)` up to `m (2c lambda^(1-eps))^2`; at Lemma 3's
/// `t2` the positive residuals are of order `lambda^(eps/5)`; on Fact 1's interval
/// `L >= L_S - B`; at Lemma 4's `t3` the negative labels are fitted up to `lambda^(eps/29)`. They
/// follow for `lambda` small enough (`B < L_S/2` etc.); the half levels are fixed fractions,
/// not tuned.
///
/// (c) **lambda**: `1e-300` in [`instance`](super::instance): `delta = lambda^(eps/5) = 1e-3` at `eps = 0.05`,
/// so `B / L_S` is about `1e-2`.
pub fn check_f1(trace: &SaddleTrace, th: &SaddleTheory) -> Verdict {
    let delta = th.lambda_pow(5.0);
    let band = f1_loss_band(th, delta);
    let level = th.plateau_loss;
    let start = th.t2_bound;
    // a single-point interval may come out with end < start by rounding
    let end = if th.plateau_end < start && th.plateau_end >= start * (1.0 - 1e-9) { start } else { th.plateau_end };
    let s = &trace.samples;
    let mut inside: Vec<usize> = (0..s.len()).filter(|&i| s[i].time >= start && s[i].time <= end).collect();
    if inside.is_empty() && start <= end {
        inside.extend((0..s.len()).find(|&i| s[i].time >= start));
    }
    let l = -th.ln_lambda;
    let context = format!(
        "{}; plateau level L_S = {:.6}, band B = {:.4e} (delta = lambda^(eps/5) = {:.3e}); Fact 1 interval [{:.2}, {:.2}]",
        instance_context(th),
        level,
        band,
        delta,
        start,
        th.plateau_end
    );
    if start > end {
        let part =
            at_most(ClaimId::F1, "Fact 1's interval start <= end", ln_or_zero(start), ln_or_zero(th.plateau_end), true);
        return part.with_context(format!("{context}; Fact 1's interval is empty"));
    }
    if inside.is_empty() {
        return Verdict::failed(ClaimId::F1, format!("{context}; the trace ends before Fact 1's interval"));
    }
    let worst = inside.iter().map(|&i| (s[i].loss - level).abs()).fold(0.0f64, f64::max);
    let l0 = s.first().map_or(f64::NAN, |x| x.loss);
    let first_below = |v: f64| s.iter().find(|x| x.loss <= v).map_or(f64::INFINITY, |x| x.time);
    let (t_fit_plus, t_fit_minus) = (first_below((l0 + level) / 2.0), first_below(level / 2.0));
    let context = format!(
        "{context}; t_fit+ = {t_fit_plus:.2} (L <= (L(0)+L_S)/2), t_fit- = {t_fit_minus:.2} (L <= L_S/2): measured plateau {:.2} vs -ln(lambda)(1/|D-| - 1/|D+|) = {:.2}, bracket [{:.2}, {:.2}]; trace end {:.2}",
        t_fit_minus - t_fit_plus,
        l * (1.0 / th.d_minus_norm - 1.0 / th.d_plus_norm),
        th.plateau_end - th.t2_bound,
        th.t3_bound - th.t_plus_1,
        s.last().map_or(0.0, |x| x.time)
    );
    // the loss never increases along the flow and is >= 0, so |L - L_S| <= max(L_S, L(0) - L_S)
    let largest = level.max(l0 - level);
    let id = ClaimId::F1;
    let parts = vec![
        at_most(id, "max over Fact 1's interval of |L(theta_t) - L_S| <= B", ln_or_zero(worst), band.ln(), true)
            .vacuous_if(band >= largest, "B >= max(L_S, L(0) - L_S), the largest |L - L_S|"),
        at_least(id, "t_fit+ >= t+1", ln_or_zero(t_fit_plus), th.t_plus_1.ln(), true),
        at_most(id, "t_fit+ <= -(1+3eps)ln(lambda)/|D+|", ln_or_zero(t_fit_plus), th.t2_bound.ln(), true),
        at_least(id, "t_fit- >= -(1-eps)ln(lambda)/|D-|", ln_or_zero(t_fit_minus), th.plateau_end.ln(), true),
        at_most(id, "t_fit- <= -(1+3 r eps)ln(lambda)/|D-|", ln_or_zero(t_fit_minus), th.t3_bound.ln(), true),
    ];
    Verdict::all(id, parts).with_context(context)
}

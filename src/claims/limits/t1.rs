//! T1 (Theorem 1 / Theorem 2) on a flow ladder ([`check_t1`], [`check_t1_with`]): zero loss, the
//! norm excess over Proposition 1's minimum ([`norm_excess_points`], shared with NO), and the
//! final-phase rate ([`final_phase_rate`]).

use super::{
    GapPoint, Ladder, Rung, eps_of, half_time, no_rungs, path_length_bound, pl_constant, step_loss_resolution,
    trend_verdicts, zero_loss_part,
};
use crate::claims::{ClaimId, Verdict};
use crate::init::NeuronSets;
use crate::theory;

/// Relative norm excess `||theta_end|^2 / min_norm_sq - 1|` of each rung, with its resolution
/// `(2|theta_end| P + P^2 + 2 N rtol |theta_end|^2) / min_norm_sq` (`P` = [`path_length_bound`]:
/// `||theta_inf|^2 - |theta_end|^2| <= |theta_inf - theta_end| (|theta_inf| + |theta_end|)`;
/// `N rtol` = [`Rung::integrator_resolution`]) plus `extra[i]` (gradient descent's step term).
pub fn norm_excess_points(ladder: &Ladder, min_norm_sq: f64, extra: &[f64]) -> Vec<GapPoint> {
    ladder
        .rungs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mu = pl_constant(&r.data);
            let nsq = r.final_params.norm_sq();
            let p = path_length_bound(r.summary.final_loss, mu);
            let floor = (2.0 * nsq.sqrt() * p + p * p + 2.0 * r.integrator_resolution() * nsq) / min_norm_sq
                + extra.get(i).copied().unwrap_or(0.0);
            GapPoint { x: r.log_inv_lambda(), gap: (nsq / min_norm_sq - 1.0).abs(), floor }
        })
        .collect()
}

/// What [`final_phase_rate`] measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FinalPhaseRate {
    /// Worst resolved rate over the windows, in units of `|D-|` (`>= claimed` required).
    pub worst: f64,
    /// Start of the final phase.
    pub start: f64,
    /// Whether the start is the lemma's `t3` (otherwise the negative half fit).
    pub lemma_t3: bool,
    /// Windows judged (their end above the resolution).
    pub judged: usize,
    /// Windows in all.
    pub windows: usize,
    /// Largest `R_ab / sqrt(L_b)` over the judged windows: how much the resolution moved a
    /// judged window (0 when the loss is far above it).
    pub worst_share: f64,
}

/// T1's final-phase rate, claimed `claimed |D-|` (`claimed = 1` is Lemma 15's rate): over every
/// window `[t_a, t_b]` of recorded steps, `t_a` in the final phase and `t_b` the first step at
/// least `1/|D-|` later, `Delta = t_b - t_a`, the resolved rate
/// `-2 ln((sqrt(L_b) - R_ab) / sqrt(L_a)) / Delta`, divided by `|D-|`, with
/// `R_ab = sum_{a < i <= b} rho_i exp(-c (t_b - t_i))`, `c = claimed |D-| / 2`, `rho_i` =
/// [`step_loss_resolution`] of the step ending at `t_i`. The claim holds on the run when the
/// worst such rate is `>= claimed`, i.e. when every window has
/// `sqrt(L_b) - R_ab <= sqrt(L_a) exp(-c Delta)`. A window with `sqrt(L_b) <= R_ab` is at the
/// resolution and says nothing. Far above the resolution (`R_ab << sqrt(L_b)`) this is the plain
/// `-(ln L_b - ln L_a) / Delta`, the integrated form of `dL/dt = -|grad L|^2 <= -|D-| L`.
///
/// Derivation (the several-step form of [`check_lz`](super::check_lz)'s one-step argument). The claim is about
/// the exact flow `Phi`. Over one step `dt_i = t_{i+1} - t_i` the flow from the *computed*
/// `theta_i` obeys it (the rate is Lemma 15's PL inequality `|grad L|^2 >= |D-| L`, a property
/// of the region after `t3` that the computed states are in, not of one trajectory):
/// `sqrt(L(Phi_dt theta_i)) <= sqrt(L_i) e^{-c dt_i}`, and the computed `theta_{i+1}` differs
/// from `Phi_dt theta_i` by that step's local error, which moves `sqrt(L)` by at most
/// `rho_{i+1}`. Over a window of several steps the same argument does not apply to
/// `Phi_Delta theta_a` directly: `theta_b - Phi_Delta theta_a` is the sum of the local errors
/// carried to `t_b` by the flow's linearisation, whose growth the claim does not bound (near a
/// saddle it is exponential; ReLU kinks make it discontinuous), so no multiple of `rho` covers
/// it. Instead the one-step statements are chained through the loss, where the claim itself
/// contracts: `sqrt(L_{i+1}) <= e^{-c dt_i} sqrt(L_i) + rho_{i+1}` for `a <= i < b` gives, by
/// induction, `sqrt(L_b) <= e^{-c Delta} sqrt(L_a) + R_ab`. The accumulated error is the sum of
/// the window's per-step errors, added without cancellation as in the module docs, each damped
/// by the claimed decay over the rest of the window (at most `sum rho_i`, and at least
/// `e^{-c Delta}`, about `e^{-1/2}`, times it): not the `N rtol` of the whole run. Conversely a
/// window that violates the inequality has a step `i` with
/// `sqrt(L(Phi_dt theta_i)) > sqrt(L_i) e^{-c dt_i}`: the flow from a computed final-phase state
/// decays slower than claimed. (`rho` covers the rounding of `L` at both ends of every step, so
/// rounding is counted more than once in the chain; it is below `1e-4` of the `rtol` term.) With one
/// step this is [`check_lz`](super::check_lz)'s test.
///
/// The final phase starts at `max(t3, t_half-)`: `t3` = first time `u- >= n|D-| - lambda^(eps/29)`
/// (eq. (23); Lemma 11 says its other conditions do not fire first), `t_half-` = first time
/// `u- >= n|D-|/2`. When `t3 < t_half-` the lemma's `t3` precedes the negative fit, i.e. this
/// `lambda` is not below the paper's `lambda*`, and the window starts at the half fit.
/// An error when the final phase has no window, or none above the resolution.
pub fn final_phase_rate(rung: &Rung, sets: &NeuronSets, claimed: f64) -> Result<FinalPhaseRate, String> {
    let data = &rung.data;
    if sets.s_minus_1.is_empty() {
        return Err("S-,1 is empty: no negative fit to start the final phase from".into());
    }
    let dm = theory::d_minus_norm(data);
    let km = data.n() as f64 * dm;
    let gap = (eps_of(data) / 29.0 * rung.lambda.ln()).exp();
    let t3 = rung.steps.iter().find(|s| s.u_minus >= km - gap).map(|s| s.time);
    let th = half_time(&rung.steps, km, |s| s.u_minus).map(|p| p.0);
    let (start, lemma_t3) = match (t3, th) {
        (Some(a), Some(b)) => (a.max(b), a >= b),
        (None, Some(b)) => (b, false),
        (Some(a), None) => (a, true),
        (None, None) => return Err("u- never reaches n|D-|/2".into()),
    };
    let first = rung.steps.iter().position(|s| s.time >= start).unwrap_or(rung.steps.len());
    let steps = &rung.steps[first..];
    let rho: Vec<f64> = steps.iter().map(|s| step_loss_resolution(rung, s)).collect();
    let c = claimed * dm / 2.0;
    let (mut worst, mut worst_share, mut judged, mut windows) = (f64::INFINITY, 0.0f64, 0usize, 0usize);
    let mut b = 0;
    for a in 0..steps.len() {
        b = b.max(a + 1);
        while b < steps.len() && steps[b].time - steps[a].time < 1.0 / dm {
            b += 1;
        }
        if b >= steps.len() {
            break;
        }
        windows += 1;
        let tb = steps[b].time;
        let r_ab: f64 = (a + 1..=b).map(|i| rho[i] * (-c * (tb - steps[i].time)).exp()).sum();
        let root_b = steps[b].loss.max(0.0).sqrt();
        let above = root_b - r_ab;
        if above <= 0.0 {
            continue;
        }
        judged += 1;
        worst_share = worst_share.max(r_ab / root_b);
        let rate = -2.0 * (above.ln() - 0.5 * steps[a].loss.max(0.0).ln()) / (tb - steps[a].time);
        worst = worst.min(rate / dm);
    }
    if windows == 0 {
        return Err(format!("the final phase from t = {start:.1} lasts less than 1/|D-| before L < until_loss"));
    }
    if judged == 0 {
        return Err(format!(
            "none of the {windows} windows of the final phase from t = {start:.1} ends above the resolution"
        ));
    }
    Ok(FinalPhaseRate { worst, start, lemma_t3, judged, windows, worst_share })
}

/// T1's parts 1-3 (zero loss, trend of the norm excess, bound at the smallest `lambda`), shared
/// with NO. `extra` adds to each rung's resolution.
pub(super) fn min_norm_parts(id: ClaimId, ladder: &Ladder, min_norm_sq: f64, extra: &[f64]) -> Vec<Verdict> {
    let Some(last) = ladder.last() else {
        return vec![no_rungs(id)];
    };
    let eps = eps_of(&last.data);
    let mut parts = Vec::new();
    let worst_loss = ladder.rungs.iter().map(|r| r.summary.final_loss).fold(0.0, f64::max);
    parts.push(zero_loss_part(
        id,
        &ladder.rungs,
        format!(
            "zero loss: every rung reaches L < {:.0e} before its derived horizon (worst final L {worst_loss:.2e})",
            ladder.until_loss
        ),
    ));
    let points = norm_excess_points(ladder, min_norm_sq, extra);
    parts.extend(trend_verdicts(id, "relative norm excess", &points, eps / 31.0, "ln(1/lambda)", true));
    let delta = theory::ln_lemma12_distance_bound(last.lambda.ln(), eps).exp();
    let star = min_norm_sq.sqrt();
    let bound = (2.0 * delta * star + delta * delta) / min_norm_sq;
    let p = points.last().expect("non-empty");
    parts.push(Verdict::at_most(
        id,
        p.gap,
        bound.max(p.floor),
        format!(
            "at lambda = {:.0e}: excess {:.2e} <= max((2 delta |theta*| + delta^2)/|theta*|^2 = {bound:.3e} with \
             delta = lambda^(eps/31) = {delta:.3} (Lemma 12), rho {:.1e}); eps = {eps:.4}",
            last.lambda, p.gap, p.floor
        ),
    ));
    parts
}

/// **T1 (Theorem 1 / Theorem 2)** on a flow ladder, against `min_norm_sq` (normally
/// [`theory::min_norm_sq`]; a negative control passes a wrong constant).
///
/// Finite statement, every part required:
/// 1. *Zero loss*: every rung reaches `L < UNTIL_LOSS` before its [`derived_horizon`](super::derived_horizon) (the time by
///    which Lemma 11 (i) and the final-phase rate guarantee it), judged as [`latest_stop`](super::latest_stop) `<= 1`.
/// 2. *Minimum norm as `lambda -> 0`*: the relative norm excess `||theta_end|^2 / min_norm_sq - 1|`
///    follows the ladder judgement (module docs) with `kappa = eps/31`, resolution per rung from
///    [`norm_excess_points`].
/// 3. *At the smallest `lambda`*: excess `<= (2 delta |theta*| + delta^2)/|theta*|^2` with
///    `delta = lambda_min^(eps/31)`, Lemma 12's radius around `theta*`
///    (`||theta|^2 - |theta*|^2| <= |theta - theta*| (2|theta*| + |theta - theta*|)`). This applies
///    the lemma's radius at `t3` to the end point, a stronger statement than Theorem 2's
///    `2 lambda^(eps/240)` after `t3` (which exceeds `|theta*|` at `1e-300` and bounds nothing).
/// 4. *Exponential rate after `t3`*: on the smallest-`lambda` rung, [`final_phase_rate`] `>= |D-|`
///    (Lemma 15's `|grad L|^2 / L >= min(|D+|, |D-|) = |D-|`; Lemma 14 with the fitted masses
///    `n|D+-|` gives `2|D-|` once fitted, and the logistic law of a single negative label tends
///    to `4|D-|`; measured worst rates from the half fit on: `3-4 |D-|`). Each window is judged
///    up to the integrator's error accumulated over its steps, `sqrt(L_b) - R_ab <=
///    sqrt(L_a) e^{-|D-| Delta/2}` (derivation at [`final_phase_rate`]); windows ending at the
///    resolution are skipped, and a final phase with none above it fails. (At `1e-300` and
///    `rtol = 1e-10`, `R_ab` is `~1e-9`, up to `0.3 sqrt(L_b)` in the last windows before the
///    stop at `L < 1e-16`; at the worst window `R_ab` moves the rate by less than `1e-6`
///    relative (seeds 1-8 of `ladder_shape`). A run continued to the floor `L ~ 1e-22` has raw rates `< 0` there.)
///
/// `lambda`: the ladder [`LADDER`](super::LADDER), down to `1e-300` where `lambda^(eps/31)` finally drops below 1
/// by a visible margin (`0.5` for `eps = 0.03`).
pub fn check_t1_with(ladder: &Ladder, min_norm_sq: f64) -> Verdict {
    let id = ClaimId::T1;
    let Some(last) = ladder.last() else {
        return no_rungs(id);
    };
    let mut parts = min_norm_parts(id, ladder, min_norm_sq, &[]);
    match final_phase_rate(last, &ladder.sets, 1.0) {
        Ok(f) => parts.push(Verdict::at_least(
            id,
            f.worst,
            1.0,
            format!(
                "final phase at lambda = {:.0e} from t = {:.1} ({}): worst -d ln L/dt over windows of 1/|D-| \
                 is {:.3} |D-| >= |D-| ({} of {} windows above the resolution R of sqrt(L), which is at most {:.1e} \
                 of sqrt(L) there)",
                last.lambda,
                f.start,
                if f.lemma_t3 { "Lemma 11's t3" } else { "the negative half fit, later than the lemma's t3" },
                f.worst,
                f.judged,
                f.windows,
                f.worst_share
            ),
        )),
        Err(why) => parts.push(Verdict::failed(id, format!("final-phase rate: {why}"))),
    }
    Verdict::all(id, parts)
}

/// [`check_t1_with`] against Proposition 1's minimum [`theory::min_norm_sq`].
pub fn check_t1(ladder: &Ladder) -> Verdict {
    let Some(first) = ladder.rungs.first() else {
        return no_rungs(ClaimId::T1);
    };
    match theory::min_norm_sq(&first.data) {
        Some(m) => check_t1_with(ladder, m),
        None => Verdict::failed(ClaimId::T1, "min_norm_sq undefined: inputs not orthogonal"),
    }
}

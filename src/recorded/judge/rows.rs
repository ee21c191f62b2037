//! The judged rows of a recorded run: each reads the [`Evidence`] of the one pass and the
//! [`TheoryView`], and says held, FAILED or no evidence (with the reason). The derivation of
//! every bound is in the doc comment of the function that makes its row.

use super::collect::Evidence;
use super::theory_view::TheoryView;
use super::{CheckRow, EndState};
use crate::claims::registry::ClaimState;
use crate::claims::{ClaimId, Verdict};
use crate::recorded::{Clock, RunHeader};
use crate::theory;

/// A row from a verdict: no evidence when vacuous, else held or FAILED.
fn from_verdict(part: &str, v: &Verdict) -> CheckRow {
    let state = if v.is_vacuous() {
        ClaimState::NoEvidence
    } else if v.holds() {
        ClaimState::Held
    } else {
        ClaimState::Failed
    };
    let finite = |x: f64| x.is_finite().then_some(x);
    CheckRow {
        id: v.claim().to_string(),
        part: part.into(),
        state,
        vacuous: v.is_vacuous(),
        measured: finite(v.measured()),
        bound: finite(v.bound()),
        margin: finite(v.margin()),
        statement: v.statement().to_string(),
    }
}

/// A row with no evidence, and why.
fn no_evidence(id: &str, part: &str, why: impl Into<String>) -> CheckRow {
    CheckRow {
        id: id.into(),
        part: part.into(),
        state: ClaimState::NoEvidence,
        vacuous: false,
        measured: None,
        bound: None,
        margin: None,
        statement: why.into(),
    }
}

/// The loss resolution of a run: `L <= eps L(0)` is zero to the file's precision (the loss has
/// then lost every significant digit it had relative to its start).
pub fn loss_resolution(header: &RunHeader, ev: &Evidence) -> f64 {
    header.precision.epsilon() * ev.samples[0].loss
}

/// **LOSS**: the logged `train_loss` against `loss_factor * L` recomputed from each snapshot.
///
/// Finite statement: for every snapshot `i`, `|train_loss_i - f L_i| <= f (E_i + 2 n u L_i)`
/// with `f` the file's `loss_factor` (1 for a time-recorded run), `E_i` the bound on the
/// rounding of `L` from the forward errors of `h(x_k) - y_k` in the file's precision
/// (`(1/2n) sum_k (2 |r_k| e_k + e_k^2)`, `e_k = (d + m + 2) u (sum_j |a_j| sum_i |w_ji x_ki| + |y_k|)`,
/// the classical first-order bound of a sum) and `2 n u L_i` the rounding of the sum of `n`
/// squares and its scaling; `u` is the unit roundoff of the file (`2^-24` float32, `2^-53`
/// float64). Measured: the worst ratio of the two sides (bound 1). A trainer logging a different
/// convention (a torch `MSELoss` is `2 L`) or the loss of another point than the snapshot
/// (before/after the step) fails; the statement gives `train_loss / L` at the first snapshot.
pub fn loss_row(header: &RunHeader, ev: &Evidence) -> Option<CheckRow> {
    let logged = header.train_loss.as_ref()?;
    let (factor, convention) = match header.clock {
        Clock::Steps { loss_factor, .. } => (loss_factor, format!("loss_factor = {loss_factor}")),
        Clock::Time { .. } => (1.0, "a time-recorded run logs the paper's L (factor 1)".to_string()),
    };
    let u = header.precision.unit_roundoff();
    let n = header.data.n() as f64;
    let mut worst = (0.0f64, 0usize);
    for (i, (s, &l)) in ev.samples.iter().zip(logged).enumerate() {
        let tol = factor * (s.loss_error + 2.0 * n * u * s.loss);
        let diff = (l - factor * s.loss).abs();
        let ratio = crate::numerics::ratio_to_allowance(diff, tol);
        if ratio > worst.0 || ratio.is_nan() {
            worst = (ratio, i);
        }
    }
    let first_ratio = logged[0] / ev.samples[0].loss;
    let hint = if worst.0 > 1.0 {
        let nearest = first_ratio.round();
        if (first_ratio - nearest).abs() < 1e-3 * nearest.abs().max(1.0) && nearest != factor && nearest > 0.0 {
            format!(
                "; the logged loss is {nearest} L, so loss_factor should be {nearest} ({}), not {factor}: the paper times \
                 of this check are then wrong by that factor too",
                if nearest == 2.0 { "torch MSELoss, a mean of squares" } else { "the trainer's convention" }
            )
        } else {
            "; the logged loss is not a fixed multiple of L at the recorded parameters (logged before or after the \
             step? another loss?)"
                .to_string()
        }
    } else {
        String::new()
    };
    let i = worst.1;
    let v = Verdict::at_most(
        ClaimId::L1, // placeholder id, replaced below
        worst.0,
        1.0,
        format!(
            "logged train_loss against {convention} x L recomputed, {} snapshots: worst |train_loss - f L| / \
             (f (E + 2 n u L)) = {:.3e} at snapshot {i} (train_loss {:.6e}, f L {:.6e}); train_loss(0) / L(0) = \
             {first_ratio:.6}; u = {u:.2e} ({}){hint}",
            ev.samples.len(),
            worst.0,
            logged[i],
            factor * ev.samples[i].loss,
            header.precision
        ),
    );
    let mut row = from_verdict("logged loss = loss_factor x L", &v);
    row.id = "LOSS".into();
    Some(row)
}

/// **L1**, conservation of `I_j = a_j^2 - |w_j|^2` along the recorded run.
///
/// Gradient descent (a `step` clock, paper step `eta = lr loss_factor`): one step changes `I_j`
/// by exactly `eta^2 (<D_j, w_j>^2 - a_j^2 |D_j|^2)` (the first-order terms cancel, as in the
/// flow), at most `eta^2 |grad_j L|^2` in absolute value, so over the steps up to snapshot `t`,
/// `sum_j |I_j(t) - I_j(0)| <= eta^2 sum_steps |grad L|^2`. If every step decreases the loss by
/// at least half its first-order amount, `L_{i+1} <= L_i - (eta/2) |grad L_i|^2` (the descent
/// lemma with `eta <= 1/beta`, beta the local smoothness), then `eta sum |grad L|^2 <=
/// 2 (L(0) - L(t))` and **`sum_j |I_j(t) - I_j(0)| <= 2 eta (L(0) - L(t)) + 4 (d + 2) eps sum_j
/// sum_steps S_j`**, the last term the rounding of each step's update (as for the flow, per step
/// at most `4 (d + 2) eps max(S_j)` with `S_j = a_j^2 + |w_j|^2` and `eps` the file's precision),
/// with `sum_steps S_j` taken as `sum over snapshot intervals of (steps in it) x max(S_j at its
/// ends)` (exact when each `S_j` is monotone between snapshots). Checked at every snapshot;
/// measured the worst ratio of the two sides (bound 1). A loss that rises between two
/// snapshots (beyond rounding) breaks the premise: no evidence. A wrong `lr` or `loss_factor`
/// (a smaller `eta`) or a trainer that is not plain GD (momentum, Adam: first-order changes of
/// `I_j`) fails.
///
/// Flow (a `time` clock with `rtol` and per-snapshot `step` = accepted steps): the per-step
/// budget of the flow integrator ([`crate::claims::conservation::l1_step_budget`], with the
/// file's `eps`): `sum_j |I_j(t) - I_j(0)| <= ((2 + 3 rtol) rtol + 4 (d + 2) eps) sum_j
/// sum_steps S_j`; without `rtol` and `step` the run gives no bound (no evidence).
pub fn l1_rows(header: &RunHeader, th: &TheoryView, ev: &Evidence) -> Vec<CheckRow> {
    let mut rows = Vec::new();
    let precision = header.precision;
    let part = "a_j^2 - |w_j|^2 conserved";
    match (header.clock, ev.loss_rose_at, ev.l1_worst) {
        (Clock::Steps { .. }, Some(i), _) => rows.push(no_evidence(
            "L1",
            part,
            format!(
                "the loss rose between snapshots {} and {i} ({:.6e} -> {:.6e}): the run is not a descent run, so the \
                 gradient-descent law's premise (each step decreases L) fails",
                i - 1,
                ev.samples[i - 1].loss,
                ev.samples[i].loss
            ),
        )),
        (_, _, Some((ratio, i, drift, bound))) => {
            let law = match header.clock {
                Clock::Steps { .. } => format!(
                    "gradient descent, eta = lr x loss_factor = {:.4e}: sum_j |I_j(t) - I_j(0)| <= 2 eta (L(0) - L(t)) + \
                     4 (d+2) eps sum_j sum_steps S_j",
                    header.clock.paper_step().unwrap_or(f64::NAN)
                ),
                Clock::Time { rtol } => format!(
                    "flow, rtol = {:.1e}: sum_j |I_j(t) - I_j(0)| <= ((2 + 3 rtol) rtol + 4 (d+2) eps) sum_j sum_steps S_j",
                    rtol.unwrap_or(f64::NAN)
                ),
            };
            let v = Verdict::at_most(
                ClaimId::L1,
                ratio,
                1.0,
                format!(
                    "Lemma 1 along the recorded run ({law}, eps = {:.2e} {precision}): worst ratio {ratio:.3e} at \
                     snapshot {i} (t = {:.4e}): drift {drift:.3e}, bound {bound:.3e}",
                    precision.epsilon(),
                    ev.samples[i].time
                ),
            );
            rows.push(from_verdict(part, &v));
        }
        (Clock::Time { .. }, _, None) => rows.push(no_evidence(
            "L1",
            part,
            "a time-recorded (flow) run needs the integrator's `rtol` and its accepted steps `step` for L1's budget",
        )),
        (Clock::Steps { .. }, _, None) => rows.push(no_evidence("L1", part, "only one snapshot: nothing to compare")),
    }
    let init = (header.data.d() as f64 + 2.0) * precision.epsilon();
    let mut problems = Vec::new();
    if !ev.sign_changes.is_empty() {
        problems.push(format!("a_j vanished or changed sign for neurons {:?}", first_few(&ev.sign_changes)));
    }
    if !ev.vanished.is_empty() {
        problems.push(format!("w_j vanished for neurons {:?}", first_few(&ev.vanished)));
    }
    let measured = if problems.is_empty() { th.imbalance0 / init } else { f64::INFINITY };
    let v = Verdict::at_most(
        ClaimId::L1,
        measured,
        1.0,
        format!(
            "Lemma 1 with the balanced initialisation (4): max_j |a_j(0)^2 - |w_j(0)|^2| / S_j(0) = {:.3e} <= (d + 2) \
             eps = {init:.3e} (the rounding of a_j = s_j |w_j| in {precision}), measured as their ratio; at every \
             snapshot a_j keeps its sign and w_j != 0: {}",
            th.imbalance0,
            if problems.is_empty() { "yes".to_string() } else { problems.join("; ") }
        ),
    );
    rows.push(from_verdict("a_j = s_j |w_j| (balanced)", &v));
    rows
}

fn first_few(v: &[usize]) -> Vec<usize> {
    v.iter().copied().take(8).collect()
}

/// **L6** (Lemma 6): a coordinate `<w_j, x_k>` that is non-positive at a snapshot stays where it
/// is at every later snapshot, to the budget of
/// [`check_l6`](crate::claims::conservation::check_l6) (rounding of `N` steps and the inputs'
/// orthogonality defect; [`crate::claims::conservation::L6Scales::budget_with_epsilon`] with the
/// file's `eps`, `N` the step counter). Finite statement and measured ratio as there (bound 1),
/// streamed: each coordinate is compared with its value at the first snapshot at which it was
/// non-positive, i.e. below minus the budget or exactly 0 (a deactivating coordinate crosses 0
/// in finite time, Lemma 7 (iii), and a gradient step overshoots it). A coordinate within the
/// budget of 0 is not judged: the trainer's own rounding of `<w_j, x_k>` may have given it the
/// other sign, and a positive one is active and still moving (in float32, `eps` times the step
/// count is not small). For the same reason a non-positive coordinate is released from the check
/// at the first later snapshot at which `|z1| <= budget x sum_i |w_perp,i x_ki|` (`w_perp` the
/// part of `w_j` orthogonal to `x_k`, the componentwise scale of what rounding the updates of
/// `w_j` moves `<w_j, x_k>` by): the steps' rounding may have carried it across 0, where the
/// trainer's relu fires and a gradient step moves it (seen in float32: a coordinate at `-2e-8`
/// after 2000 steps jumps by one step's `3e-4`). On standard-basis inputs that scale is exactly
/// 0 for an exact zero, which is never released (the `relu'(0) = 1` control). The
/// statement counts the released coordinates. Needs orthogonal inputs (the tolerance of the file's precision) and step counts;
/// a run in which no coordinate was ever non-positive gives no evidence.
pub fn l6_row(header: &RunHeader, th: &TheoryView, ev: &Evidence) -> CheckRow {
    let part = "<w_j, x_k> <= 0 stays put";
    if !th.orthogonal {
        return no_evidence("L6", part, format!("Lemma 6 needs orthogonal inputs: {}", th.rows[1].statement));
    }
    let Some(w) = ev.l6_worst else {
        return no_evidence("L6", part, "the budget counts steps: this time-recorded run has no `step` array");
    };
    let (nonpositive, reached) = ev.l6_nonpositive;
    let v = Verdict::at_most(
        ClaimId::L6,
        w.ratio,
        1.0,
        format!(
            "Lemma 6 along the recorded run: {nonpositive} coordinates non-positive at some snapshot ({reached} reached 0 \
             from above, {} released within the budget of 0); max |z(c2) - z(c1)| / ((budget(c1) + budget(c2)) W |x_k|) = {:.3e} <= 1 (worst: <w_{}, x_{}> \
             moved by {:.3e} W|x_k| between t = {:.4e} and {:.4e}; largest budget {:.3e}, eps = {:.2e} {})",
            ev.l6_released,
            w.ratio,
            w.neuron,
            w.point,
            w.moved,
            w.t1,
            w.t2,
            ev.l6_largest_budget,
            header.precision.epsilon(),
            header.precision
        ),
    )
    .vacuous_if(nonpositive == 0, "no coordinate was ever non-positive");
    from_verdict(part, &v)
}

/// Where the run ended ([`EndState`]): an interpolator if `L_end <= eps L(0)`
/// ([`loss_resolution`]); else stationary if the gradient is below resolution,
/// `|grad L|^2 t_end <= eps L(0)` (continued for as long again at that gradient, the loss could
/// not move by more than its resolution); else still moving.
pub fn end_state(header: &RunHeader, ev: &Evidence) -> EndState {
    let last = ev.samples.last().expect("at least one snapshot");
    let res = loss_resolution(header, ev);
    if last.loss <= res {
        return EndState::Interpolator { loss: last.loss };
    }
    let data = &header.data;
    let moving_budget = last.gradient * last.gradient * last.time.max(f64::MIN_POSITIVE);
    if moving_budget <= res {
        let active: Vec<Vec<usize>> = (0..data.n())
            .map(|k| {
                (0..ev.last.m())
                    .filter(|&j| {
                        ev.last.a[j] != 0.0 && ev.last.w[j].iter().zip(data.x(k)).map(|(a, b)| a * b).sum::<f64>() > 0.0
                    })
                    .collect()
            })
            .collect();
        return EndState::Stationary { loss: last.loss, gradient: last.gradient, active };
    }
    EndState::StillMoving { loss: last.loss, gradient: last.gradient }
}

/// **T1**, zero loss: under Assumptions 1-3, the run ends at an interpolator
/// (`L_end <= eps L(0)`, [`end_state`]); a stationary point with a larger loss fails; a run that
/// stopped while still moving gives no evidence (train longer).
pub fn t1_zero_loss_row(header: &RunHeader, th: &TheoryView, ev: &Evidence, end: &EndState) -> CheckRow {
    let part = "zero loss at the end";
    let res = loss_resolution(header, ev);
    if !th.paper_setting() || !th.rows[3].met {
        return no_evidence(
            "T1",
            part,
            format!(
                "Theorem 1 needs Assumptions 1-3 ({}); where the run ended is reported below",
                if th.paper_setting() { "Assumption 3 fails".to_string() } else { th.setting_gap() }
            ),
        );
    }
    let last = ev.samples.last().expect("a snapshot");
    let statement = format!(
        "Theorem 1: L(theta_end) = {:.3e} <= eps L(0) = {res:.3e} (zero to the file's precision, eps = {:.2e} {}) at t = \
         {:.4e}",
        last.loss,
        header.precision.epsilon(),
        header.precision,
        last.time
    );
    match end {
        EndState::StillMoving { gradient, .. } => no_evidence(
            "T1",
            part,
            format!("{statement}: not yet, and still moving (|grad L| = {gradient:.3e}): train longer"),
        ),
        _ => from_verdict(part, &Verdict::at_most(ClaimId::T1, last.loss, res, statement)),
    }
}

/// **L15 / T1**, the final decay rate: after the negative labels are half fitted
/// (`L <= L_S / 2`, `L_S` the plateau level), over every window `[t_a, t_b]` of snapshots with
/// `t_b` the first snapshot at least `1/|D-|` after `t_a` and `L_b` above the resolution
/// `100 eps L(0)`, the secant rate `ln(L_a / L_b) / (t_b - t_a) >= |D-|` (Lemma 15 / Lemma 5:
/// `|grad L|^2 >= |D-| L` there, and `dL/dt = -|grad L|^2` integrates to
/// `L_b <= L_a e^{-|D-| (t_b - t_a)}`; for gradient descent with a small paper step the per-step
/// factor is the flow's up to `O(eta |D-|)`). Measured: the worst rate over `|D-|` (bound 1).
pub fn l15_row(header: &RunHeader, th: &TheoryView, ev: &Evidence) -> CheckRow {
    let part = "final decay rate >= |D-|";
    if !th.paper_setting() || !th.rows[3].met {
        return no_evidence("L15", part, "Lemma 15 needs Assumptions 1-3");
    }
    let dm = th.d_minus_norm;
    let floor = 100.0 * loss_resolution(header, ev);
    let s = &ev.samples;
    let Some(start) = s.iter().position(|x| x.loss <= th.plateau_loss / 2.0) else {
        return no_evidence("L15", part, "the run ends before the negative labels are half fitted (L <= L_S / 2)");
    };
    let mut worst: Option<(f64, usize, usize)> = None;
    let mut windows = 0;
    for a in start..s.len() {
        let Some(b) = (a + 1..s.len()).find(|&b| s[b].time - s[a].time >= 1.0 / dm) else { break };
        if s[b].loss <= floor {
            break;
        }
        windows += 1;
        let rate = (s[a].loss / s[b].loss).ln() / (s[b].time - s[a].time) / dm;
        if worst.is_none_or(|w| rate < w.0) {
            worst = Some((rate, a, b));
        }
    }
    let Some((rate, a, b)) = worst else {
        return no_evidence(
            "L15",
            part,
            format!(
                "no window of length 1/|D-| = {:.3} with its end above 100 eps L(0) = {floor:.3e} after the negative half \
                 fit at t = {:.4e}: record more snapshots in the final phase",
                1.0 / dm,
                s[start].time
            ),
        );
    };
    let v = Verdict::at_least(
        ClaimId::L15,
        rate,
        1.0,
        format!(
            "Lemma 15 / Theorem 1: over {windows} windows of length >= 1/|D-| after the negative half fit (t = {:.4e}), \
             worst ln(L_a/L_b)/((t_b - t_a)|D-|) = {rate:.3} >= 1 on [{:.4e}, {:.4e}] (|D-| = {dm:.4})",
            s[start].time, s[a].time, s[b].time
        ),
    );
    from_verdict(part, &v)
}

/// **P1** (Proposition 1), the lower bound: on orthonormal inputs every network has
/// `|theta|^2 >= 2 (|max(h, 0)| + |max(-h, 0)|)` (`|theta|^2 >= 2 sum_j |a_j| |w_j|`, and on
/// orthonormal inputs `|(relu(<w_j, x_k>))_k| <= |w_j|`), and with `h = y + r`,
/// `|max(h, 0)| >= |max(y, 0)| - |r|`; so `|theta_end|^2 >= 2n(|D+| + |D-|) - 4 |r|`,
/// `|r| = sqrt(2 n L_end)`. An instance of "every interpolator has at least this norm" that holds
/// at every state; it fails only if the inputs are not orthonormal (then a smaller norm can fit).
/// Judged when the run ends at an interpolator; the excess over the minimum is reported with
/// [`t1_norm_row`].
pub fn p1_row(th: &TheoryView, ev: &Evidence, end: &EndState) -> CheckRow {
    let part = "|theta_end|^2 >= min over interpolators";
    let Some(min) = th.min_norm_sq.filter(|_| th.orthonormal) else {
        return no_evidence("P1", part, "Proposition 1's minimum needs orthonormal inputs");
    };
    if !matches!(end, EndState::Interpolator { .. }) {
        return no_evidence("P1", part, "the run did not end at an interpolator");
    }
    let last = ev.samples.last().expect("a snapshot");
    let n = th.data.n() as f64;
    let bound = min - 4.0 * (2.0 * n * last.loss).sqrt();
    let v = Verdict::at_least(
        ClaimId::P1,
        last.norm_sq,
        bound,
        format!(
            "Proposition 1: |theta_end|^2 = {:.6} >= 2n(|D+| + |D-|) - 4 sqrt(2 n L_end) = {min:.6} - {:.2e}; relative \
             excess over the minimum {:+.3e}",
            last.norm_sq,
            min - bound,
            last.norm_sq / min - 1.0
        ),
    );
    from_verdict(part, &v)
}

/// **T1**, the minimum norm: the final relative excess `|theta_end|^2 / min - 1` against
/// Lemma 12's radius at the run's `lambda`, `(2 delta |theta*| + delta^2) / |theta*|^2` with
/// `delta = lambda^(eps/31)` (as in T1's ladder check at its smallest `lambda`); vacuous (no
/// evidence) when that bound is at least 1, i.e. it would accept an interpolator twice the
/// minimum norm (for `eps = 0.05`, any `lambda` above about `1e-60`).
pub fn t1_norm_row(th: &TheoryView, ev: &Evidence, end: &EndState) -> CheckRow {
    let part = "final norm = Proposition 1's minimum";
    let (Some(min), Some(eps)) = (th.min_norm_sq, th.eps) else {
        return no_evidence("T1", part, "needs Assumptions 1-2 (Proposition 1's minimum and eps)");
    };
    if !(th.rows[3].met && matches!(end, EndState::Interpolator { .. }) && th.lambda > 0.0 && th.lambda < 1.0) {
        return no_evidence("T1", part, "needs Assumption 3, lambda < 1 and a run that ended at an interpolator");
    }
    let last = ev.samples.last().expect("a snapshot");
    let excess = (last.norm_sq / min - 1.0).abs();
    let delta = theory::ln_lemma12_distance_bound(th.lambda.ln(), eps).exp();
    let star = min.sqrt();
    let bound = (2.0 * delta * star + delta * delta) / min;
    let v = Verdict::at_most(
        ClaimId::T1,
        excess,
        bound,
        format!(
            "Theorem 1 / Lemma 12: | |theta_end|^2 / (2n(|D+| + |D-|)) - 1 | = {excess:.3e} <= (2 delta |theta*| + \
             delta^2)/|theta*|^2 = {bound:.3e}, delta = lambda^(eps/31) = {delta:.4} (lambda = {:.3e}{}, eps = {eps:.4})",
            th.lambda,
            if th.lambda_estimated { " estimated" } else { "" }
        ),
    )
    .vacuous_if(bound >= 1.0, "the bound accepts an interpolator with twice the minimum norm");
    from_verdict(part, &v)
}

/// The two `lambda`-free landmarks of the loss curve: `t_fit+` = first snapshot with
/// `L <= (L(0) + L_S)/2`, `t_fit-` = first with `L <= L_S/2` (as in
/// [`check_f1`](crate::claims::saddles::check_f1)).
fn landmarks(th: &TheoryView, ev: &Evidence) -> (Option<usize>, Option<usize>) {
    let s = &ev.samples;
    let l0 = s[0].loss;
    let level = th.plateau_loss;
    let plus = s.iter().position(|x| x.loss <= (l0 + level) / 2.0);
    let minus = s.iter().position(|x| x.loss <= level / 2.0);
    (plus, minus)
}

/// **F1** (Fact 1), the plateau: between the landmarks `t_fit+` and `t_fit-`, the flattest
/// stretch of the loss curve (the pair of consecutive snapshots with the smallest
/// `|L_{i+1} - L_i| / (t_{i+1} - t_i)`) is at Fact 1's level `L_S = (1/2n) sum_{y<0} y^2`:
/// `|L_mid - L_S| <= (1/4n) min_k y_k^2`, `L_mid` the mean of the pair. The tolerance is half the
/// smallest gap between the levels of the saddles `(1/2n) sum_{k in U} y_k^2` that differ from
/// `L_S` by one point (a plateau that leaves a positive point unfitted, or fits a negative one,
/// is at least `(1/2n) min y_k^2` away), so the check says which saddle the run paused at, at
/// any `lambda`; Fact 1's own band `lambda^(eps/5)` only bites for `lambda` below about `1e-100`
/// (the verify check). The statement also gives the measured plateau `t_fit- - t_fit+` against
/// `ln(1/lambda) (1/|D-| - 1/|D+|)`.
pub fn f1_row(th: &TheoryView, ev: &Evidence) -> CheckRow {
    let part = "plateau at (1/2n) sum_(y<0) y^2";
    if !th.paper_setting() {
        return no_evidence("F1", part, format!("Fact 1 needs Assumptions 1-2: {}", th.setting_gap()));
    }
    let s = &ev.samples;
    let (plus, minus) = landmarks(th, ev);
    let (Some(p), Some(q)) = (plus, minus) else {
        return no_evidence(
            "F1",
            part,
            format!(
                "the run ends before {} (L <= {})",
                if plus.is_none() {
                    "the positive labels are half fitted"
                } else {
                    "the negative labels are half fitted"
                },
                if plus.is_none() { "(L(0) + L_S)/2" } else { "L_S/2" }
            ),
        );
    };
    if q < p + 2 {
        return no_evidence(
            "F1",
            part,
            format!("fewer than two snapshots between t_fit+ = {:.4e} and t_fit- = {:.4e}", s[p].time, s[q].time),
        );
    }
    let (i, slope) = (p..q - 1)
        .map(|i| (i, ((s[i + 1].loss - s[i].loss) / (s[i + 1].time - s[i].time)).abs()))
        .fold((p, f64::INFINITY), |acc, x| if x.1 < acc.1 { x } else { acc });
    let level = 0.5 * (s[i].loss + s[i + 1].loss);
    let n = th.data.n() as f64;
    let ymin = th.data.y().iter().map(|y| y * y).fold(f64::INFINITY, f64::min);
    let band = ymin / (4.0 * n);
    let predicted = -th.lambda.ln() * (1.0 / th.d_minus_norm - 1.0 / th.d_plus_norm);
    let v = Verdict::at_most(
        ClaimId::F1,
        (level - th.plateau_loss).abs(),
        band,
        format!(
            "Fact 1: the flattest stretch between t_fit+ = {:.4e} and t_fit- = {:.4e} ([{:.4e}, {:.4e}], slope {slope:.2e}) \
             is at L = {level:.6e}; |L - L_S| <= (1/4n) min y_k^2 = {band:.3e} with L_S = {:.6e}; measured plateau \
             t_fit- - t_fit+ = {:.4e} vs ln(1/lambda)(1/|D-| - 1/|D+|) = {predicted:.4e} (lambda = {:.3e}{})",
            s[p].time,
            s[q].time,
            s[i].time,
            s[i + 1].time,
            th.plateau_loss,
            s[q].time - s[p].time,
            th.lambda,
            if th.lambda_estimated { ", estimated" } else { "" }
        ),
    );
    from_verdict(part, &v)
}

/// **TS** (Section 4.2), the time scales, in the finite form the lemmas give one run: with
/// `l = ln(1/lambda)`, the landmarks of [`f1_row`] satisfy
/// `eps <= t_fit+ |D+| / l <= 1 + 3 eps` and `eps <= t_fit- |D-| / l <= 1 + 3 r eps`. Lower ends:
/// at `t+1 = eps l/|D+|` (resp. `t-1 = eps l/|D-|`) every neuron is still of size
/// `2 c lambda^(1-eps)` (Lemma 7 (i), Lemma 8 (i)), so no label is half fitted yet; upper ends:
/// Lemma 3's `t2 <= (1 + 3 eps) l/|D+|` and Lemma 4's `t3 <= (1 + 3 r eps) l/|D-|` end the fits.
/// `lambda` from the file or estimated from `w(0)` (said so), `eps` Appendix B.2's largest.
/// Measured: the normalised time; judged against the nearer end (both are parts of one
/// [`Verdict::all`]). That `t |D| / l - 1` tends to 0 as `lambda -> 0` is the ladder statement
/// `verify` checks; one run gives its value (in the statement).
pub fn ts_rows(th: &TheoryView, ev: &Evidence) -> Vec<CheckRow> {
    let mut rows = Vec::new();
    let (plus, minus) = landmarks(th, ev);
    let Some(eps) = th.eps.filter(|_| th.paper_setting() && th.lambda > 0.0 && th.lambda < 1.0) else {
        return vec![no_evidence("TS", "fit times", "needs Assumptions 1-2 and lambda < 1")];
    };
    let l = -th.lambda.ln();
    let r = th.d_plus_norm / th.d_minus_norm;
    for (name, idx, d, upper, lemmas) in [
        (
            "positive fit ~ ln(1/lambda)/|D+|",
            plus,
            th.d_plus_norm,
            1.0 + 3.0 * eps,
            "Lemma 7 (i), Lemma 3: [eps, 1 + 3 eps]",
        ),
        (
            "negative fit ~ ln(1/lambda)/|D-|",
            minus,
            th.d_minus_norm,
            1.0 + 3.0 * r * eps,
            "Lemma 8 (i), Lemma 4: [eps, 1 + 3 r eps]",
        ),
    ] {
        let Some(i) = idx else {
            rows.push(no_evidence("TS", name, "the run ends before this half fit"));
            continue;
        };
        let t = ev.samples[i].time;
        let normalised = t * d / l;
        let parts = [
            Verdict::at_least(ClaimId::TS, normalised, eps, "lower end"),
            Verdict::at_most(ClaimId::TS, normalised, upper, "upper end"),
        ];
        let v = Verdict::all(ClaimId::TS, parts).with_context(format!(
            "half fit at t = {t:.4e} (first snapshot past the half level): t |D| / ln(1/lambda) = {normalised:.4} in [{eps:.4}, {upper:.4}] ({lemmas}); t |D| / ln(1/lambda) - 1 = {:+.3e}, lambda = {:.3e}{}",
            normalised - 1.0,
            th.lambda,
            if th.lambda_estimated { " (estimated)" } else { "" }
        ));
        rows.push(from_verdict(name, &v));
    }
    rows
}

/// **L7 / L8 (ii)**, early alignment: Lemma 7 holds for every admissible `eps` (the conditions of
/// Appendix B.2 are monotone in `eps`), and at `t = -eps ln(lambda)/|D+|`, `lambda^eps =
/// e^{-t |D+|}`; so at every snapshot time `t <= t+1(eps_max)` the neurons of `S+,1` satisfy
/// `min_j <w_j/|w_j|, D+/|D+|> >= 1 - 2 e^{-t |D+|}`, judged at the latest such snapshot (likewise
/// L8 for `S-,1`, `-D-` and `|D-|`, up to `t-1`). Vacuous (no evidence) when the bound is `<= 0`:
/// every `S+,1` neuron starts with a non-negative cosine.
pub fn alignment_rows(th: &TheoryView, ev: &Evidence) -> Vec<CheckRow> {
    let mut rows = Vec::new();
    for (id, claim, set, slot, d, name) in [
        ("L7", ClaimId::L7, &th.s_plus_1, ev.alignment_plus, th.d_plus_norm, "S+,1 aligned with D+ at t+1"),
        ("L8", ClaimId::L8, &th.s_minus_1, ev.alignment_minus, th.d_minus_norm, "S-,1 aligned with -D- at t-1"),
    ] {
        if !th.paper_setting() || set.is_empty() {
            rows.push(no_evidence(id, name, "needs Assumptions 1-2 and a non-empty set"));
            continue;
        }
        let Some((t, target, cos)) = slot.filter(|s| s.0 > 0.0) else {
            rows.push(no_evidence(id, name, "no snapshot after 0 and before t+-1: record early snapshots"));
            continue;
        };
        let bound = 1.0 - 2.0 * (-t * d).exp();
        let v = Verdict::at_least(
            claim,
            cos,
            bound,
            format!(
                "Lemma {} (ii) at the snapshot t = {t:.4e} <= t+-1(eps_max) = {target:.4e}: min_j cos(w_j, D) = {cos:.6} >= \
                 1 - 2 lambda^eps = 1 - 2 exp(-t |D|) = {bound:.6}",
                if id == "L7" { 7 } else { 8 }
            ),
        )
        .vacuous_if(bound <= 0.0, "the bound is <= 0, which every neuron of the set meets at the start");
        rows.push(from_verdict(name, &v));
    }
    rows
}

/// The kinks of the final network for 1-D inputs with a bias column (`d = 2`, one column
/// constant and non-zero, either one): the network is rewritten in the form `x = (t, 1)` of
/// Appendix A (`w_j' = (w_j,input, b w_j,bias)`, the same `h`) and its kinks are those of the
/// experiments' convention, [`crate::experiments::measures::kinks`] at
/// [`crate::experiments::measures::KINK_CUT`] (neurons whose slope jump is at least `1e-3` of the
/// largest), grouped by [`crate::experiments::measures::clusters`] with the gap
/// [`crate::experiments::measures::KINK_GAP`] times the range of `t`: one position (the cluster's
/// mean) per group of aligned neurons, sorted.
pub fn kinks(header: &RunHeader, ev: &Evidence) -> Option<Vec<f64>> {
    use crate::experiments::measures::{KINK_CUT, KINK_GAP, clusters, kinks as network_kinks};
    let data = &header.data;
    if data.d() != 2 || data.n() == 0 {
        return None;
    }
    let constant = |c: usize| {
        let v = data.x(0)[c];
        v != 0.0 && (0..data.n()).all(|k| data.x(k)[c] == v)
    };
    let (input, bias) = if constant(1) {
        (0, 1)
    } else if constant(0) {
        (1, 0)
    } else {
        return None;
    };
    let b = data.x(0)[bias];
    let p = &ev.last;
    let standard =
        crate::params::Params { a: p.a.clone(), w: p.w.iter().map(|w| vec![w[input], b * w[bias]]).collect() };
    let (lo, hi) = (0..data.n())
        .map(|k| data.x(k)[input])
        .fold((f64::INFINITY, f64::NEG_INFINITY), |a, v| (a.0.min(v), a.1.max(v)));
    Some(clusters(&network_kinks(&standard, KINK_CUT), KINK_GAP * (hi - lo)).into_iter().map(|c| c.0).collect())
}

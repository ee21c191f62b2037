//! JP: the flow on a `lambda` ladder against the jump process of its directions
//! ([`simulate_jp`], [`check_jp`]).

use crate::Instance;
use crate::claims::limits::{
    GapPoint, Integrator, RTOL, Rung, UNTIL_LOSS, half_time, path_length_bound, simulate_rung_to, trend_verdicts,
};
use crate::claims::{ClaimId, Verdict};
use crate::network::Model;
use crate::solver::SimulationError;
use crate::theory::jump_process::{JumpProcess, NEAR_TIE_SIZE, jump_process};

/// The jump process of `instance`'s initial directions `g_j` and signs `s_j` (the initialisation
/// drawn at `lambda = 1`, which is `g_j` itself for the balanced initialisation (4): the same
/// seed gives the same directions at every `lambda`).
pub fn process_of(instance: &Instance) -> Result<JumpProcess, String> {
    let init = instance.with_lambda(1.0).initialisation().map_err(|e| e.to_string())?;
    let p = init.params.to_params();
    let signs: Vec<f64> = p.a.iter().map(|a| a.signum()).collect();
    jump_process(&instance.data, &p.w, &signs).map_err(|e| e.to_string())
}

/// The smallest escape rate `mu_i = |y_{S_i}| / n` of the process (`None` without events): the
/// rate at which the group of event `i` fits its points, and after the last escape the slowest
/// rate at which the residuals decay (the linearisation of Lemma 15 around the fitted groups,
/// with `|D-|` replaced by `mu_i`).
pub fn slowest_rate(process: &JumpProcess, data: &crate::Dataset) -> Option<f64> {
    let n = data.n() as f64;
    process
        .events
        .iter()
        .map(|e| e.fits.iter().map(|&k| data.y()[k] * data.y()[k]).sum::<f64>().sqrt() / n)
        .min_by(f64::total_cmp)
}

/// The horizon of a JP run at `lambda`: `1.5 tau_end ln(1/lambda) + ln(L(0)/UNTIL_LOSS)/mu_min`.
/// The last escape is at `tau_end ln(1/lambda) + c` with an `O(1)` offset `c` (measured between
/// -5 and -2 on the registry's instances; the factor 1.5 leaves `0.5 tau_end ln(1/lambda) >= 4`
/// time units at `lambda = 1e-4` for it), after which the residuals decay at rate `>= mu_min`
/// ([`slowest_rate`]) from at most `L(0)`. A horizon that is too short shows up as a failed part
/// (a drop not found, a covered point not fitted), never as a pass.
pub fn jp_horizon(process: &JumpProcess, data: &crate::Dataset, lambda: f64) -> f64 {
    let tau_end = process.events.last().map_or(0.0, |e| e.tau);
    let mu = slowest_rate(process, data).unwrap_or(1.0);
    1.5 * tau_end * (-lambda.ln()) + (process.initial_loss / UNTIL_LOSS).ln().max(0.0) / mu
}

/// JP's evidence: the flow of one instance on a ladder (the same `g_j`, largest `lambda` first)
/// and the jump process of its directions.
#[derive(Clone, Debug)]
pub struct JumpLadder {
    /// The rungs, largest `lambda` first (`claims::limits::ladder_of` the instance's `lambda`).
    pub rungs: Vec<Rung>,
    /// The predicted process ([`process_of`]).
    pub process: JumpProcess,
}

/// Runs `instance` on the ladder `lambdas` (largest first) to `L < UNTIL_LOSS` or
/// [`jp_horizon`], at `rtol = RTOL`, recording every step.
pub fn simulate_jp(instance: &Instance, lambdas: &[f64]) -> Result<JumpLadder, SimulationError> {
    let process = process_of(instance).map_err(SimulationError::Config)?;
    let mut rungs = Vec::with_capacity(lambdas.len());
    for &lambda in lambdas {
        let horizon = jp_horizon(&process, &instance.data, lambda);
        rungs.push(simulate_rung_to(
            &instance.with_lambda(lambda),
            Integrator::Flow { rtol: RTOL },
            UNTIL_LOSS,
            horizon,
        )?);
    }
    Ok(JumpLadder { rungs, process })
}

/// Why JP says nothing about an instance whose process is `process` on a ladder down to
/// `lambda_min`, if it does not: no escape at all, two different sets escaping at the same time
/// ([`JumpProcess::near_ties`]), or, at some escape, another growing neuron already of size
/// `>= NEAR_TIE_SIZE` at `lambda_min` (log-size `l` with `lambda_min^(-l) >= 1e-2`): the two
/// escapes then overlap, their order and the plateau between them are decided by the `O(1)`
/// terms the limit drops, even at the smallest `lambda`.
pub fn near_tie_reason(process: &JumpProcess, lambda_min: f64) -> Option<String> {
    if process.events.is_empty() {
        return Some("no neuron can grow (every rate is 0): the staircase is flat".into());
    }
    if let Some(t) = process.near_ties.first() {
        return Some(format!(
            "near-tied rates: neurons {} and {} (different sets) escape at tau = {:.9} and {:.9}",
            t.first, t.other, t.taus.0, t.taus.1
        ));
    }
    let l = -lambda_min.ln();
    for (i, e) in process.events.iter().enumerate() {
        if let Some((j, ls)) = e.next_in_line
            && (ls * l).exp() >= NEAR_TIE_SIZE
        {
            return Some(format!(
                "near-tied rates: at escape {i} (tau = {:.4}) neuron {j} is already at log-size {ls:.4}, size {:.2e} >= \
                 {NEAR_TIE_SIZE:.0e} at lambda = {lambda_min:.0e}: the escapes overlap",
                e.tau,
                (ls * l).exp()
            ));
        }
    }
    None
}

/// The largest log-size, at any escape, of another neuron still growing
/// ([`crate::theory::jump_process::JumpEvent::next_in_line`]); `-inf` when there is none.
pub fn closest_log_size(process: &JumpProcess) -> f64 {
    process.events.iter().filter_map(|e| e.next_in_line.map(|c| c.1)).fold(f64::NEG_INFINITY, f64::max)
}

/// Whether `lambda` is in the asymptotic regime of `process`: at every escape, every other
/// growing neuron is smaller than [`NEAR_TIE_SIZE`] (`lambda^(-l) < 1e-2` for the
/// [`closest_log_size`] `l`). Above it a competitor still takes an `O(1)` share and the
/// power-law corrections of the limit have not set in; [`near_tie_reason`] skips an instance
/// whose ladder never gets there.
pub fn asymptotic(process: &JumpProcess, lambda: f64) -> bool {
    (closest_log_size(process) * (-lambda.ln())).exp() < NEAR_TIE_SIZE
}

/// The drop of the loss from level `upper` to `lower` on one run: the first time the loss
/// reaches the midpoint `(upper + lower)/2`, with [`half_time`]'s interpolation error bound
/// (the loss is non-increasing along the flow, so the crossing is unique).
pub fn drop_time(rung: &Rung, upper: f64, lower: f64) -> Option<(f64, f64)> {
    half_time(&rung.steps, upper - lower, |s| upper - s.loss)
}

/// Half the smallest difference between two levels of any staircase on `data`'s labels,
/// `(1/4n) min_k y_k^2` (two sets of unfitted points differ by at least one point): a loss
/// within it of a level is nearer that level than any other.
pub fn level_tolerance(data: &crate::Dataset) -> f64 {
    data.y().iter().map(|v| v * v).fold(f64::INFINITY, f64::min) / (4.0 * data.n() as f64)
}

/// Where a run ended against the limit: the worst `|h(x_k) - target_k| / (|y_k|/2)` over the
/// points (`target_k = 0` for the points in `unfitted`, `y_k` for the others) and its point.
/// Below 1 every point is nearer the value the limit gives it than the other one.
pub fn end_state_ratio(data: &crate::Dataset, params: &crate::params::Params, unfitted: &[usize]) -> (f64, usize) {
    let model = Model::relu().validate().expect("the paper's model is valid");
    let h = model.predict(params, data);
    let (mut worst_ratio, mut worst_k) = (0.0f64, 0usize);
    for k in 0..data.n() {
        let target = if unfitted.contains(&k) { 0.0 } else { data.y()[k] };
        let ratio = (h[k] - target).abs() / (0.5 * data.y()[k].abs());
        if ratio >= worst_ratio {
            (worst_ratio, worst_k) = (ratio, k);
        }
    }
    (worst_ratio, worst_k)
}

/// The staircase levels `L_0 = L(0)`, `L_i` = the loss after escape `i`.
pub fn levels(process: &JumpProcess) -> Vec<f64> {
    std::iter::once(process.initial_loss).chain(process.events.iter().map(|e| e.loss_after)).collect()
}

/// Claim JP on a ladder against `process` (the instance's own [`process_of`], or another
/// prediction for the negative controls).
///
/// **Finite statement checked** (every part must hold):
/// The trends (1 and 4) are judged on the rungs in the asymptotic regime ([`asymptotic`]: at
/// every escape every other growing neuron is below [`NEAR_TIE_SIZE`]); the last rung always is
/// (else the instance is skipped, [`near_tie_reason`]).
/// 1. **Drop times.** On every judged rung, the loss drops through the midpoint of levels `L_i` and
///    `L_{i+1}` ([`drop_time`]); the offsets `c_i(lambda) = t_i - tau_i ln(1/lambda)` converge:
///    their successive differences `|c_i(lambda_{k+1}) - c_i(lambda_k)|` do not grow down the
///    ladder, down to the resolution (the two rungs' interpolation error bounds added):
///    [`trend_verdicts`] with `kappa = 0`. A wrong `tau_i` (by `delta`) makes the differences
///    `delta (ln(1/lambda_{k+1}) - ln(1/lambda_k))`, which double from rung to rung.
/// 2. **Plateaus.** On the smallest-`lambda` rung, the loss at each predicted mid-plateau time
///    (`tau_0/2`, then `(tau_{i-1} + tau_i)/2`, times `ln(1/lambda)`) is within
///    `(1/4n) min_k y_k^2` of the predicted level `L_i`: half the smallest difference between two
///    levels of any staircase on these labels (two unfitted sets differ by at least one point).
/// 3. **Unfitted = uncovered.** At the end of the smallest-`lambda` rung, every covered point
///    has `|h(x_k) - y_k| < |y_k|/2` and every uncovered one ([`JumpProcess::unfitted`])
///    `|h(x_k)| < |y_k|/2`: each point is nearer the value the limit gives it than the other.
/// 4. **Norm** (when the limit interpolates). The relative gap `||theta_end|^2 / limit - 1|`
///    shrinks down the ladder at rate `kappa = min(1, |l*|)/2` in `ln(1/lambda)`, `l*` the
///    largest competitor's log-size at any escape
///    ([`crate::theory::jump_process::JumpEvent::runner_up`]), or sits at its resolution (T1's:
///    the path length `2 sqrt(L_end/mu)` with `mu` = [`slowest_rate`], and `N rtol`), with a
///    positive fitted exponent. Derivation: a competitor of size `lambda^|l*|` when a group
///    escapes keeps components of that relative size on the fitted points; when it later
///    escapes itself they cost `Theta(lambda^|l*|)` of norm; every other neuron stays
///    `O(lambda)`. So the gap is `C lambda^min(1,|l*|) (1 + o(1))` (measured: on the registry's
///    instances the fitted exponents equal `|l*|` to 0.3%, e.g. 0.0692 against 0.0693). A
///    judge at the exact exponent would decide on the sign of the `o(1)` term (a ratio of 1.006
///    was seen), so it requires half of it; a gap that tends to a non-zero constant (a wrong
///    limit, the negative controls) still fails, as `(lambda_{i+1}/lambda_i)^kappa < 1`.
///
/// **Tolerances**: the interpolation bounds of the drop times, half the smallest level gap, the
/// midpoint between the two values of a point, and the derived exponent: nothing fitted.
pub fn check_jp(ladder: &JumpLadder, process: &JumpProcess) -> Verdict {
    let id = ClaimId::JP;
    let Some(last) = ladder.rungs.last() else { return Verdict::failed(id, "JP: an empty ladder") };
    let data = &last.data;
    let lev = levels(process);
    let mut parts = Vec::new();
    // the trends are judged on the rungs in the asymptotic regime
    let judged: Vec<&Rung> = ladder.rungs.iter().filter(|r| asymptotic(process, r.lambda)).collect();
    let regime = format!(
        "{} of {} rungs in the asymptotic regime (every other growing neuron below {NEAR_TIE_SIZE:.0e} at each escape)",
        judged.len(),
        ladder.rungs.len()
    );
    // 1. drop times
    for (i, e) in process.events.iter().enumerate() {
        let mut offsets = Vec::new();
        for &r in &judged {
            match drop_time(r, lev[i], lev[i + 1]) {
                Some((t, err)) => offsets.push((r.log_inv_lambda(), t - e.tau * r.log_inv_lambda(), err)),
                None => {
                    parts.push(Verdict::failed(
                        id,
                        format!(
                            "JP drop {i}: at lambda = {:.0e} the loss never reaches the midpoint {:.4e} of levels {:.4e} \
                             and {:.4e} (predicted at t = {:.2})",
                            r.lambda,
                            0.5 * (lev[i] + lev[i + 1]),
                            lev[i],
                            lev[i + 1],
                            e.tau * r.log_inv_lambda()
                        ),
                    ));
                    break;
                }
            }
        }
        if offsets.len() < judged.len() {
            continue;
        }
        let points: Vec<GapPoint> = offsets
            .windows(2)
            .map(|w| GapPoint { x: w[1].0, gap: (w[1].1 - w[0].1).abs(), floor: w[0].2 + w[1].2 })
            .collect();
        let list: Vec<String> = offsets.iter().map(|o| format!("{:.3}", o.1)).collect();
        for v in trend_verdicts(
            id,
            &format!(
                "JP drop {i} (tau = {:.4}, offsets t - tau ln(1/lambda) = [{}], {regime}): |offset difference|",
                e.tau,
                list.join(", ")
            ),
            &points,
            0.0,
            "ln(1/lambda)",
            false,
        ) {
            parts.push(v);
        }
    }
    // 2. plateaus on the last rung
    let l = last.log_inv_lambda();
    let tol = level_tolerance(data);
    let mut worst = (0.0f64, 0usize, 0.0f64);
    for (i, &level) in lev.iter().enumerate().take(process.events.len()) {
        let before = if i == 0 { 0.0 } else { process.events[i - 1].tau };
        let mid = 0.5 * (before + process.events[i].tau) * l;
        let b = last.steps.iter().position(|s| s.time >= mid).unwrap_or(last.steps.len() - 1);
        let a = b.saturating_sub(1);
        let dev = (last.steps[a].loss - level).abs().max((last.steps[b].loss - level).abs());
        if dev >= worst.0 {
            worst = (dev, i, mid);
        }
    }
    parts.push(Verdict::at_most(
        id,
        worst.0,
        tol,
        format!(
            "JP plateaus at lambda = {:.0e}: the loss at each predicted mid-plateau time is within (1/4n) min y^2 = \
             {tol:.3e} of its level (worst: level {} = {:.4e} at t = {:.1}, off by {:.3e})",
            last.lambda, worst.1, lev[worst.1], worst.2, worst.0
        ),
    ));
    // 3. unfitted = uncovered
    let final_params = last.final_params.to_params();
    let (worst_ratio, worst_k) = end_state_ratio(data, &final_params, &process.unfitted);
    let h_worst = Model::relu().validate().expect("the paper's model is valid").eval(&final_params, data.x(worst_k));
    parts.push(Verdict::at_most(
        id,
        worst_ratio,
        1.0,
        format!(
            "JP end state at lambda = {:.0e}: covered points at their label, uncovered {:?} at h = 0, each within half \
             its |y_k| (worst: point {worst_k}, h = {:.4e}, y = {:.4e})",
            last.lambda,
            process.unfitted,
            h_worst,
            data.y()[worst_k]
        ),
    ));
    // 4. the norm
    if process.unfitted.is_empty() && process.limit_norm_sq > 0.0 {
        let mu = slowest_rate(process, data).unwrap_or(1.0);
        let points: Vec<GapPoint> = judged
            .iter()
            .map(|r| {
                let nsq = r.final_params.norm_sq();
                let p = path_length_bound(r.summary.final_loss, mu);
                let floor =
                    (2.0 * nsq.sqrt() * p + p * p + 2.0 * r.integrator_resolution() * nsq) / process.limit_norm_sq;
                GapPoint { x: r.log_inv_lambda(), gap: (nsq / process.limit_norm_sq - 1.0).abs(), floor }
            })
            .collect();
        let l_star = process.events.iter().filter_map(|e| e.runner_up.map(|r| r.1)).fold(f64::NEG_INFINITY, f64::max);
        let kappa = 0.5 * if l_star.is_finite() { l_star.abs().min(1.0) } else { 1.0 };
        parts.extend(trend_verdicts(
            id,
            &format!("JP norm ({regime}): ||theta_end|^2 / {:.6} - 1| (the predicted limit)", process.limit_norm_sq),
            &points,
            kappa,
            "ln(1/lambda)",
            true,
        ));
    }
    Verdict::all(id, parts)
}

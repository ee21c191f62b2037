//! LZ (Section 3.2, Appendix A): the large initialisation is lazy ([`check_lz`] on one flow
//! run at [`lazy_lambda`]).

use super::{Ladder, Rung, distance, norm_excess_points, step_loss_resolution, zero_loss_part};
use crate::claims::{ClaimId, Verdict};
use crate::init::NeuronSets;
use crate::theory;

/// The large initialisation of Appendix A / Section 3.2: `lambda = 10 / sqrt(m)`.
pub fn lazy_lambda(width: usize) -> f64 {
    10.0 / (width as f64).sqrt()
}

/// **LZ (Section 3.2, Appendix A)** on one flow run (normally at [`lazy_lambda`]).
///
/// Finite statement, every part required:
/// 1. *the weights barely move*: `|theta_end - theta_0| / |theta_0| <= 1`. The bound is the
///    scale-free boundary between the two regimes: below it the end point is closer to the
///    initialisation than the initialisation is to 0 (the initialisation dominates the trained
///    weights, Chizat et al.'s lazy regime); in the small-initialisation regime the same ratio is
///    `~ |theta*| / (lambda |g|) >> 1` (about `1e7` at `lambda = 1e-8`, the negative control).
/// 2. *no plateau*: between every two consecutive accepted steps, `-d ln L/dt >= |D-|` on average,
///    i.e. the final-phase rate of Lemma 15 holds from `t = 0`. A plateau is a stay near a saddle
///    with `L > 0`, where `|grad L|^2 / L -> 0`, so it violates this; the lazy regime's rate is the
///    smallest eigenvalue of the tangent kernel, of order `lambda^2 m / n`. What is compared is
///    the flow from the computed state `theta_i` over the step `dt`, which the claim bounds by
///    `sqrt(L(Phi_dt theta_i)) <= sqrt(L_i) exp(-|D-| dt/2)`, against the computed
///    `theta_{i+1}`, which differs from `Phi_dt theta_i` by that step's local error: so each step
///    is judged as `sqrt(L_{i+1}) - rho_{i+1} <= sqrt(L_i) exp(-|D-| dt/2)`, `rho` =
///    [`step_loss_resolution`], i.e. on the rate `-2 ln((sqrt(L_{i+1}) - rho)/sqrt(L_i))/dt`;
///    a step with `sqrt(L_{i+1}) <= rho` is at the resolution and says nothing. Not the
///    accumulated `N rtol` of the module docs: the flow from any computed state is again a gradient
///    flow, so only the last step's error separates `theta_{i+1}` from a state the claim speaks
///    about. (At `lambda = 10/sqrt(m)` the parameters are large, `|theta|^2 ~ 2 lambda^2 m |g|^2`
///    in the hundreds, so `rho ~ 1e-10 |theta|^2 / sqrt 2` reaches `sqrt(UNTIL_LOSS) = 1e-8`: the
///    last steps before the stop sit at the resolution, and a per-step check without `rho` fails
///    there. Measured on the `PROPTEST_RNG_SEED=2` case, `n = 2`, `d = 3`, `m = 16`,
///    `|theta|^2 = 542`: `L` rises five times in the last 20 steps, at most from `1.19e-16` to
///    `1.94e-16`, i.e. `3.0e-9` in `sqrt(L)` against `rho = 3.8e-8`; 372 of the 399 steps are
///    above the resolution and the worst rate there is `8.7 |D-|`. Over 300 `lazy_shape`
///    instances the largest one-step rise of `sqrt(L)` was `1.1%` of `rho`.)
/// 3. *the final norm is not minimal*: `|theta_end|^2 / min_norm_sq - 1 >= rho` (the resolution
///    of [`norm_excess_points`]): strictly above Proposition 1's minimum, beyond what the run can
///    resolve.
/// 4. *zero loss* within the [`derived_horizon`](super::derived_horizon) (the lazy regime converges too), judged as
///    [`latest_stop`](super::latest_stop) `<= 1`.
pub fn check_lz(rung: &Rung) -> Verdict {
    let id = ClaimId::LZ;
    let data = &rung.data;
    let mut parts = Vec::new();
    let (th0, th1) = (rung.initial_params.to_params(), rung.final_params.to_params());
    let moved = distance(&th1, &th0) / th0.norm_sq().sqrt();
    parts.push(Verdict::at_most(
        id,
        moved,
        1.0,
        format!("lambda = {:.3e}: |theta_end - theta_0|/|theta_0| = {moved:.3e} <= 1", rung.lambda),
    ));
    let dm = theory::d_minus_norm(data);
    let (mut worst, mut judged, mut total) = (f64::INFINITY, 0usize, 0usize);
    for w in rung.steps.windows(2).filter(|w| w[1].time > w[0].time) {
        total += 1;
        let above = w[1].loss.max(0.0).sqrt() - step_loss_resolution(rung, &w[1]);
        if above <= 0.0 {
            continue;
        }
        judged += 1;
        worst = worst.min(-2.0 * (above.ln() - 0.5 * w[0].loss.max(0.0).ln()) / (w[1].time - w[0].time));
    }
    if judged == 0 {
        parts.push(Verdict::failed(id, format!("no plateau: none of the {total} steps is above the resolution")));
    } else {
        parts.push(Verdict::at_least(
            id,
            worst / dm,
            1.0,
            format!(
                "no plateau: worst -d ln L/dt between steps = {:.3e} |D-| >= |D-| ({judged} of {total} steps above \
                 the resolution rho of sqrt(L))",
                worst / dm
            ),
        ));
    }
    match theory::min_norm_sq(data) {
        Some(m) => {
            let ladder =
                Ladder { rungs: vec![rung.clone()], sets: NeuronSets::of(&rung.initial_params, data), until_loss: 0.0 };
            let p = norm_excess_points(&ladder, m, &[])[0];
            let signed = rung.final_params.norm_sq() / m - 1.0;
            parts.push(Verdict::at_least(
                id,
                signed,
                p.floor,
                format!(
                    "final norm above the minimum: |theta|^2/min_norm_sq - 1 = {signed:.3e} >= rho {:.1e}",
                    p.floor
                ),
            ));
        }
        None => parts.push(Verdict::failed(id, "min_norm_sq undefined: inputs not orthogonal")),
    }
    parts.push(zero_loss_part(
        id,
        [rung],
        format!("zero loss: L_end = {:.2e} reached before the horizon {:.2}", rung.summary.final_loss, rung.horizon),
    ));
    Verdict::all(id, parts)
}

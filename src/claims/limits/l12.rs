//! L12 (Lemma 12) on a flow ladder ([`check_l12`], [`check_l12_against`]): the end points
//! approach the one `lambda`-free `theta*` of the process (28) ([`ladder_theta_star`]).

use super::{GapPoint, Ladder, distance, eps_of, no_rungs, path_length_bound, pl_constant, trend_verdicts};
use crate::claims::{ClaimId, Verdict};
use crate::params::Params;
use crate::theory::{self, lambda_free};

/// Distance of each rung's end point to `theta_star`, with resolution `P + N rtol |theta_end|`
/// ([`path_length_bound`], [`Rung::integrator_resolution`](super::Rung::integrator_resolution)).
pub fn distance_points(ladder: &Ladder, theta_star: &Params) -> Vec<GapPoint> {
    ladder
        .rungs
        .iter()
        .map(|r| {
            let p = path_length_bound(r.summary.final_loss, pl_constant(&r.data));
            GapPoint {
                x: r.log_inv_lambda(),
                gap: distance(&r.final_params.to_params(), theta_star),
                floor: p + r.integrator_resolution() * r.final_params.norm_sq().sqrt(),
            }
        })
        .collect()
}

/// **L12 (Lemma 12)** on a flow ladder, against a given `theta_star` (normally
/// [`ladder_theta_star`]; negative controls pass a wrong one).
///
/// Finite statement: the distance `|theta_end(lambda) - theta*|` to ONE `lambda`-independent
/// minimum-norm interpolator, whose split of `n|D+|` and `n|D-|` among `S+,1`, `S-,1` is fixed by
/// the `lambda`-free process (28) ([`ladder_theta_star`]),
/// 1-2. follows the ladder judgement (module docs) with `kappa = eps/31`, the exponent of the
///    lemma's bound; resolution `P + N rtol |theta_end|` ([`distance_points`]);
/// 3. at the smallest `lambda` is `<= max(lambda^(eps/31), rho)`, the lemma's radius, applied to
///    the end point (after `t3` Theorem 2 only keeps the flow within `2 lambda^(eps/240)` of
///    `theta*`, a weaker radius; we check the lemma's).
///
/// The end point stands for `theta_t3`: by Theorem 2 the flow after `t3` stays in a ball around
/// `theta*` whose radius also vanishes as `lambda -> 0`, so the limit statements coincide, and
/// the end point is the one the simulation resolves best.
pub fn check_l12_against(ladder: &Ladder, theta_star: &Params) -> Verdict {
    let id = ClaimId::L12;
    let Some(last) = ladder.last() else {
        return no_rungs(id);
    };
    let eps = eps_of(&last.data);
    let points = distance_points(ladder, theta_star);
    let mut parts = trend_verdicts(id, "|theta_end - theta*|", &points, eps / 31.0, "ln(1/lambda)", true);
    let bound = theory::ln_lemma12_distance_bound(last.lambda.ln(), eps).exp();
    let p = points.last().expect("non-empty");
    parts.push(Verdict::at_most(
        id,
        p.gap,
        bound.max(p.floor),
        format!(
            "at lambda = {:.0e}: |theta_end - theta*| = {:.2e} <= max(lambda^(eps/31) = {bound:.3}, rho {:.1e}); \
             eps = {eps:.4}, |theta*| = {:.3}",
            last.lambda,
            p.gap,
            p.floor,
            theta_star.norm_sq().sqrt()
        ),
    ));
    Verdict::all(id, parts)
}

/// The `lambda`-free `theta*` of Lemma 12 predicted for `ladder`:
/// [`theory::lambda_free::predicted_theta_star`] of the first rung's data and initial directions
/// ([`Rung::directions`](super::Rung::directions)) with the ladder's sets.
pub fn ladder_theta_star(ladder: &Ladder) -> Result<Params, String> {
    let first = ladder.rungs.first().ok_or("a ladder without rungs")?;
    let (plus, minus) = (&ladder.sets.s_plus_1, &ladder.sets.s_minus_1);
    lambda_free::predicted_theta_star(&first.data, &first.directions(), plus, minus).map_err(|e| e.to_string())
}

/// [`check_l12_against`] the `lambda`-free [`ladder_theta_star`].
pub fn check_l12(ladder: &Ladder) -> Verdict {
    match ladder_theta_star(ladder) {
        Ok(star) => check_l12_against(ladder, &star),
        Err(e) => Verdict::failed(ClaimId::L12, format!("no theta*: {e}")),
    }
}

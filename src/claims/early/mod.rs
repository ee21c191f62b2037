//! Claim checks: the early phase (Appendix B.3, Section 4.1): L7, L8, L9 and AL.
//!
//! Everything here judges one run of the gradient flow on `[0, t-1]` (plus, for negative
//! controls, any extra checkpoint times), a [`PhaseOne`]: plain data, produced by
//! [`simulate_phase_one`] (or [`simulate_phase_one_from`] a given `theta(0)`) or recorded by
//! another program; the judges below only read it.
//! - [`check_l7`]: Lemma 7 at `t+1 = -eps ln(lambda)/|D+|` ([`l7_parts`] gives the three parts).
//! - [`check_l8`]: Lemma 8 at `t-1 = -eps r ln(lambda)/|D+|` ([`l8_parts`]).
//! - [`check_l9`]: Lemma 9, no collapse of `S+,1` on `[0, t+1]` and of `S-,1` on `[0, t-1]`.
//! - [`check_al`]: eqs. (9)-(10), neurons with the same activation pattern point the same way at
//!   the end of phase 1.
//!
//! ## Which `lambda`, which `eps`
//! The lemma bounds are powers `lambda^(eps/k)` and only mean something for tiny `lambda`: with
//! `eps = 0.03`, `2 lambda^eps` is `0.25` at `lambda = 1e-30` (barely a statement) and `2e-9` at
//! `lambda = 1e-300`. [`instance`] therefore draws `lambda` in `[1e-300, 2e-300)` ([`LAMBDA_EXP10`]),
//! the smallest scale the simulator reaches with full relative precision (per-neuron binary
//! exponents, [`ScaledParams`](crate::params::ScaledParams)); all comparisons are made in log space (`ln |w_j|`,
//! `ln(1 - cos)`), where nothing underflows.
//!
//! `eps` is given by [`eps_for`]: `theory::epsilon_max(data)` (the largest `eps` Appendix B.2
//! admits, with the corrected `alpha`, `beta` of `CLAIMS.md`), lowered where an alignment bound
//! would fall below what an `f64` direction can resolve ([`LN_RESOLUTION`]: `lambda^eps` must
//! stay `>= e^-50 ~ 2e-22`, i.e. `eps <= 0.0724` at `lambda = 1e-300`; for AL
//! `r eps <= 0.0724`). Every `0 < eps <= eps_max` is admissible (Lemmas 7-9 hold for each), and
//! the largest resolvable one gives the strictest bound `2 lambda^eps` that can be decided and
//! the latest phase end `t+1` (most growth before the norm bound (i) is checked). The tests also
//! run `eps / 2` and `eps / 4`.
//!
//! ## Units of the verdicts
//! Every verdict here compares logarithms: `measured = ln(quantity)`, `bound = ln(paper bound)`,
//! so `margin = ln(bound / quantity)` is the (natural-log) factor of slack, comparable across
//! the parts of a lemma ([`Verdict::all`](crate::claims::Verdict::all) of the parts is the lemma's verdict: it holds iff every
//! part that can bite holds, and its numbers are the binding part's).
//!
//! ## No evidence, no pass
//! A part about `S+,1` (or `S-,1`) fails when the set is empty (there is nothing to judge; the
//! guarded [`crate::claims::check`] skips such instances first, on the requirement
//! `SPlusOneNonEmpty` / `SMinusOneNonEmpty`). A part whose bound cannot bite on the instance is
//! marked vacuous ([`Verdict::vacuous_if`](crate::claims::Verdict::vacuous_if)): the alignment (ii) of L7/L8 when `2 lambda^eps >= 1`
//! (every neuron of the set satisfies it at `t = 0`), AL's parts of a group with
//! `delta_G >= 1`.
//!
//! ## Accuracy
//! The flow is integrated with [`RTOL`] (relative, per neuron, at every scale): norms and
//! directions carry relative errors of order `1e-9` at most, i.e. `1e-9` in the log units of
//! the verdicts. No slack is added for it: the smallest margins seen (0.71 for L7/L8 (i) over
//! 150 seeds; 7.9 for AL, 14.8 for L9) are many orders above it, so it cannot flip a verdict.

mod al;
mod directions;
mod l9;
mod lemmas;
mod phase_one;
mod simulate;

pub use al::{AlParts, PatternGroup, al_parts, check_al, pattern_groups};
pub use l9::{check_l9, check_l9_against, l9_parts, l9_parts_against};
pub use lemmas::{LemmaParts, check_l7, check_l8, l7_parts, l8_parts};
pub use phase_one::{PhaseOne, Start};
pub use simulate::{simulate_phase_one, simulate_phase_one_from};

use super::{ClaimId, Outcome};
use crate::Instance;
use crate::data::Dataset;
use crate::generators::InstanceShape;
use crate::solver::flow::ZERO_BAND;
use crate::theory;

/// `lambda = (1 + k/8) 10^-300` in [`instance`] (see the module docs).
pub const LAMBDA_EXP10: u32 = 300;

/// Relative tolerance of the flow integrator in these checks (per neuron, scale-free).
pub const RTOL: f64 = 1e-10;

/// Relative tolerance for "`<w_j, x_k>` = 0" in Lemma 7 (iii) / Lemma 8 (iii) and for "active"
/// in the AL patterns: `|<w_j, x_k>| <= DEACTIVATION_TOL |w_j| |x_k|`.
///
/// Where it comes from: the flow locates the crossing `<w_j, x_k> = 0` by bisection on its
/// dense output to `2^-60` of a step and ends the step at the first point where the coordinate
/// is `<= 0`; from then on the coordinate is in the integrator's `Zero` class, where its
/// velocity `a_j <D_j, x_k>` is zero on orthonormal inputs up to rounding. The integrator itself
/// treats `|<w_j, x_k>| < ZERO_BAND |w_j| |x_k|` as "on the boundary" (`act' = relu'(0) = 0`)
/// and re-classifies a coordinate only when it leaves that band, so `ZERO_BAND = 1e-9` is the
/// resolution at which the simulator's "`= 0`" means anything; this tolerance is that constant,
/// not a tuned number. (Measured values are at rounding level, `~1e-16`.)
pub const DEACTIVATION_TOL: f64 = ZERO_BAND;

/// `ln` of the smallest `lambda^eps` (hence of the smallest bound `2 lambda^eps` on `1 - cos`, up
/// to the factor 2) that these checks evaluate: `e^-50 ~ 2e-22`.
///
/// Why: a direction stored in `f64` has per-component rounding `~2^-53 |w|`, so the computed
/// `1 - cos` between two states (or a state and `D+`) has a floor near `d 2^-106 ~ 1e-32`
/// (measured on these runs: `ln(1 - cos)` bottoms out at `-72 ... -74`). The true flow's
/// `1 - cos` at `t+1` is `~lambda^(2 eps)`, far below that at `lambda = 1e-300`, but the
/// simulated state cannot represent it; a bound `2 lambda^eps` below the floor could therefore
/// not be decided either way. `e^-50` keeps a factor `e^22 ~ 4e9` between the smallest bound
/// checked and the floor. See [`eps_for`]: `eps` is lowered (within `(0, eps_max]`, where every
/// value is admissible) so that the alignment bounds stay at or above this level.
pub const LN_RESOLUTION: f64 = -50.0;

/// The `eps` the checks of `id` use on `data` at `ln(lambda)`: `epsilon_max` (Appendix B.2,
/// corrected), lowered where needed so that the smallest alignment bound is `>= e^LN_RESOLUTION`:
/// - L7, L8: the bound (ii) is `2 lambda^eps`, so `eps <= -LN_RESOLUTION / |ln lambda|`
///   (`0.0724` at `lambda = 1e-300`);
/// - AL: the tightest group bound is `2 exp(-|D+| t-1) = 2 lambda^(r eps)`, so
///   `eps <= -LN_RESOLUTION / (r |ln lambda|)`;
/// - L9 (norms only, exact in log space): `epsilon_max`.
///
/// `None` if `epsilon_max` is undefined (a label sign missing, `r <= 1`).
pub fn eps_for(id: ClaimId, data: &Dataset, ln_lambda: f64) -> Option<f64> {
    let eps_max = theory::epsilon_max(data)?;
    let l = -ln_lambda;
    Some(match id {
        ClaimId::L7 | ClaimId::L8 => eps_max.min(-LN_RESOLUTION / l),
        ClaimId::AL => eps_max.min(-LN_RESOLUTION / (theory::r(data) * l)),
        _ => eps_max,
    })
}

/// Which half of phase 1: [`LabelSign::Positive`] is `S+,1` with `D+`, `t+1`, negative labels
/// deactivated (Lemma 7); [`LabelSign::Negative`] is `S-,1` with `-D-`, `t-1`, positive labels
/// deactivated (Lemma 8). The crate's one plus/minus type.
pub use crate::theory::LabelSign;

// ---------------------------------------------------------------------------------------------
// reluflow verify
// ---------------------------------------------------------------------------------------------

/// The instances of [`instance`]: well-separated (`r >= 1.5`, `eps_max >= 0.02`), Assumptions 1-3,
/// `n` in 2..=4 (width `2^(n+2)` <= 64, to stay well under a second per call), `lambda` in
/// `[1e-300, 2e-300)`.
pub fn shape() -> InstanceShape {
    InstanceShape::well_separated().with_n(2..=4).with_lambda_exp10(LAMBDA_EXP10..=LAMBDA_EXP10)
}

/// The instance of claim `id` (L7, L8, L9 or AL) drawn from `seed` for `reluflow verify`
/// ([`shape`]).
pub fn instance(id: ClaimId, seed: u64) -> Result<Instance, Outcome> {
    shape()
        .sample(seed)
        .ok_or_else(|| Outcome::Skipped { claim: id, reason: "no well-separated instance found for this seed".into() })
}

/// Checks claim `id` (L7, L8, L9 or AL) on `instance` with `eps = eps_for(id, ..)`: one
/// [`PhaseOne`] run, judged at `t+1` (L7) or `t-1` (L8, AL), or over the run (L9).
pub fn check(id: ClaimId, instance: &Instance) -> Outcome {
    if !matches!(id, ClaimId::L7 | ClaimId::L8 | ClaimId::L9 | ClaimId::AL) {
        return Outcome::Skipped { claim: id, reason: format!("{id} is not an early-phase claim") };
    }
    let Some(eps) = eps_for(id, &instance.data, instance.ln_lambda()) else {
        return Outcome::Skipped { claim: id, reason: "epsilon_max undefined (a label sign missing or r <= 1)".into() };
    };
    let phase = match simulate_phase_one(instance, eps, &[]) {
        Ok(p) => p,
        Err(e) => return Outcome::Error { claim: id, error: e.to_string() },
    };
    match id {
        ClaimId::L7 => Outcome::Checked(check_l7(&phase, phase.at_t_plus_1())),
        ClaimId::L8 => Outcome::Checked(check_l8(&phase, phase.at_t_minus_1())),
        ClaimId::L9 => Outcome::Checked(check_l9(&phase)),
        _ => match check_al(&phase, phase.at_t_minus_1()) {
            Some(v) => Outcome::Checked(v),
            None => Outcome::Skipped { claim: id, reason: "no neuron group with a label to fit".into() },
        },
    }
}

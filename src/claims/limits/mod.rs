//! Claims L12, T1, TS (limits `lambda -> 0`), LZ (large initialisation) and NO (nearly
//! orthogonal inputs).
//!
//! ## Lambda ladders
//! L12, T1 and TS are statements about `lim_{lambda -> 0}`. A finite check cannot take a limit;
//! it runs the SAME instance (the same data, the same directions `g_j` and signs `s_j`:
//! [`Instance::with_lambda`] keeps the seed) on the ladder [`LADDER`]
//! `= 1e-4, 1e-8, 1e-16, 1e-32, 1e-64, 1e-128, 1e-300` (the simulator integrates per-neuron
//! scaled parameters, so `1e-300` is integrated as accurately as `1e-4`; the lemma bounds
//! `lambda^(eps/k)` only say something at such scales), each rung run to convergence, and
//! judges the *gap to the limit* `g(lambda)` rung by rung ([`judge_trend`]):
//!
//! 1. **Shrinkage down to the resolution.** Each rung has a resolution `rho_i`: the smallest gap
//!    the run can tell from 0 (see *Resolution*). Going down one rung, the gap must satisfy
//!    `g_{i+1} <= max(rho_{i+1}, g_i (lambda_{i+1}/lambda_i)^kappa)` while `g_i > rho_i`, and
//!    `g_{i+1} <= max(rho_i, rho_{i+1})` once `g_i <= rho_i`. For L12 and T1, `kappa = eps/31`,
//!    the exponent of Lemma 12's bound `lambda^(eps/31)` (`eps` = Appendix B.2's largest
//!    admissible value, [`theory::epsilon_max`]): a gap that tends to 0 at least as fast as the
//!    paper's bound passes; a gap that tends to a non-zero constant (Assumption 3 violated, a
//!    wrong constant) stops shrinking above the resolution and fails.
//! 2. **A positive fitted exponent.** Least squares of `ln g` against `ln lambda` over the rungs
//!    resolved above `rho`; required `> 0` when at least two rungs are resolved. (With fewer, the
//!    gap is already at the resolution at `1e-4` or `1e-8`: this happens when every neuron
//!    outside `S+,1 u S-,1` is inactive on the labels of its sign, e.g. `n = 2`, where the excess
//!    is `O(lambda^2)`.)
//! 3. **A bound at the smallest `lambda`** from the paper's explicit constants (per claim).
//!
//! TS is a `1/ln(1/lambda)` law and is judged on the offset `t |D| - ln(1/lambda)` instead (see
//! [`check_ts_with`]).
//!
//! What the trend looks like (measured on the ladders, and derived as follows): a neuron with
//! `s_j = +1` active on a proper subset `A` of the positive labels (on orthonormal inputs the
//! subset never changes, Lemma 6) grows at rate `q |D+|`, `q = |P_A D+|/|D+| < 1`, and stops when
//! the positive labels are fitted, at time `~ ln(1/lambda)/|D+|`, at size `~ lambda^(1 - q)`; it
//! costs a norm excess `~ lambda^(2(1 - q))` and a distance to `theta*` `~ lambda^(1 - q)`, with
//! `1 - q >= 1 - sqrt(1 - 2 alpha) >= alpha` (the corrected `alpha` of Appendix B.2). E.g.
//! `y+ = (0.94, 1.75)`: `2(1 - q) = 0.23`, fitted `0.237`.
//!
//! ## Resolution
//! A run stops when `L < UNTIL_LOSS = 1e-16` (a residual `|h(x_k) - y_k| <= sqrt(2n 1e-16)`, eight
//! significant digits; at `rtol = 1e-10` the integrated flow's loss stalls near `1e-22`, six
//! decades lower, so the stop is reached cleanly). Two effects limit what a run's end point says
//! about `theta_inf = lim_t theta_t`:
//! - *the rest of the path*: by the Lojasiewicz argument with Lemma 15's constant
//!   `mu = min(|D+|, |D-|)` (`|grad L|^2 >= mu L`), `d sqrt(L)/dt <= -(sqrt(mu)/2)|grad L|`, so the
//!   flow moves at most `P = 2 sqrt(L_end / mu)` after the end ([`path_length_bound`]);
//! - *the integrator*: each accepted step commits a local error `<= rtol` relative to each
//!   neuron's size; we allow the `N` steps' errors to add up without cancellation, a relative
//!   error `N rtol` per neuron ([`Rung::integrator_resolution`]). (Measured: the drift of the
//!   fitting times at `1e-300` is below 1% of that.) Gradient descent (NO) is extrapolated to
//!   step 0 from steps `eta` and `eta/2` instead, see [`check_no`].
//!
//! ## A user's instance
//! [`check`] maps one instance to the evidence of each claim: the flow ladder [`ladder_of`] its
//! `lambda` (its `lambda`, then the rungs of [`LADDER`] at or below `lambda^2`; L12, T1, TS
//! require `1e-32 <= lambda <= 1e-4`, i.e. at least [`MIN_LADDER_RUNGS`] rungs starting in the
//! small-initialisation regime), one run at its `lambda` for LZ (which requires the lazy scale
//! `lambda >= lazy_lambda(m)`), the NO ladders over [`no_ladder_of`] its `lambda`
//! (`1e-8 <= lambda <= 1e-4`), perturbed with its initialisation seed. The registry's instances
//! ([`instance`]) start at `LADDER[0]` and `NO_LADDER[0]`, so their ladders are [`LADDER`] and
//! [`NO_LADDER`].
//!
//! ## Simulate, then judge
//! The evidence is plain data: a [`Rung`] (one run: data, `theta(0)`, `theta_end`, summary and
//! every step's [`StepRecord`], recorded by [`PhaseObserver`] in `trajectory::phase_steps`), a
//! [`Ladder`] of rungs with the same `g_j`, a [`NoLadder`]. [`simulate_rung`],
//! [`simulate_ladder`] and [`simulate_no_ladder`] produce it; the judges [`check_t1`],
//! [`check_l12`], [`check_ts`], [`check_lz`], [`check_no`] (and their `_with`/`_against`
//! variants, which take the theory's numbers as arguments for the negative controls) read it and
//! never simulate. The `lambda`-free predictions of the process (28) are closed forms of the data
//! and the initial directions, in [`crate::theory::lambda_free`].
//!
//! Layout: `ladder.rs` (the evidence and its simulation), `measures.rs` (resolutions, half
//! times, the zero-loss part), `trend.rs` (the ladder judgement), one file per claim (`t1.rs`,
//! `l12.rs`, `ts.rs`, `lz.rs`, `no.rs`), this file (constants, instances, [`check`]).

mod l12;
mod ladder;
mod lz;
mod measures;
mod no;
mod t1;
mod trend;
mod ts;

pub use l12::{check_l12, check_l12_against, distance_points, ladder_theta_star};
pub use ladder::{
    Integrator, Ladder, PhaseObserver, PhaseRecord, Rung, StepRecord, derived_horizon, simulate_ladder,
    simulate_ladder_with, simulate_rung, simulate_rung_to,
};
pub use lz::{check_lz, lazy_lambda};
pub use measures::{
    distance, half_time, latest_stop, path_length_bound, pl_constant, step_loss_resolution, zero_loss_part,
};
pub use no::{NoLadder, check_no, max_offdiag_inner, nearly_orthogonal, simulate_no_ladder};
pub use t1::{FinalPhaseRate, check_t1, check_t1_with, final_phase_rate, norm_excess_points};
pub use trend::{GapPoint, TrendReport, judge_trend, trend_verdicts};
pub use ts::{check_ts, check_ts_with, fit_times, ladder_fit_offset};

use super::{ClaimId, Outcome, Verdict};
use crate::Instance;
use crate::data::Dataset;
use crate::generators::InstanceShape;
use crate::solver::SimulationError;
use crate::theory;

/// The lambda ladder of L12, T1, TS: the exponent doubles at each rung, down to the smallest
/// scale the simulator is built for.
pub const LADDER: [f64; 7] = [1e-4, 1e-8, 1e-16, 1e-32, 1e-64, 1e-128, 1e-300];

/// The ladder of NO (`delta = lambda` on each rung), integrated by gradient descent. It stops at
/// `1e-12`: further down, gradient descent's own deviation from the flow (it grows with the time
/// `~ ln(1/lambda)`) dominates, and `delta` approaches the rounding of the inputs (`1e-16`),
/// below which any `f64` "orthonormal" data are only nearly orthogonal.
pub const NO_LADDER: [f64; 5] = [1e-4, 1e-6, 1e-8, 1e-10, 1e-12];

/// Gradient-descent step of NO; each rung also runs at `NO_STEP / 2`, and the two are
/// extrapolated to step 0 ([`check_no`]).
pub const NO_STEP: f64 = 0.02;

/// Relative tolerance of the flow integrator on the ladders (per neuron, per step).
pub const RTOL: f64 = 1e-10;

/// A run counts as converged ("zero loss") once `L < UNTIL_LOSS`; see the module docs.
pub const UNTIL_LOSS: f64 = 1e-16;

/// The `eps` of the checks: Appendix B.2's largest admissible value (0.01 if undefined).
fn eps_of(data: &Dataset) -> f64 {
    theory::epsilon_max(data).unwrap_or(0.01)
}

/// The verdict on a ladder without rungs: no evidence, a failure.
fn no_rungs(claim: ClaimId) -> Verdict {
    Verdict::failed(claim, "a ladder without rungs: no evidence")
}

// ---------------------------------------------------------------------------------------------
// reluflow verify
// ---------------------------------------------------------------------------------------------

/// The instances of L12, T1, TS and NO: Appendix B.2's `eps >= EPS_FLOOR` and `r >= 1.5`
/// (well separated, so that `lambda^(eps/31)` means something on the ladder), `n <= 4`, width
/// 8-16 (one ladder then takes ~0.2 s in release), Assumptions 1-3.
pub fn ladder_shape() -> InstanceShape {
    InstanceShape::well_separated().with_n(2..=4).with_width(8..=16)
}

/// The instances of LZ: Assumptions 1-3, `n <= 4`, the default width `m = 2^(n+2)`.
pub fn lazy_shape() -> InstanceShape {
    InstanceShape::default().with_n(2..=4)
}

/// The fewest rungs a flow ladder of L12, T1 or TS is judged on: three pairs of consecutive
/// rungs for the shrinkage judgement, so that a gap that stalls can show it on more than one
/// pair.
pub const MIN_LADDER_RUNGS: usize = 4;

/// The smallest instance `lambda` a flow ladder starts from: below `1e-32`, fewer than
/// [`MIN_LADDER_RUNGS`] rungs remain ([`ladder_of`]: `1e-32`, then `1e-64`, `1e-128`, `1e-300`).
pub const LADDER_TOP_MIN: f64 = 1e-32;

/// The fewest rungs of a NO ladder: two pairs.
pub const MIN_NO_RUNGS: usize = 3;

/// The smallest instance `lambda` a NO ladder starts from ([`no_ladder_of`]: `1e-8`, `1e-10`,
/// `1e-12`).
pub const NO_TOP_MIN: f64 = 1e-8;

/// How a user's instance maps to the flow ladder of L12, T1 and TS: its own `lambda` is the top
/// rung, followed by the rungs of [`LADDER`] at or below `lambda^2` (so that `ln(1/lambda)` at
/// least doubles from one rung to the next, as on [`LADDER`] itself, down to `1e-300`). At
/// `lambda = 1e-4` this is [`LADDER`]; at `1e-6`: `1e-6, 1e-16, 1e-32, 1e-64, 1e-128, 1e-300`.
/// The claims require `LADDER_TOP_MIN <= lambda <= LADDER[0]` (so that the ladder has at least
/// [`MIN_LADDER_RUNGS`] rungs and starts in the small-initialisation regime).
pub fn ladder_of(lambda: f64) -> Vec<f64> {
    let below = 2.0 * lambda.ln();
    let mut out = vec![lambda];
    // 1e-9 in ln: the literal 1e-8 is (1e-4)^2 up to rounding
    out.extend(LADDER.iter().copied().filter(|&l| l.ln() <= below + 1e-9));
    out
}

/// How a user's instance maps to the NO ladder: its own `lambda` is the top rung, followed by the
/// rungs of [`NO_LADDER`] at or below `lambda / 100` (the spacing of [`NO_LADDER`]). At
/// `lambda = 1e-4` this is [`NO_LADDER`]. NO requires `NO_TOP_MIN <= lambda <= NO_LADDER[0]`
/// (at least [`MIN_NO_RUNGS`] rungs; [`NO_LADDER`] ends at `1e-12` for the reasons given there).
pub fn no_ladder_of(lambda: f64) -> Vec<f64> {
    let below = lambda.ln() - 100f64.ln();
    let mut out = vec![lambda];
    out.extend(NO_LADDER.iter().copied().filter(|&l| l.ln() <= below + 1e-9));
    out
}

/// The instance of claim `id` (L12, T1, TS, LZ or NO) drawn from `seed` for `reluflow verify`:
/// [`ladder_shape`] at `lambda = LADDER[0]` (L12, T1, TS; the ladder is then [`LADDER`]) or at
/// `NO_LADDER[0]` (NO; the ladder is [`NO_LADDER`]), [`lazy_shape`] at `lambda = lazy_lambda(m)`
/// (LZ).
pub fn instance(id: ClaimId, seed: u64) -> Result<Instance, Outcome> {
    let skipped = |reason: &str| Outcome::Skipped { claim: id, reason: reason.into() };
    match id {
        ClaimId::LZ => {
            let inst =
                lazy_shape().sample(seed).ok_or_else(|| skipped("no instance with Assumption 3 from this seed"))?;
            Ok(inst.with_lambda(lazy_lambda(inst.init.width)))
        }
        _ => {
            let top = if id == ClaimId::NO { NO_LADDER[0] } else { LADDER[0] };
            let inst = ladder_shape()
                .sample(seed)
                .ok_or_else(|| skipped("no well-separated instance with Assumption 3 from this seed"))?;
            Ok(inst.with_lambda(top))
        }
    }
}

/// Checks claim `id` (L12, T1, TS, LZ or NO) on `instance`:
/// - L12, T1, TS on the flow ladder [`ladder_of`] the instance's `lambda`, with the instance's
///   data, directions `g_j` and signs `s_j` on every rung;
/// - LZ on one flow run at the instance's `lambda` (the claim requires the lazy scale
///   `lambda >= lazy_lambda(m)`);
/// - NO on the ladders of [`simulate_no_ladder`] over [`no_ladder_of`] the instance's `lambda`
///   (`delta = lambda` on each rung), the perturbation seeded by the instance's initialisation
///   seed (its own stream, `seeds::Stream::InputPerturbation`, so the directions are those of the
///   instance and one seed fixes both).
///
/// A ladder with fewer rungs than the claim needs (an instance that does not meet the claim's
/// `lambda` requirements, reached through [`crate::claims::check_unguarded`]) is skipped.
pub fn check(id: ClaimId, instance: &Instance) -> Outcome {
    let error = |e: SimulationError| Outcome::Error { claim: id, error: e.to_string() };
    let too_few = |rungs: usize, needed: usize| Outcome::Skipped {
        claim: id,
        reason: format!(
            "the ladder from lambda = {:.3e} has {rungs} rung(s), fewer than the {needed} the claim is judged on",
            instance.lambda()
        ),
    };
    match id {
        ClaimId::L12 | ClaimId::T1 | ClaimId::TS => {
            let lambdas = ladder_of(instance.lambda());
            if lambdas.len() < MIN_LADDER_RUNGS {
                return too_few(lambdas.len(), MIN_LADDER_RUNGS);
            }
            let ladder = match simulate_ladder(instance, &lambdas) {
                Ok(l) => l,
                Err(e) => return error(e),
            };
            Outcome::Checked(match id {
                ClaimId::L12 => check_l12(&ladder),
                ClaimId::T1 => check_t1(&ladder),
                _ => check_ts(&ladder),
            })
        }
        ClaimId::LZ => match simulate_rung(instance, Integrator::Flow { rtol: RTOL }, UNTIL_LOSS) {
            Ok(r) => Outcome::Checked(check_lz(&r)),
            Err(e) => error(e),
        },
        ClaimId::NO => {
            let lambdas = no_ladder_of(instance.lambda());
            if lambdas.len() < MIN_NO_RUNGS {
                return too_few(lambdas.len(), MIN_NO_RUNGS);
            }
            match simulate_no_ladder(instance, &lambdas, |l| l, instance.init.seed, NO_STEP) {
                Ok(nl) => Outcome::Checked(check_no(&nl)),
                Err(e) => error(e),
            }
        }
        _ => Outcome::Skipped { claim: id, reason: "not a claim of the limits group".into() },
    }
}

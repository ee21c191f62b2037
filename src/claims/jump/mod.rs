//! Claims JP and CV: the `lambda -> 0` limit of the training as a saddle-to-saddle jump process
//! ([`crate::theory::jump_process`]), held against the simulator.
//!
//! - JP (Section 3.2; Town, Boursier, Lewis, Englert, Lazic 2026): on a `lambda` ladder with the
//!   same directions `g_j` ([`crate::claims::limits::ladder_of`] the instance's `lambda`, down to
//!   `1e-300`), the flow's loss drops at `t_i = tau_i ln(1/lambda) + c_i` with offsets `c_i` that
//!   converge, sits on the predicted plateaus, leaves exactly the uncovered points unfitted, and
//!   its final squared norm converges to the predicted limit `2 sum_i |y_{S_i}|`
//!   ([`check_jp`]). Instances whose escapes nearly tie are skipped with the reason
//!   ([`near_tie_reason`]).
//! - CV (Section 3.2; Town et al. 2026; Dana, Bach, Pillaud-Vivien 2025): the frequency of
//!   initialisations that cover every point agrees with the exact probability
//!   ([`crate::theory::jump_process::cover_probability`]; an exact binomial test,
//!   [`check_cv_frequency`]), and the uncovered runs end at the predicted non-zero loss
//!   ([`check_cv_runs`]).
//!
//! Layout: `jp.rs` (JP's evidence, [`simulate_jp`], and judge), `cv.rs` (CV's), this file (the
//! registry's instances and [`check`]).

mod cv;
mod jp;

pub use cv::{
    CV_ALPHA, CV_RUNS, CV_TRIALS, CoverCounts, UncoveredRun, check_cv_frequency, check_cv_runs, claimed_probability,
    count_covered, count_covered_keeping, simulate_uncovered,
};
pub use jp::{
    JumpLadder, asymptotic, check_jp, closest_log_size, drop_time, end_state_ratio, jp_horizon, level_tolerance,
    levels, near_tie_reason, process_of, simulate_jp, slowest_rate,
};

use super::{ClaimId, Outcome, Verdict};
use crate::Instance;
use crate::claims::limits::ladder_of;
use crate::data::generate::{LabelSpec, random_orthonormal};
use crate::seeds::{self, Stream};
use rand::RngExt;

/// The initialisation scale of the registry's JP instances: the ladder is `1e-8`, then
/// `1e-16 .. 1e-300` (six rungs).
pub const JP_LAMBDA: f64 = 1e-8;

/// Initialisation seeds a JP instance tries before it gives up (the first without a near-tie
/// at `1e-300` is taken).
pub const JP_TRIES: u64 = 64;

/// The instance claim `id` (JP or CV) is checked on for `seed`.
/// - JP: orthonormal inputs, `n` in `3..=6`, `d = n + 0..2`, width `m` in `4..=10` (small
///   enough that Assumption 3 often fails and the process has more than two escapes),
///   `lambda = 1e-8`, the first initialisation seed without a near-tie ([`near_tie_reason`] at
///   `1e-300`) among [`JP_TRIES`].
/// - CV: orthonormal inputs, `n` in `2..=5`, `d = n + 0..2`, the smallest width whose cover
///   probability is at least `1/4` (so that both covered and uncovered initialisations are
///   frequent), `lambda = 1e-6`.
pub fn instance(id: ClaimId, seed: u64) -> Result<Instance, Outcome> {
    let mut rng = seeds::rng(seed, Stream::InstanceChoice);
    let skipped = |reason: String| Outcome::Skipped { claim: id, reason };
    match id {
        ClaimId::JP => {
            let n = rng.random_range(3..=6);
            let d = n + rng.random_range(0..=2);
            let data =
                random_orthonormal(n, d, &LabelSpec::default(), rng.random()).map_err(|e| skipped(e.to_string()))?;
            let m = rng.random_range(4..=10);
            let first: u64 = rng.random::<u64>() >> 16;
            let lambda_min = *ladder_of(JP_LAMBDA).last().expect("a ladder");
            (first..first + JP_TRIES)
                .map(|s| Instance::balanced(data.clone(), m, JP_LAMBDA, s))
                .find(|inst| process_of(inst).is_ok_and(|p| near_tie_reason(&p, lambda_min).is_none()))
                .ok_or_else(|| skipped(format!("every one of {JP_TRIES} initialisations has a near-tie")))
        }
        _ => {
            let n = rng.random_range(2..=5);
            let d = n + rng.random_range(0..=2);
            let data =
                random_orthonormal(n, d, &LabelSpec::default(), rng.random()).map_err(|e| skipped(e.to_string()))?;
            let m = (1..=64).find(|&m| claimed_probability(&data, m) >= 0.25).unwrap_or(64);
            Ok(Instance::balanced(data, m, 1e-6, rng.random::<u64>() >> 16))
        }
    }
}

/// Checks claim `id` (JP or CV) on `instance`.
/// - JP: the process of its directions ([`process_of`]); skipped when it nearly ties on the
///   ladder ([`near_tie_reason`] at the ladder's smallest `lambda`); else [`simulate_jp`] on
///   `ladder_of(lambda)` and [`check_jp`].
/// - CV: [`count_covered`] over [`CV_TRIALS`] initialisations from the instance's seed,
///   [`check_cv_frequency`] at [`claimed_probability`], and [`check_cv_runs`] on the first
///   [`CV_RUNS`] uncovered ones, simulated at the instance's `lambda`.
pub fn check(id: ClaimId, instance: &Instance) -> Outcome {
    let error = |e: String| Outcome::Error { claim: id, error: e };
    match id {
        ClaimId::JP => {
            let process = match process_of(instance) {
                Ok(p) => p,
                Err(e) => return Outcome::Skipped { claim: id, reason: format!("no jump process: {e}") },
            };
            let lambdas = ladder_of(instance.lambda());
            let lambda_min = *lambdas.last().expect("a ladder has its top rung");
            if let Some(reason) = near_tie_reason(&process, lambda_min) {
                return Outcome::Skipped { claim: id, reason };
            }
            match simulate_jp(instance, &lambdas) {
                Ok(ladder) => Outcome::Checked(check_jp(&ladder, &ladder.process)),
                Err(e) => error(e.to_string()),
            }
        }
        ClaimId::CV => {
            let counts = count_covered(instance, CV_TRIALS);
            let frequency = check_cv_frequency(&counts, claimed_probability(&instance.data, instance.init.width));
            match simulate_uncovered(instance, &counts.uncovered_seeds) {
                Ok(runs) => Outcome::Checked(Verdict::all(id, [frequency, check_cv_runs(&runs)])),
                Err(e) => error(e.to_string()),
            }
        }
        other => Outcome::Skipped { claim: other, reason: "not a jump-process claim (JP, CV)".into() },
    }
}

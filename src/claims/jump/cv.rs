//! CV: how often a random balanced initialisation covers every point, against the exact
//! probability ([`count_covered`], [`check_cv_frequency`]), and where the runs that are not
//! covered end ([`simulate_uncovered`], [`check_cv_runs`]).

use super::jp::{end_state_ratio, jp_horizon, level_tolerance, process_of};
use crate::Instance;
use crate::claims::limits::{Integrator, RTOL, Rung, UNTIL_LOSS, simulate_rung_to};
use crate::claims::regimes::{binomial_two_sided_p_value, labels_covered};
use crate::claims::{ClaimId, Verdict};
use crate::data::Dataset;
use crate::solver::SimulationError;
use crate::theory;
use crate::theory::jump_process::JumpProcess;

/// Significance level of CV's binomial test, per instance: as A3's ([`crate::claims::regimes::A3_ALPHA`]),
/// a deep run of 1000 instances has a false-alarm probability of at most `1e-3`.
pub const CV_ALPHA: f64 = 1e-6;

/// Initialisations counted per instance. With `p` in `[0.25, 0.75]` the standard deviation of
/// the frequency is at most `0.011`; at `CV_ALPHA` (about 4.9 standard deviations) the test
/// detects a probability that is off by `0.055` or more. The negative controls are off by more
/// than `0.3`.
pub const CV_TRIALS: u64 = 2000;

/// Uncovered initialisations simulated per instance (the first ones among the counted seeds).
pub const CV_RUNS: usize = 2;

/// Covered initialisations among several of the same data and width.
#[derive(Clone, Debug, PartialEq)]
pub struct CoverCounts {
    /// Initialisations that cover every point.
    pub covered: u64,
    /// Initialisations counted.
    pub trials: u64,
    /// The seeds of the first uncovered ones (at most [`CV_RUNS`], or the `keep` of
    /// [`count_covered_keeping`]).
    pub uncovered_seeds: Vec<u64>,
}

/// Counts the initialisations of `instance` (its data, width, kind and model) with the seeds
/// `seed, seed + 1, ..` ([`CV_TRIALS`] of them) that cover every point
/// ([`labels_covered`]: every `k` has a neuron with `s_j y_k > 0` and `<g_j, x_k> > 0`).
pub fn count_covered(instance: &Instance, trials: u64) -> CoverCounts {
    count_covered_keeping(instance, trials, CV_RUNS)
}

/// [`count_covered`], keeping the first `keep` uncovered seeds.
pub fn count_covered_keeping(instance: &Instance, trials: u64, keep: usize) -> CoverCounts {
    let mut counts = CoverCounts { covered: 0, trials, uncovered_seeds: Vec::new() };
    for i in 0..trials {
        let mut trial = instance.clone();
        trial.init.seed = instance.init.seed.wrapping_add(i);
        if labels_covered(&trial) {
            counts.covered += 1;
        } else if counts.uncovered_seeds.len() < keep {
            counts.uncovered_seeds.push(trial.init.seed);
        }
    }
    counts
}

/// The claimed cover probability of `data` at width `m`:
/// [`crate::theory::jump_process::cover_probability`] with its `n+`, `n-`.
pub fn claimed_probability(data: &Dataset, m: usize) -> f64 {
    theory::jump_process::cover_probability(m, theory::n_plus(data), theory::n_minus(data))
}

/// CV's frequency part against the probability `p` (the claim's: [`claimed_probability`]).
///
/// **Finite statement checked**: the exact two-sided binomial test
/// ([`binomial_two_sided_p_value`]) of `counts.covered` out of `counts.trials` at `p` does not
/// reject at level [`CV_ALPHA`].
///
/// **Tolerance**: the significance level (a stated false-alarm rate, not a fitted number); the
/// seeds are fixed, so the outcome is deterministic. **lambda**: irrelevant (covering depends
/// on the signs of `<g_j, x_k>` and `s_j` only).
pub fn check_cv_frequency(counts: &CoverCounts, p: f64) -> Verdict {
    let pv = binomial_two_sided_p_value(counts.covered, counts.trials, p);
    Verdict::at_least(
        ClaimId::CV,
        pv,
        CV_ALPHA,
        format!(
            "CV: {} of {} initialisations cover every point (frequency {:.4}, claimed probability {p:.4}); exact \
             two-sided binomial p-value {pv:.3e} >= alpha = {CV_ALPHA:.0e}",
            counts.covered,
            counts.trials,
            counts.covered as f64 / counts.trials as f64
        ),
    )
}

/// One simulated uncovered initialisation and its predicted end.
#[derive(Clone, Debug)]
pub struct UncoveredRun {
    /// The run (at the instance's `lambda`, to `L < UNTIL_LOSS` or [`jp_horizon`]).
    pub rung: Rung,
    /// The jump process of its directions (its `unfitted` points are the uncovered ones).
    pub process: JumpProcess,
}

/// Simulates the instances of `seeds` (the instance with each initialisation seed).
pub fn simulate_uncovered(instance: &Instance, seeds: &[u64]) -> Result<Vec<UncoveredRun>, SimulationError> {
    seeds
        .iter()
        .map(|&seed| {
            let mut trial = instance.clone();
            trial.init.seed = seed;
            let process = process_of(&trial).map_err(SimulationError::Config)?;
            let horizon = jp_horizon(&process, &trial.data, trial.lambda());
            let rung = simulate_rung_to(&trial, Integrator::Flow { rtol: RTOL }, UNTIL_LOSS, horizon)?;
            Ok(UncoveredRun { rung, process })
        })
        .collect()
}

/// CV's run part: every uncovered run ends at the predicted non-zero loss.
///
/// **Finite statement checked**: for each run, (i) `|L_end - (1/2n) sum_{k uncovered} y_k^2|
/// <= (1/4n) min_k y_k^2` (half the smallest difference between two such losses: the run ends
/// nearer the predicted saddle than any other with a different set of points at 0), where the
/// uncovered set is the run's own (from its initial signs and directions), and (ii) each
/// uncovered point has `|h(x_k)| < |y_k|/2` and each covered one `|h(x_k) - y_k| < |y_k|/2`.
/// **Vacuous** with no uncovered run (every counted initialisation covered).
///
/// Why: a point no neuron of its sign is active on keeps `h(x_k) y_k <= 0` (balanced neurons
/// keep their sign, Lemma 1; coordinates `<= 0` stay put, Lemma 6), and the flow pushes the
/// wrong-sign coordinates on it to 0 (Lemma 7 (iii)), so `h(x_k) -> 0`.
pub fn check_cv_runs(runs: &[UncoveredRun]) -> Verdict {
    let id = ClaimId::CV;
    if runs.is_empty() {
        return Verdict::at_most(id, 0.0, 1.0, "CV runs: no uncovered initialisation among the counted seeds")
            .vacuous_if(true, "every counted initialisation covers every point: no uncovered run to simulate");
    }
    let parts = runs.iter().map(|run| {
        let data = &run.rung.data;
        // the staircase's last level: (1/2n) sum of the uncovered points' y^2
        let predicted = run.process.loss_at(f64::INFINITY);
        let tol = level_tolerance(data);
        let (worst, _) = end_state_ratio(data, &run.rung.final_params.to_params(), &run.process.unfitted);
        let m = run.rung.initial_params.m();
        let loss = run.rung.summary.final_loss;
        Verdict::all(
            id,
            [
                Verdict::at_most(
                    id,
                    (loss - predicted).abs(),
                    tol,
                    format!(
                        "CV run (m = {m}, uncovered {:?}, lambda = {:.0e}): L_end = {loss:.6e} vs predicted \
                         (1/2n) sum_uncovered y^2 = {predicted:.6e}, within (1/4n) min y^2 = {tol:.3e}",
                        run.process.unfitted, run.rung.lambda
                    ),
                ),
                Verdict::at_most(
                    id,
                    worst,
                    1.0,
                    format!(
                        "CV run end state: uncovered points {:?} at h = 0, the others at their label, each within \
                         half its |y_k| (worst ratio {worst:.3e})",
                        run.process.unfitted
                    ),
                ),
            ],
        )
    });
    Verdict::all(id, parts.collect::<Vec<_>>())
}

//! Shared test configuration, the assertion helpers of the claim tests, and the table-driven
//! test that every claim holds on its first seeds.
#![allow(dead_code)]

use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};
use reluflow::claims::{ClaimId, Outcome, Verdict, registry};
use reluflow::solver::flow::dopri::System;

/// Asserts that `v` holds and is evidence (not vacuous), printing its numbers otherwise.
pub fn assert_holds(v: &Verdict) {
    assert!(
        v.holds() && !v.is_vacuous(),
        "expected to hold (not vacuously): measured {:e}, bound {:e}, vacuous {}\n{}",
        v.measured(),
        v.bound(),
        v.is_vacuous(),
        v.statement()
    );
}

/// Asserts that `v` fails (a negative control), printing its numbers otherwise.
pub fn assert_fails(v: &Verdict) {
    assert!(
        !v.holds(),
        "expected to fail (negative control): measured {:e}, bound {:e}\n{}",
        v.measured(),
        v.bound(),
        v.statement()
    );
}

/// Asserts that `o` is `Skipped` with a reason containing `needle`.
pub fn assert_skipped(o: &Outcome, needle: &str) {
    match o {
        Outcome::Skipped { reason, .. } => {
            assert!(reason.contains(needle), "skipped, but not for {needle:?}: {reason}")
        }
        other => panic!("expected Skipped ({needle}), got {other:?}"),
    }
}

/// The command that reruns claim `id` on the instance of seed `seed` and prints its verdict
/// (`reluflow replay L6 --case-seed 3`: the same `registry::run(id, seed)` the claim tests call),
/// for the message of a failing outcome.
pub fn replay(id: ClaimId, seed: u64) -> String {
    reluflow::campaign::replay_command(id, seed)
}

/// Runs claim `id` on the instance of `seed` (`registry::run`) and asserts that it held (checked,
/// not vacuous, holds); the message names the outcome and the replay command.
pub fn assert_run_holds(id: ClaimId, seed: u64) -> Outcome {
    let o = registry::run(id, seed);
    assert!(o.held(), "{id} seed {seed} did not hold: {o:#?}\nreplay it: {}", replay(id, seed));
    o
}

/// Seeds per claim of [`every_claim_holds_on_its_first_seeds`].
pub const FIRST_SEEDS: u64 = 2;

/// Every claim of [`ClaimId::ALL`], on the instances `registry::run` draws from seeds
/// `0..FIRST_SEEDS` (what `reluflow verify --seed 0` draws as its first cases comes from
/// `case_seed`; these are the raw seeds): no instance fails or errors, and at least one per
/// claim is checked with a non-vacuous verdict that holds (a claim whose instances are all
/// skipped would be no evidence: `reluflow verify`'s exit code 3). The claim modules' own tests
/// check more seeds and every part; this is the one table over all claims.
///
/// The heuristic claims (LS, MF: [`ClaimId::is_heuristic`]) are measurements, not lemmas: their
/// verdict "consistent" / "inconsistent" is what the frontier measured, pinned as a finding in
/// `tests/frontier.rs` (LS is inconsistent on seed 0: no significant decrease in `n`). Here they
/// must run and give a checked, non-vacuous verdict on every seed (no error, no skip).
#[test]
fn every_claim_holds_on_its_first_seeds() {
    use rayon::prelude::*;
    let rows: Vec<(ClaimId, Vec<Outcome>)> = ClaimId::ALL
        .par_iter()
        .map(|&id| (id, (0..FIRST_SEEDS).map(|seed| registry::run(id, seed)).collect()))
        .collect();
    for (id, outcomes) in rows {
        if id.is_heuristic() {
            for (seed, o) in outcomes.iter().enumerate() {
                assert!(
                    matches!(o, Outcome::Checked(v) if !v.is_vacuous()),
                    "{id} seed {seed}: a heuristic claim must give a checked verdict: {o:#?}"
                );
            }
            continue;
        }
        for (seed, o) in outcomes.iter().enumerate() {
            assert!(!o.failed(), "{id} seed {seed}: {o:#?}\nreplay it: {}", replay(id, seed as u64));
        }
        assert!(
            outcomes.iter().any(Outcome::held),
            "{id}: no evidence on seeds 0..{FIRST_SEEDS}: {outcomes:#?}\nreplay them: {}",
            (0..FIRST_SEEDS).map(|seed| replay(id, seed)).collect::<Vec<_>>().join("; ")
        );
    }
}

/// A proptest configuration with `default_cases` cases, raised (or lowered) by the environment
/// variable `PROPTEST_CASES` for a deep run, and failures persisted to the top-level
/// `proptest-regressions/` directory (committed), replayed first on every run.
///
/// The case generator is seeded with a fixed seed (1), so `cargo test` (and CI) runs the same
/// cases every time; set `PROPTEST_RNG_SEED=<u64>` to explore other cases (a deep run). The
/// failing cases other seeds found so far (LZ, NO, the reduced-vs-full agreement at lambda ~ 1e-218
/// and 1.5e-36) are fixed and replayed from `proptest-regressions/`.
pub fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default_cases);
    let seed = std::env::var("PROPTEST_RNG_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel("proptest-regressions"))),
        ..Config::default()
    }
}

/// A small `reluflow timeline` run (3 points in 4 dimensions, flow to loss 1e-11 from
/// `lambda = 1e-16`) printing JSON: shared by the tests of the command and of its reproducibility.
pub const TIMELINE_JSON: [&str; 14] = [
    "timeline",
    "--random-orthonormal",
    "3,4",
    "--data-seed",
    "1",
    "--width",
    "32",
    "--lambda",
    "1e-16",
    "--method",
    "flow",
    "--until-loss",
    "1e-11",
    "--json",
];

/// `y' = -1` while `y > 0`, then `y' = 0`: the exact solution is `max(1 - t, 0)` from `y(0) = 1`,
/// a hand-solved model of a ReLU coordinate reaching its boundary. Records the event time. Shared by
/// the Dormand-Prince tests (`integrators`) and the ROS2 ones (`stiff`, with `W = 0`).
pub struct Piecewise {
    pub on: bool,
    pub event_time: Option<f64>,
}
impl System for Piecewise {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&mut self, _t: f64, _y: &[f64], dy: &mut [f64]) {
        dy[0] = if self.on { -1.0 } else { 0.0 };
    }
    fn violated(&mut self, y1: &[f64], out: &mut Vec<usize>) {
        if self.on && y1[0] <= 0.0 {
            out.push(0);
        }
    }
    fn switch_support(&self, _i: usize) -> std::ops::Range<usize> {
        0..1
    }
    fn switch_value(&self, _i: usize, y: &[f64]) -> f64 {
        y[0]
    }
    fn on_events(&mut self, t: f64, _y: &[f64], _events: &[usize]) -> Result<(), String> {
        self.on = false;
        self.event_time = Some(t);
        Ok(())
    }
}

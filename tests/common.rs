//! Shared test configuration.
#![allow(dead_code)]

use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};

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

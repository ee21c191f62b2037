//! Shared test configuration.
#![allow(dead_code)]

use proptest::test_runner::{Config, FileFailurePersistence};

/// A proptest configuration with `default_cases` cases, raised (or lowered) by the environment
/// variable `PROPTEST_CASES` for a deep run, and failures persisted to the top-level
/// `proptest-regressions/` directory (committed), replayed first on every run.
pub fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default_cases);
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel("proptest-regressions"))),
        ..Config::default()
    }
}

//! The single integration-test binary. Each module is one area (or one claim group);
//! proptest persists failures to `proptest-regressions/<module>.txt`.

mod claims_conservation;
mod claims_early;
mod claims_experiments;
mod claims_landscape;
mod claims_limits;
mod claims_regimes;
mod claims_saddles;
mod cli;
mod common;
mod data;
mod generators;
mod integrators;
mod reduced;
mod reproduce;
mod robustness;
mod snapshots;
mod stiff;
mod theory;

//! The single integration-test binary. Each module is one area (or one claim group);
//! proptest persists failures to `proptest-regressions/<module>.txt`.

mod claims_catalogue;
mod claims_conservation;
mod claims_early;
mod claims_experiments;
mod claims_interface;
mod claims_landscape;
mod claims_limits;
mod claims_regimes;
mod claims_saddles;
mod cli;
mod common;
mod coordinates;
mod data;
mod generators;
mod integrators;
mod new_user;
mod reduced;
mod reproduce;
mod robustness;
mod seeds;
mod snapshots;
mod stiff;
mod theory;
mod threads;
mod verify_margins;

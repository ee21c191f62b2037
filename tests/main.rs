//! The single integration-test binary. Each module is one area (or one claim group);
//! proptest persists failures to `proptest-regressions/<module>.txt`.

mod cli;
mod data;
mod integrators;
mod theory;

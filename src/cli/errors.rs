//! The CLI's error: every library error, plus file and flag problems. Printed as
//! `error: <message>` with exit code 2.

use thiserror::Error;

/// Anything that stops a command.
#[derive(Debug, Error)]
pub enum CliError {
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error(transparent)]
    Init(#[from] crate::init::InitError),
    #[error(transparent)]
    Model(#[from] crate::network::ModelError),
    #[error(transparent)]
    Simulation(#[from] crate::solver::SimulationError),
    #[error(transparent)]
    Theory(#[from] crate::theory::TheoryError),
    /// Flags that cannot go together or a value out of range.
    #[error("{0}")]
    Usage(String),
    /// A file that cannot be read or written.
    #[error("cannot {action} {path}: {reason}")]
    File { action: &'static str, path: String, reason: String },
    /// A run that would need more memory than the machine has available.
    #[error(
        "--width {width} needs about {needed_gb:.1} GB for the {method}'s state at n = {n}, d = {d} (an estimate: \
         {copies} copies of m (d + 1 + n) numbers of 8 bytes, from measured peaks) but the machine has \
         {available_gb:.1} GB available: lower --width to at most about {max_width}"
    )]
    TooLarge {
        width: usize,
        n: usize,
        d: usize,
        method: &'static str,
        copies: usize,
        needed_gb: f64,
        available_gb: f64,
        max_width: usize,
    },
    /// A parameter file of the wrong shape.
    #[error("{path}: {reason}; expected {{\"a\": [...], \"w\": [[...], ...]}} with one w row of length d per a entry")]
    ParamsFile { path: String, reason: String },
}

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
    /// A parameter file of the wrong shape.
    #[error("{path}: {reason}; expected {{\"a\": [...], \"w\": [[...], ...]}} with one w row of length d per a entry")]
    ParamsFile { path: String, reason: String },
}

//! The CLI's error: every library error, plus file and flag problems. Printed as
//! `error: <message>` with exit code 2 (4 for an incomplete run: [`CliError::exit_code`]).

use thiserror::Error;

/// Anything that stops a command: printed as `error: <message>`, with exit code
/// [`CliError::exit_code`].
#[derive(Debug, Error)]
pub enum CliError {
    /// A dataset could not be built, read or generated.
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    /// An invalid initialisation.
    #[error(transparent)]
    Init(#[from] crate::init::InitError),
    /// An invalid model (activation).
    #[error(transparent)]
    Model(#[from] crate::network::ModelError),
    /// A run that could not be carried out or stopped on a fault.
    #[error(transparent)]
    Simulation(#[from] crate::solver::SimulationError),
    /// A recorded run file that cannot be read or judged.
    #[error(transparent)]
    RunFile(#[from] crate::recorded::RunFileError),
    /// A closed form that could not be evaluated on the data.
    #[error(transparent)]
    Theory(#[from] crate::theory::TheoryError),
    /// A shard, a records file or a merge that cannot go on (an incomplete run: exit code 4).
    #[error(transparent)]
    Campaign(#[from] crate::campaign::CampaignError),
    /// A sweep grid, a sweep file or a figure request that is invalid.
    #[error(transparent)]
    Sweep(#[from] crate::sweep::SweepError),
    /// A figure that could not be drawn.
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
    /// Flags that cannot go together or a value out of range.
    #[error("{0}")]
    Usage(String),
    /// A file that cannot be read or written.
    #[error("cannot {action} {path}: {reason}")]
    File {
        /// What was attempted (`read`, `write`, `create`).
        action: &'static str,
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// A run that would need more memory than the machine has available.
    #[error(
        "--width {width} needs about {needed_gb:.1} GB for the {method}'s state at n = {n}, d = {d} (an estimate: \
         {copies} copies of m (d + 1 + n) numbers of 8 bytes, from measured peaks) but the machine has \
         {available_gb:.1} GB available: lower --width to at most about {max_width}"
    )]
    TooLarge {
        /// The `--width` asked for (`m`).
        width: usize,
        /// Number of points.
        n: usize,
        /// Input dimension.
        d: usize,
        /// The method's name (`gradient descent`, `flow`).
        method: &'static str,
        /// Copies of the per-neuron state the method holds at its peak.
        copies: usize,
        /// The estimated need, in GB.
        needed_gb: f64,
        /// The memory available, in GB.
        available_gb: f64,
        /// The largest width that would fit.
        max_width: usize,
    },
    /// A parameter file of the wrong shape.
    #[error("{path}: {reason}; expected {{\"a\": [...], \"w\": [[...], ...]}} with one w row of length d per a entry")]
    ParamsFile {
        /// The file.
        path: String,
        /// What is wrong with its shape or values.
        reason: String,
    },
}

/// Writes `contents` to `path`, or [`CliError::File`] naming the file, the reason and the fix.
pub fn write_file(path: &std::path::Path, contents: impl AsRef<[u8]>) -> Result<(), CliError> {
    std::fs::write(path, contents).map_err(|e| CliError::File {
        action: "write",
        path: path.display().to_string(),
        reason: format!("{e} (check that the directory exists and is writable)"),
    })
}

impl CliError {
    /// The exit code of a command that stops on this error: 4 for a run whose records are
    /// incomplete (`reluflow merge`: a (claim, case) pair missing or recorded twice), 2 for every
    /// other (a usage or input error).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Campaign(e) => e.exit_code(),
            _ => 2,
        }
    }
}

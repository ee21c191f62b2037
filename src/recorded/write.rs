//! Writers of the run file format (to be implemented): what reluflow's own runs are recorded with,
//! and what the round-trip tests read back.

use std::path::Path;

use super::{RunFileError, RunHeader, Snapshot};

/// Writes `header` and `snapshots` as a `.npz` archive in `header.precision`.
pub fn write_npz(path: &Path, header: &RunHeader, snapshots: &[Snapshot]) -> Result<(), RunFileError> {
    let _ = (header, snapshots);
    Err(RunFileError::Format {
        path: path.display().to_string(),
        format: "npz",
        reason: "writer not implemented yet".into(),
    })
}

/// Writes `header` and `snapshots` as a JSON run file.
pub fn write_json(path: &Path, header: &RunHeader, snapshots: &[Snapshot]) -> Result<(), RunFileError> {
    let _ = (header, snapshots);
    Err(RunFileError::Format {
        path: path.display().to_string(),
        format: "json",
        reason: "writer not implemented yet".into(),
    })
}

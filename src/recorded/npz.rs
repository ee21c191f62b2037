//! The `.npz` reader: [`NpzRun`] (to be implemented).

use std::path::Path;

use super::{RecordedRun, RunFileError, RunHeader, Snapshot};

/// A run read from a numpy `.npz` archive, snapshot by snapshot.
pub struct NpzRun {
    header: RunHeader,
}

impl NpzRun {
    /// Opens `path`, reads and validates `x`, `y`, the scalars, `step`/`time`, `train_loss` and
    /// the shapes of `a` and `w`; the snapshots are read by [`RecordedRun::next_snapshot`].
    pub fn open(path: &Path) -> Result<Self, RunFileError> {
        Err(RunFileError::Format {
            path: path.display().to_string(),
            format: "npz",
            reason: "reader not implemented yet".into(),
        })
    }
}

impl RecordedRun for NpzRun {
    fn header(&self) -> &RunHeader {
        &self.header
    }
    fn next_snapshot(&mut self) -> Result<Option<Snapshot>, RunFileError> {
        Ok(None)
    }
}

//! The JSON reader: [`JsonRun`] (to be implemented).

use std::path::Path;

use super::{InMemoryRun, RecordedRun, RunFileError, RunHeader, Snapshot};

/// A run read from a JSON file (small runs: the whole document is parsed at once).
pub struct JsonRun {
    inner: InMemoryRun,
}

impl JsonRun {
    /// Opens and validates `path`.
    pub fn open(path: &Path) -> Result<Self, RunFileError> {
        Err(RunFileError::Format {
            path: path.display().to_string(),
            format: "json",
            reason: "reader not implemented yet".into(),
        })
    }
}

impl RecordedRun for JsonRun {
    fn header(&self) -> &RunHeader {
        self.inner.header()
    }
    fn next_snapshot(&mut self) -> Result<Option<Snapshot>, RunFileError> {
        self.inner.next_snapshot()
    }
}

//! The typed errors of reading a recorded run ([`RunFileError`]): each names the file's array (or
//! field) at fault and the fix.

use thiserror::Error;

/// Why a run file cannot be judged. Every variant names the array (or JSON field) and says how to
/// fix the file; none is a panic, and no NaN reaches a judge.
#[derive(Debug, Error)]
pub enum RunFileError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a readable `.npz` archive or `.json` document.
    #[error(
        "{path} is not a valid {format} run file: {reason} (write it with numpy.savez or python/reluflow_record.py)"
    )]
    Format {
        /// The file.
        path: String,
        /// `"npz"` or `"json"`.
        format: &'static str,
        /// What the parser said.
        reason: String,
    },
    /// The file's name ends in neither `.npz` nor `.json`.
    #[error("{path}: unknown run file type (expected a .npz archive or a .json file)")]
    UnknownExtension {
        /// The file.
        path: String,
    },
    /// A required array is absent.
    #[error("array `{array}` is missing: {fix}")]
    MissingArray {
        /// The array's name (`x`, `y`, `a`, `w`, `step`, `time`, `lr`, `loss_factor`).
        array: &'static str,
        /// What to add.
        fix: String,
    },
    /// An array has the wrong number of dimensions or a wrong extent.
    #[error("array `{array}` has shape {found:?}, expected {expected}")]
    Shape {
        /// The array's name.
        array: &'static str,
        /// Its shape in the file.
        found: Vec<u64>,
        /// The shape it must have, in terms of n, d, m, T (e.g. "(T, m, d) = (12, 40, 8)").
        expected: String,
    },
    /// An array's element type is not one reluflow reads.
    #[error("array `{array}` has dtype {dtype}; {expected}")]
    Dtype {
        /// The array's name.
        array: &'static str,
        /// Its dtype descriptor in the file (e.g. `<c16`, `|O`).
        dtype: String,
        /// What it must be (e.g. "expected float32 or float64").
        expected: &'static str,
    },
    /// An array holds a NaN or an infinity.
    #[error(
        "array `{array}` holds a non-finite value ({value}) at flat index {index}: record only finite values (a diverged run cannot be judged)"
    )]
    NonFinite {
        /// The array's name.
        array: &'static str,
        /// The flat index of the first bad element.
        index: u64,
        /// The value.
        value: f64,
    },
    /// The run has no snapshot (T = 0).
    #[error("the run has no snapshot (T = 0 in `a` and `w`): record at least the initialisation")]
    NoSnapshots,
    /// `a` and `w` disagree on the width or on the number of snapshots.
    #[error(
        "`a` has shape {a:?} but `w` has shape {w:?}: both must record the same T snapshots of the same m neurons (a is (T, m), w is (T, m, d))"
    )]
    InconsistentWidth {
        /// Shape of `a`.
        a: Vec<u64>,
        /// Shape of `w`.
        w: Vec<u64>,
    },
    /// A scalar is out of its domain.
    #[error("`{name}` = {value} is invalid: {fix}")]
    BadScalar {
        /// `lr`, `loss_factor`, `lambda`, `rtol`.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The domain and the fix.
        fix: &'static str,
    },
    /// Snapshot steps or times do not increase.
    #[error(
        "`{array}` must increase from snapshot to snapshot (strictly; only an integrator's `step` beside a `time` clock may repeat): entry {index} is {value} after {previous}"
    )]
    NotIncreasing {
        /// `step` or `time`.
        array: &'static str,
        /// Index of the offending entry.
        index: usize,
        /// Its value.
        value: f64,
        /// The one before it.
        previous: f64,
    },
    /// A step counter below zero.
    #[error(
        "array `{array}` holds a negative step count ({value}) at index {index}: a step counter starts at 0 and counts up"
    )]
    Negative {
        /// `step`.
        array: &'static str,
        /// Index of the offending entry.
        index: usize,
        /// Its value.
        value: i128,
    },
    /// An array stored in Fortran (column-major) order that has to be read one snapshot at a time.
    #[error(
        "array `{array}` is stored in Fortran (column-major) order, which cannot be read one snapshot at a time: save numpy.ascontiguousarray({array}) instead"
    )]
    FortranOrder {
        /// `a` or `w`.
        array: &'static str,
    },
    /// `step` and `time` are both present, or neither is; or `lr`/`loss_factor` lack their `step`.
    #[error("{0}")]
    Clock(String),
    /// The data arrays do not form a dataset (n = 0, d = 0, ...).
    #[error("arrays `x`, `y` are not a dataset: {0}")]
    Data(#[from] crate::data::DataError),
}

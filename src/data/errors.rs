//! Errors of the data area: every variant names the problem and, where there is one, the fix.

use thiserror::Error;

/// Why a dataset could not be built, read or generated.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DataError {
    /// No points at all.
    #[error("the dataset is empty: give at least one point (one row of x and one label)")]
    Empty,
    /// Points of dimension 0.
    #[error("the inputs have dimension 0: every row of x needs at least one coordinate")]
    ZeroDimension,
    /// A row of a different length than the first one.
    #[error("row {row} has {len} coordinates but row 0 has {expected}: every input must have the same dimension")]
    Ragged {
        /// The row.
        row: usize,
        /// Its number of coordinates.
        len: usize,
        /// Row 0's number of coordinates.
        expected: usize,
    },
    /// A row-major buffer whose length is not `n * d` ([`super::Dataset::from_flat`]).
    #[error(
        "x has {len} values but n x d = {n} x {d}{}: give exactly n * d values, row by row",
        n.checked_mul(*d).map_or_else(|| " overflows usize".to_string(), |p| format!(" = {p}"))
    )]
    FlatLength {
        /// Number of points asked for.
        n: usize,
        /// Dimension asked for.
        d: usize,
        /// Length of the buffer given.
        len: usize,
    },
    /// Number of labels differs from the number of points.
    #[error("{points} input rows but {labels} labels: give exactly one label per point")]
    LabelCount {
        /// Number of input rows.
        points: usize,
        /// Number of labels.
        labels: usize,
    },
    /// NaN or infinity in the data.
    #[error("{what}[{row}{}] = {value} is not finite: remove or fix that value", col.map(|c| format!("][{c}")).unwrap_or_default())]
    NonFinite {
        /// `x` or `y`.
        what: &'static str,
        /// The point.
        row: usize,
        /// The coordinate (`None` for a label).
        col: Option<usize>,
        /// The value (NaN or an infinity).
        value: f64,
    },
    /// Orthonormal inputs asked for with more points than dimensions.
    #[error("cannot draw {n} orthonormal inputs in dimension {d}: orthonormal inputs need n <= d (raise d or lower n)")]
    TooManyPoints {
        /// Number of points asked for.
        n: usize,
        /// Dimension asked for.
        d: usize,
    },
    /// A generator parameter out of range.
    #[error("invalid generator parameter: {0}")]
    Parameter(String),
    /// A file could not be read or written.
    #[error("cannot {action} {path}: {reason}")]
    Io {
        /// What was attempted (`read`, `write`).
        action: &'static str,
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// A file is not valid JSON of the expected shape.
    #[error("{path}: malformed JSON dataset ({reason}); expected {{\"x\": [[...], ...], \"y\": [...]}}")]
    Json {
        /// The file.
        path: String,
        /// The parser's message.
        reason: String,
    },
    /// A CSV file could not be parsed.
    #[error("{path}, line {line}: {reason}; expected one row per point, numbers separated by commas, last column y")]
    Csv {
        /// The file.
        path: String,
        /// The line (1-based).
        line: usize,
        /// What is wrong on it.
        reason: String,
    },
    /// A problem found while validating the contents of a file (the typed cause is kept in
    /// `source`, e.g. [`DataError::Empty`] for a file without data rows).
    #[error("{path}: {source}")]
    InFile {
        /// The file.
        path: String,
        /// The problem with its contents.
        source: Box<DataError>,
    },
    /// A file extension that is neither .json nor .csv.
    #[error(
        "{path}: unknown data format; use a .json file ({{\"x\": [[...]], \"y\": [...]}}) or a .csv file (last column y)"
    )]
    UnknownFormat {
        /// The file.
        path: String,
    },
}

//! [`SweepError`]: why a sweep grid, a sweep file or a figure request is invalid.

use thiserror::Error;

/// Anything that stops a sweep or the reading of its records.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SweepError {
    /// A grid flag that cannot be parsed or holds an invalid value.
    #[error("invalid {flag} {text:?}: {reason}")]
    Spec {
        /// The flag (`--lambda`, `--width`, ...).
        flag: &'static str,
        /// What was given.
        text: String,
        /// What is wrong, with an example of a valid value.
        reason: String,
    },
    /// The grid has more items than a sweep runs.
    #[error(
        "the grid has {items} (cell, seed) items, more than the {max} a sweep runs: shorten a list or use fewer seeds"
    )]
    TooLarge {
        /// Cells times seeds (saturated).
        items: usize,
        /// [`super::MAX_ITEMS`].
        max: usize,
    },
    /// A dataset of a cell could not be generated.
    #[error("cannot generate the data of cell {cell}: {reason}")]
    Data {
        /// The cell, in words.
        cell: String,
        /// The generator's reason.
        reason: String,
    },
    /// A file that cannot be read or written.
    #[error("cannot {action} {path}: {reason}")]
    File {
        /// `read`, `create`, `write`.
        action: &'static str,
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// A sweep file without a record.
    #[error("{path} holds no sweep record (run `reluflow sweep ... --jsonl {path}` first)")]
    EmptyFile {
        /// The file.
        path: String,
    },
    /// A line of a sweep file that is not a sweep record.
    #[error("{path}:{line}: not a sweep record: {reason}")]
    Malformed {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The JSON parser's reason.
        reason: String,
    },
    /// A `--z` that is neither a measured quantity nor a claim ID.
    #[error("unknown quantity {name:?}: use one of {known} or a claim ID (T1, TS, ...; `reluflow claims` lists them)")]
    UnknownQuantity {
        /// What was given.
        name: String,
        /// The known quantities, comma-separated.
        known: String,
    },
    /// A `--x`, `--y` or `--where` that is not a grid parameter.
    #[error("unknown parameter {name:?}: use one of {known}")]
    UnknownParameter {
        /// What was given.
        name: String,
        /// The known parameters, comma-separated.
        known: String,
    },
    /// A parameter that takes several values in the records but is on no axis: the cells would
    /// mix them.
    #[error(
        "{parameter} takes {count} values in the records ({values}) but is on no axis: pick one with --where {parameter}=VALUE or put it on --x/--y"
    )]
    Mixed {
        /// The parameter.
        parameter: String,
        /// How many distinct values.
        count: usize,
        /// The values, comma-separated.
        values: String,
    },
    /// No record carries the quantity (after `--where`).
    #[error("no record has a value of {quantity}{detail}")]
    NoValues {
        /// The quantity.
        quantity: String,
        /// Why, where known.
        detail: String,
    },
}

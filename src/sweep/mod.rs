//! Parameter sweeps (`reluflow sweep`): a grid over `lambda`, the width `m`, `n`, `d - n`, the
//! label ratio `r`, the input coherence `delta` and the initialisation kind, with `K` seeds per
//! cell ([`SweepGrid`], parsed from the flags' text [`SweepSpec`]); one [`SweepRecord`] per
//! (cell, seed) with what [`crate::campaign::measure_flow`] measured and the outcomes of chosen
//! claims ([`run_item`], [`run_items`]); the quantities a figure can show ([`Quantity`],
//! [`Parameter`]).
//!
//! Items are numbered in a fixed order ([`SweepGrid::items`]), so `--shard I/N` selects the same
//! items on every machine ([`crate::campaign::Shard::selects`]), and a record's key (its cell and
//! seed, [`SweepRecord::key`]) lets `--resume` skip what a file already holds.
//!
//! ```
//! use reluflow::sweep::{SweepGrid, SweepSpec};
//! let spec = SweepSpec { lambda: "1e-6:1e-2:3".into(), n: "2,3".into(), width: "8".into(), seeds: 2, ..SweepSpec::default() };
//! let grid = SweepGrid::parse(&spec).unwrap();
//! assert_eq!(grid.lambdas, vec![1e-6, 1e-4, 1e-2]);
//! assert_eq!(grid.items().len(), 3 * 2 * 2);
//! assert!(SweepGrid::parse(&SweepSpec { lambda: "1e-6:1e-2".into(), ..spec }).is_err());
//! ```

pub mod aggregate;
mod errors;
mod grid;
pub mod quantity;
pub mod record;
mod run;

pub use aggregate::{Aggregate, CellStats, Filter, aggregate};
pub use errors::SweepError;
pub use grid::{Cell, MAX_ITEMS, MAX_POINTS, SweepGrid, SweepItem, SweepSpec, Widths};
pub use quantity::{AxisScale, Parameter, Quantity};
pub use record::{ClaimRecord, Measured, OutcomeKind, ResumeFile, SweepRecord, item_key, read_records};
pub use run::{cell_data, cell_instance, run_item, run_items};

//! Campaigns split across processes and machines: which share of a run's work items one shard
//! does ([`Shard`]), shared by `reluflow verify --shard` and `reluflow sweep --shard`, and what
//! one run of a sweep or of the frontier search measures ([`measure_flow`], [`RunMeasure`]).
//!
//! A run's work items (the (claim, case) pairs of `verify`, the (cell, seed) pairs of `sweep`)
//! are numbered `0, 1, ...` in a fixed order; shard `I/N` (1-based, like
//! `cargo nextest --partition count:I/N`) does the items whose number is `I - 1` modulo `N`.
//! Every item is a deterministic function of its seed, so the union of the shards' records is
//! exactly the unsharded run.

pub mod measure;
mod shard;

pub use measure::{RunMeasure, measure_flow};
pub use shard::{Shard, ShardError};

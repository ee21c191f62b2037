//! Campaigns split across processes and machines: which share of a run's work items one shard
//! does ([`Shard`]), shared by `reluflow verify --shard` and `reluflow sweep --shard`, the
//! records of `verify`'s (claim, case) pairs that shards write and `reluflow merge` joins, and
//! what one run of a sweep or of the frontier search measures ([`measure_flow`], [`RunMeasure`]).
//!
//! A run's work items (the (claim, case) pairs of `verify`, the (cell, seed) pairs of `sweep`)
//! are numbered `0, 1, ...` in a fixed order; shard `I/N` (1-based, like
//! `cargo nextest --partition count:I/N`) does the items whose number is `I - 1` modulo `N`.
//! Every item is a deterministic function of its seed, so the union of the shards' records is
//! exactly the unsharded run.
//!
//! For `verify`: [`RunParams`] fixes a run and numbers its pairs ([`WorkItem`]);
//! [`run_cases`] runs pairs into [`CaseRecord`]s (one JSON line each, [`RecordWriter`] and
//! [`read`]); [`report`] rebuilds the run's report from its records, checking with [`Coverage`]
//! that each pair is there exactly once. `reluflow verify` goes through the same records, so a
//! merge of shards prints the same bytes as the unsharded run.

mod coverage;
mod errors;
mod execute;
mod jsonl;
pub mod measure;
mod params;
mod record;
mod report;
mod shard;
mod stream;

pub use coverage::Coverage;
pub use errors::CampaignError;
pub use execute::{CaseRun, run_case, run_cases, run_seed};
pub use jsonl::{LocatedRecord, RecordWriter, RecordsFile, TornLine, read};
pub use measure::{RunMeasure, measure_flow};
pub use params::{RunParams, WorkItem, replay_command};
pub use record::{CaseRecord, InstanceShape, RecordedOutcome, RecordedScale, VERSION};
pub use report::{Scope, check_records, report, same_run};
pub use shard::{Shard, ShardError};
pub use stream::run_streaming;

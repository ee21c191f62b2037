//! [`CampaignError`]: why a sharded run, its records or their merge cannot go on.

use super::coverage::Coverage;
use super::shard::{Shard, ShardError};
use thiserror::Error;

/// Anything that stops a shard, a resume or a merge.
#[derive(Debug, Error)]
pub enum CampaignError {
    /// An invalid `--shard` or shard environment.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// A shard that selects none of the run's (claim, case) pairs.
    #[error(
        "shard {shard} selects none of the run's {total} (claim, case) pairs (pair k goes to shard k mod N + 1): use at most {total} shards, or more --cases or --claims"
    )]
    EmptyShard {
        /// The shard.
        shard: Shard,
        /// The run's pairs.
        total: usize,
    },
    /// A records file that cannot be read, created or written.
    #[error("cannot {action} {path}: {reason}")]
    File {
        /// `read`, `create`, `write`, `truncate`.
        action: &'static str,
        /// The file.
        path: String,
        /// The operating system's reason, and the fix.
        reason: String,
    },
    /// A complete line (ended by a newline) that is not a record.
    #[error(
        "{path}:{line}: not a reluflow verify record: {reason} (every line of a --jsonl file is one JSON record; remove the line or rerun its shard)"
    )]
    BadLine {
        /// The file.
        path: String,
        /// The line (1-based).
        line: usize,
        /// The JSON error.
        reason: String,
    },
    /// A record that reads but contradicts itself or its run.
    #[error("{path}:{line}: inconsistent record: {reason}")]
    BadRecord {
        /// The file.
        path: String,
        /// The line (1-based).
        line: usize,
        /// What is inconsistent.
        reason: String,
    },
    /// Records of different runs (another seed, cases, claims or version).
    #[error(
        "records of different runs: {field} is {first} at {first_at} but {other} at {other_at} (merge only the files of one run: the same --seed, --cases and --claims, and the same reluflow version)"
    )]
    DifferentRuns {
        /// `seed`, `cases`, `claims` or `version`.
        field: &'static str,
        /// Its value in the first record.
        first: String,
        /// Where that record is (`FILE:LINE`).
        first_at: String,
        /// Its value in the disagreeing record.
        other: String,
        /// Where that record is, or `this command's flags`.
        other_at: String,
    },
    /// `--jsonl` on a file that already holds records.
    #[error(
        "{path} already holds {records} line(s): --jsonl starts a new file; use --resume {path} to run only the cases it lacks, or remove it"
    )]
    NotEmpty {
        /// The file.
        path: String,
        /// Lines in it.
        records: usize,
    },
    /// Nothing to merge.
    #[error("no records in {files}: give the --jsonl files of the run's shards")]
    NoRecords {
        /// The files read.
        files: String,
    },
    /// A run whose records do not cover each (claim, case) exactly once (exit code 4).
    #[error("{0}")]
    Incomplete(Box<Coverage>),
}

impl CampaignError {
    /// The exit code of the command that stops on it: 4 for an incomplete run
    /// ([`CampaignError::Incomplete`]), 2 for the rest (usage and input errors).
    pub fn exit_code(&self) -> u8 {
        match self {
            CampaignError::Incomplete(_) => 4,
            _ => 2,
        }
    }
}

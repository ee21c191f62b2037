//! `reluflow merge FILES...`: joins the `--jsonl` records of a run's shards into the run's report,
//! the same bytes `reluflow verify` prints for the unsharded run (`--json` included).
//!
//! The run (seed, cases, claims) comes from the records; records of different runs are an error
//! naming the disagreement. Every (claim, case) pair must be recorded exactly once: missing and
//! duplicate pairs are named with their replay command and the exit code is 4. A torn last line
//! (a shard killed while writing it) is ignored with a warning, and its case is then missing.
//!
//! Exit codes: as `verify` (0 every claim held, 1 a claim failed, 3 no evidence for a claim),
//! 2 for an unreadable file or a line that is not a record, 4 for an incomplete run.

use super::CliError;
use super::verify::render;
use crate::campaign::{self, CampaignError, Scope};
use clap::Args;
use std::path::PathBuf;

/// `merge` flags.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The records files of the run's shards (`reluflow verify --jsonl FILE`).
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Print the report as JSON (byte-identical to `reluflow verify --json` of the run).
    #[arg(long)]
    pub json: bool,
    /// Also write the table as Markdown to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

/// `reluflow merge`: the output and the exit code.
pub fn run(args: &MergeArgs) -> Result<(String, u8), CliError> {
    let mut records = Vec::new();
    for path in &args.files {
        let file = campaign::read(path)?;
        if let Some(torn) = &file.torn {
            eprintln!("{}", torn.warning());
        }
        records.extend(file.records);
    }
    if records.is_empty() {
        let files = args.files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        return Err(CampaignError::NoRecords { files }.into());
    }
    let run = campaign::same_run(&records)?;
    let report = campaign::report(&run, &records, Scope::Complete)?;
    eprintln!(
        "reluflow merge: {} records from {} file(s): seed {}, {} cases per claim, claims {}",
        records.len(),
        args.files.len(),
        run.seed,
        run.cases,
        run.claims_flag()
    );
    let out = render(&report, &records, args.json, args.markdown.as_deref())?;
    Ok((out, report.exit_code() as u8))
}

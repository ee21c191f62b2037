//! `reluflow sweep`: runs a grid of (cell, seed) items ([`crate::sweep`]) and appends one JSONL
//! record per item to `--jsonl FILE` as each finishes; `--resume FILE` skips the items the file
//! holds, `--shard I/N` runs one share of them.

use super::CliError;
use crate::campaign::Shard;
use crate::claims::ClaimId;
use crate::sweep::{ResumeFile, SweepError, SweepGrid, SweepRecord, SweepSpec, item_key, run_items};
use clap::Args;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};

/// `sweep` flags.
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// Initialisation scales: `LO:HI:K` (K log-spaced values, both ends included) or a list.
    #[arg(long, default_value = "1e-12:1e-2:6", value_name = "SPEC", allow_hyphen_values = true)]
    pub lambda: String,
    /// Widths m: a list (`8,16,32`), a range (`8:12`) or a rule `A*B^n`, `A*B^(n+C)`, `B^n`; in a
    /// rule, n is the cell's number of points unless `--width-n` gives its values.
    #[arg(long, default_value = "4*2^n", value_name = "SPEC")]
    pub width: String,
    /// The values of n in a `--width` rule (a list or `LO:HI`), e.g. `--width '4*2^n' --width-n 0:4`.
    #[arg(long, value_name = "SPEC")]
    pub width_n: Option<String>,
    /// Numbers of points n: a list or `LO:HI`.
    #[arg(long, default_value = "2,3,4", value_name = "SPEC")]
    pub n: String,
    /// Values of d - n: a list or `LO:HI`.
    #[arg(long, default_value = "2", value_name = "SPEC")]
    pub extra_dims: String,
    /// Label ratios r = |D+|/|D-| (a list; the negative labels are rescaled to give r exactly);
    /// default: labels with r >= 1.05, not prescribed (the record holds the measured r).
    #[arg(long, value_name = "LIST")]
    pub ratio: Option<String>,
    /// Input coherences delta = max |<x_k, x_l>| (a list; 0 = orthonormal inputs; the record holds
    /// the measured value).
    #[arg(long, default_value = "0", value_name = "LIST")]
    pub coherence: String,
    /// Initialisations: `balanced`, `unbalanced` or `balanced,unbalanced`.
    #[arg(long, default_value = "balanced", value_name = "LIST")]
    pub init: String,
    /// Seeds per cell.
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub seeds: usize,
    /// First seed: seed k of every cell is S + k (data, initialisation and perturbation).
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// Claims to check on each instance (comma-separated IDs, e.g. `T1,TS`); an instance that
    /// misses a claim's requirement records it as skipped, with the reason.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub claims: Option<Vec<String>>,
    /// Write the records to FILE (one JSON line per (cell, seed), appended as each finishes). It
    /// must not exist yet unless it is the `--resume` file.
    #[arg(long, value_name = "FILE")]
    pub jsonl: Option<PathBuf>,
    /// Skip the (cell, seed) items already in FILE, and append the others to it (or to `--jsonl`).
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Run only shard I of N (1-based): the items whose number is I - 1 modulo N.
    #[arg(long, value_name = "I/N", conflicts_with = "shard_from_env")]
    pub shard: Option<String>,
    /// Read the shard from Slurm's SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (or `--shard-env`).
    #[arg(long)]
    pub shard_from_env: bool,
    /// The variables `--shard-from-env` reads, `ID_VAR,COUNT_VAR`.
    #[arg(long, value_name = "ID_VAR,COUNT_VAR", requires = "shard_from_env")]
    pub shard_env: Option<String>,
    /// Print the items that would run (their number, cell and seed) and stop.
    #[arg(long)]
    pub dry_run: bool,
}

impl SweepArgs {
    /// The grid flags as a [`SweepSpec`].
    pub fn spec(&self) -> SweepSpec {
        SweepSpec {
            lambda: self.lambda.clone(),
            width: self.width.clone(),
            width_n: self.width_n.clone(),
            n: self.n.clone(),
            extra_dims: self.extra_dims.clone(),
            ratio: self.ratio.clone(),
            coherence: self.coherence.clone(),
            init: self.init.clone(),
            seeds: self.seeds,
            seed: self.seed,
        }
    }
}

fn claims_of(ids: &Option<Vec<String>>) -> Result<Vec<ClaimId>, CliError> {
    ids.iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            ClaimId::parse(s).ok_or_else(|| {
                let known: Vec<String> = ClaimId::ALL.iter().map(|c| c.to_string()).collect();
                CliError::Usage(format!("unknown claim ID {s:?}: known IDs are {}", known.join(",")))
            })
        })
        .collect()
}

fn shard_of(args: &SweepArgs) -> Result<Shard, CliError> {
    let usage = |e: crate::campaign::ShardError| CliError::Usage(e.to_string());
    if let Some(text) = &args.shard {
        return Shard::parse(text).map_err(usage);
    }
    if args.shard_from_env {
        let (id, count) = match &args.shard_env {
            Some(names) => names.split_once(',').ok_or_else(|| {
                CliError::Usage(format!("--shard-env {names:?}: give two variable names, ID_VAR,COUNT_VAR"))
            })?,
            None => ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"),
        };
        return Shard::from_env(id.trim(), count.trim()).map_err(usage);
    }
    Ok(Shard::ALL)
}

fn file_error(action: &'static str, path: &Path, e: std::io::Error) -> SweepError {
    SweepError::File { action, path: path.display().to_string(), reason: e.to_string() }
}

/// Opens the output: the `--resume` file cut to its last complete line, or a new `--jsonl` file.
fn open_output(out: &Path, resume: Option<(&Path, &ResumeFile)>) -> Result<std::fs::File, CliError> {
    let same = resume.is_some_and(|(p, _)| p == out || (p.exists() && out.exists() && same_file(p, out)));
    if let (true, Some((_, file))) = (same, resume) {
        let f =
            std::fs::OpenOptions::new().create(true).append(true).open(out).map_err(|e| file_error("write", out, e))?;
        // drop a line cut by a killed sweep, so that the next record starts on its own line
        f.set_len(file.complete_len).map_err(|e| file_error("write", out, e))?;
        return Ok(f);
    }
    if resume.is_some() {
        // resuming from one file into another: append to the other
        return std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(out)
            .map_err(|e| file_error("write", out, e).into());
    }
    if out.metadata().is_ok_and(|m| m.len() > 0) {
        return Err(CliError::Usage(format!(
            "{} exists: pass --resume {} to continue that sweep, or choose another --jsonl file",
            out.display(),
            out.display()
        )));
    }
    std::fs::File::create(out).map_err(|e| file_error("create", out, e).into())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// `reluflow sweep`: runs the selected items and returns the summary it prints.
pub fn run(args: &SweepArgs) -> Result<(String, u8), CliError> {
    let grid = SweepGrid::parse(&args.spec())?;
    let claims = claims_of(&args.claims)?;
    let shard = shard_of(args)?;
    let items = grid.items();
    let cells = grid.cells().len();
    let selected: Vec<_> = items.iter().copied().filter(|i| shard.selects(i.index)).collect();
    if selected.is_empty() {
        return Err(CliError::Usage(format!(
            "shard {shard} selects none of the {} items: use at most {} shards",
            items.len(),
            items.len()
        )));
    }
    let resume = args.resume.as_deref().map(|p| ResumeFile::read(p).map(|f| (p, f))).transpose()?;
    let done: HashSet<String> = resume.iter().flat_map(|(_, f)| f.records.iter().map(SweepRecord::key)).collect();
    let pending: Vec<_> = selected.iter().copied().filter(|i| !done.contains(&item_key(&i.cell, i.seed))).collect();
    let mut o = String::new();
    let _ = writeln!(
        o,
        "sweep: {cells} cells x {} seeds = {} items; shard {shard} selects {}; {} already recorded; {} to run",
        grid.seeds,
        items.len(),
        selected.len(),
        selected.len() - pending.len(),
        pending.len()
    );
    if args.dry_run {
        for i in &pending {
            let _ = writeln!(o, "{:>6}  seed {:<4} {}", i.index, i.seed, i.cell);
        }
        return Ok((o, 0));
    }
    let out = args.jsonl.as_deref().or(args.resume.as_deref()).ok_or_else(|| {
        CliError::Usage("give --jsonl FILE (where the records go) or --resume FILE (to continue one)".into())
    })?;
    if let Some((p, f)) = &resume {
        if f.cut_tail {
            eprintln!("{}: its last line was cut (a killed sweep); that item runs again", p.display());
        }
    }
    let mut file = open_output(out, resume.as_ref().map(|(p, f)| (*p, f)))?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(pending.len() as u64);
        if let Ok(s) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {elapsed} (eta {eta})") {
            bar.set_style(s);
        }
        Some(bar)
    } else {
        None
    };
    let started = std::time::Instant::now();
    let (mut written, mut errors) = (0usize, 0usize);
    run_items(&pending, &claims, |record| {
        let mut line = serde_json::to_string(&record).expect("a sweep record serialises");
        line.push('\n');
        file.write_all(line.as_bytes()).and_then(|()| file.flush()).map_err(|e| file_error("write", out, e))?;
        written += 1;
        errors += usize::from(record.error.is_some());
        if let Some(b) = &bar {
            b.inc(1);
        }
        Ok(())
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let _ = writeln!(
        o,
        "ran {written} items in {:.1} s ({errors} with an error: see their \"error\" field); records in {}",
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok((o, 0))
}

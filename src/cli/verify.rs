//! `reluflow verify`: runs every claim (or `--claims L1,T1,...`) on `--cases N` random instances,
//! or on the one instance given by `--data`/`--random-orthonormal` with `--width` and
//! `--lambda`, and prints which claims hold.
//!
//! Exit codes: 0 when every requested claim held (evidence, no failure), 1 when one failed,
//! 3 when none failed but one had no evidence (every instance skipped or vacuous), 2 for a usage
//! or input error, 4 when `--resume`'s file records a (claim, case) pair twice.
//!
//! The random cases run through their records ([`crate::campaign`]): every (claim, case) pair
//! becomes a [`CaseRecord`] (written to `--jsonl FILE` as it finishes), and the report is built
//! from the records, as `reluflow merge` builds it from the shards' files. `--shard I/N` runs a
//! share of the pairs; a sharded run prints the report of its own share and exits 0 once its
//! pairs are recorded, failures included: the run's verdict and exit code are `reluflow
//! merge`'s (so that a Slurm `--dependency=afterok` merge job, or a `parallel ... && reluflow
//! merge` line, runs whatever the claims did).

use super::CliError;
use super::shard_args::ShardArgs;
use super::simulate::{DataArgs, load_data};
use crate::Instance;
use crate::campaign::{
    self, CampaignError, CaseRecord, Coverage, LocatedRecord, RecordWriter, RecordsFile, RunParams, Scope, Shard,
    VERSION,
};
use crate::claims::heuristic::{self, Consistency, HeuristicSummary};
use crate::claims::registry::{ClaimState, ClaimSummary, VerifyReport, summarise};
use crate::claims::{ClaimId, check};
use clap::Args;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Default instances per claim: the whole default run takes well under 30 s in release mode on
/// 2 cores (see the README for the measured time).
pub const DEFAULT_CASES: usize = 8;

/// `verify` flags.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// Claims to check, comma-separated IDs (`reluflow claims` lists them; default: all).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub claims: Option<Vec<String>>,
    /// Random instances per claim.
    #[arg(long, default_value_t = DEFAULT_CASES, value_name = "N")]
    pub cases: usize,
    /// Seed of the random instances; with `--data`/`--random-orthonormal`, the initialisation
    /// seed of the one instance.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// Check the claims on one instance of your own instead of random ones: the data (with
    /// `--width` and `--lambda`). Each claim first tests its requirements on it (orthonormal
    /// inputs, Assumptions 2-3, ...) and is skipped, naming the unmet one, where they fail;
    /// ladder claims run on a lambda ladder with the instance's directions g_j.
    #[command(flatten)]
    pub instance: DataArgs,
    /// Width m of the one instance (with `--data`/`--random-orthonormal`).
    #[arg(long, value_name = "M")]
    pub width: Option<usize>,
    /// Initialisation scale lambda of the one instance (with `--data`/`--random-orthonormal`).
    #[arg(long, value_name = "L", value_parser = super::simulate::parse_f64_flag)]
    pub lambda: Option<f64>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the table as Markdown to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// The shard of the (claim, case) pairs to run. The pairs are numbered claim by claim in
    /// the order of --claims (each claim once), cases 0, 1, ... within a claim. A sharded run
    /// prints the report of its share (and on stderr how many pairs it selected) and exits 0
    /// once they are recorded, failures included: `reluflow merge` gives the run's verdict.
    #[command(flatten)]
    pub shard: ShardArgs,
    /// Write one JSON record per (claim, case) to FILE, one line each, flushed as each case
    /// finishes (a killed run leaves whole lines; `--resume FILE` completes it). FILE must be
    /// new or empty. The records are what `reluflow merge` reads.
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    pub jsonl: Option<PathBuf>,
    /// Complete the records file FILE (created if missing): run only the selected pairs it
    /// does not hold, append their records, and report over all of its records. Its records
    /// must be of this run (the same --seed, --cases, --claims and reluflow version); a torn
    /// last line (a killed run) is cut off and its case rerun.
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Count the heuristic statements of Section 3.2 (LS, MF) in the exit code too: 1 when one is
    /// inconsistent, 3 when one has no evidence. Without it they are reported but never change
    /// the exit code.
    #[arg(long)]
    pub strict: bool,
    /// Judge LS on the deeper frontier grid (n = 2..5, m = 8..128, 4 seeds, resolution 0.25)
    /// instead of the default small one.
    #[arg(long)]
    pub deep: bool,
    /// Frontier cases of the heuristic claims: K grids for LS, 8K cells for MF.
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub frontier_cases: usize,
}

/// Resolves `--claims`.
pub fn claim_list(args: &VerifyArgs) -> Result<Vec<ClaimId>, CliError> {
    match &args.claims {
        None => Ok(ClaimId::ALL.to_vec()),
        Some(ids) => ids
            .iter()
            .map(|s| {
                ClaimId::parse(s).ok_or_else(|| {
                    let known: Vec<String> = ClaimId::ALL.iter().map(|c| c.to_string()).collect();
                    CliError::Usage(format!("unknown claim ID {s:?}: known IDs are {}", known.join(",")))
                })
            })
            .collect(),
    }
}

/// The one instance of `--data`/`--random-orthonormal` with `--width`, `--lambda` and `--seed`
/// (balanced, ReLU), `None` without those flags.
pub fn own_instance(args: &VerifyArgs) -> Result<Option<Instance>, CliError> {
    let given = args.instance.data.is_some() || args.instance.random_orthonormal.is_some();
    if !given {
        if args.width.is_some() || args.lambda.is_some() {
            return Err(CliError::Usage(
                "--width and --lambda describe one instance: give its data too (--data FILE|toy or --random-orthonormal N,D)"
                    .into(),
            ));
        }
        return Ok(None);
    }
    let data = load_data(&args.instance)?;
    let width = args
        .width
        .ok_or_else(|| CliError::Usage("--data needs --width M (the number of neurons), e.g. --width 32".into()))?;
    let lambda = args.lambda.ok_or_else(|| {
        CliError::Usage("--data needs --lambda L (the initialisation scale), e.g. --lambda 1e-12".into())
    })?;
    if width == 0 {
        return Err(CliError::Usage("--width 0: give at least one neuron, e.g. --width 32".into()));
    }
    if !(lambda > 0.0) || !lambda.is_finite() {
        return Err(CliError::Usage(format!("--lambda {lambda}: give a positive finite scale, e.g. --lambda 1e-12")));
    }
    Ok(Some(Instance::balanced(data, width, lambda, args.seed)))
}

/// Runs the claims (with a progress bar on a terminal) and returns the report.
pub fn run_report(args: &VerifyArgs) -> Result<VerifyReport, CliError> {
    let claims: Vec<ClaimId> = claim_list(args)?.into_iter().filter(|c| !c.is_heuristic()).collect();
    if let Some(instance) = own_instance(args)? {
        if campaign_flags(args) {
            return Err(CliError::Usage(
                "--shard, --shard-from-env, --shard-env, --jsonl and --resume split and record the random cases: drop them with --data/--random-orthonormal (one instance)"
                    .into(),
            ));
        }
        let outcomes: Vec<_> = {
            use rayon::prelude::*;
            claims.par_iter().map(|&c| check(c, &instance)).collect()
        };
        let claims = claims.iter().zip(&outcomes).map(|(&c, o)| summarise(c, std::slice::from_ref(o))).collect();
        return Ok(VerifyReport { seed: args.seed, cases: 1, claims });
    }
    Ok(run_campaign(args, claims)?.report)
}

/// Whether any flag that shards or records the random cases is given.
fn campaign_flags(args: &VerifyArgs) -> bool {
    let shard = &args.shard;
    shard.shard.is_some()
        || shard.shard_from_env
        || shard.shard_env.is_some()
        || args.jsonl.is_some()
        || args.resume.is_some()
}

/// A run over random cases, done through its records.
#[derive(Debug)]
pub struct CampaignRun {
    /// The report, built from `records`.
    pub report: VerifyReport,
    /// Every record the report is built from (those of `--resume`'s file first).
    pub records: Vec<LocatedRecord>,
    /// The shard run, `None` for the whole run.
    pub shard: Option<Shard>,
}

/// Runs the random cases of `claims` that the shard selects and `--resume`'s file lacks (on
/// rayon's pool, with a progress bar on a terminal), records each as it finishes (in
/// `--jsonl`/`--resume`'s file when given), and builds the report from the records: of the whole
/// run, or of the shard's share.
pub fn run_campaign(args: &VerifyArgs, claims: Vec<ClaimId>) -> Result<CampaignRun, CliError> {
    if args.cases == 0 {
        return Err(CliError::Usage("--cases 0: give at least one instance per claim (e.g. --cases 4)".into()));
    }
    let run = RunParams { seed: args.seed, cases: args.cases, claims };
    let shard = args.shard.resolve()?;
    let items = run.items();
    let total = items.len();
    let selected: Vec<_> = items.into_iter().filter(|item| shard.unwrap_or(Shard::ALL).selects(item.index)).collect();
    if let Some(shard) = shard {
        if selected.is_empty() {
            return Err(CampaignError::EmptyShard { shard, total }.into());
        }
    }
    let (mut records, mut writer) = open_records(args, &run)?;
    let done: HashSet<_> = records.iter().map(|r| (r.record.claim, r.record.case)).collect();
    let todo: Vec<_> = selected.iter().copied().filter(|item| !done.contains(&(item.claim, item.case))).collect();
    if campaign_flags(args) {
        eprintln!("{}", selection_note(shard, selected.len(), total, selected.len() - todo.len(), args));
    }
    let bar = progress_bar(todo.len() as u64);
    let mut fresh = 0;
    campaign::run_cases(&run, &todo, |record: CaseRecord| {
        let located = match &mut writer {
            Some(writer) => writer.write(record)?,
            None => {
                fresh += 1;
                LocatedRecord { record, path: "(this run)".into(), line: fresh }
            }
        };
        records.push(located);
        if let Some(b) = &bar {
            b.inc(1);
        }
        Ok::<(), CampaignError>(())
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let scope = if shard.is_some() { Scope::Partial } else { Scope::Complete };
    let report = campaign::report(&run, &records, scope)?;
    Ok(CampaignRun { report, records, shard })
}

/// The records already there (`--resume`'s file, checked against this run) and the writer of
/// the new ones (`--jsonl` or `--resume`), if any.
fn open_records(
    args: &VerifyArgs,
    run: &RunParams,
) -> Result<(Vec<LocatedRecord>, Option<RecordWriter>), CampaignError> {
    if let Some(path) = &args.jsonl {
        return Ok((Vec::new(), Some(RecordWriter::create(path)?)));
    }
    let Some(path) = &args.resume else { return Ok((Vec::new(), None)) };
    let file = if path.exists() { campaign::read(path)? } else { RecordsFile::default() };
    if let Some(torn) = &file.torn {
        eprintln!("{} (--resume cuts it off and reruns the case)", torn.warning());
    }
    campaign::check_records(run, VERSION, &file.records, "this command's flags")?;
    let coverage = Coverage::of(run, &file.records);
    if !coverage.duplicates.is_empty() {
        return Err(CampaignError::Incomplete(Box::new(Coverage { missing: Vec::new(), ..coverage })));
    }
    let writer = RecordWriter::append(path, &file)?;
    Ok((file.records, Some(writer)))
}

/// What the run selected, for stderr.
fn selection_note(shard: Option<Shard>, selected: usize, total: usize, recorded: usize, args: &VerifyArgs) -> String {
    let mut note = match shard {
        Some(shard) => {
            format!("reluflow verify: shard {shard} selects {selected} of the run's {total} (claim, case) pairs")
        }
        None => format!("reluflow verify: {total} (claim, case) pairs"),
    };
    if let Some(path) = &args.resume {
        let _ = write!(note, "; {recorded} already in {}, running {}", path.display(), selected - recorded);
    }
    if let Some(path) = args.jsonl.as_ref().or(args.resume.as_ref()) {
        let _ = write!(note, "; records in {}", path.display());
    }
    if shard.is_some() {
        note.push_str("; its report covers its share only (exit 0 once recorded): reluflow merge gives the run's");
    }
    note
}

/// A progress bar over `total` cases when stderr is a terminal.
fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(s) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} instances  {elapsed} (eta {eta})") {
        bar.set_style(s);
    }
    Some(bar)
}

/// The lines under the table that give the replay command of each failing case (the first few
/// per claim), empty when no recorded case failed.
pub fn replay_lines(report: &VerifyReport, records: &[LocatedRecord]) -> String {
    const PER_CLAIM: usize = 3;
    let mut o = String::new();
    let mut seen = HashSet::new();
    for summary in &report.claims {
        if !seen.insert(summary.claim) {
            continue;
        }
        let mut failing: Vec<&CaseRecord> =
            records.iter().map(|r| &r.record).filter(|r| r.claim == summary.claim && r.outcome.is_failure()).collect();
        failing.sort_by_key(|r| r.case);
        for r in failing.iter().take(PER_CLAIM) {
            if o.is_empty() {
                let _ = writeln!(o, "replay a failing case (reruns it and prints its verdict):");
            }
            let _ = writeln!(o, "  {} case {} ({}): {}", r.claim, r.case, r.outcome.label(), r.replay_command());
        }
        if failing.len() > PER_CLAIM {
            let _ = writeln!(
                o,
                "  ... and {} more failing {} cases (see the records)",
                failing.len() - PER_CLAIM,
                summary.claim
            );
        }
    }
    o
}

/// What `verify` and `merge` print: the report as JSON, or the table and the replay commands
/// of the failing cases; with `markdown`, the table is also written there as Markdown.
pub fn render(
    report: &VerifyReport,
    records: &[LocatedRecord],
    json: bool,
    markdown_file: Option<&Path>,
) -> Result<String, CliError> {
    render_with(report, records, &[], false, json, markdown_file)
}

/// [`render`] with the heuristic section ([`heuristic_table`], [`heuristic_markdown`]; in the
/// JSON the `heuristic` key, absent when no heuristic claim ran, so that a run without them
/// prints exactly the report).
pub fn render_with(
    report: &VerifyReport,
    records: &[LocatedRecord],
    heuristic: &[HeuristicSummary],
    strict: bool,
    json: bool,
    markdown_file: Option<&Path>,
) -> Result<String, CliError> {
    if let Some(path) = markdown_file {
        super::errors::write_file(path, markdown(report) + &heuristic_markdown(heuristic))?;
    }
    Ok(if json {
        let full = VerifyOutput { report, heuristic };
        serde_json::to_string_pretty(&full).expect("a report serialises") + "\n"
    } else {
        table(report) + &replay_lines(report, records) + &heuristic_table(heuristic, strict)
    })
}

fn margin(m: Option<f64>) -> String {
    m.map_or("-".into(), |m| format!("{m:+.3e}"))
}

/// The cells of a claim's row, in the column order of both tables.
fn row(c: &ClaimSummary) -> [String; 9] {
    [
        c.claim.to_string(),
        c.reference.to_string(),
        c.state.label().to_string(),
        c.instances.to_string(),
        c.held.to_string(),
        c.failed.to_string(),
        c.skipped.to_string(),
        c.vacuous.to_string(),
        margin(c.worst_margin),
    ]
}

/// What the "worst margin" column means (printed under both tables; `reluflow verify --help` and
/// [`crate::claims::Verdict::relative_margin`] give the details).
pub const MARGIN_NOTE: &str = "worst margin: dimensionless, margin/|bound| (plain units) or ln(bound/measured) (log \
units); see verify --help; raw numbers in --json";

/// The report as a Markdown table.
pub fn markdown(report: &VerifyReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "| claim | paper | state | instances | held | failed | skipped | vacuous | worst margin |");
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
    for c in &report.claims {
        let _ = writeln!(o, "| {} |", row(c).join(" | "));
    }
    let _ = writeln!(o, "\n{MARGIN_NOTE}");
    o
}

/// The report as an aligned text table with a verdict line.
pub fn table(report: &VerifyReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "reluflow verify: {} instances per claim, seed {}", report.cases, report.seed);
    let _ = writeln!(
        o,
        "{:<5} {:<26} {:<11} {:>9} {:>5} {:>6} {:>7} {:>7} {:>12}",
        "claim", "paper", "state", "instances", "held", "failed", "skipped", "vacuous", "worst margin"
    );
    for c in &report.claims {
        let [claim, paper, state, instances, held, failed, skipped, vacuous, worst] = row(c);
        let _ = writeln!(
            o,
            "{claim:<5} {paper:<26} {state:<11} {instances:>9} {held:>5} {failed:>6} {skipped:>7} {vacuous:>7} {worst:>12}"
        );
    }
    let _ = writeln!(o, "{MARGIN_NOTE}");
    let failing: Vec<&ClaimSummary> = report.claims.iter().filter(|c| c.state == ClaimState::Failed).collect();
    let no_evidence: Vec<&ClaimSummary> = report.claims.iter().filter(|c| c.state == ClaimState::NoEvidence).collect();
    let ids = |cs: &[&ClaimSummary]| cs.iter().map(|c| c.claim.to_string()).collect::<Vec<_>>().join(", ");
    if !no_evidence.is_empty() {
        let _ = writeln!(o, "no evidence (every instance skipped or vacuous): {}", ids(&no_evidence));
        for c in &no_evidence {
            for n in c.notes.iter().take(1) {
                let _ = writeln!(o, "  {}: {n}", c.claim);
            }
        }
    }
    if !failing.is_empty() {
        let _ = writeln!(o, "FAILED: {}", ids(&failing));
        for c in &failing {
            for n in &c.notes {
                let _ = writeln!(o, "  {}: {n}", c.claim);
            }
        }
    } else if no_evidence.is_empty() {
        let _ = writeln!(o, "every claim held: each was checked on at least one instance, and none failed");
    }
    o
}

/// `reluflow verify`: the output and the exit code ([`VerifyReport::exit_code`]: 0 if every
/// claim held, 1 if one failed, 3 if none failed but one had no evidence; with `--strict` the
/// heuristic claims count too: [`exit_code`]; a sharded run exits 0 once its pairs are recorded).
///
/// The heuristic claims (LS, MF) run beside the random cases (their cells fill the cores the
/// tail of the lemma cases leaves idle), in unsharded runs only: they are not (claim, case)
/// pairs, so shards and `reluflow merge` leave them out.
pub fn run(args: &VerifyArgs) -> Result<(String, u8), CliError> {
    if args.instance.data.is_some() || args.instance.random_orthonormal.is_some() {
        let (report, heuristic) = rayon::join(|| run_report(args), || run_heuristic(args));
        let (report, heuristic) = (report?, heuristic?);
        let out = render_with(&report, &[], &heuristic, args.strict, args.json, args.markdown.as_deref())?;
        return Ok((out, exit_code(&report, &heuristic, args.strict)));
    }
    let claims: Vec<ClaimId> = claim_list(args)?.into_iter().filter(|c| !c.is_heuristic()).collect();
    own_instance(args)?; // --width or --lambda without data is an error
    let sharded = campaign_flags(args);
    // the campaign blocks its thread on the records channel while rayon's pool runs the cases, so
    // it runs on this (non-pool) thread and the heuristic claims on a thread of their own (inside
    // a pool worker the blocked receiver could starve the pool)
    let (campaign, heuristic) = std::thread::scope(|scope| {
        let heuristic = scope.spawn(|| if sharded { Ok(Vec::new()) } else { run_heuristic(args) });
        let campaign = if claims.is_empty() { Ok(None) } else { run_campaign(args, claims.clone()).map(Some) };
        (campaign, heuristic.join().expect("the heuristic claims' thread does not panic"))
    });
    let (campaign, heuristic) = (campaign?, heuristic?);
    let (report, records, shard) = match campaign {
        Some(c) => (c.report, c.records, c.shard),
        None => (VerifyReport { seed: args.seed, cases: args.cases, claims: Vec::new() }, Vec::new(), None),
    };
    let out = render_with(&report, &records, &heuristic, args.strict, args.json, args.markdown.as_deref())?;
    let code = if shard.is_some() { 0 } else { exit_code(&report, &heuristic, args.strict) };
    Ok((out, code))
}

// ---------------------------------------------------------------------------------------------
// The heuristic statements of Section 3.2 (LS, MF): their own section of the report
// ---------------------------------------------------------------------------------------------

/// The heading of the heuristic section.
pub const HEURISTIC_HEADING: &str = "Heuristic statements (Section 3.2)";

/// `verify --json`: the report's fields, then `heuristic` (absent when no heuristic claim ran).
#[derive(Debug, serde::Serialize)]
pub struct VerifyOutput<'a> {
    /// The claims that are not heuristic.
    #[serde(flatten)]
    pub report: &'a VerifyReport,
    /// LS and MF ([`crate::claims::heuristic::verify_heuristic`]).
    #[serde(skip_serializing_if = "<[HeuristicSummary]>::is_empty")]
    pub heuristic: &'a [HeuristicSummary],
}

/// Runs the requested heuristic claims: on the registry's frontier cells, or with
/// `--data`/`--random-orthonormal` MF on that instance (LS, a statement about how `lambda*`
/// varies across cells, is then no evidence: `reluflow frontier` measures a grid).
pub fn run_heuristic(args: &VerifyArgs) -> Result<Vec<HeuristicSummary>, CliError> {
    let claims: Vec<ClaimId> = claim_list(args)?.into_iter().filter(|c| c.is_heuristic()).collect();
    if claims.is_empty() {
        return Ok(Vec::new());
    }
    if args.frontier_cases == 0 {
        return Err(CliError::Usage("--frontier-cases 0: give at least one (e.g. --frontier-cases 1)".into()));
    }
    if let Some(instance) = own_instance(args)? {
        return Ok(claims
            .iter()
            .map(|&c| {
                let outcome = if c == ClaimId::LS {
                    crate::claims::Outcome::Skipped {
                        claim: c,
                        reason: "LS is judged across generated frontier cells, not on one instance (see reluflow \
                                 frontier)"
                            .into(),
                    }
                } else {
                    check(c, &instance)
                };
                heuristic::summary_of(c, &[outcome], false)
            })
            .collect());
    }
    Ok(heuristic::verify_heuristic(&claims, args.frontier_cases, args.seed, args.deep))
}

/// The exit code: the report's ([`VerifyReport::exit_code`]); with `strict`, also 1 when a
/// heuristic claim is inconsistent and 3 when one has no evidence (a failure first).
pub fn exit_code(report: &VerifyReport, heuristic: &[HeuristicSummary], strict: bool) -> u8 {
    let base = report.exit_code() as u8;
    if !strict || base == 1 {
        return base;
    }
    if heuristic.iter().any(|h| h.verdict == Consistency::Inconsistent) {
        1
    } else if base == 3 || heuristic.iter().any(|h| h.verdict == Consistency::NoEvidence) {
        3
    } else {
        base
    }
}

fn heuristic_rows(heuristic: &[HeuristicSummary]) -> Vec<[String; 5]> {
    heuristic
        .iter()
        .map(|h| {
            let s = &h.summary;
            let cases = format!("{} case(s), {} skipped", s.instances, s.skipped);
            let what = s.worst_statement.clone().or_else(|| s.notes.first().cloned()).unwrap_or_default();
            [s.claim.to_string(), s.reference.to_string(), h.verdict.label().to_string(), cases, what]
        })
        .collect()
}

/// The heuristic section as text (empty when no heuristic claim ran).
pub fn heuristic_table(heuristic: &[HeuristicSummary], strict: bool) -> String {
    if heuristic.is_empty() {
        return String::new();
    }
    let mut o = String::new();
    let counted = if strict {
        "counted in the exit code (--strict)"
    } else {
        "not counted in the exit code (--strict counts them)"
    };
    let _ = writeln!(o, "\n{HEURISTIC_HEADING}: consistent / inconsistent with the measured numbers; {counted}");
    for [claim, paper, verdict, cases, what] in heuristic_rows(heuristic) {
        let _ = writeln!(o, "{claim:<5} {paper:<38} {verdict:<12} {cases}");
        let _ = writeln!(o, "      {what}");
    }
    o
}

/// The heuristic section as Markdown (empty when no heuristic claim ran).
pub fn heuristic_markdown(heuristic: &[HeuristicSummary]) -> String {
    if heuristic.is_empty() {
        return String::new();
    }
    let mut o = String::new();
    let _ = writeln!(o, "\n### {HEURISTIC_HEADING}\n");
    let _ = writeln!(o, "| claim | paper | verdict | cases | measured |");
    let _ = writeln!(o, "|---|---|---|---|---|");
    for row in heuristic_rows(heuristic) {
        let _ = writeln!(o, "| {} |", row.map(|c| c.replace('|', "\\|")).join(" | "));
    }
    o
}

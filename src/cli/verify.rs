//! `reluflow verify`: runs every claim (or `--claims L1,T1,...`) on `--cases N` random instances
//! and prints which claims hold.

use super::CliError;
use crate::claims::ClaimId;
use crate::claims::registry::{ClaimSummary, VerifyReport, verify};
use clap::Args;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;

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
    /// Seed of the instances.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the table as Markdown to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
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

/// Runs the claims (with a progress bar on a terminal) and returns the report.
pub fn run_report(args: &VerifyArgs) -> Result<VerifyReport, CliError> {
    let claims = claim_list(args)?;
    if args.cases == 0 {
        return Err(CliError::Usage("--cases 0: give at least one instance per claim (e.g. --cases 4)".into()));
    }
    let total = (claims.len() * args.cases) as u64;
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(s) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} instances  {elapsed} (eta {eta})")
        {
            bar.set_style(s);
        }
        Some(bar)
    } else {
        None
    };
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let report = verify(&claims, args.cases, args.seed, &tick);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(report)
}

fn margin(m: Option<f64>) -> String {
    m.map_or("-".into(), |m| format!("{m:+.3e}"))
}

/// The cells of a claim's row, in the column order of both tables.
fn row(c: &ClaimSummary) -> [String; 7] {
    [
        c.claim.to_string(),
        c.reference.to_string(),
        c.instances.to_string(),
        c.held.to_string(),
        c.failed.to_string(),
        c.skipped.to_string(),
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
    let _ = writeln!(o, "| claim | paper | instances | held | failed | skipped | worst margin |");
    let _ = writeln!(o, "|---|---|---|---|---|---|---|");
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
        "{:<5} {:<26} {:>9} {:>5} {:>6} {:>7} {:>12}",
        "claim", "paper", "instances", "held", "failed", "skipped", "worst margin"
    );
    for c in &report.claims {
        let [claim, paper, instances, held, failed, skipped, worst] = row(c);
        let _ = writeln!(o, "{claim:<5} {paper:<26} {instances:>9} {held:>5} {failed:>6} {skipped:>7} {worst:>12}");
    }
    let _ = writeln!(o, "{MARGIN_NOTE}");
    let failing: Vec<String> = report.claims.iter().filter(|c| !c.holds()).map(|c| c.claim.to_string()).collect();
    let unchecked: Vec<String> =
        report.claims.iter().filter(|c| c.held + c.failed == 0).map(|c| c.claim.to_string()).collect();
    if !unchecked.is_empty() {
        let _ = writeln!(o, "not checked (no instance met the assumptions): {}", unchecked.join(", "));
        for c in report.claims.iter().filter(|c| c.held + c.failed == 0) {
            for n in c.notes.iter().take(1) {
                let _ = writeln!(o, "  {}: {n}", c.claim);
            }
        }
    }
    if failing.is_empty() {
        let _ = writeln!(o, "every claim held on every instance that met its assumptions");
    } else {
        let _ = writeln!(o, "FAILED: {}", failing.join(", "));
        for c in report.claims.iter().filter(|c| !c.holds()) {
            for n in &c.notes {
                let _ = writeln!(o, "  {}: {n}", c.claim);
            }
        }
    }
    o
}

/// `reluflow verify`: the output and the exit code (0 if every claim held, 1 otherwise).
pub fn run(args: &VerifyArgs) -> Result<(String, u8), CliError> {
    let report = run_report(args)?;
    if let Some(path) = &args.markdown {
        std::fs::write(path, markdown(&report)).map_err(|e| CliError::File {
            action: "write",
            path: path.display().to_string(),
            reason: format!("{e} (check that the directory exists and is writable)"),
        })?;
    }
    let out = if args.json {
        serde_json::to_string_pretty(&report).expect("a report serialises") + "\n"
    } else {
        table(&report)
    };
    Ok((out, if report.all_hold() { 0 } else { 1 }))
}

//! `reluflow verify`: runs every claim (or `--claims L1,T1,...`) on `--cases N` random instances,
//! or on the one instance given by `--data`/`--random-orthonormal` with `--width` and
//! `--lambda`, and prints which claims hold.
//!
//! Exit codes: 0 when every requested claim held (evidence, no failure), 1 when one failed,
//! 3 when none failed but one had no evidence (every instance skipped or vacuous), 2 for a usage
//! or input error.

use super::CliError;
use super::simulate::{DataArgs, load_data};
use crate::Instance;
use crate::claims::heuristic::{self, Consistency, HeuristicSummary};
use crate::claims::registry::{ClaimState, ClaimSummary, VerifyReport, summarise, verify};
use crate::claims::{ClaimId, check};
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
        let outcomes: Vec<_> = {
            use rayon::prelude::*;
            claims.par_iter().map(|&c| check(c, &instance)).collect()
        };
        let claims = claims.iter().zip(&outcomes).map(|(&c, o)| summarise(c, std::slice::from_ref(o))).collect();
        return Ok(VerifyReport { seed: args.seed, cases: 1, claims });
    }
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
/// heuristic claims count too: [`exit_code`]).
pub fn run(args: &VerifyArgs) -> Result<(String, u8), CliError> {
    // the heuristic claims run alongside the others (their cells fill the cores the tail of the
    // lemma cases leaves idle)
    let (report, heuristic) = rayon::join(|| run_report(args), || run_heuristic(args));
    let (report, heuristic) = (report?, heuristic?);
    if let Some(path) = &args.markdown {
        let text = markdown(&report) + &heuristic_markdown(&heuristic);
        std::fs::write(path, text).map_err(|e| CliError::File {
            action: "write",
            path: path.display().to_string(),
            reason: format!("{e} (check that the directory exists and is writable)"),
        })?;
    }
    let code = exit_code(&report, &heuristic, args.strict);
    let out = if args.json {
        let full = VerifyOutput { report: &report, heuristic: &heuristic };
        serde_json::to_string_pretty(&full).expect("a report serialises") + "\n"
    } else {
        table(&report) + &heuristic_table(&heuristic, args.strict)
    };
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

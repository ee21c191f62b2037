//! `reluflow check FILE`: judges a training run recorded by another program (PyTorch, JAX, numpy)
//! or by reluflow against the paper; see [`crate::recorded`] for the run file.
//!
//! Exit codes as `verify`: 0 every row held, 1 a row failed, 3 none failed but a row had no
//! evidence, 2 a usage or input error (a bad run file names the array and the fix).

use super::CliError;
use crate::claims::registry::ClaimState;
use crate::recorded::{CheckReport, EndState, check_file};
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;

/// `check` flags.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The run file: a `.npz` archive (numpy.savez, python/reluflow_record.py) or a `.json` file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the table as Markdown to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Also write the loss against paper time, with the predicted plateau level and phase times,
    /// as an SVG figure to FILE.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

/// Runs `check`: the printed report and its exit code.
pub fn run(args: &CheckArgs) -> Result<(String, u8), CliError> {
    let report = check_file(&args.file)?;
    if let Some(path) = &args.markdown {
        super::errors::write_file(path, markdown(&report))?;
    }
    if let Some(path) = &args.svg {
        let times: Vec<(String, f64)> = report
            .predicted
            .map(|(_, plus, minus)| {
                vec![
                    ("predicted positive fit ln(1/lambda)/|D+|".to_string(), plus),
                    ("predicted negative fit ln(1/lambda)/|D-|".to_string(), minus),
                ]
            })
            .unwrap_or_default();
        let title = format!("reluflow check: {}", report.source);
        let svg = crate::plot::recorded_loss_svg(&title, &report.curve, report.predicted.map(|p| p.0), &times)
            .map_err(|e| CliError::File { action: "draw", path: path.display().to_string(), reason: e.to_string() })?;
        super::errors::write_file(path, svg)?;
    }
    let out = if args.json {
        serde_json::to_string_pretty(&report).expect("a check report serialises") + "\n"
    } else {
        table(&report)
    };
    Ok((out, report.exit_code()))
}

fn number(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.3e}"))
}

fn run_line(report: &CheckReport) -> String {
    let r = &report.run;
    format!(
        "n = {}, d = {}, m = {}, {} snapshots to paper time {:.4e}, {}{}, lambda = {:.3e}{}",
        r.n,
        r.d,
        r.m,
        r.snapshots,
        r.final_time,
        r.precision,
        r.paper_step.map_or_else(String::new, |eta| format!(", paper step eta = lr x loss_factor = {eta:.4e}")),
        r.lambda,
        if r.lambda_estimated { " (estimated from w(0))" } else { "" }
    )
}

/// Where the run ended, in words.
pub fn end_line(end: &EndState) -> String {
    match end {
        EndState::Interpolator { loss } => format!("an interpolator (L = {loss:.3e}, zero to the file's precision)"),
        EndState::Stationary { loss, gradient, active } => {
            let uncovered: Vec<usize> = (0..active.len()).filter(|&k| active[k].is_empty()).collect();
            format!(
                "a stationary point with non-zero loss: L = {loss:.6e}, |grad L| = {gradient:.3e} (below resolution); active neurons per point {:?}; points with no active neuron {uncovered:?}",
                active.iter().map(Vec::len).collect::<Vec<_>>()
            )
        }
        EndState::StillMoving { loss, gradient } => {
            format!(
                "still moving: L = {loss:.3e}, |grad L| = {gradient:.3e} (neither zero loss nor a stationary point)"
            )
        }
    }
}

/// The verify-style text table.
pub fn table(report: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "run: {}", report.source);
    let _ = writeln!(out, "     {}", run_line(report));
    let _ = writeln!(out, "assumptions:");
    for a in &report.assumptions {
        let _ = writeln!(out, "  [{}] {}: {}", if a.met { "met" } else { "NOT met" }, a.name, a.statement);
    }
    let _ = writeln!(
        out,
        "{:<5} {:<12} {:<40} {:>11} {:>11} {:>11}",
        "claim", "state", "part", "measured", "bound", "margin"
    );
    for r in &report.rows {
        let [id, state, part, measured, bound, margin] = cells(r);
        let _ = writeln!(out, "{id:<5} {state:<12} {part:<40} {measured:>11} {bound:>11} {margin:>11}");
        let _ = writeln!(out, "      {}", r.statement);
    }
    let _ = writeln!(out, "end: {}", end_line(&report.end));
    out.push_str(&footer(report));
    out
}

/// One row's cells, as both the table and the Markdown print them: claim, state, part,
/// measured, bound, margin.
fn cells(r: &crate::recorded::CheckRow) -> [String; 6] {
    [r.id.clone(), r.state.label().to_string(), r.part.clone(), number(r.measured), number(r.bound), number(r.margin)]
}

/// The kinks (1-D inputs with a bias column) and the counts, the last lines of both forms.
fn footer(report: &CheckReport) -> String {
    let mut out = String::new();
    if let Some(k) = &report.kinks {
        let _ = writeln!(
            out,
            "kinks of the final network (1-D input with a bias column): {}",
            k.iter().map(|v| format!("{v:.4}")).collect::<Vec<_>>().join(", ")
        );
    }
    let (held, failed, none) = counts(report);
    let _ = writeln!(out, "{held} held, {failed} failed, {none} no evidence");
    out
}

fn counts(report: &CheckReport) -> (usize, usize, usize) {
    let c = |s: ClaimState| report.rows.iter().filter(|r| r.state == s).count();
    (c(ClaimState::Held), c(ClaimState::Failed), c(ClaimState::NoEvidence))
}

/// The table as Markdown.
pub fn markdown(report: &CheckReport) -> String {
    let mut out = format!(
        "Run: `{}` ({})

",
        report.source,
        run_line(report)
    );
    for a in &report.assumptions {
        let _ = writeln!(out, "- {} {}: {}", if a.met { "met:" } else { "**not met**:" }, a.name, a.statement);
    }
    out.push_str(
        "
| claim | state | part | measured | bound | margin | statement |\n|---|---|---|---|---|---|---|\n",
    );
    for r in &report.rows {
        let escaped: Vec<String> = cells(r).iter().chain([&r.statement]).map(|c| c.replace('|', "\\|")).collect();
        let _ = writeln!(out, "| {} |", escaped.join(" | "));
    }
    let _ = writeln!(out, "\nEnd: {}\n", end_line(&report.end));
    out.push_str(&footer(report));
    out
}

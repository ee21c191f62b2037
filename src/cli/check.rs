//! `reluflow check FILE`: judges a training run recorded by another program (PyTorch, JAX, numpy)
//! or by reluflow against the paper; see [`crate::recorded`] for the run file.
//!
//! Exit codes as `verify`: 0 every row held, 1 a row failed, 3 none failed but a row had no
//! evidence, 2 a usage or input error (a bad run file names the array and the fix).

use super::CliError;
use crate::recorded::{CheckReport, check_file};
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
        std::fs::write(path, markdown(&report)).map_err(|e| CliError::File {
            action: "write",
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
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

/// The verify-style text table.
pub fn table(report: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "run: {}", report.source);
    let _ = writeln!(
        out,
        "{:<5} {:<12} {:<34} {:>11} {:>11} {:>11}",
        "claim", "state", "part", "measured", "bound", "margin"
    );
    for r in &report.rows {
        let _ = writeln!(
            out,
            "{:<5} {:<12} {:<34} {:>11} {:>11} {:>11}",
            r.id,
            r.state.label(),
            r.part,
            number(r.measured),
            number(r.bound),
            number(r.margin)
        );
        let _ = writeln!(out, "      {}", r.statement);
    }
    out
}

/// The table as Markdown.
pub fn markdown(report: &CheckReport) -> String {
    let mut out = format!(
        "Run: `{}`\n\n| claim | state | part | measured | bound | margin | statement |\n|---|---|---|---|---|---|---|\n",
        report.source
    );
    for r in &report.rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.id,
            r.state.label(),
            r.part,
            number(r.measured),
            number(r.bound),
            number(r.margin),
            r.statement.replace('|', "\\|")
        );
    }
    out
}

//! `reluflow claims`: prints the catalogue of the claims reluflow checks
//! ([`crate::claims::catalogue`]) as text, JSON or Markdown. `docs/claims.md` is
//! `reluflow claims --markdown`.

use super::CliError;
use crate::claims::ClaimId;
use crate::claims::catalogue::{self, ClaimEntry, NOTATION, UNCHECKED, UncheckedClaim};
use clap::Args;
use serde::Serialize;
use std::fmt::Write as _;

/// The command that regenerates `docs/claims.md` (its header and the drift test quote it).
pub const REGENERATE: &str = "cargo run --release -- claims --markdown > docs/claims.md";

/// What a heuristic entry's verdict means (text and Markdown).
pub const HEURISTIC_NOTE: &str = "A heuristic statement of the paper (\"roughly\", \"empirically seem\"), not a lemma: \
its verdict is \"consistent\" or \"inconsistent\" with the measured numbers in its statement; `reluflow verify` lists \
it under \"Heuristic statements (Section 3.2)\" and counts it in the exit code only with `--strict`.";

/// `claims` flags.
#[derive(Debug, Clone, Args)]
pub struct ClaimsArgs {
    /// Claims to print, comma-separated IDs (default: all, with the notation and the claims not
    /// checked yet).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub claims: Option<Vec<String>>,
    /// Print the catalogue as JSON.
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print the catalogue as Markdown (the text of docs/claims.md).
    #[arg(long)]
    pub markdown: bool,
}

/// The catalogue as JSON: the notation, the entries, the claims not checked yet.
#[derive(Debug, Serialize)]
pub struct CatalogueJson<'a> {
    /// The notation paragraph, one line per entry.
    pub notation: &'a [&'a str],
    /// The selected claims' entries.
    pub claims: Vec<&'a ClaimEntry>,
    /// The paper's statements not checked yet, and why.
    pub unchecked: &'a [UncheckedClaim],
}

/// Resolves `--claims` (an error naming the known IDs for an unknown one).
pub fn selected(ids: Option<&[String]>) -> Result<Vec<&'static ClaimEntry>, CliError> {
    match ids {
        None => Ok(catalogue::CATALOGUE.iter().collect()),
        Some(ids) => ids
            .iter()
            .map(|s| {
                ClaimId::parse(s).map(catalogue::entry).ok_or_else(|| {
                    let known: Vec<String> = ClaimId::ALL.iter().map(|c| c.to_string()).collect();
                    let pending: Vec<&str> = UNCHECKED.iter().map(|u| u.id).collect();
                    let pending = if pending.is_empty() {
                        String::new()
                    } else {
                        format!(" (listed but not checked yet: {})", pending.join(","))
                    };
                    CliError::Usage(format!("unknown claim ID {s:?}: reluflow checks {}{pending}", known.join(",")))
                })
            })
            .collect(),
    }
}

/// Words of `text` wrapped to lines of at most `width` characters (a longer word gets a line of
/// its own), each prefixed by `indent`.
fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

/// The catalogue as text (what `reluflow claims` prints); `full` adds the notation and the claims
/// not checked yet.
pub fn text(entries: &[&ClaimEntry], full: bool) -> String {
    const WIDTH: usize = 100;
    let mut o = String::new();
    if full {
        let _ = writeln!(o, "The claims reluflow checks ({} claims; notation below)\n", entries.len());
    }
    for e in entries {
        let _ = writeln!(o, "{}  {}{}", e.id, e.reference, if e.heuristic { "  (heuristic statement)" } else { "" });
        if e.heuristic {
            o.push_str(&wrap(HEURISTIC_NOTE, "  ", WIDTH));
        }
        for (name, body) in
            [("statement", e.statement), ("checked", e.checked), ("tolerance", e.tolerance), ("evidence", e.evidence)]
        {
            let _ = writeln!(o, "  {name}:");
            o.push_str(&wrap(body, "    ", WIDTH));
        }
        let _ = writeln!(o, "  checks ({}):", e.tests);
        o.push_str(&wrap(&e.checks.join(", "), "    ", WIDTH));
        let _ = writeln!(o, "  negative controls:");
        for c in e.negative_controls {
            o.push_str(&wrap(&format!("{}: {}", c.test, c.breaks), "    ", WIDTH));
        }
        o.push('\n');
    }
    if full {
        let _ = writeln!(o, "Notation");
        for n in NOTATION {
            o.push_str(&wrap(&format!("- {n}"), "  ", WIDTH));
        }
        if !UNCHECKED.is_empty() {
            let _ = writeln!(o, "\nListed in the paper's claims but not checked yet");
        }
        for u in UNCHECKED {
            o.push_str(&wrap(&format!("{} ({}): {}", u.id, u.reference, u.statement), "  ", WIDTH));
        }
    }
    o
}

/// The catalogue as Markdown; with every entry and `full`, the text of `docs/claims.md`.
pub fn markdown(entries: &[&ClaimEntry], full: bool) -> String {
    let mut o = String::new();
    let line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    if full {
        let _ = writeln!(o, "# The claims reluflow checks\n");
        let _ = writeln!(
            o,
            "<!-- Generated from src/claims/catalogue/ by `{REGENERATE}`; do not edit by hand: \
             tests/claims_catalogue.rs fails when this file differs. -->\n"
        );
        let _ = writeln!(
            o,
            "Boursier, Pillaud-Vivien and Flammarion, *Gradient flow dynamics of shallow ReLU networks for square \
             loss and orthogonal inputs* (NeurIPS 2022). Each claim has an ID; tests \
             (`<id>_...`, `<id>_negative_control_<what breaks>`), `reluflow verify`, reports and snapshots name \
             claims by it, so that a failing test leads straight to the sentence of the paper it checks. For each \
             claim: what the paper states, the finite statement the check decides, where its tolerance comes from, \
             the evidence a verdict needs, the library functions that judge it (under `reluflow::claims`) and its \
             negative controls, tests in which the claim's check must fail.\n"
        );
        let _ = writeln!(o, "## Setting and notation\n");
        for n in NOTATION {
            let _ = writeln!(o, "- {}", line(n));
        }
        let _ = writeln!(o, "\n## Summary\n");
        let _ = writeln!(o, "| ID | paper | checked by | tests | negative controls |");
        let _ = writeln!(o, "|---|---|---|---|---|");
        for e in entries {
            let _ = writeln!(
                o,
                "| {}{} | {} | `{}` | `{}` | {} |",
                e.id,
                if e.heuristic { " (heuristic)" } else { "" },
                e.reference,
                e.checks[0],
                e.tests,
                e.negative_controls.len()
            );
        }
        o.push('\n');
    }
    for e in entries {
        let _ = writeln!(o, "## {}: {}\n", e.id, e.reference);
        if e.heuristic {
            let _ = writeln!(o, "**Heuristic statement.** {HEURISTIC_NOTE}\n");
        }
        let _ = writeln!(o, "**Statement.** {}\n", line(e.statement));
        let _ = writeln!(o, "**Finite statement checked.** {}\n", line(e.checked));
        let _ = writeln!(o, "**Tolerance.** {}\n", line(e.tolerance));
        let _ = writeln!(o, "**Evidence.** {}\n", line(e.evidence));
        let checks: Vec<String> = e.checks.iter().map(|c| format!("`{c}`")).collect();
        let _ = writeln!(o, "**Checked by** {} (tests: `{}`).\n", checks.join(", "), e.tests);
        let _ = writeln!(o, "**Negative controls:**\n");
        for c in e.negative_controls {
            let _ = writeln!(o, "- `{}`: {}", c.test, line(c.breaks));
        }
        o.push('\n');
    }
    if full && !UNCHECKED.is_empty() {
        let _ = writeln!(o, "## Listed in the paper's claims, not checked yet\n");
        let _ = writeln!(o, "| ID | where | statement |");
        let _ = writeln!(o, "|---|---|---|");
        for u in UNCHECKED {
            let cell = |s: &str| line(s).replace('|', "\\|");
            let _ = writeln!(o, "| {} | {} | {} |", u.id, cell(u.reference), cell(u.statement));
        }
    }
    o
}

/// `reluflow claims`: what it prints.
pub fn run(args: &ClaimsArgs) -> Result<String, CliError> {
    let entries = selected(args.claims.as_deref())?;
    let full = args.claims.is_none();
    Ok(if args.json {
        let json = CatalogueJson {
            notation: if full { NOTATION } else { &[] },
            claims: entries,
            unchecked: if full { UNCHECKED } else { &[] },
        };
        serde_json::to_string_pretty(&json).expect("the catalogue serialises") + "\n"
    } else if args.markdown {
        markdown(&entries, full)
    } else {
        text(&entries, full)
    })
}

//! `reluflow predict --sweep-n`: the measured law of issue 15 (item 3), the `lambda -> 0` limit's
//! squared norm over Proposition 1's minimum at `m = ceil(ln(n/0.05)/ln(4/3))` for growing `n`,
//! next to the gradient flow at the sizes it reaches ([`crate::experiments::jump_sweep`]).

use super::CliError;
use crate::experiments::jump_sweep::{SweepConfig, SweepRow, sweep};
use std::fmt::Write as _;
use std::io::IsTerminal as _;

/// Runs the sweep (a progress bar on stderr when it is a terminal) and formats the rows: a table,
/// or with `json` the rows as a JSON array.
pub fn run(cfg: &SweepConfig, json: bool) -> Result<String, CliError> {
    let total = cfg.sizes.len() as u64 * cfg.seeds;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(s) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} seeds  {elapsed} (eta {eta})") {
            bar.set_style(s);
        }
        bar
    });
    let rows = sweep(cfg, &|| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    })
    .map_err(|e| CliError::Usage(e.to_string()));
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let rows = rows?;
    if json {
        return Ok(serde_json::to_string_pretty(&rows).expect("the rows serialise") + "\n");
    }
    Ok(table(cfg, &rows))
}

fn optional(v: Option<f64>, width: usize) -> String {
    v.map_or_else(|| format!("{:>width$}", "-"), |v| format!("{v:>width$.4}"))
}

/// The rows as a table.
pub fn table(cfg: &SweepConfig, rows: &[SweepRow]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "the lambda -> 0 limit's |theta|^2 over Proposition 1's minimum; random orthonormal inputs, d = n, default \
         labels, m = ceil(ln(n/0.05)/ln(4/3)), {} seeds per n",
        cfg.seeds
    );
    let _ = writeln!(
        o,
        "ratio: over the interpolating seeds; interp: their fraction; P(cover): the exact probability (mean over the \
         seeds' labels)"
    );
    let flow = rows.iter().any(|r| r.simulated.is_some());
    let _ = write!(
        o,
        "{:>6} {:>4} {:>7} {:>9} {:>7} {:>8} {:>8} {:>8} {:>8}",
        "n", "m", "interp", "P(cover)", "events", "ratio", "std", "min", "max"
    );
    if flow {
        let _ = write!(o, " | {:>10} {:>13} {:>5}", "flow ratio", "|flow/lim-1|", "conv");
    }
    o.push('\n');
    for r in rows {
        let _ = write!(
            o,
            "{:>6} {:>4} {:>7.4} {:>9.4} {:>7.2} {} {} {} {}",
            r.n,
            r.m,
            r.interpolating_fraction,
            r.cover_probability,
            r.events_mean,
            optional(r.ratio_mean, 8),
            optional(r.ratio_std, 8),
            optional(r.ratio_min, 8),
            optional(r.ratio_max, 8)
        );
        if let Some(s) = &r.simulated {
            let converged = format!("{}/{}", s.converged, r.interpolating);
            let _ = write!(o, " | {:>10.4} {:>13.2e} {converged:>5}", s.ratio_mean, s.max_relative_gap);
        } else if flow {
            let _ = write!(o, " | {:>10} {:>13} {:>5}", "-", "-", "-");
        }
        o.push('\n');
    }
    if flow {
        let _ = writeln!(
            o,
            "flow: the gradient flow from the same initialisation at lambda = {:e} (n <= {}), final |theta|^2 over the \
             minimum; |flow/lim-1|: the largest relative gap to the limit norm; conv: runs ending with loss < 1e-10",
            cfg.lambda, cfg.simulate_up_to
        );
    }
    o
}

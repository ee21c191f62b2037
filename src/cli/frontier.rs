//! `reluflow frontier`: `lambda*` per `(n, m, seed)` cell by bisection on `ln(lambda)`
//! ([`crate::frontier`]), the fitted `m`-exponent per `n` and `n`-rate per `m`, optionally as
//! JSONL (one cell per line, written as each finishes), JSON and an SVG figure.

use super::CliError;
use crate::frontier::{self, FrontierCell, FrontierGrid, FrontierStatus, LineFit};
use clap::Args;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::sync::Mutex;

/// `frontier` flags.
#[derive(Debug, Clone, Args)]
pub struct FrontierArgs {
    /// Numbers of points n, comma-separated.
    #[arg(long = "n", value_delimiter = ',', default_value = "2,3,4", value_name = "N,..")]
    pub ns: Vec<usize>,
    /// Widths m, comma-separated.
    #[arg(long = "width", value_delimiter = ',', default_value = "8,16,32,64", value_name = "M,..")]
    pub widths: Vec<usize>,
    /// Seeds per (n, m): cell seeds 0..K (the data depend on (n, seed), the g_j on the width too).
    #[arg(long, default_value_t = 4, value_name = "K")]
    pub seeds: u64,
    /// The lambda range searched, LO:HI.
    #[arg(long, default_value = "1e-14:1e-1", value_name = "LO:HI")]
    pub lambda_range: String,
    /// Bisection resolution in natural-log units (the final bracket's ln-width is at most this).
    #[arg(long, default_value_t = 0.25, value_name = "R")]
    pub resolution: f64,
    /// Write one JSON record per cell to FILE, as each cell finishes.
    #[arg(long, value_name = "FILE")]
    pub jsonl: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Draw lambda* against m (log-log, with the paper's -1/2 slope) and against n to FILE (SVG).
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

/// A fit at fixed `n` or fixed `m`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FitRow {
    /// The fixed `n` (m-exponents) or `m` (n-rates).
    pub fixed: usize,
    /// The fit (`None` with fewer than 3 found cells or one x value).
    pub fit: Option<LineFit>,
}

/// What `reluflow frontier --json` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrontierReport {
    /// The grid.
    pub grid: FrontierGrid,
    /// Definition constants: `EXCESS_MAX`, `ZERO_LOSS_FRACTION`.
    pub excess_max: f64,
    /// See `excess_max`.
    pub zero_loss_fraction: f64,
    /// Every cell, in grid order.
    pub cells: Vec<FrontierCell>,
    /// The common `m`-exponent, one intercept per dataset `(n, seed)`
    /// ([`frontier::pooled_m_exponent`], what LS tests).
    pub m_exponent: Option<LineFit>,
    /// The `n`-rate of the dataset means over the widths ([`frontier::n_slope`], what LS tests).
    pub n_slope: Option<LineFit>,
    /// `ln lambda*` against `ln m`, per `n` (one intercept per dataset).
    pub m_exponents: Vec<FitRow>,
    /// `ln lambda*` against `n`, per `m` (descriptive: cells of one dataset share their data).
    pub n_rates: Vec<FitRow>,
    /// Wall time, seconds.
    pub wall_seconds: f64,
}

/// Parses `LO:HI`.
pub fn parse_range(text: &str) -> Result<(f64, f64), CliError> {
    let usage = || CliError::Usage(format!("--lambda-range {text:?}: give LO:HI with 0 < LO < HI, e.g. 1e-14:1e-1"));
    let (lo, hi) = text.split_once(':').ok_or_else(usage)?;
    let lo = super::simulate::parse_f64_flag(lo).map_err(CliError::Usage)?;
    let hi = super::simulate::parse_f64_flag(hi).map_err(CliError::Usage)?;
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Err(usage());
    }
    Ok((lo, hi))
}

/// The grid of the flags.
pub fn grid_of(args: &FrontierArgs) -> Result<FrontierGrid, CliError> {
    let (lo, hi) = parse_range(&args.lambda_range)?;
    if args.ns.is_empty() || args.ns.iter().any(|&n| n < 2) {
        return Err(CliError::Usage("--n: give numbers of points >= 2 (both label signs), e.g. --n 2,3,4".into()));
    }
    if args.widths.is_empty() || args.widths.contains(&0) {
        return Err(CliError::Usage("--width: give positive widths, e.g. --width 8,16,32".into()));
    }
    if args.seeds == 0 {
        return Err(CliError::Usage("--seeds 0: give at least one seed per cell".into()));
    }
    if !(args.resolution > 0.0 && args.resolution.is_finite()) {
        return Err(CliError::Usage(format!("--resolution {}: give a positive ln-width, e.g. 0.25", args.resolution)));
    }
    Ok(FrontierGrid {
        ns: args.ns.clone(),
        widths: args.widths.clone(),
        seeds: (0..args.seeds).collect(),
        lo,
        hi,
        resolution: args.resolution,
    })
}

/// The fits of `cells`: the `m`-exponent per `n`, the `n`-rate per `m`.
pub fn fits(grid: &FrontierGrid, cells: &[FrontierCell]) -> (Vec<FitRow>, Vec<FitRow>) {
    let m_rows = grid.ns.iter().map(|&n| FitRow { fixed: n, fit: frontier::m_exponent(cells, n) }).collect();
    let n_rows = grid.widths.iter().map(|&m| FitRow { fixed: m, fit: frontier::n_slope_at(cells, m) }).collect();
    (m_rows, n_rows)
}

/// Runs the grid with a progress bar (on a terminal) and the JSONL records.
pub fn run_report(args: &FrontierArgs) -> Result<FrontierReport, CliError> {
    let grid = grid_of(args)?;
    let started = std::time::Instant::now();
    let file = match &args.jsonl {
        Some(path) => Some(Mutex::new(std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| {
            CliError::File { action: "create", path: path.display().to_string(), reason: e.to_string() }
        })?))),
        None => None,
    };
    let write_failed = Mutex::new(None::<String>);
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(grid.cells().len() as u64);
        if let Ok(s) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} cells  {elapsed} (eta {eta})") {
            bar.set_style(s);
        }
        bar
    });
    let done = |cell: &FrontierCell| {
        if let Some(f) = &file {
            let line = serde_json::to_string(cell).expect("a cell serialises");
            let mut f = f.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = writeln!(f, "{line}").and_then(|()| f.flush()) {
                *write_failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
            }
        }
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let cells = frontier::run_grid(&grid, &done).map_err(|e| CliError::Usage(e.to_string()))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let (Some(reason), Some(path)) = (write_failed.into_inner().unwrap_or_else(|p| p.into_inner()), &args.jsonl) {
        return Err(CliError::File { action: "write", path: path.display().to_string(), reason });
    }
    let (m_exponents, n_rates) = fits(&grid, &cells);
    let (m_exponent, n_slope) = (frontier::pooled_m_exponent(&cells), frontier::n_slope(&cells, &grid.widths));
    Ok(FrontierReport {
        grid,
        excess_max: frontier::EXCESS_MAX,
        zero_loss_fraction: frontier::ZERO_LOSS_FRACTION,
        m_exponent,
        n_slope,
        cells,
        m_exponents,
        n_rates,
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

fn fit_text(fit: &Option<LineFit>) -> String {
    match fit {
        Some(f) => format!(
            "slope {:+.3} (95% CI [{:+.3}, {:+.3}], {} points), intercept {:+.3}",
            f.slope, f.slope_lo, f.slope_hi, f.points, f.intercept
        ),
        None => "no fit (too few cells with lambda* found)".into(),
    }
}

/// The report as text: one line per cell, then the fits.
pub fn table(report: &FrontierReport) -> String {
    let g = &report.grid;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "reluflow frontier: {} cells, lambda in [{:.1e}, {:.1e}], resolution {} (ln units), EXCESS_MAX {}",
        report.cells.len(),
        g.lo,
        g.hi,
        g.resolution,
        report.excess_max
    );
    let _ = writeln!(
        o,
        "{:>3} {:>5} {:>5} {:>6} {:>11} {:>25} {:>6}  status",
        "n", "m", "seed", "r", "lambda*", "bracket [shows, fails]", "probes"
    );
    for c in &report.cells {
        let r = c.ratio.map_or("-".into(), |r| format!("{r:.3}"));
        let (star, bracket, probes, status) = match &c.bisection {
            Some(b) => (
                b.lambda_star.map_or("-".into(), |l| format!("{l:.3e}")),
                format!(
                    "[{}, {}]",
                    b.shows_at.map_or("-".into(), |l| format!("{l:.3e}")),
                    b.fails_at.map_or("-".into(), |l| format!("{l:.3e}"))
                ),
                b.probes.len().to_string(),
                match b.status {
                    FrontierStatus::Found => "found".to_string(),
                    FrontierStatus::NoneShows => "none shows (lambda* < lo: contradicts monotonicity)".to_string(),
                    FrontierStatus::AllShow => "all show (lambda* >= hi)".to_string(),
                },
            ),
            None => ("-".into(), "-".into(), "0".into(), c.error.clone().unwrap_or_default()),
        };
        let _ =
            writeln!(o, "{:>3} {:>5} {:>5} {r:>6} {star:>11} {bracket:>25} {probes:>6}  {status}", c.n, c.m, c.seed);
    }
    let _ = writeln!(o, "m-exponent, ln lambda* against ln m, one intercept per dataset (n, seed) (paper: -1/2):");
    let _ = writeln!(o, "  all n    {}", fit_text(&report.m_exponent));
    for row in &report.m_exponents {
        let _ = writeln!(o, "  n = {:<4} {}", row.fixed, fit_text(&row.fit));
    }
    let _ = writeln!(
        o,
        "n-rate, mean of ln lambda* over the widths per dataset against n (paper: exponentially decreasing, < 0):"
    );
    let _ = writeln!(o, "  datasets {}", fit_text(&report.n_slope));
    let _ = writeln!(o, "n-rate at each width (descriptive; the widths of a dataset share its data):");
    for row in &report.n_rates {
        let _ = writeln!(o, "  m = {:<4} {}", row.fixed, fit_text(&row.fit));
    }
    let _ = writeln!(o, "wall time {:.1} s", report.wall_seconds);
    o
}

/// `reluflow frontier`.
pub fn run(args: &FrontierArgs) -> Result<String, CliError> {
    let report = run_report(args)?;
    if let Some(path) = &args.svg {
        let svg = crate::plot::frontier_svg(&report.cells, &report.m_exponents_fits(), &report.n_rates_fits())
            .map_err(|e| CliError::Usage(e.to_string()))?;
        super::errors::write_file(path, svg)?;
    }
    Ok(if args.json {
        serde_json::to_string_pretty(&report).expect("a report serialises") + "\n"
    } else {
        table(&report)
    })
}

impl FrontierReport {
    /// The `m`-exponent fits as `(n, fit)` pairs (the figure's lines).
    pub fn m_exponents_fits(&self) -> Vec<(usize, LineFit)> {
        self.m_exponents.iter().filter_map(|r| r.fit.map(|f| (r.fixed, f))).collect()
    }
    /// The `n`-rate fits as `(m, fit)` pairs.
    pub fn n_rates_fits(&self) -> Vec<(usize, LineFit)> {
        self.n_rates.iter().filter_map(|r| r.fit.map(|f| (r.fixed, f))).collect()
    }
}

//! `reluflow plot FILE.jsonl`: a sweep's records as an SVG heatmap (`--x`, `--y`, `--z`) or as
//! lines (`--lines`: z against x, one line per y value, with a band over the seeds).

use super::CliError;
use crate::plot::{Band, sweep_heatmap_svg, sweep_lines_svg};
use crate::sweep::{Filter, Parameter, Quantity, aggregate, read_records};
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;

/// `plot` flags.
#[derive(Debug, Clone, Args)]
pub struct PlotArgs {
    /// The sweep's records (`reluflow sweep --jsonl FILE`).
    #[arg(value_name = "FILE.jsonl")]
    pub file: PathBuf,
    /// The x parameter: lambda, m, n, d, extra_dims, r, delta, init.
    #[arg(long, default_value = "lambda", value_name = "PARAM")]
    pub x: String,
    /// The y parameter (heatmap rows; with `--lines`, one line per value).
    #[arg(long, default_value = "n", value_name = "PARAM")]
    pub y: String,
    /// The quantity: final_loss, norm_excess, plateaus, fact_1_plateau, fit_plus_over_ln,
    /// fit_minus_over_ln, active_neurons, wall_seconds, measured_coherence, or a claim ID
    /// checked by the sweep (`--z T1`: the fraction of seeds where it held, among those with
    /// evidence).
    #[arg(long, default_value = "norm_excess", value_name = "QUANTITY")]
    pub z: String,
    /// Keep only the records with PARAM = VALUE (repeatable), e.g. `--where m=32`.
    #[arg(long = "where", value_name = "PARAM=VALUE")]
    pub filters: Vec<String>,
    /// Draw lines (z against x, one per y value) instead of a heatmap.
    #[arg(long)]
    pub lines: bool,
    /// With `--lines`: the band over the seeds, `sd` (mean +- 1 standard deviation) or `minmax`.
    #[arg(long, default_value = "sd", value_name = "BAND")]
    pub band: String,
    /// Force a linear (`linear`) or log (`log`) colour scale / y axis; default: log for
    /// quantities spanning decades (final loss, norm excess, wall time) when their values allow.
    #[arg(long, value_name = "SCALE")]
    pub scale: Option<String>,
    /// The figure's title (default: the quantity over the two parameters).
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Where to write the SVG (default: FILE with `.<z>.svg`).
    #[arg(long, short, value_name = "FILE.svg")]
    pub output: Option<PathBuf>,
}

/// `reluflow plot`: writes the SVG and says where, with what it shows.
pub fn run(args: &PlotArgs) -> Result<String, CliError> {
    let x = Parameter::parse(&args.x)?;
    let y = Parameter::parse(&args.y)?;
    let z = Quantity::parse(&args.z)?;
    let filters = args.filters.iter().map(|f| Filter::parse(f)).collect::<Result<Vec<_>, _>>()?;
    let log = match args.scale.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("log") => Some(true),
        Some("linear") => Some(false),
        Some(other) => return Err(CliError::Usage(format!("--scale {other:?}: give log or linear"))),
    };
    let records = read_records(&args.file)?;
    let agg = aggregate(&records, x, y, &z, &filters)?;
    let svg = if args.lines {
        let band = match args.band.to_ascii_lowercase().as_str() {
            "sd" => Band::StandardDeviation,
            "minmax" | "min-max" => Band::MinMax,
            other => return Err(CliError::Usage(format!("--band {other:?}: give sd or minmax"))),
        };
        sweep_lines_svg(&agg, args.title.as_deref(), band, log)?
    } else {
        sweep_heatmap_svg(&agg, args.title.as_deref(), log)?
    };
    let out = args.output.clone().unwrap_or_else(|| {
        let kind = if args.lines { "lines" } else { "heatmap" };
        args.file.with_extension(format!("{}.{kind}.svg", z.name()))
    });
    super::errors::write_file(&out, svg)?;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "wrote {}: {} over {} x {} ({} x {} cells, {} records{})",
        out.display(),
        z.name(),
        x.name(),
        y.name(),
        agg.xs.len(),
        agg.ys.len(),
        agg.records,
        if agg.duplicates > 0 { format!(", {} repeated records left out", agg.duplicates) } else { String::new() }
    );
    Ok(o)
}

//! `reluflow plot --lines`: a quantity against a grid parameter, one line per value of another.

use super::PlotError;
use crate::sweep::Aggregate;

/// The band drawn around each line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    /// Mean +- one sample standard deviation over the seeds.
    StandardDeviation,
    /// From the smallest to the largest value over the seeds.
    MinMax,
}

/// The SVG of `agg`'s quantity against its x parameter, one line per y value.
pub fn sweep_lines_svg(
    agg: &Aggregate,
    title: Option<&str>,
    band: Band,
    log: Option<bool>,
) -> Result<String, PlotError> {
    let _ = (agg, title, band, log);
    Err(PlotError("todo".into()))
}

//! `reluflow plot`: a heatmap of a quantity over two grid parameters.

use super::PlotError;
use crate::sweep::Aggregate;

/// The SVG heatmap of `agg`.
pub fn sweep_heatmap_svg(agg: &Aggregate, title: Option<&str>, log: Option<bool>) -> Result<String, PlotError> {
    let _ = (agg, title, log);
    Err(PlotError("todo".into()))
}

//! `reluflow plot --lines`: a quantity against a grid parameter, one line per value of another,
//! each the mean over the seeds with a band (`+-1` standard deviation, or min to max).
//!
//! The x axis is that of the parameter (log for `lambda`, `delta`; log2 values for `m`); the y
//! axis is log for quantities spanning decades when every plotted value is positive (a band
//! reaching 0 or below is cut at the axis floor, as the caption says), linear otherwise.

use super::heatmap::{AxisCells, caption_of, captioned_figure, linear_ticks, value_label};
use super::{Marker, PlotError, TICK_SIZE, chart_on, decade_ticks, draw_legend, draw_text, err, styled_mesh};
use crate::sweep::{Aggregate, AxisScale};
use plotters::coord::combinators::IntoLogRange;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

/// The band drawn around each line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    /// Mean +- one sample standard deviation over the seeds.
    StandardDeviation,
    /// From the smallest to the largest value over the seeds.
    MinMax,
}

/// Distinct colours of the lines (Tableau 10).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// One line: `(x coordinate, mean, band low, band high)` per x value with a value.
type Series = Vec<(f64, f64, f64, f64)>;

/// The SVG of `agg`'s quantity against its x parameter, one line per y value (`log`: force the
/// y axis to log or linear; `None`: chosen from the quantity and its values).
pub fn sweep_lines_svg(
    agg: &Aggregate,
    title: Option<&str>,
    band: Band,
    log: Option<bool>,
) -> Result<String, PlotError> {
    let x_axis = AxisCells::of(agg.x, &agg.xs);
    let coordinate = |ix: usize| (x_axis.edges[ix].0 + x_axis.edges[ix].1) / 2.0;
    let series: Vec<(f64, Series)> = agg
        .ys
        .iter()
        .enumerate()
        .map(|(iy, &yv)| {
            let points = (0..agg.xs.len())
                .filter_map(|ix| {
                    let c = agg.cell(ix, iy);
                    let mean = c.mean()?;
                    let (lo, hi) = match band {
                        Band::StandardDeviation => {
                            let sd = c.sd().unwrap_or(0.0);
                            (mean - sd, mean + sd)
                        }
                        Band::MinMax => (c.min().unwrap_or(mean), c.max().unwrap_or(mean)),
                    };
                    Some((coordinate(ix), mean, lo, hi))
                })
                .collect();
            (yv, points)
        })
        .collect();
    let values: Vec<f64> = series.iter().flat_map(|(_, s)| s.iter().flat_map(|p| [p.1, p.2, p.3])).collect();
    let means: Vec<f64> = series.iter().flat_map(|(_, s)| s.iter().map(|p| p.1)).collect();
    let positive: Vec<f64> = means.iter().copied().filter(|v| *v > 0.0).collect();
    let (p_lo, p_hi) =
        (positive.iter().copied().fold(f64::INFINITY, f64::min), positive.iter().copied().fold(0.0, f64::max));
    let use_log = !positive.is_empty() && log.unwrap_or(agg.z.spans_decades() && p_hi >= 10.0 * p_lo);
    let dropped = use_log && positive.len() < means.len();
    let (y_lo, y_hi) = if use_log {
        // the floor from the means (a band reaching towards 0 is cut there)
        let hi = values.iter().copied().fold(p_hi, f64::max);
        let (lo, hi) = (10f64.powf(p_lo.log10().floor()), 10f64.powf(hi.log10().ceil()));
        (lo, if hi > lo { hi } else { lo * 10.0 })
    } else if agg.z.is_fraction() {
        (-0.05, 1.05)
    } else {
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = if hi > lo { (hi - lo) * 0.08 } else { lo.abs().max(1.0) * 0.1 };
        (lo - pad, hi + pad)
    };
    let legend: Vec<(Marker, String)> = series
        .iter()
        .enumerate()
        .map(|(i, (yv, _))| {
            (Marker::Line(PALETTE[i % PALETTE.len()].to_rgba(), 2), format!("{} = {}", agg.y.name(), agg.y.label(*yv)))
        })
        .collect();
    let mut caption = caption_of(agg, "Lines: the mean");
    caption.push(format!(
        "Bands: {}{}.",
        match band {
            Band::StandardDeviation => "mean +- 1 standard deviation over the seeds",
            Band::MinMax => "smallest to largest value over the seeds",
        },
        if use_log && values.iter().any(|v| *v < y_lo) { " (cut at the axis floor)" } else { "" }
    ));
    if dropped {
        caption.push("Means <= 0 (e.g. a norm excess at the final loss's resolution) have no place on the log axis: their points are left out.".into());
    }
    let default_title = format!("{} against {}, one line per {}", agg.z.description(), agg.x.name(), agg.y.name());
    let title = title.unwrap_or(&default_title);
    let width = 820u32;
    // the legend sits under the caption, above the chart
    let legend_height = {
        let mut scratch = String::new();
        let area = SVGBackend::with_string(&mut scratch, (width, 400)).into_drawing_area();
        draw_legend(&area, &legend, 16, width as i32 - 16, 0)?.y1 + 8
    };
    let chart_height = 420u32;
    let x_range = x_axis.range;
    let x_desc = match (x_axis.true_positions, x_axis.scale) {
        (true, AxisScale::Log10) => format!("{} (log scale)", agg.x.description()),
        (true, AxisScale::Log2) => format!("{} (log2 scale)", agg.x.description()),
        (false, _) => format!("{} (evenly spaced values)", agg.x.description()),
        _ => agg.x.description().to_string(),
    };
    let x_labels: Vec<(f64, String)> = if x_axis.true_positions && x_axis.scale == AxisScale::Log10 {
        decade_ticks(10f64.powf(x_range.0), 10f64.powf(x_range.1), 9)
            .0
            .iter()
            .map(|v| (v.log10(), format!("1e{}", v.log10().round() as i32)))
            .collect()
    } else {
        agg.xs.iter().enumerate().map(|(i, v)| (coordinate(i), agg.x.label(*v))).collect()
    };
    let x_label_of =
        move |t: &f64| x_labels.iter().find(|(c, _)| (c - t).abs() < 1e-9).map(|(_, l)| l.clone()).unwrap_or_default();
    let x_keys: Vec<f64> = if x_axis.true_positions && x_axis.scale == AxisScale::Log10 {
        decade_ticks(10f64.powf(x_range.0), 10f64.powf(x_range.1), 9).0.iter().map(|v| v.log10()).collect()
    } else {
        (0..agg.xs.len()).map(coordinate).collect()
    };
    let y_desc = agg.z.description();
    captioned_figure(width, legend_height as u32 + chart_height, title, &caption, |area| {
        draw_legend(area, &legend, 16, width as i32 - 16, 0)?;
        let (_, chart_area) = area.split_vertically(legend_height);
        if use_log {
            let (bold, light) = decade_ticks(y_lo, y_hi, 10);
            let y = (y_lo..y_hi).log_scale().with_key_points(bold).with_light_points(light);
            let x = x_range.0..x_range.1;
            let mut chart = chart_on(&chart_area, None, Some(40), x, y)?;
            styled_mesh(&mut chart, &x_desc, &y_desc)
                .x_labels(0)
                .y_label_formatter(&|v| format!("1e{}", v.log10().round() as i32))
                .draw()
                .map_err(err)?;
            draw_x_ticks(&chart, &chart_area, &x_keys, &x_label_of, y_lo)?;
            // a mean <= 0 has no place on the log axis; a band is cut at the axis' ends
            draw_bands(&mut chart, &series, |p| p.1 > 0.0, |v| v.clamp(y_lo, y_hi))?;
        } else {
            let y = y_lo..y_hi;
            let x = x_range.0..x_range.1;
            let mut chart = chart_on(&chart_area, None, Some(40), x, y)?;
            styled_mesh(&mut chart, &x_desc, &y_desc)
                .x_labels(0)
                .y_labels(linear_ticks(y_lo, y_hi, 8).len().max(2))
                .light_line_style(WHITE)
                .y_label_formatter(&|v| value_label(*v))
                .draw()
                .map_err(err)?;
            draw_x_ticks(&chart, &chart_area, &x_keys, &x_label_of, y_lo)?;
            draw_bands(&mut chart, &series, |_| true, |v| v)?;
        }
        Ok(())
    })
}

/// A chart of [`sweep_lines_svg`]: x linear in its coordinate, y log or linear.
type LinesChart<'a, 'b, Y> = super::Chart<'a, 'b, plotters::coord::types::RangedCoordf64, Y>;

/// The x ticks, drawn by hand under the axis (a 5-pixel tick and its label at each key): the
/// keys are the grid's values, not plotters' round numbers.
fn draw_x_ticks<Y: Ranged<ValueType = f64>>(
    chart: &LinesChart<'_, '_, Y>,
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    keys: &[f64],
    label_of: &impl Fn(&f64) -> String,
    y_lo: f64,
) -> Result<(), PlotError> {
    let base = area.get_base_pixel();
    for t in keys {
        let (px, py) = chart.backend_coord(&(*t, y_lo));
        let (px, py) = (px - base.0, py - base.1);
        area.draw(&PathElement::new(vec![(px, py), (px, py + 5)], BLACK)).map_err(err)?;
        draw_text(area, &label_of(t), (px, py + 14), TICK_SIZE, BLACK.to_rgba(), HPos::Center)?;
    }
    Ok(())
}

/// Each series as its band (a translucent polygon from `low` to `high`, through `clamp`), its
/// mean line and its points, over the points `keep` retains.
fn draw_bands<Y: Ranged<ValueType = f64>>(
    chart: &mut LinesChart<'_, '_, Y>,
    series: &[(f64, Series)],
    keep: impl Fn(&(f64, f64, f64, f64)) -> bool,
    clamp: impl Fn(f64) -> f64,
) -> Result<(), PlotError> {
    for (i, (_, s)) in series.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        let kept: Vec<&(f64, f64, f64, f64)> = s.iter().filter(|p| keep(p)).collect();
        let mut polygon: Vec<(f64, f64)> = kept.iter().map(|p| (p.0, clamp(p.3))).collect();
        polygon.extend(kept.iter().rev().map(|p| (p.0, clamp(p.2))));
        chart.draw_series(std::iter::once(Polygon::new(polygon, c.mix(0.18).filled()))).map_err(err)?;
        chart.draw_series(LineSeries::new(kept.iter().map(|p| (p.0, p.1)), c.stroke_width(2))).map_err(err)?;
        chart.draw_series(kept.iter().map(|p| Circle::new((p.0, p.1), 3, c.filled()))).map_err(err)?;
    }
    Ok(())
}

//! `reluflow plot`: a heatmap of a quantity over two grid parameters, the mean over the seeds
//! of each cell, with a labelled colour bar.
//!
//! Axes: a parameter that is a scale sits on its log axis (`lambda`, `delta`: log10, labelled at
//! the decades; `m`: log2, labelled at each width), the others on a linear axis labelled at each
//! value; each cell spans halfway to its neighbours, so unevenly spaced values keep their true
//! positions. Colours: viridis; a fixed `[0, 1]` scale for fractions (claims held, Fact 1's
//! plateau), a log scale for quantities spanning decades (final loss, norm excess, wall time)
//! when their positive means span at least a decade, linear otherwise. Every cell has its mean
//! written in it (where it fits), and the caption says over how many seeds.

use super::{
    Area, FONT, PlotError, TEXT_SIZE, TICK_SIZE, decade_ticks, draw_header, draw_text, err, font_px, width_at,
};
use crate::sweep::{Aggregate, AxisScale, Parameter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// Viridis at 9 evenly spaced stops (matplotlib's colour map).
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// The colour at `t` in `[0, 1]` (clamped).
pub(crate) fn viridis(t: f64) -> RGBColor {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let s = t * (VIRIDIS.len() - 1) as f64;
    let i = (s.floor() as usize).min(VIRIDIS.len() - 2);
    let f = s - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + f * (f64::from(b) - f64::from(a))).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Grey of the cells without a value.
const NO_VALUE: RGBColor = RGBColor(222, 222, 222);

/// How values map to `[0, 1]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ColourScale {
    /// `(v - lo) / (hi - lo)`.
    Linear { lo: f64, hi: f64 },
    /// `log(v / lo) / log(hi / lo)`; values at or below 0 map to 0.
    Log { lo: f64, hi: f64 },
}

impl ColourScale {
    /// The scale of `means` for `agg`'s quantity (`log`: forced on or off, `None`: by the
    /// quantity and the values).
    pub(crate) fn of(agg: &Aggregate, means: &[f64], log: Option<bool>) -> Self {
        if agg.z.is_fraction() && log != Some(true) {
            return ColourScale::Linear { lo: 0.0, hi: 1.0 };
        }
        let positive: Vec<f64> = means.iter().copied().filter(|v| *v > 0.0).collect();
        let (plo, phi) =
            (positive.iter().copied().fold(f64::INFINITY, f64::min), positive.iter().copied().fold(0.0, f64::max));
        let wants_log = log.unwrap_or(agg.z.spans_decades() && !positive.is_empty() && phi >= 10.0 * plo);
        if wants_log && !positive.is_empty() {
            let lo = 10f64.powf(plo.log10().floor());
            let mut hi = 10f64.powf(phi.log10().ceil());
            if hi <= lo {
                hi = lo * 10.0;
            }
            return ColourScale::Log { lo, hi };
        }
        let lo = means.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !(lo.is_finite() && hi.is_finite()) {
            return ColourScale::Linear { lo: 0.0, hi: 1.0 };
        }
        if hi > lo {
            let (lo, hi) = nice_range(lo, hi);
            ColourScale::Linear { lo, hi }
        } else {
            let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            ColourScale::Linear { lo: lo - pad, hi: hi + pad }
        }
    }

    /// `v` on `[0, 1]`.
    pub(crate) fn unit(&self, v: f64) -> f64 {
        match *self {
            ColourScale::Linear { lo, hi } => (v - lo) / (hi - lo),
            ColourScale::Log { lo, hi } if v > 0.0 => (v / lo).ln() / (hi / lo).ln(),
            ColourScale::Log { .. } => 0.0,
        }
    }

    /// The labelled ticks of the colour bar.
    pub(crate) fn ticks(&self) -> Vec<f64> {
        match *self {
            ColourScale::Linear { lo, hi } => linear_ticks(lo, hi, 6),
            ColourScale::Log { lo, hi } => decade_ticks(lo, hi, 8).0,
        }
    }
}

/// `[lo, hi]` widened to multiples of a 1-2-5 step.
fn nice_range(lo: f64, hi: f64) -> (f64, f64) {
    let step = nice_step((hi - lo) / 5.0);
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

fn nice_step(raw: f64) -> f64 {
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].into_iter().map(|m| m * p).find(|s| *s >= raw).unwrap_or(10.0 * p)
}

/// Ticks on a 1-2-5 step inside `[lo, hi]`, at most about `max` of them.
pub(crate) fn linear_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if !(hi > lo) {
        return vec![lo];
    }
    let step = nice_step((hi - lo) / (max.max(2) - 1) as f64);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).map(|v| if v.abs() < step * 1e-9 { 0.0 } else { v }).collect()
}

/// A value as written in a cell or on a colour bar: 2 significant digits (3 for the range
/// 0.01 to 1000), fixed point or exponent.
pub(crate) fn value_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (0.01..1000.0).contains(&a) {
        let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
    } else {
        let s = format!("{v:.1e}");
        s.replace(".0e", "e")
    }
}

/// Positions of `values` on an axis of `scale`: the transformed coordinate of each value and
/// each cell's `(lo, hi)` edges (halfway to the neighbours); `None` for the transform when a
/// value cannot be transformed (e.g. `delta = 0` on a log axis): the cells are then evenly spaced.
pub(crate) struct AxisCells {
    /// The transform used (`Linear` when the values are evenly spaced by index instead).
    pub scale: AxisScale,
    /// Whether cells sit at their transformed values (else at their index).
    pub true_positions: bool,
    /// `(lo, hi)` per value, in the axis coordinate.
    pub edges: Vec<(f64, f64)>,
    /// The axis range.
    pub range: (f64, f64),
}

pub(crate) fn transform(scale: AxisScale, v: f64) -> Option<f64> {
    match scale {
        AxisScale::Linear => Some(v),
        AxisScale::Log10 if v > 0.0 => Some(v.log10()),
        AxisScale::Log2 if v > 0.0 => Some(v.log2()),
        _ => None,
    }
}

impl AxisCells {
    pub(crate) fn of(parameter: Parameter, values: &[f64]) -> Self {
        let scale = parameter.scale();
        let transformed: Option<Vec<f64>> = values.iter().map(|&v| transform(scale, v)).collect();
        let (true_positions, t) = match transformed {
            Some(t) => (true, t),
            None => (false, (0..values.len()).map(|i| i as f64).collect()),
        };
        let k = t.len();
        let gap = |i: usize| if k > 1 { (t[i.min(k - 2) + 1] - t[i.min(k - 2)]).abs() } else { 1.0 };
        let edges: Vec<(f64, f64)> = (0..k)
            .map(|i| {
                let lo = if i == 0 { t[0] - gap(0) / 2.0 } else { (t[i - 1] + t[i]) / 2.0 };
                let hi = if i + 1 == k { t[i] + gap(k.saturating_sub(2)) / 2.0 } else { (t[i] + t[i + 1]) / 2.0 };
                (lo, hi)
            })
            .collect();
        let range = (edges.first().map_or(0.0, |e| e.0), edges.last().map_or(1.0, |e| e.1));
        Self { scale: if true_positions { scale } else { AxisScale::Linear }, true_positions, edges, range }
    }

    /// The pixel of axis coordinate `t` on `[p0, p1]`.
    fn pixel(&self, t: f64, p0: i32, p1: i32) -> i32 {
        let (a, b) = self.range;
        let f = if b > a { (t - a) / (b - a) } else { 0.5 };
        (f64::from(p0) + f * f64::from(p1 - p0)).round() as i32
    }

    /// Unlabelled ticks of a log10 axis: the decades between the labelled ones.
    fn minor_ticks(&self) -> Vec<f64> {
        if self.true_positions && self.scale == AxisScale::Log10 {
            let (_, light) = decade_ticks(10f64.powf(self.range.0), 10f64.powf(self.range.1), 9);
            return light.iter().map(|v| v.log10()).collect();
        }
        Vec::new()
    }

    /// Labelled ticks: `(axis coordinate, label)`. Log10 axes at the decades inside the range
    /// (at the cells when none is), the others at each cell.
    fn ticks(&self, parameter: Parameter, values: &[f64]) -> Vec<(f64, String)> {
        if self.true_positions && self.scale == AxisScale::Log10 {
            let (lo, hi) = (10f64.powf(self.range.0), 10f64.powf(self.range.1));
            let (bold, _) = decade_ticks(lo, hi, 9);
            if bold.len() >= 2 {
                return bold.iter().map(|&v| (v.log10(), format!("1e{}", v.log10().round() as i32))).collect();
            }
        }
        values.iter().zip(&self.edges).map(|(&v, e)| ((e.0 + e.1) / 2.0, parameter.label(v))).collect()
    }
}

/// A figure `width` wide with a title and a wrapped caption above a chart area `chart_height`
/// high: `draw` gets that area.
pub(crate) fn captioned_figure(
    width: u32,
    chart_height: u32,
    title: &str,
    caption: &[String],
    draw: impl FnOnce(&Area) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    let header = {
        let mut scratch = String::new();
        let area = SVGBackend::with_string(&mut scratch, (width, 400)).into_drawing_area();
        draw_header(&area, width as i32, title, caption)? + 4
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, header as u32 + chart_height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw_header(&root, width as i32, title, caption)?;
        let (_, lower) = root.split_vertically(header);
        draw(&lower)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Text drawn upright-rotated (reading bottom to top), centred on `pos`.
pub(crate) fn draw_vertical(area: &Area, text: &str, pos: (i32, i32), size: f64) -> Result<(), PlotError> {
    let style = super::style(size, BLACK.to_rgba(), HPos::Center, VPos::Center).transform(FontTransform::Rotate270);
    area.draw(&Text::new(text.to_string(), pos, style)).map_err(err)
}

/// The caption lines shared by the heatmap and the lines: fixed parameters, seeds.
pub(crate) fn caption_of(agg: &Aggregate, per_cell: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let fixed = if agg.fixed.is_empty() { String::new() } else { format!("{}; ", agg.fixed.join(", ")) };
    let seeds = match agg.uniform_records() {
        Some(k) => format!("{per_cell} over {k} seed{} per cell", if k == 1 { "" } else { "s" }),
        None => format!("{per_cell} over the seeds of each cell (their number in brackets)"),
    };
    lines.push(format!("{fixed}{} records.", agg.records));
    lines.push(format!("{seeds}."));
    // a log10 axis is labelled at the decades: name the values of its cells
    for (p, values) in [(agg.x, &agg.xs), (agg.y, &agg.ys)] {
        if p.scale() == AxisScale::Log10 && values.len() > 1 {
            let listed: Vec<String> = values.iter().map(|v| p.label(*v)).collect();
            lines.push(format!("{} of the cells: {}.", p.name(), listed.join(", ")));
        }
    }
    lines
}

const AXIS_LABEL_SIZE: f64 = 14.0;
const BAR_WIDTH: i32 = 18;

/// The SVG heatmap of `agg` (`log`: force the colour scale to log or linear; `None`: chosen from
/// the quantity and its values).
pub fn sweep_heatmap_svg(agg: &Aggregate, title: Option<&str>, log: Option<bool>) -> Result<String, PlotError> {
    let (nx, ny) = (agg.xs.len(), agg.ys.len());
    let means: Vec<Option<f64>> = agg.cells.iter().map(|c| c.mean()).collect();
    let present: Vec<f64> = means.iter().flatten().copied().collect();
    let scale = ColourScale::of(agg, &present, log);
    let x_axis = AxisCells::of(agg.x, &agg.xs);
    let y_axis = AxisCells::of(agg.y, &agg.ys);
    let cell_w = (640 / nx.max(1) as i32).clamp(44, 96);
    let cell_h = (360 / ny.max(1) as i32).clamp(30, 64);
    let (pw, ph) = (cell_w * nx as i32, cell_h * ny as i32);
    let y_ticks = y_axis.ticks(agg.y, &agg.ys);
    let x_ticks = x_axis.ticks(agg.x, &agg.xs);
    let y_tick_w = y_ticks.iter().map(|(_, l)| width_at(l, TICK_SIZE).ceil() as i32).max().unwrap_or(0);
    let axis_label_h = font_px(AXIS_LABEL_SIZE).ceil() as i32;
    let x0 = 16 + axis_label_h + 10 + y_tick_w + 8;
    let y0 = 8;
    let bar_ticks = scale.ticks();
    let below_floor = present.iter().any(|&v| matches!(scale, ColourScale::Log { lo, .. } if v < lo));
    let bar_label = |v: f64| match scale {
        ColourScale::Log { .. } => format!("1e{}", v.log10().round() as i32),
        ColourScale::Linear { .. } => value_label(v),
    };
    let mut bar_labels: Vec<(f64, String)> = bar_ticks.iter().map(|&v| (v, bar_label(v))).collect();
    if below_floor {
        if let Some(first) = bar_labels.first_mut() {
            first.1 = format!("<= {}", first.1);
        }
    }
    let bar_tick_w = bar_labels.iter().map(|(_, l)| width_at(l, TICK_SIZE).ceil() as i32).max().unwrap_or(0);
    let bar_x0 = x0 + pw + 28;
    let width = (bar_x0 + BAR_WIDTH + 6 + bar_tick_w + 10 + axis_label_h + 16).max(360) as u32;
    let height = (y0 + ph + 8 + 18 + 10 + axis_label_h + 12) as u32;
    let mut caption = caption_of(agg, "Colour: the mean");
    if let crate::sweep::Quantity::Claim(id) = &agg.z {
        caption.push(format!(
            "Each cell: seeds where {id} held / seeds with evidence (checked, not skipped or vacuous); colour: that fraction."
        ));
    } else if agg.z.is_fraction() {
        caption.push("Each cell: seeds with Fact 1's plateau / seeds with a run; colour: that fraction.".into());
    }
    let uniform = agg.uniform_records().is_some();
    caption.push(match (&agg.z, scale) {
        (z, _) if z.is_fraction() => {
            "Colour scale: linear, 0 to 1; grey cells (n/e): no evidence (every seed skipped or vacuous).".to_string()
        }
        (_, ColourScale::Log { .. }) => format!(
            "Colour scale: log{}; grey cells: no value.",
            if below_floor {
                ", cells at or below the bottom decade (including means <= 0) take its colour"
            } else {
                ""
            }
        ),
        _ => "Colour scale: linear; grey cells: no value.".to_string(),
    });
    let default_title = format!("{} over {} and {}", agg.z.description(), agg.x.name(), agg.y.name());
    let title = title.unwrap_or(&default_title);
    captioned_figure(width, height, title, &caption, |area| {
        // cells
        let text_px = font_px(TEXT_SIZE);
        for iy in 0..ny {
            for ix in 0..nx {
                let cell = agg.cell(ix, iy);
                let (ex, ey) = (x_axis.edges[ix], y_axis.edges[iy]);
                let (px0, px1) = (x_axis.pixel(ex.0, x0, x0 + pw), x_axis.pixel(ex.1, x0, x0 + pw));
                // y grows upward: the first value at the bottom
                let (py1, py0) = (y_axis.pixel(ey.0, y0 + ph, y0), y_axis.pixel(ey.1, y0 + ph, y0));
                let mean = cell.mean();
                let fill = match mean {
                    Some(v) => viridis(scale.unit(v)),
                    None => NO_VALUE,
                };
                area.draw(&Rectangle::new([(px0, py0), (px1, py1)], fill.filled())).map_err(err)?;
                area.draw(&Rectangle::new([(px0, py0), (px1, py1)], WHITE.stroke_width(1))).map_err(err)?;
                let ink = match mean {
                    Some(v) if scale.unit(v) < 0.6 => WHITE.to_rgba(),
                    _ => BLACK.to_rgba(),
                };
                let text = match mean {
                    // a fraction: the count of seeds it is made of
                    Some(_) if agg.z.is_fraction() => {
                        format!("{}/{}", cell.values.iter().filter(|v| **v > 0.5).count(), cell.values.len())
                    }
                    Some(v) => value_label(v),
                    None if agg.z.is_fraction() => "n/e".to_string(),
                    None if cell.records == 0 => String::new(),
                    None => "-".to_string(),
                };
                let centre = ((px0 + px1) / 2, (py0 + py1) / 2);
                let fits = width_at(&text, TEXT_SIZE) + 4.0 <= f64::from(px1 - px0);
                if !uniform {
                    let k = format!("({})", cell.records);
                    if fits && f64::from(py1 - py0) >= 2.0 * text_px + 6.0 {
                        let off = (text_px * 0.6).ceil() as i32;
                        draw_text(area, &text, (centre.0, centre.1 - off), TEXT_SIZE, ink, HPos::Center)?;
                        draw_text(area, &k, (centre.0, centre.1 + off), TEXT_SIZE, ink, HPos::Center)?;
                        continue;
                    }
                }
                if fits {
                    draw_text(area, &text, centre, TEXT_SIZE, ink, HPos::Center)?;
                }
            }
        }
        area.draw(&Rectangle::new([(x0, y0), (x0 + pw, y0 + ph)], BLACK.stroke_width(1))).map_err(err)?;
        // x axis
        let tick_y = y0 + ph;
        for (t, label) in &x_ticks {
            let px = x_axis.pixel(*t, x0, x0 + pw);
            area.draw(&PathElement::new(vec![(px, tick_y), (px, tick_y + 5)], BLACK)).map_err(err)?;
            draw_text(area, label, (px, tick_y + 8 + 7), TICK_SIZE, BLACK.to_rgba(), HPos::Center)?;
        }
        for t in x_axis.minor_ticks() {
            let px = x_axis.pixel(t, x0, x0 + pw);
            area.draw(&PathElement::new(vec![(px, tick_y), (px, tick_y + 3)], BLACK)).map_err(err)?;
        }
        let x_desc = axis_description(agg.x, &x_axis);
        draw_text(
            area,
            &x_desc,
            (x0 + pw / 2, tick_y + 8 + 18 + 8 + axis_label_h / 2),
            AXIS_LABEL_SIZE,
            BLACK.to_rgba(),
            HPos::Center,
        )?;
        // y axis
        for (t, label) in &y_ticks {
            let py = y_axis.pixel(*t, y0 + ph, y0);
            area.draw(&PathElement::new(vec![(x0 - 5, py), (x0, py)], BLACK)).map_err(err)?;
            draw_text(area, label, (x0 - 8, py), TICK_SIZE, BLACK.to_rgba(), HPos::Right)?;
        }
        for t in y_axis.minor_ticks() {
            let py = y_axis.pixel(t, y0 + ph, y0);
            area.draw(&PathElement::new(vec![(x0 - 3, py), (x0, py)], BLACK)).map_err(err)?;
        }
        draw_vertical(area, &axis_description(agg.y, &y_axis), (16 + axis_label_h / 2, y0 + ph / 2), AXIS_LABEL_SIZE)?;
        // colour bar
        let steps = ph.max(1);
        for s in 0..steps {
            let t = 1.0 - (f64::from(s) + 0.5) / f64::from(steps);
            area.draw(&Rectangle::new([(bar_x0, y0 + s), (bar_x0 + BAR_WIDTH, y0 + s + 1)], viridis(t).filled()))
                .map_err(err)?;
        }
        area.draw(&Rectangle::new([(bar_x0, y0), (bar_x0 + BAR_WIDTH, y0 + ph)], BLACK.stroke_width(1)))
            .map_err(err)?;
        for (v, label) in &bar_labels {
            let py = y0 + ((1.0 - scale.unit(*v)) * f64::from(ph)).round() as i32;
            area.draw(&PathElement::new(vec![(bar_x0 + BAR_WIDTH, py), (bar_x0 + BAR_WIDTH + 4, py)], BLACK))
                .map_err(err)?;
            draw_text(area, label, (bar_x0 + BAR_WIDTH + 6, py), TICK_SIZE, BLACK.to_rgba(), HPos::Left)?;
        }
        let bar_desc_x = bar_x0 + BAR_WIDTH + 6 + bar_tick_w + 10 + axis_label_h / 2;
        draw_vertical(area, &agg.z.description(), (bar_desc_x, y0 + ph / 2), AXIS_LABEL_SIZE)?;
        let _ = FONT;
        Ok(())
    })
}

/// The axis description: the parameter and its scale.
fn axis_description(parameter: Parameter, axis: &AxisCells) -> String {
    let scale = match (axis.true_positions, axis.scale) {
        (true, AxisScale::Log10) => " (log scale)",
        (true, AxisScale::Log2) => " (log2 scale)",
        (false, _) => " (evenly spaced values)",
        _ => "",
    };
    format!("{}{scale}", parameter.description())
}

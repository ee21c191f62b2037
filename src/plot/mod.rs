//! SVG figures (plotters, SVG backend): the loss against time with the phase events and the
//! predicted times of Figure 1, training-loss curves (Figure 3 style), and the network state of
//! one-dimensional data with a bias (Figure 2 style).
//!
//! Layout rules every figure follows (checked on the SVG text by `tests/reproduce.rs`):
//! - log axes label decades from the smallest decade of the axis to the largest ([`decade_ticks`]);
//! - no text runs past the canvas and no two texts overlap, with widths from the metrics of
//!   DejaVu Sans ([`text_width`]): `sans-serif` is DejaVu Sans on Debian, and it is wider than the
//!   usual alternatives (Arial, Helvetica, Liberation Sans), so the figures fit with those too;
//! - legends sit outside the plotting areas (they cover no data), one marker per series;
//! - event labels stand upright in a strip above the plot, in time order, each joined to its line
//!   by a leader (leaders keep the order, so they never cross).
//!
//! This file holds the drawing primitives every figure shares (text metrics, headers, legends,
//! log axes, the loss chart); each figure has its own file: `loss_timeline.rs`, `loss_curve.rs`,
//! `network_states.rs`.

mod frontier;
mod heatmap;
mod lines;
mod loss_curve;
mod loss_timeline;
mod network_states;
mod recorded_curve;

#[cfg(test)]
mod tests;

pub use frontier::frontier_svg;
pub use heatmap::sweep_heatmap_svg;
pub use lines::{Band, sweep_lines_svg};
pub use loss_curve::loss_curve_svg;
pub use loss_timeline::{Staircase, loss_timeline_svg, loss_timeline_with_staircase_svg};
pub use network_states::network_states_svg;
pub use recorded_curve::recorded_loss_svg;

use crate::trajectory::Trajectory;
use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::combinators::{BindKeyPoints, LogCoord, WithKeyPoints};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Why a figure could not be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot draw the figure: {0}")]
pub struct PlotError(pub String);

fn err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError(e.to_string())
}

// ---------------------------------------------------------------------------------------------
// Text metrics
// ---------------------------------------------------------------------------------------------

/// Advance widths of DejaVu Sans (Book) for ASCII 32..=126, in units of 1/2048 em, read from the
/// font's `hmtx` table (`/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf`, Debian fonts-dejavu).
const DEJAVU_SANS_ADVANCE: [u16; 95] = [
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690, 1303, 1303, 1303, 1303, 1303,
    1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716, 1087, 2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587,
    1540, 604, 604, 1343, 1141, 1767, 1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403,
    799, 690, 799, 1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569, 1995, 1298,
    1253, 1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690, 1303, 1716,
];

/// The width in pixels of `text` in DejaVu Sans at SVG `font-size` `font_px` (no kerning, which
/// only narrows). Characters outside ASCII count as 1 em (wider than any DejaVu Sans glyph in use).
///
/// ```
/// use reluflow::plot::text_width;
/// assert!((text_width("10", 10.0) - 2.0 * 10.0 * 1303.0 / 2048.0).abs() < 1e-12);
/// ```
pub fn text_width(text: &str, font_px: f64) -> f64 {
    let units: u32 = text
        .chars()
        .map(|c| match c as u32 {
            32..=126 => u32::from(DEJAVU_SANS_ADVANCE[c as usize - 32]),
            _ => 2048,
        })
        .sum();
    f64::from(units) / 2048.0 * font_px
}

/// plotters writes a font of size `s` as SVG `font-size` `s / 1.24`.
const PLOTTERS_FONT_SCALE: f64 = 1.24;

/// SVG pixel size of a plotters font size.
fn font_px(size: f64) -> f64 {
    size / PLOTTERS_FONT_SCALE
}

/// [`text_width`] of `text` drawn with plotters font size `size`.
fn width_at(text: &str, size: f64) -> f64 {
    text_width(text, font_px(size))
}

/// Greedy word wrap of `text` into lines at most `width` px wide at plotters size `size`.
fn wrap(text: &str, width: f64, size: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if width_at(&candidate, size) <= width || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

const FONT: &str = "sans-serif";
/// Plotters font sizes of the figures.
const TITLE_SIZE: f64 = 20.0;
const TEXT_SIZE: f64 = 13.0;
const TICK_SIZE: f64 = 13.0;
const AXIS_DESC_SIZE: f64 = 14.0;
/// Height of one line of `TEXT_SIZE` text.
const LINE_HEIGHT: i32 = 15;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// The height of the title and legend block of a figure `width` wide (measured on a scratch
/// canvas, so that the figure's own canvas can be sized to it).
fn header_height(width: u32, title: &str, legend: &[(Marker, String)]) -> Result<i32, PlotError> {
    let mut scratch = String::new();
    let area = SVGBackend::with_string(&mut scratch, (width, 200)).into_drawing_area();
    let y = draw_header(&area, width as i32, title, &[])?;
    Ok(draw_legend(&area, legend, 16, width as i32 - 16, y)?.y1 + 6)
}

/// A figure `width` wide with a title and a legend above a chart area `chart_height` high:
/// `draw` gets that area; the SVG text is returned.
fn titled_figure(
    width: u32,
    chart_height: u32,
    title: &str,
    legend: &[(Marker, String)],
    draw: impl FnOnce(&Area) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    let header = header_height(width, title, legend)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, header as u32 + chart_height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let y = draw_header(&root, width as i32, title, &[])?;
        draw_legend(&root, legend, 16, width as i32 - 16, y)?;
        let (_, lower) = root.split_vertically(header);
        draw(&lower)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn style(size: f64, color: RGBAColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle { font: (FONT, size).into_font(), color: color.to_backend_color(), pos: Pos::new(h, v) }
}

/// Draws `text` with its left end (or centre, right end: `h`) and vertical centre at `pos`.
fn draw_text(area: &Area, text: &str, pos: (i32, i32), size: f64, color: RGBAColor, h: HPos) -> Result<(), PlotError> {
    area.draw(&Text::new(text.to_string(), pos, style(size, color, h, VPos::Center))).map_err(err)
}

/// Draws the title centred at the top and `notes` wrapped below it; returns the next free row.
fn draw_header(area: &Area, width: i32, title: &str, notes: &[String]) -> Result<i32, PlotError> {
    let mut y = 6 + (font_px(TITLE_SIZE) / 2.0).ceil() as i32;
    draw_text(area, title, (width / 2, y), TITLE_SIZE, BLACK.to_rgba(), HPos::Center)?;
    y += (font_px(TITLE_SIZE) * 0.6).ceil() as i32 + 4;
    for note in notes {
        for line in wrap(note, f64::from(width - 32), TEXT_SIZE) {
            y += LINE_HEIGHT;
            draw_text(area, &line, (16, y - LINE_HEIGHT / 2), TEXT_SIZE, BLACK.mix(0.8), HPos::Left)?;
        }
    }
    Ok(y + 4)
}

/// A rectangle in canvas pixels, `x0 <= x1`, `y0 <= y1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PxRect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl PxRect {
    #[cfg(test)]
    pub(crate) fn contains(&self, (x, y): (i32, i32)) -> bool {
        self.x0 <= x && x <= self.x1 && self.y0 <= y && y <= self.y1
    }
}

// ---------------------------------------------------------------------------------------------
// Legend (outside the plotting area)
// ---------------------------------------------------------------------------------------------

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
enum Marker {
    Line(RGBAColor, u32),
    Dashed(RGBAColor),
    /// A dashed line of this stroke width.
    DashedWidth(RGBAColor, u32),
    Cross(RGBAColor),
    Dot(RGBAColor),
    Triangle(RGBAColor),
}

const MARKER_WIDTH: i32 = 24;

fn draw_marker(area: &Area, marker: Marker, (x, y): (i32, i32)) -> Result<(), PlotError> {
    let mid = (x + MARKER_WIDTH / 2, y);
    match marker {
        Marker::Line(c, w) => area.draw(&PathElement::new(vec![(x, y), (x + MARKER_WIDTH, y)], c.stroke_width(w))),
        Marker::Dashed(c) => {
            for k in 0..3 {
                area.draw(&PathElement::new(vec![(x + 9 * k, y), (x + 9 * k + 5, y)], c))
                    .map_err(|e| PlotError(e.to_string()))?;
            }
            Ok(())
        }
        Marker::DashedWidth(c, w) => {
            for k in 0..3 {
                area.draw(&PathElement::new(vec![(x + 9 * k, y), (x + 9 * k + 5, y)], c.stroke_width(w)))
                    .map_err(|e| PlotError(e.to_string()))?;
            }
            Ok(())
        }
        Marker::Cross(c) => area.draw(&Cross::new(mid, 5, c.stroke_width(2))),
        Marker::Dot(c) => area.draw(&Circle::new(mid, 4, c.filled())),
        Marker::Triangle(c) => area.draw(&TriangleMarker::new(mid, 5, c.filled())),
    }
    .map_err(err)
}

/// Lays the entries out left to right from `(left, top)`, wrapping within `right`, draws them
/// in a frame, and returns the frame.
fn draw_legend(
    area: &Area,
    entries: &[(Marker, String)],
    left: i32,
    right: i32,
    top: i32,
) -> Result<PxRect, PlotError> {
    let pad = 6;
    let (mut x, mut y) = (left + pad, top + pad + LINE_HEIGHT / 2);
    let mut x_max = x;
    let mut placed = Vec::new();
    for (marker, label) in entries {
        let w = MARKER_WIDTH + 6 + width_at(label, TEXT_SIZE).ceil() as i32;
        if x > left + pad && x + w > right - pad {
            x = left + pad;
            y += LINE_HEIGHT + 2;
        }
        placed.push((*marker, label, x, y));
        x += w + 18;
        x_max = x_max.max(x - 18);
    }
    let frame = PxRect { x0: left, y0: top, x1: x_max + pad, y1: y + LINE_HEIGHT / 2 + pad };
    area.draw(&Rectangle::new([(frame.x0, frame.y0), (frame.x1, frame.y1)], BLACK.mix(0.5))).map_err(err)?;
    for (marker, label, x, y) in placed {
        draw_marker(area, marker, (x, y))?;
        draw_text(area, label, (x + MARKER_WIDTH + 6, y), TEXT_SIZE, BLACK.to_rgba(), HPos::Left)?;
    }
    Ok(frame)
}

// ---------------------------------------------------------------------------------------------
// Log axes
// ---------------------------------------------------------------------------------------------

/// `10^k` as the nearest `f64` (`1e{k}` parsed; `powi` drifts by ulps far from 0).
fn pow10(k: i32) -> f64 {
    format!("1e{k}").parse().expect("a decimal exponent")
}

/// Decade ticks of a log axis over `[lo, hi]` (`0 < lo < hi`): `(labelled, unlabelled)`. The
/// labelled decades start at the smallest decade `>= lo` and go up every `s`-th decade, with the
/// smallest stride `s` in 1, 2, 3, 4, 5, 10, 20, 25, 50, 100, ... that keeps at most
/// `max_labels` of them; the other decades inside the range are the unlabelled (light) ticks.
///
/// ```
/// use reluflow::plot::decade_ticks;
/// let (bold, _) = decade_ticks(2.7e-28, 1.5, 12);
/// assert_eq!(bold.first(), Some(&1e-27));
/// assert_eq!(bold.last(), Some(&1e0));
/// assert_eq!(bold.len(), 10); // every 3rd decade
/// ```
pub fn decade_ticks(lo: f64, hi: f64, max_labels: usize) -> (Vec<f64>, Vec<f64>) {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return (Vec::new(), Vec::new());
    }
    let mut k_lo = lo.log10().ceil() as i32;
    while pow10(k_lo - 1) >= lo {
        k_lo -= 1;
    }
    while pow10(k_lo) < lo {
        k_lo += 1;
    }
    let mut k_hi = hi.log10().floor() as i32;
    while pow10(k_hi + 1) <= hi {
        k_hi += 1;
    }
    while pow10(k_hi) > hi {
        k_hi -= 1;
    }
    if k_hi < k_lo {
        return (Vec::new(), Vec::new());
    }
    let span = (k_hi - k_lo) as usize;
    let max_labels = max_labels.max(2);
    let stride = [1usize, 2, 3, 4, 5]
        .into_iter()
        .chain((1..).flat_map(|p| [10usize, 20, 25, 50].map(|b| b * 10usize.pow(p - 1))))
        .find(|s| span / s < max_labels)
        .expect("some stride fits");
    let (mut bold, mut light) = (Vec::new(), Vec::new());
    for k in k_lo..=k_hi {
        if (k - k_lo) as usize % stride == 0 { bold.push(pow10(k)) } else { light.push(pow10(k)) }
    }
    if light.len() > 200 {
        light.clear();
    }
    (bold, light)
}

/// Tick label of a linear axis: fixed point, trailing zeros removed (`1000000`, `20`, `0.25`).
fn linear_label(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// The positive finite losses of a trajectory against `time / x_unit`, with the axes.
struct LossAxes {
    points: Vec<(f64, f64)>,
    x_max: f64,
    y_min: f64,
    y_max: f64,
}

impl LossAxes {
    fn of(trajectory: &Trajectory, x_unit: f64, x_floor: f64) -> Self {
        Self::from_points(trajectory.samples.iter().map(|s| (s.time / x_unit, s.loss)), x_floor)
    }

    /// Axes for `(x, loss)` points (non-positive and non-finite losses are left out).
    fn from_points(points: impl Iterator<Item = (f64, f64)>, x_floor: f64) -> Self {
        let points: Vec<(f64, f64)> = points.filter(|p| p.1 > 0.0 && p.1.is_finite()).collect();
        let x_max = points.last().map_or(1.0, |p| p.0).max(x_floor);
        let y_min = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min).max(1e-300) / 3.0;
        let y_max = points.iter().map(|p| p.1).fold(0.0f64, f64::max).max(y_min * 10.0) * 3.0;
        Self { points, x_max, y_min, y_max }
    }
}

type LossChart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, WithKeyPoints<LogCoord<f64>>>>;

const CHART_MARGIN: u32 = 16;
const Y_LABEL_AREA: u32 = 72;
const X_LABEL_AREA: u32 = 48;

/// The right margin that keeps a centred tick label at the right end of the x axis inside the
/// canvas.
fn right_margin(x_max: f64) -> u32 {
    let half = width_at(&linear_label(x_max), TICK_SIZE) / 2.0;
    CHART_MARGIN.max(half.ceil() as u32 + 6)
}

/// A 2-D chart on an SVG area.
pub(super) type Chart<'a, 'b, X, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>;

/// A chart on `area` with the figures' margins and label areas: [`CHART_MARGIN`] on every side
/// (the top and right replaced by `margin_top`, `margin_right` when given), [`X_LABEL_AREA`],
/// [`Y_LABEL_AREA`].
pub(super) fn chart_on<'a, 'b, X: AsRangedCoord, Y: AsRangedCoord>(
    area: &'a Area<'b>,
    margin_top: Option<u32>,
    margin_right: Option<u32>,
    x: X,
    y: Y,
) -> Result<Chart<'a, 'b, X::CoordDescType, Y::CoordDescType>, PlotError> {
    let mut builder = ChartBuilder::on(area);
    builder.margin(CHART_MARGIN).x_label_area_size(X_LABEL_AREA).y_label_area_size(Y_LABEL_AREA);
    if let Some(top) = margin_top {
        builder.margin_top(top);
    }
    if let Some(right) = margin_right {
        builder.margin_right(right);
    }
    builder.build_cartesian_2d(x, y).map_err(err)
}

/// The mesh of `chart` in the figures' fonts ([`FONT`], [`TICK_SIZE`], [`AXIS_DESC_SIZE`]) with
/// both axis descriptions; the caller sets the labels and draws it.
pub(super) fn styled_mesh<'a, 'm, DB, X, Y>(
    chart: &'m mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    x_desc: &str,
    y_desc: &str,
) -> MeshStyle<'a, 'm, X, Y, DB>
where
    DB: DrawingBackend,
    X: Ranged + ValueFormatter<<X as Ranged>::ValueType>,
    Y: Ranged + ValueFormatter<<Y as Ranged>::ValueType>,
{
    let mut mesh = chart.configure_mesh();
    mesh.label_style((FONT, TICK_SIZE)).axis_desc_style((FONT, AXIS_DESC_SIZE)).x_desc(x_desc).y_desc(y_desc);
    mesh
}

/// A linear-x, log-y loss chart on `area`, with its mesh drawn.
fn loss_chart<'a, 'b>(
    area: &'a Area<'b>,
    axes: &LossAxes,
    x_desc: &str,
    top_margin: u32,
) -> Result<LossChart<'a, 'b>, PlotError> {
    let (bold, light) = decade_ticks(axes.y_min, axes.y_max, 12);
    let y = (axes.y_min..axes.y_max).log_scale().with_key_points(bold).with_light_points(light);
    let mut chart = chart_on(area, Some(top_margin), Some(right_margin(axes.x_max)), 0f64..axes.x_max, y)?;
    styled_mesh(&mut chart, x_desc, "loss L = 1/(2n) sum (h - y)^2")
        .x_label_formatter(&|v| linear_label(*v))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// `x` with 4 significant digits, fixed point for moderate magnitudes.
fn significant_4(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e6) {
        format!("{x:.3e}")
    } else {
        let decimals = (3 - x.abs().log10().floor() as i32).max(0) as usize;
        format!("{x:.decimals$}")
    }
}

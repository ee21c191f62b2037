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

use crate::timeline::PhaseTimeline;
use crate::trajectory::Trajectory;
use plotters::coord::Shift;
use plotters::coord::combinators::{BindKeyPoints, LogCoord, WithKeyPoints};
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
        let points: Vec<(f64, f64)> = trajectory
            .samples
            .iter()
            .filter(|s| s.loss > 0.0 && s.loss.is_finite())
            .map(|s| (s.time / x_unit, s.loss))
            .collect();
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

/// A linear-x, log-y loss chart on `area`, with its mesh drawn.
fn loss_chart<'a, 'b>(
    area: &'a Area<'b>,
    axes: &LossAxes,
    x_desc: &str,
    top_margin: u32,
) -> Result<LossChart<'a, 'b>, PlotError> {
    let (bold, light) = decade_ticks(axes.y_min, axes.y_max, 12);
    let y = (axes.y_min..axes.y_max).log_scale().with_key_points(bold).with_light_points(light);
    let mut chart = ChartBuilder::on(area)
        .margin(CHART_MARGIN)
        .margin_top(top_margin)
        .margin_right(right_margin(axes.x_max))
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(0f64..axes.x_max, y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, AXIS_DESC_SIZE))
        .x_desc(x_desc)
        .x_label_formatter(&|v| linear_label(*v))
        .y_desc("loss L = 1/(2n) sum (h - y)^2")
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

// ---------------------------------------------------------------------------------------------
// Event labels
// ---------------------------------------------------------------------------------------------

/// Positions for labels of thickness `h` wanted at `x_i`: in the order of `x`, at least `h`
/// apart, inside `[lo, hi]`, each as close to its `x_i` as that allows (least squares: adjacent
/// labels that would collide are pooled into a block centred on their mean). Since the order is
/// kept, straight leaders from `p_i` to `x_i` never cross.
fn spread_labels(xs: &[f64], h: f64, lo: f64, hi: f64) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    // blocks of consecutive labels (in x order): (first index in `order`, count, start position)
    let mut blocks: Vec<(usize, usize, f64)> = Vec::new();
    let clamp = |start: f64, count: usize| start.min(hi - (count as f64 - 1.0) * h).max(lo);
    for (rank, &i) in order.iter().enumerate() {
        blocks.push((rank, 1, clamp(xs[i], 1)));
        while blocks.len() > 1 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a.2 + a.1 as f64 * h <= b.2 {
                break;
            }
            let count = a.1 + b.1;
            let mean = (a.0..a.0 + count).map(|r| xs[order[r]] - (r - a.0) as f64 * h).sum::<f64>() / count as f64;
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = (a.0, count, clamp(mean, count));
        }
    }
    let mut out = vec![0.0; xs.len()];
    for (first, count, start) in blocks {
        for r in first..first + count {
            out[order[r]] = start + (r - first) as f64 * h;
        }
    }
    out
}

/// The colours of the 11 observed events (none is the loss's blue or the plateau's red).
const EVENT_COLORS: [RGBColor; 11] = [
    RGBColor(230, 120, 0),
    RGBColor(30, 140, 30),
    RGBColor(130, 60, 180),
    RGBColor(140, 86, 75),
    RGBColor(200, 0, 160),
    RGBColor(120, 120, 0),
    RGBColor(0, 130, 130),
    RGBColor(0, 0, 0),
    RGBColor(128, 0, 0),
    RGBColor(80, 80, 160),
    RGBColor(200, 60, 100),
];

const PREDICTED_COLOR: RGBColor = RGBColor(100, 100, 100);

struct EventLabel {
    time: f64,
    text: String,
    color: RGBAColor,
    predicted: bool,
}

/// The loss on a log axis against time, with the observed events (solid, labelled above the plot)
/// and the predicted times of Figure 1 (dashed grey), as an SVG document. Says when the labels
/// were swapped (the paper's `r > 1`) and which phases do not exist.
pub fn loss_timeline_svg(title: &str, trajectory: &Trajectory, timeline: &PhaseTimeline) -> Result<String, PlotError> {
    const WIDTH: u32 = 1000;
    const CHART_HEIGHT: u32 = 480;
    let axes = LossAxes::of(trajectory, 1.0, 1e-9);
    let mut labels: Vec<EventLabel> = Vec::new();
    for (i, (name, e)) in timeline.events().into_iter().enumerate() {
        if let Some(e) = e.filter(|e| e.time <= axes.x_max) {
            labels.push(EventLabel {
                time: e.time,
                text: name.to_string(),
                color: EVENT_COLORS[i % EVENT_COLORS.len()].to_rgba(),
                predicted: false,
            });
        }
    }
    let mut notes = Vec::new();
    if timeline.labels_swapped {
        notes.push(format!("Note: {}.", crate::timeline::SWAP_NOTE));
    }
    let mut beyond = Vec::new();
    if let Some(p) = &timeline.predicted {
        let predicted = [
            ("t2 bound", p.t2_bound),
            ("plateau end", p.plateau_end),
            ("t3 bound", p.t3_bound),
            ("-ln(lambda)/|D+|", p.time_scale_plus),
            ("-ln(lambda)/|D-|", p.time_scale_minus),
        ];
        for (name, t) in predicted {
            if t <= axes.x_max {
                labels.push(EventLabel {
                    time: t,
                    text: format!("pred. {name}"),
                    color: PREDICTED_COLOR.to_rgba(),
                    predicted: true,
                });
            } else {
                beyond.push(format!("{name} = {}", significant_4(t)));
            }
        }
    }
    if !beyond.is_empty() {
        notes.push(format!(
            "Predicted after the end of the run (t = {}): {}.",
            significant_4(axes.x_max),
            beyond.join(", ")
        ));
    }
    for (reason, fields) in timeline.not_applicable_by_reason() {
        notes.push(format!("Not applicable ({}): {reason}.", fields.join(", ")));
    }
    let mut legend: Vec<(Marker, String)> = vec![(Marker::Line(BLUE.to_rgba(), 2), "loss".into())];
    if let Some(level) = timeline.plateau_level.filter(|l| *l > 0.0) {
        let which = if timeline.labels_swapped { " of the swapped labels" } else { "" };
        legend.push((
            Marker::Line(RED.mix(0.5), 2),
            format!("plateau level (1/2n) sum_(y<0) y^2{which} = {}", significant_4(level)),
        ));
    }
    legend.push((Marker::Line(BLACK.mix(0.7), 1), "observed event (named above the plot)".into()));
    if let Some(p) = &timeline.predicted {
        legend.push((
            Marker::Dashed(PREDICTED_COLOR.to_rgba()),
            format!("predicted time (Figure 1, eps = {:.4})", p.eps),
        ));
    }

    // the x pixel of each label's line, from a chart laid out like the real one
    let xs: Vec<f64> = {
        let mut scratch = String::new();
        let area = SVGBackend::with_string(&mut scratch, (WIDTH, CHART_HEIGHT)).into_drawing_area();
        let chart = loss_chart(&area, &axes, "", 4)?;
        labels.iter().map(|l| f64::from(chart.backend_coord(&(l.time, axes.y_max)).0)).collect()
    };
    // labels read upwards, one column each, spread apart where lines are close
    let thickness = (font_px(TEXT_SIZE) + 3.0).ceil();
    let positions = spread_labels(&xs, thickness, 8.0, f64::from(WIDTH) - 8.0);
    let longest = labels.iter().map(|l| width_at(&l.text, TEXT_SIZE)).fold(0.0, f64::max).ceil() as i32;
    const LEADER: i32 = 28;

    // header height: draw it on a scratch canvas first
    let header = {
        let mut scratch = String::new();
        let area = SVGBackend::with_string(&mut scratch, (WIDTH, 400)).into_drawing_area();
        let y = draw_header(&area, WIDTH as i32, title, &notes)?;
        let frame = draw_legend(&area, &legend, 16, WIDTH as i32 - 16, y)?;
        frame.y1 + 6
    };
    let strip = if labels.is_empty() { 0 } else { longest + LEADER + 6 };
    let height = header as u32 + strip as u32 + CHART_HEIGHT;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let y = draw_header(&root, WIDTH as i32, title, &notes)?;
        draw_legend(&root, &legend, 16, WIDTH as i32 - 16, y)?;
        let (_, lower) = root.split_vertically(header + strip);
        let mut chart = loss_chart(&lower, &axes, "time t (gradient flow time; steps x eta for GD)", 4)?;
        let (y_min, y_max) = (axes.y_min, axes.y_max);
        chart.draw_series(LineSeries::new(axes.points.iter().copied(), BLUE.stroke_width(2))).map_err(err)?;
        if let Some(level) = timeline.plateau_level.filter(|l| *l > 0.0) {
            chart
                .draw_series(LineSeries::new(vec![(0.0, level), (axes.x_max, level)], RED.mix(0.5).stroke_width(2)))
                .map_err(err)?;
        }
        let dashes = |t: f64| {
            (0..40).map(move |k| {
                let a = y_min * (y_max / y_min).powf(k as f64 / 40.0);
                let b = y_min * (y_max / y_min).powf((k as f64 + 0.5) / 40.0);
                PathElement::new(vec![(t, a), (t, b)], PREDICTED_COLOR.mix(0.8))
            })
        };
        for l in &labels {
            if l.predicted {
                chart.draw_series(dashes(l.time)).map_err(err)?;
            } else {
                chart
                    .draw_series(LineSeries::new(vec![(l.time, y_min), (l.time, y_max)], l.color.mix(0.7)))
                    .map_err(err)?;
            }
        }
        // the strip: each label upright above its leader, the leader down to its line
        let plot_top = chart.plotting_area().get_pixel_range().1.start;
        let base = header + strip - LEADER;
        for ((l, &p), &x) in labels.iter().zip(&positions).zip(&xs) {
            let p = p.round() as i32;
            root.draw(&PathElement::new(
                vec![(p, base), (p, base + 6), (x as i32, plot_top - 2), (x as i32, plot_top)],
                l.color,
            ))
            .map_err(err)?;
            let style = style(TEXT_SIZE, l.color, HPos::Left, VPos::Center).transform(FontTransform::Rotate270);
            root.draw(&Text::new(l.text.clone(), (p, base - 3), style)).map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
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

/// A training-loss curve against iterations (`time / step`) on a log axis (Figure 3 style),
/// with an optional horizontal line at a predicted plateau level.
pub fn loss_curve_svg(
    title: &str,
    trajectory: &Trajectory,
    step: f64,
    plateau: Option<f64>,
) -> Result<String, PlotError> {
    const WIDTH: u32 = 900;
    const CHART_HEIGHT: u32 = 460;
    let axes = LossAxes::of(trajectory, step, 1.0);
    let mut legend = vec![(Marker::Line(BLUE.to_rgba(), 2), "training loss".to_string())];
    if let Some(level) = plateau {
        legend.push((
            Marker::Line(RED.mix(0.6), 2),
            format!("predicted plateau (1/2n) sum_(y<0) y^2 = {}", significant_4(level)),
        ));
    }
    let mut svg = String::new();
    {
        let header = {
            let mut scratch = String::new();
            let area = SVGBackend::with_string(&mut scratch, (WIDTH, 200)).into_drawing_area();
            let y = draw_header(&area, WIDTH as i32, title, &[])?;
            draw_legend(&area, &legend, 16, WIDTH as i32 - 16, y)?.y1 + 6
        };
        let root = SVGBackend::with_string(&mut svg, (WIDTH, header as u32 + CHART_HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let y = draw_header(&root, WIDTH as i32, title, &[])?;
        draw_legend(&root, &legend, 16, WIDTH as i32 - 16, y)?;
        let (_, lower) = root.split_vertically(header);
        let mut chart = loss_chart(&lower, &axes, "iteration", 8)?;
        chart.draw_series(LineSeries::new(axes.points.iter().copied(), BLUE.stroke_width(2))).map_err(err)?;
        if let Some(level) = plateau {
            chart
                .draw_series(LineSeries::new(vec![(0.0, level), (axes.x_max, level)], RED.mix(0.6).stroke_width(2)))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Where [`network_states_svg`] put its legend and data points (canvas pixels).
#[derive(Clone, Debug, Default)]
pub(crate) struct NetworkLayout {
    pub legend: Option<PxRect>,
    pub plotting_areas: Vec<PxRect>,
    pub data_points: Vec<(i32, i32)>,
}

/// Figure 2 style panels for one-dimensional data with a bias column (`x = (t, 1)`), two per
/// row: the fitted function `h(t)` on the line through the data, the data points, and each
/// neuron as a point at its kink position `-w_j2/w_j1` and height `s_j |w_j|` (magenta discs for
/// `s_j = +1`, red triangles for `s_j = -1`). Each panel's vertical range covers the data, `h`
/// and the neurons drawn; the legend sits above the panels.
pub fn network_states_svg(
    title: &str,
    data: &crate::data::Dataset,
    panels: &[(String, crate::params::Params)],
) -> Result<String, PlotError> {
    network_states(title, data, panels).map(|(svg, _)| svg)
}

pub(crate) fn network_states(
    title: &str,
    data: &crate::data::Dataset,
    panels: &[(String, crate::params::Params)],
) -> Result<(String, NetworkLayout), PlotError> {
    const WIDTH: u32 = 1100;
    const PANEL_HEIGHT: u32 = 380;
    let model = crate::network::Model::relu().validate().map_err(err)?;
    let ts: Vec<f64> = (0..data.n()).map(|k| data.x(k)[0]).collect();
    let (lo, hi) = ts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &t| (a.min(t), b.max(t)));
    let pad = 0.5 * (hi - lo).max(1.0);
    let (x0, x1) = (lo - pad, hi + pad);
    let y_data = data.y().iter().fold(0.0f64, |a, y| a.max(y.abs()));
    let legend = vec![
        (Marker::Line(BLUE.to_rgba(), 2), "h(t) = sum_j a_j relu(w_j1 t + w_j2)".to_string()),
        (Marker::Cross(BLACK.to_rgba()), "data (t_k, y_k)".to_string()),
        (Marker::Dot(MAGENTA.to_rgba()), "neuron with s_j = +1 at (-w_j2/w_j1, |w_j|)".to_string()),
        (Marker::Triangle(RED.to_rgba()), "neuron with s_j = -1 at (-w_j2/w_j1, -|w_j|)".to_string()),
    ];
    let rows = panels.len().div_ceil(2).max(1);
    let mut layout = NetworkLayout::default();
    let mut svg = String::new();
    {
        let header = {
            let mut scratch = String::new();
            let area = SVGBackend::with_string(&mut scratch, (WIDTH, 200)).into_drawing_area();
            let y = draw_header(&area, WIDTH as i32, title, &[])?;
            draw_legend(&area, &legend, 16, WIDTH as i32 - 16, y)?.y1 + 6
        };
        let height = header as u32 + rows as u32 * PANEL_HEIGHT;
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let y = draw_header(&root, WIDTH as i32, title, &[])?;
        layout.legend = Some(draw_legend(&root, &legend, 16, WIDTH as i32 - 16, y)?);
        let (_, lower) = root.split_vertically(header);
        let areas = lower.split_evenly((rows, 2));
        for (area, (name, params)) in areas.iter().zip(panels) {
            let neurons: Vec<(f64, f64, bool)> = (0..params.m())
                .filter_map(|j| {
                    let w = &params.w[j];
                    let kink = -w[1] / w[0];
                    let height = params.a[j].signum() * (w[0] * w[0] + w[1] * w[1]).sqrt();
                    (kink.is_finite() && kink > x0 && kink < x1).then_some((kink, height, params.a[j] > 0.0))
                })
                .collect();
            let curve: Vec<(f64, f64)> = (0..=400)
                .map(|i| {
                    let t = x0 + (x1 - x0) * i as f64 / 400.0;
                    (t, model.eval(params, &[t, 1.0]))
                })
                .collect();
            let y_abs = neurons
                .iter()
                .map(|n| n.1.abs())
                .chain(curve.iter().map(|c| c.1.abs()))
                .fold(1.6 * y_data, |a, v| a.max(1.1 * v))
                .max(1e-12);
            let mut chart = ChartBuilder::on(area)
                .caption(name, (FONT, 16))
                .margin(10)
                .margin_right(16)
                .x_label_area_size(40)
                .y_label_area_size(56)
                .build_cartesian_2d(x0..x1, -y_abs..y_abs)
                .map_err(err)?;
            chart
                .configure_mesh()
                .label_style((FONT, TICK_SIZE))
                .axis_desc_style((FONT, AXIS_DESC_SIZE))
                .x_desc("input t (x = (t, 1))")
                .x_label_formatter(&|v| linear_label(*v))
                .y_desc("h(t); neurons: s_j |w_j|")
                .y_label_formatter(&|v| linear_label(*v))
                .draw()
                .map_err(err)?;
            chart.draw_series(LineSeries::new(curve, BLUE.stroke_width(2))).map_err(err)?;
            let points: Vec<(f64, f64)> = ts.iter().copied().zip(data.y().iter().copied()).collect();
            chart.draw_series(points.iter().map(|&p| Cross::new(p, 6, BLACK.stroke_width(2)))).map_err(err)?;
            chart
                .draw_series(neurons.iter().filter(|n| n.2).map(|n| Circle::new((n.0, n.1), 4, MAGENTA.filled())))
                .map_err(err)?;
            chart
                .draw_series(neurons.iter().filter(|n| !n.2).map(|n| TriangleMarker::new((n.0, n.1), 5, RED.filled())))
                .map_err(err)?;
            let (xr, yr) = chart.plotting_area().get_pixel_range();
            layout.plotting_areas.push(PxRect { x0: xr.start, y0: yr.start, x1: xr.end, y1: yr.end });
            layout.data_points.extend(points.iter().map(|p| chart.backend_coord(p)));
        }
        root.present().map_err(err)?;
    }
    Ok((svg, layout))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The toy's network figure: the legend frame holds no data point and meets no plotting area
    /// (the issue: it covered the point (-0.5, -1) in all four panels).
    #[test]
    fn network_legend_covers_no_data_point_and_no_plotting_area() {
        let data = crate::data::generate::toy();
        let p = crate::params::Params { a: vec![1.0, -0.5], w: vec![vec![1.0, 0.5], vec![-1.0, 2.0]] };
        let panels: Vec<(String, crate::params::Params)> = (0..4).map(|i| (format!("panel {i}"), p.clone())).collect();
        let (_, layout) = network_states("toy", &data, &panels).unwrap();
        let legend = layout.legend.unwrap();
        assert_eq!(layout.data_points.len(), 8);
        assert!(layout.data_points.iter().all(|&q| !legend.contains(q)), "{legend:?} {:?}", layout.data_points);
        for a in &layout.plotting_areas {
            assert!(legend.y1 < a.y0 || legend.x1 < a.x0 || a.x1 < legend.x0, "{legend:?} meets {a:?}");
        }
    }

    /// Spreading: order kept, at least `h` apart, inside the bounds, untouched when apart, and a
    /// colliding pair centred on its mean.
    #[test]
    fn event_labels_are_spread_in_order_without_overlap() {
        let xs: Vec<f64> = [500.0, 100.0, 103.0, 101.0, 990.0, 995.0, 300.0, 5.0].to_vec();
        let p = spread_labels(&xs, 12.0, 8.0, 992.0);
        let mut order: Vec<usize> = (0..xs.len()).collect();
        order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
        for w in order.windows(2) {
            assert!(p[w[1]] - p[w[0]] >= 12.0 - 1e-9, "{p:?}");
        }
        assert!(p.iter().all(|&v| (8.0..=992.0).contains(&v)), "{p:?}");
        assert_eq!((p[0], p[6]), (500.0, 300.0), "isolated labels stay on their lines");
        let (a, b) = (
            spread_labels(&[100.0, 104.0], 12.0, 0.0, 1000.0)[0],
            spread_labels(&[100.0, 104.0], 12.0, 0.0, 1000.0)[1],
        );
        assert_eq!((a, b), (96.0, 108.0));
    }

    #[test]
    fn decade_ticks_start_at_the_smallest_decade() {
        let (bold, light) = decade_ticks(1e-27, 0.5, 12);
        assert_eq!(bold[0], 1e-27);
        assert_eq!(bold.len() + light.len(), 27);
        let (bold, _) = decade_ticks(0.02, 3.0, 12);
        assert_eq!(bold, vec![0.1, 1.0]);
    }
}

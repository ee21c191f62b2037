//! The loss against time with the phase events and the predicted times of Figure 1.

use super::*;
use crate::timeline::PhaseTimeline;

/// Positions for labels of thickness `h` wanted at `x_i`: in the order of `x`, at least `h`
/// apart, inside `[lo, hi]`, each as close to its `x_i` as that allows (least squares: adjacent
/// labels that would collide are pooled into a block centred on their mean). Since the order is
/// kept, straight leaders from `p_i` to `x_i` never cross.
pub(super) fn spread_labels(xs: &[f64], h: f64, lo: f64, hi: f64) -> Vec<f64> {
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

/// A predicted loss staircase drawn over the simulated loss: the `lambda -> 0` jump process
/// ([`crate::theory::jump_process`]) at one `lambda`, its steps at `t_i = tau_i ln(1/lambda)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Staircase {
    /// The level before the first step (the initial loss).
    pub initial: f64,
    /// `(t_i, level after the step)`, in time order.
    pub steps: Vec<(f64, f64)>,
    /// The legend entry.
    pub label: String,
}

/// `(x, y)` points.
type Points = Vec<(f64, f64)>;

/// The staircase's colour and stroke (no event, the loss or the plateau line has it).
const STAIRCASE_COLOR: RGBColor = RGBColor(0, 0, 0);
const STAIRCASE_WIDTH: u32 = 2;

impl Staircase {
    /// The corners of the step line within `x in [0, x_max]`, levels clamped into
    /// `[y_min, y_max]` (on the log axis a level 0 or below the axis is drawn at its bottom),
    /// and the steps after `x_max` (not drawn).
    fn corners(&self, x_max: f64, y_min: f64, y_max: f64) -> (Points, Points) {
        let clamp = |level: f64| if level.is_nan() { y_min } else { level.clamp(y_min, y_max) };
        let mut level = clamp(self.initial);
        let mut corners = vec![(0.0, level)];
        let mut beyond = Vec::new();
        for &(t, after) in &self.steps {
            if !(t.is_finite() && t <= x_max) {
                beyond.push((t, after));
                continue;
            }
            if !beyond.is_empty() {
                beyond.push((t, after));
                continue;
            }
            let t = t.max(0.0);
            corners.push((t, level));
            level = clamp(after);
            corners.push((t, level));
        }
        corners.push((x_max, level));
        (corners, beyond)
    }
}

/// The loss on a log axis against time, with the observed events (solid, labelled above the plot)
/// and the predicted times of Figure 1 (dashed grey), as an SVG document. Says when the labels
/// were swapped (the paper's `r > 1`) and which phases do not exist.
pub fn loss_timeline_svg(title: &str, trajectory: &Trajectory, timeline: &PhaseTimeline) -> Result<String, PlotError> {
    loss_timeline_with_staircase_svg(title, trajectory, timeline, None)
}

/// [`loss_timeline_svg`], with a predicted loss [`Staircase`] drawn over the loss as a dashed
/// step line (levels below the axis, such as the final 0 of an interpolating limit, at the
/// axis bottom; steps after the end of the run are listed in a note).
pub fn loss_timeline_with_staircase_svg(
    title: &str,
    trajectory: &Trajectory,
    timeline: &PhaseTimeline,
    staircase: Option<&Staircase>,
) -> Result<String, PlotError> {
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
    let stairs = staircase.map(|st| st.corners(axes.x_max, axes.y_min, axes.y_max));
    if let Some((_, beyond)) = &stairs
        && !beyond.is_empty()
    {
        let steps: Vec<String> = beyond.iter().map(|(t, _)| significant_4(*t)).collect();
        notes.push(format!(
            "Jump-process steps after the end of the run (t = {}): t = {}.",
            significant_4(axes.x_max),
            steps.join(", ")
        ));
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
    if let Some((st, (corners, _))) = staircase.zip(stairs.as_ref()) {
        // a drawn level below the axis (the final 0 of an interpolating limit) sits at its bottom
        let below = st.steps.iter().map(|s| s.1).chain([st.initial]).any(|level| !(level >= axes.y_min))
            && corners.last().is_some_and(|c| c.1 <= axes.y_min);
        let label = if below { format!("{} (level 0 drawn at the axis bottom)", st.label) } else { st.label.clone() };
        legend.push((Marker::DashedWidth(STAIRCASE_COLOR.to_rgba(), STAIRCASE_WIDTH), label));
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
        if let Some((corners, _)) = &stairs {
            chart
                .draw_series(DashedLineSeries::new(
                    corners.iter().copied(),
                    8,
                    5,
                    STAIRCASE_COLOR.stroke_width(STAIRCASE_WIDTH),
                ))
                .map_err(err)?;
        }
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

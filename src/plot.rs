//! SVG figures (plotters, SVG backend): the loss against time with the phase events and the
//! predicted times of Figure 1, and the network state of the Section 5 toy (Figure 2).

use crate::timeline::PhaseTimeline;
use crate::trajectory::Trajectory;
use plotters::prelude::*;

/// Why a figure could not be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot draw the figure: {0}")]
pub struct PlotError(pub String);

fn err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError(e.to_string())
}

/// The series legend of every figure: framed, on a translucent white background, at `position`.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), PlotError> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

/// The positive finite losses of a trajectory against `time / x_unit`, with log-axis limits.
struct LossSeries {
    points: Vec<(f64, f64)>,
    x_max: f64,
    y_min: f64,
    y_max: f64,
}

impl LossSeries {
    fn of(trajectory: &Trajectory, x_unit: f64) -> Self {
        let points: Vec<(f64, f64)> = trajectory
            .samples
            .iter()
            .filter(|s| s.loss > 0.0 && s.loss.is_finite())
            .map(|s| (s.time / x_unit, s.loss))
            .collect();
        let x_max = points.last().map_or(1.0, |p| p.0);
        let y_min = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min).max(1e-300) / 3.0;
        let y_max = points.iter().map(|p| p.1).fold(0.0f64, f64::max).max(y_min * 10.0) * 3.0;
        Self { points, x_max, y_min, y_max }
    }
}

/// The loss on a log axis against time, with the observed events (solid, labelled) and the
/// predicted times of Figure 1 (dashed grey), as an SVG document.
pub fn loss_timeline_svg(title: &str, trajectory: &Trajectory, timeline: &PhaseTimeline) -> Result<String, PlotError> {
    let LossSeries { points, x_max: t_max, y_min, y_max } = LossSeries::of(trajectory, 1.0);
    let t_max = t_max.max(1e-9);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(0f64..t_max * 1.02, (y_min..y_max).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("time t (gradient flow time; steps x eta for GD)")
            .y_desc("loss L = 1/(2n) sum (h - y)^2")
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(points.iter().copied(), BLUE.stroke_width(2)))
            .map_err(err)?
            .label("loss")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
        if timeline.plateau_level > 0.0 {
            let level = timeline.plateau_level;
            chart
                .draw_series(LineSeries::new(vec![(0.0, level), (t_max, level)], RED.mix(0.5)))
                .map_err(err)?
                .label(format!("plateau level (1/2n) sum_(y<0) y^2 = {level:.4}"))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.mix(0.5)));
        }
        if let Some(p) = &timeline.predicted {
            let predicted = [
                ("t2 bound", p.t2_bound),
                ("plateau end", p.plateau_end),
                ("t3 bound", p.t3_bound),
                ("-ln(lambda)/|D+|", p.time_scale_plus),
                ("-ln(lambda)/|D-|", p.time_scale_minus),
            ];
            for (i, (name, t)) in predicted.iter().enumerate() {
                if *t > t_max * 1.02 {
                    continue;
                }
                let dashes = (0..40).map(|k| {
                    let a = y_min * (y_max / y_min).powf(k as f64 / 40.0);
                    let b = y_min * (y_max / y_min).powf((k as f64 + 0.5) / 40.0);
                    PathElement::new(vec![(*t, a), (*t, b)], BLACK.mix(0.4))
                });
                chart.draw_series(dashes).map_err(err)?;
                let y = y_max / 3f64.powi(i as i32 + 1);
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!("predicted {name}"),
                        (*t, y),
                        ("sans-serif", 12).into_font().color(&BLACK.mix(0.6)),
                    )))
                    .map_err(err)?;
            }
        }
        let palette = [GREEN, MAGENTA, CYAN, RED, BLACK];
        for (i, (name, e)) in timeline.events().into_iter().enumerate() {
            let Some(e) = e else { continue };
            let color = palette[i % palette.len()];
            chart.draw_series(LineSeries::new(vec![(e.time, y_min), (e.time, y_max)], color.mix(0.7))).map_err(err)?;
            let y = y_min * 3f64.powi(i as i32 + 1);
            chart
                .draw_series(std::iter::once(Text::new(
                    name.to_string(),
                    (e.time, y.min(y_max)),
                    ("sans-serif", 12).into_font().color(&color),
                )))
                .map_err(err)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::MiddleLeft)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A training-loss curve against iterations (`time / step`) on a log axis (Figure 3 style),
/// with an optional horizontal line at a predicted plateau level.
pub fn loss_curve_svg(
    title: &str,
    trajectory: &Trajectory,
    step: f64,
    plateau: Option<f64>,
) -> Result<String, PlotError> {
    let LossSeries { points, x_max, y_min, y_max } = LossSeries::of(trajectory, step);
    let x_max = x_max.max(1.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(0f64..x_max, (y_min..y_max).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("iteration")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_desc("loss L = 1/(2n) sum (h - y)^2")
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(points.iter().copied(), BLUE.stroke_width(2)))
            .map_err(err)?
            .label("training loss")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
        if let Some(level) = plateau {
            chart
                .draw_series(LineSeries::new(vec![(0.0, level), (x_max, level)], RED.mix(0.6)))
                .map_err(err)?
                .label(format!("predicted plateau (1/2n) sum_(y<0) y^2 = {level}"))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.mix(0.6)));
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Figure 2 style panels for one-dimensional data with a bias column (`x = (t, 1)`): the fitted
/// function `h(t)` on the line through the data, the data points, and each neuron as a point at
/// its kink position `-w_j2/w_j1` and height `s_j |w_j|`.
pub fn network_states_svg(
    title: &str,
    data: &crate::data::Dataset,
    panels: &[(String, crate::params::Params)],
) -> Result<String, PlotError> {
    let model = crate::network::Model::relu().validate().map_err(err)?;
    let ts: Vec<f64> = (0..data.n()).map(|k| data.x(k)[0]).collect();
    let (lo, hi) = ts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &t| (a.min(t), b.max(t)));
    let pad = 0.5 * (hi - lo).max(1.0);
    let (x0, x1) = (lo - pad, hi + pad);
    let y_abs = data.y().iter().fold(0.0f64, |a, y| a.max(y.abs())) * 1.6;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1100, 820)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root.titled(title, ("sans-serif", 22)).map_err(err)?;
        let areas = root.split_evenly((2, 2));
        for (area, (name, params)) in areas.iter().zip(panels) {
            let mut chart = ChartBuilder::on(area)
                .caption(name, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(36)
                .y_label_area_size(48)
                .build_cartesian_2d(x0..x1, -y_abs..y_abs)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc("input t (x = (t, 1))")
                .y_desc("h(t); neurons: s_j |w_j|")
                .draw()
                .map_err(err)?;
            let curve = (0..=400).map(|i| {
                let t = x0 + (x1 - x0) * i as f64 / 400.0;
                (t, model.eval(params, &[t, 1.0]))
            });
            chart
                .draw_series(LineSeries::new(curve, BLUE.stroke_width(2)))
                .map_err(err)?
                .label("h(t)")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
            chart
                .draw_series(ts.iter().zip(data.y()).map(|(&t, &y)| Cross::new((t, y), 6, BLACK.stroke_width(2))))
                .map_err(err)?
                .label("data (t_k, y_k)")
                .legend(|(x, y)| Cross::new((x + 10, y), 5, BLACK.stroke_width(2)));
            let neurons = (0..params.m()).filter_map(|j| {
                let w = &params.w[j];
                let kink = -w[1] / w[0];
                let height = params.a[j].signum() * (w[0] * w[0] + w[1] * w[1]).sqrt();
                (kink.is_finite() && kink > x0 && kink < x1).then_some((kink, height, params.a[j] > 0.0))
            });
            chart
                .draw_series(
                    neurons
                        .map(|(k, h, pos)| Circle::new((k, h), 4, if pos { MAGENTA.filled() } else { RED.filled() })),
                )
                .map_err(err)?
                .label("neuron j at (-w_j2/w_j1, s_j |w_j|): magenta s_j = +1, red s_j = -1")
                .legend(|(x, y)| Circle::new((x + 10, y), 4, MAGENTA.filled()));
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font(("sans-serif", 12))
                .draw()
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

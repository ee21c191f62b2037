//! Training-loss curves against iterations (Figure 3 style).

use super::*;

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
    titled_figure(WIDTH, CHART_HEIGHT, title, &legend, |lower| {
        let mut chart = loss_chart(lower, &axes, "iteration", 8)?;
        chart.draw_series(LineSeries::new(axes.points.iter().copied(), BLUE.stroke_width(2))).map_err(err)?;
        if let Some(level) = plateau {
            chart
                .draw_series(LineSeries::new(vec![(0.0, level), (axes.x_max, level)], RED.mix(0.6).stroke_width(2)))
                .map_err(err)?;
        }
        Ok(())
    })
}

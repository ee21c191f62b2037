//! The loss of a recorded run (`reluflow check --svg`) against the paper's time, with Fact 1's
//! plateau level and the predicted fit times `ln(1/lambda)/|D+-|`.

use super::*;

/// The loss curve `(paper time, L)` of a recorded run on a log axis, with a horizontal line at
/// the predicted plateau level and vertical lines at the predicted times (`(label, time)`).
pub fn recorded_loss_svg(
    title: &str,
    curve: &[(f64, f64)],
    plateau: Option<f64>,
    times: &[(String, f64)],
) -> Result<String, PlotError> {
    const WIDTH: u32 = 900;
    const CHART_HEIGHT: u32 = 460;
    let x_floor = times.iter().map(|t| t.1).fold(1.0, f64::max) * 1.05;
    let axes = LossAxes::from_points(curve.iter().copied(), x_floor);
    let colours = [GREEN.mix(0.8), MAGENTA.mix(0.8), CYAN.mix(0.8)];
    let mut legend = vec![(Marker::Line(BLUE.to_rgba(), 2), "recorded loss L (paper convention)".to_string())];
    if let Some(level) = plateau {
        legend.push((
            Marker::Line(RED.mix(0.6), 2),
            format!("predicted plateau (1/2n) sum_(y<0) y^2 = {}", significant_4(level)),
        ));
    }
    for (i, (label, t)) in times.iter().enumerate() {
        legend.push((Marker::Line(colours[i % colours.len()], 2), format!("{label} = {}", significant_4(*t))));
    }
    titled_figure(WIDTH, CHART_HEIGHT, title, &legend, |lower| {
        let mut chart = loss_chart(lower, &axes, "paper time t = step x lr x loss_factor", 8)?;
        chart.draw_series(LineSeries::new(axes.points.iter().copied(), BLUE.stroke_width(2))).map_err(err)?;
        chart.draw_series(axes.points.iter().map(|&p| Circle::new(p, 2, BLUE.filled()))).map_err(err)?;
        if let Some(level) = plateau {
            chart
                .draw_series(LineSeries::new(vec![(0.0, level), (axes.x_max, level)], RED.mix(0.6).stroke_width(2)))
                .map_err(err)?;
        }
        for (i, (_, t)) in times.iter().enumerate() {
            let line = vec![(*t, axes.y_min), (*t, axes.y_max)];
            chart.draw_series(LineSeries::new(line, colours[i % colours.len()].stroke_width(2))).map_err(err)?;
        }
        Ok(())
    })
}

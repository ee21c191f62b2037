//! The network state of one-dimensional data with a bias (Figure 2 style).

use super::*;

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
        let header = header_height(WIDTH, title, &legend)?;
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

//! The `lambda*` frontier (`reluflow frontier --svg`): `lambda*` against the width `m`
//! (log-log, one colour per `n`, the fitted lines and the paper's `-1/2` slope for reference)
//! and against `n` (log `y`, one colour per `m`, the fitted lines).

use super::*;
use crate::frontier::{FrontierCell, FrontierStatus, LineFit};

const SERIES_COLORS: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
    RGBColor(188, 189, 34),
    RGBColor(127, 127, 127),
    RGBColor(0, 0, 128),
    RGBColor(128, 0, 64),
];

fn color(i: usize) -> RGBAColor {
    SERIES_COLORS[i % SERIES_COLORS.len()].to_rgba()
}

/// The value a cell is drawn at: `lambda*` when found, the range's end (a triangle: `lambda*`
/// at least `hi`; a cross: below `lo`) when censored.
fn drawn(c: &FrontierCell) -> Option<(f64, Option<FrontierStatus>)> {
    let b = c.bisection.as_ref()?;
    match b.status {
        FrontierStatus::Found => b.lambda_star.map(|l| (l, None)),
        FrontierStatus::AllShow => Some((b.range.1, Some(FrontierStatus::AllShow))),
        FrontierStatus::NoneShows => Some((b.range.0, Some(FrontierStatus::NoneShows))),
    }
}

fn slope_text(f: &LineFit) -> String {
    format!("{:+.2} [{:+.2}, {:+.2}]", f.slope, f.slope_lo, f.slope_hi)
}

/// The two panels as one SVG document. `m_fits` are the `(n, fit of ln lambda* on ln m)` lines,
/// `n_fits` the `(m, fit of ln lambda* on n)` lines (slopes with their 95% intervals in the
/// legend).
pub fn frontier_svg(
    cells: &[FrontierCell],
    m_fits: &[(usize, LineFit)],
    n_fits: &[(usize, LineFit)],
) -> Result<String, PlotError> {
    const WIDTH: u32 = 1200;
    const CHART_HEIGHT: u32 = 520;
    let points: Vec<(usize, usize, f64, Option<FrontierStatus>)> =
        cells.iter().filter_map(|c| drawn(c).map(|(l, s)| (c.n, c.m, l, s))).collect();
    if points.is_empty() {
        return Err(PlotError("no cell has a lambda* to draw".into()));
    }
    let mut ns: Vec<usize> = points.iter().map(|p| p.0).collect();
    ns.sort_unstable();
    ns.dedup();
    let mut ms: Vec<usize> = points.iter().map(|p| p.1).collect();
    ms.sort_unstable();
    ms.dedup();
    let y_lo = points.iter().map(|p| p.2).fold(f64::INFINITY, f64::min) / 3.0;
    let y_hi = points.iter().map(|p| p.2).fold(0.0f64, f64::max) * 3.0;
    let m_lo = ms[0] as f64 / 1.5;
    let m_hi = ms[ms.len() - 1] as f64 * 1.5;
    let n_lo = ns[0] as f64 - 0.5;
    let n_hi = ns[ns.len() - 1] as f64 + 0.5;

    let mut legend: Vec<(Marker, String)> = Vec::new();
    for (i, &n) in ns.iter().enumerate() {
        let fit = m_fits.iter().find(|f| f.0 == n).map_or(String::new(), |f| format!(", m-slope {}", slope_text(&f.1)));
        legend.push((Marker::Dot(color(i)), format!("left: n = {n}{fit}")));
    }
    legend.push((Marker::Dashed(BLACK.mix(0.7)), "slope -1/2 (paper)".into()));
    for (i, &m) in ms.iter().enumerate() {
        let fit = n_fits.iter().find(|f| f.0 == m).map_or(String::new(), |f| format!(", n-slope {}", slope_text(&f.1)));
        legend.push((Marker::Dot(color(ns.len() + i)), format!("right: m = {m}{fit}")));
    }
    legend.push((Marker::Triangle(BLACK.mix(0.7)), "lambda* >= range top".into()));
    legend.push((Marker::Cross(BLACK.mix(0.7)), "lambda* < range bottom".into()));
    let title = "lambda*: the largest lambda with the paper's dynamics (Fact 1 plateau, zero loss, small norm excess)";
    let (bold, light) = decade_ticks(y_lo, y_hi, 10);
    let y_label = |v: &f64| format!("{v:.0e}");
    titled_figure(WIDTH, CHART_HEIGHT, title, &legend, |lower| {
        let (left, right) = lower.split_horizontally(WIDTH / 2);
        // left: lambda* against m, log-log
        let x = (m_lo..m_hi).log_scale().with_key_points(ms.iter().map(|&m| m as f64).collect::<Vec<_>>());
        let y = (y_lo..y_hi).log_scale().with_key_points(bold.clone()).with_light_points(light.clone());
        let mut chart = chart_on(&left, None, None, x, y)?;
        styled_mesh(&mut chart, "width m", "lambda*")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&y_label)
            .draw()
            .map_err(err)?;
        for (i, &n) in ns.iter().enumerate() {
            draw_points(&mut chart, points.iter().filter(|p| p.0 == n).map(|p| (p.1 as f64, p.2, p.3)), color(i))?;
            if let Some((_, f)) = m_fits.iter().find(|f| f.0 == n) {
                let line = |m: f64| (m, (f.intercept + f.slope * m.ln()).exp());
                chart
                    .draw_series(LineSeries::new(vec![line(ms[0] as f64), line(ms[ms.len() - 1] as f64)], color(i)))
                    .map_err(err)?;
            }
        }
        // the -1/2 reference through the geometric mean of the found points
        let found: Vec<&(usize, usize, f64, Option<FrontierStatus>)> =
            points.iter().filter(|p| p.3.is_none()).collect();
        if !found.is_empty() {
            let k = found.len() as f64;
            let mean_x = found.iter().map(|p| (p.1 as f64).ln()).sum::<f64>() / k;
            let mean_y = found.iter().map(|p| p.2.ln()).sum::<f64>() / k;
            let at = |m: f64| (mean_y - 0.5 * (m.ln() - mean_x)).exp();
            let (a, b) = (ms[0] as f64, ms[ms.len() - 1] as f64);
            let dashes = (0..24).map(|j| {
                let u0 = a * (b / a).powf(j as f64 / 24.0);
                let u1 = a * (b / a).powf((j as f64 + 0.5) / 24.0);
                PathElement::new(vec![(u0, at(u0)), (u1, at(u1))], BLACK.mix(0.7).stroke_width(2))
            });
            chart.draw_series(dashes).map_err(err)?;
        }
        // right: lambda* against n, log y
        let y = (y_lo..y_hi).log_scale().with_key_points(bold).with_light_points(light);
        let mut chart = chart_on(&right, None, None, n_lo..n_hi, y)?;
        styled_mesh(&mut chart, "number of points n", "lambda*")
            .x_labels(((n_hi - n_lo) * 2.0).round() as usize + 1)
            .x_max_light_lines(0)
            .x_label_formatter(&|v| if (v - v.round()).abs() < 1e-6 { format!("{v:.0}") } else { String::new() })
            .y_label_formatter(&y_label)
            .draw()
            .map_err(err)?;
        let spread = 0.25 / ms.len().max(1) as f64;
        for (i, &m) in ms.iter().enumerate() {
            // a small horizontal offset per width, so that the series do not hide each other
            let dx = (i as f64 - (ms.len() as f64 - 1.0) / 2.0) * spread;
            let c = color(ns.len() + i);
            draw_points(&mut chart, points.iter().filter(|p| p.1 == m).map(|p| (p.0 as f64 + dx, p.2, p.3)), c)?;
            if let Some((_, f)) = n_fits.iter().find(|f| f.0 == m) {
                let line = |n: f64| (n, (f.intercept + f.slope * n).exp());
                chart
                    .draw_series(LineSeries::new(vec![line(ns[0] as f64), line(ns[ns.len() - 1] as f64)], c))
                    .map_err(err)?;
            }
        }
        Ok(())
    })
}

fn draw_points<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    points: impl Iterator<Item = (f64, f64, Option<FrontierStatus>)>,
    c: RGBAColor,
) -> Result<(), PlotError>
where
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    for (x, y, status) in points {
        match status {
            None => chart.draw_series(std::iter::once(Circle::new((x, y), 4, c.filled()))).map(|_| ()),
            Some(FrontierStatus::AllShow) => {
                chart.draw_series(std::iter::once(TriangleMarker::new((x, y), 6, c.filled()))).map(|_| ())
            }
            Some(_) => chart.draw_series(std::iter::once(Cross::new((x, y), 5, c.stroke_width(2)))).map(|_| ()),
        }
        .map_err(err)?;
    }
    Ok(())
}

//! Layout tests of the figures on their pixel geometry.

use super::loss_timeline::spread_labels;
use super::network_states::network_states;
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
    let (a, b) =
        (spread_labels(&[100.0, 104.0], 12.0, 0.0, 1000.0)[0], spread_labels(&[100.0, 104.0], 12.0, 0.0, 1000.0)[1]);
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

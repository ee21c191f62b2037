//! `campaign::measure_flow`: the quantities sweeps and the frontier record, on runs whose answer
//! is known (the paper's dynamics at small lambda; none at lambda = 0.5).

use reluflow::campaign::measure_flow;
use reluflow::{Dataset, Instance};

fn data() -> Dataset {
    let x = (0..4).map(|k| (0..6).map(|i| if i == k { 1.0 } else { 0.0 }).collect()).collect();
    Dataset::new(x, vec![2.0, 1.0, -1.0, -1.0]).expect("valid data")
}

/// At lambda = 1e-8 the run fits to zero loss through one intermediate plateau at Fact 1's level
/// (the loss of the negative labels), ends near Proposition 1's minimum norm, with the fit times
/// near `ln(1/lambda)/|D+-|` (ratios within 30% of `1/|D+|`, `1/|D-|`: the lambda-free offsets
/// are `O(1)` against `ln(1/lambda) = 18.4`); at lambda = 0.5 there is no plateau at that level.
#[test]
fn measure_flow_sees_the_paper_dynamics_at_small_lambda_only() {
    let small = measure_flow(&Instance::balanced(data(), 16, 1e-8, 4)).expect("runs");
    eprintln!("{small:?}");
    assert!(small.fact_1_plateau && small.plateaus.len() == 1, "{small:?}");
    assert!(small.final_loss < 1e-10 * small.initial_loss);
    assert!(small.norm_excess.expect("orthonormal inputs").abs() < 0.05);
    let (dp, dm) = (5f64.sqrt() / 4.0, 2f64.sqrt() / 4.0);
    assert!((small.fit_plus_over_ln.expect("fitted") * dp - 1.0).abs() < 0.3);
    assert!((small.fit_minus_over_ln.expect("fitted") * dm - 1.0).abs() < 0.3);
    let large = measure_flow(&Instance::balanced(data(), 16, 0.5, 4)).expect("runs");
    eprintln!("{large:?}");
    assert!(!large.fact_1_plateau, "{large:?}");
}

/// On inputs that are not orthogonal, where the flow can end in a sliding mode, the measure
/// falls back on gradient descent and still reports a run (the sweeps' coherence axis).
#[test]
fn measure_flow_falls_back_on_gd_for_nearly_orthogonal_inputs() {
    let x = vec![vec![1.0, 0.0, 0.0], vec![0.05, 1.0, 0.0], vec![0.0, 0.05, 1.0]];
    let data = Dataset::new(x, vec![1.5, -1.0, 0.8]).expect("data");
    let m = measure_flow(&Instance::balanced(data, 16, 1e-4, 2)).expect("a measure, by the flow or by GD");
    assert!(m.final_loss.is_finite() && m.final_loss < m.initial_loss, "{m:?}");
}

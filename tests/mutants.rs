//! Tests that kill the mutants a sampled `cargo mutants` run left alive outside `src/claims`
//! (issue 11, item 10). Each test names the mutant it catches; each was checked by applying the
//! mutant by hand and seeing the test fail.

use reluflow::Dataset;
use reluflow::params::{Params, ScaledParams};
use reluflow::solver::flow::dopri::{Dopri5, System, Tolerances};
use reluflow::solver::reduced::reduce;
use reluflow::theory;

/// `ScaledParams::ln_abs_a` is `ln |a_j|` (against `f64::ln` of the plain value) at every scale
/// `Params` can hold, subnormals included. Kills `ln_abs_a -> 0.0` and `ln_abs_a -> -1.0` (no
/// value below is 0 or -1).
#[test]
fn ln_abs_a_is_the_log_of_the_output_weight_at_every_scale() {
    // in range, near the bottom of the normal range, and subnormal
    let p = Params {
        a: vec![-2.0, 3e-300, 0.1, -1.5e-310],
        w: vec![vec![1.0, 0.0], vec![0.0, 1e-300], vec![0.5, 0.5], vec![1e-310, 0.0]],
    };
    let s = ScaledParams::from_params(&p);
    for (j, a) in p.a.iter().enumerate() {
        let want = a.abs().ln();
        assert!((s.ln_abs_a(j) - want).abs() <= 1e-13 * want.abs().max(1.0), "j = {j}: {} vs {want}", s.ln_abs_a(j));
    }
}

/// `Reduced::state` is the blocks `[a_hat_j, p_hat_j1, ..., p_hat_jn]`, `p_hat_jk = <w_hat_j, x_k>`,
/// contiguous in `j`: on the standard basis `p_hat_j = w_hat_j` exactly. Kills
/// `Reduced::state -> [-1.0]` (its length and every entry are checked).
#[test]
fn reduced_state_is_the_blocks_of_output_weights_and_projections() {
    let data = Dataset::new(vec![vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0]], vec![1.0, -0.5]).unwrap();
    let theta = ScaledParams::from_params(&Params {
        a: vec![0.5, -0.25],
        w: vec![vec![0.5, -0.75, 0.125], vec![-0.5, 0.625, 0.0]],
    });
    let r = reduce(&data, &theta).unwrap();
    let (n, m) = (data.n(), theta.m());
    let mut want = Vec::new();
    for j in 0..m {
        want.push(theta.a_hat(j));
        want.extend_from_slice(&theta.w_hat(j)[..n]); // <w_hat_j, e_k> = w_hat_jk
    }
    assert_eq!(r.state().len(), m * (n + 1));
    assert_eq!(r.state(), &want[..]);
    for j in 0..m {
        assert_eq!(r.state()[j * (n + 1)], r.a_hat(j));
        assert_eq!(&r.state()[j * (n + 1) + 1..(j + 1) * (n + 1)], r.p_hat(j));
    }
}

/// `y' = -y`, counting every evaluation of the right-hand side.
struct CountingDecay {
    calls: u64,
}

impl System for CountingDecay {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&mut self, _t: f64, y: &[f64], dy: &mut [f64]) {
        self.calls += 1;
        dy[0] = -y[0];
    }
}

/// `Counters::rhs_evaluations` counts every call of `System::rhs`, including the Euler probe of the
/// initial step size (Hairer, Norsett & Wanner II.4): the first step costs 1 (FSAL) + 1 (probe) +
/// 6 stages = 8 evaluations. Kills `+=` -> `*=` in `Dopri5::initial_step` (the count would stay at
/// 1 there, so every later total would be one short).
#[test]
fn dopri_counts_every_right_hand_side_evaluation_including_the_initial_step_probe() {
    let mut sys = CountingDecay { calls: 0 };
    let mut solver = Dopri5::new(0.0, vec![1.0], Tolerances { rtol: 1e-8, atol: 1e-11 }, None, f64::INFINITY);
    solver.step(&mut sys, 10.0).unwrap();
    assert_eq!(solver.counters().rhs_evaluations, sys.calls);
    assert_eq!(sys.calls, 8 + 6 * solver.counters().rejected_steps);
    while solver.t() < 10.0 {
        solver.step(&mut sys, 10.0).unwrap();
    }
    assert_eq!(solver.counters().rhs_evaluations, sys.calls);
    assert!((solver.y()[0] - (-10f64).exp()).abs() < 1e-9);
}

/// `theory::n_plus` counts the labels `y_k > 0` only: a zero label (either sign of zero) is on
/// neither side. Kills `>` -> `>=` in `n_plus` (which would count them as positive).
#[test]
fn n_plus_and_n_minus_leave_zero_labels_out() {
    let x =
        vec![vec![1.0, 0.0, 0.0, 0.0], vec![0.0, 1.0, 0.0, 0.0], vec![0.0, 0.0, 1.0, 0.0], vec![0.0, 0.0, 0.0, 1.0]];
    let data = Dataset::new(x, vec![2.0, 0.0, -0.0, -1.0]).unwrap();
    assert_eq!(theory::n_plus(&data), 1);
    assert_eq!(theory::n_minus(&data), 1);
}

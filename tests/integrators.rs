//! The integrators against exact solutions, against each other, and on the activation
//! boundaries (Lemma 6 exactness for the flow, overshoot for gradient descent).

use reluflow::data::{Dataset, generate};
use reluflow::init::{InitKind, InitSpec};
use reluflow::network::{Class, Model};
use reluflow::params::{Params, ScaledParams};
use reluflow::solver::flow::dopri::{Dopri5, System, Tolerances};
use reluflow::solver::flow::{FlowConfig, run_flow};
use reluflow::solver::gd::{GdConfig, run_gd};
use reluflow::solver::{NoObserver, SimulationError, StopRule};
use reluflow::trajectory::{Recorder, SampleSchedule};

use crate::common::Piecewise;

/// `y' = k y`.
struct Exponential(f64);
impl System for Exponential {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&mut self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = self.0 * y[0];
    }
}

/// `y' = y (1 - y)`.
struct Logistic;
impl System for Logistic {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&mut self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = y[0] * (1.0 - y[0]);
    }
}

fn integrate<S: System>(sys: &mut S, y0: f64, t_end: f64, rtol: f64) -> (f64, Dopri5) {
    let tol = Tolerances { rtol, atol: rtol * 1e-3 };
    let mut solver = Dopri5::new(0.0, vec![y0], tol, None, f64::INFINITY);
    while solver.t() < t_end {
        solver.step(sys, t_end).expect("step");
    }
    (solver.y()[0], solver)
}

#[test]
fn dopri_matches_the_exponential_to_tolerance_and_converges_as_rtol_shrinks() {
    let mut previous = f64::INFINITY;
    for rtol in [1e-4, 1e-6, 1e-8, 1e-10] {
        for k in [-1.0, 1.0] {
            let (y, _) = integrate(&mut Exponential(k), 1.0, 5.0, rtol);
            let exact = (5.0 * k).exp();
            let rel = ((y - exact) / exact).abs();
            // global error of an error-per-step controller: a small multiple of rtol over 5 time units
            assert!(rel < 50.0 * rtol, "k = {k}, rtol = {rtol}: relative error {rel:e}");
            if k == 1.0 {
                assert!(rel < previous, "error must shrink with rtol");
                previous = rel;
            }
        }
    }
}

#[test]
fn dopri_matches_the_logistic_curve() {
    let y0 = 1e-3;
    for rtol in [1e-6, 1e-9] {
        let (y, solver) = integrate(&mut Logistic, y0, 20.0, rtol);
        let exact = 1.0 / (1.0 + (1.0 / y0 - 1.0) * (-20.0f64).exp());
        assert!(((y - exact) / exact).abs() < 50.0 * rtol, "rtol {rtol}: {y} vs {exact}");
        assert!(solver.counters().rejected_steps < solver.counters().accepted_steps);
    }
}

#[test]
fn dopri_dense_output_is_accurate_inside_steps() {
    let tol = Tolerances { rtol: 1e-8, atol: 1e-14 };
    let mut sys = Exponential(-1.0);
    let mut solver = Dopri5::new(0.0, vec![1.0], tol, None, f64::INFINITY);
    let mut worst = 0.0f64;
    while solver.t() < 5.0 {
        let info = solver.step(&mut sys, 5.0).unwrap();
        for i in 1..10 {
            let t = info.t0 + (info.t1 - info.t0) * i as f64 / 10.0;
            let mut y = [0.0];
            solver.dense(t, &mut y);
            worst = worst.max(((y[0] - (-t).exp()) / (-t).exp()).abs());
        }
    }
    // 4th-order continuous extension: within a small multiple of the step tolerance
    assert!(worst < 1e-6, "dense output error {worst:e}");
}

#[test]
fn dopri_locates_a_boundary_crossing_to_within_rtol_and_stays_on_it() {
    for rtol in [1e-6, 1e-10] {
        let mut sys = Piecewise { on: true, event_time: None };
        let (y, _) = integrate(&mut sys, 1.0, 3.0, rtol);
        let t_event = sys.event_time.expect("the crossing is an event");
        assert!((t_event - 1.0).abs() <= rtol, "event at {t_event}, exact 1");
        assert!(y.abs() <= rtol, "after the event the state stays at the boundary: {y:e}");
    }
}

fn orthonormal(n: usize, d: usize, seed: u64) -> Dataset {
    generate::random_orthonormal(n, d, &Default::default(), seed).unwrap()
}

fn balanced(m: usize, lambda: f64, seed: u64, d: usize) -> ScaledParams {
    InitSpec { kind: InitKind::Balanced, width: m, lambda, seed }.validate().unwrap().draw(d).params
}

fn relu() -> reluflow::network::ValidModel {
    Model::relu().validate().unwrap()
}

fn horizon(t: f64) -> StopRule {
    StopRule { horizon: Some(t), ..Default::default() }
}

fn distance(a: &Params, b: &Params) -> f64 {
    let da: f64 = a.a.iter().zip(&b.a).map(|(x, y)| (x - y).powi(2)).sum();
    let dw: f64 = a.w.iter().flatten().zip(b.w.iter().flatten()).map(|(x, y)| (x - y).powi(2)).sum();
    (da + dw).sqrt()
}

#[test]
fn gd_converges_to_the_flow_at_first_order_in_eta() {
    let data = orthonormal(4, 5, 11);
    let theta0 = balanced(12, 0.3, 5, data.d());
    let t = 4.0;
    let flow_cfg = FlowConfig { rtol: 1e-12, stop: horizon(t), ..Default::default() };
    let flow = run_flow(&data, relu(), &theta0, &flow_cfg, &mut NoObserver).unwrap().final_params.to_params();
    let etas = [8e-2, 4e-2, 2e-2, 1e-2, 5e-3, 2.5e-3];
    let errors: Vec<f64> = etas
        .iter()
        .map(|&eta| {
            let cfg = GdConfig { step: eta, stop: horizon(t) };
            let gd = run_gd(&data, relu(), &theta0, &cfg, &mut NoObserver).unwrap();
            distance(&gd.final_params.to_params(), &flow)
        })
        .collect();
    assert!(errors.windows(2).all(|w| w[1] < w[0]), "error must shrink with eta: {errors:?}");
    // Euler is first order: log(error) against log(eta) has slope 1. Coordinates crossing 0
    // make the constant jump with the position of the step grid, so single halvings
    // fluctuate around 2 (measured 1.5 to 2.3); the least-squares slope is the robust order.
    let (xs, ys): (Vec<f64>, Vec<f64>) = etas.iter().zip(&errors).map(|(e, r)| (e.ln(), r.ln())).unzip();
    let slope = least_squares_slope(&xs, &ys);
    assert!((0.85..1.15).contains(&slope), "order {slope} from {errors:?}");
}

fn least_squares_slope(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    sxy / sxx
}

#[test]
fn the_scaled_kernel_agrees_with_the_plain_gradient_of_eq_3() {
    // one GD step through the allocation-free scaled kernel against Model::gradient on plain params
    let data = orthonormal(5, 7, 3);
    let model = relu();
    for lambda in [1e-3, 1.0] {
        let theta0 = balanced(9, lambda, 8, data.d());
        let eta = 0.1;
        let cfg = GdConfig { step: eta, stop: StopRule { max_steps: Some(1), ..Default::default() } };
        let stepped = run_gd(&data, model, &theta0, &cfg, &mut NoObserver).unwrap().final_params.to_params();
        let p = theta0.to_params();
        let g = model.gradient(&p, &data);
        for j in 0..p.m() {
            let a = p.a[j] - eta * g.a[j];
            assert!((a - stepped.a[j]).abs() <= 1e-14 * a.abs().max(lambda), "a_{j}");
            for i in 0..data.d() {
                let w = p.w[j][i] - eta * g.w[j][i];
                assert!((w - stepped.w[j][i]).abs() <= 1e-14 * lambda, "w_{j}{i}");
            }
        }
    }
}

#[test]
fn l1_gd_changes_balancedness_by_exactly_the_eta_squared_term() {
    // a_j'^2 - |w_j'|^2 = a_j^2 - |w_j|^2 + eta^2 (<D_j, w_j>^2 - |D_j|^2 a_j^2), algebra of one step
    let data = orthonormal(4, 6, 2);
    let model = relu();
    let theta0 = balanced(10, 0.5, 4, data.d());
    let eta = 0.05;
    let cfg = GdConfig { step: eta, stop: StopRule { max_steps: Some(1), ..Default::default() } };
    let after = run_gd(&data, model, &theta0, &cfg, &mut NoObserver).unwrap().final_params;
    let p = theta0.to_params();
    let g = model.gradient(&p, &data);
    for j in 0..p.m() {
        // D_j = -dL/dw_j / a_j and <D_j, w_j> = -dL/da_j (ReLU)
        let d_dot_w = -g.a[j];
        let d_norm_sq = g.w[j].iter().map(|v| v * v).sum::<f64>() / (p.a[j] * p.a[j]);
        let predicted = eta * eta * (d_dot_w * d_dot_w - d_norm_sq * p.a[j] * p.a[j]);
        let measured = after.imbalance(j) - theta0.imbalance(j);
        let size = p.a[j] * p.a[j] + p.w[j].iter().map(|v| v * v).sum::<f64>();
        assert!(
            (measured - predicted).abs() <= 1e-9 * predicted.abs() + 64.0 * f64::EPSILON * size,
            "neuron {j}: measured {measured:e}, predicted {predicted:e}"
        );
    }
}

/// `z_jk = <w_j, x_k>` of a checkpoint, and `|w_j|`.
fn coordinate(p: &ScaledParams, data: &Dataset, j: usize, k: usize) -> (f64, f64) {
    let w = p.w(j);
    (w.iter().zip(data.x(k)).map(|(a, b)| a * b).sum(), p.norm_w(j))
}

#[test]
fn l6_flow_keeps_a_coordinate_exactly_at_zero_once_it_reaches_zero() {
    let data = orthonormal(5, 7, 21);
    let theta0 = balanced(40, 1e-2, 9, data.d());
    let times: Vec<f64> = (1..=60).map(|i| i as f64 * 2.0).collect();
    let schedule = SampleSchedule { checkpoints: times.clone(), ..Default::default() };
    let mut rec = Recorder::new(&data, schedule);
    let cfg = FlowConfig { stop: horizon(120.0), ..Default::default() };
    let run = run_flow(&data, relu(), &theta0, &cfg, &mut rec).unwrap();
    assert!(run.summary.events > 0, "some coordinates must reach their boundary");
    let traj = rec.finish();
    let classes = run.final_classes.unwrap();
    let (n, m) = (data.n(), theta0.m());
    let mut zeros = 0;
    for j in 0..m {
        for k in 0..n {
            if classes[j * n + k] != Class::Zero {
                continue;
            }
            zeros += 1;
            // from the first checkpoint where it is at 0, it stays at 0 to rounding
            let mut reached = false;
            for cp in &traj.checkpoints {
                let (z, wn) = coordinate(&cp.params, &data, j, k);
                if reached || z.abs() <= 1e-12 * wn {
                    reached = true;
                    assert!(z.abs() <= 1e-12 * wn, "neuron {j}, point {k} left 0 at t = {}: z = {z:e}", cp.time);
                }
            }
        }
    }
    assert!(zeros > 0, "the run must produce coordinates at 0");
}

#[test]
fn l6_gd_overshoots_the_boundary_to_a_negative_value() {
    // gradient descent has no event location: a coordinate that reaches 0 lands at a negative value
    let data = orthonormal(5, 7, 21);
    let theta0 = balanced(40, 1e-2, 9, data.d());
    let cfg = GdConfig { step: 5e-2, stop: horizon(120.0) };
    let gd = run_gd(&data, relu(), &theta0, &cfg, &mut NoObserver).unwrap().final_params;
    let (n, m) = (data.n(), theta0.m());
    let started_positive = |j: usize, k: usize| coordinate(&theta0, &data, j, k).0 > 0.0;
    let overshoots = (0..m)
        .flat_map(|j| (0..n).map(move |k| (j, k)))
        .filter(|&(j, k)| started_positive(j, k))
        .filter(|&(j, k)| {
            let (z, wn) = coordinate(&gd, &data, j, k);
            z < -1e-6 * wn
        })
        .count();
    assert!(overshoots > 0, "GD should leave some deactivated coordinates strictly negative");
}

#[test]
fn flow_runs_without_underflow_down_to_lambda_1e_minus_300() {
    let data = orthonormal(4, 5, 7);
    let theta0 = balanced(30, 1e-300, 3, data.d());
    let cfg = FlowConfig {
        stop: StopRule { until_loss: Some(1e-10), max_steps: Some(1_000_000), ..Default::default() },
        ..Default::default()
    };
    let run = run_flow(&data, relu(), &theta0, &cfg, &mut NoObserver).unwrap();
    assert!(run.summary.final_loss < 1e-10);
    for j in 0..theta0.m() {
        // every neuron keeps a finite log-norm (none collapsed to an exact 0) and stays balanced (Lemma 1)
        assert!(run.final_params.ln_norm_w(j).is_finite());
        assert!(run.final_params.relative_imbalance(j).abs() < 1e-6, "neuron {j}");
    }
}

#[test]
fn gd_toy_with_the_paper_code_settings_reaches_the_minimum_norm() {
    // Section 5: m = 60, init std 1e-6/sqrt(60), torch lr 1e-3 on MSELoss = step 2e-3 on L
    let data = generate::toy();
    let theta0 = balanced(60, 1e-6 / 60f64.sqrt(), 0, data.d());
    let cfg = GdConfig { step: 2e-3, stop: StopRule { max_steps: Some(20_000), ..Default::default() } };
    let run = run_gd(&data, relu(), &theta0, &cfg, &mut NoObserver).unwrap();
    assert!(run.summary.final_loss < 1e-10, "final loss {:e}", run.summary.final_loss);
    let min = 2.0 * (1.0 / 5f64.sqrt() + 1.0 / 1.25f64.sqrt());
    assert!((run.final_params.norm_sq() - min).abs() < 1e-4);
}

#[test]
fn flow_reports_a_sliding_mode_on_non_orthogonal_inputs_instead_of_chattering() {
    // x1 = (1, 0), y1 = +1; x2 = (0.6, 0.8), y2 = -1: <x1, x2> > 0. One s = +1 neuron active on both:
    // z2 decreases to 0, where its own term pushes it down (v+ < 0) and the x1 term up (v- > 0).
    let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.6, 0.8]], vec![1.0, -1.0]).unwrap();
    let w = vec![0.1, 0.05];
    let a = (w[0] * w[0] + w[1] * w[1] as f64).sqrt();
    let theta0 = ScaledParams::from_params(&Params { a: vec![a], w: vec![w] });
    let cfg = FlowConfig { stop: horizon(50.0), ..Default::default() };
    match run_flow(&data, relu(), &theta0, &cfg, &mut NoObserver) {
        Err(SimulationError::SlidingMode { neuron: 0, point: 1, v_negative, v_positive, .. }) => {
            assert!(v_negative > 0.0 && v_positive < 0.0);
        }
        other => panic!("expected a sliding mode on <w_0, x_1>, got {other:?}"),
    }
    // gradient descent on the same problem runs (it chatters around 0, which GD may do)
    let gd = run_gd(&data, relu(), &theta0, &GdConfig { step: 1e-2, stop: horizon(50.0) }, &mut NoObserver);
    assert!(gd.is_ok());
}

#[test]
fn gd_stops_with_an_error_naming_the_step_when_it_diverges() {
    let data = generate::toy();
    let theta0 = balanced(20, 0.5, 1, data.d());
    let cfg = GdConfig { step: 50.0, stop: StopRule { max_steps: Some(1000), ..Default::default() } };
    match run_gd(&data, relu(), &theta0, &cfg, &mut NoObserver) {
        Err(SimulationError::Diverged { step, .. }) | Err(SimulationError::NonFinite { step, .. }) => {
            assert!(step > 0 && step < 1000)
        }
        other => panic!("expected divergence, got {other:?}"),
    }
}

#[test]
fn recorder_memory_stays_bounded_over_a_million_gd_steps() {
    let data = generate::toy();
    let theta0 = balanced(4, 1e-3, 2, data.d());
    let schedule = SampleSchedule { every: 1e-3, max_samples: 300, ..Default::default() };
    let mut rec = Recorder::new(&data, schedule);
    let cfg = GdConfig { step: 1e-3, stop: StopRule { max_steps: Some(1_000_000), ..Default::default() } };
    run_gd(&data, relu(), &theta0, &cfg, &mut rec).unwrap();
    let traj = rec.finish();
    assert!(traj.samples.len() <= 301, "{} samples", traj.samples.len());
    assert_eq!(traj.samples.first().unwrap().time, 0.0);
    assert_eq!(traj.samples.last().unwrap().step, 1_000_000);
    assert!(traj.samples.windows(2).all(|w| w[0].time < w[1].time));
    assert!(traj.initial.is_some() && traj.final_params.is_some());
    // early samples are log-spaced: several of them before t = 0.1
    assert!(traj.samples.iter().filter(|s| s.time > 0.0 && s.time < 0.1).count() >= 10);
}

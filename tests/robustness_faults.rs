//! Numerical faults at the extremes: lambda = 1e-300 and 1e3, an activation boundary hit exactly
//! at initialisation, neurons exactly at zero, horizons of 1e6, 10^7 GD steps, steps so large
//! that GD diverges, non-finite states, and bad numbers through the binary.
//! (See `robustness_common.rs` for the shared helpers and the split.)

use crate::robustness_common::*;
use reluflow::cli::CliError;
use reluflow::cli::simulate::{SimulateReport, simulate};
use reluflow::data::Dataset;
use reluflow::data::generate::{LabelSpec, random_orthonormal, toy};
use reluflow::init::{InitKind, InitSpec};
use reluflow::network::{Activation, Class, Model};
use reluflow::params::{Params, ScaledParams};
use reluflow::solver::flow::{FlowConfig, run_flow};
use reluflow::solver::gd::{GdConfig, run_gd};
use reluflow::solver::{NoObserver, Run, SimulationError, StopReason, StopRule};
use reluflow::theory;
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// Numerical faults
// ---------------------------------------------------------------------------------------------

fn gd_cfg(step: f64, steps: u64) -> GdConfig {
    GdConfig { step, stop: StopRule { max_steps: Some(steps), ..Default::default() } }
}

fn flow_cfg(stop: StopRule) -> FlowConfig {
    FlowConfig { stop, ..Default::default() }
}

fn balanced(data: &Dataset, m: usize, lambda: f64, seed: u64) -> ScaledParams {
    InitSpec { kind: InitKind::Balanced, width: m, lambda, seed }.validate().unwrap().draw(data.d()).params
}

/// The first initialisation seed of width `m` at scale `lambda` on `data` that satisfies
/// Assumption 3 (the premise of the tests that need a run to reach zero loss at the minimum norm).
fn seed_with_assumption_3(data: &Dataset, m: usize, lambda: f64) -> u64 {
    (0..100)
        .find(|&s| reluflow::init::NeuronSets::of(&balanced(data, m, lambda, s), data).assumption_3())
        .expect("Assumption 3 holds for one of the first 100 seeds")
}

/// An `Ok` run has finite numbers and the loss of its final parameters.
fn assert_sound(run: &Run, data: &Dataset) {
    let s = &run.summary;
    assert!(s.final_loss.is_finite() && s.time.is_finite(), "{s:?}");
    assert!(finite_slice(run.final_params.theta_hat()));
    let again = recomputed_loss(relu(), &run.final_params, data);
    assert!(
        loss_agrees(s.method, s.final_loss, again, &run.final_params, data),
        "reported loss {:e}, recomputed {:e}",
        s.final_loss,
        again
    );
}

#[test]
fn lambda_1e_minus_300_runs_a_few_steps_of_gd_and_flow_without_underflow() {
    let data = random_orthonormal(3, 4, &LabelSpec::default(), 5).unwrap();
    let theta0 = balanced(&data, 8, 1e-300, 1);
    // plain values are ~1e-300: normal, not zero; the products a_j <w_j, x_k> (1e-600) underflow in
    // plain units, so the loss is the loss at theta = 0 to the last bit
    let at_zero = theory::plateau_loss(&data) + data.y().iter().filter(|y| **y > 0.0).map(|y| y * y).sum::<f64>() / 6.0;
    for run in [
        run_gd(&data, relu(), &theta0, &gd_cfg(1e-2, 50), &mut NoObserver).unwrap(),
        run_flow(
            &data,
            relu(),
            &theta0,
            &flow_cfg(StopRule { max_steps: Some(50), ..Default::default() }),
            &mut NoObserver,
        )
        .unwrap(),
    ] {
        assert_sound(&run, &data);
        assert!(close(run.summary.final_loss, at_zero, 1e-12, 0.0), "{} vs {}", run.summary.final_loss, at_zero);
        for j in 0..8 {
            // every neuron is still there at full relative precision, and balanced (Lemma 1)
            let ln = run.final_params.ln_norm_w(j);
            assert!(ln.is_finite() && ln < -680.0, "ln|w_{j}| = {ln}");
            // Lemma 1: exact for the flow; GD changes it by eta^2 (|D_j|^2 - <D_j, w_j/|w_j|>^2)
            // relative per step (scale-free), here < 50 x 1e-4 x |D_j|^2
            let tol = if run.summary.method == "flow" { 1e-9 } else { 1e-2 };
            assert!(run.final_params.relative_imbalance(j).abs() < tol, "{}: neuron {j}", run.summary.method);
            assert!(run.final_params.norm_w(j) > 0.0, "neuron {j} underflowed to 0");
        }
    }
    // through the CLI
    for method in [&["--method", "gd", "--step", "1e-2", "--steps", "50"][..], &["--method", "flow", "--steps", "50"]] {
        let argv: Vec<String> = ["--random-orthonormal=3,4", "--data-seed=5", "--width=8", "--lambda=1e-300"]
            .iter()
            .chain(method)
            .map(|s| s.to_string())
            .collect();
        let args = parse_simulate(&argv).unwrap();
        let r = simulate(&args).unwrap();
        assert!(check_report(&r, &args).is_ok(), "{:?}", check_report(&r, &args));
        assert!(r.initial.w.iter().flatten().all(|v| *v != 0.0 && v.abs() < 1e-299), "initial w not ~1e-300");
    }
}

#[test]
fn lambda_1e3_gd_diverges_at_step_1_and_the_flow_is_correct_but_stiff() {
    let data = toy();
    // seed 1: the first seed whose first update overshoots without killing every neuron (on seed
    // 0 it kills all four: the loss falls to 0.5, a legitimate GD outcome, not a divergence)
    let theta0 = balanced(&data, 4, 1e3, 1);
    // GD with the usual step: the loss (~1e17 at theta_0) explodes on the first update
    match run_gd(&data, relu(), &theta0, &gd_cfg(1e-3, 100), &mut NoObserver) {
        Err(SimulationError::Diverged { step: 1, quantity: "loss", value, bound, .. }) => assert!(value > bound),
        other => panic!("expected a divergence at step 1, got {other:?}"),
    }
    let e = run_gd(&data, relu(), &theta0, &gd_cfg(1e-3, 100), &mut NoObserver).unwrap_err().to_string();
    assert!(e.contains("training diverged at step 1") && e.contains("lower the step"), "{e}");
    // GD with a step below the stability limit 2 / (largest Hessian eigenvalue ~ |theta|^2 |x|^2) works
    let l0 = recomputed_loss(relu(), &theta0, &data);
    let run = run_gd(&data, relu(), &theta0, &gd_cfg(1e-9, 200), &mut NoObserver).unwrap();
    assert_sound(&run, &data);
    assert!(run.summary.final_loss < l0, "{} !< {}", run.summary.final_loss, l0);
    // The flow is a descent flow: it cannot diverge. The explicit step follows the stiffness
    // (h ~ 1e-7 here, ~1e7 steps per unit time) until Hairer's stiffness test fires; ROS2 then
    // reaches the horizon within the step cap.
    let stop = StopRule { max_steps: Some(2000), horizon: Some(1.0), ..Default::default() };
    let run = run_flow(&data, relu(), &theta0, &flow_cfg(stop), &mut NoObserver).unwrap();
    assert_sound(&run, &data);
    assert_eq!(run.summary.stop_reason, StopReason::Horizon);
    assert_eq!(run.summary.flow.map(|f| f.integrator), Some(reluflow::solver::Integrator::Ros2));
    assert!(run.summary.final_loss < l0);
    for j in 0..4 {
        assert!(run.final_params.relative_imbalance(j).abs() < 1e-9, "Lemma 1, neuron {j}");
    }
}

/// `--init-from` a file: writes `p` as JSON and returns its path.
fn params_file(dir: &Path, name: &str, p: &Params) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(p).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn activation_boundary_hit_exactly_at_initialisation_stays_exact_on_orthonormal_data() {
    // Standard basis e_0, e_1, e_2. Neuron 0 has g_0 = (0, 1, -1): <w_0, e_0> = 0 exactly.
    // relu'(0) = 0 gives D_0 no e_0 component, so w_0[0] stays exactly 0 under GD and the flow
    // (Lemma 6 / Proposition 2); the other neurons fit the labels.
    let data = basis(&[1.0, 2.0, -1.5]);
    let p = Params {
        a: vec![2f64.sqrt() * 1e-3, 0.3e-3, -0.2e-3, 0.5e-3],
        w: vec![
            vec![0.0, 1e-3, -1e-3],
            vec![0.2e-3, 0.1e-3, 0.0],
            vec![-0.1e-3, 0.0, 0.1e-3],
            vec![0.1e-3, 0.3e-3, 0.1e-3],
        ],
    };
    let theta0 = ScaledParams::try_from_params(&p).unwrap();
    let gd = run_gd(&data, relu(), &theta0, &gd_cfg(1e-2, 20_000), &mut NoObserver).unwrap();
    let flow = run_flow(
        &data,
        relu(),
        &theta0,
        &flow_cfg(StopRule { horizon: Some(200.0), ..Default::default() }),
        &mut NoObserver,
    )
    .unwrap();
    for (name, run) in [("gd", &gd), ("flow", &flow)] {
        assert_sound(run, &data);
        let w0 = run.final_params.to_params().w[0].clone();
        assert_eq!(w0[0].to_bits(), 0f64.to_bits(), "{name}: <w_0, e_0> left 0: {w0:?}");
        assert!(run.summary.final_loss < 1e-8, "{name}: loss {}", run.summary.final_loss);
    }
    // The same through the CLI with --init-from (flow and GD), and on the toy, whose inputs are
    // orthogonal but not unit-norm: w_0 = (2, 1) makes <w_0, x_0> = -1 + 1 = 0 exactly.
    let dir = TempDir::new("boundary_at_init");
    let data_file = dir.0.join("basis.json");
    std::fs::write(&data_file, reluflow::data::io::to_json_string(&data)).unwrap();
    let init = params_file(&dir.0, "init.json", &p);
    let toy_init = params_file(
        &dir.0,
        "toy_init.json",
        &Params { a: vec![5f64.sqrt() * 1e-3, -1e-3], w: vec![vec![2e-3, 1e-3], vec![-1e-3, 0.5e-3]] },
    );
    for (data_arg, init, m) in [(data_file.to_str().unwrap(), &init, 4), ("toy", &toy_init, 2)] {
        for method in
            [&["--method", "gd", "--step", "1e-2", "--steps", "5000"][..], &["--method", "flow", "--horizon", "100"]]
        {
            let argv: Vec<String> =
                ["--data", data_arg, "--init-from", init].iter().chain(method).map(|s| s.to_string()).collect();
            let args = parse_simulate(&argv).unwrap();
            let r = simulate(&args).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
            assert_eq!(r.m, m);
            check_report(&r, &args).unwrap();
        }
    }
}

#[test]
fn neurons_exactly_at_zero_stay_exactly_at_zero_and_an_all_zero_network_is_a_fixed_point() {
    let data = toy();
    // two live neurons (one active on both inputs, s = +1; one on x_0 only, s = -1) and two at
    // exactly (0, 0, 0)
    let p = Params {
        a: vec![2f64.sqrt() * 1e-3, 0.0, -(2f64.sqrt()) * 1e-3, 0.0],
        w: vec![vec![1e-3, 1e-3], vec![0.0, 0.0], vec![-1e-3, 1e-3], vec![-0.0, 0.0]],
    };
    let theta0 = ScaledParams::try_from_params(&p).unwrap();
    let gd = run_gd(&data, relu(), &theta0, &gd_cfg(2e-3, 20_000), &mut NoObserver).unwrap();
    let flow = run_flow(
        &data,
        relu(),
        &theta0,
        &flow_cfg(StopRule { horizon: Some(100.0), ..Default::default() }),
        &mut NoObserver,
    )
    .unwrap();
    for (name, run) in [("gd", &gd), ("flow", &flow)] {
        assert_sound(run, &data);
        let q = run.final_params.to_params();
        for j in [1, 3] {
            assert!(q.a[j] == 0.0 && q.w[j].iter().all(|v| *v == 0.0), "{name}: neuron {j} moved: {q:?}");
            assert_eq!(run.final_params.ln_norm_w(j), f64::NEG_INFINITY);
            assert_eq!(run.final_params.relative_imbalance(j), 0.0);
        }
        assert!(run.summary.final_loss < 1e-8, "{name}: the live neurons fit: loss {}", run.summary.final_loss);
    }
    // all neurons at zero: the gradient vanishes, the loss stays at 1/(2n) sum y^2 = 0.5, and the
    // flow reaches a long horizon in a handful of steps (the step size grows tenfold per step)
    let zero = ScaledParams::try_from_params(&Params { a: vec![0.0; 3], w: vec![vec![0.0, 0.0]; 3] }).unwrap();
    let gd = run_gd(&data, relu(), &zero, &gd_cfg(1e-2, 100), &mut NoObserver).unwrap();
    assert_eq!(gd.summary.final_loss, 0.5);
    assert_eq!(gd.final_params, zero);
    let flow = run_flow(
        &data,
        relu(),
        &zero,
        &flow_cfg(StopRule { horizon: Some(1e6), ..Default::default() }),
        &mut NoObserver,
    )
    .unwrap();
    assert_eq!((flow.summary.final_loss, flow.summary.time, flow.summary.stop_reason), (0.5, 1e6, StopReason::Horizon));
    assert!(flow.summary.steps < 50, "{} steps", flow.summary.steps);
    assert_eq!(flow.final_params, zero);
    // a dead neuron (a_j = 0, w_j = 0, as GD leaves them after an overshoot) stays dead even with
    // relu'(0) = 1 (claim P2's negative control): a_j = 0 and w_j = 0 make both parts of its
    // gradient vanish
    let mut p = balanced(&data, 4, 1e-6, seed_with_assumption_3(&data, 4, 1e-6)).to_params();
    p.a[1] = 0.0;
    p.w[1] = vec![0.0, 0.0];
    let p2 = Model { activation: Activation::Relu, relu_prime_at_zero: 1.0 }.validate().unwrap();
    let run = run_gd(&data, p2, &ScaledParams::from_params(&p), &gd_cfg(2e-3, 100), &mut NoObserver).unwrap();
    let end = run.final_params.to_params();
    assert!(end.a[1] == 0.0 && end.w[1] == vec![0.0, 0.0], "neuron 1 revived: {} {:?}", end.a[1], end.w[1]);
}

#[test]
fn flow_to_t_1e6_after_convergence_finishes_in_bounded_steps_at_the_minimum_norm() {
    // After convergence the explicit integrator's step is bounded by stability (h ~ 1.5 on the toy),
    // so the step count grows linearly with T (about 0.68 T) and the state does not drift.
    let data = toy();
    let theta0 = balanced(&data, 4, 1e-6, seed_with_assumption_3(&data, 4, 1e-6));
    let run = run_flow(
        &data,
        relu(),
        &theta0,
        &flow_cfg(StopRule { horizon: Some(1e6), ..Default::default() }),
        &mut NoObserver,
    )
    .unwrap();
    assert_sound(&run, &data);
    assert_eq!((run.summary.time, run.summary.stop_reason), (1e6, StopReason::Horizon));
    assert!(run.summary.steps < 1_000_000, "{} steps for T = 1e6", run.summary.steps);
    assert!(run.summary.final_loss < 1e-15, "loss {}", run.summary.final_loss);
    let min = theory::min_norm_sq(&data).unwrap();
    assert!((run.final_params.norm_sq() - min).abs() < 1e-6, "|theta|^2 {} vs {}", run.final_params.norm_sq(), min);
}

#[test]
fn ten_million_gd_steps_and_a_horizon_of_1e6_finish_without_drift() {
    let data = toy();
    let theta0 = balanced(&data, 4, 1e-6, seed_with_assumption_3(&data, 4, 1e-6));
    let min = theory::min_norm_sq(&data).unwrap();
    // 10^7 steps of 2e-3 (t = 2e4)
    let run = run_gd(&data, relu(), &theta0, &gd_cfg(2e-3, 10_000_000), &mut NoObserver).unwrap();
    assert_sound(&run, &data);
    assert_eq!(run.summary.steps, 10_000_000);
    assert!(run.summary.final_loss < 1e-25 && (run.final_params.norm_sq() - min).abs() < 1e-6);
    // a horizon: ceil(1e6 / 0.5) = 2e6 steps
    let cfg = GdConfig { step: 0.5, stop: StopRule { horizon: Some(1e6), ..Default::default() } };
    let run = run_gd(&data, relu(), &theta0, &cfg, &mut NoObserver).unwrap();
    assert_sound(&run, &data);
    assert_eq!((run.summary.steps, run.summary.time, run.summary.stop_reason), (2_000_000, 1e6, StopReason::Horizon));
}

#[test]
fn a_horizon_that_needs_more_gd_steps_than_can_be_counted_is_a_config_error() {
    // 1 / 1e-300 = 1e300 steps: ceil(..) as u64 used to saturate to 2^64 - 1 and run "forever"
    let data = toy();
    let theta0 = balanced(&data, 4, 1e-6, 1);
    let cfg = GdConfig { step: 1e-300, stop: StopRule { horizon: Some(1.0), ..Default::default() } };
    match run_gd(&data, relu(), &theta0, &cfg, &mut NoObserver) {
        Err(SimulationError::Config(msg)) => {
            assert!(msg.contains("horizon 1.0 / step 1e-300 = 1.000e300 steps") && msg.contains("--steps"), "{msg}")
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
    // with a step cap the same horizon is fine (the cap wins)
    let cfg =
        GdConfig { step: 1e-300, stop: StopRule { horizon: Some(1.0), max_steps: Some(10), ..Default::default() } };
    assert_eq!(run_gd(&data, relu(), &theta0, &cfg, &mut NoObserver).unwrap().summary.steps, 10);
}

#[test]
fn flow_from_a_non_finite_state_stops_at_step_0_like_gd() {
    // NaN at the start used to be integrated for one step and reported as non-finite "at step 1
    // (time 1e-6)"; gradient descent says step 0.
    let data = toy();
    let p = Params { a: vec![f64::NAN, 1.0], w: vec![vec![1.0, 0.0], vec![0.0, 1.0]] };
    let theta0 = ScaledParams::from_params(&p);
    let stop = StopRule { max_steps: Some(10), ..Default::default() };
    match run_flow(&data, relu(), &theta0, &flow_cfg(stop), &mut NoObserver) {
        Err(SimulationError::NonFinite { step: 0, time }) => assert_eq!(time, 0.0),
        other => panic!("expected a non-finite state at step 0, got {other:?}"),
    }
    // a finite state whose loss overflows (a = 0 times 4^959 = inf used to give NaN) is caught too
    let p = Params { a: vec![0.0, 1e300], w: vec![vec![1e300, 1e300], vec![1e300, 0.0]] };
    let theta0 = ScaledParams::from_params(&p);
    for result in [
        run_flow(&data, relu(), &theta0, &flow_cfg(stop), &mut NoObserver).map(|r| r.summary),
        run_gd(&data, relu(), &theta0, &gd_cfg(1e-3, 10), &mut NoObserver).map(|r| r.summary),
    ] {
        assert!(matches!(result, Err(SimulationError::NonFinite { step: 0, .. })), "{result:?}");
    }
}

#[test]
fn gd_steps_from_just_stable_to_absurd_either_converge_or_name_the_step_of_divergence() {
    let data = toy();
    let theta0 = balanced(&data, 20, 1e-3, 2);
    let mut outcomes = Vec::new();
    for step in [0.1, 0.5, 0.9, 1.5, 3.0, 10.0, 1e3, 1e10, 1e100, 1e300, 1e304] {
        match run_gd(&data, relu(), &theta0, &gd_cfg(step, 5000), &mut NoObserver) {
            Ok(run) => {
                // a legitimate GD outcome, reported truthfully: it interpolates, or it oscillates,
                // or a step kills every neuron and the loss sits at L(0) = 0.5
                assert_sound(&run, &data);
                outcomes.push(format!("{step:e}: loss {:.3e}", run.summary.final_loss));
            }
            Err(e @ (SimulationError::Diverged { step: k, .. } | SimulationError::NonFinite { step: k, .. })) => {
                assert!((1..=5000).contains(&k), "step {step}: {e}");
                let msg = e.to_string();
                assert!(msg.contains(&format!("at step {k}")), "{msg}");
                outcomes.push(format!("{step:e}: {msg}"));
            }
            Err(e) => panic!("step {step}: unexpected {e:?}"),
        }
    }
    println!("{}", outcomes.join("\n"));
    // f64::MAX x 5000 steps: the simulated time would be infinite, so the run does not start
    let e = run_gd(&data, relu(), &theta0, &gd_cfg(f64::MAX, 5000), &mut NoObserver).unwrap_err();
    assert!(matches!(&e, SimulationError::Config(m) if m.contains("overflows the simulated time")), "{e}");
    // 0.1 and 0.5 interpolate; 0.9 oscillates (loss ~1e-3); 1.5 kills the s = -1 neurons (loss 0.25 =
    // the plateau), 3 and 10 every neuron (loss 0.5 = L(0)); from 1e3 on the loss or the state blows up
    assert!(
        outcomes[..2].iter().all(|o| o.contains("e-3") && o.starts_with(|c: char| c.is_ascii_digit())),
        "{outcomes:#?}"
    );
    assert!(outcomes[..2].iter().all(|o| o.split("loss ").nth(1).is_some_and(|l| l.parse::<f64>().unwrap() < 1e-20)));
    assert!(outcomes[6..].iter().all(|o| o.contains("diverged") || o.contains("non-finite")), "{outcomes:#?}");
}

#[test]
fn flow_rejects_inputs_whose_squared_norm_leaves_f64_instead_of_reporting_a_wrong_loss() {
    // Found by the simulate proptest: with |x_0| = 1e300, |x_0| (computed as sqrt(sum x^2)) was inf,
    // so the activation band around 0 was infinite: <w_2, x_0> reached 0, entered `Zero` and never
    // left it, growing to 4e226 (0.18 |w_2| |x_0|). The run reported the loss 5.94 of h(x_0) = 0;
    // the loss of its final parameters was 2.85e307.
    let data = Dataset::new(vec![vec![1e300, 0.0], vec![139.625, -51.8125]], vec![0.0, -4.873259523060652]).unwrap();
    let theta0 = balanced(&data, 3, 1e-73, 11869228732718125850);
    let stop = StopRule { max_steps: Some(30), horizon: Some(1e-3), ..Default::default() };
    match run_flow(&data, relu(), &theta0, &flow_cfg(stop), &mut NoObserver) {
        Err(e @ SimulationError::InputOutOfRange { point: 0, norm_sq }) => {
            assert_eq!(norm_sq, f64::INFINITY);
            assert!(e.to_string().contains("input x_0 has |x_0|^2 = inf, outside the f64 range"), "{e}");
        }
        other => panic!("expected InputOutOfRange, got {:?}", other.map(|r| r.summary)),
    }
    // tiny inputs: |x_1|^2 = 1e-340 underflows
    let tiny = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1e-170]], vec![1.0, -1.0]).unwrap();
    let theta0 = balanced(&tiny, 3, 1e-3, 1);
    let e = run_flow(&tiny, relu(), &theta0, &flow_cfg(stop), &mut NoObserver).unwrap_err();
    assert!(matches!(e, SimulationError::InputOutOfRange { point: 1, norm_sq } if norm_sq == 0.0), "{e:?}");
    // a zero input is fine (it is never active), and gradient descent has no such limit
    let zero = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 0.0]], vec![1.0, 0.0]).unwrap();
    assert_sound(
        &run_flow(&zero, relu(), &balanced(&zero, 3, 1e-3, 1), &flow_cfg(stop), &mut NoObserver).unwrap(),
        &zero,
    );
    let run =
        run_gd(&data, relu(), &balanced(&data, 3, 1e-73, 11869228732718125850), &gd_cfg(1e-3, 3), &mut NoObserver);
    assert!(matches!(run, Ok(_) | Err(SimulationError::Diverged { .. } | SimulationError::NonFinite { .. })));
    if let Ok(run) = run {
        assert_sound(&run, &data);
    }
}

#[test]
fn flow_classes_agree_with_the_state_after_a_long_step_is_cut_at_an_event() {
    // Found by the flow proptest: with atol = 5 (far above |theta| ~ 1e-3) steps are long; the third
    // is cut where z_00 reaches 0 on the dense output, and there z_01, z_11 are already negative
    // (though positive again at the end of the attempted step). They stayed `Positive`, and the
    // reported loss (0.970925, with those classes) was not the loss of the state (0.971275).
    let x = vec![
        vec![0.05201130986382774, 0.8145711458028195, 0.4047403451524047, -0.4122546847249203],
        vec![-0.4111417293222685, -0.03759880615011296, 0.7098134659102155, 0.5707132833555815],
    ];
    let data = Dataset::new(x, vec![1.7972885066223934, -0.8092306391223459]).unwrap();
    let t = [
        -3.1149844847498387,
        0.1620144232573386,
        2.5373764809006807,
        1.2607598955020347,
        -1.2841669466835623,
        -2.329837304463345,
        -1.4319223712968208,
        1.7482313372374936,
        0.3843054353033759,
        0.4168173601780551,
    ];
    let s = 2f64.powi(-10);
    let p = Params {
        a: vec![t[0] * s, t[5] * s],
        w: vec![t[1..5].iter().map(|v| v * s).collect(), t[6..10].iter().map(|v| v * s).collect()],
    };
    let theta0 = ScaledParams::try_from_params(&p).unwrap();
    let stop = StopRule { max_steps: Some(3), ..Default::default() };
    let cfg = FlowConfig { rtol: 1e-3, atol: 5.1875, h_max: f64::INFINITY, stop };
    let run = run_flow(&data, relu(), &theta0, &cfg, &mut NoObserver).unwrap();
    assert_sound(&run, &data);
    let q = run.final_params.to_params();
    let classes = run.final_classes.unwrap();
    for j in 0..2 {
        for k in 0..2 {
            let z: f64 = q.w[j].iter().zip(data.x(k)).map(|(a, b)| a * b).sum();
            let band = 1e-9 * q.w[j].iter().map(|v| v * v).sum::<f64>().sqrt();
            let ok = match classes[j * 2 + k] {
                Class::Positive => z > -band,
                Class::Negative => z < band,
                Class::Zero => z.abs() < band,
            };
            assert!(ok, "z_{j}{k} = {z:e} in class {:?}", classes[j * 2 + k]);
        }
    }
}

/// `reluflow simulate <args>` through the binary (exit 2, no panic, `needle` in stderr) and the
/// library (`expect` holds of the error, whose message contains `needle`).
fn fails_everywhere(args: &[&str], needle: &str, expect: fn(&CliError) -> bool) {
    let out = reluflow(&[&["simulate"][..], args].concat(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked") && err.contains(needle), "{args:?}: stderr {err:?} lacks {needle:?}");
    let argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    match simulate(&parse_simulate(&argv).unwrap()) {
        Ok(r) => panic!("{args:?}: library Ok (loss {})", r.final_loss),
        Err(e) => {
            assert!(expect(&e), "{args:?}: unexpected variant {e:?}");
            assert!(e.to_string().contains(needle), "{args:?}: {e}");
        }
    }
}

#[test]
fn numerical_bad_inputs_through_the_binary_name_the_problem() {
    let dir = TempDir::new("numerical_bad_inputs");
    let config = |e: &CliError| matches!(e, CliError::Simulation(SimulationError::Config(_)));
    let at_start = |e: &CliError| matches!(e, CliError::Simulation(SimulationError::NonFinite { step: 0, .. }));
    // a horizon that needs 1e300 steps: ceil(..) as u64 saturated, and the run never ended
    fails_everywhere(
        &["--data", "toy", "--step", "1e-300", "--horizon", "1"],
        "horizon 1.0 / step 1e-300 = 1.000e300 steps, more than 2^53 = 9.007e15",
        config,
    );
    // steps x eta beyond f64: the report said "time inf"
    fails_everywhere(
        &["--data", "toy", "--step", "1e308", "--steps", "10"],
        "step 1e308 x 10 steps overflows the simulated time",
        config,
    );
    // lambda so large the initial loss overflows: named at step 0, with the fix
    let start = "the initial loss or |theta|^2 is not finite (NaN or infinity) at step 0";
    fails_everywhere(&["--data", "toy", "--lambda", "1e200", "--step", "1e-3", "--steps", "10"], start, at_start);
    fails_everywhere(&["--data", "toy", "--lambda", "1e200", "--method", "flow", "--horizon", "1"], start, at_start);
    // labels so large the loss overflows (the message used to blame the step size)
    let big_y = dir.0.join("big_y.json");
    std::fs::write(&big_y, "{\"x\": [[1, 0], [0, 1]], \"y\": [1e300, -1]}").unwrap();
    let big_y = big_y.to_str().unwrap();
    fails_everywhere(&["--data", big_y, "--step", "1e-3", "--steps", "10"], "or the labels are too large", at_start);
    // lambda = 1e3 with the usual step
    fails_everywhere(
        &["--data", "toy", "--lambda", "1e3", "--step", "1e-3", "--steps", "10"],
        "training diverged at step 1 (time 1.000000e-3): loss = ",
        |e| matches!(e, CliError::Simulation(SimulationError::Diverged { step: 1, quantity: "loss", .. })),
    );
}

#[test]
fn inputs_that_used_to_give_a_wrong_number_or_a_wrong_error_now_work() {
    let dir = TempDir::new("used_to_be_wrong");
    let run = |args: &[&str]| -> SimulateReport {
        let argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        simulate(&parse_simulate(&argv).unwrap()).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    };
    // parallel inputs of size 1e200: <x_0, x_1> overflowed and they passed as orthogonal, with a
    // "minimum (Proposition 1)" of 2.8e-200
    let parallel = dir.0.join("parallel.json");
    std::fs::write(&parallel, "{\"x\": [[1e200, 1e200], [1e200, 1e200]], \"y\": [1, -1]}").unwrap();
    let parallel = parallel.to_str().unwrap();
    let r = run(&["--data", parallel, "--lambda", "1e-210", "--step", "1e-3", "--steps", "10"]);
    assert_eq!(r.min_norm_sq, None);
    let out = reluflow(&["simulate", "--data", parallel, "--lambda", "1e-210", "--step", "1e-3", "--steps", "10"], &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("(no closed-form minimum: inputs not orthogonal"), "{text}");
    // a network of zero neurons under the flow: the zero-width activation band made every step an
    // event ("10001 events in a row ...: the switching is chattering"); it is a fixed point
    let zero = dir.0.join("zero.json");
    std::fs::write(&zero, "{\"a\": [0, 0], \"w\": [[0, 0], [0, 0]]}").unwrap();
    let r = run(&["--data", "toy", "--init-from", zero.to_str().unwrap(), "--method", "flow", "--horizon", "10"]);
    assert_eq!((r.final_loss, r.time, r.steps < 20), (0.5, 10.0, true), "{} steps", r.steps);
    // a horizon of 5e-324 with a step of 2: 5e-324 / 2 rounds to 0, so 0 steps were taken and the run
    // claimed to have reached the horizon at time 0
    let r = run(&["--data", "toy", "--step", "2", "--horizon", "5e-324"]);
    assert_eq!((r.steps, r.time), (1, 2.0));
    // an inactive neuron far outside the data's range: <w_j, x_k> = -inf in plain units and
    // relu(-inf) = 0 x -inf = NaN in the reported predictions (the run itself is fine)
    let far = dir.0.join("far.json");
    std::fs::write(&far, "{\"x\": [[-2.39222410249102e306]], \"y\": [0]}").unwrap();
    // (lambda = 2^7 x 1.94: the run works on 1.94 g_j, the plain w_j = 248.8 g_j overflows <w_j, x_0>)
    let far = far.to_str().unwrap();
    // the first seed whose g_0 > 0: the neuron is inactive on x_0 < 0
    let one = Dataset::new(vec![vec![-1.0]], vec![0.0]).unwrap();
    let seed = (0..100u64).find(|&s| balanced(&one, 1, 248.8125, s).w_hat(0)[0] > 0.0).unwrap().to_string();
    let args = ["--data", far, "--width", "1", "--lambda", "248.8125", "--seed", seed.as_str()];
    let r = run(&[&args[..], &["--step", "1e-3", "--steps", "5"]].concat());
    assert_eq!(r.predictions, vec![0.0]);
    assert_eq!(r.final_loss, 0.0);
}

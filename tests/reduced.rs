//! The reduced-coordinates fast path (`solver::reduced`) against the full simulator.
//!
//! The two paths integrate the same equations in different coordinates (`p_j = X w_j` against
//! `w_j`), so on orthonormal inputs they must agree to rounding (gradient descent: same arithmetic
//! up to summation order) or to the integrator's accuracy (the flow). They are compared on random
//! instances with `lambda` from `1e-2` down to `1e-300`, on final parameters, summaries and
//! sampled trajectories; the fast path must refuse inputs that are not orthonormal.
//!
//! Relative differences are per neuron and scale-free: `|theta_j - theta'_j| / |theta'_j|` in the
//! mantissa units of one of them, so a neuron of size `1e-300` is compared as closely as one of
//! size 1.

use crate::common::config;
use proptest::prelude::*;
use reluflow::claims::Instance;
use reluflow::data::{Dataset, ORTHONORMAL_TOL};
use reluflow::generators::InstanceShape;
use reluflow::network::{Activation, Class, Model, ValidModel};
use reluflow::params::{ScaledParams, ldexp};
use reluflow::solver::flow::{FlowConfig, run_flow};
use reluflow::solver::gd::{GdConfig, run_gd};
use reluflow::solver::reduced::{ReducedError, reduce, run_flow_reduced, run_gd_reduced};
use reluflow::solver::{NoObserver, Observer, Run, SimulationError, StopRule, View};
use reluflow::theory;
use reluflow::trajectory::{Recorder, SampleSchedule, Trajectory};

const EPS: f64 = f64::EPSILON;

/// `max_j |theta_j - theta'_j| / |theta'_j|` (0 for two zero neurons).
fn max_rel_diff(a: &ScaledParams, b: &ScaledParams) -> f64 {
    assert_eq!((a.m(), a.d()), (b.m(), b.d()));
    let w = a.d() + 1;
    let mut worst = 0.0f64;
    for j in 0..a.m() {
        let shift = a.exponent(j) - b.exponent(j);
        let (ba, bb) = (&a.theta_hat()[j * w..(j + 1) * w], &b.theta_hat()[j * w..(j + 1) * w]);
        let diff: f64 = ba.iter().zip(bb).map(|(x, y)| (ldexp(*x, shift) - y).powi(2)).sum::<f64>().sqrt();
        let size: f64 = bb.iter().map(|y| y * y).sum::<f64>().sqrt();
        if diff > 0.0 {
            worst = worst.max(diff / size);
        }
    }
    worst
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b { 0.0 } else { (a - b).abs() / a.abs().max(b.abs()) }
}

/// Time by which the saddle-to-saddle dynamics is over: the negative labels are fitted around
/// `ln(1/lambda)/|D-|` (claim TS); 1.5 times that, plus time for the final exponential convergence.
fn end_of_dynamics(instance: &Instance) -> f64 {
    let d_small = theory::d_plus_norm(&instance.data).min(theory::d_minus_norm(&instance.data));
    1.5 * -instance.ln_lambda() / d_small + 40.0 / d_small
}

fn setup(instance: &Instance) -> (ScaledParams, ValidModel) {
    (instance.initialisation().unwrap().params, instance.valid_model().unwrap())
}

/// Sample times and every field the recorder derives from the parameters, compared.
fn compare_trajectories(full: &Trajectory, fast: &Trajectory, tol: f64) -> f64 {
    assert_eq!(full.samples.len(), fast.samples.len(), "same number of samples");
    let mut worst = 0.0f64;
    for (s, t) in full.samples.iter().zip(&fast.samples) {
        assert_eq!(s.step, t.step);
        assert!(rel(s.time, t.time) <= tol, "sample times {} vs {}", s.time, t.time);
        worst = worst.max(rel(s.loss, t.loss));
        worst = worst.max(rel(s.param_norm_sq, t.param_norm_sq));
        for (x, y) in s.ln_neuron_norm.iter().zip(&t.ln_neuron_norm) {
            // ln|w_j| to an absolute accuracy is |w_j| to a relative one
            worst = worst.max((x - y).abs());
        }
        for (x, y) in s.relative_imbalance.iter().zip(&t.relative_imbalance) {
            worst = worst.max((x - y).abs());
        }
        assert_eq!(s.pattern, t.pattern, "activation pattern at t = {}", s.time);
    }
    assert_eq!(full.checkpoints.len(), fast.checkpoints.len());
    for (c, d) in full.checkpoints.iter().zip(&fast.checkpoints) {
        worst = worst.max(max_rel_diff(&d.params, &c.params));
    }
    worst
}

fn schedule(horizon: f64) -> SampleSchedule {
    SampleSchedule {
        first: 1e-2,
        per_decade: 5,
        every: horizon / 20.0,
        max_samples: 200,
        checkpoints: vec![horizon / 7.0, horizon / 3.0, horizon / 2.0],
    }
}

// ------------------------------------------------------------------------------------------
// reduce / lift
// ------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(32))]

    /// `lift(reduce(theta)) = theta` up to the rounding of `X^T X w`: each entry is a sum of
    /// `n` products of `d`-term dot products, so the error is at most `(n + d) eps |w|` per entry
    /// (standard dot-product bounds) plus the Gram deviation of `X` (below `1e-15` for the Haar
    /// inputs, a few `d eps`): bounded by `4 (n + d) eps` relative.
    #[test]
    fn lift_inverts_reduce(instance in InstanceShape::default().with_lambda_exp10(2..=300).strategy()) {
        let theta = instance.initialisation().unwrap().params;
        let red = reduce(&instance.data, &theta).unwrap();
        prop_assert_eq!((red.m(), red.n(), red.d()), (theta.m(), instance.data.n(), instance.data.d()));
        let back = red.lift();
        let tol = 4.0 * (red.n() + red.d()) as f64 * EPS;
        let diff = max_rel_diff(&back, &theta);
        prop_assert!(diff <= tol, "round trip {diff:e} > {tol:e}");
        // p_jk is <w_j, x_k>: the classes the full path would start from
        for j in 0..theta.m() {
            for k in 0..red.n() {
                let z: f64 = theta.w_hat(j).iter().zip(instance.data.x(k)).map(|(a, b)| a * b).sum();
                prop_assert_eq!(Class::of(z), Class::of(red.p_hat(j)[k]));
            }
        }
    }
}

/// Negative control: the fast path refuses inputs that break Assumption 1, with the numbers.
#[test]
fn reduce_refuses_non_orthonormal_inputs() {
    let instance = InstanceShape::default().sample(3).unwrap();
    let theta = instance.initialisation().unwrap().params;
    let (n, d) = (instance.data.n(), instance.data.d());
    let rows = instance.data.rows();
    let cases: Vec<(&str, Dataset)> = vec![
        ("Section 5 toy", reluflow::data::generate::toy()),
        (
            "orthogonal, norms 2",
            Dataset::new(rows.iter().map(|r| r.iter().map(|v| 2.0 * v).collect()).collect(), instance.data.y().to_vec())
                .unwrap(),
        ),
        (
            "x_0 tilted by 10 x the tolerance",
            Dataset::new(
                rows.iter()
                    .enumerate()
                    .map(|(k, r)| {
                        if k == 0 { r.iter().zip(&rows[1]).map(|(a, b)| a + 10.0 * ORTHONORMAL_TOL * b).collect() } else { r.clone() }
                    })
                    .collect(),
                instance.data.y().to_vec(),
            )
            .unwrap(),
        ),
    ];
    let toy_theta = ScaledParams::from_params(&reluflow::Params { a: vec![1.0], w: vec![vec![0.5, -0.5]] });
    for (what, data) in cases {
        let report = data.assumptions();
        assert!(!report.orthonormal, "{what}: the control must break Assumption 1");
        let theta_here = if data.d() == d { &theta } else { &toy_theta };
        let err = reduce(&data, theta_here).unwrap_err();
        match &err {
            ReducedError::NotOrthonormal { max_gram_deviation, pair, tolerance } => {
                assert_eq!(*max_gram_deviation, report.max_gram_deviation, "{what}");
                assert_eq!(*pair, report.worst_gram_pair, "{what}");
                assert_eq!(*tolerance, ORTHONORMAL_TOL);
                assert!(*max_gram_deviation > ORTHONORMAL_TOL);
            }
            other => panic!("{what}: expected NotOrthonormal, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains("Assumption 1") && msg.contains("run_gd / run_flow"), "{msg}");
    }

    // the runners return the same refusal as a configuration error, before simulating
    let toy = reluflow::data::generate::toy();
    let relu = Model::relu().validate().unwrap();
    let gd_cfg = GdConfig { step: 1e-2, stop: StopRule { max_steps: Some(10), ..Default::default() } };
    let flow_cfg = FlowConfig { stop: StopRule { horizon: Some(1.0), ..Default::default() }, ..Default::default() };
    for e in [
        run_gd_reduced(&toy, relu, &toy_theta, &gd_cfg, &mut NoObserver).unwrap_err(),
        run_flow_reduced(&toy, relu, &toy_theta, &flow_cfg, &mut NoObserver).unwrap_err(),
    ] {
        assert!(matches!(&e, SimulationError::Config(m) if m.contains("Assumption 1")), "{e}");
    }
    // the full simulator runs the same problem
    assert!(run_gd(&toy, relu, &toy_theta, &gd_cfg, &mut NoObserver).is_ok());

    // a tilt within the tolerance is accepted; a dimension mismatch is its own error
    let tilted = Dataset::new(
        rows.iter()
            .enumerate()
            .map(|(k, r)| if k == 0 { r.iter().zip(&rows[1]).map(|(a, b)| a + 0.1 * ORTHONORMAL_TOL * b).collect() } else { r.clone() })
            .collect(),
        instance.data.y().to_vec(),
    )
    .unwrap();
    assert!(reduce(&tilted, &theta).is_ok());
    assert_eq!(
        reduce(&toy, &theta).unwrap_err(),
        ReducedError::DimensionMismatch { params: d, data: 2 },
        "n = {n}, d = {d}"
    );
}

// ------------------------------------------------------------------------------------------
// Gradient descent
// ------------------------------------------------------------------------------------------

/// Gradient descent, both paths, for `steps` steps with a recorder.
fn gd_both(instance: &Instance, model: ValidModel, eta: f64, steps: u64) -> ((Run, Trajectory), (Run, Trajectory)) {
    let theta0 = instance.initialisation().unwrap().params;
    let cfg = GdConfig { step: eta, stop: StopRule { max_steps: Some(steps), ..Default::default() } };
    let sched = schedule(steps as f64 * eta);
    let mut rec = Recorder::new(&instance.data, sched.clone());
    let full = run_gd(&instance.data, model, &theta0, &cfg, &mut rec).unwrap();
    let full_traj = rec.finish();
    let mut rec = Recorder::new(&instance.data, sched);
    let fast = run_gd_reduced(&instance.data, model, &theta0, &cfg, &mut rec).unwrap();
    ((full, full_traj), (fast, rec.finish()))
}

/// The tolerance of the GD comparison after `steps` steps on `data`.
///
/// Per step the two paths differ only by rounding: the full path forms `D_j = sum_k c_k x_k`
/// (`n` terms) and re-reads `p_jk = <w_j, x_k>` (`d` terms), the reduced one updates `p_jk`
/// directly; with the Gram deviation of the inputs (a few `d eps`) each step perturbs each neuron
/// by at most about `2 (n + d) eps` relatively. The linearised dynamics does not amplify relative
/// perturbations of a neuron beyond its own growth except at activation changes, so the
/// perturbations add up: at most `2 (n + d) eps K` after `K` steps, in the worst case where
/// they all align (a random walk gives `sqrt(K)` instead; measured differences are reported by
/// the test and sit far below this bound).
fn gd_tolerance(data: &Dataset, steps: u64) -> f64 {
    2.0 * (data.n() + data.d()) as f64 * EPS * steps.max(1) as f64
}

fn check_gd(instance: &Instance, model: ValidModel) -> Result<f64, TestCaseError> {
    let eta = 5e-2;
    let steps = (end_of_dynamics(instance) / eta).ceil() as u64;
    let ((full, full_traj), (fast, fast_traj)) = gd_both(instance, model, eta, steps);
    prop_assert_eq!(full.summary.steps, fast.summary.steps);
    prop_assert_eq!(full.summary.gradient_evaluations, fast.summary.gradient_evaluations);
    prop_assert_eq!(full.summary.stop_reason, fast.summary.stop_reason);
    let tol = gd_tolerance(&instance.data, steps);
    let params = max_rel_diff(&fast.final_params, &full.final_params);
    let loss = rel(fast.summary.final_loss, full.summary.final_loss);
    let traj = compare_trajectories(&full_traj, &fast_traj, 0.0);
    eprintln!(
        "gd n={} d={} m={} lambda={:.1e} steps={steps} final loss {:.2e}: params {params:.2e}, loss {loss:.2e}, trajectory {traj:.2e} (tol {tol:.1e})",
        instance.data.n(),
        instance.data.d(),
        full.final_params.m(),
        instance.lambda(),
        full.summary.final_loss
    );
    prop_assert!(params <= tol, "final params differ by {params:e} > {tol:e}");
    // the loss is a sum of n residuals squared: its relative error can exceed the parameters' by
    // the cancellation in r_k = h(x_k) - y_k, at most |y| / |r| (the residuals are bounded below by
    // the final loss itself)
    let cancel = instance.data.y().iter().map(|v| v.abs()).fold(0.0, f64::max) / (2.0 * full.summary.final_loss).sqrt();
    prop_assert!(loss <= 4.0 * tol * cancel.max(1.0), "final loss differs by {loss:e}");
    prop_assert!(traj <= 4.0 * tol * cancel.max(1.0), "trajectories differ by {traj:e}");
    Ok(params)
}

proptest! {
    #![proptest_config(config(6))]

    /// Random instances, lambda from 1e-2 to 1e-300, GD through the whole saddle-to-saddle
    /// dynamics: the two paths agree to rounding.
    #[test]
    fn gd_reduced_matches_full(instance in InstanceShape::default().with_lambda_exp10(2..=300).strategy()) {
        let model = instance.valid_model().unwrap();
        check_gd(&instance, model)?;
    }
}

/// The ends of the lambda range, always run (the proptest samples between them).
#[test]
fn gd_reduced_matches_full_at_extreme_lambdas() {
    for (seed, lambda) in [(11, 1e-2), (12, 1e-300)] {
        let instance = InstanceShape::default().sample(seed).unwrap().with_lambda(lambda);
        check_gd(&instance, instance.valid_model().unwrap()).unwrap();
    }
}

/// The `act'(0)` and leaky options act the same in both paths (they are read from `ValidModel`).
#[test]
fn gd_reduced_matches_full_for_other_activations() {
    let instance = InstanceShape::default().sample(21).unwrap().with_lambda(1e-6);
    for model in [
        Model { activation: Activation::Leaky { slope: 0.1 }, relu_prime_at_zero: 0.1 },
        Model { activation: Activation::Relu, relu_prime_at_zero: 1.0 },
    ] {
        check_gd(&instance, model.validate().unwrap()).unwrap();
    }
}

// ------------------------------------------------------------------------------------------
// Gradient flow
// ------------------------------------------------------------------------------------------

/// Records the time and loss of every accepted step.
#[derive(Default)]
struct EveryStep(Vec<(u64, f64, f64)>);
impl Observer for EveryStep {
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, view: &View) {
        self.0.push((view.step, view.time, view.loss));
    }
}

const FLOW_RTOL: f64 = 1e-8;

fn check_flow(instance: &Instance, model: ValidModel) -> Result<(), TestCaseError> {
    let (theta0, _) = setup(instance);
    let horizon = end_of_dynamics(instance);
    let cfg = FlowConfig {
        rtol: FLOW_RTOL,
        stop: StopRule { horizon: Some(horizon), until_loss: Some(1e-12), ..Default::default() },
        ..Default::default()
    };
    let sched = schedule(horizon);
    let mut full_obs = (Recorder::new(&instance.data, sched.clone()), EveryStep::default());
    let full = run_flow(&instance.data, model, &theta0, &cfg, &mut full_obs).unwrap();
    let mut fast_obs = (Recorder::new(&instance.data, sched), EveryStep::default());
    let fast = run_flow_reduced(&instance.data, model, &theta0, &cfg, &mut fast_obs).unwrap();
    let (s, t) = (&full.summary, &fast.summary);
    let params = max_rel_diff(&fast.final_params, &full.final_params);
    let loss = rel(s.final_loss, t.final_loss);
    let (full_steps, fast_steps) = (&full_obs.1.0, &fast_obs.1.0);
    let step_times = full_steps.iter().zip(fast_steps).map(|(a, b)| rel(a.1, b.1)).fold(0.0, f64::max);
    eprintln!(
        "flow n={} d={} m={} lambda={:.1e}: steps {}/{} rejected {}/{} events {}/{} evals {}/{} time {:.1}, loss {:.2e}: params {params:.2e}, loss {loss:.2e}, step times {step_times:.2e}",
        instance.data.n(),
        instance.data.d(),
        theta0.m(),
        instance.lambda(),
        s.steps,
        t.steps,
        s.rejected_steps,
        t.rejected_steps,
        s.events,
        t.events,
        s.gradient_evaluations,
        t.gradient_evaluations,
        s.time,
        s.final_loss
    );
    let traj = compare_trajectories(&full_obs.0.finish(), &fast_obs.0.finish(), 10.0 * FLOW_RTOL);
    prop_assert_eq!(s.events, t.events, "event counts");
    prop_assert_eq!(s.steps, t.steps, "accepted steps");
    prop_assert_eq!(s.rejected_steps, t.rejected_steps, "rejected steps");
    prop_assert_eq!(s.stop_reason, t.stop_reason);
    prop_assert_eq!(&full.final_classes, &fast.final_classes);
    prop_assert_eq!(full_steps.len(), fast_steps.len());
    prop_assert!(params <= 10.0 * FLOW_RTOL, "final params differ by {params:e}");
    prop_assert!(traj <= 10.0 * FLOW_RTOL, "trajectories differ by {traj:e}");
    prop_assert!(step_times <= 10.0 * FLOW_RTOL, "step times differ by {step_times:e}");
    Ok(())
}

proptest! {
    #![proptest_config(config(6))]

    /// Random instances, lambda from 1e-2 to 1e-300, the flow to convergence at the same rtol.
    #[test]
    fn flow_reduced_matches_full(instance in InstanceShape::default().with_lambda_exp10(2..=300).strategy()) {
        check_flow(&instance, instance.valid_model().unwrap())?;
    }
}

#[test]
fn flow_reduced_matches_full_at_extreme_lambdas() {
    for (seed, lambda) in [(31, 1e-2), (32, 1e-300)] {
        let instance = InstanceShape::default().sample(seed).unwrap().with_lambda(lambda);
        check_flow(&instance, instance.valid_model().unwrap()).unwrap();
    }
}

#[test]
fn flow_reduced_matches_full_for_leaky_relu() {
    let instance = InstanceShape::default().sample(41).unwrap().with_lambda(1e-6);
    let model = Model { activation: Activation::Leaky { slope: 0.1 }, relu_prime_at_zero: 0.0 };
    check_flow(&instance, model.validate().unwrap()).unwrap();
}

#[derive(Default)]
struct AllParams(Vec<ScaledParams>);
impl Observer for AllParams {
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, view: &View) {
        self.0.push(view.params.clone());
    }
}

#[test]
fn debug_gd() {
    let x = vec![0.2795423824127756, 0.3238313377735108, 0.4106251268980386, -0.5689219777798353, 0.5698281402930699, -0.06214819762076417, 0.1521429982446409, -0.02703019184298071, 0.7157931270927891, 0.6781590355906788];
    let data = Dataset::from_flat(2, 5, x, vec![1.833631794080634, -1.3104390646033215]).unwrap();
    let instance = Instance::balanced(data, 16, 1e-15, 564712);
    let (theta0, model) = setup(&instance);
    let eta = 5e-2;
    let steps = (end_of_dynamics(&instance) / eta).ceil() as u64;
    let cfg = GdConfig { step: eta, stop: StopRule { max_steps: Some(steps), ..Default::default() } };
    let mut a = AllParams::default();
    let mut b = AllParams::default();
    run_gd(&instance.data, model, &theta0, &cfg, &mut a).unwrap();
    run_gd_reduced(&instance.data, model, &theta0, &cfg, &mut b).unwrap();
    let n = 2;
    for s in 0..a.0.len() {
        let d = max_rel_diff(&b.0[s], &a.0[s]);
        let mut flip = None;
        for j in 0..16 {
            for k in 0..n {
                let za: f64 = a.0[s].w_hat(j).iter().zip(instance.data.x(k)).map(|(u, v)| u * v).sum();
                let zb: f64 = b.0[s].w_hat(j).iter().zip(instance.data.x(k)).map(|(u, v)| u * v).sum();
                if Class::of(za) != Class::of(zb) {
                    flip = Some((j, k, za / a.0[s].w_hat(j).iter().map(|v| v*v).sum::<f64>().sqrt(), zb/ b.0[s].w_hat(j).iter().map(|v| v*v).sum::<f64>().sqrt()));
                }
            }
        }
        if s % 200 == 0 || flip.is_some() || d > 1e-10 {
            eprintln!("step {s}: diff {d:.2e} flip {flip:?}");
            if d > 1e-6 {
                for j in 0..16 {
                    let dj = {
                        let mut x = a.0[s].clone(); let mut y = b.0[s].clone();
                        x.theta_hat(); y.theta_hat();
                        let _ = (&mut x, &mut y);
                        0
                    };
                    let _ = dj;
                    let pa: Vec<f64> = (0..n).map(|k| a.0[s].w_hat(j).iter().zip(instance.data.x(k)).map(|(u, v)| u * v).sum::<f64>()).collect();
                    let pb: Vec<f64> = (0..n).map(|k| b.0[s].w_hat(j).iter().zip(instance.data.x(k)).map(|(u, v)| u * v).sum::<f64>()).collect();
                    eprintln!("j {j}: full a {:.6e} |w| {:.6e} p {:?} e {} | fast a {:.6e} |w| {:.6e} p {:?} e {}", a.0[s].a_hat(j), a.0[s].w_hat(j).iter().map(|v|v*v).sum::<f64>().sqrt(), pa, a.0[s].exponent(j), b.0[s].a_hat(j), b.0[s].w_hat(j).iter().map(|v|v*v).sum::<f64>().sqrt(), pb, b.0[s].exponent(j));
                }
                break;
            }
        }
    }
}

//! Robustness of the run configurations (`GdConfig`, `FlowConfig`, `StopRule`) and of runs from
//! weird parameters: finite, consistent results or a typed error.
//! (See `robustness_common.rs` for the shared helpers and the split.)

use crate::common::config;
use crate::robustness_common::*;
use proptest::prelude::*;
use reluflow::data::Dataset;
use reluflow::data::generate::{LabelSpec, random_orthonormal, toy};
use reluflow::init::{InitKind, InitSpec};
use reluflow::network::ValidModel;
use reluflow::params::{Params, ScaledParams};
use reluflow::solver::flow::{FlowConfig, run_flow};
use reluflow::solver::gd::{GdConfig, run_gd};
use reluflow::solver::{NoObserver, Run, SimulationError, StopReason, StopRule};

// ---------------------------------------------------------------------------------------------
// Run configurations (GdConfig, FlowConfig, StopRule)
// ---------------------------------------------------------------------------------------------

/// A small problem: the toy or random orthonormal data, and a balanced initialisation.
fn problem() -> impl Strategy<Value = (Dataset, ScaledParams)> {
    (
        any::<bool>(),
        1usize..=5,
        mostly((1i32..=300).prop_map(|e| 10f64.powi(-e))),
        any::<u64>(),
        (2usize..=3, 0usize..=2),
    )
        .prop_map(|(use_toy, m, lambda, seed, (n, extra))| {
            let data =
                if use_toy { toy() } else { random_orthonormal(n, n + extra, &LabelSpec::default(), seed).unwrap() };
            // invalid lambdas fall back to 1e-3 (InitSpec is tested above)
            let lambda = if lambda > 0.0 && lambda.is_finite() { lambda } else { 1e-3 };
            let init = InitSpec { kind: InitKind::Balanced, width: m, lambda, seed }.validate().unwrap().draw(data.d());
            (data, init.params)
        })
}

fn stop_rule() -> impl Strategy<Value = StopRule> {
    (
        prop::option::of(0u64..=40),
        prop::option::of(mostly((1u32..=1000).prop_map(|k| f64::from(k) / 100.0))),
        prop::option::of(mostly((1i32..=30).prop_map(|e| 10f64.powi(-e)))),
        prop_oneof![3 => Just(1e6), 1 => any_f64()],
    )
        .prop_map(|(max_steps, horizon, until_loss, divergence_factor)| StopRule {
            max_steps,
            horizon,
            until_loss,
            divergence_factor,
        })
}

/// Whether the stop rule is valid (`StopRule::validate`'s documented rules).
fn stop_rule_valid(s: &StopRule) -> bool {
    (s.max_steps.is_some() || s.horizon.is_some())
        && s.horizon.is_none_or(|t| t > 0.0 && t.is_finite())
        && s.until_loss.is_none_or(|l| l > 0.0 && l.is_finite())
        && s.divergence_factor > 1.0
}

/// Checks an `Ok` run: finite numbers, the loss recomputed from the final parameters, the stop
/// rule respected.
fn check_run(run: &Run, model: ValidModel, data: &Dataset, stop: &StopRule) -> Result<(), TestCaseError> {
    let s = &run.summary;
    prop_assert!(s.final_loss.is_finite() && s.final_loss >= 0.0, "{:?}", s);
    prop_assert!(s.time.is_finite() && s.time >= 0.0, "{:?}", s);
    prop_assert!(finite_slice(run.final_params.theta_hat()));
    let plain = run.final_params.to_params();
    prop_assert!(finite_params(&plain));
    prop_assert!(run.final_params.norm_sq().is_finite());
    let again = recomputed_loss(model, &run.final_params, data);
    prop_assert!(
        loss_agrees(s.method, s.final_loss, again, &run.final_params, data),
        "reported loss {:e}, recomputed {:e}",
        s.final_loss,
        again
    );
    if let Some(k) = stop.max_steps {
        prop_assert!(s.steps <= k, "{} steps > max {}", s.steps, k);
    }
    match s.stop_reason {
        StopReason::LossBelow => prop_assert!(stop.until_loss.is_some_and(|x| s.final_loss < x)),
        StopReason::MaxSteps => prop_assert_eq!(Some(s.steps), stop.max_steps),
        StopReason::Horizon => prop_assert!(stop.horizon.is_some_and(|t| s.time >= t)),
    }
    Ok(())
}

/// Checks an `Err` run: the error is one a run may end with, and its numbers are true.
fn check_run_error(e: &SimulationError, config_valid: bool, stop: &StopRule) -> Result<(), TestCaseError> {
    prop_assert!(!e.to_string().is_empty());
    match e {
        SimulationError::Config(msg) => prop_assert!(!config_valid, "valid configuration rejected: {}", msg),
        SimulationError::Diverged { step, value, bound, .. } => {
            prop_assert!(config_valid && value > bound, "{:?}", e);
            prop_assert!(stop.max_steps.is_none_or(|k| *step <= k), "{:?}", e);
        }
        SimulationError::NonFinite { step, .. } | SimulationError::Integrator { step, .. } => {
            prop_assert!(config_valid, "{:?}", e);
            prop_assert!(stop.max_steps.is_none_or(|k| *step <= k), "{:?}", e);
        }
        other => prop_assert!(false, "unexpected error {:?}", other),
    }
    Ok(())
}

/// `run_gd`'s documented limits on the run's length: a horizon alone needs at most 2^53 steps (the
/// first `k` with `k eta >= T`), and the length times the step is a finite time.
fn gd_length_valid(eta: f64, stop: &StopRule) -> bool {
    let horizon_steps = stop.horizon.map(|t| {
        let k = (t / eta).ceil();
        if k * eta < t { k + 1.0 } else { k }
    });
    if stop.max_steps.is_none() && horizon_steps.is_some_and(|k| k > 2f64.powi(53)) {
        return false;
    }
    let length = stop.max_steps.map_or(f64::INFINITY, |k| k as f64).min(horizon_steps.unwrap_or(f64::INFINITY));
    (length * eta).is_finite()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn run_gd_with_arbitrary_configuration_gives_finite_consistent_results_or_a_typed_error(
        (data, theta0) in problem(),
        step in mostly((1u32..=1000).prop_map(|k| f64::from(k) * 1e-3)),
        mut stop in stop_rule(),
    ) {
        // keep the run short: a valid horizon-only rule with many steps gets a cap
        if stop.max_steps.is_none() && stop.horizon.is_some_and(|t| t / step > MAX_GD_STEPS as f64) {
            stop.max_steps = Some(MAX_GD_STEPS);
        }
        let cfg = GdConfig { step, stop };
        let valid = step > 0.0 && step.is_finite() && stop_rule_valid(&stop) && gd_length_valid(step, &stop);
        let got = no_panic("run_gd", || run_gd(&data, relu(), &theta0, &cfg, &mut NoObserver))?;
        match got {
            Ok(run) => {
                prop_assert!(valid, "invalid configuration accepted: {:?}", cfg);
                check_run(&run, relu(), &data, &stop)?;
                prop_assert_eq!(run.summary.time.to_bits(), (run.summary.steps as f64 * step).to_bits());
            }
            Err(e) => check_run_error(&e, valid, &stop)?,
        }
    }

    #[test]
    fn run_flow_with_arbitrary_configuration_gives_finite_consistent_results_or_a_typed_error(
        (data, theta0) in problem(),
        rtol in mostly((3i32..=12).prop_map(|e| 10f64.powi(-e))),
        atol in prop_oneof![3 => Just(0.0), 1 => any_f64()],
        h_max in prop_oneof![3 => Just(f64::INFINITY), 1 => any_f64()],
        mut stop in stop_rule(),
    ) {
        // keep the run short: at most 40 accepted steps (the horizon alone may need many)
        stop.max_steps = Some(stop.max_steps.unwrap_or(40));
        let cfg = FlowConfig { rtol, atol, h_max, stop };
        let valid = rtol > 0.0
            && rtol < 1.0
            && atol >= 0.0
            && atol.is_finite()
            && h_max > 0.0
            && stop_rule_valid(&stop);
        let got = no_panic("run_flow", || run_flow(&data, relu(), &theta0, &cfg, &mut NoObserver))?;
        match got {
            Ok(run) => {
                prop_assert!(valid, "invalid configuration accepted: {:?}", cfg);
                // inside a step the classes are fixed: a coordinate within 1e-9 |w||x| of 0 counts as 0
                check_run(&run, relu(), &data, &stop)?;
                prop_assert!(stop.horizon.is_none_or(|t| run.summary.time <= t));
            }
            Err(e) => check_run_error(&e, valid, &stop)?,
        }
    }

    #[test]
    fn runs_from_weird_parameters_never_panic_and_never_return_non_finite_numbers(
        a in prop::collection::vec(any_f64(), 1..=3),
        w in prop::collection::vec(any_f64(), 6),
        gd in any::<bool>(),
    ) {
        // d = 2 (the toy); the infallible constructor keeps non-finite values, the run must catch them
        let m = a.len();
        let p = Params { a, w: w.chunks(2).take(m).map(<[f64]>::to_vec).collect() };
        let theta0 = ScaledParams::from_params(&p);
        let data = toy();
        let stop = StopRule { max_steps: Some(20), horizon: Some(1.0), ..Default::default() };
        let got = no_panic("run", || {
            if gd {
                run_gd(&data, relu(), &theta0, &GdConfig { step: 1e-2, stop }, &mut NoObserver)
            } else {
                run_flow(&data, relu(), &theta0, &FlowConfig { stop, ..Default::default() }, &mut NoObserver)
            }
        })?;
        match got {
            Ok(run) => {
                prop_assert!(finite_params(&p), "non-finite start {:?} accepted", p);
                check_run(&run, relu(), &data, &stop)?;
            }
            Err(e) => check_run_error(&e, true, &stop)?,
        }
    }
}

//! What a new user hit (issue 10, items 4 and 7-11): why a run stopped, messages written for a
//! researcher, the toy's assumptions stated as they are, a default GD step, a width bounded by the
//! memory it needs, and a trace in scientific notation. Each test failed before its fix.

use clap::Parser;
use reluflow::Instance;
use reluflow::claims::conservation::flow_checkpoints;
use reluflow::cli::simulate::{
    DEFAULT_FLOW_STEP_CAP, DEFAULT_GD_STEP, Method, SimulateArgs, available_memory, check_memory, remaining, run,
    simulate,
};
use reluflow::cli::{Cli, CliError, Command};
use reluflow::data::generate::{random_orthonormal, toy};
use reluflow::network::{Activation, Model};
use std::process::Command as Process;

fn args(argv: &[&str]) -> SimulateArgs {
    let cli = Cli::try_parse_from(["reluflow", "simulate"].iter().chain(argv)).unwrap_or_else(|e| panic!("{e}"));
    let Command::Simulate(a) = cli.command else { panic!("not simulate") };
    a
}

fn summary(argv: &[&str]) -> String {
    run(&args(argv)).unwrap_or_else(|e| panic!("{argv:?}: {e}"))
}

fn binary(argv: &[&str]) -> (Option<i32>, String, String) {
    let out = Process::new(env!("CARGO_BIN_EXE_reluflow")).arg("simulate").args(argv).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// Item 4: the summary says why the run stopped and whether the loss target was reached; the JSON
/// carries the same (`loss_target_reached`, `step_cap`, with the flow's default cap when only
/// `--until-loss` is given).
#[test]
fn item4_the_summary_says_why_the_run_stopped_and_whether_the_target_was_reached() {
    let missed = ["--data", "toy", "--method", "flow", "--until-loss", "1e-30", "--steps", "200"];
    let text = summary(&missed);
    assert!(text.contains("stopped: --steps 200 reached") && text.contains("NOT reached"), "{text}");
    let r = simulate(&args(&missed)).unwrap();
    assert_eq!((r.loss_target_reached, r.step_cap), (Some(false), Some(200)));
    let reached = ["--data", "toy", "--method", "flow", "--until-loss", "1e-12"];
    let r = simulate(&args(&reached)).unwrap();
    assert_eq!((r.loss_target_reached, r.step_cap), (Some(true), Some(DEFAULT_FLOW_STEP_CAP)));
    assert!(summary(&reached).contains("stopped: the loss fell below the target"));
    let horizon = ["--data", "toy", "--method", "flow", "--horizon", "2", "--until-loss", "1e-12"];
    assert!(summary(&horizon).contains("time horizon 2 was reached; the loss target 1e-12 was NOT reached"));
}

/// Item 4: the norm "excess" over Proposition 1's minimum is printed only for an interpolating end
/// (loss <= 1e-10 L(0)); 3 GD steps from lambda = 1e-6 end on the first saddle (L = 0.5 = L(0)).
#[test]
fn item4_the_norm_excess_is_printed_for_interpolators_only() {
    let saddle = summary(&["--data", "toy", "--steps", "3"]);
    assert!(saddle.contains("not an interpolator") && !saddle.contains("excess"), "{saddle}");
    let end = summary(&["--data", "toy", "--width", "60", "--lambda", "1.29e-7", "--steps", "20000"]);
    assert!(end.contains("excess") && !end.contains("not an interpolator"), "{end}");
}

/// Item 7: the summary names the method and the simulator in words, not as Rust enum variants.
#[test]
fn item7_the_summary_is_written_for_a_researcher() {
    let text = summary(&["--data", "toy", "--steps", "3"]);
    let first = text.lines().next().unwrap();
    assert!(first.contains("gradient descent (step 2e-3), reduced coordinates"), "{first}");
    assert!(!text.contains("Gd") && !text.contains("Full") && !text.contains("method ="), "{text}");
}

/// Item 7: claim statements print the model in words (`ReLU`, `leaky ReLU (slope 0.1)`), not as
/// `Model { activation: Relu, relu_prime_at_zero: 0.0 }`.
#[test]
fn item7_claim_statements_print_the_model_in_words() {
    let data = random_orthonormal(2, 3, &Default::default(), 1).unwrap();
    let leaky = Model { activation: Activation::Leaky { slope: 0.1 }, relu_prime_at_zero: 0.0 };
    for (model, words) in [(Model::relu(), "ReLU"), (leaky, "leaky ReLU (slope 0.1)")] {
        let instance = Instance::balanced(data.clone(), 8, 1e-6, 2).with_model(model);
        let run = flow_checkpoints(&instance, 1.0, 4, 1e-9).unwrap();
        assert!(run.context.contains(words) && !run.context.contains("Model {"), "{}", run.context);
    }
    let p2 = Model { activation: Activation::Relu, relu_prime_at_zero: 1.0 };
    assert_eq!(p2.to_string(), "ReLU with relu'(0) = 1");
}

/// Item 7: errors name the flag to use, the number of points needed, and an underflowed literal.
#[test]
fn item7_errors_name_the_fix_in_the_users_terms() {
    let (code, _, err) = binary(&["--data", "toy", "--coordinates", "reduced", "--steps", "1", "--leaky", "0.1"]);
    // (the toy is orthogonal: the reduced path runs; a skewed input is what it refuses)
    assert_eq!(code, Some(0), "{err}");
    let dir = std::env::temp_dir().join(format!("reluflow-new-user-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let skewed = dir.join("skewed.json");
    std::fs::write(&skewed, r#"{"x": [[1, 0], [0.5, 1]], "y": [1, -1]}"#).unwrap();
    let (code, _, err) = binary(&["--data", skewed.to_str().unwrap(), "--coordinates", "reduced", "--steps", "1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--coordinates full") && !err.contains("run_gd"), "{err}");
    let (code, _, err) = binary(&["--random-orthonormal", "1,4", "--steps", "1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("use at least 2 points") && !err.contains("min_positive"), "{err}");
    let (code, _, err) = binary(&["--data", "toy", "--lambda", "1e-400", "--steps", "1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("1e-400 underflows to 0") && !err.contains("lambda = 0"), "{err}");
    let (code, _, err) = binary(&["--data", "toy", "--horizon", "1e400"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("1e400 overflows"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Item 7: the progress bar's time left is extrapolated from the start of the run: 1 s for the
/// first 18% leaves about 5 s (indicatif's own estimate, started when the bar appeared, read 0 s).
#[test]
fn item7_time_left_is_extrapolated_from_the_start_of_the_run() {
    assert_eq!(remaining(1.0, 0.18), "eta 5s");
    assert_eq!(remaining(600.0, 0.5), "eta 10min");
    assert_eq!(remaining(1.0, 0.0), "eta ?");
}

/// Item 8: the paper's own example is not reported as failing Assumptions 1 and 2: its inputs are
/// orthogonal but not unit-norm, and Assumption 2 holds in its `|D+| != |D-|` form.
#[test]
fn item8_the_toy_is_described_as_it_is() {
    let text = summary(&["--data", "toy", "--steps", "1"]);
    assert!(!text.contains("Assumption 1 fails") && !text.contains("Assumption 2 fails"), "{text}");
    assert!(text.contains("note: the inputs are orthogonal but not unit-norm"), "{text}");
    assert!(text.contains("Assumption 2 holds in the form these inputs need"), "{text}");
    let r = simulate(&args(&["--data", "toy", "--steps", "1", "--json"])).unwrap();
    assert!(r.assumption_problems.is_empty(), "{:?}", r.assumption_problems);
    assert_eq!(r.assumption_notes.len(), 2);
}

/// Item 9: `--method gd` without `--step` runs with the documented default (the paper's 2e-3);
/// without a number of steps the error shows that default.
#[test]
fn item9_gradient_descent_has_a_documented_default_step() {
    let r = simulate(&args(&["--data", "toy", "--steps", "10"])).unwrap();
    assert_eq!(r.time, 10.0 * DEFAULT_GD_STEP);
    let e = simulate(&args(&["--data", "toy"])).unwrap_err().to_string();
    assert!(e.contains("--steps K") && e.contains("2e-3"), "{e}");
}

/// Item 10: a width whose state does not fit in the available memory is refused before anything is
/// allocated, with the estimate and the largest width that fits. The estimate is
/// `copies x m (d + 1 + n) x 8` bytes (5 copies for GD, 15 for the flow, from measured peaks):
/// `10^8` neurons on the toy need 20 GB for GD and 60 GB for the flow.
#[test]
fn item10_a_width_beyond_the_memory_is_refused_with_the_estimate() {
    let data = toy();
    let e = check_memory(Method::Flow, 100_000_000, &data, Some(24e9)).unwrap_err();
    assert!(matches!(e, CliError::TooLarge { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("60.0 GB") && msg.contains("24.0 GB") && msg.contains("at most about 40000000"), "{msg}");
    assert!(check_memory(Method::Gd, 100_000_000, &data, Some(24e9)).is_ok(), "20 GB fit in 24 GB");
    assert!(check_memory(Method::Gd, 100_000_000, &data, Some(19e9)).is_err());
    assert!(check_memory(Method::Flow, 60, &data, None).is_ok(), "no reading, no check");
    // through the binary, on this machine: refused at once (exit 2, no allocation) when it does not fit
    if available_memory().is_some_and(|a| a < 60e9) {
        let (code, _, err) = binary(&["--data", "toy", "--width", "100000000", "--method", "flow", "--horizon", "1"]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("needs about 60.0 GB"), "{err}");
    }
}

/// Item 11: the trace writes the shortest round-trip text in scientific notation: at lambda =
/// 1e-150 every field is short (it was over 300 characters in fixed point) and reads back to the
/// bits the run reported.
#[test]
fn item11_the_trace_is_in_shortest_scientific_notation() {
    let dir = std::env::temp_dir().join(format!("reluflow-new-user-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("t.csv");
    let argv = ["--data", "toy", "--lambda", "1e-150", "--steps", "5", "--trace", trace.to_str().unwrap()];
    let r = simulate(&args(&argv)).unwrap();
    let text = std::fs::read_to_string(&trace).unwrap();
    let last = text.lines().last().unwrap();
    for field in text.lines().skip(1).flat_map(|l| l.split(',')) {
        assert!(field.len() <= 24, "field {field:?}");
    }
    let norm: f64 = last.split(',').nth(3).unwrap().parse().unwrap();
    assert_eq!(norm.to_bits(), r.param_norm_sq.to_bits(), "{last}");
    assert!(last.split(',').nth(3).unwrap().contains('e'), "{last}");
    let _ = std::fs::remove_dir_all(&dir);
}

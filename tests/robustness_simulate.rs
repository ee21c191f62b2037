//! Robustness of `simulate` through clap: arbitrary flag values give a report of finite numbers
//! or a typed error.
//! (See `robustness_common.rs` for the shared helpers and the split.)

use crate::common::config;
use crate::robustness_common::*;
use proptest::prelude::*;
use proptest::sample::select;
use reluflow::cli::CliError;
use reluflow::cli::simulate::simulate;
use reluflow::data::Dataset;
use reluflow::init::MAX_WIDTH;
use reluflow::solver::SimulationError;

// ---------------------------------------------------------------------------------------------
// `simulate` through clap
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct SimCase {
    data: Vec<String>,
    /// A dataset of arbitrary finite values, written to a file and given as `--data FILE`.
    file: Option<Dataset>,
    width: usize,
    lambda: f64,
    seed: u64,
    flow: bool,
    step: Option<f64>,
    steps: Option<u64>,
    horizon: Option<f64>,
    until_loss: Option<f64>,
    rtol: Option<f64>,
    leaky: Option<f64>,
    relu_prime: Option<f64>,
}

impl SimCase {
    fn args(&self) -> Vec<String> {
        let mut v = self.data.clone();
        v.push(format!("--width={}", self.width));
        v.push(format!("--lambda={}", arg(self.lambda)));
        v.push(format!("--seed={}", self.seed));
        v.push(format!("--method={}", if self.flow { "flow" } else { "gd" }));
        let mut opt = |name: &str, value: Option<String>| {
            if let Some(x) = value {
                v.push(format!("--{name}={x}"));
            }
        };
        opt("step", self.step.map(arg));
        opt("steps", self.steps.map(|k| k.to_string()));
        opt("horizon", self.horizon.map(arg));
        opt("until-loss", self.until_loss.map(arg));
        opt("rtol", self.rtol.map(arg));
        opt("leaky", self.leaky.map(arg));
        opt("relu-prime-at-zero", self.relu_prime.map(arg));
        v
    }
}

fn sim_case() -> impl Strategy<Value = SimCase> {
    let data = prop_oneof![
        2 => Just(vec!["--data=toy".to_string()]),
        2 => (1usize..=3, 1usize..=4, any::<u64>()).prop_map(|(n, d, s)| vec![
            format!("--random-orthonormal={n},{d}"),
            format!("--data-seed={s}"),
        ]),
    ];
    let file = prop_oneof![3 => Just(None), 1 => theory_dataset().prop_map(Some)];
    let small = |lo: i32, hi: i32| mostly((lo..=hi).prop_map(|e| 10f64.powi(e)));
    (
        (
            data,
            file,
            prop_oneof![4 => 0usize..=6, 1 => select(vec![MAX_WIDTH + 1, usize::MAX])],
            small(-300, 3),
            any::<u64>(),
        ),
        (any::<bool>(), prop::option::of(small(-6, 2)), prop::option::of(0u64..=30), prop::option::of(small(-3, 2))),
        (prop::option::of(small(-30, 0)), prop::option::of(small(-12, -1))),
        (prop::option::of(any_f64()), prop::option::of(any_f64())),
    )
        .prop_map(
            |(
                (data, file, width, lambda, seed),
                (flow, step, steps, horizon),
                (until_loss, rtol),
                (leaky, relu_prime),
            )| {
                SimCase {
                    data,
                    file,
                    width,
                    lambda,
                    seed,
                    flow,
                    step,
                    steps,
                    horizon,
                    until_loss,
                    rtol,
                    leaky,
                    relu_prime,
                }
            },
        )
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn simulate_with_arbitrary_flag_values_reports_finite_numbers_or_a_typed_error(case in sim_case()) {
        let mut case = case;
        // keep runs short: GD at most 2000 steps, the flow at most 30 accepted steps
        if case.flow {
            case.steps = Some(case.steps.unwrap_or(30));
        } else if case.steps.is_none() {
            if let (Some(t), Some(eta)) = (case.horizon, case.step) {
                if t / eta > MAX_GD_STEPS as f64 {
                    case.steps = Some(MAX_GD_STEPS);
                }
            }
        }
        // a data file (removed at the end of the case) replaces --data toy / --random-orthonormal
        let file = TempFile::new("sim", "json");
        if let Some(data) = &case.file {
            std::fs::write(&file.0, reluflow::data::io::to_json_string(data)).unwrap();
            case.data = vec![format!("--data={}", file.0.display())];
        }
        let argv = case.args();
        let args = match no_panic("clap", || parse_simulate(&argv))? {
            Ok(a) => a,
            Err(e) => {
                // clap refuses only what it cannot parse; it never panics
                prop_assert!(!e.to_string().is_empty());
                return Ok(());
            }
        };
        match no_panic("simulate", || simulate(&args))? {
            Ok(r) => check_report(&r, &args).map_err(|e| TestCaseError::fail(format!("{argv:?}: {e}")))?,
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(!msg.is_empty() && !msg.contains("panicked"), "{}", msg);
                prop_assert!(
                    matches!(
                        e,
                        CliError::Usage(_)
                            | CliError::Init(_)
                            | CliError::Model(_)
                            | CliError::Data(_)
                            | CliError::Simulation(
                                SimulationError::Config(_)
                                    | SimulationError::NonFinite { .. }
                                    | SimulationError::Diverged { .. }
                                    | SimulationError::Integrator { .. }
                                    | SimulationError::SlidingMode { .. }
                                    | SimulationError::InputOutOfRange { .. }
                            )
                    ),
                    "{:?}: unexpected error {:?}", argv, e
                );
            }
        }
    }
}

//! Issue 14, goal 4: `--coordinates auto` (the default of `simulate` and `timeline`) runs the
//! reduced path exactly when it applies (pairwise orthogonal inputs to `ORTHONORMAL_TOL`, unit
//! norms or not) and the full simulator otherwise, and the JSON and the human output say which
//! ran and why. An auto run gives the same numbers as the path it names, run explicitly.

use clap::Parser;
use reluflow::cli::simulate::{Coordinates, SimulateArgs, SimulateReport, simulate};
use reluflow::cli::{Cli, Command};

fn parse(args: &[&str]) -> Cli {
    Cli::try_parse_from(args.iter().copied()).unwrap_or_else(|e| panic!("{args:?} does not parse: {e}"))
}

fn simulate_args(args: &[&str]) -> SimulateArgs {
    let all: Vec<&str> = ["reluflow", "simulate"].iter().chain(args).copied().collect();
    match parse(&all).command {
        Command::Simulate(a) => a,
        _ => panic!("not simulate"),
    }
}

fn report(args: &[&str]) -> SimulateReport {
    simulate(&simulate_args(args)).unwrap_or_else(|e| panic!("simulate {args:?}: {e}"))
}

/// The auto report and the explicit run of the path it chose agree bit for bit.
fn same_run(auto: &SimulateReport, explicit: &SimulateReport) {
    assert_eq!(auto.coordinates, explicit.coordinates);
    assert_eq!(auto.final_loss.to_bits(), explicit.final_loss.to_bits());
    assert_eq!(auto.param_norm_sq.to_bits(), explicit.param_norm_sq.to_bits());
    assert_eq!(auto.steps, explicit.steps);
}

const GD: [&str; 6] = ["--method", "gd", "--step", "1e-2", "--steps", "200"];

/// Orthonormal inputs (`--random-orthonormal 4,6`) and the toy (orthogonal, norms 1.25 and 5):
/// auto runs the reduced path and says so, for GD and the flow; `--coordinates full` still forces
/// the full simulator.
#[test]
fn auto_takes_the_reduced_path_on_orthonormal_and_non_unit_orthogonal_inputs() {
    let instances: [&[&str]; 2] = [
        &["--random-orthonormal", "4,6", "--width", "20", "--lambda", "1e-4"],
        &["--data", "toy", "--width", "20", "--lambda", "1e-4"],
    ];
    for data in instances {
        for method in [&GD[..], &["--method", "flow", "--horizon", "5"]] {
            let args: Vec<&str> = data.iter().chain(method).copied().collect();
            let auto = report(&args);
            assert_eq!(auto.coordinates, Coordinates::Reduced, "{args:?}");
            assert!(
                auto.coordinates_reason.starts_with("auto: the inputs are pairwise orthogonal"),
                "{}",
                auto.coordinates_reason
            );
            let mut explicit = args.clone();
            explicit.extend(["--coordinates", "reduced"]);
            same_run(&auto, &report(&explicit));
            let mut full = args.clone();
            full.extend(["--coordinates", "full"]);
            let full = report(&full);
            assert_eq!((full.coordinates, full.coordinates_reason.as_str()), (Coordinates::Full, "--coordinates full"));
        }
    }
}

/// Skewed inputs (`x_2 = (0.6, 0.8)`, cosine 0.6 with `x_1`) and inputs orthogonal only to 1e-6
/// (above the reduced path's 1e-10): auto runs the full simulator and names the reason (the
/// reduced path's own error: the worst pair and the tolerance).
#[test]
fn auto_takes_the_full_path_on_skewed_inputs() {
    let dir = std::env::temp_dir().join(format!("reluflow-coordinates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, x) in [("skewed", "[[1, 0], [0.6, 0.8]]"), ("nearly", "[[1, 0], [1e-6, 1]]")] {
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, format!("{{\"x\": {x}, \"y\": [1, -1]}}")).unwrap();
        let data = path.to_str().unwrap();
        let args: Vec<&str> =
            ["--data", data, "--width", "10", "--lambda", "1e-3"].iter().chain(&GD).copied().collect();
        let auto = report(&args);
        assert_eq!(auto.coordinates, Coordinates::Full, "{name}");
        assert!(auto.coordinates_reason.starts_with("auto: full simulator, because"), "{}", auto.coordinates_reason);
        assert!(auto.coordinates_reason.contains("pairwise orthogonal"), "{}", auto.coordinates_reason);
        let mut explicit = args.clone();
        explicit.extend(["--coordinates", "full"]);
        same_run(&auto, &report(&explicit));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The human summary of `simulate` and both outputs of `timeline` name the path and the reason.
#[test]
fn simulate_and_timeline_outputs_say_which_path_ran() {
    let text = reluflow::cli::simulate::run(&simulate_args(&[
        "--data", "toy", "--width", "20", "--lambda", "1e-4", "--method", "gd", "--step", "1e-2", "--steps", "10",
    ]))
    .unwrap();
    assert!(
        text.contains("reduced coordinates (orthogonal-input fast path)")
            && text.contains("coordinates: auto: the inputs are pairwise orthogonal"),
        "{text}"
    );
    let timeline = |extra: &[&str]| {
        let mut all = vec![
            "reluflow",
            "timeline",
            "--data",
            "toy",
            "--width",
            "20",
            "--lambda",
            "1e-6",
            "--method",
            "flow",
            "--horizon",
            "40",
        ];
        all.extend(extra);
        match parse(&all).command {
            Command::Timeline(a) => reluflow::cli::timeline::run(&a).unwrap(),
            _ => panic!("not timeline"),
        }
    };
    let table = timeline(&[]);
    assert!(table.starts_with("coordinates: auto: the inputs are pairwise orthogonal"), "{table}");
    let json: serde_json::Value = serde_json::from_str(&timeline(&["--json"])).unwrap();
    assert_eq!(json["coordinates"], "reduced");
    assert!(json["coordinates_reason"].as_str().unwrap().starts_with("auto:"));
    let forced: serde_json::Value = serde_json::from_str(&timeline(&["--json", "--coordinates", "full"])).unwrap();
    assert_eq!(
        (forced["coordinates"].as_str(), forced["coordinates_reason"].as_str()),
        (Some("full"), Some("--coordinates full"))
    );
}

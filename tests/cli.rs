//! `reluflow simulate` end to end: every bad input through the binary (non-zero exit, no panic,
//! a message naming the problem) and through the library (`simulate` returns the expected
//! `CliError` variant); happy paths on the Section 5 toy checked against Proposition 1;
//! `--trace`, `--init-from`, JSON/CSV data files; determinism across processes and threads.

use clap::Parser;
use reluflow::cli::simulate::{DataArgs, SimulateArgs, SimulateReport, load_data, simulate};
use reluflow::cli::{Cli, CliError, Command};
use reluflow::data::DataError;
use reluflow::init::InitError;
use reluflow::network::ModelError;
use reluflow::solver::SimulationError;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A fresh directory `reluflow-cli-<test>-<pid>` under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("reluflow-cli-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the temp dir");
        Self(dir)
    }
    /// A path in the directory (the file is not created).
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    /// Writes `contents` to `name` and returns its path as a string (for argument lists).
    fn file(&self, name: &str, contents: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write a temp file");
        s(&path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn s(path: &Path) -> String {
    path.to_str().expect("temp paths are UTF-8").to_string()
}

/// Runs `reluflow simulate <args>`.
fn reluflow_simulate(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_reluflow"))
        .arg("simulate")
        .args(args)
        .output()
        .expect("run the reluflow binary")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `reluflow simulate <args>` succeeds; returns stdout.
fn succeeds(args: &[&str]) -> String {
    let out = reluflow_simulate(args);
    assert!(out.status.success(), "reluflow simulate {args:?} failed ({}): {}", out.status, stderr(&out));
    stdout(&out)
}

/// `reluflow simulate <args> --json` succeeds; returns the parsed report and the raw text.
fn succeeds_json(args: &[&str]) -> (Value, String) {
    let mut all = args.to_vec();
    all.push("--json");
    let text = succeeds(&all);
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {text}"));
    (value, text)
}

/// Why the binary's reaction to a bad input is wrong, if it is.
fn binary_failure_problem(args: &[&str], needle: &str) -> Option<String> {
    let out = reluflow_simulate(args);
    let err = stderr(&out);
    if out.status.success() {
        return Some(format!("exit 0 (stdout {:?})", stdout(&out)));
    }
    if out.status.code() != Some(2) {
        return Some(format!("exit {} instead of 2; stderr: {err}", out.status));
    }
    if err.contains("panicked") {
        return Some(format!("panicked: {err}"));
    }
    if !err.contains(needle) {
        return Some(format!("stderr does not contain {needle:?}: {err}"));
    }
    None
}

/// The binary exits with code 2, does not panic, and names the problem (`needle` in stderr).
fn assert_fails_with(args: &[&str], needle: &str) {
    if let Some(problem) = binary_failure_problem(args, needle) {
        panic!("reluflow simulate {args:?}: {problem}");
    }
}

/// Parses `reluflow simulate <args>` as the binary does.
fn parse(args: &[&str]) -> Result<SimulateArgs, clap::Error> {
    let cli = Cli::try_parse_from(["reluflow", "simulate"].iter().chain(args))?;
    #[allow(unreachable_patterns)]
    match cli.command {
        Command::Simulate(a) => Ok(a),
        other => panic!("parsed {other:?}, not simulate"),
    }
}

fn simulate_args(args: &[&str]) -> SimulateArgs {
    parse(args).unwrap_or_else(|e| panic!("{args:?} does not parse: {e}"))
}

/// `simulate` through the library.
fn run_lib(args: &[&str]) -> Result<SimulateReport, CliError> {
    simulate(&simulate_args(args))
}

fn report_json(report: &SimulateReport) -> String {
    serde_json::to_string(report).expect("a report serialises")
}

/// One bad input: its arguments, a distinctive part of the message, and the library variant.
struct Case {
    what: &'static str,
    args: Vec<String>,
    needle: String,
    expect: fn(&CliError) -> bool,
}

fn case(what: &'static str, args: &[&str], needle: &str, expect: fn(&CliError) -> bool) -> Case {
    Case { what, args: args.iter().map(|a| a.to_string()).collect(), needle: needle.to_string(), expect }
}

/// Runs every case through the binary and the library; reports all failures at once.
fn check_cases(cases: &[Case]) {
    let mut failures = Vec::new();
    for c in cases {
        let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        if let Some(problem) = binary_failure_problem(&args, &c.needle) {
            failures.push(format!("[{}] binary, args {args:?}: {problem}", c.what));
        }
        match run_lib(&args) {
            Ok(r) => failures.push(format!("[{}] library, args {args:?}: Ok (final loss {})", c.what, r.final_loss)),
            Err(e) => {
                if !(c.expect)(&e) {
                    failures.push(format!("[{}] library, args {args:?}: unexpected variant {e:?}", c.what));
                }
                if !e.to_string().contains(&c.needle) {
                    failures.push(format!("[{}] library, args {args:?}: message {e} lacks {:?}", c.what, c.needle));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

/// Short, valid gradient-descent flags, appended to cases about something else.
const GD: [&str; 4] = ["--step", "1e-3", "--steps", "10"];

fn with_gd<'a>(args: &[&'a str]) -> Vec<&'a str> {
    args.iter().copied().chain(GD).collect()
}

/// `matches!` on the error boxed in `DataError::InFile`.
fn in_file(e: &CliError, inner: fn(&DataError) -> bool) -> bool {
    matches!(e, CliError::Data(DataError::InFile { source, .. }) if inner(source))
}

/// The Section 5 toy by hand: x = (-0.5, 1), (2, 1); y = -1, 1.
const TOY_JSON: &str = "{\n  \"x\": [[-0.5, 1], [2, 1.0]],\n  \"y\": [-1, 1]\n}\n";
const TOY_CSV: &str = "# the Section 5 toy\nx1,x2,y\n-0.5,1,-1\n2,1,1\n";

/// The paper's toy run (Section 5): GD reaches the minimum-norm interpolator.
const TOY_GD: [&str; 12] =
    ["--data", "toy", "--width", "60", "--lambda", "1.29e-7", "--method", "gd", "--step", "2e-3", "--steps", "20000"];
const TOY_FLOW: [&str; 10] =
    ["--data", "toy", "--width", "60", "--lambda", "1.29e-7", "--method", "flow", "--until-loss", "1e-12"];
const RANDOM_FLOW: [&str; 12] = [
    "--random-orthonormal",
    "4,6",
    "--data-seed",
    "2",
    "--width",
    "30",
    "--lambda",
    "1e-6",
    "--method",
    "flow",
    "--horizon",
    "60",
];

/// `args` followed by `--json`.
fn json_flag<'a>(args: &[&'a str]) -> Vec<&'a str> {
    args.iter().copied().chain(["--json"]).collect()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number")).collect()
}

/// The raw JSON text of the object `"key": {...}` in `text` (a report: no braces inside strings).
fn raw_object<'a>(text: &'a str, key: &str) -> &'a str {
    let start = text.find(&format!("\"{key}\":{{")).unwrap_or_else(|| panic!("no {key} in {text}")) + key.len() + 3;
    let mut depth = 0;
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => return &text[start..=start + i],
            '}' => depth -= 1,
            _ => {}
        }
    }
    panic!("unterminated {key} in {text}")
}

/// `--init-from` a file holding the raw `initial` text of the toy GD run; returns both outputs.
fn toy_gd_and_rerun_from_its_initial(dir: &TempDir) -> ((Value, String), (Value, String)) {
    let (first, text) = succeeds_json(&TOY_GD);
    let init = dir.file("init.json", raw_object(&text, "initial"));
    let args: Vec<&str> =
        TOY_GD.iter().copied().filter(|a| !["--width", "60", "--lambda", "1.29e-7"].contains(a)).collect();
    let args: Vec<&str> = args.into_iter().chain(["--init-from", &init]).collect();
    ((first, text), succeeds_json(&args))
}

// ---------------------------------------------------------------------------------------------
// Bad data files
// ---------------------------------------------------------------------------------------------

#[test]
fn unreadable_data_file_is_an_error_naming_the_path() {
    let dir = TempDir::new("unreadable_data_file");
    let missing = s(&dir.path("missing.json"));
    let a_dir = dir.path("a_directory.csv");
    std::fs::create_dir(&a_dir).unwrap();
    let a_dir = s(&a_dir);
    check_cases(&[
        case("missing file", &with_gd(&["--data", &missing]), &format!("cannot read {missing}"), |e| {
            matches!(e, CliError::Data(DataError::Io { action: "read", .. }))
        }),
        case("directory", &with_gd(&["--data", &a_dir]), &format!("cannot read {a_dir}"), |e| {
            matches!(e, CliError::Data(DataError::Io { action: "read", .. }))
        }),
    ]);
}

#[test]
fn malformed_json_data_is_a_json_error_with_position() {
    let dir = TempDir::new("malformed_json");
    let truncated = dir.file("truncated.json", "{\"x\": [[1, 0], [0");
    let trailing = dir.file("trailing.json", "{\"x\": [[1, 0], [0, 1]], \"y\": [1, 2]} trailing");
    let unknown = dir.file("unknown.json", "{\"x\": [[1, 0], [0, 1]], \"Y\": [1, 2]}");
    let json = |e: &CliError| matches!(e, CliError::Data(DataError::Json { .. }));
    check_cases(&[
        case("truncated", &with_gd(&["--data", &truncated]), "malformed JSON dataset (EOF while parsing", json),
        case("trailing text", &with_gd(&["--data", &trailing]), "trailing characters at line 1", json),
        case("misspelt key", &with_gd(&["--data", &unknown]), "unknown field `Y`", json),
    ]);
}

#[test]
fn ragged_rows_are_rejected_in_json_and_csv() {
    let dir = TempDir::new("ragged_rows");
    let json = dir.file("ragged.json", "{\"x\": [[1, 0], [0]], \"y\": [1, 2]}");
    let csv = dir.file("ragged.csv", "1,0,1\n0,1\n");
    let labels = dir.file("labels.json", "{\"x\": [[1, 0], [0, 1]], \"y\": [1]}");
    check_cases(&[
        case("json", &with_gd(&["--data", &json]), "row 1 has 1 coordinates but row 0 has 2", |e| {
            in_file(e, |d| matches!(d, DataError::Ragged { row: 1, len: 1, expected: 2 }))
        }),
        case("csv", &with_gd(&["--data", &csv]), "line 2: 2 fields but the first row (line 1) has 3", |e| {
            matches!(e, CliError::Data(DataError::Csv { line: 2, .. }))
        }),
        case("json label count", &with_gd(&["--data", &labels]), "2 input rows but 1 labels", |e| {
            in_file(e, |d| matches!(d, DataError::LabelCount { points: 2, labels: 1 }))
        }),
    ]);
}

#[test]
fn nan_and_inf_in_csv_x_and_y_are_rejected() {
    let dir = TempDir::new("nan_inf_csv");
    let csv = |e: &CliError| matches!(e, CliError::Data(DataError::Csv { .. }));
    let cases: Vec<Case> = [
        ("nan in x", "1,nan,1\n0,1,2\n", "x[0][1] = NaN is not finite"),
        ("NaN in y", "1,0,1\n0,1,NaN\n", "y[1] = NaN is not finite"),
        ("inf in x", "inf,0,1\n0,1,2\n", "x[0][0] = inf is not finite"),
        ("-inf in y", "1,0,-inf\n0,1,2\n", "y[0] = -inf is not finite"),
        ("1e999 overflows to inf", "1,1e999,1\n0,1,2\n", "\"1e999\" (x[0][1] = inf is not finite"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (what, text, needle))| {
        let path = dir.file(&format!("case{i}.csv"), text);
        case(what, &with_gd(&["--data", &path]), needle, csv)
    })
    .collect();
    check_cases(&cases);
}

#[test]
fn json_number_overflowing_f64_is_rejected_not_read_as_infinity() {
    // serde_json does not parse NaN/Infinity literals; 1e999 is "number out of range", not inf.
    let dir = TempDir::new("json_overflow");
    let x = dir.file("x.json", "{\"x\": [[1e999, 0], [0, 1]], \"y\": [1, 2]}");
    let y = dir.file("y.json", "{\"x\": [[1, 0], [0, 1]], \"y\": [1, -1e999]}");
    let nan = dir.file("nan.json", "{\"x\": [[NaN, 0], [0, 1]], \"y\": [1, 2]}");
    let json = |e: &CliError| matches!(e, CliError::Data(DataError::Json { .. }));
    check_cases(&[
        case("1e999 in x", &with_gd(&["--data", &x]), "number out of range at line 1 column", json),
        case("-1e999 in y", &with_gd(&["--data", &y]), "number out of range at line 1 column", json),
        case("NaN literal", &with_gd(&["--data", &nan]), "malformed JSON dataset (expected value", json),
    ]);
}

#[test]
fn empty_data_files_are_rejected() {
    let dir = TempDir::new("empty_data");
    let json = dir.file("empty.json", "");
    let csv = dir.file("empty.csv", "");
    let no_points = dir.file("no_points.json", "{\"x\": [], \"y\": []}");
    let header_only = dir.file("header_only.csv", "# nothing\nx1,x2,y\n");
    let zero_dim = dir.file("zero_dim.json", "{\"x\": [[], []], \"y\": [1, 2]}");
    let empty = |e: &CliError| in_file(e, |d| matches!(d, DataError::Empty));
    check_cases(&[
        case("empty json file", &with_gd(&["--data", &json]), "EOF while parsing a value", |e| {
            matches!(e, CliError::Data(DataError::Json { .. }))
        }),
        case("empty csv file", &with_gd(&["--data", &csv]), "the dataset is empty", empty),
        case("json without points", &with_gd(&["--data", &no_points]), "the dataset is empty", empty),
        case("csv header only", &with_gd(&["--data", &header_only]), "the dataset is empty", empty),
        case("rows of dimension 0", &with_gd(&["--data", &zero_dim]), "the inputs have dimension 0", |e| {
            in_file(e, |d| matches!(d, DataError::ZeroDimension))
        }),
    ]);
}

#[test]
fn wrong_json_types_are_rejected() {
    let dir = TempDir::new("wrong_json_types");
    let string = dir.file("string.json", "{\"x\": [[\"1\", 0], [0, 1]], \"y\": [1, 2]}");
    let boolean = dir.file("bool.json", "{\"x\": [[1, 0], [0, 1]], \"y\": [true, 2]}");
    let null = dir.file("null.json", "{\"x\": [[1, 0], [0, 1]], \"y\": [null, 2]}");
    let flat = dir.file("flat.json", "{\"x\": [1, 0, 0, 1], \"y\": [1, 2]}");
    let json = |e: &CliError| matches!(e, CliError::Data(DataError::Json { .. }));
    check_cases(&[
        case("string for a number", &with_gd(&["--data", &string]), "invalid type: string \"1\", expected f64", json),
        case("boolean label", &with_gd(&["--data", &boolean]), "invalid type: boolean `true`, expected f64", json),
        case("null label", &with_gd(&["--data", &null]), "invalid type: null, expected f64", json),
        case("flat x", &with_gd(&["--data", &flat]), "expected a sequence", json),
    ]);
}

#[test]
fn unknown_data_extension_is_rejected() {
    let dir = TempDir::new("unknown_extension");
    let txt = dir.file("data.txt", TOY_CSV);
    let none = dir.file("data", TOY_CSV);
    let unknown = |e: &CliError| matches!(e, CliError::Data(DataError::UnknownFormat { .. }));
    check_cases(&[
        case(".txt", &with_gd(&["--data", &txt]), "data.txt: unknown data format; use a .json file", unknown),
        case("no extension", &with_gd(&["--data", &none]), "unknown data format", unknown),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Bad network / initialisation / integrator flags
// ---------------------------------------------------------------------------------------------

#[test]
fn zero_width_is_rejected() {
    check_cases(&[case(
        "m = 0",
        &with_gd(&["--data", "toy", "--width", "0"]),
        "width m = 0: the network needs at least one neuron",
        |e| matches!(e, CliError::Init(InitError::ZeroWidth)),
    )]);
}

#[test]
fn non_positive_or_non_finite_lambda_is_rejected() {
    let lambda = |e: &CliError| matches!(e, CliError::Init(InitError::Lambda(_)));
    check_cases(&[
        case("0", &with_gd(&["--data", "toy", "--lambda", "0"]), "lambda = 0 is not a positive finite number", lambda),
        case("-1", &with_gd(&["--data", "toy", "--lambda=-1"]), "lambda = -1 is not a positive finite number", lambda),
        case("inf", &with_gd(&["--data", "toy", "--lambda", "inf"]), "lambda = inf is not a positive", lambda),
        case("NaN", &with_gd(&["--data", "toy", "--lambda", "NaN"]), "lambda = NaN is not a positive", lambda),
    ]);
    // Without `=`, clap reads `-1` as a flag (no allow_negative_numbers on --lambda): still a clean
    // usage error, not a panic.
    assert_fails_with(&with_gd(&["--data", "toy", "--lambda", "-1"]), "-1");
}

#[test]
fn non_positive_or_non_finite_gd_step_is_rejected() {
    let config = |e: &CliError| matches!(e, CliError::Simulation(SimulationError::Config(_)));
    let cases: Vec<Case> = ["0", "-1", "-0.001", "inf", "NaN"]
        .iter()
        .map(|eta| {
            let flag = format!("--step={eta}");
            let shown = eta.parse::<f64>().unwrap().to_string();
            case(
                "step",
                &["--data", "toy", "--steps", "10", &flag],
                &format!("step eta = {shown} must be a positive"),
                config,
            )
        })
        .collect();
    check_cases(&cases);
}

#[test]
fn gd_step_so_large_the_loss_or_the_norm_explodes_is_a_divergence_error() {
    check_cases(&[
        case(
            "step 500: the loss explodes",
            &["--data", "toy", "--step", "500", "--steps", "1000"],
            "training diverged at step 3 (time 1.500000e3): loss = ",
            |e| matches!(e, CliError::Simulation(SimulationError::Diverged { step: 3, quantity: "loss", .. })),
        ),
        // The loss peaks at 5.9e4 (under its bound) before every neuron dies and it falls back to
        // 0.5, but |theta|^2 reaches 1.2e9: a divergence all the same.
        case(
            "step 100: the norm explodes",
            &["--data", "toy", "--step", "100", "--steps", "1000"],
            "training diverged at step 4 (time 4.000000e2): |theta|^2 = ",
            |e| matches!(e, CliError::Simulation(SimulationError::Diverged { step: 4, quantity: "|theta|^2", .. })),
        ),
    ]);
    assert_fails_with(&["--data", "toy", "--step", "1000", "--steps", "1000"], "lower the step");
}

#[test]
fn random_orthonormal_with_more_points_than_dimensions_is_rejected() {
    check_cases(&[case(
        "5,3",
        &with_gd(&["--random-orthonormal", "5,3"]),
        "cannot draw 5 orthonormal inputs in dimension 3: orthonormal inputs need n <= d",
        |e| matches!(e, CliError::Data(DataError::TooManyPoints { n: 5, d: 3 })),
    )]);
}

#[test]
fn malformed_random_orthonormal_spec_is_a_usage_error() {
    let usage = |e: &CliError| matches!(e, CliError::Usage(_));
    check_cases(&[
        case("one number", &with_gd(&["--random-orthonormal", "5"]), "--random-orthonormal 5: expected N,D", usage),
        case("three numbers", &with_gd(&["--random-orthonormal", "5,6,7"]), "5,6,7: expected N,D", usage),
        case("not numbers", &with_gd(&["--random-orthonormal", "a,b"]), "expected two positive integers N,D", usage),
        case("negative", &with_gd(&["--random-orthonormal=-2,3"]), "expected two positive integers N,D", usage),
        case("n = 0", &with_gd(&["--random-orthonormal", "0,3"]), "the dataset is empty", |e| {
            matches!(e, CliError::Data(DataError::Empty))
        }),
    ]);
}

#[test]
fn flow_horizon_must_be_positive_and_finite() {
    let config = |e: &CliError| matches!(e, CliError::Simulation(SimulationError::Config(_)));
    check_cases(&[
        case(
            "0",
            &["--data", "toy", "--method", "flow", "--horizon", "0"],
            "horizon 0 must be a positive finite",
            config,
        ),
        case("-1", &["--data", "toy", "--method", "flow", "--horizon=-1"], "horizon -1 must be a positive", config),
        case(
            "inf",
            &["--data", "toy", "--method", "flow", "--horizon", "inf"],
            "horizon inf must be a positive",
            config,
        ),
    ]);
}

#[test]
fn flow_without_horizon_or_loss_target_is_a_usage_error() {
    check_cases(&[case(
        "flow alone",
        &["--data", "toy", "--method", "flow"],
        "--method flow needs --horizon T or --until-loss X",
        |e| matches!(e, CliError::Usage(_)),
    )]);
}

#[test]
fn step_with_flow_is_a_usage_error() {
    check_cases(&[case(
        "flow --step",
        &["--data", "toy", "--method", "flow", "--horizon", "1", "--step", "1e-3"],
        "--step is the gradient-descent step",
        |e| matches!(e, CliError::Usage(_)),
    )]);
}

#[test]
fn gd_without_step_or_stop_rule_or_with_rtol_is_rejected() {
    check_cases(&[
        // (no --step: the default 2e-3 runs, tests/new_user.rs)
        case(
            "no --steps nor --horizon",
            &["--data", "toy", "--step", "1e-3"],
            "--method gd needs --steps K or --horizon T",
            |e| matches!(e, CliError::Usage(_)),
        ),
        case("--rtol", &with_gd(&["--data", "toy", "--rtol", "1e-6"]), "--rtol applies to --method flow only", |e| {
            matches!(e, CliError::Usage(_))
        }),
    ]);
}

#[test]
fn flow_rtol_out_of_range_is_rejected() {
    let config = |e: &CliError| matches!(e, CliError::Simulation(SimulationError::Config(_)));
    let flow = ["--data", "toy", "--method", "flow", "--horizon", "1"];
    let with = |rtol: &'static str| flow.iter().copied().chain(["--rtol", rtol]).collect::<Vec<_>>();
    check_cases(&[
        case("0", &with("0"), "rtol = 0 must be in (0, 1)", config),
        case("NaN", &with("NaN"), "rtol = NaN must be in (0, 1)", config),
    ]);
}

#[test]
fn no_data_or_both_data_sources_are_rejected() {
    // Through the binary both flags together are a clap conflict.
    assert_fails_with(
        &with_gd(&["--data", "toy", "--random-orthonormal", "2,3"]),
        "the argument '--data <FILE|toy>' cannot be used with '--random-orthonormal <N,D>'",
    );
    let err = parse(&with_gd(&["--data", "toy", "--random-orthonormal", "2,3"])).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    // Library callers that build DataArgs directly get a usage error.
    let both = DataArgs { data: Some("toy".into()), random_orthonormal: Some("2,3".into()), data_seed: 0 };
    let e = load_data(&both).unwrap_err();
    assert!(matches!(e, CliError::Usage(_)) && e.to_string().contains("either --data or --random-orthonormal"), "{e}");
    check_cases(&[case("no data", &GD, "no data: give --data FILE", |e| matches!(e, CliError::Usage(_)))]);
}

#[test]
fn init_from_with_initialisation_flags_is_a_clap_conflict() {
    let dir = TempDir::new("init_from_conflict");
    let p = dir.file("p.json", "{\"a\": [1], \"w\": [[1, 0]]}");
    for (flag, value, name) in
        [("--lambda", "1e-3", "--lambda <L>"), ("--width", "3", "--width <M>"), ("--seed", "1", "--seed <S>")]
    {
        let args = with_gd(&["--data", "toy", "--init-from", &p, flag, value]);
        assert_fails_with(&args, &format!("the argument '--init-from <FILE>' cannot be used with '{name}'"));
        let err = parse(&args).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict, "{flag}");
    }
}

#[test]
fn init_from_file_of_the_wrong_shape_is_rejected() {
    let dir = TempDir::new("init_from_shape");
    let params = |e: &CliError| matches!(e, CliError::ParamsFile { .. });
    let row = dir.file("row.json", "{\"a\": [1, 2], \"w\": [[1, 0, 0], [0, 1, 0]]}");
    let count = dir.file("count.json", "{\"a\": [1, 2], \"w\": [[1, 0]]}");
    let empty = dir.file("empty.json", "{\"a\": [], \"w\": []}");
    let empty_row = dir.file("empty_row.json", "{\"a\": [1], \"w\": [[]]}");
    let malformed = dir.file("malformed.json", "{\"a\": [1]");
    let overflow = dir.file("overflow.json", "{\"a\": [1], \"w\": [[1e999, 0]]}");
    let missing = s(&dir.path("missing.json"));
    let cases: Vec<Case> = [
        ("w row length != d", &row, "w[0] has 3 coordinates but the data have d = 2"),
        ("a/w length mismatch", &count, "2 entries in a but 1 rows in w"),
        ("empty a", &empty, "no neurons (a is empty)"),
        ("empty w row", &empty_row, "w[0] has 0 coordinates but the data have d = 2"),
        ("malformed", &malformed, "EOF while parsing an object"),
        ("1e999", &overflow, "number out of range"),
    ]
    .into_iter()
    .map(|(what, path, needle)| case(what, &with_gd(&["--data", "toy", "--init-from", path]), needle, params))
    .chain([case(
        "missing file",
        &with_gd(&["--data", "toy", "--init-from", &missing]),
        &format!("cannot read {missing}"),
        |e| matches!(e, CliError::File { action: "read", .. }),
    )])
    .collect();
    check_cases(&cases);
}

#[test]
fn trace_into_a_missing_directory_is_rejected() {
    let dir = TempDir::new("trace_missing_dir");
    let trace = s(&dir.path("no/such/dir/trace.csv"));
    check_cases(&[case(
        "missing dir",
        &with_gd(&["--data", "toy", "--trace", &trace]),
        &format!("cannot create {trace}"),
        |e| matches!(e, CliError::File { action: "create", .. }),
    )]);
    assert_fails_with(&with_gd(&["--data", "toy", "--trace", &trace]), "check that the directory exists");
}

#[test]
fn rejected_command_leaves_an_existing_trace_file_alone() {
    let dir = TempDir::new("trace_clobber");
    let trace = dir.file("trace.csv", "step,time,loss,param_norm_sq\n0,0,0.5,1\n");
    assert_fails_with(&["--data", "toy", "--step", "1e-3", "--trace", &trace], "--method gd needs --steps K");
    assert_eq!(std::fs::read_to_string(&trace).unwrap(), "step,time,loss,param_norm_sq\n0,0,0.5,1\n");
}

#[test]
fn trace_every_zero_is_rejected() {
    let dir = TempDir::new("trace_every_zero");
    let trace = s(&dir.path("trace.csv"));
    check_cases(&[
        case(
            "with --trace",
            &with_gd(&["--data", "toy", "--trace", &trace, "--trace-every", "0"]),
            "--trace-every 0",
            |e| matches!(e, CliError::Usage(_)),
        ),
        case("without --trace", &with_gd(&["--data", "toy", "--trace-every", "0"]), "--trace-every 0", |e| {
            matches!(e, CliError::Usage(_))
        }),
    ]);
}

#[test]
fn non_positive_or_non_finite_until_loss_is_rejected() {
    let config = |e: &CliError| matches!(e, CliError::Simulation(SimulationError::Config(_)));
    let needle = |x: &str| format!("until-loss {x} must be a positive finite loss");
    check_cases(&[
        case("gd 0", &with_gd(&["--data", "toy", "--until-loss", "0"]), &needle("0"), config),
        case("gd -1", &with_gd(&["--data", "toy", "--until-loss=-1"]), &needle("-1"), config),
        case("gd NaN", &with_gd(&["--data", "toy", "--until-loss", "NaN"]), &needle("NaN"), config),
        case("flow 0", &["--data", "toy", "--method", "flow", "--until-loss", "0"], &needle("0"), config),
        case(
            "flow -1e-9",
            &["--data", "toy", "--method", "flow", "--until-loss=-1e-9"],
            &needle("-0.000000001"),
            config,
        ),
    ]);
}

#[test]
fn non_finite_leaky_slope_or_relu_prime_is_rejected() {
    check_cases(&[
        case(
            "leaky NaN",
            &with_gd(&["--data", "toy", "--leaky", "nan"]),
            "leaky slope NaN is not finite",
            |e| matches!(e, CliError::Model(ModelError::Slope(slope)) if slope.is_nan()),
        ),
        case("leaky -inf", &with_gd(&["--data", "toy", "--leaky=-inf"]), "leaky slope -inf is not finite", |e| {
            matches!(e, CliError::Model(ModelError::Slope(_)))
        }),
        case("relu'(0) NaN", &with_gd(&["--data", "toy", "--relu-prime-at-zero", "NaN"]), "relu'(0) = NaN", |e| {
            matches!(e, CliError::Model(ModelError::Sigma0(_)))
        }),
    ]);
}

#[test]
fn sizes_too_large_to_allocate_are_errors_not_panics() {
    check_cases(&[
        case(
            "width 2^64 - 1",
            &with_gd(&["--data", "toy", "--width", "18446744073709551615"]),
            "width m = 18446744073709551615 is too large",
            |e| matches!(e, CliError::Init(InitError::TooWide(18446744073709551615))),
        ),
        case(
            "width 10^8 + 1",
            &with_gd(&["--data", "toy", "--width", "100000001"]),
            "width m = 100000001 is too large",
            |e| matches!(e, CliError::Init(InitError::TooWide(_))),
        ),
        case(
            "n x d overflows usize",
            &with_gd(&["--random-orthonormal", "3,18446744073709551615"]),
            "3 x 18446744073709551615 inputs are too many",
            |e| matches!(e, CliError::Data(DataError::Parameter(_))),
        ),
        case(
            "n x d > 10^8",
            &with_gd(&["--random-orthonormal", "10000,10001"]),
            "10000 x 10001 inputs are too many",
            |e| matches!(e, CliError::Data(DataError::Parameter(_))),
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Happy paths
// ---------------------------------------------------------------------------------------------

/// `2 (|y_1| / |x_1| + |y_2| / |x_2|)` for the toy: Proposition 1 with orthogonal, non-unit inputs.
const TOY_MIN_NORM_SQ: f64 = 2.683282;

#[test]
fn gd_on_the_toy_reaches_the_minimum_norm_interpolator() {
    let (r, _) = succeeds_json(&TOY_GD);
    for field in [
        "n",
        "d",
        "m",
        "lambda",
        "method",
        "steps",
        "gradient_evaluations",
        "time",
        "final_loss",
        "param_norm_sq",
        "min_norm_sq",
        "d_plus_norm",
        "d_minus_norm",
        "s_plus_1",
        "s_minus_1",
        "balancedness_drift",
        "predictions",
        "initial",
        "final",
    ] {
        assert!(r.get(field).is_some(), "field {field} missing from {r}");
    }
    assert_eq!((r["n"].as_u64(), r["d"].as_u64(), r["m"].as_u64()), (Some(2), Some(2), Some(60)));
    assert_eq!(r["lambda"].as_f64(), Some(1.29e-7));
    assert_eq!(r["method"], "gd");
    assert_eq!(r["steps"].as_u64(), Some(20000));
    assert_eq!(r["gradient_evaluations"].as_u64(), Some(20000));
    assert_eq!(r["time"].as_f64(), Some(40.0), "time = steps x eta");
    let final_loss = r["final_loss"].as_f64().unwrap();
    let norm_sq = r["param_norm_sq"].as_f64().unwrap();
    let min = r["min_norm_sq"].as_f64().unwrap();
    assert!(final_loss < 1e-10, "final loss {final_loss}");
    assert!((norm_sq - min).abs() < 1e-4, "|theta|^2 = {norm_sq} vs minimum {min}");
    assert!((min - TOY_MIN_NORM_SQ).abs() < 1e-6, "min_norm_sq {min}");
    assert!((min - 2.0 * (1.0 / 5f64.sqrt() + 1.0 / 1.25f64.sqrt())).abs() < 1e-12);
    let predictions = f64s(&r["predictions"]);
    assert_eq!(predictions.len(), 2);
    assert!((predictions[0] + 1.0).abs() < 1e-5 && (predictions[1] - 1.0).abs() < 1e-5, "{predictions:?}");
    for p in ["initial", "final"] {
        assert_eq!(r[p]["a"].as_array().unwrap().len(), 60, "{p}.a");
        assert_eq!(r[p]["w"].as_array().unwrap().len(), 60, "{p}.w");
        assert!(r[p]["w"].as_array().unwrap().iter().all(|row| row.as_array().unwrap().len() == 2), "{p}.w rows");
    }
}

#[test]
fn flow_on_the_toy_agrees_with_gd() {
    let (gd, _) = succeeds_json(&TOY_GD);
    let (flow, _) = succeeds_json(&TOY_FLOW);
    assert_eq!(flow["method"], "flow");
    assert_eq!(flow["stop_reason"], "loss_below");
    assert!(flow["final_loss"].as_f64().unwrap() < 1e-12, "{}", flow["final_loss"]);
    let (a, b) = (gd["param_norm_sq"].as_f64().unwrap(), flow["param_norm_sq"].as_f64().unwrap());
    assert!((a - b).abs() < 1e-4, "|theta|^2: gd {a}, flow {b}");
    for (p, q) in f64s(&gd["predictions"]).iter().zip(f64s(&flow["predictions"])) {
        assert!((p - q).abs() < 1e-5, "predictions: gd {p}, flow {q}");
    }
    // Same seed, same initialisation.
    assert_eq!(gd["initial"], flow["initial"]);
}

#[test]
fn human_summary_reports_loss_and_minimum_norm() {
    let text = succeeds(&["--data", "toy", "--step", "1e-3", "--steps", "10"]);
    assert!(text.starts_with("reluflow simulate: n = 2, d = 2, m = 60, gradient descent (step 1e-3)"), "{text}");
    // 10 steps end on the first saddle: the minimum is shown, the excess is not
    assert!(text.contains("Proposition 1's minimum 2.683281573 is for interpolators"), "{text}");
}

#[test]
fn library_report_is_what_the_binary_prints() {
    let (_, text) = succeeds_json(&TOY_FLOW);
    assert_eq!(report_json(&run_lib(&json_flag(&TOY_FLOW)).unwrap()) + "\n", text);
}

#[test]
fn trace_csv_has_the_header_and_one_row_per_trace_every_steps() {
    let dir = TempDir::new("trace_rows");
    let read = |path: &PathBuf| -> Vec<Vec<f64>> {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("step,time,loss,param_norm_sq"));
        lines.map(|l| l.split(',').map(|f| f.parse().unwrap()).collect()).collect()
    };
    // Gradient descent: steps 0, 10, 20 of 25.
    let gd = dir.path("gd.csv");
    let (r, _) =
        succeeds_json(&["--data", "toy", "--step", "1e-3", "--steps", "25", "--trace", &s(&gd), "--trace-every", "10"]);
    let rows = read(&gd);
    assert_eq!(rows.iter().map(|row| row[0]).collect::<Vec<_>>(), [0.0, 10.0, 20.0]);
    assert!(rows.iter().all(|row| row.len() == 4));
    assert!((rows[2][1] - 0.02).abs() < 1e-15, "time column {}", rows[2][1]);
    assert_eq!(r["steps"].as_u64(), Some(25));
    // Every step.
    let all = dir.path("all.csv");
    succeeds(&["--data", "toy", "--step", "1e-3", "--steps", "25", "--trace", &s(&all)]);
    assert_eq!(read(&all).len(), 26);
    // Flow: accepted steps 0, 7, 14, ... up to the number of steps in the report.
    let flow = dir.path("flow.csv");
    let (r, _) = succeeds_json(&[
        "--data",
        "toy",
        "--method",
        "flow",
        "--horizon",
        "5",
        "--trace",
        &s(&flow),
        "--trace-every",
        "7",
    ]);
    let steps = r["steps"].as_u64().unwrap();
    let rows = read(&flow);
    assert_eq!(rows.len() as u64, steps / 7 + 1, "{steps} accepted steps");
    assert!(rows.windows(2).all(|w| w[1][0] - w[0][0] == 7.0 && w[1][1] > w[0][1]), "steps and times increase");
}

#[test]
fn init_from_the_initial_field_reproduces_the_run_bit_for_bit() {
    let dir = TempDir::new("init_from_bits");
    let ((_, first), (second_report, second)) = toy_gd_and_rerun_from_its_initial(&dir);
    assert_eq!(second_report["lambda"], Value::Null);
    assert_eq!(second_report["m"].as_u64(), Some(60));
    // Shortest round-trip text is unique per bit pattern: compare the numbers as printed.
    for field in ["initial", "final"] {
        let numbers = |t: &str| -> Vec<String> {
            raw_object(t, field)
                .split(|c: char| "[]{},:\"aw".contains(c))
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        };
        let (a, b) = (numbers(&first), numbers(&second));
        assert_eq!(a.len(), b.len(), "{field}");
        let differ: Vec<_> = a.iter().zip(&b).filter(|(p, q)| p != q).collect();
        assert!(
            differ.is_empty(),
            "{field}: {} of {} values differ, e.g. {:?}",
            differ.len(),
            a.len(),
            &differ[..differ.len().min(3)]
        );
    }
}

#[test]
fn init_from_through_the_library_gives_bit_identical_final_params() {
    let dir = TempDir::new("init_from_library");
    let first = run_lib(&TOY_GD).unwrap();
    let init = dir.file("init.json", &serde_json::to_string(&first.initial).unwrap());
    let args: Vec<&str> =
        TOY_GD.iter().copied().filter(|a| !["--width", "60", "--lambda", "1.29e-7"].contains(a)).collect();
    let second = run_lib(&[args.as_slice(), &["--init-from", &init]].concat()).unwrap();
    let bits =
        |p: &reluflow::Params| -> Vec<u64> { p.a.iter().chain(p.w.iter().flatten()).map(|v| v.to_bits()).collect() };
    assert_eq!(bits(&first.initial), bits(&second.initial));
    assert_eq!(bits(&first.final_params), bits(&second.final_params));
    assert_eq!(first.final_loss.to_bits(), second.final_loss.to_bits());
}

#[test]
fn json_and_csv_data_files_give_the_toy_result() {
    let dir = TempDir::new("data_files");
    let json = dir.file("toy.json", TOY_JSON);
    let csv = dir.file("toy.CSV", TOY_CSV);
    let run = |data: &str| succeeds(&["--data", data, "--step", "2e-3", "--steps", "2000", "--json"]);
    let toy = run("toy");
    assert_eq!(run(&json), toy, "JSON file");
    assert_eq!(run(&csv), toy, "CSV file");
    let r = run_lib(&["--data", &csv, "--step", "2e-3", "--steps", "2000"]).unwrap();
    assert_eq!((r.n, r.d), (2, 2));
    assert!((r.min_norm_sq.unwrap() - TOY_MIN_NORM_SQ).abs() < 1e-6);
}

// ---------------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------------

#[test]
fn same_command_in_two_processes_gives_byte_identical_stdout() {
    for args in [json_flag(&TOY_GD), json_flag(&RANDOM_FLOW)] {
        let (first, second) = (succeeds(&args), succeeds(&args));
        assert!(!first.is_empty());
        assert_eq!(first, second, "{args:?}");
    }
    let (r, _) = succeeds_json(&RANDOM_FLOW);
    assert_eq!((r["n"].as_u64(), r["d"].as_u64(), r["m"].as_u64()), (Some(4), Some(6), Some(30)));
    assert_eq!(r["time"].as_f64(), Some(60.0));
}

#[test]
fn library_simulate_twice_gives_identical_json() {
    for args in [TOY_GD.to_vec(), RANDOM_FLOW.to_vec()] {
        let args = simulate_args(&args);
        let first = report_json(&simulate(&args).unwrap());
        let second = report_json(&simulate(&args).unwrap());
        assert_eq!(first, second);
    }
}

#[test]
fn parallel_library_runs_agree_with_a_serial_run() {
    for args in [TOY_GD.to_vec(), RANDOM_FLOW.to_vec()] {
        let args = simulate_args(&args);
        let serial = report_json(&simulate(&args).unwrap());
        let parallel: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4).map(|_| scope.spawn(|| report_json(&simulate(&args).unwrap()))).collect();
            handles.into_iter().map(|h| h.join().expect("a simulate thread panicked")).collect()
        });
        for (i, p) in parallel.iter().enumerate() {
            assert_eq!(p, &serial, "thread {i}");
        }
    }
}

/// `--coordinates reduced` runs the fast path (`solver::reduced`) and reports it; on the toy
/// (orthogonal inputs) it agrees with the full simulator. GD: relative `|theta|^2` difference
/// <= `2 x 2 (n + d) eps K` = 7.1e-11 (`tests/reduced.rs` bounds the relative difference of each
/// neuron that does not shrink by `2 (n + d) eps K` for `K = 20000` steps; a square doubles it;
/// the neurons that shrink are the inactive ones, of size ~1e-7 here, whose share of `|theta|^2`
/// is ~1e-12; measured 5e-16). Flow: the same accepted steps (on the toy no coordinate is below
/// the full path's resolution, so the paths take the same steps) and `|theta|^2` within the
/// integrator's tolerance `rtol = 1e-9` (measured 5e-15).
#[test]
fn coordinates_reduced_agrees_with_full_on_the_toy() {
    let gd = [
        "--data", "toy", "--width", "60", "--lambda", "1.29e-7", "--method", "gd", "--step", "2e-3", "--steps", "20000",
    ];
    let flow = ["--data", "toy", "--width", "60", "--lambda", "1.29e-7", "--method", "flow", "--until-loss", "1e-12"];
    let gd_tol = 2.0 * 2.0 * (2.0 + 2.0) * f64::EPSILON * 20_000.0;
    for (args, tol) in [(&gd[..], gd_tol), (&flow[..], 1e-9)] {
        let mut full_args = args.to_vec();
        full_args.extend(["--coordinates", "full"]);
        let (full, _) = succeeds_json(&full_args);
        let mut reduced_args = args.to_vec();
        reduced_args.extend(["--coordinates", "reduced"]);
        let (reduced, _) = succeeds_json(&reduced_args);
        assert_eq!(full["coordinates"], "full");
        assert_eq!(reduced["coordinates"], "reduced");
        assert_eq!(full["steps"], reduced["steps"]);
        let (a, b) = (full["param_norm_sq"].as_f64().unwrap(), reduced["param_norm_sq"].as_f64().unwrap());
        assert!((a / b - 1.0).abs() <= tol, "{args:?}: |theta|^2 full {a} vs reduced {b}");
        assert!(reduced["final_loss"].as_f64().unwrap() < 1e-12);
    }
}

/// `--coordinates reduced` on inputs that are not pairwise orthogonal: exit 2 with the reduced
/// path's typed error (it names the worst pair and the fix), for GD and for the flow.
#[test]
fn coordinates_reduced_refuses_non_orthogonal_inputs() {
    let dir = TempDir::new("reduced-non-orthogonal");
    let data = dir.file("skewed.json", "{\"x\": [[1, 0], [0.6, 0.8]], \"y\": [1, -1]}");
    for method in [&["--method", "gd", "--step", "1e-2", "--steps", "10"][..], &["--method", "flow", "--horizon", "1"]]
    {
        let mut args = vec!["--data", data.as_str(), "--coordinates", "reduced"];
        args.extend(method);
        assert_fails_with(&args, "pairwise orthogonal inputs");
        assert_fails_with(&args, "--coordinates full");
    }
}

/// A stiff flow (large `lambda`, the lazy regime) is announced on stderr before it runs, with the
/// step estimate `3.3 / mu` (`mu` a lower bound on the largest eigenvalue of the Hessian's
/// Gauss-Newton part). A consistency check, not a proof of the bound: the explicit integrator's
/// mean accepted step until the run switches to ROS2 (`flow.switched_at / flow.explicit_steps`)
/// is below the announced step (measured 8.8e-9 against 2.6e-8 on the toy at `lambda = 1e3`),
/// and a small `lambda` gets no such warning.
#[test]
fn stiff_flow_is_announced_with_a_step_bound_the_integrator_obeys() {
    let stiff = ["--data", "toy", "--width", "60", "--lambda", "1e3", "--method", "flow", "--horizon", "1"];
    let mut args = stiff.to_vec();
    args.extend(["--steps", "2000", "--json"]);
    let out = reluflow_simulate(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let warning = err.lines().find(|l| l.contains("the flow is stiff")).unwrap_or_else(|| panic!("no warning: {err}"));
    let bound: f64 = warning
        .split("steps below ~")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no step bound in {warning}"));
    let report: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let flow = &report["flow"];
    let mean_step = flow["switched_at"].as_f64().unwrap() / flow["explicit_steps"].as_f64().unwrap();
    assert!(mean_step <= bound, "mean step {mean_step:e} above the announced bound {bound:e}");

    let calm =
        reluflow_simulate(&["--data", "toy", "--lambda", "1e-6", "--method", "flow", "--horizon", "1", "--json"]);
    assert!(calm.status.success());
    assert!(!stderr(&calm).contains("stiff"), "{}", stderr(&calm));
}

/// A start too large for `f64` (`lambda = 1e200`: `|theta|^2` overflows) is the same typed error
/// at step 0 on both paths and both methods (the reduced flow used to report it after one step,
/// as a non-finite state "at step 1"), with no stiffness warning built on infinities.
#[test]
fn non_finite_start_is_an_error_at_step_0_on_both_paths() {
    for coordinates in ["full", "reduced"] {
        for method in
            [&["--method", "gd", "--step", "1e-3", "--steps", "5"][..], &["--method", "flow", "--horizon", "1"]]
        {
            let mut args = vec!["--data", "toy", "--lambda", "1e200", "--coordinates", coordinates];
            args.extend(method);
            assert_fails_with(&args, "not finite (NaN or infinity) at step 0");
            assert!(!stderr(&reluflow_simulate(&args)).contains("stiff"), "{args:?}");
        }
    }
}

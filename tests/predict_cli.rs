//! The jump process on the command line (issue 15, items 1 and 3): `timeline --svg` draws the
//! predicted staircase exactly when the process applies, and `predict --sweep-n` (the measured
//! law of the limit norm over Proposition 1's minimum) is deterministic, never reports a ratio
//! below 1, and runs the same process as `theory::jump_process`.

use reluflow::Instance;
use reluflow::data::generate::{LabelSpec, random_orthonormal};
use reluflow::experiments::jump_sweep::{jump_process_of_sets, width_for};
use reluflow::theory::jump_process::jump_process;
use serde_json::Value;
use std::process::Output;

fn reluflow(args: &[&str], threads: &str) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_reluflow"))
        .args(args)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("the binary runs")
}

fn stdout_of(args: &[&str]) -> String {
    let out = reluflow(args, "2");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The staircase's legend entry (`>` escaped in the SVG text).
const LEGEND: &str = "jump process (lambda-&gt;0 limit), t_i = tau_i ln(1/lambda)";
/// The staircase's dashes (black, width 2: no other series of the figure is drawn so).
const DASH: &str = r##"<polyline fill="none" opacity="1" stroke="#000000" stroke-width="2""##;

fn timeline_svg(test: &str, args: &[&str]) -> String {
    let path = std::env::temp_dir().join(format!("reluflow-predict-cli-{test}-{}.svg", std::process::id()));
    let path_text = path.display().to_string();
    let mut all = args.to_vec();
    all.extend(["--method", "flow", "--svg", &path_text]);
    stdout_of(&all);
    let svg = std::fs::read_to_string(&path).expect("the SVG was written");
    let _ = std::fs::remove_file(&path);
    svg
}

/// `timeline --svg` on orthonormal inputs with a balanced initialisation (the instance of
/// README and `reluflow predict`: data seed 1, init seed 5, three escapes, the run past the last)
/// carries the staircase: its legend entry, its final level 0 noted as drawn at the axis bottom,
/// and its dashes, its texts inside the canvas and apart (the layout rules of every figure). On
/// the Section 5 toy (orthogonal, not unit: the process needs orthonormal
/// inputs) and with an unbalanced initialisation it does not, and the figure is as before.
#[test]
fn timeline_svg_draws_the_staircase_exactly_when_the_process_applies() {
    let base = ["timeline", "--random-orthonormal", "5,7", "--data-seed", "1", "--width", "10", "--lambda", "1e-16"];
    let mut with = base.to_vec();
    with.extend(["--seed", "5", "--horizon", "240"]);
    let svg = timeline_svg("orthonormal", &with);
    assert!(svg.contains(LEGEND), "no staircase legend");
    assert!(svg.contains("(level 0 drawn at the axis bottom)"));
    assert!(svg.matches(DASH).count() > 20, "no staircase dashes");
    crate::reproduce::assert_texts_fit_and_do_not_overlap("timeline with the staircase", &svg);

    // a run that stops before the last escape: the step after it is named in a note
    let mut short = base.to_vec();
    short.extend(["--seed", "5", "--horizon", "150"]);
    let svg = timeline_svg("short", &short);
    assert!(svg.contains(LEGEND) && svg.contains("Jump-process steps after the end of the run"));
    assert!(!svg.contains("(level 0 drawn at the axis bottom)"));
    crate::reproduce::assert_texts_fit_and_do_not_overlap("timeline with a note", &svg);

    let toy =
        timeline_svg("toy", &["timeline", "--data", "toy", "--width", "20", "--lambda", "1e-6", "--horizon", "40"]);
    assert!(!toy.contains("jump process") && toy.matches(DASH).count() == 0);
    let mut unbalanced = base.to_vec();
    unbalanced.extend(["--init", "unbalanced", "--horizon", "100"]);
    let svg = timeline_svg("unbalanced", &unbalanced);
    assert!(!svg.contains("jump process") && svg.matches(DASH).count() == 0);
}

/// `predict --sweep-n` on a small list: one row per size, the flow's columns only at the sizes
/// it was run, every ratio at least `1 - 1e-12`, and the same bytes on one thread and on two.
///
/// Why the ratio is at least 1 (rounding aside): on an interpolating limit the fitted sets `S_i`
/// are disjoint, each lies in one sign class, so those of the positive neurons partition the
/// positive points `P` and those of the negative neurons the negative points `N`; the Euclidean
/// norm is subadditive over disjoint unions, `|y_{S u T}| = sqrt(|y_S|^2 + |y_T|^2) <= |y_S| +
/// |y_T|`, hence `sum_{S_i in P} |y_{S_i}| >= |y_P|`, likewise for `N`, and
/// `2 sum_i |y_{S_i}| >= 2 (|y_P| + |y_N|)`, Proposition 1's minimum (the ratios are over the
/// interpolating seeds).
#[test]
fn sweep_n_rows_are_deterministic_and_never_below_the_minimum() {
    let args = ["predict", "--sweep-n", "--n", "16,32", "--seeds", "4", "--simulate-up-to", "16", "--json"];
    let one = reluflow(&args, "1");
    let two = reluflow(&args, "2");
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    assert_eq!(one.stdout, two.stdout, "the output depends on the thread count");
    let rows: Vec<Value> = serde_json::from_slice(&one.stdout).expect("JSON rows");
    assert_eq!(rows.len(), 2);
    for (row, n) in rows.iter().zip([16u64, 32]) {
        assert_eq!(row["n"].as_u64(), Some(n));
        assert_eq!(row["m"].as_u64(), Some(width_for(n as usize) as u64));
        assert_eq!(row["seeds"].as_u64(), Some(4));
        let interpolating = row["interpolating"].as_u64().expect("a count");
        assert!(interpolating >= 1, "{row}");
        let min = row["ratio_min"].as_f64().expect("a ratio");
        let (mean, max) = (row["ratio_mean"].as_f64().expect("a mean"), row["ratio_max"].as_f64().expect("a max"));
        assert!(min >= 1.0 - 1e-12 && min <= mean && mean <= max, "{row}");
        let p = row["cover_probability"].as_f64().expect("a probability");
        assert!(p > 0.9 && p <= 1.0, "{row}"); // the union bound gives >= 0.95
        assert!(row["events_mean"].as_f64().expect("a mean") >= 2.0, "{row}");
    }
    let flow = &rows[0]["simulated"];
    assert!(flow["ratio_mean"].as_f64().expect("the flow ran at n = 16") >= 1.0 - 1e-9, "{flow}");
    assert!(rows[1]["simulated"].is_null());

    let table = stdout_of(&["predict", "--sweep-n", "--n", "16,32", "--seeds", "4", "--simulate-up-to", "16"]);
    assert_eq!(table, stdout_of(&["predict", "--sweep-n", "--n", "16,32", "--seeds", "4", "--simulate-up-to", "16"]));
    assert!(table.lines().any(|l| l.trim_start().starts_with("16 ") && l.contains('|')), "{table}");
}

/// Flags out of place or out of range: an error naming the problem, no panic.
#[test]
fn sweep_n_rejects_bad_flags() {
    for (args, needle) in [
        (vec!["predict", "--sweep-n", "--n", "1"], "n = 1"),
        (vec!["predict", "--sweep-n", "--n", "16", "--seeds", "0"], "--seeds 0"),
        (vec!["predict", "--sweep-n", "--n", "16", "--simulate-lambda", "2"], "must be in (0, 1)"),
        (vec!["predict", "--sweep-n", "--n", "16", "--simulate-up-to", "5000"], "--simulate-up-to 5000"),
        (vec!["predict", "--random-orthonormal", "4,4", "--seeds", "3"], "go with --sweep-n"),
        (vec!["predict", "--sweep-n", "--random-orthonormal", "4,4"], "cannot be used with"),
    ] {
        let out = reluflow(&args, "2");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(needle) && !err.contains("panicked"), "{args:?}: {err}");
    }
}

/// The sweep's process from the growth sets is `theory::jump_process` itself (field for field,
/// bit for bit) on Haar-random orthonormal inputs, where the sets come from the projections
/// `<g_j, x_k>` (the sweep reads them off the standard basis, where they are `g_jk`).
#[test]
fn the_sweep_process_is_the_crates_jump_process() {
    for seed in 0..40u64 {
        let (n, d, m) = (3 + (seed % 6) as usize, 9, 4 + (seed % 9) as usize);
        let data = random_orthonormal(n, d, &LabelSpec::default(), seed).expect("data");
        let p = Instance::balanced(data.clone(), m, 1e-6, seed).initialisation().expect("init").params.to_params();
        let signs: Vec<f64> = p.a.iter().map(|a| a.signum()).collect();
        let y = data.y();
        let growth: Vec<Vec<usize>> = (0..m)
            .map(|j| {
                (0..n)
                    .filter(|&k| {
                        let proj: f64 = p.w[j].iter().zip(data.x(k)).map(|(a, b)| a * b).sum();
                        proj > 0.0 && signs[j] * y[k] > 0.0
                    })
                    .collect()
            })
            .collect();
        assert_eq!(jump_process_of_sets(y, &growth), jump_process(&data, &p.w, &signs).expect("orthonormal"));
    }
}

/// `m(n)` is the smallest width with `n (3/4)^m <= 0.05`.
#[test]
fn width_for_is_the_smallest_union_bound_width() {
    for n in 2..5000usize {
        let m = width_for(n);
        let bound = |m: usize| n as f64 * 0.75f64.powi(m as i32);
        assert!(bound(m) <= 0.05 && bound(m - 1) > 0.05, "n = {n}, m = {m}");
    }
}

/// `predict --json` has the issue's fields (`events[{tau, neuron, fits, loss_after}]`,
/// `limit_norm_sq`, `min_norm_sq`, `unfitted`, `cover_probability`), with the numbers of
/// `theory::jump_process` on the README's instance; `--init-from` a file holding that instance's
/// `theta(0)` gives the same process (without `lambda`, so without times).
#[test]
fn predict_json_has_the_issue_fields_and_init_from_gives_the_same_process() {
    let base = [
        "predict",
        "--random-orthonormal",
        "5,7",
        "--data-seed",
        "1",
        "--width",
        "10",
        "--lambda",
        "1e-16",
        "--seed",
        "5",
    ];
    let mut args = base.to_vec();
    args.push("--json");
    let json: Value = serde_json::from_str(&stdout_of(&args)).expect("JSON");
    let events = json["events"].as_array().expect("events");
    assert_eq!(events.len(), 3);
    for key in ["tau", "neuron", "fits", "loss_after"] {
        assert!(events.iter().all(|e| !e[key].is_null()), "{key} missing");
    }
    for key in ["limit_norm_sq", "min_norm_sq", "unfitted", "cover_probability"] {
        assert!(!json[key].is_null(), "{key} missing");
    }
    assert!(json["caveats"].as_array().expect("caveats").is_empty());
    let data = random_orthonormal(5, 7, &LabelSpec::default(), 1).expect("data");
    let init = Instance::balanced(data.clone(), 10, 1e-16, 5).initialisation().expect("init").params.to_params();
    let signs: Vec<f64> = init.a.iter().map(|a| a.signum()).collect();
    let process = jump_process(&data, &init.w, &signs).expect("orthonormal");
    assert_eq!(json["limit_norm_sq"].as_f64(), Some(process.limit_norm_sq));
    assert_eq!(events[0]["tau"].as_f64(), Some(process.events[0].tau));

    // the same theta(0) from a file: g_j = w_j(0) up to the factor lambda, the same signs
    let path = std::env::temp_dir().join(format!("reluflow-predict-init-{}.json", std::process::id()));
    let text = serde_json::json!({ "a": init.a, "w": init.w }).to_string();
    std::fs::write(&path, text).expect("init file");
    let path_text = path.display().to_string();
    let from_file = ["predict", "--random-orthonormal", "5,7", "--data-seed", "1", "--init-from", &path_text, "--json"];
    let other: Value = serde_json::from_str(&stdout_of(&from_file)).expect("JSON");
    let _ = std::fs::remove_file(&path);
    assert_eq!(other["limit_norm_sq"], json["limit_norm_sq"]);
    assert_eq!(other["unfitted"], json["unfitted"]);
    let taus = |v: &Value| v["events"].as_array().expect("events").iter().map(|e| e["tau"].clone()).collect::<Vec<_>>();
    assert_eq!(taus(&other), taus(&json));
    assert!(other["lambda"].is_null() && other["events"][0]["time"].is_null(), "no lambda, no times");
}

/// `predict` on an instance outside the derivation's assumptions says so: an unbalanced
/// initialisation and `relu'(0) = 1` are printed as caveats (and listed in `--json`); inputs
/// that are not orthonormal are an error naming Assumption 1, not a prediction.
#[test]
fn predict_states_unmet_assumptions() {
    let text = stdout_of(&["predict", "--random-orthonormal", "4,4", "--width", "6", "--init", "unbalanced"]);
    assert!(text.starts_with("caveat: the initialisation is not balanced"), "{text}");
    let text = stdout_of(&["predict", "--random-orthonormal", "4,4", "--width", "6", "--relu-prime-at-zero", "1"]);
    assert!(text.contains("caveat: relu'(0) = 1"), "{text}");
    let out = reluflow(&["predict", "--data", "toy", "--width", "6"], "1");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("orthonormal"), "{err}");
}

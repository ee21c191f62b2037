//! `reluflow check` on runs written by the numpy trainers of `python/tests/trainers.py` (plain
//! full-batch gradient descent with torch's MSE convention and a torch-style learning rate,
//! recorded by `python/reluflow_record.py`), in float64 and float32, with the negative controls
//! of the issue: `relu'(0) = 1` fails L6, an unbalanced initialisation fails L1, a wrongly stated
//! loss convention is reported as a mismatch, and a non-orthogonal dataset on which GD stalls is
//! classified as a stationary point with its loss. CI installs numpy (`.ci/run`); these tests
//! fail loudly without it.

use reluflow::claims::registry::ClaimState;
use reluflow::recorded::{CheckReport, EndState, check_file};
use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `trainers.py KIND OUT --dtype DTYPE` and returns the file.
fn train(kind: &str, dtype: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("reluflow-numpy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = dir.join(format!("{kind}-{dtype}.npz"));
    if out.exists() {
        return out;
    }
    // tests run in parallel and share the files: write to a private name, then rename (atomic)
    let private = dir.join(format!("{kind}-{dtype}-{:?}.npz", std::thread::current().id()).replace(['(', ')'], ""));
    let status = Command::new("python3")
        .arg(repo().join("python/tests/trainers.py"))
        .args([kind, private.to_str().expect("utf-8 path"), "--dtype", dtype])
        .output()
        .expect("python3 runs (CI installs numpy: see .ci/run)");
    assert!(status.status.success(), "trainer {kind} failed: {}", String::from_utf8_lossy(&status.stderr));
    std::fs::rename(&private, &out).expect("rename");
    out
}

fn judged(kind: &str, dtype: &str) -> CheckReport {
    let path = train(kind, dtype);
    check_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn explain(r: &CheckReport) -> String {
    r.rows.iter().map(|x| format!("{} {} {:?}: {}\n", x.id, x.part, x.state, x.statement)).collect()
}

/// The paper's setting, torch MSE convention (loss_factor 2), float64 and float32: LOSS, L1
/// (both parts), L6, zero loss, the plateau, the final rate and the norm rows hold.
#[test]
fn numpy_mse_runs_satisfy_the_paper_in_float64_and_float32() {
    for dtype in ["float64", "float32"] {
        let r = judged("paper-mse", dtype);
        for id in ["LOSS", "L1", "L6", "F1", "T1", "L15", "P1", "TS"] {
            assert_eq!(r.state(id), Some(ClaimState::Held), "{dtype} {id}\n{}", explain(&r));
        }
        assert!(matches!(r.end, EndState::Interpolator { .. }), "{dtype}: {:?}", r.end);
        assert_eq!(r.run.precision, dtype);
    }
}

/// The time conversion: the paper-loss run (lr on L, loss_factor 1) and the paper-mse run (half
/// the lr on 2L, loss_factor 2) are the same trajectory, and reluflow's own gradient descent with
/// the paper step `2 lr` from the file's `x, y, a(0), w(0)` finds the plateau's landmarks at the
/// same paper times (to one snapshot interval).
#[test]
fn numpy_run_times_agree_with_reluflow_gd_at_step_two_lr() {
    use reluflow::params::{Params, ScaledParams};
    use reluflow::recorded::own::record_gd;
    use reluflow::recorded::{InMemoryRun, judge, open};
    let mse = judged("paper-mse", "float64");
    let paper = judged("paper-loss", "float64");
    let eta = mse.run.paper_step.expect("a step clock");
    assert_eq!(Some(eta), paper.run.paper_step);
    let path = train("paper-mse", "float64");
    let mut run = open(&path).expect("opens");
    let header = run.header().clone();
    let first = run.next_snapshot().expect("reads").expect("a snapshot");
    let theta0 = ScaledParams::from_params(&Params { a: first.params.a.clone(), w: first.params.w.clone() });
    let steps = (mse.run.final_time / eta).round() as u64;
    let (h, snaps) = record_gd(
        &header.data,
        reluflow::network::Model::relu().validate().expect("relu"),
        &theta0,
        eta,
        steps,
        400,
        header.lambda,
    )
    .expect("own GD");
    let own = judge(&mut InMemoryRun::new(h, snaps).expect("valid")).expect("judged");
    let crossing = |r: &CheckReport, level: f64| -> (f64, f64) {
        let i = r.curve.iter().position(|p| p.1 <= level).expect("crosses");
        (r.curve[i].0, r.curve[i].0 - r.curve[i.saturating_sub(1)].0)
    };
    let (l0, ls) = (mse.curve[0].1, mse.predicted.expect("paper setting").0);
    for level in [(l0 + ls) / 2.0, ls / 2.0] {
        let (t_file, gap_file) = crossing(&mse, level);
        let (t_own, gap_own) = crossing(&own, level);
        let (t_paper, _) = crossing(&paper, level);
        assert!((t_file - t_own).abs() <= gap_file.max(gap_own), "level {level}: file {t_file}, own {t_own}");
        assert_eq!(t_file, t_paper, "paper-loss and paper-mse put the level at the same paper time");
    }
}

/// Negative controls, each failing exactly the row it targets (both precisions).
#[test]
fn numpy_negative_controls_fail_their_rows() {
    for dtype in ["float64", "float32"] {
        let r = judged("relu-prime-one", dtype);
        assert_eq!(r.state("L6"), Some(ClaimState::Failed), "{dtype} relu'(0)=1\n{}", explain(&r));
        let r = judged("unbalanced", dtype);
        let balanced = r.rows.iter().find(|x| x.id == "L1" && x.part.contains("balanced")).expect("row");
        assert_eq!(balanced.state, ClaimState::Failed, "{dtype} unbalanced: {}", balanced.statement);
        let r = judged("wrong-factor", dtype);
        let loss = r.row("LOSS").expect("a logged loss");
        assert_eq!(loss.state, ClaimState::Failed, "{dtype}: {}", loss.statement);
        assert!(loss.statement.contains("loss_factor should be 2"), "{}", loss.statement);
    }
}

/// The stalling run (1-D inputs with a bias column, one point no neuron is active on) ends at a
/// stationary point with the loss `y_3^2 / (2n)` of the uncovered point, and its kinks are
/// reported; the paper's claims there are no evidence, never held.
#[test]
fn numpy_stall_is_a_stationary_point_with_its_loss() {
    for dtype in ["float64", "float32"] {
        let r = judged("stall", dtype);
        match &r.end {
            EndState::Stationary { loss, active, .. } => {
                assert!((loss - 1.0 / 6.0).abs() < 1e-6, "{dtype}: loss {loss}");
                assert!(active[2].is_empty(), "point 3 uncovered: {active:?}");
            }
            other => panic!("{dtype}: expected a stationary point, got {other:?}"),
        }
        assert!(r.kinks.as_ref().is_some_and(|k| !k.is_empty()));
        for id in ["T1", "F1", "L15", "P1"] {
            assert_eq!(r.state(id), Some(ClaimState::NoEvidence), "{dtype} {id}");
        }
    }
}

/// The command line prints the table and exits as `verify` (3: no failure, some rows without
/// evidence), and writes the Markdown and SVG files.
#[test]
fn numpy_run_through_the_cli() {
    let path = train("paper-mse", "float64");
    let dir = path.parent().expect("dir").to_path_buf();
    let (md, svg) = (dir.join("check.md"), dir.join("check.svg"));
    let out = Command::new(env!("CARGO_BIN_EXE_reluflow"))
        .args(["check", path.to_str().expect("utf-8")])
        .args(["--markdown", md.to_str().expect("utf-8"), "--svg", svg.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    for needle in ["LOSS", "L1", "L6", "F1", "T1", "an interpolator", "Assumption 1"] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    let markdown = std::fs::read_to_string(&md).expect("markdown");
    assert!(markdown.contains("| L6 | held |"));
    // every row of the table has its 7 cells: a `|` inside a cell is escaped
    for row in markdown.lines().filter(|l| l.starts_with("| ")) {
        let bars = row.char_indices().filter(|&(i, c)| c == '|' && (i == 0 || &row[i - 1..i] != "\\")).count();
        assert_eq!(bars, 8, "{row}");
    }
    assert!(std::fs::read_to_string(&svg).expect("svg").contains("<svg"));
    let json = Command::new(env!("CARGO_BIN_EXE_reluflow"))
        .args(["check", path.to_str().expect("utf-8"), "--json"])
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert!(v["rows"].as_array().is_some_and(|r| r.len() > 8));
}

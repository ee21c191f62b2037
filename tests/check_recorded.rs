//! `reluflow check`'s judges on runs of reluflow's own simulator recorded in the run-file model
//! (in memory; the file round trips are in `recorded_files`), with the negative controls of each
//! row.

use reluflow::claims::registry::ClaimState;
use reluflow::recorded::own::record_gd;
use reluflow::recorded::{CheckReport, InMemoryRun, judge};
use reluflow::{Dataset, Instance};

/// Orthonormal inputs (the standard basis of R^6, n = 4), labels meeting Assumption 2 with
/// `r = |D+|/|D-| = sqrt(5)/sqrt(2) > 1`: `y = (2, 1, -1, -1)`.
pub fn paper_data() -> Dataset {
    let x = (0..4).map(|k| (0..6).map(|i| if i == k { 1.0 } else { 0.0 }).collect()).collect();
    Dataset::new(x, vec![2.0, 1.0, -1.0, -1.0]).expect("valid data")
}

/// Judges gradient descent with paper step `eta` for `steps` steps from `instance`'s initialisation.
pub fn judge_gd(instance: &Instance, eta: f64, steps: u64) -> CheckReport {
    let init = instance.initialisation().expect("init");
    let (header, snaps) = record_gd(
        &instance.data,
        instance.valid_model().expect("model"),
        &init.params,
        eta,
        steps,
        200,
        Some(instance.lambda()),
    )
    .expect("run");
    let mut run = InMemoryRun::new(header, snaps).expect("valid run");
    judge(&mut run).expect("judged")
}

fn print(report: &CheckReport) {
    for r in &report.rows {
        eprintln!("{} {} {:?}: {}", r.id, r.part, r.state, r.statement);
    }
    eprintln!("{:?}", report.end);
}

#[test]
fn own_gd_run_satisfies_the_paper() {
    let instance = Instance::balanced(paper_data(), 40, 1e-6, 3);
    let report = judge_gd(&instance, 0.05, 8000);
    print(&report);
    for id in ["L1", "L6", "F1", "T1", "L15", "P1"] {
        assert_eq!(report.state(id), Some(ClaimState::Held), "{id}");
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("reluflow-check-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// One row's claim, part, state, measured value and bound.
type RowVerdict = (String, String, ClaimState, Option<f64>, Option<f64>);

/// The states and numbers of every row, for comparing two judgements of the same run.
fn verdicts(report: &CheckReport) -> Vec<RowVerdict> {
    report.rows.iter().map(|r| (r.id.clone(), r.part.clone(), r.state, r.measured, r.bound)).collect()
}

/// A run of reluflow's own gradient descent written as `.npz` (stored and compressed) and as
/// JSON, read back and judged, gives exactly the verdicts of judging it in memory (float64: the
/// files hold the same bits).
#[test]
fn own_run_judged_from_npz_and_json_gives_the_in_memory_verdicts() {
    use reluflow::recorded::{check_file, write_json, write_npz, write_npz_compressed};
    let instance = Instance::balanced(paper_data(), 12, 1e-4, 5);
    let init = instance.initialisation().expect("init");
    let (header, snaps) =
        record_gd(&instance.data, instance.valid_model().expect("model"), &init.params, 0.05, 4000, 120, None)
            .expect("run");
    let in_memory = judge(&mut InMemoryRun::new(header.clone(), snaps.clone()).expect("valid")).expect("judged");
    let dir = temp_dir("roundtrip");
    let (npz, zipped, json) = (dir.join("run.npz"), dir.join("run-compressed.npz"), dir.join("run.json"));
    write_npz(&npz, &header, &snaps).expect("npz written");
    write_npz_compressed(&zipped, &header, &snaps).expect("compressed npz written");
    write_json(&json, &header, &snaps).expect("json written");
    for path in [&npz, &zipped, &json] {
        let from_file = check_file(path).expect("judged from the file");
        assert_eq!(verdicts(&from_file), verdicts(&in_memory), "{}", path.display());
        assert_eq!(format!("{:?}", from_file.end), format!("{:?}", in_memory.end));
    }
    assert!(in_memory.row("L1").is_some() && in_memory.run.lambda_estimated);
    let _ = std::fs::remove_dir_all(dir);
}

/// L1's gradient-descent law is held to the stated step: the same run judged with a learning
/// rate 4 times too small (the bound `2 eta (L(0) - L(t))` shrinks 4-fold) fails its
/// conservation part, and with an unbalanced initialisation (`a_j = 3 s_j |w_j|`) its balanced
/// part fails.
#[test]
fn l1_negative_controls_wrong_step_and_unbalanced_init() {
    use reluflow::recorded::Clock;
    let instance = Instance::balanced(paper_data(), 12, 1e-2, 7);
    let init = instance.initialisation().expect("init");
    let eta = 0.4;
    let (mut header, snaps) =
        record_gd(&instance.data, instance.valid_model().expect("model"), &init.params, eta, 600, 120, None)
            .expect("run");
    let right = judge(&mut InMemoryRun::new(header.clone(), snaps.clone()).expect("valid")).expect("judged");
    let conserved = |r: &CheckReport| r.rows.iter().find(|x| x.id == "L1" && x.part.contains("conserved")).cloned();
    assert_eq!(conserved(&right).expect("row").state, ClaimState::Held, "{:?}", conserved(&right));
    header.clock = Clock::Steps { lr: eta / 4.0, loss_factor: 1.0 };
    let wrong = judge(&mut InMemoryRun::new(header, snaps).expect("valid")).expect("judged");
    assert_eq!(conserved(&wrong).expect("row").state, ClaimState::Failed, "{:?}", conserved(&wrong));

    let mut p = init.params.to_params();
    for a in &mut p.a {
        *a *= 3.0;
    }
    let theta0 = reluflow::params::ScaledParams::from_params(&p);
    let (header, snaps) =
        record_gd(&instance.data, instance.valid_model().expect("model"), &theta0, 0.05, 2000, 80, None).expect("run");
    let report = judge(&mut InMemoryRun::new(header, snaps).expect("valid")).expect("judged");
    let balanced = report.rows.iter().find(|x| x.id == "L1" && x.part.contains("balanced")).expect("row");
    assert_eq!(balanced.state, ClaimState::Failed, "{balanced:?}");
}

/// L6 and F1 outside their assumptions: on inputs that are not orthogonal the L6 row has no
/// evidence (never held), and a run at `lambda = 0.5` (no saddle) is not counted as F1 held.
#[test]
fn large_lambda_and_non_orthogonal_inputs_are_never_held() {
    let instance = Instance::balanced(paper_data(), 12, 0.5, 2);
    let report = judge_gd(&instance, 0.05, 3000);
    assert_ne!(report.state("F1"), Some(ClaimState::Held), "{:?}", report.row("F1"));
    let x = vec![vec![1.0, 0.3], vec![0.2, 1.0]];
    let data = Dataset::new(x, vec![1.0, -0.5]).expect("data");
    let instance = Instance::balanced(data, 8, 1e-3, 1);
    let report = judge_gd(&instance, 0.05, 3000);
    assert_eq!(report.state("L6"), Some(ClaimState::NoEvidence));
    assert_eq!(report.state("T1"), Some(ClaimState::NoEvidence));
}

/// A flow run (a time clock with the integrator's `rtol` and accepted steps) is judged with the
/// flow's L1 budget and holds L1, L6, F1 and zero loss; without `rtol` L1 has no evidence.
#[test]
fn own_flow_run_is_judged_with_the_flow_budget() {
    use reluflow::recorded::Clock;
    use reluflow::recorded::own::record_flow;
    let instance = Instance::balanced(paper_data(), 16, 1e-6, 3);
    let init = instance.initialisation().expect("init");
    let (mut header, snaps) =
        record_flow(&instance.data, instance.valid_model().expect("model"), &init.params, 1e-9, 400.0, 300, None)
            .expect("flow");
    let report = judge(&mut InMemoryRun::new(header.clone(), snaps.clone()).expect("valid")).expect("judged");
    print(&report);
    for id in ["L1", "L6", "F1", "T1"] {
        assert_eq!(report.state(id), Some(ClaimState::Held), "{id}");
    }
    assert!(report.row("L1").expect("row").statement.contains("flow, rtol"));
    header.clock = Clock::Time { rtol: None };
    let report = judge(&mut InMemoryRun::new(header, snaps).expect("valid")).expect("judged");
    let conserved = report.rows.iter().find(|r| r.id == "L1" && r.part.contains("conserved")).expect("row");
    assert_eq!(conserved.state, ClaimState::NoEvidence);
}

/// The kinks `reluflow check` reports for 1-D inputs with a bias column are the experiments'
/// (`experiments::measures::kink_clusters`: `KINK_CUT`, `KINK_GAP`), one convention for both; the
/// same run with the bias in the first column instead (inputs and weight columns swapped: the same
/// network) gives the same positions.
#[test]
fn check_kinks_are_the_experiments_kinks_with_the_bias_in_either_column() {
    use reluflow::experiments::measures::kink_clusters;
    let toy = reluflow::data::generate::toy();
    let instance = Instance::balanced(toy.clone(), 60, 1e-6 / 60f64.sqrt(), 0);
    let init = instance.initialisation().expect("init");
    let (header, snaps) =
        record_gd(&toy, instance.valid_model().expect("model"), &init.params, 2e-3, 20_000, 50, None).expect("run");
    let last = snaps.last().expect("snapshots").params.clone();
    let kinks_of = |header, snaps| {
        let mut run = InMemoryRun::new(header, snaps).expect("valid run");
        judge(&mut run).expect("judged").kinks.expect("1-D with a bias column")
    };
    let mut swapped_header = header.clone();
    let rows: Vec<Vec<f64>> = (0..toy.n()).map(|k| vec![toy.x(k)[1], toy.x(k)[0]]).collect();
    swapped_header.data = Dataset::new(rows, toy.y().to_vec()).expect("valid data");
    let mut swapped_snaps = snaps.clone();
    for s in &mut swapped_snaps {
        for w in &mut s.params.w {
            w.swap(0, 1);
        }
    }
    let kinks = kinks_of(header, snaps);
    let expected: Vec<f64> = kink_clusters(&toy, &last).into_iter().map(|c| c.0).collect();
    assert_eq!(kinks, expected);
    assert_eq!(kinks.len(), 2, "the toy's two kinks: {kinks:?}");
    let kinks_swapped = kinks_of(swapped_header, swapped_snaps);
    assert_eq!(kinks_swapped, kinks);
}

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

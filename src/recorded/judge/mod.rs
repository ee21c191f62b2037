//! Judging a recorded run: one pass over its snapshots collects the evidence in bounded memory
//! ([`collect`]), then the judges ([`rows`]) read it with what the paper predicts for the run
//! ([`theory_view`]).
//!
//! The rows, in the paper's order: `LOSS` (the logged loss against the stated convention), `L1`
//! (conservation along the run, in the form of the run's clock, and the balanced part), `L6`,
//! `L7`/`L8` (ii) (early alignment, where a snapshot falls early enough), `TS` (the two fit
//! times), `F1` (the plateau), `L15` (the final rate), `T1` (zero loss; minimum norm), `P1`
//! (the norm lower bound). Every tolerance is derived in the doc comment of the function that
//! makes the row, with the file's precision (`eps = 2^-23` for float32, `2^-52` for float64);
//! every row the file cannot show is "no evidence" with the reason.

pub mod collect;
pub mod rows;
pub mod theory_view;

use serde::Serialize;

use super::{RecordedRun, RunFileError, RunHeader};
use crate::claims::registry::ClaimState;
pub use collect::{Collector, Evidence, Sample};
pub use theory_view::{AssumptionRow, TheoryView};

/// One judged statement about a recorded run.
#[derive(Clone, Debug, Serialize)]
pub struct CheckRow {
    /// The claim ID (`L1`, `L6`, `T1`, `L15`, `P1`, `F1`, `TS`, `L7`, `L8`), or `LOSS` for the
    /// cross-check of the logged loss against the stated convention.
    pub id: String,
    /// What part of the claim this row judges (e.g. "zero loss at the end").
    pub part: String,
    /// held, FAILED, or no evidence (with the reason in `statement`).
    pub state: ClaimState,
    /// Whether the bound could not bite (then the state is no evidence).
    pub vacuous: bool,
    /// The measured value of the binding part, if judged.
    pub measured: Option<f64>,
    /// Its bound.
    pub bound: Option<f64>,
    /// Its margin (`>= 0` iff it holds).
    pub margin: Option<f64>,
    /// The statement, with the numbers.
    pub statement: String,
}

/// Where a run ended.
#[derive(Clone, Debug, Serialize)]
pub enum EndState {
    /// The final loss is zero to the run's resolution.
    Interpolator {
        /// Final `L`.
        loss: f64,
    },
    /// The gradient is zero to the run's resolution but the loss is not.
    Stationary {
        /// Final `L`.
        loss: f64,
        /// Final `|grad L|`.
        gradient: f64,
        /// The active pattern: per point, the neurons active on it.
        active: Vec<Vec<usize>>,
    },
    /// Neither: the run stopped while the parameters were still moving.
    StillMoving {
        /// Final `L`.
        loss: f64,
        /// Final `|grad L|`.
        gradient: f64,
    },
}

/// The judgement of one recorded run.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// Where the run came from.
    pub source: String,
    /// `n`, `d`, `m`, `T`, precision, clock, `lambda` (and whether estimated).
    pub run: RunSummary,
    /// The assumption report (from the data and the first snapshot).
    pub assumptions: Vec<AssumptionRow>,
    /// The rows, in the order of the paper's list of claims.
    pub rows: Vec<CheckRow>,
    /// Where the run ended.
    pub end: EndState,
    /// For 1-D inputs with a bias column: the kinks of the final network.
    pub kinks: Option<Vec<f64>>,
    /// The loss curve: `(paper time, L)` per snapshot (for the figure).
    #[serde(skip)]
    pub curve: Vec<(f64, f64)>,
    /// Fact 1's plateau level and the predicted fit times `ln(1/lambda)/|D+-|` (for the figure).
    #[serde(skip)]
    pub predicted: Option<(f64, f64, f64)>,
}

/// The shape of a judged run.
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    /// Points.
    pub n: usize,
    /// Input dimension.
    pub d: usize,
    /// Width.
    pub m: usize,
    /// Snapshots.
    pub snapshots: usize,
    /// `float32` or `float64`.
    pub precision: String,
    /// The paper step `eta = lr x loss_factor` of a step-recorded run.
    pub paper_step: Option<f64>,
    /// Paper time of the last snapshot.
    pub final_time: f64,
    /// `lambda` used.
    pub lambda: f64,
    /// Whether `lambda` was estimated from `w(0)`.
    pub lambda_estimated: bool,
}

impl CheckReport {
    /// The first row of claim `id`.
    pub fn row(&self, id: &str) -> Option<&CheckRow> {
        self.rows.iter().find(|r| r.id.eq_ignore_ascii_case(id))
    }
    /// The state of claim `id` over its rows: failed if any failed, held if any held and none
    /// failed, no evidence otherwise (`None` if no row has that ID).
    pub fn state(&self, id: &str) -> Option<ClaimState> {
        let rows: Vec<&CheckRow> = self.rows.iter().filter(|r| r.id.eq_ignore_ascii_case(id)).collect();
        if rows.is_empty() {
            None
        } else if rows.iter().any(|r| r.state == ClaimState::Failed) {
            Some(ClaimState::Failed)
        } else if rows.iter().any(|r| r.state == ClaimState::Held) {
            Some(ClaimState::Held)
        } else {
            Some(ClaimState::NoEvidence)
        }
    }
    /// As `verify`: 0 every row held, 1 a row failed, 3 none failed but a row had no evidence.
    pub fn exit_code(&self) -> u8 {
        if self.rows.iter().any(|r| r.state == ClaimState::Failed) {
            1
        } else if self.rows.iter().any(|r| r.state == ClaimState::NoEvidence) {
            3
        } else {
            0
        }
    }
}

/// Judges a recorded run: reads every snapshot once, in order, holding the first, the last and
/// running reductions only (memory `O(m (n + d))` whatever `T`).
pub fn judge(run: &mut dyn RecordedRun) -> Result<CheckReport, RunFileError> {
    let header: RunHeader = run.header().clone();
    let first = run.next_snapshot()?.ok_or(RunFileError::NoSnapshots)?;
    let theory = TheoryView::new(&header, &first.params);
    let mut collector = Collector::new(&header, &theory);
    collector.observe(&first);
    drop(first);
    while let Some(s) = run.next_snapshot()? {
        collector.observe(&s);
    }
    let ev = collector.finish().ok_or(RunFileError::NoSnapshots)?;
    Ok(report(&header, &theory, &ev))
}

/// The report from the collected evidence.
fn report(header: &RunHeader, th: &TheoryView, ev: &Evidence) -> CheckReport {
    let end = rows::end_state(header, ev);
    let mut out = Vec::new();
    out.extend(rows::loss_row(header, ev));
    out.extend(rows::l1_rows(header, th, ev));
    out.push(rows::l6_row(header, th, ev));
    out.extend(rows::alignment_rows(th, ev));
    out.extend(rows::ts_rows(th, ev));
    out.push(rows::f1_row(th, ev));
    out.push(rows::l15_row(header, th, ev));
    out.push(rows::t1_zero_loss_row(header, th, ev, &end));
    out.push(rows::t1_norm_row(th, ev, &end));
    out.push(rows::p1_row(th, ev, &end));
    let last = ev.samples.last().expect("a snapshot");
    let predicted = (th.lambda > 0.0 && th.lambda < 1.0 && th.paper_setting()).then(|| {
        let l = -th.lambda.ln();
        (th.plateau_loss, l / th.d_plus_norm, l / th.d_minus_norm)
    });
    CheckReport {
        source: header.source.clone(),
        run: RunSummary {
            n: header.data.n(),
            d: header.data.d(),
            m: header.m,
            snapshots: ev.samples.len(),
            precision: header.precision.name().into(),
            paper_step: header.clock.paper_step(),
            final_time: last.time,
            lambda: th.lambda,
            lambda_estimated: th.lambda_estimated,
        },
        assumptions: th.rows.clone(),
        rows: out,
        end,
        kinks: rows::kinks(header, ev),
        curve: ev.samples.iter().map(|s| (s.time, s.loss)).collect(),
        predicted,
    }
}

/// Opens and judges a run file ([`super::open`], [`judge`]).
pub fn check_file(path: impl AsRef<std::path::Path>) -> Result<CheckReport, RunFileError> {
    judge(&mut *super::open(path)?)
}

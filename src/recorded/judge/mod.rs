//! Judging a recorded run: one pass over its snapshots collects the evidence (bounded memory),
//! then the claims' judges read it.

use serde::Serialize;

use super::{RecordedRun, RunFileError};
use crate::claims::registry::ClaimState;

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
    /// The rows, in the order of the paper's list of claims.
    pub rows: Vec<CheckRow>,
    /// Where the run ended.
    pub end: Option<EndState>,
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

/// Judges a recorded run (reads every snapshot once, in order).
pub fn judge(run: &mut dyn RecordedRun) -> Result<CheckReport, RunFileError> {
    let source = run.header().source.clone();
    while run.next_snapshot()?.is_some() {}
    Ok(CheckReport { source, rows: Vec::new(), end: None })
}

/// Opens and judges a run file ([`super::open`], [`judge`]).
pub fn check_file(path: impl AsRef<std::path::Path>) -> Result<CheckReport, RunFileError> {
    judge(&mut *super::open(path)?)
}

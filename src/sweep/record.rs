//! [`SweepRecord`]: one JSONL line per (cell, seed), and reading a sweep file back
//! ([`read_records`], [`ResumeFile`]).
//!
//! Non-finite numbers (a NaN margin, an infinite ratio) are written as JSON `null` and read back
//! as NaN, so every line a sweep writes is valid JSON and reads back.

use super::{Cell, SweepError};
use crate::campaign::RunMeasure;
use crate::claims::Outcome;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `f64` fields written as `null` when not finite (JSON has no NaN), read back as NaN.
pub(crate) mod nullable {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `v`, or `null` when it is not finite.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() { s.serialize_f64(*v) } else { s.serialize_none() }
    }

    /// Reads a number, or `null` as NaN.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// `Option<f64>` written as `null` when `None` or not finite.
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// One intermediate plateau of a run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlateauLevel {
    /// Median loss on it.
    #[serde(with = "nullable")]
    pub level: f64,
    /// `level / L_S` (1 at Fact 1's saddle `L_S = (1/2n) sum_{y<0} y^2`).
    #[serde(with = "nullable")]
    pub relative_to_fact_1: f64,
    /// Start time.
    #[serde(with = "nullable")]
    pub start: f64,
    /// End time.
    #[serde(with = "nullable")]
    pub end: f64,
}

/// What [`crate::campaign::measure_flow`] measured on the run ([`RunMeasure`], with the number
/// of plateaus spelled out).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Final loss `L`.
    #[serde(with = "nullable")]
    pub final_loss: f64,
    /// `L(0)`.
    #[serde(with = "nullable")]
    pub initial_loss: f64,
    /// `|theta_end|^2 / min_norm_sq - 1` over Proposition 1's minimum (orthogonal inputs only).
    pub norm_excess: Option<f64>,
    /// Number of intermediate plateaus.
    pub plateaus: usize,
    /// The plateaus, in time order.
    pub plateau_levels: Vec<PlateauLevel>,
    /// Whether one plateau is at Fact 1's level.
    pub fact_1_plateau: bool,
    /// First time `L <= (L(0) + L_S)/2`, over `ln(1/lambda)`.
    pub fit_plus_over_ln: Option<f64>,
    /// First time `L <= L_S/2`, over `ln(1/lambda)`.
    pub fit_minus_over_ln: Option<f64>,
    /// Neurons with `|a_j| |w_j| >= 1e-3` of the largest at the end.
    pub active_neurons: usize,
    /// Flow time reached.
    #[serde(with = "nullable")]
    pub final_time: f64,
    /// Wall time of the run, seconds (not deterministic).
    #[serde(with = "nullable")]
    pub wall_seconds: f64,
}

impl From<&RunMeasure> for Measured {
    fn from(m: &RunMeasure) -> Self {
        Self {
            final_loss: m.final_loss,
            initial_loss: m.initial_loss,
            norm_excess: m.norm_excess.and_then(finite),
            plateaus: m.plateaus.len(),
            plateau_levels: m
                .plateaus
                .iter()
                .map(|p| PlateauLevel {
                    level: p.level,
                    relative_to_fact_1: p.relative_to_fact_1,
                    start: p.start,
                    end: p.end,
                })
                .collect(),
            fact_1_plateau: m.fact_1_plateau,
            fit_plus_over_ln: m.fit_plus_over_ln.and_then(finite),
            fit_minus_over_ln: m.fit_minus_over_ln.and_then(finite),
            active_neurons: m.active_neurons,
            final_time: m.final_time,
            wall_seconds: m.wall_seconds,
        }
    }
}

/// How a claim's check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Checked, non-vacuous, held.
    Held,
    /// Checked, non-vacuous, failed.
    Failed,
    /// The instance misses one of the claim's requirements.
    Skipped,
    /// Every part was vacuous on the instance.
    Vacuous,
    /// The simulation failed.
    Error,
}

/// One claim's outcome on a (cell, seed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimRecord {
    /// The claim ID (`T1`, `TS`, ...).
    pub claim: String,
    /// Held, failed, skipped, vacuous or error.
    pub outcome: OutcomeKind,
    /// The binding part's measured value (checked outcomes).
    pub measured: Option<f64>,
    /// Its bound.
    pub bound: Option<f64>,
    /// Its margin (positive inside the bound).
    pub margin: Option<f64>,
    /// The dimensionless margin of `verify`'s "worst margin" column.
    pub relative_margin: Option<f64>,
    /// The statement (checked), or why it was skipped, vacuous or an error.
    pub detail: String,
    /// Wall time of the check, seconds.
    #[serde(with = "nullable")]
    pub wall_seconds: f64,
}

impl ClaimRecord {
    /// The record of `outcome`, which took `wall_seconds`.
    pub fn of(outcome: &Outcome, wall_seconds: f64) -> Self {
        let claim = outcome.claim().to_string();
        let base = |kind, detail: &str| ClaimRecord {
            claim: claim.clone(),
            outcome: kind,
            measured: None,
            bound: None,
            margin: None,
            relative_margin: None,
            detail: detail.to_string(),
            wall_seconds,
        };
        match outcome {
            Outcome::Checked(v) => ClaimRecord {
                measured: finite(v.measured()),
                bound: finite(v.bound()),
                margin: finite(v.margin()),
                relative_margin: finite(v.relative_margin()),
                ..base(if outcome.held() { OutcomeKind::Held } else { OutcomeKind::Failed }, v.statement())
            },
            Outcome::Skipped { reason, .. } => base(OutcomeKind::Skipped, reason),
            Outcome::Vacuous { reason, .. } => base(OutcomeKind::Vacuous, reason),
            Outcome::Error { error, .. } => base(OutcomeKind::Error, error),
        }
    }
}

/// One (cell, seed) of a sweep: one line of its JSONL file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRecord {
    /// The item's number in the grid's enumeration ([`super::SweepGrid::items`]).
    pub index: usize,
    /// The cell's parameters.
    pub cell: Cell,
    /// `k` in `0..seeds`.
    pub seed_index: usize,
    /// The run's seed (data, initialisation, perturbation).
    pub seed: u64,
    /// Input dimension `d`.
    pub d: usize,
    /// `r = |D+|/|D-|` of the generated data.
    #[serde(with = "nullable")]
    pub measured_ratio: f64,
    /// `max_{k != l} |<x_k, x_l>|` of the generated inputs.
    #[serde(with = "nullable")]
    pub measured_coherence: f64,
    /// Whether `S+,1` and `S-,1` are non-empty (Assumption 3) at initialisation.
    pub assumption_3: bool,
    /// The run's measurements (`None` when the run failed: see `error`).
    pub measure: Option<Measured>,
    /// Why the data or the run failed, if it did.
    pub error: Option<String>,
    /// The chosen claims' outcomes on the instance, in the order asked.
    pub claims: Vec<ClaimRecord>,
    /// reluflow's version.
    pub version: String,
}

impl SweepRecord {
    /// What identifies the item across runs of the same grid: its cell and seed (not its number,
    /// which changes when the grid does). Resuming skips the items whose key is in the file.
    pub fn key(&self) -> String {
        item_key(&self.cell, self.seed)
    }

    /// The record with every wall time set to 0: what two runs of the same item share.
    pub fn without_wall_time(&self) -> Self {
        let mut r = self.clone();
        if let Some(m) = &mut r.measure {
            m.wall_seconds = 0.0;
        }
        r.claims.iter_mut().for_each(|c| c.wall_seconds = 0.0);
        r
    }

    /// The outcome of `claim` (an ID, case-insensitive), if it was checked.
    pub fn claim(&self, claim: &str) -> Option<&ClaimRecord> {
        self.claims.iter().find(|c| c.claim.eq_ignore_ascii_case(claim))
    }
}

/// The key of (cell, seed): [`SweepRecord::key`].
pub fn item_key(cell: &Cell, seed: u64) -> String {
    serde_json::to_string(&(cell, seed)).expect("a cell serialises")
}

fn read_text(path: &Path) -> Result<String, SweepError> {
    std::fs::read_to_string(path).map_err(|e| SweepError::File {
        action: "read",
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

fn parse_line(path: &Path, number: usize, line: &str) -> Result<SweepRecord, SweepError> {
    serde_json::from_str(line).map_err(|e| SweepError::Malformed {
        path: path.display().to_string(),
        line: number,
        reason: e.to_string(),
    })
}

/// Every record of a sweep file (blank lines are skipped). Errors: the file cannot be read,
/// a line is not a record ([`SweepError::Malformed`] with its 1-based number), or there is no
/// record ([`SweepError::EmptyFile`]).
pub fn read_records(path: &Path) -> Result<Vec<SweepRecord>, SweepError> {
    let text = read_text(path)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(parse_line(path, i + 1, line)?);
    }
    if out.is_empty() {
        return Err(SweepError::EmptyFile { path: path.display().to_string() });
    }
    Ok(out)
}

/// A sweep file read for `--resume`: its complete records, and whether its last line was cut
/// (a sweep killed while writing it).
#[derive(Clone, Debug, PartialEq)]
pub struct ResumeFile {
    /// The complete records.
    pub records: Vec<SweepRecord>,
    /// Bytes up to the end of the last complete line (where appending must start).
    pub complete_len: u64,
    /// Whether an incomplete last line (no newline, not a record) was left out.
    pub cut_tail: bool,
}

impl ResumeFile {
    /// Reads `path` (a missing file is an empty one). A last line without its newline is left out
    /// (`cut_tail`: its item runs again); any other line that is not a record is an error naming
    /// its number.
    pub fn read(path: &Path) -> Result<Self, SweepError> {
        if !path.exists() {
            return Ok(Self { records: Vec::new(), complete_len: 0, cut_tail: false });
        }
        let text = read_text(path)?;
        let mut records = Vec::new();
        let (mut offset, mut complete_len, mut cut_tail) = (0usize, 0u64, false);
        for (i, line) in text.split_inclusive('\n').enumerate() {
            offset += line.len();
            let terminated = line.ends_with('\n');
            let body = line.trim_end_matches(['\n', '\r']);
            if body.trim().is_empty() {
                if terminated {
                    complete_len = offset as u64;
                }
                continue;
            }
            if !terminated {
                // the sweep was killed while writing this line: drop it (its item runs again)
                cut_tail = true;
                break;
            }
            match parse_line(path, i + 1, body) {
                Ok(r) => {
                    records.push(r);
                    complete_len = offset as u64;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Self { records, complete_len, cut_tail })
    }
}

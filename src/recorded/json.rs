//! The JSON reader: [`JsonRun`], and the document type the JSON writer shares with it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::validate::{self, finite, missing_fix, positive_scalar};
use super::{Clock, InMemoryRun, Precision, RecordedRun, RunFileError, RunHeader, Snapshot};
use crate::data::Dataset;
use crate::params::Params;

/// The JSON run file, as parsed: every field optional here, so that a missing one gives
/// [`RunFileError::MissingArray`] naming it rather than a parser message.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JsonFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) dtype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) x: Option<Vec<Vec<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) y: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) lr: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) loss_factor: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) rtol: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) lambda: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) snapshots: Option<Vec<JsonSnapshot>>,
}

/// One snapshot of a [`JsonFile`].
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JsonSnapshot {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) step: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) train_loss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) a: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) w: Option<Vec<Vec<f64>>>,
}

/// A run read from a JSON file (small runs: the whole document is parsed at once). Values are
/// taken as written; `"dtype": "float32"` declares the precision the trainer computed in (the
/// judges' rounding budgets), it does not round them.
pub struct JsonRun {
    inner: InMemoryRun,
}

fn missing_in(array: &'static str, index: usize, what: &str) -> RunFileError {
    RunFileError::MissingArray { array, fix: format!("snapshot {index} has no `{array}`: {what}") }
}

impl JsonRun {
    /// Opens and validates `path`.
    pub fn open(path: &Path) -> Result<Self, RunFileError> {
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RunFileError::Io { path: source.clone(), source: e })?;
        let file: JsonFile = serde_json::from_str(&text).map_err(|e| RunFileError::Format {
            path: source.clone(),
            format: "json",
            reason: e.to_string(),
        })?;
        Self::from_document(source, file)
    }

    fn from_document(source: String, file: JsonFile) -> Result<Self, RunFileError> {
        let required = |array: &'static str| RunFileError::MissingArray { array, fix: missing_fix(array) };
        let precision = match file.dtype.as_deref() {
            None | Some("float64") => Precision::Float64,
            Some("float32") => Precision::Float32,
            Some(other) => {
                return Err(RunFileError::Dtype {
                    array: "dtype",
                    dtype: other.to_string(),
                    expected: "expected \"float32\" or \"float64\" (the precision the trainer computed in)",
                });
            }
        };
        let x = file.x.ok_or_else(|| required("x"))?;
        let y = file.y.ok_or_else(|| required("y"))?;
        let snapshots = file.snapshots.ok_or_else(|| required("snapshots"))?;
        let n = x.len();
        if y.len() != n {
            return Err(RunFileError::Shape {
                array: "y",
                found: vec![y.len() as u64],
                expected: format!("(n,) = ({n},): one label per row of x"),
            });
        }
        for (k, row) in x.iter().enumerate() {
            finite("x", row, (k * x.first().map_or(0, Vec::len)) as u64)?;
        }
        finite("y", &y, 0)?;
        let data = Dataset::new(x, y)?;
        let d = data.d();

        let t = snapshots.len();
        let first = snapshots.first().ok_or(RunFileError::NoSnapshots)?;
        let m = first.a.as_ref().map_or(0, Vec::len);
        let (mut params, mut steps, mut times, mut losses) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, s) in snapshots.into_iter().enumerate() {
            let a = s.a.ok_or_else(|| missing_in("a", i, "give the m output weights of every snapshot"))?;
            let w = s.w.ok_or_else(|| missing_in("w", i, "give the m hidden weight vectors of every snapshot"))?;
            if m == 0 {
                return Err(RunFileError::Shape {
                    array: "a",
                    found: vec![t as u64, 0],
                    expected: format!("(T, m) = ({t}, m) with at least one neuron (m >= 1)"),
                });
            }
            if a.len() != m || w.len() != m {
                return Err(RunFileError::InconsistentWidth {
                    a: vec![t as u64, a.len() as u64],
                    w: vec![t as u64, w.len() as u64, w.first().map_or(0, Vec::len) as u64],
                });
            }
            if let Some(row) = w.iter().find(|r| r.len() != d) {
                return Err(RunFileError::Shape {
                    array: "w",
                    found: vec![t as u64, m as u64, row.len() as u64],
                    expected: format!(
                        "(T, m, d) = ({t}, {m}, {d}) (snapshot {i}): every w_j has d coordinates, d the length of the rows of x"
                    ),
                });
            }
            finite("a", &a, (i * m) as u64)?;
            for (j, row) in w.iter().enumerate() {
                finite("w", row, ((i * m + j) * d) as u64)?;
            }
            steps.push(s.step);
            times.push(s.time);
            losses.push(s.train_loss);
            params.push(Params { a, w });
        }

        let lr = file.lr.map(|v| positive_scalar("lr", v)).transpose()?;
        let loss_factor = file.loss_factor.map(|v| positive_scalar("loss_factor", v)).transpose()?;
        let rtol = file.rtol.map(|v| positive_scalar("rtol", v)).transpose()?;
        let lambda = file.lambda.map(|v| positive_scalar("lambda", v)).transpose()?;
        let has_step = steps.iter().any(Option::is_some);
        let has_time = times.iter().any(Option::is_some);
        let clock = validate::clock(has_step, has_time, lr, loss_factor, rtol)?;
        let times: Option<Vec<f64>> = match clock {
            Clock::Time { .. } => {
                let all = all_or_missing(&times, "time", "give the paper time of every snapshot")?;
                validate::times(&all)?;
                Some(all)
            }
            Clock::Steps { .. } => None,
        };
        let steps: Option<Vec<u64>> = if has_step {
            let what = "give the step counter of every snapshot, or of none";
            let all = all_or_missing(&steps, "step", what)?;
            let wide: Vec<i128> = all.into_iter().map(i128::from).collect();
            Some(validate::steps(&wide, times.is_none())?)
        } else {
            None
        };
        let train_loss = if losses.iter().any(Option::is_some) {
            let all = all_or_missing(&losses, "train_loss", "give the logged loss of every snapshot, or of none")?;
            finite("train_loss", &all, 0)?;
            Some(all)
        } else {
            None
        };

        let header = RunHeader { source, data, precision, m, snapshots: t, clock, lambda, train_loss };
        let snapshots = params
            .into_iter()
            .enumerate()
            .map(|(index, params)| {
                let step = steps.as_ref().map(|s| s[index]);
                let time = times.as_ref().map(|t| t[index]);
                Snapshot { index, step, time: clock.paper_time(step, time), params }
            })
            .collect();
        Ok(Self { inner: InMemoryRun::new(header, snapshots)? })
    }
}

/// Every entry, or [`RunFileError::MissingArray`] naming the first snapshot without one.
fn all_or_missing<T: Copy>(values: &[Option<T>], array: &'static str, what: &str) -> Result<Vec<T>, RunFileError> {
    values.iter().enumerate().map(|(i, v)| v.ok_or_else(|| missing_in(array, i, what))).collect()
}

impl RecordedRun for JsonRun {
    fn header(&self) -> &RunHeader {
        self.inner.header()
    }
    fn next_snapshot(&mut self) -> Result<Option<Snapshot>, RunFileError> {
        self.inner.next_snapshot()
    }
}

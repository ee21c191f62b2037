//! Training runs recorded by another program (PyTorch, JAX, numpy) or by reluflow itself, read
//! snapshot by snapshot and judged against the paper (`reluflow check`).
//!
//! ## The run file
//! A numpy `.npz` archive (what `numpy.savez` / `numpy.savez_compressed` write;
//! `python/reluflow_record.py` writes one from a training loop) with these arrays, each float32
//! or float64 (the run's [`Precision`] is that of `w`):
//!
//! | array | shape | meaning |
//! |---|---|---|
//! | `x` | (n, d) | the inputs exactly as the network saw them (a bias column included) |
//! | `y` | (n,) | the labels |
//! | `a` | (T, m) | output weights at the T recorded points; the first is the initialisation |
//! | `w` | (T, m, d) | hidden weights at the same points |
//! | `step` | (T,) integers | the trainer's step counter at each snapshot, with the 0-d scalars `lr` and `loss_factor` |
//! | `time` | (T,) | or: the paper's time directly (then optionally `step` = accepted integrator steps, and `rtol`) |
//! | `train_loss` | (T,) | optional: the loss the trainer logged, in its own convention |
//! | `lambda` | () | optional: the initialisation scale; otherwise estimated from `w[0]` |
//! | `rtol` | () | optional, time-recorded runs: the integrator's relative tolerance |
//!
//! `loss_factor` is the trainer's loss divided by the paper's `L = 1/(2n) sum_k (h(x_k) - y_k)^2`:
//! 2 for a torch `MSELoss` (or any mean of squares), 1 for the paper's `L`. A step of size `lr` on
//! `loss_factor * L` is a step of `lr * loss_factor` on `L`, so the paper's time is
//! `t = step * lr * loss_factor` ([`Clock::paper_time`]).
//!
//! The same fields as JSON are accepted for small runs:
//! `{"x": [[...]], "y": [...], "snapshots": [{"step": 0, "a": [...], "w": [[...]]}, ...],
//! "lr": 0.01, "loss_factor": 2}` (or `"time"` in each snapshot instead of `"step"`; optional
//! `"train_loss"` per snapshot, `"lambda"`, `"rtol"`, and `"dtype": "float32"` for a run trained
//! in single precision).
//!
//! ## Reading
//! [`open`] picks the reader from the extension and returns a [`RecordedRun`]: the
//! [`RunHeader`] (data, precision, clock, sizes, optional scalars) at once, then the
//! [`Snapshot`]s one at a time, in order, so that a judge holds a few snapshots in memory
//! whatever T is. [`InMemoryRun`] is the same interface over snapshots already in memory (a run of
//! reluflow's own simulator, say). Bad files give a [`RunFileError`] naming the array and the fix.
//!
//! The `.npz` reader accepts either byte order and any integer dtype for `step` (0-d scalars may be
//! floats or integers); a Fortran-order `x` is transposed, while `a` and `w` must be in C order
//! (what numpy writes unless given a Fortran array), since they are read one snapshot at a time:
//! two reader threads stream them through bounded channels (see [`NpzRun`]), so the memory held
//! is a few snapshots whatever T is. [`write_npz`], [`write_npz_compressed`] and [`write_json`]
//! write the format (reluflow's own runs, the round-trip tests).

mod errors;
mod json;
pub mod judge;
mod npz;
pub mod own;
mod validate;
mod write;

pub use errors::RunFileError;
pub use json::JsonRun;
pub use judge::{CheckReport, CheckRow, EndState, check_file, judge};
pub use npz::NpzRun;
pub use write::{write_json, write_npz, write_npz_compressed};

use std::path::Path;

use crate::data::Dataset;
use crate::params::Params;

/// The floating-point format a run was recorded in (that of its `w` array).
///
/// The judges derive their rounding budgets from [`Precision::epsilon`], the same formulas for
/// both: `eps = 2u` with the unit roundoff `u = 2^-53` (float64) or `u = 2^-24` (float32).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Precision {
    /// IEEE single precision, unit roundoff `2^-24`.
    Float32,
    /// IEEE double precision, unit roundoff `2^-53`.
    Float64,
}

impl Precision {
    /// The unit roundoff `u`: `2^-24` or `2^-53`.
    pub fn unit_roundoff(self) -> f64 {
        match self {
            Precision::Float32 => f64::from(f32::EPSILON) / 2.0,
            Precision::Float64 => f64::EPSILON / 2.0,
        }
    }
    /// The machine epsilon `eps = 2u` (`f32::EPSILON`, `f64::EPSILON`), the unit of every rounding
    /// budget of the claim checks.
    pub fn epsilon(self) -> f64 {
        2.0 * self.unit_roundoff()
    }
    /// `"float32"` or `"float64"`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Float32 => "float32",
            Precision::Float64 => "float64",
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a run's snapshots are placed in time.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub enum Clock {
    /// A discrete trainer (gradient descent) with learning rate `lr` on the loss
    /// `loss_factor * L`: snapshot `i` is after `step_i` steps, at paper time
    /// `step_i * lr * loss_factor`.
    Steps {
        /// The learning rate the trainer used (`> 0`, finite).
        lr: f64,
        /// The trainer's loss divided by the paper's `L` (`> 0`, finite; 2 for torch `MSELoss`).
        loss_factor: f64,
    },
    /// Snapshots at given paper times (a gradient-flow integrator); `rtol` is the integrator's
    /// relative tolerance if the file gives it.
    Time {
        /// The integrator's relative tolerance, if recorded.
        rtol: Option<f64>,
    },
}

impl Clock {
    /// The paper's step size `eta = lr * loss_factor` of a discrete trainer (`None` for `Time`).
    pub fn paper_step(&self) -> Option<f64> {
        match *self {
            Clock::Steps { lr, loss_factor } => Some(lr * loss_factor),
            Clock::Time { .. } => None,
        }
    }
    /// The paper's time of a snapshot after `step` steps (`Steps`), or its recorded time (`Time`).
    pub fn paper_time(&self, step: Option<u64>, time: Option<f64>) -> f64 {
        match (*self, step, time) {
            (Clock::Steps { lr, loss_factor }, Some(s), _) => s as f64 * lr * loss_factor,
            (_, _, Some(t)) => t,
            _ => f64::NAN,
        }
    }
}

/// What a run file says before its snapshots: validated once, when the file is opened.
#[derive(Clone, Debug)]
pub struct RunHeader {
    /// Where the run came from (the file's path, or a description).
    pub source: String,
    /// The training set `x`, `y` (converted to `f64`).
    pub data: Dataset,
    /// The format of `w` (the precision the trainer computed in).
    pub precision: Precision,
    /// Width `m`.
    pub m: usize,
    /// Number of snapshots `T >= 1`.
    pub snapshots: usize,
    /// How snapshots are placed in time.
    pub clock: Clock,
    /// `lambda` if the file gives it (else the judges estimate it from the first snapshot).
    pub lambda: Option<f64>,
    /// The loss the trainer logged at each snapshot, in its own convention (length T), if given.
    pub train_loss: Option<Vec<f64>>,
}

/// One recorded state of the network.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Position in the file, 0 for the first (the initialisation).
    pub index: usize,
    /// The trainer's step counter (`Clock::Steps`), or the integrator's accepted steps if the
    /// file gives them (`Clock::Time`).
    pub step: Option<u64>,
    /// The paper's time ([`Clock::paper_time`]).
    pub time: f64,
    /// The parameters (converted to `f64`).
    pub params: Params,
}

/// A recorded run, read in order: the header at once, the snapshots one at a time.
pub trait RecordedRun {
    /// The validated header.
    fn header(&self) -> &RunHeader;
    /// The next snapshot in file order, `Ok(None)` after the last one. Each is validated as it is
    /// read (shapes, finiteness, increasing step or time).
    fn next_snapshot(&mut self) -> Result<Option<Snapshot>, RunFileError>;
}

/// A [`RecordedRun`] over snapshots already in memory (a run of reluflow's own simulator, or
/// a test's).
#[derive(Clone, Debug)]
pub struct InMemoryRun {
    header: RunHeader,
    snapshots: std::vec::IntoIter<Snapshot>,
}

impl InMemoryRun {
    /// A run from its header and snapshots; `header.snapshots` and `header.m` are set from
    /// them. Errors as a file would give them (no snapshot, widths or dimensions that disagree,
    /// non-finite values, times not increasing).
    pub fn new(mut header: RunHeader, snapshots: Vec<Snapshot>) -> Result<Self, RunFileError> {
        let first = snapshots.first().ok_or(RunFileError::NoSnapshots)?;
        header.m = first.params.m();
        header.snapshots = snapshots.len();
        let d = header.data.d();
        let mut previous = f64::NEG_INFINITY;
        for (i, s) in snapshots.iter().enumerate() {
            let (m_here, rows_ok) = (s.params.a.len(), s.params.w.iter().all(|r| r.len() == d));
            if m_here != header.m || s.params.w.len() != header.m || !rows_ok {
                return Err(RunFileError::InconsistentWidth {
                    a: vec![snapshots.len() as u64, m_here as u64],
                    w: vec![
                        snapshots.len() as u64,
                        s.params.w.len() as u64,
                        s.params.w.first().map_or(0, |r| r.len()) as u64,
                    ],
                });
            }
            for (array, value, index) in s
                .params
                .a
                .iter()
                .enumerate()
                .map(|(j, &v)| ("a", v, j))
                .chain(s.params.w.iter().flatten().enumerate().map(|(j, &v)| ("w", v, j)))
            {
                if !value.is_finite() {
                    return Err(RunFileError::NonFinite { array, index: index as u64, value });
                }
            }
            if !(s.time > previous) {
                return Err(RunFileError::NotIncreasing { array: "time", index: i, value: s.time, previous });
            }
            previous = s.time;
        }
        Ok(Self { header, snapshots: snapshots.into_iter() })
    }
}

impl RecordedRun for InMemoryRun {
    fn header(&self) -> &RunHeader {
        &self.header
    }
    fn next_snapshot(&mut self) -> Result<Option<Snapshot>, RunFileError> {
        Ok(self.snapshots.next())
    }
}

/// Opens a run file: `.npz` ([`NpzRun`]) or `.json` ([`JsonRun`]) by its extension.
pub fn open(path: impl AsRef<Path>) -> Result<Box<dyn RecordedRun>, RunFileError> {
    let path = path.as_ref();
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("npz") => Ok(Box::new(NpzRun::open(path)?)),
        Some("json") => Ok(Box::new(JsonRun::open(path)?)),
        _ => Err(RunFileError::UnknownExtension { path: path.display().to_string() }),
    }
}

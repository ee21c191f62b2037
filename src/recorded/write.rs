//! Writers of the run file format: what reluflow's own runs are recorded with, and what the
//! round-trip tests read back.
//!
//! [`write_npz`] writes the members uncompressed (zip method "stored"), as `numpy.savez` does:
//! the fastest to write and to read back, and what a large run is best kept as.
//! [`write_npz_compressed`] deflates them, as `numpy.savez_compressed` does. Both write, in the
//! run's precision (`header.precision`), `x`, `y`, `a`, `w` and `train_loss`; the clock's
//! arrays (`step` as int64, `time`, and the 0-d `lr`, `loss_factor`, `rtol`, `lambda`) are
//! written as float64 whatever the precision, since they are not the trainer's state and a
//! float32 `time` could round two snapshots onto one instant.

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::Path;

use npyz::{AutoSerialize, WriteOptions, WriterBuilder};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::json::{JsonFile, JsonSnapshot};
use super::validate::finite;
use super::{Clock, Precision, RunFileError, RunHeader, Snapshot};

/// Writes `header` and `snapshots` as a `.npz` archive in `header.precision`, members stored
/// uncompressed (as `numpy.savez`).
pub fn write_npz(path: &Path, header: &RunHeader, snapshots: &[Snapshot]) -> Result<(), RunFileError> {
    write_archive(path, header, snapshots, CompressionMethod::Stored)
}

/// As [`write_npz`], with deflated members (as `numpy.savez_compressed`).
pub fn write_npz_compressed(path: &Path, header: &RunHeader, snapshots: &[Snapshot]) -> Result<(), RunFileError> {
    write_archive(path, header, snapshots, CompressionMethod::Deflated)
}

/// Writes `header` and `snapshots` as a JSON run file (in float32, the values rounded to
/// float32 and written exactly).
pub fn write_json(path: &Path, header: &RunHeader, snapshots: &[Snapshot]) -> Result<(), RunFileError> {
    let layout = Layout::of(header, snapshots)?;
    let round = |v: f64| match header.precision {
        Precision::Float32 => f64::from(v as f32),
        Precision::Float64 => v,
    };
    let data = &header.data;
    let (lr, loss_factor, rtol) = match header.clock {
        Clock::Steps { lr, loss_factor } => (Some(lr), Some(loss_factor), None),
        Clock::Time { rtol } => (None, None, rtol),
    };
    let document = JsonFile {
        dtype: Some(header.precision.name().to_string()),
        x: Some((0..data.n()).map(|k| data.x(k).iter().map(|&v| round(v)).collect()).collect()),
        y: Some(data.y().iter().map(|&v| round(v)).collect()),
        lr,
        loss_factor,
        rtol,
        lambda: header.lambda,
        snapshots: Some(
            snapshots
                .iter()
                .enumerate()
                .map(|(i, s)| JsonSnapshot {
                    step: layout.steps.as_ref().map(|steps| steps[i] as i64),
                    time: layout.times.as_ref().map(|times| times[i]),
                    train_loss: header.train_loss.as_ref().map(|l| round(l[i])),
                    a: Some(s.params.a.iter().map(|&v| round(v)).collect()),
                    w: Some(s.params.w.iter().map(|r| r.iter().map(|&v| round(v)).collect()).collect()),
                })
                .collect(),
        ),
    };
    let io_error = |e: io::Error| RunFileError::Io { path: path.display().to_string(), source: e };
    let mut out = BufWriter::new(File::create(path).map_err(io_error)?);
    serde_json::to_writer(&mut out, &document).map_err(|e| io_error(io::Error::other(e)))?;
    out.flush().map_err(io_error)
}

/// What the writers check and derive before writing: the sizes, and the clock's series.
struct Layout {
    t: usize,
    m: usize,
    d: usize,
    /// The step counters if every snapshot has one (required for a `Steps` clock).
    steps: Option<Vec<u64>>,
    /// The times (`Time` clock).
    times: Option<Vec<f64>>,
}

impl Layout {
    fn of(header: &RunHeader, snapshots: &[Snapshot]) -> Result<Self, RunFileError> {
        let first = snapshots.first().ok_or(RunFileError::NoSnapshots)?;
        let (t, m, d) = (snapshots.len(), first.params.m(), header.data.d());
        for (i, s) in snapshots.iter().enumerate() {
            let p = &s.params;
            if p.a.len() != m || p.w.len() != m || p.w.iter().any(|r| r.len() != d) {
                return Err(RunFileError::InconsistentWidth {
                    a: vec![t as u64, p.a.len() as u64],
                    w: vec![t as u64, p.w.len() as u64, p.w.first().map_or(0, Vec::len) as u64],
                });
            }
            finite("a", &p.a, (i * m) as u64)?;
            for (j, row) in p.w.iter().enumerate() {
                finite("w", row, ((i * m + j) * d) as u64)?;
            }
        }
        if let Some(losses) = &header.train_loss {
            if losses.len() != t {
                return Err(RunFileError::Shape {
                    array: "train_loss",
                    found: vec![losses.len() as u64],
                    expected: format!("(T,) = ({t},): one entry per snapshot"),
                });
            }
            finite("train_loss", losses, 0)?;
        }
        let all_steps: Option<Vec<u64>> = snapshots.iter().map(|s| s.step).collect();
        let (steps, times) = match header.clock {
            Clock::Steps { .. } => {
                let steps = all_steps.ok_or_else(|| RunFileError::MissingArray {
                    array: "step",
                    fix: "a run with a Steps clock needs the step counter of every snapshot".into(),
                })?;
                (Some(steps), None)
            }
            Clock::Time { .. } => {
                let times: Vec<f64> = snapshots.iter().map(|s| s.time).collect();
                finite("time", &times, 0)?;
                (all_steps, Some(times))
            }
        };
        Ok(Self { t, m, d, steps, times })
    }
}

fn write_archive(
    path: &Path,
    header: &RunHeader,
    snapshots: &[Snapshot],
    method: CompressionMethod,
) -> Result<(), RunFileError> {
    let layout = Layout::of(header, snapshots)?;
    let io_error = |e: io::Error| RunFileError::Io { path: path.display().to_string(), source: e };
    let file = File::create(path).map_err(io_error)?;
    let mut zip = ZipWriter::new(BufWriter::new(file));
    write_members(&mut zip, header, snapshots, &layout, method).map_err(io_error)?;
    let mut out = zip.finish().map_err(|e| io_error(io::Error::other(e)))?;
    out.flush().map_err(io_error)
}

fn write_members<W: Write + Seek>(
    zip: &mut ZipWriter<W>,
    header: &RunHeader,
    snapshots: &[Snapshot],
    layout: &Layout,
    method: CompressionMethod,
) -> io::Result<()> {
    let precision = header.precision;
    let data = &header.data;
    let (t, m, d, n) = (layout.t as u64, layout.m as u64, layout.d as u64, data.n() as u64);
    let mut archive = Members { zip, method };
    archive.floats("x", &[n, d], precision, &mut data.x_flat().iter().copied())?;
    archive.floats("y", &[n], precision, &mut data.y().iter().copied())?;
    archive.floats("a", &[t, m], precision, &mut snapshots.iter().flat_map(|s| s.params.a.iter().copied()))?;
    let mut w = snapshots.iter().flat_map(|s| s.params.w.iter().flatten().copied());
    archive.floats("w", &[t, m, d], precision, &mut w)?;
    if let Some(steps) = &layout.steps {
        archive.member::<i64>("step", &[t], steps.iter().map(|&s| s as i64))?;
    }
    if let Some(times) = &layout.times {
        archive.member::<f64>("time", &[t], times.iter().copied())?;
    }
    match header.clock {
        Clock::Steps { lr, loss_factor } => {
            archive.member::<f64>("lr", &[], [lr])?;
            archive.member::<f64>("loss_factor", &[], [loss_factor])?;
        }
        Clock::Time { rtol: Some(rtol) } => archive.member::<f64>("rtol", &[], [rtol])?,
        Clock::Time { rtol: None } => {}
    }
    if let Some(lambda) = header.lambda {
        archive.member::<f64>("lambda", &[], [lambda])?;
    }
    if let Some(losses) = &header.train_loss {
        archive.floats("train_loss", &[t], precision, &mut losses.iter().copied())?;
    }
    Ok(())
}

/// The zip writer and the compression of its members.
struct Members<'a, W: Write + Seek> {
    zip: &'a mut ZipWriter<W>,
    method: CompressionMethod,
}

impl<W: Write + Seek> Members<'_, W> {
    /// A float member in `precision`.
    fn floats(
        &mut self,
        name: &str,
        shape: &[u64],
        precision: Precision,
        values: &mut dyn Iterator<Item = f64>,
    ) -> io::Result<()> {
        match precision {
            Precision::Float32 => self.member::<f32>(name, shape, values.map(|v| v as f32)),
            Precision::Float64 => self.member::<f64>(name, shape, values),
        }
    }

    /// The member `name.npy`: an npy array of `shape` (C order) holding `values`.
    fn member<T: AutoSerialize>(
        &mut self,
        name: &str,
        shape: &[u64],
        values: impl IntoIterator<Item = T>,
    ) -> io::Result<()> {
        let bytes = shape.iter().product::<u64>().saturating_mul(std::mem::size_of::<T>() as u64);
        let options = SimpleFileOptions::default()
            .compression_method(self.method)
            .large_file(bytes >= u64::from(u32::MAX) - (1 << 20));
        self.zip.start_file(format!("{name}.npy"), options).map_err(io::Error::other)?;
        let mut out = BufWriter::with_capacity(1 << 16, &mut *self.zip);
        let mut writer = WriteOptions::<T>::new().default_dtype().shape(shape).writer(&mut out).begin_nd()?;
        for value in values {
            writer.push(&value)?;
        }
        writer.finish()?;
        out.flush()
    }
}

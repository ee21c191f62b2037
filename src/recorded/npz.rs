//! The `.npz` reader: [`NpzRun`].
//!
//! ## Streaming design
//! The small arrays (`x`, `y`, the scalars, `step`/`time`, `train_loss`) are read whole when the
//! file is opened, and of `a` and `w` only the npy headers (shape, dtype, order). The snapshots
//! are then streamed: `a` and `w` are two members of one zip archive, and a zip member's reader
//! borrows its archive, so one archive cannot feed two simultaneous readers. Each of the two
//! arrays therefore gets its own reader thread, which opens its own [`zip::ZipArchive`] over its
//! own file handle, reads its member sequentially (decompressing on the fly for
//! `numpy.savez_compressed`, plain reads for `numpy.savez`), converts one snapshot's worth of
//! values (`m` of `a`, `m d` of `w`) to `f64`, checks them for finiteness and sends them over a
//! [`std::sync::mpsc::sync_channel`] of capacity 1. The bounded channel is the back-pressure: a
//! reader thread is at most one snapshot ahead of the consumer, so at any time a stream holds
//! at most three snapshots of its array (one queued, one being filled, one handed out), whatever
//! T is. The two members decompress in parallel. Dropping the [`NpzRun`] drops the receivers,
//! which stops the threads at their next send, and joins them.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use npyz::{DType, NpyFile, NpyHeader, Order, TypeChar};
use zip::ZipArchive;

use super::validate::{self, finite, missing_fix, positive_scalar};
use super::{Clock, Precision, RecordedRun, RunFileError, RunHeader, Snapshot};
use crate::data::Dataset;
use crate::params::Params;

/// Buffer of each member reader (decompressed bytes).
const MEMBER_BUFFER: usize = 1 << 16;

/// What a dtype holds, for the dtypes reluflow reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Element {
    Float32,
    Float64,
    /// Signed integer of this many bytes.
    Signed(u64),
    /// Unsigned integer of this many bytes.
    Unsigned(u64),
}

impl Element {
    fn of(header: &NpyHeader) -> Option<Self> {
        if header.uses_pickled_array() {
            return None;
        }
        match header.dtype() {
            DType::Plain(ty) => match (ty.type_char(), ty.size_field()) {
                (TypeChar::Float, 4) => Some(Element::Float32),
                (TypeChar::Float, 8) => Some(Element::Float64),
                (TypeChar::Int, size @ (1 | 2 | 4 | 8)) => Some(Element::Signed(size)),
                (TypeChar::Uint, size @ (1 | 2 | 4 | 8)) => Some(Element::Unsigned(size)),
                _ => None,
            },
            _ => None,
        }
    }
    fn is_float(self) -> bool {
        matches!(self, Element::Float32 | Element::Float64)
    }
}

/// The dtype as numpy spells it (`<f8`, `|O`, `[('a', '<f8'), ]`).
fn dtype_name(header: &NpyHeader) -> String {
    header.dtype().descr().trim_matches('\'').to_string()
}

const FLOAT_DTYPES: &str = "expected float32 or float64 (numpy <f4 / <f8, either byte order)";
const NUMBER_DTYPES: &str = "expected a float or integer number";
const INTEGER_DTYPES: &str = "expected an integer dtype (e.g. int64): a step counter";

/// One archive opened on its own file handle.
struct Archive {
    source: String,
    zip: ZipArchive<BufReader<File>>,
}

/// A member's npy stream: its header has been read, the reader is at the first value.
type Member<'a> = NpyFile<BufReader<zip::read::ZipFile<'a, BufReader<File>>>>;

impl Archive {
    fn open(path: &Path, source: &str) -> Result<Self, RunFileError> {
        let file = File::open(path).map_err(|e| RunFileError::Io { path: source.to_string(), source: e })?;
        let zip = ZipArchive::new(BufReader::new(file)).map_err(|e| RunFileError::Format {
            path: source.to_string(),
            format: "npz",
            reason: format!("not a zip archive ({e})"),
        })?;
        Ok(Self { source: source.to_string(), zip })
    }

    /// The member holding `array` (`array.npy` as numpy writes it, or a bare `array`).
    fn member_name(&self, array: &str) -> Option<String> {
        [format!("{array}.npy"), array.to_string()].into_iter().find(|name| self.zip.index_for_name(name).is_some())
    }

    fn has(&self, array: &str) -> bool {
        self.member_name(array).is_some()
    }

    /// The npy stream of `array`, `None` if the archive has no such member.
    fn member(&mut self, array: &'static str) -> Result<Option<Member<'_>>, RunFileError> {
        let Some(name) = self.member_name(array) else { return Ok(None) };
        let source = self.source.clone();
        let error = |reason: String| RunFileError::Format { path: source.clone(), format: "npz", reason };
        let entry = self
            .zip
            .by_name(&name)
            .map_err(|e| error(format!("cannot read member `{name}` of array `{array}`: {e}")))?;
        let npy = NpyFile::new(BufReader::with_capacity(MEMBER_BUFFER, entry))
            .map_err(|e| error(format!("member `{name}` of array `{array}` is not an npy array: {e}")))?;
        Ok(Some(npy))
    }

    /// The npy stream of a required `array`.
    fn required(&mut self, array: &'static str) -> Result<Member<'_>, RunFileError> {
        self.member(array)?.ok_or_else(|| RunFileError::MissingArray { array, fix: missing_fix(array) })
    }

    /// Shape, element type and order of `array` (reads its npy header only).
    fn header_of(&mut self, array: &'static str) -> Result<Option<(Vec<u64>, Element, Order)>, RunFileError> {
        let Some(npy) = self.member(array)? else { return Ok(None) };
        let element = Element::of(npy.header());
        let dtype = dtype_name(npy.header());
        let (shape, order) = (npy.shape().to_vec(), npy.order());
        let element =
            element.filter(|e| e.is_float()).ok_or(RunFileError::Dtype { array, dtype, expected: FLOAT_DTYPES })?;
        Ok(Some((shape, element, order)))
    }
}

/// All values of `npy` in file order, converted to `f64`; `allow` decides which element types
/// the array may have (`expected` says which).
fn read_numbers<R: Read>(
    npy: NpyFile<R>,
    source: &str,
    array: &'static str,
    allow: fn(Element) -> bool,
    expected: &'static str,
) -> Result<Vec<f64>, RunFileError> {
    let element = Element::of(npy.header()).filter(|&e| allow(e));
    let Some(element) = element else {
        return Err(RunFileError::Dtype { array, dtype: dtype_name(npy.header()), expected });
    };
    let values = match element {
        Element::Float32 => npy.into_vec::<f32>().map(|v| v.into_iter().map(f64::from).collect()),
        Element::Float64 => npy.into_vec::<f64>(),
        _ => read_integers(npy, element).map(|v| v.into_iter().map(|i| i as f64).collect()),
    };
    values.map_err(|e| read_error(source, array, e))
}

/// All values of an integer array as `i128` (every int dtype fits).
fn read_integers<R: Read>(npy: NpyFile<R>, element: Element) -> io::Result<Vec<i128>> {
    fn widen<T: npyz::Deserialize + Into<i128>, R: Read>(npy: NpyFile<R>) -> io::Result<Vec<i128>> {
        Ok(npy.into_vec::<T>()?.into_iter().map(Into::into).collect())
    }
    match element {
        Element::Signed(1) => widen::<i8, R>(npy),
        Element::Signed(2) => widen::<i16, R>(npy),
        Element::Signed(4) => widen::<i32, R>(npy),
        Element::Signed(_) => widen::<i64, R>(npy),
        Element::Unsigned(1) => widen::<u8, R>(npy),
        Element::Unsigned(2) => widen::<u16, R>(npy),
        Element::Unsigned(4) => widen::<u32, R>(npy),
        Element::Unsigned(_) => widen::<u64, R>(npy),
        Element::Float32 | Element::Float64 => Err(io::Error::new(io::ErrorKind::InvalidData, "not an integer array")),
    }
}

fn read_error(source: &str, array: &'static str, error: io::Error) -> RunFileError {
    RunFileError::Format {
        path: source.to_string(),
        format: "npz",
        reason: format!("cannot read array `{array}`: {error}"),
    }
}

/// Whether an array of this shape lies in memory the same way in C and in Fortran order (at
/// most one extent above 1).
fn order_free(shape: &[u64]) -> bool {
    shape.iter().filter(|&&e| e > 1).count() <= 1
}

fn shape_text(values: &[u64]) -> String {
    match values {
        [one] => format!("({one},)"),
        _ => format!("({})", values.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")),
    }
}

/// A 0-d number (float or integer), `None` if absent.
fn scalar(archive: &mut Archive, name: &'static str) -> Result<Option<f64>, RunFileError> {
    let source = archive.source.clone();
    let Some(npy) = archive.member(name)? else { return Ok(None) };
    if !npy.shape().is_empty() {
        return Err(RunFileError::Shape {
            array: name,
            found: npy.shape().to_vec(),
            expected: format!("() (a 0-d array, e.g. numpy.savez(..., {name}=0.5))"),
        });
    }
    let values = read_numbers(npy, &source, name, |_| true, NUMBER_DTYPES)?;
    Ok(Some(positive_scalar(name, values[0])?))
}

/// A 1-d float array of length `t` (`time`, `train_loss`), finite; `None` if absent.
fn series(archive: &mut Archive, name: &'static str, t: u64) -> Result<Option<Vec<f64>>, RunFileError> {
    let source = archive.source.clone();
    let Some(npy) = archive.member(name)? else { return Ok(None) };
    if npy.shape() != [t] {
        return Err(RunFileError::Shape {
            array: name,
            found: npy.shape().to_vec(),
            expected: format!("(T,) = ({t},): one entry per snapshot"),
        });
    }
    let values = read_numbers(npy, &source, name, Element::is_float, FLOAT_DTYPES)?;
    finite(name, &values, 0)?;
    Ok(Some(values))
}

/// The `step` array (length `t`, integers), `None` if absent.
fn step_array(archive: &mut Archive, t: u64, strict: bool) -> Result<Option<Vec<u64>>, RunFileError> {
    let source = archive.source.clone();
    let Some(npy) = archive.member("step")? else { return Ok(None) };
    if npy.shape() != [t] {
        return Err(RunFileError::Shape {
            array: "step",
            found: npy.shape().to_vec(),
            expected: format!("(T,) = ({t},): one step count per snapshot"),
        });
    }
    let element = Element::of(npy.header()).filter(|e| !e.is_float());
    let Some(element) = element else {
        return Err(RunFileError::Dtype { array: "step", dtype: dtype_name(npy.header()), expected: INTEGER_DTYPES });
    };
    let values = read_integers(npy, element).map_err(|e| read_error(&source, "step", e))?;
    validate::steps(&values, strict).map(Some)
}

/// A run read from a numpy `.npz` archive (`numpy.savez` or `numpy.savez_compressed`),
/// snapshot by snapshot in bounded memory.
///
/// Streaming: `a` and `w` are read sequentially by one thread each, each thread with its own
/// `ZipArchive` over its own file handle (a zip member reader borrows its archive, so one
/// archive cannot feed two readers at once); a thread converts one snapshot of its array to
/// `f64`, checks it is finite and sends it over a `sync_channel(1)`, so it is at most one
/// snapshot ahead. Dropping the run stops and joins the threads. Measured on T = 1000 snapshots
/// of m = 10^4, d = 64 in float64 (5.2 GB): `reluflow check` peaks at 26 MB resident (stored
/// archive) and 21 MB (deflated).
pub struct NpzRun {
    header: RunHeader,
    d: usize,
    steps: Option<Vec<u64>>,
    times: Option<Vec<f64>>,
    next: usize,
    failed: bool,
    a: Stream,
    w: Stream,
}

impl NpzRun {
    /// Opens `path`, reads and validates `x`, `y`, the scalars, `step`/`time`, `train_loss` and
    /// the shapes of `a` and `w`; the snapshots are read by [`RecordedRun::next_snapshot`].
    pub fn open(path: &Path) -> Result<Self, RunFileError> {
        let source = path.display().to_string();
        let mut archive = Archive::open(path, &source)?;

        // x (n, d) and y (n,)
        let x_npy = archive.required("x")?;
        let x_shape = x_npy.shape().to_vec();
        let x_order = x_npy.order();
        if x_shape.len() != 2 {
            return Err(RunFileError::Shape {
                array: "x",
                found: x_shape,
                expected: "(n, d): a 2-d array, one row per training point".into(),
            });
        }
        let mut x = read_numbers(x_npy, &source, "x", Element::is_float, FLOAT_DTYPES)?;
        let (n, d) = (x_shape[0] as usize, x_shape[1] as usize);
        if x_order == Order::Fortran && !order_free(&x_shape) {
            // column-major: x[k][i] is stored at i n + k
            x = (0..n * d).map(|flat| x[(flat % d) * n + flat / d]).collect();
        }
        finite("x", &x, 0)?;
        let y_npy = archive.required("y")?;
        if y_npy.shape() != [n as u64] {
            return Err(RunFileError::Shape {
                array: "y",
                found: y_npy.shape().to_vec(),
                expected: format!("(n,) = ({n},): one label per row of x"),
            });
        }
        let y = read_numbers(y_npy, &source, "y", Element::is_float, FLOAT_DTYPES)?;
        finite("y", &y, 0)?;

        // a (T, m) and w (T, m, d): headers only
        let missing = |array: &'static str| RunFileError::MissingArray { array, fix: missing_fix(array) };
        let (a_shape, _, a_order) = archive.header_of("a")?.ok_or_else(|| missing("a"))?;
        let Some((w_shape, w_element, w_order)) = archive.header_of("w")? else {
            let fix = match a_shape[..] {
                [t, m] => format!(
                    "give the hidden weights `w`, shape (T, m, d) = {}: one (m, d) matrix per snapshot, the initialisation first",
                    shape_text(&[t, m, d as u64])
                ),
                _ => missing_fix("w"),
            };
            return Err(RunFileError::MissingArray { array: "w", fix });
        };
        if a_shape.len() != 2 {
            let expected = match w_shape[..] {
                [t, m, _] => format!("(T, m) = ({t}, {m}): one row of m output weights per snapshot, as in `w`"),
                _ => "(T, m): a 2-d array, one row of m output weights per snapshot".into(),
            };
            return Err(RunFileError::Shape { array: "a", found: a_shape, expected });
        }
        let (t, m) = (a_shape[0], a_shape[1]);
        if w_shape.len() != 3 {
            return Err(RunFileError::Shape {
                array: "w",
                found: w_shape,
                expected: format!("(T, m, d) = {}: one (m, d) matrix per snapshot", shape_text(&[t, m, d as u64])),
            });
        }
        if w_shape[0] != t || w_shape[1] != m {
            return Err(RunFileError::InconsistentWidth { a: a_shape, w: w_shape });
        }
        if w_shape[2] != d as u64 {
            return Err(RunFileError::Shape {
                array: "w",
                found: w_shape,
                expected: format!("(T, m, d) = {}: d is the number of columns of x", shape_text(&[t, m, d as u64])),
            });
        }
        if t == 0 {
            return Err(RunFileError::NoSnapshots);
        }
        if m == 0 {
            return Err(RunFileError::Shape {
                array: "a",
                found: a_shape,
                expected: format!("(T, m) = ({t}, m) with at least one neuron (m >= 1)"),
            });
        }
        if a_order == Order::Fortran && !order_free(&a_shape) {
            return Err(RunFileError::FortranOrder { array: "a" });
        }
        if w_order == Order::Fortran && !order_free(&w_shape) {
            return Err(RunFileError::FortranOrder { array: "w" });
        }

        // the clock
        let lr = scalar(&mut archive, "lr")?;
        let loss_factor = scalar(&mut archive, "loss_factor")?;
        let rtol = scalar(&mut archive, "rtol")?;
        let lambda = scalar(&mut archive, "lambda")?;
        let clock = validate::clock(archive.has("step"), archive.has("time"), lr, loss_factor, rtol)?;
        let times = match clock {
            Clock::Time { .. } => {
                let times = series(&mut archive, "time", t)?
                    .ok_or_else(|| RunFileError::MissingArray { array: "time", fix: missing_fix("time") })?;
                validate::times(&times)?;
                Some(times)
            }
            Clock::Steps { .. } => None,
        };
        let steps = step_array(&mut archive, t, times.is_none())?;
        let train_loss = series(&mut archive, "train_loss", t)?;

        let data = Dataset::from_flat(n, d, x, y)?;
        let precision = match w_element {
            Element::Float32 => Precision::Float32,
            _ => Precision::Float64,
        };
        let (t, m) = (t as usize, m as usize);
        let header = RunHeader { source: source.clone(), data, precision, m, snapshots: t, clock, lambda, train_loss };
        drop(archive);
        let a = Stream::spawn(path, &source, "a", a_shape, m)?;
        let w = Stream::spawn(path, &source, "w", w_shape, m * d)?;
        Ok(Self { header, d, steps, times, next: 0, failed: false, a, w })
    }

    fn read_next(&mut self) -> Result<Snapshot, RunFileError> {
        let source = &self.header.source;
        let a = self.a.next(source)?;
        let w = self.w.next(source)?;
        let index = self.next;
        let step = self.steps.as_ref().map(|s| s[index]);
        let time = self.times.as_ref().map(|t| t[index]);
        let params = Params { a, w: w.chunks(self.d).map(<[f64]>::to_vec).collect() };
        Ok(Snapshot { index, step, time: self.header.clock.paper_time(step, time), params })
    }
}

impl RecordedRun for NpzRun {
    fn header(&self) -> &RunHeader {
        &self.header
    }
    fn next_snapshot(&mut self) -> Result<Option<Snapshot>, RunFileError> {
        if self.failed {
            return Err(RunFileError::Format {
                path: self.header.source.clone(),
                format: "npz",
                reason: "reading stopped at an earlier error".into(),
            });
        }
        if self.next >= self.header.snapshots {
            return Ok(None);
        }
        match self.read_next() {
            Ok(snapshot) => {
                self.next += 1;
                Ok(Some(snapshot))
            }
            Err(error) => {
                self.failed = true;
                Err(error)
            }
        }
    }
}

/// One chunk (one snapshot of one array) or the error that ended the stream.
type Chunk = Result<Vec<f64>, RunFileError>;

/// One array read sequentially by its own thread (see the module's streaming design).
struct Stream {
    array: &'static str,
    receiver: Option<Receiver<Chunk>>,
    thread: Option<JoinHandle<()>>,
}

impl Stream {
    /// Starts the reader of `array` (of `shape`, validated by the caller), sending `chunk`
    /// values at a time.
    fn spawn(
        path: &Path,
        source: &str,
        array: &'static str,
        shape: Vec<u64>,
        chunk: usize,
    ) -> Result<Self, RunFileError> {
        let (sender, receiver) = sync_channel(1);
        let (path, thread_source): (PathBuf, String) = (path.to_path_buf(), source.to_string());
        let thread = std::thread::Builder::new()
            .name(format!("reluflow-npz-{array}"))
            .spawn(move || {
                if let Err(error) = stream(&path, &thread_source, array, &shape, chunk, &sender) {
                    let _ = sender.send(Err(error));
                }
            })
            .map_err(|e| RunFileError::Io { path: source.to_string(), source: e })?;
        Ok(Self { array, receiver: Some(receiver), thread: Some(thread) })
    }

    /// The next chunk.
    fn next(&self, source: &str) -> Chunk {
        let stopped = || RunFileError::Format {
            path: source.to_string(),
            format: "npz",
            reason: format!("the reader of array `{}` stopped early", self.array),
        };
        self.receiver.as_ref().ok_or_else(stopped)?.recv().unwrap_or_else(|_| Err(stopped()))
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // a thread blocked on a full channel wakes up with a send error and returns
        drop(self.receiver.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The body of a reader thread: opens its own archive, checks the member is still what the
/// header said, and sends its values `chunk` at a time until the end or a closed channel.
fn stream(
    path: &Path,
    source: &str,
    array: &'static str,
    shape: &[u64],
    chunk: usize,
    sender: &SyncSender<Chunk>,
) -> Result<(), RunFileError> {
    let mut archive = Archive::open(path, source)?;
    let npy = archive.required(array)?;
    if npy.shape() != shape {
        let reason = format!("array `{array}` changed while the file was being read");
        return Err(archive_error(source, reason));
    }
    let mut values = FloatValues::new(npy, array)?;
    for c in 0..shape[0] {
        let mut buffer = Vec::with_capacity(chunk);
        values.fill(&mut buffer, chunk).map_err(|e| read_error(source, array, e))?;
        finite(array, &buffer, c * chunk as u64)?;
        if sender.send(Ok(buffer)).is_err() {
            return Ok(()); // the run was dropped
        }
    }
    Ok(())
}

fn archive_error(source: &str, reason: String) -> RunFileError {
    RunFileError::Format { path: source.to_string(), format: "npz", reason }
}

/// A float array's values in file order, as `f64`.
enum FloatValues<R: Read> {
    Float32(npyz::NpyReader<f32, R>),
    Float64(npyz::NpyReader<f64, R>),
}

impl<R: Read> FloatValues<R> {
    fn new(npy: NpyFile<R>, array: &'static str) -> Result<Self, RunFileError> {
        let dtype = dtype_name(npy.header());
        let bad = |_| RunFileError::Dtype { array, dtype: dtype.clone(), expected: FLOAT_DTYPES };
        match Element::of(npy.header()) {
            Some(Element::Float32) => npy.data::<f32>().map(FloatValues::Float32).map_err(bad),
            Some(Element::Float64) => npy.data::<f64>().map(FloatValues::Float64).map_err(bad),
            _ => Err(RunFileError::Dtype { array, dtype: dtype.clone(), expected: FLOAT_DTYPES }),
        }
    }

    /// Appends the next `count` values to `out`.
    fn fill(&mut self, out: &mut Vec<f64>, count: usize) -> io::Result<()> {
        let truncated = || io::Error::new(io::ErrorKind::UnexpectedEof, "the array ends early");
        match self {
            FloatValues::Float32(reader) => {
                for _ in 0..count {
                    out.push(f64::from(reader.next().ok_or_else(truncated)??));
                }
            }
            FloatValues::Float64(reader) => {
                for _ in 0..count {
                    out.push(reader.next().ok_or_else(truncated)??);
                }
            }
        }
        Ok(())
    }
}

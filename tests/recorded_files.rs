//! Run files (`reluflow check`'s input): round trips of reluflow's own runs through `.npz`
//! (stored and deflated, float64 and float32) and JSON; archives written by numpy itself
//! (`savez`, `savez_compressed`, other integer and byte-order dtypes, Fortran-order `x`); every
//! bad file through the library (the `RunFileError` variant, a message naming the array) and
//! through the binary (exit code 2, stderr naming the array).
//!
//! The numpy cases need `python3` with numpy (CI installs it): they fail, loudly, without it.

use std::path::{Path, PathBuf};
use std::process::Command;

use reluflow::data::generate::random_orthonormal;
use reluflow::init::{InitKind, InitSpec};
use reluflow::network::Model;
use reluflow::recorded::{
    Clock, JsonRun, NpzRun, Precision, RecordedRun, RunFileError, RunHeader, Snapshot, open, write_json, write_npz,
    write_npz_compressed,
};
use reluflow::solver::StopRule;
use reluflow::solver::flow::{FlowConfig, run_flow};
use reluflow::solver::gd::{GdConfig, run_gd};
use reluflow::trajectory::checkpoints::CheckpointRecorder;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A fresh directory `reluflow-recorded-<test>-<pid>` under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("reluflow-recorded-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the temp dir");
        Self(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a python3 script with numpy imported as `np` and the working directory `dir`; panics
/// with python's output if python3 or numpy is missing or the script fails.
fn python(dir: &Path, script: &str) {
    let full = format!("import numpy as np\n{script}");
    let output = Command::new("python3")
        .arg("-c")
        .arg(&full)
        .current_dir(dir)
        .output()
        .expect("these tests need python3 with numpy (CI installs numpy): cannot run python3");
    assert!(
        output.status.success(),
        "python3 failed (these tests need numpy):\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every snapshot of a run, in order.
fn drain(run: &mut dyn RecordedRun) -> Result<Vec<Snapshot>, RunFileError> {
    let mut out = Vec::new();
    while let Some(s) = run.next_snapshot()? {
        out.push(s);
    }
    Ok(out)
}

/// Opens `path` and reads every snapshot (errors at opening or reading alike).
fn read_all(path: &Path) -> Result<(RunHeader, Vec<Snapshot>), RunFileError> {
    let mut run = open(path)?;
    let snapshots = drain(&mut *run)?;
    Ok((run.header().clone(), snapshots))
}

/// A gradient-descent run of reluflow's simulator recorded as a torch trainer would: MSELoss
/// (loss_factor 2) with lr = eta / 2, snapshots at a few log-spaced times, logged train loss
/// in the trainer's convention (2L).
fn gd_run(precision: Precision) -> (RunHeader, Vec<Snapshot>) {
    let data = random_orthonormal(4, 6, &Default::default(), 11).unwrap();
    let init =
        InitSpec { kind: InitKind::Balanced, width: 7, lambda: 1e-3, seed: 5 }.validate().unwrap().draw(data.d());
    let eta = 0.05;
    let mut recorder = CheckpointRecorder::new(vec![0.0, 0.5, 2.0, 8.0, 32.0, 128.0]);
    let cfg = GdConfig { step: eta, stop: StopRule { horizon: Some(200.0), ..Default::default() } };
    run_gd(&data, Model::relu().validate().unwrap(), &init.params, &cfg, &mut recorder).unwrap();
    let clock = Clock::Steps { lr: eta / 2.0, loss_factor: 2.0 };
    let snapshots: Vec<Snapshot> = recorder
        .states
        .iter()
        .enumerate()
        .map(|(index, c)| Snapshot {
            index,
            step: Some(c.step),
            time: clock.paper_time(Some(c.step), None),
            params: c.params.to_params(),
        })
        .collect();
    assert!(snapshots.len() >= 5, "{} snapshots", snapshots.len());
    let train_loss = snapshots.iter().map(|s| 0.37 * s.time + 1.0).collect();
    let header = RunHeader {
        source: "reluflow gd".into(),
        data,
        precision,
        m: 7,
        snapshots: snapshots.len(),
        clock,
        lambda: Some(1e-3),
        train_loss: Some(train_loss),
    };
    (header, snapshots)
}

/// A gradient-flow run recorded in paper time, with the integrator's accepted steps and rtol.
fn flow_run(precision: Precision) -> (RunHeader, Vec<Snapshot>) {
    let data = random_orthonormal(3, 5, &Default::default(), 2).unwrap();
    let init =
        InitSpec { kind: InitKind::Balanced, width: 6, lambda: 1e-2, seed: 9 }.validate().unwrap().draw(data.d());
    let mut recorder = CheckpointRecorder::new(vec![0.0, 0.3, 1.0, 3.0, 10.0]);
    let cfg = FlowConfig { stop: StopRule { horizon: Some(20.0), ..Default::default() }, ..Default::default() };
    run_flow(&data, Model::relu().validate().unwrap(), &init.params, &cfg, &mut recorder).unwrap();
    let snapshots: Vec<Snapshot> = recorder
        .states
        .iter()
        .enumerate()
        .map(|(index, c)| Snapshot { index, step: Some(c.step), time: c.time, params: c.params.to_params() })
        .collect();
    let header = RunHeader {
        source: "reluflow flow".into(),
        data,
        precision,
        m: 6,
        snapshots: snapshots.len(),
        clock: Clock::Time { rtol: Some(cfg.rtol) },
        lambda: None,
        train_loss: None,
    };
    (header, snapshots)
}

fn to_f32(v: f64) -> f64 {
    f64::from(v as f32)
}

/// `snapshots` as a float32 file holds them: parameters rounded to float32.
fn rounded(snapshots: &[Snapshot]) -> Vec<Snapshot> {
    snapshots
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s.params.a.iter_mut().for_each(|v| *v = to_f32(*v));
            s.params.w.iter_mut().flatten().for_each(|v| *v = to_f32(*v));
            s
        })
        .collect()
}

/// The header read back equals the one written (data and train loss rounded in float32).
fn assert_same_header(read: &RunHeader, written: &RunHeader, path: &Path) {
    let round = |v: f64| if written.precision == Precision::Float32 { to_f32(v) } else { v };
    assert_eq!(read.source, path.display().to_string());
    assert_eq!(read.precision, written.precision);
    assert_eq!((read.m, read.snapshots), (written.m, written.snapshots));
    assert_eq!(read.clock, written.clock);
    assert_eq!(read.lambda, written.lambda);
    assert_eq!((read.data.n(), read.data.d()), (written.data.n(), written.data.d()));
    let x: Vec<f64> = written.data.x_flat().iter().map(|&v| round(v)).collect();
    let y: Vec<f64> = written.data.y().iter().map(|&v| round(v)).collect();
    assert_eq!(read.data.x_flat(), &x[..]);
    assert_eq!(read.data.y(), &y[..]);
    let losses = written.train_loss.as_ref().map(|l| l.iter().map(|&v| round(v)).collect::<Vec<_>>());
    assert_eq!(read.train_loss, losses);
}

type Writer = fn(&Path, &RunHeader, &[Snapshot]) -> Result<(), RunFileError>;

fn round_trip(run: (RunHeader, Vec<Snapshot>), writer: Writer, path: &Path) {
    let (header, snapshots) = run;
    writer(path, &header, &snapshots).expect("write");
    let (read_header, read) = read_all(path).expect("read back");
    assert_same_header(&read_header, &header, path);
    let expected = if header.precision == Precision::Float32 { rounded(&snapshots) } else { snapshots };
    assert_eq!(read, expected, "{}", path.display());
}

// ---------------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------------

#[test]
fn gd_run_round_trips_through_npz_stored_and_compressed_float64_exactly() {
    let dir = TempDir::new("rt-npz64");
    round_trip(gd_run(Precision::Float64), write_npz, &dir.path("gd.npz"));
    round_trip(gd_run(Precision::Float64), write_npz_compressed, &dir.path("gd-deflated.npz"));
}

#[test]
fn flow_run_round_trips_through_npz_with_time_rtol_and_steps() {
    let dir = TempDir::new("rt-npz-flow");
    round_trip(flow_run(Precision::Float64), write_npz, &dir.path("flow.npz"));
    round_trip(flow_run(Precision::Float32), write_npz_compressed, &dir.path("flow32.npz"));
    let (header, snapshots) = read_all(&dir.path("flow.npz")).unwrap();
    assert!(matches!(header.clock, Clock::Time { rtol: Some(r) } if r == 1e-9));
    assert!(snapshots.iter().all(|s| s.step.is_some()));
}

#[test]
fn gd_run_round_trips_through_npz_float32_after_rounding() {
    let dir = TempDir::new("rt-npz32");
    round_trip(gd_run(Precision::Float32), write_npz, &dir.path("gd32.npz"));
    round_trip(gd_run(Precision::Float32), write_npz_compressed, &dir.path("gd32-deflated.npz"));
    // the values really are stored as float32
    python(
        &dir.0,
        "z = np.load('gd32.npz')\nassert z['w'].dtype == np.float32 and z['a'].dtype == np.float32, z['w'].dtype\nassert z['step'].dtype == np.int64 and z['lr'].shape == ()",
    );
}

#[test]
fn runs_round_trip_through_json() {
    let dir = TempDir::new("rt-json");
    round_trip(gd_run(Precision::Float64), write_json, &dir.path("gd.json"));
    round_trip(gd_run(Precision::Float32), write_json, &dir.path("gd32.json"));
    round_trip(flow_run(Precision::Float64), write_json, &dir.path("flow.json"));
    let mut run = JsonRun::open(&dir.path("gd32.json")).unwrap();
    assert_eq!(run.header().precision, Precision::Float32);
    assert_eq!(run.next_snapshot().unwrap().unwrap().index, 0);
}

#[test]
fn npz_and_json_of_one_run_read_the_same() {
    let dir = TempDir::new("npz-vs-json");
    let (header, snapshots) = gd_run(Precision::Float64);
    write_npz(&dir.path("r.npz"), &header, &snapshots).unwrap();
    write_json(&dir.path("r.json"), &header, &snapshots).unwrap();
    let (h1, s1) = read_all(&dir.path("r.npz")).unwrap();
    let (h2, s2) = read_all(&dir.path("r.json")).unwrap();
    assert_eq!(s1, s2);
    assert_eq!((h1.clock, h1.lambda, h1.train_loss, h1.m), (h2.clock, h2.lambda, h2.train_loss, h2.m));
}

/// numpy's own archives: `savez_compressed` and `savez`, big-endian floats, int32 and uint8
/// steps, integer 0-d scalars, a Fortran-order `x`: all read as the run reluflow wrote.
#[test]
fn archives_written_by_numpy_read_back_equal() {
    let dir = TempDir::new("numpy-written");
    let (header, snapshots) = gd_run(Precision::Float64);
    write_npz(&dir.path("base.npz"), &header, &snapshots).unwrap();
    python(
        &dir.0,
        r#"
z = dict(np.load('base.npz'))
np.savez_compressed('compressed.npz', **z)
np.savez('stored.npz', **z)
big = {k: (v.astype('>f8') if v.dtype == np.float64 else v) for k, v in z.items()}
big['step'] = z['step'].astype(np.int32)
big['x'] = np.asfortranarray(z['x'])
assert np.isfortran(big['x'])
np.savez_compressed('bigendian.npz', **big)
small = dict(z)
small['step'] = z['step'].astype(np.uint16)
small['loss_factor'] = np.array(2, dtype=np.int64)
np.savez('ints.npz', **small)
"#,
    );
    for name in ["compressed.npz", "stored.npz", "bigendian.npz", "ints.npz"] {
        let path = dir.path(name);
        let (read_header, read) = read_all(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_same_header(&read_header, &header, &path);
        assert_eq!(read, snapshots, "{name}");
    }
}

/// A float32 run trained in numpy (w float32, x float64) has precision float32 and reads the
/// float32 values exactly.
#[test]
fn numpy_float32_run_has_float32_precision() {
    let dir = TempDir::new("numpy-f32");
    python(
        &dir.0,
        r#"
rng = np.random.default_rng(3)
x = np.eye(3, 4); y = np.array([1.0, -0.5, 0.25])
w = rng.standard_normal((5, 2, 4)).astype(np.float32)
a = rng.standard_normal((5, 2)).astype(np.float32)
np.savez_compressed('f32.npz', x=x, y=y, a=a, w=w, time=np.linspace(0, 1, 5), train_loss=np.ones(5, np.float32))
np.save('w.npy', w)
"#,
    );
    let (header, read) = read_all(&dir.path("f32.npz")).unwrap();
    assert_eq!(header.precision, Precision::Float32);
    assert_eq!(header.clock, Clock::Time { rtol: None });
    assert_eq!(read.len(), 5);
    assert_eq!(read[4].time, 1.0);
    assert!(read.iter().all(|s| s.step.is_none()));
    // compare with the raw float32 values of w
    let w: Vec<f32> = npyz::NpyFile::new(std::fs::File::open(dir.path("w.npy")).unwrap()).unwrap().into_vec().unwrap();
    let flat: Vec<f64> = read.iter().flat_map(|s| s.params.w.iter().flatten().copied()).collect();
    assert_eq!(flat, w.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
}

/// Many snapshots stream in order; dropping a run half way stops its reader threads (the test
/// would hang otherwise).
#[test]
fn npz_streams_many_snapshots_and_stops_when_dropped() {
    let dir = TempDir::new("stream");
    python(
        &dir.0,
        r#"
T, m, d = 300, 50, 8
a = np.arange(T * m, dtype=np.float64).reshape(T, m)
w = np.arange(T * m * d, dtype=np.float64).reshape(T, m, d) / 7
np.savez_compressed('many.npz', x=np.eye(d), y=np.ones(d), a=a, w=w, step=np.arange(T) * 3, lr=0.5, loss_factor=1)
"#,
    );
    let path = dir.path("many.npz");
    let mut run = NpzRun::open(&path).unwrap();
    assert_eq!((run.header().snapshots, run.header().m), (300, 50));
    for i in 0..300 {
        let s = run.next_snapshot().unwrap().unwrap();
        assert_eq!((s.index, s.step, s.time), (i, Some(3 * i as u64), 1.5 * i as f64));
        assert_eq!(s.params.a[7], (i * 50 + 7) as f64);
        assert_eq!(s.params.w[49][7], ((i * 50 + 49) * 8 + 7) as f64 / 7.0);
    }
    assert!(run.next_snapshot().unwrap().is_none());
    assert!(run.next_snapshot().unwrap().is_none());
    for _ in 0..5 {
        let mut run = NpzRun::open(&path).unwrap();
        run.next_snapshot().unwrap();
        drop(run);
    }
    drop(NpzRun::open(&path).unwrap()); // never read
}

// ---------------------------------------------------------------------------------------------
// Bad files
// ---------------------------------------------------------------------------------------------

/// The expected error of a bad file: the variant (as a predicate) and the array its message
/// must name (in backticks).
struct Bad {
    file: &'static str,
    array: &'static str,
    variant: fn(&RunFileError) -> bool,
}

macro_rules! bad {
    ($file:literal, $array:literal, $pattern:pat) => {
        Bad { file: $file, array: $array, variant: |e| matches!(e, $pattern) }
    };
}

/// Writes the bad `.npz` files with numpy, each a valid run with one thing wrong.
const BAD_NPZ_SCRIPT: &str = r#"
rng = np.random.default_rng(0)
n, d, m, T = 4, 3, 5, 6
base = dict(x=np.eye(n, d), y=np.array([1.0, 0.5, -0.5, -1.0]), a=rng.standard_normal((T, m)),
            w=rng.standard_normal((T, m, d)), step=np.arange(T) * 10, lr=np.float64(0.01), loss_factor=np.float64(2))
def save(name, drop=(), **changes):
    z = {k: v for k, v in base.items() if k not in drop}
    z.update(changes)
    np.savez(name + '.npz', **z)
def with_nan(array, index, value=np.nan):
    v = base[array].copy().astype(np.float64)
    v.flat[index] = value
    return v
save('good')
for k in ['x', 'y', 'a', 'w']:
    save('missing_' + k, drop=[k])
save('missing_step', drop=['step'])
save('missing_lr', drop=['lr'])
save('missing_loss_factor', drop=['loss_factor'])
save('no_clock', drop=['step', 'lr', 'loss_factor'])
save('x_1d', x=np.ones(n))
save('y_wrong_length', y=np.ones(n + 1))
save('a_1d', a=np.ones(T))
save('w_2d', w=np.ones((T, m)))
save('w_wrong_d', w=np.ones((T, m, d + 2)))
save('step_wrong_length', step=np.arange(T + 1))
save('train_loss_wrong_length', train_loss=np.ones(T - 1))
save('nan_a', a=with_nan('a', 7))
save('nan_w', w=with_nan('w', 50))
save('inf_w_last', w=with_nan('w', T * m * d - 1, np.inf))
save('nan_x', x=with_nan('x', 2))
save('nan_y', y=with_nan('y', 1))
save('nan_train_loss', train_loss=np.array([1, 1, np.nan, 1, 1, 1.0]))
save('nan_time', drop=['step', 'lr', 'loss_factor'], time=np.array([0, 1, np.nan, 3, 4, 5.0]))
save('t_zero', a=np.ones((0, m)), w=np.ones((0, m, d)), step=np.arange(0))
save('loss_factor_zero', loss_factor=np.float64(0))
save('loss_factor_negative', loss_factor=np.float64(-2))
save('loss_factor_inf', loss_factor=np.float64(np.inf))
save('loss_factor_nan', loss_factor=np.float64(np.nan))
save('lr_zero', lr=np.int64(0))
save('lr_1d', lr=np.array([0.01]))
save('lambda_negative', **{'lambda': np.float64(-1e-3)})
save('rtol_with_step', rtol=np.float64(1e-9))
save('inconsistent_m', a=np.ones((T, m + 1)))
save('inconsistent_t', a=np.ones((T + 1, m)))
save('both_step_and_time', time=np.arange(T) * 1.0)
save('time_with_lr', drop=['step'], time=np.arange(T) * 1.0)
save('step_not_increasing', step=np.array([0, 10, 20, 20, 30, 40]))
save('step_decreasing', step=np.array([0, 10, 5, 20, 30, 40], dtype=np.int32))
save('step_negative', step=np.array([-1, 10, 20, 30, 40, 50]))
save('step_float', step=np.arange(T) * 1.0)
save('time_not_increasing', drop=['step', 'lr', 'loss_factor'], time=np.array([0, 1, 2, 2, 3, 4.0]))
save('w_complex', w=base['w'].astype(np.complex128))
save('w_int', w=np.ones((T, m, d), dtype=np.int64))
save('a_float16', a=base['a'].astype(np.float16))
save('x_object', x=np.array([[1, 'a', None]] * n, dtype=object))
save('w_fortran', w=np.asfortranarray(base['w']))
open('not_a_zip.npz', 'w').write('hello')
"#;

fn bad_npz_cases() -> Vec<Bad> {
    use RunFileError as E;
    vec![
        bad!("missing_x", "x", E::MissingArray { array: "x", .. }),
        bad!("missing_y", "y", E::MissingArray { array: "y", .. }),
        bad!("missing_a", "a", E::MissingArray { array: "a", .. }),
        bad!("missing_w", "w", E::MissingArray { array: "w", .. }),
        bad!("missing_step", "step", E::Clock(_)),
        bad!("missing_lr", "lr", E::MissingArray { array: "lr", .. }),
        bad!("missing_loss_factor", "loss_factor", E::MissingArray { array: "loss_factor", .. }),
        bad!("no_clock", "time", E::Clock(_)),
        bad!("x_1d", "x", E::Shape { array: "x", .. }),
        bad!("y_wrong_length", "y", E::Shape { array: "y", .. }),
        bad!("a_1d", "a", E::Shape { array: "a", .. }),
        bad!("w_2d", "w", E::Shape { array: "w", .. }),
        bad!("w_wrong_d", "w", E::Shape { array: "w", .. }),
        bad!("step_wrong_length", "step", E::Shape { array: "step", .. }),
        bad!("train_loss_wrong_length", "train_loss", E::Shape { array: "train_loss", .. }),
        bad!("nan_a", "a", E::NonFinite { array: "a", index: 7, .. }),
        bad!("nan_w", "w", E::NonFinite { array: "w", index: 50, .. }),
        bad!("inf_w_last", "w", E::NonFinite { array: "w", index: 89, .. }),
        bad!("nan_x", "x", E::NonFinite { array: "x", index: 2, .. }),
        bad!("nan_y", "y", E::NonFinite { array: "y", index: 1, .. }),
        bad!("nan_train_loss", "train_loss", E::NonFinite { array: "train_loss", index: 2, .. }),
        bad!("nan_time", "time", E::NonFinite { array: "time", index: 2, .. }),
        bad!("t_zero", "a", E::NoSnapshots),
        bad!("loss_factor_zero", "loss_factor", E::BadScalar { name: "loss_factor", .. }),
        bad!("loss_factor_negative", "loss_factor", E::BadScalar { name: "loss_factor", .. }),
        bad!("loss_factor_inf", "loss_factor", E::NonFinite { array: "loss_factor", .. }),
        bad!("loss_factor_nan", "loss_factor", E::NonFinite { array: "loss_factor", .. }),
        bad!("lr_zero", "lr", E::BadScalar { name: "lr", .. }),
        bad!("lr_1d", "lr", E::Shape { array: "lr", .. }),
        bad!("lambda_negative", "lambda", E::BadScalar { name: "lambda", .. }),
        bad!("rtol_with_step", "rtol", E::Clock(_)),
        bad!("inconsistent_m", "w", E::InconsistentWidth { .. }),
        bad!("inconsistent_t", "a", E::InconsistentWidth { .. }),
        bad!("both_step_and_time", "time", E::Clock(_)),
        bad!("time_with_lr", "lr", E::Clock(_)),
        bad!("step_not_increasing", "step", E::NotIncreasing { array: "step", index: 3, .. }),
        bad!("step_decreasing", "step", E::NotIncreasing { array: "step", index: 2, .. }),
        bad!("step_negative", "step", E::Negative { array: "step", index: 0, value: -1 }),
        bad!("step_float", "step", E::Dtype { array: "step", .. }),
        bad!("time_not_increasing", "time", E::NotIncreasing { array: "time", index: 3, .. }),
        bad!("w_complex", "w", E::Dtype { array: "w", .. }),
        bad!("w_int", "w", E::Dtype { array: "w", .. }),
        bad!("a_float16", "a", E::Dtype { array: "a", .. }),
        bad!("x_object", "x", E::Dtype { array: "x", .. }),
        bad!("w_fortran", "w", E::FortranOrder { array: "w" }),
    ]
}

/// Writes the bad JSON files: each a valid run with one thing wrong.
fn write_bad_json(dir: &TempDir) -> Vec<Bad> {
    use RunFileError as E;
    let snapshot = |step: &str, a: &str, w: &str| format!(r#"{{{step}"a": {a}, "w": {w}}}"#);
    let (a, w) = ("[1.0, -1.0]", "[[1.0, 0.0], [0.0, 1.0]]");
    let two = |first: &str, second: &str| format!("[{first}, {second}]");
    let good_snapshots = two(&snapshot(r#""step": 0, "#, a, w), &snapshot(r#""step": 5, "#, a, w));
    let file = |fields: &str, snapshots: &str| {
        format!(r#"{{"x": [[1.0, 0.0], [0.0, 1.0]], "y": [1.0, -0.5], {fields}"snapshots": {snapshots}}}"#)
    };
    let clock = r#""lr": 0.1, "loss_factor": 2, "#;
    let cases: Vec<(&str, String, Bad)> = vec![
        ("good", file(clock, &good_snapshots), bad!("good", "", E::NoSnapshots)),
        (
            "missing_x",
            format!(r#"{{"y": [1.0, -0.5], {clock}"snapshots": {good_snapshots}}}"#),
            bad!("missing_x", "x", E::MissingArray { array: "x", .. }),
        ),
        (
            "missing_y",
            format!(r#"{{"x": [[1.0, 0.0], [0.0, 1.0]], {clock}"snapshots": {good_snapshots}}}"#),
            bad!("missing_y", "y", E::MissingArray { array: "y", .. }),
        ),
        (
            "missing_snapshots",
            r#"{"x": [[1.0, 0.0], [0.0, 1.0]], "y": [1.0, -0.5], "lr": 0.1, "loss_factor": 2}"#.to_string(),
            bad!("missing_snapshots", "snapshots", E::MissingArray { array: "snapshots", .. }),
        ),
        (
            "missing_a",
            file(clock, &two(&snapshot(r#""step": 0, "#, a, w), &format!(r#"{{"step": 5, "w": {w}}}"#))),
            bad!("missing_a", "a", E::MissingArray { array: "a", .. }),
        ),
        (
            "missing_w",
            file(clock, &two(&format!(r#"{{"step": 0, "a": {a}}}"#), &snapshot(r#""step": 5, "#, a, w))),
            bad!("missing_w", "w", E::MissingArray { array: "w", .. }),
        ),
        (
            "missing_step_in_one",
            file(clock, &two(&snapshot(r#""step": 0, "#, a, w), &snapshot("", a, w))),
            bad!("missing_step_in_one", "step", E::MissingArray { array: "step", .. }),
        ),
        (
            "missing_lr",
            file(r#""loss_factor": 2, "#, &good_snapshots),
            bad!("missing_lr", "lr", E::MissingArray { array: "lr", .. }),
        ),
        (
            "missing_loss_factor",
            file(r#""lr": 0.1, "#, &good_snapshots),
            bad!("missing_loss_factor", "loss_factor", E::MissingArray { array: "loss_factor", .. }),
        ),
        (
            "lr_without_step",
            file(clock, &two(&snapshot("", a, w), &snapshot("", a, w))),
            bad!("lr_without_step", "step", E::Clock(_)),
        ),
        (
            "y_wrong_length",
            format!(r#"{{"x": [[1.0, 0.0], [0.0, 1.0]], "y": [1.0], {clock}"snapshots": {good_snapshots}}}"#),
            bad!("y_wrong_length", "y", E::Shape { array: "y", .. }),
        ),
        (
            "w_wrong_d",
            file(clock, &two(&snapshot(r#""step": 0, "#, a, w), &snapshot(r#""step": 5, "#, a, "[[1.0], [2.0]]"))),
            bad!("w_wrong_d", "w", E::Shape { array: "w", .. }),
        ),
        (
            "inconsistent_m",
            file(clock, &two(&snapshot(r#""step": 0, "#, a, w), &snapshot(r#""step": 5, "#, "[1.0]", w))),
            bad!("inconsistent_m", "a", E::InconsistentWidth { .. }),
        ),
        ("t_zero", file(clock, "[]"), bad!("t_zero", "a", E::NoSnapshots)),
        (
            "loss_factor_zero",
            file(r#""lr": 0.1, "loss_factor": 0, "#, &good_snapshots),
            bad!("loss_factor_zero", "loss_factor", E::BadScalar { name: "loss_factor", .. }),
        ),
        (
            "loss_factor_negative",
            file(r#""lr": 0.1, "loss_factor": -1, "#, &good_snapshots),
            bad!("loss_factor_negative", "loss_factor", E::BadScalar { name: "loss_factor", .. }),
        ),
        (
            "lr_negative",
            file(r#""lr": -0.1, "loss_factor": 2, "#, &good_snapshots),
            bad!("lr_negative", "lr", E::BadScalar { name: "lr", .. }),
        ),
        (
            "both_step_and_time",
            file(
                clock,
                &two(&snapshot(r#""step": 0, "time": 0, "#, a, w), &snapshot(r#""step": 5, "time": 1, "#, a, w)),
            ),
            bad!("both_step_and_time", "time", E::Clock(_)),
        ),
        (
            "step_not_increasing",
            file(clock, &two(&snapshot(r#""step": 5, "#, a, w), &snapshot(r#""step": 5, "#, a, w))),
            bad!("step_not_increasing", "step", E::NotIncreasing { array: "step", index: 1, .. }),
        ),
        (
            "step_negative",
            file(clock, &two(&snapshot(r#""step": -3, "#, a, w), &snapshot(r#""step": 5, "#, a, w))),
            bad!("step_negative", "step", E::Negative { array: "step", index: 0, value: -3 }),
        ),
        (
            "time_not_increasing",
            file("", &two(&snapshot(r#""time": 1, "#, a, w), &snapshot(r#""time": 0.5, "#, a, w))),
            bad!("time_not_increasing", "time", E::NotIncreasing { array: "time", index: 1, .. }),
        ),
        (
            "bad_dtype",
            file(r#""dtype": "float16", "lr": 0.1, "loss_factor": 2, "#, &good_snapshots),
            bad!("bad_dtype", "dtype", E::Dtype { array: "dtype", .. }),
        ),
        (
            "train_loss_in_one",
            file(clock, &two(&snapshot(r#""step": 0, "train_loss": 1, "#, a, w), &snapshot(r#""step": 5, "#, a, w))),
            bad!("train_loss_in_one", "train_loss", E::MissingArray { array: "train_loss", .. }),
        ),
        (
            "unknown_field",
            file(r#""lr": 0.1, "loss-factor": 2, "#, &good_snapshots),
            bad!("unknown_field", "loss-factor", E::Format { format: "json", .. }),
        ),
        ("not_json", "{\"x\": [".to_string(), bad!("not_json", "", E::Format { format: "json", .. })),
    ];
    let mut out = Vec::new();
    for (name, text, case) in cases {
        std::fs::write(dir.path(&format!("{name}.json")), text).unwrap();
        if name != "good" {
            out.push(case);
        }
    }
    out
}

fn assert_bad(path: &Path, case: &Bad) {
    let error = match read_all(path) {
        Ok(_) => panic!("{}: read without error", case.file),
        Err(e) => e,
    };
    assert!((case.variant)(&error), "{}: unexpected error {error:?}", case.file);
    let message = error.to_string();
    let named = format!("`{}`", case.array);
    assert!(
        message.contains(&named) || case.array.is_empty(),
        "{}: message does not name {named}: {message}",
        case.file
    );
}

fn assert_cli_bad(path: &Path, case: &Bad) {
    let output = Command::new(env!("CARGO_BIN_EXE_reluflow")).arg("check").arg(path).output().expect("run reluflow");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{}: exit code, stderr: {stderr}", case.file);
    assert!(
        stderr.contains(&format!("`{}`", case.array)),
        "{}: stderr does not name `{}`: {stderr}",
        case.file,
        case.array
    );
    assert!(!stderr.contains("panicked"), "{}: {stderr}", case.file);
}

#[test]
fn bad_npz_files_give_typed_errors_naming_the_array() {
    let dir = TempDir::new("bad-npz");
    python(&dir.0, BAD_NPZ_SCRIPT);
    read_all(&dir.path("good.npz")).expect("the unmodified file is good");
    for case in bad_npz_cases() {
        assert_bad(&dir.path(&format!("{}.npz", case.file)), &case);
    }
    let error = read_all(&dir.path("not_a_zip.npz")).expect_err("not a zip");
    assert!(matches!(error, RunFileError::Format { format: "npz", .. }), "{error:?}");
    let error = read_all(&dir.path("absent.npz")).expect_err("absent");
    assert!(matches!(error, RunFileError::Io { .. }), "{error:?}");
}

#[test]
fn bad_npz_files_exit_2_through_the_cli_naming_the_array() {
    let dir = TempDir::new("bad-npz-cli");
    python(&dir.0, BAD_NPZ_SCRIPT);
    for case in bad_npz_cases() {
        assert_cli_bad(&dir.path(&format!("{}.npz", case.file)), &case);
    }
}

#[test]
fn bad_json_files_give_typed_errors_naming_the_field() {
    let dir = TempDir::new("bad-json");
    let cases = write_bad_json(&dir);
    read_all(&dir.path("good.json")).expect("the unmodified file is good");
    for case in &cases {
        assert_bad(&dir.path(&format!("{}.json", case.file)), case);
    }
}

#[test]
fn bad_json_files_exit_2_through_the_cli_naming_the_field() {
    let dir = TempDir::new("bad-json-cli");
    for case in write_bad_json(&dir).iter().filter(|c| !c.array.is_empty()) {
        assert_cli_bad(&dir.path(&format!("{}.json", case.file)), case);
    }
}

/// The writers refuse what no reader would accept: no snapshot, ragged widths, NaN, a Steps
/// clock without steps.
#[test]
fn writers_refuse_bad_runs() {
    let dir = TempDir::new("bad-writes");
    let (header, snapshots) = gd_run(Precision::Float64);
    let path = dir.path("w.npz");
    assert!(matches!(write_npz(&path, &header, &[]), Err(RunFileError::NoSnapshots)));
    let mut ragged = snapshots.clone();
    ragged[2].params.a.pop();
    assert!(matches!(write_npz(&path, &header, &ragged), Err(RunFileError::InconsistentWidth { .. })));
    let mut nan = snapshots.clone();
    nan[1].params.w[0][0] = f64::NAN;
    assert!(matches!(write_json(&dir.path("w.json"), &header, &nan), Err(RunFileError::NonFinite { array: "w", .. })));
    let mut stepless = snapshots;
    stepless[3].step = None;
    assert!(matches!(write_npz(&path, &header, &stepless), Err(RunFileError::MissingArray { array: "step", .. })));
}

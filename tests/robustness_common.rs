//! Robustness (issue 6), split by concern into the `robustness_*` modules: arbitrary finite and
//! non-finite numbers fed to every public constructor, validator, closed form and run
//! configuration, and to `simulate` through clap (no panic; `Ok` carries finite numbers whose loss
//! agrees with a recomputation, `Err` is a typed error whose claim is true of the input); numerical
//! faults at the extremes; byte-identical output across runs, processes, threads and pool sizes.
//!
//! The bad-input cases through the binary are in `tests/cli.rs`; these modules do not repeat them.
//! Proptest cases: `crate::common::config` (`PROPTEST_CASES=10000` for the deep run), failures
//! persisted to `proptest-regressions/robustness_<concern>.txt`.
//!
//! This module holds what the others share: the value strategies (`any_f64`, `mostly`, ...), a
//! temporary file, the no-panic wrapper and the independent loss recomputation.

use clap::Parser;
use proptest::prelude::*;
use proptest::sample::select;
use reluflow::cli::simulate::{SimulateArgs, SimulateReport, load_data};
use reluflow::cli::{Cli, Command};
use reluflow::data::Dataset;
use reluflow::network::{Activation, Model, ValidModel};
use reluflow::params::{Params, ScaledParams};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::Output;

// ---------------------------------------------------------------------------------------------
// Value strategies
// ---------------------------------------------------------------------------------------------

/// Values every numeric path must survive.
const SPECIAL: [f64; 22] = [
    0.0,
    -0.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::MIN_POSITIVE,
    -f64::MIN_POSITIVE,
    5e-324,
    -5e-324,
    2.225e-308, // subnormal, just below MIN_POSITIVE
    f64::MAX,
    f64::MIN,
    1e-300,
    -1e-300,
    1e300,
    1e154,
    1.0,
    -1.0,
    0.5,
    2.0,
    1e-3,
    1e3,
];

/// Any `f64`: the special values, every bit pattern (NaN payloads, subnormals, huge), and small
/// dyadic rationals (which shrink towards 0 and integers).
pub(crate) fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => select(SPECIAL.to_vec()),
        3 => any::<u64>().prop_map(f64::from_bits),
        3 => (-4096i32..=4096).prop_map(|i| f64::from(i) / 16.0),
    ]
}

/// Any finite `f64` (same mixture, non-finite values replaced by their index in `SPECIAL`).
pub(crate) fn finite_f64() -> impl Strategy<Value = f64> {
    any_f64().prop_map(|v| if v.is_finite() { v } else { 3.0 })
}

/// A value that is usually in a sensible range for `what`, sometimes anything.
pub(crate) fn mostly(sensible: impl Strategy<Value = f64> + 'static) -> impl Strategy<Value = f64> {
    prop_oneof![3 => sensible, 2 => any_f64()]
}

/// Text for a float on a command line (`NaN`, `inf`, `-inf` parse back as `f64`).
pub(crate) fn arg(v: f64) -> String {
    format!("{v:?}")
}

pub(crate) fn finite_slice(v: &[f64]) -> bool {
    v.iter().all(|x| x.is_finite())
}

pub(crate) fn finite_params(p: &Params) -> bool {
    finite_slice(&p.a) && p.w.iter().all(|r| finite_slice(r))
}

pub(crate) fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// A file `reluflow-robustness-<what>-<pid>-<thread>.<ext>` in the temp dir, removed on drop.
pub(crate) struct TempFile(pub(crate) PathBuf);

impl TempFile {
    pub(crate) fn new(what: &str, ext: &str) -> Self {
        let thread = format!("{:?}", std::thread::current().id()).replace(|c: char| !c.is_ascii_digit(), "");
        Self(std::env::temp_dir().join(format!("reluflow-robustness-{what}-{}-{thread}.{ext}", std::process::id())))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `f`, turning a panic into a test failure that names the input.
pub(crate) fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        TestCaseError::fail(format!("{what} panicked: {msg}"))
    })
}

/// `|a - b| <= rel max(|a|, |b|) + abs`.
pub(crate) fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + abs
}

/// Whether a run's reported loss agrees with [`recomputed_loss`] of its final parameters. Compared
/// as residual norms `sqrt(L)`: each residual `h(x_k) - y_k` is a sum of terms
/// `a_j act(<w_j, x_k>)` of size up to `|theta|^2 |x_k| / 2`, summed in another order by the two
/// codes, so the difference is up to rounding of that scale (gradient descent). The flow keeps
/// classes fixed inside a step: a `Zero` coordinate within `1e-9 |w_j| |x_k|` of 0 counts as 0
/// (Lemma 6), which moves a residual by up to `1e-9` of the same scale.
pub(crate) fn loss_agrees(method: &str, reported: f64, recomputed: f64, params: &ScaledParams, data: &Dataset) -> bool {
    let (rel, abs) = if method == "flow" { (1e-9, 1e-9) } else { (1e-12, 1e-13) };
    // an upper bound of max_k |x_k| that does not overflow before the true value does
    let max_x = data.x_flat().iter().fold(0.0f64, |m, v| m.max(v.abs())) * (data.d() as f64).sqrt();
    let scale = 1.0 + params.norm_sq() * max_x + data.y().iter().fold(0.0f64, |m, y| m.max(y.abs()));
    let (a, b) = (reported.sqrt(), recomputed.sqrt());
    // (0 x inf = NaN when |theta| = 0 and the inputs reach f64::MAX: compare exactly then)
    a == b || (a - b).abs() <= rel * a.max(b) + abs * scale
}

/// The loss of `params` recomputed independently, in plain units: `1/(2n) sum_k (h(x_k) - y_k)^2`
/// with `h(x) = sum_j a_j act(<w_j, x>)`. (Not `ValidModel::loss`: its `act(z) = 0 * z` is NaN at
/// `z = -inf`, which a neuron far outside the data's range can reach in plain units.)
pub(crate) fn recomputed_loss(model: ValidModel, params: &ScaledParams, data: &Dataset) -> f64 {
    let p = params.to_params();
    let slope = model.negative_slope();
    let act = |z: f64| {
        if z > 0.0 {
            z
        } else if slope == 0.0 {
            0.0
        } else {
            slope * z
        }
    };
    let sum: f64 = (0..data.n())
        .map(|k| {
            let h: f64 =
                p.a.iter().zip(&p.w).map(|(a, w)| a * act(w.iter().zip(data.x(k)).map(|(u, v)| u * v).sum())).sum();
            (h - data.y()[k]) * (h - data.y()[k])
        })
        .sum();
    sum / (2.0 * data.n() as f64)
}

pub(crate) fn relu() -> ValidModel {
    Model::relu().validate().unwrap()
}

/// The standard basis of R^d with labels `y`.
pub(crate) fn basis(y: &[f64]) -> Dataset {
    let d = y.len();
    Dataset::new((0..d).map(|k| (0..d).map(|i| f64::from(u8::from(i == k))).collect()).collect(), y.to_vec()).unwrap()
}

pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("reluflow-robustness-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn reluflow(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_reluflow"));
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run the reluflow binary")
}

/// Parses `reluflow simulate <args>` as the binary does.
pub(crate) fn parse_simulate(args: &[String]) -> Result<SimulateArgs, clap::Error> {
    let cli = Cli::try_parse_from(["reluflow", "simulate"].into_iter().map(String::from).chain(args.iter().cloned()))?;
    match cli.command {
        Command::Simulate(a) => Ok(a),
        other => panic!("parsed {other:?}, not simulate"),
    }
}

/// Whether `|D+|` (or `|D-|`) is beyond the `f64` range, computed in log space.
pub(crate) fn d_norm_overflows(data: &Dataset, positive: bool) -> bool {
    let keep = |y: f64| if positive { y > 0.0 } else { y < 0.0 };
    let y_max = data.y().iter().filter(|&&y| keep(y)).fold(0.0f64, |m, y| m.max(y.abs()));
    let x_max = data.x_flat().iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if y_max == 0.0 || x_max == 0.0 {
        return false;
    }
    let mut u = vec![0.0; data.d()];
    for k in (0..data.n()).filter(|&k| keep(data.y()[k])) {
        for (o, x) in u.iter_mut().zip(data.x(k)) {
            *o += (data.y()[k] / y_max) * (x / x_max) / data.n() as f64;
        }
    }
    let big = u.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let norm_u = big * u.iter().map(|v| (v / big) * (v / big)).sum::<f64>().sqrt();
    norm_u.ln() + y_max.ln() + x_max.ln() > f64::MAX.ln() - 1e-12
}

pub(crate) fn check_report(r: &SimulateReport, args: &SimulateArgs) -> Result<(), TestCaseError> {
    let data = load_data(&args.data).unwrap();
    for (name, v) in [
        ("final_loss", r.final_loss),
        ("time", r.time),
        ("param_norm_sq", r.param_norm_sq),
        ("balancedness_drift", r.balancedness_drift),
    ] {
        prop_assert!(v.is_finite() && v >= 0.0, "{} = {}", name, v);
    }
    // |D+-| are finite unless their true value is beyond f64 (then +inf, never NaN)
    for (name, v, positive) in [("d_plus_norm", r.d_plus_norm, true), ("d_minus_norm", r.d_minus_norm, false)] {
        prop_assert!(v >= 0.0 && (v.is_finite() || d_norm_overflows(&data, positive)), "{} = {}", name, v);
    }
    prop_assert!(r.min_norm_sq.is_none_or(f64::is_finite), "min_norm_sq = {:?}", r.min_norm_sq);
    prop_assert!(finite_slice(&r.predictions), "predictions {:?}", r.predictions);
    prop_assert!(finite_params(&r.initial) && finite_params(&r.final_params));
    // the loss agrees with one recomputed from the reported final parameters and the same model
    let activation = args.leaky.map_or(Activation::Relu, |slope| Activation::Leaky { slope });
    let model = Model { activation, relu_prime_at_zero: args.relu_prime_at_zero }.validate().unwrap();
    let scaled = ScaledParams::from_params(&r.final_params);
    let again = recomputed_loss(model, &scaled, &data);
    let method = if r.method == reluflow::cli::simulate::Method::Flow { "flow" } else { "gd" };
    prop_assert!(
        loss_agrees(method, r.final_loss, again, &scaled, &data),
        "reported loss {:e}, recomputed {:e}",
        r.final_loss,
        again
    );
    // serde_json writes NaN and infinities as null: only the optional fields may be null
    let json = serde_json::to_value(r).unwrap();
    let mut nulls = Vec::new();
    find_nulls(&json, "", &mut nulls);
    let optional = |p: &String| {
        p == ".lambda"
            || p == ".loss_target"
            || p == ".loss_target_reached"
            || p == ".step_cap"
            || p == ".min_norm_sq"
            || (p == ".d_plus_norm" && r.d_plus_norm.is_infinite())
            || (p == ".d_minus_norm" && r.d_minus_norm.is_infinite())
    };
    prop_assert!(nulls.iter().all(optional), "null at {:?} in {}", nulls, json);
    Ok(())
}

/// A dataset of arbitrary finite values, or arbitrarily scaled standard-basis inputs (orthogonal,
/// so that the closed forms of Proposition 1 and Figure 1 are reached at every magnitude).
pub(crate) fn theory_dataset() -> impl Strategy<Value = Dataset> {
    let general = (1usize..=4, 1usize..=4).prop_flat_map(|(n, d)| {
        (prop::collection::vec(prop::collection::vec(finite_f64(), d), n), prop::collection::vec(finite_f64(), n))
            .prop_map(|(x, y)| Dataset::new(x, y).unwrap())
    });
    let scaled_basis = (1usize..=4).prop_flat_map(|n| {
        (prop::collection::vec(finite_f64(), n), prop::collection::vec(finite_f64(), n)).prop_map(move |(s, y)| {
            let x = (0..n).map(|k| (0..n).map(|i| if i == k { s[k] } else { 0.0 }).collect()).collect();
            Dataset::new(x, y).unwrap()
        })
    });
    prop_oneof![general, scaled_basis]
}

/// GD runs are bounded: at most `MAX_GD_STEPS` steps, whatever the horizon says.
pub(crate) const MAX_GD_STEPS: u64 = 2000;

/// The paths of the `null`s in a JSON value.
pub(crate) fn find_nulls(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Null => out.push(path.to_string()),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, x)| find_nulls(x, &format!("{path}[{i}]"), out))
        }
        serde_json::Value::Object(map) => map.iter().for_each(|(k, x)| find_nulls(x, &format!("{path}.{k}"), out)),
        _ => {}
    }
}

//! Robustness (issue 6): arbitrary finite and non-finite numbers fed to every public constructor,
//! validator, closed form and run configuration, and to `simulate` through clap (no panic; `Ok`
//! carries finite numbers whose loss agrees with a recomputation, `Err` is a typed error whose
//! claim is true of the input); numerical faults at the extremes (lambda = 1e-300 and 1e3, an
//! activation boundary hit exactly at initialisation, neurons exactly at zero, horizons of 1e6,
//! 10^7 GD steps, steps so large that GD diverges); byte-identical output of `verify --json`,
//! `timeline --json` and `reproduce toy` across runs, processes, threads and rayon pool sizes.
//!
//! The bad-input cases through the binary are in `tests/cli.rs`; this file does not repeat them.
//! Proptest cases: `crate::common::config` (`PROPTEST_CASES=10000` for the deep run), failures
//! persisted to `proptest-regressions/robustness.txt`.

use crate::common::{TIMELINE_JSON, config};
use clap::Parser;
use proptest::prelude::*;
use proptest::sample::select;
use reluflow::cli::simulate::{SimulateArgs, SimulateReport, load_data, simulate};
use reluflow::cli::{Cli, CliError, Command};
use reluflow::data::generate::{LabelSpec, random_orthonormal, toy};
use reluflow::data::io::{load_csv_str, load_json_str};
use reluflow::data::{DataError, Dataset};
use reluflow::init::{InitError, InitKind, InitSpec, MAX_WIDTH};
use reluflow::network::{Activation, Class, Model, ModelError, ValidModel};
use reluflow::params::{Params, ParamsError, ScaledParams};
use reluflow::solver::flow::{FlowConfig, run_flow};
use reluflow::solver::gd::{GdConfig, run_gd};
use reluflow::solver::{NoObserver, Run, SimulationError, StopReason, StopRule};
use reluflow::theory::{self, TheoryError};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
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
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => select(SPECIAL.to_vec()),
        3 => any::<u64>().prop_map(f64::from_bits),
        3 => (-4096i32..=4096).prop_map(|i| f64::from(i) / 16.0),
    ]
}

/// Any finite `f64` (same mixture, non-finite values replaced by their index in `SPECIAL`).
fn finite_f64() -> impl Strategy<Value = f64> {
    any_f64().prop_map(|v| if v.is_finite() { v } else { 3.0 })
}

/// A value that is usually in a sensible range for `what`, sometimes anything.
fn mostly(sensible: impl Strategy<Value = f64> + 'static) -> impl Strategy<Value = f64> {
    prop_oneof![3 => sensible, 2 => any_f64()]
}

/// Text for a float on a command line (`NaN`, `inf`, `-inf` parse back as `f64`).
fn arg(v: f64) -> String {
    format!("{v:?}")
}

fn finite_slice(v: &[f64]) -> bool {
    v.iter().all(|x| x.is_finite())
}

fn finite_params(p: &Params) -> bool {
    finite_slice(&p.a) && p.w.iter().all(|r| finite_slice(r))
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// A file `reluflow-robustness-<what>-<pid>-<thread>.<ext>` in the temp dir, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(what: &str, ext: &str) -> Self {
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
fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
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
fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + abs
}

/// Whether a run's reported loss agrees with [`recomputed_loss`] of its final parameters. Compared
/// as residual norms `sqrt(L)`: each residual `h(x_k) - y_k` is a sum of terms
/// `a_j act(<w_j, x_k>)` of size up to `|theta|^2 |x_k| / 2`, summed in another order by the two
/// codes, so the difference is up to rounding of that scale (gradient descent). The flow keeps
/// classes fixed inside a step: a `Zero` coordinate within `1e-9 |w_j| |x_k|` of 0 counts as 0
/// (Lemma 6), which moves a residual by up to `1e-9` of the same scale.
fn loss_agrees(method: &str, reported: f64, recomputed: f64, params: &ScaledParams, data: &Dataset) -> bool {
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
fn recomputed_loss(model: ValidModel, params: &ScaledParams, data: &Dataset) -> f64 {
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

fn relu() -> ValidModel {
    Model::relu().validate().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Dataset constructors
// ---------------------------------------------------------------------------------------------

/// Why `Dataset::new(rows, y)` must fail, if it must (any of the reasons; `None` if it must succeed).
fn dataset_must_fail(rows: &[Vec<f64>], y: &[f64]) -> bool {
    rows.is_empty()
        || y.len() != rows.len()
        || rows[0].is_empty()
        || rows.iter().any(|r| r.len() != rows[0].len())
        || rows.iter().flatten().chain(y).any(|v| !v.is_finite())
}

/// The error's claim is true of the input.
fn dataset_error_is_true(e: &DataError, rows: &[Vec<f64>], y: &[f64]) -> bool {
    match e {
        DataError::Empty => rows.is_empty(),
        DataError::ZeroDimension => rows.first().is_some_and(|r| r.is_empty()),
        DataError::LabelCount { points, labels } => *points == rows.len() && *labels == y.len() && points != labels,
        DataError::Ragged { row, len, expected } => {
            rows.get(*row).is_some_and(|r| r.len() == *len) && rows[0].len() == *expected && len != expected
        }
        DataError::NonFinite { what: "x", row, col: Some(c), value } => {
            rows.get(*row).and_then(|r| r.get(*c)).is_some_and(|v| v.to_bits() == value.to_bits() && !v.is_finite())
        }
        DataError::NonFinite { what: "y", row, col: None, value } => {
            y.get(*row).is_some_and(|v| v.to_bits() == value.to_bits() && !v.is_finite())
        }
        _ => false,
    }
}

fn check_dataset(
    got: Result<Dataset, DataError>,
    rows: &[Vec<f64>],
    y: &[f64],
) -> Result<Option<Dataset>, TestCaseError> {
    let must_fail = dataset_must_fail(rows, y);
    match got {
        Ok(data) => {
            prop_assert!(!must_fail, "accepted {:?} / {:?}", rows, y);
            prop_assert_eq!((data.n(), data.d()), (rows.len(), rows[0].len()));
            for (k, r) in rows.iter().enumerate() {
                prop_assert_eq!(bits(data.x(k)), bits(r), "row {} changed", k);
            }
            prop_assert_eq!(bits(data.y()), bits(y));
            Ok(Some(data))
        }
        Err(e) => {
            prop_assert!(must_fail, "rejected valid input {:?} / {:?}: {}", rows, y, e);
            prop_assert!(dataset_error_is_true(&e, rows, y), "untrue error {:?} for {:?} / {:?}", e, rows, y);
            prop_assert!(!e.to_string().is_empty());
            Ok(None)
        }
    }
}

fn rows_strategy() -> impl Strategy<Value = Vec<Vec<f64>>> {
    prop_oneof![
        // rectangular
        (0usize..=4, 0usize..=4).prop_flat_map(|(n, d)| prop::collection::vec(prop::collection::vec(any_f64(), d), n)),
        // ragged
        prop::collection::vec(prop::collection::vec(any_f64(), 0..=4), 0..=4),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn dataset_new_accepts_exactly_rectangular_finite_input_and_keeps_its_bits(
        rows in rows_strategy(),
        y_extra in prop::collection::vec(any_f64(), 0..=5),
        same_count in any::<bool>(),
    ) {
        // usually one label per row (so the other checks are reached), sometimes any number
        let y: Vec<f64> =
            if same_count { (0..rows.len()).map(|k| *y_extra.get(k).unwrap_or(&1.0)).collect() } else { y_extra };
        let got = no_panic("Dataset::new", || Dataset::new(rows.clone(), y.clone()))?;
        if let Some(data) = check_dataset(got, &rows, &y)? {
            // with_labels validates like new
            let labels: Vec<f64> = y.iter().map(|v| -v).collect();
            let relabelled = no_panic("with_labels", || data.with_labels(labels.clone()))?;
            check_dataset(relabelled, &rows, &labels)?;
            let nan = no_panic("with_labels", || data.with_labels(vec![f64::NAN; data.n()]))?;
            prop_assert!(matches!(nan, Err(DataError::NonFinite { what: "y", row: 0, .. })), "{:?}", nan);
            let short = no_panic("with_labels", || data.with_labels(vec![1.0; data.n() + 1]))?;
            prop_assert!(matches!(short, Err(DataError::LabelCount { .. })), "{:?}", short);
        }
    }

    #[test]
    fn dataset_from_flat_never_panics_even_when_n_times_d_overflows(
        n in prop_oneof![0usize..=4, select(vec![usize::MAX, usize::MAX / 2 + 1, 1 << 32])],
        d in prop_oneof![0usize..=4, select(vec![usize::MAX, 2, 1 << 32])],
        x in prop::collection::vec(any_f64(), 0..=12),
        y in prop::collection::vec(any_f64(), 0..=4),
    ) {
        let got = no_panic("Dataset::from_flat", || Dataset::from_flat(n, d, x.clone(), y.clone()))?;
        let shape_ok = n >= 1 && d >= 1 && n.checked_mul(d) == Some(x.len());
        match got {
            Ok(data) => {
                prop_assert!(shape_ok && y.len() == n && finite_slice(&x) && finite_slice(&y));
                prop_assert_eq!(bits(data.x_flat()), bits(&x));
            }
            Err(DataError::FlatLength { n: en, d: ed, len }) => {
                prop_assert!(en == n && ed == d && len == x.len() && !shape_ok);
                let msg = DataError::FlatLength { n: en, d: ed, len }.to_string();
                prop_assert!(msg.contains(&format!("x has {len} values")), "{}", msg);
            }
            Err(e) => {
                let rows: Vec<Vec<f64>> = if shape_ok { x.chunks(d).map(<[f64]>::to_vec).collect() } else { vec![] };
                prop_assert!(n == 0 || d == 0 || shape_ok, "{:?}", e);
                prop_assert!(
                    matches!(e, DataError::Empty | DataError::ZeroDimension) || dataset_error_is_true(&e, &rows, &y),
                    "untrue error {:?}", e
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Initialisation, model, parameters
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn init_spec_validates_exactly_positive_finite_lambda_and_draws_finite_balanced_neurons(
        width in prop_oneof![4 => 0usize..=8, 1 => select(vec![MAX_WIDTH, MAX_WIDTH + 1, usize::MAX])],
        lambda in any_f64(),
        seed in any::<u64>(),
        balanced in any::<bool>(),
        d in 1usize..=5,
    ) {
        let kind = if balanced { InitKind::Balanced } else { InitKind::Unbalanced };
        let spec = InitSpec { kind, width, lambda, seed };
        let got = no_panic("InitSpec::validate", || spec.validate())?;
        match got {
            Err(InitError::ZeroWidth) => prop_assert_eq!(width, 0),
            Err(InitError::TooWide(w)) => prop_assert!(w == width && width > MAX_WIDTH),
            Err(InitError::Lambda(l)) => {
                prop_assert!((1..=MAX_WIDTH).contains(&width) && !(lambda > 0.0 && lambda.is_finite()));
                prop_assert_eq!(l.to_bits(), lambda.to_bits());
            }
            Ok(valid) => {
                prop_assert!((1..=MAX_WIDTH).contains(&width) && lambda > 0.0 && lambda.is_finite());
                if width <= 8 {
                    let init = no_panic("draw", || valid.draw(d))?;
                    let p = &init.params;
                    prop_assert_eq!((p.m(), p.d()), (width, d));
                    prop_assert!(finite_slice(p.theta_hat()), "non-finite mantissas at lambda = {:e}", lambda);
                    prop_assert!(init.c.is_finite() && init.c_min.is_finite() && init.c_min <= init.c);
                    let plain = p.to_params();
                    // plain values overflow only when lambda |g_j| does (the scaled form is exact)
                    if lambda < 1e300 {
                        prop_assert!(finite_params(&plain), "lambda = {:e}: {:?}", lambda, plain);
                    }
                    for j in 0..width {
                        // ln|w_j| = ln(lambda) + ln|g_j| at every scale, subnormal lambda included
                        let ln_g = p.ln_norm_w(j) - lambda.ln();
                        prop_assert!(ln_g.is_finite() && ln_g > -40.0 && ln_g < 10.0, "ln|g_{}| = {}", j, ln_g);
                        if balanced {
                            prop_assert!(p.relative_imbalance(j).abs() < 1e-15, "neuron {}", j);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn model_validate_accepts_exactly_finite_slope_and_relu_prime(
        slope in any_f64(),
        sigma0 in any_f64(),
        leaky in any::<bool>(),
    ) {
        let activation = if leaky { Activation::Leaky { slope } } else { Activation::Relu };
        let got = no_panic("Model::validate", || Model { activation, relu_prime_at_zero: sigma0 }.validate())?;
        let slope_ok = !leaky || slope.is_finite();
        match got {
            Ok(m) => {
                prop_assert!(slope_ok && sigma0.is_finite());
                prop_assert_eq!(m.negative_slope().to_bits(), if leaky { slope.to_bits() } else { 0f64.to_bits() });
            }
            Err(ModelError::Slope(s)) => prop_assert!(leaky && !slope.is_finite() && s.to_bits() == slope.to_bits()),
            Err(ModelError::Sigma0(s)) => {
                prop_assert!(slope_ok && !sigma0.is_finite() && s.to_bits() == sigma0.to_bits())
            }
        }
    }

    #[test]
    fn scaled_params_from_weird_params_round_trip_or_are_rejected_with_the_entry(
        a in prop::collection::vec(any_f64(), 0..=4),
        w in prop::collection::vec(prop::collection::vec(any_f64(), 0..=3), 0..=4),
    ) {
        let p = Params { a: a.clone(), w: w.clone() };
        let got = no_panic("ScaledParams::try_from_params", || ScaledParams::try_from_params(&p))?;
        let d = w.first().map_or(0, Vec::len);
        let shape_ok = !a.is_empty() && a.len() == w.len() && d > 0 && w.iter().all(|r| r.len() == d);
        match got {
            Ok(s) => {
                prop_assert!(shape_ok && finite_params(&p));
                prop_assert_eq!((s.m(), s.d()), (a.len(), d));
                // exact, except entries more than 2^1000 times smaller than their neuron's largest,
                // which the shared exponent rounds (they change no representable output)
                let back = s.to_params();
                for j in 0..a.len() {
                    let big = w[j].iter().chain([&a[j]]).fold(0.0f64, |acc, v| acc.max(v.abs()));
                    for (got, want) in w[j].iter().chain([&a[j]]).zip(back.w[j].iter().chain([&back.a[j]])) {
                        prop_assert!(
                            got.to_bits() == want.to_bits() || got.abs() < big * 2f64.powi(-1000),
                            "neuron {}: {} became {}", j, got, want
                        );
                    }
                }
                let n2 = s.norm_sq();
                prop_assert!(n2 >= 0.0 && !n2.is_nan());
                // the infallible constructor agrees on valid input
                prop_assert_eq!(ScaledParams::from_params(&p), s);
            }
            Err(ParamsError::NoNeurons) => prop_assert!(a.is_empty()),
            Err(ParamsError::Count { a: na, w: nw }) => prop_assert!(na == a.len() && nw == w.len() && na != nw),
            Err(ParamsError::ZeroDimension) => prop_assert!(a.len() == w.len() && d == 0),
            Err(ParamsError::Row { row, len, expected }) => {
                prop_assert!(a.len() == w.len() && w[row].len() == len && expected == d && len != d);
                prop_assert!(w[..row].iter().all(|r| r.len() == d), "not the first ragged row");
            }
            Err(ParamsError::NonFinite { what, index, value }) => {
                prop_assert!(shape_ok);
                let v = match (what, index) {
                    ("a", (j, None)) => a[j],
                    ("w", (j, Some(i))) => w[j][i],
                    other => return Err(TestCaseError::fail(format!("unexpected location {other:?}"))),
                };
                prop_assert!(!v.is_finite() && v.to_bits() == value.to_bits());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Closed forms of the paper
// ---------------------------------------------------------------------------------------------

/// A dataset of arbitrary finite values, or arbitrarily scaled standard-basis inputs (orthogonal,
/// so that the closed forms of Proposition 1 and Figure 1 are reached at every magnitude).
fn theory_dataset() -> impl Strategy<Value = Dataset> {
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

/// A finite result.
fn sane(name: &str, v: f64) -> Result<(), TestCaseError> {
    prop_assert!(v.is_finite(), "{} = {}", name, v);
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn closed_forms_return_finite_numbers_or_none_or_a_typed_error(
        data in theory_dataset(),
        lambda in mostly((1i32..=300).prop_map(|e| 10f64.powi(-e))),
        eps in mostly((1u32..=99).prop_map(|k| f64::from(k) / 100.0)),
    ) {
        let label = format!("x = {:?}, y = {:?}", data.rows(), data.y());
        no_panic("closed forms", || {
            let _ = theory::check_orthogonal(&data);
            let _ = (theory::d_plus(&data), theory::d_minus(&data), theory::r(&data), theory::needs_label_flip(&data));
            let _ = (theory::alpha_as_printed(&data), theory::beta_as_printed(&data), theory::plateau_loss(&data));
            let _ = data.assumptions().problems();
        })?;
        if let Some(min) = theory::min_norm_sq(&data) {
            prop_assert!(min.is_finite() && min >= 0.0, "min_norm_sq = {} for {}", min, label);
        }
        for (name, v) in [("alpha", theory::alpha(&data)), ("beta", theory::beta(&data))] {
            if let Some(v) = v {
                // 0 only when min y^2 / sum y^2 itself underflows (a ratio below ~1e-308)
                prop_assert!((0.0..=0.5).contains(&v), "{} = {} for {}", name, v, label);
            }
        }
        if let Some(e) = theory::epsilon_max(&data) {
            prop_assert!((0.0..1.0).contains(&e), "epsilon_max = {} for {}", e, label);
            let slacks = theory::b2_slacks(&data, e).unwrap();
            prop_assert!(slacks.iter().all(|s| *s >= -1e-12), "slacks {:?} at epsilon_max for {}", slacks, label);
        }
        match theory::phase_times(&data, lambda, eps) {
            Ok(t) => {
                prop_assert!(lambda > 0.0 && lambda < 1.0 && eps > 0.0 && eps < 1.0);
                for (name, v) in [
                    ("ln_lambda", t.ln_lambda), ("d_plus_norm", t.d_plus_norm), ("d_minus_norm", t.d_minus_norm),
                    ("r", t.r), ("epsilon_max", t.epsilon_max), ("t_plus_1", t.t_plus_1), ("t_minus_1", t.t_minus_1),
                    ("t2_bound", t.t2_bound), ("plateau_end", t.plateau_end), ("t3_bound", t.t3_bound),
                    ("time_scale_minus", t.time_scale_minus), ("plateau_duration", t.plateau_duration),
                    ("plateau_loss", t.plateau_loss),
                ] {
                    sane(name, v).map_err(|e| TestCaseError::fail(format!("{e} for {label}")))?;
                }
                // (a tiny eps can make the first times underflow to 0)
                prop_assert!(t.t_plus_1 >= 0.0 && t.t_plus_1 <= t.t_minus_1 && t.t_minus_1 <= t.t3_bound, "{:?}", t);
                prop_assert!(t.r > 1.0);
            }
            Err(e) => {
                let ok = match e {
                    TheoryError::InvalidLambda { lambda: l } => {
                        l.to_bits() == lambda.to_bits() && !(lambda > 0.0 && lambda < 1.0)
                    }
                    TheoryError::InvalidEpsilon { eps: v } => v.to_bits() == eps.to_bits() && !(eps > 0.0 && eps < 1.0),
                    TheoryError::NoLabelsOfSign { .. } => theory::n_plus(&data) == 0 || theory::n_minus(&data) == 0,
                    TheoryError::RatioNotAboveOne { r } => !(r > 1.0),
                    TheoryError::NotRepresentable { value, .. } => !(value > 0.0 && value.is_finite()),
                    _ => false,
                };
                prop_assert!(ok, "untrue error {:?} for {}", e, label);
            }
        }
        let m = 3;
        let shares = [(0usize, 1.0), (1, 2.0)];
        match theory::theta_star(&data, m, &shares[..1], &shares[1..]) {
            Ok(p) => {
                prop_assert!(finite_params(&p), "theta_star = {:?} for {}", p, label);
                // min_norm_sq is None only when |theta_star|^2 itself overflows
                let min = theory::min_norm_sq(&data);
                prop_assert!(
                    min.is_some() || !p.norm_sq().is_finite(),
                    "theta_star exists but min_norm_sq is None for {}", label
                );
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn phase_times_ln_and_log_space_bounds_are_finite_for_every_valid_argument(
        data in theory_dataset(),
        ln_lambda in mostly((1i32..=100_000).prop_map(|k| -f64::from(k) / 10.0)),
        eps in mostly((1u32..=99).prop_map(|k| f64::from(k) / 100.0)),
        c in mostly((1u32..=1000).prop_map(|k| f64::from(k) / 100.0)),
    ) {
        match theory::phase_times_ln(&data, ln_lambda, eps) {
            Ok(t) => {
                prop_assert!(ln_lambda.is_finite() && ln_lambda < 0.0 && eps > 0.0 && eps < 1.0);
                for v in [t.t_plus_1, t.t_minus_1, t.t2_bound, t.plateau_end, t.t3_bound, t.plateau_duration] {
                    prop_assert!(v.is_finite() && v >= 0.0, "{:?}", t);
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let valid = ln_lambda.is_finite() && ln_lambda < 0.0 && eps > 0.0 && eps < 1.0 && c > 0.0 && c.is_finite();
        if valid && ln_lambda > -1e6 {
            for v in [
                theory::ln_lemma7_norm_bound(c, ln_lambda, eps),
                theory::ln_lemma8_norm_bound(c, ln_lambda, eps, 2.0),
                theory::ln_lemma9_lower_bound(c, ln_lambda, eps),
                theory::ln_lemma9_lower_bound_minus(c, ln_lambda, eps, 2.0),
                theory::ln_lemma3_alignment_gap(ln_lambda, eps),
                theory::ln_lemma4_other_norm_bound(c, ln_lambda, eps),
                theory::ln_lemma12_distance_bound(ln_lambda, eps),
                theory::lemma7_alignment_bound_ln(1.0, ln_lambda, eps),
            ] {
                prop_assert!(v.is_finite(), "ln bound {} at ln(lambda) = {}, eps = {}, c = {}", v, ln_lambda, eps, c);
            }
        }
    }
}

#[test]
fn orthogonality_test_does_not_overflow_into_a_false_orthogonal() {
    // <x_0, x_1> = 2e400 overflows to inf and |x_0| |x_1| too: inf > 1e-10 * inf is false, which
    // used to pass these parallel inputs as orthogonal (and give a closed-form minimum).
    let data = Dataset::new(vec![vec![1e200, 1e200], vec![1e200, 1e200]], vec![1.0, -1.0]).unwrap();
    match theory::check_orthogonal(&data) {
        Err(TheoryError::NotOrthogonal { k: 0, l: 1, cosine }) => assert!((cosine - 1.0).abs() < 1e-12, "{cosine}"),
        other => panic!("parallel inputs passed as {other:?}"),
    }
    assert_eq!(theory::min_norm_sq(&data), None);
    // and underflowing products do not make orthogonal inputs look parallel, nor parallel ones orthogonal
    let tiny = Dataset::new(vec![vec![1e-200, 1e-200], vec![1e-200, 1e-200]], vec![1.0, -1.0]).unwrap();
    assert!(matches!(theory::check_orthogonal(&tiny), Err(TheoryError::NotOrthogonal { .. })));
    let tiny_orth = Dataset::new(vec![vec![1e-200, 1e-200], vec![1e-200, -1e-200]], vec![1.0, -1.0]).unwrap();
    assert_eq!(theory::check_orthogonal(&tiny_orth), Ok(()));
}

#[test]
fn closed_forms_at_the_ends_of_the_f64_range_are_finite_or_typed_errors() {
    // alpha = min y^2 / (2 sum y^2): y^2 overflowed to inf / inf = NaN (and 0 / 0 for tiny labels)
    let basis3 = |y: [f64; 3]| basis(&y);
    for scale in [1e200, 1e-200] {
        let data = basis3([scale, 2.0 * scale, -scale]);
        assert_eq!(theory::alpha(&data), Some(0.1), "1 / (2 (1 + 4)) at scale {scale:e}");
        assert_eq!(theory::beta(&data), Some(0.5));
        let eps = theory::epsilon_max(&data).unwrap();
        assert!(eps > 0.0 && eps < 1.0, "{eps}");
    }
    // y_k x_k overflowing in opposite directions: inf - inf was NaN, the true D+ is 0
    let opposite = Dataset::new(vec![vec![f64::MAX], vec![-f64::MAX]], vec![2.0, 2.0]).unwrap();
    assert_eq!(theory::d_plus(&opposite), vec![0.0]);
    assert_eq!(theory::d_plus_norm(&opposite), 0.0);
    // a D+ beyond f64 is +inf, not NaN
    assert_eq!(theory::d_plus_norm(&Dataset::new(vec![vec![-f64::MAX]], vec![2.0]).unwrap()), f64::INFINITY);
    // r = 6e307: 3 r (1 - beta) overflowed, so epsilon_max was b / inf = 0 and its slack 0 x inf = NaN
    let huge_r =
        Dataset::new(vec![vec![0.0, -42.9375], vec![0.0, -57.25]], vec![-2.2250738585072014e-308, 1.0]).unwrap();
    let eps = theory::epsilon_max(&huge_r).unwrap();
    assert!(eps > 0.0 && eps < 1e-300, "{eps:e}");
    assert!(theory::b2_slacks(&huge_r, eps).unwrap().iter().all(|s| s.is_finite() && *s >= -1e-12));
    // the minimum norm of an interpolator beyond f64 is None, not inf
    let big = basis(&[f64::MAX, -f64::MAX]);
    assert_eq!(theory::min_norm_sq(&big), None);
    // |D-| = 0 although there is a negative label (its input is 0): the phase times were inf and
    // epsilon_max NaN inside an Ok
    let zero_input = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 0.0]], vec![2.0, -1.0]).unwrap();
    match theory::phase_times(&zero_input, 1e-6, 0.1) {
        Err(e @ TheoryError::NotRepresentable { what: "|D-|", value }) => {
            assert_eq!(value, 0.0);
            assert!(e.to_string().contains("|D-| = 0e0 is not a finite positive number"), "{e}");
        }
        other => panic!("expected NotRepresentable, got {other:?}"),
    }
    // a time beyond f64: ln(lambda) = -1e308 over |D-| = 0.5
    let data = basis(&[2.0, -1.0]);
    assert!(matches!(
        theory::phase_times_ln(&data, -1e308, 0.5),
        Err(TheoryError::NotRepresentable { what: "t_minus_1" | "t3_bound", .. })
    ));
    // theta_star with |v-| = 5e-324 / 3, below the smallest subnormal: w_j = 0 x inf was NaN
    let tiny = Dataset::new(vec![vec![3.0, 0.0], vec![0.0, 0.0625]], vec![-5e-324, 3.0]).unwrap();
    match theory::theta_star(&tiny, 3, &[(0, 1.0)], &[(1, 2.0)]) {
        Err(TheoryError::NotRepresentable { what: "|v-|", .. }) => {}
        other => panic!("expected NotRepresentable, got {other:?}"),
    }
}

#[test]
fn dataset_from_flat_and_params_constructors_reject_bad_shapes_with_a_message() {
    // n x d overflowing usize: a panic in debug builds, and in release a wrapped product that could
    // match x.len() (2^63 x 2 = 0) and report "the dataset is empty"
    for (n, d) in [(usize::MAX, 2), (1usize << 63, 2)] {
        let e = Dataset::from_flat(n, d, vec![], vec![]).unwrap_err();
        assert_eq!(e, DataError::FlatLength { n, d, len: 0 });
        assert!(e.to_string().contains(" overflows usize: give exactly n * d values"), "{e}");
    }
    let e = Dataset::from_flat(1, 2, vec![1.0, 2.0, 3.0, 4.0], vec![1.0]).unwrap_err();
    assert_eq!(e.to_string(), "x has 4 values but n x d = 1 x 2 = 2: give exactly n * d values, row by row");
    // ScaledParams::try_from_params: every shape problem and non-finite entry, by name
    let cases: [(Params, &str); 5] = [
        (Params { a: vec![], w: vec![] }, "no neurons (a is empty)"),
        (Params { a: vec![1.0, 2.0], w: vec![vec![1.0]] }, "2 entries in a but 1 rows in w"),
        (Params { a: vec![1.0], w: vec![vec![]] }, "the rows of w have 0 coordinates"),
        (
            Params { a: vec![1.0, 2.0, 3.0], w: vec![vec![1.0, 0.0], vec![1.0], vec![1.0, 0.0, 0.0]] },
            "w[1] has 1 coordinates but w[0] has 2",
        ),
        (Params { a: vec![1.0], w: vec![vec![0.0, f64::NEG_INFINITY]] }, "w[0][1] = -inf is not finite"),
    ];
    for (p, needle) in cases {
        let e = ScaledParams::try_from_params(&p).unwrap_err();
        assert!(e.to_string().contains(needle), "{e}");
    }
    // the infallible constructor refuses a shape that would shift values between neurons (the total
    // length 3 + 2 + 1 + 3 = 9 = m (d + 1) used to pass silently)
    let ragged = Params { a: vec![1.0, 2.0, 3.0], w: vec![vec![1.0, 0.0], vec![1.0], vec![1.0, 0.0, 0.0]] };
    let panic = catch_unwind(|| ScaledParams::from_params(&ragged)).unwrap_err();
    let msg = panic.downcast_ref::<String>().unwrap();
    assert!(msg.contains("use try_from_params"), "{msg}");
}

// ---------------------------------------------------------------------------------------------
// Run configurations (GdConfig, FlowConfig, StopRule)
// ---------------------------------------------------------------------------------------------

/// A small problem: the toy or random orthonormal data, and a balanced initialisation.
fn problem() -> impl Strategy<Value = (Dataset, ScaledParams)> {
    (
        any::<bool>(),
        1usize..=5,
        mostly((1i32..=300).prop_map(|e| 10f64.powi(-e))),
        any::<u64>(),
        (2usize..=3, 0usize..=2),
    )
        .prop_map(|(use_toy, m, lambda, seed, (n, extra))| {
            let data =
                if use_toy { toy() } else { random_orthonormal(n, n + extra, &LabelSpec::default(), seed).unwrap() };
            // invalid lambdas fall back to 1e-3 (InitSpec is tested above)
            let lambda = if lambda > 0.0 && lambda.is_finite() { lambda } else { 1e-3 };
            let init = InitSpec { kind: InitKind::Balanced, width: m, lambda, seed }.validate().unwrap().draw(data.d());
            (data, init.params)
        })
}

fn stop_rule() -> impl Strategy<Value = StopRule> {
    (
        prop::option::of(0u64..=40),
        prop::option::of(mostly((1u32..=1000).prop_map(|k| f64::from(k) / 100.0))),
        prop::option::of(mostly((1i32..=30).prop_map(|e| 10f64.powi(-e)))),
        prop_oneof![3 => Just(1e6), 1 => any_f64()],
    )
        .prop_map(|(max_steps, horizon, until_loss, divergence_factor)| StopRule {
            max_steps,
            horizon,
            until_loss,
            divergence_factor,
        })
}

/// Whether the stop rule is valid (`StopRule::validate`'s documented rules).
fn stop_rule_valid(s: &StopRule) -> bool {
    (s.max_steps.is_some() || s.horizon.is_some())
        && s.horizon.is_none_or(|t| t > 0.0 && t.is_finite())
        && s.until_loss.is_none_or(|l| l > 0.0 && l.is_finite())
        && s.divergence_factor > 1.0
}

/// Checks an `Ok` run: finite numbers, the loss recomputed from the final parameters, the stop
/// rule respected.
fn check_run(run: &Run, model: ValidModel, data: &Dataset, stop: &StopRule) -> Result<(), TestCaseError> {
    let s = &run.summary;
    prop_assert!(s.final_loss.is_finite() && s.final_loss >= 0.0, "{:?}", s);
    prop_assert!(s.time.is_finite() && s.time >= 0.0, "{:?}", s);
    prop_assert!(finite_slice(run.final_params.theta_hat()));
    let plain = run.final_params.to_params();
    prop_assert!(finite_params(&plain));
    prop_assert!(run.final_params.norm_sq().is_finite());
    let again = recomputed_loss(model, &run.final_params, data);
    prop_assert!(
        loss_agrees(s.method, s.final_loss, again, &run.final_params, data),
        "reported loss {:e}, recomputed {:e}",
        s.final_loss,
        again
    );
    if let Some(k) = stop.max_steps {
        prop_assert!(s.steps <= k, "{} steps > max {}", s.steps, k);
    }
    match s.stop_reason {
        StopReason::LossBelow => prop_assert!(stop.until_loss.is_some_and(|x| s.final_loss < x)),
        StopReason::MaxSteps => prop_assert_eq!(Some(s.steps), stop.max_steps),
        StopReason::Horizon => prop_assert!(stop.horizon.is_some_and(|t| s.time >= t)),
    }
    Ok(())
}

/// Checks an `Err` run: the error is one a run may end with, and its numbers are true.
fn check_run_error(e: &SimulationError, config_valid: bool, stop: &StopRule) -> Result<(), TestCaseError> {
    prop_assert!(!e.to_string().is_empty());
    match e {
        SimulationError::Config(msg) => prop_assert!(!config_valid, "valid configuration rejected: {}", msg),
        SimulationError::Diverged { step, value, bound, .. } => {
            prop_assert!(config_valid && value > bound, "{:?}", e);
            prop_assert!(stop.max_steps.is_none_or(|k| *step <= k), "{:?}", e);
        }
        SimulationError::NonFinite { step, .. } | SimulationError::Integrator { step, .. } => {
            prop_assert!(config_valid, "{:?}", e);
            prop_assert!(stop.max_steps.is_none_or(|k| *step <= k), "{:?}", e);
        }
        other => prop_assert!(false, "unexpected error {:?}", other),
    }
    Ok(())
}

/// `run_gd`'s documented limits on the run's length: a horizon alone needs at most 2^53 steps (the
/// first `k` with `k eta >= T`), and the length times the step is a finite time.
fn gd_length_valid(eta: f64, stop: &StopRule) -> bool {
    let horizon_steps = stop.horizon.map(|t| {
        let k = (t / eta).ceil();
        if k * eta < t { k + 1.0 } else { k }
    });
    if stop.max_steps.is_none() && horizon_steps.is_some_and(|k| k > 2f64.powi(53)) {
        return false;
    }
    let length = stop.max_steps.map_or(f64::INFINITY, |k| k as f64).min(horizon_steps.unwrap_or(f64::INFINITY));
    (length * eta).is_finite()
}

/// GD runs are bounded: at most `MAX_GD_STEPS` steps, whatever the horizon says.
const MAX_GD_STEPS: u64 = 2000;

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn run_gd_with_arbitrary_configuration_gives_finite_consistent_results_or_a_typed_error(
        (data, theta0) in problem(),
        step in mostly((1u32..=1000).prop_map(|k| f64::from(k) * 1e-3)),
        mut stop in stop_rule(),
    ) {
        // keep the run short: a valid horizon-only rule with many steps gets a cap
        if stop.max_steps.is_none() && stop.horizon.is_some_and(|t| t / step > MAX_GD_STEPS as f64) {
            stop.max_steps = Some(MAX_GD_STEPS);
        }
        let cfg = GdConfig { step, stop };
        let valid = step > 0.0 && step.is_finite() && stop_rule_valid(&stop) && gd_length_valid(step, &stop);
        let got = no_panic("run_gd", || run_gd(&data, relu(), &theta0, &cfg, &mut NoObserver))?;
        match got {
            Ok(run) => {
                prop_assert!(valid, "invalid configuration accepted: {:?}", cfg);
                check_run(&run, relu(), &data, &stop)?;
                prop_assert_eq!(run.summary.time.to_bits(), (run.summary.steps as f64 * step).to_bits());
            }
            Err(e) => check_run_error(&e, valid, &stop)?,
        }
    }

    #[test]
    fn run_flow_with_arbitrary_configuration_gives_finite_consistent_results_or_a_typed_error(
        (data, theta0) in problem(),
        rtol in mostly((3i32..=12).prop_map(|e| 10f64.powi(-e))),
        atol in prop_oneof![3 => Just(0.0), 1 => any_f64()],
        h_max in prop_oneof![3 => Just(f64::INFINITY), 1 => any_f64()],
        mut stop in stop_rule(),
    ) {
        // keep the run short: at most 40 accepted steps (the horizon alone may need many)
        stop.max_steps = Some(stop.max_steps.unwrap_or(40));
        let cfg = FlowConfig { rtol, atol, h_max, stop };
        let valid = rtol > 0.0
            && rtol < 1.0
            && atol >= 0.0
            && atol.is_finite()
            && h_max > 0.0
            && stop_rule_valid(&stop);
        let got = no_panic("run_flow", || run_flow(&data, relu(), &theta0, &cfg, &mut NoObserver))?;
        match got {
            Ok(run) => {
                prop_assert!(valid, "invalid configuration accepted: {:?}", cfg);
                // inside a step the classes are fixed: a coordinate within 1e-9 |w||x| of 0 counts as 0
                check_run(&run, relu(), &data, &stop)?;
                prop_assert!(stop.horizon.is_none_or(|t| run.summary.time <= t));
            }
            Err(e) => check_run_error(&e, valid, &stop)?,
        }
    }

    #[test]
    fn runs_from_weird_parameters_never_panic_and_never_return_non_finite_numbers(
        a in prop::collection::vec(any_f64(), 1..=3),
        w in prop::collection::vec(any_f64(), 6),
        gd in any::<bool>(),
    ) {
        // d = 2 (the toy); the infallible constructor keeps non-finite values, the run must catch them
        let m = a.len();
        let p = Params { a, w: w.chunks(2).take(m).map(<[f64]>::to_vec).collect() };
        let theta0 = ScaledParams::from_params(&p);
        let data = toy();
        let stop = StopRule { max_steps: Some(20), horizon: Some(1.0), ..Default::default() };
        let got = no_panic("run", || {
            if gd {
                run_gd(&data, relu(), &theta0, &GdConfig { step: 1e-2, stop }, &mut NoObserver)
            } else {
                run_flow(&data, relu(), &theta0, &FlowConfig { stop, ..Default::default() }, &mut NoObserver)
            }
        })?;
        match got {
            Ok(run) => {
                prop_assert!(finite_params(&p), "non-finite start {:?} accepted", p);
                check_run(&run, relu(), &data, &stop)?;
            }
            Err(e) => check_run_error(&e, true, &stop)?,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `simulate` through clap
// ---------------------------------------------------------------------------------------------

/// Parses `reluflow simulate <args>` as the binary does.
fn parse_simulate(args: &[String]) -> Result<SimulateArgs, clap::Error> {
    let cli = Cli::try_parse_from(["reluflow", "simulate"].into_iter().map(String::from).chain(args.iter().cloned()))?;
    match cli.command {
        Command::Simulate(a) => Ok(a),
        other => panic!("parsed {other:?}, not simulate"),
    }
}

#[derive(Debug, Clone)]
struct SimCase {
    data: Vec<String>,
    /// A dataset of arbitrary finite values, written to a file and given as `--data FILE`.
    file: Option<Dataset>,
    width: usize,
    lambda: f64,
    seed: u64,
    flow: bool,
    step: Option<f64>,
    steps: Option<u64>,
    horizon: Option<f64>,
    until_loss: Option<f64>,
    rtol: Option<f64>,
    leaky: Option<f64>,
    relu_prime: Option<f64>,
}

impl SimCase {
    fn args(&self) -> Vec<String> {
        let mut v = self.data.clone();
        v.push(format!("--width={}", self.width));
        v.push(format!("--lambda={}", arg(self.lambda)));
        v.push(format!("--seed={}", self.seed));
        v.push(format!("--method={}", if self.flow { "flow" } else { "gd" }));
        let mut opt = |name: &str, value: Option<String>| {
            if let Some(x) = value {
                v.push(format!("--{name}={x}"));
            }
        };
        opt("step", self.step.map(arg));
        opt("steps", self.steps.map(|k| k.to_string()));
        opt("horizon", self.horizon.map(arg));
        opt("until-loss", self.until_loss.map(arg));
        opt("rtol", self.rtol.map(arg));
        opt("leaky", self.leaky.map(arg));
        opt("relu-prime-at-zero", self.relu_prime.map(arg));
        v
    }
}

fn sim_case() -> impl Strategy<Value = SimCase> {
    let data = prop_oneof![
        2 => Just(vec!["--data=toy".to_string()]),
        2 => (1usize..=3, 1usize..=4, any::<u64>()).prop_map(|(n, d, s)| vec![
            format!("--random-orthonormal={n},{d}"),
            format!("--data-seed={s}"),
        ]),
    ];
    let file = prop_oneof![3 => Just(None), 1 => theory_dataset().prop_map(Some)];
    let small = |lo: i32, hi: i32| mostly((lo..=hi).prop_map(|e| 10f64.powi(e)));
    (
        (
            data,
            file,
            prop_oneof![4 => 0usize..=6, 1 => select(vec![MAX_WIDTH + 1, usize::MAX])],
            small(-300, 3),
            any::<u64>(),
        ),
        (any::<bool>(), prop::option::of(small(-6, 2)), prop::option::of(0u64..=30), prop::option::of(small(-3, 2))),
        (prop::option::of(small(-30, 0)), prop::option::of(small(-12, -1))),
        (prop::option::of(any_f64()), prop::option::of(any_f64())),
    )
        .prop_map(
            |(
                (data, file, width, lambda, seed),
                (flow, step, steps, horizon),
                (until_loss, rtol),
                (leaky, relu_prime),
            )| {
                SimCase {
                    data,
                    file,
                    width,
                    lambda,
                    seed,
                    flow,
                    step,
                    steps,
                    horizon,
                    until_loss,
                    rtol,
                    leaky,
                    relu_prime,
                }
            },
        )
}

/// Whether `|D+|` (or `|D-|`) is beyond the `f64` range, computed in log space.
fn d_norm_overflows(data: &Dataset, positive: bool) -> bool {
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

fn check_report(r: &SimulateReport, args: &SimulateArgs) -> Result<(), TestCaseError> {
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

/// The paths of the `null`s in a JSON value.
fn find_nulls(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Null => out.push(path.to_string()),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, x)| find_nulls(x, &format!("{path}[{i}]"), out))
        }
        serde_json::Value::Object(map) => map.iter().for_each(|(k, x)| find_nulls(x, &format!("{path}.{k}"), out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn simulate_with_arbitrary_flag_values_reports_finite_numbers_or_a_typed_error(case in sim_case()) {
        let mut case = case;
        // keep runs short: GD at most 2000 steps, the flow at most 30 accepted steps
        if case.flow {
            case.steps = Some(case.steps.unwrap_or(30));
        } else if case.steps.is_none() {
            if let (Some(t), Some(eta)) = (case.horizon, case.step) {
                if t / eta > MAX_GD_STEPS as f64 {
                    case.steps = Some(MAX_GD_STEPS);
                }
            }
        }
        // a data file (removed at the end of the case) replaces --data toy / --random-orthonormal
        let file = TempFile::new("sim", "json");
        if let Some(data) = &case.file {
            std::fs::write(&file.0, reluflow::data::io::to_json_string(data)).unwrap();
            case.data = vec![format!("--data={}", file.0.display())];
        }
        let argv = case.args();
        let args = match no_panic("clap", || parse_simulate(&argv))? {
            Ok(a) => a,
            Err(e) => {
                // clap refuses only what it cannot parse; it never panics
                prop_assert!(!e.to_string().is_empty());
                return Ok(());
            }
        };
        match no_panic("simulate", || simulate(&args))? {
            Ok(r) => check_report(&r, &args).map_err(|e| TestCaseError::fail(format!("{argv:?}: {e}")))?,
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(!msg.is_empty() && !msg.contains("panicked"), "{}", msg);
                prop_assert!(
                    matches!(
                        e,
                        CliError::Usage(_)
                            | CliError::Init(_)
                            | CliError::Model(_)
                            | CliError::Data(_)
                            | CliError::Simulation(
                                SimulationError::Config(_)
                                    | SimulationError::NonFinite { .. }
                                    | SimulationError::Diverged { .. }
                                    | SimulationError::Integrator { .. }
                                    | SimulationError::SlidingMode { .. }
                                    | SimulationError::InputOutOfRange { .. }
                            )
                    ),
                    "{:?}: unexpected error {:?}", argv, e
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Data-file parsers at high case counts
// ---------------------------------------------------------------------------------------------

/// A number as a file may spell it (non-finite spellings included).
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => finite_f64().prop_map(|v| format!("{v:?}")),
        1 => select(vec![
            "NaN", "nan", "inf", "-inf", "Infinity", "1e999", "-1e999", "1e-999", "-0", "0e0", "1.", ".5", "+1", "0x10",
            "1e", "--1", "",
        ])
            .prop_map(String::from),
    ]
}

/// A dataset text (JSON or CSV) made of those numbers, then mutated by a few byte edits.
fn near_valid_file() -> impl Strategy<Value = (bool, String)> {
    (
        any::<bool>(),
        (1usize..=3, 1usize..=3).prop_flat_map(|(n, d)| (Just(d), prop::collection::vec(number_text(), n * (d + 1)))),
        prop::collection::vec((any::<prop::sample::Index>(), 0u8..=3, any::<u8>()), 0..=3),
    )
        .prop_map(|(json, (d, numbers), edits)| {
            let rows: Vec<&[String]> = numbers.chunks(d + 1).collect();
            let mut text = if json {
                let xs: Vec<String> = rows.iter().map(|r| format!("[{}]", r[..d].join(", "))).collect();
                let ys: Vec<&str> = rows.iter().map(|r| r[d].as_str()).collect();
                format!("{{\"x\": [{}], \"y\": [{}]}}", xs.join(", "), ys.join(", "))
            } else {
                rows.iter().map(|r| r.join(",")).collect::<Vec<_>>().join("\n")
            }
            .into_bytes();
            for (at, kind, byte) in edits {
                if text.is_empty() {
                    break;
                }
                let i = at.index(text.len());
                match kind {
                    0 => {
                        text.remove(i);
                    }
                    1 => text.insert(i, byte),
                    2 => text[i] = byte,
                    _ => {
                        const STRUCTURE: &[u8] = b"[]{},:\"\n-.e0";
                        text.insert(i, STRUCTURE[usize::from(byte) % STRUCTURE.len()])
                    }
                }
            }
            (json, String::from_utf8_lossy(&text).into_owned())
        })
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn parsers_on_near_valid_files_never_panic_and_accept_only_finite_rectangular_data(
        (json, text) in near_valid_file()
    ) {
        let parse = || if json { load_json_str(&text, "p.json") } else { load_csv_str(&text, "p.csv") };
        let got = no_panic("parser", parse)?;
        match got {
            Ok(data) => {
                prop_assert!(finite_slice(data.x_flat()) && finite_slice(data.y()));
                prop_assert!(data.n() >= 1 && data.d() >= 1 && data.x_flat().len() == data.n() * data.d());
                // what was accepted round-trips bit for bit
                let again = if json {
                    load_json_str(&reluflow::data::io::to_json_string(&data), "again.json")
                } else {
                    load_csv_str(&reluflow::data::io::to_csv_string(&data), "again.csv")
                };
                prop_assert_eq!(again.as_ref(), Ok(&data));
            }
            Err(e) => {
                let msg = e.to_string();
                let file = if json { "p.json" } else { "p.csv" };
                prop_assert!(msg.contains(file), "the error does not name the file: {}", msg);
            }
        }
    }

    #[test]
    fn parsers_on_arbitrary_long_byte_strings_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        no_panic("parsers", || {
            let _ = reluflow::data::io::load_json_bytes(&bytes, "f.json");
            let _ = reluflow::data::io::load_csv_bytes(&bytes, "f.csv");
        })?;
    }

    #[test]
    fn params_files_never_panic_and_give_finite_parameters_or_name_the_file(
        text in "[-0-9.,eE{}\\[\\]\"aw: \n]{0,80}"
    ) {
        let file = TempFile::new("params", "json");
        let path = &file.0;
        std::fs::write(path, &text).unwrap();
        let got = no_panic("load_params", || reluflow::cli::simulate::load_params(path, 2))?;
        match got {
            Ok(p) => {
                prop_assert!(finite_params(&p) && !p.a.is_empty() && p.w.iter().all(|r| r.len() == 2));
                prop_assert!(ScaledParams::try_from_params(&p).is_ok());
            }
            Err(e) => prop_assert!(e.to_string().contains(&path.display().to_string())),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Numerical faults
// ---------------------------------------------------------------------------------------------

fn gd_cfg(step: f64, steps: u64) -> GdConfig {
    GdConfig { step, stop: StopRule { max_steps: Some(steps), ..Default::default() } }
}

fn flow_cfg(stop: StopRule) -> FlowConfig {
    FlowConfig { stop, ..Default::default() }
}

fn balanced(data: &Dataset, m: usize, lambda: f64, seed: u64) -> ScaledParams {
    InitSpec { kind: InitKind::Balanced, width: m, lambda, seed }.validate().unwrap().draw(data.d()).params
}

/// The first initialisation seed of width `m` at scale `lambda` on `data` that satisfies
/// Assumption 3 (the premise of the tests that need a run to reach zero loss at the minimum norm).
fn seed_with_assumption_3(data: &Dataset, m: usize, lambda: f64) -> u64 {
    (0..100)
        .find(|&s| reluflow::init::NeuronSets::of(&balanced(data, m, lambda, s), data).assumption_3())
        .expect("Assumption 3 holds for one of the first 100 seeds")
}

/// The standard basis of R^d with labels `y`.
fn basis(y: &[f64]) -> Dataset {
    let d = y.len();
    Dataset::new((0..d).map(|k| (0..d).map(|i| f64::from(u8::from(i == k))).collect()).collect(), y.to_vec()).unwrap()
}

/// An `Ok` run has finite numbers and the loss of its final parameters.
fn assert_sound(run: &Run, data: &Dataset) {
    let s = &run.summary;
    assert!(s.final_loss.is_finite() && s.time.is_finite(), "{s:?}");
    assert!(finite_slice(run.final_params.theta_hat()));
    let again = recomputed_loss(relu(), &run.final_params, data);
    assert!(
        loss_agrees(s.method, s.final_loss, again, &run.final_params, data),
        "reported loss {:e}, recomputed {:e}",
        s.final_loss,
        again
    );
}

#[test]
fn lambda_1e_minus_300_runs_a_few_steps_of_gd_and_flow_without_underflow() {
    let data = random_orthonormal(3, 4, &LabelSpec::default(), 5).unwrap();
    let theta0 = balanced(&data, 8, 1e-300, 1);
    // plain values are ~1e-300: normal, not zero; the products a_j <w_j, x_k> (1e-600) underflow in
    // plain units, so the loss is the loss at theta = 0 to the last bit
    let at_zero = theory::plateau_loss(&data) + data.y().iter().filter(|y| **y > 0.0).map(|y| y * y).sum::<f64>() / 6.0;
    for run in [
        run_gd(&data, relu(), &theta0, &gd_cfg(1e-2, 50), &mut NoObserver).unwrap(),
        run_flow(
            &data,
            relu(),
            &theta0,
            &flow_cfg(StopRule { max_steps: Some(50), ..Default::default() }),
            &mut NoObserver,
        )
        .unwrap(),
    ] {
        assert_sound(&run, &data);
        assert!(close(run.summary.final_loss, at_zero, 1e-12, 0.0), "{} vs {}", run.summary.final_loss, at_zero);
        for j in 0..8 {
            // every neuron is still there at full relative precision, and balanced (Lemma 1)
            let ln = run.final_params.ln_norm_w(j);
            assert!(ln.is_finite() && ln < -680.0, "ln|w_{j}| = {ln}");
            // Lemma 1: exact for the flow; GD changes it by eta^2 (|D_j|^2 - <D_j, w_j/|w_j|>^2)
            // relative per step (scale-free), here < 50 x 1e-4 x |D_j|^2
            let tol = if run.summary.method == "flow" { 1e-9 } else { 1e-2 };
            assert!(run.final_params.relative_imbalance(j).abs() < tol, "{}: neuron {j}", run.summary.method);
            assert!(run.final_params.norm_w(j) > 0.0, "neuron {j} underflowed to 0");
        }
    }
    // through the CLI
    for method in [&["--method", "gd", "--step", "1e-2", "--steps", "50"][..], &["--method", "flow", "--steps", "50"]] {
        let argv: Vec<String> = ["--random-orthonormal=3,4", "--data-seed=5", "--width=8", "--lambda=1e-300"]
            .iter()
            .chain(method)
            .map(|s| s.to_string())
            .collect();
        let args = parse_simulate(&argv).unwrap();
        let r = simulate(&args).unwrap();
        assert!(check_report(&r, &args).is_ok(), "{:?}", check_report(&r, &args));
        assert!(r.initial.w.iter().flatten().all(|v| *v != 0.0 && v.abs() < 1e-299), "initial w not ~1e-300");
    }
}

#[test]
fn lambda_1e3_gd_diverges_at_step_1_and_the_flow_is_correct_but_stiff() {
    let data = toy();
    // seed 1: the first seed whose first update overshoots without killing every neuron (on seed
    // 0 it kills all four: the loss falls to 0.5, a legitimate GD outcome, not a divergence)
    let theta0 = balanced(&data, 4, 1e3, 1);
    // GD with the usual step: the loss (~1e17 at theta_0) explodes on the first update
    match run_gd(&data, relu(), &theta0, &gd_cfg(1e-3, 100), &mut NoObserver) {
        Err(SimulationError::Diverged { step: 1, quantity: "loss", value, bound, .. }) => assert!(value > bound),
        other => panic!("expected a divergence at step 1, got {other:?}"),
    }
    let e = run_gd(&data, relu(), &theta0, &gd_cfg(1e-3, 100), &mut NoObserver).unwrap_err().to_string();
    assert!(e.contains("training diverged at step 1") && e.contains("lower the step"), "{e}");
    // GD with a step below the stability limit 2 / (largest Hessian eigenvalue ~ |theta|^2 |x|^2) works
    let l0 = recomputed_loss(relu(), &theta0, &data);
    let run = run_gd(&data, relu(), &theta0, &gd_cfg(1e-9, 200), &mut NoObserver).unwrap();
    assert_sound(&run, &data);
    assert!(run.summary.final_loss < l0, "{} !< {}", run.summary.final_loss, l0);
    // The flow is a descent flow: it cannot diverge. The explicit step follows the stiffness
    // (h ~ 1e-7 here, ~1e7 steps per unit time) until Hairer's stiffness test fires; ROS2 then
    // reaches the horizon within the step cap.
    let stop = StopRule { max_steps: Some(2000), horizon: Some(1.0), ..Default::default() };
    let run = run_flow(&data, relu(), &theta0, &flow_cfg(stop), &mut NoObserver).unwrap();
    assert_sound(&run, &data);
    assert_eq!(run.summary.stop_reason, StopReason::Horizon);
    assert_eq!(run.summary.flow.map(|f| f.integrator), Some(reluflow::solver::Integrator::Ros2));
    assert!(run.summary.final_loss < l0);
    for j in 0..4 {
        assert!(run.final_params.relative_imbalance(j).abs() < 1e-9, "Lemma 1, neuron {j}");
    }
}

/// `--init-from` a file: writes `p` as JSON and returns its path.
fn params_file(dir: &Path, name: &str, p: &Params) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(p).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

struct TempDir(PathBuf);
impl TempDir {
    fn new(test: &str) -> Self {
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

#[test]
fn activation_boundary_hit_exactly_at_initialisation_stays_exact_on_orthonormal_data() {
    // Standard basis e_0, e_1, e_2. Neuron 0 has g_0 = (0, 1, -1): <w_0, e_0> = 0 exactly.
    // relu'(0) = 0 gives D_0 no e_0 component, so w_0[0] stays exactly 0 under GD and the flow
    // (Lemma 6 / Proposition 2); the other neurons fit the labels.
    let data = basis(&[1.0, 2.0, -1.5]);
    let p = Params {
        a: vec![2f64.sqrt() * 1e-3, 0.3e-3, -0.2e-3, 0.5e-3],
        w: vec![
            vec![0.0, 1e-3, -1e-3],
            vec![0.2e-3, 0.1e-3, 0.0],
            vec![-0.1e-3, 0.0, 0.1e-3],
            vec![0.1e-3, 0.3e-3, 0.1e-3],
        ],
    };
    let theta0 = ScaledParams::try_from_params(&p).unwrap();
    let gd = run_gd(&data, relu(), &theta0, &gd_cfg(1e-2, 20_000), &mut NoObserver).unwrap();
    let flow = run_flow(
        &data,
        relu(),
        &theta0,
        &flow_cfg(StopRule { horizon: Some(200.0), ..Default::default() }),
        &mut NoObserver,
    )
    .unwrap();
    for (name, run) in [("gd", &gd), ("flow", &flow)] {
        assert_sound(run, &data);
        let w0 = run.final_params.to_params().w[0].clone();
        assert_eq!(w0[0].to_bits(), 0f64.to_bits(), "{name}: <w_0, e_0> left 0: {w0:?}");
        assert!(run.summary.final_loss < 1e-8, "{name}: loss {}", run.summary.final_loss);
    }
    // The same through the CLI with --init-from (flow and GD), and on the toy, whose inputs are
    // orthogonal but not unit-norm: w_0 = (2, 1) makes <w_0, x_0> = -1 + 1 = 0 exactly.
    let dir = TempDir::new("boundary_at_init");
    let data_file = dir.0.join("basis.json");
    std::fs::write(&data_file, reluflow::data::io::to_json_string(&data)).unwrap();
    let init = params_file(&dir.0, "init.json", &p);
    let toy_init = params_file(
        &dir.0,
        "toy_init.json",
        &Params { a: vec![5f64.sqrt() * 1e-3, -1e-3], w: vec![vec![2e-3, 1e-3], vec![-1e-3, 0.5e-3]] },
    );
    for (data_arg, init, m) in [(data_file.to_str().unwrap(), &init, 4), ("toy", &toy_init, 2)] {
        for method in
            [&["--method", "gd", "--step", "1e-2", "--steps", "5000"][..], &["--method", "flow", "--horizon", "100"]]
        {
            let argv: Vec<String> =
                ["--data", data_arg, "--init-from", init].iter().chain(method).map(|s| s.to_string()).collect();
            let args = parse_simulate(&argv).unwrap();
            let r = simulate(&args).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
            assert_eq!(r.m, m);
            check_report(&r, &args).unwrap();
        }
    }
}

#[test]
fn neurons_exactly_at_zero_stay_exactly_at_zero_and_an_all_zero_network_is_a_fixed_point() {
    let data = toy();
    // two live neurons (one active on both inputs, s = +1; one on x_0 only, s = -1) and two at
    // exactly (0, 0, 0)
    let p = Params {
        a: vec![2f64.sqrt() * 1e-3, 0.0, -(2f64.sqrt()) * 1e-3, 0.0],
        w: vec![vec![1e-3, 1e-3], vec![0.0, 0.0], vec![-1e-3, 1e-3], vec![-0.0, 0.0]],
    };
    let theta0 = ScaledParams::try_from_params(&p).unwrap();
    let gd = run_gd(&data, relu(), &theta0, &gd_cfg(2e-3, 20_000), &mut NoObserver).unwrap();
    let flow = run_flow(
        &data,
        relu(),
        &theta0,
        &flow_cfg(StopRule { horizon: Some(100.0), ..Default::default() }),
        &mut NoObserver,
    )
    .unwrap();
    for (name, run) in [("gd", &gd), ("flow", &flow)] {
        assert_sound(run, &data);
        let q = run.final_params.to_params();
        for j in [1, 3] {
            assert!(q.a[j] == 0.0 && q.w[j].iter().all(|v| *v == 0.0), "{name}: neuron {j} moved: {q:?}");
            assert_eq!(run.final_params.ln_norm_w(j), f64::NEG_INFINITY);
            assert_eq!(run.final_params.relative_imbalance(j), 0.0);
        }
        assert!(run.summary.final_loss < 1e-8, "{name}: the live neurons fit: loss {}", run.summary.final_loss);
    }
    // all neurons at zero: the gradient vanishes, the loss stays at 1/(2n) sum y^2 = 0.5, and the
    // flow reaches a long horizon in a handful of steps (the step size grows tenfold per step)
    let zero = ScaledParams::try_from_params(&Params { a: vec![0.0; 3], w: vec![vec![0.0, 0.0]; 3] }).unwrap();
    let gd = run_gd(&data, relu(), &zero, &gd_cfg(1e-2, 100), &mut NoObserver).unwrap();
    assert_eq!(gd.summary.final_loss, 0.5);
    assert_eq!(gd.final_params, zero);
    let flow = run_flow(
        &data,
        relu(),
        &zero,
        &flow_cfg(StopRule { horizon: Some(1e6), ..Default::default() }),
        &mut NoObserver,
    )
    .unwrap();
    assert_eq!((flow.summary.final_loss, flow.summary.time, flow.summary.stop_reason), (0.5, 1e6, StopReason::Horizon));
    assert!(flow.summary.steps < 50, "{} steps", flow.summary.steps);
    assert_eq!(flow.final_params, zero);
    // a dead neuron (a_j = 0, w_j = 0, as GD leaves them after an overshoot) stays dead even with
    // relu'(0) = 1 (claim P2's negative control): a_j = 0 and w_j = 0 make both parts of its
    // gradient vanish
    let mut p = balanced(&data, 4, 1e-6, seed_with_assumption_3(&data, 4, 1e-6)).to_params();
    p.a[1] = 0.0;
    p.w[1] = vec![0.0, 0.0];
    let p2 = Model { activation: Activation::Relu, relu_prime_at_zero: 1.0 }.validate().unwrap();
    let run = run_gd(&data, p2, &ScaledParams::from_params(&p), &gd_cfg(2e-3, 100), &mut NoObserver).unwrap();
    let end = run.final_params.to_params();
    assert!(end.a[1] == 0.0 && end.w[1] == vec![0.0, 0.0], "neuron 1 revived: {} {:?}", end.a[1], end.w[1]);
}

#[test]
fn flow_to_t_1e6_after_convergence_finishes_in_bounded_steps_at_the_minimum_norm() {
    // After convergence the explicit integrator's step is bounded by stability (h ~ 1.5 on the toy),
    // so the step count grows linearly with T (about 0.68 T) and the state does not drift.
    let data = toy();
    let theta0 = balanced(&data, 4, 1e-6, seed_with_assumption_3(&data, 4, 1e-6));
    let run = run_flow(
        &data,
        relu(),
        &theta0,
        &flow_cfg(StopRule { horizon: Some(1e6), ..Default::default() }),
        &mut NoObserver,
    )
    .unwrap();
    assert_sound(&run, &data);
    assert_eq!((run.summary.time, run.summary.stop_reason), (1e6, StopReason::Horizon));
    assert!(run.summary.steps < 1_000_000, "{} steps for T = 1e6", run.summary.steps);
    assert!(run.summary.final_loss < 1e-15, "loss {}", run.summary.final_loss);
    let min = theory::min_norm_sq(&data).unwrap();
    assert!((run.final_params.norm_sq() - min).abs() < 1e-6, "|theta|^2 {} vs {}", run.final_params.norm_sq(), min);
}

#[test]
fn ten_million_gd_steps_and_a_horizon_of_1e6_finish_without_drift() {
    let data = toy();
    let theta0 = balanced(&data, 4, 1e-6, seed_with_assumption_3(&data, 4, 1e-6));
    let min = theory::min_norm_sq(&data).unwrap();
    // 10^7 steps of 2e-3 (t = 2e4)
    let run = run_gd(&data, relu(), &theta0, &gd_cfg(2e-3, 10_000_000), &mut NoObserver).unwrap();
    assert_sound(&run, &data);
    assert_eq!(run.summary.steps, 10_000_000);
    assert!(run.summary.final_loss < 1e-25 && (run.final_params.norm_sq() - min).abs() < 1e-6);
    // a horizon: ceil(1e6 / 0.5) = 2e6 steps
    let cfg = GdConfig { step: 0.5, stop: StopRule { horizon: Some(1e6), ..Default::default() } };
    let run = run_gd(&data, relu(), &theta0, &cfg, &mut NoObserver).unwrap();
    assert_sound(&run, &data);
    assert_eq!((run.summary.steps, run.summary.time, run.summary.stop_reason), (2_000_000, 1e6, StopReason::Horizon));
}

#[test]
fn a_horizon_that_needs_more_gd_steps_than_can_be_counted_is_a_config_error() {
    // 1 / 1e-300 = 1e300 steps: ceil(..) as u64 used to saturate to 2^64 - 1 and run "forever"
    let data = toy();
    let theta0 = balanced(&data, 4, 1e-6, 1);
    let cfg = GdConfig { step: 1e-300, stop: StopRule { horizon: Some(1.0), ..Default::default() } };
    match run_gd(&data, relu(), &theta0, &cfg, &mut NoObserver) {
        Err(SimulationError::Config(msg)) => {
            assert!(msg.contains("horizon 1.0 / step 1e-300 = 1.000e300 steps") && msg.contains("--steps"), "{msg}")
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
    // with a step cap the same horizon is fine (the cap wins)
    let cfg =
        GdConfig { step: 1e-300, stop: StopRule { horizon: Some(1.0), max_steps: Some(10), ..Default::default() } };
    assert_eq!(run_gd(&data, relu(), &theta0, &cfg, &mut NoObserver).unwrap().summary.steps, 10);
}

#[test]
fn flow_from_a_non_finite_state_stops_at_step_0_like_gd() {
    // NaN at the start used to be integrated for one step and reported as non-finite "at step 1
    // (time 1e-6)"; gradient descent says step 0.
    let data = toy();
    let p = Params { a: vec![f64::NAN, 1.0], w: vec![vec![1.0, 0.0], vec![0.0, 1.0]] };
    let theta0 = ScaledParams::from_params(&p);
    let stop = StopRule { max_steps: Some(10), ..Default::default() };
    match run_flow(&data, relu(), &theta0, &flow_cfg(stop), &mut NoObserver) {
        Err(SimulationError::NonFinite { step: 0, time }) => assert_eq!(time, 0.0),
        other => panic!("expected a non-finite state at step 0, got {other:?}"),
    }
    // a finite state whose loss overflows (a = 0 times 4^959 = inf used to give NaN) is caught too
    let p = Params { a: vec![0.0, 1e300], w: vec![vec![1e300, 1e300], vec![1e300, 0.0]] };
    let theta0 = ScaledParams::from_params(&p);
    for result in [
        run_flow(&data, relu(), &theta0, &flow_cfg(stop), &mut NoObserver).map(|r| r.summary),
        run_gd(&data, relu(), &theta0, &gd_cfg(1e-3, 10), &mut NoObserver).map(|r| r.summary),
    ] {
        assert!(matches!(result, Err(SimulationError::NonFinite { step: 0, .. })), "{result:?}");
    }
}

#[test]
fn gd_steps_from_just_stable_to_absurd_either_converge_or_name_the_step_of_divergence() {
    let data = toy();
    let theta0 = balanced(&data, 20, 1e-3, 2);
    let mut outcomes = Vec::new();
    for step in [0.1, 0.5, 0.9, 1.5, 3.0, 10.0, 1e3, 1e10, 1e100, 1e300, 1e304] {
        match run_gd(&data, relu(), &theta0, &gd_cfg(step, 5000), &mut NoObserver) {
            Ok(run) => {
                // a legitimate GD outcome, reported truthfully: it interpolates, or it oscillates,
                // or a step kills every neuron and the loss sits at L(0) = 0.5
                assert_sound(&run, &data);
                outcomes.push(format!("{step:e}: loss {:.3e}", run.summary.final_loss));
            }
            Err(e @ (SimulationError::Diverged { step: k, .. } | SimulationError::NonFinite { step: k, .. })) => {
                assert!((1..=5000).contains(&k), "step {step}: {e}");
                let msg = e.to_string();
                assert!(msg.contains(&format!("at step {k}")), "{msg}");
                outcomes.push(format!("{step:e}: {msg}"));
            }
            Err(e) => panic!("step {step}: unexpected {e:?}"),
        }
    }
    println!("{}", outcomes.join("\n"));
    // f64::MAX x 5000 steps: the simulated time would be infinite, so the run does not start
    let e = run_gd(&data, relu(), &theta0, &gd_cfg(f64::MAX, 5000), &mut NoObserver).unwrap_err();
    assert!(matches!(&e, SimulationError::Config(m) if m.contains("overflows the simulated time")), "{e}");
    // 0.1 and 0.5 interpolate; 0.9 oscillates (loss ~1e-3); 1.5 kills the s = -1 neurons (loss 0.25 =
    // the plateau), 3 and 10 every neuron (loss 0.5 = L(0)); from 1e3 on the loss or the state blows up
    assert!(
        outcomes[..2].iter().all(|o| o.contains("e-3") && o.starts_with(|c: char| c.is_ascii_digit())),
        "{outcomes:#?}"
    );
    assert!(outcomes[..2].iter().all(|o| o.split("loss ").nth(1).is_some_and(|l| l.parse::<f64>().unwrap() < 1e-20)));
    assert!(outcomes[6..].iter().all(|o| o.contains("diverged") || o.contains("non-finite")), "{outcomes:#?}");
}

#[test]
fn flow_rejects_inputs_whose_squared_norm_leaves_f64_instead_of_reporting_a_wrong_loss() {
    // Found by the simulate proptest: with |x_0| = 1e300, |x_0| (computed as sqrt(sum x^2)) was inf,
    // so the activation band around 0 was infinite: <w_2, x_0> reached 0, entered `Zero` and never
    // left it, growing to 4e226 (0.18 |w_2| |x_0|). The run reported the loss 5.94 of h(x_0) = 0;
    // the loss of its final parameters was 2.85e307.
    let data = Dataset::new(vec![vec![1e300, 0.0], vec![139.625, -51.8125]], vec![0.0, -4.873259523060652]).unwrap();
    let theta0 = balanced(&data, 3, 1e-73, 11869228732718125850);
    let stop = StopRule { max_steps: Some(30), horizon: Some(1e-3), ..Default::default() };
    match run_flow(&data, relu(), &theta0, &flow_cfg(stop), &mut NoObserver) {
        Err(e @ SimulationError::InputOutOfRange { point: 0, norm_sq }) => {
            assert_eq!(norm_sq, f64::INFINITY);
            assert!(e.to_string().contains("input x_0 has |x_0|^2 = inf, outside the f64 range"), "{e}");
        }
        other => panic!("expected InputOutOfRange, got {:?}", other.map(|r| r.summary)),
    }
    // tiny inputs: |x_1|^2 = 1e-340 underflows
    let tiny = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1e-170]], vec![1.0, -1.0]).unwrap();
    let theta0 = balanced(&tiny, 3, 1e-3, 1);
    let e = run_flow(&tiny, relu(), &theta0, &flow_cfg(stop), &mut NoObserver).unwrap_err();
    assert!(matches!(e, SimulationError::InputOutOfRange { point: 1, norm_sq } if norm_sq == 0.0), "{e:?}");
    // a zero input is fine (it is never active), and gradient descent has no such limit
    let zero = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 0.0]], vec![1.0, 0.0]).unwrap();
    assert_sound(
        &run_flow(&zero, relu(), &balanced(&zero, 3, 1e-3, 1), &flow_cfg(stop), &mut NoObserver).unwrap(),
        &zero,
    );
    let run =
        run_gd(&data, relu(), &balanced(&data, 3, 1e-73, 11869228732718125850), &gd_cfg(1e-3, 3), &mut NoObserver);
    assert!(matches!(run, Ok(_) | Err(SimulationError::Diverged { .. } | SimulationError::NonFinite { .. })));
    if let Ok(run) = run {
        assert_sound(&run, &data);
    }
}

#[test]
fn flow_classes_agree_with_the_state_after_a_long_step_is_cut_at_an_event() {
    // Found by the flow proptest: with atol = 5 (far above |theta| ~ 1e-3) steps are long; the third
    // is cut where z_00 reaches 0 on the dense output, and there z_01, z_11 are already negative
    // (though positive again at the end of the attempted step). They stayed `Positive`, and the
    // reported loss (0.970925, with those classes) was not the loss of the state (0.971275).
    let x = vec![
        vec![0.05201130986382774, 0.8145711458028195, 0.4047403451524047, -0.4122546847249203],
        vec![-0.4111417293222685, -0.03759880615011296, 0.7098134659102155, 0.5707132833555815],
    ];
    let data = Dataset::new(x, vec![1.7972885066223934, -0.8092306391223459]).unwrap();
    let t = [
        -3.1149844847498387,
        0.1620144232573386,
        2.5373764809006807,
        1.2607598955020347,
        -1.2841669466835623,
        -2.329837304463345,
        -1.4319223712968208,
        1.7482313372374936,
        0.3843054353033759,
        0.4168173601780551,
    ];
    let s = 2f64.powi(-10);
    let p = Params {
        a: vec![t[0] * s, t[5] * s],
        w: vec![t[1..5].iter().map(|v| v * s).collect(), t[6..10].iter().map(|v| v * s).collect()],
    };
    let theta0 = ScaledParams::try_from_params(&p).unwrap();
    let stop = StopRule { max_steps: Some(3), ..Default::default() };
    let cfg = FlowConfig { rtol: 1e-3, atol: 5.1875, h_max: f64::INFINITY, stop };
    let run = run_flow(&data, relu(), &theta0, &cfg, &mut NoObserver).unwrap();
    assert_sound(&run, &data);
    let q = run.final_params.to_params();
    let classes = run.final_classes.unwrap();
    for j in 0..2 {
        for k in 0..2 {
            let z: f64 = q.w[j].iter().zip(data.x(k)).map(|(a, b)| a * b).sum();
            let band = 1e-9 * q.w[j].iter().map(|v| v * v).sum::<f64>().sqrt();
            let ok = match classes[j * 2 + k] {
                Class::Positive => z > -band,
                Class::Negative => z < band,
                Class::Zero => z.abs() < band,
            };
            assert!(ok, "z_{j}{k} = {z:e} in class {:?}", classes[j * 2 + k]);
        }
    }
}

/// `reluflow simulate <args>` through the binary (exit 2, no panic, `needle` in stderr) and the
/// library (`expect` holds of the error, whose message contains `needle`).
fn fails_everywhere(args: &[&str], needle: &str, expect: fn(&CliError) -> bool) {
    let out = reluflow(&[&["simulate"][..], args].concat(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked") && err.contains(needle), "{args:?}: stderr {err:?} lacks {needle:?}");
    let argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    match simulate(&parse_simulate(&argv).unwrap()) {
        Ok(r) => panic!("{args:?}: library Ok (loss {})", r.final_loss),
        Err(e) => {
            assert!(expect(&e), "{args:?}: unexpected variant {e:?}");
            assert!(e.to_string().contains(needle), "{args:?}: {e}");
        }
    }
}

#[test]
fn numerical_bad_inputs_through_the_binary_name_the_problem() {
    let dir = TempDir::new("numerical_bad_inputs");
    let config = |e: &CliError| matches!(e, CliError::Simulation(SimulationError::Config(_)));
    let at_start = |e: &CliError| matches!(e, CliError::Simulation(SimulationError::NonFinite { step: 0, .. }));
    // a horizon that needs 1e300 steps: ceil(..) as u64 saturated, and the run never ended
    fails_everywhere(
        &["--data", "toy", "--step", "1e-300", "--horizon", "1"],
        "horizon 1.0 / step 1e-300 = 1.000e300 steps, more than 2^53 = 9.007e15",
        config,
    );
    // steps x eta beyond f64: the report said "time inf"
    fails_everywhere(
        &["--data", "toy", "--step", "1e308", "--steps", "10"],
        "step 1e308 x 10 steps overflows the simulated time",
        config,
    );
    // lambda so large the initial loss overflows: named at step 0, with the fix
    let start = "the initial loss or |theta|^2 is not finite (NaN or infinity) at step 0";
    fails_everywhere(&["--data", "toy", "--lambda", "1e200", "--step", "1e-3", "--steps", "10"], start, at_start);
    fails_everywhere(&["--data", "toy", "--lambda", "1e200", "--method", "flow", "--horizon", "1"], start, at_start);
    // labels so large the loss overflows (the message used to blame the step size)
    let big_y = dir.0.join("big_y.json");
    std::fs::write(&big_y, "{\"x\": [[1, 0], [0, 1]], \"y\": [1e300, -1]}").unwrap();
    let big_y = big_y.to_str().unwrap();
    fails_everywhere(&["--data", big_y, "--step", "1e-3", "--steps", "10"], "or the labels are too large", at_start);
    // lambda = 1e3 with the usual step
    fails_everywhere(
        &["--data", "toy", "--lambda", "1e3", "--step", "1e-3", "--steps", "10"],
        "training diverged at step 1 (time 1.000000e-3): loss = ",
        |e| matches!(e, CliError::Simulation(SimulationError::Diverged { step: 1, quantity: "loss", .. })),
    );
}

#[test]
fn inputs_that_used_to_give_a_wrong_number_or_a_wrong_error_now_work() {
    let dir = TempDir::new("used_to_be_wrong");
    let run = |args: &[&str]| -> SimulateReport {
        let argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        simulate(&parse_simulate(&argv).unwrap()).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    };
    // parallel inputs of size 1e200: <x_0, x_1> overflowed and they passed as orthogonal, with a
    // "minimum (Proposition 1)" of 2.8e-200
    let parallel = dir.0.join("parallel.json");
    std::fs::write(&parallel, "{\"x\": [[1e200, 1e200], [1e200, 1e200]], \"y\": [1, -1]}").unwrap();
    let parallel = parallel.to_str().unwrap();
    let r = run(&["--data", parallel, "--lambda", "1e-210", "--step", "1e-3", "--steps", "10"]);
    assert_eq!(r.min_norm_sq, None);
    let out = reluflow(&["simulate", "--data", parallel, "--lambda", "1e-210", "--step", "1e-3", "--steps", "10"], &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("(no closed-form minimum: inputs not orthogonal"), "{text}");
    // a network of zero neurons under the flow: the zero-width activation band made every step an
    // event ("10001 events in a row ...: the switching is chattering"); it is a fixed point
    let zero = dir.0.join("zero.json");
    std::fs::write(&zero, "{\"a\": [0, 0], \"w\": [[0, 0], [0, 0]]}").unwrap();
    let r = run(&["--data", "toy", "--init-from", zero.to_str().unwrap(), "--method", "flow", "--horizon", "10"]);
    assert_eq!((r.final_loss, r.time, r.steps < 20), (0.5, 10.0, true), "{} steps", r.steps);
    // a horizon of 5e-324 with a step of 2: 5e-324 / 2 rounds to 0, so 0 steps were taken and the run
    // claimed to have reached the horizon at time 0
    let r = run(&["--data", "toy", "--step", "2", "--horizon", "5e-324"]);
    assert_eq!((r.steps, r.time), (1, 2.0));
    // an inactive neuron far outside the data's range: <w_j, x_k> = -inf in plain units and
    // relu(-inf) = 0 x -inf = NaN in the reported predictions (the run itself is fine)
    let far = dir.0.join("far.json");
    std::fs::write(&far, "{\"x\": [[-2.39222410249102e306]], \"y\": [0]}").unwrap();
    // (lambda = 2^7 x 1.94: the run works on 1.94 g_j, the plain w_j = 248.8 g_j overflows <w_j, x_0>)
    let far = far.to_str().unwrap();
    // the first seed whose g_0 > 0: the neuron is inactive on x_0 < 0
    let one = Dataset::new(vec![vec![-1.0]], vec![0.0]).unwrap();
    let seed = (0..100u64).find(|&s| balanced(&one, 1, 248.8125, s).w_hat(0)[0] > 0.0).unwrap().to_string();
    let args = ["--data", far, "--width", "1", "--lambda", "248.8125", "--seed", seed.as_str()];
    let r = run(&[&args[..], &["--step", "1e-3", "--steps", "5"]].concat());
    assert_eq!(r.predictions, vec![0.0]);
    assert_eq!(r.final_loss, 0.0);
}

// ---------------------------------------------------------------------------------------------
// Reproducibility
// ---------------------------------------------------------------------------------------------

fn reluflow(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_reluflow"));
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run the reluflow binary")
}

fn stdout_of(args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = reluflow(args, envs);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const VERIFY: [&str; 6] = ["verify", "--claims", "L1,L14,A3", "--cases", "2", "--json"];

#[test]
fn verify_json_is_byte_identical_across_processes_and_rayon_pool_sizes() {
    let first = stdout_of(&VERIFY, &[]);
    assert!(first.contains("\"claim\": \"L14\""), "{first}");
    assert_eq!(stdout_of(&VERIFY, &[]), first, "second process");
    for threads in ["1", "3", "8"] {
        assert_eq!(stdout_of(&VERIFY, &[("RAYON_NUM_THREADS", threads)]), first, "RAYON_NUM_THREADS={threads}");
    }
    // the library report is what the binary prints
    let cli = Cli::try_parse_from(std::iter::once("reluflow").chain(VERIFY)).unwrap();
    let Command::Verify(args) = cli.command else { panic!("not verify") };
    let report = reluflow::cli::verify::run_report(&args).unwrap();
    assert_eq!(serde_json::to_string_pretty(&report).unwrap() + "\n", first);
    // and so is each of three concurrent library runs (rayon's global pool shared between them)
    let parallel: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    serde_json::to_string_pretty(&reluflow::cli::verify::run_report(&args).unwrap()).unwrap() + "\n"
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(parallel.iter().all(|p| *p == first));
}

#[test]
fn timeline_json_is_byte_identical_across_processes_and_threads() {
    let first = stdout_of(&TIMELINE_JSON, &[]);
    assert!(first.contains("\"converged\""), "{first}");
    assert_eq!(stdout_of(&TIMELINE_JSON, &[]), first);
    let cli = Cli::try_parse_from(std::iter::once("reluflow").chain(TIMELINE_JSON)).unwrap();
    let Command::Timeline(args) = cli.command else { panic!("not timeline") };
    let run = || reluflow::cli::timeline::run(&args).unwrap();
    assert_eq!(run(), first, "in-process");
    assert_eq!(run(), first, "in-process, second time");
    let parallel: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3).map(|_| s.spawn(run)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(parallel.iter().all(|p| *p == first));
    // a GD timeline too
    let gd = ["timeline", "--data", "toy", "--lambda", "1e-8", "--step", "2e-3", "--steps", "20000", "--json"];
    assert_eq!(stdout_of(&gd, &[]), stdout_of(&gd, &[]));
}

#[test]
fn reproduce_toy_writes_byte_identical_files_in_two_processes() {
    let dirs = [TempDir::new("reproduce_a"), TempDir::new("reproduce_b")];
    let outs: Vec<String> = dirs
        .iter()
        .map(|d| {
            stdout_of(&["reproduce", "toy", "--out", d.0.to_str().unwrap()], &[]).replace(d.0.to_str().unwrap(), "DIR")
        })
        .collect();
    assert_eq!(outs[0], outs[1]);
    for f in ["toy.json", "toy_loss.svg", "toy_network.svg"] {
        let (a, b) = (std::fs::read(dirs[0].0.join(f)).unwrap(), std::fs::read(dirs[1].0.join(f)).unwrap());
        assert!(!a.is_empty());
        assert!(a == b, "{f} differs between two processes");
    }
    // the printed JSON is the file
    let json = std::fs::read_to_string(dirs[0].0.join("toy.json")).unwrap();
    assert!(outs[0].starts_with(&json));
    // in-process, twice and from threads: the numbers are the same
    let numbers = || serde_json::to_string_pretty(&reluflow::reproduce::toy(20_000).unwrap().0).unwrap() + "\n";
    assert_eq!(numbers(), json);
    let parallel: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2).map(|_| s.spawn(numbers)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(parallel.iter().all(|p| *p == json));
}

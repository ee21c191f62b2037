//! Robustness of the constructors and validators: `Dataset`, `InitSpec`, `Model`, `Params` /
//! `ScaledParams`, on arbitrary numbers and shapes.
//! (See `robustness_common.rs` for the shared helpers and the split.)

use crate::common::config;
use crate::robustness_common::*;
use proptest::prelude::*;
use proptest::sample::select;
use reluflow::data::{DataError, Dataset};
use reluflow::init::{InitError, InitKind, InitSpec, MAX_WIDTH};
use reluflow::network::{Activation, Model, ModelError};
use reluflow::params::{Params, ParamsError, ScaledParams};
use std::panic::catch_unwind;

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

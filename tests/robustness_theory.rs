//! Robustness of the closed forms (`reluflow::theory`): finite numbers, `None` or a typed error
//! for every dataset, `lambda` and `eps`, also at the ends of the `f64` range.
//! (See `robustness_common.rs` for the shared helpers and the split.)

use crate::common::config;
use crate::robustness_common::*;
use proptest::prelude::*;
use reluflow::data::Dataset;
use reluflow::theory::{self, TheoryError};

// ---------------------------------------------------------------------------------------------
// Closed forms of the paper
// ---------------------------------------------------------------------------------------------

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

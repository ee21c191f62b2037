//! The data area: generators (Assumptions 1-2 by construction, the Section 5 toy), JSON/CSV
//! input and output, and the assumption report.

use std::path::PathBuf;

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use reluflow::data::generate::{LabelSpec, random_labels, random_orthonormal, random_orthonormal_inputs, toy};
use reluflow::data::io::{
    load, load_csv_bytes, load_csv_str, load_json_bytes, load_json_str, save_csv, save_json, to_csv_string,
    to_json_string,
};
use reluflow::data::{DataError, Dataset, ORTHONORMAL_TOL};

/// Max |(X X^T)_{kl} - delta_kl| of row-major `n x d` inputs.
fn gram_error(x: &[f64], n: usize, d: usize) -> f64 {
    let mut worst = 0.0f64;
    for k in 0..n {
        for l in 0..n {
            let dot: f64 = (0..d).map(|i| x[k * d + i] * x[l * d + i]).sum();
            let target = if k == l { 1.0 } else { 0.0 };
            worst = worst.max((dot - target).abs());
        }
    }
    worst
}

fn tmp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("reluflow-data-test-{}-{name}", std::process::id()))
}

fn bits(data: &Dataset) -> (Vec<u64>, Vec<u64>) {
    (data.x_flat().iter().map(|v| v.to_bits()).collect(), data.y().iter().map(|v| v.to_bits()).collect())
}

/// Values whose text form is delicate: subnormals, extremes, non-terminating binary fractions, -0.
fn awkward_dataset() -> Dataset {
    Dataset::new(
        vec![
            vec![1e-300, 0.1, -0.0],
            vec![5e-324, f64::MAX, 1.0 / 3.0],
            vec![-2.2250738585072014e-308, 123456789.12345679, 6.9573515728152375e41],
            vec![1e16, 9.999999999999998e15, -1e-5],
        ],
        vec![0.1, -1e-300, 1.9602200232702474e-120, -f64::MIN_POSITIVE],
    )
    .unwrap()
}

// ---------------------------------------------------------------- generators

#[test]
fn orthonormal_inputs_have_identity_gram_for_every_small_shape_and_seed() {
    for n in 1..=8 {
        for d in n..=n + 4 {
            for seed in 0..5 {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let x = random_orthonormal_inputs(n, d, &mut rng).unwrap();
                assert_eq!(x.len(), n * d);
                let err = gram_error(&x, n, d);
                assert!(err <= 1e-12, "n = {n}, d = {d}, seed = {seed}: |XX^T - I| = {err:e}");
            }
        }
    }
}

#[test]
fn orthonormal_inputs_stay_orthonormal_for_a_few_hundred_points() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (n, d) = (120, 150);
    let x = random_orthonormal_inputs(n, d, &mut rng).unwrap();
    let err = gram_error(&x, n, d);
    assert!(err <= 1e-12, "|XX^T - I| = {err:e}");
}

#[test]
fn haar_sign_convention_makes_every_coordinate_mean_zero_and_variance_one_over_d() {
    // Haar: every entry x_k[i] has mean 0 and variance 1/d (the symmetry of the first
    // coordinate of x_0 follows from x_0 = g_0 / |g_0|, the R_00 > 0 convention).
    let (n, d, seeds) = (3usize, 3usize, 2000u64);
    let mut sum = vec![0.0; n * d];
    let mut sum_sq = vec![0.0; n * d];
    for seed in 0..seeds {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = random_orthonormal_inputs(n, d, &mut rng).unwrap();
        for (j, v) in x.iter().enumerate() {
            sum[j] += v;
            sum_sq[j] += v * v;
        }
    }
    let m = seeds as f64;
    let se = (1.0 / d as f64 / m).sqrt();
    for j in 0..n * d {
        let mean = sum[j] / m;
        assert!(
            mean.abs() < 4.0 * se,
            "mean of x_{}[{}] = {mean} over {seeds} seeds, 4 standard errors = {}",
            j / d,
            j % d,
            4.0 * se
        );
        // x_k[i]^2 ~ Beta(1/2, (d-1)/2): variance 2(d-1)/(d^2(d+2)).
        let var_sq = 2.0 * (d as f64 - 1.0) / ((d * d) as f64 * (d as f64 + 2.0));
        let mean_sq = sum_sq[j] / m;
        assert!(
            (mean_sq - 1.0 / d as f64).abs() < 4.0 * (var_sq / m).sqrt(),
            "mean of x_{}[{}]^2 = {mean_sq}, expected 1/d = {}",
            j / d,
            j % d,
            1.0 / d as f64
        );
    }
}

#[test]
fn inputs_are_the_gram_schmidt_orthonormalisation_of_the_gaussian_columns() {
    // The sign convention R_ii > 0 of the QR means x_k is the Gram-Schmidt vector of the k-th
    // Gaussian column g_k (drawn as d consecutive standard normals): x_0 = g_0 / |g_0|, and so on.
    // Gram-Schmidt of i.i.d. Gaussian columns is Haar-distributed.
    use rand::RngExt;
    for (n, d, seed) in [(1, 1, 0), (1, 4, 1), (3, 3, 2), (4, 7, 3), (6, 6, 4)] {
        let x = random_orthonormal_inputs(n, d, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let g: Vec<f64> = (0..n * d).map(|_| rng.sample::<f64, _>(rand_distr::StandardNormal)).collect();
        let mut basis: Vec<Vec<f64>> = Vec::new();
        for k in 0..n {
            let mut v = g[k * d..(k + 1) * d].to_vec();
            for _ in 0..2 {
                for b in &basis {
                    let c: f64 = v.iter().zip(b).map(|(p, q)| p * q).sum();
                    v.iter_mut().zip(b).for_each(|(p, q)| *p -= c * q);
                }
            }
            let norm = v.iter().map(|p| p * p).sum::<f64>().sqrt();
            v.iter_mut().for_each(|p| *p /= norm);
            for i in 0..d {
                assert!(
                    (x[k * d + i] - v[i]).abs() < 1e-12,
                    "n = {n}, d = {d}: x_{k}[{i}] = {} but Gram-Schmidt gives {}",
                    x[k * d + i],
                    v[i]
                );
            }
            basis.push(v);
        }
    }
}

#[test]
fn orthonormal_inputs_reject_more_points_than_dimensions_and_empty_shapes() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    assert_eq!(random_orthonormal_inputs(4, 3, &mut rng), Err(DataError::TooManyPoints { n: 4, d: 3 }));
    assert_eq!(random_orthonormal_inputs(0, 3, &mut rng), Err(DataError::Empty));
    assert_eq!(random_orthonormal_inputs(2, 0, &mut rng), Err(DataError::ZeroDimension));
    let err = random_orthonormal(5, 2, &LabelSpec::default(), 1).unwrap_err();
    assert_eq!(err, DataError::TooManyPoints { n: 5, d: 2 });
    assert!(err.to_string().contains("n <= d"), "{err}");
}

#[test]
fn labels_satisfy_assumption_2_with_the_default_margin_for_every_seed() {
    let spec = LabelSpec::default();
    for n in 2..=12 {
        for seed in 0..200 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let y = random_labels(n, &spec, &mut rng).unwrap();
            check_labels(&y, &spec);
        }
    }
}

fn check_labels(y: &[f64], spec: &LabelSpec) {
    let s_plus: f64 = y.iter().filter(|v| **v > 0.0).map(|v| v * v).sum();
    let s_minus: f64 = y.iter().filter(|v| **v < 0.0).map(|v| v * v).sum();
    let n_plus = y.iter().filter(|v| **v > 0.0).count();
    let n_minus = y.iter().filter(|v| **v < 0.0).count();
    assert!(n_plus >= spec.min_positive && n_minus >= spec.min_negative, "{y:?}");
    assert!(s_plus > s_minus, "r > 1 after the flip: {y:?}");
    assert!(s_plus >= spec.min_ratio.powi(2) * s_minus, "margin: {y:?}");
    for v in y {
        assert!((spec.magnitude_min..=spec.magnitude_max).contains(&v.abs()), "{v} out of range");
    }
}

#[test]
fn random_datasets_satisfy_both_assumptions_and_d_norms_match_the_orthonormal_formula() {
    for seed in 0..100 {
        let n = 1 + (seed as usize % 8) + 1;
        let data = random_orthonormal(n, n + 2, &LabelSpec::default(), seed).unwrap();
        let r = data.assumptions();
        assert!(r.assumption_1 && r.assumption_2, "seed {seed}: {:?}", r.problems());
        assert!(r.problems().is_empty());
        let n = n as f64;
        assert!((r.d_plus_norm - r.sum_sq_plus.sqrt() / n).abs() < 1e-12);
        assert!((r.d_minus_norm - r.sum_sq_minus.sqrt() / n).abs() < 1e-12);
        assert!(r.ratio() >= 1.05 - 1e-12, "r = {}", r.ratio());
    }
}

#[test]
fn same_seed_gives_identical_bits_and_different_seeds_differ() {
    let spec = LabelSpec::default();
    let a = random_orthonormal(4, 6, &spec, 99).unwrap();
    let b = random_orthonormal(4, 6, &spec, 99).unwrap();
    assert_eq!(bits(&a), bits(&b));
    let c = random_orthonormal(4, 6, &spec, 100).unwrap();
    assert_ne!(bits(&a), bits(&c));
}

#[test]
fn infeasible_label_specs_are_rejected_with_the_reason() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let spec = LabelSpec::default();
    let msg = |r: Result<Vec<f64>, DataError>| match r {
        Err(DataError::Parameter(m)) => m,
        other => panic!("expected a Parameter error, got {other:?}"),
    };
    // n = 1 cannot have both signs.
    let m = msg(random_labels(1, &spec, &mut rng));
    assert!(m.contains("1 point(s) cannot carry 1 positive and 1 negative") && m.contains("at least 2 points"), "{m}");
    // Equal magnitudes with one label of each sign: S+ = S- always.
    let equal = LabelSpec { magnitude_min: 1.0, magnitude_max: 1.0, ..spec.clone() };
    let m = msg(random_labels(2, &equal, &mut rng));
    assert!(m.contains("min_ratio"), "{m}");
    // Invalid fields.
    for bad in [
        LabelSpec { magnitude_min: 0.0, ..spec.clone() },
        LabelSpec { magnitude_min: f64::NAN, ..spec.clone() },
        LabelSpec { magnitude_max: 0.1, ..spec.clone() },
        LabelSpec { magnitude_max: f64::INFINITY, ..spec.clone() },
        LabelSpec { min_ratio: 0.5, ..spec.clone() },
    ] {
        msg(random_labels(3, &bad, &mut rng));
    }
    // Feasible in principle (>= 36 of 40 equal-size labels on one side), but too unlikely.
    let rare = LabelSpec { magnitude_min: 1.0, magnitude_max: 1.0, min_ratio: 3.0, ..spec.clone() };
    let m = msg(random_labels(40, &rare, &mut rng));
    assert!(m.contains("draws"), "{m}");
    assert_eq!(random_labels(0, &spec, &mut rng), Err(DataError::Empty));
}

#[test]
fn one_signed_labels_are_allowed_when_no_negative_label_is_required() {
    let spec = LabelSpec { min_negative: 0, ..LabelSpec::default() };
    let y = random_labels(1, &spec, &mut ChaCha8Rng::seed_from_u64(5)).unwrap();
    assert!(y[0] > 0.0, "a single label is flipped to positive: {y:?}");
    let mut saw_one_signed = false;
    for seed in 0..200 {
        let y = random_labels(3, &spec, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap();
        check_labels(&y, &spec);
        saw_one_signed |= y.iter().all(|v| *v > 0.0);
    }
    assert!(saw_one_signed);
}

#[test]
fn toy_is_the_section_5_dataset_orthogonal_but_not_unit_with_r_equal_2() {
    let t = toy();
    assert_eq!((t.n(), t.d()), (2, 2));
    assert_eq!(t.x(0), &[-0.5, 1.0]);
    assert_eq!(t.x(1), &[2.0, 1.0]);
    assert_eq!(t.y(), &[-1.0, 1.0]);
    let r = t.assumptions();
    assert!(r.orthogonal && r.orthogonal_not_unit && !r.assumption_1);
    assert_eq!(r.max_offdiag_inner, 0.0);
    assert!((r.norms[0] - 1.25f64.sqrt()).abs() < 1e-15);
    assert!((r.norms[1] - 5f64.sqrt()).abs() < 1e-15);
    // |D+| = |(1/2)(2, 1)| = sqrt(5)/2, |D-| = |(1/2)(-1)(-0.5, 1)| = sqrt(5)/4.
    assert!((r.d_plus_norm - 5f64.sqrt() / 2.0).abs() < 1e-15);
    assert!((r.d_minus_norm - 5f64.sqrt() / 4.0).abs() < 1e-15);
    assert!((r.ratio() - 2.0).abs() < 1e-14);
    // S+ = S- = 1: the literal Assumption 2 fails, the general |D+| != |D-| holds.
    assert!(!r.sums_distinct && !r.assumption_2 && r.d_norms_distinct);
    // what is reported is what is true: no problem, two notes (not unit-norm; the |D+| != |D-| form)
    assert!(r.problems().is_empty(), "{:?}", r.problems());
    let notes = r.notes().join("\n");
    assert!(notes.contains("orthogonal but not unit-norm"), "{notes}");
    assert!(notes.contains("Assumption 2 holds in the form these inputs need") && notes.contains("r = 2"), "{notes}");
}

// ---------------------------------------------------------------- files

#[test]
fn json_and_csv_round_trip_awkward_values_bit_exactly_through_strings_and_files() {
    let data = awkward_dataset();
    let json = load_json_str(&to_json_string(&data), "mem.json").unwrap();
    assert_eq!(bits(&json), bits(&data));
    let csv = load_csv_str(&to_csv_string(&data), "mem.csv").unwrap();
    assert_eq!(bits(&csv), bits(&data));

    let (pj, pc) = (tmp_path("awkward.json"), tmp_path("awkward.csv"));
    save_json(&data, &pj).unwrap();
    save_csv(&data, &pc).unwrap();
    assert_eq!(bits(&load(&pj).unwrap()), bits(&data));
    assert_eq!(bits(&load(&pc).unwrap()), bits(&data));
    let _ = std::fs::remove_file(pj);
    let _ = std::fs::remove_file(pc);
}

#[test]
fn json_and_csv_round_trip_random_bit_patterns_exactly() {
    // serde_json's default float parser is off by one ulp on ~1 in 6 such values; ours is not.
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    use rand::RngExt;
    let mut rows = Vec::new();
    while rows.len() < 500 {
        let row: Vec<f64> = (0..4).map(|_| f64::from_bits(rng.random::<u64>())).collect();
        if row.iter().all(|v| v.is_finite()) {
            rows.push(row);
        }
    }
    let y: Vec<f64> = rows.iter().map(|r| r[0] * 0.5 + 1e-3).collect();
    let data = Dataset::new(rows, y).unwrap();
    assert_eq!(bits(&load_json_str(&to_json_string(&data), "mem").unwrap()), bits(&data));
    assert_eq!(bits(&load_csv_str(&to_csv_string(&data), "mem").unwrap()), bits(&data));
}

#[test]
fn dataset_serde_goes_through_dataset_file_and_validates() {
    let data = toy();
    let text = serde_json::to_string(&data).unwrap();
    assert_eq!(text, r#"{"x":[[-0.5,1.0],[2.0,1.0]],"y":[-1.0,1.0]}"#);
    assert_eq!(serde_json::from_str::<Dataset>(&text).unwrap(), data);
    let ragged = serde_json::from_str::<Dataset>(r#"{"x":[[1.0],[2.0,1.0]],"y":[1,2]}"#);
    assert!(ragged.unwrap_err().to_string().contains("row 1 has 2 coordinates"));
}

#[test]
fn load_dispatches_on_the_extension_and_reports_missing_files() {
    let p = tmp_path("upper.JSON");
    save_json(&toy(), &p).unwrap();
    assert_eq!(load(&p).unwrap(), toy());
    let _ = std::fs::remove_file(&p);

    let txt = tmp_path("data.txt");
    match load(&txt) {
        Err(DataError::UnknownFormat { path }) => assert!(path.ends_with("data.txt")),
        other => panic!("{other:?}"),
    }
    let missing = tmp_path("does-not-exist.csv");
    match load(&missing) {
        Err(e @ DataError::Io { .. }) => {
            let s = e.to_string();
            assert!(s.contains("does-not-exist.csv") && s.contains("readable"), "{s}");
        }
        other => panic!("{other:?}"),
    }
    let bad_dir = tmp_path("no-such-dir").join("x.csv");
    match save_csv(&toy(), &bad_dir) {
        Err(e @ DataError::Io { .. }) => assert!(e.to_string().contains("writable"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_json_is_rejected_with_the_path_and_reason() {
    let json_err = |s: &str| match load_json_str(s, "in.json") {
        Err(e @ DataError::Json { .. }) => e.to_string(),
        other => panic!("{s}: expected a Json error, got {other:?}"),
    };
    assert!(json_err("").contains("in.json"));
    assert!(json_err("{").contains("line 1"));
    json_err("[]");
    json_err(r#"{"x": [[1, 2]]}"#); // missing y
    assert!(json_err(r#"{"x": [[1]], "y": [1], "z": 0}"#).contains("unknown field"));
    json_err(r#"{"x": [["a"]], "y": [1]}"#); // wrong type
    json_err(r#"{"x": [1, 2], "y": [1, 2]}"#); // rows must be arrays
    json_err(r#"{"x": [[NaN]], "y": [1]}"#);
    json_err(r#"{"x": [[1e400]], "y": [1]}"#); // overflows f64
    json_err(r#"{"x": [[1]], "y": [1], "x": [[2]]}"#); // duplicate field

    let in_file = |s: &str| match load_json_str(s, "in.json") {
        Err(DataError::InFile { path, source }) => {
            assert_eq!(path, "in.json");
            *source
        }
        other => panic!("{s}: expected InFile, got {other:?}"),
    };
    assert_eq!(in_file(r#"{"x": [], "y": []}"#), DataError::Empty);
    assert_eq!(in_file(r#"{"x": [[1, 2], [3]], "y": [1, 2]}"#), DataError::Ragged { row: 1, len: 1, expected: 2 });
    assert_eq!(in_file(r#"{"x": [[1], [2]], "y": [1]}"#), DataError::LabelCount { points: 2, labels: 1 });
    assert_eq!(in_file(r#"{"x": [[]], "y": [1]}"#), DataError::ZeroDimension);
    // Invalid UTF-8.
    assert!(matches!(load_json_bytes(b"{\"x\": [[1]], \"y\": [\xff]}", "b.json"), Err(DataError::Json { .. })));
}

#[test]
fn json_accepts_any_key_order_whitespace_and_escaped_keys() {
    let a = load_json_str(" {\"y\" : [ -1 , 1 ],\n \"x\": [[-0.5, 1], [2, 1]]}\n", "k.json").unwrap();
    assert_eq!(a, toy());
    let b = load_json_str(r#"{"\u0078": [[-0.5, 1], [2, 1]], "y": [-1, 1.0e0]}"#, "k.json").unwrap();
    assert_eq!(b, toy());
}

fn csv_err(s: &str) -> (usize, String) {
    match load_csv_str(s, "in.csv") {
        Err(e @ DataError::Csv { line, .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("in.csv"), "{msg}");
            (line, msg)
        }
        other => panic!("{s:?}: expected a Csv error, got {other:?}"),
    }
}

#[test]
fn csv_accepts_comments_blank_lines_crlf_bom_and_a_header() {
    let text = "\u{feff}# Section 5 toy\r\n\r\nx, bias ,y\r\n# a comment\r\n-0.5, 1, -1\r\n  2,1,1  \r\n\r\n";
    assert_eq!(load_csv_str(text, "toy.csv").unwrap(), toy());
    assert_eq!(load_csv_str("-0.5,1,-1\n2,1,+1", "toy.csv").unwrap(), toy());
}

#[test]
fn csv_ragged_rows_are_reported_with_their_line() {
    let (line, msg) = csv_err("1,0,1\n\n0,1\n");
    assert_eq!(line, 3);
    assert!(msg.contains("line 1"), "names the reference row: {msg}");
    let (line, msg) = csv_err("# c\na,b,c\n1,2,3,4\n");
    assert_eq!(line, 3);
    assert!(msg.contains("header"), "{msg}");
}

#[test]
fn csv_non_finite_values_in_x_and_y_are_reported_with_their_line() {
    for (text, line, what) in [
        ("1,0,1\n0,nan,1\n", 2, "x[1][1] = NaN"),
        ("1,0,1\n0,1,inf\n", 2, "y[1] = inf"),
        ("# h\n-Infinity,0,1\n", 2, "x[0][0] = -inf"),
        ("1,0,NaN\n", 1, "y[0] = NaN"),
        ("1e400,0,1\n", 1, "x[0][0] = inf"),
    ] {
        let (l, msg) = csv_err(text);
        assert_eq!(l, line, "{text:?}");
        assert!(msg.contains(what) && msg.contains("not finite"), "{text:?}: {msg}");
    }
}

#[test]
fn csv_structural_errors_name_the_line() {
    assert_eq!(csv_err("1\n").0, 1); // one column
    assert!(csv_err("1\n").1.contains("at least 2"));
    assert_eq!(csv_err("x,y\n1\n").0, 2);
    assert_eq!(csv_err("1,2\nx,y\n").0, 2); // a header after data
    assert_eq!(csv_err("1,2\n3,\n").0, 2); // empty field
    assert_eq!(csv_err("1,2\n3;4\n").0, 2);
    assert!(csv_err("1,2\n3,four\n").1.contains("\"four\" is not a number"));
    assert_eq!(csv_err("x,1\n").0, 1); // half a header
    // Invalid UTF-8 on line 2.
    match load_csv_bytes(b"1,2\n3,\xff\n", "b.csv") {
        Err(DataError::Csv { line, .. }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
    for empty in ["", "\n\n", "# only a comment\n", "x1,y\n"] {
        match load_csv_str(empty, "e.csv") {
            Err(DataError::InFile { path, source }) => {
                assert_eq!(path, "e.csv");
                assert_eq!(*source, DataError::Empty);
            }
            other => panic!("{empty:?}: {other:?}"),
        }
    }
}

#[test]
fn csv_is_written_with_a_header_and_shortest_digits() {
    let text = to_csv_string(&toy());
    assert_eq!(text, "x1,x2,y\n-0.5,1,-1\n2,1,1\n");
}

// ---------------------------------------------------------------- report

fn identity_rows(n: usize) -> Vec<Vec<f64>> {
    (0..n).map(|k| (0..n).map(|i| if i == k { 1.0 } else { 0.0 }).collect()).collect()
}

#[test]
fn a_zero_label_is_reported_by_index() {
    let data = Dataset::new(identity_rows(4), vec![1.0, -2.0, 0.5, 0.0]).unwrap();
    let r = data.assumptions();
    assert!(r.assumption_1 && !r.assumption_2 && r.sums_distinct);
    assert_eq!(r.zero_labels, vec![3]);
    let p = r.problems();
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("Assumption 2 fails") && p[0].contains("y[3] = 0"), "{p:?}");
    let two = data.with_labels(vec![0.0, -2.0, 0.5, 0.0]).unwrap().assumptions().problems();
    assert!(two[0].contains("y[0], y[3]"), "{two:?}");
}

#[test]
fn equal_sums_of_squares_are_reported_as_equal_d_norms() {
    for y in [vec![1.0, -1.0, 0.0], vec![0.6, 0.8, -1.0], vec![4.0, -4.0, -0.0]] {
        let data = Dataset::new(identity_rows(3), y.clone()).unwrap();
        let r = data.assumptions();
        let p = r.problems();
        if y.contains(&0.0) {
            assert_eq!(p.len(), 2, "{y:?}: {p:?}");
        } else {
            assert!(!r.assumption_2 && !r.sums_distinct, "{y:?}");
            assert_eq!(p.len(), 1, "{p:?}");
        }
        let tie = p.iter().find(|s| s.contains("equals")).expect("tie reported");
        assert!(tie.contains("|D+| = |D-|"), "{tie}");
    }
    // 3^2 vs 4^2: distinct sums, r < 1 (the paper would flip the labels).
    let r = Dataset::new(identity_rows(2), vec![3.0, -4.0]).unwrap().assumptions();
    assert!(r.assumption_2 && r.ratio() < 1.0);
    assert!(r.to_string().contains("flips"), "{r}");
}

#[test]
fn almost_orthonormal_inputs_are_reported_with_the_deviation_and_the_pair() {
    let eps = 1e-6;
    let rows = vec![vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0], vec![eps, 0.0, 1.0]];
    let r = Dataset::new(rows, vec![1.0, -0.5, 2.0]).unwrap().assumptions();
    assert!(!r.assumption_1 && !r.orthogonal && !r.orthogonal_not_unit);
    assert!((r.max_gram_deviation - eps).abs() < 1e-18, "{}", r.max_gram_deviation);
    assert_eq!(r.worst_gram_pair, (0, 2));
    assert_eq!(r.worst_offdiag_pair, Some((0, 2)));
    let p = r.problems();
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("1.000e-6") && p[0].contains("1e-10"), "{}", p[0]);
    assert!(p[0].contains("inputs 0 and 2"), "{}", p[0]);

    // Below the tolerance: accepted.
    let rows = vec![vec![1.0, 0.0], vec![1e-11, 1.0]];
    let r = Dataset::new(rows, vec![1.0, -0.5]).unwrap().assumptions();
    assert!(r.assumption_1 && r.max_gram_deviation <= ORTHONORMAL_TOL);
}

#[test]
fn orthogonal_inputs_with_other_norms_are_detected_as_such() {
    let rows = vec![vec![2.0, 0.0, 0.0], vec![0.0, 1.0, 0.0], vec![0.0, 0.0, 0.5]];
    let r = Dataset::new(rows, vec![1.0, -1.0, 1.0]).unwrap().assumptions();
    assert!(r.orthogonal && r.orthogonal_not_unit && !r.orthonormal);
    assert_eq!(r.norms, vec![2.0, 1.0, 0.5]);
    assert_eq!(r.max_gram_deviation, 3.0);
    assert!(r.problems().is_empty(), "{:?}", r.problems());
    let p = r.notes().join("\n");
    assert!(p.contains("|x_0| = 2.000000") && p.contains("|x_2| = 0.500000"), "{p}");
    assert!(!p.contains("|x_1|"), "x_1 is unit-norm: {p}");
    // General |D+| = |(1/3)(2 e1 + 0.5 e3)|.
    assert!((r.d_plus_norm - (4.25f64).sqrt() / 3.0).abs() < 1e-15);
    assert!((r.d_minus_norm - 1.0 / 3.0).abs() < 1e-15);
}

#[test]
fn report_survives_extreme_magnitudes() {
    let r = Dataset::new(vec![vec![1e200, 0.0], vec![0.0, 1e-200]], vec![1e200, -1e-200]).unwrap().assumptions();
    assert_eq!(r.norms, vec![1e200, 1e-200]);
    assert!(r.orthogonal && !r.orthonormal && r.sums_distinct);
    assert!(r.max_gram_deviation.is_infinite());
    let r = Dataset::new(vec![vec![1e200, 1e200], vec![1e200, -1e200]], vec![1e200, 1e200]).unwrap().assumptions();
    assert!(r.orthogonal && !r.orthonormal, "{r}");
    // orthogonal, not unit-norm, labels of one sign: no problem, a note on the norms
    assert!(!r.to_string().is_empty() && r.problems().is_empty() && !r.notes().is_empty());
}

#[test]
fn report_display_summarises_both_assumptions() {
    let s = random_orthonormal(3, 4, &LabelSpec::default(), 0).unwrap().assumptions().to_string();
    assert!(s.contains("Assumption 1") && s.contains("Assumption 2") && s.contains("|D+|"), "{s}");
    assert!(!s.contains("FAILS"), "{s}");
    let s = toy().assumptions().to_string();
    // the paper's own example: orthogonal, not unit-norm, Assumption 2 in its |D+| != |D-| form
    assert!(!s.contains("FAILS") && s.contains("orthogonal, not unit-norm") && s.contains("|D+| != |D-|"), "{s}");
    let json = serde_json::to_value(toy().assumptions()).unwrap();
    assert_eq!(json["n_plus"], 1);
}

// ---------------------------------------------------------------- properties

proptest! {
    #[test]
    fn prop_orthonormal_inputs_have_identity_gram(seed in any::<u64>(), n in 1usize..=10, extra in 0usize..=6) {
        let d = n + extra;
        let x = random_orthonormal_inputs(n, d, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap();
        let err = gram_error(&x, n, d);
        prop_assert!(err <= 1e-12, "n = {}, d = {}: {:e}", n, d, err);
    }

    #[test]
    fn prop_random_datasets_satisfy_assumptions_1_and_2(seed in any::<u64>(), n in 2usize..=10, extra in 0usize..=4) {
        let spec = LabelSpec::default();
        let data = random_orthonormal(n, n + extra, &spec, seed).unwrap();
        let r = data.assumptions();
        prop_assert!(r.assumption_1 && r.assumption_2, "{:?}", r.problems());
        check_labels(data.y(), &spec);
    }

    #[test]
    fn prop_loaders_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = load_json_bytes(&bytes, "fuzz.json");
        let _ = load_csv_bytes(&bytes, "fuzz.csv");
        let lossy = String::from_utf8_lossy(&bytes);
        let _ = load_json_str(&lossy, "fuzz.json");
        let _ = load_csv_str(&lossy, "fuzz.csv");
    }

    #[test]
    fn prop_loaders_never_panic_on_near_valid_text(s in "[-0-9.,eE#naif \n\r\\[\\]{}\"xy:]{0,120}") {
        let _ = load_json_str(&s, "fuzz.json");
        let _ = load_csv_str(&s, "fuzz.csv");
    }

    #[test]
    fn prop_csv_and_json_round_trip_arbitrary_finite_values(
        vals in proptest::collection::vec(any::<f64>().prop_filter("finite", |v| v.is_finite()), 3..=12)
    ) {
        let n = vals.len() / 3;
        let rows: Vec<Vec<f64>> = vals.chunks_exact(3).take(n).map(|c| c[..2].to_vec()).collect();
        let y: Vec<f64> = vals.chunks_exact(3).take(n).map(|c| c[2]).collect();
        let data = Dataset::new(rows, y).unwrap();
        prop_assert_eq!(bits(&load_csv_str(&to_csv_string(&data), "p.csv").unwrap()), bits(&data));
        prop_assert_eq!(bits(&load_json_str(&to_json_string(&data), "p.json").unwrap()), bits(&data));
    }
}

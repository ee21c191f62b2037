//! Closed forms of `reluflow::theory` against hand computations and the paper's statements.
//!
//! Tolerances: every quantity here is a closed form evaluated in `f64` with a handful of
//! operations, so agreement is required to a few hundred ulps (`1e-12` relative) unless a test
//! says otherwise; the toy's `2.683282` is quoted to 6 decimals, hence `1e-6`.

use proptest::prelude::*;
use reluflow::Dataset;
use reluflow::Params;
use reluflow::numerics::{dot, norm};
use reluflow::theory::*;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `h(x) = sum_j a_j relu(<w_j, x>)` (Section 2), written independently of the crate's network.
fn predict(theta: &Params, x: &[f64]) -> f64 {
    theta.a.iter().zip(&theta.w).map(|(a, w)| a * w.iter().zip(x).map(|(u, v)| u * v).sum::<f64>().max(0.0)).sum()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

fn assert_interpolates(theta: &Params, data: &Dataset, rel: f64) {
    for k in 0..data.n() {
        let h = predict(theta, data.x(k));
        assert!(close(h, data.y()[k], rel), "h(x_{k}) = {h}, y_{k} = {}", data.y()[k]);
    }
}

/// `e_1..e_n` in `R^d` with labels `y`.
fn standard_basis(d: usize, y: &[f64]) -> Dataset {
    let x = (0..y.len()).map(|k| (0..d).map(|i| if i == k { 1.0 } else { 0.0 }).collect()).collect();
    Dataset::new(x, y.to_vec()).unwrap()
}

/// The Section 5 toy (claim X5): orthogonal, not unit-norm.
fn toy() -> Dataset {
    Dataset::new(vec![vec![-0.5, 1.0], vec![2.0, 1.0]], vec![-1.0, 1.0]).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Key vectors, r, label flip (Section 4.1)
// ---------------------------------------------------------------------------------------------

#[test]
fn key_vectors_match_hand_values_on_the_standard_basis() {
    // y = (3, -1, 4, -2) on e_1..e_4 in R^5, n = 4.
    let data = standard_basis(5, &[3.0, -1.0, 4.0, -2.0]);
    assert_eq!(d_plus(&data), vec![0.75, 0.0, 1.0, 0.0, 0.0]);
    assert_eq!(d_minus(&data), vec![0.0, -0.25, 0.0, -0.5, 0.0]);
    assert!(close(d_plus_norm(&data), 5.0 / 4.0, 1e-15));
    assert!(close(d_minus_norm(&data), 5f64.sqrt() / 4.0, 1e-15));
    assert!(close(r(&data), 5.0 / 5f64.sqrt(), 1e-15));
    assert_eq!((n_plus(&data), n_minus(&data)), (2, 2));
}

#[test]
fn needs_label_flip_iff_r_below_one() {
    let data = standard_basis(2, &[1.0, -3.0]);
    assert!(r(&data) < 1.0);
    assert!(needs_label_flip(&data));
    let flipped = data.with_flipped_labels();
    assert!(close(r(&flipped), 3.0, 1e-15));
    assert!(!needs_label_flip(&flipped));
    // No negative label: r = +inf, nothing to flip. No positive label: r = 0, flip.
    assert!(!needs_label_flip(&standard_basis(2, &[1.0, 2.0])));
    assert_eq!(r(&standard_basis(2, &[1.0, 2.0])), f64::INFINITY);
    assert!(needs_label_flip(&standard_basis(2, &[-1.0, -2.0])));
    // r = 1 (Assumption 2 fails): no flip helps, none is asked for.
    assert!(!needs_label_flip(&standard_basis(2, &[1.0, -1.0])));
}

// ---------------------------------------------------------------------------------------------
// alpha, beta, epsilon (Appendix B.2, corrected in CLAIMS.md)
// ---------------------------------------------------------------------------------------------

#[test]
fn b2_alpha_beta_are_the_corrected_values_and_the_printed_ones_are_n_squared_larger() {
    // y+ = (3, 4): sum 25, min 9 -> alpha = 9/50; y- = (-1, -1): beta = 1/4. n = 4.
    let data = standard_basis(4, &[3.0, 4.0, -1.0, -1.0]);
    assert!(close(alpha(&data).unwrap(), 0.18, 1e-15));
    assert!(close(beta(&data).unwrap(), 0.25, 1e-15));
    // The paper's printed alpha = min y^2 / (2|D+|^2) = n^2 alpha for orthonormal inputs: 2.88 > 1,
    // so 1 - alpha < 0 and the condition (1 + 3 eps)(1 - alpha) <= 1 - eps would bound nothing.
    assert!(close(alpha_as_printed(&data).unwrap(), 16.0 * 0.18, 1e-14));
    assert!(close(beta_as_printed(&data).unwrap(), 16.0 * 0.25, 1e-14));
    assert!(alpha_as_printed(&data).unwrap() > 1.0);
    assert_eq!(alpha(&standard_basis(2, &[-1.0, -2.0])), None);
    assert_eq!(beta(&standard_basis(2, &[1.0, 2.0])), None);
}

#[test]
fn b2_alpha_and_beta_lie_in_zero_to_one_half() {
    for y in [vec![1.0, -1.0], vec![5.0, 0.1, -2.0, -2.0, -0.3], vec![1.0, 1.0, 1.0, -7.0]] {
        let data = standard_basis(y.len(), &y);
        for v in [alpha(&data).unwrap(), beta(&data).unwrap()] {
            assert!(v > 0.0 && v <= 0.5, "{v}");
        }
    }
    // A single label of a sign gives exactly 1/2.
    assert_eq!(beta(&standard_basis(3, &[1.0, 2.0, -3.0])), Some(0.5));
}

/// The two conditions of Appendix B.2 written as the paper prints them (with the corrected
/// alpha, beta): `(1+3eps) max(1-alpha, |D-|/|D+|) <= 1-eps` and `(1+3 r eps)(1-beta) <= 1-eps`.
/// Returns `lhs - rhs` for each.
fn b2_excess(data: &Dataset, eps: f64) -> [f64; 2] {
    let (a, b) = (alpha(data).unwrap(), beta(data).unwrap());
    let (dp, dm) = (d_plus_norm(data), d_minus_norm(data));
    let r = dp / dm;
    [(1.0 + 3.0 * eps) * (1.0 - a).max(dm / dp) - (1.0 - eps), (1.0 + 3.0 * r * eps) * (1.0 - b) - (1.0 - eps)]
}

#[test]
fn b2_epsilon_max_hand_values() {
    // y = (2, -1): alpha = beta = 1/2, r = 2, M = 1/2: min((1/2)/(5/2), (1/2)/(1 + 3)) = 1/8.
    assert!(close(epsilon_max(&standard_basis(2, &[2.0, -1.0])).unwrap(), 0.125, 1e-15));
    // y = (3, 4, -1, -1): alpha = 0.18, beta = 0.25, r = 5/sqrt(2), M = 0.82:
    // min(0.18/3.46, 0.25/(1 + 2.25 r)).
    let r = 5.0 / 2f64.sqrt();
    let expected = (0.18f64 / 3.46).min(0.25 / (1.0 + 2.25 * r));
    let got = epsilon_max(&standard_basis(4, &[3.0, 4.0, -1.0, -1.0])).unwrap();
    assert!(close(got, expected, 1e-14), "{got} vs {expected}");
    assert!(close(got, 0.027_917, 1e-4));
}

#[test]
fn b2_epsilon_max_satisfies_both_inequalities_and_fails_slightly_above() {
    let cases: [&[f64]; 5] = [
        &[2.0, -1.0],
        &[3.0, 4.0, -1.0, -1.0],
        &[1.0, 1.0, 1.0, -0.5],
        &[10.0, -0.1, -0.2, -0.3],
        &[1.0, 2.0, 3.0, -1.0, -2.0],
    ];
    for y in cases {
        let data = standard_basis(y.len() + 1, y);
        let eps = epsilon_max(&data).unwrap();
        assert!(eps > 0.0 && eps < 1.0, "{y:?}: {eps}");
        // At eps_max: both hold up to rounding of a few operations on O(1) numbers.
        let at = b2_excess(&data, eps);
        assert!(at.iter().all(|e| *e <= 1e-14), "{y:?}: {at:?}");
        // One of the two is tight: it is the binding constraint.
        assert!(at.iter().any(|e| e.abs() <= 1e-14), "{y:?}: {at:?}");
        // Slightly above: at least one fails (both are linear in eps, so the bound is sharp).
        let above = b2_excess(&data, eps * (1.0 + 1e-9));
        assert!(above.iter().any(|e| *e > 0.0), "{y:?}: {above:?}");
        // Smaller eps are admissible too.
        assert!(b2_excess(&data, eps / 2.0).iter().all(|e| *e < 0.0));
        // b2_slacks is the negated excess.
        let s = b2_slacks(&data, eps).unwrap();
        assert!(close(s[0], -at[0], 1e-12) && close(s[1], -at[1], 1e-12));
    }
}

#[test]
fn b2_epsilon_max_is_none_without_both_signs_or_unless_r_above_one() {
    assert_eq!(epsilon_max(&standard_basis(2, &[1.0, 2.0])), None);
    assert_eq!(epsilon_max(&standard_basis(2, &[-1.0, -2.0])), None);
    assert_eq!(epsilon_max(&standard_basis(2, &[1.0, -1.0])), None); // r = 1
    assert_eq!(epsilon_max(&standard_basis(2, &[1.0, -3.0])), None); // r < 1: flip first
    assert!(epsilon_max(&standard_basis(2, &[1.0, -3.0]).with_flipped_labels()).is_some());
    assert_eq!(b2_slacks(&standard_basis(2, &[1.0, -3.0]), 0.01), None);
}

// ---------------------------------------------------------------------------------------------
// Proposition 1
// ---------------------------------------------------------------------------------------------

#[test]
fn p1_toy_min_norm_is_2_683282() {
    let m = min_norm_sq(&toy()).unwrap();
    assert!((m - 2.683282).abs() < 1e-6, "{m}");
    assert!(close(m, 2.0 / 5f64.sqrt() + 2.0 / 1.25f64.sqrt(), 1e-15));
}

#[test]
fn p1_toy_width_two_theta_star_interpolates_with_the_minimum_norm() {
    let data = toy();
    let theta = theta_star_width_two(&data).unwrap();
    assert_interpolates(&theta, &data, 1e-12);
    assert!(close(theta.norm_sq(), min_norm_sq(&data).unwrap(), 1e-12));
    // The kinks sit on the lines orthogonal to the neurons: neuron 0 (s = +1) is along x_2 = (2, 1).
    assert!(close(theta.w[0][0] / theta.w[0][1], 2.0, 1e-12));
    assert!(close(theta.w[1][0] / theta.w[1][1], -0.5, 1e-12));
}

#[test]
fn p1_orthonormal_min_norm_is_2n_times_key_norms_and_2_sqrt_label_sums() {
    let y = [3.0, -1.0, 4.0, -2.0];
    let data = standard_basis(5, &y);
    let n = y.len() as f64;
    let m = min_norm_sq(&data).unwrap();
    let via_d = 2.0 * n * (d_plus_norm(&data) + d_minus_norm(&data));
    let via_y = 2.0 * (9.0f64 + 16.0).sqrt() + 2.0 * (1.0f64 + 4.0).sqrt();
    assert!(close(m, via_d, 1e-14), "{m} vs {via_d}");
    assert!(close(m, via_y, 1e-14), "{m} vs {via_y}");
    assert!(close(m, 10.0 + 2.0 * 5f64.sqrt(), 1e-14));
}

/// Checks the full description of Proposition 1 for a `theta_star`.
fn assert_is_proposition_1_minimiser(data: &Dataset, theta: &Params, plus: &[usize], minus: &[usize]) {
    assert_interpolates(theta, data, 1e-12);
    let min = min_norm_sq(data).unwrap();
    assert!(close(theta.norm_sq(), min, 1e-12), "{} vs {min}", theta.norm_sq());
    let n = data.n() as f64;
    let (dp, dm) = (d_plus(data), d_minus(data));
    let (mut plus_mass, mut minus_mass) = (0.0, 0.0);
    for j in 0..theta.m() {
        let wn = norm(&theta.w[j]);
        // Balanced (Lemma 1's invariant at zero imbalance).
        assert!(close(theta.a[j].abs(), wn, 1e-12));
        if plus.contains(&j) {
            assert!(theta.a[j] >= 0.0);
            plus_mass += wn * wn;
            if wn > 0.0 {
                // Collinear with +D+ (not -D+ as the paper's text says).
                assert!(close(dot(&theta.w[j], &dp), wn * norm(&dp), 1e-12));
            }
        } else if minus.contains(&j) {
            assert!(theta.a[j] <= 0.0);
            minus_mass += wn * wn;
            if wn > 0.0 {
                assert!(close(-dot(&theta.w[j], &dm), wn * norm(&dm), 1e-12));
            }
        } else {
            assert_eq!(theta.a[j], 0.0);
            assert!(theta.w[j].iter().all(|v| *v == 0.0));
        }
    }
    // Orthonormal inputs: sum |w_j|^2 = n|D+| and n|D-|.
    assert!(close(plus_mass, n * norm(&dp), 1e-12));
    assert!(close(minus_mass, n * norm(&dm), 1e-12));
}

#[test]
fn p1_theta_star_interpolates_with_the_minimum_norm_on_the_standard_basis() {
    let data = standard_basis(6, &[3.0, -1.0, 4.0, -2.0, 0.5]);
    let theta = theta_star(&data, 7, &[(0, 1.0), (3, 2.0), (6, 0.25)], &[(1, 1.0), (5, 0.5)]).unwrap();
    assert_eq!(theta.m(), 7);
    assert!(theta.w.iter().all(|w| w.len() == 6));
    assert_is_proposition_1_minimiser(&data, &theta, &[0, 3, 6], &[1, 5]);
    // Shares are normalised: neuron 3 carries twice neuron 0's squared norm.
    assert!(close(norm(&theta.w[3]).powi(2), 2.0 * norm(&theta.w[0]).powi(2), 1e-12));
}

#[test]
fn p1_theta_star_interpolates_with_the_minimum_norm_on_a_rotated_basis() {
    // Orthonormal basis: rotation by 0.7 rad in the (e_1, e_2) plane, plus e_3.
    let (c, s) = (0.7f64.cos(), 0.7f64.sin());
    let x = vec![vec![c, s, 0.0], vec![-s, c, 0.0], vec![0.0, 0.0, 1.0]];
    let data = Dataset::new(x, vec![2.0, -1.0, 1.5]).unwrap();
    let theta = theta_star(&data, 4, &[(2, 1.0), (0, 3.0)], &[(3, 1.0)]).unwrap();
    assert_is_proposition_1_minimiser(&data, &theta, &[0, 2], &[3]);
    let expected = 2.0 * (4.0f64 + 2.25).sqrt() + 2.0;
    assert!(close(min_norm_sq(&data).unwrap(), expected, 1e-12));
}

#[test]
fn p1_width_two_theta_star_is_the_network_of_the_proof_of_proposition_1() {
    // Appendix C: W = (sqrt(n/|D+|) D+, -sqrt(n/|D-|) D-), a = (sqrt(n|D+|), -sqrt(n|D-|)).
    let data = standard_basis(4, &[3.0, -1.0, 4.0, -2.0]);
    let theta = theta_star_width_two(&data).unwrap();
    let n = data.n() as f64;
    let (dp, dm) = (d_plus(&data), d_minus(&data));
    let (np, nm) = (norm(&dp), norm(&dm));
    assert!(close(theta.a[0], (n * np).sqrt(), 1e-12));
    assert!(close(theta.a[1], -(n * nm).sqrt(), 1e-12));
    for i in 0..4 {
        assert!(close(theta.w[0][i], (n / np).sqrt() * dp[i], 1e-12));
        assert!(close(theta.w[1][i], -(n / nm).sqrt() * dm[i], 1e-12));
    }
}

#[test]
fn p1_positive_neurons_along_minus_d_plus_as_printed_fit_nothing() {
    // The paper's text puts the s = +1 neurons along -D+: such a neuron is inactive on every
    // positive input (<-D+, x_k> = -y_k/n < 0), so the printed set contains no interpolator.
    let data = standard_basis(3, &[3.0, -1.0, 4.0]);
    let mut theta = theta_star_width_two(&data).unwrap();
    theta.w[0].iter_mut().for_each(|v| *v = -*v);
    for k in [0, 2] {
        assert_eq!(predict(&theta, data.x(k)), 0.0);
    }
}

#[test]
fn p1_min_norm_is_none_for_non_orthogonal_inputs() {
    let data = Dataset::new(vec![vec![1.0, 0.0], vec![1.0, 1e-3]], vec![1.0, -1.0]).unwrap();
    assert_eq!(min_norm_sq(&data), None);
    assert!(matches!(check_orthogonal(&data), Err(TheoryError::NotOrthogonal { k: 0, l: 1, .. })));
    // Just inside the tolerance counts as orthogonal.
    let eps = ORTHOGONALITY_TOLERANCE / 10.0;
    let ok = Dataset::new(vec![vec![1.0, eps], vec![0.0, 1.0]], vec![1.0, -1.0]).unwrap();
    assert!(check_orthogonal(&ok).is_ok());
    assert!(min_norm_sq(&ok).is_some());
}

#[test]
fn p1_zero_labels_cost_nothing_and_zero_inputs_need_zero_labels() {
    let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 0.0]], vec![2.0, 0.0]).unwrap();
    assert!(close(min_norm_sq(&data).unwrap(), 4.0, 1e-15));
    let theta = theta_star(&data, 1, &[(0, 1.0)], &[]).unwrap();
    assert_interpolates(&theta, &data, 1e-12);
    let bad = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 0.0]], vec![2.0, -1.0]).unwrap();
    assert_eq!(min_norm_sq(&bad), None);
    assert!(matches!(theta_star_width_two(&bad), Err(TheoryError::ZeroInputWithLabel { k: 1, .. })));
}

#[test]
fn p1_theta_star_reports_each_bad_input_with_a_fix() {
    let data = standard_basis(3, &[1.0, -2.0, 3.0]);
    let err = |p: &[(usize, f64)], q: &[(usize, f64)], m| theta_star(&data, m, p, q).unwrap_err();
    assert_eq!(err(&[(3, 1.0)], &[(1, 1.0)], 3), TheoryError::IndexOutOfRange { index: 3, m: 3 });
    assert_eq!(
        err(&[(0, 1.0), (0, 1.0)], &[(1, 1.0)], 3),
        TheoryError::RepeatedIndex { sign: LabelSign::Positive, index: 0 }
    );
    assert_eq!(err(&[(0, 1.0)], &[(0, 1.0)], 3), TheoryError::IndexOnBothSides { index: 0 });
    assert!(matches!(
        err(&[(0, -1.0)], &[(1, 1.0)], 3),
        TheoryError::InvalidShare { sign: LabelSign::Positive, index: 0, .. }
    ));
    assert!(matches!(err(&[(0, 1.0)], &[(1, f64::NAN)], 3), TheoryError::InvalidShare { .. }));
    assert_eq!(err(&[(0, 0.0), (2, 0.0)], &[(1, 1.0)], 3), TheoryError::ZeroShares { sign: LabelSign::Positive });
    assert_eq!(err(&[], &[(1, 1.0)], 3), TheoryError::NoShares { sign: LabelSign::Positive });
    assert_eq!(err(&[(0, 1.0)], &[], 3), TheoryError::NoShares { sign: LabelSign::Negative });

    let only_negative = standard_basis(2, &[-1.0, -2.0]);
    let e = theta_star_width_two(&only_negative).unwrap_err();
    assert!(matches!(e, TheoryError::NoLabelsOfSign { sign: LabelSign::Positive, .. }));
    assert!(e.to_string().contains("no positive labels"), "{e}");
    assert!(e.to_string().contains("empty shares"), "{e}");
    // ... and the fix the message names works.
    let theta = theta_star(&only_negative, 1, &[], &[(0, 1.0)]).unwrap();
    assert_interpolates(&theta, &only_negative, 1e-12);

    let skew = Dataset::new(vec![vec![1.0, 0.0], vec![1.0, 1.0]], vec![1.0, -1.0]).unwrap();
    let e = theta_star_width_two(&skew).unwrap_err();
    assert!(matches!(e, TheoryError::NotOrthogonal { .. }));
    assert!(e.to_string().contains("orthogonal"), "{e}");
    for e in [
        TheoryError::IndexOutOfRange { index: 3, m: 3 },
        TheoryError::IndexOnBothSides { index: 0 },
        TheoryError::ZeroShares { sign: LabelSign::Negative },
    ] {
        assert!(e.to_string().contains(':'), "message names a fix: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Fact 1, phase times
// ---------------------------------------------------------------------------------------------

#[test]
fn f1_plateau_loss_is_half_mean_of_negative_squared_labels() {
    // (1 + 4) / (2 * 4)
    assert_eq!(plateau_loss(&standard_basis(4, &[3.0, 4.0, -1.0, -2.0])), 0.625);
    assert_eq!(plateau_loss(&toy()), 0.25);
    assert_eq!(plateau_loss(&standard_basis(2, &[1.0, 2.0])), 0.0);
}

#[test]
fn ts_phase_times_hand_values() {
    // y = (4, -2): |D+| = 2, |D-| = 1, r = 2; lambda = e^-10, eps = 0.1.
    let data = standard_basis(2, &[4.0, -2.0]);
    let t = phase_times(&data, (-10f64).exp(), 0.1).unwrap();
    let want = [
        (t.t_plus_1, 0.5),          // 0.1 * 10 / 2
        (t.t_minus_1, 1.0),         // 0.1 * 2 * 10 / 2
        (t.t2_bound, 6.5),          // 1.3 * 10 / 2
        (t.plateau_start, 6.5),     // Fact 1 interval start
        (t.plateau_end, 9.0),       // 0.9 * 10 / 1
        (t.t3_bound, 16.0),         // 1.6 * 10 / 1
        (t.time_scale_plus, 5.0),   // 10 / 2
        (t.time_scale_minus, 10.0), // 10 / 1
        (t.plateau_duration, 5.0),  // 10 (1 - 1/2)
        (t.plateau_loss, 1.0),      // 4 / 4
        (t.r, 2.0),
        (t.epsilon_max, 0.125),
        (t.ln_lambda, -10.0),
    ];
    for (i, (got, expected)) in want.into_iter().enumerate() {
        assert!(close(got, expected, 1e-13), "field {i}: {got} vs {expected}");
    }
    // Order of Figure 1's timeline.
    assert!(t.t_plus_1 < t.t_minus_1 && t.t_minus_1 < t.t2_bound);
    assert!(t.t2_bound < t.plateau_end && t.plateau_end < t.t3_bound);
}

#[test]
fn ts_phase_times_from_ln_lambda_reach_below_the_f64_range() {
    let data = standard_basis(3, &[3.0, -1.0, 1.0]);
    let a = phase_times(&data, 1e-300, 0.05).unwrap();
    let b = phase_times_ln(&data, 1e-300f64.ln(), 0.05).unwrap();
    assert_eq!(a, b);
    // lambda = e^-3000 is not an f64; times scale linearly in -ln(lambda).
    let c = phase_times_ln(&data, -3000.0, 0.05).unwrap();
    let ratio = 3000.0 / -(1e-300f64.ln());
    assert!(close(c.t3_bound, ratio * a.t3_bound, 1e-12));
    assert!(close(c.time_scale_minus, 3000.0 / d_minus_norm(&data), 1e-12));
    // Serializable for reports.
    let json = serde_json::to_string(&c).unwrap();
    assert!(json.contains("\"t_plus_1\""));
}

#[test]
fn ts_phase_times_reject_bad_arguments_with_the_fix() {
    let data = standard_basis(2, &[4.0, -2.0]);
    for lambda in [0.0, 1.0, 2.0, -1.0, f64::NAN] {
        assert!(matches!(phase_times(&data, lambda, 0.1), Err(TheoryError::InvalidLambda { .. })));
    }
    for ln in [0.0, 1.0, f64::NEG_INFINITY, f64::NAN] {
        assert!(matches!(phase_times_ln(&data, ln, 0.1), Err(TheoryError::InvalidLnLambda { .. })));
    }
    for eps in [0.0, 1.0, -0.1, f64::NAN] {
        assert!(matches!(phase_times(&data, 1e-3, eps), Err(TheoryError::InvalidEpsilon { .. })));
    }
    let e = phase_times(&data.with_flipped_labels(), 1e-3, 0.1).unwrap_err();
    assert!(matches!(e, TheoryError::RatioNotAboveOne { .. }));
    assert!(e.to_string().contains("with_flipped_labels"), "{e}");
    assert!(matches!(
        phase_times(&standard_basis(2, &[1.0, 2.0]), 1e-3, 0.1),
        Err(TheoryError::NoLabelsOfSign { sign: LabelSign::Negative, .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Assumption 3 probabilities
// ---------------------------------------------------------------------------------------------

#[test]
fn a3_membership_probabilities_are_powers_of_one_half() {
    assert_eq!(prob_in_s_plus_1(0), 0.5);
    assert_eq!(prob_in_s_plus_1(1), 0.25);
    assert_eq!(prob_in_s_plus_1(5), 1.0 / 64.0);
    assert_eq!(prob_in_s_minus_1(2), 0.125);
    assert_eq!(prob_in_s_plus_1(1073), f64::from_bits(1)); // 2^-1074, smallest subnormal
    assert_eq!(prob_in_s_plus_1(5000), 0.0);
}

#[test]
fn a3_assumption_3_probability_matches_exact_enumeration() {
    // Enumerate all 3^m category sequences (in S+,1 / in S-,1 / neither).
    for (m, np, nm) in [(1usize, 1usize, 1usize), (2, 1, 1), (3, 1, 2), (4, 2, 0), (5, 3, 1)] {
        let (pp, pm) = (prob_in_s_plus_1(np), prob_in_s_minus_1(nm));
        let mut exact = 0.0;
        for code in 0..3usize.pow(m as u32) {
            let (mut c, mut has_p, mut has_m, mut prob) = (code, false, false, 1.0);
            for _ in 0..m {
                match c % 3 {
                    0 => {
                        has_p = true;
                        prob *= pp;
                    }
                    1 => {
                        has_m = true;
                        prob *= pm;
                    }
                    _ => prob *= 1.0 - pp - pm,
                }
                c /= 3;
            }
            if has_p && has_m {
                exact += prob;
            }
        }
        let got = prob_assumption_3(m, np, nm);
        assert!(close(got, exact, 1e-12), "m={m} n+={np} n-={nm}: {got} vs {exact}");
    }
    assert_eq!(prob_assumption_3(0, 1, 1), 0.0);
    assert!(prob_assumption_3(10_000, 3, 3) > 1.0 - 1e-12);
}

// ---------------------------------------------------------------------------------------------
// Lemma bounds
// ---------------------------------------------------------------------------------------------

#[test]
fn l7_l8_l9_bounds_hand_values() {
    assert!(close(lemma7_norm_bound(1.5, 1e-4, 0.5), 0.03, 1e-12)); // 2 * 1.5 * 1e-2
    assert!(close(lemma7_alignment_bound(2.0, 1e-4, 0.5), 1.96, 1e-12)); // (1 - 0.02) * 2
    assert!(close(lemma8_norm_bound(1.5, 1e-4, 0.25, 2.0), 0.03, 1e-12)); // r eps = 0.5
    assert!(close(lemma8_alignment_bound(1.0, 1e-4, 0.5), 0.98, 1e-12));
    assert!(close(lemma9_lower_bound(2.0, 1e-2, 0.5), 1e-3, 1e-12)); // 2 * 1e-3 / 2
    assert!(close(lemma9_lower_bound_minus(2.0, 1e-2, 0.25, 2.0), 1e-3, 1e-12));
}

#[test]
fn l7_l8_l9_log_space_bounds_agree_with_plain_ones_and_survive_lambda_1e_300() {
    let (c, c_min, d, r) = (2.5, 0.3, 1.7, 1.8);
    for lambda in [1e-3, 1e-30, 1e-100] {
        let ll = f64::ln(lambda);
        for eps in [0.01, 0.1, 0.3] {
            let pairs = [
                (ln_lemma7_norm_bound(c, ll, eps), lemma7_norm_bound(c, lambda, eps)),
                (ln_lemma8_norm_bound(c, ll, eps, r), lemma8_norm_bound(c, lambda, eps, r)),
                (ln_lemma9_lower_bound(c_min, ll, eps), lemma9_lower_bound(c_min, lambda, eps)),
                (ln_lemma9_lower_bound_minus(c_min, ll, eps, r), lemma9_lower_bound_minus(c_min, lambda, eps, r)),
                (ln_lemma7_alignment_gap(d, ll, eps), 2.0 * lambda.powf(eps) * d),
                (ln_lemma8_alignment_gap(d, ll, eps), 2.0 * lambda.powf(eps) * d),
            ];
            for (i, (ln_b, b)) in pairs.into_iter().enumerate() {
                assert!(close(ln_b, b.ln(), 1e-13), "{i} lambda={lambda} eps={eps}: {ln_b} vs {}", b.ln());
            }
            // The gap is |D+| minus the alignment bound (absolute: the subtraction cancels).
            let gap = 2.0 * lambda.powf(eps) * d;
            assert!((d - lemma7_alignment_bound(d, lambda, eps) - gap).abs() <= 1e-15);
            assert!((d - lemma8_alignment_bound(d, lambda, eps) - gap).abs() <= 1e-15);
            assert!(close(lemma7_alignment_bound_ln(d, ll, eps), lemma7_alignment_bound(d, lambda, eps), 1e-12));
            assert!(close(lemma8_alignment_bound_ln(d, ll, eps), lemma8_alignment_bound(d, lambda, eps), 1e-12));
        }
    }
    // lambda^(1+eps) underflows at lambda = 1e-300; the ln form does not.
    let ll = 1e-300f64.ln();
    assert_eq!(lemma9_lower_bound(c_min, 1e-300, 0.1), 0.0);
    let ln_b = ln_lemma9_lower_bound(c_min, ll, 0.1);
    assert!(ln_b.is_finite() && close(ln_b, c_min.ln() - 2f64.ln() + 1.1 * ll, 1e-14));
    assert!(ln_lemma7_norm_bound(c, -3000.0, 0.1).is_finite());
}

#[test]
fn l3_l4_f1_l12_log_bounds_are_the_stated_powers_of_lambda() {
    let (ll, eps, c) = (-700.0, 0.07, 2.0);
    assert!(close(ln_lemma3_alignment_gap(ll, eps), eps / 2.0 * ll, 1e-15));
    assert!(close(ln_lemma3_mass_gap(ll, eps), eps / 5.0 * ll, 1e-15));
    assert!(close(ln_lemma3_other_norm_bound(c, ll, eps), (2.0 * c).ln() + eps * ll, 1e-14));
    assert!(close(ln_fact1_distance_bound(ll, eps), eps / 5.0 * ll, 1e-15));
    assert!(close(ln_lemma4_alignment_gap(ll, eps), eps / 14.0 * ll, 1e-15));
    assert!(close(ln_lemma4_mass_gap(ll, eps), eps / 29.0 * ll, 1e-15));
    assert!(close(ln_lemma4_plus_movement_bound(ll, eps), eps / 15.0 * ll, 1e-15));
    assert!(close(ln_lemma4_other_norm_bound(c, ll, eps), (3.0 * c).ln() + eps * ll, 1e-14));
    assert!(close(ln_lemma12_distance_bound(ll, eps), eps / 31.0 * ll, 1e-15));
}

// ---------------------------------------------------------------------------------------------
// Property test: random orthogonal datasets
// ---------------------------------------------------------------------------------------------

/// A random orthogonal dataset from integer seeds: an orthonormal basis `u_0..u_{d-1}` (the
/// standard basis rotated by `angle * pi/16` in the `(e_0, e_1)` plane), inputs `x_k = s_k u_k`
/// with scales `s_k in {1/4, ..., 2}`, labels in `{+-1/2, ..., +-3}`.
#[derive(Debug, Clone)]
struct Case {
    basis: Vec<Vec<f64>>,
    data: Dataset,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (1usize..=4, 0usize..=2, 0u32..16)
        .prop_flat_map(|(n, extra, angle)| {
            (
                Just(n + extra),
                Just(angle),
                prop::collection::vec(1u32..=8, n),
                prop::collection::vec((1i32..=6, any::<bool>()), n),
            )
        })
        .prop_map(|(d, angle, scales, labels)| {
            let th = angle as f64 * std::f64::consts::PI / 16.0;
            let basis: Vec<Vec<f64>> = (0..d)
                .map(|i| {
                    let mut e = vec![0.0; d];
                    e[i] = 1.0;
                    if d >= 2 && i < 2 {
                        let (c, s) = (th.cos(), th.sin());
                        let (a, b) = (e[0], e[1]);
                        e[0] = c * a - s * b;
                        e[1] = s * a + c * b;
                    }
                    e
                })
                .collect();
            let x = scales
                .iter()
                .enumerate()
                .map(|(k, &s)| basis[k].iter().map(|v| v * s as f64 / 4.0).collect())
                .collect();
            let y = labels.iter().map(|&(v, pos)| if pos { v as f64 / 2.0 } else { -(v as f64) / 2.0 }).collect();
            Case { basis, data: Dataset::new(x, y).unwrap() }
        })
}

/// Shares for the neurons of one side: `(index, share)` for consecutive indices from `start`.
fn shares(start: usize, weights: &[u32]) -> Vec<(usize, f64)> {
    weights.iter().enumerate().map(|(i, &w)| (start + i, w as f64)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn p1_theta_star_interpolates_with_the_minimum_norm(
        case in case_strategy(),
        plus_w in prop::collection::vec(0u32..=4, 1..=3),
        minus_w in prop::collection::vec(0u32..=4, 1..=3),
        spare in 0usize..=2,
    ) {
        let data = &case.data;
        let mut plus_w = plus_w;
        let mut minus_w = minus_w;
        plus_w[0] += 1; // some positive share
        minus_w[0] += 1;
        let plus = if n_plus(data) > 0 { shares(0, &plus_w) } else { vec![] };
        let minus = if n_minus(data) > 0 { shares(plus.len(), &minus_w) } else { vec![] };
        let m = plus.len() + minus.len() + spare;
        let theta = theta_star(data, m, &plus, &minus).unwrap();
        let min = min_norm_sq(data).unwrap();
        for k in 0..data.n() {
            let h = predict(&theta, data.x(k));
            prop_assert!(close(h, data.y()[k], 1e-12), "h(x_{}) = {} vs {}", k, h, data.y()[k]);
        }
        prop_assert!(close(theta.norm_sq(), min, 1e-12), "{} vs {}", theta.norm_sq(), min);
        // Closed form: 2 sqrt(sum_{y>0} y^2/|x|^2) + 2 sqrt(sum_{y<0} y^2/|x|^2).
        let side = |pos: bool| -> f64 {
            (0..data.n())
                .filter(|&k| (data.y()[k] > 0.0) == pos)
                .map(|k| data.y()[k].powi(2) / norm(data.x(k)).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        prop_assert!(close(min, 2.0 * side(true) + 2.0 * side(false), 1e-12));
    }

    /// Any interpolator: random (unbalanced, arbitrary-sign) neurons, then one corrective neuron
    /// per point along `u_k` (active on `x_k` only, by orthogonality) to fit the residual.
    #[test]
    fn p1_random_interpolators_never_beat_the_minimum_norm(
        case in case_strategy(),
        base in prop::collection::vec(
            (-8i32..=8, prop::collection::vec(-8i32..=8, 6)), 0..=4),
    ) {
        let data = &case.data;
        let d = data.d();
        let mut theta = Params {
            a: base.iter().map(|(a, _)| *a as f64 / 4.0).collect(),
            w: base.iter().map(|(_, w)| w[..d].iter().map(|v| *v as f64 / 4.0).collect()).collect(),
        };
        for k in 0..data.n() {
            let e = data.y()[k] - predict(&theta, data.x(k));
            if e != 0.0 {
                let nx = norm(data.x(k));
                let t = (e.abs() / nx).sqrt();
                theta.a.push(e.signum() * t);
                theta.w.push(case.basis[k].iter().map(|v| t * v).collect());
            }
        }
        for k in 0..data.n() {
            // Residual of the rotation's rounding only.
            prop_assert!(close(predict(&theta, data.x(k)), data.y()[k], 1e-9));
        }
        let min = min_norm_sq(data).unwrap();
        prop_assert!(theta.norm_sq() >= min * (1.0 - 1e-12), "{} < {}", theta.norm_sq(), min);
    }

    /// Balanced interpolators that split each side over misaligned directions
    /// `v/|v| + delta_j`, `delta_j` pointing away from the other side's inputs (so inactive there)
    /// and into the unused basis directions: they interpolate and cost `2|v| sum_j share_j |d_j|`,
    /// which is at least the minimum, with equality iff every `delta_j = 0`.
    #[test]
    fn p1_misaligned_splits_interpolate_above_the_minimum_norm(
        case in case_strategy(),
        neurons in prop::collection::vec(
            (any::<bool>(), 1u32..=4, prop::collection::vec(0u32..=4, 6)), 1..=4),
    ) {
        let data = &case.data;
        let (n, d) = (data.n(), data.d());
        let vp = v_plus(data).unwrap();
        let vm = v_minus(data).unwrap();
        let mut theta = Params { a: vec![], w: vec![] };
        let mut any_misaligned = false;
        for (positive, v, other_sign) in [(true, &vp, -1.0), (false, &vm, 1.0)] {
            let nv = norm(v);
            if nv == 0.0 {
                continue;
            }
            let side: Vec<_> = neurons.iter().filter(|(p, _, _)| *p == positive).collect();
            // Always give each present side at least one neuron.
            let fallback = (positive, 1u32, vec![0u32; 6]);
            let side = if side.is_empty() { vec![&fallback] } else { side };
            let total: f64 = side.iter().map(|(_, s, _)| *s as f64).sum();
            for (_, share, delta) in side {
                // direction = v/|v| + sum over the other side's u_k (pushed away) + extra basis.
                let mut dir: Vec<f64> = v.iter().map(|x| x / nv).collect();
                for (i, &di) in delta.iter().enumerate().take(d) {
                    let coef = di as f64 / 4.0;
                    let other = i < n && (data.y()[i] * other_sign) > 0.0;
                    let unused = i >= n;
                    if coef > 0.0 && (other || unused) {
                        any_misaligned = true;
                        // Away from the other side's inputs: <dir, x_i> < 0 there.
                        let sgn = if other { -1.0 } else { 1.0 };
                        for (o, b) in dir.iter_mut().zip(&case.basis[i]) {
                            *o += sgn * coef * b;
                        }
                    }
                }
                let nd = norm(&dir);
                let tau = (*share as f64 / total * nv / nd).sqrt();
                let w: Vec<f64> = dir.iter().map(|x| tau * x).collect();
                let a = if positive { norm(&w) } else { -norm(&w) };
                theta.a.push(a);
                theta.w.push(w);
            }
        }
        for k in 0..n {
            prop_assert!(close(predict(&theta, data.x(k)), data.y()[k], 1e-12));
        }
        let min = min_norm_sq(data).unwrap();
        if any_misaligned {
            prop_assert!(theta.norm_sq() > min * (1.0 + 1e-12), "{} vs {}", theta.norm_sq(), min);
        } else {
            prop_assert!(close(theta.norm_sq(), min, 1e-12));
        }
    }
}

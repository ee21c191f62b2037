//! The probabilities behind Assumption 3 (Section 2.2, Section 3.2, claim A3).

/// `P(j in S+,1) = 2^-(n+ + 1)` for one neuron under the initialisation (4) (Sections 2.2, 3.2;
/// claim A3), `n_plus` = number of positive labels.
///
/// Derivation: with orthonormal inputs and `g_j ~ N(0, I_d)`, the `<g_j, x_k>` are i.i.d.
/// `N(0, 1)` (an orthonormal family maps a standard Gaussian to a standard Gaussian), so the
/// `n+` events `<w_j(0), x_k> >= 0` (`y_k > 0`) are independent of probability `1/2` each
/// (`= 0` has probability 0), and `s_j = +1` is an independent fair coin: `2^-n+ * 1/2`.
/// (Orthogonal inputs of any norms give the same value: only the signs matter.)
/// Then `|S+,1| ~ Binomial(m, 2^-(n+ + 1))`. Underflows to 0 for `n_plus >= 1074`.
///
/// ```
/// use reluflow::theory::prob_in_s_plus_1;
/// assert_eq!(prob_in_s_plus_1(0), 0.5);
/// assert_eq!(prob_in_s_plus_1(3), 1.0 / 16.0);
/// ```
pub fn prob_in_s_plus_1(n_plus: usize) -> f64 {
    crate::params::ldexp(1.0, -(n_plus.min(2000) as i32) - 1)
}

/// `P(j in S-,1) = 2^-(n- + 1)` (same derivation as [`prob_in_s_plus_1`], with `s_j = -1` and the
/// negative labels).
pub fn prob_in_s_minus_1(n_minus: usize) -> f64 {
    prob_in_s_plus_1(n_minus)
}

/// `P(S+,1 and S-,1 both non-empty)` = probability that Assumption 3 holds for width `m` under
/// the initialisation (4) with orthogonal inputs (Section 3.2: `m` must grow like `2^n`).
///
/// Neurons are i.i.d.; a neuron is in `S+,1` w.p. `p+ = 2^-(n+ + 1)`, in `S-,1` w.p.
/// `p- = 2^-(n- + 1)`, never in both (opposite `s_j`). Inclusion-exclusion:
/// `1 - (1 - p+)^m - (1 - p-)^m + (1 - p+ - p-)^m`, evaluated as
/// `(1 - (1 - p+)^m) - (1 - p-)^m (1 - (1 - p+/(1 - p-))^m)` with `ln_1p`/`exp_m1`.
///
/// ```
/// use reluflow::theory::prob_assumption_3;
/// // one positive and one negative label: p+ = p- = 1/4; m = 1 can never have both.
/// assert_eq!(prob_assumption_3(1, 1, 1), 0.0);
/// // m = 2: 2 * (1/4)^2 (one neuron in each set, either order)
/// assert!((prob_assumption_3(2, 1, 1) - 0.125).abs() < 1e-15);
/// ```
pub fn prob_assumption_3(m: usize, n_plus: usize, n_minus: usize) -> f64 {
    let (pp, pm) = (prob_in_s_plus_1(n_plus), prob_in_s_minus_1(n_minus));
    let mf = m as f64;
    let some_plus = -(mf * (-pp).ln_1p()).exp_m1();
    let none_minus = (mf * (-pm).ln_1p()).exp();
    let some_plus_given_no_minus = -(mf * (-pp / (1.0 - pm)).ln_1p()).exp_m1();
    (some_plus - none_minus * some_plus_given_no_minus).clamp(0.0, 1.0)
}

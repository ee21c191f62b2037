//! L9 (Lemma 9): no collapse of `S+,1` on `[0, t+1]` and of `S-,1` on `[0, t-1]`, judged on the
//! smallest norms a [`PhaseOne`] recorded.

use super::PhaseOne;
use crate::claims::{ClaimId, Verdict};
use crate::theory;

// ---------------------------------------------------------------------------------------------
// L9
// ---------------------------------------------------------------------------------------------

/// Lemma 9 (claim L9): no collapse.
///
/// Finite statement: for every `j in S+,1`, `min ln |w_j(t)|` over `t in [0, t+1]` is
/// `>= ln(c_min/2) + (1 + eps) ln(lambda)` (= `ln(c_min lambda^(1+eps)/2)`), and for every
/// `j in S-,1`, over `[0, t-1]`, `>= ln(c_min/2) + (1 + r eps) ln(lambda)`. The minimum is taken
/// over every accepted step of the integrator (a few hundred per run), the recorded samples
/// (log-spaced from `1e-3`, then 400 per window) and the checkpoints `t+1`, `t-1`: the norm
/// between two of these changes by a factor `exp(O(|D+| h))` with `h` the step, while the
/// margin is a factor `lambda^-eps / 2` (`> 1e6` at `lambda = 1e-300`), so sampling cannot hide
/// a violation. Tolerance: the printed bound, no slack. Verdict in log units (see module docs):
/// the two sides are the parts (i) and (ii) of one [`Verdict::all`], each failing when its set
/// is empty (a lower bound on the norms of no neuron is no evidence).
///
/// What can break it. The proof chains (1) `d|w_j|/dt = <D_j, w_j>`, which needs the balance
/// `a_j = s_j |w_j|`; (2) `<D+,j, w_j> >= 0` (residual signs are the label signs: `h` small);
/// (3) `|D-,j| <= |D-| + O(h)` (orthonormal inputs); (4) `|D-| <= |D+|` (`r > 1`), into
/// `|w_j(t)| >= |w_j(0)| e^(-|D+| t)`: at `t+1` that is `lambda^eps |w_j(0)|`, twice the bound.
/// The rate `|D+|` is reached only by a neuron whose velocity points at the origin for the whole
/// window, which on orthonormal inputs means a neuron on the boundary of its cone (for `S-,1`:
/// zero on every negative label, its positive-label part along `D+`): there the balanced flow
/// reaches the bound to its factor 2, margin `ln 2` (test
/// `l9_bound_is_reached_to_its_factor_2_on_the_boundary_of_the_cones`). A neuron of `S+,1` in the
/// interior of `S+`, which is every Gaussian draw, cannot come near the bound whatever
/// `a_j(0) > 0` is: its positive-label coordinates grow and its active negative-label ones shrink
/// at most at `|y_k|/n` per unit of `int a_j` and stop at 0 (Lemma 6), so
/// `|w_j|^2 >= |D+|^2 tau^2 + (|w_j(0)| - |D-| tau)_+^2 >= |w_j(0)|^2 r^2 / (1 + r^2)`, more than
/// half of `|w_j(0)|^2` (measured over 150 random instances, balanced or not, leaky ReLU, `lambda`
/// up to 0.999: the largest fall below a neuron's initial norm is a factor 0.445). The physical
/// negative control therefore breaks premise (1) on boundary neurons: with
/// `|a_j(0)| = K |w_j(0)|`, `K > 1`, `a_j^2 = |w_j|^2 + (K^2 - 1)|w_j(0)|^2` keeps the speed up
/// while `|w_j|` shrinks, and `w_j` reaches the origin in finite time; an imbalance
/// `K^2 - 1 >= 4 lambda^(2 r eps)` suffices for `S-,1` (test
/// `l9_negative_control_unbalanced_boundary_neurons`).
pub fn check_l9(run: &PhaseOne) -> Verdict {
    Verdict::all(ClaimId::L9, l9_parts(run))
}

/// The two parts of [`check_l9`]: (i) `S+,1` on `[0, t+1]`, (ii) `S-,1` on `[0, t-1]`.
pub fn l9_parts(run: &PhaseOne) -> [Verdict; 2] {
    let plus = theory::ln_lemma9_lower_bound(run.c_min, run.ln_lambda, run.eps);
    let minus = theory::ln_lemma9_lower_bound_minus(run.c_min, run.ln_lambda, run.eps, run.times.r);
    l9_parts_against(run, plus, minus)
}

/// [`check_l9`] with given log-bounds for the two sides (for negative controls with a wrong
/// constant; [`check_l9`] passes Lemma 9's): [`Verdict::all`] of [`l9_parts_against`].
pub fn check_l9_against(run: &PhaseOne, ln_bound_plus: f64, ln_bound_minus: f64) -> Verdict {
    Verdict::all(ClaimId::L9, l9_parts_against(run, ln_bound_plus, ln_bound_minus))
}

/// The parts of [`check_l9_against`]: (i) `S+,1` on `[0, t+1]` against `ln_bound_plus`, (ii)
/// `S-,1` on `[0, t-1]` against `ln_bound_minus`; a part whose set is empty fails (no evidence).
pub fn l9_parts_against(run: &PhaseOne, ln_bound_plus: f64, ln_bound_minus: f64) -> [Verdict; 2] {
    let constants = format!(
        "c_min = {:.4}, eps = {:.5}, ln(lambda) = {:.2}, r = {:.4}, t+1 = {:.4}, t-1 = {:.4}",
        run.c_min, run.eps, run.ln_lambda, run.times.r, run.times.t_plus_1, run.times.t_minus_1
    );
    let part = |set: &[usize], bound: f64, label: &str, window: &str, exponent: &str| {
        let statement = format!("({label}) min_t ln|w_j(t)| >= ln(c_min lambda^({exponent})/2) for j in {window}");
        // the neuron of the set with the smallest margin
        let Some(&j) = set.iter().min_by(|&&a, &&b| run.min_ln_norm[a].0.total_cmp(&run.min_ln_norm[b].0)) else {
            return Verdict::failed(ClaimId::L9, format!("{statement}: the set is empty (no evidence); {constants}"));
        };
        let (measured, time) = run.min_ln_norm[j];
        // how far a neuron of the set fell below its own initial norm (0 if none did)
        let shrink = set.iter().map(|&i| run.min_ln_norm[i].0 - run.initial.ln_norm_w(i)).fold(0.0f64, f64::min);
        Verdict::at_least(
            ClaimId::L9,
            measured,
            bound,
            format!(
                "{statement}: worst neuron {j} (of {}) reaches ln|w_j| = {measured:.4} at t = {time:.4} vs bound \
                 {bound:.4}; largest fall below a neuron's own initial norm: ln factor {shrink:.4}; {constants}",
                set.len()
            ),
        )
        .in_log_units()
    };
    [
        part(&run.sets.s_plus_1, ln_bound_plus, "i", "S+,1 on [0, t+1]", "1+eps"),
        part(&run.sets.s_minus_1, ln_bound_minus, "ii", "S-,1 on [0, t-1]", "1+r eps"),
    ]
}

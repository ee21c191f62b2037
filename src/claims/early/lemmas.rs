//! L7 and L8 (Lemmas 7 and 8): the three parts of each at one state of a [`PhaseOne`].

use super::directions::{cosine_to_input, direction, one_minus_cos};
use super::{DEACTIVATION_TOL, LabelSign, PhaseOne};
use crate::claims::{ClaimId, Verdict};
use crate::numerics::{dot, ln_or_zero};
use crate::theory;
use crate::trajectory::Checkpoint;

// ---------------------------------------------------------------------------------------------
// L7 / L8
// ---------------------------------------------------------------------------------------------

/// The three parts of Lemma 7 or Lemma 8 at one state.
#[derive(Clone, Debug, PartialEq)]
pub struct LemmaParts {
    /// (i): `max_j ln |w_j|` against `ln(2 c lambda^(1 - eps))` (L7) or `ln(2 c lambda^(1 - r eps))` (L8).
    pub norm: Verdict,
    /// (ii): `max_{j in S} ln(1 - cos(w_j, v))` against `ln(2 lambda^eps)`, `v = D+` or `-D-`.
    pub alignment: Verdict,
    /// (iii): `max ln |cos(w_j, x_k)|` over `j in S` and the other sign's labels against
    /// `ln(DEACTIVATION_TOL)`.
    pub deactivation: Verdict,
}

impl LemmaParts {
    /// The three parts, in the order (i), (ii), (iii) (for [`Verdict::all`]).
    pub fn parts(&self) -> [Verdict; 3] {
        [self.norm.clone(), self.alignment.clone(), self.deactivation.clone()]
    }
}

fn lemma_parts(run: &PhaseOne, state: &Checkpoint, side: LabelSign) -> LemmaParts {
    let (claim, set, dir, dnorm, name, t_name, t_lemma) = match side {
        LabelSign::Positive => (
            ClaimId::L7,
            &run.sets.s_plus_1,
            theory::d_plus(&run.data),
            run.times.d_plus_norm,
            "S+,1",
            "t+1",
            run.times.t_plus_1,
        ),
        LabelSign::Negative => (
            ClaimId::L8,
            &run.sets.s_minus_1,
            theory::d_minus(&run.data).iter().map(|v| -v).collect(),
            run.times.d_minus_norm,
            "S-,1",
            "t-1",
            run.times.t_minus_1,
        ),
    };
    let p = &state.params;
    let (ln_l, eps, r) = (run.ln_lambda, run.eps, run.times.r);
    let at = format!(
        "state at t = {:.6} ({} = {:.6}; eps = {:.5}, ln(lambda) = {:.2}, r = {:.4}, n = {}, d = {}, m = {})",
        state.time,
        t_name,
        t_lemma,
        eps,
        ln_l,
        r,
        run.data.n(),
        run.data.d(),
        p.m()
    );

    // (i) every neuron
    let ln_norm_bound = match side {
        LabelSign::Positive => theory::ln_lemma7_norm_bound(run.c, ln_l, eps),
        LabelSign::Negative => theory::ln_lemma8_norm_bound(run.c, ln_l, eps, r),
    };
    let (j_big, ln_big) =
        (0..p.m()).map(|j| (j, p.ln_norm_w(j))).fold((0, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
    let exponent = match side {
        LabelSign::Positive => "1 - eps".to_string(),
        LabelSign::Negative => "1 - r eps".to_string(),
    };
    let norm = Verdict::at_most(
        claim,
        ln_big,
        ln_norm_bound,
        format!(
            "(i) max_j ln|w_j| <= ln(2 c lambda^({exponent})): neuron {j_big} has ln|w_j| = {ln_big:.4} vs bound {ln_norm_bound:.4} (c = {:.4}); {at}",
            run.c
        ),
    ).in_log_units();

    // (ii) alignment of the set with dir
    let u = direction(&dir);
    let ln_gap_bound = std::f64::consts::LN_2 + eps * ln_l;
    let (j_worst, ln_gap) = set
        .iter()
        .map(|&j| (j, ln_or_zero(one_minus_cos(&direction(p.w_hat(j)), &u))))
        .fold((usize::MAX, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
    let target = match side {
        LabelSign::Positive => "D+",
        LabelSign::Negative => "-D-",
    };
    let alignment = if set.is_empty() {
        Verdict::failed(claim, format!("(ii) {name} is empty: no neuron to align with {target} (no evidence); {at}"))
    } else {
        Verdict::at_most(
            claim,
            ln_gap,
            ln_gap_bound,
            format!(
                "(ii) <w_j/|w_j|, {target}> >= (1 - 2 lambda^eps)|{target}| for all j in {name} (|{name}| = {}), i.e. \
                 ln(1 - cos(w_j, {target})) <= ln(2 lambda^eps) = {ln_gap_bound:.4}: worst neuron {j_worst} has \
                 {ln_gap:.4} (|{target}| = {dnorm:.4}); {at}",
                set.len()
            ),
        )
        .in_log_units()
        // every w in the closed cone of the set's definition has <w, target> >= 0, so 1 - cos <= 1:
        // with 2 lambda^eps >= 1 the state at t = 0 already satisfies (ii)
        .vacuous_if(
            ln_gap_bound >= 0.0,
            format!("2 lambda^eps >= 1: every neuron of {name} satisfies (ii) at t = 0, where <w_j, {target}> >= 0"),
        )
    };

    // (iii) deactivation on the other sign's labels
    let other: Vec<usize> = (0..run.data.n())
        .filter(|&k| match side {
            LabelSign::Positive => run.data.y()[k] < 0.0,
            LabelSign::Negative => run.data.y()[k] > 0.0,
        })
        .collect();
    let mut worst = (0.0f64, usize::MAX, usize::MAX, false);
    for &j in set {
        for &k in &other {
            let started_active = dot(run.initial.w_hat(j), run.data.x(k)) >= 0.0;
            let cos = cosine_to_input(p, j, &run.data, k);
            // started active: must now be 0; started inactive: must still be < 0 (Lemma 6)
            let v = if started_active { cos.abs() } else { cos.max(0.0) };
            if v > worst.0 || worst.1 == usize::MAX {
                worst = (v, j, k, started_active);
            }
        }
    }
    let labels = match side {
        LabelSign::Positive => "y_k < 0",
        LabelSign::Negative => "y_k > 0",
    };
    let deactivation = if set.is_empty() || other.is_empty() {
        let missing = if set.is_empty() { format!("{name} is empty") } else { format!("no label with {labels}") };
        Verdict::failed(claim, format!("(iii) {missing}: nothing to deactivate (no evidence); {at}"))
    } else {
        Verdict::at_most(
            claim,
            ln_or_zero(worst.0),
            DEACTIVATION_TOL.ln(),
            format!(
                "(iii) j in {name}, {labels}: <w_j, x_k> = 0 if it started >= 0, stays < 0 otherwise, to \
                 |cos(w_j, x_k)| <= {DEACTIVATION_TOL:e}: worst (j = {}, k = {}, started {}) has {:.3e}; {at}",
                worst.1,
                worst.2,
                if worst.3 { "active" } else { "inactive" },
                worst.0
            ),
        )
        .in_log_units()
    };
    LemmaParts { norm, alignment, deactivation }
}

/// Lemma 7 (claim L7), its three parts at `state` (the tests pass the state at `t+1`; negative
/// controls pass other times with the bounds of `t+1`).
///
/// Finite statement, with `eps = run.eps`, `lambda = exp(run.ln_lambda)`, `c = max_j |g_j|`:
/// (i) `ln |w_j| <= ln 2 + ln c + (1 - eps) ln(lambda)` for every `j`;
/// (ii) `ln(1 - cos(w_j, D+)) <= ln 2 + eps ln(lambda)` for every `j in S+,1` (this is
/// `<w_j/|w_j|, D+> >= (1 - 2 lambda^eps)|D+|` divided by `|D+|`; `1 - cos` is computed as
/// `|u - v|^2/2` on unit vectors, exact far below `f64::EPSILON`);
/// (iii) for `j in S+,1` and `y_k < 0`: `|cos(w_j, x_k)| <= DEACTIVATION_TOL` if
/// `<w_j(0), x_k> >= 0`, and `cos(w_j, x_k) <= DEACTIVATION_TOL` otherwise. The paper writes
/// `<w_j, x_k> = 0`; its proof's first line ("if `<w0_j, x_k> < 0`, nothing to prove", Lemma 6)
/// shows the intended statement is "inactive", exactly 0 for the coordinates that started active.
///
/// Tolerances: (i), (ii) are the printed bounds, no slack; (iii) is [`DEACTIVATION_TOL`] (the
/// integrator's resolution of 0). `lambda`: see the module docs (`1e-300` in [`instance`](super::instance)).
///
/// No evidence, no pass: (ii) and (iii) fail when `S+,1` is empty ((iii) also when no label is
/// negative). (ii) is vacuous when `2 lambda^eps >= 1`: every `j in S+,1` has
/// `<w_j(0), D+> >= 0` (the definition of `S+`), so `1 - cos(w_j(0), D+) <= 1` and a neuron that
/// never moved satisfies it.
pub fn l7_parts(run: &PhaseOne, state: &Checkpoint) -> LemmaParts {
    lemma_parts(run, state, LabelSign::Positive)
}

/// Lemma 7 (claim L7) at `state`: [`Verdict::all`] of [`l7_parts`].
pub fn check_l7(run: &PhaseOne, state: &Checkpoint) -> Verdict {
    Verdict::all(ClaimId::L7, l7_parts(run, state).parts())
}

/// Lemma 8 (claim L8), its three parts at `state` (the tests pass the state at `t-1`).
///
/// Finite statement: (i) `ln |w_j| <= ln 2 + ln c + (1 - r eps) ln(lambda)` for every `j`;
/// (ii) `ln(1 - cos(w_j, -D-)) <= ln 2 + eps ln(lambda)` for every `j in S-,1` (exponent `eps`,
/// not `r eps`, as printed; `t-1 = -eps ln(lambda)/|D-|` makes it Lemma 7's statement for `-D-`);
/// (iii) for `j in S-,1` and `y_k > 0`: as in [`l7_parts`]. Tolerances as in [`l7_parts`].
pub fn l8_parts(run: &PhaseOne, state: &Checkpoint) -> LemmaParts {
    lemma_parts(run, state, LabelSign::Negative)
}

/// Lemma 8 (claim L8) at `state`: [`Verdict::all`] of [`l8_parts`].
pub fn check_l8(run: &PhaseOne, state: &Checkpoint) -> Verdict {
    Verdict::all(ClaimId::L8, l8_parts(run, state).parts())
}

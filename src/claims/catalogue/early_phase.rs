//! Catalogue entries: Conservation laws (Lemmas 1, 6, Proposition 2) and the early phase (Lemmas 7-9, the alignment of eqs. (9)-(10)): checked in `claims::conservation` and `claims::early`.

use super::{ClaimEntry, nc};
use crate::claims::ClaimId;

/// The catalogue entry of L1.
pub(super) const L1: ClaimEntry = ClaimEntry {
    id: ClaimId::L1,
    reference: ClaimId::L1.reference(),
    heuristic: ClaimId::L1.is_heuristic(),
    statement: "For any data, `a_j(t)^2 - |w_j(t)|^2` is constant in `t`. With the balanced initialisation, \
                `a_j(t) = s_j |w_j(t)|` and `|w_j(t)| > 0` for all `t`.",
    checked: "Along a flow run to convergence: `max_j max_t |I_j(t) - I_j(0)|`, `I_j = a_j^2 - |w_j|^2`, divided by \
              the sum over the accepted steps of the neuron's size `S_j = a_j^2 + |w_j|^2`, is at most the \
              per-step budget `(2 + 3 rtol) rtol + 4 (d + 2) eps`; with a balanced initialisation also \
              `|a_j(0)^2 - |w_j(0)|^2| <= (d + 2) eps S_j(0)` (the rounding of `a_j = s_j |w_j|`) and, at every \
              step, `a_j` keeps its initial sign and `ln |w_j|` stays finite (with the conservation part, \
              `a_j = s_j |w_j|` along the run). Gradient descent: the exact per-step \
              law `Delta(a_j^2 - |w_j|^2) = eta^2 (<D_j, w_j>^2 - |D_j|^2 a_j^2)` holds to rounding at every step.",
    tolerance: "Derived: the integrator's per-neuron local error `rtol` (the exact flow conserves `I_j`) and \
                floating-point rounding; for gradient descent an error analysis of one step. Nothing fitted \
                (the measured drift is about `1e-3` of the budget).",
    evidence: "One flow run (`rtol = 1e-9`) per instance: orthonormal data from the generators or non-orthogonal \
               data in the positive cone (the lemma holds for any data), each with the balanced or the unbalanced \
               initialisation; the balanced part only for balanced initialisations.",
    checks: &[
        "conservation::check_l1",
        "conservation::check_l1_conservation",
        "conservation::check_l1_balanced",
        "conservation::check_l1_gd_law",
    ],
    tests: "tests/claims_conservation.rs",
    negative_controls: &[
        nc(
            "l1_negative_control_unbalanced_init",
            "unbalanced initialisation: `I_j` is still conserved, but `a_j = s_j |w_j|` fails",
        ),
        nc(
            "l1_negative_control_gd_large_step",
            "gradient descent with a large step held to the flow's budget: its `eta^2` term is not an integration error, conservation fails by `1e3` times the budget",
        ),
        nc(
            "l1_negative_control_gd_law_with_a_wrong_step",
            "the discrete law evaluated with `2 eta` instead of `eta` (a wrong constant) is rejected",
        ),
    ],
};

/// The catalogue entry of L6.
pub(super) const L6: ClaimEntry = ClaimEntry {
    id: ClaimId::L6,
    reference: ClaimId::L6.reference(),
    heuristic: ClaimId::L6.is_heuristic(),
    statement: "`<w_j(t), x_k> < 0` implies `<w_j(t'), x_k> < 0` for `t' >= t`; in fact \
                `d<w_j, x_k>/dt = -(1/n)(h(x_k) - y_k) a_j 1{<w_j, x_k> > 0}` (the paper's (11) drops the sign \
                `s_j`), so an inactive coordinate is frozen and a coordinate that reaches 0 stays 0.",
    checked: "For every coordinate `z_jk = <w_j, x_k>` and the first checkpoint `c1` at which \
              `z_jk(c1) <= budget(c1) W |x_k|`, every later checkpoint `c2` has \
              `|z_jk(c2) - z_jk(c1)| <= (budget(c1) + budget(c2)) W |x_k|`, `W = max_{c <= c2} |w_j(c)|` \
              (both halves: negative coordinates frozen, coordinates at 0 stay at 0).",
    tolerance: "Floating-point rounding and the inputs' orthogonality defect only: evaluating `<w_j, x_k>`, \
                rounding each step's update, and the velocity picked up from the inputs' Gram matrix, with the \
                data's largest `|cos(x_l, x_k)|` clamped to `[4 max(n, d) eps, 1e-10]` (`1e-10` is the tolerance \
                of the requirement of orthogonal inputs; inputs further from orthogonal are judged with it and \
                fail). A worst-case bound, pinned term by term by a test.",
    evidence: "One flow run (`rtol = 1e-9`, 100 checkpoints) to the flow horizon on an orthonormal instance of the \
               generators (Assumptions 1-3). Checked on the full simulator only: the reduced coordinates make it \
               true by construction.",
    checks: &["conservation::check_l6"],
    tests: "tests/claims_conservation.rs",
    negative_controls: &[
        nc(
            "l6_negative_control_nonorthogonal_inputs",
            "inputs `x_k + 0.5 u` (pairwise cosines 0.3-0.5): inactive coordinates move with the other points' residuals",
        ),
        nc("l6_negative_control_leaky_relu", "leaky ReLU (slope 0.1): inactive coordinates have a gradient and move"),
    ],
};

/// The catalogue entry of P2.
pub(super) const P2: ClaimEntry = ClaimEntry {
    id: ClaimId::P2,
    reference: ClaimId::P2.reference(),
    heuristic: ClaimId::P2.is_heuristic(),
    statement: "The flow with `relu'(0) = sigma0` has a global solution iff `sigma0 = 0`.",
    checked: "With `relu'(0) = 1`: at least one coordinate `<w_j, x_k>` is clearly positive at some checkpoint and \
              clearly negative at a later one (impossible with `sigma0 = 0` on orthonormal inputs: a coordinate \
              reaching 0 stays at 0). This is the proof's mechanism: at 0 the velocity points below 0, where it \
              is 0.",
    tolerance: "L6's rounding budget for \"clearly\".",
    evidence: "The L6 run with `relu'(0) = 1`; skipped when the `sigma0 = 0` flow has no coordinate reaching 0 (then \
               `relu'(0)` is never used).",
    checks: &["conservation::check_p2"],
    tests: "tests/claims_conservation.rs",
    negative_controls: &[nc(
        "p2_negative_control_sigma0_zero",
        "`sigma0 = 0` on runs where coordinates do reach 0: none crosses below, the check fails",
    )],
};

/// The catalogue entry of L7.
pub(super) const L7: ClaimEntry = ClaimEntry {
    id: ClaimId::L7,
    reference: ClaimId::L7.reference(),
    heuristic: ClaimId::L7.is_heuristic(),
    statement: "At `t+1 = -eps ln(lambda)/|D+|`: (i) all `|w_j| <= 2 c lambda^(1-eps)`; (ii) \
                `<w_j/|w_j|, D+> >= (1 - 2 lambda^eps)|D+|` for `j` in `S+,1`; (iii) `j` in `S+,1` has \
                `<w_j, x_k> = 0` for every `k` with `y_k < 0` (deactivated).",
    checked: "At the state at `t+1`, in log space: (i) `ln |w_j| <= ln 2 + ln c + (1 - eps) ln(lambda)` for every \
              `j`; (ii) `ln(1 - cos(w_j, D+)) <= ln 2 + eps ln(lambda)` for every `j` in `S+,1`; (iii) for `j` in \
              `S+,1` and `y_k < 0`, `|cos(w_j, x_k)| <= 1e-9` if the coordinate started `>= 0`, and \
              `cos(w_j, x_k) <= 1e-9` otherwise (the proof's \"nothing to prove\" case: it stays inactive).",
    tolerance: "(i), (ii): the printed bounds, no slack. (iii): the integrator's resolution of 0 \
                (`ZERO_BAND = 1e-9`, the band in which the simulator treats a coordinate as on the boundary).",
    evidence: "One flow run (`rtol = 1e-10`) to `t-1` at `lambda` in `[1e-300, 2e-300)` on well-separated \
               instances (`r >= 1.5`, `eps_max >= 0.02`, Assumptions 1-3); `eps = eps_max`, lowered so that \
               `lambda^eps >= e^-50` (the smallest `1 - cos` an `f64` direction resolves); the tests also run \
               `eps/2` and `eps/4`. Skipped when no such instance is drawn.",
    checks: &["early::check_l7", "early::l7_parts"],
    tests: "tests/claims_early.rs",
    negative_controls: &[
        nc(
            "l7_negative_control_leaky_relu",
            "leaky ReLU: negative-label coordinates pass through 0 (iii fails) and the direction is pulled off `D+` (ii fails)",
        ),
        nc(
            "l7_negative_control_checked_too_early",
            "the state at `t+1/4` judged with the bounds of `t+1`: the alignment (ii) fails",
        ),
        nc(
            "l7_negative_control_checked_too_late",
            "the state at `2 t+1` judged with the bounds of `t+1`: the norm bound (i) fails by about `lambda^-eps`",
        ),
        nc(
            "l7_negative_control_large_lambda",
            "`lambda = 1e-2` (not small enough): `t+1` is too short for the negative-label coordinates of `S+,1` to reach 0, (iii) fails",
        ),
    ],
};

/// The catalogue entry of L8.
pub(super) const L8: ClaimEntry = ClaimEntry {
    id: ClaimId::L8,
    reference: ClaimId::L8.reference(),
    heuristic: ClaimId::L8.is_heuristic(),
    statement: "At `t-1 = -eps r ln(lambda)/|D+|`: (i) `|w_j| <= 2 c lambda^(1 - r eps)`; (ii) \
                `<w_j/|w_j|, -D-> >= (1 - 2 lambda^eps)|D-|` for `j` in `S-,1`; (iii) `j` in `S-,1` deactivated \
                on the positive labels.",
    checked: "As L7 at the state at `t-1`, with `S-,1`, `-D-`, the positive labels and the exponent `1 - r eps` \
              in (i).",
    tolerance: "As L7: the printed bounds; `ZERO_BAND = 1e-9` for (iii).",
    evidence: "As L7 (the same run reaches `t-1`).",
    checks: &["early::check_l8", "early::l8_parts"],
    tests: "tests/claims_early.rs",
    negative_controls: &[
        nc(
            "l8_negative_control_leaky_relu",
            "leaky ReLU: (ii) fails on every instance, (iii) wherever an `S-,1` neuron starts active on a positive label",
        ),
        nc("l8_negative_control_checked_too_early", "the state at `t-1/4` with the bounds of `t-1`: (ii) fails"),
        nc("l8_negative_control_checked_too_late", "the state at `2 t-1` with the bounds of `t-1`: (i) fails"),
        nc(
            "l8_negative_control_large_lambda",
            "`lambda = 1e-2`: `t-1` is too short for `S-,1` to deactivate on the positive labels, (iii) fails",
        ),
    ],
};

/// The catalogue entry of L9.
pub(super) const L9: ClaimEntry = ClaimEntry {
    id: ClaimId::L9,
    reference: ClaimId::L9.reference(),
    heuristic: ClaimId::L9.is_heuristic(),
    statement: "No collapse: `|w_j(t)| > c_min lambda^(1+eps)/2` on `[0, t+1]` for `j` in `S+,1`, and \
                `> c_min lambda^(1 + r eps)/2` on `[0, t-1]` for `j` in `S-,1`.",
    checked: "`min ln |w_j(t)|` over every accepted step, recorded sample and checkpoint of `[0, t+1]` (for `S+,1`) \
              and `[0, t-1]` (for `S-,1`) is `>= ln(c_min/2) + (1 + eps) ln(lambda)`, respectively \
              `(1 + r eps) ln(lambda)`.",
    tolerance: "The printed bound, no slack (between two sampled times the norm changes by `exp(O(|D+| h))`, while \
                the margin is a factor `lambda^-eps / 2 > 1e6`, so sampling cannot hide a violation). The bound \
                is tight to its factor 2: a balanced neuron on the boundary of `S-` (zero on the negative labels, \
                its positive-label part along `D+`) shrinks at exactly the proof's rate `|D+|` and ends `t-1` \
                with margin `ln 2`. Neurons in the interior of the cones (every Gaussian draw) stay above \
                `r / sqrt(1 + r^2)` of their initial norm, whatever the balance.",
    evidence: "As L7, with `eps = eps_max` (norms only, exact in log space).",
    checks: &["early::check_l9", "early::l9_parts", "early::check_l9_against"],
    tests: "tests/claims_early.rs",
    negative_controls: &[
        nc(
            "l9_negative_control_unbalanced_boundary_neurons",
            "the balance `a_j = s_j |w_j|` (the proof's `d|w_j|/dt = <D_j, w_j>`) broken on neurons built on the boundaries of `S+` and `S-`: with `|a_j(0)| = 2 |w_j(0)|` both reach the origin before `t+1`, `t-1` and both parts fail; an imbalance of `1e-4` already collapses the `S-,1` neuron by `t-1`",
        ),
        nc(
            "l9_negative_control_wrong_exponent",
            "a wrong theory constant, Lemma 7's exponent `c_min lambda^(1 - eps)/2`: the check fails at `t = 0` already",
        ),
    ],
};

/// The catalogue entry of AL.
pub(super) const AL: ClaimEntry = ClaimEntry {
    id: ClaimId::AL,
    reference: ClaimId::AL.reference(),
    heuristic: ClaimId::AL.is_heuristic(),
    statement: "Early alignment (quantisation): while norms are small, directions follow the sphere flow of \
                `<D^0_j, w>`; neurons with the same activation pattern collapse onto the same direction.",
    checked: "At `t-1`, for every group of neurons with the same sign and activation pattern whose driving vector \
              `D_G` (the `h = 0` vector of (10) on the coordinates it grows) is non-zero, with \
              `delta_G = 2 exp(-|D_G| t-1)`: (a) every member has `1 - cos(w_j, D_G) <= delta_G`; (b) every pair \
              has `1 - cos(w_i, w_j) <= 4 delta_G - 2 delta_G^2`.",
    tolerance: "Derived as Lemma 7 (ii) is (the sphere flow with `h ~ 0` up to `t-1`, Lemma 8 (i)); (b) from (a) by \
                the triangle inequality on angles. `eps` lowered so that the smallest `delta_G` stays `>= e^-50`.",
    evidence: "As L7 (the same run). Skipped when no group is covered.",
    checks: &["early::check_al", "early::al_parts"],
    tests: "tests/claims_early.rs",
    negative_controls: &[
        nc(
            "al_negative_control_checked_too_early",
            "the state at `t-1/4` judged with the bounds of `t-1`: (a) and (b) fail",
        ),
        nc(
            "al_negative_control_leaky_relu",
            "leaky ReLU: the direction each group flows to is not (10)'s, (a) fails by a factor `e^40`",
        ),
    ],
};

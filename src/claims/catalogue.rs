//! The catalogue of the claims reluflow checks: for every [`ClaimId`], where it is in the paper,
//! what the paper states, the finite statement the check decides and where its tolerance comes
//! from, the evidence a verdict needs, the library functions that judge it and the negative
//! controls (tests named `<id>_negative_control_<what breaks>`) that must make it fail.
//!
//! `reluflow claims` prints it (text, `--json` or `--markdown`); `docs/claims.md` is its
//! Markdown, and `tests/claims_catalogue.rs` fails when that file, the list of negative-control
//! tests or the named check functions drift from this module. The texts summarise the doc
//! comments of the checks in `src/claims/<group>.rs`, which hold the derivations.
//!
//! ```
//! use reluflow::claims::{ClaimId, catalogue};
//! let t1 = catalogue::entry(ClaimId::T1);
//! assert_eq!(t1.reference, "Theorem 1 / Theorem 2");
//! assert!(t1.negative_controls.iter().all(|c| c.test.starts_with("t1_negative_control_")));
//! assert_eq!(catalogue::CATALOGUE.len(), ClaimId::ALL.len());
//! ```

use super::ClaimId;
use serde::Serialize;

/// A negative control: a test that breaks one assumption (or uses a wrong theory constant) and
/// asserts that the claim's check fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NegativeControl {
    /// The test's name, `<id>_negative_control_<what breaks>`.
    pub test: &'static str,
    /// What it breaks and how the check fails.
    pub breaks: &'static str,
}

/// One claim of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ClaimEntry {
    pub id: ClaimId,
    /// Where the claim is in the paper ([`ClaimId::reference`]).
    pub reference: &'static str,
    /// What the paper states (orthonormal inputs unless said).
    pub statement: &'static str,
    /// The finite statement the check decides.
    pub checked: &'static str,
    /// Where the tolerance comes from.
    pub tolerance: &'static str,
    /// What a verdict needs: the instances, the simulation, `lambda`; when an instance is skipped.
    pub evidence: &'static str,
    /// The functions that judge it, as paths under `reluflow::claims` (e.g. `limits::check_t1_with`).
    pub checks: &'static [&'static str],
    /// The test module of the claim (positive properties and negative controls).
    pub tests: &'static str,
    pub negative_controls: &'static [NegativeControl],
}

/// A claim of the list that reluflow does not check yet (no [`ClaimId`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct UncheckedClaim {
    pub id: &'static str,
    pub reference: &'static str,
    pub statement: &'static str,
}

/// The setting and notation every entry uses (Section 2, Section 4.1, Appendix B.1).
pub const NOTATION: &[&str] = &[
    "Data `x_1..x_n` in R^d, labels `y_k != 0`; network `h(x) = sum_j a_j relu(<w_j, x>)` of width `m`; loss \
     `L = 1/(2n) sum_k (h(x_k) - y_k)^2` (a torch `MSELoss` is `2L`).",
    "Gradient flow (2)-(3) with `relu'(0) = 0`: `da_j/dt = <D_j, w_j>`, `dw_j/dt = a_j D_j`, \
     `D_j = -(1/n) sum_k 1{<w_j, x_k> > 0} (h(x_k) - y_k) x_k`.",
    "Balanced initialisation (4): `w_j = lambda g_j`, `g_j ~ N(0, I_d)`, `a_j = s_j |w_j|`, `s_j = +-1` with \
     probability 1/2; `c = max_j |g_j|`, `c_min = min_j |g_j|`.",
    "`D+ = (1/n) sum_{y_k > 0} y_k x_k`, `D- = (1/n) sum_{y_k < 0} y_k x_k`, `r = |D+|/|D-|` (w.l.o.g. `r > 1`: \
     otherwise swap the signs of all labels).",
    "`S+,1 = {j : s_j = +1 and <w_j(0), x_k> >= 0 for every k with y_k > 0}`; `S-,1` likewise with `s_j = -1` and \
     the negative labels (5)-(6).",
    "Assumption 1: orthonormal inputs. Assumption 2: every `y_k != 0` and `sum_{y>0} y^2 != sum_{y<0} y^2`. \
     Assumption 3: `S+,1` and `S-,1` both non-empty.",
    "`eps`: Appendix B.2's largest admissible value, `min((1-M)/(1+3M), beta/(1+3r(1-beta)))` with \
     `M = max(1-alpha, 1/r)`, `alpha = min_{y_k>0} y_k^2 / (2 sum_{y>0} y^2)`, \
     `beta = min_{y_k<0} y_k^2 / (2 sum_{y<0} y^2)` (the paper's printed `alpha = min y_k^2/(2|D+|^2)` drops a \
     factor `n^2`). Times: `t+1 = -eps ln(lambda)/|D+|`, `t-1 = r t+1`.",
    "The lemma bounds are powers `lambda^(eps/k)`: they only bite for very small `lambda` (with `eps = 0.034`, \
     `lambda^eps` is 0.1 at `lambda = 1e-30`, 1e-10 at `1e-300`), hence the checks at `lambda ~ 1e-300` and the \
     `lambda` ladders `1e-4 .. 1e-300`. Claims that hold \"for lambda small enough\" or in a limit are checked \
     through a finite statement with a derived tolerance, never a number picked until the test passes.",
];

/// Claims of the paper's list that have no check yet.
pub const UNCHECKED: &[UncheckedClaim] = &[
    UncheckedClaim {
        id: "LS",
        reference: "Section 3.2 (\"Scale of initialisation\")",
        statement: "`lambda*` scales roughly as `Theta(1)/sqrt(m) e^(-Theta(n))` (a heuristic the paper infers from \
                    its analysis).",
    },
    UncheckedClaim {
        id: "MF",
        reference: "Section 3.2",
        statement: "For larger `lambda`, above `lambda*` but well below the lazy scale, the parameters empirically \
                    still converge towards a minimum-norm interpolator, without the intermediate saddle (an \
                    empirical remark).",
    },
    UncheckedClaim {
        id: "JP",
        reference: "Section 3.2; Town, Boursier, Lewis, Englert, Lazic (2026)",
        statement: "As `lambda -> 0`, with time in units of `ln(1/lambda)`, the flow follows a saddle-to-saddle jump \
                    process: a staircase loss `(1/2n) sum_{unfitted} y_k^2` and a limit squared norm \
                    `2 sum_i |y_{S_i}|` over the fitted sets.",
    },
    UncheckedClaim {
        id: "CV",
        reference: "Section 3.2; Town et al. (2026); Dana, Bach, Pillaud-Vivien (2025)",
        statement: "The limit interpolates iff every point has a neuron with `s_j y_k > 0` and `<g_j, x_k> > 0`; an \
                    uncovered point keeps `h(x_k) = 0` and adds `y_k^2/(2n)` to the final loss.",
    },
];

const fn nc(test: &'static str, breaks: &'static str) -> NegativeControl {
    NegativeControl { test, breaks }
}

/// Every claim reluflow checks, in the order of [`ClaimId::ALL`].
pub static CATALOGUE: [ClaimEntry; 22] = [
    ClaimEntry {
        id: ClaimId::L1,
        reference: ClaimId::L1.reference(),
        statement: "For any data, `a_j(t)^2 - |w_j(t)|^2` is constant in `t`. With the balanced initialisation, \
                    `a_j(t) = s_j |w_j(t)|` and `|w_j(t)| > 0` for all `t`.",
        checked: "Along a flow run to convergence: `max_j max_t |I_j(t) - I_j(0)|`, `I_j = a_j^2 - |w_j|^2`, divided by \
                  the sum over the accepted steps of the neuron's size `S_j = a_j^2 + |w_j|^2`, is at most the \
                  per-step budget `(2 + 3 rtol) rtol + 4 (d + 2) eps`; with a balanced initialisation also, at every \
                  step, `a_j` keeps its initial sign, `ln |w_j|` stays finite and `|a_j^2 - |w_j|^2|` stays within \
                  the rounding of the initial `a_j = s_j |w_j|` plus that budget. Gradient descent: the exact per-step \
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
    },
    ClaimEntry {
        id: ClaimId::L6,
        reference: ClaimId::L6.reference(),
        statement: "`<w_j(t), x_k> < 0` implies `<w_j(t'), x_k> < 0` for `t' >= t`; in fact \
                    `d<w_j, x_k>/dt = -(1/n)(h(x_k) - y_k) a_j 1{<w_j, x_k> > 0}` (the paper's (11) drops the sign \
                    `s_j`), so an inactive coordinate is frozen and a coordinate that reaches 0 stays 0.",
        checked: "For every coordinate `z_jk = <w_j, x_k>` and the first checkpoint `c1` at which \
                  `z_jk(c1) <= budget(c1) W |x_k|`, every later checkpoint `c2` has \
                  `|z_jk(c2) - z_jk(c1)| <= (budget(c1) + budget(c2)) W |x_k|`, `W = max_{c <= c2} |w_j(c)|` \
                  (both halves: negative coordinates frozen, coordinates at 0 stay at 0).",
        tolerance: "Floating-point rounding only: evaluating `<w_j, x_k>`, rounding each step's update, and the \
                    velocity picked up from the inputs' Gram matrix being orthonormal to rounding (`4 max(n, d) eps`, \
                    not measured from the data, so non-orthogonal inputs are judged by the same budget and fail).",
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
            nc(
                "l6_negative_control_leaky_relu",
                "leaky ReLU (slope 0.1): inactive coordinates have a gradient and move",
            ),
        ],
    },
    ClaimEntry {
        id: ClaimId::L7,
        reference: ClaimId::L7.reference(),
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
    },
    ClaimEntry {
        id: ClaimId::L8,
        reference: ClaimId::L8.reference(),
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
    },
    ClaimEntry {
        id: ClaimId::L9,
        reference: ClaimId::L9.reference(),
        statement: "No collapse: `|w_j(t)| > c_min lambda^(1+eps)/2` on `[0, t+1]` for `j` in `S+,1`, and \
                    `> c_min lambda^(1 + r eps)/2` on `[0, t-1]` for `j` in `S-,1`.",
        checked: "`min ln |w_j(t)|` over every accepted step, recorded sample and checkpoint of `[0, t+1]` (for `S+,1`) \
                  and `[0, t-1]` (for `S-,1`) is `>= ln(c_min/2) + (1 + eps) ln(lambda)`, respectively \
                  `(1 + r eps) ln(lambda)`.",
        tolerance: "The printed bound, no slack (between two sampled times the norm changes by `exp(O(|D+| h))`, while \
                    the margin is a factor `lambda^-eps / 2 > 1e6`, so sampling cannot hide a violation).",
        evidence: "As L7, with `eps = eps_max` (norms only, exact in log space).",
        checks: &["early::check_l9", "early::check_l9_against"],
        tests: "tests/claims_early.rs",
        negative_controls: &[nc(
            "l9_negative_control_wrong_exponent",
            "a wrong theory constant, Lemma 7's exponent `c_min lambda^(1 - eps)/2`: the check fails at `t = 0` already (no reachable setting makes `S+,1` or `S-,1` collapse)",
        )],
    },
    ClaimEntry {
        id: ClaimId::L3,
        reference: ClaimId::L3.reference(),
        statement: "For some `t2 <= -(1+3eps) ln(lambda)/|D+|`: `S+,1` aligned within `lambda^(eps/2)` of `|D+|`; \
                    `sum_{S+,1} |w_j|^2 = n|D+| - lambda^(eps/5)`; all other `|w_j| <= 2 c lambda^eps`. Along the way \
                    `u+ = sum_{S+,1} |w_j|^2` follows the logistic law `u+' ~ 2|D+|(1 - u+/(n|D+|)) u+`.",
        checked: "There is a grid time `t <= -(1+3eps) ln(lambda)/|D+|` at which simultaneously (i) every `j` in `S+,1` \
                  has `|D+| - <w_j/|w_j|, D+> <= lambda^(eps/2)`, (ii) `|u+ - n|D+|| <= lambda^(eps/5)` (the equality \
                  read as a bound), (iii) every `j` outside `S+,1` has `|w_j| <= 2 c lambda^eps`. Logistic law: on \
                  windows between `t+1` and the times where `p = u+/(n|D+|)` reaches 0.1, 0.5, 0.9, the mean slope of \
                  `logit(p)` is `2|D+|` within `delta(p) + nu`.",
        tolerance: "The bounds printed in Lemma 3. The logistic tolerance `delta(p)` is derived from Lemma 10's proof \
                    (alignment and outside mass bounds); `nu = 2 rtol (N + 2)/(1 - p)` is the integrator's error over \
                    the window's `N` steps.",
        evidence: "One flow run (`rtol = 1e-10`, 20000 grid points) to 1.05 times the `t2` bound at `lambda` in \
                   `[1e-300, 2e-300)` on well-separated instances (`n` 2-4, `m` 8-16, Assumptions 1-3), judged at \
                   `eps = eps_max` and `eps_max/2`. Skipped when no such instance is drawn.",
        checks: &["saddles::check_l3", "saddles::check_l3_logistic", "saddles::l3_witness"],
        tests: "tests/claims_saddles.rs",
        negative_controls: &[
            nc(
                "l3_negative_control_labels_sign_convention_swapped",
                "labels flipped (`r < 1`) without the paper's w.l.o.g. flip: the stronger side's neurons, outside `S+,1`, grow first",
            ),
            nc(
                "l3_negative_control_assumption_3_violated_s_plus_1_empty",
                "Assumption 3 violated (`S+,1` empty): nothing carries `n|D+|`, (ii) fails",
            ),
            nc(
                "l3_negative_control_unbalanced_init",
                "unbalanced initialisation with a mislabelled neuron that grows outside `S+,1`: (iii) fails",
            ),
            nc(
                "l3_negative_control_wrong_logistic_rate",
                "a wrong theory constant, the rate `|D+|` instead of `2|D+|`, and a rate only 5% off: the logistic part fails",
            ),
        ],
    },
    ClaimEntry {
        id: ClaimId::F1,
        reference: ClaimId::F1.reference(),
        statement: "A strict saddle `theta_S != 0` (`S+,1` fitting the positive labels, all else 0) with \
                    `|theta_t - theta_S| <= lambda^(eps/5)` for `t` in `[-(1+3eps) ln(lambda)/|D+|, \
                    -(1-eps) ln(lambda)/|D-|]`. Observable: a loss plateau at `(1/2n) sum_{y<0} y_k^2` lasting about \
                    `-ln(lambda)(1/|D-| - 1/|D+|)`.",
        checked: "(1) On every grid time of Fact 1's interval, `|L(theta_t) - L_S| <= B`, `L_S = (1/2n) sum_{y<0} y_k^2`; \
                  (2) the half-fit times `t_fit+` (`L <= (L(0) + L_S)/2`) and `t_fit-` (`L <= L_S/2`) lie in \
                  `[t+1, -(1+3eps) ln(lambda)/|D+|]` and `[-(1-eps) ln(lambda)/|D-|, -(1+3 r eps) ln(lambda)/|D-|]`, \
                  which brackets the plateau's duration.",
        tolerance: "`B` is derived from `|theta_t - theta_S| <= lambda^(eps/5)` (ReLU 1-Lipschitz, Cauchy-Schwarz); the \
                    time windows are the lemmas' own times (Lemmas 3, 4, 7).",
        evidence: "As L3, run to 1.05 times the `t3` bound.",
        checks: &["saddles::check_f1", "saddles::f1_loss_band"],
        tests: "tests/claims_saddles.rs",
        negative_controls: &[
            nc(
                "f1_negative_control_wrong_plateau_level",
                "a wrong theory constant, the other side's level `(1/2n) sum_{y>0} y^2`",
            ),
            nc(
                "f1_negative_control_assumption_3_violated_s_plus_1_empty",
                "Assumption 3 violated (`S+,1` empty): the loss is not at the saddle level on Fact 1's interval",
            ),
            nc(
                "f1_negative_control_labels_sign_convention_swapped",
                "labels flipped without the w.l.o.g. flip: Fact 1's interval is empty",
            ),
            nc(
                "f1_negative_control_large_lambda",
                "`lambda = 1e-2` on fixed instances: the negative labels are half fitted before `-(1-eps) ln(lambda)/|D-|`",
            ),
        ],
    },
    ClaimEntry {
        id: ClaimId::L4,
        reference: ClaimId::L4.reference(),
        statement: "For some `t3 <= -(1+3 r eps) ln(lambda)/|D-|`: `S-,1` aligned with `-D-` within `lambda^(eps/14)`; \
                    `sum_{S-,1} |w_j|^2 = n|D-| - lambda^(eps/29)`; `S+,1` moved at most `lambda^(eps/15)` since `t2`; \
                    others `<= 3 c lambda^eps`; `|D+^t| < lambda^(eps/14)` on `[t2, t3]`.",
        checked: "With `t2` the first grid time at which Lemma 3's conclusions hold (none: fails), there is a grid time \
                  `t3` in `[t2, -(1+3 r eps) ln(lambda)/|D-|]` at which simultaneously (i)-(iv) hold as printed (the \
                  mass equality read as a bound) and (v) `|D+^t| <= lambda^(eps/14)` on every grid time of `[t2, t3]`.",
        tolerance: "The bounds printed in Lemma 4 / Lemma 11, nothing else (`lambda^(eps/29) = 0.30` at `1e-300` and \
                    `eps = 0.05`: weak but not vacuous).",
        evidence: "As L3, run to 1.05 times the `t3` bound.",
        checks: &["saddles::check_l4"],
        tests: "tests/claims_saddles.rs",
        negative_controls: &[
            nc(
                "l4_negative_control_assumption_3_violated_s_minus_1_empty",
                "Assumption 3 violated (`S-,1` empty): nothing carries `n|D-|`, (ii) fails",
            ),
            nc(
                "l4_negative_control_labels_sign_convention_swapped",
                "labels flipped without the w.l.o.g. flip: the predicted order of the phases is wrong",
            ),
            nc(
                "l4_negative_control_unbalanced_init",
                "unbalanced initialisation with a mislabelled growing neuron: there is no `t2`",
            ),
        ],
    },
    ClaimEntry {
        id: ClaimId::L12,
        reference: ClaimId::L12.reference(),
        statement: "`|theta_t3 - theta*| <= lambda^(eps/31)` for a minimum-norm interpolator `theta*` that does not \
                    depend on `lambda`; the split of `n|D+|` among the `S+,1` neurons is fixed by the `lambda`-free \
                    process (28).",
        checked: "On a `lambda` ladder `1e-4, 1e-8, ..., 1e-128, 1e-300` (the same data, directions and signs), the \
                  distance of each end point to ONE `theta*` predicted from the process (28): (1) shrinks from rung to \
                  rung at least like `lambda^(eps/31)` until it reaches the run's resolution, (2) has a positive \
                  fitted exponent in `lambda` over the resolved rungs, (3) is `<= max(lambda^(eps/31), rho)` at \
                  `1e-300`.",
        tolerance: "The lemma's exponent `eps/31` and radius; the resolution `rho` of a run is derived (the path length \
                    left after the stop from Lemma 15's PL constant, `2 sqrt(L_end/mu)`, plus the integrator's \
                    accumulated `N rtol`).",
        evidence: "Seven flow runs (`rtol = 1e-10`) to `L < 1e-16` within a derived horizon per instance, on \
                   well-separated instances (`n` 2-4, `m` 8-16, Assumptions 1-3). Skipped when no such instance is \
                   drawn.",
        checks: &["limits::check_l12", "limits::check_l12_against", "limits::predicted_theta_star"],
        tests: "tests/claims_limits.rs",
        negative_controls: &[
            nc(
                "l12_negative_control_printed_minus_d_plus_direction",
                "a wrong theory constant, `theta*` with the `s = +1` neurons along `-D+` as the paper's text prints it",
            ),
            nc(
                "l12_negative_control_unbalanced_init",
                "unbalanced initialisation: the split among the neurons is not the process (28)'s, the end points stay away from the predicted `theta*`",
            ),
        ],
    },
    ClaimEntry {
        id: ClaimId::L14,
        reference: ClaimId::L14.reference(),
        statement: "For every balanced `theta` (`|a_j| = |w_j|`): `|grad L(theta)|^2 >= 2 L(theta) min((1/n) sum_{j in P} \
                    |w_j|^2, (1/n) sum_{j in N} |w_j|^2)`, `P` (resp. `N`) the neurons with `s_j = +1` active on every \
                    positive label (resp. `s_j = -1`, every negative label).",
        checked: "Exactly the inequality, with the sets `P`, `N` taken at `theta` (what the proof uses), times \
                  `(1 - tau)`, at 32 balanced points of width 1-8 per instance; the verdict is the point with the \
                  smallest ratio of the two sides among those with a positive bound.",
        tolerance: "Rounding only: `tau = 64 (n + d + m) max(n, d) u`.",
        evidence: "Parameter points, no simulation, on orthonormal data of the generators (Assumptions 1-2).",
        checks: &["landscape::check_l14"],
        tests: "tests/claims_landscape.rs",
        negative_controls: &[
            nc(
                "l14_negative_control_unbalanced_points",
                "unbalanced points (`a_j = 1e-3 s_j |w_j|`) carrying their mass on inactive coordinates: `|grad L|^2 ~ 1e-6` against a bound of order 1",
            ),
            nc(
                "l14_negative_control_nonorthogonal_inputs",
                "two inputs per side at angle `0.9 pi`: `D_j` nearly cancels, the bound fails by a factor 10",
            ),
        ],
    },
    ClaimEntry {
        id: ClaimId::L15,
        reference: ClaimId::L15.reference(),
        statement: "Local PL: on balanced `theta` near `theta*`, `|grad L|^2 / L >= min(|D+|, |D-|)` (Lemma 5 states \
                    `>= |D-|`).",
        checked: "`|grad L(theta)|^2 / L(theta) >= min(|D+|, |D-|) (1 - tau)` at 16 balanced points within an explicit \
                  radius of a minimum-norm interpolator (the radius for which the lemma's proof goes through around \
                  `theta*`): `theta*` plus a balanced perturbation of `2^-k` times that radius, `k` in `0..=20`.",
        tolerance: "Rounding only (`tau` as L14; the bound is Lemma 14's with the fitted masses).",
        evidence: "Parameter points, no simulation, on orthonormal data of the generators. Skipped when `theta*` does \
                   not exist.",
        checks: &["landscape::check_l15", "landscape::l15_radius"],
        tests: "tests/claims_landscape.rs",
        negative_controls: &[
            nc(
                "l15_negative_control_far_from_theta_star",
                "the point `0.1 theta*`, far outside the radius: the ratio is below `|D-|` (closed form)",
            ),
            nc(
                "l15_negative_control_unbalanced_points",
                "`theta*` with each neuron rescaled to `(a_j/8, 8 w_j)`: the same function, not balanced, the ratio drops by about 64",
            ),
        ],
    },
    ClaimEntry {
        id: ClaimId::T1,
        reference: ClaimId::T1.reference(),
        statement: "Under Assumptions 1-3 and `lambda` small: `L(theta_t) -> 0`; after `t3` the loss decays \
                    exponentially at rate `>= |D-|`; `lim_{lambda->0} lim_{t->inf} theta_t = theta*` with \
                    `|theta*|^2 = min_{L=0} |theta|^2 = 2n(|D+| + |D-|)`.",
        checked: "On the `lambda` ladder of L12: (1) every rung reaches `L < 1e-16` before its derived horizon (judged as \
                  `t_stop/horizon <= 1`); (2) the relative norm excess `||theta_end|^2/min_norm_sq - 1|` shrinks like \
                  `lambda^(eps/31)` down to the resolution, with a positive fitted exponent; (3) at `1e-300` it is \
                  within Lemma 12's radius; (4) on the `1e-300` rung, over every window of `1/|D-|` of the final phase \
                  (from `max(t3, t_half-)`), `-d ln L/dt >= |D-|`.",
        tolerance: "The horizon is the paper's: `t3`'s bound plus `ln(L(0)/1e-16)/|D-|` at Lemma 15's rate. Exponent \
                    and radius of Lemma 12. The rate windows are judged up to the integrator's error accumulated over \
                    the window (derived, damped by the claimed decay).",
        evidence: "As L12 (the same ladder).",
        checks: &["limits::check_t1", "limits::check_t1_with", "limits::final_phase_rate", "limits::derived_horizon"],
        tests: "tests/claims_limits.rs",
        negative_controls: &[
            nc(
                "t1_negative_control_assumption_3_violated",
                "Assumption 3 violated (`S+,1` empty): the loss vanishes but the norm excess stalls",
            ),
            nc(
                "t1_negative_control_wrong_minimum_norm_constant",
                "a wrong theory constant, `n(|D+| + |D-|)` without Proposition 1's factor 2",
            ),
            nc(
                "t1_negative_control_large_lambda",
                "a ladder ending at the lazy scale `10/sqrt(m)`: the excess stays far above Lemma 12's bound",
            ),
            nc(
                "t1_negative_control_assumption_3_violated_plateau_in_the_final_phase",
                "Assumption 3 violated with a saddle after the negative fit: a plateau in the final phase, the rate part fails while the loss still reaches 0",
            ),
        ],
    },
    ClaimEntry {
        id: ClaimId::P1,
        reference: ClaimId::P1.reference(),
        statement: "`min_{L(theta)=0} |theta|^2 = 2n(|D+| + |D-|) = 2 sqrt(sum_{y>0} y^2) + 2 sqrt(sum_{y<0} y^2)`; \
                    minimisers are balanced, their `s = +1` neurons collinear with `+D+` (the paper's text writes \
                    `-D+`, a sign slip), their `s = -1` neurons with `-D-`, with `sum |w_j|^2 = n|D+|` and `n|D-|` on \
                    each side. Every interpolator has at least this norm. For orthogonal inputs that are not \
                    unit-norm the minimum is `2|sum_{y>0} y_k x_k/|x_k|^2| + 2|sum_{y<0} y_k x_k/|x_k|^2|`.",
        checked: "A random minimiser `theta*` interpolates and has `|theta*|^2` equal to the formula (relative fit error \
                  and norm gap `<= tau`), and interpolators of five constructions have `|theta|^2 >= formula (1 - tau) \
                  - slack`; inputs rescaled by powers of two for odd seeds.",
        tolerance: "Rounding `tau` (as L14) and the exact allowance `slack` for residuals of an approximate \
                    interpolator (0 for an exact one).",
        evidence: "Parameter points, no simulation, on orthonormal (or rescaled orthogonal) data of the generators.",
        checks: &["landscape::check_p1_minimiser", "landscape::check_p1_lower_bound"],
        tests: "tests/claims_landscape.rs",
        negative_controls: &[
            nc(
                "p1_negative_control_printed_minus_d_plus_direction",
                "the paper's printed direction `-D+`: those neurons are inactive on the positive labels, the minimiser does not interpolate",
            ),
            nc(
                "p1_negative_control_constant_without_n",
                "a wrong theory constant, `2(|D+| + |D-|)`: not attained (relative gap `n - 1`)",
            ),
            nc(
                "p1_negative_control_nonorthogonal_inputs",
                "two positive inputs at an angle below 45 degrees: one neuron fits both below the formula",
            ),
        ],
    },
    ClaimEntry {
        id: ClaimId::P2,
        reference: ClaimId::P2.reference(),
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
    },
    ClaimEntry {
        id: ClaimId::A3,
        reference: ClaimId::A3.reference(),
        statement: "With orthonormal inputs the `<g_j, x_k>` are i.i.d. N(0, 1), so `P(j in S+,1) = 2^-(n+ + 1)` and \
                    `P(j in S-,1) = 2^-(n- + 1)`: `|S+,1| ~ Binomial(m, 2^-(n+ + 1))`; the width must grow like `2^n` \
                    for Assumption 3 to hold w.h.p.",
        checked: "Pooled over seeded initialisations, the exact two-sided binomial test of the `S+,1` and `S-,1` counts \
                  at `2^-(n+ + 1)` and `2^-(n- + 1)` does not reject at level `alpha/2 = 5e-7` each.",
        tolerance: "A stated false-alarm rate `alpha = 1e-6`, not a fitted number; the counts come from fixed seeds.",
        evidence: "Counts of `S+,1`, `S-,1` over enough initialisations of width 64 that the rarer set has 400 \
                   expected members, on orthonormal data with `n` in 2-6; no simulation (the sets depend on signs only).",
        checks: &["regimes::check_a3", "regimes::check_a3_on"],
        tests: "tests/claims_regimes.rs",
        negative_controls: &[
            nc(
                "a3_negative_control_wrong_p_two_to_minus_n_side",
                "a wrong theory constant, `2^-n+` (the fair sign forgotten): rejected by the same test",
            ),
            nc(
                "a3_negative_control_correlated_inputs",
                "strongly correlated inputs: the events are positively dependent and `P(j in S+,1)` is far above `2^-(n+ + 1)`",
            ),
        ],
    },
    ClaimEntry {
        id: ClaimId::A3N,
        reference: ClaimId::A3N.reference(),
        statement: "Assumption 3 is also necessary for the minimum-norm bias: without it the loss still goes to 0 but \
                    the final norm is strictly above the minimum (more than two kinks, one saddle per kink).",
        checked: "On a run whose `S+,1` or `S-,1` is empty: (i) `L <= 1e-20`, and (ii) `|theta|^2 - min_norm_sq >= \
                  delta - slack - rounding`, `delta` the `lambda`-free excess an empty side forces.",
        tolerance: "`delta` is derived (it does not depend on `lambda`, unlike T1's vanishing excess); `slack` is the \
                    exact allowance for the measured residuals; `rounding` as L14's `tau`.",
        evidence: "One flow run at `lambda = 1e-32` on orthonormal data (`n` 3-5, `m = 2^n`) with the first of 400 \
                   initialisations that violates Assumption 3 with every label covered; skipped when there is none.",
        checks: &["regimes::check_a3n", "regimes::a3n_excess_bound"],
        tests: "tests/claims_regimes.rs",
        negative_controls: &[nc(
            "a3n_negative_control_assumption_3_satisfied",
            "Assumption 3 satisfied: the final norm tends to the minimum (T1), below `delta` already at `lambda = 1e-32`",
        )],
    },
    ClaimEntry {
        id: ClaimId::TS,
        reference: ClaimId::TS.reference(),
        statement: "Time scales: the positive labels are fitted around `-ln(lambda)/|D+|`, the negative ones around \
                    `-ln(lambda)/|D-|`; normalised by `-ln(lambda)` these times tend to `1/|D+|` and `1/|D-|` as \
                    `lambda -> 0`.",
        checked: "On the ladder of L12, for each fit (`u+` reaching `n|D+|/2`, `u-` reaching `n|D-|/2`): (1) the offset \
                  `|t |D| - ln(1/lambda) - c|`, `c` predicted by the process (28), does not increase down the ladder \
                  until it reaches its resolution; (2) `|t |D|/ln(1/lambda) - 1|` has a positive exponent in \
                  `1/ln(1/lambda)`; (3) at `1e-300` it is `<= 3 eps` (positive fit) and `<= 3 r eps` (negative fit).",
        tolerance: "The widths of the windows of Lemma 3 and Lemma 4; the resolution is the integrator's `N rtol` plus the \
                    interpolation error of the half-fit time.",
        evidence: "As L12 (the same ladder).",
        checks: &["limits::check_ts", "limits::check_ts_with", "limits::predicted_fit_offset"],
        tests: "tests/claims_limits.rs",
        negative_controls: &[
            nc(
                "ts_negative_control_torch_mse_time_unit",
                "a wrong theory constant, the time unit of a torch `MSELoss` (`2|D|`)",
            ),
            nc(
                "ts_negative_control_large_lambda",
                "a ladder `0.5, 0.3, 0.1`: the fitting times are not `ln(1/lambda)/|D|`",
            ),
        ],
    },
    ClaimEntry {
        id: ClaimId::AL,
        reference: ClaimId::AL.reference(),
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
    },
    ClaimEntry {
        id: ClaimId::LZ,
        reference: ClaimId::LZ.reference(),
        statement: "Large initialisation (e.g. `lambda = 10/sqrt(m)`) is the lazy regime: weights barely move, no \
                    plateau, the final norm is not minimal.",
        checked: "On one flow run at `lambda = 10/sqrt(m)`: (1) `|theta_end - theta_0|/|theta_0| <= 1`; (2) no plateau: \
                  between every two accepted steps above the resolution, `-d ln L/dt >= |D-|`; (3) \
                  `|theta_end|^2/min_norm_sq - 1 >= rho`, strictly above the minimum beyond the run's resolution; (4) \
                  zero loss (`L < 1e-16`) within the derived horizon (judged as `t_stop/horizon <= 1`).",
        tolerance: "(1) the scale-free boundary between the regimes (end point closer to the initialisation than the \
                    initialisation is to 0); (2) Lemma 15's rate, each step judged up to its own local error (derived); \
                    (3) the resolution of T1.",
        evidence: "One flow run (`rtol = 1e-10`) per instance, `n` 2-4, Assumptions 1-3, width `2^(n+2)`.",
        checks: &["limits::check_lz", "limits::step_loss_resolution"],
        tests: "tests/claims_limits.rs",
        negative_controls: &[nc(
            "lz_negative_control_small_lambda_is_rich",
            "small `lambda` (the rich regime) on the same instances: the weights move by `1/lambda` times their size, the loss sits on a plateau, the norm is minimal",
        )],
    },
    ClaimEntry {
        id: ClaimId::NO,
        reference: ClaimId::NO.reference(),
        statement: "Nearly orthogonal data `|<x_k, x_k'>| <= delta` with `delta` of order `lambda` behave as the \
                    orthogonal case.",
        checked: "On a ladder `lambda = delta = 1e-4 .. 1e-12` (orthonormal inputs perturbed to \
                  `max |<x_k, x_l>| = delta`): (1) gradient descent at steps `eta` and `eta/2` (and the flow on the \
                  unperturbed inputs) reaches `L < 1e-16` within the derived horizon on every rung (judged as \
                  `t_stop/horizon <= 1`); (2) the envelope `max(perturbed, orthonormal)` of the relative norm excesses \
                  (the perturbed one extrapolated to step 0) follows T1's ladder judgement; (3) T1's bound at the \
                  smallest `lambda`.",
        tolerance: "T1's, plus derived terms for the extrapolation (`|e(eta) - e(eta/2)|`), for the perturbed data's own \
                    minimum norm (`sqrt(2n) max_k |x_k - x_k^orth|`) and for gradient descent's overshoots past 0 at \
                    deactivations.",
        evidence: "Three ladders of five runs per instance (gradient descent at `0.02` and `0.01` on the perturbed inputs, \
                   where the flow can meet a sliding mode; the flow on the orthonormal ones) on the instances of L12.",
        checks: &["limits::check_no", "limits::nearly_orthogonal", "limits::simulate_no_ladder"],
        tests: "tests/claims_limits.rs",
        negative_controls: &[
            nc(
                "no_negative_control_leaky_relu",
                "leaky ReLU (slope 0.1): inactive coordinates move and the excess grows as `lambda` shrinks",
            ),
            nc(
                "no_negative_control_assumption_3_violated",
                "Assumption 3 violated on nearly orthogonal inputs: the excess stalls above 0",
            ),
        ],
    },
    ClaimEntry {
        id: ClaimId::X5,
        reference: ClaimId::X5.reference(),
        statement: "Toy: `x = (-0.5, 1), y = -1`; `x = (2, 1), y = +1`; `m = 60`; init std `1e-6/sqrt(m)`; gradient \
                    descent. Two kinks at the end (at -0.5 and 2), a plateau at the loss of the negative label, zero \
                    final loss.",
        checked: "The paper's run (20000 steps of `2e-3`, the torch learning rate `1e-3` on `2L`): (1) final loss \
                  `<= 0.25 exp(-|D-|(T - t3))`, `t3 = -ln(lambda)/|D-|`; (2) every neuron with `|w_j| >= 1e-3 max |w|` \
                  has its kink within 0.125 of -0.5 or 2, and both points carry one; (3) the loss stays within 10% of \
                  0.25 for at least half of Fact 1's duration `-ln(lambda)(1/|D-| - 1/|D+|)`.",
        tolerance: "(1) Fact 1 / Lemma 4's `t3` and the final rate `>= |D-|`; (2) the norm cut lies in a gap of five \
                    orders of magnitude between the grown neurons and the rest, the gap 0.125 far below the data \
                    spacing 2.5; (3) the band and the fraction leave room for the O(1) transitions.",
        evidence: "One gradient-descent run per initialisation seed, on the paper's data.",
        checks: &[
            "experiments::check_x5",
            "experiments::check_x5_final_loss",
            "experiments::check_x5_kinks",
            "experiments::check_x5_plateau",
        ],
        tests: "tests/claims_experiments.rs",
        negative_controls: &[nc(
            "x5_negative_control_large_init",
            "`lambda = 10/sqrt(m)` (lazy): zero loss is still reached, but no plateau and many kinks",
        )],
    },
    ClaimEntry {
        id: ClaimId::XA,
        reference: ClaimId::XA.reference(),
        statement: "A.1: 1-D data with bias, 5 non-orthogonal points, width 60: zero loss, sparse kinks, \
                    saddle-to-saddle. A.2: `n = 75` Gaussian points in `d = 150`, labels from a 6-neuron teacher, width \
                    200, tiny init: zero loss, a visible intermediate plateau, about 80% of the final hidden-weight \
                    variance in 2 principal components.",
        checked: "A.1: `L(T) <= 1e-3 L_0`, an intermediate plateau lasting at least 10% of the time to fit, and at most \
                  `n - 2 = 3` clusters of kinks inside the data's range. A.2: the same zero loss and plateau, and the \
                  top two squared singular values of the final `W` carry at least half of `|W|_F^2`.",
        tolerance: "\"Zero\" is `1e-3 L_0`, invisible on the paper's linear loss profile; `n - 2` kinks are the most a \
                    sparse interpolant needs inside the range; 0.5 lies between the isotropic value (0.14) and the \
                    paper's 80%.",
        evidence: "Reduced runs (A.1: `lambda = 1e-3/sqrt(60)`, step `5e-3`; A.2: `n = 16`, `d = 64`, `m = 40`, step \
                   `1e-2`); `reluflow reproduce nonorthogonal|highdim` runs the paper's sizes.",
        checks: &["experiments::check_xa_a1", "experiments::check_xa_a2"],
        tests: "tests/claims_experiments.rs",
        negative_controls: &[
            nc(
                "xa_negative_control_large_init_a1",
                "`lambda = 10/sqrt(m)` (lazy): no intermediate plateau, kinks all over the data range",
            ),
            nc(
                "xa_negative_control_large_init_a2",
                "`lambda = 10/sqrt(m d)` (lazy): no plateau, the weights spread over all directions",
            ),
        ],
    },
];

/// The entry of `id`.
pub fn entry(id: ClaimId) -> &'static ClaimEntry {
    CATALOGUE.iter().find(|e| e.id == id).expect("every ClaimId has an entry (tests/claims_catalogue.rs)")
}

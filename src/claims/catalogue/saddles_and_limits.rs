//! Catalogue entries: The saddle phases (Lemmas 3, 4, Fact 1) and the lambda -> 0 limits (Lemma 12, Theorem 1, the time scales, the lazy and non-orthogonal regimes): checked in `claims::saddles` and `claims::limits`.

use super::{ClaimEntry, nc};
use crate::claims::ClaimId;

/// The catalogue entry of L3.
pub(super) const L3: ClaimEntry = ClaimEntry {
    id: ClaimId::L3,
    reference: ClaimId::L3.reference(),
    heuristic: ClaimId::L3.is_heuristic(),
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
               `eps = eps_max` and `eps_max/2`. Skipped when no such instance is drawn; on an instance of your own, \
               run at its `lambda`, which must be `<= 1e-100` with `eps_max >= 0.02` (the windows of width \
               `~ eps ln(1/lambda)/|D|` must contain the fitting times up to their `lambda`-free offsets).",
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
};

/// The catalogue entry of F1.
pub(super) const F1: ClaimEntry = ClaimEntry {
    id: ClaimId::F1,
    reference: ClaimId::F1.reference(),
    heuristic: ClaimId::F1.is_heuristic(),
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
};

/// The catalogue entry of L4.
pub(super) const L4: ClaimEntry = ClaimEntry {
    id: ClaimId::L4,
    reference: ClaimId::L4.reference(),
    heuristic: ClaimId::L4.is_heuristic(),
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
};

/// The catalogue entry of L12.
pub(super) const L12: ClaimEntry = ClaimEntry {
    id: ClaimId::L12,
    reference: ClaimId::L12.reference(),
    heuristic: ClaimId::L12.is_heuristic(),
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
    evidence: "Seven flow runs (`rtol = 1e-10`) to `L < 1e-16` within a derived horizon per instance (the ladder \
               `1e-4, 1e-8, ..., 1e-128, 1e-300` with the same `g_j`), on well-separated instances (`n` 2-4, `m` 8-16, \
               Assumptions 1-3). Skipped when no such instance is drawn. On an instance of your own the ladder \
               starts at its `lambda` (required in `[1e-32, 1e-4]`) and continues with the rungs at or below \
               `lambda^2`: at least 4 rungs.",
    checks: &["limits::check_l12", "limits::check_l12_against", "limits::ladder_theta_star"],
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
};

/// The catalogue entry of T1.
pub(super) const T1: ClaimEntry = ClaimEntry {
    id: ClaimId::T1,
    reference: ClaimId::T1.reference(),
    heuristic: ClaimId::T1.is_heuristic(),
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
};

/// The catalogue entry of TS.
pub(super) const TS: ClaimEntry = ClaimEntry {
    id: ClaimId::TS,
    reference: ClaimId::TS.reference(),
    heuristic: ClaimId::TS.is_heuristic(),
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
    checks: &["limits::check_ts", "limits::check_ts_with", "limits::ladder_fit_offset"],
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
};

/// The catalogue entry of LZ.
pub(super) const LZ: ClaimEntry = ClaimEntry {
    id: ClaimId::LZ,
    reference: ClaimId::LZ.reference(),
    heuristic: ClaimId::LZ.is_heuristic(),
    statement: "Large initialisation (e.g. `lambda = 10/sqrt(m)`) is the lazy regime: weights barely move, no \
                plateau, the final norm is not minimal.",
    checked: "On one flow run at `lambda = 10/sqrt(m)`: (1) `|theta_end - theta_0|/|theta_0| <= 1`; (2) no plateau: \
              between every two accepted steps above the resolution, `-d ln L/dt >= |D-|`; (3) \
              `|theta_end|^2/min_norm_sq - 1 >= rho`, strictly above the minimum beyond the run's resolution; (4) \
              zero loss (`L < 1e-16`) within the derived horizon (judged as `t_stop/horizon <= 1`).",
    tolerance: "(1) the scale-free boundary between the regimes (end point closer to the initialisation than the \
                initialisation is to 0); (2) Lemma 15's rate, each step judged up to its own local error (derived); \
                (3) the resolution of T1.",
    evidence: "One flow run (`rtol = 1e-10`) per instance at `lambda = 10/sqrt(m)`, `n` 2-4, Assumptions 1-3, width \
               `2^(n+2)`. On an instance of your own, one run at its `lambda`, which must be at least `10/sqrt(m)` \
               (and Assumption 3: without it the lazy flow can stall above zero loss too).",
    checks: &["limits::check_lz", "limits::step_loss_resolution"],
    tests: "tests/claims_limits.rs",
    negative_controls: &[nc(
        "lz_negative_control_small_lambda_is_rich",
        "small `lambda` (the rich regime) on the same instances: the weights move by `1/lambda` times their size, the loss sits on a plateau, the norm is minimal",
    )],
};

/// The catalogue entry of NO.
pub(super) const NO: ClaimEntry = ClaimEntry {
    id: ClaimId::NO,
    reference: ClaimId::NO.reference(),
    heuristic: ClaimId::NO.is_heuristic(),
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
               where the flow can meet a sliding mode; the flow on the orthonormal ones) on the instances of L12, \
               `lambda = delta = 1e-4, ..., 1e-12`. On an instance of your own the ladder starts at its `lambda` \
               (required in `[1e-8, 1e-4]`) and continues with the rungs at or below `lambda/100`; the perturbation \
               is seeded by its initialisation seed.",
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
};

//! Claim tests: the saddle-to-saddle phases, claims L3 (Lemma 3 / 10), F1 (Fact 1) and L4
//! (Lemma 4 / 11), on the gradient flow at `lambda` in `[1e-300, 2e-300)`.
//!
//! The checks and the derivation of every tolerance are in `reluflow::claims::saddles`. Each
//! positive test runs the checks on random well-separated instances (proptest over
//! `saddles::instance_shape()`); each negative control runs the SAME check on a setting that
//! breaks one assumption and asserts that it fails. One simulation to `t3` takes about 0.15 s.

use proptest::prelude::*;
use reluflow::Instance;
use reluflow::claims::registry;
use reluflow::claims::saddles::{
    self, SaddleSample, SaddleTheory, SaddleTrace, check_f1, check_l3, check_l3_logistic, check_l4, horizon_for,
    instance_shape, judge, simulate, verdict_on,
};
use reluflow::claims::{ClaimId, Outcome, Verdict};
use reluflow::generators::InstanceShape;
use reluflow::init::{InitKind, NeuronSets};
use reluflow::theory;

/// The instance's theory at `eps = epsilon_max` (Appendix B.2, corrected).
fn theory_of(instance: &Instance) -> SaddleTheory {
    let eps = theory::epsilon_max(&instance.data).expect("well-separated instances have r > 1");
    SaddleTheory::new(instance, eps).expect("admissible eps")
}

/// Simulates far enough for `id` and judges at the single `eps` of `th` (no fraction sweep:
/// a negative control must fail at the theory it is given).
fn verdict_at(id: ClaimId, instance: &Instance, th: &SaddleTheory) -> Verdict {
    let trace = simulate(instance, th, horizon_for(id, th)).expect("the flow runs");
    verdict_on(id, &trace, th)
}

fn dot(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v).map(|(a, b)| a * b).sum()
}

/// Instances that violate Assumption 3 on one side only (`plus_empty`: `S+,1` empty and `S-,1`
/// non-empty, else the reverse). Widths 8..=10 keep the rejection rate low.
fn assumption_3_violated(plus_empty: bool) -> BoxedStrategy<Instance> {
    let shape = InstanceShape { assumption_3: false, ..instance_shape().with_width(8..=10) };
    shape
        .strategy()
        .prop_filter("one side of Assumption 3 empty", move |i| {
            let s = i.sets().expect("init");
            if plus_empty {
                s.s_plus_1.is_empty() && !s.s_minus_1.is_empty()
            } else {
                s.s_minus_1.is_empty() && !s.s_plus_1.is_empty()
            }
        })
        .boxed()
}

/// The instance with all labels flipped (`r < 1`), kept only if the flipped problem still
/// satisfies Assumption 3, so that only the sign convention is broken.
fn flipped_with_assumption_3() -> BoxedStrategy<(Instance, f64)> {
    instance_shape()
        .strategy()
        .prop_filter_map("flipped instance misses Assumption 3", |i| {
            let eps = theory::epsilon_max(&i.data)?;
            let flipped = Instance { data: i.data.with_flipped_labels(), ..i };
            flipped.sets().ok()?.assumption_3().then_some((flipped, eps))
        })
        .boxed()
}

/// Whether the unbalanced initialisation of `instance` has a neuron that the balanced analysis
/// mislabels: `a_j(0) < 0` (so `s_j = -1`, outside `S+,1`), active on exactly the positive labels
/// (so `D_j = D+` while `h ~ 0`) and with `a_j(0) + <w_j(0), D+/|D+|> > 0`. The linearised flow
/// `a' = |D+| alpha`, `alpha' = |D+| a` (`alpha = <w_j, D+/|D+|>`, the rest of `w_j` frozen) is
/// then solved by `a + alpha ~ e^{|D+| t}` growing and `a - alpha` decaying: `a_j` turns positive
/// and the neuron grows like an `S+,1` neuron; `alpha` stays above
/// `alpha_min = sqrt(alpha0^2 - a0^2)`, and the neuron stays active on every positive label if
/// `<w_perp, x_k> + alpha_min <D+/|D+|, x_k> > 0`, which is required too. Lemma 3 (iii) must then
/// fail (a neuron outside `S+,1` reaches size O(1) by `t2`).
fn has_mislabelled_growing_neuron(instance: &Instance) -> bool {
    let init = instance.initialisation().expect("init");
    let data = &instance.data;
    let dp = theory::d_plus(data);
    let nd = dot(&dp, &dp).sqrt();
    let dhat: Vec<f64> = dp.iter().map(|v| v / nd).collect();
    (0..init.params.m()).any(|j| {
        let (a0, w) = (init.params.a_hat(j), init.params.w_hat(j));
        let alpha0 = dot(w, &dhat);
        let on_exactly_positive =
            (0..data.n()).all(|k| (dot(w, data.x(k)) > 0.0) == (data.y()[k] > 0.0) && dot(w, data.x(k)) != 0.0);
        if !(a0 < 0.0 && on_exactly_positive && a0 + alpha0 > 0.0) {
            return false;
        }
        let alpha_min = (alpha0 * alpha0 - a0 * a0).max(0.0).sqrt();
        (0..data.n()).filter(|&k| data.y()[k] > 0.0).all(|k| {
            let x = data.x(k);
            dot(w, x) - alpha0 * dot(&dhat, x) + alpha_min * dot(&dhat, x) > 0.0
        })
    })
}

fn unbalanced_with_mislabelled_neuron() -> BoxedStrategy<Instance> {
    instance_shape()
        .strategy()
        .prop_filter_map("no mislabelled growing neuron", |i| {
            let u = i.with_init_kind(InitKind::Unbalanced);
            has_mislabelled_growing_neuron(&u).then_some(u)
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Positive tests
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(crate::common::config(6))]

    /// Lemma 3 (i)-(iii) at some grid time before `-(1+3eps) ln(lambda)/|D+|`, and the logistic
    /// law of `u+` on `[t+1, t_0.9]`, at `eps = epsilon_max` and `epsilon_max/2`.
    #[test]
    fn l3_positive_fit_ends_within_lemma_3_bounds_and_follows_the_logistic_law(instance in instance_shape().strategy()) {
        let th = theory_of(&instance);
        let v = judge(ClaimId::L3, &instance, &th).expect("the flow runs");
        prop_assert!(v.holds(), "{v:#?}");
    }

    /// Fact 1: the loss stays within the band derived from `lambda^(eps/5)` of the saddle level on
    /// Fact 1's interval, and the half-fit landmarks fall in Figure 1's windows.
    #[test]
    fn f1_loss_plateaus_at_the_saddle_level_on_the_fact_1_interval(instance in instance_shape().strategy()) {
        let th = theory_of(&instance);
        let v = judge(ClaimId::F1, &instance, &th).expect("the flow runs");
        prop_assert!(v.holds(), "{v:#?}");
    }

    /// Lemma 4 (i)-(iv) at some grid time before `-(1+3 r eps) ln(lambda)/|D-|`, and
    /// `|D+^t| <= lambda^(eps/14)` on `[t2, t3]`.
    #[test]
    fn l4_negative_fit_ends_within_lemma_4_bounds(instance in instance_shape().strategy()) {
        let th = theory_of(&instance);
        let v = judge(ClaimId::L4, &instance, &th).expect("the flow runs");
        prop_assert!(v.holds(), "{v:#?}");
    }
}

/// The registry entry point checks (does not skip) and holds on a few seeded instances.
#[test]
fn l3_f1_l4_run_checks_and_holds_on_seeded_instances() {
    for seed in 0..2 {
        for id in [ClaimId::L3, ClaimId::F1, ClaimId::L4] {
            let out = registry::run(id, seed);
            assert!(matches!(out, Outcome::Checked(_)), "{id} seed {seed}: {out:?}");
            assert!(out.held(), "{id} seed {seed}: {out:#?}");
        }
    }
    assert!(matches!(
        saddles::check(ClaimId::L1, &saddles::instance(ClaimId::L3, 0).unwrap()),
        Outcome::Skipped { .. }
    ));
}

// ---------------------------------------------------------------------------------------------
// Negative controls
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(crate::common::config(3))]

    /// Labels flipped (`r < 1`) without the paper's w.l.o.g. flip: the theory predicts the weaker
    /// side first; the stronger side's neurons (outside `S+,1`) grow first, so Lemma 3 fails.
    #[test]
    fn l3_negative_control_labels_sign_convention_swapped((flipped, eps) in flipped_with_assumption_3()) {
        let th = SaddleTheory::unchecked(&flipped, eps).expect("theory");
        prop_assert!(th.r < 1.0);
        let v = verdict_at(ClaimId::L3, &flipped, &th);
        prop_assert!(!v.holds(), "{v:#?}");
    }

    /// Assumption 3 violated (`S+,1` empty): nothing can carry `n|D+|`, Lemma 3 (ii) fails.
    #[test]
    fn l3_negative_control_assumption_3_violated_s_plus_1_empty(instance in assumption_3_violated(true)) {
        let v = verdict_at(ClaimId::L3, &instance, &theory_of(&instance));
        prop_assert!(!v.holds(), "{v:#?}");
    }

    /// Unbalanced initialisation (Lemma 1's premise broken) with a mislabelled neuron (see
    /// `has_mislabelled_growing_neuron`): it grows outside `S+,1`, Lemma 3 (iii) fails.
    #[test]
    fn l3_negative_control_unbalanced_init(instance in unbalanced_with_mislabelled_neuron()) {
        let v = verdict_at(ClaimId::L3, &instance, &theory_of(&instance));
        prop_assert!(!v.holds(), "{v:#?}");
    }

    /// A wrong theory constant: the logistic rate `|D+|` instead of `2|D+|` (the factor 2 of
    /// `d|w_j|^2/dt = 2|w_j|^2 <D+^t, w_j/|w_j|>` forgotten), and a rate only 5% off, which the
    /// tolerance must also resolve: on the first window (`p <= 0.1`, `t >= t+1`) the model part
    /// is `delta(0.1) <= 1e-3/|D+| + 0.11 sqrt(2e-3/|D+|)`, below 2.5% for every instance of the
    /// shape (`eps >= 0.02`, `|D+| >= 1/8`), and the integrator part is about `1e-9`.
    #[test]
    fn l3_negative_control_wrong_logistic_rate(instance in instance_shape().strategy()) {
        let th = theory_of(&instance);
        let trace = simulate(&instance, &th, horizon_for(ClaimId::L3, &th)).expect("the flow runs");
        prop_assert!(check_l3_logistic(&trace, &th).holds());
        for rate in [th.d_plus_norm, 1.05 * th.logistic_rate] {
            let wrong = SaddleTheory { logistic_rate: rate, ..th.clone() };
            let v = check_l3_logistic(&trace, &wrong);
            prop_assert!(!v.holds(), "rate {rate}: {v:#?}");
        }
    }

    /// A wrong theory constant: the plateau level of the other side,
    /// `(1/2n) sum_{y>0} y^2`, instead of `(1/2n) sum_{y<0} y^2`.
    #[test]
    fn f1_negative_control_wrong_plateau_level(instance in instance_shape().strategy()) {
        let th = theory_of(&instance);
        let trace = simulate(&instance, &th, horizon_for(ClaimId::F1, &th)).expect("the flow runs");
        prop_assert!(check_f1(&trace, &th).holds());
        let positive_level =
            instance.data.y().iter().filter(|&&y| y > 0.0).map(|y| y * y).sum::<f64>() / (2.0 * th.n as f64);
        let wrong = SaddleTheory { plateau_loss: positive_level, ..th.clone() };
        let v = check_f1(&trace, &wrong);
        prop_assert!(!v.holds(), "{v:#?}");
    }

    /// Assumption 3 violated (`S+,1` empty): the positive labels are not fitted at the `|D+|`
    /// time scale, so the loss is not at the saddle level on Fact 1's interval.
    #[test]
    fn f1_negative_control_assumption_3_violated_s_plus_1_empty(instance in assumption_3_violated(true)) {
        let v = verdict_at(ClaimId::F1, &instance, &theory_of(&instance));
        prop_assert!(!v.holds(), "{v:#?}");
    }

    /// Labels flipped without the w.l.o.g. flip: Fact 1's interval is empty (start after end).
    #[test]
    fn f1_negative_control_labels_sign_convention_swapped((flipped, eps) in flipped_with_assumption_3()) {
        let th = SaddleTheory::unchecked(&flipped, eps).expect("theory");
        let v = verdict_at(ClaimId::F1, &flipped, &th);
        prop_assert!(!v.holds(), "{v:#?}");
    }

    /// Assumption 3 violated (`S-,1` empty): nothing carries `n|D-|`, Lemma 4 (ii) fails. With
    /// `S-,1` empty the sum in (ii) is exactly 0, so (ii) fails exactly when
    /// `n|D-| > lambda^(eps/29)`; the control keeps those instances. Where `lambda^(eps/29) >= n|D-|`
    /// (e.g. `n|D-| = 0.50`, `eps = 0.024` at `lambda = 1e-300` gives `0.56`: a case a deeper run
    /// found) the printed bound cannot tell an empty `S-,1` from a fitted one.
    #[test]
    fn l4_negative_control_assumption_3_violated_s_minus_1_empty(
        instance in assumption_3_violated(false).prop_filter("Lemma 4 (ii) bound below n|D-|", |i| {
            let th = theory_of(i);
            th.k_minus.ln() > theory::ln_lemma4_mass_gap(th.ln_lambda, th.eps)
        })
    ) {
        let v = verdict_at(ClaimId::L4, &instance, &theory_of(&instance));
        prop_assert!(!v.holds(), "{v:#?}");
    }

    /// Labels flipped without the w.l.o.g. flip: the predicted order of the phases is wrong.
    #[test]
    fn l4_negative_control_labels_sign_convention_swapped((flipped, eps) in flipped_with_assumption_3()) {
        let th = SaddleTheory::unchecked(&flipped, eps).expect("theory");
        let v = verdict_at(ClaimId::L4, &flipped, &th);
        prop_assert!(!v.holds(), "{v:#?}");
    }

    /// Unbalanced initialisation with a mislabelled growing neuron: no `t2`, so Lemma 4 fails.
    #[test]
    fn l4_negative_control_unbalanced_init(instance in unbalanced_with_mislabelled_neuron()) {
        let v = verdict_at(ClaimId::L4, &instance, &theory_of(&instance));
        prop_assert!(!v.holds(), "{v:#?}");
    }
}

/// Large initialisation `lambda = 1e-2` (same data and directions as the seeded instances 0..4
/// of `saddles::run`): the phases are then separated by `O(1)` times only and the negative
/// labels are half fitted before `(1-eps) ln(1/lambda)/|D-|`, so Fact 1's timeline fails. This is
/// not universal: "lambda small enough" is the only assumption broken, and some well-separated
/// instances still show Fact 1's timeline at `1e-2` (a proptest over the shape found one with
/// margin +0.04), so this control is on the seeded instances `0..10` and asserts that F1 fails on
/// most of them (more than half; measured: 8 of 10, margins -0.12 to -0.52; seeds 0 and 9 hold
/// with +0.12 and +0.02). L3 and L4 are not controlled by large `lambda`: their bounds
/// `lambda^(eps/k)` are then vacuous and they hold.
#[test]
fn f1_negative_control_large_lambda() {
    let failed = (0..10)
        .filter(|&seed| {
            let (instance, _) = saddles::setup(seed).expect("instance");
            let big = instance.with_lambda(1e-2);
            !verdict_at(ClaimId::F1, &big, &theory_of(&big)).holds()
        })
        .count();
    assert!(2 * failed > 10, "F1 failed on only {failed} of 10 instances at lambda = 1e-2");
}

/// The sets the checks use are the instance's own (eqs. (5)-(6)), and the direct check functions
/// agree with `verdict_on`.
#[test]
fn l3_l4_checks_use_the_instance_sets() {
    let (instance, th) = saddles::setup(1).expect("instance");
    let sets = NeuronSets::of(&instance.initialisation().unwrap().params, &instance.data);
    assert_eq!((th.s_plus_1.clone(), th.s_minus_1.clone()), (sets.s_plus_1, sets.s_minus_1));
    let trace = simulate(&instance, &th, horizon_for(ClaimId::L4, &th)).expect("the flow runs");
    assert_eq!(verdict_on(ClaimId::L4, &trace, &th), check_l4(&trace, &th));
    assert_eq!(verdict_on(ClaimId::F1, &trace, &th), check_f1(&trace, &th));
    assert!(check_l3(&trace, &th).holds());
}

// ---------------------------------------------------------------------------------------------
// The judges on evidence given as data (no simulation)
// ---------------------------------------------------------------------------------------------

/// A hand-made trace of the phases: Lemma 3's conclusions hold exactly at `t = 1` (aligned
/// `S+,1`, `u+ = n|D+|`, nothing else), and from `t = 2` on, at the times `after`, `u-` is
/// `u_minus` with `S-,1` aligned, `S+,1` unmoved, no other neuron and `D+^t = 0`.
fn synthetic_trace(th: &SaddleTheory, u_minus: f64, after: &[f64]) -> SaddleTrace {
    let d = th.d_plus.len();
    let w_plus = vec![0.5; th.s_plus_1.len() * d];
    let sample = |time: f64, ln_u_plus: f64, ln_u_minus: f64| SaddleSample {
        time,
        step: 0,
        loss: 0.0,
        ln_u_plus,
        ln_u_minus,
        gap_plus: 0.0,
        gap_minus: 0.0,
        ln_max_outside_plus: f64::NEG_INFINITY,
        ln_max_outside_both: f64::NEG_INFINITY,
        d_plus_t_norm: 0.0,
        w_plus: w_plus.clone(),
    };
    let mut samples =
        vec![sample(0.0, f64::NEG_INFINITY, f64::NEG_INFINITY), sample(1.0, th.k_plus.ln(), f64::NEG_INFINITY)];
    samples.extend(after.iter().map(|&t| sample(t, th.k_plus.ln(), u_minus.ln())));
    SaddleTrace { samples, horizon: th.t3_bound, gradient_evaluations: 0 }
}

/// Lemma 4 (ii) cannot tell an empty `S-,1` (`u- = 0`) from a fitted one when
/// `lambda^(eps/29) >= n|D-|`: the part is then marked vacuous (and never binds); below that
/// bound the same evidence fails on (ii).
#[test]
fn l4_mass_part_is_vacuous_when_its_bound_reaches_n_d_minus() {
    let (_, th) = saddles::setup(1).expect("instance");
    let empty = |th: &SaddleTheory| check_l4(&synthetic_trace(th, 0.0, &[2.0, 3.0]), th);
    let v = empty(&th);
    assert!(th.k_minus.ln() > theory::ln_lemma4_mass_gap(th.ln_lambda, th.eps), "{th:?}");
    assert!(!v.holds() && v.statement().contains("[FAIL] (ii)"), "{v:#?}");
    // n|D-| just below lambda^(eps/29): (ii) is vacuous, the other parts still bite
    let k_minus = 0.99 * theory::ln_lemma4_mass_gap(th.ln_lambda, th.eps).exp();
    let weak = SaddleTheory { k_minus, ..th.clone() };
    let v = empty(&weak);
    assert!(v.holds() && !v.is_vacuous() && v.statement().contains("[vacuous] (ii)"), "{v:#?}");
}

/// "For some grid time" is judged at the grid time whose binding part has the largest margin,
/// and of equal ones at the first: here Lemma 3 holds exactly from `t = 1` on and Lemma 4 from
/// `t = 2` on, identically at every later grid time, so the witnesses reported are `t = 1` and
/// `t3 = 2` (preferring a later tie, `>=` for `>` in the searches, reports `3`).
#[test]
fn l3_l4_report_the_first_of_tied_witnesses() {
    let (_, th) = saddles::setup(1).expect("instance");
    let trace = synthetic_trace(&th, th.k_minus, &[2.0, 3.0]);
    let l3 = check_l3(&trace, &th);
    assert!(l3.holds() && l3.statement().contains("best grid time t = 1.00"), "{l3:#?}");
    let l4 = check_l4(&trace, &th);
    assert!(l4.holds() && l4.statement().contains("best grid time t3 = 2.00"), "{l4:#?}");
}

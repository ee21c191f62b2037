//! Claims X5 (Section 5, Figures 2-3) and XA (Appendix A): the paper's experiments, with the
//! large-initialisation (lazy) negative controls.

use proptest::prelude::*;
use reluflow::claims::experiments::{
    check_x5, check_x5_final_loss, check_x5_kinks, check_x5_plateau, check_xa_a1, check_xa_a2, check_xa_kinks,
    check_xa_pca, check_xa_plateau, check_xa_zero_loss,
};
use reluflow::claims::registry::run;
use reluflow::claims::{ClaimId, Outcome, Verdict};
use reluflow::experiments::data::a2_reduced_data;
use reluflow::experiments::measures::{
    KINK_GAP, PLATEAU_FRACTION, clusters, intermediate_plateau, kinks, longest_band_stretch, time_to_fit,
    top2_explained_variance,
};
use reluflow::experiments::{
    A1_REDUCED_MAX_STEPS, A1_REDUCED_STEP, A1_WIDTH, A2_D, A2_WIDTH, a1_reduced_lambda, a1_run, a2_lambda, a2_run,
    a2_run_with_step, x5_lambda, x5_large_lambda, x5_run,
};
use reluflow::theory;

fn assert_holds(v: &Verdict) {
    assert!(v.holds(), "expected to hold: measured {:e}, bound {:e}\n{}", v.measured(), v.bound(), v.statement());
}

fn assert_fails(v: &Verdict) {
    assert!(!v.holds(), "expected to fail: measured {:e}, bound {:e}\n{}", v.measured(), v.bound(), v.statement());
}

// ---------------------------------------------------------------------------------------------
// X5
// ---------------------------------------------------------------------------------------------

#[test]
fn x5_toy_with_the_paper_settings_has_two_kinks_a_plateau_and_zero_loss() {
    for seed in 0..4 {
        let r = x5_run(x5_lambda(), seed).expect("gd");
        assert_eq!(r.steps, 20_000);
        assert_holds(&check_x5(&r));
    }
}

proptest! {
    #![proptest_config(crate::common::config(8))]

    #[test]
    fn x5_holds_for_random_initialisations(seed in any::<u64>()) {
        let r = x5_run(x5_lambda(), seed).expect("gd");
        let v = check_x5(&r);
        prop_assert!(v.holds(), "{}", v.statement());
    }
}

/// The cut on the slope jump separating neurons that carry a kink from those left at the
/// initialisation scale sits in a gap of several orders of magnitude: any cut from 1e-1 to 1e-5
/// gives the same two clusters (not a tuned threshold).
#[test]
fn x5_kink_count_does_not_depend_on_the_slope_cut() {
    for seed in 0..2 {
        let r = x5_run(x5_lambda(), seed).expect("gd");
        let gap = KINK_GAP * 2.5;
        for cut in [1e-1, 1e-2, 1e-3, 1e-4, 1e-5] {
            let cl = clusters(&kinks(&r.final_params, cut), gap);
            assert_eq!(cl.len(), 2, "cut {cut:e}: {cl:?}");
            assert!((cl[0].0 + 0.5).abs() < 1e-3 && (cl[1].0 - 2.0).abs() < 1e-3, "cut {cut:e}: {cl:?}");
        }
    }
}

#[test]
fn x5_plateau_is_at_the_negative_label_loss() {
    // the plateau check's level is Fact 1's (1/2n) sum_{y<0} y^2 = 0.25 on the toy
    let r = x5_run(x5_lambda(), 0).expect("gd");
    assert_eq!(theory::plateau_loss(&r.data), 0.25);
    assert_holds(&check_x5_plateau(&r));
    // a level off by 20% (a wrong theory constant) has no plateau
    let wrong = longest_band_stretch(&r.curve, 0.3, 0.1);
    assert!(wrong.is_none_or(|s| s.duration() < 1.0), "{wrong:?}");
}

#[test]
fn x5_negative_control_large_init() {
    // lambda = 10/sqrt(m): lazy regime; zero loss is still reached, but no plateau and many kinks
    for seed in 0..3 {
        let r = x5_run(x5_large_lambda(), seed).expect("gd");
        assert_holds(&check_x5_final_loss(&r));
        assert_fails(&check_x5_kinks(&r));
        assert_fails(&check_x5_plateau(&r));
        assert_fails(&check_x5(&r));
    }
}

#[test]
fn x5_run_holds_on_the_first_seeds() {
    for seed in 0..4 {
        match run(ClaimId::X5, seed) {
            Outcome::Checked(v) => assert_holds(&v),
            other => panic!("seed {seed}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// XA
// ---------------------------------------------------------------------------------------------

/// A.1 at the paper's scale `1e-4/sqrt(60)`, with step `1e-3` (half the paper's: with `2e-3`
/// gradient descent stalls at L = 0.031816 (up to t = 1500 at least) on 4 initialisations in 40, a
/// discretisation artefact that smaller steps remove).
#[test]
fn xa_a1_with_the_paper_scale_has_zero_loss_a_plateau_and_few_kinks() {
    let r = a1_run(1e-4 / (A1_WIDTH as f64).sqrt(), 0, 1e-3, 1_500_000).expect("gd");
    assert_holds(&check_xa_a1(&r));
}

proptest! {
    #![proptest_config(crate::common::config(4))]

    #[test]
    fn xa_a1_reduced_holds_for_random_initialisations(seed in any::<u64>()) {
        let r = a1_run(a1_reduced_lambda(), seed, A1_REDUCED_STEP, A1_REDUCED_MAX_STEPS).expect("gd");
        let v = check_xa_a1(&r);
        prop_assert!(v.holds(), "{}", v.statement());
    }

    #[test]
    fn xa_a2_reduced_holds_for_random_initialisations(seed in any::<u64>()) {
        let r = a2_run(a2_lambda(), seed).expect("gd");
        let v = check_xa_a2(&r);
        prop_assert!(v.holds(), "{}", v.statement());
    }
}

#[test]
fn xa_a2_reduced_data_is_the_first_draw_with_both_label_sides_active() {
    let (data, seed) = a2_reduced_data();
    assert_eq!(seed, 0);
    let r = theory::r(&data);
    assert!((1.5..=4.0).contains(&r), "r = {r}");
}

/// The reduced A.2 runs with step `1e-2`; the paper's `2e-3` follows the same trajectory (same
/// plateau within 5% in time, same verdict), at five times the cost.
#[test]
fn xa_a2_reduced_step_follows_the_paper_step() {
    let coarse = a2_run(a2_lambda(), 0).expect("gd");
    let fine = a2_run_with_step(a2_lambda(), 0, 2e-3).expect("gd");
    assert_holds(&check_xa_a2(&coarse));
    assert_holds(&check_xa_a2(&fine));
    let pc = intermediate_plateau(&coarse.curve, coarse.label_loss()).expect("plateau");
    let pf = intermediate_plateau(&fine.curve, fine.label_loss()).expect("plateau");
    assert!((pc.start - pf.start).abs() <= 0.05 * pf.start, "{pc:?} vs {pf:?}");
    assert!((pc.end - pf.end).abs() <= 0.05 * pf.end, "{pc:?} vs {pf:?}");
}

#[test]
fn xa_negative_control_large_init_a1() {
    // lambda = 10/sqrt(m) (Figure 5): lazy, no intermediate plateau, kinks all over the data range
    for seed in [0, 2] {
        let r = a1_run(10.0 / (A1_WIDTH as f64).sqrt(), seed, A1_REDUCED_STEP, A1_REDUCED_MAX_STEPS).expect("gd");
        assert_fails(&check_xa_a1(&r));
        assert_holds(&check_xa_zero_loss(&r));
        assert_fails(&check_xa_plateau(&r));
        assert_fails(&check_xa_kinks(&r));
    }
}

/// The plateau fraction separates the saddle-to-saddle runs from the lazy ones by a stated
/// margin: a lazy A.1 run spends at most the derived single-exponential share `4.4%` of its time
/// to fit in a band (0.034 measured on seed 0, the one lazy run with a plateau of positive
/// length), below `PLATEAU_FRACTION = 0.1`, and fails the part, while the reduced A.1 runs spend
/// more than `1.4 x PLATEAU_FRACTION` (0.23 measured).
#[test]
fn xa_plateau_fraction_separates_saddles_from_the_lazy_regime() {
    let share = |r: &reluflow::experiments::ExperimentRun| {
        let l0 = r.label_loss();
        intermediate_plateau(&r.curve, l0).map_or(0.0, |p| p.duration()) / time_to_fit(&r.curve, l0, r.time)
    };
    let lazy = a1_run(10.0 / (A1_WIDTH as f64).sqrt(), 0, A1_REDUCED_STEP, A1_REDUCED_MAX_STEPS).expect("gd");
    let s = share(&lazy);
    assert!(s > 0.0 && s <= (1.1f64 / 0.9).ln() / 100f64.ln(), "lazy share {s}");
    let v = check_xa_plateau(&lazy);
    assert_fails(&v);
    assert!(
        (v.bound() / (PLATEAU_FRACTION * time_to_fit(&lazy.curve, lazy.label_loss(), lazy.time)) - 1.0).abs() < 1e-12
    );
    let rich = a1_run(a1_reduced_lambda(), 0, A1_REDUCED_STEP, A1_REDUCED_MAX_STEPS).expect("gd");
    assert!(share(&rich) > 1.4 * PLATEAU_FRACTION, "rich share {}", share(&rich));
    assert_holds(&check_xa_plateau(&rich));
}

#[test]
fn xa_negative_control_large_init_a2() {
    // lambda = 10/sqrt(m d): lazy, no intermediate plateau, weights spread over all directions
    for seed in [1, 3] {
        let r = a2_run(10.0 / ((A2_WIDTH * A2_D) as f64).sqrt(), seed).expect("gd");
        let v = check_xa_a2(&r);
        assert_fails(&v);
        assert_holds(&check_xa_zero_loss(&r));
        assert_fails(&check_xa_plateau(&r));
        assert_fails(&check_xa_pca(&r));
        assert!(top2_explained_variance(&r.final_params) < 0.5, "{}", v.statement());
    }
}

#[test]
fn xa_run_holds_on_the_first_seeds() {
    for seed in 0..4 {
        match run(ClaimId::XA, seed) {
            Outcome::Checked(v) => assert_holds(&v),
            other => panic!("seed {seed}: {other:?}"),
        }
    }
}

/// The premises of X5 and XA are requirements: XA on the Section 5 toy (orthogonal inputs: not an
/// Appendix A instance) and X5 on the A.1 data (not orthogonal) are skipped naming the unmet one,
/// as is XA on Gaussian inputs with more points than dimensions (neither A.1 nor A.2) and XA at a
/// large initialisation.
#[test]
fn x5_xa_are_skipped_outside_their_settings() {
    use reluflow::claims::{Requirement, check};
    use reluflow::experiments::{a1_instance, x5_instance};
    let skipped = |id: ClaimId, instance: &reluflow::Instance, r: Requirement| match check(id, instance) {
        Outcome::Skipped { reason, .. } => assert!(reason.contains(&r.name()), "{id}: {reason}"),
        other => panic!("{id}: {other:?}"),
    };
    skipped(ClaimId::XA, &x5_instance(x5_lambda(), 0), Requirement::NonOrthogonalInputs);
    skipped(ClaimId::X5, &a1_instance(a1_reduced_lambda(), 0), Requirement::OrthogonalInputs);
    let crowded = reluflow::experiments::data::a2_data(20, 8, 0);
    skipped(ClaimId::XA, &reluflow::Instance::balanced(crowded, 40, 1e-8, 0), Requirement::AppendixASetting);
    skipped(ClaimId::XA, &a1_instance(10.0 / (A1_WIDTH as f64).sqrt(), 0), Requirement::LambdaAtMost(1.3e-4));
    skipped(ClaimId::X5, &x5_instance(x5_large_lambda(), 0), Requirement::LambdaAtMost(1e-6));
}

/// The judges read an `ExperimentRun` as data (here written by hand, as a run recorded by another
/// program would be), and mark the parts that cannot bite on it as vacuous: on the five A.1
/// points a width-2 network cannot have more than `n - 2 = 3` kink clusters, two principal
/// components carry all of a `2 x 2` matrix, and a run whose first sample is already below
/// `1e-2 L_0` has no time to fit in which to plateau. The zero-loss part still bites.
#[test]
fn xa_parts_that_cannot_bite_are_vacuous() {
    use reluflow::Params;
    use reluflow::experiments::ExperimentRun;
    use reluflow::experiments::measures::LossCurve;
    let data = reluflow::experiments::data::a1_data();
    let params = Params { a: vec![1.0, -0.5], w: vec![vec![1.0, 0.5], vec![-0.5, 0.2]] };
    let l0 = data.y().iter().map(|y| y * y).sum::<f64>() / 10.0;
    let run = ExperimentRun {
        data,
        width: 2,
        lambda: 1e-4,
        step: 1e-3,
        steps: 2,
        curve: LossCurve { times: vec![0.0, 1e-3, 2e-3], losses: vec![1e-3 * l0, 9e-4 * l0, 8e-4 * l0] },
        initial_loss: 1e-3 * l0,
        final_loss: 8e-4 * l0,
        time: 2e-3,
        initial_params: params.clone(),
        final_params: params,
    };
    for (name, v) in [("kinks", check_xa_kinks(&run)), ("pca", check_xa_pca(&run)), ("plateau", check_xa_plateau(&run))]
    {
        assert!(v.is_vacuous(), "{name}: {v:#?}");
    }
    let zero = check_xa_zero_loss(&run);
    assert!(zero.holds() && !zero.is_vacuous(), "{zero:#?}");
    let a1 = check_xa_a1(&run);
    assert!(a1.holds() && !a1.is_vacuous() && a1.statement().matches("[vacuous]").count() == 2, "{a1:#?}");
}

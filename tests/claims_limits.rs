//! Claim tests: L12, T1, TS (limits `lambda -> 0`, judged on lambda ladders), LZ (large
//! initialisation) and NO (nearly orthogonal inputs). The checks and the derivation of every
//! tolerance are in `reluflow::claims::limits`; each claim has proptest cases over the generators
//! and at least one negative control, where the same check must fail.
//!
//! Time: one flow ladder (7 rungs down to `1e-300`) takes 0.1-0.6 s with the optimised test
//! profile; the default case counts keep this file near 20 s. `PROPTEST_CASES` raises them.

use proptest::prelude::*;
use reluflow::Instance;
use reluflow::Params;
use reluflow::claims::Verdict;
use reluflow::claims::limits::*;
use reluflow::claims::regimes::labels_covered;
use reluflow::claims::registry::run;
use reluflow::generators::InstanceShape;
use reluflow::init::InitKind;
use reluflow::network::{Activation, Model};
use reluflow::solver::StopRule;
use reluflow::solver::flow::FlowConfig;
use reluflow::theory::{self, LabelSign, lambda_free};
use reluflow::trajectory::SampleSchedule;

/// A fixed well-separated instance (Assumptions 1-3, `eps >= 0.02`) for the negative controls.
fn fixed_instance(seed: u64) -> Instance {
    ladder_shape().sample(seed).expect("the shape draws an instance from this seed")
}

/// A fixed instance from `shape` whose `S+,1` is empty but `S-,1` is not (Assumption 3 fails on
/// the positive side only, so that the final-phase part of T1 still has a negative fit to time),
/// every label is covered by a neuron of its sign, and the positive labels the fastest positive
/// neuron misses are fitted faster than `|D-|` ([`positive_fit_rates`]): the whole positive fit
/// ends before the negative one, so every rung reaches zero loss within its horizon.
fn assumption_3_violated() -> Instance {
    let shape = InstanceShape { assumption_3: false, ..ladder_shape() };
    (1..200u64)
        .filter_map(|s| shape.sample(s))
        .find(|i| {
            let sets = i.sets().unwrap();
            sets.s_plus_1.is_empty()
                && !sets.s_minus_1.is_empty()
                && labels_covered(i)
                && positive_fit_rates(i).1 > theory::d_minus_norm(&i.data)
        })
        .expect("an instance with S+,1 empty among the first seeds")
}

/// The escape rates of the positive fit when `S+,1` is empty, from Lemma 3's growth restricted to
/// the points a neuron sees: a neuron `j` with `s_j = +1` starts active on the positive labels
/// `A_j` and grows at rate `|D_{A_j}| = sqrt(sum_{k in A_j} y_k^2) / n` (orthonormal inputs). The
/// fastest such neuron fits its `A_fast` first; the positive labels it misses are fitted next, at
/// the rate `max_j sqrt(sum_{k in A_j \ A_fast} y_k^2) / n` (0 when none is missed). Returns
/// `(fastest, second)`.
fn positive_fit_rates(inst: &Instance) -> (f64, f64) {
    let init = inst.initialisation().unwrap();
    let p = &init.params;
    let data = &inst.data;
    let active = |j: usize, k: usize| p.w_hat(j).iter().zip(data.x(k)).map(|(a, b)| a * b).sum::<f64>() > 0.0;
    let rate = |j: usize, skip: &dyn Fn(usize) -> bool| {
        let sq: f64 = (0..data.n())
            .filter(|&k| data.y()[k] > 0.0 && active(j, k) && !skip(k))
            .map(|k| data.y()[k] * data.y()[k])
            .sum();
        sq.sqrt() / data.n() as f64
    };
    let positive: Vec<usize> = (0..p.m()).filter(|&j| p.a_hat(j) > 0.0).collect();
    let Some(&fast) = positive.iter().max_by(|&&i, &&j| rate(i, &|_| false).total_cmp(&rate(j, &|_| false))) else {
        return (0.0, 0.0);
    };
    let second = positive.iter().map(|&j| rate(j, &|k| active(fast, k))).fold(0.0, f64::max);
    (rate(fast, &|_| false), second)
}

/// The `lambda`-free `theta*` of `inst` (process (28)) from its directions `g_j` (the draw at
/// `lambda = 1`) and its sets, without simulating.
fn predicted_theta_star(inst: &Instance) -> Params {
    let g = inst.with_lambda(1.0).initialisation().unwrap().params.to_params();
    let sets = inst.sets().unwrap();
    lambda_free::predicted_theta_star(&inst.data, &g, &sets.s_plus_1, &sets.s_minus_1).unwrap()
}

fn assert_fails(v: &Verdict) {
    assert!(!v.holds(), "the negative control should fail, but the check held:\n{v:#?}");
}

// ---------------------------------------------------------------------------------------------
// The judgement itself
// ---------------------------------------------------------------------------------------------

/// A pure power law passes; a power law plus a non-zero limit fails once the constant dominates;
/// a gap at the resolution passes; a gap that leaves the resolution again fails.
#[test]
fn t1_trend_judgement_accepts_a_power_law_and_rejects_a_nonzero_limit() {
    let ladder = LADDER;
    let kappa = 0.05 / 31.0;
    let points = |f: &dyn Fn(f64) -> f64, floor: f64| -> Vec<GapPoint> {
        ladder.iter().map(|&l| GapPoint { x: -l.ln(), gap: f(l), floor }).collect()
    };
    let power = judge_trend(&points(&|l| 0.3 * l.powf(0.1), 1e-12), kappa);
    assert!(power.worst_ratio <= 1.0 && power.exponent.unwrap() > 0.09, "{power:?}");
    // the shrinkage per rung of a 0.1 power law is far above the lemma's rate eps/31
    let stalled = judge_trend(&points(&|l| 0.05 + 0.3 * l.powf(0.1), 1e-12), kappa);
    assert!(stalled.worst_ratio > 1.0, "{stalled:?}");
    let resolved_then_flat = judge_trend(&points(&|l| (1e-2 * l).max(1e-9), 1e-8), kappa);
    assert!(resolved_then_flat.worst_ratio <= 1.0, "{resolved_then_flat:?}");
    let back_up = judge_trend(&points(&|l| if l < 1e-100 { 1e-6 } else { 1e-10 }, 1e-8), kappa);
    assert!(back_up.worst_ratio > 1.0, "{back_up:?}");
}

/// The closed form of the lambda-free process (28) against the simulator: at `lambda = 1e-300`
/// and `t = ln(1/lambda) / (2|D|)` (aligned, far from the fit: `u ~ lambda`), every neuron of
/// `S+,1` (resp. `S-,1`) has `ln|w_j(t)| - ln(lambda) - |D| t = C_j`, to the integrator's
/// resolution `N rtol` (module docs of `claims::limits`).
#[test]
fn l12_lambda_free_offsets_match_the_simulated_flow() {
    for seed in [1u64, 2, 3] {
        let inst = fixed_instance(seed).with_lambda(1e-300);
        let data = &inst.data;
        let sets = inst.sets().unwrap();
        let g = inst.with_lambda(1.0).initialisation().unwrap().params.to_params();
        let l = -inst.ln_lambda();
        let (dp, dm) = (theory::d_plus_norm(data), theory::d_minus_norm(data));
        let (tp, tm) = (l / (2.0 * dp), l / (2.0 * dm));
        let cfg = FlowConfig {
            rtol: RTOL,
            stop: StopRule { horizon: Some(tp.max(tm)), ..Default::default() },
            ..Default::default()
        };
        let schedule = SampleSchedule { checkpoints: vec![tp, tm], ..Default::default() };
        let (run, traj) = inst.flow(&cfg, schedule).unwrap();
        let resolution = run.summary.steps as f64 * RTOL;
        let at = |t: f64| traj.checkpoints.iter().find(|c| (c.time - t).abs() < 1e-9 * t).unwrap();
        for (set, s, d, t) in [(&sets.s_plus_1, 1.0, dp, tp), (&sets.s_minus_1, -1.0, dm, tm)] {
            let p = &at(t).params;
            for &j in set {
                let (c, e) = lambda_free::lambda_free_offset(&g.w[j], s, data).unwrap();
                assert!((norm(&e) - d).abs() < 1e-12 * d, "E_inf = D+ or -D-");
                let measured = p.ln_norm_w(j) + l - d * t;
                assert!(
                    (measured - c).abs() <= resolution,
                    "seed {seed}, neuron {j}: simulated {measured} vs closed form {c} (resolution {resolution:e})"
                );
            }
        }
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

// ---------------------------------------------------------------------------------------------
// T1
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(crate::common::config(12))]

    /// Theorem 1 on a ladder down to 1e-300: zero loss, the norm excess over Proposition 1's
    /// minimum shrinks to the resolution at least at Lemma 12's rate, and the loss decays at rate
    /// `>= |D-|` after `t3`.
    #[test]
    fn t1_zero_loss_minimum_norm_and_final_rate_on_a_lambda_ladder(inst in ladder_shape().strategy()) {
        let ladder = simulate_ladder(&inst, &LADDER).unwrap();
        let v = check_t1(&ladder);
        prop_assert!(v.holds(), "{v:#?}");
    }
}

/// Assumption 3 violated (`S+,1` empty): the loss still vanishes but the norm excess stalls at a
/// non-zero value (claim A3N), so the ladder judgement fails.
#[test]
fn t1_negative_control_assumption_3_violated() {
    let inst = assumption_3_violated();
    let ladder = simulate_ladder(&inst, &LADDER).unwrap();
    let v = check_t1(&ladder);
    assert_fails(&v);
    let points = norm_excess_points(&ladder, theory::min_norm_sq(&inst.data).unwrap(), &[]);
    let eps = theory::epsilon_max(&inst.data).unwrap();
    let trend = judge_trend(&points, eps / 31.0);
    assert!(trend.worst_ratio > 1.0, "the failure must come from the stalled excess: {trend:?}\n{v:#?}");
    assert!(ladder.rungs.iter().all(|r| r.converged()), "zero loss still holds without Assumption 3");
}

/// A wrong theory constant: the minimum norm without the factor 2 of Proposition 1
/// (`n(|D+| + |D-|)`, the hidden layer's share only).
#[test]
fn t1_negative_control_wrong_minimum_norm_constant() {
    let inst = fixed_instance(3);
    let ladder = simulate_ladder(&inst, &LADDER).unwrap();
    assert!(check_t1(&ladder).holds());
    let data = &inst.data;
    let wrong = data.n() as f64 * (theory::d_plus_norm(data) + theory::d_minus_norm(data));
    assert_fails(&check_t1_with(&ladder, wrong));
}

/// Large `lambda`: a ladder ending at the lazy scale `10/sqrt(m)` does not approach the minimum
/// norm (the excess at its smallest rung is far above Lemma 12's bound).
#[test]
fn t1_negative_control_large_lambda() {
    let inst = fixed_instance(3);
    let lazy = lazy_lambda(inst.init.width);
    let ladder = simulate_ladder(&inst, &[4.0 * lazy, 2.0 * lazy, lazy]).unwrap();
    assert_fails(&check_t1(&ladder));
}

/// The resolution `sqrt(L_b) - R_ab` of [`final_phase_rate`] in both directions, on the
/// smallest-`lambda` rung of a real run:
/// - a run continued to the integrator's floor (`until_loss = 1e-40`, out of reach at `rtol =
///   1e-10`: the computed loss stalls at its floor, where steps that would raise it are rejected
///   by the descent check, `solver::flow::descent`, until the horizon) holds
///   the claimed rate: the stalled windows end below `R_ab`. Comparing raw losses, the stall
///   reads as a rate near 0 and fails;
/// - the same record with its last `3/|D-|` of time flattened at its level (a real stall, at
///   `sqrt(L)` about `1e3 R_ab`) fails, on windows judged above the resolution. An
///   implementation that charged each window the whole run's accumulated error
///   (`N rtol |theta|^2 |x|/sqrt(2n)`, the module docs' end-point resolution) would call
///   these windows unresolved and pass; the assertion below shows that resolution is above
///   the stall.
#[test]
fn t1_final_rate_resolution_separates_the_integrator_floor_from_a_stall() {
    let inst = fixed_instance(3).with_lambda(1e-300);
    let data = &inst.data;
    let dm = theory::d_minus_norm(data);
    let sets = inst.sets().unwrap();
    let floor = simulate_rung(&inst, Integrator::Flow { rtol: RTOL }, 1e-40).unwrap();
    assert!(!floor.converged() && floor.summary.final_loss > 1e-40, "the floor moved: {:?}", floor.summary);
    let f = final_phase_rate(&floor, &sets, 1.0).unwrap();
    assert!(f.worst >= 1.0 && f.judged < f.windows, "{f:?}");
    // the run ran out of time (at its horizon t_stop / horizon = 1): the zero-loss part fails
    let out_of_time = Ladder { rungs: vec![floor.clone()], sets: sets.clone(), until_loss: 1e-40 };
    let v = check_t1_with(&out_of_time, theory::min_norm_sq(data).unwrap());
    assert!(!v.holds() && v.statement().contains("[FAIL] zero loss"), "{v:#?}");
    let raw = |r: &Rung| {
        let s: Vec<&StepRecord> = r.steps.iter().filter(|s| s.time >= f.start).collect();
        let mut worst = f64::INFINITY;
        for (a, sa) in s.iter().enumerate() {
            if let Some(sb) = s[a..].iter().find(|sb| sb.time - sa.time >= 1.0 / dm) {
                worst = worst.min(-(sb.loss.ln() - sa.loss.ln()) / (sb.time - sa.time) / dm);
            }
        }
        worst
    };
    assert!(raw(&floor) < 1.0, "raw losses at the floor no longer fail the rate: {}", raw(&floor));

    let mut stall = simulate_rung(&inst, Integrator::Flow { rtol: RTOL }, UNTIL_LOSS).unwrap();
    assert!(final_phase_rate(&stall, &sets, 1.0).unwrap().worst >= 1.0);
    let t_end = stall.steps.last().unwrap().time;
    let p = stall.steps.iter().position(|s| s.time >= t_end - 3.0 / dm).unwrap();
    let level = stall.steps[p].loss;
    for s in &mut stall.steps[p..] {
        s.loss = level;
    }
    let g = final_phase_rate(&stall, &sets, 1.0).unwrap();
    assert!(g.worst < 1.0 && g.worst_share < 1e-2, "{g:?}");
    assert_fails(&check_t1_with(
        &Ladder { rungs: vec![stall.clone()], sets: sets.clone(), until_loss: UNTIL_LOSS },
        theory::min_norm_sq(data).unwrap(),
    ));
    let x_sq: f64 = (0..data.n()).map(|k| data.x(k).iter().map(|v| v * v).sum::<f64>()).sum();
    let whole_run =
        stall.integrator_resolution() * stall.final_params.norm_sq() * (x_sq / (2.0 * data.n() as f64)).sqrt();
    assert!(whole_run > level.sqrt(), "whole-run resolution {whole_run:.1e} vs stall sqrt(L) {:.1e}", level.sqrt());
}

/// Assumption 3 violated with a saddle after the negative fit: `S+,1` is empty, so the
/// positive label is fitted by neurons active on part of the data only, at a rate below `|D-|`,
/// after the negative labels. The final phase then holds a plateau (`L = 0.124` for about
/// `80/|D-|`), where `|grad L|^2 / L -> 0`: Lemma 15's rate fails there, far above the
/// resolution, while the loss still reaches zero within the horizon. The other
/// Assumption 3 control fails on the norm excess only; this one fails on the rate part, which
/// a rate check that skipped windows or averaged over the whole phase would pass.
///
/// The instance: the first seed of the shape (without the Assumption 3 filter) whose `S+,1` is
/// empty, `S-,1` is not, every label is covered, the positive labels the fastest positive neuron
/// misses are fitted slower than `|D-|` ([`positive_fit_rates`]: that fit comes after the negative
/// one), and whose flow reaches zero loss within the rung's horizon.
#[test]
fn t1_negative_control_assumption_3_violated_plateau_in_the_final_phase() {
    let shape = InstanceShape { assumption_3: false, ..ladder_shape() };
    let (inst, rung) = (0..400u64)
        .filter_map(|s| shape.sample(s))
        .filter(|i| {
            let sets = i.sets().unwrap();
            let second = positive_fit_rates(i).1;
            sets.s_plus_1.is_empty()
                && !sets.s_minus_1.is_empty()
                && labels_covered(i)
                && second > 0.0
                && second < theory::d_minus_norm(&i.data)
        })
        .map(|i| i.with_lambda(1e-300))
        .map(|i| {
            let rung = simulate_rung(&i, Integrator::Flow { rtol: RTOL }, UNTIL_LOSS).unwrap();
            (i, rung)
        })
        .find(|(_, rung)| rung.converged())
        .expect("an instance with a slow positive fit among the first seeds");
    let sets = inst.sets().unwrap();
    let f = final_phase_rate(&rung, &sets, 1.0).unwrap();
    assert!(f.worst < 1e-3 && f.judged == f.windows, "{f:?}");
    let ladder = Ladder { rungs: vec![rung], sets, until_loss: UNTIL_LOSS };
    let v = check_t1_with(&ladder, theory::min_norm_sq(&inst.data).unwrap());
    assert_fails(&v);
    assert!(v.statement().contains("[FAIL] final phase"), "{v:#?}");
}

// ---------------------------------------------------------------------------------------------
// L12
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(crate::common::config(12))]

    /// Lemma 12: the end points approach ONE lambda-free minimum-norm interpolator, whose split
    /// among S+,1 and S-,1 is predicted by the process (28), at least at the lemma's rate.
    #[test]
    fn l12_end_points_approach_the_lambda_free_theta_star(inst in ladder_shape().strategy()) {
        let ladder = simulate_ladder(&inst, &LADDER).unwrap();
        let v = check_l12(&ladder);
        prop_assert!(v.holds(), "{v:#?}");
    }
}

/// A wrong theory constant: `theta*` with the `s = +1` neurons along `-D+`, as the paper's text of
/// Proposition 1 prints it (a sign slip, see CLAIMS.md P1).
#[test]
fn l12_negative_control_printed_minus_d_plus_direction() {
    let inst = fixed_instance(3);
    let ladder = simulate_ladder(&inst, &LADDER).unwrap();
    let mut star = ladder_theta_star(&ladder).unwrap();
    // the ladder's directions (from theta(0) at lambda = 1e-4) are the instance's g_j up to rounding
    let from_instance = predicted_theta_star(&inst);
    assert!(distance(&star, &from_instance) <= 1e-12 * star.norm_sq().sqrt(), "{star:?} vs {from_instance:?}");
    assert!(check_l12_against(&ladder, &star).holds());
    for j in inst.sets().unwrap().s_plus_1 {
        star.w[j].iter_mut().for_each(|v| *v = -*v);
    }
    assert_fails(&check_l12_against(&ladder, &star));
}

/// Unbalanced initialisation (`a_j ~ N(0, lambda^2)` independent of `w_j`): the split among the
/// neurons is no longer the balanced process (28)'s, so the end points stay away from the
/// predicted `theta*` however small `lambda` is.
#[test]
fn l12_negative_control_unbalanced_init() {
    let inst = fixed_instance(3);
    let star = predicted_theta_star(&inst);
    let ladder = simulate_ladder(&inst.with_init_kind(InitKind::Unbalanced), &LADDER).unwrap();
    assert_fails(&check_l12_against(&ladder, &star));
}

// ---------------------------------------------------------------------------------------------
// TS
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(crate::common::config(12))]

    /// Section 4.2: the positive labels are fitted at `(ln(1/lambda) + c+)/|D+|`, the negative
    /// ones at `(ln(1/lambda) + c-)/|D-|`, `c+-` from the process (28); normalised times tend to 1.
    #[test]
    fn ts_fitting_times_scale_as_ln_inv_lambda_over_d(inst in ladder_shape().strategy()) {
        let ladder = simulate_ladder(&inst, &LADDER).unwrap();
        let v = check_ts(&ladder);
        prop_assert!(v.holds(), "{v:#?}");
    }
}

/// A wrong theory constant: the time unit of a torch `MSELoss` (`2L`), which runs the flow twice
/// as fast, i.e. normalising by `2|D|`.
#[test]
fn ts_negative_control_torch_mse_time_unit() {
    let inst = fixed_instance(3);
    let ladder = simulate_ladder(&inst, &LADDER).unwrap();
    let data = &inst.data;
    let cp = ladder_fit_offset(&ladder, LabelSign::Positive).unwrap();
    let cm = ladder_fit_offset(&ladder, LabelSign::Negative).unwrap();
    let (dp, dm) = (theory::d_plus_norm(data), theory::d_minus_norm(data));
    assert!(check_ts_with(&ladder, dp, dm, cp, cm).holds());
    assert_fails(&check_ts_with(&ladder, 2.0 * dp, 2.0 * dm, cp, cm));
}

/// Large `lambda`: on a ladder `0.5, 0.3, 0.1` the fitting times are not `ln(1/lambda)/|D|`.
#[test]
fn ts_negative_control_large_lambda() {
    let inst = fixed_instance(3);
    let ladder = simulate_ladder(&inst, &[0.5, 0.3, 0.1]).unwrap();
    assert_fails(&check_ts(&ladder));
}

// ---------------------------------------------------------------------------------------------
// LZ
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(crate::common::config(32))]

    /// Appendix A / Section 3.2: at `lambda = 10/sqrt(m)` the weights move less than their own
    /// size, the loss never plateaus, and the final norm is above the minimum.
    #[test]
    fn lz_large_initialisation_is_lazy(inst in lazy_shape().strategy()) {
        let inst = inst.with_lambda(lazy_lambda(inst.init.width));
        let rung = simulate_rung(&inst, Integrator::Flow { rtol: RTOL }, UNTIL_LOSS).unwrap();
        let v = check_lz(&rung);
        prop_assert!(v.holds(), "{v:#?}");
    }
}

/// The `PROPTEST_RNG_SEED=2` finding: at `lambda = 10/sqrt(16)` the parameters are large
/// (`|theta|^2 ~ 200`), so the flow's per-step error on `h` reaches `sqrt(UNTIL_LOSS)` and the
/// computed loss rose between some of the last steps. The flow now rejects a step whose loss
/// rises beyond the rounding of the comparison (`solver::flow::descent`), so such rises are gone
/// or at rounding level; the check judges each step against the flow from the previous computed
/// state up to that step's error ([`step_loss_resolution`]) and holds, and any rise left stays
/// well inside the resolution.
#[test]
fn lz_loss_rises_only_within_the_step_resolution() {
    let data = reluflow::data::Dataset::from_flat(
        2,
        3,
        vec![
            0.7270658759349458,
            -0.2802790732119079,
            -0.6267526251803208,
            0.36456054421845757,
            -0.6159488915550235,
            0.6983570523673979,
        ],
        vec![1.7391108013637435, -0.9278341331048975],
    )
    .unwrap();
    // init seed 130: with independent random streams (`reluflow::seeds`) the finding's init seed
    // 418788 draws other directions; 130 is the third seed from 0 whose run rises (3 rises, the
    // largest 0.11 of the step resolution; seeds 15 and 91 rise by at most 5e-9 and 0.08)
    let inst = Instance::balanced(data, 16, lazy_lambda(16), 130);
    let rung = simulate_rung(&inst, Integrator::Flow { rtol: RTOL }, UNTIL_LOSS).unwrap();
    let rises: Vec<f64> = rung
        .steps
        .windows(2)
        .filter(|w| w[1].loss > w[0].loss)
        .map(|w| (w[1].loss.sqrt() - w[0].loss.sqrt()) / step_loss_resolution(&rung, &w[1]))
        .collect();
    assert!(rises.iter().all(|&r| r < 1.0), "a rise beyond the step resolution: {rises:?}");
    let v = check_lz(&rung);
    assert!(v.holds(), "{v:#?}");
}

/// Small `lambda` (the rich regime) on the same instances: the weights move by `~1/lambda` times
/// their initial size, the loss sits on the saddle's plateau, and the norm is minimal.
#[test]
fn lz_negative_control_small_lambda_is_rich() {
    for seed in [0u64, 1, 2] {
        let inst = lazy_shape().sample(seed).unwrap();
        let lazy =
            simulate_rung(&inst.with_lambda(lazy_lambda(inst.init.width)), Integrator::Flow { rtol: RTOL }, UNTIL_LOSS)
                .unwrap();
        assert!(check_lz(&lazy).holds());
        let rich = simulate_rung(&inst.with_lambda(1e-8), Integrator::Flow { rtol: RTOL }, UNTIL_LOSS).unwrap();
        assert_fails(&check_lz(&rich));
    }
}

// ---------------------------------------------------------------------------------------------
// NO
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(crate::common::config(16))]

    /// Section 3.2: with `|<x_k, x_l>| = delta = lambda` the loss still vanishes and the norm
    /// excess is squeezed to 0 together with the orthonormal case's.
    #[test]
    fn no_nearly_orthogonal_inputs_keep_zero_loss_and_minimum_norm(
        inst in ladder_shape().strategy(),
        perturbation in any::<u64>(),
    ) {
        let nl = simulate_no_ladder(&inst, &NO_LADDER, |l| l, perturbation, NO_STEP).unwrap();
        prop_assert!(nl.deltas.iter().zip(&NO_LADDER).all(|(d, l)| (d / l - 1.0).abs() < 0.1), "{:?}", nl.deltas);
        let v = check_no(&nl);
        prop_assert!(v.holds(), "{v:#?}");
    }
}

/// The finding of the earlier seeds: for these inputs the first-order coefficient of the
/// perturbation seeds 16 and 28 is small, and `delta = 1e-4` gave `max |<x_k, x_l>| = 4.6e-4`
/// and `1.3e-3`. The generator now redraws such perturbations: within 1% of `delta` on every rung.
#[test]
fn no_perturbation_hits_delta_when_the_first_order_coefficient_is_small() {
    let data = reluflow::data::Dataset::from_flat(
        2,
        4,
        vec![
            0.2244788188450284,
            -0.4951549066681487,
            0.7961813859262162,
            0.2655674659987677,
            0.15204871814287496,
            0.6662209281987689,
            0.5365940897964854,
            -0.4950733732857804,
        ],
        vec![-1.2186799638617272, 1.7506654911274717],
    )
    .unwrap();
    for seed in [16u64, 28] {
        for &delta in &NO_LADDER {
            let got = max_offdiag_inner(&nearly_orthogonal(&data, delta, seed));
            assert!((got / delta - 1.0).abs() <= 1e-2, "seed {seed}: delta {delta:e}, max |<x_k, x_l>| = {got:e}");
        }
    }
}

/// The `PROPTEST_RNG_SEED=2` finding (200 cases): at `lambda = delta = 1e-12` a GD step throws a
/// frozen coordinate of a large neuron past 0 (overshoot cost `~eta^2`, not first order in
/// `eta`), so the extrapolation to `eta -> 0` carries the throw; the overshoot term of
/// [`check_no`] covers it. The finding's own initialisation (the step `eta/2` throws, `eta` does
/// not) is not reachable from a seed since the random streams were made independent (none among
/// init seeds 0..2000 on its data); init seed 16 is the seed of `0..64` with the largest throw at
/// `eta/2`: both steps throw (`6.5e-6` and `2.6e-5`, the ratio ~4 of an `eta^2` cost).
#[test]
fn no_gradient_descent_overshoot_is_in_the_resolution() {
    let data = reluflow::data::Dataset::from_flat(
        2,
        2,
        vec![0.44104576885170355, 0.8974846125577921, 0.8974846125577921, -0.4410457688517032],
        vec![-0.5446162865708041, 1.1511616669932865],
    )
    .unwrap();
    let inst = Instance::balanced(data, 12, 1e-8, 16);
    let nl = simulate_no_ladder(&inst, &NO_LADDER, |l| l, 6277859963398108660, NO_STEP).unwrap();
    let last = NO_LADDER.len() - 1;
    assert!(
        nl.fine.last().unwrap().overshoot_sq > 1e-6,
        "the eta/2 throw is gone: {}",
        nl.fine.last().unwrap().overshoot_sq
    );
    assert!(nl.coarse.rungs[last].overshoot_sq > 1e-6, "the eta throw is gone: {}", nl.coarse.rungs[last].overshoot_sq);
    let v = check_no(&nl);
    assert!(v.holds(), "{v:#?}");
}

/// A leaky ReLU (slope 0.1): inactive coordinates move, and the norm excess grows as `lambda`
/// shrinks instead of vanishing (Section 3.2 expects the bias to be specific to the ReLU).
#[test]
fn no_negative_control_leaky_relu() {
    let inst = fixed_instance(1);
    let leaky = inst.with_model(Model { activation: Activation::Leaky { slope: 0.1 }, relu_prime_at_zero: 0.0 });
    assert!(check_no(&simulate_no_ladder(&inst, &NO_LADDER, |l| l, 1, NO_STEP).unwrap()).holds());
    let nl = simulate_no_ladder(&leaky, &NO_LADDER, |l| l, 1, NO_STEP).unwrap();
    assert_fails(&check_no(&nl));
}

/// Assumption 3 violated on nearly orthogonal inputs: the excess stalls above 0.
#[test]
fn no_negative_control_assumption_3_violated() {
    let inst = assumption_3_violated();
    let nl = simulate_no_ladder(&inst, &NO_LADDER, |l| l, 7, NO_STEP).unwrap();
    assert_fails(&check_no(&nl));
}

// ---------------------------------------------------------------------------------------------
// reluflow verify
// ---------------------------------------------------------------------------------------------

/// `run` on a few seeds: every limits claim is checked (not skipped) and holds.
#[test]
fn t1_l12_ts_lz_no_run_from_seeds_hold() {
    use reluflow::claims::{ClaimId, Outcome};
    for id in [ClaimId::T1, ClaimId::L12, ClaimId::TS, ClaimId::LZ, ClaimId::NO] {
        for seed in [0u64, 1] {
            match run(id, seed) {
                Outcome::Checked(v) => assert!(v.holds(), "{id} seed {seed}: {v:#?}"),
                other => panic!("{id} seed {seed}: {other:?}"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A user's instance: its lambda ladder and the claims' lambda requirements
// ---------------------------------------------------------------------------------------------

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x / y - 1.0).abs() < 1e-12)
}

/// The ladder of an instance starts at its lambda and continues with the fixed rungs at or below
/// lambda^2 (NO: lambda/100); the registry's top rung gives the fixed ladders themselves, and the
/// smallest admissible top gives exactly the fewest rungs the claims are judged on.
#[test]
fn t1_ladder_of_an_instance_starts_at_its_lambda() {
    assert!(close(&ladder_of(LADDER[0]), &LADDER), "{:?}", ladder_of(LADDER[0]));
    assert!(close(&ladder_of(1e-6), &[1e-6, 1e-16, 1e-32, 1e-64, 1e-128, 1e-300]), "{:?}", ladder_of(1e-6));
    assert_eq!(ladder_of(LADDER_TOP_MIN).len(), MIN_LADDER_RUNGS);
    assert!(ladder_of(LADDER_TOP_MIN / 10.0).len() < MIN_LADDER_RUNGS);
    assert!(close(&no_ladder_of(NO_LADDER[0]), &NO_LADDER), "{:?}", no_ladder_of(NO_LADDER[0]));
    assert!(close(&no_ladder_of(3e-5), &[3e-5, 1e-8, 1e-10, 1e-12]), "{:?}", no_ladder_of(3e-5));
    assert_eq!(no_ladder_of(NO_TOP_MIN).len(), MIN_NO_RUNGS);
    assert!(no_ladder_of(NO_TOP_MIN / 10.0).len() < MIN_NO_RUNGS);
}

/// `claims::check` runs T1 on the ladder of the instance's own lambda (here `1e-20`: rungs
/// `1e-20, 1e-64, 1e-128, 1e-300`); outside the lambda range the claims are skipped, naming the
/// requirement, and the group's check skips a ladder with too few rungs.
#[test]
fn t1_checks_a_users_instance_on_its_own_ladder() {
    use reluflow::claims::{ClaimId, Outcome, check, check_unguarded};
    let inst = fixed_instance(3).with_lambda(1e-20);
    let out = check(ClaimId::T1, &inst);
    assert!(out.held(), "{out:#?}");
    let statement = out.verdict().unwrap().statement().to_string();
    assert!(statement.contains("at lambda = 1e-300") && statement.contains("ladder ["), "{statement}");
    for (id, lambda, needs) in [
        (ClaimId::T1, 1e-3, "lambda <= 1.000e-4"),
        (ClaimId::L12, 1e-40, "lambda >= 1.000e-32"),
        (ClaimId::NO, 1e-10, "lambda >= 1.000e-8"),
        (ClaimId::LZ, 1e-2, "the lazy scale"),
    ] {
        crate::common::assert_skipped(&check(id, &inst.with_lambda(lambda)), needs);
    }
    let few = check_unguarded(ClaimId::TS, &inst.with_lambda(1e-200));
    assert!(matches!(&few, Outcome::Skipped { reason, .. } if reason.contains("fewer than")), "{few:?}");
}

//! `theory::jump_process`: the lambda -> 0 limit process. Under Assumption 3 it reduces to the
//! paper's two phases; the exact cover probability agrees with sampling; uncovered points stay
//! unfitted.

use proptest::prelude::*;
use rand::RngExt;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use reluflow::data::generate::{LabelSpec, random_orthonormal};
use reluflow::theory::jump_process::{cover_probability, jump_process};
use reluflow::theory::{d_minus_norm, d_plus_norm, needs_label_flip};
use reluflow::{Dataset, Instance};

/// Directions and signs of a balanced initialisation (the limit only needs `w_j(0)` up to scale
/// and `sign(a_j(0))`).
fn directions(instance: &Instance) -> (Vec<Vec<f64>>, Vec<f64>) {
    let p = instance.initialisation().expect("init").params.to_params();
    (p.w.clone(), p.a.iter().map(|a| a.signum()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    /// Reduction to the paper's two phases: on random orthonormal data with `r > 1` and an
    /// initialisation meeting Assumption 3, the process has exactly two events, at `tau = 1/|D+|`
    /// (`S+,1`, every positive label) and `1/|D-|` (`S-,1`, every negative one), ends at zero
    /// loss with the staircase `L(0) -> (1/2n) sum_{y<0} y^2 -> 0`, and its limit norm is
    /// Proposition 1's minimum (to rounding, `1e-12` relative).
    #[test]
    fn jp_reduces_to_the_two_phases_under_assumption_3(n in 2usize..6, extra in 0usize..3, seed in 0u64..10_000) {
        let data = random_orthonormal(n, n + extra, &LabelSpec::default(), seed).expect("data");
        let data = if needs_label_flip(&data) { data.with_flipped_labels() } else { data };
        let width = 8 * (1 << n);
        let instance = Instance::balanced(data.clone(), width, 1e-6, seed);
        let sets = instance.sets().expect("sets");
        prop_assume!(sets.assumption_3());
        let (g, s) = directions(&instance);
        let p = jump_process(&data, &g, &s).expect("orthonormal");
        prop_assert_eq!(p.events.len(), 2, "{:?}", p.events);
        let (dp, dm) = (d_plus_norm(&data), d_minus_norm(&data));
        prop_assert!((p.events[0].tau - 1.0 / dp).abs() <= 1e-12 / dp);
        prop_assert!((p.events[1].tau - 1.0 / dm).abs() <= 1e-12 / dm);
        let mut group0 = p.events[0].neurons.clone();
        group0.sort();
        prop_assert_eq!(group0, sets.s_plus_1.clone());
        let plus: Vec<usize> = (0..n).filter(|&k| data.y()[k] > 0.0).collect();
        prop_assert_eq!(p.events[0].fits.clone(), plus);
        prop_assert!((p.events[0].loss_after - reluflow::theory::plateau_loss(&data)).abs() < 1e-15);
        prop_assert_eq!(p.events[1].loss_after, 0.0);
        prop_assert!(p.unfitted.is_empty());
        prop_assert!((p.limit_norm_sq / p.min_norm_sq - 1.0).abs() < 1e-12);
    }
}

/// Negative control of the reduction: without Assumption 3 (no neuron covers both positive
/// labels) the positive labels are fitted by two different groups, at two different times, and
/// the limit norm exceeds the minimum (claim A3N's extra kink).
#[test]
fn jp_without_assumption_3_takes_more_saddles_and_more_norm() {
    let x = (0..3).map(|k| (0..3).map(|i| if i == k { 1.0 } else { 0.0 }).collect()).collect();
    let data = Dataset::new(x, vec![2.0, 1.0, -1.0]).expect("data");
    // neuron 0 covers point 0 only, neuron 1 point 1 only, neuron 2 the negative point
    let g = vec![vec![1.0, -1.0, -1.0], vec![-1.0, 1.0, -1.0], vec![-1.0, -1.0, 1.0]];
    let p = jump_process(&data, &g, &[1.0, 1.0, -1.0]).expect("orthonormal");
    assert_eq!(p.events.len(), 3, "{:?}", p.events);
    assert!(p.limit_norm_sq > p.min_norm_sq * (1.0 + 1e-3), "{} vs {}", p.limit_norm_sq, p.min_norm_sq);
    // an uncovered point stays unfitted: drop the negative neuron
    let p = jump_process(&data, &g[..2], &[1.0, 1.0]).expect("orthonormal");
    assert_eq!(p.unfitted, vec![2]);
    assert!((p.loss_at(f64::INFINITY) - 1.0 / 6.0).abs() < 1e-15);
}

/// The exact cover probability against sampling: for each `(m, n+, n-)`, `N = 4000` balanced
/// Gaussian initialisations on the standard basis; the number that covers every point is
/// Binomial(N, p) under the formula, and the two-sided exact binomial test (as claim A3's) must
/// not reject at level `1e-4` (a Bonferroni-safe level for the 6 settings). Negative control: the
/// same counts reject a probability off by `0.05`.
#[test]
fn cv_exact_cover_probability_matches_sampling() {
    use statrs::distribution::{Binomial, DiscreteCDF};
    let trials = 4000u64;
    for (i, &(m, n_plus, n_minus)) in
        [(2, 1, 1), (4, 2, 1), (6, 2, 2), (8, 3, 3), (12, 4, 4), (20, 6, 5)].iter().enumerate()
    {
        let n = n_plus + n_minus;
        let y: Vec<f64> = (0..n).map(|k| if k < n_plus { 1.0 } else { -1.0 }).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1000 + i as u64);
        let mut covered = 0u64;
        for _ in 0..trials {
            let mut ok = vec![false; n];
            for _ in 0..m {
                let s: f64 = if rng.random::<bool>() { 1.0 } else { -1.0 };
                for k in 0..n {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    if z > 0.0 && s * y[k] > 0.0 {
                        ok[k] = true;
                    }
                }
            }
            covered += u64::from(ok.iter().all(|&c| c));
        }
        let p = cover_probability(m, n_plus, n_minus);
        let two_sided = |p: f64| {
            let b = Binomial::new(p, trials).expect("binomial");
            let lower = b.cdf(covered);
            let upper = 1.0 - if covered == 0 { 0.0 } else { b.cdf(covered - 1) };
            (2.0 * lower.min(upper)).min(1.0)
        };
        assert!(two_sided(p) > 1e-4, "m {m}, n+ {n_plus}, n- {n_minus}: {covered}/{trials} vs p = {p}");
        if p > 0.1 && p < 0.9 {
            assert!(two_sided(p + 0.05) < 1e-4, "the test must reject a wrong p (m {m})");
        }
    }
}

//! Claim checks: the width regime of Assumption 3 (claims A3, A3N).
//!
//! - A3 (Sections 2.2, 3.2): with orthonormal inputs, `|S+,1| ~ Binomial(m, 2^-(n+ + 1))` and
//!   `|S-,1| ~ Binomial(m, 2^-(n- + 1))` under the initialisation (4). [`check_a3`] is an exact
//!   two-sided binomial test (statrs) on counts pooled over fixed initialisation seeds
//!   ([`count_sets`]).
//! - A3N (Section 3.2): without Assumption 3 the loss still goes to 0 but the final norm stays
//!   above the minimum by an amount that does not vanish as `lambda -> 0`. [`check_a3n`] compares
//!   the final excess `|theta_inf|^2 - min_norm_sq` with a `lambda`-free lower bound derived below
//!   ([`a3n_excess_bound`]).

use super::{ClaimId, Outcome, Verdict};
use crate::Instance;
use crate::data::Dataset;
use crate::data::generate::{LabelSpec, random_orthonormal};
use crate::init::NeuronSets;
use crate::network::Model;
use crate::numerics::{dot, norm, norm_sq};
use crate::params::ScaledParams;
use crate::seeds::{self, Stream};
use crate::theory;
use rand::RngExt;
use statrs::distribution::{Binomial, Discrete};

// ---------------------------------------------------------------------------------------------
// A3
// ---------------------------------------------------------------------------------------------

/// Significance level of the A3 test, per instance (both sides together; each side is tested at
/// `A3_ALPHA / 2`, Bonferroni). The counts come from fixed seeds, so the outcome is deterministic;
/// `A3_ALPHA` is the probability, under the claim, that a given instance is rejected. It is small
/// enough that a deep run of 1000 instances (`PROPTEST_CASES=1000`) has a false-alarm probability
/// of at most `1e-3`, and the counts are large enough (see [`a3_trials`]) that the wrong `p` of the
/// negative control is rejected by a p-value of order `1e-20` or less.
pub const A3_ALPHA: f64 = 1e-6;

/// Expected number of members of the rarer set under the claim that [`a3_trials`] aims for.
pub const A3_EXPECTED_COUNT: f64 = 400.0;

/// Exact two-sided binomial p-value of `successes` out of `trials` under success probability `p`:
/// the total probability of the outcomes no more likely than the observed one
/// (`sum_{i : pmf(i) <= pmf(successes) (1 + 1e-7)} pmf(i)`, the "minimum likelihood" convention of
/// R's `binom.test`; the factor `1 + 1e-7` keeps outcomes of equal probability together despite
/// rounding), with `pmf` from `statrs::distribution::Binomial`. Clamped to `[0, 1]`.
pub fn binomial_two_sided_p_value(successes: u64, trials: u64, p: f64) -> f64 {
    let dist = Binomial::new(p, trials).expect("p in [0, 1]");
    let observed = dist.pmf(successes);
    let threshold = observed * (1.0 + 1e-7);
    let total: f64 = (0..=trials).map(|i| dist.pmf(i)).filter(|&q| q <= threshold).sum();
    total.min(1.0)
}

/// Counts of `S+,1` and `S-,1` members pooled over several initialisations of the same data.
#[derive(Clone, Debug, PartialEq)]
pub struct SetCounts {
    /// Total `|S+,1|` over the initialisations.
    pub plus: u64,
    /// Total `|S-,1|`.
    pub minus: u64,
    /// Number of neurons drawn (`m` times the number of initialisations): the binomial `trials`.
    pub trials: u64,
    /// `n+ = |{k : y_k > 0}|` of the data.
    pub n_plus: usize,
    /// `n- = |{k : y_k < 0}|` of the data.
    pub n_minus: usize,
}

/// `|S+,1|` and `|S-,1|` ([`NeuronSets`], from the crate's balanced initialisation (4)) summed over
/// the initialisation seeds `seeds`, width `m` each, on `data`. Neurons are i.i.d. within and
/// across seeds, so under the claim `plus ~ Binomial(trials, 2^-(n+ + 1))`.
pub fn count_sets(data: &Dataset, m: usize, seeds: impl IntoIterator<Item = u64>) -> SetCounts {
    let (mut plus, mut minus, mut trials) = (0u64, 0u64, 0u64);
    for seed in seeds {
        let sets = Instance::balanced(data.clone(), m, 1.0, seed).sets().expect("width >= 1 and lambda = 1 are valid");
        plus += sets.s_plus_1.len() as u64;
        minus += sets.s_minus_1.len() as u64;
        trials += m as u64;
    }
    SetCounts { plus, minus, trials, n_plus: theory::n_plus(data), n_minus: theory::n_minus(data) }
}

/// Number of initialisations of width `m` to pool so that the rarer set has
/// [`A3_EXPECTED_COUNT`] expected members: `ceil(400 * 2^(max(n+, n-) + 1) / m)`.
pub fn a3_trials(data: &Dataset, m: usize) -> usize {
    let p = theory::prob_in_s_plus_1(theory::n_plus(data).max(theory::n_minus(data)));
    (A3_EXPECTED_COUNT / (p * m as f64)).ceil() as usize
}

/// Claim A3 on pooled counts, against the membership probabilities `p_plus`, `p_minus` (the claim:
/// [`theory::prob_in_s_plus_1`]`(n+)`, [`theory::prob_in_s_minus_1`]`(n-)`).
///
/// **Finite statement checked**: the exact two-sided binomial test
/// ([`binomial_two_sided_p_value`]) of `counts.plus` out of `counts.trials` at `p_plus`, and of
/// `counts.minus` at `p_minus`, does not reject at level `A3_ALPHA / 2` each. The verdict is the
/// worse side's: `measured` = its p-value, `bound` = `A3_ALPHA / 2`.
///
/// **Tolerance**: the significance level [`A3_ALPHA`] (a stated false-alarm rate, not a fitted
/// number); the counts come from fixed seeds, so the test is deterministic.
///
/// **lambda**: irrelevant (the sets depend only on the signs of `<g_j, x_k>` and `s_j`).
pub fn check_a3(counts: &SetCounts, p_plus: f64, p_minus: f64) -> Verdict {
    let level = A3_ALPHA / 2.0;
    let side = |k: u64, p: f64, name: &str, n_side: usize| {
        let pv = binomial_two_sided_p_value(k, counts.trials, p);
        Verdict::at_least(
            ClaimId::A3,
            pv,
            level,
            format!(
                "|{name}| pooled over {} neurons: {k} (expected {:.1} = trials * p, p = {p:.6} for n_side = {n_side}); \
                 exact two-sided binomial p-value {pv:.3e} >= alpha/2 = {level:.1e}",
                counts.trials,
                counts.trials as f64 * p
            ),
        )
    };
    let plus = side(counts.plus, p_plus, "S+,1", counts.n_plus);
    let minus = side(counts.minus, p_minus, "S-,1", counts.n_minus);
    // same bound on both sides: the worse side is the smaller p-value
    plus.worst(minus)
}

/// Claim A3 on one dataset: pools [`a3_trials`] initialisations of width `m` (seeds
/// `seed_base..seed_base + K`) and runs [`check_a3`] with the claim's probabilities.
pub fn check_a3_on(data: &Dataset, m: usize, seed_base: u64) -> Verdict {
    let k = a3_trials(data, m) as u64;
    let counts = count_sets(data, m, seed_base..seed_base + k);
    check_a3(&counts, theory::prob_in_s_plus_1(counts.n_plus), theory::prob_in_s_minus_1(counts.n_minus))
}

// ---------------------------------------------------------------------------------------------
// A3N
// ---------------------------------------------------------------------------------------------

/// A dual certificate for one side: `(G, |z|)` with `G = <z, y>` a lower bound on
/// `min sum_j |c_j|` over non-negative vectors `c_j` supported on proper subsets of the side's
/// labels with `sum_j c_j >= y` (coordinatewise), `y` = the side's label magnitudes.
///
/// Any `z >= 0` with `|z_A| <= 1` for every proper subset `A` certifies `sum_j |c_j| >= <z, sum_j c_j>
/// >= <z, y>`. Two such `z` are used, the better one kept:
/// (1) `z = t y/|y|`, `t = |y| / sqrt(|y|^2 - y_min^2)` (the largest proper subset misses at least
/// the smallest label); (2) for each `l`: `z_k = y_k/|y_{-l}|` (`k != l`), `z_l = min_{k != l} y_k/|y_{-l}|`,
/// so that every `|z_A|^2 <= |z|^2 - min_k z_k^2 = 1`, giving `G = |y_{-l}| + y_l min_{k != l} y_k/|y_{-l}|`
/// (exact for two labels: `y_1 + y_2`). `(inf, inf)` for a single label (no proper subset can fit it).
fn side_certificate(y: &[f64]) -> (f64, f64) {
    if y.len() < 2 {
        return (f64::INFINITY, f64::INFINITY);
    }
    let s = norm_sq(y);
    let y_min_sq = y.iter().map(|v| v * v).fold(f64::INFINITY, f64::min);
    let t = s.sqrt() / (s - y_min_sq).sqrt();
    let mut best = (t * s.sqrt(), t);
    for l in 0..y.len() {
        let rest_sq: f64 = y.iter().enumerate().filter(|(k, _)| *k != l).map(|(_, v)| v * v).sum();
        let rest = rest_sq.sqrt();
        let q =
            y.iter().enumerate().filter(|(k, _)| *k != l).map(|(_, v)| v.abs() / rest).fold(f64::INFINITY, f64::min);
        let g = rest + y[l].abs() * q;
        if g > best.0 {
            best = (g, (1.0 + q * q).sqrt());
        }
    }
    best
}

fn side_labels(data: &Dataset, positive: bool) -> Vec<f64> {
    data.y().iter().copied().filter(|&y| if positive { y > 0.0 } else { y < 0.0 }).map(f64::abs).collect()
}

/// The `lambda`-free lower bound `delta` on `|theta|^2 - min_norm_sq` for any `theta` in which no
/// `s = +1` neuron is active on every positive label (if `plus_empty`) and/or no `s = -1` neuron on
/// every negative label (if `minus_empty`), orthonormal inputs, exact interpolation:
/// `delta = 2 (G+ - |y+|) [plus_empty] + 2 (G- - |y-|) [minus_empty]`, `G` from the certificate of
/// `side_certificate` (private; documented there).
///
/// Derivation: `|theta|^2 >= sum_j 2 |a_j| |w_j|`; neuron `j` contributes `c_jk = |a_j| relu(<w_j, x_k>)`
/// on the labels of its sign, `|c_j| <= |a_j| |w_j|` (orthonormal inputs), supported on a proper
/// subset when it misses a label; interpolation needs `sum_{s_j = +1} c_j >= y+` coordinatewise
/// (the `s = -1` neurons only subtract), so the `+` side costs at least `2 G+` instead of Proposition 1's
/// `2 |y+|`. By Lemma 6 (a coordinate that is not positive never becomes positive) and Lemma 1 (signs
/// are kept), an empty `S+,1` at initialisation stays empty along the flow, so the bound applies to
/// the limit. For two labels on the empty side it is attained (`y1 + y2` vs `sqrt(y1^2 + y2^2)`).
pub fn a3n_excess_bound(data: &Dataset, plus_empty: bool, minus_empty: bool) -> f64 {
    let part = |positive: bool| {
        let y = side_labels(data, positive);
        2.0 * (side_certificate(&y).0 - norm(&y))
    };
    (if plus_empty { part(true) } else { 0.0 }) + (if minus_empty { part(false) } else { 0.0 })
}

/// Whether every label is activated at initialisation by at least one neuron of its sign
/// (`a_j y_k > 0` and `<w_j(0), x_k> > 0`). Necessary for zero loss on orthonormal inputs: by
/// Lemma 6 activations are only ever lost, and a label no neuron of its sign ever activates keeps
/// `h(x_k) y_k <= 0`, so `L >= y_k^2/(2n)`.
pub fn labels_covered(instance: &Instance) -> bool {
    let Ok(init) = instance.initialisation() else { return false };
    let p = &init.params;
    let data = &instance.data;
    (0..data.n()).all(|k| {
        (0..p.m()).any(|j| {
            let z = dot(p.w_hat(j), data.x(k));
            p.a_hat(j) * data.y()[k] > 0.0 && z > 0.0
        })
    })
}

/// The loss target of A3N runs: "the loss goes to 0" is checked as `L < 1e-20`, far below every
/// plateau (`>= min y^2/(2n) >= 0.025` for the generated labels).
pub const A3N_LOSS_TARGET: f64 = 1e-20;

/// Claim A3N on the end of one run.
///
/// **Finite statement checked**: (i) the run reached `L(theta) <= loss_target` ("the loss still
/// goes to 0"), and (ii) `|theta|^2 - min_norm_sq >= delta - slack - rounding`, with `delta` =
/// [`a3n_excess_bound`] for the sides whose `S+-,1` was empty at initialisation (`plus_empty`,
/// `minus_empty`), `slack = 2 |z+| |e+| + 2 |z-| |e-|` the exact allowance for the residuals
/// `e = h - y` of an approximate interpolator (`|z|` of the certificate, 1 on a non-empty side) and
/// `rounding = tau (|theta|^2 + min_norm_sq)`, `tau` = [`super::landscape::rounding_tolerance`].
/// If (i) fails the verdict is `L <= loss_target` (failed); otherwise it is (ii). **Vacuous** when
/// neither side is empty (`delta = 0`: Proposition 1 already gives `excess >= -slack`).
///
/// **Tolerance**: none tuned: `delta` is derived (it does not depend on `lambda`: the excess is
/// bounded away from 0 as `lambda -> 0`, unlike T1 where it vanishes), `slack` is derived from the
/// measured residuals, `rounding` is floating point.
///
/// **lambda**: any; the runs use `1e-32` ([`instance`]) and a ladder `1e-8 .. 1e-300` in the tests, to
/// show the excess does not shrink. Requires orthonormal inputs and labels of both signs.
pub fn check_a3n(
    data: &Dataset,
    plus_empty: bool,
    minus_empty: bool,
    final_params: &ScaledParams,
    final_loss: f64,
    loss_target: f64,
) -> Verdict {
    let (n, d, m) = (data.n(), data.d(), final_params.m());
    if !(final_loss <= loss_target) {
        return Verdict::at_most(
            ClaimId::A3N,
            final_loss,
            loss_target,
            format!("A3N (n = {n}, m = {m}): the loss did not go to 0: L = {final_loss:.3e} > {loss_target:.1e}"),
        );
    }
    let min = theory::min_norm_sq(data).unwrap_or(f64::NAN);
    let norm_sq = final_params.norm_sq();
    let excess = norm_sq - min;
    let delta = a3n_excess_bound(data, plus_empty, minus_empty);
    let model = Model::relu().validate().expect("the paper's model is valid");
    let h = model.predict(&final_params.to_params(), data);
    let side_err = |positive: bool| {
        (0..n)
            .filter(|&k| if positive { data.y()[k] > 0.0 } else { data.y()[k] < 0.0 })
            .map(|k| (h[k] - data.y()[k]).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let z_norm =
        |positive: bool, empty: bool| if empty { side_certificate(&side_labels(data, positive)).1 } else { 1.0 };
    let slack = 2.0 * z_norm(true, plus_empty) * side_err(true) + 2.0 * z_norm(false, minus_empty) * side_err(false);
    let tau = super::landscape::rounding_tolerance(n, d, m);
    let rounding = tau * (norm_sq + min);
    Verdict::at_least(
        ClaimId::A3N,
        excess,
        delta - slack - rounding,
        format!(
            "A3N (n = {n}, d = {d}, m = {m}, n+ = {}, n- = {}, S+,1 empty: {plus_empty}, S-,1 empty: {minus_empty}): \
             L = {final_loss:.2e} <= {loss_target:.0e} and |theta|^2 - min = {norm_sq:.8} - {min:.8} = {excess:.6} >= \
             delta = {delta:.6} (lambda-free bound; fit slack {slack:.1e}, rounding {rounding:.1e})",
            theory::n_plus(data),
            theory::n_minus(data)
        ),
    )
    .vacuous_if(!(delta > 0.0), "delta = 0: no side of S+-,1 is empty, the excess is only bounded by -slack")
}

/// An A3N instance: orthonormal data of `n` points in `R^(n + extra_d)` from `data_seed`
/// (default labels), width `m`, `lambda`, and the first initialisation seed drawn from
/// the stream [`Stream::SeedSearch`] of `search_seed` (at most 400 tries) for which Assumption 3 fails and every label is
/// covered ([`labels_covered`]). Returns the instance and its sets.
pub fn a3n_instance(
    n: usize,
    extra_d: usize,
    m: usize,
    lambda: f64,
    data_seed: u64,
    search_seed: u64,
) -> Option<(Instance, NeuronSets)> {
    let data = random_orthonormal(n, n + extra_d, &LabelSpec::default(), data_seed).ok()?;
    let mut rng = seeds::rng(search_seed, Stream::SeedSearch);
    for _ in 0..400 {
        let instance = Instance::balanced(data.clone(), m, lambda, rng.random());
        let sets = instance.sets().ok()?;
        if !sets.assumption_3() && labels_covered(&instance) {
            return Some((instance, sets));
        }
    }
    None
}

/// A time horizon comfortably beyond the last saddle of an A3N run: `20 (-ln lambda) n / y_min`
/// (a neuron active on a non-empty subset `A` of its labels escapes its saddle at rate
/// `|D_A| >= y_min / n`, after a time `~ -ln(lambda)/|D_A|`), plus 1000 for the final convergence.
pub fn a3n_horizon(data: &Dataset, lambda: f64) -> f64 {
    let y_min = data.y().iter().fold(f64::INFINITY, |a, y| a.min(y.abs()));
    20.0 * (-lambda.ln()) * data.n() as f64 / y_min + 1000.0
}

/// Runs the flow of `instance` to [`A3N_LOSS_TARGET`] (rtol `1e-10`, horizon [`a3n_horizon`]) and
/// judges it with [`check_a3n`] against the bound of the sides `plus_empty`, `minus_empty`.
pub fn a3n_run(instance: &Instance, plus_empty: bool, minus_empty: bool) -> Result<Verdict, String> {
    let run = instance
        .flow_to_convergence(A3N_LOSS_TARGET, a3n_horizon(&instance.data, instance.lambda()), 1e-10)
        .map_err(|e| e.to_string())?;
    Ok(check_a3n(&instance.data, plus_empty, minus_empty, &run.final_params, run.summary.final_loss, A3N_LOSS_TARGET))
}

/// The instance of claim `id` (A3 or A3N) drawn from `seed` for `reluflow verify`.
/// - A3: orthonormal data with `n` in `2..=6`, `d - n` in `0..=3` (default labels), width 64.
/// - A3N: `n` in `3..=5`, `d - n` in `0..=2`, `m = 2^n`, `lambda = 1e-32`, [`a3n_instance`] (Skipped
///   if none of 400 initialisations fails Assumption 3 with every label covered).
pub fn instance(id: ClaimId, seed: u64) -> Result<Instance, Outcome> {
    let mut rng = seeds::rng(seed, Stream::InstanceChoice);
    match id {
        ClaimId::A3 => {
            let n = rng.random_range(2..=6);
            let extra = rng.random_range(0..=3);
            let data = random_orthonormal(n, n + extra, &LabelSpec::default(), rng.random())
                .map_err(|e| Outcome::Skipped { claim: id, reason: e.to_string() })?;
            Ok(Instance::balanced(data, 64, 1e-6, rng.random::<u64>() >> 16))
        }
        _ => {
            let n = rng.random_range(3..=5);
            let extra = rng.random_range(0..=2);
            a3n_instance(n, extra, 1 << n, 1e-32, rng.random(), rng.random()).map(|(i, _)| i).ok_or_else(|| {
                Outcome::Skipped {
                    claim: id,
                    reason: "no initialisation with Assumption 3 failing and every label covered in 400 tries".into(),
                }
            })
        }
    }
}

/// Checks claim `id` (A3 or A3N) on `instance`.
/// - A3: [`check_a3_on`] the instance's data at its width, with initialisation seeds counted up
///   from the instance's seed (the sets depend on the initialisation only through its seed).
/// - A3N: [`a3n_run`] with the sides whose `S+-,1` is empty at the instance's initialisation
///   (that one is, and that every label is covered, are the claim's requirements
///   `Assumption3Violated` and `LabelsCovered`; without them, as `check_unguarded` may be called,
///   the verdict is vacuous or the loss part fails).
pub fn check(id: ClaimId, instance: &Instance) -> Outcome {
    match id {
        ClaimId::A3 => Outcome::Checked(check_a3_on(&instance.data, instance.init.width, instance.init.seed)),
        ClaimId::A3N => {
            let sets = match instance.sets() {
                Ok(s) => s,
                Err(e) => return Outcome::Error { claim: id, error: e.to_string() },
            };
            match a3n_run(instance, sets.s_plus_1.is_empty(), sets.s_minus_1.is_empty()) {
                Ok(v) => Outcome::Checked(v),
                Err(error) => Outcome::Error { claim: id, error },
            }
        }
        other => Outcome::Skipped { claim: other, reason: "not a regimes claim (A3, A3N)".into() },
    }
}

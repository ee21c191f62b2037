//! A measured law (issue 15, item 3; not a claim until the constants of Town, Boursier, Lewis,
//! Englert and Lazic (2026) are known): the `lambda -> 0` limit's squared norm over
//! Proposition 1's minimum, when the width grows like `log n`, from `n = 16` to `4096`, over many
//! seeds (the jump process makes this cheap), next to the gradient flow at the sizes it reaches.
//!
//! ## The width
//! `m(n) = ceil(ln(n / 0.05) / ln(4/3))` ([`width_for`]). On orthonormal inputs a given neuron
//! covers a given point (`s_j y_k > 0` and `<g_j, x_k> > 0`) with probability `1/2 * 1/2 = 1/4`,
//! independently over the neurons, so the point is missed by all `m` of them with probability
//! `(3/4)^m`; by a union bound over the `n` points, `P(some point is never covered) <= n (3/4)^m`,
//! which this `m` makes `<= 0.05`. The exact probability is
//! [`cover_probability`], reported per row.
//!
//! ## The instances
//! Seed `k` of size `n` is `--random-orthonormal n,n --data-seed k` (the default labels, drawn
//! exactly as [`random_orthonormal`](crate::data::generate::random_orthonormal) draws them) with
//! the balanced initialisation `--width m(n) --seed k`, except that the inputs are the standard
//! basis `x_k = e_k` instead of a Haar-random orthonormal basis: the process and the flow depend
//! on the inputs only through the projections `<g_j, x_k>` (with `d = n`, an orthonormal basis
//! carries the whole space), and for `g_j ~ N(0, I_n)` independent of a Haar basis `X` these
//! are i.i.d. `N(0, 1)` for every fixed basis, so the law of the row is the same, while the
//! Haar draw (a QR factorisation) and the orthonormality check of
//! [`jump_process`](crate::theory::jump_process::jump_process) cost `O(n^3)` each, 10^11 flops at
//! `n = 4096`. With `x_k = e_k`, `<g_j, x_k> = g_jk` and the growth sets are read off directly
//! ([`growth_sets`]), and [`jump_process_of_sets`] runs the process on them; wherever the flow is
//! also run, the crate's [`jump_process`](crate::theory::jump_process::jump_process) is run on
//! the same instance too and must agree exactly ([`SweepError::Disagreement`] otherwise): both
//! run the one body [`jump_process_of_sets`], so this checks the growth sets read off the
//! standard basis against the projections.
//!
//! ## Why the ratio is at least 1 on an interpolating limit
//! Each fitted set `S_i` lies in one sign class (`A_j` only holds points with `s_j y_k > 0`), and
//! the sets are disjoint (a fitted point leaves `U`). When the limit interpolates, the sets of the
//! positive neurons partition `P = {k : y_k > 0}` and those of the negative neurons partition
//! `N = {k : y_k < 0}`. The Euclidean norm is subadditive over disjoint unions:
//! `|y_{S u T}| = sqrt(|y_S|^2 + |y_T|^2) <= |y_S| + |y_T|`, so by induction
//! `sum_{i : S_i in P} |y_{S_i}| >= |y_P|` and likewise for `N`, and the limit squared norm
//! `2 sum_i |y_{S_i}| >= 2 (|y_P| + |y_N|)`, Proposition 1's minimum. (A limit that leaves points
//! unfitted is not an interpolator: it is not compared with the minimum, and the ratios of a row
//! are over its interpolating seeds.)

use rayon::prelude::*;
use serde::Serialize;

use crate::data::generate::{LabelSpec, random_labels};
use crate::data::{DataError, Dataset};
use crate::init::{InitError, InitKind, InitSpec};
use crate::network::Model;
use crate::numerics::{mean, sample_sd};
use crate::seeds::{self, Stream};
use crate::solver::flow::FlowConfig;
use crate::solver::reduced::run_flow_reduced;
use crate::solver::{NoObserver, SimulationError, StopRule};
use crate::theory::jump_process::{JumpError, cover_probability};

/// The bound on the probability that some point is never covered that [`width_for`] meets.
pub const UNCOVERED_BOUND: f64 = 0.05;

/// The largest `n` a sweep accepts: a seed draws `m(n) n` normals and, where the flow runs, holds
/// `n^2` inputs.
pub const MAX_SWEEP_N: usize = 1 << 16;

/// The largest `n` at which the flow may be run (`--simulate-up-to`): the flow's cost grows like
/// `m n` per step times a horizon that grows with `n`.
pub const MAX_SIMULATED_N: usize = 1024;

/// The largest number of seeds per size.
pub const MAX_SEEDS: u64 = 1_000_000;

/// The flow runs for `HORIZON_FACTOR tau_end ln(1/lambda) + 60` (or until the loss is below
/// `1e-14`): the last escape comes at `tau_end ln(1/lambda)` plus offsets that grow with `n`, and
/// the fit after it takes more. Measured (`--n 16,32,64 --seeds 32`, `lambda = 1e-12`): with a
/// factor 1.3, 30 of the 32 runs at `n = 64` still had a loss above `1e-10` at the horizon; with 2,
/// none (the final norms were already within `2e-4` of their values).
pub const HORIZON_FACTOR: f64 = 2.0;

/// Why a sweep could not be run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A size the sweep does not take.
    #[error("n = {0}: the sweep needs 2 <= n <= {MAX_SWEEP_N} (a label of each sign)")]
    Size(usize),
    /// No sizes, no seeds, or a bad `lambda`.
    #[error("{0}")]
    Config(String),
    /// The labels could not be drawn.
    #[error("n = {n}, seed {seed}: {source}")]
    Data {
        /// Size.
        n: usize,
        /// Seed.
        seed: u64,
        /// Why.
        source: DataError,
    },
    /// The initialisation could not be drawn.
    #[error("n = {n}, seed {seed}: {source}")]
    Init {
        /// Size.
        n: usize,
        /// Seed.
        seed: u64,
        /// Why.
        source: InitError,
    },
    /// The flow failed.
    #[error("n = {n}, seed {seed}: the gradient flow failed: {source}")]
    Simulation {
        /// Size.
        n: usize,
        /// Seed.
        seed: u64,
        /// Why.
        source: SimulationError,
    },
    /// The crate's jump process refused the instance.
    #[error("n = {n}, seed {seed}: {source}")]
    Jump {
        /// Size.
        n: usize,
        /// Seed.
        seed: u64,
        /// Why.
        source: JumpError,
    },
    /// The sets read off the standard basis ([`growth_sets`]) and the crate's `jump_process`
    /// (projections on the inputs) give different processes (a bug in one of them).
    #[error("n = {n}, seed {seed}: the sweep's jump process disagrees with theory::jump_process")]
    Disagreement {
        /// Size.
        n: usize,
        /// Seed.
        seed: u64,
    },
}

/// `m(n) = ceil(ln(n / 0.05) / ln(4/3))`: the width at which the union bound `n (3/4)^m` on the
/// probability of an uncovered point is at most [`UNCOVERED_BOUND`] (module documentation).
///
/// ```
/// use reluflow::experiments::jump_sweep::width_for;
/// assert_eq!(width_for(16), 21); // 16 (3/4)^21 = 0.038 <= 0.05 < 16 (3/4)^20 = 0.051
/// assert_eq!(width_for(4096), 40);
/// ```
pub fn width_for(n: usize) -> usize {
    let m = ((n as f64 / UNCOVERED_BOUND).ln() / (4.0f64 / 3.0).ln()).ceil();
    // ceil of a quotient computed in floating point: step to the exact smallest m
    let mut m = m.max(1.0) as usize;
    let covered = |m: usize| n as f64 * 0.75f64.powi(m as i32) <= UNCOVERED_BOUND;
    while m > 1 && covered(m - 1) {
        m -= 1;
    }
    while !covered(m) {
        m += 1;
    }
    m
}

/// The growth sets `A_j = {k : g_jk > 0 and s_j y_k > 0}` of directions `g_j` on the standard
/// basis `x_k = e_k` (`<g_j, e_k> = g_jk`), each in increasing `k`.
pub fn growth_sets(y: &[f64], g: &[Vec<f64>], s: &[f64]) -> Vec<Vec<usize>> {
    g.iter()
        .zip(s)
        .map(|(g, s)| (0..y.len()).filter(|&k| g.get(k).is_some_and(|v| *v > 0.0) && s * y[k] > 0.0).collect())
        .collect()
}

/// The single body of the process ([`crate::theory::jump_process::jump_process`] calls it after
/// computing the sets from orthonormal inputs).
pub use crate::theory::jump_process::jump_process_of_sets;

/// What to sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepConfig {
    /// The sizes `n` (`d = n`, `m = m(n)`).
    pub sizes: Vec<usize>,
    /// Seeds `0..seeds` per size.
    pub seeds: u64,
    /// Run the gradient flow too at the sizes `n <= simulate_up_to` (0: never).
    pub simulate_up_to: usize,
    /// The flow's `lambda` (the process is its `lambda -> 0` limit).
    pub lambda: f64,
}

impl Default for SweepConfig {
    /// `n = 16, 32, ..., 4096`, 32 seeds, the flow at `lambda = 1e-100` up to `n = 64`. (At
    /// `1e-12` the flow's norms were 15-20% off the limit's, a finite-`lambda` effect: competitors
    /// of size `lambda^kappa` share the fits; at `1e-100` the mean ratios agree within 2.5% up to
    /// `n = 64` (4.4% at 128), at `1e-300` within 2% up to 128, the flow's cost growing like
    /// `ln(1/lambda)`: 5 s for the default sweep on two cores.)
    fn default() -> Self {
        Self { sizes: (4..=12).map(|p| 1usize << p).collect(), seeds: 32, simulate_up_to: 64, lambda: 1e-100 }
    }
}

/// The flow's columns of a [`SweepRow`] (over the row's interpolating seeds).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimulatedColumns {
    /// The flow's `lambda`.
    pub lambda: f64,
    /// Mean of the flow's final `|theta|^2 / min_norm_sq`.
    pub ratio_mean: f64,
    /// Largest `|final |theta|^2 / limit_norm_sq - 1|` (the flow against the process, seed by seed).
    pub max_relative_gap: f64,
    /// Seeds whose run ended with loss below `1e-10`.
    pub converged: usize,
}

/// One size of the sweep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepRow {
    /// Number of points (and dimension `d = n`).
    pub n: usize,
    /// Width `m(n)`.
    pub m: usize,
    /// Seeds run.
    pub seeds: u64,
    /// Seeds whose limit interpolates (no point left unfitted).
    pub interpolating: u64,
    /// `interpolating / seeds`.
    pub interpolating_fraction: f64,
    /// Mean of `limit_norm_sq / min_norm_sq` over the interpolating seeds (`None` if none).
    pub ratio_mean: Option<f64>,
    /// Its sample standard deviation (`n - 1` in the denominator; `None` below two seeds).
    pub ratio_std: Option<f64>,
    /// Smallest ratio (`>= 1` up to rounding: module documentation).
    pub ratio_min: Option<f64>,
    /// Largest ratio.
    pub ratio_max: Option<f64>,
    /// Mean number of escapes (over all seeds).
    pub events_mean: f64,
    /// The exact probability that a random balanced initialisation of width `m` covers every point
    /// (with this row's label signs it depends on `n+`, averaged over the seeds' labels).
    pub cover_probability: f64,
    /// The gradient flow's columns, at the sizes it was run.
    pub simulated: Option<SimulatedColumns>,
}

/// One seed's outcome.
#[derive(Clone, Debug)]
struct SeedOutcome {
    interpolates: bool,
    ratio: f64,
    events: usize,
    cover_probability: f64,
    /// The flow's final squared norm over the minimum and over the limit, and whether it converged.
    simulated: Option<(f64, f64, bool)>,
}

fn run_seed(n: usize, seed: u64, cfg: &SweepConfig) -> Result<SeedOutcome, SweepError> {
    let m = width_for(n);
    let y = random_labels(n, &LabelSpec::default(), &mut seeds::rng(seed, Stream::DataLabels))
        .map_err(|source| SweepError::Data { n, seed, source })?;
    let spec = InitSpec { kind: InitKind::Balanced, width: m, lambda: cfg.lambda, seed }
        .validate()
        .map_err(|source| SweepError::Init { n, seed, source })?;
    let init = spec.draw(n);
    let params = init.params.to_params();
    let signs: Vec<f64> = params.a.iter().map(|a| a.signum()).collect();
    let process = jump_process_of_sets(&y, &growth_sets(&y, &params.w, &signs));
    let n_plus = y.iter().filter(|v| **v > 0.0).count();
    let mut outcome = SeedOutcome {
        interpolates: process.unfitted.is_empty(),
        ratio: process.limit_norm_sq / process.min_norm_sq,
        events: process.events.len(),
        cover_probability: cover_probability(m, n_plus, n - n_plus),
        simulated: None,
    };
    if n <= cfg.simulate_up_to {
        let mut x = vec![0.0; n * n];
        for k in 0..n {
            x[k * n + k] = 1.0;
        }
        let data = Dataset::from_flat(n, n, x, y.clone()).map_err(|source| SweepError::Data { n, seed, source })?;
        let checked = crate::theory::jump_process::jump_process(&data, &params.w, &signs)
            .map_err(|source| SweepError::Jump { n, seed, source })?;
        if checked != process {
            return Err(SweepError::Disagreement { n, seed });
        }
        let tau_end = process.events.last().map_or(0.0, |e| e.tau);
        let horizon = HORIZON_FACTOR * tau_end * (-cfg.lambda.ln()) + 60.0;
        let flow = FlowConfig {
            rtol: 1e-9,
            stop: StopRule { horizon: Some(horizon), until_loss: Some(1e-14), ..Default::default() },
            ..Default::default()
        };
        let model = Model::relu().validate().map_err(|e| SweepError::Config(e.to_string()))?;
        let run = run_flow_reduced(&data, model, &init.params, &flow, &mut NoObserver)
            .map_err(|source| SweepError::Simulation { n, seed, source })?;
        let norm_sq = run.final_params.to_params().norm_sq();
        outcome.simulated =
            Some((norm_sq / process.min_norm_sq, norm_sq / process.limit_norm_sq, run.summary.final_loss < 1e-10));
    }
    Ok(outcome)
}

fn row_of(n: usize, cfg: &SweepConfig, outcomes: &[SeedOutcome]) -> SweepRow {
    let ratios: Vec<f64> = outcomes.iter().filter(|o| o.interpolates).map(|o| o.ratio).collect();
    let ratio_mean = mean(&ratios);
    let ratio_std = sample_sd(&ratios);
    let interpolating = ratios.len() as u64;
    let simulated: Vec<(f64, f64, bool)> =
        outcomes.iter().filter(|o| o.interpolates).filter_map(|o| o.simulated).collect();
    let simulated = (n <= cfg.simulate_up_to).then(|| SimulatedColumns {
        lambda: cfg.lambda,
        ratio_mean: mean(&simulated.iter().map(|s| s.0).collect::<Vec<_>>()).unwrap_or(f64::NAN),
        max_relative_gap: simulated.iter().map(|s| (s.1 - 1.0).abs()).fold(0.0, f64::max),
        converged: simulated.iter().filter(|s| s.2).count(),
    });
    SweepRow {
        n,
        m: width_for(n),
        seeds: cfg.seeds,
        interpolating,
        interpolating_fraction: interpolating as f64 / cfg.seeds as f64,
        ratio_mean,
        ratio_std,
        ratio_min: ratios.iter().copied().reduce(f64::min),
        ratio_max: ratios.iter().copied().reduce(f64::max),
        events_mean: outcomes.iter().map(|o| o.events as f64).sum::<f64>() / outcomes.len().max(1) as f64,
        cover_probability: mean(&outcomes.iter().map(|o| o.cover_probability).collect::<Vec<_>>()).unwrap_or(0.0),
        simulated,
    }
}

/// Runs the sweep: every `(n, seed)` on the rayon pool (`progress` is called once per finished
/// seed, from any thread), the rows then reduced in seed order, so the output does not depend on
/// the number of threads.
pub fn sweep(cfg: &SweepConfig, progress: &(dyn Fn() + Sync)) -> Result<Vec<SweepRow>, SweepError> {
    if cfg.sizes.is_empty() {
        return Err(SweepError::Config("no sizes: give --n, e.g. 16,32,64".into()));
    }
    if cfg.seeds == 0 || cfg.seeds > MAX_SEEDS {
        return Err(SweepError::Config(format!("--seeds {}: give 1 to {MAX_SEEDS} seeds per size", cfg.seeds)));
    }
    if !(cfg.lambda > 0.0 && cfg.lambda < 1.0) {
        return Err(SweepError::Config(format!("the flow's lambda = {} must be in (0, 1)", cfg.lambda)));
    }
    if cfg.simulate_up_to > MAX_SIMULATED_N {
        return Err(SweepError::Config(format!(
            "--simulate-up-to {}: the flow is run up to n = {MAX_SIMULATED_N} at most",
            cfg.simulate_up_to
        )));
    }
    if let Some(&n) = cfg.sizes.iter().find(|&&n| !(2..=MAX_SWEEP_N).contains(&n)) {
        return Err(SweepError::Size(n));
    }
    let jobs: Vec<(usize, u64)> = cfg.sizes.iter().flat_map(|&n| (0..cfg.seeds).map(move |s| (n, s))).collect();
    let outcomes: Vec<SeedOutcome> = jobs
        .par_iter()
        .map(|&(n, seed)| {
            let outcome = run_seed(n, seed, cfg);
            progress();
            outcome
        })
        .collect::<Result<_, _>>()?;
    Ok(outcomes.chunks(cfg.seeds as usize).zip(&cfg.sizes).map(|(chunk, &n)| row_of(n, cfg, chunk)).collect())
}

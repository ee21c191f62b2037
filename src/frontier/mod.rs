//! The `lambda*` frontier of Section 3.2: the largest initialisation scale at which a run still
//! shows the paper's dynamics, found by bisection on `ln(lambda)` with the same `g_j`.
//!
//! ## Definition
//! A run (one flow run reduced by [`measure_flow`]) **shows the paper's dynamics**
//! ([`paper_dynamics`], [`judge`]) iff all three hold:
//! 1. it has an intermediate plateau at Fact 1's level `L_S = (1/2n) sum_{y<0} y^2` (after the
//!    paper's label flip): a stretch of the loss curve within the `+-PLATEAU_BAND` band of
//!    `L_S` lasting at least `PLATEAU_FRACTION` of the time to fit
//!    ([`RunMeasure::fact_1_plateau`]);
//! 2. it reaches zero loss: `L_end <= ZERO_LOSS_FRACTION L(0)` ([`ZERO_LOSS_FRACTION`]);
//! 3. its squared norm ends close to Proposition 1's minimum: the relative excess
//!    `|theta_end|^2 / min - 1` is below [`EXCESS_MAX`] (orthogonal inputs only; without
//!    Proposition 1's minimum the run does not show it).
//!
//! For one cell (data, width `m`, initialisation seed: the directions `g_j` and signs `s_j`)
//! `lambda*` is the largest `lambda` at which the run shows it, **assuming** the predicate is
//! monotone in `lambda` (shows below `lambda*`, not above). [`bisect_ln`] brackets it: it
//! evaluates the predicate at the range's ends `lo < hi` and, when `lo` shows and `hi` does not,
//! halves `[ln lo, ln hi]` until its width is at most `resolution` (natural-log units);
//! `lambda*` is the bracket's geometric midpoint, within a factor `e^(resolution/2)` of every
//! point of the bracket. An end that contradicts the assumption is reported, never bisected
//! through: [`FrontierStatus::NoneShows`] (`lo` does not show: `lambda* < lo`, or the cell breaks
//! an assumption of the paper) and [`FrontierStatus::AllShow`] (`hi` shows: `lambda* >= hi`).
//! Inside the range, the bisection trusts monotonicity: a non-monotone predicate gives one of its
//! flips.
//!
//! The cells of `reluflow frontier` and of the LS claim are [`cell_instance`]: orthonormal
//! inputs with `d = n`, labels `|y| in [0.5, 2]` with `r >= FRONTIER_MIN_RATIO`, the balanced
//! initialisation of eq. (4) with Assumption 3; the data depend on `(n, seed)` only, so the
//! widths of one seed share their data.

mod fit;

pub use fit::{CONFIDENCE, LineFit, fit_common_slope, fit_line};

use crate::Instance;
use crate::campaign::{RunMeasure, measure_flow};
use crate::data::Dataset;
use crate::data::generate::{LabelSpec, random_orthonormal};
use crate::init::NeuronSets;
use crate::seeds::{self, Stream};
use crate::solver::SimulationError;
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// The relative norm excess `|theta_end|^2 / min - 1` below which a run counts as ending at
/// Proposition 1's minimum-norm interpolator.
///
/// Fixed from the excess alone, before any `lambda*` was fitted. Measured on a decade survey:
/// [`measure_flow`] of `cell_instance(n, m, seed).with_lambda(10^-k)` for `n = 2..5`,
/// `m = 8, 16, 32, 64, 128`, seeds `0..4`, `k = 1..14` (1120 runs, none failing to reach zero
/// loss):
/// - at `lambda = 1e-14` (the smallest of the default range) the excess is at most `0.019`
///   (median `~0`); over every run that has Fact 1's plateau, at most `0.061` (99% below
///   `0.044`, median `1.2e-4`): on some cells the excess decays slowly, like `lambda^(2(1-q))`
///   with `q` close to 1 (see `claims::limits`);
/// - at `lambda = 1e-1` the median excess is `0.27` (90% quantile `0.86`), at `1e-2` `0.033`.
///
/// `0.1` lies above that whole population (by a factor 1.6 over its largest, 5 over the largest
/// at `1e-14`) and below the median excess at `lambda = 0.1`. It does not make the two
/// conditions flip together: on some cells (measured: 2 of the first 40 MF cells, both `n = 4`,
/// `m = 8`) the excess passes `0.1` while the plateau is still there, even at `lambda = 0.1`;
/// there `lambda*` is set by the norm, and MF reports what the run does above it.
pub const EXCESS_MAX: f64 = 0.1;

/// A run reached zero loss iff `L_end <= ZERO_LOSS_FRACTION L(0)`. The runs stop at
/// `L < 1e-12 (1/2n) sum y^2` ([`crate::campaign::measure::UNTIL_LOSS_FRACTION`]); a run that is still on
/// a saddle at the horizon keeps at least one label's `y_k^2/(2n)`, `>= 1e-2 L(0)` here.
pub const ZERO_LOSS_FRACTION: f64 = 1e-8;

/// Smallest `r = |D+|/|D-|` of the frontier cells' labels: Fact 1's plateau lasts about a
/// fraction `1 - 1/r` of the time to fit, `1/3` at `r = 1.5`, above `PLATEAU_FRACTION = 0.1`
/// with room for the `lambda`-free offsets.
pub const FRONTIER_MIN_RATIO: f64 = 1.5;

/// Why one run does or does not show the paper's dynamics.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dynamics {
    /// It has the plateau at Fact 1's level.
    pub fact_1_plateau: bool,
    /// It reached zero loss ([`ZERO_LOSS_FRACTION`]).
    pub zero_loss: bool,
    /// Its relative norm excess (`None`: the inputs are not orthogonal).
    pub norm_excess: Option<f64>,
    /// All three conditions of the module's definition.
    pub shows: bool,
}

/// The three conditions of the definition on `measure`.
pub fn judge(measure: &RunMeasure) -> Dynamics {
    let zero_loss = measure.final_loss <= ZERO_LOSS_FRACTION * measure.initial_loss;
    let small_excess = measure.norm_excess.is_some_and(|e| e < EXCESS_MAX);
    Dynamics {
        fact_1_plateau: measure.fact_1_plateau,
        zero_loss,
        norm_excess: measure.norm_excess,
        shows: measure.fact_1_plateau && zero_loss && small_excess,
    }
}

/// Whether the run shows the paper's dynamics: Fact 1's plateau, zero loss and a relative norm
/// excess below [`EXCESS_MAX`] (the module's definition).
pub fn paper_dynamics(measure: &RunMeasure) -> bool {
    judge(measure).shows
}

/// How a bisection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrontierStatus {
    /// `lo` shows, `hi` does not: the bracket has width at most the resolution.
    Found,
    /// `lo` does not show: `lambda* < lo` (or no `lambda` shows; the cell may break an
    /// assumption). Contradicts the premise that small enough `lambda` shows it.
    NoneShows,
    /// `hi` shows too: `lambda* >= hi`.
    AllShow,
}

/// One evaluation of the predicate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// The scale.
    pub lambda: f64,
    /// Whether the run showed the paper's dynamics there.
    pub shows: bool,
    /// The conditions, when the predicate is [`paper_dynamics`] ([`lambda_star`]).
    pub dynamics: Option<Dynamics>,
}

/// The result of a bisection on `ln(lambda)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bisection {
    /// How it ended.
    pub status: FrontierStatus,
    /// The largest `lambda` known to show (`None` when `lo` does not).
    pub shows_at: Option<f64>,
    /// The smallest `lambda` known not to show (`None` when `hi` shows).
    pub fails_at: Option<f64>,
    /// `sqrt(shows_at fails_at)` when [`FrontierStatus::Found`].
    pub lambda_star: Option<f64>,
    /// The range searched.
    pub range: (f64, f64),
    /// The requested resolution, natural-log units.
    pub resolution: f64,
    /// Every evaluation, in order (the ends first).
    pub probes: Vec<Probe>,
}

impl Bisection {
    /// `ln(fails_at / shows_at)` (the bracket's width in natural-log units), when found.
    pub fn width_ln(&self) -> Option<f64> {
        Some((self.fails_at? / self.shows_at?).ln())
    }
}

/// Errors of the frontier.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum FrontierError {
    /// The range or the resolution is invalid.
    #[error("invalid frontier range: {0}")]
    Range(String),
    /// A run failed.
    #[error("simulation failed at lambda = {lambda:.3e}: {error}")]
    Simulation {
        /// Where.
        lambda: f64,
        /// The simulator's error.
        error: SimulationError,
    },
}

/// Checks `0 < lo < hi` finite and `resolution > 0`.
pub fn check_range(lo: f64, hi: f64, resolution: f64) -> Result<(), FrontierError> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Err(FrontierError::Range(format!("need 0 < lo < hi finite, got lo = {lo:e}, hi = {hi:e}")));
    }
    if !(resolution > 0.0 && resolution.is_finite()) {
        return Err(FrontierError::Range(format!("need a positive resolution (ln units), got {resolution}")));
    }
    Ok(())
}

/// Bisection of a predicate assumed monotone (true below the threshold, false above) on
/// `ln(lambda)` over `[lo, hi]`, down to a bracket of width at most `resolution` (natural-log
/// units). `predicate` returns whether `lambda` shows, with optional details. The ends are
/// evaluated first; an end that contradicts the assumption ends the search
/// ([`FrontierStatus`]).
///
/// ```
/// use reluflow::frontier::{bisect_ln, FrontierStatus};
/// let b = bisect_ln(1e-10, 1.0, 0.1, |l| Ok::<_, ()>((l < 3e-4, None))).unwrap();
/// assert_eq!(b.status, FrontierStatus::Found);
/// let (s, f) = (b.shows_at.unwrap(), b.fails_at.unwrap());
/// assert!(s < 3e-4 && 3e-4 <= f && (f / s).ln() <= 0.1);
/// ```
pub fn bisect_ln<E>(
    lo: f64,
    hi: f64,
    resolution: f64,
    mut predicate: impl FnMut(f64) -> Result<(bool, Option<Dynamics>), E>,
) -> Result<Bisection, E> {
    let mut probes = Vec::new();
    let mut eval = |lambda: f64, probes: &mut Vec<Probe>| -> Result<bool, E> {
        let (shows, dynamics) = predicate(lambda)?;
        probes.push(Probe { lambda, shows, dynamics });
        Ok(shows)
    };
    let done = |status, shows_at, fails_at, probes| Bisection {
        status,
        shows_at,
        fails_at,
        lambda_star: None,
        range: (lo, hi),
        resolution,
        probes,
    };
    if !eval(lo, &mut probes)? {
        return Ok(done(FrontierStatus::NoneShows, None, Some(lo), probes));
    }
    if eval(hi, &mut probes)? {
        return Ok(done(FrontierStatus::AllShow, Some(hi), None, probes));
    }
    let (mut a, mut b) = (lo.ln(), hi.ln());
    while b - a > resolution {
        let mid = 0.5 * (a + b);
        if eval(mid.exp(), &mut probes)? {
            a = mid;
        } else {
            b = mid;
        }
    }
    let mut out = done(FrontierStatus::Found, Some(a.exp()), Some(b.exp()), probes);
    out.lambda_star = Some((0.5 * (a + b)).exp());
    Ok(out)
}

/// `lambda*` of the cell (`data`, `width`, initialisation `seed`): [`bisect_ln`] of
/// [`paper_dynamics`] on [`measure_flow`] runs of `Instance::balanced(data, width, lambda, seed)`
/// (the same `g_j` and `s_j` at every `lambda`: [`Instance::with_lambda`]).
pub fn lambda_star(
    data: &Dataset,
    width: usize,
    seed: u64,
    lo: f64,
    hi: f64,
    resolution: f64,
) -> Result<Bisection, FrontierError> {
    lambda_star_of(&Instance::balanced(data.clone(), width, lo, seed), lo, hi, resolution)
}

/// [`lambda_star`] from an instance (its data, width, model, initialisation kind and seed; its
/// own `lambda` is not used).
pub fn lambda_star_of(instance: &Instance, lo: f64, hi: f64, resolution: f64) -> Result<Bisection, FrontierError> {
    check_range(lo, hi, resolution)?;
    bisect_ln(lo, hi, resolution, |lambda| {
        let m =
            measure_flow(&instance.with_lambda(lambda)).map_err(|error| FrontierError::Simulation { lambda, error })?;
        let d = judge(&m);
        Ok((d.shows, Some(d)))
    })
}

/// The labels of the frontier cells: `|y| in [0.5, 2]`, both signs, `r >= FRONTIER_MIN_RATIO`.
pub fn frontier_labels() -> LabelSpec {
    LabelSpec { min_ratio: FRONTIER_MIN_RATIO, ..LabelSpec::default() }
}

/// Tries of [`cell_instance`] for an initialisation with Assumption 3.
pub const CELL_TRIES: usize = 200;

/// The seed of stream `k` of cell seed `seed` at `n` (SplitMix64).
fn mix(seed: u64, n: usize, k: u64) -> u64 {
    let mut z = seed ^ ((n as u64) << 40) ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The data of cell `(n, seed)`: `n` Haar-random orthonormal inputs in `R^n` and
/// [`frontier_labels`], both from a data seed that depends on `(n, seed)` only.
pub fn cell_data(n: usize, seed: u64, labels: &LabelSpec) -> Option<Dataset> {
    random_orthonormal(n, n, labels, mix(seed, n, 0)).ok()
}

/// The instance of cell `(n, m, seed)`: [`cell_data`] and the first initialisation seed of the
/// cell's sequence (stream [`Stream::SeedSearch`]) whose balanced initialisation of width `m`
/// has Assumption 3 (`None` after [`CELL_TRIES`]). Its `lambda` is 1 (the bisection sets it).
pub fn cell_instance(n: usize, m: usize, seed: u64) -> Option<Instance> {
    cell_instance_with(n, m, seed, &frontier_labels(), true)
}

/// [`cell_instance`] with other labels, and with or without the Assumption 3 filter (negative
/// controls: without it, the first initialisation seed is taken as it is).
pub fn cell_instance_with(n: usize, m: usize, seed: u64, labels: &LabelSpec, assumption_3: bool) -> Option<Instance> {
    let data = cell_data(n, seed, labels)?;
    let mut rng = seeds::rng(mix(seed, n, 1), Stream::SeedSearch);
    for _ in 0..CELL_TRIES {
        let instance = Instance::balanced(data.clone(), m, 1.0, rng.random());
        if !assumption_3 {
            return Some(instance);
        }
        let init = instance.initialisation().ok()?;
        if NeuronSets::of(&init.params, &instance.data).assumption_3() {
            return Some(instance);
        }
    }
    None
}

/// The grid of a frontier run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrontierGrid {
    /// Numbers of points.
    pub ns: Vec<usize>,
    /// Widths.
    pub widths: Vec<usize>,
    /// Cell seeds.
    pub seeds: Vec<u64>,
    /// Smallest `lambda` searched.
    pub lo: f64,
    /// Largest `lambda` searched.
    pub hi: f64,
    /// Bisection resolution, natural-log units.
    pub resolution: f64,
}

impl FrontierGrid {
    /// Every `(n, m, seed)` cell, `n` slowest, then `m`, then the seed.
    pub fn cells(&self) -> Vec<(usize, usize, u64)> {
        let mut out = Vec::new();
        for &n in &self.ns {
            for &m in &self.widths {
                for &s in &self.seeds {
                    out.push((n, m, s));
                }
            }
        }
        out
    }
}

/// One cell's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrontierCell {
    /// Number of points.
    pub n: usize,
    /// Width.
    pub m: usize,
    /// Cell seed.
    pub seed: u64,
    /// The initialisation seed [`cell_instance`] chose (`None`: no instance).
    pub init_seed: Option<u64>,
    /// `r = |D+|/|D-|` of the cell's data.
    pub ratio: Option<f64>,
    /// The bisection (`None`: no instance with Assumption 3, or a run failed: see `error`).
    pub bisection: Option<Bisection>,
    /// Why there is no bisection.
    pub error: Option<String>,
    /// Wall time of the cell, seconds (not deterministic).
    pub wall_seconds: f64,
}

impl FrontierCell {
    /// `lambda*` when the bisection found it.
    pub fn lambda_star(&self) -> Option<f64> {
        self.bisection.as_ref().and_then(|b| b.lambda_star)
    }
}

/// Runs one cell of `grid`.
pub fn run_cell(grid: &FrontierGrid, n: usize, m: usize, seed: u64) -> FrontierCell {
    run_cell_of(n, m, seed, cell_instance(n, m, seed), grid.lo, grid.hi, grid.resolution)
}

/// Runs one cell on a given instance (`None`: no instance could be drawn).
pub fn run_cell_of(
    n: usize,
    m: usize,
    seed: u64,
    instance: Option<Instance>,
    lo: f64,
    hi: f64,
    resolution: f64,
) -> FrontierCell {
    let started = std::time::Instant::now();
    let mut cell =
        FrontierCell { n, m, seed, init_seed: None, ratio: None, bisection: None, error: None, wall_seconds: 0.0 };
    match instance {
        None => cell.error = Some(format!("no initialisation with Assumption 3 in {CELL_TRIES} tries")),
        Some(inst) => {
            cell.init_seed = Some(inst.init.seed);
            cell.ratio = Some(crate::theory::r(&inst.data));
            match lambda_star_of(&inst, lo, hi, resolution) {
                Ok(b) => cell.bisection = Some(b),
                Err(e) => cell.error = Some(e.to_string()),
            }
        }
    }
    cell.wall_seconds = started.elapsed().as_secs_f64();
    cell
}

/// Runs every cell of `grid` in parallel (rayon); `done` is called with each finished cell (in
/// completion order: progress, JSONL); the result is in [`FrontierGrid::cells`] order.
pub fn run_grid(
    grid: &FrontierGrid,
    done: &(dyn Fn(&FrontierCell) + Sync),
) -> Result<Vec<FrontierCell>, FrontierError> {
    use rayon::prelude::*;
    check_range(grid.lo, grid.hi, grid.resolution)?;
    Ok(grid
        .cells()
        .par_iter()
        .map(|&(n, m, s)| {
            let cell = run_cell(grid, n, m, s);
            done(&cell);
            cell
        })
        .collect())
}

/// The `m`-exponent at `n` points: least squares of `ln lambda*` against `ln m` over the found
/// cells with `n` points, one intercept per seed (per dataset: the data depend on `(n, seed)`
/// only, so the fit compares widths on the same data) and a common slope ([`fit_common_slope`]).
pub fn m_exponent(cells: &[FrontierCell], n: usize) -> Option<LineFit> {
    let found: Vec<&FrontierCell> = cells.iter().filter(|c| c.n == n).collect();
    let pts: Vec<(usize, f64, f64)> = found
        .iter()
        .filter_map(|c| c.lambda_star().map(|l| (dataset_index(cells, c), (c.m as f64).ln(), l.ln())))
        .collect();
    fit_common_slope(&pts)
}

/// The common `m`-exponent over every `n`: least squares of `ln lambda*` against `ln m` over the
/// found cells, one intercept per dataset `(n, seed)` and a common slope ([`fit_common_slope`]).
/// The interval has `cells - datasets - 1` degrees of freedom.
pub fn pooled_m_exponent(cells: &[FrontierCell]) -> Option<LineFit> {
    let pts: Vec<(usize, f64, f64)> = cells
        .iter()
        .filter_map(|c| c.lambda_star().map(|l| (dataset_index(cells, c), (c.m as f64).ln(), l.ln())))
        .collect();
    fit_common_slope(&pts)
}

/// The index of cell `c`'s dataset `(n, seed)` among those of `cells`.
fn dataset_index(cells: &[FrontierCell], c: &FrontierCell) -> usize {
    let mut keys: Vec<(usize, u64)> = cells.iter().map(|c| (c.n, c.seed)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.binary_search(&(c.n, c.seed)).unwrap_or(0)
}

/// The mean of `ln lambda*` over the widths of each dataset `(n, seed)` whose cells were all
/// found (the same widths for every dataset: those of `widths`), as `(n, seed, mean)`.
pub fn dataset_means(cells: &[FrontierCell], widths: &[usize]) -> Vec<(usize, u64, f64)> {
    let mut keys: Vec<(usize, u64)> = cells.iter().map(|c| (c.n, c.seed)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .filter_map(|(n, seed)| {
            let lns: Vec<f64> = widths
                .iter()
                .filter_map(|&m| cells.iter().find(|c| c.n == n && c.seed == seed && c.m == m)?.lambda_star())
                .map(f64::ln)
                .collect();
            (lns.len() == widths.len() && !lns.is_empty())
                .then(|| (n, seed, lns.iter().sum::<f64>() / lns.len() as f64))
        })
        .collect()
}

/// The `n`-rate: least squares of the dataset means of `ln lambda*` ([`dataset_means`] over
/// `widths`) against `n`, one point per dataset (`lambda* ~ e^(slope n)`). The interval has
/// `datasets - 2` degrees of freedom: the widths of one dataset share its data, so they are one
/// observation of the `n`-dependence, not several.
pub fn n_slope(cells: &[FrontierCell], widths: &[usize]) -> Option<LineFit> {
    let (xs, ys): (Vec<f64>, Vec<f64>) =
        dataset_means(cells, widths).into_iter().map(|(n, _, y)| (n as f64, y)).unzip();
    fit_line(&xs, &ys)
}

/// The `n`-rate at one width `m` (descriptive, for the figure): least squares of `ln lambda*`
/// against `n` over the found cells of width `m`.
pub fn n_slope_at(cells: &[FrontierCell], m: usize) -> Option<LineFit> {
    let (xs, ys): (Vec<f64>, Vec<f64>) =
        cells.iter().filter(|c| c.m == m).filter_map(|c| c.lambda_star().map(|l| (c.n as f64, l.ln()))).unzip();
    fit_line(&xs, &ys)
}

//! The heuristic statements of Section 3.2 ("Scale of initialisation"): LS (how `lambda*`
//! scales with `m` and `n`) and MF (above `lambda*`, still mean-field: zero loss, no
//! intermediate saddle, near a minimum-norm interpolator).
//!
//! These are not lemmas: the paper says `lambda*` "scales roughly as"
//! `Theta(1)/sqrt(m) e^(-Theta(n))` ("it can be inferred from the analysis") and that the
//! parameters "empirically seem" to converge towards a minimum-norm interpolator above it. A
//! verdict is therefore "consistent" (holds) or "inconsistent" (fails) with the measured numbers
//! in its statement, and `reluflow verify` shows these claims under their own heading and counts
//! them in its exit code only with `--strict` ([`ClaimId::is_heuristic`]).
//!
//! `lambda*` is [`crate::frontier`]'s: the largest `lambda` at which the run has Fact 1's plateau,
//! reaches zero loss and ends within [`frontier::EXCESS_MAX`] of Proposition 1's minimum norm,
//! by bisection on `ln(lambda)` with the same `g_j`.

use super::{ClaimId, Outcome, Verdict};
use crate::Instance;
use crate::campaign::measure_flow;
use crate::frontier::{self, FrontierCell, FrontierGrid, FrontierStatus, LineFit};
use serde::Serialize;

/// The range every heuristic bisection searches, `[1e-14, 1e-1]`.
pub const FRONTIER_RANGE: (f64, f64) = (1e-14, 1e-1);

/// The paper's `m`-exponent of `lambda*`.
pub const PAPER_M_EXPONENT: f64 = -0.5;

/// Seeds per `(n, m)` of [`ls_grid`].
pub const LS_SEEDS: u64 = 4;

/// The frontier grid LS is judged on in `reluflow verify` (cell seeds from the case seed):
/// `n = 2, 3, 4`, `m = 8, 16, 32, 64`, 2 seeds, resolution `0.5` in `ln` units (24 cells, about
/// 200 runs of a few milliseconds). `--deep` uses [`ls_deep_grid`].
pub fn ls_grid(seed: u64) -> FrontierGrid {
    FrontierGrid {
        ns: vec![2, 3, 4],
        widths: vec![8, 16, 32, 64],
        seeds: cell_seeds(seed, LS_SEEDS),
        lo: FRONTIER_RANGE.0,
        hi: FRONTIER_RANGE.1,
        resolution: 0.5,
    }
}

/// The deeper grid (`reluflow verify --deep`): `n = 2..5`, `m = 8..128` (powers of 2), 4 seeds,
/// resolution `0.25`.
pub fn ls_deep_grid(seed: u64) -> FrontierGrid {
    FrontierGrid {
        ns: vec![2, 3, 4, 5],
        widths: vec![8, 16, 32, 64, 128],
        seeds: cell_seeds(seed, 4),
        lo: FRONTIER_RANGE.0,
        hi: FRONTIER_RANGE.1,
        resolution: 0.25,
    }
}

/// `count` cell seeds of case seed `seed`: `seed * count + i` (seed 0 gives the cells
/// `reluflow frontier --seeds count` runs).
pub fn cell_seeds(seed: u64, count: u64) -> Vec<u64> {
    (0..count).map(|i| seed.wrapping_mul(count).wrapping_add(i)).collect()
}

/// The instance LS is drawn as for `reluflow verify`: the first cell of [`ls_grid`] without the
/// Assumption 3 filter, with initialisation seed `seed` (LS reads only this seed: the statement
/// is about how `lambda*` varies across cells, so it is judged on the grid of cells the seed
/// gives). MF: the [`frontier::cell_instance`] of `n` in `2..=4` and `m` in `8, 16, 32, 64`
/// chosen by `seed`.
pub fn instance(id: ClaimId, seed: u64) -> Result<Instance, Outcome> {
    let skipped = |reason: String| Outcome::Skipped { claim: id, reason };
    match id {
        ClaimId::LS => frontier::cell_data(2, seed, &frontier::frontier_labels())
            .map(|d| Instance::balanced(d, 8, 1.0, seed))
            .ok_or_else(|| skipped("no frontier data from this seed".into())),
        _ => {
            let n = 2 + (seed % 3) as usize;
            let m = 8 << ((seed / 3) % 4);
            frontier::cell_instance(n, m, seed)
                .ok_or_else(|| skipped(format!("no initialisation with Assumption 3 at n = {n}, m = {m}")))
        }
    }
}

/// Checks LS or MF on `instance`: LS on [`ls_grid`] of the instance's initialisation seed
/// ([`simulate_ls`], [`check_ls`]), MF on the instance itself ([`simulate_mf`], [`check_mf`]).
pub fn check(id: ClaimId, instance: &Instance) -> Outcome {
    match id {
        ClaimId::LS => Outcome::Checked(check_ls(&simulate_ls(&ls_grid(instance.init.seed)))),
        ClaimId::MF => match simulate_mf(instance, MF_FACTOR) {
            Ok(MfEvidence::Above(e)) => Outcome::Checked(check_mf(&e)),
            Ok(MfEvidence::NotApplicable(reason)) => Outcome::Skipped { claim: id, reason },
            Err(e) => Outcome::Error { claim: id, error: e.to_string() },
        },
        _ => Outcome::Skipped { claim: id, reason: "not a heuristic claim".into() },
    }
}

// ---------------------------------------------------------------------------------------------
// LS
// ---------------------------------------------------------------------------------------------

/// The evidence of LS: every cell of a frontier grid.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LsEvidence {
    /// The grid.
    pub grid: FrontierGrid,
    /// Its cells, in grid order.
    pub cells: Vec<FrontierCell>,
}

/// Runs the frontier on `grid` (cells in parallel).
pub fn simulate_ls(grid: &FrontierGrid) -> LsEvidence {
    let cells = frontier::run_grid(grid, &|_| {}).unwrap_or_default();
    LsEvidence { grid: grid.clone(), cells }
}

/// What LS measured: the pooled fits and the cell counts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LsMeasurement {
    /// The `m`-exponent: `ln lambda*` against `ln m`, one intercept per dataset `(n, seed)`
    /// ([`frontier::pooled_m_exponent`]).
    pub m_exponent: Option<LineFit>,
    /// The `n`-rate: the dataset means of `ln lambda*` over the widths against `n`
    /// ([`frontier::n_slope`]).
    pub n_slope: Option<LineFit>,
    /// Cells with `lambda*` found.
    pub found: usize,
    /// Cells whose range top still showed the dynamics (`lambda* >= hi`: left out of the fits).
    pub all_show: usize,
    /// Cells whose range bottom did not (`lambda* < lo`: left out of the fits).
    pub none_shows: usize,
    /// Cells without an instance or with a failed run.
    pub errors: usize,
}

/// The fits and counts of `evidence`.
pub fn measure_ls(evidence: &LsEvidence) -> LsMeasurement {
    let status = |s: FrontierStatus| {
        evidence.cells.iter().filter(|c| c.bisection.as_ref().is_some_and(|b| b.status == s)).count()
    };
    LsMeasurement {
        m_exponent: frontier::pooled_m_exponent(&evidence.cells),
        n_slope: frontier::n_slope(&evidence.cells, &evidence.grid.widths),
        found: status(FrontierStatus::Found),
        all_show: status(FrontierStatus::AllShow),
        none_shows: status(FrontierStatus::NoneShows),
        errors: evidence.cells.iter().filter(|c| c.bisection.is_none()).count(),
    }
}

/// The direction LS's `n`-part claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum NTrend {
    /// `lambda*` decreases exponentially in `n` (the paper): the slope's interval lies below 0.
    Decreasing,
    /// `lambda*` increases in `n` (a wrong statement, for the negative control): the interval
    /// lies above 0.
    Increasing,
}

/// **LS (Section 3.2)** with the paper's numbers: [`check_ls_against`] with
/// [`PAPER_M_EXPONENT`] and [`NTrend::Decreasing`].
pub fn check_ls(evidence: &LsEvidence) -> Verdict {
    check_ls_against(evidence, PAPER_M_EXPONENT, NTrend::Decreasing)
}

/// **LS** against an `m`-exponent and an `n`-direction. Finite statement, both parts required
/// (95% Student-t intervals, [`frontier::fit_common_slope`]):
/// 1. *the `m`-exponent*: least squares of `ln lambda*` against `ln m` over the found cells, one
///    intercept per dataset `(n, seed)` (the paper's `Theta(1)` may depend on `n` and on the
///    data; the widths of a dataset are compared on the same data) and a common slope `b_m`;
///    `exponent` must lie in `b_m`'s interval (`lo <= exponent <= hi`).
/// 2. *the `n`-dependence is exponentially decreasing*: per dataset `(n, seed)` whose every width
///    was found, the mean of `ln lambda*` over the widths; least squares of these means against
///    `n`, one point per dataset (`lambda* ~ e^(b_n n)`; the widths of a dataset share its data,
///    so they are one observation of the `n`-dependence). The whole interval of `b_n` must lie
///    below 0 (`hi <= 0`: a decrease at the 97.5% one-sided level). A linear fit of `ln lambda*`
///    in `n` is the `e^(-Theta(n))` law; the test is of its sign, not of linearity. With
///    [`NTrend::Increasing`], above 0 instead.
///
/// A cell whose range end contradicts monotonicity (`lambda* >= hi` or `< lo`) is left out of
/// the fits and counted in the statement. A part without a fit (fewer cells than parameters + 1)
/// fails ("no evidence").
pub fn check_ls_against(evidence: &LsEvidence, exponent: f64, trend: NTrend) -> Verdict {
    let id = ClaimId::LS;
    let m = measure_ls(evidence);
    let counts = format!(
        "{} cells found, {} with lambda* >= {:.0e}, {} with lambda* < {:.0e}, {} errors",
        m.found, m.all_show, evidence.grid.hi, m.none_shows, evidence.grid.lo, m.errors
    );
    let m_part = match m.m_exponent {
        Some(f) => {
            let inside = Verdict::all(
                id,
                [
                    Verdict::at_most(
                        id,
                        f.slope_lo,
                        exponent,
                        format!("95% interval low {:+.3} <= {exponent}", f.slope_lo),
                    ),
                    Verdict::at_least(id, f.slope_hi, exponent, format!("high {:+.3} >= {exponent}", f.slope_hi)),
                ],
            );
            inside.with_context(format!(
                "m-exponent of lambda* {:+.3} (95% CI [{:+.3}, {:+.3}], {} cells) contains {exponent}",
                f.slope, f.slope_lo, f.slope_hi, f.points
            ))
        }
        None => Verdict::failed(id, format!("no m-exponent fit ({counts})")),
    };
    let n_part = match (m.n_slope, trend) {
        (Some(f), NTrend::Decreasing) => Verdict::at_most(
            id,
            f.slope_hi,
            0.0,
            format!(
                "n-slope of ln lambda* {:+.3} (95% CI [{:+.3}, {:+.3}], {} datasets): interval below 0 (exponentially decreasing)",
                f.slope, f.slope_lo, f.slope_hi, f.points
            ),
        ),
        (Some(f), NTrend::Increasing) => Verdict::at_least(
            id,
            f.slope_lo,
            0.0,
            format!(
                "n-slope of ln lambda* {:+.3} (95% CI [{:+.3}, {:+.3}], {} datasets): interval above 0 (increasing)",
                f.slope, f.slope_lo, f.slope_hi, f.points
            ),
        ),
        (None, _) => Verdict::failed(id, format!("no n-slope fit ({counts})")),
    };
    Verdict::all(id, [m_part, n_part]).with_context(format!(
        "grid n {:?}, m {:?}, {} seeds, resolution {} ({counts})",
        evidence.grid.ns,
        evidence.grid.widths,
        evidence.grid.seeds.len(),
        evidence.grid.resolution
    ))
}

// ---------------------------------------------------------------------------------------------
// MF
// ---------------------------------------------------------------------------------------------

/// How far above the frontier MF looks: `lambda_MF = MF_FACTOR fails_at`, `fails_at` the
/// bisection's smallest `lambda` known not to show the dynamics (a factor `e^1.4` beyond the
/// bracket, far outside its resolution).
pub const MF_FACTOR: f64 = 4.0;

/// Bisection resolution of MF's frontier, `ln` units.
pub const MF_RESOLUTION: f64 = 0.5;

/// "Well below the lazy scale": MF requires `lambda_MF <= 1/sqrt(m)`, the paper's scale, a
/// decade below LZ's lazy scale `10/sqrt(m)` ([`crate::claims::limits::lazy_lambda`]).
pub fn mean_field_max(width: usize) -> f64 {
    1.0 / (width as f64).sqrt()
}

/// One run of MF's evidence.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MfRun {
    /// The scale.
    pub lambda: f64,
    /// Whether it had Fact 1's plateau.
    pub fact_1_plateau: bool,
    /// `L_end / L(0)`.
    pub final_loss_ratio: f64,
    /// Relative norm excess.
    pub norm_excess: f64,
}

/// MF's evidence on one cell.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MfAbove {
    /// Width.
    pub m: usize,
    /// The bisection's bracket `[shows_at, fails_at]`.
    pub bracket: (f64, f64),
    /// The run at `shows_at` (below the frontier, the paper's dynamics).
    pub below: MfRun,
    /// The run at `lambda_MF` (the one judged).
    pub above: MfRun,
    /// The run at LZ's lazy scale `10/sqrt(m)` (the trend's far end).
    pub lazy: MfRun,
}

/// What [`simulate_mf`] found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum MfEvidence {
    /// The runs around and above the frontier.
    Above(MfAbove),
    /// Why MF cannot be judged on the cell (no frontier in range, or `lambda_MF` not well below
    /// the lazy scale).
    NotApplicable(String),
}

fn mf_run(instance: &Instance, lambda: f64) -> Result<MfRun, frontier::FrontierError> {
    let m = measure_flow(&instance.with_lambda(lambda))
        .map_err(|error| frontier::FrontierError::Simulation { lambda, error })?;
    Ok(MfRun {
        lambda,
        fact_1_plateau: m.fact_1_plateau,
        final_loss_ratio: m.final_loss / m.initial_loss,
        norm_excess: m.norm_excess.unwrap_or(f64::NAN),
    })
}

/// Finds the frontier of `instance` (bisection over [`FRONTIER_RANGE`] at [`MF_RESOLUTION`]),
/// then runs it at `shows_at`, at `lambda_MF = factor fails_at` and at `10/sqrt(m)`, with the same
/// `g_j`. Not applicable when the frontier is not found in range or `lambda_MF > 1/sqrt(m)`.
/// (`factor < 1` puts `lambda_MF` below the frontier: the negative control.)
pub fn simulate_mf(instance: &Instance, factor: f64) -> Result<MfEvidence, frontier::FrontierError> {
    let (lo, hi) = FRONTIER_RANGE;
    let b = frontier::lambda_star_of(instance, lo, hi, MF_RESOLUTION)?;
    let (Some(shows_at), Some(fails_at), FrontierStatus::Found) = (b.shows_at, b.fails_at, b.status) else {
        return Ok(MfEvidence::NotApplicable(format!("no frontier in [{lo:.0e}, {hi:.0e}]: {:?}", b.status)));
    };
    let m = instance.init.width;
    let lambda = if factor >= 1.0 { factor * fails_at } else { factor * shows_at };
    if lambda > mean_field_max(m) {
        return Ok(MfEvidence::NotApplicable(format!(
            "lambda_MF = {lambda:.3e} is not well below the lazy scale: above 1/sqrt(m) = {:.3e}",
            mean_field_max(m)
        )));
    }
    Ok(MfEvidence::Above(MfAbove {
        m,
        bracket: (shows_at, fails_at),
        below: mf_run(instance, shows_at)?,
        above: mf_run(instance, lambda)?,
        lazy: mf_run(instance, crate::claims::limits::lazy_lambda(m))?,
    }))
}

/// **MF (Section 3.2)** on the runs of [`simulate_mf`]. Finite statement at `lambda_MF`, every
/// part required:
/// 1. *zero loss*: `L_end <= ZERO_LOSS_FRACTION L(0)` (the frontier's definition);
/// 2. *no intermediate saddle*: no plateau at Fact 1's level (`+-PLATEAU_BAND`, lasting
///    `PLATEAU_FRACTION` of the time to fit: the frontier's definition);
/// 3. *the excess trend, towards a minimum-norm interpolator*: the relative norm excess at
///    `lambda_MF` is at most the lazy run's (`10/sqrt(m)`, same `g_j`): the end point stays on
///    the minimum-norm side of the regimes, closer to Proposition 1's minimum than where the
///    lazy regime leaves it, while the run below the frontier (`shows_at`) is the reference
///    printed in the statement.
pub fn check_mf(e: &MfAbove) -> Verdict {
    check_mf_against(e, MfReference::Lazy)
}

/// The run MF's excess part compares `lambda_MF`'s excess with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum MfReference {
    /// The lazy run at `10/sqrt(m)` (the claim: the end point stays on the minimum-norm side).
    Lazy,
    /// The run below the frontier at `shows_at` (a wrong, stronger statement, for the negative
    /// control: "as close to the minimum norm as below the frontier").
    BelowTheFrontier,
}

/// [`check_mf`] with the excess part against `reference`.
pub fn check_mf_against(e: &MfAbove, reference: MfReference) -> Verdict {
    let id = ClaimId::MF;
    let a = &e.above;
    let (against, name) = match reference {
        MfReference::Lazy => (&e.lazy, "the lazy run's"),
        MfReference::BelowTheFrontier => (&e.below, "the run's below the frontier,"),
    };
    let parts = [
        Verdict::condition(
            id,
            a.final_loss_ratio <= frontier::ZERO_LOSS_FRACTION,
            format!("zero loss: L_end/L(0) = {:.2e} <= {:.0e}", a.final_loss_ratio, frontier::ZERO_LOSS_FRACTION),
        ),
        Verdict::condition(id, !a.fact_1_plateau, "no plateau at Fact 1's level (1/2n) sum_{y<0} y^2"),
        Verdict::at_most(
            id,
            a.norm_excess,
            against.norm_excess,
            format!(
                "norm excess {:.3e} <= {name} {:.3e} at lambda = {:.3e} (below the frontier, lambda = {:.3e}: {:.3e}; lazy, {:.3e}: {:.3e})",
                a.norm_excess,
                against.norm_excess,
                against.lambda,
                e.below.lambda,
                e.below.norm_excess,
                e.lazy.lambda,
                e.lazy.norm_excess
            ),
        ),
    ];
    Verdict::all(id, parts).with_context(format!(
        "m = {}, frontier bracket [{:.3e}, {:.3e}], lambda_MF = {:.3e}",
        e.m, e.bracket.0, e.bracket.1, a.lambda
    ))
}

// ---------------------------------------------------------------------------------------------
// reluflow verify
// ---------------------------------------------------------------------------------------------

/// Cases of MF per `--frontier-cases` unit in `reluflow verify` (LS runs one grid per unit).
pub const MF_CASES: usize = 8;

/// "consistent", "inconsistent" or "no evidence": a heuristic claim's verdict over its cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Consistency {
    /// Checked on at least one case with evidence, and none inconsistent.
    Consistent,
    /// A case was inconsistent (or its simulation failed).
    Inconsistent,
    /// Every case skipped or vacuous.
    NoEvidence,
}

impl Consistency {
    /// `consistent`, `INCONSISTENT` or `no evidence`, as the table prints it.
    pub fn label(self) -> &'static str {
        match self {
            Consistency::Consistent => "consistent",
            Consistency::Inconsistent => "INCONSISTENT",
            Consistency::NoEvidence => "no evidence",
        }
    }
}

/// One heuristic claim's row in `reluflow verify`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeuristicSummary {
    /// Consistent, inconsistent or no evidence.
    pub verdict: Consistency,
    /// The aggregate over the cases, as for the other claims (its `worst_statement` carries the
    /// measured exponents).
    pub summary: crate::claims::registry::ClaimSummary,
    /// Whether LS ran on [`ls_deep_grid`].
    pub deep: bool,
}

/// The outcome of case seed `seed` of a heuristic claim: LS on [`ls_grid`] (or [`ls_deep_grid`]
/// when `deep`), MF on its registry instance.
pub fn run_case(id: ClaimId, seed: u64, deep: bool) -> Outcome {
    match id {
        ClaimId::LS => {
            let grid = if deep { ls_deep_grid(seed) } else { ls_grid(seed) };
            Outcome::Checked(check_ls(&simulate_ls(&grid)))
        }
        _ => crate::claims::registry::run(id, seed),
    }
}

/// Runs the heuristic claims of `claims` (others are ignored): `units` cases of LS and
/// `units * MF_CASES` of MF, case seeds [`crate::claims::registry::case_seed`] of `seed`; in
/// parallel, aggregated in a fixed order.
pub fn verify_heuristic(claims: &[ClaimId], units: usize, seed: u64, deep: bool) -> Vec<HeuristicSummary> {
    use crate::claims::registry::case_seed;
    use rayon::prelude::*;
    let chosen: Vec<ClaimId> = claims.iter().copied().filter(|c| c.is_heuristic()).collect();
    let cases = |c: ClaimId| if c == ClaimId::LS { units } else { units * MF_CASES };
    let jobs: Vec<(ClaimId, usize)> = chosen.iter().flat_map(|&c| (0..cases(c)).map(move |i| (c, i))).collect();
    let outcomes: Vec<(ClaimId, Outcome)> =
        jobs.par_iter().map(|&(c, i)| (c, run_case(c, case_seed(seed, c, i), deep))).collect();
    chosen
        .iter()
        .map(|&c| {
            let mine: Vec<Outcome> = outcomes.iter().filter(|o| o.0 == c).map(|o| o.1.clone()).collect();
            summary_of(c, &mine, deep && c == ClaimId::LS)
        })
        .collect()
}

/// The summary of a heuristic claim's outcomes.
pub fn summary_of(id: ClaimId, outcomes: &[Outcome], deep: bool) -> HeuristicSummary {
    use crate::claims::registry::{ClaimState, summarise};
    let summary = summarise(id, outcomes);
    let verdict = match summary.state {
        ClaimState::Held => Consistency::Consistent,
        ClaimState::Failed => Consistency::Inconsistent,
        ClaimState::NoEvidence => Consistency::NoEvidence,
    };
    HeuristicSummary { verdict, summary, deep }
}

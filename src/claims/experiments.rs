//! Claim checks: the paper's experiments (claims X5, XA), judged on the evidence of
//! gradient-descent runs ([`ExperimentRun`]) made by [`crate::experiments`], which also holds the
//! data and the measures shared with `reluflow reproduce`.
//!
//! - **X5** (Section 5, Figures 2-3): the toy `x = (-0.5, 1), y = -1; x = (2, 1), y = +1`, width 60,
//!   balanced initialisation at scale `1e-6/sqrt(60)`, 20000 steps: two kinks (at -0.5 and 2), a
//!   loss plateau at the negative label's loss, zero final loss. [`check_x5`].
//! - **XA** (Appendix A): A.1, five non-orthogonal 1-D points with a bias, width 60: zero loss,
//!   few kinks, an intermediate plateau ([`check_xa_a1`]); A.2, Gaussian inputs labelled by a
//!   6-neuron teacher: zero loss, an intermediate plateau, most of the final hidden weights'
//!   variance in two principal components ([`check_xa_a2`]). Both are run in reduced form by
//!   [`check`] (see [`instance`] and the constants of [`crate::experiments`]).
//!
//! The judges (`check_x5*`, `check_xa*`) read an [`ExperimentRun`] only: a run recorded by
//! another program, written into one, is judged the same way. [`check`] simulates the run from
//! an instance ([`crate::experiments::simulate`]) and judges it.

use super::{ClaimId, Outcome, Verdict};
use crate::Instance;
use crate::experiments::data::{a1_data, a2_reduced_data, toy};
use crate::experiments::measures::{
    KINK_CUT, KINK_GAP, PLATEAU_BAND, PLATEAU_FLOOR, PLATEAU_FRACTION, clusters, intermediate_plateau, kinks,
    longest_band_stretch, t_range, time_to_fit, top2_explained_variance,
};
use crate::experiments::{
    A1_REDUCED_PROTOCOL, A1_WIDTH, A2_REDUCED_PROTOCOL, A2_WIDTH, ExperimentRun, X5_PROTOCOL, X5_WIDTH,
    a1_reduced_lambda, a2_lambda, simulate, x5_lambda,
};
use crate::theory;

// ---------------------------------------------------------------------------------------------
// X5: Section 5
// ---------------------------------------------------------------------------------------------

/// X5, kinks: every neuron carrying a kink has it within `KINK_GAP x (t-range)` of a data point's
/// `t` (-0.5 or 2), and both points carry at least one kink: two kinks, at -0.5 and 2.
///
/// (a) Finite statement, two parts: with `K` the kinks of the neurons whose slope jump
/// `|a_j w_j1|` is at least `1e-3` of the largest ([`kinks`] at [`KINK_CUT`]),
/// `max_{kappa in K} min(|kappa + 0.5|, |kappa - 2|) <= 0.125` (0 if `K` is empty); and every
/// data point is within 0.125 of some kink (a condition).
///
/// (b) Thresholds: the cut [`KINK_CUT`] and the gap [`KINK_GAP`] are the stated conventions of
/// the measures (derived there); on the toy the gap is `0.05 x 2.5 = 0.125`, far below the spacing
/// 2.5 of the two data points and far above the spread of a collapsed group (`3e-5` measured).
pub fn check_x5_kinks(run: &ExperimentRun) -> Verdict {
    let (lo, hi) = t_range(&run.data);
    let gap = KINK_GAP * (hi - lo);
    let points: Vec<f64> = (0..run.data.n()).map(|k| run.data.x(k)[0]).collect();
    let ks = kinks(&run.final_params, KINK_CUT);
    let far = ks.iter().map(|k| points.iter().map(|p| (k - p).abs()).fold(f64::INFINITY, f64::min)).fold(0.0, f64::max);
    let covered = points.iter().all(|p| ks.iter().any(|k| (k - p).abs() <= gap));
    let cl = clusters(&ks, gap);
    let at_points = Verdict::at_most(
        ClaimId::X5,
        far,
        gap,
        format!(
            "kinks at the data ({}): {} neurons with a slope jump >= {KINK_CUT:e} of the largest form {} cluster(s) \
             at {:?}; max distance to a data point {far:.3e} <= {gap:.3}",
            run.context(),
            ks.len(),
            cl.len(),
            cl.iter().map(|(c, n)| format!("{c:.4} (x{n})")).collect::<Vec<_>>()
        ),
    );
    let every_point =
        Verdict::condition(ClaimId::X5, covered, format!("every data point carries a kink within {gap:.3}"));
    Verdict::all(ClaimId::X5, [at_points, every_point])
}

/// X5, plateau: the loss stays within `+-10%` of `(1/2n) sum_{y<0} y^2 = 0.25` (Fact 1's saddle)
/// for at least half of Fact 1's duration `-ln(lambda) (1/|D-| - 1/|D+|)`.
///
/// (a) Finite statement: the longest stretch of samples with `|L - 0.25| <= 0.025`
/// ([`longest_band_stretch`], band [`PLATEAU_BAND`]) lasts at least `0.5 x 14.2` time units at
/// `lambda = 1e-6/sqrt(60)`.
///
/// (b) Band and fraction: `+-10%` separates the plateau from the initial loss 0.5 and from 0
/// (both five band-widths away). Fact 1's duration is the leading order in `-ln(lambda)`; the
/// time spent inside the band is shorter by O(1) transition times (entering: the positive side's
/// logistic growth covers its last `sqrt(0.1)` of the residual in `ln(2.2)/(2|D+|) ~ 0.35`;
/// leaving: the negative side must remove 10% of the plateau's loss, which it does
/// `ln(19)/(2|D-|) ~ 2.6` before its midpoint), about 3 of the 14.2 here; half of the leading
/// order leaves room for these corrections at any `lambda <= 1e-6` while a run without a saddle
/// (large initialisation: it crosses 0.25 in one step's worth of time) fails.
pub fn check_x5_plateau(run: &ExperimentRun) -> Verdict {
    let level = theory::plateau_loss(&run.data);
    let (dp, dm) = (theory::d_plus_norm(&run.data), theory::d_minus_norm(&run.data));
    let predicted = -run.lambda.ln() * (1.0 / dm - 1.0 / dp);
    let stretch = longest_band_stretch(&run.curve, level, PLATEAU_BAND);
    let duration = stretch.map_or(0.0, |s| s.duration());
    // a plateau must exist (positive duration) even where Fact 1 predicts none (lambda >= 1)
    Verdict::at_least(
        ClaimId::X5,
        duration,
        (0.5 * predicted).max(f64::MIN_POSITIVE),
        format!(
            "plateau: longest stretch with |L - {level}| <= {PLATEAU_BAND} x {level} lasts {duration:.2} (from {} to {}) \
             >= 0.5 x Fact 1's -ln(lambda)(1/|D-| - 1/|D+|) = 0.5 x {predicted:.2}",
            stretch.map_or("-".into(), |s| format!("{:.2}", s.start)),
            stretch.map_or("-".into(), |s| format!("{:.2}", s.end)),
        ),
    )
}

/// X5, zero final loss: `L(T) <= L_plateau exp(-|D-| (T - t3))`, `t3 = -ln(lambda)/|D-|`.
///
/// (a) Finite statement: at the end of the run (`T = 40`, 20000 steps) the loss is below the
/// plateau level times `exp(-|D-|(T - t3))` (`= 3.8e-4` here; `L_plateau` itself if `T <= t3`).
///
/// (b) Tolerance: Fact 1 / Lemma 4 put the end of the second saddle at `t3 ~ -ln(lambda)/|D-|`
/// (leading order); the loss is non-increasing along the flow and Theorem 1 / Lemma 15 give an
/// exponential rate `>= |D-|` afterwards. (Measured: the local rate on the toy is `4|D-|`, the
/// final loss ~5e-15.)
pub fn check_x5_final_loss(run: &ExperimentRun) -> Verdict {
    let level = theory::plateau_loss(&run.data);
    let dm = theory::d_minus_norm(&run.data);
    let t3 = -run.lambda.ln() / dm;
    let bound = level * (-(dm * (run.time - t3)).max(0.0)).exp();
    Verdict::at_most(
        ClaimId::X5,
        run.final_loss,
        bound,
        format!(
            "final loss {:.3e} <= L_plateau exp(-|D-|(T - t3)) = {level} exp(-{dm:.4} ({:.1} - {t3:.2})) = {bound:.3e}",
            run.final_loss, run.time
        ),
    )
}

/// X5 (Section 5, Figures 2-3): [`check_x5_final_loss`], [`check_x5_kinks`] and
/// [`check_x5_plateau`] on one run, combined by [`Verdict::all`]. `lambda = 1e-6/sqrt(60)` as in
/// the paper (the statement is about that run; the kink and plateau checks only get sharper for
/// smaller `lambda`).
pub fn check_x5(run: &ExperimentRun) -> Verdict {
    Verdict::all(ClaimId::X5, [check_x5_final_loss(run), check_x5_kinks(run), check_x5_plateau(run)])
}

// ---------------------------------------------------------------------------------------------
// XA: Appendix A
// ---------------------------------------------------------------------------------------------

/// "Zero loss" for the Appendix A runs: `L(T) <= ZERO_LOSS L_0`, `L_0 = (1/2n) sum_k y_k^2`.
pub const ZERO_LOSS: f64 = 1e-3;
/// Lower bound on the share of the two principal components (A.2).
pub const PCA_SHARE: f64 = 0.5;

/// XA, zero loss: `L(T) <= ZERO_LOSS L_0`.
///
/// "Zero" is `1e-3 L_0`, invisible on the paper's linear-scale loss profiles (Figures 4f, 7a) and
/// an order below the lowest level a plateau may have ([`PLATEAU_FLOOR`] `L_0`).
pub fn check_xa_zero_loss(run: &ExperimentRun) -> Verdict {
    let bound = ZERO_LOSS * run.label_loss();
    Verdict::at_most(
        ClaimId::XA,
        run.final_loss,
        bound,
        format!(
            "zero loss ({}): L(T) = {:.3e} <= {ZERO_LOSS:e} L_0 = {bound:.3e} (L_0 = (1/2n) sum y^2)",
            run.context(),
            run.final_loss
        ),
    )
}

/// XA, intermediate plateau: the [`intermediate_plateau`] lasts at least [`PLATEAU_FRACTION`] of
/// the [`time_to_fit`] (first `L <= 1e-2 L_0`, or the run's end); the fraction is derived at
/// [`PLATEAU_FRACTION`]. Vacuous if the time to fit is 0 (the run starts below `1e-2 L_0`).
pub fn check_xa_plateau(run: &ExperimentRun) -> Verdict {
    let l0 = run.label_loss();
    let t_fit = time_to_fit(&run.curve, l0, run.time);
    let p = intermediate_plateau(&run.curve, l0);
    let duration = p.map_or(0.0, |s| s.duration());
    let bound = PLATEAU_FRACTION * t_fit;
    Verdict::at_least(
        ClaimId::XA,
        duration,
        bound,
        format!(
            "intermediate plateau: longest stretch within +-{PLATEAU_BAND} of one level in [{PLATEAU_FLOOR} L_0, \
             L_0/1.1] lasts {duration:.2}{} >= {PLATEAU_FRACTION} x t_fit = {PLATEAU_FRACTION} x {t_fit:.2}",
            p.map_or(String::new(), |s| format!(
                " (t = {:.1} to {:.1}, L/L_0 in [{:.4}, {:.4}])",
                s.start,
                s.end,
                s.low / l0,
                s.high / l0
            )),
        ),
    )
    .vacuous_if(bound <= 0.0, "the run starts below 1e-2 L_0: no time to fit")
}

/// XA, A.1 sparse kinks: the kinks inside the data's `t`-range form at most `n - 2` clusters.
///
/// `n - 2` is the number of kinks of the piecewise-linear interpolant of the `n` points, the most
/// a sparse interpolant needs inside the range (the lazy control has one kink per neuron, dozens
/// of clusters). The cut and the gap are the measures' conventions ([`KINK_CUT`], [`KINK_GAP`]:
/// `0.05 x 3.5 = 0.175` here, below the smallest data spacing 0.25). Vacuous when `n - 2` is at
/// least the width (there cannot be more clusters than neurons).
pub fn check_xa_kinks(run: &ExperimentRun) -> Verdict {
    let (lo, hi) = t_range(&run.data);
    let gap = KINK_GAP * (hi - lo);
    let inside: Vec<f64> = kinks(&run.final_params, KINK_CUT).into_iter().filter(|k| (lo..=hi).contains(k)).collect();
    let cl = clusters(&inside, gap);
    let allowed = run.data.n().saturating_sub(2);
    Verdict::at_most(
        ClaimId::XA,
        cl.len() as f64,
        allowed as f64,
        format!(
            "sparse kinks: {} kink cluster(s) inside [{lo}, {hi}] at {:?} <= n - 2 = {allowed}",
            cl.len(),
            cl.iter().map(|(c, n)| format!("{c:.4} (x{n})")).collect::<Vec<_>>()
        ),
    )
    .vacuous_if(allowed >= run.width, "n - 2 >= m: no more clusters than neurons")
}

/// XA, A.2 principal components: the top two (uncentred) principal components of the final
/// hidden weights carry at least [`PCA_SHARE`] of `|W|_F^2` ([`top2_explained_variance`], the
/// paper code's convention).
///
/// The `0.5`: the paper reports about 80% at full size; the orthogonal theory gives 100% (two
/// directions, Proposition 1); an isotropic `m x d` matrix (the lazy control) gives about
/// `2 (1 + sqrt(d/m))^2 / d` (0.14 measured). 0.5 says "most of the weight is in two
/// directions", clear of the isotropic value and below the paper's number by a margin for the
/// reduced size (measured on the reduced instance: 0.70 to 0.95 over 20 initialisations).
/// Vacuous when `min(m, d) <= 2` (two components then carry everything).
pub fn check_xa_pca(run: &ExperimentRun) -> Verdict {
    let share = top2_explained_variance(&run.final_params);
    Verdict::at_least(
        ClaimId::XA,
        share,
        PCA_SHARE,
        format!("two principal components of the final W (uncentred) carry {share:.3} >= {PCA_SHARE} of |W|_F^2"),
    )
    .vacuous_if(run.width.min(run.data.d()) <= 2, "min(m, d) <= 2: two components carry all of W")
}

/// XA, A.1: zero loss, an intermediate plateau, and few kinks ([`check_xa_zero_loss`],
/// [`check_xa_plateau`], [`check_xa_kinks`], combined by [`Verdict::all`]).
///
/// `lambda`: the paper's `1e-4/sqrt(60)` in the tests, with step `1e-3`: with the paper's
/// `2e-3`, 4 of 40 initialisations stall at `L = 0.031816` (still there at `t = 1500`, 750000
/// steps), a gradient-descent artefact, since the same initialisations reach zero loss with steps
/// `1e-3` and `5e-4`. [`check`] uses `1e-3/sqrt(60)` and step `5e-3` (0 stalls in 100
/// initialisations, a quarter of the time).
pub fn check_xa_a1(run: &ExperimentRun) -> Verdict {
    Verdict::all(ClaimId::XA, [check_xa_zero_loss(run), check_xa_plateau(run), check_xa_kinks(run)]).with_context("A.1")
}

/// XA, A.2: zero loss, an intermediate plateau, and most of the final hidden weights' variance in
/// two principal components ([`check_xa_zero_loss`], [`check_xa_plateau`], [`check_xa_pca`],
/// combined by [`Verdict::all`]).
///
/// Reduced instance (the full run, 200000 steps of a 200 x 150 network on 75 points, takes
/// minutes): see `A2_N`, `A2_D`, `A2_WIDTH`, `A2_SCALE`, `A2_STEP` of [`crate::experiments`].
pub fn check_xa_a2(run: &ExperimentRun) -> Verdict {
    Verdict::all(ClaimId::XA, [check_xa_zero_loss(run), check_xa_plateau(run), check_xa_pca(run)])
        .with_context("A.2 (reduced)")
}

// ---------------------------------------------------------------------------------------------
// reluflow verify
// ---------------------------------------------------------------------------------------------

/// The instance of claim `id` (X5 or XA) drawn from `seed` for `reluflow verify` (the data are
/// the paper's, the initialisation seed is `seed`).
///
/// - X5: the Section 5 run exactly (toy, width 60, `lambda = 1e-6/sqrt(60)`).
/// - XA: even seeds A.1 reduced (`lambda = 1e-3/sqrt(60)` instead of `1e-4/sqrt(60)`), odd seeds
///   A.2 reduced (n = 16, d = 64, m = 40 instead of 75, 150, 200; `lambda = 1e-6/sqrt(md)`
///   instead of `1e-20/sqrt(md)`; the data seed of [`a2_reduced_data`]).
pub fn instance(id: ClaimId, seed: u64) -> Result<Instance, Outcome> {
    Ok(match id {
        ClaimId::X5 => Instance::balanced(toy(), X5_WIDTH, x5_lambda(), seed),
        _ if seed % 2 == 0 => Instance::balanced(a1_data(), A1_WIDTH, a1_reduced_lambda(), seed),
        _ => Instance::balanced(a2_reduced_data().0, A2_WIDTH, a2_lambda(), seed),
    })
}

/// Checks claim `id` (X5 or XA) on `instance` by gradient descent from its initialisation
/// ([`simulate`]), then judges the run:
///
/// - X5: [`X5_PROTOCOL`] (Figure 3's run); [`check_x5`].
/// - XA: 1-D inputs with a bias column are judged as A.1 ([`A1_REDUCED_PROTOCOL`],
///   [`check_xa_a1`]), others as A.2 ([`A2_REDUCED_PROTOCOL`], [`check_xa_a2`]); the requirement
///   `AppendixASetting` says which instances are either.
pub fn check(id: ClaimId, instance: &Instance) -> Outcome {
    let result = match id {
        ClaimId::X5 => simulate(instance, &X5_PROTOCOL).map(|r| check_x5(&r)),
        ClaimId::XA if super::Requirement::OneDimensionalWithBias.check(instance).is_ok() => {
            simulate(instance, &A1_REDUCED_PROTOCOL).map(|r| check_xa_a1(&r))
        }
        ClaimId::XA => simulate(instance, &A2_REDUCED_PROTOCOL).map(|r| check_xa_a2(&r)),
        other => return Outcome::Skipped { claim: other, reason: "not an experiment claim (X5, XA)".into() },
    };
    match result {
        Ok(v) => Outcome::Checked(v),
        Err(e) => Outcome::Error { claim: id, error: e.to_string() },
    }
}

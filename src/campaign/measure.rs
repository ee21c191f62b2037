//! One run of a campaign reduced to the quantities sweeps and the frontier record
//! ([`RunMeasure`], [`measure_flow`]): final loss, relative norm excess over Proposition 1's
//! minimum, the intermediate plateaus and their levels, the fit times over `ln(1/lambda)`,
//! active neurons at the end, wall time. The definitions of a plateau are those of
//! [`crate::experiments::measures`] (a `+-PLATEAU_BAND` relative band between the initial
//! saddle and the fitted floor, lasting at least `PLATEAU_FRACTION` of the time to fit).

use serde::{Deserialize, Serialize};

use crate::Instance;
use crate::claims::conservation::flow_horizon;
use crate::experiments::measures::{LossCurve, PLATEAU_BAND, PLATEAU_FLOOR, PLATEAU_FRACTION, Plateau, time_to_fit};
use crate::solver::flow::FlowConfig;
use crate::solver::gd::GdConfig;
use crate::solver::{SimulationError, StopRule};
use crate::theory;
use crate::trajectory::SampleSchedule;

/// Relative tolerance of the campaign runs' flow integrator.
pub const MEASURE_RTOL: f64 = 1e-8;
/// The step of the gradient descent [`measure_flow`] falls back on when the flow ends in a
/// sliding mode (inputs that are not orthogonal): small against `1/|grad^2 L|` on the sweeps'
/// data (`|x_k| = 1`, `|y_k| <= 2`), so that it follows the flow's phases.
pub const FALLBACK_GD_STEP: f64 = 0.02;
/// A run stops once `L < UNTIL_LOSS_FRACTION L(0)` (or at [`flow_horizon`]).
pub const UNTIL_LOSS_FRACTION: f64 = 1e-12;

/// One intermediate plateau of a run's loss curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlateauRecord {
    /// Median loss on it.
    pub level: f64,
    /// `level / L_S`, `L_S = (1/2n) sum_{y<0} y^2` (after the paper's label flip): 1 at Fact 1's
    /// saddle.
    pub relative_to_fact_1: f64,
    /// Start and end times.
    pub start: f64,
    /// End time.
    pub end: f64,
}

/// What one run showed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunMeasure {
    /// Final `L`.
    pub final_loss: f64,
    /// `L(0)`.
    pub initial_loss: f64,
    /// `|theta_end|^2 / min_norm_sq - 1` (orthogonal inputs only: Proposition 1).
    pub norm_excess: Option<f64>,
    /// The intermediate plateaus, in time order (non-overlapping maximal band stretches that
    /// last at least `PLATEAU_FRACTION` of the time to fit).
    pub plateaus: Vec<PlateauRecord>,
    /// Whether one of them is at Fact 1's level (within `PLATEAU_BAND`).
    pub fact_1_plateau: bool,
    /// First time `L <= (L(0) + L_S)/2`, over `ln(1/lambda)` (the positive half fit).
    pub fit_plus_over_ln: Option<f64>,
    /// First time `L <= L_S/2`, over `ln(1/lambda)` (the negative half fit).
    pub fit_minus_over_ln: Option<f64>,
    /// Neurons with `|a_j| |w_j|` at least `1e-3` of the largest at the end.
    pub active_neurons: usize,
    /// Flow time reached.
    pub final_time: f64,
    /// Wall time of the run, seconds (not deterministic; not part of any comparison).
    pub wall_seconds: f64,
}

/// Every intermediate plateau of `curve`: scanning forward, each maximal stretch whose samples
/// stay within a `(1 + b)/(1 - b)` ratio, below the initial band and above the floor (as
/// [`crate::experiments::measures::intermediate_plateau`]), kept if it lasts at least
/// `PLATEAU_FRACTION` of the time to fit; the scan resumes after each stretch.
pub fn plateaus(curve: &LossCurve, reference: f64, end: f64) -> Vec<Plateau> {
    let b = PLATEAU_BAND;
    let ratio = (1.0 + b) / (1.0 - b);
    let (t, l) = (&curve.times, &curve.losses);
    let ok = |v: f64| v <= reference / (1.0 + b) && v >= PLATEAU_FLOOR * reference;
    let min_duration = PLATEAU_FRACTION * time_to_fit(curve, reference, end);
    let mut out = Vec::new();
    let mut i = 0;
    while i < l.len() {
        if !ok(l[i]) {
            i += 1;
            continue;
        }
        let (mut lo, mut hi, mut j) = (l[i], l[i], i);
        while j + 1 < l.len() && ok(l[j + 1]) && hi.max(l[j + 1]) <= ratio * lo.min(l[j + 1]) {
            lo = lo.min(l[j + 1]);
            hi = hi.max(l[j + 1]);
            j += 1;
        }
        if t[j] - t[i] >= min_duration && j > i {
            let mut inside = l[i..=j].to_vec();
            inside.sort_by(f64::total_cmp);
            out.push(Plateau {
                start: t[i],
                end: t[j],
                low: inside[0],
                high: inside[inside.len() - 1],
                level: inside[inside.len() / 2],
            });
        }
        i = j + 1;
    }
    out
}

/// Runs the flow on `instance` (relative tolerance [`MEASURE_RTOL`], until
/// `L < UNTIL_LOSS_FRACTION L(0)` or [`flow_horizon`]) and measures it; if the flow ends in a
/// sliding mode (non-orthogonal inputs), gradient descent with step [`FALLBACK_GD_STEP`] to the
/// same stop instead.
pub fn measure_flow(instance: &Instance) -> Result<RunMeasure, SimulationError> {
    let started = std::time::Instant::now();
    let data = &instance.data;
    let lambda = instance.lambda();
    let horizon = flow_horizon(data, lambda);
    let reference = data.y().iter().map(|y| y * y).sum::<f64>() / (2.0 * data.n() as f64);
    let cfg = FlowConfig {
        rtol: MEASURE_RTOL,
        stop: StopRule {
            until_loss: Some(UNTIL_LOSS_FRACTION * reference),
            horizon: Some(horizon),
            ..Default::default()
        },
        ..Default::default()
    };
    let schedule = SampleSchedule { every: horizon / 2000.0, max_samples: 4000, ..SampleSchedule::default() };
    let (run, trajectory) = match instance.flow(&cfg, schedule.clone()) {
        // on inputs that are not orthogonal the classical flow can stop existing (a sliding
        // mode): measure gradient descent with a small step there instead, as NO's check does
        Err(SimulationError::SlidingMode { .. }) => {
            let gd = GdConfig { step: FALLBACK_GD_STEP, stop: cfg.stop };
            instance.gd(&gd, schedule)?
        }
        other => other?,
    };
    let curve = LossCurve::of(&trajectory);
    let theory_data = if theory::needs_label_flip(data) { data.with_flipped_labels() } else { data.clone() };
    let level_s = theory::plateau_loss(&theory_data);
    let end = run.summary.time;
    let found = plateaus(&curve, reference, end);
    let records: Vec<PlateauRecord> = found
        .iter()
        .map(|p| PlateauRecord { level: p.level, relative_to_fact_1: p.level / level_s, start: p.start, end: p.end })
        .collect();
    let fact_1_plateau = records.iter().any(|p| (p.relative_to_fact_1 - 1.0).abs() <= PLATEAU_BAND);
    let params = run.final_params.to_params();
    let norm_excess = theory::min_norm_sq(data).map(|min| params.norm_sq() / min - 1.0);
    let ln = -lambda.ln();
    let over_ln = |t: Option<f64>| t.filter(|_| ln > 0.0).map(|t| t / ln);
    let weights: Vec<f64> =
        (0..params.m()).map(|j| params.a[j].abs() * params.w[j].iter().map(|v| v * v).sum::<f64>().sqrt()).collect();
    let top = weights.iter().copied().fold(0.0, f64::max);
    Ok(RunMeasure {
        final_loss: run.summary.final_loss,
        initial_loss: curve.losses.first().copied().unwrap_or(f64::NAN),
        norm_excess,
        plateaus: records,
        fact_1_plateau,
        fit_plus_over_ln: over_ln(curve.first_time_below((reference + level_s) / 2.0)),
        fit_minus_over_ln: over_ln(curve.first_time_below(level_s / 2.0)),
        active_neurons: weights.iter().filter(|&&w| top > 0.0 && w >= 1e-3 * top).count(),
        final_time: end,
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

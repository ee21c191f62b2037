//! Producing a [`PhaseOne`]: the flow on `[0, t-1]` (and any later checkpoint times) from an
//! [`Instance`] or from a given `theta(0)`. The judges never call these.

use super::{PhaseOne, RTOL, Start};
use crate::Instance;
use crate::data::Dataset;
use crate::init::NeuronSets;
use crate::network::ValidModel;
use crate::solver::flow::{FlowConfig, run_flow};
use crate::solver::{SimulationError, StopRule};
use crate::theory;
use crate::trajectory::min_norm::MinNormTracker;
use crate::trajectory::{Recorder, SampleSchedule};

/// Runs the flow of `instance` from 0 to `max(t-1, extra_times)` with checkpoints at `t+1`,
/// `t-1` and `extra_times`, for the given `eps` (any `0 < eps < 1`; the lemmas need
/// `eps <= epsilon_max`): [`simulate_phase_one_from`] on the instance's `theta(0)`, with the
/// `c`, `c_min` of its draw.
///
/// Errors: `Config` if the instance has no finite phase times (one label sign missing,
/// `r <= 1`), or whatever the flow reports.
pub fn simulate_phase_one(instance: &Instance, eps: f64, extra_times: &[f64]) -> Result<PhaseOne, SimulationError> {
    let init = instance.initialisation()?;
    let start = Start { params: init.params, ln_lambda: instance.ln_lambda(), c: init.c, c_min: init.c_min };
    simulate_phase_one_from(&instance.data, instance.valid_model()?, start, eps, extra_times)
}

/// [`simulate_phase_one`] from a given `theta(0)` (any initialisation, e.g. one built by hand
/// for a negative control): `S+,1`, `S-,1` are computed from it with `s_j = sign(a_j(0))`.
pub fn simulate_phase_one_from(
    data: &Dataset,
    model: ValidModel,
    start: Start,
    eps: f64,
    extra_times: &[f64],
) -> Result<PhaseOne, SimulationError> {
    let Start { params: initial, ln_lambda, c, c_min } = start;
    let times = theory::phase_times_ln(data, ln_lambda, eps).map_err(|e| SimulationError::Config(e.to_string()))?;
    let sets = NeuronSets::of(&initial, data);
    let m = initial.m();
    let (tp, tm) = (times.t_plus_1, times.t_minus_1);
    let mut cps = vec![tp, tm];
    cps.extend_from_slice(extra_times);
    let horizon = cps.iter().copied().fold(0.0f64, f64::max);
    let schedule =
        SampleSchedule { first: 1e-3, per_decade: 20, every: horizon / 400.0, max_samples: 2000, checkpoints: cps };
    let mut t_end = vec![f64::NEG_INFINITY; m];
    for &j in &sets.s_plus_1 {
        t_end[j] = tp;
    }
    for &j in &sets.s_minus_1 {
        t_end[j] = tm;
    }
    let tracker = MinNormTracker::new(t_end);
    let mut obs = (Recorder::new(data, schedule), tracker);
    let cfg = FlowConfig {
        rtol: RTOL,
        stop: StopRule { horizon: Some(horizon), ..Default::default() },
        ..Default::default()
    };
    let run = run_flow(data, model, &initial, &cfg, &mut obs)?;
    let (rec, mut tracker) = obs;
    let traj = rec.finish();
    for s in &traj.samples {
        tracker.see_ln_norms(s.time, s.ln_neuron_norm.iter().copied());
    }
    for cp in &traj.checkpoints {
        tracker.see(cp.time, &cp.params);
    }
    Ok(PhaseOne {
        data: data.clone(),
        eps,
        ln_lambda,
        c,
        c_min,
        sets,
        times,
        initial,
        checkpoints: traj.checkpoints,
        min_ln_norm: tracker.min,
        steps: run.summary.steps,
    })
}

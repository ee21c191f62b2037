//! Runs of reluflow's own simulator in the run-file model: [`record_gd`] records gradient descent
//! at log-spaced steps, as `python/reluflow_record.py` records a trainer, so that the same judges
//! read both (and the round-trip tests compare them).

use super::{Clock, Precision, RunHeader, Snapshot};
use crate::data::Dataset;
use crate::network::ValidModel;
use crate::params::ScaledParams;
use crate::solver::flow::{FlowConfig, run_flow};
use crate::solver::gd::{GdConfig, run_gd};
use crate::solver::{SimulationError, StopRule};
use crate::trajectory::checkpoints::CheckpointRecorder;

/// `count` log-spaced step numbers in `[0, total]`: 0, then `round(total^(i/(count-2)))` made
/// unique, always ending at `total` (fewer than `count` when rounding merges small steps).
pub fn log_spaced_steps(total: u64, count: usize) -> Vec<u64> {
    let mut steps = vec![0];
    if total == 0 {
        return steps;
    }
    let k = count.saturating_sub(1).max(1);
    for i in 0..k {
        let s = if k == 1 { total } else { ((total as f64).powf(i as f64 / (k - 1) as f64)).round() as u64 };
        if s > *steps.last().expect("non-empty") {
            steps.push(s.min(total));
        }
    }
    if *steps.last().expect("non-empty") != total {
        steps.push(total);
    }
    steps
}

/// Runs gradient descent with paper step `eta` for `total` steps from `theta0` and records the
/// parameters at [`log_spaced_steps`]`(total, count)`, as a step-clocked run with `lr = eta`,
/// `loss_factor = 1` (the paper's loss), float64 (read it with
/// [`InMemoryRun::new`](super::InMemoryRun::new)). Errors: the simulator's.
pub fn record_gd(
    data: &Dataset,
    model: ValidModel,
    theta0: &ScaledParams,
    eta: f64,
    total: u64,
    count: usize,
    lambda: Option<f64>,
) -> Result<(RunHeader, Vec<Snapshot>), SimulationError> {
    let steps = log_spaced_steps(total, count);
    let times: Vec<f64> = steps.iter().map(|&s| s as f64 * eta).collect();
    let mut rec = CheckpointRecorder::new(times);
    let cfg = GdConfig { step: eta, stop: StopRule { max_steps: Some(total), ..Default::default() } };
    run_gd(data, model, theta0, &cfg, &mut rec)?;
    let snapshots: Vec<Snapshot> = rec
        .states
        .into_iter()
        .enumerate()
        .map(|(index, c)| Snapshot {
            index,
            step: Some(c.step),
            time: c.step as f64 * eta,
            params: c.params.to_params(),
        })
        .collect();
    let header = RunHeader {
        source: format!("reluflow gradient descent (eta {eta:e}, {total} steps)"),
        data: data.clone(),
        precision: Precision::Float64,
        m: theta0.m(),
        snapshots: snapshots.len(),
        clock: Clock::Steps { lr: eta, loss_factor: 1.0 },
        lambda,
        train_loss: None,
    };
    Ok((header, snapshots))
}

/// Runs the gradient flow with relative tolerance `rtol` up to paper time `horizon` from
/// `theta0` and records the parameters at `count` log-spaced times (and `t = 0`), as a
/// time-clocked run with `rtol` and the accepted steps so far at each snapshot, float64.
pub fn record_flow(
    data: &Dataset,
    model: ValidModel,
    theta0: &ScaledParams,
    rtol: f64,
    horizon: f64,
    count: usize,
    lambda: Option<f64>,
) -> Result<(RunHeader, Vec<Snapshot>), SimulationError> {
    let k = count.saturating_sub(1).max(1);
    let start = (horizon * 1e-4).ln();
    let mut times = vec![0.0];
    times.extend((0..k).map(|i| (start + (horizon.ln() - start) * i as f64 / (k - 1).max(1) as f64).exp()));
    let mut rec = CheckpointRecorder::new(times);
    let cfg =
        FlowConfig { rtol, stop: StopRule { horizon: Some(horizon), ..Default::default() }, ..Default::default() };
    run_flow(data, model, theta0, &cfg, &mut rec)?;
    let snapshots: Vec<Snapshot> = rec
        .states
        .into_iter()
        .enumerate()
        .map(|(index, c)| Snapshot { index, step: Some(c.step), time: c.time, params: c.params.to_params() })
        .collect();
    let header = RunHeader {
        source: format!("reluflow gradient flow (rtol {rtol:e}, to t = {horizon})"),
        data: data.clone(),
        precision: Precision::Float64,
        m: theta0.m(),
        snapshots: snapshots.len(),
        clock: Clock::Time { rtol: Some(rtol) },
        lambda,
        train_loss: None,
    };
    Ok((header, snapshots))
}

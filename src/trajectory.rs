//! Trajectories: what a run looked like, sampled at chosen times, in bounded memory.
//!
//! A [`Recorder`] is an [`Observer`]: plug it into [`crate::solver::gd::run_gd`] or
//! [`crate::solver::flow::run_flow`]. It samples at log-spaced times early on (so the
//! exponential phases of Section 4.2 are visible), then on a linear grid, plus requested
//! checkpoints where it keeps the full parameters. When more than `max_samples` samples
//! accumulate, every other one is dropped and the linear spacing doubles: memory stays
//! bounded for runs of any length.
//!
//! ```
//! use reluflow::trajectory::{Recorder, SampleSchedule};
//! use reluflow::{data::generate::toy, network::Model, init::{InitSpec, InitKind}};
//! use reluflow::solver::{gd::{GdConfig, run_gd}, StopRule};
//! let data = toy();
//! let init = InitSpec { kind: InitKind::Balanced, width: 10, lambda: 1e-4, seed: 0 }.validate().unwrap().draw(2);
//! let mut rec = Recorder::new(&data, SampleSchedule::default());
//! let cfg = GdConfig { step: 1e-2, stop: StopRule { max_steps: Some(1000), ..Default::default() } };
//! run_gd(&data, Model::relu().validate().unwrap(), &init.params, &cfg, &mut rec).unwrap();
//! let traj = rec.finish();
//! assert!(traj.samples.len() > 10 && traj.samples[0].time == 0.0);
//! ```

use crate::data::Dataset;
use crate::network::Class;
use crate::numerics::{dot, norm, unit};
use crate::params::ScaledParams;
use crate::solver::{Observer, View};
use serde::Serialize;

/// When to sample.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleSchedule {
    /// First log-spaced sample time after 0.
    pub first: f64,
    /// Log-spaced samples per decade of time.
    pub per_decade: u32,
    /// Spacing of the linear grid (it takes over once log spacing is coarser).
    pub every: f64,
    /// Memory bound: above this many samples, every other one is dropped.
    pub max_samples: usize,
    /// Times at which the full parameters are also kept.
    pub checkpoints: Vec<f64>,
}

impl Default for SampleSchedule {
    fn default() -> Self {
        Self { first: 1e-3, per_decade: 20, every: 0.5, max_samples: 2000, checkpoints: Vec::new() }
    }
}

/// One sampled state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sample {
    /// The step.
    pub step: u64,
    /// The simulated time.
    pub time: f64,
    /// `L(theta)`.
    pub loss: f64,
    /// `|theta|^2`.
    pub param_norm_sq: f64,
    /// `ln |w_j|` per neuron (exact at every scale).
    pub ln_neuron_norm: Vec<f64>,
    /// `a_j^2 - |w_j|^2` per neuron in plain units (Lemma 1).
    pub imbalance: Vec<f64>,
    /// `(a_j^2 - |w_j|^2)/(a_j^2 + |w_j|^2)`, scale-free.
    pub relative_imbalance: Vec<f64>,
    /// `<w_j/|w_j|, D+/|D+|>` (0 if `D+ = 0`).
    pub alignment_plus: Vec<f64>,
    /// `<w_j/|w_j|, -D-/|D-|>`.
    pub alignment_minus: Vec<f64>,
    /// Activation classes, `pattern[j*n + k]` for `<w_j, x_k>`.
    pub pattern: Vec<Class>,
}

/// Full parameters at a requested time.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// The step.
    pub step: u64,
    /// The simulated time it was taken at (the first observed time at or after the requested one).
    pub time: f64,
    /// `theta` then.
    pub params: ScaledParams,
}

/// A recorded run.
#[derive(Clone, Debug)]
pub struct Trajectory {
    /// Samples in time order; the first is at time 0 and the last at the end of the run.
    pub samples: Vec<Sample>,
    /// Full parameters at the requested checkpoint times.
    pub checkpoints: Vec<Checkpoint>,
    /// Full parameters at time 0 (if the recorder saw the start).
    pub initial: Option<ScaledParams>,
    /// Full parameters at the end (if the run ended normally).
    pub final_params: Option<ScaledParams>,
}

/// Records samples; see the module docs.
pub struct Recorder<'a> {
    data: &'a Dataset,
    schedule: SampleSchedule,
    d_plus_dir: Vec<f64>,
    minus_d_minus_dir: Vec<f64>,
    next_log: u32,
    next_linear: f64,
    next_checkpoint: usize,
    last_time: f64,
    samples: Vec<Sample>,
    /// Whether each sample was due to the log-spaced schedule (those are never thinned).
    on_log_grid: Vec<bool>,
    checkpoints: Vec<Checkpoint>,
    initial: Option<ScaledParams>,
    final_params: Option<ScaledParams>,
}

impl<'a> Recorder<'a> {
    /// A recorder for runs on `data`.
    pub fn new(data: &'a Dataset, mut schedule: SampleSchedule) -> Self {
        schedule.checkpoints.sort_by(f64::total_cmp);
        let mut dp = vec![0.0; data.d()];
        let mut dm = vec![0.0; data.d()];
        for k in 0..data.n() {
            let y = data.y()[k];
            let target = if y > 0.0 { &mut dp } else { &mut dm };
            for (t, x) in target.iter_mut().zip(data.x(k)) {
                *t += y * x;
            }
        }
        let dm: Vec<f64> = dm.into_iter().map(|v| -v).collect();
        Self {
            data,
            next_linear: schedule.every,
            schedule,
            d_plus_dir: unit(&dp).unwrap_or(dp),
            minus_d_minus_dir: unit(&dm).unwrap_or(dm),
            next_log: 0,
            next_checkpoint: 0,
            last_time: f64::NEG_INFINITY,
            samples: Vec::new(),
            on_log_grid: Vec::new(),
            checkpoints: Vec::new(),
            initial: None,
            final_params: None,
        }
    }

    fn next_log_time(&self) -> f64 {
        self.schedule.first * 10f64.powf(self.next_log as f64 / self.schedule.per_decade.max(1) as f64)
    }

    /// The sample of one state.
    pub fn sample(&self, view: &View) -> Sample {
        let p = view.params;
        let n = self.data.n();
        let m = p.m();
        let align = |dir: &[f64]| -> Vec<f64> {
            (0..m)
                .map(|j| {
                    let w = p.w_hat(j);
                    let nw = norm(w);
                    if nw > 0.0 { dot(w, dir) / nw } else { 0.0 }
                })
                .collect()
        };
        let alignment_plus = align(&self.d_plus_dir);
        let alignment_minus = align(&self.minus_d_minus_dir);
        let pattern = match view.classes {
            Some(c) => c.to_vec(),
            None => (0..m)
                .flat_map(|j| (0..n).map(move |k| (j, k)))
                .map(|(j, k)| Class::of(dot(p.w_hat(j), self.data.x(k))))
                .collect(),
        };
        Sample {
            step: view.step,
            time: view.time,
            loss: view.loss,
            param_norm_sq: p.norm_sq(),
            ln_neuron_norm: (0..m).map(|j| p.ln_norm_w(j)).collect(),
            imbalance: (0..m).map(|j| p.imbalance(j)).collect(),
            relative_imbalance: (0..m).map(|j| p.relative_imbalance(j)).collect(),
            alignment_plus,
            alignment_minus,
            pattern,
        }
    }

    /// The recorded trajectory.
    pub fn finish(self) -> Trajectory {
        Trajectory {
            samples: self.samples,
            checkpoints: self.checkpoints,
            initial: self.initial,
            final_params: self.final_params,
        }
    }

    /// Drops every other sample of the linear grid (log-spaced samples, the first and the last
    /// are kept) and doubles the linear spacing.
    fn thin(&mut self) {
        let last = self.samples.len() - 1;
        let mut linear_seen = 0usize;
        let mut keep = Vec::with_capacity(self.samples.len());
        for (i, &log) in self.on_log_grid.iter().enumerate() {
            let k = if log || i == 0 || i == last {
                true
            } else {
                linear_seen += 1;
                linear_seen % 2 == 0
            };
            keep.push(k);
        }
        let mut it = keep.iter();
        self.samples.retain(|_| *it.next().unwrap_or(&true));
        let mut it = keep.iter();
        self.on_log_grid.retain(|_| *it.next().unwrap_or(&true));
        self.schedule.every *= 2.0;
        self.next_linear = (self.last_time / self.schedule.every).floor() * self.schedule.every + self.schedule.every;
    }
}

impl Observer for Recorder<'_> {
    fn next_time(&self) -> f64 {
        if self.last_time < 0.0 {
            return 0.0;
        }
        let cp = self.schedule.checkpoints.get(self.next_checkpoint).copied().unwrap_or(f64::INFINITY);
        self.next_log_time().min(self.next_linear).min(cp)
    }
    fn observe(&mut self, view: &View) {
        let t = view.time;
        if t <= self.last_time {
            return;
        }
        let log = self.next_log_time() <= t;
        while self.next_log_time() <= t {
            self.next_log += 1;
        }
        while self.next_linear <= t {
            self.next_linear += self.schedule.every;
        }
        while let Some(&cp) = self.schedule.checkpoints.get(self.next_checkpoint) {
            if cp > t {
                break;
            }
            self.checkpoints.push(Checkpoint { step: view.step, time: t, params: view.params.clone() });
            self.next_checkpoint += 1;
        }
        if self.samples.is_empty() && t == 0.0 {
            self.initial = Some(view.params.clone());
        }
        self.last_time = t;
        let s = self.sample(view);
        self.samples.push(s);
        self.on_log_grid.push(log || t == 0.0);
        if self.samples.len() > self.schedule.max_samples {
            self.thin();
        }
    }
    fn on_end(&mut self, view: &View) {
        if view.time > self.last_time {
            self.last_time = view.time;
            let s = self.sample(view);
            self.samples.push(s);
            self.on_log_grid.push(false);
        }
        self.final_params = Some(view.params.clone());
    }
}

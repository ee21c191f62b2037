//! [`CheckpointRecorder`]: the full parameters at requested times (the flow interpolates its
//! dense output there; gradient descent reports the first step at or after each time) and at
//! the end of the run.

use super::Checkpoint;
use crate::solver::{Observer, View};

/// Keeps the full parameters at the requested times and the final state.
#[derive(Clone, Debug)]
pub struct CheckpointRecorder {
    times: Vec<f64>,
    next: usize,
    /// The states kept so far, in time order (at most one per time).
    pub states: Vec<Checkpoint>,
}

impl CheckpointRecorder {
    /// A recorder for the (sorted) `times`; include `0.0` to keep the initial state.
    pub fn new(times: Vec<f64>) -> Self {
        Self { times, next: 0, states: Vec::new() }
    }

    fn keep(&mut self, view: &View) {
        if self.states.last().is_none_or(|s| s.time < view.time) {
            self.states.push(Checkpoint { step: view.step, time: view.time, params: view.params.clone() });
        }
    }
}

impl Observer for CheckpointRecorder {
    fn next_time(&self) -> f64 {
        self.times.get(self.next).copied().unwrap_or(f64::INFINITY)
    }
    fn observe(&mut self, view: &View) {
        while self.next < self.times.len() && self.times[self.next] <= view.time {
            self.next += 1;
        }
        self.keep(view);
    }
    /// The final state, unless a requested time already kept it.
    fn on_end(&mut self, view: &View) {
        self.keep(view);
    }
}

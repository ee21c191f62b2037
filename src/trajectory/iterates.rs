//! [`IterateRecorder`]: every iterate `theta_0, theta_1, ...` of a run, in full.
//!
//! Memory is `O(steps m (d + 1))` values: meant for the few hundred steps of gradient descent
//! whose per-step law is checked exactly (claim L1), not for long runs.

use crate::params::ScaledParams;
use crate::solver::{Observer, View};

/// Keeps the parameters of every state a run reports step by step (an [`Observer`] wanting
/// every step): for gradient descent, the initial state and the state after each step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IterateRecorder {
    /// The iterates in order, the initial state first.
    pub iterates: Vec<ScaledParams>,
}

impl IterateRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Observer for IterateRecorder {
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, view: &View) {
        self.iterates.push(view.params.clone());
    }
}

//! [`MinNormTracker`]: for every neuron, the smallest `ln |w_j(t)|` over a window `[0, t_end_j]`
//! of its own, at every accepted step of a run (claim L9: no collapse).

use crate::params::ScaledParams;
use crate::solver::{Observer, View};

/// Tracks, for every neuron `j`, the minimum of `ln |w_j(t)|` over `t in [0, t_end_j]` and the
/// time it was seen (an [`Observer`] wanting every step). Neurons with `t_end_j = -inf` are not
/// tracked (their entry stays `(NaN, NaN)`).
#[derive(Clone, Debug, PartialEq)]
pub struct MinNormTracker {
    /// The window end of each neuron.
    pub t_end: Vec<f64>,
    /// `(min ln |w_j|, time)` per neuron so far.
    pub min: Vec<(f64, f64)>,
}

impl MinNormTracker {
    /// A tracker with window ends `t_end` (one per neuron).
    pub fn new(t_end: Vec<f64>) -> Self {
        let min = vec![(f64::NAN, f64::NAN); t_end.len()];
        Self { t_end, min }
    }

    /// Takes `ln |w_j|` of every neuron at `time` (from any record of the state: a full state,
    /// a sample's `ln_neuron_norm`).
    pub fn see_ln_norms(&mut self, time: f64, ln_norms: impl IntoIterator<Item = f64>) {
        for ((v, &end), min) in ln_norms.into_iter().zip(&self.t_end).zip(&mut self.min) {
            // `!(v >= min)` replaces a NaN minimum (nothing seen yet) and keeps a `-inf`
            if time <= end && !(v >= min.0) {
                *min = (v, time);
            }
        }
    }

    /// Takes the state `p` at `time`.
    pub fn see(&mut self, time: f64, p: &ScaledParams) {
        self.see_ln_norms(time, (0..p.m()).map(|j| p.ln_norm_w(j)));
    }
}

impl Observer for MinNormTracker {
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, view: &View) {
        self.see(view.time, view.params);
    }
}

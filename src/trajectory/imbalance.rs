//! [`ImbalanceTrace`]: Lemma 1's quantity `I_j = a_j^2 - |w_j|^2` followed at every step of a
//! run, in scale-free form, reduced on the fly to the few numbers a judge needs (the drift of
//! `I_j` against the sizes the steps went through, sign changes of `a_j`, the smallest `|w_j|`).
//!
//! It is an [`Observer`] that wants every step; a run recorded elsewhere is fed state by state
//! through [`ImbalanceTrace::record`]. It holds no tolerance: the claim judges the numbers.

use crate::numerics::norm_sq;
use crate::params::ScaledParams;
use crate::solver::{Observer, View};

/// `ln(e^a + e^b)` without overflow (`-inf` is the neutral element).
fn log_add(a: f64, b: f64) -> f64 {
    let hi = a.max(b);
    if hi == f64::NEG_INFINITY { hi } else { hi + ((a - hi).exp() + (b - hi).exp()).ln() }
}

/// `ln(a_j^2 + |w_j|^2)`, exact at every scale.
fn ln_size(p: &ScaledParams, j: usize) -> f64 {
    let a = p.a_hat(j);
    (a * a + norm_sq(p.w_hat(j))).ln() + 2.0 * p.exponent(j) as f64 * std::f64::consts::LN_2
}

/// One neuron's running record in an [`ImbalanceTrace`].
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronImbalance {
    /// `I_j(0) / S_j(0)`, `S_j = a_j^2 + |w_j|^2`: the relative imbalance of the first state.
    pub rho0: f64,
    ln_size0: f64,
    ln_size_prev: f64,
    /// `ln sum_i max(S(t_i), S(t_{i+1}))` over the steps seen so far.
    ln_step_sum: f64,
    sign0: f64,
    /// `max_t |I(t) - I(0)| / sum_i max(S_i, S_{i+1})`, the sum over the steps up to `t`.
    pub worst_drift: f64,
    /// States after which `a_j` was zero or of the other sign than in the first state.
    pub sign_changes: u64,
    /// `min_t ln |w_j(t)|` (`-inf` if `w_j` was ever exactly zero).
    pub min_ln_norm_w: f64,
}

/// Follows `I_j = a_j^2 - |w_j|^2` at every accepted step of a run: `I_j = rho_j S_j` with
/// `rho_j` the relative imbalance and `S_j = a_j^2 + |w_j|^2` kept as a logarithm, so that no
/// value leaves the `f64` range at any scale.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImbalanceTrace {
    /// Steps seen (after the first state).
    pub steps: u64,
    /// Time of the last state seen.
    pub time: f64,
    /// Input dimension (0 before the first state).
    pub d: usize,
    /// One record per neuron (empty before the first state).
    pub neurons: Vec<NeuronImbalance>,
}

impl ImbalanceTrace {
    /// An empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next state of a run (the first one is the initial state).
    pub fn record(&mut self, p: &ScaledParams, time: f64) {
        if self.neurons.is_empty() {
            self.d = p.d();
            self.neurons = (0..p.m())
                .map(|j| {
                    let ls = ln_size(p, j);
                    NeuronImbalance {
                        rho0: p.relative_imbalance(j),
                        ln_size0: ls,
                        ln_size_prev: ls,
                        ln_step_sum: f64::NEG_INFINITY,
                        sign0: p.a_hat(j).signum(),
                        worst_drift: 0.0,
                        sign_changes: u64::from(p.a_hat(j) == 0.0),
                        min_ln_norm_w: p.ln_norm_w(j),
                    }
                })
                .collect();
            self.time = time;
            return;
        }
        self.steps += 1;
        self.time = time;
        for (j, nr) in self.neurons.iter_mut().enumerate() {
            let rho = p.relative_imbalance(j);
            let ls = ln_size(p, j);
            nr.ln_step_sum = log_add(nr.ln_step_sum, ls.max(nr.ln_size_prev));
            nr.ln_size_prev = ls;
            // everything divided by the step sum, so that no value leaves the f64 range
            let now = rho * (ls - nr.ln_step_sum).exp();
            let start = nr.rho0 * (nr.ln_size0 - nr.ln_step_sum).exp();
            nr.worst_drift = nr.worst_drift.max((now - start).abs());
            let a = p.a_hat(j);
            if a == 0.0 || a.signum() != nr.sign0 {
                nr.sign_changes += 1;
            }
            nr.min_ln_norm_w = nr.min_ln_norm_w.min(p.ln_norm_w(j));
        }
    }
}

impl Observer for ImbalanceTrace {
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, view: &View) {
        self.record(view.params, view.time);
    }
}

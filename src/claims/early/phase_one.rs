//! [`PhaseOne`]: the evidence the early-phase claims judge (one flow run on `[0, t-1]`, as data)
//! and [`Start`], where such a run starts.

use crate::data::Dataset;
use crate::init::NeuronSets;
use crate::params::ScaledParams;
use crate::theory::PhaseTimes;
use crate::trajectory::Checkpoint;

/// One run of phase 1, as data: the instance's constants and the states the checks need
/// (produced by [`super::simulate_phase_one`] or recorded by another program).
#[derive(Clone, Debug)]
pub struct PhaseOne {
    /// The training set.
    pub data: Dataset,
    /// `eps` used for the phase times and bounds.
    pub eps: f64,
    /// `ln(lambda)`.
    pub ln_lambda: f64,
    /// `c = max_j |g_j|`.
    pub c: f64,
    /// `c_min = min_j |g_j|`.
    pub c_min: f64,
    /// `S+,1`, `S-,1` at time 0.
    pub sets: NeuronSets,
    /// `t+1`, `t-1`, ... for this `eps` and `lambda`.
    pub times: PhaseTimes,
    /// `theta(0)`.
    pub initial: ScaledParams,
    /// The full state at every requested time (`t+1`, `t-1` and the extra times), in time order.
    pub checkpoints: Vec<Checkpoint>,
    /// Per neuron: the smallest `ln |w_j(t)|` over the L9 window of its set (`[0, t+1]` for
    /// `S+,1`, `[0, t-1]` for `S-,1`, `NaN` for other neurons), over every accepted step of the
    /// integrator, every recorded sample and the checkpoints; with the time it was seen.
    pub min_ln_norm: Vec<(f64, f64)>,
    /// Accepted steps of the run.
    pub steps: u64,
}

/// Where a [`PhaseOne`] run starts: `theta(0)`, the scale `lambda` it was drawn at and the
/// constants of Section 4.1 and Lemma 9.
#[derive(Clone, Debug)]
pub struct Start {
    /// `theta(0)`.
    pub params: ScaledParams,
    /// `ln(lambda)`.
    pub ln_lambda: f64,
    /// `c = max_j |w_j(0)| / lambda`.
    pub c: f64,
    /// `c_min = min_j |w_j(0)| / lambda`.
    pub c_min: f64,
}

impl Start {
    /// `theta(0) = params` drawn at scale `lambda = exp(ln_lambda)`: `c` and `c_min` from the
    /// neurons' norms (`|w_j(0)| = lambda |g_j|`).
    pub fn new(params: ScaledParams, ln_lambda: f64) -> Self {
        let g = |j: usize| (params.ln_norm_w(j) - ln_lambda).exp();
        let c = (0..params.m()).map(g).fold(0.0f64, f64::max);
        let c_min = (0..params.m()).map(g).fold(f64::INFINITY, f64::min);
        Self { params, ln_lambda, c, c_min }
    }
}

impl PhaseOne {
    /// The checkpoint at time `t` (one of those requested), if any.
    pub fn state_at(&self, t: f64) -> Option<&Checkpoint> {
        self.checkpoints.iter().find(|c| (c.time - t).abs() <= 1e-12 * t.abs().max(1.0))
    }
    /// The state at `t+1`.
    pub fn at_t_plus_1(&self) -> &Checkpoint {
        self.state_at(self.times.t_plus_1).expect("t+1 is always a checkpoint")
    }
    /// The state at `t-1`.
    pub fn at_t_minus_1(&self) -> &Checkpoint {
        self.state_at(self.times.t_minus_1).expect("t-1 is always a checkpoint")
    }
}

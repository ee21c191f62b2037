//! [`PhaseObserver`]: every accepted step of a run reduced to the numbers the limit claims read
//! (the loss, the masses of `S+,1` and `S-,1`, the step's error scale) and, for gradient descent,
//! the overshoots past 0 at deactivations. The evidence of one rung of a `lambda` ladder
//! (`claims::limits`).
//!
//! ```
//! use reluflow::{Instance, data::Dataset};
//! use reluflow::solver::{StopRule, flow::{FlowConfig, run_flow}};
//! use reluflow::trajectory::phase_steps::PhaseObserver;
//! let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![1.0, -0.5]).unwrap();
//! let instance = Instance::balanced(data, 8, 1e-4, 3);
//! let (init, sets) = (instance.initialisation().unwrap(), instance.sets().unwrap());
//! let mut obs = PhaseObserver::new(&instance.data, &sets.s_plus_1, &sets.s_minus_1, false);
//! let cfg = FlowConfig { stop: StopRule { horizon: Some(5.0), ..Default::default() }, ..Default::default() };
//! run_flow(&instance.data, instance.valid_model().unwrap(), &init.params, &cfg, &mut obs).unwrap();
//! let record = obs.finish();
//! assert!(record.steps.len() > 1 && record.steps[0].time == 0.0 && record.overshoot_sq == 0.0);
//! ```

use crate::data::Dataset;
use crate::numerics::{dot, norm};
use crate::params::ldexp;
use crate::solver::{Observer, View};

/// One accepted step of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepRecord {
    /// The time at the end of the step.
    pub time: f64,
    /// `L(theta_t)`.
    pub loss: f64,
    /// `u+ = sum_{j in S+,1} |w_j|^2`.
    pub u_plus: f64,
    /// `u- = sum_{j in S-,1} |w_j|^2`.
    pub u_minus: f64,
    /// `sum_j max(|theta_j(t_prev)|, |theta_j(t)|)^2` over the step that ends here (`|theta(0)|^2`
    /// on the first record): the scale of the integrator's local error on `h`
    /// (`claims::limits::step_loss_resolution`).
    pub step_scale_sq: f64,
}

/// What a [`PhaseObserver`] recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseRecord {
    /// Every accepted step, the initial state first.
    pub steps: Vec<StepRecord>,
    /// Gradient descent with tracked crossings: `sum zeta^2` over every step at which a
    /// pre-activation crossed from `> 0` to `<= 0`, `zeta = <w_j, x_k>/|x_k|` just after the
    /// crossing (how far the step carried the coordinate past 0); 0 when not tracked (the flow
    /// stops at every crossing).
    pub overshoot_sq: f64,
}

/// Records every step's [`StepRecord`] and, when asked, the overshoots at deactivations
/// ([`PhaseRecord::overshoot_sq`]).
pub struct PhaseObserver<'a> {
    data: &'a Dataset,
    s_plus_1: &'a [usize],
    s_minus_1: &'a [usize],
    track_crossings: bool,
    steps: Vec<StepRecord>,
    /// `|theta_j|^2` at the previous record.
    prev_sq: Vec<f64>,
    /// `<w_j, x_k>` at the previous record (`j * n + k`), when tracked.
    prev_z: Vec<f64>,
    overshoot_sq: f64,
}

impl<'a> PhaseObserver<'a> {
    /// An observer for a run on `data` whose sets are `s_plus_1`, `s_minus_1` (indices of
    /// neurons); `track_crossings` for gradient descent (the flow stops at every crossing).
    pub fn new(data: &'a Dataset, s_plus_1: &'a [usize], s_minus_1: &'a [usize], track_crossings: bool) -> Self {
        Self {
            data,
            s_plus_1,
            s_minus_1,
            track_crossings,
            steps: Vec::new(),
            prev_sq: Vec::new(),
            prev_z: Vec::new(),
            overshoot_sq: 0.0,
        }
    }

    /// What was recorded.
    pub fn finish(self) -> PhaseRecord {
        PhaseRecord { steps: self.steps, overshoot_sq: self.overshoot_sq }
    }
}

impl Observer for PhaseObserver<'_> {
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, view: &View) {
        let p = view.params;
        // |w_j|^2 from the exact ln|w_j| (underflows to 0 harmlessly while the neurons are tiny)
        let mass = |set: &[usize]| set.iter().map(|&j| (2.0 * p.ln_norm_w(j)).exp()).sum::<f64>();
        let first = self.prev_sq.is_empty();
        if first {
            self.prev_sq = vec![0.0; p.m()];
        }
        let mut step_scale_sq = 0.0;
        for j in 0..p.m() {
            let sq = ldexp(p.a_hat(j) * p.a_hat(j) + dot(p.w_hat(j), p.w_hat(j)), 2 * p.exponent(j));
            step_scale_sq += if first { sq } else { sq.max(self.prev_sq[j]) };
            self.prev_sq[j] = sq;
        }
        if self.track_crossings {
            let n = self.data.n();
            let z: Vec<f64> =
                (0..p.m() * n).map(|i| ldexp(dot(p.w_hat(i / n), self.data.x(i % n)), p.exponent(i / n))).collect();
            if !first {
                for (i, (&z0, &z1)) in self.prev_z.iter().zip(&z).enumerate() {
                    if z0 > 0.0 && z1 <= 0.0 {
                        let along = z1 / norm(self.data.x(i % n));
                        self.overshoot_sq += along * along;
                    }
                }
            }
            self.prev_z = z;
        }
        self.steps.push(StepRecord {
            time: view.time,
            loss: view.loss,
            u_plus: mass(self.s_plus_1),
            u_minus: mass(self.s_minus_1),
            step_scale_sq,
        });
    }
}

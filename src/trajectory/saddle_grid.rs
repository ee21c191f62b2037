//! [`SaddleGridObserver`]: the flow sampled on a uniform grid of times, each sample reduced to
//! what the saddle-phase claims (L3, F1, L4 in `claims::saddles`) read: the loss, the masses of
//! `S+,1` and `S-,1` in log space, their worst alignment gaps, the largest other neurons, `|D+^t|`
//! and the hidden weights of `S+,1`. The result, a [`SaddleTrace`], is plain data: a trace
//! recorded by another program can be judged the same way.
//!
//! ```
//! use reluflow::{Instance, data::Dataset, theory};
//! use reluflow::solver::{StopRule, flow::{FlowConfig, run_flow}};
//! use reluflow::trajectory::saddle_grid::{SaddleGrid, SaddleGridObserver};
//! let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![1.0, -0.5]).unwrap();
//! let instance = Instance::balanced(data, 8, 1e-4, 3);
//! let (init, sets) = (instance.initialisation().unwrap(), instance.sets().unwrap());
//! let (d_plus, d_minus) = (theory::d_plus(&instance.data), theory::d_minus(&instance.data));
//! let grid = SaddleGrid {
//!     data: &instance.data,
//!     d_plus: &d_plus,
//!     d_minus: &d_minus,
//!     s_plus_1: &sets.s_plus_1,
//!     s_minus_1: &sets.s_minus_1,
//!     horizon: 5.0,
//!     points: 10,
//! };
//! let mut obs = SaddleGridObserver::new(grid, init.params.m());
//! let cfg = FlowConfig { stop: StopRule { horizon: Some(5.0), ..Default::default() }, ..Default::default() };
//! let run = run_flow(&instance.data, instance.valid_model().unwrap(), &init.params, &cfg, &mut obs).unwrap();
//! let trace = obs.finish(run.summary.gradient_evaluations);
//! assert_eq!(trace.samples.len(), 11);
//! assert_eq!(trace.samples[10].time, 5.0);
//! ```

use crate::data::Dataset;
use crate::numerics::{dot, norm, unit};
use crate::params::{ScaledParams, ldexp};
use crate::solver::{Observer, View};

/// The state at one grid time, reduced to what the saddle-phase checks read.
#[derive(Clone, Debug, PartialEq)]
pub struct SaddleSample {
    /// The grid time.
    pub time: f64,
    /// Accepted integrator steps before this time.
    pub step: u64,
    /// `L(theta_t)`.
    pub loss: f64,
    /// `ln u+ = ln sum_{S+,1} |w_j|^2` (`-inf` if `S+,1` is empty).
    pub ln_u_plus: f64,
    /// `ln u- = ln sum_{S-,1} |w_j|^2`.
    pub ln_u_minus: f64,
    /// `max_{j in S+,1} (|D+| - <w_j/|w_j|, D+>)`, computed as `|D+| |w_j/|w_j| - D+/|D+||^2 / 2`
    /// (no cancellation); 0 if `S+,1` is empty.
    pub gap_plus: f64,
    /// `max_{j in S-,1} (|D-| - <w_j/|w_j|, -D->)`, likewise.
    pub gap_minus: f64,
    /// `max_{j not in S+,1} ln |w_j|` (Lemma 3 (iii)).
    pub ln_max_outside_plus: f64,
    /// `max_{j not in S+,1 u S-,1} ln |w_j|` (Lemma 4 (iv)).
    pub ln_max_outside_both: f64,
    /// `|D+^t| = |(1/n) sum_{y_k>0} (y_k - h(x_k)) x_k|` (Appendix B.1).
    pub d_plus_t_norm: f64,
    /// `w_j` of the neurons of `S+,1`, concatenated in plain units (Lemma 4 (iii)).
    pub w_plus: Vec<f64>,
}

/// A run sampled on the uniform grid `horizon * i / points`, `i = 0..=points`.
#[derive(Clone, Debug, PartialEq)]
pub struct SaddleTrace {
    /// The samples, in time order.
    pub samples: Vec<SaddleSample>,
    /// The last grid time.
    pub horizon: f64,
    /// Gradient evaluations of the run.
    pub gradient_evaluations: u64,
}

/// What a [`SaddleGridObserver`] samples: the data, the key vectors `D+`, `D-` and the sets
/// `S+,1`, `S-,1` (indices of neurons) the reductions refer to, and the grid.
#[derive(Clone, Copy, Debug)]
pub struct SaddleGrid<'a> {
    /// The training set.
    pub data: &'a Dataset,
    /// `D+` (Section 4.1).
    pub d_plus: &'a [f64],
    /// `D-`.
    pub d_minus: &'a [f64],
    /// `S+,1` (eq. (5)).
    pub s_plus_1: &'a [usize],
    /// `S-,1` (eq. (6)).
    pub s_minus_1: &'a [usize],
    /// The last grid time.
    pub horizon: f64,
    /// The number of grid intervals.
    pub points: usize,
}

/// Samples a run on a [`SaddleGrid`]; plug it into `run_flow` with the horizon of the grid.
pub struct SaddleGridObserver<'a> {
    grid: SaddleGrid<'a>,
    d_plus_norm: f64,
    d_minus_norm: f64,
    plus_dir: Vec<f64>,
    minus_dir: Vec<f64>,
    in_plus: Vec<bool>,
    in_minus: Vec<bool>,
    next: usize,
    samples: Vec<SaddleSample>,
}

/// `ln sum_i exp(v_i)` (`-inf` for an empty list).
fn log_sum_exp(v: impl Iterator<Item = f64> + Clone) -> f64 {
    let top = v.clone().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY {
        return top;
    }
    top + v.map(|x| (x - top).exp()).sum::<f64>().ln()
}

impl<'a> SaddleGridObserver<'a> {
    /// An observer of a network of width `m` on `grid`.
    pub fn new(grid: SaddleGrid<'a>, m: usize) -> Self {
        let plus_dir = unit(grid.d_plus).unwrap_or_else(|| grid.d_plus.to_vec());
        let minus_dir = unit(grid.d_minus).unwrap_or_else(|| grid.d_minus.to_vec()).iter().map(|v| -v).collect();
        Self {
            d_plus_norm: norm(grid.d_plus),
            d_minus_norm: norm(grid.d_minus),
            plus_dir,
            minus_dir,
            in_plus: (0..m).map(|j| grid.s_plus_1.contains(&j)).collect(),
            in_minus: (0..m).map(|j| grid.s_minus_1.contains(&j)).collect(),
            next: 0,
            samples: Vec::with_capacity(grid.points + 1),
            grid,
        }
    }

    /// The trace sampled so far, with the run's gradient evaluations.
    pub fn finish(self, gradient_evaluations: u64) -> SaddleTrace {
        SaddleTrace { samples: self.samples, horizon: self.grid.horizon, gradient_evaluations }
    }

    fn grid_time(&self, i: usize) -> f64 {
        let (horizon, points) = (self.grid.horizon, self.grid.points);
        if i >= points { horizon } else { horizon * i as f64 / points as f64 }
    }

    fn sample(&self, view: &View) -> SaddleSample {
        let p: &ScaledParams = view.params;
        let g = &self.grid;
        let data = g.data;
        let (n, m) = (data.n(), p.m());
        // h(x_k): neuron j contributes 4^e_j a_hat_j relu(<w_hat_j, x_k>) (underflow to 0 is harmless)
        let mut h = vec![0.0; n];
        for j in 0..m {
            for (k, hk) in h.iter_mut().enumerate() {
                let z = dot(p.w_hat(j), data.x(k));
                if z > 0.0 {
                    *hk += ldexp(p.a_hat(j) * z, 2 * p.exponent(j));
                }
            }
        }
        let mut dpt = vec![0.0; data.d()];
        for k in 0..n {
            let y = data.y()[k];
            if y > 0.0 {
                for (o, x) in dpt.iter_mut().zip(data.x(k)) {
                    *o += (y - h[k]) * x / n as f64;
                }
            }
        }
        let gap = |set: &[usize], dir: &[f64], dn: f64| {
            set.iter()
                .map(|&j| {
                    let w = unit(p.w_hat(j)).unwrap_or_else(|| p.w_hat(j).to_vec());
                    let diff: f64 = w.iter().zip(dir).map(|(a, b)| (a - b) * (a - b)).sum();
                    dn * diff / 2.0
                })
                .fold(0.0f64, f64::max)
        };
        let ln_u = |set: &[usize]| log_sum_exp(set.iter().map(|&j| 2.0 * p.ln_norm_w(j)));
        let ln_max = |keep: &dyn Fn(usize) -> bool| {
            (0..m).filter(|&j| keep(j)).map(|j| p.ln_norm_w(j)).fold(f64::NEG_INFINITY, f64::max)
        };
        SaddleSample {
            time: view.time,
            step: view.step,
            loss: view.loss,
            ln_u_plus: ln_u(g.s_plus_1),
            ln_u_minus: ln_u(g.s_minus_1),
            gap_plus: gap(g.s_plus_1, &self.plus_dir, self.d_plus_norm),
            gap_minus: gap(g.s_minus_1, &self.minus_dir, self.d_minus_norm),
            ln_max_outside_plus: ln_max(&|j| !self.in_plus[j]),
            ln_max_outside_both: ln_max(&|j| !self.in_plus[j] && !self.in_minus[j]),
            d_plus_t_norm: norm(&dpt),
            w_plus: g.s_plus_1.iter().flat_map(|&j| p.w(j)).collect(),
        }
    }
}

impl Observer for SaddleGridObserver<'_> {
    fn next_time(&self) -> f64 {
        if self.next > self.grid.points { f64::INFINITY } else { self.grid_time(self.next) }
    }
    fn observe(&mut self, view: &View) {
        let s = self.sample(view);
        self.samples.push(s);
        self.next += 1;
    }
}

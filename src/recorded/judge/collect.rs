//! The one pass over a recorded run's snapshots: [`Collector`] reduces each snapshot, as it is
//! read, to the few numbers the judges need ([`Evidence`]), so a run of any length is judged in
//! the memory of a few snapshots (the first and the last are kept; everything else is a running
//! reduction or a per-snapshot scalar).

use rayon::prelude::*;

use super::theory_view::TheoryView;
use crate::claims::conservation::L6Scales;
use crate::data::Dataset;
use crate::params::Params;
use crate::recorded::{Clock, RunHeader, Snapshot};

/// One snapshot reduced to scalars (a row of the loss curve).
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Paper time.
    pub time: f64,
    /// The step counter, if recorded.
    pub step: Option<u64>,
    /// The paper's loss `L` recomputed from the snapshot (in `f64`).
    pub loss: f64,
    /// A bound on the rounding error of `L` as the trainer computed it in its precision
    /// (forward error of `h(x_k)`, [`Forward`] and [`loss_and_error`]).
    pub loss_error: f64,
    /// `|grad L|` (paper convention).
    pub gradient: f64,
    /// `|theta|^2 = sum_j a_j^2 + |w_j|^2`.
    pub norm_sq: f64,
}

/// The coordinate `<w_j, x_k>` followed for L6.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Coordinate {
    /// Never non-positive (to the budget) so far; `true` once clearly positive.
    Positive(bool),
    /// Non-positive at the snapshot with value `z1` and budget `b1` (relative to `W |x_k|`).
    Frozen { z1: f64, b1: f64, t1: f64, reached_zero: bool },
    /// Was frozen, but its value fell within the budget of 0 (either sign possible).
    Released,
}

/// The worst L6 move seen: `(ratio, neuron, point, t1, t2, move / (W |x_k|))`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct L6Worst {
    /// `|z(c2) - z(c1)| / ((b(c1) + b(c2)) W |x_k|)`.
    pub ratio: f64,
    /// Neuron.
    pub neuron: usize,
    /// Point.
    pub point: usize,
    /// Time of the first non-positive snapshot `c1`.
    pub t1: f64,
    /// Time of `c2`.
    pub t2: f64,
    /// The move relative to `W |x_k|`.
    pub moved: f64,
}

/// Everything the judges read, collected in one pass.
#[derive(Clone, Debug)]
pub struct Evidence {
    /// One sample per snapshot.
    pub samples: Vec<Sample>,
    /// The first snapshot's parameters.
    pub first: Params,
    /// The last snapshot's parameters.
    pub last: Params,
    /// Per neuron: `I_j(0) / S_j(0)`.
    pub rho0: Vec<f64>,
    /// Neurons whose `a_j` vanished or changed sign at some snapshot.
    pub sign_changes: Vec<usize>,
    /// Neurons whose `w_j` vanished at some snapshot.
    pub vanished: Vec<usize>,
    /// `max over snapshots of sum_j |I_j(t) - I_j(0)| / bound(t)` for the L1 law of the run's
    /// clock (`None` when the clock gives no bound), with the snapshot index and the two sides.
    pub l1_worst: Option<(f64, usize, f64, f64)>,
    /// First snapshot at which the loss rose by more than its rounding (the premise of the
    /// gradient-descent law of L1 fails there).
    pub loss_rose_at: Option<usize>,
    /// Coordinates non-positive at some snapshot, of which reached 0 from above.
    pub l6_nonpositive: (usize, usize),
    /// Of the non-positive coordinates, those released from the check when their value fell
    /// within the budget of 0 (either sign possible there).
    pub l6_released: usize,
    /// The worst L6 move (`None` when the budget needs step counts the file lacks).
    pub l6_worst: Option<L6Worst>,
    /// Largest L6 budget used (relative to `W |x_k|`).
    pub l6_largest_budget: f64,
    /// The S+,1 / S-,1 alignment `min_j <w_j/|w_j|, +-D>/|D|` at the snapshot nearest `t+1`
    /// (resp. `t-1`): `(snapshot time, target time, value)`.
    pub alignment_plus: Option<(f64, f64, f64)>,
    /// As `alignment_plus` for S-,1 at `t-1`.
    pub alignment_minus: Option<(f64, f64, f64)>,
}

/// The forward-error factor `gamma = (d + m + 2) u` of `h(x_k) - y_k` computed in precision
/// with unit roundoff `u`: `<w_j, x_k>` is a `d`-term dot product, `h` an `m`-term sum, one more
/// rounding each for the product with `a_j` and the subtraction of `y_k` (the classical bound
/// `|fl(sum) - sum| <= (terms) u sum |terms|` to first order).
pub fn gamma(d: usize, m: usize, unit_roundoff: f64) -> f64 {
    (d + m + 2) as f64 * unit_roundoff
}

/// The network on the data: `z[j*n + k] = <w_j, x_k>`, the residuals `r_k = h(x_k) - y_k`, and
/// the forward-error bounds `e_k = gamma (sum_j |a_j| sum_i |w_ji x_ki| + |y_k|)` of `r_k` in the
/// trainer's precision.
pub struct Forward {
    /// `<w_j, x_k>`, neuron-major.
    pub z: Vec<f64>,
    /// `h(x_k) - y_k`.
    pub residual: Vec<f64>,
    /// Bound on the rounding error of `residual[k]` as the trainer computed it.
    pub error: Vec<f64>,
}

/// Evaluates [`Forward`] (in parallel over neurons).
pub fn forward(data: &Dataset, p: &Params, gamma: f64) -> Forward {
    let n = data.n();
    let rows: Vec<(Vec<f64>, Vec<f64>)> =
        p.w.par_iter()
            .map(|w| {
                let mut z = vec![0.0; n];
                let mut abs = vec![0.0; n];
                for k in 0..n {
                    let x = data.x(k);
                    let (mut s, mut sa) = (0.0, 0.0);
                    for (wi, xi) in w.iter().zip(x) {
                        s += wi * xi;
                        sa += (wi * xi).abs();
                    }
                    z[k] = s;
                    abs[k] = sa;
                }
                (z, abs)
            })
            .collect();
    let mut h = vec![0.0; n];
    let mut habs = vec![0.0; n];
    let mut z = Vec::with_capacity(p.m() * n);
    for (j, (zj, absj)) in rows.into_iter().enumerate() {
        let a = p.a[j];
        for k in 0..n {
            if zj[k] > 0.0 {
                h[k] += a * zj[k];
            }
            habs[k] += a.abs() * absj[k];
        }
        z.extend(zj);
    }
    let y = data.y();
    let residual: Vec<f64> = (0..n).map(|k| h[k] - y[k]).collect();
    let error: Vec<f64> = (0..n).map(|k| gamma * (habs[k] + y[k].abs())).collect();
    Forward { z, residual, error }
}

/// `L = (1/2n) sum r_k^2` and the bound `(1/2n) sum (2 |r_k| e_k + e_k^2)` on its rounding.
pub fn loss_and_error(f: &Forward) -> (f64, f64) {
    let n = f.residual.len() as f64;
    let loss = f.residual.iter().map(|r| r * r).sum::<f64>() / (2.0 * n);
    let err = f.residual.iter().zip(&f.error).map(|(r, e)| 2.0 * r.abs() * e + e * e).sum::<f64>() / (2.0 * n);
    (loss, err)
}

/// `|grad L|` of the paper's loss with `relu'(0) = 0`: `dL/da_j = (1/n) sum_k r_k relu(z_jk)`,
/// `dL/dw_j = (a_j/n) sum_{z_jk > 0} r_k x_k`.
pub fn gradient_norm(data: &Dataset, p: &Params, f: &Forward) -> f64 {
    let (n, d) = (data.n(), data.d());
    let sq: f64 = (0..p.m())
        .into_par_iter()
        .map(|j| {
            let z = &f.z[j * n..(j + 1) * n];
            let mut ga = 0.0;
            let mut gw = vec![0.0; d];
            for k in 0..n {
                if z[k] > 0.0 {
                    ga += f.residual[k] * z[k];
                    for (g, x) in gw.iter_mut().zip(data.x(k)) {
                        *g += f.residual[k] * x;
                    }
                }
            }
            let a = p.a[j];
            (ga / n as f64).powi(2) + gw.iter().map(|g| (a * g / n as f64).powi(2)).sum::<f64>()
        })
        .sum();
    sq.sqrt()
}

/// The running reduction.
pub struct Collector<'a> {
    header: &'a RunHeader,
    theory: &'a TheoryView,
    gamma: f64,
    eps: f64,
    samples: Vec<Sample>,
    first: Option<Params>,
    last: Option<Params>,
    // L1
    i0: Vec<f64>,
    s_prev: Vec<f64>,
    s_step_sum: Vec<f64>,
    sign0: Vec<f64>,
    rho0: Vec<f64>,
    sign_changes: Vec<bool>,
    vanished: Vec<bool>,
    l1_worst: Option<(f64, usize, f64, f64)>,
    loss_rose_at: Option<usize>,
    // L6
    coords: Vec<Coordinate>,
    w_max: Vec<f64>,
    a_over_w: f64,
    l6_worst: Option<L6Worst>,
    l6_enabled: bool,
    l6_released: usize,
    l6_largest_budget: f64,
    x_norms: Vec<f64>,
    delta: f64,
    // L7/L8
    alignment_plus: Option<(f64, f64, f64)>,
    alignment_minus: Option<(f64, f64, f64)>,
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

impl<'a> Collector<'a> {
    /// A collector for a run with this header and theory.
    pub fn new(header: &'a RunHeader, theory: &'a TheoryView) -> Self {
        let data = &header.data;
        let eps = header.precision.epsilon();
        Self {
            header,
            theory,
            gamma: gamma(data.d(), header.m, header.precision.unit_roundoff()),
            eps,
            samples: Vec::with_capacity(header.snapshots),
            first: None,
            last: None,
            i0: Vec::new(),
            s_prev: Vec::new(),
            s_step_sum: Vec::new(),
            sign0: Vec::new(),
            rho0: Vec::new(),
            sign_changes: Vec::new(),
            vanished: Vec::new(),
            l1_worst: None,
            loss_rose_at: None,
            coords: Vec::new(),
            w_max: Vec::new(),
            a_over_w: 1.0,
            l6_worst: None,
            l6_enabled: true,
            l6_released: 0,
            l6_largest_budget: 0.0,
            x_norms: (0..data.n()).map(|k| norm(data.x(k))).collect(),
            delta: L6Scales::delta_with_epsilon(data, eps),
            alignment_plus: None,
            alignment_minus: None,
        }
    }

    /// Takes the next snapshot.
    pub fn observe(&mut self, s: &Snapshot) {
        let data = &self.header.data;
        let p = &s.params;
        let (m, n) = (p.m(), data.n());
        let f = forward(data, p, self.gamma);
        let (loss, loss_error) = loss_and_error(&f);
        let gradient = gradient_norm(data, p, &f);
        let sizes: Vec<(f64, f64)> = (0..m)
            .map(|j| {
                let a2 = p.a[j] * p.a[j];
                let w2: f64 = p.w[j].iter().map(|v| v * v).sum();
                (a2 - w2, a2 + w2)
            })
            .collect();
        let norm_sq: f64 = sizes.iter().map(|s| s.1).sum();
        let index = self.samples.len();
        if let Some(prev) = self.samples.last()
            && self.loss_rose_at.is_none()
            && loss > prev.loss + loss_error + prev.loss_error
        {
            self.loss_rose_at = Some(index);
        }
        let steps_since = match (self.samples.last().and_then(|x| x.step), s.step) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        };
        self.samples.push(Sample { time: s.time, step: s.step, loss, loss_error, gradient, norm_sq });

        if self.first.is_none() {
            self.i0 = sizes.iter().map(|s| s.0).collect();
            self.s_prev = sizes.iter().map(|s| s.1).collect();
            self.s_step_sum = vec![0.0; m];
            self.sign0 = p.a.iter().map(|a| a.signum()).collect();
            self.rho0 = sizes.iter().map(|s| if s.1 > 0.0 { s.0 / s.1 } else { 0.0 }).collect();
            self.sign_changes = p.a.iter().map(|&a| a == 0.0).collect();
            self.vanished = p.w.iter().map(|w| w.iter().all(|v| *v == 0.0)).collect();
            self.coords = vec![Coordinate::Positive(false); m * n];
            self.w_max = vec![0.0; m];
            self.first = Some(p.clone());
        } else {
            // L1: sum over the steps since the last snapshot of max(S) per neuron
            for j in 0..m {
                let s_now = sizes[j].1;
                if let Some(k) = steps_since {
                    self.s_step_sum[j] += k as f64 * s_now.max(self.s_prev[j]);
                }
                self.s_prev[j] = s_now;
                if p.a[j] == 0.0 || p.a[j].signum() != self.sign0[j] {
                    self.sign_changes[j] = true;
                }
                if p.w[j].iter().all(|v| *v == 0.0) {
                    self.vanished[j] = true;
                }
            }
            let drift: f64 = (0..m).map(|j| (sizes[j].0 - self.i0[j]).abs()).sum();
            if let Some(bound) = self.l1_bound(loss) {
                let ratio = crate::numerics::ratio_to_allowance(drift, bound);
                if self.l1_worst.is_none_or(|w| ratio > w.0) {
                    self.l1_worst = Some((ratio, index, drift, bound));
                }
            }
        }
        self.observe_l6(p, &f.z, s);
        self.observe_alignment(p, s.time);
        self.last = Some(p.clone());
    }

    /// The bound of L1's law at a snapshot with loss `loss`: gradient descent
    /// `2 eta (L(0) - L(t)) + 4 (d + 2) eps sum_j sum_steps S_j`, the flow
    /// `((2 + 3 rtol) rtol + 4 (d + 2) eps) sum_j sum_steps S_j` (derivations at
    /// [`super::conservation::l1_rows`]). `None` if the clock gives no bound.
    fn l1_bound(&self, loss: f64) -> Option<f64> {
        let d = self.header.data.d() as f64;
        let size_sum: f64 = self.s_step_sum.iter().sum();
        let rounding = 4.0 * (d + 2.0) * self.eps * size_sum;
        let l0 = self.samples.first()?.loss;
        match self.header.clock {
            Clock::Steps { .. } => {
                let eta = self.header.clock.paper_step()?;
                Some(2.0 * eta * (l0 - loss).max(0.0) + rounding)
            }
            Clock::Time { rtol: Some(rtol) } if self.samples.iter().all(|s| s.step.is_some()) => {
                Some((2.0 + 3.0 * rtol) * rtol * size_sum + rounding)
            }
            Clock::Time { .. } => None,
        }
    }

    fn observe_l6(&mut self, p: &Params, z: &[f64], s: &Snapshot) {
        let data = &self.header.data;
        let n = data.n();
        // the budget counts the steps: without step counts (a flow file without `step`) L6
        // has no evidence
        let Some(steps) = s.step else {
            self.l6_enabled = false;
            return;
        };
        if !self.l6_enabled {
            return;
        }
        for (j, w) in p.w.iter().enumerate() {
            let wn = norm(w);
            self.w_max[j] = self.w_max[j].max(wn);
            if wn > 0.0 {
                self.a_over_w = self.a_over_w.max(p.a[j].abs() / wn);
            }
        }
        let scales = L6Scales {
            n,
            d: self.header.data.d(),
            delta: self.delta,
            x_max: self.x_norms.iter().copied().fold(0.0, f64::max),
            initial_loss: self.samples[0].loss,
            a_over_w: self.a_over_w,
        };
        let budget = scales.budget_with_epsilon(self.eps, steps, s.time);
        self.l6_largest_budget = self.l6_largest_budget.max(budget);
        let mut worst = self.l6_worst.unwrap_or_default();
        for j in 0..p.m() {
            for k in 0..n {
                let scale = self.w_max[j] * self.x_norms[k];
                let zjk = z[j * n + k];
                let c = &mut self.coords[j * n + k];
                match *c {
                    Coordinate::Positive(seen) => {
                        // non-positive: below minus the budget, or exactly 0. A value within the
                        // budget of 0 may have had the other sign in the trainer's own rounding
                        // (a positive one is active and still moving): not judged
                        let frozen = zjk <= -budget * scale || zjk == 0.0;
                        if frozen {
                            *c = Coordinate::Frozen { z1: zjk, b1: budget, t1: s.time, reached_zero: seen };
                        } else if zjk > budget * scale {
                            *c = Coordinate::Positive(true);
                        }
                    }
                    Coordinate::Released => {}
                    Coordinate::Frozen { z1, b1, t1, .. } => {
                        // A frozen value within the budget of 0 (the rounding of the steps so far
                        // may have carried it across 0, where the trainer's relu fires) is
                        // released, not judged. The budget is scaled here componentwise,
                        // sum_i |w_perp,i x_ki| with w_perp = w_j - (z / |x_k|^2) x_k (what the
                        // rounding of the updates of w_j can move <w_j, x_k> by): exactly 0 for
                        // an exact 0 on standard-basis inputs, which is never released.
                        let xk = data.x(k);
                        let along = zjk / (self.x_norms[k] * self.x_norms[k]);
                        let componentwise: f64 =
                            p.w[j].iter().zip(xk).map(|(wi, xi)| ((wi - along * xi) * xi).abs()).sum();
                        if z1.abs() <= budget * componentwise && componentwise > 0.0 {
                            *c = Coordinate::Released;
                            self.l6_released += 1;
                            continue;
                        }
                        let allowed = (b1 + budget) * scale;
                        let moved = (zjk - z1).abs();
                        let ratio = crate::numerics::ratio_to_allowance(moved, allowed);
                        if ratio > worst.ratio {
                            worst = L6Worst {
                                ratio,
                                neuron: j,
                                point: k,
                                t1,
                                t2: s.time,
                                moved: if scale > 0.0 { moved / scale } else { moved },
                            };
                        }
                    }
                }
            }
        }
        self.l6_worst = Some(worst);
    }

    fn observe_alignment(&mut self, p: &Params, time: f64) {
        let th = self.theory;
        for (plus, target, set, dir) in
            [(true, th.t_plus_1, &th.s_plus_1, &th.d_plus_unit), (false, th.t_minus_1, &th.s_minus_1, &th.d_minus_unit)]
        {
            let (Some(target), Some(dir)) = (target, dir.as_ref()) else { continue };
            if set.is_empty() {
                continue;
            }
            // the latest snapshot at or before the target time (Lemma 7 (ii) holds at every
            // t <= t+1(eps_max) with lambda^eps = exp(-t |D|), see the judge)
            if time > target {
                continue;
            }
            let slot = if plus { &mut self.alignment_plus } else { &mut self.alignment_minus };
            let worst = set
                .iter()
                .map(|&j| {
                    let w = &p.w[j];
                    let wn = norm(w);
                    if wn > 0.0 { w.iter().zip(dir).map(|(a, b)| a * b).sum::<f64>() / wn } else { f64::NAN }
                })
                .fold(f64::INFINITY, f64::min);
            *slot = Some((time, target, worst));
        }
    }

    /// The evidence (`None` if no snapshot was observed).
    pub fn finish(self) -> Option<Evidence> {
        let nonpositive = self.coords.iter().filter(|c| !matches!(c, Coordinate::Positive(_))).count();
        let reached = self.coords.iter().filter(|c| matches!(c, Coordinate::Frozen { reached_zero: true, .. })).count();
        Some(Evidence {
            samples: self.samples,
            first: self.first?,
            last: self.last?,
            rho0: self.rho0,
            sign_changes: (0..self.sign_changes.len()).filter(|&j| self.sign_changes[j]).collect(),
            vanished: (0..self.vanished.len()).filter(|&j| self.vanished[j]).collect(),
            l1_worst: self.l1_worst,
            loss_rose_at: self.loss_rose_at,
            l6_nonpositive: (nonpositive, reached),
            l6_released: self.l6_released,
            l6_worst: if self.l6_enabled { self.l6_worst } else { None },
            l6_largest_budget: self.l6_largest_budget,
            alignment_plus: self.alignment_plus,
            alignment_minus: self.alignment_minus,
        })
    }
}

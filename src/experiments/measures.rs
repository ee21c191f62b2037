//! The measures taken on the runs of the paper's experiments, one definition each, used by
//! `reluflow reproduce` (the numbers it prints) and by the checks of claims X5 and XA (which
//! judge them against bounds):
//!
//! - plateaus of the loss: [`longest_band_stretch`] (a plateau at a predicted level, Fact 1's),
//!   [`intermediate_plateau`] (the longest one at any level below the initial saddle) and
//!   [`significant_plateau`] (the same, if it lasts [`PLATEAU_FRACTION`] of the time to fit);
//! - kinks of a network on 1-D inputs with a bias column: [`kinks`], [`clusters`],
//!   [`kink_clusters`];
//! - principal components of the final hidden weights: [`explained_variance_ratios`],
//!   [`top2_explained_variance`] (uncentred, as the paper's code);
//! - [`relative_movement`] of the weights (the lazy regime moves them little).

use crate::data::Dataset;
use crate::params::Params;
use crate::trajectory::Trajectory;
use nalgebra::DMatrix;
use serde::Serialize;

// ---------------------------------------------------------------------------------------------
// Plateaus
// ---------------------------------------------------------------------------------------------

/// The loss at the sampled times of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LossCurve {
    /// Sample times (flow time, `steps x step` for gradient descent), increasing.
    pub times: Vec<f64>,
    /// `L(theta)` at each time.
    pub losses: Vec<f64>,
}

impl LossCurve {
    /// The samples of a recorded trajectory.
    pub fn of(traj: &Trajectory) -> Self {
        Self {
            times: traj.samples.iter().map(|s| s.time).collect(),
            losses: traj.samples.iter().map(|s| s.loss).collect(),
        }
    }
    /// The first sampled time with `L <= value`.
    pub fn first_time_below(&self, value: f64) -> Option<f64> {
        self.times.iter().zip(&self.losses).find(|(_, l)| **l <= value).map(|(t, _)| *t)
    }
    /// The first sampled time with `L < level (1 - PLATEAU_BAND)`: when the loss has left a
    /// plateau (or a saddle) at `level` downwards.
    pub fn leaves(&self, level: f64) -> Option<f64> {
        self.times.iter().zip(&self.losses).find(|(_, l)| **l < level * (1.0 - PLATEAU_BAND)).map(|(t, _)| *t)
    }
}

/// A stretch of consecutive samples of a loss curve (a plateau when its losses stay in a band).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Plateau {
    /// Time of its first sample.
    pub start: f64,
    /// Time of its last sample.
    pub end: f64,
    /// Smallest loss inside.
    pub low: f64,
    /// Largest loss inside.
    pub high: f64,
    /// Median loss of its samples.
    pub level: f64,
}

impl Plateau {
    /// `end - start`.
    pub fn duration(&self) -> f64 {
        self.end - self.start
    }
    fn of(curve: &LossCurve, i: usize, j: usize) -> Self {
        let mut inside = curve.losses[i..=j].to_vec();
        inside.sort_by(f64::total_cmp);
        Plateau {
            start: curve.times[i],
            end: curve.times[j],
            low: inside[0],
            high: inside[inside.len() - 1],
            level: inside[inside.len() / 2],
        }
    }
}

/// Half-width of the relative band of a plateau: its samples stay within `[0.9 l, 1.1 l]`.
///
/// `+-10%` separates a saddle's plateau from the levels around it in the experiments: Fact 1's
/// plateau of the toy (0.25) from the initial loss 0.5 and from 0, both five band-widths away.
pub const PLATEAU_BAND: f64 = 0.1;

/// Lowest level, relative to the reference `L_0 = (1/2n) sum_k y_k^2`, an intermediate plateau
/// may have: below it the loss is "fitted" for these measures (see [`intermediate_plateau`]).
pub const PLATEAU_FLOOR: f64 = 1e-2;

/// An intermediate plateau is significant ([`significant_plateau`]) if it lasts at least this
/// fraction of the time to fit (first `L <= PLATEAU_FLOOR L_0`, or the run's end).
///
/// Why 0.1: a loss without a saddle decays like a sum of exponentials (the lazy, linearised
/// regime), in the window `[1e-2 L_0, L_0]` dominated by its slowest mode; a single exponential
/// spends `ln(1.1/0.9)/ln(100) = 4.4%` of the time from `L_0` to `1e-2 L_0` in any `+-10%` band,
/// so 10% is more than twice what it allows, while a saddle's plateau lasts `~ -ln(lambda)` time
/// units, a fixed fraction of the whole run as `lambda -> 0`.
pub const PLATEAU_FRACTION: f64 = 0.1;

/// The longest stretch of consecutive samples with `|L - level| <= band level`.
pub fn longest_band_stretch(curve: &LossCurve, level: f64, band: f64) -> Option<Plateau> {
    let mut best: Option<(usize, usize)> = None;
    let mut start: Option<usize> = None;
    for (i, &l) in curve.losses.iter().enumerate() {
        if (l - level).abs() <= band * level {
            let s = *start.get_or_insert(i);
            let longer = best.is_none_or(|(a, b)| curve.times[i] - curve.times[s] > curve.times[b] - curve.times[a]);
            if longer {
                best = Some((s, i));
            }
        } else {
            start = None;
        }
    }
    best.map(|(i, j)| Plateau::of(curve, i, j))
}

/// The longest intermediate plateau: a stretch of consecutive samples all within a
/// `+-PLATEAU_BAND` relative band of one level (`max <= (1 + b)/(1 - b) min`), entirely below the
/// band of `reference` (`max <= reference/(1 + b)`) and above `PLATEAU_FLOOR reference`. With
/// `reference = (1/2n) sum_k y_k^2`, the loss of the zero network, this excludes the saddle at 0
/// a small initialisation starts from. (Among stretches of equal duration, the first.)
pub fn intermediate_plateau(curve: &LossCurve, reference: f64) -> Option<Plateau> {
    let l0 = reference;
    let b = PLATEAU_BAND;
    let ratio = (1.0 + b) / (1.0 - b);
    let (t, l) = (&curve.times, &curve.losses);
    let ok = |v: f64| v <= l0 / (1.0 + b) && v >= PLATEAU_FLOOR * l0;
    let mut best: Option<(usize, usize)> = None;
    for i in 0..l.len() {
        if !ok(l[i]) {
            continue;
        }
        let (mut lo, mut hi) = (l[i], l[i]);
        let mut j = i;
        while j + 1 < l.len() && ok(l[j + 1]) {
            let (lo2, hi2) = (lo.min(l[j + 1]), hi.max(l[j + 1]));
            if hi2 > ratio * lo2 {
                break;
            }
            lo = lo2;
            hi = hi2;
            j += 1;
        }
        if best.is_none_or(|(a, c)| t[j] - t[i] > t[c] - t[a]) {
            best = Some((i, j));
        }
    }
    best.map(|(i, j)| Plateau::of(curve, i, j))
}

/// The time to fit: the first sample with `L <= PLATEAU_FLOOR reference`, or `end` (the run's
/// final time) if there is none.
pub fn time_to_fit(curve: &LossCurve, reference: f64, end: f64) -> f64 {
    curve.first_time_below(PLATEAU_FLOOR * reference).unwrap_or(end)
}

/// The [`intermediate_plateau`] if it lasts at least [`PLATEAU_FRACTION`] of the
/// [`time_to_fit`]: a saddle the run visibly stopped at.
pub fn significant_plateau(curve: &LossCurve, reference: f64, end: f64) -> Option<Plateau> {
    let t_fit = time_to_fit(curve, reference, end);
    intermediate_plateau(curve, reference).filter(|p| p.duration() >= PLATEAU_FRACTION * t_fit)
}

// ---------------------------------------------------------------------------------------------
// Kinks
// ---------------------------------------------------------------------------------------------

/// A neuron carries a kink of `h` if the slope jump of its ReLU, `|a_j w_j1|`, is at least this
/// fraction of the largest one ([`kinks`]).
///
/// Why `1e-3`: in the experiments with a small initialisation the neurons that fit a label end
/// with `|a_j| |w_j| >= 1e-3` (measured, `|w_j| >= 0.03`), while the others stay at the
/// initialisation scale (Lemmas 3-4: `|w_j| <= 3 c lambda^eps`, `~3e-7` on the toy), with slope
/// jumps `~1e-13`: the cut lies in a gap of ten orders of magnitude (tests/claims_experiments.rs
/// shows the count is the same for any cut from `1e-1` to `1e-5`), and a jump below it changes the
/// slope of `h` by less than `1e-3` of the largest change: invisible on the paper's figures.
pub const KINK_CUT: f64 = 1e-3;

/// Kinks closer than this fraction of the data's range of `t` belong to one cluster
/// ([`kink_clusters`]).
///
/// Why `0.05`: neurons of one activation pattern align (claim AL) and end with kinks within
/// `1e-4` of each other (measured: `3e-5` on the toy, `1e-4` inside A.1's range, `0.07` for the
/// groups of A.1 beyond its last point), while a lazy network's kinks are spread over the range
/// with gaps of the same order as the gap (A.1: 0.175); the smallest data spacing (0.25 in A.1,
/// 2.5 on the toy) exceeds it.
pub const KINK_GAP: f64 = 0.05;

/// Kink positions `t = -w_j2 / w_j1` (sorted) of the neurons of a network on 1-D inputs with a
/// bias column (`x = (t, 1)`: `relu(<w_j, (t, 1)>)` bends where `w_j1 t + w_j2 = 0`, and `h`'s
/// slope jumps there by `|a_j w_j1|`), for the neurons whose jump is at least `rel` times the
/// largest (`rel` = [`KINK_CUT`] for the stated convention). A neuron with `w_j1 = 0` has no kink.
/// Scale-free: multiplying every `(a_j, w_j)` by one factor changes nothing.
pub fn kinks(params: &Params, rel: f64) -> Vec<f64> {
    let jump = |j: usize| params.a[j].abs() * params.w[j][0].abs();
    let biggest = (0..params.m()).map(jump).fold(0.0, f64::max);
    let mut out: Vec<f64> = (0..params.m())
        .filter(|&j| biggest > 0.0 && jump(j) > 0.0 && jump(j) >= rel * biggest)
        .map(|j| -params.w[j][1] / params.w[j][0])
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

/// Groups sorted positions: a new cluster starts where the gap to the previous position exceeds
/// `gap`. Returns `(mean position, count)` per cluster.
pub fn clusters(sorted: &[f64], gap: f64) -> Vec<(f64, usize)> {
    let mut out: Vec<(f64, usize)> = Vec::new();
    let mut prev = f64::NEG_INFINITY;
    for &x in sorted {
        match out.last_mut() {
            Some(c) if x - prev <= gap => {
                c.0 = (c.0 * c.1 as f64 + x) / (c.1 as f64 + 1.0);
                c.1 += 1;
            }
            _ => out.push((x, 1)),
        }
        prev = x;
    }
    out
}

/// The range `(min, max)` of the first input coordinate `t_k` (1-D inputs with a bias column).
pub fn t_range(data: &Dataset) -> (f64, f64) {
    (0..data.n()).map(|k| data.x(k)[0]).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)))
}

/// The kinks of `params` on `data` with the stated convention: [`kinks`] at [`KINK_CUT`], grouped
/// by [`clusters`] with the gap [`KINK_GAP`] times the range of `t`.
pub fn kink_clusters(data: &Dataset, params: &Params) -> Vec<(f64, usize)> {
    let (lo, hi) = t_range(data);
    clusters(&kinks(params, KINK_CUT), KINK_GAP * (hi - lo))
}

// ---------------------------------------------------------------------------------------------
// Principal components, movement
// ---------------------------------------------------------------------------------------------

/// Explained-variance ratios (largest first) of the principal components of the rows `w_j` of the
/// hidden-weight matrix `W` (`m x d`), **uncentred**: the squared singular values of `W` itself
/// over their sum, `s_i^2 / sum_l s_l^2` (0 components for an empty or zero `W`).
///
/// The convention is the paper's: its code (`high_dimension.ipynb`) fits `MyPCA(centered=False)`
/// ("same implementation as sklearn but allows to not center data") to the final hidden weights,
/// and Appendix A.2 reads the result as directions through the origin: Figure 6 shows the
/// neurons "in polar coordinates" in the plane of the first two components, "the inner circle
/// corresponds to 0 norm vectors", and the 80% of Figure 7b means the network is "close to a 2
/// neurons network" (two directions from 0, where a centred PCA would measure the spread around
/// the mean neuron instead).
pub fn explained_variance_ratios(w: &[Vec<f64>]) -> Vec<f64> {
    let m = w.len();
    let d = w.first().map_or(0, |r| r.len());
    if m == 0 || d == 0 {
        return Vec::new();
    }
    let mat = DMatrix::from_fn(m, d, |j, i| w[j][i]);
    let mut s2: Vec<f64> = mat.singular_values().iter().map(|s| s * s).collect();
    s2.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = s2.iter().sum();
    if total > 0.0 { s2.into_iter().map(|v| v / total).collect() } else { Vec::new() }
}

/// The share of `|W|_F^2` carried by the first two (uncentred) principal components of the
/// hidden weights ([`explained_variance_ratios`]); 0 for a zero `W`.
pub fn top2_explained_variance(params: &Params) -> f64 {
    explained_variance_ratios(&params.w).iter().take(2).sum()
}

/// `|theta_T - theta_0| / |theta_0|`: how far training moved the weights (lazy regime: small).
pub fn relative_movement(start: &Params, end: &Params) -> f64 {
    let diff: f64 = start.a.iter().zip(&end.a).map(|(x, y)| (x - y).powi(2)).sum::<f64>()
        + start.w.iter().flatten().zip(end.w.iter().flatten()).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
    (diff / start.norm_sq()).sqrt()
}

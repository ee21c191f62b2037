//! The `lambda -> 0` limit of the training as a saddle-to-saddle jump process (issue 15; Town,
//! Boursier, Lewis, Englert, Lazic 2026, derived here from the seed paper's own mechanisms), and
//! the exact probability that a random balanced initialisation covers every point.
//!
//! ## The process (orthonormal inputs, balanced init `w_j = lambda g_j`, `a_j = s_j |w_j|`)
//! Time is `tau = t / ln(1/lambda)`; each neuron carries a log-size `l_j = ln|w_j| / ln(1/lambda)`.
//! - **Growth set.** Neuron `j` can only grow on `A_j = {k : <g_j, x_k> > 0 and s_j y_k > 0}`:
//!   a coordinate `<w_j, x_k> <= 0` is frozen (Lemma 6, eq. (11)), and a positive coordinate of
//!   the wrong sign (`s_j y_k < 0`) is pushed to 0 in `O(1)` time (Lemma 7 (iii) / 8 (iii)),
//!   negligible on the `ln(1/lambda)` scale.
//! - **Growth rate.** While every neuron is small, `h ~ 0` on the unfitted points `U`, and on
//!   orthonormal inputs `d|w_j|/dt = <D_j, w_j/|w_j|> |w_j|`-type growth aligns `w_j` with
//!   `s_j D_j = (1/n) sum_{k in A_j n U} |y_k| x_k` (Lemma 3's early alignment, for `A_j` all
//!   positive labels the rate is `|D+|`): `|w_j|` grows like `e^{mu_j t}` with
//!   `mu_j = |y restricted to A_j n U| / n` (the Euclidean norm of those labels over `n`), so
//!   `l_j` starts at `-1` (`|w_j(0)| = lambda |g_j|`; `ln|g_j| / ln(1/lambda) -> 0`) and grows at
//!   rate `mu_j`.
//! - **Escape.** The first neuron to reach log-size 0 (size `O(1)`) fits the points `A_j n U` in
//!   `O(1)` time (the logistic phase of Lemma 3): they leave `U`, the neuron stops growing, and
//!   every other rate is recomputed on the new `U`. Neurons with the same `A_j n U` have the same
//!   rate and the same starting log-size: they escape together as one group and share the fit
//!   (the split is the seed paper's lambda-free process (28), Lemma 12); the group adds
//!   `2 |y_S|` to the squared norm (a balanced fit of the labels `y_S` by neurons aligned with
//!   `sum_S y_k x_k` costs `2 |y_S|`, as in Proposition 1). The process ends when no rate is
//!   positive; the points left in `U` were never covered and stay at `h = 0`.
//! - **Under Assumption 3** `S+,1` is a group with `A_j` = all positive labels and the largest
//!   rate `|D+|` among the neurons that can fit positives, so it escapes first at
//!   `tau = 1/|D+|`; `S-,1` has grown at `|D-|` since 0 and escapes at `tau = 1/|D-|`; the limit
//!   norm is `2n(|D+| + |D-|)`, Proposition 1's minimum: the paper's two phases.
//!
//! Near-ties: two different sets whose escape times differ by less than [`NEAR_TIE`] (relative)
//! are reported; at a finite `lambda` their order is decided by the `O(1)` terms
//! (`ln|g_j|`, the alignment transient), which the limit drops.

use serde::Serialize;

use crate::data::Dataset;

/// Relative gap below which two escape times of different sets are reported as a near-tie.
pub const NEAR_TIE: f64 = 1e-9;

/// A neuron that is at least this size (relative to the escaping group's `O(1)`) when a group
/// escapes takes a visible share of the fit, or escapes without a plateau in between, at that
/// `lambda`: the run then departs from the limit (a near-tie at that `lambda`). Seen on
/// `reluflow predict --random-orthonormal 6,8 --width 20 --seed 3`: a competitor at
/// `e^{-0.02 ln(1/lambda)}` keeps the final norm at 9.9 instead of the limit's 10.47 down to
/// `lambda = 1e-48`.
pub const NEAR_TIE_SIZE: f64 = 1e-2;

/// One escape of the jump process.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JumpEvent {
    /// `tau_i = t_i / ln(1/lambda)`.
    pub tau: f64,
    /// The neurons that escape together (one group: the same `A_j n U`).
    pub neurons: Vec<usize>,
    /// The points they fit (`A_j n U`).
    pub fits: Vec<usize>,
    /// The loss after the fit, `(1/2n) sum_{k in U} y_k^2`.
    pub loss_after: f64,
    /// The largest competitor at the escape: a neuron outside the group, still growing on some
    /// of the fitted points, with its log-size then (`< 0`). At a finite `lambda` it has size
    /// `exp(log_size ln(1/lambda))` when the group reaches `O(1)`: unless that is small it takes a
    /// share of the fit, and the run departs from the limit (a near-tie at that `lambda`).
    pub runner_up: Option<(usize, f64)>,
    /// The largest neuron outside the group still growing at the escape (on any points), with
    /// its log-size then: how close the next escape is. Below `0` by at least
    /// `ln(1/size)/ln(1/lambda)` when it is at most `size` at that `lambda`; an escape with a
    /// neuron close to `0` is not separated from the next by a plateau.
    pub next_in_line: Option<(usize, f64)>,
}

/// Two different sets whose escape times nearly tie.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NearTie {
    /// The escaping group's first neuron.
    pub first: usize,
    /// The other set's first neuron.
    pub other: usize,
    /// Their escape times.
    pub taus: (f64, f64),
}

/// The whole limit process of one instance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JumpProcess {
    /// The escapes in time order.
    pub events: Vec<JumpEvent>,
    /// The initial loss `(1/2n) sum_k y_k^2`.
    pub initial_loss: f64,
    /// The limit squared norm `2 sum_i |y_{S_i}|`.
    pub limit_norm_sq: f64,
    /// Proposition 1's minimum over interpolators, `2 (|y_+| + |y_-|)`.
    pub min_norm_sq: f64,
    /// Points never covered (they stay at `h = 0`).
    pub unfitted: Vec<usize>,
    /// Near-ties between different sets' escape times.
    pub near_ties: Vec<NearTie>,
}

impl JumpProcess {
    /// The loss staircase at `tau`: the loss after the last event at or before `tau`.
    pub fn loss_at(&self, tau: f64) -> f64 {
        self.events.iter().take_while(|e| e.tau <= tau).last().map_or(self.initial_loss, |e| e.loss_after)
    }
}

/// Why the process cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JumpError {
    /// The inputs are not orthonormal (the growth sets and rates need Assumption 1).
    #[error(
        "the jump process needs orthonormal inputs (Assumption 1), these have max |<x_k, x_l> - delta_kl| = {0:.3e} > 1e-10: \
         give data whose rows are orthonormal, e.g. --random-orthonormal N,D"
    )]
    NotOrthonormal(f64),
    /// Widths or dimensions disagree.
    #[error("the initial directions have {found} coordinates, the inputs d = {d}")]
    Dimension {
        /// Coordinates of a direction.
        found: usize,
        /// Input dimension.
        d: usize,
    },
    /// A sign `s_j` is zero or a direction is not finite.
    #[error("neuron {0}: s_j must be +1 or -1 and g_j finite")]
    Neuron(usize),
}

fn norm_of(y: &[f64], set: &[usize]) -> f64 {
    set.iter().map(|&k| y[k] * y[k]).sum::<f64>().sqrt()
}

/// The jump process of `data` from the initial directions `g` (any positive multiple of
/// `w_j(0)`) and signs `s` (`sign(a_j(0))`).
///
/// ```
/// use reluflow::{Dataset, theory::jump_process::jump_process};
/// // two orthonormal points, y = (2, -1); neuron 0 covers point 0 (s = +1), neuron 1 point 1
/// let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![2.0, -1.0]).unwrap();
/// let p = jump_process(&data, &[vec![1.0, -1.0], vec![-1.0, 1.0]], &[1.0, -1.0]).unwrap();
/// assert_eq!(p.events.len(), 2);
/// assert!((p.events[0].tau - 1.0).abs() < 1e-12); // 1/|D+| = n/|y_+| = 2/2
/// assert!((p.events[1].tau - 2.0).abs() < 1e-12); // 1/|D-| = 2/1
/// assert_eq!(p.limit_norm_sq, p.min_norm_sq);       // 2 (2 + 1)
/// ```
pub fn jump_process(data: &Dataset, g: &[Vec<f64>], s: &[f64]) -> Result<JumpProcess, JumpError> {
    let report = data.assumptions();
    if !report.orthonormal {
        return Err(JumpError::NotOrthonormal(report.max_gram_deviation));
    }
    let (n, d) = (data.n(), data.d());
    let y = data.y();
    let m = g.len().min(s.len());
    let mut growth: Vec<Vec<usize>> = Vec::with_capacity(m);
    for j in 0..m {
        if g[j].len() != d {
            return Err(JumpError::Dimension { found: g[j].len(), d });
        }
        if !(s[j] == 1.0 || s[j] == -1.0) || g[j].iter().any(|v| !v.is_finite()) {
            return Err(JumpError::Neuron(j));
        }
        growth.push(
            (0..n)
                .filter(|&k| {
                    let proj: f64 = g[j].iter().zip(data.x(k)).map(|(a, b)| a * b).sum();
                    proj > 0.0 && s[j] * y[k] > 0.0
                })
                .collect(),
        );
    }
    Ok(jump_process_of_sets(y, &growth))
}

/// The jump process from the labels and the growth sets `A_j` directly (what [`jump_process`]
/// computes from orthonormal inputs, the directions and the signs, then runs): the single body
/// of the process. Callers that know the sets without the inputs (the standard basis of
/// `reluflow predict --sweep-n`, where checking orthonormality would cost `O(n^2 d)`) call it
/// directly; each set must list points `k < y.len()` in increasing order.
///
/// ```
/// use reluflow::theory::jump_process::jump_process_of_sets;
/// // y = (2, -1): neuron 0 grows on point 0, neuron 1 on point 1
/// let p = jump_process_of_sets(&[2.0, -1.0], &[vec![0], vec![1]]);
/// assert_eq!(p.events.len(), 2);
/// assert_eq!(p.limit_norm_sq, p.min_norm_sq);
/// ```
pub fn jump_process_of_sets(y: &[f64], growth: &[Vec<usize>]) -> JumpProcess {
    let n = y.len();
    let m = growth.len();
    let nf = n as f64;
    let initial_loss = y.iter().map(|v| v * v).sum::<f64>() / (2.0 * nf);
    let mut unfitted = vec![true; n];
    let mut log_size = vec![-1.0f64; m];
    let mut done = vec![false; m];
    let mut tau = 0.0f64;
    let mut events = Vec::new();
    let mut near_ties = Vec::new();
    let mut norm_sq = 0.0;
    loop {
        let live: Vec<Vec<usize>> =
            growth.iter().map(|a| a.iter().copied().filter(|&k| unfitted[k]).collect()).collect();
        let rate: Vec<f64> =
            (0..m).map(|j| if done[j] || live[j].is_empty() { 0.0 } else { norm_of(y, &live[j]) / nf }).collect();
        let hits: Vec<(usize, f64)> =
            (0..m).filter(|&j| rate[j] > 0.0).map(|j| (j, tau + (0.0 - log_size[j]) / rate[j])).collect();
        let Some(&(first, t_hit)) = hits.iter().min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0))) else {
            break;
        };
        let set = live[first].clone();
        // the group: the same growth set and the same escape time (neurons with the same set but
        // another history are smaller; once the set is fitted they stop)
        let group: Vec<usize> = hits
            .iter()
            .filter(|(j, t)| live[*j] == set && (t - t_hit).abs() <= 1e-12 * t_hit.abs().max(1.0))
            .map(|(j, _)| *j)
            .collect();
        if let Some(&(other, t_other)) =
            hits.iter().filter(|(j, _)| live[*j] != set).min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            && (t_other - t_hit) <= NEAR_TIE * t_hit.abs().max(1.0)
        {
            near_ties.push(NearTie { first, other, taus: (t_hit, t_other) });
        }
        for j in 0..m {
            log_size[j] += rate[j] * (t_hit - tau);
        }
        let runner_up = (0..m)
            .filter(|&j| rate[j] > 0.0 && !group.contains(&j) && live[j].iter().any(|k| set.contains(k)))
            .map(|j| (j, log_size[j]))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let next_in_line = (0..m)
            .filter(|&j| rate[j] > 0.0 && !group.contains(&j))
            .map(|j| (j, log_size[j]))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        tau = t_hit;
        for &j in &group {
            done[j] = true;
            log_size[j] = 0.0;
        }
        for &k in &set {
            unfitted[k] = false;
        }
        norm_sq += 2.0 * norm_of(y, &set);
        let loss_after = (0..n).filter(|&k| unfitted[k]).map(|k| y[k] * y[k]).sum::<f64>() / (2.0 * nf) + 0.0; // not -0.0
        events.push(JumpEvent { tau, neurons: group, fits: set, loss_after, runner_up, next_in_line });
    }
    let plus: Vec<usize> = (0..n).filter(|&k| y[k] > 0.0).collect();
    let minus: Vec<usize> = (0..n).filter(|&k| y[k] < 0.0).collect();
    JumpProcess {
        events,
        initial_loss,
        limit_norm_sq: norm_sq,
        min_norm_sq: 2.0 * (norm_of(y, &plus) + norm_of(y, &minus)),
        unfitted: (0..n).filter(|&k| unfitted[k]).collect(),
        near_ties,
    }
}

/// The exact probability that the balanced Gaussian initialisation (4) of width `m` covers every
/// point (every `k` has a neuron with `s_j y_k > 0` and `<g_j, x_k> > 0`), on orthonormal inputs
/// with `n_plus` positive and `n_minus` negative labels; then the limit process interpolates.
///
/// Derivation: the `<g_j, x_k>` are i.i.d. `N(0, 1)` (an orthonormal family maps a standard
/// Gaussian to a standard Gaussian) and independent of the fair signs `s_j`. Given
/// `m+ = #{j : s_j = +1} ~ Binomial(m, 1/2)`, a positive point is missed by all `m+` positive
/// neurons with probability `2^-m+`, independently over the points (disjoint coordinates), and
/// the negative points depend only on the other `m - m+` neurons:
/// `P = sum_{m+} C(m, m+) 2^-m (1 - 2^-m+)^n+ (1 - 2^-(m - m+))^n-`.
///
/// ```
/// use reluflow::theory::jump_process::cover_probability;
/// assert_eq!(cover_probability(1, 1, 1), 0.0); // one neuron cannot cover both signs
/// // m = 2, one point of each sign: signs must differ (1/2), both projections positive (1/4)
/// assert!((cover_probability(2, 1, 1) - 0.125).abs() < 1e-15);
/// ```
pub fn cover_probability(m: usize, n_plus: usize, n_minus: usize) -> f64 {
    // log-space binomial weights for large m
    let ln_half = -std::f64::consts::LN_2;
    let mut ln_choose = 0.0f64; // ln C(m, 0)
    let mut total = 0.0;
    for m_plus in 0..=m {
        if m_plus > 0 {
            ln_choose += ((m - m_plus + 1) as f64).ln() - (m_plus as f64).ln();
        }
        let miss = |k: usize| -> f64 { (-(k as f64) * std::f64::consts::LN_2).exp() };
        let covered = |k: usize, count: usize| -> f64 {
            if count == 0 { 1.0 } else { (count as f64 * (-miss(k)).ln_1p()).exp() }
        };
        total += (ln_choose + m as f64 * ln_half).exp() * covered(m_plus, n_plus) * covered(m - m_plus, n_minus);
    }
    total.clamp(0.0, 1.0)
}

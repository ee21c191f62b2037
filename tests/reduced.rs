//! The reduced-coordinates fast path (`solver::reduced`) against the full simulator.
//!
//! The two paths integrate the same equations in different coordinates (`p_j = X w_j` against
//! `w_j`), so on orthonormal inputs they must agree to rounding (gradient descent: the same
//! arithmetic up to summation order) or to the integrator's accuracy (the flow). They are compared
//! on random instances with `lambda` from `1e-2` down to `1e-300`: summaries, final parameters and
//! trajectories sampled at the same times. The fast path must refuse inputs that are not orthonormal.
//!
//! ## What the full path cannot resolve
//! The full path reads `p_jk = <w_j, x_k>` off `w_j`: with the rounding of that dot product and
//! the Gram deviation of the stored inputs (`|<x_l, x_k>| ~ 1e-17` for `l != k`, which leaks a
//! fraction of every update of `w_j` into the direction `x_k`), and with the rounding of every
//! update of `w_j` (up to half an ulp of each entry per step, whatever the size of the update), its
//! value of an inactive coordinate drifts, step after step, by up to `eps |w_j| / 2` from the value
//! where the reduced path holds it (frozen exactly, Lemma 6). An inactive coordinate stays frozen
//! while its neuron grows, by up to `1/lambda`, stops growing, or shrinks: once `|p_jk|` is below
//! that accumulated drift, the full path's sign of `p_jk` is rounding. The flow then records
//! spurious events (`Negative -> Zero`, the same vector field for ReLU with `relu'(0) = 0`, but
//! each cuts a step); gradient descent may take a step with the coordinate active and kick it away
//! from 0, or reactivate it for good (a frozen coordinate of a growing neuron on a label it does
//! not fit yet). Hence:
//! - the flow is compared through the whole dynamics, spurious events counted exactly
//!   (`full = reduced + spurious`), with a tolerance that accounts for the step sequences parting;
//! - gradient descent is compared up to the first step at which some coordinate comes within
//!   [`RESOLVED`] of 0 relative to its neuron (for `lambda <~ 1e-10` that is before the end: the
//!   test prints how far), and there to rounding, everything included (per neuron, accumulated
//!   along the run by [`GdRoundingBound`]: more for a neuron that shrinks);
//! - both compare the signs of the coordinates (the activation patterns) wherever they differ from
//!   0 by more than what rounding can have moved them: a bound accumulated along each run by
//!   [`DriftBound`] (derivation there), never a fixed fraction of the neuron's current size (the
//!   drift is absolute: it piles up while a neuron stands still and grows relatively when it shrinks).
//!
//! Differences are per neuron and scale-free (`|.| / |theta_j|`), so a neuron of size `1e-300` is
//! compared as closely as one of size 1.

use crate::common::config;
use proptest::prelude::*;
use reluflow::Instance;
use reluflow::data::{Dataset, ORTHONORMAL_TOL};
use reluflow::generators::InstanceShape;
use reluflow::network::{Activation, Class, Model, ValidModel};
use reluflow::params::{Params, ScaledParams, ldexp};
use reluflow::solver::flow::{FlowConfig, run_flow};
use reluflow::solver::gd::{GdConfig, run_gd};
use reluflow::solver::reduced::{ReducedError, reduce, run_flow_reduced, run_gd_reduced};
use reluflow::solver::{NoObserver, Observer, SimulationError, StopRule, View};
use reluflow::theory;
use reluflow::trajectory::{Recorder, SampleSchedule, Trajectory};

const EPS: f64 = f64::EPSILON;

/// `|theta_j - theta'_j| / |theta'_j|` per neuron, over the full blocks `(a_j, w_j)`.
fn rel_diffs(a: &ScaledParams, b: &ScaledParams) -> Vec<f64> {
    assert_eq!((a.m(), a.d()), (b.m(), b.d()));
    let w = a.d() + 1;
    (0..a.m())
        .map(|j| {
            let shift = a.exponent(j) - b.exponent(j);
            let (ba, bb) = (&a.theta_hat()[j * w..(j + 1) * w], &b.theta_hat()[j * w..(j + 1) * w]);
            let diff: f64 = ba.iter().zip(bb).map(|(x, y)| (ldexp(*x, shift) - y).powi(2)).sum::<f64>().sqrt();
            let size: f64 = bb.iter().map(|y| y * y).sum::<f64>().sqrt();
            if diff > 0.0 { diff / size } else { 0.0 }
        })
        .collect()
}

/// `max_j |theta_j - theta'_j| / |theta'_j|` over the full blocks `(a_j, w_j)`.
fn max_rel_diff(a: &ScaledParams, b: &ScaledParams) -> f64 {
    rel_diffs(a, b).into_iter().fold(0.0, f64::max)
}

/// How two parameter sets compare, in reduced coordinates.
#[derive(Debug, Default)]
struct Agreement {
    /// `max_j |(a_j, act(p_j), w_perp_j) - (..)'| / |theta_j|`: what enters `h` and the velocities.
    resolved: f64,
    /// `max_j |theta_j - theta'_j| / |theta_j|` over the full blocks.
    full: f64,
    /// Inactive coordinates that differ by more than the tolerance, all of them within the
    /// rounding drift of 0 in the reduced path (the full path's kicked coordinates).
    unresolved: usize,
    /// Coordinates of opposite signs in the two runs, both within the rounding drift of 0.
    unsigned: usize,
}

/// A bound, per neuron and in plain units, on how far rounding has moved the inactive coordinates
/// `<w_j, x_k> / |x_k|` of one run (or of two runs together) away from where the exact dynamics
/// on orthogonal inputs holds them: `hat[j] 2^exponent[j]` (see [`DriftBound`]).
#[derive(Clone, Debug)]
struct Drift {
    hat: Vec<f64>,
    exponent: Vec<i32>,
}
impl Drift {
    fn zero(m: usize) -> Self {
        Self { hat: vec![0.0; m], exponent: vec![0; m] }
    }
    /// Neuron `j`'s bound in the units `2^e`.
    fn at(&self, j: usize, e: i32) -> f64 {
        ldexp(self.hat[j], self.exponent[j] - e)
    }
    /// The bound of two runs: their values of a coordinate can differ by the sum of their drifts.
    fn plus(&self, other: &Drift) -> Drift {
        let hat = (0..self.hat.len()).map(|j| self.hat[j] + other.at(j, self.exponent[j])).collect();
        Drift { hat, exponent: self.exponent.clone() }
    }
}

/// Which simulator a [`DriftBound`] watches.
#[derive(Clone, Copy, PartialEq)]
enum Path {
    Full,
    Reduced,
}

/// Accumulates, along a run, the [`Drift`] of its inactive coordinates (at its end, and at the
/// checkpoint times of a [`SampleSchedule`]).
///
/// ## The bound
/// Let `(j, k)` be inactive during an accepted step of the full path (`act' = 0`: a `Negative` or
/// `Zero` class of ReLU with `relu'(0) = 0`, or a negative sign in gradient descent), `Delta w_j`
/// the step's change of `w_j` and `u = x_k / |x_k|`. On exactly orthogonal inputs `<Delta w_j, u>`
/// is 0. The full path's computed `<w_j, u>` moves by at most
/// 1. the Gram leak: `Delta w_j = sum_l c_l x_l` over active `l != k` and `|<x_l, u>| <= g |x_l|`
///    (`g` the largest off-diagonal cosine of the stored inputs), so `g sqrt(n) |Delta w_j|`;
/// 2. the rounding of the increment: each entry is a combination of at most 6 stages (the flow,
///    `sum |b_l| < 2`; the dense output at an event, `sum |d_l| < 18` weighted by at most 1/16)
///    of velocities whose entries are `n`-term sums `sum_l c_l x_li`, each to `(n + 1) eps` of
///    `sum_l |c_l x_li|`, which projects onto `u` as at most `(n + 1) sqrt(n) eps |v_j|`:
///    `(2 (n + 1) sqrt(n) + 32) eps |Delta w_j|` in all (gradient descent, one stage: less);
/// 3. the rounding of `w_j + Delta w_j`: each entry is off by at most `min(|Delta w_ji|, ulp / 2)`
///    with `ulp / 2 <= eps |w_ji| / 2`, which projects onto `u` (Cauchy-Schwarz, `|u| = 1`) as at
///    most `min(|Delta w_j|, eps |w_j| / 2)`.
///
/// Power-of-two rescalings are exact, and an event's bisection leaves `2^-60` of the step (below
/// term 3's `eps`). So after steps `s = 1..K` the drift is at most
/// `sum_s [min(|Delta w_j,s|, eps |w_j,s| / 2) + (g sqrt(n) + (2 (n + 1) sqrt(n) + 32) eps) |Delta w_j,s|]`
/// (with `|Delta w_j,s|` the change between the states the observer sees, the dense output at a
/// checkpoint included). A coordinate that entered `Zero` at an event sits at the rounding of the
/// dense output at the crossing, within the same step's term. Term 3 dominates: while a neuron
/// grows at rate `gamma` with steps `h` it sums to about `eps |w_j| / (2 gamma h)` (older drift is
/// diluted); when it stands still it adds `eps |w_j| / 2` per step that moves it at all, and when
/// it shrinks the drift grows relatively. The reduced path moves an inactive coordinate by exactly
/// 0 (its velocity is `0 * r_k`, its dense output `p + theta * 0`), so the same sum bounds it
/// (loosely: only the step at which it froze counts); its lifted `w_j` also carries the frozen
/// `w_perp_j` of [`reduce`], which is orthogonal to `x_k` only to rounding (for `d = n` it is pure
/// rounding): `|<w_perp_j, u>|`, computed, plus `d eps |w_perp_j|` for that dot product.
/// Reading `<w_j, u>` at a comparison adds `(4 (n + d) eps + 2 g sqrt(n)) |theta_j|` for the two
/// runs together ([`compare`]).
struct DriftBound {
    per_motion: f64,
    checkpoints: Vec<f64>,
    next: usize,
    last: Option<ScaledParams>,
    acc: Drift,
    at_checkpoints: Vec<Drift>,
}
impl DriftBound {
    fn new(data: &Dataset, theta0: &ScaledParams, checkpoints: &[f64], path: Path) -> Self {
        let (n, d, m) = (data.n() as f64, data.d(), theta0.m());
        let g = data.assumptions().max_offdiag_cosine;
        let per_motion = g * n.sqrt() + (2.0 * (n + 1.0) * n.sqrt() + 32.0) * EPS;
        let mut checkpoints = checkpoints.to_vec();
        checkpoints.sort_by(f64::total_cmp);
        let mut acc = Drift::zero(m);
        if path == Path::Reduced {
            let red = reduce(data, theta0).unwrap();
            for j in 0..m {
                let perp = red.perp_hat(j);
                let norm = perp.iter().map(|v| v * v).sum::<f64>().sqrt();
                let along = (0..data.n())
                    .map(|k| {
                        let x = data.x(k);
                        let xn = x.iter().map(|v| v * v).sum::<f64>().sqrt();
                        perp.iter().zip(x).map(|(a, b)| a * b).sum::<f64>().abs() / xn
                    })
                    .fold(0.0, f64::max);
                acc.hat[j] = along + d as f64 * EPS * norm;
                acc.exponent[j] = red.perp_exponent(j);
            }
        }
        Self { per_motion, checkpoints, next: 0, last: None, acc, at_checkpoints: Vec::new() }
    }
    /// The drift at the state `p`, one step after the last state seen.
    fn through(&self, p: &ScaledParams) -> Drift {
        let Some(last) = &self.last else { return self.acc.clone() };
        let mut out = self.acc.clone();
        for j in 0..p.m() {
            let e = p.exponent(j);
            let shift = last.exponent(j) - e;
            let w = p.w_hat(j);
            let dw = w.iter().zip(last.w_hat(j)).map(|(a, b)| (a - ldexp(*b, shift)).powi(2)).sum::<f64>().sqrt();
            let wn = w.iter().map(|v| v * v).sum::<f64>().sqrt();
            out.hat[j] = self.acc.at(j, e) + dw.min(0.5 * EPS * wn) + self.per_motion * dw;
            out.exponent[j] = e;
        }
        out
    }
    fn see(&mut self, p: &ScaledParams) {
        self.acc = self.through(p);
        self.last = Some(p.clone());
    }
}
impl Observer for DriftBound {
    fn next_time(&self) -> f64 {
        self.checkpoints.get(self.next).copied().unwrap_or(f64::INFINITY)
    }
    /// A checkpoint: the [`Recorder`] keeps this view for the same checkpoints.
    fn observe(&mut self, view: &View) {
        let here = self.through(view.params);
        while self.checkpoints.get(self.next).is_some_and(|&c| c <= view.time) {
            self.at_checkpoints.push(here.clone());
            self.next += 1;
        }
    }
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, view: &View) {
        self.see(view.params);
    }
    fn on_end(&mut self, view: &View) {
        self.see(view.params);
    }
}

/// The names of the two runs [`compare`] compares by default.
const PATHS: (&str, &str) = ("reduced", "full");

/// Compares `fast` against `full` (both on `data`; `fast_name` and `full_name` in the messages),
/// asserting the rules of the module docs with tolerance `tol[j]` on the resolved part of neuron
/// `j` (relative to its size; [`GdRoundingBound`] for gradient descent); `drift` bounds the
/// rounding drift of the inactive coordinates of the two runs together ([`DriftBound`]). Inactive
/// coordinates are frozen only for a slope-0 model. Coordinates are compared as `p_jk / |x_k|`
/// (the component of `w_j` along `x_k / |x_k|`), sizes are `|theta_j|^2 = a_j^2 + sum_k p_jk^2 /
/// |x_k|^2 + |w_perp_j|^2` (for orthonormal inputs the reduced path's `|x_k|^2` is exactly 1: the
/// plain `p_jk`).
///
/// A coordinate's two values can have opposite signs only if both are within its rounding margin
/// of 0: the two runs' drift plus the reading of `<w_j, x_k>` in both (a `d`-term dot product,
/// the lift of the reduced state and the Gram deviation `g` of the inputs: `(4 (n + d) eps +
/// 2 g sqrt(n)) |theta_j|`). Everywhere else the signs must agree.
fn compare(
    fast: &ScaledParams,
    full: &ScaledParams,
    data: &Dataset,
    slope: f64,
    tol: &[f64],
    drift: &Drift,
    (fast_name, full_name): (&str, &str),
) -> Agreement {
    let (n, d) = (data.n(), data.d());
    let rf = reduce(data, full).unwrap();
    let rs = reduce(data, fast).unwrap();
    let g = data.assumptions().max_offdiag_cosine;
    let reading = 4.0 * (n + d) as f64 * EPS + 2.0 * g * (n as f64).sqrt();
    let mut out = Agreement { full: max_rel_diff(fast, full), ..Default::default() };
    assert_eq!(tol.len(), full.m(), "a tolerance per neuron");
    for j in 0..full.m() {
        let tol = tol[j];
        // everything in the units of the full path's neuron j
        let s = ldexp(1.0, rs.exponent(j) - rf.exponent(j));
        let unit = |r: &reluflow::solver::reduced::Reduced, k: usize| r.p_hat(j)[k] / r.x_norm_sq(k).sqrt();
        let pf: Vec<f64> = (0..n).map(|k| unit(&rf, k)).collect();
        let ps: Vec<f64> = (0..n).map(|k| unit(&rs, k)).collect();
        let perp_scale = |r: &reluflow::solver::reduced::Reduced| ldexp(1.0, r.perp_exponent(j) - rf.exponent(j));
        let (perp_f, perp_s) = (rf.perp_hat(j), rs.perp_hat(j));
        let perp_sq: f64 = perp_f.iter().map(|v| (v * perp_scale(&rf)).powi(2)).sum();
        let size = (rf.a_hat(j).powi(2) + pf.iter().map(|v| v * v).sum::<f64>() + perp_sq).sqrt();
        let margin = reading * size + drift.at(j, rf.exponent(j));
        let act = |p: f64| if p > 0.0 { p } else { slope * p };
        let mut diff_sq = (rf.a_hat(j) - s * rs.a_hat(j)).powi(2);
        diff_sq +=
            perp_f.iter().zip(perp_s).map(|(f, v)| (f * perp_scale(&rf) - v * perp_scale(&rs)).powi(2)).sum::<f64>();
        for k in 0..n {
            let (f, v) = (pf[k], s * ps[k]);
            diff_sq += (act(f) - act(v)).powi(2);
            if (f - v).abs() > tol * size {
                // only a frozen coordinate that the full path cannot resolve may differ
                assert!(
                    slope == 0.0 && v.abs() <= margin && f <= margin,
                    "neuron {j}, point {k}: {f:e} ({full_name}) vs {v:e} ({fast_name}), |theta_j| = {size:e}, margin {margin:e}"
                );
                out.unresolved += 1;
            }
            if (f > 0.0) != (v > 0.0) {
                assert!(
                    f.abs() <= margin && v.abs() <= margin,
                    "neuron {j}, point {k}: activation {f:e} ({full_name}) vs {v:e} ({fast_name}), rounding margin {margin:e}, |theta_j| = {size:e}"
                );
                out.unsigned += 1;
            }
        }
        let resolved = diff_sq.sqrt() / size;
        assert!(
            resolved <= tol,
            "{fast_name} vs {full_name}: resolved parameters of neuron {j} differ by {resolved:e} > {tol:e}"
        );
        out.resolved = out.resolved.max(resolved);
    }
    out
}

/// `sqrt(2 n L) = |h - y|`: residual norms differ by at most `|Delta h| <= 2 delta sqrt(n) |theta|^2`
/// when every neuron differs by at most `delta` relatively (`a_j act(p_jk)` is quadratic in `theta_j`).
fn residual_norm(loss: f64, n: usize) -> f64 {
    (2.0 * n as f64 * loss).sqrt()
}

fn assert_losses_close(full: f64, fast: f64, n: usize, norm_sq: f64, delta: f64, what: &str) {
    let (a, b) = (residual_norm(full, n), residual_norm(fast, n));
    let bound = 2.0 * delta * (n as f64).sqrt() * norm_sq.max(1.0) + 4.0 * EPS;
    assert!((a - b).abs() <= bound, "{what}: |h - y| = {a:e} (full) vs {b:e} (reduced), bound {bound:e}");
}

/// Time by which the saddle-to-saddle dynamics is over: the negative labels are fitted around
/// `ln(1/lambda)/|D-|` (claim TS); 1.5 times that, plus time for the final exponential convergence.
fn end_of_dynamics(instance: &Instance) -> f64 {
    let d_small = theory::d_plus_norm(&instance.data).min(theory::d_minus_norm(&instance.data));
    1.5 * -instance.ln_lambda() / d_small + 40.0 / d_small
}

fn schedule(horizon: f64) -> SampleSchedule {
    SampleSchedule {
        first: 1e-2,
        per_decade: 5,
        every: horizon / 20.0,
        max_samples: 200,
        checkpoints: vec![horizon / 7.0, horizon / 3.0, horizon / 2.0, 0.9 * horizon],
    }
}

/// At each checkpoint: the drift bound of both runs together, and the per-neuron tolerances
/// `tols(i)` of checkpoint `i` (what [`compare_trajectories`] takes).
fn checkpoint_bounds(
    fast: &DriftBound,
    full: &DriftBound,
    mut tols: impl FnMut(usize) -> Vec<f64>,
) -> Vec<(Drift, Vec<f64>)> {
    assert_eq!(fast.at_checkpoints.len(), full.at_checkpoints.len(), "the two runs saw the same checkpoints");
    fast.at_checkpoints.iter().zip(&full.at_checkpoints).enumerate().map(|(i, (a, b))| (a.plus(b), tols(i))).collect()
}

/// Sample times, losses (relative tolerance `tol`, see [`assert_losses_close`]), classes and
/// checkpoints of two recorded runs (`bounds`: per checkpoint, the two runs' [`Drift`] together
/// and the per-neuron tolerances of [`compare`]).
fn compare_trajectories(
    full: &Trajectory,
    fast: &Trajectory,
    data: &Dataset,
    model: &ValidModel,
    tol: f64,
    patterns: bool,
    bounds: &[(Drift, Vec<f64>)],
) -> (f64, usize) {
    assert_eq!(full.samples.len(), fast.samples.len(), "number of samples");
    let same_dynamics = |a: Class, b: Class| {
        let coef = |c: Class| match c {
            Class::Positive => (1.0, 1.0),
            Class::Negative => (model.negative_slope(), model.negative_slope()),
            Class::Zero => (0.0, model.relu_prime_at_zero()),
        };
        coef(a) == coef(b)
    };
    for (s, t) in full.samples.iter().zip(&fast.samples) {
        assert_eq!(s.time, t.time, "sample times");
        assert_losses_close(s.loss, t.loss, data.n(), s.param_norm_sq, tol, &format!("sample at t = {}", s.time));
        if !patterns {
            continue;
        }
        for (i, (a, b)) in s.pattern.iter().zip(&t.pattern).enumerate() {
            assert!(same_dynamics(*a, *b), "t = {}: coordinate {i} is {a:?} (full) but {b:?} (reduced)", s.time);
        }
    }
    assert_eq!(full.checkpoints.len(), fast.checkpoints.len());
    assert_eq!(full.checkpoints.len(), bounds.len(), "bounds per checkpoint");
    let (mut worst, mut unresolved) = (0.0f64, 0);
    for ((c, d), (drift, tols)) in full.checkpoints.iter().zip(&fast.checkpoints).zip(bounds) {
        assert_eq!(c.time, d.time);
        let a = compare(&d.params, &c.params, data, model.negative_slope(), tols, drift, PATHS);
        worst = worst.max(a.resolved);
        unresolved = unresolved.max(a.unresolved);
    }
    (worst, unresolved)
}

// ------------------------------------------------------------------------------------------
// reduce / lift
// ------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(32))]

    /// `lift(reduce(theta)) = theta` up to the rounding of `X^T X w`: each entry is a sum of `n`
    /// products with `d`-term dot products, an error of at most `(n + d) eps |w|` per entry
    /// (standard dot-product bounds), plus the Gram deviation of `X` (a few `d eps` for the Haar
    /// inputs): `4 (n + d) eps` relative.
    #[test]
    fn lift_inverts_reduce(instance in InstanceShape::default().with_lambda_exp10(2..=300).strategy()) {
        let theta = instance.initialisation().unwrap().params;
        let red = reduce(&instance.data, &theta).unwrap();
        prop_assert_eq!((red.m(), red.n(), red.d()), (theta.m(), instance.data.n(), instance.data.d()));
        let back = red.lift();
        let tol = 4.0 * (red.n() + red.d()) as f64 * EPS;
        let diff = max_rel_diff(&back, &theta);
        prop_assert!(diff <= tol, "round trip {diff:e} > {tol:e}");
        // p_jk is <w_j, x_k> as the full path computes it: the same initial classes
        for j in 0..theta.m() {
            for k in 0..red.n() {
                let z: f64 = theta.w_hat(j).iter().zip(instance.data.x(k)).map(|(a, b)| a * b).sum();
                prop_assert_eq!(Class::of(z), Class::of(red.p_hat(j)[k]));
            }
        }
    }
}

fn tilt_first_input(data: &Dataset, by: f64) -> Dataset {
    let rows = data.rows();
    let x = rows
        .iter()
        .enumerate()
        .map(|(k, r)| if k == 0 { r.iter().zip(&rows[1]).map(|(a, b)| a + by * b).collect() } else { r.clone() })
        .collect();
    Dataset::new(x, data.y().to_vec()).unwrap()
}

/// Negative control: the fast path refuses inputs that are not orthogonal, naming the relative
/// deviation; orthogonal inputs of any norms (the Section 5 toy) are accepted.
#[test]
fn reduce_refuses_non_orthogonal_inputs() {
    let instance = InstanceShape::default().sample(3).unwrap();
    let theta = instance.initialisation().unwrap().params;
    let d = instance.data.d();
    let toy = reluflow::data::generate::toy();
    let toy_theta = ScaledParams::from_params(&Params { a: vec![1.0], w: vec![vec![0.5, -0.5]] });
    let doubled = Dataset::new(
        instance.data.rows().iter().map(|r| r.iter().map(|v| 2.0 * v).collect()).collect(),
        instance.data.y().to_vec(),
    )
    .unwrap();
    // orthogonal, not unit-norm: accepted, and lift inverts reduce
    for (what, data, theta) in
        [("the Section 5 toy", &toy, &toy_theta), ("orthogonal inputs of norm 2", &doubled, &theta)]
    {
        assert!(data.assumptions().orthogonal_not_unit, "{what}");
        let red = reduce(data, theta).unwrap();
        let diff = max_rel_diff(&red.lift(), theta);
        assert!(diff <= 4.0 * (data.n() + data.d()) as f64 * EPS, "{what}: round trip {diff:e}");
    }
    let skewed = Dataset::new(vec![vec![1.0, 0.0], vec![1.0, 1.0]], vec![-1.0, 1.0]).unwrap();
    let cases = [
        ("x_0 tilted by 10 x the tolerance", tilt_first_input(&instance.data, 10.0 * ORTHONORMAL_TOL), &theta),
        ("the toy with x_1 = (1, 1), x_0 = (1, 0)", skewed.clone(), &toy_theta),
    ];
    for (what, data, theta) in &cases {
        let report = data.assumptions();
        assert!(!report.orthogonal, "{what}: the control must break orthogonality");
        let err = reduce(data, theta).unwrap_err();
        assert_eq!(
            err,
            ReducedError::NotOrthogonal {
                max_offdiag_cosine: report.max_offdiag_cosine,
                pair: report.worst_offdiag_pair.unwrap(),
                tolerance: ORTHONORMAL_TOL
            },
            "{what}"
        );
        let msg = err.to_string();
        assert!(msg.contains("orthogonal") && msg.contains("--coordinates full"), "{what}: {msg}");
    }
    // a tilt within the tolerance is accepted
    assert!(reduce(&tilt_first_input(&instance.data, 0.1 * ORTHONORMAL_TOL), &theta).is_ok());
    assert_eq!(reduce(&toy, &theta).unwrap_err(), ReducedError::DimensionMismatch { params: d, data: 2 });

    // the runners refuse before simulating, with the same message; the full path runs the problem
    let relu = Model::relu().validate().unwrap();
    let gd_cfg = GdConfig { step: 1e-2, stop: StopRule { max_steps: Some(10), ..Default::default() } };
    let flow_cfg = FlowConfig { stop: StopRule { horizon: Some(1.0), ..Default::default() }, ..Default::default() };
    for e in [
        run_gd_reduced(&skewed, relu, &toy_theta, &gd_cfg, &mut NoObserver).unwrap_err(),
        run_flow_reduced(&skewed, relu, &toy_theta, &flow_cfg, &mut NoObserver).unwrap_err(),
    ] {
        assert!(matches!(&e, SimulationError::Config(m) if m.contains("orthogonal")), "{e}");
    }
    assert!(run_gd(&skewed, relu, &toy_theta, &gd_cfg, &mut NoObserver).is_ok());
    assert!(run_flow(&skewed, relu, &toy_theta, &flow_cfg, &mut NoObserver).is_ok());
}

/// Orthonormal rows of `instance` scaled by factors `f_k = (1 + (k mod 6)) / 2` (0.5 to 3, exact).
fn scaled_orthogonal(instance: &Instance) -> Instance {
    let rows = instance.data.rows();
    let x = rows
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let f = (1 + k % 6) as f64 / 2.0;
            r.iter().map(|v| f * v).collect()
        })
        .collect();
    let data = Dataset::new(x, instance.data.y().to_vec()).unwrap();
    Instance { data, ..instance.clone() }
}

/// The Section 5 toy as an instance (balanced ReLU).
fn toy_instance(width: usize, lambda: f64, seed: u64) -> Instance {
    Instance::balanced(reluflow::data::generate::toy(), width, lambda, seed)
}

// ------------------------------------------------------------------------------------------
// Gradient descent
// ------------------------------------------------------------------------------------------

/// The tolerance of the GD comparison after `steps` steps on `data`, for a neuron whose size never
/// decreases (a neuron that shrinks: [`GdRoundingBound`], of which this is the floor).
///
/// Per step the paths differ only by rounding: the full path forms `D_j = sum_k c_k x_k` (`n`
/// terms) and re-reads `p_jk = <w_j, x_k>` (`d` terms), the reduced one updates `p_jk` directly;
/// with the Gram deviation of the inputs each step perturbs each neuron by at most about
/// `2 (n + d) eps` relatively. The linearised dynamics carries a relative perturbation of a growing
/// neuron along with the neuron's own growth (both grow at the same rate), so the perturbations at
/// most add up: `2 (n + d) eps K` after `K` steps if they all align (a random walk gives `sqrt(K)`;
/// the test prints the measured difference, far below the bound).
fn gd_tolerance(data: &Dataset, steps: u64) -> f64 {
    2.0 * (data.n() + data.d()) as f64 * EPS * steps.max(1) as f64
}

/// Accumulates along a gradient-descent run, per neuron, the relative tolerance `R_j` of the
/// comparison of the two paths ([`compare`]), in units of the neuron's size at that time (at the
/// run's end, and at the checkpoint times of a [`SampleSchedule`]). Watches one run (the full
/// path): the two agree far within the bound.
///
/// ## The bound
/// Sizes are `|theta_j|^2 = a_j^2 + sum_k q_jk^2 + |w_perp_j|^2` with `q_jk = <w_j, x_k> / |x_k|`
/// (as in [`compare`]), `theta_j,s` is neuron `j` after `s` steps, `e_s` the difference of the two
/// paths' `theta_j,s` and `R_s` a bound on `|e_s| / |theta_j,s|`.
/// 1. The rounding of step `s`. Both paths update `(a_j, q_j)` from residuals `r` and signs that
///    agree (every coordinate is resolved: [`RESOLVED`]). The full path re-reads `p_jk = <w_j, x_k>`
///    (`d` terms, plus the Gram deviation), forms `sum_k r_k act(p_jk)` and `D_j` (`n` terms), and
///    rounds `theta_j + Delta theta_j` (half an ulp per entry: `eps |theta_j,s+1| / 2` in norm);
///    the reduced path forms the same `n`-term sums and rounds `(a_j, p_j) + Delta` the same way.
///    The read and sum errors enter through the increment, `|Delta theta_j| <= eta |u_s| / n
///    |theta_j,s|` (below; under `0.1 |theta_j,s|` here), so the step adds to `e` at most about
///    `rho_s = 2 (n + d) eps max(|theta_j,s|, |theta_j,s+1|)`: the budget of [`gd_tolerance`],
///    relative to the neuron's size at that step.
/// 2. How it is carried. At the step's residuals and signs the step of neuron `j` is linear in
///    `theta_j`: `theta_j,s+1 = M_s theta_j,s` with `M_s = I + eta A_s`, where `A_s` acts on
///    `(a_j, q_j)` as `-(1/n) [[0, u^T], [u, 0]]`, `u_k = r_k act'(p_jk) |x_k|`, and is 0 on
///    `w_perp_j`. `A_s` is symmetric with eigenvalues `+-|u| / n` (a saddle in the plane of `a_j`
///    and `u`) and 0, so `|M_s| = 1 + eta |u| / n` (at `p_jk = 0` the `a_j` row has `act = 0`
///    where the `q_jk` row has `relu'(0)`: the norm is at most that), and
///    `|e_s+1| <= |M_s| |e_s| + rho_s`: in the neuron's units
///    `R_s+1 = gamma_s R_s + 2 (n + d) eps max(1, |theta_j,s| / |theta_j,s+1|)`,
///    `gamma_s = |M_s| |theta_j,s| / |theta_j,s+1| >= 1`.
/// 3. Growing and shrinking. A neuron that grows does so along the unstable eigenvector (`+|u| / n`),
///    with which it aligns, and a difference grows no faster: `gamma_s ~ 1`, the assumption of
///    [`gd_tolerance`], taken exactly at every step where `|theta_j|` does not decrease, so a
///    neuron that never shrinks gets `2 (n + d) eps K`, the tolerance before. A neuron that shrinks
///    does so along the stable eigenvector (`-|u| / n`; e.g. `a_j < 0` with `w_j` near a point of
///    positive label, until that coordinate crosses 0 and the neuron dies), while the component of
///    a difference along the unstable eigenvector grows at rate `|u| / n`: rounding made while the
///    neuron was larger does not merely persist, it grows, and relative to the neuron as the
///    square of the shrink (`gamma_s = (1 + eta c) / (1 - eta c)`, `c = |u| / n`, on the stable
///    eigenvector). At such steps `gamma_s` is taken in full, `|u|` from the residuals of the
///    state seen. (In [`gd_reduced_matches_full_for_a_shrinking_neuron`] a neuron shrinks by a
///    factor 144, 2.7 per 20 steps, and its relative difference grows by 5 to 7 per 20 steps
///    (`2.7^2 = 7.2`), to `3.4e-12` against `2 (n + d) eps K = 8.2e-13`. Carrying the absolute
///    difference unchanged instead, `gamma_s = |theta_j,s| / |theta_j,s+1|`, allows 2.7 per 20
///    steps and was exceeded, by up to 13 times, on 5 of 1000 random `n = d = 2` instances; this
///    bound held on all of them, and on 60 instances of the default shape, with a factor 50 to
///    spare.)
///
/// Not counted, here as in [`gd_tolerance`]: the two runs' residuals differ too (by the other
/// neurons' differences), which enters neuron `j`'s step as `eta |Delta r| |theta_j| / n`; the
/// measured differences stay far below the bound (the test prints them).
struct GdRoundingBound<'a> {
    data: &'a Dataset,
    /// `|x_k|`.
    x_norm: Vec<f64>,
    eta: f64,
    slope: f64,
    sigma0: f64,
    /// `2 (n + d) eps`.
    per_step: f64,
    checkpoints: Vec<f64>,
    next: usize,
    /// The last state seen: its step, its parameters and `|M_s|` per neuron.
    last: Option<(u64, ScaledParams, Vec<f64>)>,
    /// `R_j` at the last state seen.
    acc: Vec<f64>,
    at_checkpoints: Vec<Vec<f64>>,
}
impl<'a> GdRoundingBound<'a> {
    fn new(data: &'a Dataset, m: usize, eta: f64, model: &ValidModel, checkpoints: &[f64]) -> Self {
        let x_norm = (0..data.n()).map(|k| data.x(k).iter().map(|v| v * v).sum::<f64>().sqrt()).collect();
        let mut checkpoints = checkpoints.to_vec();
        checkpoints.sort_by(f64::total_cmp);
        Self {
            data,
            x_norm,
            eta,
            slope: model.negative_slope(),
            sigma0: model.relu_prime_at_zero(),
            per_step: 2.0 * (data.n() + data.d()) as f64 * EPS,
            checkpoints,
            next: 0,
            last: None,
            acc: vec![0.0; m],
            at_checkpoints: Vec::new(),
        }
    }
    /// `|M_s| = 1 + eta |u| / n` per neuron at the state `p`.
    fn growth(&self, p: &ScaledParams) -> Vec<f64> {
        let (n, m) = (self.data.n(), p.m());
        let z: Vec<f64> = (0..m)
            .flat_map(|j| (0..n).map(move |k| p.w_hat(j).iter().zip(self.data.x(k)).map(|(a, b)| a * b).sum::<f64>()))
            .collect();
        let mut r: Vec<f64> = self.data.y().iter().map(|y| -y).collect();
        for j in 0..m {
            for (k, rk) in r.iter_mut().enumerate() {
                let z = z[j * n + k];
                *rk += ldexp(p.a_hat(j) * if z > 0.0 { z } else { self.slope * z }, 2 * p.exponent(j));
            }
        }
        (0..m)
            .map(|j| {
                let u_sq: f64 = (0..n)
                    .map(|k| {
                        let z = z[j * n + k];
                        let gate = if z > 0.0 {
                            1.0
                        } else if z < 0.0 {
                            self.slope
                        } else {
                            self.sigma0
                        };
                        (r[k] * gate * self.x_norm[k]).powi(2)
                    })
                    .sum();
                1.0 + self.eta * u_sq.sqrt() / n as f64
            })
            .collect()
    }
    /// `R_j` at the state of `view`, one step after the last state seen.
    fn through(&self, view: &View) -> Vec<f64> {
        let Some((step, last, growth)) = self.last.as_ref().filter(|l| l.0 != view.step) else {
            return self.acc.clone();
        };
        debug_assert_eq!(*step + 1, view.step);
        let p = view.params;
        let size =
            |q: &ScaledParams, j: usize| (q.a_hat(j).powi(2) + q.w_hat(j).iter().map(|v| v * v).sum::<f64>()).sqrt();
        (0..p.m())
            .map(|j| {
                // |theta_j,s| / |theta_j,s+1|
                let shrink = ldexp(size(last, j) / size(p, j), last.exponent(j) - p.exponent(j));
                let gamma = if shrink > 1.0 { growth[j] * shrink } else { 1.0 };
                gamma * self.acc[j] + self.per_step * shrink.max(1.0)
            })
            .collect()
    }
    fn see(&mut self, view: &View) {
        if self.last.as_ref().is_some_and(|l| l.0 == view.step) {
            return;
        }
        self.acc = self.through(view);
        self.last = Some((view.step, view.params.clone(), self.growth(view.params)));
    }
    /// The tolerances of [`compare`]: `R_j`, at least `floor` (`gd_tolerance` of the whole run).
    fn tolerances(r: &[f64], floor: f64) -> Vec<f64> {
        r.iter().map(|r| r.max(floor)).collect()
    }
}
impl Observer for GdRoundingBound<'_> {
    fn next_time(&self) -> f64 {
        self.checkpoints.get(self.next).copied().unwrap_or(f64::INFINITY)
    }
    /// A checkpoint: the [`Recorder`] keeps this view for the same checkpoints.
    fn observe(&mut self, view: &View) {
        let here = self.through(view);
        while self.checkpoints.get(self.next).is_some_and(|&c| c <= view.time) {
            self.at_checkpoints.push(here.clone());
            self.next += 1;
        }
    }
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, view: &View) {
        self.see(view);
    }
    fn on_end(&mut self, view: &View) {
        self.see(view);
    }
}

/// Relative distance to the boundary below which a coordinate counts as unresolved by the full
/// path (gradient descent; fixed before the runs, as the probe runs only the reduced path). The
/// full path's `p_jk` carries the rounding of one `d`-term dot product (`(n + d) eps` with the Gram
/// deviation, about `3e-15` here) plus the drift of [`DriftBound`]: a step moves `w_j` by far more
/// than an ulp (`eta |D| <= 0.05` relative), so rounding the update costs up to `eps |w_j| / 2` per
/// step, diluted while the neuron grows. That reaches `1e-12` only after about `9000` steps at a
/// standstill, about the longest runs compared here (a few hundred steps for `lambda <~ 1e-10`).
/// The comparison itself ([`compare`]) uses the drift accumulated along the runs; this constant
/// only has to stop the comparison before the full path can kick a frozen coordinate.
const RESOLVED: f64 = 1e-12;

/// The first step at which some coordinate is within `RESOLVED |theta_j|` of 0 (read off the
/// reduced path's states, whose `p_jk` is exact up to the rounding of the lift, `~1e-16`), with
/// `p_jk` measured as `<w_j, x_k> / |x_k|` (`|x_k| = 1` taken exactly for orthonormal inputs).
#[derive(Default)]
struct FirstUnresolved<'a> {
    data: Option<&'a Dataset>,
    x_norm: Vec<f64>,
    step: Option<u64>,
}
impl<'a> FirstUnresolved<'a> {
    fn new(data: &'a Dataset) -> Self {
        let unit = data.assumptions().orthonormal;
        let x_norm = (0..data.n())
            .map(|k| if unit { 1.0 } else { data.x(k).iter().map(|v| v * v).sum::<f64>().sqrt() })
            .collect();
        Self { data: Some(data), x_norm, step: None }
    }
}
impl Observer for FirstUnresolved<'_> {
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, view: &View) {
        if self.step.is_some() {
            return;
        }
        let data = self.data.expect("data");
        let p = view.params;
        for j in 0..p.m() {
            let w = p.w_hat(j);
            let size = (p.a_hat(j).powi(2) + w.iter().map(|v| v * v).sum::<f64>()).sqrt();
            for k in 0..data.n() {
                let z: f64 = w.iter().zip(data.x(k)).map(|(a, b)| a * b).sum::<f64>() / self.x_norm[k];
                if z.abs() < RESOLVED * size {
                    self.step = Some(view.step);
                    return;
                }
            }
        }
    }
}

/// GD on both paths, through the saddle-to-saddle dynamics or up to the first step at which the
/// full path no longer resolves a coordinate (module docs), whichever is first. Returns the
/// measured agreement and `(steps compared, steps of the whole dynamics)`.
fn check_gd(instance: &Instance, model: ValidModel) -> (Agreement, u64, u64) {
    const ETA: f64 = 5e-2;
    let theta0 = instance.initialisation().unwrap().params;
    let data = &instance.data;
    let whole = (end_of_dynamics(instance) / ETA).ceil() as u64;
    let mut probe = FirstUnresolved::new(data);
    let cfg = GdConfig { step: ETA, stop: StopRule { max_steps: Some(whole), ..Default::default() } };
    run_gd_reduced(data, model, &theta0, &cfg, &mut probe).unwrap();
    let steps = probe.step.unwrap_or(whole);

    let cfg = GdConfig { step: ETA, stop: StopRule { max_steps: Some(steps), ..Default::default() } };
    let sched = schedule(steps as f64 * ETA);
    let mut obs = (
        Recorder::new(data, sched.clone()),
        (
            DriftBound::new(data, &theta0, &sched.checkpoints, Path::Full),
            GdRoundingBound::new(data, theta0.m(), ETA, &model, &sched.checkpoints),
        ),
    );
    let full = run_gd(data, model, &theta0, &cfg, &mut obs).unwrap();
    let (full_traj, (full_drift, rounding)) = (obs.0.finish(), obs.1);
    let mut obs =
        (Recorder::new(data, sched.clone()), DriftBound::new(data, &theta0, &sched.checkpoints, Path::Reduced));
    let fast = run_gd_reduced(data, model, &theta0, &cfg, &mut obs).unwrap();
    let (fast_traj, fast_drift) = (obs.0.finish(), obs.1);

    let (s, t) = (&full.summary, &fast.summary);
    assert_eq!((s.steps, s.gradient_evaluations, s.stop_reason), (t.steps, t.gradient_evaluations, t.stop_reason));
    // per neuron: the rounding budget of the whole run, more for a neuron that shrank
    let tol = gd_tolerance(data, steps);
    let tols = GdRoundingBound::tolerances(&rounding.acc, tol);
    let drift = fast_drift.acc.plus(&full_drift.acc);
    let fin = compare(&fast.final_params, &full.final_params, data, model.negative_slope(), &tols, &drift, PATHS);
    // losses at `tol`: a neuron's share of h is quadratic in its size, so one that shrank adds only
    // its (amplified) absolute difference times its small size
    let norm_sq = full.final_params.norm_sq();
    assert_losses_close(s.final_loss, t.final_loss, data.n(), norm_sq, tol, "final loss");
    assert_eq!(rounding.at_checkpoints.len(), full_drift.at_checkpoints.len());
    let bounds =
        checkpoint_bounds(&fast_drift, &full_drift, |i| GdRoundingBound::tolerances(&rounding.at_checkpoints[i], tol));
    let (traj, traj_unresolved) = compare_trajectories(&full_traj, &fast_traj, data, &model, tol, true, &bounds);
    let (worst_j, max_tol) = tols.iter().enumerate().fold((0, 0.0f64), |w, (j, &t)| if t > w.1 { (j, t) } else { w });
    eprintln!(
        "gd   n={} d={} m={:3} lambda={:.1e}: {steps:5} of {whole:5} steps: params {:.1e}, trajectory {traj:.1e}, tol {tol:.1e} (up to {max_tol:.1e}, neuron {worst_j})",
        data.n(),
        data.d(),
        theta0.m(),
        instance.lambda(),
        fin.full,
    );
    // every coordinate was resolved: nothing is exempt
    assert_eq!((fin.unresolved, traj_unresolved), (0, 0));
    for (j, (diff, tol)) in rel_diffs(&fast.final_params, &full.final_params).into_iter().zip(&tols).enumerate() {
        assert!(diff <= *tol, "parameters of neuron {j} differ by {diff:e} > {tol:e}");
    }
    (fin, steps, whole)
}

proptest! {
    #![proptest_config(config(6))]

    /// Random instances, lambda from 1e-2 to 1e-8: GD through (nearly always) the whole
    /// saddle-to-saddle dynamics, the two paths agree to rounding.
    #[test]
    fn gd_reduced_matches_full(instance in InstanceShape::default().with_lambda_exp10(2..=8).strategy()) {
        check_gd(&instance, instance.valid_model().unwrap());
    }

    /// Random instances, lambda from 1e-9 to 1e-300: GD up to the end of the full path's resolution.
    #[test]
    fn gd_reduced_matches_full_small_lambda(instance in InstanceShape::default().with_lambda_exp10(9..=300).strategy()) {
        check_gd(&instance, instance.valid_model().unwrap());
    }
}

/// The ends of the lambda range, always run. At `lambda = 1e-2` the whole dynamics is compared.
#[test]
fn gd_reduced_matches_full_at_extreme_lambdas() {
    let large = InstanceShape::default().sample(11).unwrap().with_lambda(1e-2);
    let (_, steps, whole) = check_gd(&large, large.valid_model().unwrap());
    assert_eq!(steps, whole);
    let small = InstanceShape::default().sample(12).unwrap().with_lambda(1e-300);
    check_gd(&small, small.valid_model().unwrap());
}

/// The `act'(0)` and leaky options act the same in both paths (read from `ValidModel`).
#[test]
fn gd_reduced_matches_full_for_other_activations() {
    let instance = InstanceShape::default().sample(21).unwrap().with_lambda(1e-6);
    for model in [
        Model { activation: Activation::Leaky { slope: 0.1 }, relu_prime_at_zero: 0.1 },
        Model { activation: Activation::Relu, relu_prime_at_zero: 1.0 },
    ] {
        check_gd(&instance, model.validate().unwrap());
    }
}

/// A neuron that shrinks (the shrunk case of a `PROPTEST_RNG_SEED=7` failure, `n = d = 2`): neuron
/// 0 has `a_0 < 0` and `w_0` near the point of positive label, shrinks by a factor 144 along the
/// stable direction of its saddle until that coordinate crosses 0, and the paths' difference,
/// amplified meanwhile, exceeds `2 (n + d) eps K` relative to its final size ([`GdRoundingBound`]).
#[test]
fn gd_reduced_matches_full_for_a_shrinking_neuron() {
    let x = vec![vec![-0.7609103167955766, -0.648857064224515], vec![-0.648857064224515, 0.760910316795576]];
    let data = Dataset::new(x, vec![-0.5403487805259132, 1.920678484755257]).unwrap();
    let instance = Instance::balanced(data, 16, 1.4999999999999999e-36, 470703);
    check_gd(&instance, instance.valid_model().unwrap());
}

// ------------------------------------------------------------------------------------------
// Gradient flow
// ------------------------------------------------------------------------------------------

/// The coordinates that left the class `Negative`, step by step.
#[derive(Default)]
struct LeftNegative {
    last: Option<Vec<Class>>,
    /// `Negative -> Zero`: the same vector field for ReLU with `relu'(0) = 0`.
    to_zero: u64,
    /// `Negative -> Positive`: a frozen coordinate reactivated.
    to_positive: u64,
}
impl Observer for LeftNegative {
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, view: &View) {
        let classes = view.classes.expect("the flow reports its classes");
        if let Some(last) = &self.last {
            for (a, b) in last.iter().zip(classes) {
                match (a, b) {
                    (Class::Negative, Class::Zero) => self.to_zero += 1,
                    (Class::Negative, Class::Positive) => self.to_positive += 1,
                    _ => {}
                }
            }
        }
        self.last = Some(classes.to_vec());
    }
}

const FLOW_RTOL: f64 = 1e-8;

fn flow_cfg(rtol: f64, horizon: f64) -> FlowConfig {
    FlowConfig { rtol, stop: StopRule { horizon: Some(horizon), ..Default::default() }, ..Default::default() }
}

/// The flow on both paths to the same horizon, through the whole dynamics. Returns the
/// agreement and the number of spurious events of the full path.
///
/// While the full path resolves every coordinate the two paths take the same steps up to rounding
/// and agree far within `10 rtol`. Once the full path records spurious events (module docs), each
/// cuts a step, the step sequences part, and the paths differ by the difference of their global
/// errors, which can exceed `rtol` (errors accumulate over thousands of steps and are amplified at
/// the saddles). The tolerance is then `10 rtol + 3 E`, with `E` the full path's own global error,
/// measured against the full path at `rtol / 100`: the reduced path may be as inaccurate as the
/// full path (`E`, plus `E` for the full path itself), with a factor 3/2 of slack since global
/// errors of two step sequences are not equal. A fast path that integrated other equations would
/// miss this by orders of magnitude.
fn check_flow(instance: &Instance, model: ValidModel) -> (Agreement, u64) {
    let theta0 = instance.initialisation().unwrap().params;
    let data = &instance.data;
    let horizon = end_of_dynamics(instance);
    let cfg = flow_cfg(FLOW_RTOL, horizon);
    let sched = schedule(horizon);
    let observers = |path| {
        (
            Recorder::new(data, sched.clone()),
            (LeftNegative::default(), DriftBound::new(data, &theta0, &sched.checkpoints, path)),
        )
    };
    let mut full_obs = observers(Path::Full);
    let full = run_flow(data, model, &theta0, &cfg, &mut full_obs).unwrap();
    let mut fast_obs = observers(Path::Reduced);
    let fast = run_flow_reduced(data, model, &theta0, &cfg, &mut fast_obs).unwrap();
    let (s, t) = (&full.summary, &fast.summary);
    let (full_left, full_drift) = &full_obs.1;
    let (fast_left, fast_drift) = &fast_obs.1;

    // With relu'(0) = 0 and slope 0 a Negative coordinate never moves (Lemma 6): the reduced path
    // holds it exactly; the full path may see its rounding noise cross 0.
    let frozen = model.negative_slope() == 0.0 && model.relu_prime_at_zero() == 0.0;
    let spurious = if frozen { full_left.to_zero + full_left.to_positive } else { 0 };
    if frozen {
        assert_eq!(
            (fast_left.to_zero, fast_left.to_positive),
            (0, 0),
            "a Negative coordinate moved in the reduced path"
        );
        assert_eq!(
            full_left.to_positive, 0,
            "the full path reactivated a frozen coordinate (Lemma 6 broken by rounding)"
        );
    }
    assert_eq!(s.events, t.events + spurious, "events: full = reduced + the full path's noise crossings");
    assert_eq!(s.stop_reason, t.stop_reason);
    assert_eq!((s.time, t.time), (horizon, horizon));
    let (tol, global) = if spurious == 0 {
        (10.0 * FLOW_RTOL, None)
    } else {
        // two full-path runs: each with its own rounding drift
        let mut ref_drift = DriftBound::new(data, &theta0, &[], Path::Full);
        let reference = run_flow(data, model, &theta0, &flow_cfg(FLOW_RTOL / 100.0, horizon), &mut ref_drift).unwrap();
        let drift = full_drift.acc.plus(&ref_drift.acc);
        let names = ("rtol 1e-8", "rtol 1e-10");
        let m = theta0.m();
        let e = compare(
            &full.final_params,
            &reference.final_params,
            data,
            model.negative_slope(),
            &vec![1.0; m],
            &drift,
            names,
        );
        (10.0 * FLOW_RTOL + 3.0 * e.resolved, Some(e.resolved))
    };
    let drift = fast_drift.acc.plus(&full_drift.acc);
    let tols = vec![tol; theta0.m()];
    let fin = compare(&fast.final_params, &full.final_params, data, model.negative_slope(), &tols, &drift, PATHS);
    assert_losses_close(s.final_loss, t.final_loss, data.n(), full.final_params.norm_sq(), tol, "final loss");
    let same_dynamics = |a: &Class, b: &Class| a == b || (frozen && *a != Class::Positive && *b != Class::Positive);
    let (cf, cs) = (full.final_classes.as_ref().unwrap(), fast.final_classes.as_ref().unwrap());
    assert!(cf.iter().zip(cs).all(|(a, b)| same_dynamics(a, b)), "final classes");
    let bounds = checkpoint_bounds(fast_drift, full_drift, |_| tols.clone());
    let (traj, _) = compare_trajectories(&full_obs.0.finish(), &fast_obs.0.finish(), data, &model, tol, true, &bounds);
    eprintln!(
        "flow n={} d={} m={:3} lambda={:.1e}: steps {}/{} events {}/{} ({spurious} spurious) evals {}/{}: params {:.1e}, trajectory {traj:.1e}, tol {tol:.1e}{}",
        data.n(),
        data.d(),
        theta0.m(),
        instance.lambda(),
        s.steps,
        t.steps,
        s.events,
        t.events,
        s.gradient_evaluations,
        t.gradient_evaluations,
        fin.resolved,
        global.map_or(String::new(), |e| format!(" (full path's global error {e:.1e})")),
    );
    if spurious == 0 {
        // the same steps up to rounding while the dynamics drives the step size
        assert!(s.steps.abs_diff(t.steps) <= s.steps / 10, "steps {} (full) vs {} (reduced)", s.steps, t.steps);
    }
    (fin, spurious)
}

proptest! {
    #![proptest_config(config(6))]

    /// Random instances, lambda from 1e-2 to 1e-300, the flow through the whole dynamics at the
    /// same rtol: the two paths agree within 10 rtol.
    #[test]
    fn flow_reduced_matches_full(instance in InstanceShape::default().with_lambda_exp10(2..=300).strategy()) {
        check_flow(&instance, instance.valid_model().unwrap());
    }
}

/// The ends of the lambda range, always run. At `lambda = 1e-2` the full path resolves every
/// coordinate: same events, same steps.
#[test]
fn flow_reduced_matches_full_at_extreme_lambdas() {
    let large = InstanceShape::default().sample(31).unwrap().with_lambda(1e-2);
    assert_eq!(check_flow(&large, large.valid_model().unwrap()).1, 0);
    let small = InstanceShape::default().sample(32).unwrap().with_lambda(1e-300);
    check_flow(&small, small.valid_model().unwrap());
}

/// A leaky ReLU (inactive coordinates move) through the same event logic.
#[test]
fn flow_reduced_matches_full_for_leaky_relu() {
    let instance = InstanceShape::default().sample(41).unwrap().with_lambda(1e-6);
    let model = Model { activation: Activation::Leaky { slope: 0.1 }, relu_prime_at_zero: 0.0 };
    check_flow(&instance, model.validate().unwrap());
}

// ------------------------------------------------------------------------------------------
// Orthogonal inputs that are not unit-norm (the Section 5 toy)
// ------------------------------------------------------------------------------------------

/// GD on the toy and on scaled orthonormal data: the same agreement criterion as on orthonormal
/// inputs (`2 (n + d) eps K` over the steps the full path resolves, more for a neuron that shrinks:
/// [`GdRoundingBound`]).
#[test]
fn gd_reduced_matches_full_on_orthogonal_inputs() {
    for (lambda, seed) in [(1e-2, 1), (1e-6, 2), (1e-30, 3)] {
        let toy = toy_instance(8, lambda, seed);
        assert!(toy.data.assumptions().orthogonal_not_unit);
        check_gd(&toy, toy.valid_model().unwrap());
    }
    for (seed, lambda) in [(51, 1e-2), (52, 1e-6), (53, 1e-40)] {
        let inst = scaled_orthogonal(&InstanceShape::default().sample(seed).unwrap().with_lambda(lambda));
        assert!(inst.data.assumptions().orthogonal_not_unit);
        check_gd(&inst, inst.valid_model().unwrap());
    }
    let inst = scaled_orthogonal(&InstanceShape::default().sample(54).unwrap().with_lambda(1e-4));
    check_gd(
        &inst,
        Model { activation: Activation::Leaky { slope: 0.1 }, relu_prime_at_zero: 0.1 }.validate().unwrap(),
    );
}

/// The flow on the toy and on scaled orthonormal data, as on orthonormal inputs.
#[test]
fn flow_reduced_matches_full_on_orthogonal_inputs() {
    for (lambda, seed) in [(1e-2, 1), (1e-6, 2), (1e-30, 3)] {
        let toy = toy_instance(8, lambda, seed);
        check_flow(&toy, toy.valid_model().unwrap());
    }
    for (seed, lambda) in [(61, 1e-2), (62, 1e-6), (63, 1e-40)] {
        let inst = scaled_orthogonal(&InstanceShape::default().sample(seed).unwrap().with_lambda(lambda));
        check_flow(&inst, inst.valid_model().unwrap());
    }
    let inst = scaled_orthogonal(&InstanceShape::default().sample(64).unwrap().with_lambda(1e-6));
    check_flow(
        &inst,
        Model { activation: Activation::Leaky { slope: 0.1 }, relu_prime_at_zero: 0.0 }.validate().unwrap(),
    );
}

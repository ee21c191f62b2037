//! Claim checks: the early phase (Appendix B.3, Section 4.1): L7, L8, L9 and AL.
//!
//! Everything here judges one simulation of the gradient flow on `[0, t-1]` (plus, for negative
//! controls, any extra checkpoint times), a [`PhaseOne`]:
//! - [`check_l7`]: Lemma 7 at `t+1 = -eps ln(lambda)/|D+|` ([`l7_parts`] gives the three parts).
//! - [`check_l8`]: Lemma 8 at `t-1 = -eps r ln(lambda)/|D+|` ([`l8_parts`]).
//! - [`check_l9`]: Lemma 9, no collapse of `S+,1` on `[0, t+1]` and of `S-,1` on `[0, t-1]`.
//! - [`check_al`]: eqs. (9)-(10), neurons with the same activation pattern point the same way at
//!   the end of phase 1.
//!
//! ## Which `lambda`, which `eps`
//! The lemma bounds are powers `lambda^(eps/k)` and only mean something for tiny `lambda`: with
//! `eps = 0.03`, `2 lambda^eps` is `0.25` at `lambda = 1e-30` (barely a statement) and `2e-9` at
//! `lambda = 1e-300`. [`instance`] therefore draws `lambda` in `[1e-300, 2e-300)` ([`LAMBDA_EXP10`]),
//! the smallest scale the simulator reaches with full relative precision (per-neuron binary
//! exponents, [`ScaledParams`]); all comparisons are made in log space (`ln |w_j|`,
//! `ln(1 - cos)`), where nothing underflows.
//!
//! `eps` is given by [`eps_for`]: `theory::epsilon_max(data)` (the largest `eps` Appendix B.2
//! admits, with the corrected `alpha`, `beta` of `CLAIMS.md`), lowered where an alignment bound
//! would fall below what an `f64` direction can resolve ([`LN_RESOLUTION`]: `lambda^eps` must
//! stay `>= e^-50 ~ 2e-22`, i.e. `eps <= 0.0724` at `lambda = 1e-300`; for AL
//! `r eps <= 0.0724`). Every `0 < eps <= eps_max` is admissible (Lemmas 7-9 hold for each), and
//! the largest resolvable one gives the strictest bound `2 lambda^eps` that can be decided and
//! the latest phase end `t+1` (most growth before the norm bound (i) is checked). The tests also
//! run `eps / 2` and `eps / 4`.
//!
//! ## Units of the verdicts
//! Every verdict here compares logarithms: `measured = ln(quantity)`, `bound = ln(paper bound)`,
//! so `margin = ln(bound / quantity)` is the (natural-log) factor of slack, comparable across
//! the parts of a lemma ([`Verdict::all`] of the parts is the lemma's verdict: it holds iff every
//! part that can bite holds, and its numbers are the binding part's).
//!
//! ## No evidence, no pass
//! A part about `S+,1` (or `S-,1`) fails when the set is empty (there is nothing to judge; the
//! guarded [`crate::claims::check`] skips such instances first, on the requirement
//! `SPlusOneNonEmpty` / `SMinusOneNonEmpty`). A part whose bound cannot bite on the instance is
//! marked vacuous ([`Verdict::vacuous_if`]): the alignment (ii) of L7/L8 when `2 lambda^eps >= 1`
//! (every neuron of the set satisfies it at `t = 0`), AL's parts of a group with
//! `delta_G >= 1`.
//!
//! ## Accuracy
//! The flow is integrated with [`RTOL`] (relative, per neuron, at every scale): norms and
//! directions carry relative errors of order `1e-9` at most, i.e. `1e-9` in the log units of
//! the verdicts. No slack is added for it: the smallest margins seen (0.71 for L7/L8 (i) over
//! 150 seeds; 7.9 for AL, 14.8 for L9) are many orders above it, so it cannot flip a verdict.

use super::{ClaimId, Outcome, Verdict};
use crate::Instance;
use crate::data::Dataset;
use crate::generators::InstanceShape;
use crate::init::NeuronSets;
use crate::network::ValidModel;
use crate::network::dot;
use crate::params::{ScaledParams, norm};
use crate::solver::flow::{FlowConfig, ZERO_BAND, run_flow};
use crate::solver::{Observer, SimulationError, StopRule, View};
use crate::theory::{self, PhaseTimes};
use crate::trajectory::{Checkpoint, Recorder, SampleSchedule};

/// `lambda = (1 + k/8) 10^-300` in [`instance`] (see the module docs).
pub const LAMBDA_EXP10: u32 = 300;

/// Relative tolerance of the flow integrator in these checks (per neuron, scale-free).
pub const RTOL: f64 = 1e-10;

/// Relative tolerance for "`<w_j, x_k>` = 0" in Lemma 7 (iii) / Lemma 8 (iii) and for "active"
/// in the AL patterns: `|<w_j, x_k>| <= DEACTIVATION_TOL |w_j| |x_k|`.
///
/// Where it comes from: the flow locates the crossing `<w_j, x_k> = 0` by bisection on its
/// dense output to `2^-60` of a step and ends the step at the first point where the coordinate
/// is `<= 0`; from then on the coordinate is in the integrator's `Zero` class, where its
/// velocity `a_j <D_j, x_k>` is zero on orthonormal inputs up to rounding. The integrator itself
/// treats `|<w_j, x_k>| < ZERO_BAND |w_j| |x_k|` as "on the boundary" (`act' = relu'(0) = 0`)
/// and re-classifies a coordinate only when it leaves that band, so `ZERO_BAND = 1e-9` is the
/// resolution at which the simulator's "`= 0`" means anything; this tolerance is that constant,
/// not a tuned number. (Measured values are at rounding level, `~1e-16`.)
pub const DEACTIVATION_TOL: f64 = ZERO_BAND;

/// `ln` of the smallest `lambda^eps` (hence of the smallest bound `2 lambda^eps` on `1 - cos`, up
/// to the factor 2) that these checks evaluate: `e^-50 ~ 2e-22`.
///
/// Why: a direction stored in `f64` has per-component rounding `~2^-53 |w|`, so the computed
/// `1 - cos` between two states (or a state and `D+`) has a floor near `d 2^-106 ~ 1e-32`
/// (measured on these runs: `ln(1 - cos)` bottoms out at `-72 ... -74`). The true flow's
/// `1 - cos` at `t+1` is `~lambda^(2 eps)`, far below that at `lambda = 1e-300`, but the
/// simulated state cannot represent it; a bound `2 lambda^eps` below the floor could therefore
/// not be decided either way. `e^-50` keeps a factor `e^22 ~ 4e9` between the smallest bound
/// checked and the floor. See [`eps_for`]: `eps` is lowered (within `(0, eps_max]`, where every
/// value is admissible) so that the alignment bounds stay at or above this level.
pub const LN_RESOLUTION: f64 = -50.0;

/// The `eps` the checks of `id` use on `data` at `ln(lambda)`: `epsilon_max` (Appendix B.2,
/// corrected), lowered where needed so that the smallest alignment bound is `>= e^LN_RESOLUTION`:
/// - L7, L8: the bound (ii) is `2 lambda^eps`, so `eps <= -LN_RESOLUTION / |ln lambda|`
///   (`0.0724` at `lambda = 1e-300`);
/// - AL: the tightest group bound is `2 exp(-|D+| t-1) = 2 lambda^(r eps)`, so
///   `eps <= -LN_RESOLUTION / (r |ln lambda|)`;
/// - L9 (norms only, exact in log space): `epsilon_max`.
///
/// `None` if `epsilon_max` is undefined (a label sign missing, `r <= 1`).
pub fn eps_for(id: ClaimId, data: &Dataset, ln_lambda: f64) -> Option<f64> {
    let eps_max = theory::epsilon_max(data)?;
    let l = -ln_lambda;
    Some(match id {
        ClaimId::L7 | ClaimId::L8 => eps_max.min(-LN_RESOLUTION / l),
        ClaimId::AL => eps_max.min(-LN_RESOLUTION / (theory::r(data) * l)),
        _ => eps_max,
    })
}

/// Which half of phase 1: `S+,1` with `D+` (Lemma 7) or `S-,1` with `-D-` (Lemma 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// `S+,1`, `D+`, `t+1`, negative labels deactivated.
    Plus,
    /// `S-,1`, `-D-`, `t-1`, positive labels deactivated.
    Minus,
}

/// One simulation of phase 1: the instance's constants and the states the checks need.
#[derive(Clone, Debug)]
pub struct PhaseOne {
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

/// Tracks, for every neuron, the minimum of `ln |w_j|` over `[0, t_end_j]`.
struct MinTracker {
    t_end: Vec<f64>,
    min: Vec<(f64, f64)>,
}

impl MinTracker {
    fn see(&mut self, time: f64, p: &ScaledParams) {
        for j in 0..self.t_end.len() {
            if time <= self.t_end[j] {
                let v = p.ln_norm_w(j);
                if !(v >= self.min[j].0) {
                    self.min[j] = (v, time);
                }
            }
        }
    }
}

impl Observer for MinTracker {
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, view: &View) {
        self.see(view.time, view.params);
    }
}

impl PhaseOne {
    /// Runs the flow of `instance` from 0 to `max(t-1, extra_times)` with checkpoints at `t+1`,
    /// `t-1` and `extra_times`, for the given `eps` (any `0 < eps < 1`; the lemmas need
    /// `eps <= epsilon_max`): [`PhaseOne::simulate_from`] on the instance's `theta(0)`, with the
    /// `c`, `c_min` of its draw.
    ///
    /// Errors: `Config` if the instance has no finite phase times (one label sign missing,
    /// `r <= 1`), or whatever the flow reports.
    pub fn simulate(instance: &Instance, eps: f64, extra_times: &[f64]) -> Result<Self, SimulationError> {
        let init = instance.initialisation()?;
        let start = Start { params: init.params, ln_lambda: instance.ln_lambda(), c: init.c, c_min: init.c_min };
        Self::simulate_from(&instance.data, instance.valid_model()?, start, eps, extra_times)
    }

    /// [`PhaseOne::simulate`] from a given `theta(0)` (any initialisation, e.g. one built by hand
    /// for a negative control): `S+,1`, `S-,1` are computed from it with `s_j = sign(a_j(0))`.
    pub fn simulate_from(
        data: &Dataset,
        model: ValidModel,
        start: Start,
        eps: f64,
        extra_times: &[f64],
    ) -> Result<Self, SimulationError> {
        let Start { params: initial, ln_lambda, c, c_min } = start;
        let times = theory::phase_times_ln(data, ln_lambda, eps).map_err(|e| SimulationError::Config(e.to_string()))?;
        let sets = NeuronSets::of(&initial, data);
        let m = initial.m();
        let (tp, tm) = (times.t_plus_1, times.t_minus_1);
        let mut cps = vec![tp, tm];
        cps.extend_from_slice(extra_times);
        let horizon = cps.iter().copied().fold(0.0f64, f64::max);
        let schedule =
            SampleSchedule { first: 1e-3, per_decade: 20, every: horizon / 400.0, max_samples: 2000, checkpoints: cps };
        let mut t_end = vec![f64::NEG_INFINITY; m];
        for &j in &sets.s_plus_1 {
            t_end[j] = tp;
        }
        for &j in &sets.s_minus_1 {
            t_end[j] = tm;
        }
        let tracker = MinTracker { t_end, min: vec![(f64::NAN, f64::NAN); m] };
        let mut obs = (Recorder::new(data, schedule), tracker);
        let cfg = FlowConfig {
            rtol: RTOL,
            stop: StopRule { horizon: Some(horizon), ..Default::default() },
            ..Default::default()
        };
        let run = run_flow(data, model, &initial, &cfg, &mut obs)?;
        let (rec, mut tracker) = obs;
        let traj = rec.finish();
        for s in &traj.samples {
            for j in 0..m {
                if s.time <= tracker.t_end[j] && !(s.ln_neuron_norm[j] >= tracker.min[j].0) {
                    tracker.min[j] = (s.ln_neuron_norm[j], s.time);
                }
            }
        }
        for cp in &traj.checkpoints {
            tracker.see(cp.time, &cp.params);
        }
        Ok(Self {
            data: data.clone(),
            eps,
            ln_lambda,
            c,
            c_min,
            sets,
            times,
            initial,
            checkpoints: traj.checkpoints,
            min_ln_norm: tracker.min,
            steps: run.summary.steps,
        })
    }

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

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

fn unit(v: &[f64]) -> Vec<f64> {
    let nv = norm(v);
    v.iter().map(|x| x / nv).collect()
}

/// `1 - cos(u, v)` for unit vectors, computed as `|u - v|^2 / 2` (no cancellation: exact to
/// rounding of the components even when it is far below `f64::EPSILON`).
fn one_minus_cos(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / 2.0
}

/// `ln` of a non-negative quantity, with 0 mapped to `ln(f64::MIN_POSITIVE)` (finite, so that
/// verdicts serialise; such a quantity is "exactly 0" and holds any positive bound).
fn ln_floor(x: f64) -> f64 {
    x.max(f64::MIN_POSITIVE).ln()
}

/// `<w_j, x_k> / (|w_j| |x_k|)`, scale-free.
fn cosine_to_input(p: &ScaledParams, j: usize, data: &Dataset, k: usize) -> f64 {
    let w = p.w_hat(j);
    dot(w, data.x(k)) / (norm(w) * norm(data.x(k)))
}

// ---------------------------------------------------------------------------------------------
// L7 / L8
// ---------------------------------------------------------------------------------------------

/// The three parts of Lemma 7 or Lemma 8 at one state.
#[derive(Clone, Debug, PartialEq)]
pub struct LemmaParts {
    /// (i): `max_j ln |w_j|` against `ln(2 c lambda^(1 - eps))` (L7) or `ln(2 c lambda^(1 - r eps))` (L8).
    pub norm: Verdict,
    /// (ii): `max_{j in S} ln(1 - cos(w_j, v))` against `ln(2 lambda^eps)`, `v = D+` or `-D-`.
    pub alignment: Verdict,
    /// (iii): `max ln |cos(w_j, x_k)|` over `j in S` and the other sign's labels against
    /// `ln(DEACTIVATION_TOL)`.
    pub deactivation: Verdict,
}

impl LemmaParts {
    /// The three parts, in the order (i), (ii), (iii) (for [`Verdict::all`]).
    pub fn parts(&self) -> [Verdict; 3] {
        [self.norm.clone(), self.alignment.clone(), self.deactivation.clone()]
    }
}

fn lemma_parts(run: &PhaseOne, state: &Checkpoint, side: Side) -> LemmaParts {
    let (claim, set, dir, dnorm, name, t_name, t_lemma) = match side {
        Side::Plus => (
            ClaimId::L7,
            &run.sets.s_plus_1,
            theory::d_plus(&run.data),
            run.times.d_plus_norm,
            "S+,1",
            "t+1",
            run.times.t_plus_1,
        ),
        Side::Minus => (
            ClaimId::L8,
            &run.sets.s_minus_1,
            theory::d_minus(&run.data).iter().map(|v| -v).collect(),
            run.times.d_minus_norm,
            "S-,1",
            "t-1",
            run.times.t_minus_1,
        ),
    };
    let p = &state.params;
    let (ln_l, eps, r) = (run.ln_lambda, run.eps, run.times.r);
    let at = format!(
        "state at t = {:.6} ({} = {:.6}; eps = {:.5}, ln(lambda) = {:.2}, r = {:.4}, n = {}, d = {}, m = {})",
        state.time,
        t_name,
        t_lemma,
        eps,
        ln_l,
        r,
        run.data.n(),
        run.data.d(),
        p.m()
    );

    // (i) every neuron
    let ln_norm_bound = match side {
        Side::Plus => theory::ln_lemma7_norm_bound(run.c, ln_l, eps),
        Side::Minus => theory::ln_lemma8_norm_bound(run.c, ln_l, eps, r),
    };
    let (j_big, ln_big) =
        (0..p.m()).map(|j| (j, p.ln_norm_w(j))).fold((0, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
    let exponent = match side {
        Side::Plus => "1 - eps".to_string(),
        Side::Minus => "1 - r eps".to_string(),
    };
    let norm = Verdict::at_most(
        claim,
        ln_big,
        ln_norm_bound,
        format!(
            "(i) max_j ln|w_j| <= ln(2 c lambda^({exponent})): neuron {j_big} has ln|w_j| = {ln_big:.4} vs bound {ln_norm_bound:.4} (c = {:.4}); {at}",
            run.c
        ),
    ).in_log_units();

    // (ii) alignment of the set with dir
    let u = unit(&dir);
    let ln_gap_bound = std::f64::consts::LN_2 + eps * ln_l;
    let (j_worst, ln_gap) = set
        .iter()
        .map(|&j| (j, ln_floor(one_minus_cos(&unit(p.w_hat(j)), &u))))
        .fold((usize::MAX, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
    let target = match side {
        Side::Plus => "D+",
        Side::Minus => "-D-",
    };
    let alignment = if set.is_empty() {
        Verdict::failed(claim, format!("(ii) {name} is empty: no neuron to align with {target} (no evidence); {at}"))
    } else {
        Verdict::at_most(
            claim,
            ln_gap,
            ln_gap_bound,
            format!(
                "(ii) <w_j/|w_j|, {target}> >= (1 - 2 lambda^eps)|{target}| for all j in {name} (|{name}| = {}), i.e. \
                 ln(1 - cos(w_j, {target})) <= ln(2 lambda^eps) = {ln_gap_bound:.4}: worst neuron {j_worst} has \
                 {ln_gap:.4} (|{target}| = {dnorm:.4}); {at}",
                set.len()
            ),
        )
        .in_log_units()
        // every w in the closed cone of the set's definition has <w, target> >= 0, so 1 - cos <= 1:
        // with 2 lambda^eps >= 1 the state at t = 0 already satisfies (ii)
        .vacuous_if(
            ln_gap_bound >= 0.0,
            format!("2 lambda^eps >= 1: every neuron of {name} satisfies (ii) at t = 0, where <w_j, {target}> >= 0"),
        )
    };

    // (iii) deactivation on the other sign's labels
    let other: Vec<usize> = (0..run.data.n())
        .filter(|&k| match side {
            Side::Plus => run.data.y()[k] < 0.0,
            Side::Minus => run.data.y()[k] > 0.0,
        })
        .collect();
    let mut worst = (0.0f64, usize::MAX, usize::MAX, false);
    for &j in set {
        for &k in &other {
            let started_active = dot(run.initial.w_hat(j), run.data.x(k)) >= 0.0;
            let cos = cosine_to_input(p, j, &run.data, k);
            // started active: must now be 0; started inactive: must still be < 0 (Lemma 6)
            let v = if started_active { cos.abs() } else { cos.max(0.0) };
            if v > worst.0 || worst.1 == usize::MAX {
                worst = (v, j, k, started_active);
            }
        }
    }
    let labels = match side {
        Side::Plus => "y_k < 0",
        Side::Minus => "y_k > 0",
    };
    let deactivation = if set.is_empty() || other.is_empty() {
        let missing = if set.is_empty() { format!("{name} is empty") } else { format!("no label with {labels}") };
        Verdict::failed(claim, format!("(iii) {missing}: nothing to deactivate (no evidence); {at}"))
    } else {
        Verdict::at_most(
            claim,
            ln_floor(worst.0),
            DEACTIVATION_TOL.ln(),
            format!(
                "(iii) j in {name}, {labels}: <w_j, x_k> = 0 if it started >= 0, stays < 0 otherwise, to \
                 |cos(w_j, x_k)| <= {DEACTIVATION_TOL:e}: worst (j = {}, k = {}, started {}) has {:.3e}; {at}",
                worst.1,
                worst.2,
                if worst.3 { "active" } else { "inactive" },
                worst.0
            ),
        )
        .in_log_units()
    };
    LemmaParts { norm, alignment, deactivation }
}

/// Lemma 7 (claim L7), its three parts at `state` (the tests pass the state at `t+1`; negative
/// controls pass other times with the bounds of `t+1`).
///
/// Finite statement, with `eps = run.eps`, `lambda = exp(run.ln_lambda)`, `c = max_j |g_j|`:
/// (i) `ln |w_j| <= ln 2 + ln c + (1 - eps) ln(lambda)` for every `j`;
/// (ii) `ln(1 - cos(w_j, D+)) <= ln 2 + eps ln(lambda)` for every `j in S+,1` (this is
/// `<w_j/|w_j|, D+> >= (1 - 2 lambda^eps)|D+|` divided by `|D+|`; `1 - cos` is computed as
/// `|u - v|^2/2` on unit vectors, exact far below `f64::EPSILON`);
/// (iii) for `j in S+,1` and `y_k < 0`: `|cos(w_j, x_k)| <= DEACTIVATION_TOL` if
/// `<w_j(0), x_k> >= 0`, and `cos(w_j, x_k) <= DEACTIVATION_TOL` otherwise. The paper writes
/// `<w_j, x_k> = 0`; its proof's first line ("if `<w0_j, x_k> < 0`, nothing to prove", Lemma 6)
/// shows the intended statement is "inactive", exactly 0 for the coordinates that started active.
///
/// Tolerances: (i), (ii) are the printed bounds, no slack; (iii) is [`DEACTIVATION_TOL`] (the
/// integrator's resolution of 0). `lambda`: see the module docs (`1e-300` in [`instance`]).
///
/// No evidence, no pass: (ii) and (iii) fail when `S+,1` is empty ((iii) also when no label is
/// negative). (ii) is vacuous when `2 lambda^eps >= 1`: every `j in S+,1` has
/// `<w_j(0), D+> >= 0` (the definition of `S+`), so `1 - cos(w_j(0), D+) <= 1` and a neuron that
/// never moved satisfies it.
pub fn l7_parts(run: &PhaseOne, state: &Checkpoint) -> LemmaParts {
    lemma_parts(run, state, Side::Plus)
}

/// Lemma 7 (claim L7) at `state`: [`Verdict::all`] of [`l7_parts`].
pub fn check_l7(run: &PhaseOne, state: &Checkpoint) -> Verdict {
    Verdict::all(ClaimId::L7, l7_parts(run, state).parts())
}

/// Lemma 8 (claim L8), its three parts at `state` (the tests pass the state at `t-1`).
///
/// Finite statement: (i) `ln |w_j| <= ln 2 + ln c + (1 - r eps) ln(lambda)` for every `j`;
/// (ii) `ln(1 - cos(w_j, -D-)) <= ln 2 + eps ln(lambda)` for every `j in S-,1` (exponent `eps`,
/// not `r eps`, as printed; `t-1 = -eps ln(lambda)/|D-|` makes it Lemma 7's statement for `-D-`);
/// (iii) for `j in S-,1` and `y_k > 0`: as in [`l7_parts`]. Tolerances as in [`l7_parts`].
pub fn l8_parts(run: &PhaseOne, state: &Checkpoint) -> LemmaParts {
    lemma_parts(run, state, Side::Minus)
}

/// Lemma 8 (claim L8) at `state`: [`Verdict::all`] of [`l8_parts`].
pub fn check_l8(run: &PhaseOne, state: &Checkpoint) -> Verdict {
    Verdict::all(ClaimId::L8, l8_parts(run, state).parts())
}

// ---------------------------------------------------------------------------------------------
// L9
// ---------------------------------------------------------------------------------------------

/// Lemma 9 (claim L9): no collapse.
///
/// Finite statement: for every `j in S+,1`, `min ln |w_j(t)|` over `t in [0, t+1]` is
/// `>= ln(c_min/2) + (1 + eps) ln(lambda)` (= `ln(c_min lambda^(1+eps)/2)`), and for every
/// `j in S-,1`, over `[0, t-1]`, `>= ln(c_min/2) + (1 + r eps) ln(lambda)`. The minimum is taken
/// over every accepted step of the integrator (a few hundred per run), the recorded samples
/// (log-spaced from `1e-3`, then 400 per window) and the checkpoints `t+1`, `t-1`: the norm
/// between two of these changes by a factor `exp(O(|D+| h))` with `h` the step, while the
/// margin is a factor `lambda^-eps / 2` (`> 1e6` at `lambda = 1e-300`), so sampling cannot hide
/// a violation. Tolerance: the printed bound, no slack. Verdict in log units (see module docs):
/// the two sides are the parts (i) and (ii) of one [`Verdict::all`], each failing when its set
/// is empty (a lower bound on the norms of no neuron is no evidence).
///
/// What can break it. The proof chains (1) `d|w_j|/dt = <D_j, w_j>`, which needs the balance
/// `a_j = s_j |w_j|`; (2) `<D+,j, w_j> >= 0` (residual signs are the label signs: `h` small);
/// (3) `|D-,j| <= |D-| + O(h)` (orthonormal inputs); (4) `|D-| <= |D+|` (`r > 1`), into
/// `|w_j(t)| >= |w_j(0)| e^(-|D+| t)`: at `t+1` that is `lambda^eps |w_j(0)|`, twice the bound.
/// The rate `|D+|` is reached only by a neuron whose velocity points at the origin for the whole
/// window, which on orthonormal inputs means a neuron on the boundary of its cone (for `S-,1`:
/// zero on every negative label, its positive-label part along `D+`): there the balanced flow
/// reaches the bound to its factor 2, margin `ln 2` (test
/// `l9_bound_is_reached_to_its_factor_2_on_the_boundary_of_the_cones`). A neuron of `S+,1` in the
/// interior of `S+`, which is every Gaussian draw, cannot come near the bound whatever
/// `a_j(0) > 0` is: its positive-label coordinates grow and its active negative-label ones shrink
/// at most at `|y_k|/n` per unit of `int a_j` and stop at 0 (Lemma 6), so
/// `|w_j|^2 >= |D+|^2 tau^2 + (|w_j(0)| - |D-| tau)_+^2 >= |w_j(0)|^2 r^2 / (1 + r^2)`, more than
/// half of `|w_j(0)|^2` (measured over 150 random instances, balanced or not, leaky ReLU, `lambda`
/// up to 0.999: the largest fall below a neuron's initial norm is a factor 0.445). The physical
/// negative control therefore breaks premise (1) on boundary neurons: with
/// `|a_j(0)| = K |w_j(0)|`, `K > 1`, `a_j^2 = |w_j|^2 + (K^2 - 1)|w_j(0)|^2` keeps the speed up
/// while `|w_j|` shrinks, and `w_j` reaches the origin in finite time; an imbalance
/// `K^2 - 1 >= 4 lambda^(2 r eps)` suffices for `S-,1` (test
/// `l9_negative_control_unbalanced_boundary_neurons`).
pub fn check_l9(run: &PhaseOne) -> Verdict {
    Verdict::all(ClaimId::L9, l9_parts(run))
}

/// The two parts of [`check_l9`]: (i) `S+,1` on `[0, t+1]`, (ii) `S-,1` on `[0, t-1]`.
pub fn l9_parts(run: &PhaseOne) -> [Verdict; 2] {
    let plus = theory::ln_lemma9_lower_bound(run.c_min, run.ln_lambda, run.eps);
    let minus = theory::ln_lemma9_lower_bound_minus(run.c_min, run.ln_lambda, run.eps, run.times.r);
    l9_parts_against(run, plus, minus)
}

/// [`check_l9`] with given log-bounds for the two sides (for negative controls with a wrong
/// constant; [`check_l9`] passes Lemma 9's): [`Verdict::all`] of [`l9_parts_against`].
pub fn check_l9_against(run: &PhaseOne, ln_bound_plus: f64, ln_bound_minus: f64) -> Verdict {
    Verdict::all(ClaimId::L9, l9_parts_against(run, ln_bound_plus, ln_bound_minus))
}

/// The parts of [`check_l9_against`]: (i) `S+,1` on `[0, t+1]` against `ln_bound_plus`, (ii)
/// `S-,1` on `[0, t-1]` against `ln_bound_minus`; a part whose set is empty fails (no evidence).
pub fn l9_parts_against(run: &PhaseOne, ln_bound_plus: f64, ln_bound_minus: f64) -> [Verdict; 2] {
    let constants = format!(
        "c_min = {:.4}, eps = {:.5}, ln(lambda) = {:.2}, r = {:.4}, t+1 = {:.4}, t-1 = {:.4}",
        run.c_min, run.eps, run.ln_lambda, run.times.r, run.times.t_plus_1, run.times.t_minus_1
    );
    let part = |set: &[usize], bound: f64, label: &str, window: &str, exponent: &str| {
        let statement = format!("({label}) min_t ln|w_j(t)| >= ln(c_min lambda^({exponent})/2) for j in {window}");
        // the neuron of the set with the smallest margin
        let Some(&j) = set.iter().min_by(|&&a, &&b| run.min_ln_norm[a].0.total_cmp(&run.min_ln_norm[b].0)) else {
            return Verdict::failed(ClaimId::L9, format!("{statement}: the set is empty (no evidence); {constants}"));
        };
        let (measured, time) = run.min_ln_norm[j];
        // how far a neuron of the set fell below its own initial norm (0 if none did)
        let shrink = set.iter().map(|&i| run.min_ln_norm[i].0 - run.initial.ln_norm_w(i)).fold(0.0f64, f64::min);
        Verdict::at_least(
            ClaimId::L9,
            measured,
            bound,
            format!(
                "{statement}: worst neuron {j} (of {}) reaches ln|w_j| = {measured:.4} at t = {time:.4} vs bound \
                 {bound:.4}; largest fall below a neuron's own initial norm: ln factor {shrink:.4}; {constants}",
                set.len()
            ),
        )
        .in_log_units()
    };
    [
        part(&run.sets.s_plus_1, ln_bound_plus, "i", "S+,1 on [0, t+1]", "1+eps"),
        part(&run.sets.s_minus_1, ln_bound_minus, "ii", "S-,1 on [0, t-1]", "1+r eps"),
    ]
}

// ---------------------------------------------------------------------------------------------
// AL
// ---------------------------------------------------------------------------------------------

/// A group of neurons with the same sign and activation pattern, and its predicted direction.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternGroup {
    /// `s_j` (sign of `a_j(0)`).
    pub sign: f64,
    /// `active[k]`: `<w_j, x_k> > DEACTIVATION_TOL |w_j| |x_k|`.
    pub active: Vec<bool>,
    /// The neurons.
    pub members: Vec<usize>,
    /// `|D_G| = |(1/n) sum_{k active, s y_k > 0} |y_k| x_k|`: the speed of the sphere flow (10).
    pub drive: f64,
    /// `u_G`, the unit vector of that sum (empty if `drive = 0`).
    pub direction: Vec<f64>,
}

/// The groups of neurons with the same `(s_j, activation pattern on the data)` at `state`.
pub fn pattern_groups(run: &PhaseOne, state: &ScaledParams) -> Vec<PatternGroup> {
    let (n, data) = (run.data.n(), &run.data);
    let mut groups: Vec<PatternGroup> = Vec::new();
    for j in 0..state.m() {
        let sign = if run.initial.a_hat(j) >= 0.0 { 1.0 } else { -1.0 };
        let active: Vec<bool> = (0..n).map(|k| cosine_to_input(state, j, data, k) > DEACTIVATION_TOL).collect();
        if let Some(g) = groups.iter_mut().find(|g| g.sign == sign && g.active == active) {
            g.members.push(j);
            continue;
        }
        let mut v = vec![0.0; data.d()];
        for k in (0..n).filter(|&k| active[k] && sign * data.y()[k] > 0.0) {
            for (vi, xi) in v.iter_mut().zip(data.x(k)) {
                *vi += data.y()[k].abs() * xi;
            }
        }
        let drive = norm(&v) / n as f64;
        let direction = if drive > 0.0 { unit(&v) } else { Vec::new() };
        groups.push(PatternGroup { sign, active, members: vec![j], drive, direction });
    }
    groups
}

/// The two parts of the AL check at one state.
#[derive(Clone, Debug, PartialEq)]
pub struct AlParts {
    /// (a) worst `ln(1 - cos(w_j, D_G))` over the members of the covered groups against
    /// `ln(delta_G)`.
    pub direction: Verdict,
    /// (b) worst `ln(1 - cos(w_i, w_j))` over pairs in the same covered group against
    /// `ln(4 delta_G - 2 delta_G^2)`; `None` if no covered group has two members.
    pub pairwise: Option<Verdict>,
}

impl AlParts {
    /// (a), then (b) if any (for [`Verdict::all`]).
    pub fn parts(&self) -> Vec<Verdict> {
        std::iter::once(self.direction.clone()).chain(self.pairwise.clone()).collect()
    }
}

/// Early alignment / quantisation (claim AL, eqs. (9)-(10)) at `state`, with the bounds of the
/// end of phase 1, `T = t-1` (negative controls pass earlier states).
///
/// Grouping: neurons with the same `s_j` and the same activation pattern
/// `{k : <w_j, x_k> > 0}` at `state` ("> 0" read as `> DEACTIVATION_TOL |w_j||x_k|`). A group's
/// driving vector is `D_G = (1/n) sum_{k active, s_j y_k > 0} |y_k| x_k` (the `h = 0` vector
/// `s_j D^0_j` of (10) restricted to the coordinates it grows); groups with `D_G = 0` (neurons
/// inactive on every label they could fit: the sphere flow (10) has nothing to ascend, their
/// direction is frozen by Lemma 6) are not covered by the claim and skipped.
///
/// Finite statement, per covered group `G` with `delta_G = 2 exp(-|D_G| T)`:
/// (a) each member: `1 - cos(w_j, D_G) <= delta_G` (alignment with the common direction);
/// (b) each pair of members: `1 - cos(w_i, w_j) <= 4 delta_G - 2 delta_G^2` (the collapse).
///
/// Tolerance, derived as Lemma 7 (ii) is: along (9) with `h ~ 0` (all norms `<= 2 c
/// lambda^(1 - r eps)` up to `t-1`, Lemma 8 (i)), the coordinates `s_j y_k > 0` that are active
/// at `T` were active since 0 and the inactive ones never moved (Lemma 6), so
/// `f = <w_j/|w_j|, u_G>` obeys `f' >= |D_G| (1 - f^2) - O(m c^2 lambda^(2(1 - r eps)))` (the
/// still-active wrong-sign coordinates only add a non-negative term), `f(0) >= 0`, whence
/// `f(T) >= tanh(a T) >= 1 - 2 exp(-2 a T)` with `a -> |D_G|`. Lemma 7 (ii) states this with the
/// exponent halved, `2 lambda^eps = 2 exp(-|D+| t+1)`, to absorb the `h` corrections; `delta_G`
/// is exactly that form with `D+`, `t+1` replaced by `D_G`, `T` (for `S+,1` at `T = t+1` it is
/// Lemma 7 (ii) itself). (b) follows from (a) by the triangle inequality on angles
/// (`theta <= arccos(1 - delta)`, `1 - cos(2 theta) = 4 delta - 2 delta^2`). With
/// `eps = eps_for(AL, ..)` the smallest `delta_G` (the `S+,1` group, `|D_G| = |D+|`) is
/// `2 lambda^(r eps) >= 2 e^LN_RESOLUTION`. Log units; `None` if no group is covered.
///
/// Vacuity: a group with `delta_G >= 1` cannot fail either part (its members have
/// `<w_j, D_G> > 0`, so `1 - cos(w_j, D_G) < 1`; the pair bound is then 2, the largest
/// `1 - cos`); the parts are judged on the groups with `delta_G < 1` and are vacuous when there
/// are none.
pub fn al_parts(run: &PhaseOne, state: &Checkpoint) -> Option<AlParts> {
    let t_end = run.times.t_minus_1;
    let p = &state.params;
    let groups = pattern_groups(run, p);
    let covered: Vec<&PatternGroup> = groups.iter().filter(|g| g.drive > 0.0).collect();
    if covered.is_empty() {
        return None;
    }
    // (margin, measured, bound, description) of the worst member and the worst pair
    type Worst = Option<(f64, f64, f64, String)>;
    fn consider(worst: &mut Worst, measured: f64, bound: f64, what: impl FnOnce() -> String) {
        let margin = bound - measured;
        if worst.as_ref().is_none_or(|w| margin < w.0) {
            *worst = Some((margin, measured, bound, what()));
        }
    }
    // the worst member and pair of the groups whose bound bites (`delta_G < 1`), and of the others
    let (mut member, mut pair): ([Worst; 2], [Worst; 2]) = ([None, None], [None, None]);
    let (mut pairs, mut members, mut biting) = (0usize, 0usize, 0usize);
    for g in &covered {
        let ln_delta = std::f64::consts::LN_2 - g.drive * t_end;
        let delta = ln_delta.exp();
        // delta_G >= 1: (a) cannot bite (1 - cos(w_j, D_G) < 1 for every member: its active
        // coordinates make <w_j, D_G> > 0), nor (b), whose angle bound 2 arccos(1 - delta) is then
        // at least pi (every pair has 1 - cos <= 2 = the bound)
        let bites = delta < 1.0;
        let ln_pair_bound = if bites { ln_delta + (4.0 - 2.0 * delta).ln() } else { 2f64.ln() };
        let slot = usize::from(!bites);
        biting += usize::from(bites);
        let units: Vec<Vec<f64>> = g.members.iter().map(|&j| unit(p.w_hat(j))).collect();
        let pattern: String = g.active.iter().map(|&a| if a { '1' } else { '0' }).collect();
        for (i, &j) in g.members.iter().enumerate() {
            members += 1;
            let gap = ln_floor(one_minus_cos(&units[i], &g.direction));
            consider(&mut member[slot], gap, ln_delta, || {
                format!(
                    "neuron {j} (s = {:+}, pattern {pattern}, |D_G| = {:.4}): ln(1 - cos(w_j, D_G)) = {gap:.4} vs \
                     ln(2 exp(-|D_G| T)) = {ln_delta:.4}",
                    g.sign, g.drive
                )
            });
            for (i2, &j2) in g.members.iter().enumerate().skip(i + 1) {
                pairs += 1;
                let gap = ln_floor(one_minus_cos(&units[i], &units[i2]));
                consider(&mut pair[slot], gap, ln_pair_bound, || {
                    format!(
                        "pair ({j}, {j2}) (s = {:+}, pattern {pattern}, |D_G| = {:.4}): ln(1 - cos) = {gap:.4} vs \
                         ln(4 delta_G - 2 delta_G^2) = {ln_pair_bound:.4}",
                        g.sign, g.drive
                    )
                });
            }
        }
    }
    let context = format!(
        "state at t = {:.6}, bounds for T = t-1 = {:.6}; {} covered groups ({} with a bound that bites, delta_G < 1), \
         {} neurons, {} pairs ({} groups skipped: no label to fit); eps = {:.5}, ln(lambda) = {:.2}, n = {}, m = {}",
        state.time,
        t_end,
        covered.len(),
        biting,
        members,
        pairs,
        groups.len() - covered.len(),
        run.eps,
        run.ln_lambda,
        run.data.n(),
        p.m()
    );
    // a part is judged on the groups whose bound bites; if there are none, on the others, vacuous
    let judged = |[bites, cannot]: [Worst; 2]| match bites {
        Some(w) => Some((w, false)),
        None => cannot.map(|w| (w, true)),
    };
    let vacuous = "every covered group has delta_G >= 1";
    let ((_, measured, bound, what), all_vacuous) = judged(member).expect("a covered group has a member");
    let direction = Verdict::at_most(
        ClaimId::AL,
        measured,
        bound,
        format!("(a) same pattern => aligned with the group's D_G within 2 exp(-|D_G| T): worst {what}; {context}"),
    )
    .in_log_units()
    .vacuous_if(all_vacuous, vacuous);
    let pairwise = judged(pair).map(|((_, measured, bound, what), all_vacuous)| {
        Verdict::at_most(
            ClaimId::AL,
            measured,
            bound,
            format!("(b) same pattern => pairwise 1 - cos <= 4 delta_G - 2 delta_G^2: worst {what}; {context}"),
        )
        .in_log_units()
        .vacuous_if(all_vacuous, vacuous)
    });
    Some(AlParts { direction, pairwise })
}

/// Claim AL at `state`: [`Verdict::all`] of [`al_parts`] (a) and (b); `None` if no group is covered.
pub fn check_al(run: &PhaseOne, state: &Checkpoint) -> Option<Verdict> {
    al_parts(run, state).map(|p| Verdict::all(ClaimId::AL, p.parts()))
}

// ---------------------------------------------------------------------------------------------
// reluflow verify
// ---------------------------------------------------------------------------------------------

/// The instances of [`instance`]: well-separated (`r >= 1.5`, `eps_max >= 0.02`), Assumptions 1-3,
/// `n` in 2..=4 (width `2^(n+2)` <= 64, to stay well under a second per call), `lambda` in
/// `[1e-300, 2e-300)`.
pub fn shape() -> InstanceShape {
    InstanceShape::well_separated().with_n(2..=4).with_lambda_exp10(LAMBDA_EXP10..=LAMBDA_EXP10)
}

/// The instance of claim `id` (L7, L8, L9 or AL) drawn from `seed` for `reluflow verify`
/// ([`shape`]).
pub fn instance(id: ClaimId, seed: u64) -> Result<Instance, Outcome> {
    shape()
        .sample(seed)
        .ok_or_else(|| Outcome::Skipped { claim: id, reason: "no well-separated instance found for this seed".into() })
}

/// Checks claim `id` (L7, L8, L9 or AL) on `instance` with `eps = eps_for(id, ..)`: one
/// [`PhaseOne`] run, judged at `t+1` (L7) or `t-1` (L8, AL), or over the run (L9).
pub fn check(id: ClaimId, instance: &Instance) -> Outcome {
    if !matches!(id, ClaimId::L7 | ClaimId::L8 | ClaimId::L9 | ClaimId::AL) {
        return Outcome::Skipped { claim: id, reason: format!("{id} is not an early-phase claim") };
    }
    let Some(eps) = eps_for(id, &instance.data, instance.ln_lambda()) else {
        return Outcome::Skipped { claim: id, reason: "epsilon_max undefined (a label sign missing or r <= 1)".into() };
    };
    let phase = match PhaseOne::simulate(instance, eps, &[]) {
        Ok(p) => p,
        Err(e) => return Outcome::Error { claim: id, error: e.to_string() },
    };
    match id {
        ClaimId::L7 => Outcome::Checked(check_l7(&phase, phase.at_t_plus_1())),
        ClaimId::L8 => Outcome::Checked(check_l8(&phase, phase.at_t_minus_1())),
        ClaimId::L9 => Outcome::Checked(check_l9(&phase)),
        _ => match check_al(&phase, phase.at_t_minus_1()) {
            Some(v) => Outcome::Checked(v),
            None => Outcome::Skipped { claim: id, reason: "no neuron group with a label to fit".into() },
        },
    }
}

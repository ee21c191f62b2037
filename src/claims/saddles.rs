//! Claim checks: the saddle-to-saddle phases of Section 4.2 (claims L3, F1, L4).
//!
//! - **L3** (Lemma 3 / Lemma 10): the end of the positive fit, [`check_l3`], and the logistic law
//!   of `u+ = sum_{S+,1} |w_j|^2` during it, [`check_l3_logistic`].
//! - **F1** (Fact 1): the loss plateau at the intermediate saddle, [`check_f1`].
//! - **L4** (Lemma 4 / Lemma 11): the end of the negative fit, [`check_l4`].
//!
//! ## Regime: `lambda = 1e-300`
//! Every bound of these lemmas is a power `lambda^(eps/k)` with `k` up to 29 and, on the
//! well-separated instances ([`InstanceShape::well_separated`]), `eps = epsilon_max` between
//! `0.02` and about `0.15` (each check is also run at `epsilon_max / 2`, see [`EPS_FRACTIONS`]). At `lambda = 1e-300` (`ln lambda = -690.8`) and `eps = 0.05`:
//! `lambda^(eps/2) = 3e-8`, `lambda^(eps/5) = 1e-3`, `lambda^(eps/14) = 0.085`,
//! `lambda^(eps/29) = 0.30`; at `lambda = 1e-30` they would be `0.18`, `0.50`, `0.78`, `0.89`,
//! i.e. vacuous. So all checks run at `lambda` in `[1e-300, 2e-300)`, the smallest scale the
//! simulator reaches with full relative precision ([`ScaledParams`] keeps a per-neuron binary
//! exponent), and compare in log space (`ln |w_j|` from [`ScaledParams::ln_norm_w`], bounds
//! from the `ln_*` functions of [`theory`]). The lemmas hold for `lambda <= lambda*`, which the
//! paper leaves unspecified; a failure at `1e-300` is reported with its numbers, not loosened.
//!
//! ## What is simulated
//! The gradient flow (2) ([`run_flow`], relative tolerance [`FLOW_RTOL`] per neuron) from the
//! balanced initialisation (4), sampled on a uniform grid of [`GRID_POINTS`] + 1 times in
//! `[0, horizon]` by a local observer ([`SaddleTrace`]): at each grid time it stores the loss,
//! `ln u+`, `ln u-`, the worst alignment gaps of `S+,1` and `S-,1`, the largest other neuron
//! (log space), `|D+^t|` and the hidden weights of `S+,1`. Statements "for some `t`" are
//! checked over the grid times; "throughout an interval" over the grid times inside it (the
//! grid step is `horizon / 20000`, at most about `0.6` time units on these instances, while
//! the phases last hundreds to thousands of units and the fastest rise of `u+` from `0.1 n|D+|`
//! to `0.9 n|D+|` takes `ln(81)/(2|D+|) >= 2.2`, as `|D+| <= 1` here).
//!
//! ## Verdicts
//! Each check has several parts (one per inequality of the lemma). Every part is compared in
//! log space, `ln(measured)` against `ln(bound)`, so that parts are commensurable; the
//! [`Verdict`] is that of the binding part (smallest log margin, i.e. `ln(bound/measured)`) and
//! its `statement` lists every part with the instance's numbers. A gap that is exactly 0 is
//! reported as [`LN_ZERO`] (the log of the smallest positive `f64`).
//!
//! ## Negative controls (see `tests/claims_saddles.rs`)
//! The same checks, on: the labels' sign convention broken (`r < 1` without the flip, the theory
//! then predicts the wrong side first); Assumption 3 broken (`S+,1` or `S-,1` empty); an
//! unbalanced initialisation with a neuron whose sign `s_j = sign(a_j(0))` is not the one it
//! grows with; a wrong plateau level or logistic rate (a wrong theory constant); and, for F1 on
//! fixed instances, `lambda = 1e-2`. Large `lambda` does not make L3 or L4 fail: their bounds
//! `lambda^(eps/k)` are then vacuous (e.g. `2 c lambda^eps > 1`).

use super::{ClaimId, Outcome, Verdict};
use crate::Instance;
use crate::data::Dataset;
use crate::generators::InstanceShape;
use crate::params::{ScaledParams, ldexp};
use crate::solver::flow::{FlowConfig, run_flow};
use crate::solver::{Observer, SimulationError, StopRule, View};
use crate::theory;

/// `lambda = (1 + k/8) 10^-300`: the exponent of the instances of [`instance_shape`].
pub const LAMBDA_EXP10: u32 = 300;
/// Relative tolerance per neuron of the flow integrator.
pub const FLOW_RTOL: f64 = 1e-10;
/// Number of grid intervals of a [`SaddleTrace`].
pub const GRID_POINTS: usize = 20_000;
/// `ln` of the smallest positive `f64`: how an exactly-zero gap is reported in log space.
pub const LN_ZERO: f64 = -744.44;

/// The instances of the three claims: well separated (`r >= 1.5`, `eps_max >= 0.02`),
/// Assumptions 1-3, `n` in `2..=4`, width `m` in `8..=16`, `lambda` in `[1e-300, 2e-300)`.
/// Small `n` and `m` keep one run to `t3` (about `10^4` time units) well under a second.
pub fn instance_shape() -> InstanceShape {
    InstanceShape::well_separated().with_n(2..=4).with_width(8..=16).with_lambda_exp10(LAMBDA_EXP10..=LAMBDA_EXP10)
}

fn dot(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v).map(|(a, b)| a * b).sum()
}

fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

fn unit(v: &[f64]) -> Vec<f64> {
    let nv = norm(v);
    if nv > 0.0 { v.iter().map(|x| x / nv).collect() } else { v.to_vec() }
}

/// `ln(x)` for `x >= 0`, with 0 mapped to [`LN_ZERO`] and NaN kept (it fails every part).
fn ln0(x: f64) -> f64 {
    if x == 0.0 { LN_ZERO } else { x.ln() }
}

/// `ln sum_i exp(v_i)` (`-inf` for an empty list).
fn log_sum_exp(v: impl Iterator<Item = f64> + Clone) -> f64 {
    let top = v.clone().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY {
        return top;
    }
    top + v.map(|x| (x - top).exp()).sum::<f64>().ln()
}

// ---------------------------------------------------------------------------------------------
// The theory side: constants of Section 4.1 / Appendix B for one instance
// ---------------------------------------------------------------------------------------------

/// The theory constants the three checks compare against, for one instance and one `eps`.
///
/// Fields are public so that a negative control can build a deliberately wrong theory (a
/// wrong plateau level, a wrong logistic rate, the labels' sides swapped).
#[derive(Clone, Debug, PartialEq)]
pub struct SaddleTheory {
    /// Number of points `n`.
    pub n: usize,
    /// Number of positive labels `n+`.
    pub n_plus: usize,
    /// Width `m`.
    pub m: usize,
    /// `eps` (Appendix B.2).
    pub eps: f64,
    /// `ln(lambda)`.
    pub ln_lambda: f64,
    /// `c = max_j |g_j|`.
    pub c: f64,
    /// `D+` and `D-` (Section 4.1).
    pub d_plus: Vec<f64>,
    pub d_minus: Vec<f64>,
    pub d_plus_norm: f64,
    pub d_minus_norm: f64,
    /// `r = |D+|/|D-|`.
    pub r: f64,
    /// `n|D+|`: the limit of `u+` (Lemma 3 (ii)).
    pub k_plus: f64,
    /// `n|D-|`: the limit of `u-` (Lemma 4 (ii)).
    pub k_minus: f64,
    /// `sum_{y_k<0} |y_k|` (the first-order term of Fact 1's loss band).
    pub sum_abs_negative: f64,
    /// `S+,1`, `S-,1` (eqs. (5)-(6)).
    pub s_plus_1: Vec<usize>,
    pub s_minus_1: Vec<usize>,
    /// Fact 1's plateau level, [`theory::plateau_loss`].
    pub plateau_loss: f64,
    /// The logistic rate `2|D+|` of `u+' = 2|D+|(1 - u+/(n|D+|)) u+` (Section 4.2).
    pub logistic_rate: f64,
    /// `t+1 = -eps ln(lambda)/|D+|` (Lemma 7).
    pub t_plus_1: f64,
    /// `-(1+3eps) ln(lambda)/|D+|` (Lemma 3; also the start of Fact 1's interval).
    pub t2_bound: f64,
    /// `-(1-eps) ln(lambda)/|D-|` (end of Fact 1's interval).
    pub plateau_end: f64,
    /// `-(1+3 r eps) ln(lambda)/|D-|` (Lemma 4).
    pub t3_bound: f64,
}

impl SaddleTheory {
    /// The constants of `instance` for this `eps`, checking the paper's setting: `r > 1` and
    /// `0 < eps <= epsilon_max` (Appendix B.2, as corrected in `CLAIMS.md`).
    pub fn new(instance: &Instance, eps: f64) -> Result<Self, String> {
        let data = &instance.data;
        let eps_max = theory::epsilon_max(data)
            .ok_or_else(|| format!("epsilon_max undefined (r = {:.4} must be > 1, both signs)", theory::r(data)))?;
        if !(eps > 0.0 && eps <= eps_max) {
            return Err(format!("eps = {eps} not in (0, epsilon_max = {eps_max}]"));
        }
        Self::unchecked(instance, eps)
    }

    /// The same formulas for any instance and `eps` (no check of `r > 1` or of `eps`): what a
    /// reader who forgot the label flip would predict (negative controls).
    pub fn unchecked(instance: &Instance, eps: f64) -> Result<Self, String> {
        let data = &instance.data;
        let init = instance.initialisation().map_err(|e| e.to_string())?;
        let sets = crate::init::NeuronSets::of(&init.params, data);
        let (d_plus, d_minus) = (theory::d_plus(data), theory::d_minus(data));
        let (dp, dm) = (norm(&d_plus), norm(&d_minus));
        let n = data.n();
        let r = dp / dm;
        let th = Self {
            n,
            n_plus: theory::n_plus(data),
            m: init.params.m(),
            eps,
            ln_lambda: instance.ln_lambda(),
            c: init.c,
            d_plus,
            d_minus,
            d_plus_norm: dp,
            d_minus_norm: dm,
            r,
            k_plus: n as f64 * dp,
            k_minus: n as f64 * dm,
            sum_abs_negative: data.y().iter().filter(|&&y| y < 0.0).map(|y| -y).sum(),
            s_plus_1: sets.s_plus_1,
            s_minus_1: sets.s_minus_1,
            plateau_loss: theory::plateau_loss(data),
            logistic_rate: 2.0 * dp,
            t_plus_1: 0.0,
            t2_bound: 0.0,
            plateau_end: 0.0,
            t3_bound: 0.0,
        };
        Ok(th.with_eps(eps))
    }

    /// The same constants with another `eps` (the phase times are recomputed; nothing is
    /// checked: the runner only uses fractions of `epsilon_max`, all admissible).
    pub fn with_eps(&self, eps: f64) -> Self {
        let l = -self.ln_lambda;
        Self {
            eps,
            t_plus_1: eps * l / self.d_plus_norm,
            t2_bound: (1.0 + 3.0 * eps) * l / self.d_plus_norm,
            plateau_end: (1.0 - eps) * l / self.d_minus_norm,
            t3_bound: (1.0 + 3.0 * self.r * eps) * l / self.d_minus_norm,
            ..self.clone()
        }
    }

    /// `lambda^(eps/k)` (never underflows for the `k` used here).
    fn lambda_pow(&self, k: f64) -> f64 {
        (self.eps / k * self.ln_lambda).exp()
    }
}

// ---------------------------------------------------------------------------------------------
// The simulation side: a trace of the flow on a uniform grid
// ---------------------------------------------------------------------------------------------

/// The state at one grid time, reduced to what the three checks read.
#[derive(Clone, Debug, PartialEq)]
pub struct SaddleSample {
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

/// The flow sampled on `[0, horizon]` (see the module docs).
#[derive(Clone, Debug)]
pub struct SaddleTrace {
    pub samples: Vec<SaddleSample>,
    pub horizon: f64,
    /// Gradient evaluations of the run.
    pub gradient_evaluations: u64,
}

struct GridObserver<'a> {
    data: &'a Dataset,
    th: &'a SaddleTheory,
    plus_dir: Vec<f64>,
    minus_dir: Vec<f64>,
    in_plus: Vec<bool>,
    in_minus: Vec<bool>,
    horizon: f64,
    next: usize,
    samples: Vec<SaddleSample>,
}

impl GridObserver<'_> {
    fn grid_time(&self, i: usize) -> f64 {
        if i >= GRID_POINTS { self.horizon } else { self.horizon * i as f64 / GRID_POINTS as f64 }
    }

    fn sample(&self, view: &View) -> SaddleSample {
        let p: &ScaledParams = view.params;
        let (data, th) = (self.data, self.th);
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
                    let w = unit(p.w_hat(j));
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
            ln_u_plus: ln_u(&th.s_plus_1),
            ln_u_minus: ln_u(&th.s_minus_1),
            gap_plus: gap(&th.s_plus_1, &self.plus_dir, th.d_plus_norm),
            gap_minus: gap(&th.s_minus_1, &self.minus_dir, th.d_minus_norm),
            ln_max_outside_plus: ln_max(&|j| !self.in_plus[j]),
            ln_max_outside_both: ln_max(&|j| !self.in_plus[j] && !self.in_minus[j]),
            d_plus_t_norm: norm(&dpt),
            w_plus: th.s_plus_1.iter().flat_map(|&j| p.w(j)).collect(),
        }
    }
}

impl Observer for GridObserver<'_> {
    fn next_time(&self) -> f64 {
        if self.next > GRID_POINTS { f64::INFINITY } else { self.grid_time(self.next) }
    }
    fn observe(&mut self, view: &View) {
        let s = self.sample(view);
        self.samples.push(s);
        self.next += 1;
    }
}

/// Runs the gradient flow of `instance` to `horizon` and samples it on the uniform grid.
/// `th` supplies `D+`, `D-`, `S+,1`, `S-,1` (the sets are those of the instance's own
/// initialisation unless a control changed them).
pub fn simulate(instance: &Instance, th: &SaddleTheory, horizon: f64) -> Result<SaddleTrace, SimulationError> {
    let init = instance.initialisation()?;
    let m = init.params.m();
    let mut obs = GridObserver {
        data: &instance.data,
        th,
        plus_dir: unit(&th.d_plus),
        minus_dir: unit(&th.d_minus).iter().map(|v| -v).collect(),
        in_plus: (0..m).map(|j| th.s_plus_1.contains(&j)).collect(),
        in_minus: (0..m).map(|j| th.s_minus_1.contains(&j)).collect(),
        horizon,
        next: 0,
        samples: Vec::with_capacity(GRID_POINTS + 1),
    };
    let cfg = FlowConfig {
        rtol: FLOW_RTOL,
        stop: StopRule { horizon: Some(horizon), ..Default::default() },
        ..Default::default()
    };
    let run = run_flow(&instance.data, instance.valid_model()?, &init.params, &cfg, &mut obs)?;
    Ok(SaddleTrace { samples: obs.samples, horizon, gradient_evaluations: run.summary.gradient_evaluations })
}

// ---------------------------------------------------------------------------------------------
// Parts of a lemma, in log space
// ---------------------------------------------------------------------------------------------

/// The statement of one part: `what` alone, or with `detail` also both values (plain and log).
/// The grid searches build parts at every grid time and describe only the chosen one.
fn describe(what: &str, op: &str, ln_measured: f64, ln_bound: f64, detail: bool) -> String {
    if detail {
        format!("{what}: {:.4e} {op} {:.4e} (ln {ln_measured:.3} vs {ln_bound:.3})", ln_measured.exp(), ln_bound.exp())
    } else {
        what.to_string()
    }
}

/// One inequality `measured <= bound` of a lemma as a verdict part of `claim`, compared in log
/// space: `ln_measured` against `ln_bound` ([`Verdict::in_log_units`]; the margin is
/// `ln(bound/measured)`, so parts of one lemma are commensurable).
fn at_most(claim: ClaimId, what: &str, ln_measured: f64, ln_bound: f64, detail: bool) -> Verdict {
    Verdict::at_most(claim, ln_measured, ln_bound, describe(what, "<=", ln_measured, ln_bound, detail)).in_log_units()
}

/// One inequality `measured >= bound`, as [`at_most`].
fn at_least(claim: ClaimId, what: &str, ln_measured: f64, ln_bound: f64, detail: bool) -> Verdict {
    Verdict::at_least(claim, ln_measured, ln_bound, describe(what, ">=", ln_measured, ln_bound, detail)).in_log_units()
}

/// How a grid time ranks as a witness of a lemma whose inequalities at that time are `parts`:
/// the margin of the part [`Verdict::all`] would report as binding (the worst non-vacuous part,
/// [`Verdict::is_worse_than`]; every part when all are vacuous), NaN counted as `-inf`. The
/// inequalities all hold at that time iff it is `>= 0`.
fn witness_margin(parts: &[Verdict]) -> f64 {
    let all_vacuous = parts.iter().all(Verdict::is_vacuous);
    let binding =
        parts.iter().filter(|p| all_vacuous || !p.is_vacuous()).reduce(|w, p| if p.is_worse_than(w) { p } else { w });
    match binding.map(Verdict::margin) {
        Some(m) if !m.is_nan() => m,
        _ => f64::NEG_INFINITY,
    }
}

fn instance_context(th: &SaddleTheory) -> String {
    format!(
        "n = {}, m = {}, ln(lambda) = {:.2}, eps = {:.4}, |D+| = {:.4}, |D-| = {:.4}, r = {:.3}, c = {:.3}, |S+,1| = {}, |S-,1| = {}",
        th.n,
        th.m,
        th.ln_lambda,
        th.eps,
        th.d_plus_norm,
        th.d_minus_norm,
        th.r,
        th.c,
        th.s_plus_1.len(),
        th.s_minus_1.len()
    )
}

/// `ln |u - K|` from `ln u` (`u = 0` when `ln u = -inf`).
fn ln_mass_gap(ln_u: f64, k: f64) -> f64 {
    ln0((ln_u.exp() - k).abs())
}

// ---------------------------------------------------------------------------------------------
// L3: Lemma 3 / Lemma 10
// ---------------------------------------------------------------------------------------------

/// Lemma 3's three inequalities at grid time `s` (statements with numbers when `detail`).
/// (i) and (ii) are vacuous when their bound is at least the largest value the measured gap can
/// take without the lemma's conclusion: the alignment gap `|D+| - <w_j/|w_j|, D+>` is at most
/// `2|D+|`, and a mass gap `|u+ - n|D+||` of `n|D+|` is that of `u+ = 0` (nothing fitted).
fn l3_parts(s: &SaddleSample, th: &SaddleTheory, detail: bool) -> Vec<Verdict> {
    let (lnl, eps) = (th.ln_lambda, th.eps);
    let id = ClaimId::L3;
    let align = theory::ln_lemma3_alignment_gap(lnl, eps);
    let mass = theory::ln_lemma3_mass_gap(lnl, eps);
    vec![
        at_most(id, "(i) max_{S+,1} |D+| - <w_j/|w_j|, D+> <= lambda^(eps/2)", ln0(s.gap_plus), align, detail)
            .vacuous_if(align >= (2.0 * th.d_plus_norm).ln(), "lambda^(eps/2) >= 2|D+|, the largest gap"),
        at_most(
            id,
            "(ii) |sum_{S+,1} |w_j|^2 - n|D+|| <= lambda^(eps/5)",
            ln_mass_gap(s.ln_u_plus, th.k_plus),
            mass,
            detail,
        )
        .vacuous_if(mass >= th.k_plus.ln(), "lambda^(eps/5) >= n|D+|: u+ = 0 passes"),
        at_most(
            id,
            "(iii) max_{j not in S+,1} |w_j| <= 2 c lambda^eps",
            s.ln_max_outside_plus,
            theory::ln_lemma3_other_norm_bound(th.c, lnl, eps),
            detail,
        ),
    ]
}

/// The first grid index `i` with `t_i <= -(1+3eps) ln(lambda)/|D+|` at which Lemma 3's three
/// inequalities hold: the finite witness of `t2` (Lemma 10 defines `t2` as the first time one of
/// the three conditions of (17) switches; when Lemma 10 holds that is the mass condition, so this
/// is the paper's `t2` up to one grid step).
pub fn l3_witness(trace: &SaddleTrace, th: &SaddleTheory) -> Option<usize> {
    trace
        .samples
        .iter()
        .take_while(|s| s.time <= th.t2_bound)
        .position(|s| witness_margin(&l3_parts(s, th, false)) >= 0.0)
}

/// Lemma 3 / Lemma 10 (claim L3), the state at the end of the positive fit.
///
/// (a) **Statement checked**: there is a grid time `t <= -(1+3eps) ln(lambda)/|D+|` at which,
/// simultaneously, (i) every `j` in `S+,1` has `|D+| - <w_j/|w_j|, D+> <= lambda^(eps/2)`;
/// (ii) `|sum_{S+,1} |w_j|^2 - n|D+|| <= lambda^(eps/5)` (the paper's equality
/// `= n|D+| - lambda^(eps/5)` is the first crossing of that level, Lemma 10's `t2`; read as a
/// bound); (iii) every `j` outside `S+,1` has `|w_j| <= 2 c lambda^eps`. The verdict is at the
/// grid time with the largest smallest margin (the best witness); the statement also gives the
/// first witness (the finite `t2`, [`l3_witness`]).
///
/// (b) **Tolerances**: the three bounds printed in Lemma 3, with `eps` the caller's (the
/// runner uses [`theory::epsilon_max`]), `c = max_j |g_j|`; nothing else.
///
/// (c) **lambda**: `1e-300` in [`instance`] (module docs: at `1e-30` the bounds are vacuous).
pub fn check_l3(trace: &SaddleTrace, th: &SaddleTheory) -> Verdict {
    let context = format!("{}; t2 bound -(1+3eps)ln(lambda)/|D+| = {:.2}", instance_context(th), th.t2_bound);
    let window: Vec<&SaddleSample> = trace.samples.iter().take_while(|s| s.time <= th.t2_bound).collect();
    let scores: Vec<f64> = window.iter().map(|s| witness_margin(&l3_parts(s, th, false))).collect();
    // the first grid time with the largest score (a later tie is not preferred)
    let Some(best) = (0..window.len()).reduce(|b, i| if scores[i] > scores[b] { i } else { b }).map(|i| window[i])
    else {
        return Verdict::failed(ClaimId::L3, format!("{context}; the trace has no sample before the bound"));
    };
    let first = l3_witness(trace, th).map(|i| trace.samples[i].time);
    let context = format!(
        "{context}; best grid time t = {:.2} (u+ = {:.6}, n|D+| = {:.6}); first witness t2 = {}",
        best.time,
        best.ln_u_plus.exp(),
        th.k_plus,
        first.map_or("none".into(), |t| format!("{t:.2}"))
    );
    Verdict::all(ClaimId::L3, l3_parts(best, th, true)).with_context(context)
}

/// `logit(u/K) = ln(u/K) - ln(1 - u/K)` from `ln u` (exact for tiny `u`).
fn logit(ln_u: f64, k: f64) -> f64 {
    let ln_p = ln_u - k.ln();
    ln_p - (-ln_p.exp()).ln_1p()
}

/// The logistic law of Section 4.2 during the positive fit (claim L3, second sentence):
/// `u+' ~ 2|D+| (1 - u+/(n|D+|)) u+`, `u+ = sum_{S+,1} |w_j|^2`.
///
/// (a) **Statement checked**: with `p = u+/(n|D+|)` and `logit(p) = ln(p/(1-p))`, the logistic
/// law is `d logit(p)/dt = 2|D+|`: the closed-form logistic through the measured `u+(t_a)` is
/// `logit(p(t)) = logit(p(t_a)) + 2|D+|(t - t_a)`. Marks: `t_a` = first grid time
/// `>= t+1 = -eps ln(lambda)/|D+|` (end of Lemma 7's alignment phase), then the first grid times
/// `t_0.1`, `t_0.5`, `t_0.9` at which `p` reaches `0.1`, `0.5`, `0.9` (all before Lemma 3's `t2`
/// bound; if `p` does not reach `0.9` by then, the check fails). On each window `[t_a, t_b]` between
/// consecutive marks, the closed form through `u+(t_a)` must predict `logit(p(t_b))` to within
/// `2|D+|(t_b - t_a) delta(p_b) + nu`, i.e. the relative deviation of the mean slope,
/// `|slope / (2|D+|) - 1|`, is at most `delta(p_b) + nu / (2|D+|(t_b - t_a))`.
///
/// (b) **Tolerance**. *Model part `delta`, derived from Lemma 10's proof*: for `t` in `[t+1, t2]`,
/// `j` in `S+,1` is active exactly on the positive labels (Lemma 7 (iii), Lemma 6), so
/// `u+'/2 = sum_{S+,1} |w_j|^2 <D+^t, w_j/|w_j|>`. Write `w_j/|w_j| = D+/|D+| + d_j` (eq. (18),
/// `|d_j|^2 = 2 gap_j/|D+| <= 2 lambda^(eps/2)/|D+|` by Lemma 10 (iii)) and
/// `v = sum_{j not in S+,1} |w_j|^2 <= m (2 c lambda^eps)^2` (Lemma 10 (ii)). With orthonormal
/// inputs, for `y_k > 0`, `h(x_k) = p y_k + sum_{S+,1} |w_j|^2 <d_j, x_k> + e_k` with `|e_k| <= v`,
/// hence `D+^t = (1 - p) D+ - E` (eq. (19)) with `|E| <= (u+ max|d_j| + sqrt(n+) v)/n`, and
/// `<D+, w_j/|w_j|> = |D+| (1 - |d_j|^2/2)`. Therefore
/// `|u+' / (2|D+|(1-p)u+) - 1| <= delta(p) := lambda^(eps/2)/|D+|
///  + [p sqrt(2 lambda^(eps/2)/|D+|) + sqrt(n+) m 4 c^2 lambda^(2eps) / (n|D+|)] / (1 - p)`,
/// which is `|d logit(p)/dt / (2|D+|) - 1|`; it increases with `p`, and `p` increases on the
/// window, so `delta(p_b)` bounds the mean over the window. *Integrator part `nu`*: the flow
/// integrator accepts a step only if its error estimate is at most `rtol` ([`FLOW_RTOL`]) times
/// each neuron's size, so each step changes `ln u+` by at most `2 rtol` beyond the exact flow and
/// `logit(p)` by at most `2 rtol/(1-p)`; under the logistic law a perturbation of `logit(p)` is
/// carried unchanged (`d logit/dt` does not depend on `logit`), so only the `N` steps inside the
/// window count, plus one step of dense-output error at each end:
/// `nu = 2 rtol (N + 2) / (1 - p_b)`. At `lambda = 1e-300`, `eps = 0.05`, `|D+| = 1`:
/// `delta(0.9) = 2.2e-3`; for `eps` near 0.12 `delta` drops to `1e-10` and `nu` (about `1e-9`)
/// dominates. The model part is vacuous at large `lambda` (`delta > 1`).
///
/// (c) **lambda**: `1e-300` in [`instance`].
pub fn check_l3_logistic(trace: &SaddleTrace, th: &SaddleTheory) -> Verdict {
    let half = (th.eps / 2.0 * th.ln_lambda).exp();
    let delta = |p: f64| {
        half / th.d_plus_norm
            + (p * (2.0 * half / th.d_plus_norm).sqrt()
                + (th.n_plus as f64).sqrt() * th.m as f64 * 4.0 * th.c * th.c * (2.0 * th.eps * th.ln_lambda).exp()
                    / (th.n as f64 * th.d_plus_norm))
                / (1.0 - p)
    };
    let p_of = |s: &SaddleSample| (s.ln_u_plus - th.k_plus.ln()).exp();
    let context = format!(
        "{}; logistic rate 2|D+| = {:.6}, n|D+| = {:.6}, t+1 = {:.2}, t2 bound = {:.2}, rtol = {:e}",
        instance_context(th),
        th.logistic_rate,
        th.k_plus,
        th.t_plus_1,
        th.t2_bound,
        FLOW_RTOL
    );
    let window: Vec<&SaddleSample> =
        trace.samples.iter().filter(|s| s.time >= th.t_plus_1 && s.time <= th.t2_bound).collect();
    let mut marks: Vec<&SaddleSample> = window.first().copied().into_iter().collect();
    for level in [0.1, 0.5, 0.9] {
        match window.iter().find(|s| p_of(s) >= level) {
            Some(&s) if marks.last().is_some_and(|m| s.time > m.time) => marks.push(s),
            Some(_) => {}
            None => break,
        }
    }
    let mut parts = Vec::new();
    let p_max = window.iter().map(|s| p_of(s)).fold(0.0f64, f64::max);
    if p_max < 0.9 || marks.len() < 2 {
        parts.push(at_least(
            ClaimId::L3,
            "u+/(n|D+|) reaches 0.9 in [t+1, t2 bound] (max reached)",
            ln0(p_max),
            0.9f64.ln(),
            true,
        ));
    }
    for pair in marks.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let slope = (logit(b.ln_u_plus, th.k_plus) - logit(a.ln_u_plus, th.k_plus)) / (b.time - a.time);
        let p_b =
            window.iter().filter(|s| s.time >= a.time && s.time <= b.time).map(|s| p_of(s)).fold(0.0f64, f64::max);
        let steps = b.step.saturating_sub(a.step) as f64;
        let tol = if p_b < 1.0 {
            delta(p_b) + 2.0 * FLOW_RTOL * (steps + 2.0) / ((1.0 - p_b) * th.logistic_rate * (b.time - a.time))
        } else {
            f64::INFINITY
        };
        parts.push(at_most(
            ClaimId::L3,
            &format!(
                "window [{:.2}, {:.2}] (p {:.2e} -> {:.3}, {} steps): |slope of logit(p)/(2|D+|) - 1| <= delta + nu",
                a.time,
                b.time,
                p_of(a),
                p_b,
                steps
            ),
            ln0((slope / th.logistic_rate - 1.0).abs()),
            tol.ln(),
            true,
        ));
    }
    Verdict::all(ClaimId::L3, parts).with_context(context)
}

// ---------------------------------------------------------------------------------------------
// F1: Fact 1
// ---------------------------------------------------------------------------------------------

/// Fact 1's loss band: the largest `|L(theta) - L(theta_S)|` allowed by
/// `|theta - theta_S| <= delta` (see [`check_f1`]).
pub fn f1_loss_band(th: &SaddleTheory, delta: f64) -> f64 {
    let theta_s = (2.0 * th.k_plus).sqrt();
    let eta = (2.0 * theta_s + delta) * delta;
    eta * th.sum_abs_negative / th.n as f64 + eta * eta / 2.0
}

/// Fact 1 (claim F1): the loss plateau at the intermediate saddle.
///
/// (a) **Statement checked**, on the grid:
/// 1. *Near the saddle*: for every grid time `t` in Fact 1's interval
///    `[-(1+3eps) ln(lambda)/|D+|, -(1-eps) ln(lambda)/|D-|]`, `|L(theta_t) - L_S| <= B`, with
///    `L_S = (1/2n) sum_{y_k<0} y_k^2` ([`theory::plateau_loss`]) and `B` = [`f1_loss_band`] at
///    `delta = lambda^(eps/5)`. If the interval is shorter than a grid step (at
///    `eps = epsilon_max` bound by `(1+3eps)/r <= 1-eps` it is a single point, up to rounding) the
///    first grid time after its start is judged; an empty interval (start after end) fails.
/// 2. *Lasting about `-ln(lambda)(1/|D-| - 1/|D+|)`*: the plateau is delimited by two
///    `lambda`-free landmarks of the loss curve, `t_fit+` = first grid time with
///    `L <= (L(0) + L_S)/2` (the positive labels half fitted) and `t_fit-` = first grid time with
///    `L <= L_S/2` (the negative labels half fitted). Figure 1's timeline puts them in
///    `t+1 = -eps ln(lambda)/|D+| <= t_fit+ <= -(1+3eps) ln(lambda)/|D+|` and
///    `-(1-eps) ln(lambda)/|D-| <= t_fit- <= -(1+3 r eps) ln(lambda)/|D-|`, so the measured
///    plateau `t_fit- - t_fit+` is within `-ln(lambda)[(1-eps)/|D-| - (1+3eps)/|D+|,
///    (1+3 r eps)/|D-| - eps/|D+|]`, which brackets the "about" value (both are reported).
///
/// (b) **Tolerances**. Part 1 is derived from Fact 1's `|theta_t - theta_S| <= delta =
/// lambda^(eps/5)`: `theta_S` fits the positive labels (residual 0 there) and is 0 elsewhere, so
/// its residual is `-y_k` on negative labels and `|theta_S|^2 = 2 n|D+|` (balanced,
/// `sum_{S+,1}|w_j|^2 = n|D+|`). For unit inputs, `relu` 1-Lipschitz and Cauchy-Schwarz,
/// `|h_theta(x_k) - h_theta_S(x_k)| <= sum_j |a_j - a'_j||w_j| + |a'_j||w_j - w'_j|
///  <= (|theta| + |theta_S|) delta <= eta := (2|theta_S| + delta) delta`, hence
/// `|L(theta) - L_S| = (1/2n)|sum_k dh_k (dh_k + 2 r^S_k)| <= eta^2/2 + (eta/n) sum_{y_k<0}|y_k| = B`.
/// Part 2's four inequalities are the lemmas' own times: at `t+1` every `|w_j| <= 2c
/// lambda^(1-eps)` (Lemma 7), so `L` is still `L(0)` up to `m (2c lambda^(1-eps))^2`; at Lemma 3's
/// `t2` the positive residuals are of order `lambda^(eps/5)`; on Fact 1's interval
/// `L >= L_S - B`; at Lemma 4's `t3` the negative labels are fitted up to `lambda^(eps/29)`. They
/// follow for `lambda` small enough (`B < L_S/2` etc.); the half levels are fixed fractions,
/// not tuned.
///
/// (c) **lambda**: `1e-300` in [`instance`]: `delta = lambda^(eps/5) = 1e-3` at `eps = 0.05`,
/// so `B / L_S` is about `1e-2`.
pub fn check_f1(trace: &SaddleTrace, th: &SaddleTheory) -> Verdict {
    let delta = th.lambda_pow(5.0);
    let band = f1_loss_band(th, delta);
    let level = th.plateau_loss;
    let start = th.t2_bound;
    // a single-point interval may come out with end < start by rounding
    let end = if th.plateau_end < start && th.plateau_end >= start * (1.0 - 1e-9) { start } else { th.plateau_end };
    let s = &trace.samples;
    let mut inside: Vec<usize> = (0..s.len()).filter(|&i| s[i].time >= start && s[i].time <= end).collect();
    if inside.is_empty() && start <= end {
        inside.extend((0..s.len()).find(|&i| s[i].time >= start));
    }
    let l = -th.ln_lambda;
    let context = format!(
        "{}; plateau level L_S = {:.6}, band B = {:.4e} (delta = lambda^(eps/5) = {:.3e}); Fact 1 interval [{:.2}, {:.2}]",
        instance_context(th),
        level,
        band,
        delta,
        start,
        th.plateau_end
    );
    if start > end {
        let part = at_most(ClaimId::F1, "Fact 1's interval start <= end", ln0(start), ln0(th.plateau_end), true);
        return part.with_context(format!("{context}; Fact 1's interval is empty"));
    }
    if inside.is_empty() {
        return Verdict::failed(ClaimId::F1, format!("{context}; the trace ends before Fact 1's interval"));
    }
    let worst = inside.iter().map(|&i| (s[i].loss - level).abs()).fold(0.0f64, f64::max);
    let l0 = s.first().map_or(f64::NAN, |x| x.loss);
    let first_below = |v: f64| s.iter().find(|x| x.loss <= v).map_or(f64::INFINITY, |x| x.time);
    let (t_fit_plus, t_fit_minus) = (first_below((l0 + level) / 2.0), first_below(level / 2.0));
    let context = format!(
        "{context}; t_fit+ = {t_fit_plus:.2} (L <= (L(0)+L_S)/2), t_fit- = {t_fit_minus:.2} (L <= L_S/2): measured plateau {:.2} vs -ln(lambda)(1/|D-| - 1/|D+|) = {:.2}, bracket [{:.2}, {:.2}]; trace end {:.2}",
        t_fit_minus - t_fit_plus,
        l * (1.0 / th.d_minus_norm - 1.0 / th.d_plus_norm),
        th.plateau_end - th.t2_bound,
        th.t3_bound - th.t_plus_1,
        s.last().map_or(0.0, |x| x.time)
    );
    // the loss never increases along the flow and is >= 0, so |L - L_S| <= max(L_S, L(0) - L_S)
    let largest = level.max(l0 - level);
    let id = ClaimId::F1;
    let parts = vec![
        at_most(id, "max over Fact 1's interval of |L(theta_t) - L_S| <= B", ln0(worst), band.ln(), true)
            .vacuous_if(band >= largest, "B >= max(L_S, L(0) - L_S), the largest |L - L_S|"),
        at_least(id, "t_fit+ >= t+1", ln0(t_fit_plus), th.t_plus_1.ln(), true),
        at_most(id, "t_fit+ <= -(1+3eps)ln(lambda)/|D+|", ln0(t_fit_plus), th.t2_bound.ln(), true),
        at_least(id, "t_fit- >= -(1-eps)ln(lambda)/|D-|", ln0(t_fit_minus), th.plateau_end.ln(), true),
        at_most(id, "t_fit- <= -(1+3 r eps)ln(lambda)/|D-|", ln0(t_fit_minus), th.t3_bound.ln(), true),
    ];
    Verdict::all(id, parts).with_context(context)
}

// ---------------------------------------------------------------------------------------------
// L4: Lemma 4 / Lemma 11
// ---------------------------------------------------------------------------------------------

/// Lemma 4 / Lemma 11 (claim L4), the state at the end of the negative fit.
///
/// (a) **Statement checked**: with `t2` = [`l3_witness`] (the first grid time at which Lemma 3's
/// conclusions hold; if there is none the check fails), there is a grid time
/// `t3 <= -(1+3 r eps) ln(lambda)/|D-|`, `t3 >= t2`, at which simultaneously:
/// (i) every `j` in `S-,1` has `|D-| - <w_j/|w_j|, -D-> <= lambda^(eps/14)`;
/// (ii) `|sum_{S-,1} |w_j|^2 - n|D-|| <= lambda^(eps/29)` (the paper's equality read as a bound,
/// as for L3); (iii) every `j` in `S+,1` has `|w_j(t3) - w_j(t2)| <= lambda^(eps/15)`;
/// (iv) every `j` outside `S+,1 u S-,1` has `|w_j| <= 3 c lambda^eps`; and (v) for every grid
/// time `t` in `[t2, t3]`, `|D+^t| <= lambda^(eps/14)` with
/// `D+^t = -(1/n) sum_{y_k>0} (h(x_k) - y_k) x_k` (Appendix B.1; Lemma 11 (iv) and the definition
/// (23) of `t3`; the paper's strict `<` is checked as `<=`). The verdict is at the grid time
/// with the largest smallest margin; the statement also gives the first witness.
///
/// (b) **Tolerances**: the bounds printed in Lemma 4 / Lemma 11, nothing else. At
/// `lambda = 1e-300` and `eps = 0.05`, `lambda^(eps/29) = 0.30`: weak but not vacuous.
///
/// (c) **lambda**: `1e-300` in [`instance`].
pub fn check_l4(trace: &SaddleTrace, th: &SaddleTheory) -> Verdict {
    let context = format!("{}; t3 bound -(1+3 r eps)ln(lambda)/|D-| = {:.2}", instance_context(th), th.t3_bound);
    let Some(i2) = l3_witness(trace, th) else {
        let l3 = check_l3(trace, th);
        return Verdict::failed(
            ClaimId::L4,
            format!("{context}; no t2: Lemma 3's conclusions never hold before its bound ({})", l3.statement()),
        );
    };
    let s = &trace.samples;
    let mut sup_dplus = 0.0f64;
    // (index, sup |D+^t| up to it, score) of the best grid time so far
    let mut best: Option<(usize, f64, f64)> = None;
    let mut first: Option<usize> = None;
    for (i, x) in s.iter().enumerate().skip(i2) {
        if x.time > th.t3_bound {
            break;
        }
        sup_dplus = sup_dplus.max(x.d_plus_t_norm);
        let score = witness_margin(&l4_parts(x, &s[i2], sup_dplus, th, false));
        if score >= 0.0 && first.is_none() {
            first = Some(i);
        }
        // strictly better only: on a tie the earlier grid time stays the witness
        if best.is_none_or(|b| score > b.2) {
            best = Some((i, sup_dplus, score));
        }
    }
    let Some((ib, sup_at_best, _)) = best else {
        let part = at_most(ClaimId::L4, "t2 <= t3 bound", s[i2].time.ln(), th.t3_bound.ln(), true);
        return part.with_context(format!("{context}; t2 = {:.2} is after the t3 bound", s[i2].time));
    };
    let context = format!(
        "{context}; t2 = {:.2}; best grid time t3 = {:.2} (u- = {:.6}, n|D-| = {:.6}); first witness t3 = {}",
        s[i2].time,
        s[ib].time,
        s[ib].ln_u_minus.exp(),
        th.k_minus,
        first.map_or("none".into(), |i| format!("{:.2}", s[i].time))
    );
    Verdict::all(ClaimId::L4, l4_parts(&s[ib], &s[i2], sup_at_best, th, true)).with_context(context)
}

/// Lemma 4's five inequalities at grid time `x`, with `t2` at `at_t2` and `sup_{[t2, t]} |D+^t|`
/// = `sup_dplus` (statements with numbers when `detail`). (i) and (ii) are vacuous when their
/// bound is at least the largest value the measured gap can take without the lemma's conclusion:
/// the alignment gap is at most `2|D-|`, and a mass gap `|u- - n|D-||` of `n|D-|` is that of
/// `u- = 0` (an empty or unfitted `S-,1`; e.g. `n|D-| = 0.50` against `lambda^(eps/29) = 0.56`
/// at `eps = 0.024`, `lambda = 1e-300`).
fn l4_parts(x: &SaddleSample, at_t2: &SaddleSample, sup_dplus: f64, th: &SaddleTheory, detail: bool) -> Vec<Verdict> {
    let (lnl, eps) = (th.ln_lambda, th.eps);
    let id = ClaimId::L4;
    let d = if th.s_plus_1.is_empty() { 0 } else { at_t2.w_plus.len() / th.s_plus_1.len() };
    let moved = (0..th.s_plus_1.len())
        .map(|q| {
            let a = &x.w_plus[q * d..(q + 1) * d];
            let b = &at_t2.w_plus[q * d..(q + 1) * d];
            a.iter().zip(b).map(|(u, v)| (u - v) * (u - v)).sum::<f64>().sqrt()
        })
        .fold(0.0f64, f64::max);
    let align = theory::ln_lemma4_alignment_gap(lnl, eps);
    let mass = theory::ln_lemma4_mass_gap(lnl, eps);
    vec![
        at_most(id, "(i) max_{S-,1} |D-| - <w_j/|w_j|, -D-> <= lambda^(eps/14)", ln0(x.gap_minus), align, detail)
            .vacuous_if(align >= (2.0 * th.d_minus_norm).ln(), "lambda^(eps/14) >= 2|D-|, the largest gap"),
        at_most(
            id,
            "(ii) |sum_{S-,1} |w_j|^2 - n|D-|| <= lambda^(eps/29)",
            ln_mass_gap(x.ln_u_minus, th.k_minus),
            mass,
            detail,
        )
        .vacuous_if(mass >= th.k_minus.ln(), "lambda^(eps/29) >= n|D-|: u- = 0 passes"),
        at_most(
            id,
            "(iii) max_{S+,1} |w_j(t3) - w_j(t2)| <= lambda^(eps/15)",
            ln0(moved),
            theory::ln_lemma4_plus_movement_bound(lnl, eps),
            detail,
        ),
        at_most(
            id,
            "(iv) max_{j not in S+,1 u S-,1} |w_j| <= 3 c lambda^eps",
            x.ln_max_outside_both,
            theory::ln_lemma4_other_norm_bound(th.c, lnl, eps),
            detail,
        ),
        at_most(id, "(v) sup_{[t2, t3]} |D+^t| <= lambda^(eps/14)", ln0(sup_dplus), align, detail),
    ]
}

// ---------------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------------

/// How far past the lemma's time bound a run goes (so that "ends before the bound" can fail).
pub const HORIZON_FACTOR: f64 = 1.05;

/// Draws the instance of `seed` ([`instance_shape`]), its theory at `eps = epsilon_max`.
pub fn setup(seed: u64) -> Result<(Instance, SaddleTheory), String> {
    let instance = instance_shape().sample(seed).ok_or("no well-separated instance with Assumption 3 in 200 draws")?;
    let eps = theory::epsilon_max(&instance.data).ok_or("epsilon_max undefined")?;
    let th = SaddleTheory::new(&instance, eps)?;
    Ok((instance, th))
}

/// The fractions of `th.eps` at which [`judge`] evaluates each check. The lemmas hold for every
/// admissible `eps` (Appendix B.2: all of `(0, epsilon_max]`); the largest gives the tightest
/// bounds, half of it earlier time bounds and a longer Fact 1 interval.
pub const EPS_FRACTIONS: [f64; 2] = [1.0, 0.5];

/// The verdict of claim `id` on a trace, for one `eps` (L3: [`check_l3`] and
/// [`check_l3_logistic`], both required, [`Verdict::all`]).
pub fn verdict_on(id: ClaimId, trace: &SaddleTrace, th: &SaddleTheory) -> Verdict {
    match id {
        ClaimId::L3 => Verdict::all(id, [check_l3(trace, th), check_l3_logistic(trace, th)]),
        ClaimId::F1 => check_f1(trace, th),
        _ => check_l4(trace, th),
    }
}

/// The horizon a run for claim `id` needs: [`HORIZON_FACTOR`] times Lemma 3's `t2` bound (L3) or
/// Lemma 4's `t3` bound (F1, L4), at `th.eps` (the bounds increase with `eps`).
pub fn horizon_for(id: ClaimId, th: &SaddleTheory) -> f64 {
    HORIZON_FACTOR * if id == ClaimId::L3 { th.t2_bound } else { th.t3_bound.max(th.t2_bound) }
}

/// Judges claim `id` on `trace` with `th` at every `eps` of [`EPS_FRACTIONS`]: every one is
/// required ([`Verdict::all`]; each part's statement starts with its `eps`).
pub fn judge_trace(id: ClaimId, trace: &SaddleTrace, th: &SaddleTheory) -> Verdict {
    let per_eps = EPS_FRACTIONS.iter().map(|f| {
        let th = th.with_eps(th.eps * f);
        verdict_on(id, trace, &th).with_context(format!("eps = {:.4}", th.eps))
    });
    Verdict::all(id, per_eps)
}

/// Simulates `instance` far enough for claim `id` ([`horizon_for`]) and judges the trace
/// ([`judge_trace`]).
pub fn judge(id: ClaimId, instance: &Instance, th: &SaddleTheory) -> Result<Verdict, SimulationError> {
    let trace = simulate(instance, th, horizon_for(id, th))?;
    Ok(judge_trace(id, &trace, th))
}

/// The instance of claim `id` (L3, F1 or L4) drawn from `seed` for `reluflow verify`
/// ([`instance_shape`]).
pub fn instance(id: ClaimId, seed: u64) -> Result<Instance, Outcome> {
    instance_shape().sample(seed).ok_or_else(|| Outcome::Skipped {
        claim: id,
        reason: "no well-separated instance with Assumption 3 in 200 draws".into(),
    })
}

/// Checks claim `id` (L3, F1 or L4) on `instance` at `eps = epsilon_max` ([`judge`]).
pub fn check(id: ClaimId, instance: &Instance) -> Outcome {
    if !matches!(id, ClaimId::L3 | ClaimId::F1 | ClaimId::L4) {
        return Outcome::Skipped { claim: id, reason: format!("{id} is not a saddle-phase claim (L3, F1, L4)") };
    }
    let th = match theory::epsilon_max(&instance.data)
        .ok_or_else(|| "epsilon_max undefined".to_string())
        .and_then(|eps| SaddleTheory::new(instance, eps))
    {
        Ok(th) => th,
        Err(reason) => return Outcome::Skipped { claim: id, reason },
    };
    match judge(id, instance, &th) {
        Ok(v) => Outcome::Checked(v),
        Err(e) => Outcome::Error { claim: id, error: e.to_string() },
    }
}

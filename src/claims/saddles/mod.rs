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
//! `0.02` and about `0.15` (each check is also run at `epsilon_max / 2`, see [`EPS_FRACTIONS`]).
//! At `lambda = 1e-300` (`ln lambda = -690.8`) and `eps = 0.05`: `lambda^(eps/2) = 3e-8`,
//! `lambda^(eps/5) = 1e-3`, `lambda^(eps/14) = 0.085`, `lambda^(eps/29) = 0.30`; at
//! `lambda = 1e-30` they would be `0.18`, `0.50`, `0.78`, `0.89`, i.e. nearly vacuous. So the
//! registry's instances are at `lambda` in `[1e-300, 2e-300)`, the smallest scale the simulator
//! reaches with full relative precision (`ScaledParams` keeps a per-neuron binary exponent), and
//! the checks compare in log space (`ln |w_j|` from `ScaledParams::ln_norm_w`, bounds from the
//! `ln_*` functions of [`theory`]). The lemmas hold for `lambda <= lambda*`, which the paper
//! leaves unspecified; a failure at `1e-300` is reported with its numbers, not loosened. An
//! instance of your own is checked at its own `lambda`, which the claims require to be at most
//! [`SADDLE_LAMBDA_MAX`] with `eps_max >= SADDLE_EPS_MIN` (why: there).
//!
//! ## Simulate, then judge
//! [`simulate`] runs the gradient flow (2) ([`run_flow`], relative tolerance [`FLOW_RTOL`] per
//! neuron) from the balanced initialisation (4), sampled on a uniform grid of [`GRID_POINTS`] + 1
//! times in `[0, horizon]` by [`SaddleGridObserver`] (in `trajectory::saddle_grid`): at each grid
//! time it stores the loss, `ln u+`, `ln u-`, the worst alignment gaps of `S+,1` and `S-,1`, the
//! largest other neuron (log space), `|D+^t|` and the hidden weights of `S+,1`. The result, a
//! [`SaddleTrace`], is the evidence: plain numbers, which the judges [`check_l3`],
//! [`check_l3_logistic`], [`check_f1`], [`check_l4`] (and [`judge_trace`], all `eps` of
//! [`EPS_FRACTIONS`]) read with a [`SaddleTheory`] (from an instance, or from a run's `theta(0)`
//! and `lambda`, [`SaddleTheory::from_initial`]); they never simulate. Statements "for some `t`"
//! are checked over the grid times; "throughout an interval" over the grid times inside it (the
//! grid step is `horizon / 20000`, at most about `0.6` time units on these instances, while
//! the phases last hundreds to thousands of units and the fastest rise of `u+` from `0.1 n|D+|`
//! to `0.9 n|D+|` takes `ln(81)/(2|D+|) >= 2.2`, as `|D+| <= 1` here).
//!
//! ## Verdicts
//! Each check has several parts (one per inequality of the lemma), each a [`Verdict`] compared
//! in log space, `ln(measured)` against `ln(bound)` ([`Verdict::in_log_units`]), so that parts
//! are commensurable, and combined by [`Verdict::all`]: the verdict is that of the binding part
//! (smallest log margin, i.e. `ln(bound/measured)`) and its `statement` lists every part with the
//! instance's numbers. A part whose bound is at least the largest value its quantity can take
//! without the lemma's conclusion is marked vacuous and never binds: an alignment gap
//! (at most `2|D|`), a mass gap `|u - n|D||` against a bound `>= n|D|` (which `u = 0` passes),
//! Fact 1's loss band against `max(L_S, L(0) - L_S)`. A "for some grid time" statement is
//! judged at the grid time whose binding part has the largest margin (the first of equal ones).
//! A gap that is exactly 0 is reported as [`crate::numerics::LN_ZERO`] (the log of the smallest
//! positive `f64`).
//!
//! Layout: `saddle_theory.rs` ([`SaddleTheory`]), `parts.rs` (the parts in log space), `l3.rs`,
//! `f1.rs`, `l4.rs` (one claim each), this file (the instances, the simulation, the runner).
//!
//! ## Negative controls (see `tests/claims_saddles.rs`)
//! The same checks, on: the labels' sign convention broken (`r < 1` without the flip, the theory
//! then predicts the wrong side first); Assumption 3 broken (`S+,1` or `S-,1` empty); an
//! unbalanced initialisation with a neuron whose sign `s_j = sign(a_j(0))` is not the one it
//! grows with; a wrong plateau level or logistic rate (a wrong theory constant); and, for F1 on
//! fixed instances, `lambda = 1e-2`. Large `lambda` does not make L3 or L4 fail: their bounds
//! `lambda^(eps/k)` are then too weak (e.g. `2 c lambda^eps > 1`), partly vacuous.

mod f1;
mod l3;
mod l4;
mod parts;
mod saddle_theory;

pub use crate::trajectory::saddle_grid::{SaddleGrid, SaddleGridObserver, SaddleSample, SaddleTrace};
pub use f1::{check_f1, f1_loss_band};
pub use l3::{check_l3, check_l3_logistic, l3_witness};
pub use l4::check_l4;
pub use saddle_theory::SaddleTheory;

use super::{ClaimId, Outcome, Verdict};
use crate::Instance;
use crate::generators::InstanceShape;
use crate::solver::SimulationError;
use crate::solver::StopRule;
use crate::solver::flow::{FlowConfig, run_flow};
use crate::theory;

/// The largest `lambda` L3, F1 and L4 are checked at (a requirement,
/// [`crate::claims::ClaimId::requirements`]). The lemmas hold for `lambda <= lambda*`, which the
/// paper leaves unspecified. Their time windows have widths of order `eps ln(1/lambda)/|D|`
/// (`t2 <= (1+3eps) ln(1/lambda)/|D+|`, Fact 1's `[(1+3eps)/|D+|, (1-eps)/|D-|] ln(1/lambda)`)
/// while the fitting times are `(ln(1/lambda) + c)/|D|` with `lambda`-free offsets `c` of order
/// 1 (claim TS, [`crate::theory::lambda_free::predicted_fit_offset`]), so the windows contain
/// them only once `eps ln(1/lambda)` is well above 1. At `lambda = 1e-100` and
/// `eps >= SADDLE_EPS_MIN` that is `>= 4.6`. Measured on the seeds 0-5 of [`instance_shape`]
/// rescaled: at `1e-12` (`eps ln(1/lambda) >= 0.55`) F1 fails on 4 of 6 and L3 on 1; from `1e-30`
/// on all three hold (F1's smallest margin `0.00` at `1e-30`, `0.01` at `1e-100`).
pub const SADDLE_LAMBDA_MAX: f64 = 1e-100;

/// The smallest Appendix B.2 `eps_max` L3, F1 and L4 are checked with (a requirement): the
/// [`crate::generators::EPS_FLOOR`] of [`instance_shape`], the instances the checks were
/// validated on (with a smaller `eps` the windows above shrink towards the offsets `c`).
pub const SADDLE_EPS_MIN: f64 = crate::generators::EPS_FLOOR;

/// `lambda = (1 + k/8) 10^-300`: the exponent of the instances of [`instance_shape`].
pub const LAMBDA_EXP10: u32 = 300;
/// Relative tolerance per neuron of the flow integrator.
pub const FLOW_RTOL: f64 = 1e-10;
/// Number of grid intervals of a [`SaddleTrace`].
pub const GRID_POINTS: usize = 20_000;

/// The instances of the three claims: well separated (`r >= 1.5`, `eps_max >= 0.02`),
/// Assumptions 1-3, `n` in `2..=4`, width `m` in `8..=16`, `lambda` in `[1e-300, 2e-300)`.
/// Small `n` and `m` keep one run to `t3` (about `10^4` time units) well under a second.
pub fn instance_shape() -> InstanceShape {
    InstanceShape::well_separated().with_n(2..=4).with_width(8..=16).with_lambda_exp10(LAMBDA_EXP10..=LAMBDA_EXP10)
}

/// Runs the gradient flow of `instance` to `horizon` and samples it on the uniform grid of
/// [`GRID_POINTS`] intervals ([`SaddleGridObserver`]). `th` supplies `D+`, `D-`, `S+,1`, `S-,1`
/// (the sets are those of the instance's own initialisation unless a control changed them).
pub fn simulate(instance: &Instance, th: &SaddleTheory, horizon: f64) -> Result<SaddleTrace, SimulationError> {
    let init = instance.initialisation()?;
    let grid = SaddleGrid {
        data: &instance.data,
        d_plus: &th.d_plus,
        d_minus: &th.d_minus,
        s_plus_1: &th.s_plus_1,
        s_minus_1: &th.s_minus_1,
        horizon,
        points: GRID_POINTS,
    };
    let mut obs = SaddleGridObserver::new(grid, init.params.m());
    let cfg = FlowConfig {
        rtol: FLOW_RTOL,
        stop: StopRule { horizon: Some(horizon), ..Default::default() },
        ..Default::default()
    };
    let run = run_flow(&instance.data, instance.valid_model()?, &init.params, &cfg, &mut obs)?;
    Ok(obs.finish(run.summary.gradient_evaluations))
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

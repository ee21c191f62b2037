//! Claim checks: the conservation and boundary laws of the dynamics (claims L1, L6, P2).
//!
//! - **L1** (Lemma 1): `a_j^2 - |w_j|^2` is constant along the gradient flow for any data
//!   and any initialisation; with the balanced initialisation (4) also `a_j = s_j |w_j|` and
//!   `|w_j| > 0`. An [`ImbalanceTrace`](crate::trajectory::imbalance::ImbalanceTrace) follows
//!   every accepted step of a run (flow or gradient descent) into an [`L1Run`];
//!   [`check_l1_conservation`] / [`check_l1_balanced`] judge it against the integrator's error
//!   budget. [`GdRun`] (every iterate of gradient descent) / [`check_l1_gd_law`]
//!   check the exact per-step law of gradient descent,
//!   `Delta(a_j^2 - |w_j|^2) = eta^2 (<D_j, w_j>^2 - |D_j|^2 a_j^2)`, to rounding.
//! - **L6** (Lemma 6, eq. (11)): on orthonormal inputs a coordinate `<w_j, x_k>`
//!   that is negative never moves, and one that reaches 0 stays at 0. [`flow_checkpoints`] keeps
//!   the full parameters at many times ([`CheckpointRun`]); [`check_l6`] judges them against a
//!   floating-point rounding budget.
//! - **P2** (Proposition 2): with `relu'(0) = sigma0 > 0` the flow has no global solution. What
//!   the simulator shows, and [`check_p2`] asserts: a coordinate that reaches 0 while its residual
//!   is not zero is pushed to strictly negative values (the `Zero` class is left downwards, after
//!   which the coordinate is frozen), which never happens with `sigma0 = 0` (L6).
//!
//! Producing the evidence (`l1_flow`, `l1_gd`, `l1_gd_law`, `flow_checkpoints`) and judging it
//! (`check_*`, `measure_*`, which read plain data and never simulate) are separate functions.
//! All quantities are scale-free (per-neuron mantissas and binary exponents of
//! [`ScaledParams`](crate::params::ScaledParams), logs of sizes), so the checks work unchanged
//! down to `lambda = 1e-300`.

mod boundary;
mod gd_law;
mod instances;
mod l1;

pub use boundary::{
    BoundaryMeasure, CheckpointRun, L6Scales, check_l6, check_p2, checkpoint_times, flow_checkpoints, measure_boundary,
};
pub use gd_law::{GdLawMeasure, GdRun, check_l1_gd_law, l1_gd_law, measure_gd_law};
pub use instances::{
    correlated_inputs, flow_horizon, orthonormal_instance, positive_cone_dataset, positive_cone_instance,
};
pub use l1::{
    L1Run, check_l1, check_l1_balanced, check_l1_conservation, l1_flow, l1_gd, l1_init_budget, l1_step_budget,
};

use super::{ClaimId, Outcome, Verdict};
use crate::Instance;
use crate::generators::InstanceShape;
use crate::init::InitKind;
use crate::network::Model;
use crate::solver::SimulationError;

// ---------------------------------------------------------------------------------------------
// reluflow verify
// ---------------------------------------------------------------------------------------------

/// The flow tolerance the checks run with.
pub const RTOL: f64 = 1e-9;

/// Checkpoints per run for L6 and P2 (plus 40 log-spaced early ones).
pub const CHECKPOINTS: usize = 100;

/// `relu'(0)` used by `run(P2, ..)`.
pub const SIGMA0: f64 = 1.0;

/// The instance of claim `id` (L1, L6 or P2) drawn from `seed` for `reluflow verify`.
///
/// - L1: `seed % 4` picks orthonormal data (generators' default shape) or positive-cone
///   non-orthogonal data ([`positive_cone_instance`]), each with the balanced or the unbalanced
///   initialisation.
/// - L6, P2: a default orthonormal instance (Assumptions 1-3).
pub fn instance(id: ClaimId, seed: u64) -> Result<Instance, Outcome> {
    let drawn = match id {
        ClaimId::L1 => {
            let kind = if (seed / 2) % 2 == 0 { InitKind::Balanced } else { InitKind::Unbalanced };
            if seed % 2 == 0 {
                InstanceShape { assumption_3: false, init: kind, ..InstanceShape::default() }.sample(seed)
            } else {
                Some(positive_cone_instance(seed, kind))
            }
        }
        _ => InstanceShape::default().sample(seed),
    };
    drawn.ok_or_else(|| skipped(id, "no orthonormal instance drawn"))
}

/// Checks claim `id` (L1, L6 or P2) on `instance`.
///
/// - L1: the flow runs to convergence and [`check_l1`] judges it (the balanced part only for
///   balanced initialisations).
/// - L6: [`flow_checkpoints`] to [`flow_horizon`], [`check_l6`].
/// - P2: the same instance with `relu'(0) = SIGMA0`; skipped when the `sigma0 = 0` flow has no
///   coordinate reaching 0 (then `relu'(0)` is never used and the proposition's mechanism cannot
///   show), else [`check_p2`].
pub fn check(id: ClaimId, instance: &Instance) -> Outcome {
    let result = match id {
        ClaimId::L1 => check_l1_on(instance),
        ClaimId::L6 => check_l6_on(instance),
        ClaimId::P2 => check_p2_on(instance),
        other => Err(Outcome::Skipped { claim: other, reason: "not a conservation claim (L1, L6, P2)".into() }),
    };
    match result {
        Ok(v) => Outcome::Checked(v),
        Err(o) => o,
    }
}

fn skipped(id: ClaimId, reason: &str) -> Outcome {
    Outcome::Skipped { claim: id, reason: reason.into() }
}

fn error(id: ClaimId, e: SimulationError) -> Outcome {
    Outcome::Error { claim: id, error: e.to_string() }
}

fn check_l1_on(instance: &Instance) -> Result<Verdict, Outcome> {
    let run = l1_flow(instance, RTOL).map_err(|e| error(ClaimId::L1, e))?;
    match &run.outcome {
        Ok(_) | Err(SimulationError::SlidingMode { .. }) => {}
        Err(e) => return Err(error(ClaimId::L1, e.clone())),
    }
    Ok(check_l1(&run, instance.init.kind == InitKind::Balanced))
}

fn check_l6_on(instance: &Instance) -> Result<Verdict, Outcome> {
    let horizon = flow_horizon(&instance.data, instance.lambda());
    let run = flow_checkpoints(instance, horizon, CHECKPOINTS, RTOL).map_err(|e| error(ClaimId::L6, e))?;
    if let Err(e) = &run.outcome {
        return Err(error(ClaimId::L6, e.clone()));
    }
    Ok(check_l6(&run))
}

fn check_p2_on(instance: &Instance) -> Result<Verdict, Outcome> {
    let horizon = flow_horizon(&instance.data, instance.lambda());
    let reference = flow_checkpoints(instance, horizon, CHECKPOINTS, RTOL).map_err(|e| error(ClaimId::P2, e))?;
    if measure_boundary(&reference).reached_zero == 0 {
        return Err(skipped(ClaimId::P2, "with relu'(0) = 0 no coordinate reaches 0 on this instance"));
    }
    let sigma = instance.with_model(Model { relu_prime_at_zero: SIGMA0, ..Model::relu() });
    let run = flow_checkpoints(&sigma, horizon, CHECKPOINTS, RTOL).map_err(|e| error(ClaimId::P2, e))?;
    if let Err(e) = &run.outcome {
        return Err(error(ClaimId::P2, e.clone()));
    }
    Ok(check_p2(&run))
}

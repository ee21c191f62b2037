//! Errors of the integrators: each names the step or time and what to change.

use thiserror::Error;

/// Why a run could not start or had to stop early.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SimulationError {
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The data and the parameters disagree on the input dimension.
    #[error(
        "the parameters have input dimension {params} but the data has d = {data}: give parameters with one w column per input coordinate"
    )]
    DimensionMismatch { params: usize, data: usize },
    /// The loss or the parameter norm grew past its divergence bound (see `StopRule::divergence_factor`).
    #[error(
        "training diverged at step {step} (time {time:.6e}): {quantity} = {value:.6e} exceeds the bound {bound:.3e}; for gradient descent lower the step (try 10x smaller)"
    )]
    Diverged { step: u64, time: f64, quantity: &'static str, value: f64, bound: f64 },
    /// NaN or infinity appeared.
    #[error(
        "the state became non-finite (NaN or infinity) at step {step} (time {time:.6e}): lower the step size or the initialisation scale lambda"
    )]
    NonFinite { step: u64, time: f64 },
    /// A coordinate `<w_j, x_k>` is pushed onto 0 from both sides (a Filippov sliding mode).
    #[error(
        "sliding mode at time {time:.6e}: <w_{neuron}, x_{point}> is pushed back to 0 from both sides (velocity {v_negative:.3e} when inactive, {v_positive:.3e} when active); this happens on non-orthogonal inputs, where the flow with relu'(0) = 0 is not defined classically. Use --method gd, or orthogonal inputs"
    )]
    SlidingMode { neuron: usize, point: usize, time: f64, v_negative: f64, v_positive: f64 },
    /// The ODE integrator gave up.
    #[error("the flow integrator stopped at step {step}: {reason}")]
    Integrator { step: u64, reason: String },
}

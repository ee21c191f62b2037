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
    DimensionMismatch {
        /// The parameters' input dimension.
        params: usize,
        /// The data's `d`.
        data: usize,
    },
    /// The loss or the parameter norm grew past its divergence bound (see `StopRule::divergence_factor`).
    #[error(
        "training diverged at step {step} (time {time:.6e}): {quantity} = {value:.6e} exceeds the bound {bound:.3e}; for gradient descent lower the step (try 10x smaller)"
    )]
    Diverged {
        /// The step at which the bound was passed.
        step: u64,
        /// Its time.
        time: f64,
        /// Which quantity (`loss`, `|theta|^2`).
        quantity: &'static str,
        /// Its value.
        value: f64,
        /// The divergence bound it exceeded.
        bound: f64,
    },
    /// NaN or infinity appeared (at step 0: the loss or `|theta|^2` of the initial state).
    #[error("{}", non_finite_message(*step, *time))]
    NonFinite {
        /// The step (0: the initial state).
        step: u64,
        /// Its time.
        time: f64,
    },
    /// A coordinate `<w_j, x_k>` is pushed onto 0 from both sides (a Filippov sliding mode).
    #[error(
        "sliding mode at time {time:.6e}: <w_{neuron}, x_{point}> is pushed back to 0 from both sides (velocity {v_negative:.3e} when inactive, {v_positive:.3e} when active); this happens on non-orthogonal inputs, where the flow with relu'(0) = 0 is not defined classically. Use --method gd, or orthogonal inputs"
    )]
    SlidingMode {
        /// The neuron `j`.
        neuron: usize,
        /// The point `k`.
        point: usize,
        /// The time.
        time: f64,
        /// `d<w_j, x_k>/dt` with the coordinate inactive.
        v_negative: f64,
        /// `d<w_j, x_k>/dt` with the coordinate active.
        v_positive: f64,
    },
    /// An input whose squared norm is outside the `f64` range (the flow needs `|x_k|` and
    /// `<x_k, x_l>` for its activation boundaries).
    #[error(
        "input x_{point} has |x_{point}|^2 = {norm_sq:e}, outside the f64 range: the flow locates activation boundaries with |x_k| and <x_k, x_l>, which need about 1e-154 < |x_k| < 1e154; rescale the inputs (or use --method gd)"
    )]
    InputOutOfRange {
        /// The point `k`.
        point: usize,
        /// `|x_k|^2` as computed (0 or infinite).
        norm_sq: f64,
    },
    /// The ODE integrator gave up.
    #[error("the flow integrator stopped at step {step}: {reason}")]
    Integrator {
        /// The step.
        step: u64,
        /// The integrator's reason.
        reason: String,
    },
}

fn non_finite_message(step: u64, time: f64) -> String {
    if step == 0 {
        // nothing has been integrated yet: the numbers themselves are out of range
        "the initial loss or |theta|^2 is not finite (NaN or infinity) at step 0: the initial parameters (the \
         scale lambda), the inputs or the labels are too large for f64 (the loss squares h(x_k) - y_k); lower \
         lambda or rescale the data"
            .to_string()
    } else {
        format!(
            "the state became non-finite (NaN or infinity) at step {step} (time {time:.6e}): lower the step size or \
             the initialisation scale lambda"
        )
    }
}

//! `reluflow simulate`: one training run, reported as a human summary or one JSON object.
//!
//! This file holds the flags, the report and the run; `load.rs` reads the data, parameter and
//! model flags; `prepare.rs` validates a command line into a [`Prepared`] run (memory, coordinates,
//! stiffness) and trains it; `progress.rs` has the observers that stream a trace and a progress bar.

mod load;
mod prepare;
mod progress;

pub use load::{load_data, load_params, model_of};
pub use prepare::{
    CoordinatesChoice, Prepared, STATE_COPIES_FLOW, STATE_COPIES_GD, available_memory, check_memory,
    choose_coordinates, prepare, train,
};
pub use progress::remaining;
use progress::{Progress, Trace};

use super::CliError;
use crate::data::{Dataset, generate, io as data_io};
use crate::init::{InitKind, InitSpec, NeuronSets};
use crate::network::{Activation, Model};
use crate::numerics::dot;
use crate::params::{Params, ScaledParams};
use crate::solver::flow::{FlowConfig, run_flow};
use crate::solver::gd::{GdConfig, run_gd};
use crate::solver::reduced::{run_flow_reduced, run_gd_reduced};
use crate::solver::{Observer, Run, StopRule, View};
use crate::theory;
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

/// Integration method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Gradient descent with step --step for --steps steps.
    Gd,
    /// Gradient flow (adaptive Dormand-Prince 5(4) with event location).
    Flow,
}

/// Which simulator integrates the dynamics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Coordinates {
    /// The reduced path when the inputs are pairwise orthogonal (as `reduced` checks them), the
    /// full simulator otherwise (the default; the report says which ran and why).
    Auto,
    /// The full simulator on `(a_j, w_j)` in R^(1+d) (any inputs).
    Full,
    /// The fast path on `(a_j, <w_j, x_k>)` in R^(1+n) (`solver::reduced`): pairwise orthogonal
    /// inputs only (typed error otherwise); `O(m n)` per step instead of `O(m n d)`.
    Reduced,
}

impl Method {
    /// The method in words: `gradient descent` or `gradient flow`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Gd => "gradient descent",
            Method::Flow => "gradient flow",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::fmt::Display for Coordinates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Coordinates::Auto => "auto (reduced coordinates on pairwise orthogonal inputs, else the full simulator)",
            Coordinates::Full => "full simulator",
            Coordinates::Reduced => "reduced coordinates (orthogonal-input fast path)",
        })
    }
}

/// The gradient-descent step when `--step` is not given: the paper's Section 5 setting (torch
/// `lr = 1e-3` on `MSELoss = 2L` is a step `2e-3` on `L`).
pub const DEFAULT_GD_STEP: f64 = 2e-3;

/// The cap on accepted flow steps when only `--until-loss` is given (raise it with `--steps K`).
pub const DEFAULT_FLOW_STEP_CAP: u64 = 10_000_000;

/// A run ends at an interpolator when its final loss is at most this fraction of the loss at
/// `theta = 0`, `L(0) = (1/2n) sum_k y_k^2` (every run starts near it: `h ~ lambda^2`). Only then
/// is Proposition 1's minimum norm the number to compare `|theta|^2` with.
pub const INTERPOLATION_LOSS_RATIO: f64 = 1e-10;

/// Parses a floating-point flag, refusing literals that `f64` cannot hold: a non-zero number
/// that underflows to 0 (`1e-400`) or a finite one that overflows to infinity (`1e400`), which
/// would otherwise be reported as "0" or "inf" by the checks downstream. `inf` and `nan` written
/// as such pass through, for the flags' own range checks to name.
pub fn parse_f64_flag(text: &str) -> Result<f64, String> {
    let v: f64 = text.trim().parse().map_err(|_| format!("'{text}' is not a number (e.g. 1e-6)"))?;
    let mantissa = text.trim().split(['e', 'E']).next().unwrap_or("");
    let nonzero_digits = mantissa.chars().any(|c| c.is_ascii_digit() && c != '0');
    if v == 0.0 && nonzero_digits {
        return Err(format!(
            "{text} underflows to 0 in double precision (the smallest positive f64 is 4.9e-324, and reluflow's \
             scaled parameters work down to about 1e-300): give a larger value"
        ));
    }
    if v.is_infinite() && nonzero_digits {
        return Err(format!("{text} overflows double precision (the largest f64 is 1.8e308): give a smaller value"));
    }
    Ok(v)
}

/// Initialisation kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InitArg {
    /// Eq. (4): a_j = s_j |w_j|.
    Balanced,
    /// a_j ~ N(0, lambda^2) independent (negative controls).
    Unbalanced,
}

/// Where the data come from (shared by every command that trains).
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// A data file (.json or .csv), or `toy` for the paper's Section 5 example.
    #[arg(long, value_name = "FILE|toy", conflicts_with = "random_orthonormal")]
    pub data: Option<String>,
    /// Random orthonormal inputs (Haar) with labels satisfying Assumption 2: `N,D`.
    #[arg(long, value_name = "N,D")]
    pub random_orthonormal: Option<String>,
    /// Seed of the random dataset.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub data_seed: u64,
}

/// Network, initialisation and integrator flags.
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// The data flags.
    #[command(flatten)]
    pub data: DataArgs,
    /// Width m (number of hidden neurons).
    #[arg(long, default_value_t = 60, value_name = "M")]
    pub width: usize,
    /// Initialisation scale lambda (eq. (4)).
    #[arg(long, default_value_t = 1e-6, value_name = "L", allow_negative_numbers = true, value_parser = parse_f64_flag)]
    pub lambda: f64,
    /// Initialisation kind.
    #[arg(long, value_enum, default_value_t = InitArg::Balanced)]
    pub init: InitArg,
    /// Seed of the initialisation.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// Start from given parameters, JSON {"a": [...], "w": [[...], ...]} (replaces --width/--lambda/--init/--seed).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["lambda", "init", "seed", "width"])]
    pub init_from: Option<PathBuf>,
    /// Integration method.
    #[arg(long, value_enum, default_value_t = Method::Gd)]
    pub method: Method,
    /// Simulator: `auto` (reduced when the inputs are pairwise orthogonal, else full), `full`, or
    /// `reduced` (the fast path for pairwise orthogonal inputs, e.g. the toy or
    /// --random-orthonormal; the same dynamics in the coordinates <w_j, x_k>).
    #[arg(long, value_enum, default_value_t = Coordinates::Auto)]
    pub coordinates: Coordinates,
    /// Gradient-descent step eta on the paper's loss L (a torch MSELoss lr is eta/2); default 2e-3
    /// for --method gd (the paper's Section 5: torch lr 1e-3 on MSELoss).
    #[arg(long, value_name = "ETA", allow_negative_numbers = true, value_parser = parse_f64_flag)]
    pub step: Option<f64>,
    /// Number of gradient-descent steps (or a cap on accepted flow steps; with only --until-loss
    /// the flow is capped at 10^7 accepted steps, and --steps K raises or lowers that cap).
    #[arg(long, value_name = "K")]
    pub steps: Option<u64>,
    /// Simulated time horizon.
    #[arg(long, value_name = "T", allow_negative_numbers = true, value_parser = parse_f64_flag)]
    pub horizon: Option<f64>,
    /// Stop as soon as the loss is below X.
    #[arg(long, value_name = "X", allow_negative_numbers = true, value_parser = parse_f64_flag)]
    pub until_loss: Option<f64>,
    /// Relative tolerance of the flow integrator (per neuron).
    #[arg(long, default_value_t = 1e-9, value_name = "RTOL", value_parser = parse_f64_flag)]
    pub rtol: f64,
    /// relu'(0) used in the gradient (Proposition 2: only 0 gives a global flow).
    #[arg(long, default_value_t = 0.0, value_name = "S0", allow_negative_numbers = true, value_parser = parse_f64_flag)]
    pub relu_prime_at_zero: f64,
    /// Use a leaky ReLU with this negative slope (negative controls).
    #[arg(long, value_name = "SLOPE", allow_negative_numbers = true, value_parser = parse_f64_flag)]
    pub leaky: Option<f64>,
    /// Write a CSV trace (step,time,loss,param_norm_sq) to this file.
    #[arg(long, value_name = "FILE.csv")]
    pub trace: Option<PathBuf>,
    /// Trace every K steps.
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub trace_every: u64,
    /// Print one JSON object instead of a human summary.
    #[arg(long)]
    pub json: bool,
}

/// The JSON report of `simulate`.
#[derive(Debug, Clone, Serialize)]
pub struct SimulateReport {
    /// Number of points.
    pub n: usize,
    /// Input dimension.
    pub d: usize,
    /// Width (number of neurons).
    pub m: usize,
    /// `null` with --init-from.
    pub lambda: Option<f64>,
    /// Gradient descent or the flow.
    pub method: Method,
    /// The simulator that ran: `full` or `reduced` (never `auto`).
    pub coordinates: Coordinates,
    /// Why: the flag, or what `auto` found about the inputs.
    pub coordinates_reason: String,
    /// Steps taken (accepted steps for the flow).
    pub steps: u64,
    /// Evaluations of the vector field `-grad L`.
    pub gradient_evaluations: u64,
    /// Simulated time (steps x eta for GD), never wall-clock.
    pub time: f64,
    /// Which stopping rule ended the run.
    pub stop_reason: crate::solver::StopReason,
    /// `--until-loss`, if given.
    pub loss_target: Option<f64>,
    /// Whether the final loss is below `--until-loss` (`null` without a target).
    pub loss_target_reached: Option<bool>,
    /// The cap on steps that applied: `--steps`, or the flow's default cap
    /// ([`DEFAULT_FLOW_STEP_CAP`]) when only `--until-loss` was given; `null` for none.
    pub step_cap: Option<u64>,
    /// `L(theta)` at the end.
    pub final_loss: f64,
    /// The end is an interpolator: `final_loss <= INTERPOLATION_LOSS_RATIO x L(0)`, with
    /// `L(0) = (1/2n) sum y_k^2` ([`INTERPOLATION_LOSS_RATIO`]).
    pub interpolates: bool,
    /// `|theta|^2 = sum_j a_j^2 + |w_j|^2` at the end.
    pub param_norm_sq: f64,
    /// Proposition 1's minimum; `null` when the inputs are not orthogonal (or see `theory::min_norm_sq`).
    pub min_norm_sq: Option<f64>,
    /// `|D+|` of the data.
    pub d_plus_norm: f64,
    /// `|D-|` of the data.
    pub d_minus_norm: f64,
    /// `|S+,1|`.
    pub s_plus_1: usize,
    /// `|S-,1|`.
    pub s_minus_1: usize,
    /// `max_j |a_j^2 - |w_j|^2 - (a_j(0)^2 - |w_j(0)|^2)|` (plain units).
    pub balancedness_drift: f64,
    /// `h(x_k)` at the end.
    pub predictions: Vec<f64>,
    /// Assumptions 1-3 that fail, in words (empty when all hold).
    pub assumption_problems: Vec<String>,
    /// What holds instead, in words, where the inputs are orthogonal but not unit-norm (the toy).
    pub assumption_notes: Vec<String>,
    /// `theta(0)` in plain units.
    pub initial: Params,
    /// The final parameters in plain units (JSON key `final`).
    #[serde(rename = "final")]
    pub final_params: Params,
    /// The flow's integrators (absent for GD): `integrator` (`dopri5`, or `ros2` after the switch
    /// of a stiff flow), `stiffness_detected_at`, `switched_at`, `explicit_steps`, `inadmissible_steps`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<crate::solver::FlowReport>,
}

/// Runs `simulate` and returns its report: the library entry point of the CLI. It prints nothing
/// to stdout; a stiff flow (large `lambda`) is announced on stderr before it runs.
pub fn simulate(args: &SimulateArgs) -> Result<SimulateReport, CliError> {
    let prepared = prepare(args)?;
    let Prepared { data, model, theta0, lambda, m } = &prepared;
    let (model, lambda, m) = (*model, *lambda, *m);
    let mut trace = match &args.trace {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| CliError::File {
                action: "create",
                path: path.display().to_string(),
                reason: format!("{e} (check that the directory exists and is writable)"),
            })?;
            let mut out = BufWriter::new(file);
            writeln!(out, "step,time,loss,param_norm_sq").map_err(|e| CliError::File {
                action: "write",
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            Some(Trace { out, every: args.trace_every, error: None })
        }
        None => None,
    };
    let run: Run = {
        let mut none = crate::solver::NoObserver;
        let observer: &mut dyn Observer = match &mut trace {
            Some(t) => t,
            None => &mut none,
        };
        train(args, &prepared, observer)?
    };
    if let Some(mut t) = trace {
        let path = args.trace.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
        if let Some(e) = t.error.take() {
            return Err(CliError::File { action: "write", path, reason: e.to_string() });
        }
        t.out.flush().map_err(|e| CliError::File { action: "write", path, reason: e.to_string() })?;
    }
    let choice = choose_coordinates(args.coordinates, data);
    let sets = NeuronSets::of(theta0, data);
    let report = data.assumptions();
    let assumption_notes = report.notes();
    let mut assumption_problems = report.problems();
    assumption_problems.extend(sets.problem());
    let final_params = run.final_params.to_params();
    let balancedness_drift =
        (0..m).map(|j| (run.final_params.imbalance(j) - theta0.imbalance(j)).abs()).fold(0.0, f64::max);
    Ok(SimulateReport {
        n: data.n(),
        d: data.d(),
        m,
        lambda,
        method: args.method,
        coordinates: choice.ran,
        coordinates_reason: choice.reason,
        steps: run.summary.steps,
        gradient_evaluations: run.summary.gradient_evaluations,
        time: run.summary.time,
        stop_reason: run.summary.stop_reason,
        loss_target: args.until_loss,
        loss_target_reached: args.until_loss.map(|x| run.summary.final_loss < x),
        step_cap: step_cap(args),
        final_loss: run.summary.final_loss,
        interpolates: run.summary.final_loss <= INTERPOLATION_LOSS_RATIO * zero_loss(data),
        param_norm_sq: run.final_params.norm_sq(),
        min_norm_sq: theory::min_norm_sq(data),
        d_plus_norm: theory::d_plus_norm(data),
        d_minus_norm: theory::d_minus_norm(data),
        s_plus_1: sets.s_plus_1.len(),
        s_minus_1: sets.s_minus_1.len(),
        balancedness_drift,
        predictions: predictions(model, &run.final_params, &final_params, data),
        assumption_problems,
        assumption_notes,
        initial: theta0.to_params(),
        final_params,
        flow: run.summary.flow,
    })
}

/// `L(0) = (1/2n) sum_k y_k^2`, the loss at `theta = 0`.
fn zero_loss(data: &Dataset) -> f64 {
    crate::numerics::norm_sq(data.y()) / (2.0 * data.n() as f64)
}

/// The step cap of a run: `--steps`, else the flow's default cap when only `--until-loss` is given.
fn step_cap(args: &SimulateArgs) -> Option<u64> {
    match (args.method, args.steps, args.horizon) {
        (_, Some(k), _) => Some(k),
        (Method::Flow, None, None) => Some(DEFAULT_FLOW_STEP_CAP),
        _ => None,
    }
}

/// Why the run stopped, in words, and whether it reached `--until-loss`.
fn stop_sentence(r: &SimulateReport) -> String {
    use crate::solver::StopReason;
    let target = match (r.loss_target, r.loss_target_reached) {
        (Some(x), Some(true)) => format!("; the loss target {x:e} was reached"),
        (Some(x), _) => format!("; the loss target {x:e} was NOT reached (final loss {:.3e})", r.final_loss),
        _ => String::new(),
    };
    match r.stop_reason {
        StopReason::LossBelow => format!("stopped: the loss fell below the target at step {}", r.steps),
        StopReason::Horizon => format!("stopped: the time horizon {} was reached{target}", r.time),
        StopReason::MaxSteps if r.method == Method::Flow && r.step_cap == Some(DEFAULT_FLOW_STEP_CAP) => format!(
            "stopped: the flow's default cap of {DEFAULT_FLOW_STEP_CAP} accepted steps was reached at time {:.6e}\
             {target}; raise the cap with --steps K or give --horizon T",
            r.time
        ),
        StopReason::MaxSteps => format!("stopped: --steps {} reached{target}", r.steps),
    }
}

/// `h(x_k)` at `params` (`plain` is `params.to_params()`): the plain network, unless one of its
/// products leaves the `f64` range where the scaled form does not (an inactive neuron with
/// `<w_j, x_k>` beyond `f64::MAX` gives `0 x -inf = NaN` in plain units); then `r_k + y_k` from the
/// scaled kernel, the numbers the run itself used.
fn predictions(model: crate::network::ValidModel, params: &ScaledParams, plain: &Params, data: &Dataset) -> Vec<f64> {
    let h = model.predict(plain, data);
    if h.iter().all(|v| v.is_finite()) {
        return h;
    }
    let mut kernel = crate::network::Kernel::new(data, model, params.m());
    kernel.set_exponents(&params.exponent);
    kernel.forward(params.theta_hat(), crate::network::Pattern::Sign);
    kernel.residuals().iter().zip(data.y()).map(|(r, y)| r + y).collect()
}

/// `reluflow simulate`: the report as text (JSON with `--json`, else a human summary).
pub fn run(args: &SimulateArgs) -> Result<String, CliError> {
    use std::fmt::Write as _;
    let report = simulate(args)?;
    if args.json {
        return Ok(serde_json::to_string(&report).expect("a report serialises") + "\n");
    }
    let mut o = String::new();
    let method = match (report.method, args.step) {
        (Method::Gd, step) => format!("{} (step {:e})", report.method, step.unwrap_or(DEFAULT_GD_STEP)),
        (Method::Flow, _) => format!("{} (rtol {:e})", report.method, args.rtol),
    };
    let _ = writeln!(
        o,
        "reluflow simulate: n = {}, d = {}, m = {}, {method}, {}",
        report.n, report.d, report.m, report.coordinates
    );
    let _ = writeln!(o, "  coordinates: {}", report.coordinates_reason);
    for p in &report.assumption_problems {
        let _ = writeln!(o, "  warning: {p}");
    }
    for p in &report.assumption_notes {
        let _ = writeln!(o, "  note: {p}");
    }
    let _ = writeln!(
        o,
        "  steps {}  gradient evaluations {}  time {:.6}",
        report.steps, report.gradient_evaluations, report.time
    );
    if let Some(f) = &report.flow {
        let _ = writeln!(o, "  {}", crate::solver::flow::integrator_summary(f));
    }
    let _ = writeln!(o, "  {}", stop_sentence(&report));
    let _ =
        writeln!(o, "  final loss      {:.6e}   (paper's L = 1/(2n) sum (h - y)^2; torch MSE = 2L)", report.final_loss);
    let _ = match report.min_norm_sq {
        Some(min) if !report.interpolates => writeln!(
            o,
            "  |theta|^2       {:.9}   not an interpolator (loss > {INTERPOLATION_LOSS_RATIO:e} x L(0)): Proposition \
             1's minimum {:.9} is for interpolators",
            report.param_norm_sq, min
        ),
        Some(min) => writeln!(
            o,
            "  |theta|^2       {:.9}   minimum (Proposition 1) {:.9}   excess {:.3e}",
            report.param_norm_sq,
            min,
            report.param_norm_sq - min
        ),
        None => writeln!(
            o,
            "  |theta|^2       {:.9}   (no closed-form minimum: inputs not orthogonal, a zero input with a non-zero \
             label, or beyond the f64 range)",
            report.param_norm_sq
        ),
    };
    let _ = writeln!(
        o,
        "  |S+,1| = {}  |S-,1| = {}  balancedness drift {:.3e}",
        report.s_plus_1, report.s_minus_1, report.balancedness_drift
    );
    Ok(o)
}

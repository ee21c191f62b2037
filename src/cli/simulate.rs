//! `reluflow simulate`: one training run, reported as a human summary or one JSON object.

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
    pub n: usize,
    pub d: usize,
    pub m: usize,
    /// `null` with --init-from.
    pub lambda: Option<f64>,
    pub method: Method,
    /// The simulator that ran: `full` or `reduced` (never `auto`).
    pub coordinates: Coordinates,
    /// Why: the flag, or what `auto` found about the inputs.
    pub coordinates_reason: String,
    pub steps: u64,
    pub gradient_evaluations: u64,
    /// Simulated time (steps x eta for GD), never wall-clock.
    pub time: f64,
    pub stop_reason: crate::solver::StopReason,
    /// `--until-loss`, if given.
    pub loss_target: Option<f64>,
    /// Whether the final loss is below `--until-loss` (`null` without a target).
    pub loss_target_reached: Option<bool>,
    /// The cap on steps that applied: `--steps`, or the flow's default cap
    /// ([`DEFAULT_FLOW_STEP_CAP`]) when only `--until-loss` was given; `null` for none.
    pub step_cap: Option<u64>,
    pub final_loss: f64,
    /// The end is an interpolator: `final_loss <= INTERPOLATION_LOSS_RATIO x L(0)`, with
    /// `L(0) = (1/2n) sum y_k^2` ([`INTERPOLATION_LOSS_RATIO`]).
    pub interpolates: bool,
    pub param_norm_sq: f64,
    /// Proposition 1's minimum; `null` when the inputs are not orthogonal (or see `theory::min_norm_sq`).
    pub min_norm_sq: Option<f64>,
    pub d_plus_norm: f64,
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
    pub initial: Params,
    #[serde(rename = "final")]
    pub final_params: Params,
    /// The flow's integrators (absent for GD): `integrator` (`dopri5`, or `ros2` after the switch
    /// of a stiff flow), `stiffness_detected_at`, `switched_at`, `explicit_steps`, `inadmissible_steps`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<crate::solver::FlowReport>,
}

/// Resolves the data flags.
pub fn load_data(args: &DataArgs) -> Result<Dataset, CliError> {
    match (&args.data, &args.random_orthonormal) {
        (Some(_), Some(_)) => Err(CliError::Usage("give either --data or --random-orthonormal, not both".into())),
        (None, None) => Err(CliError::Usage(
            "no data: give --data FILE (.json/.csv), --data toy, or --random-orthonormal N,D".into(),
        )),
        (Some(d), None) if d == "toy" => Ok(generate::toy()),
        (Some(path), None) => Ok(data_io::load(std::path::Path::new(path))?),
        (None, Some(spec)) => {
            let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
            let parse = |s: &str| s.parse::<usize>().ok();
            match parts.as_slice() {
                [n, d] => match (parse(n), parse(d)) {
                    (Some(n), Some(d)) => Ok(generate::random_orthonormal(n, d, &Default::default(), args.data_seed)?),
                    _ => Err(CliError::Usage(format!(
                        "--random-orthonormal {spec}: expected two positive integers N,D (e.g. 8,10)"
                    ))),
                },
                _ => Err(CliError::Usage(format!("--random-orthonormal {spec}: expected N,D (e.g. 8,10)"))),
            }
        }
    }
}

/// Reads `{"a": [...], "w": [[...], ...]}` and checks it against `d`.
pub fn load_params(path: &std::path::Path, d: usize) -> Result<Params, CliError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CliError::File {
        action: "read",
        path: p.clone(),
        reason: e.to_string(),
    })?;
    let params: Params =
        serde_json::from_str(&text).map_err(|e| CliError::ParamsFile { path: p.clone(), reason: e.to_string() })?;
    if params.a.is_empty() {
        return Err(CliError::ParamsFile { path: p, reason: "no neurons (a is empty)".into() });
    }
    if params.w.len() != params.a.len() {
        return Err(CliError::ParamsFile {
            path: p,
            reason: format!("{} entries in a but {} rows in w", params.a.len(), params.w.len()),
        });
    }
    for (j, row) in params.w.iter().enumerate() {
        if row.len() != d {
            return Err(CliError::ParamsFile {
                path: p,
                reason: format!("w[{j}] has {} coordinates but the data have d = {d}", row.len()),
            });
        }
    }
    if let Some(v) = params.a.iter().chain(params.w.iter().flatten()).find(|v| !v.is_finite()) {
        return Err(CliError::ParamsFile { path: p, reason: format!("non-finite value {v}") });
    }
    Ok(params)
}

/// The model flags.
pub fn model_of(args: &SimulateArgs) -> Result<crate::network::ValidModel, CliError> {
    let activation = match args.leaky {
        Some(slope) => Activation::Leaky { slope },
        None => Activation::Relu,
    };
    Ok(Model { activation, relu_prime_at_zero: args.relu_prime_at_zero }.validate()?)
}

/// Streams `step,time,loss,param_norm_sq` rows.
struct Trace {
    out: BufWriter<std::fs::File>,
    every: u64,
    error: Option<std::io::Error>,
}

impl Observer for Trace {
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, v: &View) {
        if self.error.is_none() && v.step % self.every == 0 {
            // `{:e}`: the shortest text that reads back to the same bits, in scientific notation
            // (`{}` writes fixed-point: 300 characters for a loss of 1e-300)
            if let Err(e) = writeln!(self.out, "{},{:e},{:e},{:e}", v.step, v.time, v.loss, v.params.norm_sq()) {
                self.error = Some(e);
            }
        }
    }
}

/// A progress bar on stderr, shown only on a terminal and only once a run has lasted 1 s.
struct Progress {
    start: Instant,
    bar: Option<indicatif::ProgressBar>,
    total_steps: Option<u64>,
    horizon: Option<f64>,
    enabled: bool,
}

impl Progress {
    fn new(total_steps: Option<u64>, horizon: Option<f64>) -> Self {
        Self { start: Instant::now(), bar: None, total_steps, horizon, enabled: std::io::stderr().is_terminal() }
    }
}

impl Observer for Progress {
    fn wants_every_step(&self) -> bool {
        self.enabled
    }
    fn on_step(&mut self, v: &View) {
        if v.step % 256 != 0 {
            return;
        }
        if self.bar.is_none() && self.start.elapsed().as_secs_f64() > 1.0 {
            let (len, style) = match (self.total_steps, self.horizon) {
                (Some(k), _) => (k, "{bar:40} {pos}/{len} steps  loss {msg}"),
                (None, Some(_)) => (1000, "{bar:40} t = {msg}"),
                _ => (0, "{spinner} {pos} steps  loss {msg}"),
            };
            let bar = indicatif::ProgressBar::new(len);
            if let Ok(s) = indicatif::ProgressStyle::with_template(style) {
                bar.set_style(s);
            }
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            match (self.total_steps, self.horizon) {
                (Some(k), _) => {
                    bar.set_position(v.step);
                    bar.set_message(format!(
                        "{:.3e}  {}",
                        v.loss,
                        remaining(self.start.elapsed().as_secs_f64(), v.step as f64 / k as f64)
                    ));
                }
                (None, Some(t)) => {
                    bar.set_position((1000.0 * v.time / t) as u64);
                    let eta = remaining(self.start.elapsed().as_secs_f64(), v.time / t);
                    bar.set_message(format!("{:.4}  loss {:.3e}  {eta}", v.time, v.loss));
                }
                _ => {
                    bar.set_position(v.step);
                    bar.set_message(format!("{:.3e}", v.loss));
                }
            }
        }
    }
}

/// The time left, `elapsed (1 - f) / f` at fraction `f` done, measured from the start of the run
/// (indicatif's own estimate starts when the bar appears, one second in, and read `eta 0s` at 18%).
/// An extrapolation: the flow's steps slow down near a saddle's exit and speed up after it.
pub fn remaining(elapsed: f64, fraction: f64) -> String {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return "eta ?".into();
    }
    let left = elapsed * (1.0 - fraction) / fraction;
    match left {
        l if l < 120.0 => format!("eta {l:.0}s"),
        l if l < 7200.0 => format!("eta {:.0}min", l / 60.0),
        l => format!("eta {:.1}h", l / 3600.0),
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Flag combinations that depend on `--method`, checked before any file is created.
fn check_method_flags(args: &SimulateArgs) -> Result<(), CliError> {
    match args.method {
        Method::Gd => {
            if args.steps.is_none() && args.horizon.is_none() {
                return Err(CliError::Usage(format!(
                    "--method gd needs --steps K or --horizon T (the step is --step ETA, default {DEFAULT_GD_STEP:e}: \
                     the paper's Section 5 setting, e.g. --steps 20000)"
                )));
            }
            if args.rtol != 1e-9 {
                return Err(CliError::Usage("--rtol applies to --method flow only".into()));
            }
        }
        Method::Flow => {
            if args.step.is_some() {
                return Err(CliError::Usage(
                    "--step is the gradient-descent step: with --method flow use --horizon T, --until-loss X and --rtol"
                        .into(),
                ));
            }
            if args.horizon.is_none() && args.steps.is_none() && args.until_loss.is_none() {
                return Err(CliError::Usage(
                    "--method flow needs --horizon T or --until-loss X (or --steps K as a cap)".into(),
                ));
            }
        }
    }
    Ok(())
}

/// Data, model and `theta(0)` of a `simulate`-style command line, validated.
pub struct Prepared {
    pub data: Dataset,
    pub model: crate::network::ValidModel,
    pub theta0: ScaledParams,
    /// `None` with `--init-from`.
    pub lambda: Option<f64>,
    pub m: usize,
}

/// Copies of the per-neuron state `m (d + 1 + n)` a run holds at its peak, from measured peak
/// memory (`/usr/bin/time -f %M`, toy data, `m = 1e5` and `4e5`): gradient descent 184 bytes per
/// neuron at `d = n = 2` (4.6 copies of 40 bytes), the flow 592 (14.8 copies: the Dormand-Prince
/// stages, dense output and event scratch). Rounded up.
pub const STATE_COPIES_GD: usize = 5;
/// See [`STATE_COPIES_GD`].
pub const STATE_COPIES_FLOW: usize = 15;

/// `MemAvailable` of `/proc/meminfo` in bytes (`None` where it cannot be read: no check then).
pub fn available_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// [`CliError::TooLarge`] when `width` neurons on `data` would need more memory than is
/// available (estimated from [`STATE_COPIES_GD`] / [`STATE_COPIES_FLOW`]), before anything is
/// allocated: a width that does not fit fails at once instead of swapping the machine to a halt.
pub fn check_memory(method: Method, width: usize, data: &Dataset, available: Option<f64>) -> Result<(), CliError> {
    let Some(available) = available else { return Ok(()) };
    let (n, d) = (data.n(), data.d());
    let copies = match method {
        Method::Gd => STATE_COPIES_GD,
        Method::Flow => STATE_COPIES_FLOW,
    };
    let per_neuron = (copies * (d + 1 + n) * 8) as f64;
    let needed = width as f64 * per_neuron;
    if needed <= available {
        return Ok(());
    }
    Err(CliError::TooLarge {
        width,
        n,
        d,
        method: method.name(),
        copies,
        needed_gb: needed / 1e9,
        available_gb: available / 1e9,
        max_width: (available / per_neuron) as usize,
    })
}

/// Validates the flags and draws (or reads) `theta(0)`; creates no file.
pub fn prepare(args: &SimulateArgs) -> Result<Prepared, CliError> {
    let data = load_data(&args.data)?;
    let model = model_of(args)?;
    let (theta0, lambda, m) = match &args.init_from {
        Some(path) => {
            let p = load_params(path, data.d())?;
            let m = p.m();
            (ScaledParams::from_params(&p), None, m)
        }
        None => {
            let kind = match args.init {
                InitArg::Balanced => InitKind::Balanced,
                InitArg::Unbalanced => InitKind::Unbalanced,
            };
            let spec = InitSpec { kind, width: args.width, lambda: args.lambda, seed: args.seed }.validate()?;
            check_memory(args.method, args.width, &data, available_memory())?;
            (spec.draw(data.d()).params, Some(args.lambda), args.width)
        }
    };
    check_method_flags(args)?;
    if args.trace_every == 0 {
        return Err(CliError::Usage("--trace-every 0: give a positive number of steps (e.g. 100)".into()));
    }
    Ok(Prepared { data, model, theta0, lambda, m })
}

/// The simulator a run uses and why (see [`choose_coordinates`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CoordinatesChoice {
    /// `Full` or `Reduced`.
    pub ran: Coordinates,
    pub reason: String,
}

/// Resolves `--coordinates`: `auto` takes the reduced path when it runs on `data` (pairwise
/// orthogonal inputs to [`ORTHONORMAL_TOL`](crate::data::ORTHONORMAL_TOL), non-degenerate
/// norms: [`check_inputs`](crate::solver::reduced::check_inputs)), the full simulator otherwise.
pub fn choose_coordinates(requested: Coordinates, data: &Dataset) -> CoordinatesChoice {
    match requested {
        Coordinates::Full => CoordinatesChoice { ran: Coordinates::Full, reason: "--coordinates full".into() },
        Coordinates::Reduced => CoordinatesChoice { ran: Coordinates::Reduced, reason: "--coordinates reduced".into() },
        Coordinates::Auto => match crate::solver::reduced::check_inputs(data) {
            Ok(()) => CoordinatesChoice {
                ran: Coordinates::Reduced,
                reason: format!(
                    "auto: the inputs are pairwise orthogonal (max |cos(x_k, x_l)| = {:.1e} <= {:e}), so the reduced \
                     path runs (Assumption 1 exactly; --coordinates full for the full simulator)",
                    data.assumptions().max_offdiag_cosine,
                    crate::data::ORTHONORMAL_TOL
                ),
            },
            Err(why) => {
                use crate::solver::reduced::ReducedError;
                let finding = match why {
                    ReducedError::NotOrthogonal { max_offdiag_cosine, pair: (k, l), tolerance } => format!(
                        "the inputs are not pairwise orthogonal: |cos(x_{k}, x_{l})| = {max_offdiag_cosine:.3e} > {tolerance:e} \
                         (the reduced path's tolerance)"
                    ),
                    ReducedError::DegenerateInput { point, norm_sq } => {
                        format!("|x_{point}|^2 = {norm_sq:e} (the reduced path needs a finite, invertible |x_k|^2)")
                    }
                    other => other.to_string(),
                };
                CoordinatesChoice { ran: Coordinates::Full, reason: format!("auto: full simulator, because {finding}") }
            }
        },
    }
}

/// Trains as the flags say, reporting to `observer` (plus a progress bar on a terminal).
pub fn train(args: &SimulateArgs, p: &Prepared, observer: &mut dyn Observer) -> Result<Run, CliError> {
    let stop =
        StopRule { max_steps: args.steps, horizon: args.horizon, until_loss: args.until_loss, ..Default::default() };
    let mut progress = Progress::new(args.steps, args.horizon);
    let mut both = (observer, &mut progress);
    Ok(match args.method {
        Method::Gd => {
            let step = args.step.unwrap_or(DEFAULT_GD_STEP);
            let cfg = GdConfig { step, stop };
            match choose_coordinates(args.coordinates, &p.data).ran {
                Coordinates::Reduced => run_gd_reduced(&p.data, p.model, &p.theta0, &cfg, &mut both)?,
                _ => run_gd(&p.data, p.model, &p.theta0, &cfg, &mut both)?,
            }
        }
        Method::Flow => {
            if let Some(w) = stiffness_warning(p, args.horizon) {
                eprintln!("warning: {w}");
            }
            let mut stop = stop;
            if stop.horizon.is_none() && stop.max_steps.is_none() {
                // until-loss alone: a generous cap so that a run that never gets there ends
                stop.max_steps = Some(DEFAULT_FLOW_STEP_CAP);
            }
            let cfg = FlowConfig { rtol: args.rtol, stop, ..Default::default() };
            match choose_coordinates(args.coordinates, &p.data).ran {
                Coordinates::Reduced => run_flow_reduced(&p.data, p.model, &p.theta0, &cfg, &mut both)?,
                _ => run_flow(&p.data, p.model, &p.theta0, &cfg, &mut both)?,
            }
        }
    })
}

/// Explicit Dormand-Prince steps per unit of time above which [`stiffness_warning`] speaks.
const STIFF_STEPS_PER_TIME: f64 = 1e5;
/// Total explicit steps to the horizon above which [`stiffness_warning`] speaks.
const STIFF_STEPS: f64 = 1e6;

/// A warning when the flow is stiff at `theta_0`, as at large `lambda` (the lazy regime): the
/// Gauss-Newton part of the Hessian of `L`, `(1/n) J^T J` with `J` the Jacobian of the outputs
/// `h(x_k)`, has its largest eigenvalue `mu >= trace / n` with
/// `trace = (1/n) sum_k |grad h(x_k)|^2 = (1/n) sum_k sum_j (act(<w_j, x_k>)^2 + a_j^2 act'^2 |x_k|^2)`,
/// and an explicit Dormand-Prince step is stable only for `h <~ 3.3 / mu` (its stability region on
/// the negative real axis), so the run needs about `mu / 3.3` steps per unit of time or more (the
/// rest of the Hessian, `(1/n) sum_k r_k grad^2 h(x_k)`, is left out: an estimate, which
/// `tests/cli.rs` holds against the integrator's actual steps at `lambda = 1e3`). `None`
/// below [`STIFF_STEPS_PER_TIME`] per unit of time and (with a horizon) [`STIFF_STEPS`] in all.
fn stiffness_warning(p: &Prepared, horizon: Option<f64>) -> Option<String> {
    let params = p.theta0.to_params();
    let n = p.data.n();
    let mut trace = 0.0;
    for k in 0..n {
        let x = p.data.x(k);
        let x_sq = dot(x, x);
        for (a, w) in params.a.iter().zip(&params.w) {
            let z = dot(w, x);
            let (act, der) = (p.model.act(z), p.model.act_prime(z));
            // (a act')^2, not a^2 act'^2: no inf * 0 = NaN when a^2 overflows on an inactive coordinate
            let ad = a * der;
            trace += act * act + ad * ad * x_sq;
        }
    }
    // trace of (1/n) J^T J is (1/n) sum_k |grad h(x_k)|^2; its largest eigenvalue is >= trace / n
    let mu_lower = trace / (n as f64 * n as f64);
    let per_time = mu_lower / 3.3;
    let total = horizon.map(|t| t * per_time);
    // (a non-finite estimate means a non-finite start: the run reports that as an error at step 0)
    if !(per_time.is_finite() && per_time > STIFF_STEPS_PER_TIME && total.is_none_or(|s| s > STIFF_STEPS)) {
        return None;
    }
    let expect = match total {
        Some(s) => format!("about {s:.1e} steps to the horizon or more"),
        None => format!("about {per_time:.1e} steps per unit of time or more"),
    };
    Some(format!(
        "the flow is stiff at this initialisation: the Gauss-Newton part of the loss's Hessian has an eigenvalue >= \
         {mu_lower:.3e}, so the \
         explicit Dormand-Prince integrator would need steps below ~{:.1e} ({expect}); the run switches to the \
         linearly implicit Rosenbrock-W integrator (ROS2) as soon as Hairer's stiffness test fires (the summary says \
         when); gradient descent would need --step below {:.1e}",
        3.3 / mu_lower,
        2.0 / mu_lower
    ))
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

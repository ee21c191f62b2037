//! `reluflow simulate`: one training run, reported as a human summary or one JSON object.

use super::CliError;
use crate::data::{Dataset, generate, io as data_io};
use crate::init::{InitKind, InitSpec, NeuronSets};
use crate::network::{Activation, Model, dot};
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
    /// The full simulator on `(a_j, w_j)` in R^(1+d) (any inputs).
    Full,
    /// The fast path on `(a_j, <w_j, x_k>)` in R^(1+n) (`solver::reduced`): pairwise orthogonal
    /// inputs only (typed error otherwise); `O(m n)` per step instead of `O(m n d)`.
    Reduced,
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
    #[arg(long, default_value_t = 1e-6, value_name = "L", allow_negative_numbers = true)]
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
    /// Simulator: `full`, or `reduced` (the fast path for pairwise orthogonal inputs, e.g. the toy
    /// or --random-orthonormal; the same dynamics in the coordinates <w_j, x_k>).
    #[arg(long, value_enum, default_value_t = Coordinates::Full)]
    pub coordinates: Coordinates,
    /// Gradient-descent step eta on the paper's loss L (a torch MSELoss lr is eta/2).
    #[arg(long, value_name = "ETA", allow_negative_numbers = true)]
    pub step: Option<f64>,
    /// Number of gradient-descent steps (or a cap on accepted flow steps).
    #[arg(long, value_name = "K")]
    pub steps: Option<u64>,
    /// Simulated time horizon.
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub horizon: Option<f64>,
    /// Stop as soon as the loss is below X.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub until_loss: Option<f64>,
    /// Relative tolerance of the flow integrator (per neuron).
    #[arg(long, default_value_t = 1e-9, value_name = "RTOL")]
    pub rtol: f64,
    /// relu'(0) used in the gradient (Proposition 2: only 0 gives a global flow).
    #[arg(long, default_value_t = 0.0, value_name = "S0", allow_negative_numbers = true)]
    pub relu_prime_at_zero: f64,
    /// Use a leaky ReLU with this negative slope (negative controls).
    #[arg(long, value_name = "SLOPE", allow_negative_numbers = true)]
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
    pub coordinates: Coordinates,
    pub steps: u64,
    pub gradient_evaluations: u64,
    /// Simulated time (steps x eta for GD), never wall-clock.
    pub time: f64,
    pub stop_reason: crate::solver::StopReason,
    pub final_loss: f64,
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
            if let Err(e) = writeln!(self.out, "{},{},{},{}", v.step, v.time, v.loss, v.params.norm_sq()) {
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
                (Some(k), _) => (k, "{bar:40} {pos}/{len} steps  loss {msg}  eta {eta}"),
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
                (Some(_), _) => {
                    bar.set_position(v.step);
                    bar.set_message(format!("{:.3e}", v.loss));
                }
                (None, Some(t)) => {
                    bar.set_position((1000.0 * v.time / t) as u64);
                    bar.set_message(format!("{:.4}  loss {:.3e}", v.time, v.loss));
                }
                _ => {
                    bar.set_position(v.step);
                    bar.set_message(format!("{:.3e}", v.loss));
                }
            }
        }
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
            if args.step.is_none() {
                return Err(CliError::Usage(
                    "--method gd needs --step ETA (e.g. --step 1e-3) and --steps K or --horizon T".into(),
                ));
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
            (spec.draw(data.d()).params, Some(args.lambda), args.width)
        }
    };
    check_method_flags(args)?;
    if args.trace_every == 0 {
        return Err(CliError::Usage("--trace-every 0: give a positive number of steps (e.g. 100)".into()));
    }
    Ok(Prepared { data, model, theta0, lambda, m })
}

/// Trains as the flags say, reporting to `observer` (plus a progress bar on a terminal).
pub fn train(args: &SimulateArgs, p: &Prepared, observer: &mut dyn Observer) -> Result<Run, CliError> {
    let stop =
        StopRule { max_steps: args.steps, horizon: args.horizon, until_loss: args.until_loss, ..Default::default() };
    let mut progress = Progress::new(args.steps, args.horizon);
    let mut both = (observer, &mut progress);
    Ok(match args.method {
        Method::Gd => {
            let step = args.step.expect("checked by check_method_flags");
            let cfg = GdConfig { step, stop };
            match args.coordinates {
                Coordinates::Full => run_gd(&p.data, p.model, &p.theta0, &cfg, &mut both)?,
                Coordinates::Reduced => run_gd_reduced(&p.data, p.model, &p.theta0, &cfg, &mut both)?,
            }
        }
        Method::Flow => {
            if let Some(w) = stiffness_warning(p, args.horizon) {
                eprintln!("warning: {w}");
            }
            let mut stop = stop;
            if stop.horizon.is_none() && stop.max_steps.is_none() {
                // until-loss alone: a generous cap so that a run that never gets there ends
                stop.max_steps = Some(10_000_000);
            }
            let cfg = FlowConfig { rtol: args.rtol, stop, ..Default::default() };
            match args.coordinates {
                Coordinates::Full => run_flow(&p.data, p.model, &p.theta0, &cfg, &mut both)?,
                Coordinates::Reduced => run_flow_reduced(&p.data, p.model, &p.theta0, &cfg, &mut both)?,
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
         explicit integrator needs steps below ~{:.1e} ({expect}); lower --lambda (the lazy regime is stiff), or use \
         --method gd with --step below {:.1e}",
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
    let sets = NeuronSets::of(theta0, data);
    let mut assumption_problems = data.assumptions().problems();
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
        coordinates: args.coordinates,
        steps: run.summary.steps,
        gradient_evaluations: run.summary.gradient_evaluations,
        time: run.summary.time,
        stop_reason: run.summary.stop_reason,
        final_loss: run.summary.final_loss,
        param_norm_sq: run.final_params.norm_sq(),
        min_norm_sq: theory::min_norm_sq(data),
        d_plus_norm: theory::d_plus_norm(data),
        d_minus_norm: theory::d_minus_norm(data),
        s_plus_1: sets.s_plus_1.len(),
        s_minus_1: sets.s_minus_1.len(),
        balancedness_drift,
        predictions: predictions(model, &run.final_params, &final_params, data),
        assumption_problems,
        initial: theta0.to_params(),
        final_params,
        flow: run.summary.flow,
    })
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
    let _ = writeln!(
        o,
        "reluflow simulate: n = {}, d = {}, m = {}, method = {:?}, coordinates = {:?}",
        report.n, report.d, report.m, report.method, report.coordinates
    );
    for p in &report.assumption_problems {
        let _ = writeln!(o, "  warning: {p}");
    }
    let _ = writeln!(
        o,
        "  steps {}  gradient evaluations {}  time {:.6}",
        report.steps, report.gradient_evaluations, report.time
    );
    if let Some(f) = &report.flow {
        let _ = writeln!(o, "  {}", crate::solver::flow::integrator_summary(f));
    }
    let _ =
        writeln!(o, "  final loss      {:.6e}   (paper's L = 1/(2n) sum (h - y)^2; torch MSE = 2L)", report.final_loss);
    let _ = match report.min_norm_sq {
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

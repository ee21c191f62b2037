//! From a validated command line to a run: flag combinations, memory, coordinates, training
//! and the stiffness warning.

use super::*;

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
    /// The dataset.
    pub data: Dataset,
    /// The activation and `act'(0)`.
    pub model: crate::network::ValidModel,
    /// The initial parameters.
    pub theta0: ScaledParams,
    /// `None` with `--init-from`.
    pub lambda: Option<f64>,
    /// Width (number of neurons).
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
    /// Why: the flag, or what `auto` found about the inputs.
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

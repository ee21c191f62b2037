//! `reluflow predict`: the `lambda -> 0` limit of the training as a jump process, computed
//! without training ([`crate::theory::jump_process`]): the events, the loss staircase, the limit
//! norm against Proposition 1's minimum, the points never covered, and the exact probability
//! that a random balanced initialisation of this width covers every point.

use super::CliError;
use super::simulate::{SimulateArgs, prepare};
use crate::theory::jump_process::{JumpProcess, cover_probability, jump_process};
use clap::Args;
use serde::Serialize;
use std::fmt::Write as _;

pub use crate::theory::jump_process::NEAR_TIE_SIZE;

/// `predict` flags: the data and initialisation flags of `simulate` (including `--init-from`;
/// its `--json` prints the prediction as JSON).
#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// The `simulate` flags (only the data, the initialisation and `--json` are used).
    #[command(flatten)]
    pub sim: SimulateArgs,
    /// Instead of one instance: the limit's |theta|^2 over Proposition 1's minimum for growing n
    /// (random orthonormal inputs, d = n, m = ceil(ln(n/0.05)/ln(4/3)), the seeds 0..K), next to
    /// the gradient flow at small n (a measured law, issue 15).
    #[arg(long, conflicts_with_all = ["data", "random_orthonormal", "data_seed", "init_from", "width", "seed", "lambda"])]
    pub sweep_n: bool,
    /// The sizes n of --sweep-n, comma-separated (default 16,32,...,4096).
    #[arg(long = "n", value_name = "N,N,...", value_delimiter = ',')]
    pub sizes: Option<Vec<usize>>,
    /// Seeds per size for --sweep-n (seed k: --data-seed k --seed k) [default: 32].
    #[arg(long, value_name = "K")]
    pub seeds: Option<u64>,
    /// Run the gradient flow too at the sizes n <= N of --sweep-n (0: never) [default: 64].
    #[arg(long, value_name = "N")]
    pub simulate_up_to: Option<usize>,
    /// lambda of the gradient flow runs of --sweep-n [default: 1e-100].
    #[arg(long, value_name = "L", value_parser = super::simulate::parse_f64_flag)]
    pub simulate_lambda: Option<f64>,
}

impl PredictArgs {
    /// The sweep that `--sweep-n` and its flags describe.
    pub fn sweep_config(&self) -> crate::experiments::jump_sweep::SweepConfig {
        let default = crate::experiments::jump_sweep::SweepConfig::default();
        crate::experiments::jump_sweep::SweepConfig {
            sizes: self.sizes.clone().unwrap_or(default.sizes),
            seeds: self.seeds.unwrap_or(default.seeds),
            simulate_up_to: self.simulate_up_to.unwrap_or(default.simulate_up_to),
            lambda: self.simulate_lambda.unwrap_or(default.lambda),
        }
    }
}

/// What `predict --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    /// The jump events.
    pub events: Vec<PredictedEvent>,
    /// `2 sum_i |y_{S_i}|`.
    pub limit_norm_sq: f64,
    /// Proposition 1's minimum `2 (|y_+| + |y_-|)`.
    pub min_norm_sq: f64,
    /// Points never covered (they stay at `h = 0`).
    pub unfitted: Vec<usize>,
    /// `P(a random balanced initialisation of width m covers every point)`.
    pub cover_probability: f64,
    /// Near-ties between different sets' escape times (the order is then decided by `O(1)`
    /// terms at a finite `lambda`).
    pub near_ties: Vec<(usize, usize, f64, f64)>,
    /// `lambda`, if the initialisation was drawn (then `times = tau ln(1/lambda)` are given).
    pub lambda: Option<f64>,
    /// Width `m`.
    pub width: usize,
    /// Assumptions of the process the instance does not meet (empty when it meets them all): the
    /// prediction is still printed, but the flow need not follow it.
    pub caveats: Vec<String>,
}

/// One event of [`Prediction`].
#[derive(Debug, Clone, Serialize)]
pub struct PredictedEvent {
    /// `tau = t / ln(1/lambda)`.
    pub tau: f64,
    /// The first neuron of the escaping group.
    pub neuron: usize,
    /// The whole group.
    pub group: Vec<usize>,
    /// The points it fits.
    pub fits: Vec<usize>,
    /// The loss after the fit.
    pub loss_after: f64,
    /// `tau ln(1/lambda)`, the predicted time at this `lambda` (to leading order).
    pub time: Option<f64>,
    /// The largest competitor for the fitted points and its log-size at the escape.
    pub runner_up: Option<(usize, f64)>,
    /// Its size `exp(log_size ln(1/lambda))` at this `lambda` when the group reaches `O(1)`.
    pub runner_up_size: Option<f64>,
}

/// The prediction for the instance the flags describe.
pub fn predict(args: &PredictArgs) -> Result<(Prediction, JumpProcess), CliError> {
    // only the data and the initialisation are used: the training flags' own checks (a gradient
    // descent needs --steps) do not apply
    let mut sim = args.sim.clone();
    if sim.steps.is_none() && sim.horizon.is_none() {
        sim.steps = Some(1);
    }
    let p = prepare(&sim)?;
    let params = p.theta0.to_params();
    let signs: Vec<f64> = params.a.iter().map(|a| a.signum()).collect();
    let process = jump_process(&p.data, &params.w, &signs).map_err(|e| CliError::Usage(format!("{e}")))?;
    let (n_plus, n_minus) = (crate::theory::n_plus(&p.data), crate::theory::n_minus(&p.data));
    let ln = p.lambda.filter(|l| *l > 0.0 && *l < 1.0).map(|l| -l.ln());
    let prediction = Prediction {
        events: process
            .events
            .iter()
            .map(|e| PredictedEvent {
                tau: e.tau,
                neuron: e.neurons[0],
                group: e.neurons.clone(),
                fits: e.fits.clone(),
                loss_after: e.loss_after,
                time: ln.map(|l| e.tau * l),
                runner_up: e.runner_up,
                runner_up_size: e.runner_up.and_then(|(_, ls)| ln.map(|l| (ls * l).exp())),
            })
            .collect(),
        limit_norm_sq: process.limit_norm_sq,
        min_norm_sq: process.min_norm_sq,
        unfitted: process.unfitted.clone(),
        cover_probability: cover_probability(p.m, n_plus, n_minus),
        near_ties: process.near_ties.iter().map(|t| (t.first, t.other, t.taus.0, t.taus.1)).collect(),
        lambda: p.lambda,
        width: p.m,
        caveats: caveats(&p.model, &params),
    };
    Ok((prediction, process))
}

/// The assumptions of the derivation (`theory::jump_process`) that `model` and `theta(0)` do
/// not meet: `relu'(0) = 0` (Lemma 6: a coordinate at 0 stays put) and the balanced
/// initialisation `a_j = s_j |w_j|` (Lemma 1: the sign of `a_j` never changes; checked to
/// `1e-9 |theta_j|^2`, the rounding of a file written to a few digits passes).
pub fn caveats(model: &crate::network::ValidModel, theta0: &crate::params::Params) -> Vec<String> {
    use crate::network::Activation;
    let mut out = Vec::new();
    match model.activation() {
        Activation::Relu if model.relu_prime_at_zero() == 0.0 => {}
        Activation::Relu => out.push(format!(
            "relu'(0) = {}: the process needs relu'(0) = 0 (Lemma 6: a coordinate at 0 stays put)",
            model.relu_prime_at_zero()
        )),
        Activation::Leaky { slope } => out.push(format!(
            "leaky ReLU (slope {slope}): the process needs the ReLU (Lemma 6: coordinates <= 0 are frozen)"
        )),
    }
    let worst = (0..theta0.a.len())
        .map(|j| {
            let w_sq: f64 = theta0.w[j].iter().map(|v| v * v).sum();
            let size = theta0.a[j] * theta0.a[j] + w_sq;
            (j, if size > 0.0 { (theta0.a[j] * theta0.a[j] - w_sq).abs() / size } else { 0.0 })
        })
        .max_by(|x, y| x.1.total_cmp(&y.1));
    if let Some((j, gap)) = worst
        && gap > 1e-9
    {
        out.push(format!(
            "the initialisation is not balanced (neuron {j}: |a_j^2 - |w_j|^2| = {gap:.2e} |theta_j|^2): output weights can \
             change sign (Lemma 1's premise), the process assumes they do not"
        ));
    }
    out
}

/// Runs `predict`.
pub fn run(args: &PredictArgs) -> Result<String, CliError> {
    if args.sweep_n {
        return super::predict_sweep::run(&args.sweep_config(), args.sim.json);
    }
    if args.sizes.is_some() || args.seeds.is_some() || args.simulate_up_to.is_some() || args.simulate_lambda.is_some() {
        return Err(CliError::Usage("--n, --seeds, --simulate-up-to and --simulate-lambda go with --sweep-n".into()));
    }
    let (pr, process) = predict(args)?;
    if args.sim.json {
        return Ok(serde_json::to_string_pretty(&pr).expect("a prediction serialises") + "\n");
    }
    let mut out = String::new();
    for c in &pr.caveats {
        let _ = writeln!(out, "caveat: {c}");
    }
    let _ = writeln!(
        out,
        "the lambda -> 0 limit as a jump process (tau = t / ln(1/lambda)); initial loss {:.6}",
        process.initial_loss
    );
    let _ =
        writeln!(out, "{:>10} {:>12} {:>8} {:>7} {:<24} {:>12}", "tau", "t", "neuron", "group", "fits", "loss after");
    for e in &pr.events {
        let fits = format!("{:?}", e.fits);
        let competitor = match (e.runner_up, e.runner_up_size) {
            (Some((j, ls)), Some(size)) => format!(
                "neuron {j} ({ls:.4}; {size:.2e}){}",
                if size >= NEAR_TIE_SIZE { ": NEAR-TIE at this lambda, it shares the fit" } else { "" }
            ),
            (Some((j, ls)), None) => format!("neuron {j} ({ls:.4})"),
            _ => "-".to_string(),
        };
        let _ = writeln!(
            out,
            "{:>10.5} {:>12} {:>8} {:>7} {:<24} {:>12.6}  {competitor}",
            e.tau,
            e.time.map_or_else(|| "-".to_string(), |t| format!("{t:.4}")),
            e.neuron,
            e.group.len(),
            fits,
            e.loss_after
        );
    }
    let _ = writeln!(
        out,
        "limit |theta|^2 = {:.6}, Proposition 1's minimum {:.6} (ratio {:.6})",
        pr.limit_norm_sq,
        pr.min_norm_sq,
        pr.limit_norm_sq / pr.min_norm_sq
    );
    if pr.unfitted.is_empty() {
        let _ = writeln!(out, "every point is covered: the limit interpolates");
    } else {
        let _ = writeln!(
            out,
            "points never covered (they stay at h = 0): {:?}; limit loss {:.6}",
            pr.unfitted,
            process.loss_at(f64::INFINITY)
        );
    }
    let _ = writeln!(
        out,
        "P(a random balanced initialisation of width {} covers every point) = {:.6}",
        pr.width, pr.cover_probability
    );
    for (a, b, ta, tb) in &pr.near_ties {
        let _ = writeln!(
            out,
            "near-tie: neuron {a} escapes at tau = {ta:.9}, neuron {b} (another set) at {tb:.9}: at a finite lambda \
             the order is decided by O(1) terms"
        );
    }
    Ok(out)
}

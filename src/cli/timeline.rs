//! `reluflow timeline`: one training run (the `simulate` flags) read as a phase timeline.

use super::CliError;
use super::simulate::{Coordinates, CoordinatesChoice, SimulateArgs, choose_coordinates, prepare, train};
use crate::timeline::{PhaseTimeline, phase_timeline};
use crate::trajectory::{Recorder, SampleSchedule};
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;

/// `timeline` flags: those of `simulate`, plus an SVG figure.
#[derive(Debug, Clone, Args)]
pub struct TimelineArgs {
    /// The `simulate` flags.
    #[command(flatten)]
    pub sim: SimulateArgs,
    /// Draw the loss against time with the events and the predicted times into FILE.svg.
    #[arg(long, value_name = "FILE.svg")]
    pub svg: Option<PathBuf>,
}

/// The sampling of timeline runs: 20 log-spaced samples per decade from `t = 1e-3`, then a
/// linear grid of 1/400 of the horizon (or of `0.25` if there is none), at most 4000 samples.
pub fn schedule(horizon: Option<f64>) -> SampleSchedule {
    SampleSchedule { every: horizon.map_or(0.25, |t| t / 400.0), max_samples: 4000, ..SampleSchedule::default() }
}

/// Runs and reads the timeline (and draws the SVG if asked).
pub fn timeline(args: &TimelineArgs) -> Result<PhaseTimeline, CliError> {
    timeline_and_coordinates(args).map(|(tl, _)| tl)
}

/// [`timeline`], and the simulator that ran.
fn timeline_and_coordinates(args: &TimelineArgs) -> Result<(PhaseTimeline, CoordinatesChoice), CliError> {
    let p = prepare(&args.sim)?;
    let choice = choose_coordinates(args.sim.coordinates, &p.data);
    let lambda = p.lambda.ok_or_else(|| {
        CliError::Usage("timeline normalises times by ln(1/lambda): use --lambda, not --init-from".into())
    })?;
    if lambda >= 1.0 {
        return Err(CliError::Usage(format!(
            "timeline needs lambda < 1 (got {lambda}): times are divided by ln(1/lambda)"
        )));
    }
    let mut rec = Recorder::new(&p.data, schedule(args.sim.horizon));
    train(&args.sim, &p, &mut rec)?;
    let traj = rec.finish();
    let tl = phase_timeline(&p.data, lambda, &traj).map_err(|e| CliError::Usage(e.to_string()))?;
    if let Some(path) = &args.svg {
        let title = format!("reluflow timeline: n = {}, m = {}, lambda = {lambda:e}", p.data.n(), p.m);
        let staircase = predicted_staircase(&args.sim, &p, lambda);
        let svg = crate::plot::loss_timeline_with_staircase_svg(&title, &traj, &tl, staircase.as_ref())
            .map_err(|e| CliError::Usage(e.to_string()))?;
        super::errors::write_file(path, svg)?;
    }
    Ok((tl, choice))
}

/// The legend entry of the predicted staircase (the SVG of `timeline` carries it exactly when the
/// staircase is drawn).
pub const STAIRCASE_LABEL: &str = "jump process (lambda->0 limit), t_i = tau_i ln(1/lambda)";

/// The jump process's loss staircase at this `lambda` ([`crate::theory::jump_process`]: steps at
/// `t_i = tau_i ln(1/lambda)`, levels `loss_after`), when it applies: a balanced initialisation
/// of the ReLU (`relu'(0) = 0`, not leaky) on orthonormal inputs. `None` otherwise (the figure is
/// then drawn without it).
pub fn predicted_staircase(
    sim: &SimulateArgs,
    prepared: &super::simulate::Prepared,
    lambda: f64,
) -> Option<crate::plot::Staircase> {
    if sim.init != super::simulate::InitArg::Balanced || sim.leaky.is_some() || sim.relu_prime_at_zero != 0.0 {
        return None;
    }
    let params = prepared.theta0.to_params();
    let signs: Vec<f64> = params.a.iter().map(|a| a.signum()).collect();
    let process = crate::theory::jump_process::jump_process(&prepared.data, &params.w, &signs).ok()?;
    let ln_inv = -lambda.ln();
    Some(crate::plot::Staircase {
        initial: process.initial_loss,
        steps: process.events.iter().map(|e| (e.tau * ln_inv, e.loss_after)).collect(),
        label: STAIRCASE_LABEL.to_string(),
    })
}

/// The JSON of `timeline --json`: the timeline's fields and the simulator that ran.
#[derive(serde::Serialize)]
struct TimelineReport<'a> {
    #[serde(flatten)]
    timeline: &'a PhaseTimeline,
    /// `full` or `reduced`.
    coordinates: Coordinates,
    /// Why (the flag, or what `auto` found about the inputs).
    coordinates_reason: &'a str,
}

/// The timeline as a table: `-` is an event that did not happen during the run, `n/a` one whose
/// phase does not exist (the reasons follow the table).
pub fn table(tl: &PhaseTimeline) -> String {
    let mut o = String::new();
    let count = |c: Option<usize>| c.map_or("n/a".to_string(), |c| c.to_string());
    let level = tl.plateau_level.map_or("n/a".to_string(), |l| format!("{l:.6}"));
    let _ = writeln!(
        o,
        "phase timeline: ln(1/lambda) = {:.4}, |S+,1| = {}, |S-,1| = {}, plateau level {level}",
        tl.ln_inv_lambda,
        count(tl.s_plus_1),
        count(tl.s_minus_1)
    );
    if tl.labels_swapped {
        let r = if tl.r.is_finite() { format!(", r = {:.4} after the swap", tl.r) } else { String::new() };
        let _ = writeln!(o, "{}{r}", crate::timeline::SWAP_NOTE);
    }
    let _ = writeln!(o, "{:<20} {:>14} {:>16}", "event", "time", "time/ln(1/lam)");
    for (name, e) in tl.events() {
        let missing = if tl.not_applicable.contains_key(name) { "n/a" } else { "-" };
        match e {
            Some(e) => {
                let _ = writeln!(o, "{name:<20} {:>14.6} {:>16.6}", e.time, e.normalised);
            }
            None => {
                let _ = writeln!(o, "{name:<20} {missing:>14} {missing:>16}");
            }
        }
    }
    if let Some(p) = &tl.predicted {
        let _ = writeln!(o, "predicted (Figure 1, eps = {:.5}):", p.eps);
        for (name, t) in p.named() {
            let _ = writeln!(o, "{name:<20} {t:>14.6} {:>16.6}", t / tl.ln_inv_lambda);
        }
    }
    let _ = writeln!(o, "final loss {:.3e} at time {:.6}", tl.final_loss, tl.final_time);
    if tl.events().iter().any(|(name, e)| e.is_none() && !tl.not_applicable.contains_key(name)) {
        let _ = writeln!(o, "-: did not happen during the run");
    }
    for (reason, fields) in tl.not_applicable_by_reason() {
        let _ = writeln!(o, "not applicable (n/a): {}: {reason}", fields.join(", "));
    }
    o
}

/// `reluflow timeline`: the output text.
pub fn run(args: &TimelineArgs) -> Result<String, CliError> {
    let (tl, choice) = timeline_and_coordinates(args)?;
    Ok(if args.sim.json {
        let report = TimelineReport { timeline: &tl, coordinates: choice.ran, coordinates_reason: &choice.reason };
        serde_json::to_string(&report).expect("serialises") + "\n"
    } else {
        format!("coordinates: {}\n{}", choice.reason, table(&tl))
    })
}

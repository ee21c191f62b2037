//! The `reluflow` command line: `verify` (which claims hold), `claims` (what each claim is and how it
//! is checked), `simulate` (one training run), `timeline` and `reproduce`.

pub mod check;
pub mod claims;
pub mod errors;
pub mod frontier;
pub mod reproduce;
pub mod simulate;
pub mod timeline;
pub mod verify;

pub use errors::CliError;

use clap::{Parser, Subcommand};

/// reluflow: simulate and check the gradient-flow dynamics of shallow ReLU networks
/// (Boursier, Pillaud-Vivien & Flammarion, NeurIPS 2022).
#[derive(Debug, Parser)]
#[command(name = "reluflow", version, about, long_about = None)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every claim of the paper on random instances (or on one instance of your own) and print
    /// which hold.
    ///
    /// Prints one row per claim: its state (held: checked on at least one instance, none failed;
    /// FAILED; no evidence: every instance skipped or vacuous), instances run, held, failed,
    /// skipped (instances that do not meet the claim's requirements, never counted as held),
    /// vacuous (no bound could bite on the instance, never counted as held) and the worst margin.
    ///
    /// Exit codes: 0 every requested claim held; 1 a claim failed; 3 none failed but a claim had
    /// no evidence; 2 a usage or input error.
    ///
    /// The worst margin is dimensionless, so that claims can be compared: over the instances and
    /// the parts of a claim, the smallest of `margin / |bound|` (`1 - measured/bound` for an upper
    /// bound: 1 when the measured value is 0, 0 on the bound, negative when it fails) for the
    /// parts stated in plain units, and of `ln(bound/measured)` for the parts stated in log units
    /// (the bounds that are powers of lambda, such as Lemma 7's `2 c lambda^(1-eps)`: the measured
    /// value is e^margin times inside its bound); a part whose bound is 0 (a fitted exponent
    /// required positive) contributes its margin as is. `--json` also gives the binding part's
    /// raw `measured`, `bound` and `margin` and whether they are logs.
    Verify(verify::VerifyArgs),
    /// Judge a training run recorded by another program (PyTorch, JAX, numpy) against the paper.
    ///
    /// FILE is a `.npz` archive (or `.json`) with arrays x (n,d), y (n,), a (T,m), w (T,m,d) and
    /// either step (T,) with scalars lr and loss_factor (2 for torch MSELoss, 1 for the paper's
    /// L = 1/(2n) sum (h-y)^2; paper time = step * lr * loss_factor) or time (T,) in paper time;
    /// optional train_loss (T,) and lambda. python/reluflow_record.py writes it from a training
    /// loop. Arrays are float32 or float64 (the run's precision is that of w; every rounding
    /// budget uses its unit roundoff, 2^-24 or 2^-53); the first snapshot is the initialisation.
    /// JSON: {"x": [[..]], "y": [..], "snapshots": [{"step": 0, "a": [..], "w": [[..]]}, ..],
    /// "lr": 0.01, "loss_factor": 2} ("time" per snapshot instead of "step"; optional
    /// "train_loss", "lambda", "rtol", "dtype": "float32").
    ///
    /// Judged, each with claim ID, measured value, bound and margin: the assumption report;
    /// LOSS (the logged loss against loss_factor x L); L1 (the gradient-descent law of
    /// a_j^2 - |w_j|^2 with the given step, or the flow's budget with rtol; and the balanced
    /// init); L6; L7/L8 (ii) where a snapshot is early enough; TS (fit times against
    /// ln(1/lambda)/|D+-|, lambda estimated from w(0) if not given); F1 (the plateau level);
    /// L15 (final rate >= |D-|); T1 (zero loss, final norm); P1; and where the run ended
    /// (interpolator, stationary point with its loss and active pattern, still moving), with the
    /// kinks for 1-D inputs with a bias column. A row the file cannot show is "no evidence" with
    /// the reason. Snapshots are read in order, a few at a time (bounded memory).
    ///
    /// Exit codes as verify: 0 all held, 1 a failure, 3 no evidence somewhere, 2 bad input
    /// (the message names the array and the fix).
    Check(check::CheckArgs),
    /// Print the catalogue of the claims: statement, finite statement checked, tolerance, evidence,
    /// negative controls (text, --json or --markdown; docs/claims.md is the Markdown).
    Claims(claims::ClaimsArgs),
    /// Reproduce one of the paper's experiments: SVG figures and a JSON of the measured numbers.
    Reproduce(reproduce::ReproduceArgs),
    /// Train one network (the `simulate` flags) and print its phase timeline (Figure 1).
    Timeline(timeline::TimelineArgs),
    /// Train one network by gradient descent or gradient flow and report the result.
    Simulate(simulate::SimulateArgs),
    /// Measure the lambda* frontier of Section 3.2: for each (n, m, seed) cell, the largest lambda at
    /// which the run still shows the paper's dynamics, by bisection on ln(lambda) with the same g_j.
    ///
    /// A run shows them iff it has an intermediate plateau at Fact 1's level (1/2n) sum_{y<0} y^2,
    /// reaches zero loss, and ends with a relative norm excess over Proposition 1's minimum below
    /// EXCESS_MAX = 0.1 (`reluflow::frontier`). Cells: orthonormal inputs in R^n, labels |y| in
    /// [0.5, 2] with r >= 1.5, the balanced initialisation with Assumption 3. Prints lambda* per cell
    /// with its bracket [largest lambda that shows, smallest that does not], then least-squares fits
    /// of ln lambda* against ln m per n (the paper: slope -1/2) and against n per m, with 95%
    /// t-intervals. A bracket end that contradicts monotonicity (the bottom of the range does not
    /// show, or the top still shows) is reported, not bisected.
    Frontier(frontier::FrontierArgs),
}

/// Runs a parsed command; returns what it prints on stdout and its exit code.
pub fn run(cli: Cli) -> Result<(String, u8), CliError> {
    match cli.command {
        Command::Verify(args) => verify::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Claims(args) => Ok((claims::run(&args)?, 0)),
        Command::Simulate(args) => Ok((simulate::run(&args)?, 0)),
        Command::Timeline(args) => Ok((timeline::run(&args)?, 0)),
        Command::Reproduce(args) => Ok((reproduce::run(&args)?, 0)),
        Command::Frontier(args) => Ok((frontier::run(&args)?, 0)),
    }
}

//! The `reluflow` command line: `verify` (which claims hold), `claims` (what each claim is and how it
//! is checked), `simulate` (one training run), `timeline`, `reproduce`, `sweep`
//! (parameter grids) and `plot` (their figures).

pub mod check;
pub mod claims;
pub mod errors;
pub mod frontier;
pub mod merge;
pub mod plot;
pub mod predict;
pub mod predict_sweep;
pub mod replay;
pub mod reproduce;
pub mod shard_args;
pub mod simulate;
pub mod sweep;
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
    ///
    /// Sharded runs (see the README's "Runs beyond one machine"): `--shard I/N` (or
    /// `--shard-from-env` in a Slurm array job) runs a share of the (claim, case) pairs (numbered
    /// claim by claim in the order of --claims, cases 0, 1, ... within a claim; shard I takes the
    /// numbers k with k mod N = I - 1), `--jsonl FILE` records each pair
    /// as it finishes, `--resume FILE` completes a file, and `reluflow merge` joins the shards'
    /// files into this report. A sharded run exits 0 once its pairs are recorded (the run's
    /// verdict is merge's); `--resume` exits 4 when its file records a pair twice.
    Verify(verify::VerifyArgs),
    /// Join the `verify --jsonl` records of a run's shards into the run's report.
    ///
    /// Prints what `reluflow verify` prints for the unsharded run (with `--json`, the same
    /// bytes), taking the run's seed, cases and claims from the records. Every (claim, case) pair
    /// must be recorded exactly once.
    ///
    /// Exit codes: as verify (0 held, 1 a claim failed, 3 no evidence); 2 an unreadable file, a
    /// line that is not a record, or records of different runs; 4 an incomplete run (the missing
    /// and duplicate pairs are named, each with its `reluflow replay` command). A torn last line
    /// (a shard killed while writing it) is ignored with a warning: its pair is then missing.
    Merge(merge::MergeArgs),
    /// Rerun one case of verify and print its full verdict: the instance, outcome, statement,
    /// measured value, bound and margin.
    ///
    /// `reluflow replay L6 --case-seed 123` runs the check of claim L6 on the instance drawn from
    /// case seed 123 (a record's `case_seed`; verify and merge print the command with each
    /// failing case). Exit codes: 0 held, 1 failed, 3 skipped or vacuous, 2 a usage error.
    Replay(replay::ReplayArgs),
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
    /// Predict the lambda -> 0 limit of the training as a jump process, without training.
    ///
    /// Takes the `simulate` data and initialisation flags (including --init-from; orthonormal
    /// inputs). Neuron j grows on A_j = {k : <g_j, x_k> > 0, s_j y_k > 0} at rate
    /// |y restricted to A_j and the unfitted points| / n in tau = t / ln(1/lambda), from log-size
    /// -1; the first to reach 0 fits its points; rates are recomputed. Prints the events, the
    /// loss staircase, the limit norm against Proposition 1's minimum, the points never covered
    /// and the exact probability that a random balanced initialisation covers every point.
    Predict(predict::PredictArgs),
    /// Train one network by gradient descent or gradient flow and report the result.
    Simulate(simulate::SimulateArgs),
    /// Run a parameter sweep: a grid over lambda, m, n, d - n, the label ratio, the input
    /// coherence and the initialisation, K seeds per cell; one JSONL record per (cell, seed) with
    /// the measured quantities (final loss, relative norm excess over Proposition 1's minimum,
    /// plateaus and their levels, fit times over ln(1/lambda), active neurons, wall time) and the
    /// outcomes of `--claims`. Resumable (`--resume FILE`) and shardable (`--shard I/N`).
    Sweep(sweep::SweepArgs),
    /// Draw a sweep's records (`reluflow sweep --jsonl FILE`) as an SVG heatmap of a quantity or
    /// a claim's outcome over two grid parameters, or as lines (`--lines`) with error bands.
    Plot(plot::PlotArgs),
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
        Command::Merge(args) => merge::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Claims(args) => Ok((claims::run(&args)?, 0)),
        Command::Simulate(args) => Ok((simulate::run(&args)?, 0)),
        Command::Timeline(args) => Ok((timeline::run(&args)?, 0)),
        Command::Predict(args) => Ok((predict::run(&args)?, 0)),
        Command::Reproduce(args) => Ok((reproduce::run(&args)?, 0)),
        Command::Sweep(args) => sweep::run(&args),
        Command::Plot(args) => Ok((plot::run(&args)?, 0)),
        Command::Frontier(args) => Ok((frontier::run(&args)?, 0)),
    }
}

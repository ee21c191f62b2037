//! The `reluflow` command line: `simulate` (one training run).

pub mod errors;
pub mod simulate;

pub use errors::CliError;

use clap::{Parser, Subcommand};

/// reluflow: simulate and check the gradient-flow dynamics of shallow ReLU networks
/// (Boursier, Pillaud-Vivien & Flammarion, NeurIPS 2022).
#[derive(Debug, Parser)]
#[command(name = "reluflow", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train one network by gradient descent or gradient flow and report the result.
    Simulate(simulate::SimulateArgs),
}

/// Runs a parsed command and returns what it prints on stdout.
pub fn run(cli: Cli) -> Result<String, CliError> {
    match cli.command {
        Command::Simulate(args) => simulate::run(&args),
    }
}

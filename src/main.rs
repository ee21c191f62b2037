//! The `reluflow` binary: see `reluflow --help` and the README.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = reluflow::cli::Cli::parse();
    match reluflow::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

//! `reluflow replay CLAIM --case-seed S`: reruns one case of `verify` (the instance claim CLAIM
//! draws from seed S, then its check: `claims::registry::run`) and prints its full verdict.
//! Every failing case that `verify` and `merge` print comes with this command.
//!
//! Exit codes: 0 held, 1 failed (or the simulation failed), 3 skipped or vacuous (no evidence),
//! 2 a usage error.

use super::CliError;
use crate::campaign::{self, RecordedOutcome};
use crate::claims::{ClaimId, MarginScale};
use clap::Args;
use std::fmt::Write as _;

/// `replay` flags.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The claim ID (`reluflow claims` lists them).
    #[arg(value_name = "CLAIM")]
    pub claim: String,
    /// The case seed (a record's `case_seed`; verify and merge print it with each failure).
    #[arg(long, value_name = "S")]
    pub case_seed: u64,
}

/// A number as replay prints it: every digit needed to read it back exactly.
pub fn number(x: f64) -> String {
    format!("{x:e}")
}

/// `reluflow replay`: the verdict and the exit code.
pub fn run(args: &ReplayArgs) -> Result<(String, u8), CliError> {
    let claim = ClaimId::parse(&args.claim).ok_or_else(|| {
        let known: Vec<String> = ClaimId::ALL.iter().map(|c| c.to_string()).collect();
        CliError::Usage(format!("unknown claim ID {:?}: known IDs are {}", args.claim, known.join(",")))
    })?;
    let case = campaign::run_seed(claim, args.case_seed);
    // the record's view of the outcome (held, failed, ...), for a case of no run
    let run = campaign::RunParams { seed: 0, cases: 1, claims: vec![claim] };
    let item = campaign::WorkItem { index: 0, claim, case: 0, case_seed: args.case_seed };
    let record = campaign::CaseRecord::new(&run, &item, &case.outcome, case.instance.clone(), case.wall_time_s);
    let mut o = String::new();
    let _ = writeln!(o, "{}", campaign::replay_command(claim, args.case_seed));
    let _ = writeln!(o, "claim: {claim} ({})", claim.reference());
    match &case.instance {
        Some(i) => {
            let _ = writeln!(
                o,
                "instance: n = {}, d = {}, m = {}, lambda = {}, init seed {}, {}",
                i.n,
                i.d,
                i.m,
                number(i.lambda),
                i.init_seed,
                i.init
            );
        }
        None => {
            let _ = writeln!(o, "instance: none (the seed's draws gave no instance)");
        }
    }
    let _ = writeln!(o, "outcome: {}", record.outcome.label());
    let _ = writeln!(o, "statement: {}", record.statement);
    if let Some(v) = case.outcome.verdict() {
        let units = match v.scale() {
            MarginScale::Linear => "plain units",
            MarginScale::Log => "natural logarithms",
        };
        let _ = writeln!(o, "measured: {}", number(v.measured()));
        let _ = writeln!(o, "bound: {}", number(v.bound()));
        let _ = writeln!(o, "margin: {} ({units}; the case holds iff it is >= 0)", number(v.margin()));
        let _ = writeln!(o, "relative margin: {} (what verify's worst margin compares)", number(v.relative_margin()));
    }
    let _ = writeln!(o, "wall time: {:.3} s", case.wall_time_s);
    let code = match record.outcome {
        RecordedOutcome::Held => 0,
        RecordedOutcome::Failed | RecordedOutcome::Error => 1,
        RecordedOutcome::Skipped | RecordedOutcome::Vacuous => 3,
    };
    Ok((o, code))
}

//! Running a run's (claim, case) pairs into records: [`run_case`] for one, [`run_cases`] for
//! many in parallel, each record handed over as soon as its case finishes.

use super::params::{RunParams, WorkItem};
use super::record::{CaseRecord, InstanceShape};
use crate::claims::{ClaimId, Outcome, registry};
use std::time::Instant;

/// What one case gave: its outcome, the shape of its instance (`None` when the seed's draws gave
/// none) and its wall time in seconds.
#[derive(Clone, Debug)]
pub struct CaseRun {
    /// [`registry::run`]'s outcome.
    pub outcome: Outcome,
    /// The shape of the instance [`registry::instance`] draws.
    pub instance: Option<InstanceShape>,
    /// Seconds [`registry::run`] took.
    pub wall_time_s: f64,
}

/// Runs claim `claim` on the instance of `case_seed`: [`registry::run`], timed (what `reluflow
/// replay` and every case of `verify` do).
pub fn run_seed(claim: ClaimId, case_seed: u64) -> CaseRun {
    let start = Instant::now();
    let outcome = registry::run(claim, case_seed);
    let wall_time_s = start.elapsed().as_secs_f64();
    let instance = registry::instance(claim, case_seed).ok().map(|i| InstanceShape::of(&i));
    CaseRun { outcome, instance, wall_time_s }
}

/// Runs one case of `run` ([`run_seed`] on its case seed) into its record.
pub fn run_case(run: &RunParams, item: &WorkItem) -> CaseRecord {
    let case = run_seed(item.claim, item.case_seed);
    CaseRecord::new(run, item, &case.outcome, case.instance, case.wall_time_s)
}

/// Runs `items` of `run` on rayon's pool and hands each record to `sink`, on the calling thread
/// (one writer), in the order the cases finish. When `sink` fails, no further case starts (the
/// running ones finish and are dropped) and its error is returned.
pub fn run_cases<E>(
    run: &RunParams,
    items: &[WorkItem],
    sink: impl FnMut(CaseRecord) -> Result<(), E>,
) -> Result<(), E> {
    super::run_streaming(items, |item| run_case(run, item), sink)
}

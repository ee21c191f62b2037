//! The `verify` report of a run rebuilt from its records: what `reluflow merge` prints and what
//! `reluflow verify` itself prints (it runs its cases into records, then reports on those), so
//! that the two are the same bytes.

use super::coverage::Coverage;
use super::errors::CampaignError;
use super::jsonl::LocatedRecord;
use super::params::RunParams;
use super::record::CaseRecord;
use crate::claims::Outcome;
use crate::claims::registry::{VerifyReport, case_seed, summarise};
use std::collections::BTreeMap;

/// Which pairs a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole run: every (claim, case) pair exactly once, else [`CampaignError::Incomplete`].
    Complete,
    /// What the records hold (a shard's share): claims without a record are left out; a pair
    /// recorded twice is still an error.
    Partial,
}

/// The run that `records` come from: they must agree on seed, cases, claims and version (else
/// [`CampaignError::DifferentRuns`] naming the first disagreement) and each must be a
/// consistent record of that run ([`check_records`]).
pub fn same_run(records: &[LocatedRecord]) -> Result<RunParams, CampaignError> {
    let first = records.first().ok_or_else(|| CampaignError::NoRecords { files: String::new() })?;
    let run = first.record.run();
    check_records(&run, &first.record.version, records, &first.place())?;
    Ok(run)
}

/// Checks that each of `records` is a consistent record of `run` written by reluflow `version`
/// (the run's parameters come from `run_at`: a record's place, or "this command's flags"): the
/// same seed, cases, claims and version, a claim of the run, a case below `cases`, the case seed
/// the run gives it, and an outcome that agrees with its margin ([`CaseRecord::outcome`]).
pub fn check_records(
    run: &RunParams,
    version: &str,
    records: &[LocatedRecord],
    run_at: &str,
) -> Result<(), CampaignError> {
    for r in records {
        let record = &r.record;
        if let Some((field, expected, found)) = disagreement(run, version, record) {
            return Err(CampaignError::DifferentRuns {
                field,
                first: expected,
                first_at: run_at.to_string(),
                other: found,
                other_at: r.place(),
            });
        }
        let bad = |reason: String| CampaignError::BadRecord { path: r.path.clone(), line: r.line, reason };
        if !run.claims.contains(&record.claim) {
            return Err(bad(format!("claim {} is not one of the run's claims {}", record.claim, run.claims_flag())));
        }
        if record.case >= run.cases {
            return Err(bad(format!("case {} but the run has {} cases per claim (0-based)", record.case, run.cases)));
        }
        let expected = case_seed(run.seed, record.claim, record.case);
        if record.case_seed != expected {
            return Err(bad(format!(
                "case seed {} but {} case {} of seed {} has case seed {expected}",
                record.case_seed, record.claim, record.case, run.seed
            )));
        }
        record.outcome().map_err(bad)?;
    }
    Ok(())
}

/// The report of `run` over `records` (each a record of it: [`check_records`]), built exactly as
/// `reluflow verify` builds it: per requested claim, its records in case order, each turned back
/// into its [`Outcome`] and aggregated by [`summarise`].
pub fn report(run: &RunParams, records: &[LocatedRecord], scope: Scope) -> Result<VerifyReport, CampaignError> {
    let coverage = Coverage::of(run, records);
    if !coverage.duplicates.is_empty() || (scope == Scope::Complete && !coverage.missing.is_empty()) {
        return Err(CampaignError::Incomplete(Box::new(coverage)));
    }
    let mut by_claim: BTreeMap<crate::claims::ClaimId, BTreeMap<usize, &LocatedRecord>> = BTreeMap::new();
    for r in records {
        by_claim.entry(r.record.claim).or_default().insert(r.record.case, r);
    }
    let mut claims = Vec::with_capacity(run.claims.len());
    for &claim in &run.claims {
        let Some(cases) = by_claim.get(&claim) else { continue };
        let outcomes: Vec<Outcome> = cases
            .values()
            .map(|r| {
                r.record.outcome().map_err(|reason| CampaignError::BadRecord {
                    path: r.path.clone(),
                    line: r.line,
                    reason,
                })
            })
            .collect::<Result<_, _>>()?;
        claims.push(summarise(claim, &outcomes));
    }
    Ok(VerifyReport { seed: run.seed, cases: run.cases, claims })
}

/// The first of seed, cases, claims and version on which `record` differs from `run` and
/// `version`, with both values.
fn disagreement(run: &RunParams, version: &str, record: &CaseRecord) -> Option<(&'static str, String, String)> {
    if record.seed != run.seed {
        Some(("seed", run.seed.to_string(), record.seed.to_string()))
    } else if record.cases != run.cases {
        Some(("cases", run.cases.to_string(), record.cases.to_string()))
    } else if record.claims != run.claims {
        Some(("claims", run.claims_flag(), record.run().claims_flag()))
    } else if record.version != version {
        Some(("version", version.to_string(), record.version.clone()))
    } else {
        None
    }
}

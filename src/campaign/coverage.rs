//! [`Coverage`]: which (claim, case) pairs of a run its records miss or hold more than once.

use super::jsonl::LocatedRecord;
use super::params::{RunParams, WorkItem, replay_command};
use std::collections::HashMap;

/// How many missing or duplicate pairs a message lists (the rest are counted).
const LISTED: usize = 12;

/// The pairs of a run that its records do not hold exactly once.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// The run.
    pub run: Option<RunParams>,
    /// Pairs without a record, in the run's order.
    pub missing: Vec<WorkItem>,
    /// Pairs with more than one record, with the places (`FILE:LINE`) of each.
    pub duplicates: Vec<(WorkItem, Vec<String>)>,
}

impl Coverage {
    /// Every pair of `run` against `records` (records of other pairs are not looked at here).
    pub fn of(run: &RunParams, records: &[LocatedRecord]) -> Self {
        let mut places: HashMap<(crate::claims::ClaimId, usize), Vec<String>> = HashMap::new();
        for r in records {
            places.entry((r.record.claim, r.record.case)).or_default().push(r.place());
        }
        let mut coverage = Coverage { run: Some(run.clone()), ..Coverage::default() };
        for item in run.items() {
            match places.get(&(item.claim, item.case)) {
                None => coverage.missing.push(item),
                Some(p) if p.len() > 1 => coverage.duplicates.push((item, p.clone())),
                Some(_) => {}
            }
        }
        coverage
    }

    /// Every pair is recorded exactly once.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && self.duplicates.is_empty()
    }
}

impl std::fmt::Display for Coverage {
    /// The incomplete run's message: each missing and duplicate pair with its claim, case, case
    /// seed and replay command (the first few), and the fix.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (total, what) = match &self.run {
            Some(run) => {
                (run.total(), format!("seed {}, {} cases per claim, claims {}", run.seed, run.cases, run.claims_flag()))
            }
            None => (0, String::new()),
        };
        write!(f, "incomplete run ({what}): of its {total} (claim, case) pairs")?;
        let verb = |count: usize| if count == 1 { "has" } else { "have" };
        if !self.missing.is_empty() {
            write!(f, " {} {} no record", self.missing.len(), verb(self.missing.len()))?;
        }
        if !self.duplicates.is_empty() {
            let and = if self.missing.is_empty() { "" } else { " and" };
            write!(f, "{and} {} {} more than one", self.duplicates.len(), verb(self.duplicates.len()))?;
        }
        writeln!(f)?;
        for item in self.missing.iter().take(LISTED) {
            writeln!(
                f,
                "  missing {} case {} (case seed {}): {}",
                item.claim,
                item.case,
                item.case_seed,
                replay_command(item.claim, item.case_seed)
            )?;
        }
        if self.missing.len() > LISTED {
            writeln!(f, "  ... and {} more missing", self.missing.len() - LISTED)?;
        }
        for (item, places) in self.duplicates.iter().take(LISTED) {
            writeln!(
                f,
                "  duplicate {} case {} (case seed {}) at {}: {}",
                item.claim,
                item.case,
                item.case_seed,
                places.join(", "),
                replay_command(item.claim, item.case_seed)
            )?;
        }
        if self.duplicates.len() > LISTED {
            writeln!(f, "  ... and {} more duplicates", self.duplicates.len() - LISTED)?;
        }
        write!(
            f,
            "fix: rerun each shard that lacks cases with its flags and --resume FILE (it runs only the cases FILE lacks), give each shard's file once (remove duplicate lines), then merge again; the replay commands rerun one case and print its verdict"
        )
    }
}

//! Every claim as a function of a seed, and the aggregate that `reluflow verify` prints.
//!
//! Each claim module draws, from a seed, the kind of instance its statement needs (for example
//! well-separated orthonormal data and `lambda` down to `1e-300` for the phase lemmas),
//! simulates and judges. [`verify`] runs `cases` seeds per claim in parallel (rayon) and
//! aggregates in a fixed order, so the report does not depend on thread scheduling.

use super::{ClaimId, MarginScale, Outcome, Verdict};
use serde::Serialize;

/// Runs claim `id` on the instance drawn from `seed`.
pub fn run(id: ClaimId, seed: u64) -> Outcome {
    use ClaimId::*;
    match id {
        L1 | L6 | P2 => super::conservation::run(id, seed),
        L7 | L8 | L9 | AL => super::early::run(id, seed),
        X5 | XA => super::experiments::run(id, seed),
        L14 | L15 | P1 => super::landscape::run(id, seed),
        L3 | F1 | L4 => super::saddles::run(id, seed),
        L12 | T1 | TS | LZ | NO => super::limits::run(id, seed),
        A3 | A3N => super::regimes::run(id, seed),
    }
}

/// The seed of case `case` of claim `id` under the user's `seed` (SplitMix64 of the three).
pub fn case_seed(seed: u64, id: ClaimId, case: usize) -> u64 {
    let index = ClaimId::ALL.iter().position(|c| *c == id).unwrap_or(0) as u64;
    let mut z = seed ^ (index << 48) ^ (case as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One row of the verify table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClaimSummary {
    pub claim: ClaimId,
    pub reference: &'static str,
    /// Instances run.
    pub instances: usize,
    pub held: usize,
    pub failed: usize,
    /// Instances that did not meet the claim's assumptions (never counted as held).
    pub skipped: usize,
    /// The dimensionless margin ([`Verdict::relative_margin`]) of the worst checked instance
    /// (a failing one first, then the smallest; `None` if none was checked): what the table
    /// prints as "worst margin".
    pub worst_margin: Option<f64>,
    /// The statement of the worst checked instance.
    pub worst_statement: Option<String>,
    /// The worst instance's raw numbers: `measured`, `bound` and `margin` in the units of the
    /// binding part's statement (natural logarithms of them when `worst_scale` is `log`).
    pub worst_measured: Option<f64>,
    pub worst_bound: Option<f64>,
    pub worst_raw_margin: Option<f64>,
    /// `linear` or `log` ([`MarginScale`]).
    pub worst_scale: Option<MarginScale>,
    /// Why instances failed or were skipped (first few).
    pub notes: Vec<String>,
}

impl ClaimSummary {
    /// Every instance that met the claim's assumptions held.
    pub fn holds(&self) -> bool {
        self.failed == 0
    }
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerifyReport {
    pub seed: u64,
    pub cases: usize,
    pub claims: Vec<ClaimSummary>,
}

impl VerifyReport {
    /// Every claim held on every instance that met its assumptions.
    pub fn all_hold(&self) -> bool {
        self.claims.iter().all(ClaimSummary::holds)
    }
}

/// Aggregates outcomes of one claim.
pub fn summarise(id: ClaimId, outcomes: &[Outcome]) -> ClaimSummary {
    let mut s = ClaimSummary {
        claim: id,
        reference: id.reference(),
        instances: outcomes.len(),
        held: 0,
        failed: 0,
        skipped: 0,
        worst_margin: None,
        worst_statement: None,
        worst_measured: None,
        worst_bound: None,
        worst_raw_margin: None,
        worst_scale: None,
        notes: Vec::new(),
    };
    let mut worst: Option<&Verdict> = None;
    for o in outcomes {
        match o {
            Outcome::Checked(v) => {
                if v.holds {
                    s.held += 1;
                } else {
                    s.failed += 1;
                    if s.notes.len() < 3 {
                        s.notes.push(format!("failed: {}", v.statement));
                    }
                }
                if worst.is_none_or(|w| v.is_worse_than(w)) {
                    worst = Some(v);
                }
            }
            Outcome::Skipped { reason, .. } => {
                s.skipped += 1;
                if s.notes.len() < 3 {
                    s.notes.push(format!("skipped: {reason}"));
                }
            }
            Outcome::Error { error, .. } => {
                s.failed += 1;
                if s.notes.len() < 3 {
                    s.notes.push(format!("error: {error}"));
                }
            }
        }
    }
    if let Some(v) = worst {
        s.worst_margin = Some(v.relative_margin());
        s.worst_statement = Some(v.statement.clone());
        s.worst_measured = Some(v.measured);
        s.worst_bound = Some(v.bound);
        s.worst_raw_margin = Some(v.margin);
        s.worst_scale = Some(v.scale);
    }
    s
}

/// Runs `cases` seeded instances of each claim in `claims` (in parallel) and aggregates.
/// `tick` is called once per finished instance (progress bars).
pub fn verify(claims: &[ClaimId], cases: usize, seed: u64, tick: &(dyn Fn() + Sync)) -> VerifyReport {
    use rayon::prelude::*;
    let jobs: Vec<(ClaimId, usize)> = claims.iter().flat_map(|&c| (0..cases).map(move |i| (c, i))).collect();
    let outcomes: Vec<Outcome> = jobs
        .par_iter()
        .map(|&(c, i)| {
            let o = run(c, case_seed(seed, c, i));
            tick();
            o
        })
        .collect();
    let claims =
        claims.iter().enumerate().map(|(ci, &c)| summarise(c, &outcomes[ci * cases..(ci + 1) * cases])).collect();
    VerifyReport { seed, cases, claims }
}

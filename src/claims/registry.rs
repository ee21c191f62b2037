//! Every claim as a function of a seed, and the aggregate that `reluflow verify` prints.
//!
//! [`run`] draws, from a seed, the kind of instance the claim's statement needs (for example
//! well-separated orthonormal data and `lambda` down to `1e-300` for the phase lemmas:
//! [`instance`]), then calls [`super::check`] on it: the same entry point a user calls on an
//! instance of their own. [`verify`] runs `cases` seeds per claim in parallel (rayon) and
//! aggregates in a fixed order, so the report does not depend on thread scheduling.

use super::{ClaimId, MarginScale, Outcome, Verdict};
use crate::Instance;
use serde::Serialize;

/// The instance claim `id` is checked on for `seed` in `reluflow verify`, or the outcome
/// (`Skipped`) when the seed's draws give none (a sampler that rejects on an assumption gives up
/// after a fixed number of tries).
pub fn instance(id: ClaimId, seed: u64) -> Result<Instance, Outcome> {
    use ClaimId::*;
    match id {
        L1 | L6 | P2 => super::conservation::instance(id, seed),
        L7 | L8 | L9 | AL => super::early::instance(id, seed),
        X5 | XA => super::experiments::instance(id, seed),
        L14 | L15 | P1 => super::landscape::instance(id, seed),
        L3 | F1 | L4 => super::saddles::instance(id, seed),
        L12 | T1 | TS | LZ | NO => super::limits::instance(id, seed),
        A3 | A3N => super::regimes::instance(id, seed),
        LS | MF => super::heuristic::instance(id, seed),
        JP | CV => super::jump::instance(id, seed),
    }
}

/// Runs claim `id` on the instance drawn from `seed`: [`instance`], then [`super::check`].
pub fn run(id: ClaimId, seed: u64) -> Outcome {
    match instance(id, seed) {
        Ok(inst) => super::check(id, &inst),
        Err(outcome) => outcome,
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

/// What the instances of one claim showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimState {
    /// At least one instance was checked with a non-vacuous verdict, and none failed.
    Held,
    /// An instance failed (or its simulation failed).
    Failed,
    /// No instance failed, but none gave evidence either: every one was skipped (an unmet
    /// requirement) or vacuous (no bound could bite).
    NoEvidence,
}

impl ClaimState {
    /// `held`, `FAILED` or `no evidence`, as the table prints it.
    pub fn label(self) -> &'static str {
        match self {
            ClaimState::Held => "held",
            ClaimState::Failed => "FAILED",
            ClaimState::NoEvidence => "no evidence",
        }
    }
}

/// One row of the verify table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClaimSummary {
    /// The claim.
    pub claim: ClaimId,
    /// Where it is in the paper.
    pub reference: &'static str,
    /// Held, failed, or no evidence.
    pub state: ClaimState,
    /// Instances run.
    pub instances: usize,
    /// Instances with a held, non-vacuous verdict.
    pub held: usize,
    /// Instances whose verdict failed or whose simulation failed.
    pub failed: usize,
    /// Instances that did not meet the claim's requirements (never counted as held).
    pub skipped: usize,
    /// Instances whose every bound was vacuous (never counted as held).
    pub vacuous: usize,
    /// The dimensionless margin ([`Verdict::relative_margin`]) of the worst checked instance
    /// (a failing one first, then the smallest; `None` if none was checked): what the table
    /// prints as "worst margin".
    pub worst_margin: Option<f64>,
    /// The statement of the worst checked instance.
    pub worst_statement: Option<String>,
    /// The worst instance's raw numbers: `measured`, `bound` and `margin` in the units of the
    /// binding part's statement (natural logarithms of them when `worst_scale` is `log`).
    pub worst_measured: Option<f64>,
    /// The worst instance's bound (see `worst_measured`).
    pub worst_bound: Option<f64>,
    /// The worst instance's raw margin (see `worst_measured`).
    pub worst_raw_margin: Option<f64>,
    /// `linear` or `log` ([`MarginScale`]).
    pub worst_scale: Option<MarginScale>,
    /// Why instances failed or were skipped (first few).
    pub notes: Vec<String>,
}

impl ClaimSummary {
    /// At least one instance gave evidence and none failed ([`ClaimState::Held`]).
    pub fn holds(&self) -> bool {
        self.state == ClaimState::Held
    }
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerifyReport {
    /// The user's seed (case seeds derive from it: [`case_seed`]).
    pub seed: u64,
    /// Cases per claim.
    pub cases: usize,
    /// One row per requested claim, in the order requested.
    pub claims: Vec<ClaimSummary>,
}

impl VerifyReport {
    /// Every claim held ([`ClaimState::Held`]): evidence for each, no failure.
    pub fn all_hold(&self) -> bool {
        self.claims.iter().all(ClaimSummary::holds)
    }
    /// Some claim failed.
    pub fn any_failed(&self) -> bool {
        self.claims.iter().any(|c| c.state == ClaimState::Failed)
    }
    /// The exit code of `reluflow verify`: 0 when every requested claim held, 1 when one
    /// failed, 3 when none failed but one had no evidence.
    pub fn exit_code(&self) -> i32 {
        if self.any_failed() {
            1
        } else if self.all_hold() {
            0
        } else {
            3
        }
    }
}

/// Aggregates outcomes of one claim.
pub fn summarise(id: ClaimId, outcomes: &[Outcome]) -> ClaimSummary {
    let mut s = ClaimSummary {
        claim: id,
        reference: id.reference(),
        state: ClaimState::NoEvidence,
        instances: outcomes.len(),
        held: 0,
        failed: 0,
        skipped: 0,
        vacuous: 0,
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
            Outcome::Checked(v) if v.is_vacuous() => {
                s.vacuous += 1;
                if s.notes.len() < 3 {
                    s.notes.push(format!("no evidence: vacuous: {}", v.statement()));
                }
            }
            Outcome::Checked(v) => {
                if o.held() {
                    s.held += 1;
                } else {
                    s.failed += 1;
                    if s.notes.len() < 3 {
                        s.notes.push(format!("failed: {}", v.statement()));
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
            Outcome::Vacuous { reason, .. } => {
                s.vacuous += 1;
                if s.notes.len() < 3 {
                    s.notes.push(format!("no evidence: {reason}"));
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
        s.worst_statement = Some(v.statement().to_string());
        s.worst_measured = Some(v.measured());
        s.worst_bound = Some(v.bound());
        s.worst_raw_margin = Some(v.margin());
        s.worst_scale = Some(v.scale());
    }
    s.state = if s.failed > 0 {
        ClaimState::Failed
    } else if s.held > 0 {
        ClaimState::Held
    } else {
        ClaimState::NoEvidence
    };
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

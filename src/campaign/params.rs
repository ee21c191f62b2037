//! [`RunParams`]: the parameters of a `verify` run over random cases, and the fixed numbering of
//! its work items ([`WorkItem`]) that shards split.

use crate::claims::ClaimId;
use crate::claims::registry::case_seed;

/// What fixes a `reluflow verify` run over random cases: the user's seed, the cases per claim and
/// the requested claims (in the order requested, as the report lists them). Every record of the
/// run repeats them, so that `reluflow merge` rebuilds the run from its records alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunParams {
    /// The user's `--seed` (case seeds derive from it: [`case_seed`]).
    pub seed: u64,
    /// `--cases`: instances per claim.
    pub cases: usize,
    /// `--claims`, in the order given (a repeated claim is one claim shown twice).
    pub claims: Vec<ClaimId>,
}

/// One (claim, case) pair of a run: its number in the run's fixed order and its case seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkItem {
    /// The item's number `k` (0-based): shard `I/N` runs the items with `k % N == I - 1`.
    pub index: usize,
    /// The claim.
    pub claim: ClaimId,
    /// The case (0-based, below [`RunParams::cases`]).
    pub case: usize,
    /// The seed `reluflow replay` reruns it with: [`case_seed`] of the run's seed, claim and case.
    pub case_seed: u64,
}

impl RunParams {
    /// The requested claims, each once, in the order of their first mention.
    pub fn distinct_claims(&self) -> Vec<ClaimId> {
        let mut out: Vec<ClaimId> = Vec::with_capacity(self.claims.len());
        for &c in &self.claims {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// Every (claim, case) pair of the run in its fixed order: claim-major over
    /// [`RunParams::distinct_claims`], cases `0..cases` within a claim, so that item
    /// `k = position * cases + case`.
    ///
    /// ```
    /// use reluflow::campaign::RunParams;
    /// use reluflow::claims::ClaimId;
    /// let run = RunParams { seed: 0, cases: 2, claims: vec![ClaimId::P1, ClaimId::L1, ClaimId::P1] };
    /// let items = run.items();
    /// assert_eq!(items.len(), 4); // P1 is one claim, shown twice in the report
    /// assert_eq!((items[2].index, items[2].claim, items[2].case), (2, ClaimId::L1, 0));
    /// ```
    pub fn items(&self) -> Vec<WorkItem> {
        self.distinct_claims()
            .into_iter()
            .flat_map(|claim| (0..self.cases).map(move |case| (claim, case)))
            .enumerate()
            .map(|(index, (claim, case))| WorkItem { index, claim, case, case_seed: case_seed(self.seed, claim, case) })
            .collect()
    }

    /// The number of (claim, case) pairs: distinct claims times cases.
    pub fn total(&self) -> usize {
        self.distinct_claims().len() * self.cases
    }

    /// The claims as `--claims` takes them (`L1,L6,P1`).
    pub fn claims_flag(&self) -> String {
        self.claims.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(",")
    }
}

/// The command that reruns one case and prints its verdict: `reluflow replay L6 --case-seed 123`.
pub fn replay_command(claim: ClaimId, case_seed: u64) -> String {
    format!("reluflow replay {claim} --case-seed {case_seed}")
}

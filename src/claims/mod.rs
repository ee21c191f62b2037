//! Claim checks: one function per claim ID of the paper's list of claims, each judging a simulated
//! trajectory (or a parameter point) and returning a [`Verdict`] with the measured value, the
//! bound, the margin and the claim ID.
//!
//! The simulator computes; the checks judge. Every check's doc comment states the exact finite
//! statement it checks and where its tolerance comes from (a bound printed in the paper, or a
//! measured trend as `lambda` decreases). Checks never tune a tolerance to pass: a negative
//! control (an assumption broken on purpose) must make the same check fail, and the tests in
//! `tests/` show it does.
//!
//! - [`Instance`]: data + initialisation + model, the unit every check runs on.
//! - [`ClaimId`], [`Verdict`], [`Outcome`]: names, results, and "skipped" for instances that
//!   do not meet a claim's assumptions (never counted as held).
//! - [`registry`]: every claim as a function of a seed, which `reluflow verify` runs.
//! - [`catalogue`]: every claim's statement, finite statement checked, tolerance, evidence and
//!   negative controls, which `reluflow claims` prints.

pub mod catalogue;
pub mod conservation;
pub mod early;
pub mod experiments;
pub mod heuristic;
pub mod jump;
pub mod landscape;
pub mod limits;
pub mod regimes;
pub mod registry;
mod requirements;
pub mod saddles;
mod verdict;

pub use requirements::{Requirement, unmet};
pub use verdict::{MarginScale, Outcome, Verdict};

use crate::Instance;
use serde::Serialize;

/// The IDs of the claims reluflow checks, in the order of the paper's list of claims (the
/// [`catalogue`] describes each; `reluflow claims` prints it, `docs/claims.md` is its Markdown).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ClaimId {
    /// Lemma 1 (see the catalogue entry).
    L1,
    /// Lemma 6, eq. (11) (see the catalogue entry).
    L6,
    /// Lemma 7 (Lemma 2, S+,1) (see the catalogue entry).
    L7,
    /// Lemma 8 (Lemma 2, S-,1) (see the catalogue entry).
    L8,
    /// Lemma 9 (see the catalogue entry).
    L9,
    /// Lemma 3 / Lemma 10 (see the catalogue entry).
    L3,
    /// Fact 1 (see the catalogue entry).
    F1,
    /// Lemma 4 / Lemma 11 (see the catalogue entry).
    L4,
    /// Lemma 12 (see the catalogue entry).
    L12,
    /// Lemma 14 (see the catalogue entry).
    L14,
    /// Lemma 15 / Lemma 5 (see the catalogue entry).
    L15,
    /// Theorem 1 / Theorem 2 (see the catalogue entry).
    T1,
    /// Proposition 1 (see the catalogue entry).
    P1,
    /// Proposition 2 (see the catalogue entry).
    P2,
    /// Sections 2.2, 3.2 (see the catalogue entry).
    A3,
    /// Section 3.2 (see the catalogue entry).
    A3N,
    /// Section 4.2, Figure 1 (see the catalogue entry).
    TS,
    /// eqs. (9)-(10) (see the catalogue entry).
    AL,
    /// Section 3.2, Appendix A (see the catalogue entry).
    LZ,
    /// Section 3.2 (see the catalogue entry).
    NO,
    /// Section 5, Figures 2-3 (see the catalogue entry).
    X5,
    /// Appendix A (see the catalogue entry).
    XA,
    /// Section 3.2, scale of initialisation: how `lambda*` scales (heuristic; see the catalogue
    /// entry).
    LS,
    /// Section 3.2: above `lambda*`, still mean-field (heuristic; see the catalogue entry).
    MF,
    /// Section 3.2; Town et al. 2026: the jump process of the `lambda -> 0` limit (see the
    /// catalogue entry).
    JP,
    /// Section 3.2; Town et al. 2026: the probability that the initialisation covers every
    /// point (see the catalogue entry).
    CV,
}

impl ClaimId {
    /// Every claim, in the order of the list.
    pub const ALL: [ClaimId; 26] = [
        ClaimId::L1,
        ClaimId::L6,
        ClaimId::L7,
        ClaimId::L8,
        ClaimId::L9,
        ClaimId::L3,
        ClaimId::F1,
        ClaimId::L4,
        ClaimId::L12,
        ClaimId::L14,
        ClaimId::L15,
        ClaimId::T1,
        ClaimId::P1,
        ClaimId::P2,
        ClaimId::A3,
        ClaimId::A3N,
        ClaimId::TS,
        ClaimId::AL,
        ClaimId::LZ,
        ClaimId::NO,
        ClaimId::X5,
        ClaimId::XA,
        ClaimId::LS,
        ClaimId::MF,
        ClaimId::JP,
        ClaimId::CV,
    ];

    /// Whether the claim is a heuristic statement of the paper ("roughly", "empirically seem"),
    /// not a lemma: LS and MF. Their verdicts read "consistent" / "inconsistent"; `reluflow
    /// verify` lists them under their own heading and counts them in its exit code only with
    /// `--strict`.
    pub const fn is_heuristic(self) -> bool {
        matches!(self, ClaimId::LS | ClaimId::MF)
    }

    /// The claims that are not heuristic, in the order of [`ClaimId::ALL`].
    pub fn lemmas() -> Vec<ClaimId> {
        ClaimId::ALL.into_iter().filter(|c| !c.is_heuristic()).collect()
    }

    /// Where the claim is in the paper.
    pub const fn reference(self) -> &'static str {
        match self {
            ClaimId::L1 => "Lemma 1",
            ClaimId::L6 => "Lemma 6, eq. (11)",
            ClaimId::L7 => "Lemma 7 (Lemma 2, S+,1)",
            ClaimId::L8 => "Lemma 8 (Lemma 2, S-,1)",
            ClaimId::L9 => "Lemma 9",
            ClaimId::L3 => "Lemma 3 / Lemma 10",
            ClaimId::F1 => "Fact 1",
            ClaimId::L4 => "Lemma 4 / Lemma 11",
            ClaimId::L12 => "Lemma 12",
            ClaimId::L14 => "Lemma 14",
            ClaimId::L15 => "Lemma 15 / Lemma 5",
            ClaimId::T1 => "Theorem 1 / Theorem 2",
            ClaimId::P1 => "Proposition 1",
            ClaimId::P2 => "Proposition 2",
            ClaimId::A3 => "Sections 2.2, 3.2",
            ClaimId::A3N => "Section 3.2",
            ClaimId::TS => "Section 4.2, Figure 1",
            ClaimId::AL => "eqs. (9)-(10)",
            ClaimId::LZ => "Section 3.2, Appendix A",
            ClaimId::NO => "Section 3.2",
            ClaimId::X5 => "Section 5, Figures 2-3",
            ClaimId::XA => "Appendix A",
            ClaimId::LS => "Section 3.2 (scale of initialisation)",
            ClaimId::MF => "Section 3.2 (above lambda*)",
            ClaimId::JP => "Town et al. 2026 (jumps)",
            ClaimId::CV => "Town et al. 2026 (cover)",
        }
    }

    /// Parses an ID such as `"L1"` or `"a3n"`.
    pub fn parse(s: &str) -> Option<ClaimId> {
        ClaimId::ALL.into_iter().find(|c| format!("{c:?}").eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for ClaimId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl ClaimId {
    /// What an instance must meet for this claim's check to be evidence; [`check`] tests them
    /// in this order and skips the claim, naming the first unmet one. They are the premises of
    /// the paper's statement (its assumptions, the balanced initialisation of eq. (4), the
    /// paper's ReLU with `relu'(0) = 0`), not conditions under which the check happens to pass:
    /// every negative control breaks one of them on purpose and calls the claim's judge directly.
    pub fn requirements(self) -> &'static [Requirement] {
        use ClaimId::*;
        use Requirement::*;
        const PHASES: &[Requirement] =
            &[OrthonormalInputs, Assumption2, RatioAboveOne, Assumption3, BalancedInit, ReluWithZeroDerivative];
        match self {
            // Lemma 1 holds for any data, any initialisation and any relu'(0) (the activation
            // is positively 1-homogeneous and relu'(z) z = relu(z) at z = 0 too); its "stays
            // balanced" part is judged only on balanced initialisations. No requirement.
            L1 => &[],
            // eq. (11) freezes inactive coordinates for orthogonal inputs and any initialisation
            L6 => &[OrthogonalInputs, ReluWithZeroDerivative],
            // the proposition's setting is the paper's (orthonormal, balanced); the check raises
            // relu'(0) of the instance's ReLU from 0 (its reference run, which decides whether a
            // coordinate reaches 0 at all) to 1
            P2 => &[OrthonormalInputs, BalancedInit, ReluWithZeroDerivative],
            // Lemmas 7 and 8 state (ii), (iii) about S+,1 resp. S-,1 (their proofs never use the
            // other set), Lemma 9 about both; AL keeps Assumption 3 (its tolerance uses Lemma 8 (i))
            L7 => {
                &[OrthonormalInputs, Assumption2, RatioAboveOne, SPlusOneNonEmpty, BalancedInit, ReluWithZeroDerivative]
            }
            L8 => &[
                OrthonormalInputs,
                Assumption2,
                RatioAboveOne,
                SMinusOneNonEmpty,
                BalancedInit,
                ReluWithZeroDerivative,
            ],
            L9 => &[
                OrthonormalInputs,
                Assumption2,
                RatioAboveOne,
                SPlusOneNonEmpty,
                SMinusOneNonEmpty,
                BalancedInit,
                ReluWithZeroDerivative,
            ],
            AL => PHASES,
            // the phases of Lemmas 3, 4 and Fact 1 at a small enough lambda: their time windows,
            // of width ~ eps ln(1/lambda)/|D|, must contain the fitting times ln(1/lambda)/|D|
            // up to TS's lambda-free offsets O(1) (saddles::SADDLE_LAMBDA_MAX, SADDLE_EPS_MIN)
            L3 | F1 | L4 => &[
                OrthonormalInputs,
                Assumption2,
                RatioAboveOne,
                Assumption3,
                BalancedInit,
                ReluWithZeroDerivative,
                EpsilonAtLeast(saddles::SADDLE_EPS_MIN),
                LambdaAtMost(saddles::SADDLE_LAMBDA_MAX),
            ],
            // a ladder from the instance's lambda with enough rungs (limits::ladder_of)
            L12 | T1 | TS => &[
                OrthonormalInputs,
                Assumption2,
                RatioAboveOne,
                Assumption3,
                BalancedInit,
                ReluWithZeroDerivative,
                LambdaAtMost(limits::LADDER[0]),
                LambdaAtLeast(limits::LADDER_TOP_MIN),
            ],
            NO => &[
                OrthonormalInputs,
                Assumption2,
                RatioAboveOne,
                Assumption3,
                BalancedInit,
                ReluWithZeroDerivative,
                LambdaAtMost(limits::NO_LADDER[0]),
                LambdaAtLeast(limits::NO_TOP_MIN),
            ],
            // Assumption 3 stays: without it even the lazy flow can stall above zero loss
            // (measured on lazy_shape without the filter: L = 0.18 at the horizon)
            LZ => &[OrthonormalInputs, Assumption2, Assumption3, BalancedInit, ReluWithZeroDerivative, LazyScale],
            L14 => &[OrthonormalInputs, Assumption2],
            L15 => &[OrthonormalInputs, Assumption2, BothLabelSigns],
            P1 => &[OrthogonalInputs, BothLabelSigns],
            A3 => &[OrthonormalInputs, BothLabelSigns, BalancedInit],
            A3N => &[
                OrthonormalInputs,
                Assumption2,
                BalancedInit,
                ReluWithZeroDerivative,
                Assumption3Violated,
                LabelsCovered,
            ],
            // Section 5's toy: 1-D with a bias, orthogonal (Fact 1's plateau level), r > 1 (the
            // positive label first), a small initialisation (the plateau's length is derived for
            // lambda <= 1e-6).
            X5 => &[
                OneDimensionalWithBias,
                OrthogonalInputs,
                RatioAboveOne,
                BalancedInit,
                ReluWithZeroDerivative,
                LambdaAtMost(1e-6),
            ],
            // Appendix A: non-orthogonal inputs in one of its two settings, both label signs, a
            // small initialisation (at most the reduced A.1 run's 1e-3/sqrt(60) = 1.29e-4, the
            // largest scale the check is derived and shown at).
            // LS is judged on the frontier cells its instance's seed gives (generated data that
            // meet the premises below by construction), not on the instance's own data
            LS => &[],
            // the paper's setting, in which Fact 1's plateau (the frontier's definition) exists
            MF => &[OrthonormalInputs, Assumption2, RatioAboveOne, Assumption3, BalancedInit, ReluWithZeroDerivative],
            // the growth sets need Lemma 6's frozen coordinates (orthonormal inputs, relu'(0) = 0)
            // and Lemma 1's fixed signs (balanced); the ladder needs at least four rungs from the
            // small-initialisation regime, as L12, T1, TS
            JP => &[
                OrthonormalInputs,
                NonZeroLabels,
                BalancedInit,
                ReluWithZeroDerivative,
                LambdaAtMost(limits::LADDER[0]),
                LambdaAtLeast(limits::LADDER_TOP_MIN),
            ],
            // the exact probability is that of eq. (4) on orthonormal inputs
            CV => &[OrthonormalInputs, NonZeroLabels, BalancedInit, ReluWithZeroDerivative],
            XA => &[
                NonOrthogonalInputs,
                AppendixASetting,
                BothLabelSigns,
                BalancedInit,
                ReluWithZeroDerivative,
                LambdaAtMost(1.3e-4),
            ],
        }
    }
}

/// Checks claim `id` on `instance`: its [`ClaimId::requirements`] first ([`Outcome::Skipped`]
/// naming the first unmet one), then the claim's evidence is produced from the instance (one
/// run, a `lambda` ladder with the instance's `g_j`, parameter points, a sample of
/// initialisations) and judged. A verdict whose every part is vacuous on the instance becomes
/// [`Outcome::Vacuous`]. Never a pass without evidence.
///
/// ```no_run
/// use reluflow::claims::{check, ClaimId};
/// use reluflow::data::generate::random_orthonormal;
/// use reluflow::Instance;
/// // your own data (here: 3 orthonormal points in R^4), width 32, lambda = 1e-300, seed 1
/// let data = random_orthonormal(3, 4, &Default::default(), 5).unwrap();
/// let instance = Instance::balanced(data, 32, 1e-300, 1);
/// let outcome = check(ClaimId::L7, &instance);
/// println!("{outcome:?}"); // Checked(verdict), or Skipped naming the unmet requirement
/// ```
pub fn check(id: ClaimId, instance: &Instance) -> Outcome {
    if let Some(skipped) = unmet(id, instance) {
        return skipped;
    }
    let outcome = check_unguarded(id, instance);
    match outcome {
        Outcome::Checked(v) => Outcome::of(v, instance.lambda()),
        other => other,
    }
}

/// The claim's evidence and judgement on `instance` without testing its requirements: what
/// the negative controls call on instances that break a requirement on purpose.
pub fn check_unguarded(id: ClaimId, instance: &Instance) -> Outcome {
    use ClaimId::*;
    match id {
        L1 | L6 | P2 => conservation::check(id, instance),
        L7 | L8 | L9 | AL => early::check(id, instance),
        X5 | XA => experiments::check(id, instance),
        L14 | L15 | P1 => landscape::check(id, instance),
        L3 | F1 | L4 => saddles::check(id, instance),
        L12 | T1 | TS | LZ | NO => limits::check(id, instance),
        A3 | A3N => regimes::check(id, instance),
        LS | MF => heuristic::check(id, instance),
        JP | CV => jump::check(id, instance),
    }
}

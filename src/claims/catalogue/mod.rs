//! The catalogue of the claims reluflow checks: for every [`ClaimId`], where it is in the paper,
//! what the paper states, the finite statement the check decides and where its tolerance comes
//! from, the evidence a verdict needs, the library functions that judge it and the negative
//! controls (tests named `<id>_negative_control_<what breaks>`) that must make it fail.
//!
//! `reluflow claims` prints it (text, `--json` or `--markdown`); `docs/claims.md` is its
//! Markdown, and `tests/claims_catalogue.rs` fails when that file, the list of negative-control
//! tests or the named check functions drift from this module. The texts summarise the doc
//! comments of the checks in `src/claims/<group>.rs`, which hold the derivations.
//!
//! ```
//! use reluflow::claims::{ClaimId, catalogue};
//! let t1 = catalogue::entry(ClaimId::T1);
//! assert_eq!(t1.reference, "Theorem 1 / Theorem 2");
//! assert!(t1.negative_controls.iter().all(|c| c.test.starts_with("t1_negative_control_")));
//! assert_eq!(catalogue::CATALOGUE.len(), ClaimId::ALL.len());
//! ```

mod early_phase;
mod heuristic;
mod jump;
mod landscape_and_experiments;
mod saddles_and_limits;

use super::ClaimId;
use serde::Serialize;

/// A negative control: a test that breaks one assumption (or uses a wrong theory constant) and
/// asserts that the claim's check fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NegativeControl {
    /// The test's name, `<id>_negative_control_<what breaks>`.
    pub test: &'static str,
    /// What it breaks and how the check fails.
    pub breaks: &'static str,
}

/// One claim of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ClaimEntry {
    /// The claim.
    pub id: ClaimId,
    /// Where the claim is in the paper ([`ClaimId::reference`]).
    pub reference: &'static str,
    /// A heuristic statement of the paper, judged "consistent" / "inconsistent"
    /// ([`ClaimId::is_heuristic`]).
    pub heuristic: bool,
    /// What the paper states (orthonormal inputs unless said).
    pub statement: &'static str,
    /// The finite statement the check decides.
    pub checked: &'static str,
    /// Where the tolerance comes from.
    pub tolerance: &'static str,
    /// What a verdict needs: the instances, the simulation, `lambda`; when an instance is skipped.
    pub evidence: &'static str,
    /// The functions that judge it, as paths under `reluflow::claims` (e.g. `limits::check_t1_with`).
    pub checks: &'static [&'static str],
    /// The test module of the claim (positive properties and negative controls).
    pub tests: &'static str,
    /// The tests that break one assumption and must make the check fail.
    pub negative_controls: &'static [NegativeControl],
}

/// A claim of the list that reluflow does not check yet (no [`ClaimId`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct UncheckedClaim {
    /// Its ID in the list of claims.
    pub id: &'static str,
    /// Where it is in the paper.
    pub reference: &'static str,
    /// What the paper states.
    pub statement: &'static str,
}

/// The setting and notation every entry uses (Section 2, Section 4.1, Appendix B.1).
pub const NOTATION: &[&str] = &[
    "Data `x_1..x_n` in R^d, labels `y_k != 0`; network `h(x) = sum_j a_j relu(<w_j, x>)` of width `m`; loss \
     `L = 1/(2n) sum_k (h(x_k) - y_k)^2` (a torch `MSELoss` is `2L`).",
    "Gradient flow (2)-(3) with `relu'(0) = 0`: `da_j/dt = <D_j, w_j>`, `dw_j/dt = a_j D_j`, \
     `D_j = -(1/n) sum_k 1{<w_j, x_k> > 0} (h(x_k) - y_k) x_k`.",
    "Balanced initialisation (4): `w_j = lambda g_j`, `g_j ~ N(0, I_d)`, `a_j = s_j |w_j|`, `s_j = +-1` with \
     probability 1/2; `c = max_j |g_j|`, `c_min = min_j |g_j|`.",
    "`D+ = (1/n) sum_{y_k > 0} y_k x_k`, `D- = (1/n) sum_{y_k < 0} y_k x_k`, `r = |D+|/|D-|` (w.l.o.g. `r > 1`: \
     otherwise swap the signs of all labels).",
    "`S+,1 = {j : s_j = +1 and <w_j(0), x_k> >= 0 for every k with y_k > 0}`; `S-,1` likewise with `s_j = -1` and \
     the negative labels (5)-(6).",
    "Assumption 1: orthonormal inputs. Assumption 2: every `y_k != 0` and `sum_{y>0} y^2 != sum_{y<0} y^2`. \
     Assumption 3: `S+,1` and `S-,1` both non-empty.",
    "`eps`: Appendix B.2's largest admissible value, `min((1-M)/(1+3M), beta/(1+3r(1-beta)))` with \
     `M = max(1-alpha, 1/r)`, `alpha = min_{y_k>0} y_k^2 / (2 sum_{y>0} y^2)`, \
     `beta = min_{y_k<0} y_k^2 / (2 sum_{y<0} y^2)` (the paper's printed `alpha = min y_k^2/(2|D+|^2)` drops a \
     factor `n^2`). Times: `t+1 = -eps ln(lambda)/|D+|`, `t-1 = r t+1`.",
    "The lemma bounds are powers `lambda^(eps/k)`: they only bite for very small `lambda` (with `eps = 0.034`, \
     `lambda^eps` is 0.1 at `lambda = 1e-30`, 1e-10 at `1e-300`), hence the checks at `lambda ~ 1e-300` and the \
     `lambda` ladders `1e-4 .. 1e-300`. Claims that hold \"for lambda small enough\" or in a limit are checked \
     through a finite statement with a derived tolerance, never a number picked until the test passes.",
];

/// Claims of the paper's list that have no check yet.
pub const UNCHECKED: &[UncheckedClaim] = &[];

const fn nc(test: &'static str, breaks: &'static str) -> NegativeControl {
    NegativeControl { test, breaks }
}

/// Every claim reluflow checks, in the order of [`ClaimId::ALL`].
pub static CATALOGUE: [ClaimEntry; 26] = [
    early_phase::L1,
    early_phase::L6,
    early_phase::L7,
    early_phase::L8,
    early_phase::L9,
    saddles_and_limits::L3,
    saddles_and_limits::F1,
    saddles_and_limits::L4,
    saddles_and_limits::L12,
    landscape_and_experiments::L14,
    landscape_and_experiments::L15,
    saddles_and_limits::T1,
    landscape_and_experiments::P1,
    early_phase::P2,
    landscape_and_experiments::A3,
    landscape_and_experiments::A3N,
    saddles_and_limits::TS,
    early_phase::AL,
    saddles_and_limits::LZ,
    saddles_and_limits::NO,
    landscape_and_experiments::X5,
    landscape_and_experiments::XA,
    heuristic::LS,
    heuristic::MF,
    jump::JP,
    jump::CV,
];

/// The entry of `id`.
pub fn entry(id: ClaimId) -> &'static ClaimEntry {
    CATALOGUE.iter().find(|e| e.id == id).expect("every ClaimId has an entry (tests/claims_catalogue.rs)")
}

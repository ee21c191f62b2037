//! Closed forms of the paper: key vectors, constants, the minimum-norm interpolator, phase times
//! and the explicit bounds of the lemmas.
//!
//! Everything here is a pure function of a [`Dataset`](crate::Dataset) (and of `lambda`, `eps`,
//! ... where a lemma needs them); nothing simulates. Claim checks compare simulations against
//! these numbers. The module is a leaf: it takes plain numbers, vectors and datasets, and imports
//! nothing from `claims` (nor from the solvers), so that the claims can depend on it.
//!
//! Notation (Section 2, Section 4.1, Appendix B.1 of the paper; see `CLAIMS.md`):
//! - `D+ = (1/n) sum_{y_k>0} y_k x_k`, `D- = (1/n) sum_{y_k<0} y_k x_k` ([`d_plus`], [`d_minus`]),
//!   `r = |D+| / |D-|` ([`r`]); the paper assumes `r > 1` w.l.o.g. ([`needs_label_flip`]).
//! - `alpha`, `beta` of Appendix B.2, **as corrected in `CLAIMS.md`** ([`alpha`], [`beta`]), and the
//!   largest admissible `eps` ([`epsilon_max`]).
//! - Proposition 1: the minimum norm of an interpolator ([`min_norm_sq`]) and a minimiser
//!   ([`theta_star`], [`theta_star_width_two`]).
//! - Fact 1: the loss on the intermediate saddle ([`plateau_loss`]).
//! - Figure 1 / Section 4.2: the phase times ([`phase_times`], [`phase_times_ln`]).
//! - Section 2.2 / 3.2: the probabilities behind Assumption 3 ([`prob_in_s_plus_1`],
//!   [`prob_in_s_minus_1`], [`prob_assumption_3`]).
//! - Lemmas 3, 4, 7, 8, 9, 12 and Fact 1: the explicit bounds, each also in log space (`ln_*`, or
//!   `*_ln` for a function of `ln(lambda)` whose value cannot underflow), because the bounds only
//!   bite for tiny `lambda` (down to `1e-300`, where `lambda^(1+eps)` underflows).
//!
//! Conventions: `ln_lambda` always means `ln(lambda)` (a negative number for `0 < lambda < 1`);
//! `c = max_j |g_j|` and `c_min = min_j |g_j|` are the extreme initial directions' norms
//! (`w_j(0) = lambda g_j`, equation (4)).
//!
//! Layout (every item is re-exported here, so paths are `reluflow::theory::X`): `constants.rs`
//! (key vectors and constants), `min_norm.rs` (Proposition 1), `phases.rs` (Fact 1 and the phase
//! times), `assumption_3.rs` (its probabilities), `lemma_bounds.rs` (the lemmas' bounds).

use serde::{Deserialize, Serialize};
use thiserror::Error;

mod assumption_3;
mod constants;
mod lemma_bounds;
mod min_norm;
mod phases;

pub mod jump_process;
pub mod lambda_free;

pub use assumption_3::*;
pub use constants::*;
pub use lemma_bounds::*;
pub use min_norm::*;
pub use phases::*;

/// Relative tolerance of the orthogonality test used by [`min_norm_sq`], [`theta_star`] and
/// [`check_orthogonal`]: inputs `x_k`, `x_l` (`k != l`) count as orthogonal when
/// `|<x_k, x_l>| <= ORTHOGONALITY_TOLERANCE * |x_k| |x_l|`, i.e. `|cos(x_k, x_l)| <= 1e-10`.
///
/// It is the one tolerance of the crate for orthogonality, [`crate::data::ORTHONORMAL_TOL`], under
/// this module's name: the closed forms accept exactly the inputs that
/// [`AssumptionReport::orthogonal`](crate::data::AssumptionReport) calls orthogonal.
/// `1e-10` is far above the rounding error of inputs produced by an orthonormalisation in `f64`
/// (about `1e-15`) and far below any deliberate non-orthogonality (Section 3.2's "nearly
/// orthogonal" data with `delta` of order `lambda` is *not* orthogonal for this test unless
/// `lambda <= 1e-10`).
pub use crate::data::ORTHONORMAL_TOL as ORTHOGONALITY_TOLERANCE;

/// Which side of the labels a quantity refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabelSign {
    /// `y_k > 0` (the `s_j = +1` neurons, `D+`, `S+,1`).
    Positive,
    /// `y_k < 0` (the `s_j = -1` neurons, `D-`, `S-,1`).
    Negative,
}

impl std::fmt::Display for LabelSign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LabelSign::Positive => "positive",
            LabelSign::Negative => "negative",
        })
    }
}

/// Why a closed form could not be evaluated. Each message names the problem and the fix.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TheoryError {
    /// Two inputs are not orthogonal (Assumption 1 / Proposition 1 need orthogonal inputs).
    #[error(
        "inputs x_{k} and x_{l} are not orthogonal (|cos| = {cosine:e} > {}): the closed form of \
         Proposition 1 needs orthogonal inputs (Assumption 1); use orthogonal inputs, e.g. an \
         orthonormal basis",
        ORTHOGONALITY_TOLERANCE
    )]
    NotOrthogonal {
        /// First input index.
        k: usize,
        /// Second input index.
        l: usize,
        /// `|<x_k, x_l>| / (|x_k| |x_l|)`.
        cosine: f64,
    },
    /// An input is the zero vector but its label is not zero: no network `sum_j a_j relu(<w_j, x>)`
    /// can fit it.
    #[error(
        "x_{k} = 0 but y_{k} = {y}: every ReLU network without bias outputs 0 at the origin, so no \
         interpolator exists; remove that point or give it the label 0"
    )]
    ZeroInputWithLabel {
        /// Index of the point.
        k: usize,
        /// Its label.
        y: f64,
    },
    /// The dataset has no label of the given sign, but the computation needs one.
    #[error(
        "the dataset has no {sign} labels: {what}; give labels of both signs (for theta_star: pass \
         empty shares for the {sign} side)"
    )]
    NoLabelsOfSign {
        /// The missing sign.
        sign: LabelSign,
        /// What needed it.
        what: &'static str,
    },
    /// The dataset has labels of a sign but no neuron was given a share of that side.
    #[error(
        "the dataset has {sign} labels but no neuron was given a share of the {sign} side: pass at \
         least one (neuron index, share) pair for it"
    )]
    NoShares {
        /// The side without shares.
        sign: LabelSign,
    },
    /// A share is negative, NaN or infinite.
    #[error(
        "share {share} of neuron {index} ({sign} side) is not a finite non-negative number: shares \
         are relative weights of sum_j |w_j|^2, give values >= 0"
    )]
    InvalidShare {
        /// Side of the share.
        sign: LabelSign,
        /// Neuron index.
        index: usize,
        /// The offending value.
        share: f64,
    },
    /// All shares of a side are zero.
    #[error(
        "the shares of the {sign} side sum to 0: at least one must be positive so that the {sign} \
         labels are fitted"
    )]
    ZeroShares {
        /// The side.
        sign: LabelSign,
    },
    /// A neuron index is not below the width.
    #[error("neuron index {index} is out of range for width m = {m}: use indices 0..{m} or raise m")]
    IndexOutOfRange {
        /// The index.
        index: usize,
        /// The width.
        m: usize,
    },
    /// A neuron index appears twice on the same side.
    #[error(
        "neuron {index} appears twice in the {sign} shares: give each neuron at most once (add the \
         shares up yourself)"
    )]
    RepeatedIndex {
        /// Side.
        sign: LabelSign,
        /// The index.
        index: usize,
    },
    /// A neuron index appears on both sides.
    #[error(
        "neuron {index} is given both a positive and a negative share: a neuron has one sign s_j \
         (a_j = s_j |w_j|), give it to one side only"
    )]
    IndexOnBothSides {
        /// The index.
        index: usize,
    },
    /// `lambda` outside `(0, 1)`.
    #[error(
        "lambda = {lambda} is not in (0, 1): the initialisation scale must be a small positive \
         number (use phase_times_ln with ln(lambda) for scales below the f64 range)"
    )]
    InvalidLambda {
        /// The value.
        lambda: f64,
    },
    /// `ln(lambda)` not finite and negative.
    #[error("ln(lambda) = {ln_lambda} is not a finite negative number: lambda must be in (0, 1)")]
    InvalidLnLambda {
        /// The value.
        ln_lambda: f64,
    },
    /// `eps` outside `(0, 1)`.
    #[error("eps = {eps} is not in (0, 1): take 0 < eps <= epsilon_max(data) (Appendix B.2)")]
    InvalidEpsilon {
        /// The value.
        eps: f64,
    },
    /// A quantity the closed form divides by or returns is 0, infinite or NaN in `f64`: inputs or
    /// labels near the ends of the `f64` range, or inputs of one sign that are all zero.
    #[error(
        "{what} = {value:e} is not a finite positive number in f64: the data are too extreme for the \
         closed form (inputs or labels near 1e-308 or 1e308, or zero inputs for all labels of one \
         sign); rescale the inputs and labels"
    )]
    NotRepresentable {
        /// The quantity (`"|D+|"`, `"t3_bound"`, ...).
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// `r <= 1` while the paper's statements assume `r > 1`.
    #[error(
        "r = |D+|/|D-| = {r} is not > 1: the paper assumes r > 1 w.l.o.g. (Section 4.1); if r < 1 \
         use Dataset::with_flipped_labels(), if r = 1 Assumption 2 fails and the phases coincide"
    )]
    RatioNotAboveOne {
        /// The ratio.
        r: f64,
    },
}

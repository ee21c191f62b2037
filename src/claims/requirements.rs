//! What a claim needs of an instance before its check means anything.
//!
//! Each claim declares its [`Requirement`]s ([`ClaimId::requirements`]); [`crate::claims::check`]
//! tests them on the instance first and returns [`Outcome::Skipped`] naming the first unmet one,
//! so a claim is never "held" on an instance its statement says nothing about.
//!
//! ```
//! use reluflow::claims::{ClaimId, Requirement};
//! use reluflow::{Dataset, Instance};
//! // orthogonal but not unit-norm inputs (the Section 5 toy): Assumption 1 fails
//! let data = Dataset::new(vec![vec![-0.5, 1.0], vec![2.0, 1.0]], vec![-1.0, 1.0]).unwrap();
//! let instance = Instance::balanced(data, 8, 1e-6, 0);
//! assert!(Requirement::OrthonormalInputs.check(&instance).is_err());
//! assert!(Requirement::OrthogonalInputs.check(&instance).is_ok());
//! assert!(ClaimId::T1.requirements().contains(&Requirement::OrthonormalInputs));
//! ```

use super::{ClaimId, Outcome};
use crate::Instance;
use crate::init::InitKind;
use crate::network::Activation;
use crate::theory;
use serde::Serialize;

/// One condition an instance must meet for a claim's check to be evidence.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Assumption 1: `<x_k, x_l> = delta_kl` (to [`crate::data::ORTHONORMAL_TOL`]).
    OrthonormalInputs,
    /// Pairwise orthogonal inputs, any norms.
    OrthogonalInputs,
    /// Assumption 2: no zero label and `|D+| != |D-|`.
    Assumption2,
    /// `r = |D+|/|D-| > 1`, the paper's w.l.o.g. of Section 4.1 (both label signs present).
    RatioAboveOne,
    /// Both label signs present (`D+` and `D-` non-zero).
    BothLabelSigns,
    /// Every label non-zero (the part of Assumption 2 the jump process needs: a point with
    /// `y_k = 0` is in no growth set, so it is never "covered" although its loss is 0).
    NonZeroLabels,
    /// Assumption 3: `S+,1` and `S-,1` both non-empty at initialisation.
    Assumption3,
    /// `S+,1` non-empty.
    SPlusOneNonEmpty,
    /// `S-,1` non-empty.
    SMinusOneNonEmpty,
    /// The balanced initialisation of eq. (4) (`a_j = s_j |w_j|`).
    BalancedInit,
    /// The paper's activation: ReLU with `relu'(0) = 0`.
    ReluWithZeroDerivative,
    /// The Appendix B.2 `eps_max` is at least this (the lemma bounds `lambda^(eps/k)` can bite).
    EpsilonAtLeast(f64),
    /// `lambda <= bound` (the small-initialisation regime where the claim's bounds bite).
    LambdaAtMost(f64),
    /// `lambda >= bound` (the large-initialisation regime of the claim).
    LambdaAtLeast(f64),
    /// At most this many points (the claim's evidence costs grow as `2^n`: a sample or an
    /// enumeration over activation patterns).
    PointsAtMost(usize),
    /// One-dimensional inputs with a bias column (`d = 2`, `x_k = (z_k, 1)`): the kinks of
    /// Appendix A are defined on the line.
    OneDimensionalWithBias,
    /// The large initialisation of the lazy regime: `lambda >= 10/sqrt(m)`
    /// ([`crate::claims::limits::lazy_lambda`], Appendix A's scale).
    LazyScale,
    /// Some pair of inputs is not orthogonal (`|cos(x_k, x_l)| > ORTHONORMAL_TOL` for some
    /// `k != l`): the general setting of Appendix A, where the paper's theory does not apply.
    NonOrthogonalInputs,
    /// One of Appendix A's two settings: A.1, one-dimensional inputs with a bias column
    /// ([`Requirement::OneDimensionalWithBias`]); or A.2, high-dimensional inputs without one,
    /// `d >= n` (Gaussian inputs in `d >= n` dimensions are linearly independent and nearly
    /// orthogonal; the paper's A.2 has `d = 2n`). A.2's teacher labels are how its instances are
    /// drawn, not a property of a dataset that can be tested.
    AppendixASetting,
    /// Assumption 3 violated at initialisation: `S+,1` or `S-,1` empty (claim A3N's premise).
    Assumption3Violated,
    /// Every label is activated at initialisation by a neuron of its sign (`a_j y_k > 0` and
    /// `<w_j(0), x_k> > 0`): without it the loss cannot go to 0 on orthonormal inputs
    /// ([`crate::claims::regimes::labels_covered`]).
    LabelsCovered,
}

impl Requirement {
    /// `Ok` when `instance` meets the requirement, else the reason in words, naming it and
    /// the instance's value.
    pub fn check(&self, instance: &Instance) -> Result<(), String> {
        let data = &instance.data;
        let fail = |what: String| Err(format!("requirement not met: {} ({what})", self.name()));
        match *self {
            Requirement::OrthonormalInputs => {
                let rep = data.assumptions();
                if rep.orthonormal {
                    Ok(())
                } else {
                    fail(format!("max |<x_k, x_l> - delta_kl| = {:.3e}", rep.max_gram_deviation))
                }
            }
            Requirement::OrthogonalInputs => {
                let rep = data.assumptions();
                if rep.orthogonal {
                    Ok(())
                } else {
                    fail(format!("max |cos(x_k, x_l)| = {:.3e}", rep.max_offdiag_cosine))
                }
            }
            Requirement::Assumption2 => {
                let rep = data.assumptions();
                if rep.assumption_2 { Ok(()) } else { fail(rep.problems().join("; ")) }
            }
            Requirement::RatioAboveOne => {
                let r = theory::r(data);
                if r > 1.0 && r.is_finite() { Ok(()) } else { fail(format!("r = {r:.4}")) }
            }
            Requirement::NonZeroLabels => match data.y().iter().position(|&y| y == 0.0) {
                None => Ok(()),
                Some(k) => fail(format!("label y_{k} = 0")),
            },
            Requirement::BothLabelSigns => {
                let rep = data.assumptions();
                if rep.n_plus > 0 && rep.n_minus > 0 {
                    Ok(())
                } else {
                    fail(format!("{} positive and {} negative labels", rep.n_plus, rep.n_minus))
                }
            }
            Requirement::Assumption3 | Requirement::SPlusOneNonEmpty | Requirement::SMinusOneNonEmpty => {
                let sets = instance.sets().map_err(|e| format!("requirement not checked: {} ({e})", self.name()))?;
                let (plus, minus) = (sets.s_plus_1.len(), sets.s_minus_1.len());
                let ok = match self {
                    Requirement::Assumption3 => plus > 0 && minus > 0,
                    Requirement::SPlusOneNonEmpty => plus > 0,
                    _ => minus > 0,
                };
                if ok { Ok(()) } else { fail(format!("|S+,1| = {plus}, |S-,1| = {minus}")) }
            }
            Requirement::BalancedInit => match instance.init.kind {
                InitKind::Balanced => Ok(()),
                kind => fail(format!("the initialisation is {kind}")),
            },
            Requirement::ReluWithZeroDerivative => {
                let m = &instance.model;
                match m.activation {
                    Activation::Relu if m.relu_prime_at_zero == 0.0 => Ok(()),
                    Activation::Relu => fail(format!("relu'(0) = {}", m.relu_prime_at_zero)),
                    Activation::Leaky { slope } => fail(format!("leaky ReLU with slope {slope}")),
                }
            }
            Requirement::EpsilonAtLeast(floor) => match theory::epsilon_max(data) {
                Some(e) if e >= floor => Ok(()),
                Some(e) => fail(format!("eps_max = {e:.4}")),
                None => fail("eps_max undefined: r <= 1 or a label sign missing".into()),
            },
            Requirement::LambdaAtMost(b) => {
                let l = instance.lambda();
                if l <= b { Ok(()) } else { fail(format!("lambda = {l:.3e}")) }
            }
            Requirement::LambdaAtLeast(b) => {
                let l = instance.lambda();
                if l >= b { Ok(()) } else { fail(format!("lambda = {l:.3e}")) }
            }
            Requirement::PointsAtMost(max) => {
                if data.n() <= max {
                    Ok(())
                } else {
                    fail(format!("n = {}", data.n()))
                }
            }
            Requirement::OneDimensionalWithBias => {
                let bias = (0..data.n()).all(|k| data.x(k).last() == Some(&1.0));
                if data.d() == 2 && bias { Ok(()) } else { fail(format!("d = {}", data.d())) }
            }
            Requirement::LazyScale => {
                let (l, lazy) = (instance.lambda(), super::limits::lazy_lambda(instance.init.width));
                if l >= lazy { Ok(()) } else { fail(format!("lambda = {l:.3e} < 10/sqrt(m) = {lazy:.3e}")) }
            }
            Requirement::NonOrthogonalInputs => {
                let rep = data.assumptions();
                if rep.orthogonal {
                    fail(format!("max |cos(x_k, x_l)| = {:.3e}: the inputs are orthogonal", rep.max_offdiag_cosine))
                } else {
                    Ok(())
                }
            }
            Requirement::AppendixASetting => {
                let one_d = Requirement::OneDimensionalWithBias.check(instance).is_ok();
                let bias = data.d() >= 1 && (0..data.n()).all(|k| data.x(k).last() == Some(&1.0));
                if one_d || (data.d() >= data.n() && !bias) {
                    Ok(())
                } else {
                    fail(format!("n = {}, d = {}, bias column: {bias}", data.n(), data.d()))
                }
            }
            Requirement::Assumption3Violated => {
                let sets = instance.sets().map_err(|e| format!("requirement not checked: {} ({e})", self.name()))?;
                let (plus, minus) = (sets.s_plus_1.len(), sets.s_minus_1.len());
                if plus == 0 || minus == 0 { Ok(()) } else { fail(format!("|S+,1| = {plus}, |S-,1| = {minus}")) }
            }
            Requirement::LabelsCovered => {
                if super::regimes::labels_covered(instance) {
                    Ok(())
                } else {
                    fail("some label is activated by no neuron of its sign at initialisation".into())
                }
            }
        }
    }

    /// The requirement in words.
    pub fn name(&self) -> String {
        match *self {
            Requirement::OrthonormalInputs => "orthonormal inputs (Assumption 1)".into(),
            Requirement::OrthogonalInputs => "orthogonal inputs".into(),
            Requirement::Assumption2 => "Assumption 2 (non-zero labels, |D+| != |D-|)".into(),
            Requirement::RatioAboveOne => "r = |D+|/|D-| > 1".into(),
            Requirement::BothLabelSigns => "labels of both signs".into(),
            Requirement::NonZeroLabels => "every label non-zero".into(),
            Requirement::Assumption3 => "Assumption 3 (S+,1 and S-,1 non-empty)".into(),
            Requirement::SPlusOneNonEmpty => "S+,1 non-empty".into(),
            Requirement::SMinusOneNonEmpty => "S-,1 non-empty".into(),
            Requirement::BalancedInit => "balanced initialisation (eq. (4))".into(),
            Requirement::ReluWithZeroDerivative => "ReLU with relu'(0) = 0".into(),
            Requirement::EpsilonAtLeast(e) => format!("eps_max >= {e} (Appendix B.2)"),
            Requirement::LambdaAtMost(b) => format!("lambda <= {b:.3e}"),
            Requirement::LambdaAtLeast(b) => format!("lambda >= {b:.3e}"),
            Requirement::PointsAtMost(n) => format!("n <= {n}"),
            Requirement::OneDimensionalWithBias => "one-dimensional inputs with a bias column".into(),
            Requirement::LazyScale => "the lazy scale lambda >= 10/sqrt(m)".into(),
            Requirement::NonOrthogonalInputs => "non-orthogonal inputs (Appendix A)".into(),
            Requirement::AppendixASetting => {
                "an Appendix A setting (1-D inputs with a bias column, or d >= n without one)".into()
            }
            Requirement::Assumption3Violated => "Assumption 3 violated (S+,1 or S-,1 empty)".into(),
            Requirement::LabelsCovered => "every label covered at initialisation by a neuron of its sign".into(),
        }
    }
}

/// The first requirement of `id` that `instance` does not meet, as a [`Outcome::Skipped`].
pub fn unmet(id: ClaimId, instance: &Instance) -> Option<Outcome> {
    id.requirements().iter().find_map(|r| r.check(instance).err()).map(|reason| Outcome::Skipped { claim: id, reason })
}

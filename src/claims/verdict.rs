//! [`Verdict`] (one check's result on one instance) and [`Outcome`] (checked, skipped, vacuous,
//! or an error).
//!
//! A verdict is honest by construction: its fields are private, it is made only by
//! [`Verdict::at_most`], [`Verdict::at_least`], [`Verdict::condition`] and [`Verdict::failed`],
//! and combined only by [`Verdict::all`], so "holds iff `margin >= 0`" cannot be broken by a
//! claim module. Assigning the field does not compile:
//!
//! ```compile_fail
//! use reluflow::claims::{ClaimId, Verdict};
//! let mut v = Verdict::at_most(ClaimId::T1, 2.0, 1.0, "fails");
//! v.holds = true; // error[E0616]: field `holds` of struct `Verdict` is private
//! ```
//!
//! A part whose bound cannot bite on the instance (the bound is at least the largest value the
//! measured quantity can take, or at most the smallest) is marked vacuous
//! ([`Verdict::vacuous_if`]); it is shown as such and is never evidence. A claim whose every
//! part is vacuous becomes [`Outcome::Vacuous`], which `reluflow verify` counts as no evidence.

use super::ClaimId;
use serde::Serialize;

/// How a verdict's `measured` and `bound` are expressed; it fixes the dimensionless margin
/// ([`Verdict::relative_margin`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarginScale {
    /// In the units of the claim's statement (a loss, a norm, a time, a ratio, a count, a
    /// p-value, a fitted exponent).
    #[default]
    Linear,
    /// Natural logarithms of the quantity and of its bound (the lemmas whose bounds are powers
    /// of `lambda`, such as `2 lambda^eps`, checked at `lambda = 1e-300`).
    Log,
}

/// What kind of statement a verdict (or a part of one) decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    /// A measured number against a bound.
    Bound,
    /// A yes/no condition (a run converged, a set is non-empty): its margin is 0 when it holds
    /// and -1 when it does not, and a holding condition never decides which part of an
    /// [`Verdict::all`] is the binding one.
    Condition,
}

/// The result of one check on one instance.
///
/// `margin` is signed, in the units of `measured` and `bound`: `bound - measured` for an upper
/// bound, `measured - bound` for a lower bound; the claim holds on this instance iff
/// `margin >= 0` ([`Verdict::holds`]; a NaN margin fails). Margins of different claims, or of
/// different parts of one claim, are compared by the dimensionless
/// [`Verdict::relative_margin`], never by `margin` (a margin of `1e-17` in a loss bounded by
/// `1e-16` is as large as a margin of `0.1` in a ratio bounded by 1).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    claim: ClaimId,
    holds: bool,
    measured: f64,
    bound: f64,
    margin: f64,
    statement: String,
    scale: MarginScale,
    vacuous: bool,
    #[serde(skip)]
    kind: Kind,
}

impl Verdict {
    fn new(claim: ClaimId, measured: f64, bound: f64, margin: f64, statement: String, kind: Kind) -> Self {
        Self {
            claim,
            holds: margin >= 0.0,
            measured,
            bound,
            margin,
            statement,
            scale: MarginScale::Linear,
            vacuous: false,
            kind,
        }
    }

    /// `measured <= bound`: margin `bound - measured`.
    pub fn at_most(claim: ClaimId, measured: f64, bound: f64, statement: impl Into<String>) -> Self {
        Self::new(claim, measured, bound, bound - measured, statement.into(), Kind::Bound)
    }

    /// `measured >= bound`: margin `measured - bound`.
    pub fn at_least(claim: ClaimId, measured: f64, bound: f64, statement: impl Into<String>) -> Self {
        Self::new(claim, measured, bound, measured - bound, statement.into(), Kind::Bound)
    }

    /// `measured > 0` (strictly; a fitted exponent that must be positive): bound 0, margin
    /// `measured` when positive, else at most `-f64::MIN_POSITIVE` (so that exactly 0 fails and
    /// "holds iff `margin >= 0`" stays true). NaN stays NaN.
    pub fn positive(claim: ClaimId, measured: f64, statement: impl Into<String>) -> Self {
        let margin = if measured > 0.0 || measured.is_nan() { measured } else { measured.min(-f64::MIN_POSITIVE) };
        Self::new(claim, measured, 0.0, margin, statement.into(), Kind::Bound)
    }

    /// A yes/no part (`measured` 1 or 0 against the bound 1; margin 0 or -1), for conditions such
    /// as "the run reached the zero-loss threshold" that have no number of their own. Inside
    /// [`Verdict::all`] a holding condition never becomes the binding part.
    pub fn condition(claim: ClaimId, ok: bool, statement: impl Into<String>) -> Self {
        let measured = if ok { 1.0 } else { 0.0 };
        Self::new(claim, measured, 1.0, measured - 1.0, statement.into(), Kind::Condition)
    }

    /// A check that could not produce its number (the evidence lacks a phase the statement is
    /// about, a fit is undefined): fails, with `measured` and `bound` NaN and margin `-inf`.
    pub fn failed(claim: ClaimId, reason: impl Into<String>) -> Self {
        Self::new(claim, f64::NAN, f64::NAN, f64::NEG_INFINITY, reason.into(), Kind::Bound)
    }

    /// A verdict read back from its record (a line of `reluflow verify --jsonl`,
    /// [`crate::campaign::CaseRecord`]): the recorded numbers, statement, scale and vacuity. It
    /// holds iff `margin >= 0`, as every verdict does. Whether a part was a yes/no
    /// [`Verdict::condition`] is not recorded: a recorded verdict is a bound, which matters only
    /// inside [`Verdict::all`], never in a report.
    pub fn recorded(
        claim: ClaimId,
        (measured, bound, margin): (f64, f64, f64),
        statement: impl Into<String>,
        scale: MarginScale,
        vacuous: bool,
    ) -> Self {
        Self { scale, vacuous, ..Self::new(claim, measured, bound, margin, statement.into(), Kind::Bound) }
    }

    /// The same verdict, marked as comparing natural logarithms ([`MarginScale::Log`]).
    pub fn in_log_units(self) -> Self {
        Self { scale: MarginScale::Log, ..self }
    }

    /// The same verdict, marked vacuous when `cannot_bite` (its bound is at least the largest
    /// value the measured quantity can take on this instance, or at most the smallest), with
    /// `why` appended to the statement. A vacuous verdict is never evidence that a claim holds.
    pub fn vacuous_if(self, cannot_bite: bool, why: impl AsRef<str>) -> Self {
        if !cannot_bite {
            return self;
        }
        let statement = format!("{} (vacuous: {})", self.statement, why.as_ref());
        Self { vacuous: true, statement, ..self }
    }

    /// The same verdict with `prefix` put before its statement (`"prefix: statement"`).
    pub fn with_context(self, prefix: impl AsRef<str>) -> Self {
        let statement = format!("{}: {}", prefix.as_ref(), self.statement);
        Self { statement, ..self }
    }

    /// The conjunction of `parts` as one verdict of `claim`: it holds iff every part that is not
    /// vacuous holds (and is vacuous iff every part is). Its numbers are those of the binding
    /// part — the worst non-vacuous part by [`Verdict::is_worse_than`] (a failing one first,
    /// then the smallest relative margin), a holding [`Verdict::condition`] only when no bound
    /// is left — and its statement lists every part with `[ok]`, `[FAIL]` or `[vacuous]`. One
    /// part is returned as it is (with `claim`); no parts at all is a failure ("no evidence").
    ///
    /// ```
    /// use reluflow::claims::{ClaimId, Verdict};
    /// let parts = vec![
    ///     Verdict::at_most(ClaimId::L4, 0.5, 1.0, "(i)"),
    ///     Verdict::at_most(ClaimId::L4, 3.0, 2.0, "(ii)").vacuous_if(true, "bound >= n|D-|"),
    /// ];
    /// let v = Verdict::all(ClaimId::L4, parts);
    /// assert!(v.holds() && !v.is_vacuous());
    /// assert_eq!(v.measured(), 0.5); // the vacuous part never binds
    /// ```
    pub fn all(claim: ClaimId, parts: impl IntoIterator<Item = Verdict>) -> Verdict {
        let parts: Vec<Verdict> = parts.into_iter().collect();
        match parts.len() {
            0 => return Verdict::failed(claim, "no part to judge (no evidence)"),
            1 => return Verdict { claim, ..parts.into_iter().next().expect("one part") },
            _ => {}
        }
        let all_vacuous = parts.iter().all(|p| p.vacuous);
        let candidates: Vec<&Verdict> = parts.iter().filter(|p| all_vacuous || !p.vacuous).collect();
        let binds = |p: &&Verdict| !p.holds || p.kind == Kind::Bound;
        let pool: Vec<&Verdict> =
            if candidates.iter().any(binds) { candidates.iter().copied().filter(binds).collect() } else { candidates };
        let binding = pool
            .into_iter()
            .reduce(|w, p| if p.is_worse_than(w) { p } else { w })
            .expect("at least one candidate part");
        let statement = parts
            .iter()
            .map(|p| {
                let tag = if p.vacuous {
                    "vacuous"
                } else if p.holds {
                    "ok"
                } else {
                    "FAIL"
                };
                format!("[{tag}] {}", p.statement)
            })
            .collect::<Vec<_>>()
            .join("; ");
        Verdict {
            claim,
            holds: binding.margin >= 0.0,
            measured: binding.measured,
            bound: binding.bound,
            margin: binding.margin,
            statement,
            scale: binding.scale,
            vacuous: all_vacuous,
            kind: binding.kind,
        }
    }

    /// The claim judged.
    pub fn claim(&self) -> ClaimId {
        self.claim
    }
    /// Whether the claim holds on this instance: `margin >= 0` (NaN fails). A vacuous verdict
    /// may hold, but it is not evidence ([`Verdict::is_vacuous`], [`Outcome::held`]).
    pub fn holds(&self) -> bool {
        self.holds
    }
    /// The measured quantity (its natural logarithm when [`Verdict::scale`] is `Log`).
    pub fn measured(&self) -> f64 {
        self.measured
    }
    /// The bound (its natural logarithm when [`Verdict::scale`] is `Log`).
    pub fn bound(&self) -> f64 {
        self.bound
    }
    /// The signed margin in the units of `measured` and `bound`.
    pub fn margin(&self) -> f64 {
        self.margin
    }
    /// The finite statement checked, with the instance's numbers.
    pub fn statement(&self) -> &str {
        &self.statement
    }
    /// Whether `measured` and `bound` are plain values or logarithms.
    pub fn scale(&self) -> MarginScale {
        self.scale
    }
    /// Whether the bound cannot bite on this instance (every part of a combined verdict).
    pub fn is_vacuous(&self) -> bool {
        self.vacuous
    }

    /// The margin without units, what `reluflow verify` prints as "worst margin":
    /// - [`MarginScale::Linear`] with a non-zero finite bound: `margin / |bound|`, the distance to
    ///   the bound relative to the bound (`1 - measured/bound` for an upper bound `bound > 0`:
    ///   1 when `measured = 0`, 0 on the bound; `measured/bound - 1` for a lower bound);
    /// - [`MarginScale::Linear`] with bound 0 (or not finite): `margin` itself; the parts with a
    ///   zero bound state that a dimensionless number (a fitted exponent) is positive;
    /// - [`MarginScale::Log`]: `margin`, which is then `ln(bound/measured)` for an upper bound
    ///   (`ln(measured/bound)` for a lower one): the measured value is `e^margin` times inside
    ///   its bound (`lambda^(-margin/ln(1/lambda))`: a margin `ln(1/lambda)` is one power of
    ///   `lambda`).
    ///
    /// Near the bound the two agree to first order (`ln(b/m) ~ 1 - m/b`). The sign is that of
    /// `margin`. NaN stays NaN.
    ///
    /// ```
    /// use reluflow::claims::{ClaimId, Verdict};
    /// // a final loss 9e-17 against the zero-loss threshold 1e-16: 10% below it
    /// let v = Verdict::at_most(ClaimId::T1, 9e-17, 1e-16, "zero loss");
    /// assert!((v.relative_margin() - 0.1).abs() < 1e-12);
    /// // ln|w| = -700 against ln(bound) = -690: a factor e^10 inside
    /// let v = Verdict::at_most(ClaimId::L7, -700.0, -690.0, "norm").in_log_units();
    /// assert_eq!(v.relative_margin(), 10.0);
    /// ```
    pub fn relative_margin(&self) -> f64 {
        match self.scale {
            MarginScale::Log => self.margin,
            MarginScale::Linear if self.bound != 0.0 && self.bound.is_finite() => self.margin / self.bound.abs(),
            MarginScale::Linear => self.margin,
        }
    }

    /// The worse of two verdicts on the same claim: a failing one before a holding one, then the
    /// smaller [`Verdict::relative_margin`] (NaN counts as the smallest).
    pub fn worst(self, other: Verdict) -> Verdict {
        if other.is_worse_than(&self) { other } else { self }
    }

    /// Whether `self` ranks below `other` in [`Verdict::worst`]'s order.
    pub fn is_worse_than(&self, other: &Verdict) -> bool {
        let key = |v: &Verdict| {
            let r = v.relative_margin();
            (v.holds, if r.is_nan() { f64::NEG_INFINITY } else { r })
        };
        key(self) < key(other)
    }
}

/// A check's outcome on one instance.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The instance meets the claim's requirements and the check ran.
    Checked(Verdict),
    /// The instance does not meet one of the claim's requirements; `reason` names it (never
    /// counted as held).
    Skipped {
        /// The claim.
        claim: ClaimId,
        /// The unmet requirement, in words.
        reason: String,
    },
    /// The check ran but every part of it was vacuous on this instance (no bound could bite,
    /// e.g. `lambda` too large): no evidence, never counted as held.
    Vacuous {
        /// The claim.
        claim: ClaimId,
        /// `"vacuous at lambda = ..."` and the statement of the parts.
        reason: String,
    },
    /// The simulation itself failed (counted as failed).
    Error {
        /// The claim.
        claim: ClaimId,
        /// The simulator's error.
        error: String,
    },
}

impl Outcome {
    /// The outcome of a finished check: [`Outcome::Vacuous`] when every part of `verdict` was
    /// vacuous (with `lambda` in the reason), else [`Outcome::Checked`].
    pub fn of(verdict: Verdict, lambda: f64) -> Outcome {
        if verdict.is_vacuous() {
            let reason = format!("vacuous at lambda = {lambda:.3e}: {}", verdict.statement());
            Outcome::Vacuous { claim: verdict.claim(), reason }
        } else {
            Outcome::Checked(verdict)
        }
    }

    /// The claim.
    pub fn claim(&self) -> ClaimId {
        match self {
            Outcome::Checked(v) => v.claim(),
            Outcome::Skipped { claim, .. } | Outcome::Vacuous { claim, .. } | Outcome::Error { claim, .. } => *claim,
        }
    }

    /// Whether this is evidence that the claim holds: a checked, non-vacuous verdict that holds.
    pub fn held(&self) -> bool {
        matches!(self, Outcome::Checked(v) if v.holds() && !v.is_vacuous())
    }

    /// Whether this counts as a failure (a checked verdict that fails, or a simulation error).
    pub fn failed(&self) -> bool {
        match self {
            Outcome::Checked(v) => !v.holds() && !v.is_vacuous(),
            Outcome::Error { .. } => true,
            _ => false,
        }
    }

    /// The verdict, when the check ran.
    pub fn verdict(&self) -> Option<&Verdict> {
        match self {
            Outcome::Checked(v) => Some(v),
            _ => None,
        }
    }
}

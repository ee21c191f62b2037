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
pub mod landscape;
pub mod limits;
pub mod regimes;
pub mod registry;
pub mod saddles;

use crate::data::Dataset;
use crate::init::{InitKind, InitSpec, Initialisation, NeuronSets};
use crate::network::{Model, ValidModel};
use crate::solver::flow::{FlowConfig, run_flow};
use crate::solver::gd::{GdConfig, run_gd};
use crate::solver::{Run, SimulationError, StopRule};
use crate::trajectory::{Recorder, SampleSchedule, Trajectory};
use serde::Serialize;

/// The IDs of the claims reluflow checks, in the order of the paper's list of claims (the
/// [`catalogue`] describes each; `reluflow claims` prints it, `docs/claims.md` is its Markdown).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ClaimId {
    L1,
    L6,
    L7,
    L8,
    L9,
    L3,
    F1,
    L4,
    L12,
    L14,
    L15,
    T1,
    P1,
    P2,
    A3,
    A3N,
    TS,
    AL,
    LZ,
    NO,
    X5,
    XA,
}

impl ClaimId {
    /// Every claim, in the order of the list.
    pub const ALL: [ClaimId; 22] = [
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
    ];

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

/// The result of one check on one instance.
///
/// `margin` is signed, in the units of `measured` and `bound`: `bound - measured` for an upper
/// bound, `measured - bound` for a lower bound; the claim holds on this instance iff
/// `margin >= 0` (and `holds` says so). Margins of different claims, or of different parts of
/// one claim, are compared by the dimensionless [`Verdict::relative_margin`], never by `margin`
/// (a margin of `1e-17` in a loss bounded by `1e-16` is as large as a margin of `0.1` in a ratio
/// bounded by 1).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub claim: ClaimId,
    pub holds: bool,
    pub measured: f64,
    pub bound: f64,
    pub margin: f64,
    /// The finite statement checked, with the instance's numbers.
    pub statement: String,
    /// Whether `measured` and `bound` are plain values or logarithms.
    pub scale: MarginScale,
}

impl Verdict {
    /// `measured <= bound`.
    pub fn at_most(claim: ClaimId, measured: f64, bound: f64, statement: impl Into<String>) -> Self {
        let margin = bound - measured;
        let statement = statement.into();
        Self { claim, holds: margin >= 0.0, measured, bound, margin, statement, scale: MarginScale::Linear }
    }
    /// `measured >= bound`.
    pub fn at_least(claim: ClaimId, measured: f64, bound: f64, statement: impl Into<String>) -> Self {
        let margin = measured - bound;
        let statement = statement.into();
        Self { claim, holds: margin >= 0.0, measured, bound, margin, statement, scale: MarginScale::Linear }
    }
    /// The same verdict, marked as comparing natural logarithms ([`MarginScale::Log`]).
    pub fn in_log_units(self) -> Self {
        Self { scale: MarginScale::Log, ..self }
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
    /// The instance meets the claim's assumptions and the check ran.
    Checked(Verdict),
    /// The instance does not meet the claim's assumptions (never counted as held).
    Skipped { claim: ClaimId, reason: String },
    /// The simulation itself failed (counted as failed).
    Error { claim: ClaimId, error: String },
}

impl Outcome {
    /// Whether this is a held verdict.
    pub fn held(&self) -> bool {
        matches!(self, Outcome::Checked(v) if v.holds)
    }
}

/// Data, initialisation and model: everything a check needs to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    pub data: Dataset,
    pub init: InitSpec,
    pub model: Model,
}

impl Instance {
    /// A balanced ReLU instance (the paper's setting).
    pub fn balanced(data: Dataset, width: usize, lambda: f64, seed: u64) -> Self {
        Self { data, init: InitSpec { kind: InitKind::Balanced, width, lambda, seed }, model: Model::relu() }
    }
    /// The same instance at another `lambda`: the same seed gives the same directions `g_j` and
    /// signs `s_j` (the "lambda ladder" of the limit claims).
    pub fn with_lambda(&self, lambda: f64) -> Self {
        Self { init: InitSpec { lambda, ..self.init }, ..self.clone() }
    }
    /// The same instance with another model (negative controls: leaky ReLU, `relu'(0) != 0`).
    pub fn with_model(&self, model: Model) -> Self {
        Self { model, ..self.clone() }
    }
    /// The same instance with another initialisation kind.
    pub fn with_init_kind(&self, kind: InitKind) -> Self {
        Self { init: InitSpec { kind, ..self.init }, ..self.clone() }
    }
    /// `lambda`.
    pub fn lambda(&self) -> f64 {
        self.init.lambda
    }
    /// `ln(lambda)`.
    pub fn ln_lambda(&self) -> f64 {
        self.init.lambda.ln()
    }
    /// The validated model.
    pub fn valid_model(&self) -> Result<ValidModel, SimulationError> {
        self.model.validate().map_err(|e| SimulationError::Config(e.to_string()))
    }
    /// `theta(0)` and `c`, `c_min`.
    pub fn initialisation(&self) -> Result<Initialisation, SimulationError> {
        let spec = self.init.validate().map_err(|e| SimulationError::Config(e.to_string()))?;
        Ok(spec.draw(self.data.d()))
    }
    /// `S+,1` and `S-,1`.
    pub fn sets(&self) -> Result<NeuronSets, SimulationError> {
        Ok(NeuronSets::of(&self.initialisation()?.params, &self.data))
    }
    /// Runs the gradient flow with a recorder.
    pub fn flow(&self, cfg: &FlowConfig, schedule: SampleSchedule) -> Result<(Run, Trajectory), SimulationError> {
        let init = self.initialisation()?;
        let mut rec = Recorder::new(&self.data, schedule);
        let run = run_flow(&self.data, self.valid_model()?, &init.params, cfg, &mut rec)?;
        Ok((run, rec.finish()))
    }
    /// Runs gradient descent with a recorder.
    pub fn gd(&self, cfg: &GdConfig, schedule: SampleSchedule) -> Result<(Run, Trajectory), SimulationError> {
        let init = self.initialisation()?;
        let mut rec = Recorder::new(&self.data, schedule);
        let run = run_gd(&self.data, self.valid_model()?, &init.params, cfg, &mut rec)?;
        Ok((run, rec.finish()))
    }
    /// The flow until `loss < until_loss` or `horizon`, whichever comes first, no recording.
    pub fn flow_to_convergence(&self, until_loss: f64, horizon: f64, rtol: f64) -> Result<Run, SimulationError> {
        let init = self.initialisation()?;
        let cfg = FlowConfig {
            rtol,
            stop: StopRule { until_loss: Some(until_loss), horizon: Some(horizon), ..Default::default() },
            ..Default::default()
        };
        run_flow(&self.data, self.valid_model()?, &init.params, &cfg, &mut crate::solver::NoObserver)
    }
}

//! [`CaseRecord`]: one (claim, case) of a `reluflow verify` run, as one line of its `--jsonl`
//! file.
//!
//! A record carries every number the report uses, losslessly: `reluflow merge` and `reluflow
//! verify` both build their report from records ([`CaseRecord::outcome`] gives back the exact
//! [`Outcome`] the report aggregates), so the two cannot drift. Finite numbers are JSON numbers
//! that read back bit for bit; NaN and the infinities (a check that could not produce its number
//! has measured `NaN` and margin `-inf`) are the strings `"NaN"`, `"inf"` and `"-inf"`.
//!
//! ```
//! use reluflow::campaign::{CaseRecord, RunParams};
//! use reluflow::claims::{ClaimId, Outcome, Verdict};
//! let run = RunParams { seed: 0, cases: 4, claims: vec![ClaimId::T1] };
//! let item = run.items()[1];
//! let outcome = Outcome::Checked(Verdict::failed(ClaimId::T1, "no plateau"));
//! let record = CaseRecord::new(&run, &item, &outcome, None, 0.5);
//! let line = serde_json::to_string(&record).unwrap();
//! assert!(line.contains(r#""outcome":"failed","measured":"NaN""#) && line.contains(r#""margin":"-inf""#));
//! let back: CaseRecord = serde_json::from_str(&line).unwrap();
//! assert_eq!(serde_json::to_string(&back.outcome().unwrap()).unwrap(), serde_json::to_string(&outcome).unwrap());
//! ```

use super::params::{RunParams, WorkItem};
use crate::Instance;
use crate::claims::{ClaimId, MarginScale, Outcome, Verdict};
use crate::init::InitKind;
use serde::{Deserialize, Serialize};

/// The version of reluflow that writes the records (`CARGO_PKG_VERSION`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a case was: held, failed, skipped, vacuous or error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordedOutcome {
    /// Checked, not vacuous, holds: evidence.
    Held,
    /// Checked, not vacuous, fails.
    Failed,
    /// The instance does not meet a requirement of the claim (`statement` names it).
    Skipped,
    /// No bound could bite on the instance (no evidence).
    Vacuous,
    /// The simulation failed (`statement` is the error); counted as failed.
    Error,
}

impl RecordedOutcome {
    /// `held`, `failed`, `skipped`, `vacuous` or `error`.
    pub fn label(self) -> &'static str {
        match self {
            RecordedOutcome::Held => "held",
            RecordedOutcome::Failed => "failed",
            RecordedOutcome::Skipped => "skipped",
            RecordedOutcome::Vacuous => "vacuous",
            RecordedOutcome::Error => "error",
        }
    }
    /// A failure of the claim (failed or error): what `reluflow replay` is for.
    pub fn is_failure(self) -> bool {
        matches!(self, RecordedOutcome::Failed | RecordedOutcome::Error)
    }
}

/// [`MarginScale`] in a record: whether `measured`, `bound` and `margin` are logarithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordedScale {
    /// Plain units.
    Linear,
    /// Natural logarithms.
    Log,
}

impl From<MarginScale> for RecordedScale {
    fn from(scale: MarginScale) -> Self {
        match scale {
            MarginScale::Linear => RecordedScale::Linear,
            MarginScale::Log => RecordedScale::Log,
        }
    }
}

impl From<RecordedScale> for MarginScale {
    fn from(scale: RecordedScale) -> Self {
        match scale {
            RecordedScale::Linear => MarginScale::Linear,
            RecordedScale::Log => MarginScale::Log,
        }
    }
}

/// The shape of the instance a case ran on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceShape {
    /// Points.
    pub n: usize,
    /// Input dimension.
    pub d: usize,
    /// Width (neurons).
    pub m: usize,
    /// Initialisation scale (a ladder claim also runs the instance at other scales).
    #[serde(with = "float")]
    pub lambda: f64,
    /// Seed of the initial directions `g_j` and signs `s_j`.
    pub init_seed: u64,
    /// Balanced (eq. (4)) or unbalanced.
    pub init: InitKind,
}

impl InstanceShape {
    /// The shape of `instance`.
    pub fn of(instance: &Instance) -> Self {
        Self {
            n: instance.data.n(),
            d: instance.data.d(),
            m: instance.init.width,
            lambda: instance.init.lambda,
            init_seed: instance.init.seed,
            init: instance.init.kind,
        }
    }
}

/// One (claim, case) of a run: one line of `reluflow verify --jsonl`.
///
/// `measured`, `bound`, `margin` and `scale` are given (all four) exactly when the check produced
/// a verdict: `held` and `failed` always, `vacuous` when its verdict was vacuous; they are `null`
/// for `skipped`, `error` and a `vacuous` outcome whose reason is the `statement`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// The claim.
    #[serde(deserialize_with = "claim_id::one")]
    pub claim: ClaimId,
    /// The case (0-based, below `cases`).
    pub case: usize,
    /// The seed the case's instance was drawn from (`reluflow replay CLAIM --case-seed S`).
    pub case_seed: u64,
    /// The run's `--seed`.
    pub seed: u64,
    /// The run's `--cases` (instances per claim).
    pub cases: usize,
    /// The run's `--claims`, in order.
    #[serde(deserialize_with = "claim_id::many")]
    pub claims: Vec<ClaimId>,
    /// The instance's shape (`null` when the seed's draws gave none: a skipped case).
    pub instance: Option<InstanceShape>,
    /// What the case was.
    pub outcome: RecordedOutcome,
    /// The binding part's measured value (see the type's note on `null`).
    #[serde(with = "optional_float", default)]
    pub measured: Option<f64>,
    /// Its bound.
    #[serde(with = "optional_float", default)]
    pub bound: Option<f64>,
    /// Its signed margin (`>= 0` iff it holds).
    #[serde(with = "optional_float", default)]
    pub margin: Option<f64>,
    /// Whether those three are logarithms.
    #[serde(default)]
    pub scale: Option<RecordedScale>,
    /// The finite statement checked with the instance's numbers; for a skipped case the unmet
    /// requirement, for an error the simulator's error.
    pub statement: String,
    /// Wall time of the case in seconds (not part of any report).
    #[serde(with = "float")]
    pub wall_time_s: f64,
    /// The reluflow version that ran it.
    pub version: String,
}

impl CaseRecord {
    /// The record of `item` of `run`, whose check gave `outcome` on an instance of shape
    /// `instance` in `wall_time_s` seconds.
    pub fn new(
        run: &RunParams,
        item: &WorkItem,
        outcome: &Outcome,
        instance: Option<InstanceShape>,
        wall_time_s: f64,
    ) -> Self {
        let (kind, verdict, statement) = match outcome {
            Outcome::Checked(v) => {
                let kind = if v.is_vacuous() {
                    RecordedOutcome::Vacuous
                } else if v.holds() {
                    RecordedOutcome::Held
                } else {
                    RecordedOutcome::Failed
                };
                (kind, Some(v), v.statement().to_string())
            }
            Outcome::Skipped { reason, .. } => (RecordedOutcome::Skipped, None, reason.clone()),
            Outcome::Vacuous { reason, .. } => (RecordedOutcome::Vacuous, None, reason.clone()),
            Outcome::Error { error, .. } => (RecordedOutcome::Error, None, error.clone()),
        };
        Self {
            claim: item.claim,
            case: item.case,
            case_seed: item.case_seed,
            seed: run.seed,
            cases: run.cases,
            claims: run.claims.clone(),
            instance,
            outcome: kind,
            measured: verdict.map(Verdict::measured),
            bound: verdict.map(Verdict::bound),
            margin: verdict.map(Verdict::margin),
            scale: verdict.map(|v| v.scale().into()),
            statement,
            wall_time_s,
            version: VERSION.to_string(),
        }
    }

    /// The run this record belongs to.
    pub fn run(&self) -> RunParams {
        RunParams { seed: self.seed, cases: self.cases, claims: self.claims.clone() }
    }

    /// The outcome the record was made from, exactly (every number bit for bit), or why the
    /// record is inconsistent (an outcome `held` with a negative margin, numbers on a skipped
    /// case, ...).
    pub fn outcome(&self) -> Result<Outcome, String> {
        let numbers = match (self.measured, self.bound, self.margin, self.scale) {
            (Some(measured), Some(bound), Some(margin), Some(scale)) => Some(((measured, bound, margin), scale)),
            (None, None, None, None) => None,
            _ => return Err("measured, bound, margin and scale are either all given or all null".into()),
        };
        let claim = self.claim;
        let reason = self.statement.clone();
        match (self.outcome, numbers) {
            (kind @ (RecordedOutcome::Held | RecordedOutcome::Failed), Some((numbers, scale))) => {
                let v = Verdict::recorded(claim, numbers, reason, scale.into(), false);
                if v.holds() != (kind == RecordedOutcome::Held) {
                    return Err(format!(
                        "outcome {:?} but margin {} (a case holds iff its margin is >= 0)",
                        kind.label(),
                        numbers.2
                    ));
                }
                Ok(Outcome::Checked(v))
            }
            (RecordedOutcome::Vacuous, Some((numbers, scale))) => {
                Ok(Outcome::Checked(Verdict::recorded(claim, numbers, reason, scale.into(), true)))
            }
            (RecordedOutcome::Vacuous, None) => Ok(Outcome::Vacuous { claim, reason }),
            (RecordedOutcome::Skipped, None) => Ok(Outcome::Skipped { claim, reason }),
            (RecordedOutcome::Error, None) => Ok(Outcome::Error { claim, error: reason }),
            (kind @ (RecordedOutcome::Held | RecordedOutcome::Failed), None) => {
                Err(format!("outcome {:?} needs measured, bound, margin and scale", kind.label()))
            }
            (kind @ (RecordedOutcome::Skipped | RecordedOutcome::Error), Some(_)) => {
                Err(format!("outcome {:?} has no measured, bound, margin or scale (give null)", kind.label()))
            }
        }
    }

    /// The command that reruns this case ([`super::replay_command`]).
    pub fn replay_command(&self) -> String {
        super::params::replay_command(self.claim, self.case_seed)
    }
}

/// Claim IDs read from their names (`"L1"`, `"A3N"`).
mod claim_id {
    use crate::claims::ClaimId;
    use serde::{Deserialize, Deserializer, de::Error};

    fn parse<E: Error>(name: &str) -> Result<ClaimId, E> {
        ClaimId::parse(name).ok_or_else(|| E::custom(format!("unknown claim ID {name:?}")))
    }

    pub fn one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ClaimId, D::Error> {
        parse(&String::deserialize(deserializer)?)
    }

    pub fn many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<ClaimId>, D::Error> {
        Vec::<String>::deserialize(deserializer)?.iter().map(|name| parse(name)).collect()
    }
}

/// An `f64` as a JSON number when finite, else as the string `"NaN"`, `"inf"` or `"-inf"`.
mod float {
    use serde::de::{Error, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() { serializer.serialize_f64(*x) } else { serializer.collect_str(x) }
    }

    pub struct FloatVisitor;

    impl<'de> Visitor<'de> for FloatVisitor {
        type Value = f64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(r#"a number, or "NaN", "inf" or "-inf""#)
        }
        fn visit_f64<E: Error>(self, x: f64) -> Result<f64, E> {
            Ok(x)
        }
        fn visit_u64<E: Error>(self, x: u64) -> Result<f64, E> {
            Ok(x as f64)
        }
        fn visit_i64<E: Error>(self, x: i64) -> Result<f64, E> {
            Ok(x as f64)
        }
        fn visit_str<E: Error>(self, text: &str) -> Result<f64, E> {
            match text {
                "NaN" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                _ => Err(E::custom(format!(
                    "{text:?} is not \"NaN\", \"inf\" or \"-inf\" (finite numbers are JSON numbers)"
                ))),
            }
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        deserializer.deserialize_any(FloatVisitor)
    }
}

/// An optional `f64` ([`float`]'s forms, or `null`).
mod optional_float {
    use serde::de::{Error, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        match x {
            Some(x) => super::float::serialize(x, serializer),
            None => serializer.serialize_none(),
        }
    }

    struct OptionalFloatVisitor;

    impl<'de> Visitor<'de> for OptionalFloatVisitor {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(r#"null, a number, or "NaN", "inf" or "-inf""#)
        }
        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: Error>(self, x: f64) -> Result<Self::Value, E> {
            Ok(Some(x))
        }
        fn visit_u64<E: Error>(self, x: u64) -> Result<Self::Value, E> {
            Ok(Some(x as f64))
        }
        fn visit_i64<E: Error>(self, x: i64) -> Result<Self::Value, E> {
            Ok(Some(x as f64))
        }
        fn visit_str<E: Error>(self, text: &str) -> Result<Self::Value, E> {
            super::float::FloatVisitor.visit_str(text).map(Some)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
        deserializer.deserialize_any(OptionalFloatVisitor)
    }
}

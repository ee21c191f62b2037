//! What a figure of a sweep can show: grid parameters on its axes ([`Parameter`]) and measured
//! quantities or claim outcomes as its values ([`Quantity`]).

use super::SweepError;
use super::record::{OutcomeKind, SweepRecord};
use crate::claims::ClaimId;
use crate::init::InitKind;

/// A grid parameter (an axis of a figure, or a `--where` filter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parameter {
    /// The initialisation scale (log axis).
    Lambda,
    /// The width `m` (log2 axis).
    Width,
    /// The number of points.
    N,
    /// The input dimension.
    D,
    /// `d - n`.
    ExtraDims,
    /// The prescribed label ratio `r` (the measured one without `--ratio`).
    Ratio,
    /// The prescribed input coherence `delta`.
    Coherence,
    /// 0 balanced, 1 unbalanced.
    Init,
}

/// How an axis of a parameter is scaled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AxisScale {
    /// Linear.
    Linear,
    /// `log10`.
    Log10,
    /// `log2`.
    Log2,
}

impl Parameter {
    /// Every parameter, in the order of the grid's flags.
    pub const ALL: [Parameter; 8] = [
        Parameter::Lambda,
        Parameter::Width,
        Parameter::N,
        Parameter::D,
        Parameter::ExtraDims,
        Parameter::Ratio,
        Parameter::Coherence,
        Parameter::Init,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Parameter::Lambda => "lambda",
            Parameter::Width => "m",
            Parameter::N => "n",
            Parameter::D => "d",
            Parameter::ExtraDims => "extra_dims",
            Parameter::Ratio => "r",
            Parameter::Coherence => "delta",
            Parameter::Init => "init",
        }
    }

    /// An axis description.
    pub fn description(self) -> &'static str {
        match self {
            Parameter::Lambda => "initialisation scale lambda",
            Parameter::Width => "width m",
            Parameter::N => "number of points n",
            Parameter::D => "input dimension d",
            Parameter::ExtraDims => "d - n",
            Parameter::Ratio => "label ratio r = |D+|/|D-|",
            Parameter::Coherence => "input coherence delta",
            Parameter::Init => "initialisation (0 balanced, 1 unbalanced)",
        }
    }

    /// Parses a name (`lambda`, `m` or `width`, `n`, `d`, `extra_dims` or `d-n`, `r` or `ratio`,
    /// `delta` or `coherence`, `init`).
    pub fn parse(text: &str) -> Result<Self, SweepError> {
        let t = text.trim().to_ascii_lowercase();
        Ok(match t.as_str() {
            "lambda" => Parameter::Lambda,
            "m" | "width" => Parameter::Width,
            "n" => Parameter::N,
            "d" => Parameter::D,
            "extra_dims" | "extra-dims" | "d-n" => Parameter::ExtraDims,
            "r" | "ratio" => Parameter::Ratio,
            "delta" | "coherence" => Parameter::Coherence,
            "init" => Parameter::Init,
            _ => {
                return Err(SweepError::UnknownParameter {
                    name: text.to_string(),
                    known: Parameter::ALL.map(Parameter::name).join(", "),
                });
            }
        })
    }

    /// The parameter's value in `record`.
    pub fn value(self, record: &SweepRecord) -> f64 {
        let c = &record.cell;
        match self {
            Parameter::Lambda => c.lambda,
            Parameter::Width => c.width as f64,
            Parameter::N => c.n as f64,
            Parameter::D => record.d as f64,
            Parameter::ExtraDims => c.extra_dims as f64,
            Parameter::Ratio => c.ratio.unwrap_or(record.measured_ratio),
            Parameter::Coherence => c.coherence,
            Parameter::Init => match c.init {
                InitKind::Balanced => 0.0,
                InitKind::Unbalanced => 1.0,
            },
        }
    }

    /// Whether the parameter is a grid parameter of its own (not `d`, which `n` and `d - n` fix,
    /// and not the ratio when it is measured): what `--where` and the mixing check look at.
    pub fn is_independent(self) -> bool {
        self != Parameter::D
    }

    /// The natural axis scale: log10 for `lambda` and `delta`, log2 for `m`, linear otherwise.
    pub fn scale(self) -> AxisScale {
        match self {
            Parameter::Lambda | Parameter::Coherence => AxisScale::Log10,
            Parameter::Width => AxisScale::Log2,
            _ => AxisScale::Linear,
        }
    }

    /// A tick label of `value`.
    pub fn label(self, value: f64) -> String {
        match self {
            Parameter::Lambda | Parameter::Coherence => short_number(value),
            Parameter::Init => if value == 0.0 { "balanced" } else { "unbalanced" }.to_string(),
            _ => short_number(value),
        }
    }
}

/// `1e-12`, `3.2e-5`, `0.25`, `16`: the shortest of a few forms that reads back within 0.5%.
pub fn short_number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if v.fract() == 0.0 && v.abs() < 1e6 {
        return format!("{v:.0}");
    }
    let close = |s: &str| s.parse::<f64>().is_ok_and(|p| ((p - v) / v).abs() < 5e-3);
    for digits in 0..4 {
        let e = format!("{v:.digits$e}");
        let fixed = format!("{v:.digits$}");
        if (1e-3..1e4).contains(&v.abs()) && close(&fixed) {
            return fixed;
        }
        if close(&e) {
            return e;
        }
    }
    format!("{v:.3e}")
}

/// A measured quantity of a run, or a claim's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// Final loss.
    FinalLoss,
    /// Relative norm excess over Proposition 1's minimum.
    NormExcess,
    /// Number of intermediate plateaus.
    Plateaus,
    /// Whether a plateau is at Fact 1's level (1 or 0; the mean is the fraction of seeds).
    Fact1Plateau,
    /// Positive fit time over `ln(1/lambda)`.
    FitPlusOverLn,
    /// Negative fit time over `ln(1/lambda)`.
    FitMinusOverLn,
    /// Active neurons at the end.
    ActiveNeurons,
    /// Wall time of the run.
    WallSeconds,
    /// The input coherence measured on the generated data.
    MeasuredCoherence,
    /// A claim: 1 held, 0 failed (or a simulation error); skipped and vacuous outcomes carry no
    /// value (the mean is the fraction held among the seeds with evidence).
    Claim(ClaimId),
}

impl Quantity {
    /// The measured quantities, by name.
    pub const MEASURED: [(&'static str, Quantity); 9] = [
        ("final_loss", Quantity::FinalLoss),
        ("norm_excess", Quantity::NormExcess),
        ("plateaus", Quantity::Plateaus),
        ("fact_1_plateau", Quantity::Fact1Plateau),
        ("fit_plus_over_ln", Quantity::FitPlusOverLn),
        ("fit_minus_over_ln", Quantity::FitMinusOverLn),
        ("active_neurons", Quantity::ActiveNeurons),
        ("wall_seconds", Quantity::WallSeconds),
        ("measured_coherence", Quantity::MeasuredCoherence),
    ];

    /// Parses a quantity name or a claim ID.
    pub fn parse(text: &str) -> Result<Self, SweepError> {
        let t = text.trim();
        if let Some((_, q)) = Self::MEASURED.iter().find(|(name, _)| name.eq_ignore_ascii_case(t)) {
            return Ok(q.clone());
        }
        if let Some(id) = ClaimId::parse(t) {
            return Ok(Quantity::Claim(id));
        }
        Err(SweepError::UnknownQuantity {
            name: text.to_string(),
            known: Self::MEASURED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        })
    }

    /// The name used on the command line.
    pub fn name(&self) -> String {
        match self {
            Quantity::Claim(id) => id.to_string(),
            q => Self::MEASURED.iter().find(|(_, m)| m == q).map_or("?", |(n, _)| *n).to_string(),
        }
    }

    /// What the colour bar or the y axis says.
    pub fn description(&self) -> String {
        match self {
            Quantity::FinalLoss => "final loss L".into(),
            Quantity::NormExcess => "relative norm excess |theta|^2 / min - 1".into(),
            Quantity::Plateaus => "intermediate plateaus".into(),
            Quantity::Fact1Plateau => "fraction of seeds with Fact 1's plateau".into(),
            Quantity::FitPlusOverLn => "positive fit time / ln(1/lambda)".into(),
            Quantity::FitMinusOverLn => "negative fit time / ln(1/lambda)".into(),
            Quantity::ActiveNeurons => "active neurons at the end".into(),
            Quantity::WallSeconds => "wall time per run, s".into(),
            Quantity::MeasuredCoherence => "measured max |<x_k, x_l>|".into(),
            Quantity::Claim(id) => format!("{id}: fraction held"),
        }
    }

    /// Whether the quantity spans decades (a log colour scale or y axis when its values allow).
    pub fn spans_decades(&self) -> bool {
        matches!(self, Quantity::FinalLoss | Quantity::NormExcess | Quantity::WallSeconds | Quantity::MeasuredCoherence)
    }

    /// Whether the quantity is a fraction in `[0, 1]` (a fixed colour scale).
    pub fn is_fraction(&self) -> bool {
        matches!(self, Quantity::Fact1Plateau | Quantity::Claim(_))
    }

    /// The value in `record` (`None`: the record has none, e.g. a failed run, a norm excess of
    /// non-orthogonal inputs, a claim skipped or not checked).
    pub fn value(&self, record: &SweepRecord) -> Option<f64> {
        let m = record.measure.as_ref();
        let v = match self {
            Quantity::FinalLoss => m.map(|m| m.final_loss),
            Quantity::NormExcess => m.and_then(|m| m.norm_excess),
            Quantity::Plateaus => m.map(|m| m.plateaus as f64),
            Quantity::Fact1Plateau => m.map(|m| f64::from(u8::from(m.fact_1_plateau))),
            Quantity::FitPlusOverLn => m.and_then(|m| m.fit_plus_over_ln),
            Quantity::FitMinusOverLn => m.and_then(|m| m.fit_minus_over_ln),
            Quantity::ActiveNeurons => m.map(|m| m.active_neurons as f64),
            Quantity::WallSeconds => m.map(|m| m.wall_seconds),
            Quantity::MeasuredCoherence => Some(record.measured_coherence),
            Quantity::Claim(id) => record.claim(&id.to_string()).and_then(|c| match c.outcome {
                OutcomeKind::Held => Some(1.0),
                OutcomeKind::Failed | OutcomeKind::Error => Some(0.0),
                OutcomeKind::Skipped | OutcomeKind::Vacuous => None,
            }),
        };
        v.filter(|v| v.is_finite())
    }
}

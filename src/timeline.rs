//! Phase timelines: the named events of Figure 1, read off a recorded trajectory, next to the
//! times the paper predicts.
//!
//! Events (each `None` if it does not happen during the run):
//! - `aligned_plus` / `aligned_minus`: every neuron of `S+,1` (resp. `S-,1`) within
//!   [`ALIGNMENT_ANGLE`] of `D+` (resp. `-D-`) (Lemmas 7 (ii), 8 (ii)).
//! - `deactivated_plus` / `deactivated_minus`: every neuron of `S+,1` inactive on every negative
//!   label (resp. `S-,1` on every positive label) (Lemmas 7 (iii), 8 (iii)).
//! - `u_plus_half`, `u_plus_fitted`: `u+ = sum_{S+,1} |w_j|^2` reaches half, and `1 - 1e-3`, of
//!   its limit `n|D+|` (`|v+|` for orthogonal inputs that are not unit-norm) (Lemma 3).
//! - `plateau_entry`, `plateau_exit`: the loss enters, and then leaves downwards, the band
//!   `|L / L_plateau - 1| <= PLATEAU_BAND` around `L_plateau = (1/2n) sum_{y<0} y^2` (Fact 1).
//! - `u_minus_half`, `u_minus_fitted`: the same for `u- = sum_{S-,1} |w_j|^2` and `n|D-|` (Lemma 4).
//! - `converged`: the loss below `1e-10` (Theorem 1).
//!
//! Threshold crossings of `u+-` and the loss are interpolated linearly in `ln` between samples;
//! the boolean events are the first sample at which they hold. Times are reported raw and
//! divided by `ln(1/lambda)`, the paper's time scale.
//!
//! Sign convention: the paper assumes `r = |D+|/|D-| > 1` w.l.o.g. (Section 4.1), by negating every
//! label if needed. Negating the labels and every `a_j` maps a run onto a run exactly (`h -> -h`,
//! the `w_j` unchanged), so when `r < 1` ([`theory::needs_label_flip`]) the timeline is read on the
//! negated labels: `+` and `-` (`S+,1`, `D+`, `u+`, the plateau) then refer to the swapped labels,
//! and [`PhaseTimeline::labels_swapped`] says so. A phase that cannot exist (labels of one sign, an
//! empty `S+-,1`) is "not applicable": its fields are `None` and [`PhaseTimeline::not_applicable`]
//! gives the reason; a `None` without a reason means "did not happen during the run".

use crate::data::Dataset;
use crate::init::NeuronSets;
use crate::network::Class;
use crate::theory;
use crate::trajectory::{Sample, Trajectory};
use serde::Serialize;
use std::collections::BTreeMap;

/// Alignment threshold of the alignment events: 0.05 rad (about 2.9 degrees).
pub const ALIGNMENT_ANGLE: f64 = 0.05;
/// Relative band around the plateau level of the plateau events.
pub const PLATEAU_BAND: f64 = 0.05;
/// The fraction of the limit mass at which `u+-` counts as fitted.
pub const FITTED_FRACTION: f64 = 1.0 - 1e-3;
/// Loss threshold of the `converged` event.
pub const CONVERGED_LOSS: f64 = 1e-10;

/// One event: its time, raw and over `ln(1/lambda)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct EventTime {
    /// The time `t`.
    pub time: f64,
    /// `t / ln(1/lambda)`.
    pub normalised: f64,
}

/// The predicted times of Figure 1 (Section 4.2) for the `eps` used.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Predicted {
    /// The Appendix B.2 `eps` (the largest admissible).
    pub eps: f64,
    /// `-eps ln(lambda)/|D+|` (Lemma 7).
    pub t_plus_1: f64,
    /// `-eps ln(lambda)/|D-|` (Lemmas 2, 8).
    pub t_minus_1: f64,
    /// `-(1+3eps) ln(lambda)/|D+|` (Lemma 3's bound on `t2`).
    pub t2_bound: f64,
    /// `-(1-eps) ln(lambda)/|D-|` (Fact 1: end of the saddle).
    pub plateau_end: f64,
    /// `-(1+3r eps) ln(lambda)/|D-|` (Lemma 4's bound on `t3`).
    pub t3_bound: f64,
    /// `-ln(lambda)/|D+|`: the time scale of the positive labels (claim TS).
    pub time_scale_plus: f64,
    /// `-ln(lambda)/|D-|`: the time scale of the negative labels (claim TS).
    pub time_scale_minus: f64,
}

impl Predicted {
    /// The predicted times with their names, in the order of Figure 1.
    pub fn named(&self) -> [(&'static str, f64); 7] {
        [
            ("t+1", self.t_plus_1),
            ("t-1", self.t_minus_1),
            ("t2 bound", self.t2_bound),
            ("plateau end", self.plateau_end),
            ("t3 bound", self.t3_bound),
            ("-ln(lam)/|D+|", self.time_scale_plus),
            ("-ln(lam)/|D-|", self.time_scale_minus),
        ]
    }
}

/// What the output says when the labels were swapped (see [`PhaseTimeline::labels_swapped`]).
pub const SWAP_NOTE: &str = "label signs swapped (y -> -y, a_j -> -a_j, an exact symmetry of the run): \
|D-| > |D+| here and the paper assumes r = |D+|/|D-| > 1 w.l.o.g. (Section 4.1); +, -, S+,1, S-,1, u+, u- \
and the plateau refer to the swapped labels";

/// A phase timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseTimeline {
    /// `ln(1/lambda)` (the normalisation).
    pub ln_inv_lambda: f64,
    /// Whether the timeline is read on the negated labels (the paper's w.l.o.g. `r > 1`, taken
    /// when `r < 1`); see [`SWAP_NOTE`].
    pub labels_swapped: bool,
    /// `r = |D+|/|D-|` of the labels as read (after the swap: `>= 1`); `inf` (`null` in JSON) with
    /// labels of one sign.
    pub r: f64,
    /// `|S+,1|` (`None`: no positive label, see `not_applicable`).
    pub s_plus_1: Option<usize>,
    /// `|S-,1|` (`None`: no negative label, see `not_applicable`).
    pub s_minus_1: Option<usize>,
    /// `(1/2n) sum_{y<0} y^2` (`None`: no negative label, hence no plateau).
    pub plateau_level: Option<f64>,
    /// Every neuron of `S+,1` within [`ALIGNMENT_ANGLE`] of `D+` (Lemma 7 (ii)).
    pub aligned_plus: Option<EventTime>,
    /// Every neuron of `S-,1` within [`ALIGNMENT_ANGLE`] of `-D-` (Lemma 8 (ii)).
    pub aligned_minus: Option<EventTime>,
    /// Every neuron of `S+,1` inactive on every negative label (Lemma 7 (iii)).
    pub deactivated_plus: Option<EventTime>,
    /// Every neuron of `S-,1` inactive on every positive label (Lemma 8 (iii)).
    pub deactivated_minus: Option<EventTime>,
    /// `u+ = sum_{S+,1} |w_j|^2` reaches half of its limit (Lemma 3).
    pub u_plus_half: Option<EventTime>,
    /// `u+` reaches [`FITTED_FRACTION`] of its limit (Lemma 3).
    pub u_plus_fitted: Option<EventTime>,
    /// The loss enters the band [`PLATEAU_BAND`] around `plateau_level` (Fact 1).
    pub plateau_entry: Option<EventTime>,
    /// The loss leaves that band downwards (Fact 1).
    pub plateau_exit: Option<EventTime>,
    /// `u- = sum_{S-,1} |w_j|^2` reaches half of its limit (Lemma 4).
    pub u_minus_half: Option<EventTime>,
    /// `u-` reaches [`FITTED_FRACTION`] of its limit (Lemma 4).
    pub u_minus_fitted: Option<EventTime>,
    /// The loss falls below [`CONVERGED_LOSS`] (Theorem 1).
    pub converged: Option<EventTime>,
    /// `None` when `eps` is undefined (labels of one sign, `r = 1`); the reason is in
    /// `not_applicable`.
    pub predicted: Option<Predicted>,
    /// The fields (by name) that are `None` because their phase does not exist, with the reason.
    pub not_applicable: BTreeMap<&'static str, String>,
    /// The loss at the last sample.
    pub final_loss: f64,
    /// The time of the last sample.
    pub final_time: f64,
}

impl PhaseTimeline {
    /// The events in time order of Figure 1, with their names.
    pub fn events(&self) -> Vec<(&'static str, Option<EventTime>)> {
        vec![
            ("aligned_plus", self.aligned_plus),
            ("deactivated_plus", self.deactivated_plus),
            ("aligned_minus", self.aligned_minus),
            ("deactivated_minus", self.deactivated_minus),
            ("u_plus_half", self.u_plus_half),
            ("plateau_entry", self.plateau_entry),
            ("u_plus_fitted", self.u_plus_fitted),
            ("plateau_exit", self.plateau_exit),
            ("u_minus_half", self.u_minus_half),
            ("u_minus_fitted", self.u_minus_fitted),
            ("converged", self.converged),
        ]
    }
}

/// Why a timeline cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TimelineError {
    /// No sample was recorded.
    #[error("the trajectory has no samples")]
    Empty,
    /// The trajectory was not recorded from time 0 (no `theta(0)`, hence no `S+-,1`).
    #[error("the trajectory has no initial parameters: record it from time 0")]
    NoInitial,
    /// `lambda` outside `(0, 1)` (the value given).
    #[error("lambda = {0} must be in (0, 1) for the ln(1/lambda) normalisation")]
    Lambda(f64),
}

fn u(sample: &Sample, set: &[usize]) -> f64 {
    set.iter().map(|&j| (2.0 * sample.ln_neuron_norm[j]).exp()).sum()
}

/// The first time the series `f` crosses `level` upwards (`up`) or downwards, interpolated
/// linearly in `ln f` between samples.
fn crossing(samples: &[Sample], f: impl Fn(&Sample) -> f64, level: f64, up: bool) -> Option<f64> {
    let hit = |v: f64| if up { v >= level } else { v < level };
    let mut prev: Option<(f64, f64)> = None;
    for s in samples {
        let v = f(s);
        if hit(v) {
            return Some(match prev {
                Some((t0, v0)) if v0 > 0.0 && v > 0.0 && v0 != v => {
                    let (l0, l1, lv) = (v0.ln(), v.ln(), level.ln());
                    t0 + (s.time - t0) * ((lv - l0) / (l1 - l0)).clamp(0.0, 1.0)
                }
                _ => s.time,
            });
        }
        prev = Some((s.time, v));
    }
    None
}

/// `cos(w_j, D+)` (`plus`) or `cos(w_j, -D-)` of the recorded labels.
fn alignment(s: &Sample, plus: bool) -> &[f64] {
    if plus { &s.alignment_plus } else { &s.alignment_minus }
}

fn first(samples: &[Sample], pred: impl Fn(&Sample) -> bool) -> Option<f64> {
    samples.iter().find(|s| pred(s)).map(|s| s.time)
}

/// Reads the phase timeline of `trajectory` (recorded on `data` from `lambda`), in the paper's
/// sign convention (see the module docs: labels swapped when `r < 1`).
pub fn phase_timeline(data: &Dataset, lambda: f64, trajectory: &Trajectory) -> Result<PhaseTimeline, TimelineError> {
    let samples = &trajectory.samples;
    let last = samples.last().ok_or(TimelineError::Empty)?;
    let initial = trajectory.initial.as_ref().ok_or(TimelineError::NoInitial)?;
    if !(lambda > 0.0 && lambda < 1.0) {
        return Err(TimelineError::Lambda(lambda));
    }
    let ln_inv = -lambda.ln();
    let swapped = theory::needs_label_flip(data);
    // on the swapped labels (and a_j -> -a_j) S+,1 is the original S-,1 and vice versa, and
    // cos(w_j, D+) is the original cos(w_j, -D-): the recorded samples are read crosswise
    let sets = NeuronSets::of(initial, data);
    let (s_plus_1, s_minus_1) = if swapped { (sets.s_minus_1, sets.s_plus_1) } else { (sets.s_plus_1, sets.s_minus_1) };
    let swapped_data;
    let data: &Dataset = if swapped {
        swapped_data = data.with_flipped_labels();
        &swapped_data
    } else {
        data
    };
    let n = data.n();
    let y = data.y();
    let (has_plus, has_minus) = (theory::n_plus(data) > 0, theory::n_minus(data) > 0);
    let mut not_applicable: BTreeMap<&'static str, String> = BTreeMap::new();
    let mut na = |fields: &[&'static str], reason: &str| {
        for f in fields {
            not_applicable.entry(f).or_insert_with(|| reason.to_string());
        }
    };
    for (has, sign, plus_side) in [(has_plus, "positive", true), (has_minus, "negative", false)] {
        if !has {
            let reason = format!(
                "no {sign} label{}: the {} phase (Lemmas {}) does not exist{}",
                if swapped { " after the sign swap" } else { "" },
                if plus_side { "positive" } else { "negative" },
                if plus_side { "7 and 3" } else { "8 and 4" },
                if plus_side { "" } else { ", nor the plateau (Fact 1): the loss goes from the saddle at 0 to 0" }
            );
            let fields: &[&'static str] = if plus_side {
                &["s_plus_1", "aligned_plus", "deactivated_plus", "deactivated_minus", "u_plus_half", "u_plus_fitted"]
            } else {
                &[
                    "s_minus_1",
                    "plateau_level",
                    "aligned_minus",
                    "deactivated_plus",
                    "deactivated_minus",
                    "plateau_entry",
                    "plateau_exit",
                    "u_minus_half",
                    "u_minus_fitted",
                ]
            };
            na(fields, &reason);
        }
    }
    for (set, name, fields) in [
        (&s_plus_1, "S+,1", ["aligned_plus", "deactivated_plus", "u_plus_half", "u_plus_fitted"]),
        (&s_minus_1, "S-,1", ["aligned_minus", "deactivated_minus", "u_minus_half", "u_minus_fitted"]),
    ] {
        if set.is_empty() {
            na(&fields, &format!("{name} is empty at initialisation (Assumption 3 fails)"));
        }
    }
    let predicted = theory::epsilon_max(data).ok_or_else(|| {
        if !has_plus || !has_minus {
            "labels of one sign: the predicted times divide by |D-| and need eps of Appendix B.2, \
             which needs both signs (no negative label)"
                .to_string()
        } else {
            format!("r = |D+|/|D-| = {}: Assumption 2 fails, no eps > 0 is admissible (Appendix B.2)", theory::r(data))
        }
    });
    let predicted = predicted.and_then(|eps| {
        let p = theory::phase_times_ln(data, lambda.ln(), eps).map_err(|e| e.to_string())?;
        Ok(Predicted {
            eps,
            t_plus_1: p.t_plus_1,
            t_minus_1: p.t_minus_1,
            t2_bound: p.t2_bound,
            plateau_end: p.plateau_end,
            t3_bound: p.t3_bound,
            time_scale_plus: p.time_scale_plus,
            time_scale_minus: p.time_scale_minus,
        })
    });
    let predicted = predicted.map_err(|reason| na(&["predicted"], &reason)).ok();
    let applies = |field: &str| !not_applicable.contains_key(field);
    let ev = |field: &str, t: Option<f64>| {
        if applies(field) { t.map(|time| EventTime { time, normalised: time / ln_inv }) } else { None }
    };
    let cos = ALIGNMENT_ANGLE.cos();
    let aligned = |set: &[usize], plus: bool| {
        first(samples, |s| {
            let a = alignment(s, plus != swapped);
            !set.is_empty() && set.iter().all(|&j| a[j] >= cos)
        })
    };
    let deactivated = |set: &[usize], plus: bool| {
        first(samples, |s| {
            !set.is_empty()
                && set.iter().all(|&j| {
                    (0..n)
                        .filter(|&k| if plus { y[k] < 0.0 } else { y[k] > 0.0 })
                        .all(|k| s.pattern[j * n + k] != Class::Positive)
                })
        })
    };
    let (mass_plus, mass_minus) = match (theory::v_plus(data), theory::v_minus(data)) {
        (Ok(vp), Ok(vm)) => (crate::numerics::norm(&vp), crate::numerics::norm(&vm)),
        _ => (n as f64 * theory::d_plus_norm(data), n as f64 * theory::d_minus_norm(data)),
    };
    let plateau_level = applies("plateau_level").then(|| theory::plateau_loss(data));
    let u_plus = |s: &Sample| u(s, &s_plus_1);
    let u_minus = |s: &Sample| u(s, &s_minus_1);
    let level = plateau_level.unwrap_or(0.0);
    let in_band = |s: &Sample| level > 0.0 && (s.loss / level - 1.0).abs() <= PLATEAU_BAND;
    let entry = first(samples, in_band);
    let exit = entry.and_then(|t_in| {
        let after: Vec<Sample> = samples.iter().filter(|s| s.time >= t_in).cloned().collect();
        crossing(&after, |s| s.loss, level * (1.0 - PLATEAU_BAND), false)
    });
    Ok(PhaseTimeline {
        ln_inv_lambda: ln_inv,
        labels_swapped: swapped,
        r: theory::r(data),
        s_plus_1: applies("s_plus_1").then_some(s_plus_1.len()),
        s_minus_1: applies("s_minus_1").then_some(s_minus_1.len()),
        plateau_level,
        aligned_plus: ev("aligned_plus", aligned(&s_plus_1, true)),
        aligned_minus: ev("aligned_minus", aligned(&s_minus_1, false)),
        deactivated_plus: ev("deactivated_plus", deactivated(&s_plus_1, true)),
        deactivated_minus: ev("deactivated_minus", deactivated(&s_minus_1, false)),
        u_plus_half: ev("u_plus_half", crossing(samples, u_plus, 0.5 * mass_plus, true)),
        u_plus_fitted: ev("u_plus_fitted", crossing(samples, u_plus, FITTED_FRACTION * mass_plus, true)),
        plateau_entry: ev("plateau_entry", entry),
        plateau_exit: ev("plateau_exit", exit),
        u_minus_half: ev("u_minus_half", crossing(samples, u_minus, 0.5 * mass_minus, true)),
        u_minus_fitted: ev("u_minus_fitted", crossing(samples, u_minus, FITTED_FRACTION * mass_minus, true)),
        converged: ev("converged", crossing(samples, |s| s.loss, CONVERGED_LOSS, false)),
        predicted,
        not_applicable,
        final_loss: last.loss,
        final_time: last.time,
    })
}

/// `x` with `digits` significant digits in scientific notation (`-` for `None`).
pub fn significant(x: Option<f64>, digits: usize) -> String {
    match x {
        None => "-".into(),
        Some(v) if v.abs() == 0.0 => "0".into(),
        Some(v) => format!("{:.*e}", digits.saturating_sub(1), v),
    }
}

impl PhaseTimeline {
    /// A stable text form for snapshots: every time with `digits` significant digits.
    ///
    /// Why a fixed number of digits: a legitimate reordering of floating-point operations changes
    /// an event time by about `1e-13` relative (the integrator's tolerance is `1e-9`, and event
    /// times are smooth functions of the trajectory), far below the 6th significant digit, while
    /// any change of the dynamics (a 1% change of the GD step moves every time by ~1%, a change of
    /// the vector field or of the tableau by much more than `1e-6`) changes them.
    pub fn snapshot(&self, digits: usize) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let _ = writeln!(o, "ln(1/lambda)     {}", significant(Some(self.ln_inv_lambda), digits));
        if self.labels_swapped {
            let _ = writeln!(o, "labels swapped (r < 1 before the swap)");
        }
        let count = |c: Option<usize>| c.map_or("-".to_string(), |c| c.to_string());
        let _ = writeln!(o, "|S+,1| {}  |S-,1| {}", count(self.s_plus_1), count(self.s_minus_1));
        let _ = writeln!(o, "plateau level    {}", significant(self.plateau_level, digits));
        for (name, e) in self.events() {
            let _ = writeln!(
                o,
                "{name:<18} t = {:<14} t/ln(1/lambda) = {}",
                significant(e.map(|e| e.time), digits),
                significant(e.map(|e| e.normalised), digits)
            );
        }
        if let Some(p) = &self.predicted {
            let _ = writeln!(o, "predicted (eps = {}):", significant(Some(p.eps), digits));
            for (name, t) in p.named() {
                let _ = writeln!(o, "  {name:<16} {}", significant(Some(t), digits));
            }
        }
        let _ = writeln!(o, "final time       {}", significant(Some(self.final_time), digits));
        for (reason, fields) in self.not_applicable_by_reason() {
            let _ = writeln!(o, "not applicable: {}: {reason}", fields.join(", "));
        }
        o
    }

    /// The not-applicable fields grouped by reason (reasons in order of first field, fields in
    /// the order of the struct).
    pub fn not_applicable_by_reason(&self) -> Vec<(&str, Vec<&'static str>)> {
        const ORDER: [&str; 15] = [
            "s_plus_1",
            "s_minus_1",
            "plateau_level",
            "aligned_plus",
            "deactivated_plus",
            "aligned_minus",
            "deactivated_minus",
            "u_plus_half",
            "plateau_entry",
            "u_plus_fitted",
            "plateau_exit",
            "u_minus_half",
            "u_minus_fitted",
            "converged",
            "predicted",
        ];
        let mut fields: Vec<(&'static str, &str)> = self.not_applicable.iter().map(|(f, r)| (*f, r.as_str())).collect();
        fields.sort_by_key(|(f, _)| ORDER.iter().position(|o| o == f).unwrap_or(ORDER.len()));
        let mut out: Vec<(&str, Vec<&'static str>)> = Vec::new();
        for (field, reason) in fields {
            match out.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, fs)) => fs.push(field),
                None => out.push((reason, vec![field])),
            }
        }
        out
    }
}

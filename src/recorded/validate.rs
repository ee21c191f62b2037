//! Checks shared by the `.npz` and JSON readers (and the writers): the scalars' domains, the
//! clock's consistency, step counters and times, finiteness.

use super::{Clock, RunFileError};

/// The fix for an out-of-domain scalar.
fn scalar_fix(name: &'static str) -> &'static str {
    match name {
        "lr" => "the learning rate must be a positive finite number (the lr the optimiser used)",
        "loss_factor" => {
            "the trainer's loss divided by the paper's L = 1/(2n) sum_k (h(x_k) - y_k)^2 must be a positive finite number: 2 for a torch MSELoss (or any mean of squares), 1 for the paper's L"
        }
        "lambda" => {
            "the initialisation scale must be a positive finite number (or leave `lambda` out to have it estimated from w[0])"
        }
        "rtol" => "the integrator's relative tolerance must be a positive finite number (or leave `rtol` out)",
        _ => "must be a positive finite number",
    }
}

/// `value` if it is positive and finite: [`RunFileError::NonFinite`] for NaN or an infinity,
/// [`RunFileError::BadScalar`] for zero or a negative number.
pub(super) fn positive_scalar(name: &'static str, value: f64) -> Result<f64, RunFileError> {
    if !value.is_finite() {
        return Err(RunFileError::NonFinite { array: name, index: 0, value });
    }
    if !(value > 0.0) {
        return Err(RunFileError::BadScalar { name, value, fix: scalar_fix(name) });
    }
    Ok(value)
}

/// The first non-finite value of `values` as [`RunFileError::NonFinite`]; `offset` is the flat
/// index of `values[0]` in the array.
pub(super) fn finite(array: &'static str, values: &[f64], offset: u64) -> Result<(), RunFileError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(RunFileError::NonFinite { array, index: offset + i as u64, value: values[i] }),
        None => Ok(()),
    }
}

/// A step counter as `u64`: non-negative, and increasing strictly (`strict`, a trainer's step
/// counter) or weakly (an integrator's accepted steps, where two snapshots may fall in one step).
pub(super) fn steps(values: &[i128], strict: bool) -> Result<Vec<u64>, RunFileError> {
    let mut out = Vec::with_capacity(values.len());
    for (index, &value) in values.iter().enumerate() {
        if value < 0 {
            return Err(RunFileError::Negative { array: "step", index, value });
        }
        let step = u64::try_from(value).map_err(|_| RunFileError::Negative { array: "step", index, value })?;
        if let Some(&previous) = out.last() {
            if step < previous || (strict && step == previous) {
                return Err(RunFileError::NotIncreasing {
                    array: "step",
                    index,
                    value: step as f64,
                    previous: previous as f64,
                });
            }
        }
        out.push(step);
    }
    Ok(out)
}

/// Finite and strictly increasing times.
pub(super) fn times(values: &[f64]) -> Result<(), RunFileError> {
    finite("time", values, 0)?;
    for index in 1..values.len() {
        if !(values[index] > values[index - 1]) {
            return Err(RunFileError::NotIncreasing {
                array: "time",
                index,
                value: values[index],
                previous: values[index - 1],
            });
        }
    }
    Ok(())
}

/// The run's clock from what the file holds: `step` with `lr` and `loss_factor` (a discrete
/// trainer), or `time` (optionally with `step` and `rtol`), never both and never neither. The
/// scalars given must already be validated ([`positive_scalar`]).
pub(super) fn clock(
    has_step: bool,
    has_time: bool,
    lr: Option<f64>,
    loss_factor: Option<f64>,
    rtol: Option<f64>,
) -> Result<Clock, RunFileError> {
    if has_time {
        if lr.is_some() || loss_factor.is_some() {
            return Err(RunFileError::Clock(
                "both `time` and `lr`/`loss_factor` are given, but a run has one clock: keep `step`, `lr` and `loss_factor` for a discrete trainer (paper time = step x lr x loss_factor), or `time` alone (optionally with `step` = the integrator's accepted steps) for a gradient-flow integrator"
                    .into(),
            ));
        }
        return Ok(Clock::Time { rtol });
    }
    if rtol.is_some() {
        return Err(RunFileError::Clock(
            "`rtol` is given without `time`: `rtol` is an integrator's tolerance for a run recorded in paper time; give `time` (T,) or leave `rtol` out".into(),
        ));
    }
    if !has_step {
        let reason = if lr.is_some() || loss_factor.is_some() {
            "`lr`/`loss_factor` are given without `step`: add `step` (T,), the trainer's step counter at each snapshot (paper time = step x lr x loss_factor)"
        } else {
            "the run has no clock: give `step` (T,) integers with the 0-d `lr` and `loss_factor` (a discrete trainer), or `time` (T,) in the paper's time"
        };
        return Err(RunFileError::Clock(reason.into()));
    }
    let lr = lr.ok_or_else(|| RunFileError::MissingArray {
        array: "lr",
        fix: "a run recorded by `step` needs the 0-d `lr`, the learning rate the trainer used (e.g. numpy.savez(..., lr=0.01))".into(),
    })?;
    let loss_factor = loss_factor.ok_or_else(|| RunFileError::MissingArray {
        array: "loss_factor",
        fix: "a run recorded by `step` needs the 0-d `loss_factor`, the trainer's loss divided by the paper's L: 2 for a torch MSELoss or any mean of squares, 1 for the paper's L".into(),
    })?;
    Ok(Clock::Steps { lr, loss_factor })
}

/// The fix of a missing required array.
pub(super) fn missing_fix(array: &'static str) -> String {
    match array {
        "x" => "give the training inputs `x`, shape (n, d), exactly as the network saw them (a bias column included)"
            .into(),
        "y" => "give the labels `y`, shape (n,)".into(),
        "a" => "give the output weights `a`, shape (T, m): one row per snapshot, the initialisation first".into(),
        "w" => "give the hidden weights `w`, shape (T, m, d): one (m, d) matrix per snapshot, the initialisation first"
            .into(),
        "snapshots" => {
            "give `snapshots`: a list of {\"step\": ..., \"a\": [...], \"w\": [[...]]}, the initialisation first".into()
        }
        other => format!("give `{other}`"),
    }
}

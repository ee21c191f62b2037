//! Running a sweep's items: the data and instance of a (cell, seed) ([`cell_data`],
//! [`cell_instance`]), one item ([`run_item`]) and many in parallel with one writer
//! ([`run_items`]).

use super::record::{ClaimRecord, Measured, SweepRecord};
use super::{Cell, SweepError, SweepItem};
use crate::Instance;
use crate::campaign::measure_flow;
use crate::claims::limits::{max_offdiag_inner, nearly_orthogonal};
use crate::claims::{ClaimId, check};
use crate::data::Dataset;
use crate::data::generate::{LabelSpec, random_orthonormal};
use crate::theory;

/// The data of `cell` with seed `seed`: `n` Haar orthonormal inputs in `R^d` and labels
/// ([`random_orthonormal`], seed `seed`); with a prescribed ratio `r` the labels are drawn with
/// at least one of each sign and the negative ones rescaled by one factor so that
/// `|D+|/|D-| = sqrt(S+/S-) = r` exactly; with a coherence `delta > 0` the inputs are perturbed by
/// NO's [`nearly_orthogonal`] (perturbation seed `seed`), whose measured coherence is within a
/// relative 1% of `delta` for `delta <= 1e-4` (its documentation; the record holds the measured
/// value).
pub fn cell_data(cell: &Cell, seed: u64) -> Result<Dataset, SweepError> {
    let fail =
        |e: &dyn std::fmt::Display| SweepError::Data { cell: format!("{cell} (seed {seed})"), reason: e.to_string() };
    let labels = match cell.ratio {
        None => LabelSpec::default(),
        Some(_) => LabelSpec { min_ratio: 1.0, ..LabelSpec::default() },
    };
    let mut data = random_orthonormal(cell.n, cell.d(), &labels, seed).map_err(|e| fail(&e))?;
    if let Some(r) = cell.ratio {
        let sum = |positive: bool| data.y().iter().filter(|&&y| (y > 0.0) == positive).map(|y| y * y).sum::<f64>();
        let (plus, minus) = (sum(true), sum(false));
        let factor = (plus / minus).sqrt() / r;
        let y: Vec<f64> = data.y().iter().map(|&y| if y < 0.0 { y * factor } else { y }).collect();
        data = Dataset::from_flat(cell.n, cell.d(), data.x_flat().to_vec(), y).map_err(|e| fail(&e))?;
    }
    if cell.coherence > 0.0 {
        data = nearly_orthogonal(&data, cell.coherence, seed);
    }
    Ok(data)
}

/// The instance of `cell` with seed `seed`: [`cell_data`], then `m` neurons of eq. (4) at scale
/// `lambda` (balanced or unbalanced) with initialisation seed `seed`.
pub fn cell_instance(cell: &Cell, seed: u64) -> Result<Instance, SweepError> {
    let data = cell_data(cell, seed)?;
    Ok(Instance::balanced(data, cell.width, cell.lambda, seed).with_init_kind(cell.init))
}

/// Runs one item: the flow measured by [`measure_flow`], then each claim of `claims` checked on
/// the instance ([`check`]: skipped with the unmet requirement named where the instance does not
/// meet it). A failure to generate the data or to run is recorded in `error`, not returned.
pub fn run_item(item: &SweepItem, claims: &[ClaimId]) -> SweepRecord {
    let mut record = SweepRecord {
        index: item.index,
        cell: item.cell,
        seed_index: item.seed_index,
        seed: item.seed,
        d: item.cell.d(),
        measured_ratio: f64::NAN,
        measured_coherence: f64::NAN,
        assumption_3: false,
        measure: None,
        error: None,
        claims: Vec::new(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let instance = match cell_instance(&item.cell, item.seed) {
        Ok(i) => i,
        Err(e) => {
            record.error = Some(e.to_string());
            return record;
        }
    };
    record.measured_ratio = theory::r(&instance.data);
    record.measured_coherence = max_offdiag_inner(&instance.data);
    record.assumption_3 = instance.sets().is_ok_and(|s| s.assumption_3());
    match measure_flow(&instance) {
        Ok(m) => record.measure = Some(Measured::from(&m)),
        Err(e) => record.error = Some(format!("the flow stopped: {e}")),
    }
    for &claim in claims {
        let started = std::time::Instant::now();
        let outcome = check(claim, &instance);
        record.claims.push(ClaimRecord::of(&outcome, started.elapsed().as_secs_f64()));
    }
    record
}

/// Runs `items` in parallel (rayon's pool) and hands each record to `write` on the calling
/// thread as soon as its item finishes (completion order, not item order). When `write` fails,
/// no further item starts and the error is returned once the running ones end.
pub fn run_items(
    items: &[SweepItem],
    claims: &[ClaimId],
    write: impl FnMut(SweepRecord) -> Result<(), SweepError>,
) -> Result<(), SweepError> {
    crate::campaign::run_streaming(items, |item| run_item(item, claims), write)
}

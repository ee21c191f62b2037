//! Records reduced to the cells of a figure: [`aggregate`] groups a sweep's records by two grid
//! parameters and summarises a quantity over the seeds of each cell ([`CellStats`]).

use super::SweepError;
use super::quantity::{Parameter, Quantity};
use super::record::SweepRecord;
use std::collections::HashSet;

/// One `--where PARAM=VALUE` filter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Filter {
    /// The parameter.
    pub parameter: Parameter,
    /// Its value (compared within a relative `1e-9`).
    pub value: f64,
}

impl Filter {
    /// Parses `PARAM=VALUE` (`init=unbalanced` too).
    pub fn parse(text: &str) -> Result<Self, SweepError> {
        let bad =
            |reason: &str| SweepError::Spec { flag: "--where", text: text.to_string(), reason: reason.to_string() };
        let (name, value) = text.split_once('=').ok_or_else(|| bad("give PARAM=VALUE, e.g. --where m=32"))?;
        let parameter = Parameter::parse(name)?;
        let value = match (parameter, value.trim().to_ascii_lowercase().as_str()) {
            (Parameter::Init, "balanced") => 0.0,
            (Parameter::Init, "unbalanced") => 1.0,
            (_, v) => v.parse::<f64>().map_err(|_| bad("the value is not a number"))?,
        };
        Ok(Self { parameter, value })
    }

    /// Whether `record` passes.
    pub fn keeps(&self, record: &SweepRecord) -> bool {
        same(self.parameter.value(record), self.value)
    }
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// A cell of a figure: the values of the quantity over its records.
#[derive(Clone, Debug, PartialEq)]
pub struct CellStats {
    /// The x parameter's value.
    pub x: f64,
    /// The y parameter's value.
    pub y: f64,
    /// Records in the cell (seeds).
    pub records: usize,
    /// The quantity's values (records without one are left out).
    pub values: Vec<f64>,
}

impl CellStats {
    /// Mean of the values (`None` without values).
    pub fn mean(&self) -> Option<f64> {
        crate::numerics::mean(&self.values)
    }
    /// Sample standard deviation (0 with one value: no band).
    pub fn sd(&self) -> Option<f64> {
        self.mean()?;
        Some(crate::numerics::sample_sd(&self.values).unwrap_or(0.0))
    }
    /// Smallest value.
    pub fn min(&self) -> Option<f64> {
        self.values.iter().copied().reduce(f64::min)
    }
    /// Largest value.
    pub fn max(&self) -> Option<f64> {
        self.values.iter().copied().reduce(f64::max)
    }
}

/// A quantity over two parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    /// The x parameter.
    pub x: Parameter,
    /// The y parameter.
    pub y: Parameter,
    /// The quantity.
    pub z: Quantity,
    /// The distinct x values, increasing.
    pub xs: Vec<f64>,
    /// The distinct y values, increasing.
    pub ys: Vec<f64>,
    /// `cells[iy * xs.len() + ix]`.
    pub cells: Vec<CellStats>,
    /// Records used (after the filters and without duplicates).
    pub records: usize,
    /// Records left out as repeats of an earlier record's (cell, seed).
    pub duplicates: usize,
    /// Parameters with one value in the records, with it (`name = value`), for the caption.
    pub fixed: Vec<String>,
}

impl Aggregate {
    /// The cell at `(ix, iy)`.
    pub fn cell(&self, ix: usize, iy: usize) -> &CellStats {
        &self.cells[iy * self.xs.len() + ix]
    }
    /// The number of records per cell when every cell has the same, else `None`.
    pub fn uniform_records(&self) -> Option<usize> {
        let first = self.cells.first()?.records;
        self.cells.iter().all(|c| c.records == first).then_some(first)
    }
}

fn distinct_sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v.dedup_by(|a, b| same(*a, *b));
    v
}

/// The value of a parameter that identifies the grid cell (the prescribed ratio, not the
/// measured one; NaN for "not prescribed").
fn grid_value(p: Parameter, r: &SweepRecord) -> f64 {
    match p {
        Parameter::Ratio => r.cell.ratio.unwrap_or(f64::NAN),
        _ => p.value(r),
    }
}

/// Groups `records` (those every filter keeps, each (cell, seed) once) by `x` and `y` and
/// collects `z` per cell. Errors: `x == y`, no record left, a parameter on no axis with several
/// values in one cell ([`SweepError::Mixed`]: the cell would mix them; a parameter that is a
/// function of the axes, such as `m = 4*2^n` on an `n` axis, is fine), no value of `z` in any
/// record.
pub fn aggregate(
    records: &[SweepRecord],
    x: Parameter,
    y: Parameter,
    z: &Quantity,
    filters: &[Filter],
) -> Result<Aggregate, SweepError> {
    if x == y {
        return Err(SweepError::Spec {
            flag: "--y",
            text: y.name().into(),
            reason: "the same parameter as --x: choose two different ones".into(),
        });
    }
    let mut seen = HashSet::new();
    let mut duplicates = 0;
    let kept: Vec<&SweepRecord> = records
        .iter()
        .filter(|r| filters.iter().all(|f| f.keeps(r)))
        .filter(|r| {
            let fresh = seen.insert(r.key());
            duplicates += usize::from(!fresh);
            fresh
        })
        .collect();
    if kept.is_empty() {
        return Err(SweepError::NoValues {
            quantity: z.name(),
            detail: ": no record passes the --where filters".into(),
        });
    }
    let xs = distinct_sorted(kept.iter().map(|r| x.value(r)));
    let ys = distinct_sorted(kept.iter().map(|r| y.value(r)));
    let position = |values: &[f64], v: f64| values.iter().position(|w| same(*w, v)).expect("a listed value");
    let cell_of = |r: &SweepRecord| position(&ys, y.value(r)) * xs.len() + position(&xs, x.value(r));
    let mut fixed = Vec::new();
    for p in Parameter::ALL {
        if p == x || p == y || !p.is_independent() {
            continue;
        }
        let known = |values: &[f64], v: f64| values.iter().any(|w| same(*w, v) || (w.is_nan() && v.is_nan()));
        // the values in each cell (a parameter that is a function of the axes, such as m = 4*2^n
        // on an n axis, has one per cell)
        let mut per_cell: Vec<Vec<f64>> = vec![Vec::new(); xs.len() * ys.len()];
        let mut all: Vec<f64> = Vec::new();
        for r in &kept {
            let v = grid_value(p, r);
            let cell = &mut per_cell[cell_of(r)];
            if !known(cell, v) {
                cell.push(v);
            }
            if !known(&all, v) {
                all.push(v);
            }
        }
        all.sort_by(f64::total_cmp);
        if let Some(mixed) = per_cell.iter_mut().find(|c| c.len() > 1) {
            mixed.sort_by(f64::total_cmp);
            return Err(SweepError::Mixed {
                parameter: p.name().into(),
                count: mixed.len(),
                values: mixed.iter().map(|v| p.label(*v)).collect::<Vec<_>>().join(", "),
            });
        }
        match all.as_slice() {
            [v] if !v.is_nan() => fixed.push(format!("{} = {}", p.name(), p.label(*v))),
            [lo, .., hi] if !lo.is_nan() && !hi.is_nan() => {
                fixed.push(format!("{} = {} to {} (one value per cell)", p.name(), p.label(*lo), p.label(*hi)))
            }
            _ => {}
        }
    }
    let mut cells: Vec<CellStats> = ys
        .iter()
        .flat_map(|&yv| xs.iter().map(move |&xv| CellStats { x: xv, y: yv, records: 0, values: Vec::new() }))
        .collect();
    for r in &kept {
        let cell = &mut cells[cell_of(r)];
        cell.records += 1;
        if let Some(v) = z.value(r) {
            cell.values.push(v);
        }
    }
    if cells.iter().all(|c| c.values.is_empty()) {
        let detail = match z {
            crate::sweep::Quantity::Claim(id) if kept.iter().all(|r| r.claim(&id.to_string()).is_none()) => {
                format!(": the sweep did not check {id} (run it with --claims {id})")
            }
            crate::sweep::Quantity::Claim(id) => format!(": {id} was skipped or vacuous on every record"),
            _ => format!(" in the {} records", kept.len()),
        };
        return Err(SweepError::NoValues { quantity: z.name(), detail });
    }
    Ok(Aggregate { x, y, z: z.clone(), xs, ys, cells, records: kept.len(), duplicates, fixed })
}

//! [`SweepSpec`] (the grid flags as text) and [`SweepGrid`] (validated), with the fixed
//! enumeration of its (cell, seed) items ([`SweepGrid::items`]).

use super::SweepError;
use crate::init::{InitKind, MAX_WIDTH};
use serde::{Deserialize, Serialize};

/// The most (cell, seed) items a sweep runs.
pub const MAX_ITEMS: usize = 10_000_000;
/// The largest `n` (and `d`) a sweep cell may have.
pub const MAX_POINTS: usize = 4096;

/// The grid as given on the command line (each field is the text of one flag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepSpec {
    /// `--lambda`: `LO:HI:K` (K log-spaced values from LO to HI, both included) or a list `1e-12,1e-6`.
    pub lambda: String,
    /// `--width`: a list `8,16,32` (or a range `8:12`) or a rule `A*B^n` / `A*B^(n+C)` / `B^n`.
    pub width: String,
    /// `--width-n`: the values of `n` in a `--width` rule (a list or `LO:HI`); without it the rule's
    /// `n` is the cell's number of points.
    pub width_n: Option<String>,
    /// `--n`: numbers of points (a list or `LO:HI`).
    pub n: String,
    /// `--extra-dims`: values of `d - n` (a list or `LO:HI`).
    pub extra_dims: String,
    /// `--ratio`: label ratios `r = |D+|/|D-|` (a list); `None` draws labels with the default
    /// [`crate::data::generate::LabelSpec`] (`r >= 1.05`, not prescribed).
    pub ratio: Option<String>,
    /// `--coherence`: input coherences `delta = max |<x_k, x_l>|` (a list; 0 = orthonormal).
    pub coherence: String,
    /// `--init`: `balanced`, `unbalanced` or both.
    pub init: String,
    /// `--seeds`: seeds per cell.
    pub seeds: usize,
    /// `--seed`: the first seed (seed `k` of a cell is `seed + k`).
    pub seed: u64,
}

impl Default for SweepSpec {
    /// `lambda = 1e-12:1e-2:6`, `n = 2,3,4`, `d - n = 2`, `m = 4*2^n` (Assumption 3 likely),
    /// default labels, orthonormal inputs, balanced, 1 seed from 0.
    fn default() -> Self {
        Self {
            lambda: "1e-12:1e-2:6".into(),
            width: "4*2^n".into(),
            width_n: None,
            n: "2,3,4".into(),
            extra_dims: "2".into(),
            ratio: None,
            coherence: "0".into(),
            init: "balanced".into(),
            seeds: 1,
            seed: 0,
        }
    }
}

/// Widths: a list, or `factor * base^(n + offset)` over `over` (or over the cell's `n`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Widths {
    /// Fixed widths.
    List(Vec<usize>),
    /// `m = factor * base^(n + offset)`.
    Rule {
        /// `A`.
        factor: usize,
        /// `B`.
        base: usize,
        /// `C` (0 without parentheses).
        offset: usize,
        /// The values of `n`; `None`: `n` is the cell's number of points.
        over: Option<Vec<usize>>,
    },
}

impl Widths {
    /// The widths of a cell with `points` points.
    pub fn for_points(&self, points: usize) -> Vec<usize> {
        match self {
            Widths::List(v) => v.clone(),
            Widths::Rule { factor, base, offset, over } => match over {
                Some(ns) => ns.iter().filter_map(|&n| rule_width(*factor, *base, n + offset)).collect(),
                None => rule_width(*factor, *base, points + offset).into_iter().collect(),
            },
        }
    }
}

fn rule_width(factor: usize, base: usize, exponent: usize) -> Option<usize> {
    u32::try_from(exponent).ok().and_then(|e| base.checked_pow(e)).and_then(|p| p.checked_mul(factor))
}

/// A validated grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepGrid {
    /// Initialisation scales, in the order given.
    pub lambdas: Vec<f64>,
    /// Widths.
    pub widths: Widths,
    /// Numbers of points.
    pub ns: Vec<usize>,
    /// Values of `d - n`.
    pub extra_dims: Vec<usize>,
    /// Label ratios (`None`: default labels).
    pub ratios: Vec<Option<f64>>,
    /// Input coherences.
    pub coherences: Vec<f64>,
    /// Initialisation kinds.
    pub inits: Vec<InitKind>,
    /// Seeds per cell.
    pub seeds: usize,
    /// First seed.
    pub first_seed: u64,
}

/// One cell of the grid: every parameter of a run but the seed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Initialisation scale.
    pub lambda: f64,
    /// Width `m`.
    pub width: usize,
    /// Number of points.
    pub n: usize,
    /// `d - n`.
    pub extra_dims: usize,
    /// Prescribed label ratio `r` (`None`: default labels).
    pub ratio: Option<f64>,
    /// Prescribed input coherence (0: orthonormal).
    pub coherence: f64,
    /// Balanced or unbalanced.
    pub init: InitKind,
}

impl Cell {
    /// Input dimension `d = n + (d - n)`.
    pub fn d(&self) -> usize {
        self.n + self.extra_dims
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "lambda = {:e}, m = {}, n = {}, d = {}", self.lambda, self.width, self.n, self.d())?;
        if let Some(r) = self.ratio {
            write!(f, ", r = {r}")?;
        }
        write!(f, ", delta = {}, {}", self.coherence, self.init)
    }
}

/// One (cell, seed) item of the enumeration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepItem {
    /// Its number in [`SweepGrid::items`] (what [`crate::campaign::Shard::selects`] tests).
    pub index: usize,
    /// The cell.
    pub cell: Cell,
    /// `k` in `0..seeds`.
    pub seed_index: usize,
    /// The run's seed, `first_seed + k`: of the data, the initialisation and the perturbation, so
    /// that one seed gives the same data and directions `g_j` in every cell of the same shape.
    pub seed: u64,
}

impl SweepGrid {
    /// Parses and validates every flag of `spec`.
    pub fn parse(spec: &SweepSpec) -> Result<Self, SweepError> {
        let lambdas = parse_lambdas(&spec.lambda)?;
        let ns = parse_counts("--n", &spec.n)?;
        if let Some(&n) = ns.iter().find(|&&n| !(2..=MAX_POINTS).contains(&n)) {
            return Err(spec_error(
                "--n",
                &spec.n,
                format!("n = {n}: give 2 <= n <= {MAX_POINTS} points (labels of both signs need two), e.g. --n 2,3,4"),
            ));
        }
        let extra_dims = parse_counts("--extra-dims", &spec.extra_dims)?;
        if let Some(&e) = extra_dims.iter().find(|&&e| e > MAX_POINTS) {
            return Err(spec_error("--extra-dims", &spec.extra_dims, format!("d - n = {e} is above {MAX_POINTS}")));
        }
        let widths = parse_widths(&spec.width, spec.width_n.as_deref())?;
        for &n in &ns {
            let ws = widths.for_points(n);
            if ws.is_empty() {
                return Err(spec_error("--width", &spec.width, format!("the rule overflows at n = {n}")));
            }
            if let Some(&w) = ws.iter().find(|&&w| w == 0 || w > MAX_WIDTH) {
                return Err(spec_error(
                    "--width",
                    &spec.width,
                    format!("m = {w}{}: give 1 <= m <= {MAX_WIDTH}", if w == 0 { "" } else { " is too wide" }),
                ));
            }
        }
        let ratios = match &spec.ratio {
            None => vec![None],
            Some(text) => parse_floats("--ratio", text)?
                .into_iter()
                .map(|r| {
                    if r > 0.0 && r.is_finite() {
                        Ok(Some(r))
                    } else {
                        Err(spec_error("--ratio", text, format!("r = {r}: give r = |D+|/|D-| > 0, e.g. --ratio 1.5,3")))
                    }
                })
                .collect::<Result<_, _>>()?,
        };
        let coherences = parse_floats("--coherence", &spec.coherence)?;
        if let Some(&c) = coherences.iter().find(|&&c| !(0.0..0.5).contains(&c)) {
            return Err(spec_error(
                "--coherence",
                &spec.coherence,
                format!("delta = {c}: give 0 <= delta < 0.5 (0 = orthonormal inputs), e.g. --coherence 0,1e-4"),
            ));
        }
        let inits = parse_inits(&spec.init)?;
        if spec.seeds == 0 {
            return Err(spec_error("--seeds", "0", "give at least one seed per cell, e.g. --seeds 3".into()));
        }
        distinct("--lambda", &spec.lambda, &lambdas)?;
        distinct("--n", &spec.n, &ns)?;
        distinct("--extra-dims", &spec.extra_dims, &extra_dims)?;
        distinct("--ratio", spec.ratio.as_deref().unwrap_or(""), &ratios)?;
        distinct("--coherence", &spec.coherence, &coherences)?;
        distinct("--init", &spec.init, &inits)?;
        for &n in &ns {
            distinct("--width", &spec.width, &widths.for_points(n))?;
        }
        let grid = Self {
            lambdas,
            widths,
            ns,
            extra_dims,
            ratios,
            coherences,
            inits,
            seeds: spec.seeds,
            first_seed: spec.seed,
        };
        let items = grid.item_count();
        if items > MAX_ITEMS {
            return Err(SweepError::TooLarge { items, max: MAX_ITEMS });
        }
        Ok(grid)
    }

    /// The cells, in the enumeration order: `n`, then `d - n`, width, ratio, coherence,
    /// initialisation kind and `lambda` (innermost), each in the order given.
    pub fn cells(&self) -> Vec<Cell> {
        let mut out = Vec::new();
        for &n in &self.ns {
            for &extra_dims in &self.extra_dims {
                for width in self.widths.for_points(n) {
                    for &ratio in &self.ratios {
                        for &coherence in &self.coherences {
                            for &init in &self.inits {
                                for &lambda in &self.lambdas {
                                    out.push(Cell { lambda, width, n, extra_dims, ratio, coherence, init });
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Cells times seeds (saturating).
    pub fn item_count(&self) -> usize {
        let per_n: usize = self.ns.iter().map(|&n| self.widths.for_points(n).len()).fold(0, usize::saturating_add);
        [
            self.extra_dims.len(),
            self.ratios.len(),
            self.coherences.len(),
            self.inits.len(),
            self.lambdas.len(),
            self.seeds,
        ]
        .into_iter()
        .fold(per_n, usize::saturating_mul)
    }

    /// Every (cell, seed) item, numbered `0, 1, ...`: the cells of [`SweepGrid::cells`] in order,
    /// each with its seeds `0..seeds` consecutively. The order is a function of the flags only.
    pub fn items(&self) -> Vec<SweepItem> {
        let mut out = Vec::with_capacity(self.item_count());
        for cell in self.cells() {
            for seed_index in 0..self.seeds {
                out.push(SweepItem {
                    index: out.len(),
                    cell,
                    seed_index,
                    seed: self.first_seed.wrapping_add(seed_index as u64),
                });
            }
        }
        out
    }
}

/// Rejects a repeated value (it would give two items with the same cell and seed).
fn distinct<T: PartialEq + std::fmt::Debug>(flag: &'static str, text: &str, values: &[T]) -> Result<(), SweepError> {
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(spec_error(flag, text, format!("{v:?} is given twice: give each value once")));
        }
    }
    Ok(())
}

fn spec_error(flag: &'static str, text: &str, reason: String) -> SweepError {
    SweepError::Spec { flag, text: text.to_string(), reason }
}

fn parse_f64(flag: &'static str, whole: &str, part: &str) -> Result<f64, SweepError> {
    let v: f64 =
        part.trim().parse().map_err(|_| spec_error(flag, whole, format!("{:?} is not a number", part.trim())))?;
    if !v.is_finite() {
        return Err(spec_error(flag, whole, format!("{} is not finite", part.trim())));
    }
    Ok(v)
}

fn parse_floats(flag: &'static str, text: &str) -> Result<Vec<f64>, SweepError> {
    if text.trim().is_empty() {
        return Err(spec_error(flag, text, "empty: give at least one value".into()));
    }
    text.split(',').map(|p| parse_f64(flag, text, p)).collect()
}

/// `LO:HI:K` (log-spaced, both ends included) or a list.
fn parse_lambdas(text: &str) -> Result<Vec<f64>, SweepError> {
    const FLAG: &str = "--lambda";
    let example = "e.g. --lambda 1e-12:1e-2:6 (6 log-spaced values) or --lambda 1e-12,1e-8,1e-4";
    let values = if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        let [lo, hi, k] = parts[..] else {
            return Err(spec_error(FLAG, text, format!("a range is LO:HI:K, {example}")));
        };
        let (lo, hi) = (parse_f64(FLAG, text, lo)?, parse_f64(FLAG, text, hi)?);
        let k: usize = k
            .trim()
            .parse()
            .map_err(|_| spec_error(FLAG, text, format!("K = {:?} is not a count, {example}", k.trim())))?;
        if !(lo > 0.0 && hi > 0.0) {
            return Err(spec_error(FLAG, text, format!("both ends must be positive, {example}")));
        }
        match k {
            0 => return Err(spec_error(FLAG, text, format!("K = 0 values, {example}"))),
            1 if lo != hi => {
                return Err(spec_error(
                    FLAG,
                    text,
                    format!("one value cannot span {lo:e} to {hi:e}: K >= 2, {example}"),
                ));
            }
            1 => vec![lo],
            _ => {
                let (a, b) = (lo.log10(), hi.log10());
                (0..k)
                    .map(|i| {
                        let t = a + (b - a) * i as f64 / (k - 1) as f64;
                        // round to 12 significant digits so that 1e-12:1e-2:6 gives 1e-10, not 1.0000000000000002e-10
                        format!("{:.11e}", 10f64.powf(t)).parse::<f64>().unwrap_or(10f64.powf(t))
                    })
                    .collect()
            }
        }
    } else {
        parse_floats(FLAG, text)?
    };
    if let Some(&l) = values.iter().find(|&&l| !(l > 0.0 && l.is_finite())) {
        return Err(spec_error(FLAG, text, format!("lambda = {l}: every scale must be positive, {example}")));
    }
    if let Some(&l) = values.iter().find(|&&l| l < 1e-300) {
        return Err(spec_error(
            FLAG,
            text,
            format!("lambda = {l:e} is below 1e-300, the smallest scale reluflow runs"),
        ));
    }
    Ok(values)
}

/// A list of non-negative integers or an inclusive range `LO:HI`.
fn parse_counts(flag: &'static str, text: &str) -> Result<Vec<usize>, SweepError> {
    let int = |p: &str| {
        p.trim()
            .parse::<usize>()
            .map_err(|_| spec_error(flag, text, format!("{:?} is not a non-negative integer", p.trim())))
    };
    if text.trim().is_empty() {
        return Err(spec_error(flag, text, "empty: give at least one value".into()));
    }
    if let Some((lo, hi)) = text.split_once(':') {
        let (lo, hi) = (int(lo)?, int(hi)?);
        if lo > hi {
            return Err(spec_error(flag, text, format!("the range {lo}:{hi} is empty (LO:HI, both included)")));
        }
        if hi - lo >= MAX_ITEMS {
            return Err(spec_error(flag, text, "the range is too long".into()));
        }
        return Ok((lo..=hi).collect());
    }
    text.split(',').map(int).collect()
}

/// A list of widths or a rule `A*B^n`, `A*B^(n+C)`, `B^n`, `B^(n+C)`.
fn parse_widths(text: &str, over: Option<&str>) -> Result<Widths, SweepError> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !t.contains('^') {
        if over.is_some() {
            return Err(spec_error(
                "--width-n",
                over.unwrap_or(""),
                "--width-n goes with a --width rule such as '4*2^n'".into(),
            ));
        }
        return Ok(Widths::List(parse_counts("--width", text)?));
    }
    let bad = || {
        spec_error(
            "--width",
            text,
            "a rule is A*B^n, A*B^(n+C), B^n or B^(n+C) with integers A, B, C (e.g. --width '4*2^n')".into(),
        )
    };
    let (factor, power) = match t.split_once('*') {
        Some((a, rest)) => (a.parse::<usize>().map_err(|_| bad())?, rest),
        None => (1, t.as_str()),
    };
    let (base, exponent) = power.split_once('^').ok_or_else(bad)?;
    let base = base.parse::<usize>().map_err(|_| bad())?;
    let offset = match exponent {
        "n" | "(n)" => 0,
        e => e
            .strip_prefix("(n+")
            .and_then(|e| e.strip_suffix(')'))
            .and_then(|c| c.parse::<usize>().ok())
            .ok_or_else(bad)?,
    };
    if factor == 0 || base == 0 {
        return Err(spec_error("--width", text, "A and B must be at least 1 (m >= 1)".into()));
    }
    let over = over.map(|o| parse_counts("--width-n", o)).transpose()?;
    Ok(Widths::Rule { factor, base, offset, over })
}

fn parse_inits(text: &str) -> Result<Vec<InitKind>, SweepError> {
    text.split(',')
        .map(|p| match p.trim().to_ascii_lowercase().as_str() {
            "balanced" => Ok(InitKind::Balanced),
            "unbalanced" => Ok(InitKind::Unbalanced),
            other => {
                Err(spec_error("--init", text, format!("{other:?}: give balanced, unbalanced or balanced,unbalanced")))
            }
        })
        .collect()
}

//! Random instances that satisfy the paper's assumptions: proptest strategies for tests (yours
//! too) and seeded samplers for `reluflow verify`, built the same way.
//!
//! Everything is built from integers: sizes `n`, `d - n`, `m`, an exponent and a mantissa
//! step for `lambda`, and `u64` seeds for the data and the initialisation. proptest shrinks
//! integers well (it cannot shrink `f64` usefully), so a failure shrinks to the smallest `n`
//! and `m` and the smallest seeds that reproduce it.
//!
//! - Assumption 1: inputs are Haar-random orthonormal ([`crate::data::generate::random_orthonormal`]).
//! - Assumption 2 with a margin: labels `|y_k|` in `[0.5, 2]`, both signs, `r >= min_ratio`
//!   (rejection inside the label sampler; signs flipped so that `r > 1`).
//! - Assumption 3: `S+,1` and `S-,1` non-empty (rejection on the initialisation seed).
//!   With `m >= 2^(n+2)` neurons, `P(S+,1 empty) = (1 - 2^-(n+ + 1))^m <= e^-2` per side, so
//!   the acceptance rate is at least `(1 - e^-2)^2 = 0.75` (the default width is `2^(n+2)`).
//! - "Well separated" (the phase claims): `r >= 1.5` (label rejection) and the Appendix B.2
//!   `eps >= EPS_FLOOR`; measured acceptance of the `eps` filter over 200 seeds with
//!   `n` in 2..=5: 70% (median `eps_max` 0.05, range 0.02 to 0.14).
//!
//! ```
//! use reluflow::generators::InstanceShape;
//! let shape = InstanceShape::default();
//! let instance = shape.sample(7).expect("an instance");
//! assert!(instance.sets().unwrap().assumption_3());
//! ```

use crate::Instance;
use crate::data::Dataset;
use crate::data::generate::{LabelSpec, random_orthonormal};
use crate::init::{InitKind, InitSpec, NeuronSets};
use crate::network::Model;
use crate::seeds::{self, Stream};
use crate::theory;
use proptest::prelude::*;
use rand::RngExt;
use std::ops::RangeInclusive;

/// Smallest Appendix B.2 `eps` a "well-separated" instance may have: below it the lemma bounds
/// `lambda^(eps/k)` do not bite even at `lambda = 1e-300` (`1e-300^0.02 = 1e-6`).
pub const EPS_FLOOR: f64 = 0.02;

/// The integer choices an instance is built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceChoice {
    /// Number of points `n`.
    pub n: usize,
    /// `d - n`.
    pub extra_d: usize,
    /// Width `m`.
    pub width: usize,
    /// `lambda = (1 + mantissa_step / 8) * 10^-lambda_exp10`.
    pub lambda_exp10: u32,
    /// The mantissa step of `lambda` (0..8).
    pub mantissa_step: u32,
    /// Seed of the dataset.
    pub data_seed: u64,
    /// Seed of the initialisation.
    pub init_seed: u64,
}

/// What kind of instance to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceShape {
    /// Number of points.
    pub n: RangeInclusive<usize>,
    /// `d - n`.
    pub extra_d: RangeInclusive<usize>,
    /// Width `m`; `None` picks `m = 2^(n+2)` scaled by [`InstanceShape::width_factor`].
    pub width: Option<RangeInclusive<usize>>,
    /// With `width = None`: `m = width_factor * 2^(n+2)`, capped at 512.
    pub width_factor: usize,
    /// `lambda = 10^-e` with `e` in this range (times a mantissa in `[1, 2)`).
    pub lambda_exp10: RangeInclusive<u32>,
    /// Labels.
    pub labels: LabelSpec,
    /// Require `r >= 1.5` and `epsilon_max >= EPS_FLOOR` (the phase claims).
    pub well_separated: bool,
    /// Require Assumption 3.
    pub assumption_3: bool,
    /// Initialisation kind.
    pub init: InitKind,
}

impl Default for InstanceShape {
    /// `n` in 2..=5, `d - n` in 0..=3, `m = 2^(n+2)`, `lambda` in `[1e-12, 2e-8)`, Assumptions 1-3.
    fn default() -> Self {
        Self {
            n: 2..=5,
            extra_d: 0..=3,
            width: None,
            width_factor: 1,
            lambda_exp10: 8..=12,
            labels: LabelSpec::default(),
            well_separated: false,
            assumption_3: true,
            init: InitKind::Balanced,
        }
    }
}

impl InstanceShape {
    /// The phase claims' instances: `r >= 1.5`, `eps_max >= EPS_FLOOR`.
    pub fn well_separated() -> Self {
        Self { well_separated: true, labels: LabelSpec { min_ratio: 1.5, ..LabelSpec::default() }, ..Self::default() }
    }
    /// With `lambda = 10^-e`, `e` in `exp10`.
    pub fn with_lambda_exp10(self, exp10: RangeInclusive<u32>) -> Self {
        Self { lambda_exp10: exp10, ..self }
    }
    /// With `n` in `n`.
    pub fn with_n(self, n: RangeInclusive<usize>) -> Self {
        Self { n, ..self }
    }
    /// With width in `m`.
    pub fn with_width(self, m: RangeInclusive<usize>) -> Self {
        Self { width: Some(m), ..self }
    }

    fn width_range(&self, n: usize) -> RangeInclusive<usize> {
        match &self.width {
            Some(r) => r.clone(),
            None => {
                let m = (self.width_factor << (n + 2)).min(512);
                m..=m
            }
        }
    }

    /// Builds the instance of `choice`, or `None` if it misses a required assumption.
    pub fn build(&self, c: InstanceChoice) -> Option<Instance> {
        let data = random_orthonormal(c.n, c.n + c.extra_d, &self.labels, c.data_seed).ok()?;
        if self.well_separated && !well_separated(&data) {
            return None;
        }
        let lambda = (1.0 + c.mantissa_step as f64 / 8.0) * 10f64.powi(-(c.lambda_exp10 as i32));
        let instance = Instance {
            data,
            init: InitSpec { kind: self.init, width: c.width, lambda, seed: c.init_seed },
            model: Model::relu(),
        };
        if self.assumption_3 {
            let init = instance.initialisation().ok()?;
            if !NeuronSets::of(&init.params, &instance.data).assumption_3() {
                return None;
            }
        }
        Some(instance)
    }

    /// A seeded instance (for `reluflow verify`): draws choices from the stream
    /// [`Stream::InstanceChoice`] of `seed` until one
    /// builds (at most 200 tries; `None` if none does).
    pub fn sample(&self, seed: u64) -> Option<Instance> {
        let mut rng = seeds::rng(seed, Stream::InstanceChoice);
        for _ in 0..200 {
            let n = rng.random_range(self.n.clone());
            let c = InstanceChoice {
                n,
                extra_d: rng.random_range(self.extra_d.clone()),
                width: rng.random_range(self.width_range(n)),
                lambda_exp10: rng.random_range(self.lambda_exp10.clone()),
                mantissa_step: rng.random_range(0..8),
                data_seed: rng.random(),
                init_seed: rng.random(),
            };
            if let Some(i) = self.build(c) {
                return Some(i);
            }
        }
        None
    }

    /// The proptest strategy of this shape (shrinks `n`, `d - n`, `m`, `lambda` and the seeds).
    pub fn strategy(&self) -> BoxedStrategy<Instance> {
        let shape = self.clone();
        let widths = self.clone();
        let exps = self.lambda_exp10.clone();
        (self.n.clone(), self.extra_d.clone())
            .prop_flat_map(move |(n, extra_d)| {
                (Just(n), Just(extra_d), widths.width_range(n), exps.clone(), 0u32..8, any::<u64>(), 0u64..1_000_000)
            })
            .prop_filter_map("instance misses an assumption", move |(n, extra_d, width, e, mantissa_step, ds, is)| {
                shape.build(InstanceChoice {
                    n,
                    extra_d,
                    width,
                    lambda_exp10: e,
                    mantissa_step,
                    data_seed: ds,
                    init_seed: is,
                })
            })
            .boxed()
    }
}

/// `r >= 1.5` and `epsilon_max >= EPS_FLOOR`.
pub fn well_separated(data: &Dataset) -> bool {
    theory::r(data) >= 1.5 && theory::epsilon_max(data).is_some_and(|e| e >= EPS_FLOOR)
}

/// `lambda` log-uniform in `[10^-max_exp10, 2 * 10^-min_exp10)`, from an integer exponent and a
/// mantissa step (shrinks toward the largest `lambda`).
pub fn log_uniform_lambda(exp10: RangeInclusive<u32>) -> BoxedStrategy<f64> {
    (exp10, 0u32..8).prop_map(|(e, k)| (1.0 + k as f64 / 8.0) * 10f64.powi(-(e as i32))).boxed()
}

/// Orthonormal datasets with labels satisfying Assumption 2 with a margin.
pub fn orthonormal_dataset(n: RangeInclusive<usize>, extra_d: RangeInclusive<usize>) -> BoxedStrategy<Dataset> {
    (n, extra_d, any::<u64>())
        .prop_filter_map("label spec infeasible", |(n, e, seed)| {
            random_orthonormal(n, n + e, &LabelSpec::default(), seed).ok()
        })
        .boxed()
}

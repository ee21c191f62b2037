//! Random datasets satisfying the paper's Assumptions 1 and 2, and the Section 5 toy.
//!
//! - [`random_orthonormal_inputs`]: `n` Haar-distributed orthonormal inputs in `R^d`
//!   (Assumption 1), so that `<g, x_k>` are i.i.d. `N(0, 1)` for a Gaussian `g` (Section 2.2).
//! - [`random_labels`]: labels with `y_k != 0` and `sum_{y>0} y^2 != sum_{y<0} y^2` by a chosen
//!   margin (Assumption 2), signed so that `r = |D+|/|D-| > 1` (the w.l.o.g. of Section 4.1).
//! - [`random_orthonormal`]: both, from one seed.
//! - [`toy`]: the two-point dataset of Section 5.

use nalgebra::DMatrix;
use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use rand_distr::{StandardNormal, Uniform};

use super::report::LABEL_BALANCE_TOL;
use super::{DataError, Dataset};
use crate::seeds::{self, Stream};

/// The most coordinates `n x d` a generated dataset may have (10^8, i.e. 800 MB).
pub const MAX_ENTRIES: usize = 100_000_000;

/// Draws `n` orthonormal inputs in `R^d`, Haar-distributed (uniform on the Stiefel manifold).
///
/// Requirements: `1 <= n <= d` (Assumption 1 needs `n <= d`: at most `d` orthonormal vectors).
/// Errors: [`DataError::Empty`] if `n = 0`, [`DataError::ZeroDimension`] if `d = 0`,
/// [`DataError::TooManyPoints`] if `n > d`.
///
/// Method: a `d x n` standard Gaussian matrix `G` (column `k` drawn as `d` consecutive
/// `StandardNormal` samples) is factored `G = QR` (Householder QR); the sign of column `i` of `Q`
/// is flipped when `R_ii < 0`, which makes the factorisation unique (`R_ii > 0`) and the
/// distribution of `Q` exactly Haar (Mezzadri 2007). (nalgebra 0.35 already returns
/// `R_ii >= 0`; the flip is kept as a guard against a change of convention.) The inputs are the
/// columns of `Q`: `x_k = Q[:, k]`, i.e. the Gram-Schmidt orthonormalisation of the columns of
/// `G`. In particular `x_0 = G[:, 0] / |G[:, 0]|` is uniform on the sphere.
///
/// Returns the inputs row-major (`n x d`, row `k` is `x_k`). Rounding: `X X^T = I` to a few
/// units of `1e-16 * max(n, d)`, far inside [`crate::data::ORTHONORMAL_TOL`].
///
/// ```
/// use rand::SeedableRng;
/// use reluflow::data::generate::random_orthonormal_inputs;
/// use reluflow::numerics::dot;
/// let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
/// let x = random_orthonormal_inputs(2, 3, &mut rng).unwrap();
/// assert!((dot(&x[0..3], &x[0..3]) - 1.0).abs() < 1e-14);
/// assert!(dot(&x[0..3], &x[3..6]).abs() < 1e-14);
/// ```
pub fn random_orthonormal_inputs(n: usize, d: usize, rng: &mut ChaCha8Rng) -> Result<Vec<f64>, DataError> {
    if n == 0 {
        return Err(DataError::Empty);
    }
    if d == 0 {
        return Err(DataError::ZeroDimension);
    }
    if n > d {
        return Err(DataError::TooManyPoints { n, d });
    }
    if n.checked_mul(d).is_none_or(|size| size > MAX_ENTRIES) {
        return Err(DataError::Parameter(format!(
            "{n} x {d} inputs are too many: at most {MAX_ENTRIES} coordinates in all (lower n or d)"
        )));
    }
    // Column-major d x n: column k (the future x_k) is drawn as d consecutive normals.
    let g: Vec<f64> = (0..n * d).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
    let qr = DMatrix::from_vec(d, n, g).qr();
    let q = qr.q(); // d x min(d, n) = d x n
    let r = qr.r(); // n x n
    let mut x = Vec::with_capacity(n * d);
    for k in 0..n {
        let sign = if r[(k, k)] < 0.0 { -1.0 } else { 1.0 };
        x.extend((0..d).map(|i| sign * q[(i, k)]));
    }
    Ok(x)
}

/// How [`random_labels`] draws labels.
///
/// Each label is `y_k = s_k u_k` with `u_k` uniform in `[magnitude_min, magnitude_max]` and an
/// independent fair sign `s_k`; draws are rejected until, after the optional global sign flip,
/// `n+ >= min_positive`, `n- >= min_negative` and `S+ / S- >= min_ratio^2`, where
/// `S+- = sum_{+-y_k > 0} y_k^2`. For orthonormal inputs `|D+-| = sqrt(S+-)/n`, so the last
/// condition is `r = |D+|/|D-| >= min_ratio`: Assumption 2 with a margin.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelSpec {
    /// Smallest `|y_k|` (finite, `> 0`: Assumption 2 forbids zero labels).
    pub magnitude_min: f64,
    /// Largest `|y_k|` (finite, `>= magnitude_min`).
    pub magnitude_max: f64,
    /// Minimum number of positive labels after the flip.
    pub min_positive: usize,
    /// Minimum number of negative labels after the flip.
    pub min_negative: usize,
    /// Minimum `r = |D+|/|D-|` for orthonormal inputs (finite, `>= 1`). With `1`, only
    /// Assumption 2 itself (`S+ != S-` by a relative margin above `1e-12`) is required.
    pub min_ratio: f64,
}

impl Default for LabelSpec {
    /// Magnitudes in `[0.5, 2]`, at least one label of each sign, `r >= 1.05`.
    fn default() -> Self {
        Self { magnitude_min: 0.5, magnitude_max: 2.0, min_positive: 1, min_negative: 1, min_ratio: 1.05 }
    }
}

/// Number of draws [`random_labels`] tries before reporting the spec as (practically) infeasible.
pub const MAX_LABEL_ATTEMPTS: usize = 10_000;

/// Draws `n` labels satisfying Assumption 2 with the margin of `spec`, signed so that `r > 1`.
///
/// Returns labels with: every `y_k != 0` and `|y_k|` in `[magnitude_min, magnitude_max]`;
/// `n+ >= min_positive`, `n- >= min_negative`; `S+ > S-` (so `r > 1`: the paper's w.l.o.g.,
/// Section 4.1) and `S+ >= min_ratio^2 S-` (`S-` may be 0 only if `min_negative = 0`).
///
/// Errors: [`DataError::Empty`] if `n = 0`; [`DataError::Parameter`] if the spec is invalid
/// (non-finite or non-positive magnitudes, `min_ratio < 1`), provably infeasible (e.g. `n = 1`
/// with one label of each sign required, or `magnitude_max^2 n+ < min_ratio^2 magnitude_min^2 n-`
/// for every allowed split), or not met in [`MAX_LABEL_ATTEMPTS`] draws (e.g. a large `n` with
/// fair signs gives `r = 1 + O(1/sqrt(n))`: lower `min_ratio`).
///
/// ```
/// use rand::SeedableRng;
/// use reluflow::data::generate::{random_labels, LabelSpec};
/// let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(1);
/// let y = random_labels(5, &LabelSpec::default(), &mut rng).unwrap();
/// let s = |pos: bool| y.iter().filter(|v| (**v > 0.0) == pos).map(|v| v * v).sum::<f64>();
/// assert!(s(true) >= 1.05f64.powi(2) * s(false));
/// ```
pub fn random_labels(n: usize, spec: &LabelSpec, rng: &mut ChaCha8Rng) -> Result<Vec<f64>, DataError> {
    if n == 0 {
        return Err(DataError::Empty);
    }
    check_spec(n, spec)?;
    let (lo, hi) = (spec.magnitude_min, spec.magnitude_max);
    let uniform = if lo < hi {
        Some(
            Uniform::new_inclusive(lo, hi)
                .map_err(|e| DataError::Parameter(format!("magnitude range [{lo}, {hi}]: {e}")))?,
        )
    } else {
        None
    };
    let ratio_sq = spec.min_ratio * spec.min_ratio;
    let mut y = vec![0.0; n];
    for _ in 0..MAX_LABEL_ATTEMPTS {
        for v in y.iter_mut() {
            let magnitude = match &uniform {
                Some(u) => rng.sample(u),
                None => lo,
            };
            *v = if rng.random::<bool>() { magnitude } else { -magnitude };
        }
        // Sums of squares scaled by 1/hi^2 (no overflow for any finite hi).
        let (mut sp, mut sm) = (0.0, 0.0);
        for &v in &y {
            let s = (v / hi) * (v / hi);
            if v > 0.0 { sp += s } else { sm += s }
        }
        let flip = sm > sp;
        let (sp, sm) = if flip { (sm, sp) } else { (sp, sm) };
        let n_neg_before = y.iter().filter(|v| **v < 0.0).count();
        let (n_plus, n_minus) = if flip { (n_neg_before, n - n_neg_before) } else { (n - n_neg_before, n_neg_before) };
        let accepted = n_plus >= spec.min_positive
            && n_minus >= spec.min_negative
            && sp >= ratio_sq * sm
            && sp - sm > LABEL_BALANCE_TOL * sp;
        if accepted {
            if flip {
                y.iter_mut().for_each(|v| *v = -*v);
            }
            return Ok(y);
        }
    }
    Err(DataError::Parameter(format!(
        "no labels met {spec:?} in {MAX_LABEL_ATTEMPTS} draws with n = {n}; with fair signs r = |D+|/|D-| is \
         1 + O(1/sqrt(n)), so lower min_ratio (or widen the magnitude range)"
    )))
}

/// Rejects invalid or provably infeasible label specs, saying which field to change.
fn check_spec(n: usize, spec: &LabelSpec) -> Result<(), DataError> {
    let LabelSpec { magnitude_min: lo, magnitude_max: hi, min_positive, min_negative, min_ratio } = *spec;
    let bad = |msg: String| Err(DataError::Parameter(msg));
    if !(lo.is_finite() && lo > 0.0) {
        return bad(format!("magnitude_min = {lo} must be finite and > 0 (Assumption 2 forbids zero labels)"));
    }
    if !(hi.is_finite() && hi >= lo) {
        return bad(format!("magnitude_max = {hi} must be finite and >= magnitude_min = {lo}"));
    }
    if !(min_ratio.is_finite() && min_ratio >= 1.0) {
        return bad(format!(
            "min_ratio = {min_ratio} must be finite and >= 1 (it bounds r = |D+|/|D-| >= 1 after the flip)"
        ));
    }
    if min_positive.saturating_add(min_negative) > n {
        return bad(format!(
            "{n} point(s) cannot carry {min_positive} positive and {min_negative} negative label(s) (Assumption 2 \
             needs labels of both signs here): use at least {} points, e.g. --random-orthonormal {},{}",
            min_positive.saturating_add(min_negative),
            min_positive.saturating_add(min_negative),
            min_positive.saturating_add(min_negative).max(4)
        ));
    }
    // After the flip S+ > S- >= 0, so at least one positive label. A split (p, q) with q >= 1 can
    // reach S+/S- >= min_ratio^2 (strictly > 1) only if p hi^2 > q lo^2 and p hi^2 >= min_ratio^2 q lo^2.
    let ratio_sq = min_ratio * min_ratio;
    let (lo2, hi2) = ((lo / hi) * (lo / hi), 1.0);
    let feasible = (min_positive.max(1)..=n - min_negative).any(|p| {
        let q = (n - p) as f64;
        q == 0.0 || (p as f64 * hi2 > q * lo2 && p as f64 * hi2 >= ratio_sq * q * lo2)
    });
    if !feasible {
        return bad(format!(
            "no split of n = {n} labels into >= {min_positive} positive and >= {min_negative} negative with \
             magnitudes in [{lo}, {hi}] can give S+ / S- >= min_ratio^2 = {ratio_sq} with S+ != S- \
             (Assumption 2); widen the magnitude range, lower min_ratio or allow more positive labels"
        ));
    }
    Ok(())
}

/// A random dataset satisfying Assumptions 1 and 2: `n` Haar orthonormal inputs in `R^d`
/// ([`random_orthonormal_inputs`]) then labels ([`random_labels`]), from the independent streams
/// [`Stream::DataInputs`] and [`Stream::DataLabels`] of `seed` ([`crate::seeds`]).
/// Deterministic: the same arguments give the same bits.
///
/// Errors: those of [`random_orthonormal_inputs`] and [`random_labels`].
///
/// ```
/// use reluflow::data::generate::{random_orthonormal, LabelSpec};
/// let data = random_orthonormal(3, 5, &LabelSpec::default(), 42).unwrap();
/// let report = data.assumptions();
/// assert!(report.assumption_1 && report.assumption_2, "{:?}", report.problems());
/// assert_eq!(data, random_orthonormal(3, 5, &LabelSpec::default(), 42).unwrap());
/// ```
pub fn random_orthonormal(n: usize, d: usize, spec: &LabelSpec, seed: u64) -> Result<Dataset, DataError> {
    let x = random_orthonormal_inputs(n, d, &mut seeds::rng(seed, Stream::DataInputs))?;
    let y = random_labels(n, spec, &mut seeds::rng(seed, Stream::DataLabels))?;
    Dataset::from_flat(n, d, x, y)
}

/// The toy dataset of Section 5 (Figures 2-3): `x_1 = (-0.5, 1)`, `y_1 = -1` and
/// `x_2 = (2, 1)`, `y_2 = +1`, in that order (one-dimensional data with a bias coordinate 1).
///
/// The inputs are orthogonal but not unit-norm (`|x_1|^2 = 1.25`, `|x_2|^2 = 5`), so the literal
/// Assumption 1 fails (the paper notes its analysis does not need unit norms). Also
/// `sum_{y>0} y^2 = sum_{y<0} y^2 = 1`, so the literal sum-of-squares form of Assumption 2 fails,
/// while the general `|D+| = sqrt(5)/2 != |D-| = sqrt(5)/4` (r = 2), which is what fixes the
/// order of the phases: the report shows both.
///
/// ```
/// let toy = reluflow::data::generate::toy();
/// assert_eq!(toy.x(0), &[-0.5, 1.0]);
/// assert_eq!(toy.y(), &[-1.0, 1.0]);
/// assert!(toy.assumptions().orthogonal_not_unit);
/// ```
pub fn toy() -> Dataset {
    Dataset::new(vec![vec![-0.5, 1.0], vec![2.0, 1.0]], vec![-1.0, 1.0]).expect("the Section 5 toy dataset is valid")
}

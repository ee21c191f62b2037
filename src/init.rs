//! Initialisations, eq. (4) of the paper, and the sets `S+,1`, `S-,1` of eqs. (5)-(6).
//!
//! - Balanced (4): `w_j = lambda g_j`, `g_j ~ N(0, I_d)`, `a_j = s_j |w_j|`, `s_j = +-1` with
//!   probability 1/2. Lemma 1 then keeps `a_j = s_j |w_j|` along the flow.
//! - Unbalanced (negative controls): `w_j = lambda g_j`, `a_j ~ N(0, lambda^2)` independent.
//!
//! A seed fixes everything, through independent streams ([`crate::seeds`]):
//! [`Stream::InitDirections`] draws the `d` coordinates of `g_j` for `j = 0..m` in order,
//! [`Stream::InitSigns`] the signs `s_j` (balanced) and [`Stream::InitOutputWeights`] the
//! Gaussians `a_j / lambda` (unbalanced). `lambda` only scales the draws, so the same seed gives
//! the same directions `g_j` at every `lambda` (the "lambda ladder" of the limit claims), and the
//! same directions for the balanced and the unbalanced kind. No stream is shared with the data,
//! so equal data and initialisation seeds are as good as any other pair.
//!
//! ```
//! use reluflow::init::{InitKind, InitSpec};
//! let init = InitSpec { kind: InitKind::Balanced, width: 4, lambda: 1e-300, seed: 7 }
//!     .validate().unwrap().draw(3);
//! assert_eq!(init.params.m(), 4);
//! // balanced: a_j = s_j |w_j| at every scale
//! assert!(init.params.relative_imbalance(0).abs() < 1e-15);
//! ```

use crate::data::Dataset;
use crate::numerics::{dot, norm};
use crate::params::{ScaledParams, exponent_of, ldexp};
use crate::seeds::{self, Stream};
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Which initialisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitKind {
    /// Eq. (4): `a_j = s_j |w_j|`.
    Balanced,
    /// `a_j ~ N(0, lambda^2)` independent of `w_j`: breaks Lemma 1's premise.
    Unbalanced,
}

impl std::fmt::Display for InitKind {
    /// `balanced` or `unbalanced`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InitKind::Balanced => "balanced",
            InitKind::Unbalanced => "unbalanced",
        })
    }
}

/// What to draw: unchecked (see [`InitSpec::validate`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct InitSpec {
    /// Balanced (eq. (4), `a_j = s_j |w_j|`) or unbalanced.
    pub kind: InitKind,
    /// Width `m`.
    pub width: usize,
    /// Initialisation scale `lambda > 0`.
    pub lambda: f64,
    /// Seed of the draws of `g_j` and `s_j`.
    pub seed: u64,
}

/// A checked [`InitSpec`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ValidInitSpec(InitSpec);

/// Why an initialisation cannot be drawn.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum InitError {
    /// `m = 0`.
    #[error("width m = 0: the network needs at least one neuron (e.g. --width 60)")]
    ZeroWidth,
    /// `m` above [`MAX_WIDTH`] (the value given).
    #[error(
        "width m = {0} is too large: at most {MAX_WIDTH} neurons (the parameters alone would need more memory than a machine has)"
    )]
    TooWide(usize),
    /// `lambda` not positive and finite (the value given).
    #[error("lambda = {0} is not a positive finite number: the initialisation scale must be > 0 (e.g. --lambda 1e-8)")]
    Lambda(f64),
}

/// The largest width [`InitSpec::validate`] accepts (10^8 neurons: 8 GB per input coordinate).
pub const MAX_WIDTH: usize = 100_000_000;

impl InitSpec {
    /// Checks `1 <= m <= MAX_WIDTH` and `lambda` positive and finite.
    pub fn validate(self) -> Result<ValidInitSpec, InitError> {
        if self.width == 0 {
            return Err(InitError::ZeroWidth);
        }
        if self.width > MAX_WIDTH {
            return Err(InitError::TooWide(self.width));
        }
        if !(self.lambda > 0.0 && self.lambda.is_finite()) {
            return Err(InitError::Lambda(self.lambda));
        }
        Ok(ValidInitSpec(self))
    }
}

/// A drawn initialisation.
#[derive(Clone, Debug)]
pub struct Initialisation {
    /// `theta(0)`.
    pub params: ScaledParams,
    /// The spec it was drawn from.
    pub spec: InitSpec,
    /// `c = max_j |g_j|` (Section 4.1).
    pub c: f64,
    /// `c_min = min_j |g_j|` (Lemma 9).
    pub c_min: f64,
}

impl ValidInitSpec {
    /// The checked spec.
    pub fn spec(&self) -> InitSpec {
        self.0
    }
    /// Draws `theta(0)` in dimension `d`.
    pub fn draw(&self, d: usize) -> Initialisation {
        let spec = self.0;
        let m = spec.width;
        let mut directions = seeds::rng(spec.seed, Stream::InitDirections);
        let mut signs = seeds::rng(spec.seed, Stream::InitSigns);
        let mut output_weights = seeds::rng(spec.seed, Stream::InitOutputWeights);
        // lambda = 2^e * mu exactly, mu in [1, 2): neurons are stored as 2^e * (mu g_j, ...).
        let e = exponent_of(spec.lambda);
        let mu = ldexp(spec.lambda, -e);
        let mut theta = Vec::with_capacity(m * (d + 1));
        let (mut c, mut c_min) = (0.0f64, f64::INFINITY);
        let mut g = vec![0.0; d];
        for _ in 0..m {
            for v in g.iter_mut() {
                *v = directions.sample(StandardNormal);
            }
            let g_norm = norm(&g);
            c = c.max(g_norm);
            c_min = c_min.min(g_norm);
            let a_hat = match spec.kind {
                InitKind::Balanced => {
                    let s = if signs.random::<bool>() { 1.0 } else { -1.0 };
                    s * mu * g_norm
                }
                InitKind::Unbalanced => mu * output_weights.sample::<f64, _>(StandardNormal),
            };
            theta.push(a_hat);
            theta.extend(g.iter().map(|v| mu * v));
        }
        let params = ScaledParams::from_parts(d, theta, vec![e; m]);
        Initialisation { params, spec, c, c_min }
    }
}

/// The sets `S+,1` and `S-,1` (eqs. (5)-(6)) and what Assumption 3 needs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NeuronSets {
    /// `j` with `s_j = +1` and `<w_j(0), x_k> >= 0` for every `k` with `y_k > 0`.
    pub s_plus_1: Vec<usize>,
    /// `j` with `s_j = -1` and `<w_j(0), x_k> >= 0` for every `k` with `y_k < 0`.
    pub s_minus_1: Vec<usize>,
}

impl NeuronSets {
    /// Computes the sets from `theta(0)`, with `s_j = sign(a_j(0))` (equal to eq. (4)'s `s_j`
    /// for a balanced initialisation).
    pub fn of(params: &ScaledParams, data: &Dataset) -> Self {
        let mut s_plus_1 = Vec::new();
        let mut s_minus_1 = Vec::new();
        for j in 0..params.m() {
            let w = params.w_hat(j);
            let covers = |positive: bool| {
                (0..data.n())
                    .filter(|&k| (data.y()[k] > 0.0) == positive && data.y()[k] != 0.0)
                    .all(|k| dot(w, data.x(k)) >= 0.0)
            };
            let a = params.a_hat(j);
            if a > 0.0 && covers(true) {
                s_plus_1.push(j);
            } else if a < 0.0 && covers(false) {
                s_minus_1.push(j);
            }
        }
        Self { s_plus_1, s_minus_1 }
    }
    /// Assumption 3: both sets non-empty.
    pub fn assumption_3(&self) -> bool {
        !self.s_plus_1.is_empty() && !self.s_minus_1.is_empty()
    }
    /// The problem in words, if Assumption 3 fails.
    pub fn problem(&self) -> Option<String> {
        match (self.s_plus_1.is_empty(), self.s_minus_1.is_empty()) {
            (false, false) => None,
            (true, true) => Some("Assumption 3 fails: S+,1 and S-,1 are both empty (raise the width or change the seed)".into()),
            (true, false) => Some("Assumption 3 fails: S+,1 is empty (no s_j = +1 neuron is active on every positive label; raise the width or change the seed)".into()),
            (false, true) => Some("Assumption 3 fails: S-,1 is empty (no s_j = -1 neuron is active on every negative label; raise the width or change the seed)".into()),
        }
    }
}

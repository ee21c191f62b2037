//! The data of the paper's experiments, one copy each: the Section 5 toy ([`toy`]), the five
//! points of Appendix A.1 ([`a1_data`]), and the Gaussian inputs with teacher labels of Appendix
//! A.2 ([`a2_data`], its reduced instance [`a2_reduced_data`]).
//!
//! The paper's code (github.com/eboursier/GFdynamics, notebooks `training_dynamics.ipynb` and
//! `high_dimension.ipynb`) fixes what the text leaves open; each function says what it takes
//! from there.

use crate::data::Dataset;
use crate::numerics::dot;
use crate::seeds::{self, Stream};
use crate::theory;
use rand::RngExt;
use rand_distr::StandardNormal;

pub use crate::data::generate::toy;

/// One-dimensional inputs `t_k` with a bias column: `x_k = (t_k, 1)` (the paper's code feeds
/// `t_k` to a hidden layer with a bias, the same network as a weight on the column of ones).
pub fn with_bias(t: &[f64], y: &[f64]) -> Dataset {
    Dataset::new(t.iter().map(|&v| vec![v, 1.0]).collect(), y.to_vec()).expect("finite data")
}

/// The A.1 inputs `t = (-1.5, -1, 0, 0.25, 2)` (before the bias column).
pub const A1_T: [f64; 5] = [-1.5, -1.0, 0.0, 0.25, 2.0];
/// The A.1 labels.
pub const A1_Y: [f64; 5] = [0.7, -0.3, -0.3, 0.4, 0.2];

/// The A.1 data: [`A1_T`] with a bias column (inputs `(t_k, 1)`), labels [`A1_Y`]: the
/// non-orthogonal 1-D toy of the paper's code (`training_dynamics.ipynb`, the commented-out
/// dataset), five points.
pub fn a1_data() -> Dataset {
    with_bias(&A1_T, &A1_Y)
}

/// Number of neurons of the A.2 teacher.
pub const TEACHER_WIDTH: usize = 6;

/// A.2 data: `n` inputs `x ~ N(0, I_d)`, labels `y = sum_{i<6} a_i relu(<w_i, x>)` of a 6-neuron
/// teacher without biases, drawn as the paper's code draws it: its `Net(init_scale = 1,
/// balanced = False)`, whose hidden weights have standard deviation `init_scale / sqrt(m d)` and
/// output weights `init_scale / sqrt(m)` with `m = 6`, i.e. `w_i ~ N(0, I_d / (6d))` and
/// `a_i ~ N(0, 1/6)` (so `<w_i, x> ~ N(0, 1/6)` and the labels are of order `1/sqrt(6)`).
///
/// Why this scale (the text says only "drawn at random following a Gaussian distribution"): it
/// is the paper's own run, and the only one; an earlier copy of this function in `reproduce`
/// used `a_i ~ N(0, 1)`, `w_i ~ N(0, I_d/d)`, labels six times larger, which the paper does not
/// use. The inputs come from the stream [`Stream::DataInputs`] of `seed`, the teacher from
/// [`Stream::Teacher`] (the paper's torch seed cannot be reproduced).
pub fn a2_data(n: usize, d: usize, seed: u64) -> Dataset {
    let mut inputs = seeds::rng(seed, Stream::DataInputs);
    let x: Vec<Vec<f64>> = (0..n).map(|_| (0..d).map(|_| inputs.sample::<f64, _>(StandardNormal)).collect()).collect();
    let mut rng = seeds::rng(seed, Stream::Teacher);
    let m = TEACHER_WIDTH as f64;
    let s = 1.0 / (m * d as f64).sqrt();
    let tw: Vec<Vec<f64>> =
        (0..TEACHER_WIDTH).map(|_| (0..d).map(|_| s * rng.sample::<f64, _>(StandardNormal)).collect()).collect();
    let ta: Vec<f64> = (0..TEACHER_WIDTH).map(|_| rng.sample::<f64, _>(StandardNormal) / m.sqrt()).collect();
    let y = x.iter().map(|xk| tw.iter().zip(&ta).map(|(w, a)| a * dot(w, xk).max(0.0)).sum()).collect();
    Dataset::new(x, y).expect("finite data")
}

/// The first data seed `s = 0, 1, ...` whose [`a2_data`]`(n, d, s)` has `r = |D+|/|D-|` in
/// `[1.5, 4]`: both label signs matter (the second saddle exists) and it is left within the
/// horizon (its duration grows like `1/|D-|`).
pub fn a2_data_seed(n: usize, d: usize) -> u64 {
    (0u64..).find(|&s| (1.5..=4.0).contains(&theory::r(&a2_data(n, d, s)))).expect("some seed qualifies")
}

/// Reduced A.2: points (paper: 75).
pub const A2_N: usize = 16;
/// Reduced A.2: dimension (paper: 150). `d = 4n` keeps the inputs' mutual coherence
/// (`~1/sqrt(d) = 0.125`) near the paper's (`0.08`) at a quarter of the size.
pub const A2_D: usize = 64;

/// The reduced A.2 dataset: [`a2_data`]`(A2_N, A2_D, s)` with `s` = [`a2_data_seed`] (0). Returns
/// the data and `s`.
pub fn a2_reduced_data() -> (Dataset, u64) {
    let s = a2_data_seed(A2_N, A2_D);
    (a2_data(A2_N, A2_D, s), s)
}

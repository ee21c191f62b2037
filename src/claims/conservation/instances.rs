//! The instances of L1, L6 and P2 beyond the generators' orthonormal ones: non-orthogonal data
//! without sliding modes (Lemma 1 holds for any data), inputs made non-orthogonal (L6's negative
//! control), and the flow horizon the runs go to.

use crate::Instance;
use crate::data::Dataset;
use crate::data::generate::random_orthonormal;
use crate::init::{InitKind, InitSpec};
use crate::network::Model;
use crate::seeds::{self, Stream};
use crate::theory;
use rand::RngExt;
use rand_distr::StandardNormal;

/// A time by which the flow on `data` from scale `lambda` has passed its saddles:
/// `2.5 (-ln lambda) / min(|D+|, |D-|) + 20` (the last saddle is left near
/// `-ln(lambda)/|D-|`, Section 4.2; sides without labels are ignored).
pub fn flow_horizon(data: &Dataset, lambda: f64) -> f64 {
    let rate = [theory::d_plus_norm(data), theory::d_minus_norm(data)]
        .into_iter()
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let rate = if rate.is_finite() { rate } else { 1.0 };
    2.5 * (-lambda.ln()).max(1.0) / rate + 20.0
}

/// Non-orthogonal data on which the flow has no sliding mode: `n` inputs with i.i.d. `|N(0, 1)|`
/// entries in `R^d` (all pairwise inner products positive) and positive labels uniform in
/// `[0.5, 2]`. While all residuals have one sign (no point overfitted yet) and all
/// `<x_l, x_k> > 0`, a coordinate's own term and the others' terms push it the same way at 0, so
/// no coordinate is pushed onto 0 from both sides: the sliding modes of generic non-orthogonal
/// data (which stop the flow within `t < 1`) are avoided during the fitting; a sliding mode can
/// still occur later, once some point is overfitted.
pub fn positive_cone_dataset(n: usize, d: usize, seed: u64) -> Dataset {
    let mut inputs = seeds::rng(seed, Stream::DataInputs);
    let x: Vec<Vec<f64>> =
        (0..n).map(|_| (0..d).map(|_| inputs.sample::<f64, _>(StandardNormal).abs()).collect()).collect();
    let mut labels = seeds::rng(seed, Stream::DataLabels);
    let y: Vec<f64> = (0..n).map(|_| 0.5 + 1.5 * labels.random::<f64>()).collect();
    Dataset::new(x, y).expect("finite data")
}

/// The inputs of `data` made non-orthogonal: `x_k + 0.5 u` with `u = (1/sqrt(n)) sum_l x_l`
/// (pairwise cosines about `0.3` to `0.5` for orthonormal `x_k`), same labels.
pub fn correlated_inputs(data: &Dataset) -> Dataset {
    let (n, d) = (data.n(), data.d());
    let mut u = vec![0.0; d];
    for k in 0..n {
        for (ui, xi) in u.iter_mut().zip(data.x(k)) {
            *ui += xi / (n as f64).sqrt();
        }
    }
    let rows = (0..n).map(|k| data.x(k).iter().zip(&u).map(|(x, u)| x + 0.5 * u).collect()).collect();
    Dataset::new(rows, data.y().to_vec()).expect("finite data")
}

/// A positive-cone instance ([`positive_cone_dataset`]) drawn from `seed`: `n` in `2..=5`,
/// `d - n` in `0..=3`, `m = 2^(n+2)`, `lambda` in `[1e-12, 2e-8)`.
pub fn positive_cone_instance(seed: u64, kind: InitKind) -> Instance {
    let mut rng = seeds::rng(seed, Stream::InstanceChoice);
    let n = rng.random_range(2..=5usize);
    let d = n + rng.random_range(0..=3usize);
    let lambda = (1.0 + rng.random_range(0..8u32) as f64 / 8.0) * 10f64.powi(-rng.random_range(8..=12i32));
    let data = positive_cone_dataset(n, d, rng.random());
    Instance { data, init: InitSpec { kind, width: 4 << n, lambda, seed: rng.random() }, model: Model::relu() }
}

/// An orthonormal instance with a given number of points and a tiny `lambda` (no Assumption 3
/// requirement: L1 and L6 hold for every initialisation).
pub fn orthonormal_instance(n: usize, d: usize, m: usize, lambda: f64, seed: u64) -> Option<Instance> {
    let data = random_orthonormal(n, d, &Default::default(), seed).ok()?;
    Some(Instance::balanced(data, m, lambda, seed.wrapping_add(1)))
}

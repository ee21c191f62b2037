//! The kernel against a one-neuron-one-point reference, bit for bit, on every instruction set
//! this CPU has and every split.

use super::*;
use crate::network::{Activation, Model, dot4};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// The kernel one neuron and one point at a time (as it was before blocking, with the two
/// products' multiply-adds fused): the reference whose bits every build and split must reproduce.
fn reference(
    data: &Dataset,
    model: ValidModel,
    theta: &[f64],
    scale_sq: &[f64],
    pattern: Pattern,
) -> (Vec<f64>, Vec<f64>, f64, Vec<f64>) {
    let (n, d, m) = (data.n(), data.d(), scale_sq.len());
    let x = data.x_flat();
    let mut residual: Vec<f64> = data.y().iter().map(|y| -y).collect();
    let (mut z, mut act, mut gate) = (vec![0.0; m * n], vec![0.0; m * n], vec![0.0; m * n]);
    for j in 0..m {
        let block = &theta[j * (d + 1)..(j + 1) * (d + 1)];
        let c = block[0] * scale_sq[j];
        for k in 0..n {
            let zv = dot4(&block[1..], &x[k * d..(k + 1) * d]);
            z[j * n + k] = zv;
            let class = match pattern {
                Pattern::Sign => Class::of(zv),
                Pattern::Fixed(classes) => classes[j * n + k],
            };
            let (a, g) = match class {
                Class::Positive => (zv, 1.0),
                Class::Negative => (model.slope * zv, model.slope),
                Class::Zero => (0.0, model.sigma0),
            };
            act[j * n + k] = a;
            gate[j * n + k] = g;
            residual[k] += c * a;
        }
    }
    let loss = residual.iter().map(|r| r * r).sum::<f64>() / (2.0 * n as f64);
    let inv_n = 1.0 / n as f64;
    let mut out = vec![0.0; m * (d + 1)];
    for j in 0..m {
        let mut buf = vec![0.0; d];
        let mut da = 0.0;
        for k in 0..n {
            let r = residual[k];
            da -= r * act[j * n + k];
            let c = -r * gate[j * n + k];
            if c != 0.0 {
                for (b, xv) in buf.iter_mut().zip(&x[k * d..(k + 1) * d]) {
                    *b = c.mul_add(*xv, *b);
                }
            }
        }
        out[j * (d + 1)] = da * inv_n;
        let scale = theta[j * (d + 1)] * inv_n;
        for (o, b) in out[j * (d + 1) + 1..(j + 1) * (d + 1)].iter_mut().zip(&buf) {
            *o = scale * b;
        }
    }
    (z, residual, loss, out)
}

fn instance(n: usize, d: usize, m: usize, seed: u64) -> (Dataset, Vec<f64>, Vec<i32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x: Vec<Vec<f64>> = (0..n).map(|_| (0..d).map(|_| rng.random_range(-1.0..1.0)).collect()).collect();
    let y = (0..n).map(|_| rng.random_range(-2.0..2.0)).collect();
    let mut theta: Vec<f64> = (0..m * (d + 1)).map(|_| rng.random_range(-1.0..1.0)).collect();
    // exact zeros (z = 0 and a = 0 cases) and a dead neuron
    theta[1] = 0.0;
    if m > 2 {
        theta[2 * (d + 1)..3 * (d + 1)].fill(0.0);
    }
    let exponent = (0..m).map(|_| rng.random_range(-3..3)).collect();
    (Dataset::new(x, y).unwrap(), theta, exponent)
}

/// Every build of the tiles (portable, AVX2, AVX-512 where the CPU has them), single-threaded
/// and split, gives the reference's bits: pre-activations, residuals, loss and velocity, for
/// sizes off every tile multiple (n, d, m not multiples of 4 or 8), the sign pattern and fixed
/// classes, ReLU, leaky ReLU and relu'(0) = 1; and the fused gradient-descent step gives the
/// reference velocity's update. A change in any operation's order fails it.
#[test]
fn kernel_matches_the_reference_bit_for_bit() {
    let models = [
        Model::relu(),
        Model { activation: Activation::Leaky { slope: 0.1 }, relu_prime_at_zero: 0.0 },
        Model { activation: Activation::Relu, relu_prime_at_zero: 1.0 },
    ];
    let shapes = [(1, 1, 1), (2, 3, 7), (5, 4, 13), (9, 10, 25), (17, 67, 31), (64, 64, 40), (13, 130, 29)];
    for (case, &(n, d, m)) in shapes.iter().enumerate() {
        let (data, theta, exponent) = instance(n, d, m, case as u64);
        let mut rng = ChaCha8Rng::seed_from_u64(100 + case as u64);
        let classes: Vec<Class> =
            (0..m * n).map(|_| [Class::Negative, Class::Zero, Class::Positive][rng.random_range(0..3)]).collect();
        for model in models {
            let model = model.validate().unwrap();
            let scale_sq: Vec<f64> = exponent.iter().map(|&e| crate::params::ldexp(1.0, 2 * e)).collect();
            for pattern in [Pattern::Sign, Pattern::Fixed(&classes)] {
                let (z, r, loss, v) = reference(&data, model, &theta, &scale_sq, pattern);
                for isa in Isa::available() {
                    for pieces in [1, 2, 3] {
                        let mut kernel = Kernel::with_isa(&data, model, m, isa);
                        kernel.set_pieces(pieces);
                        kernel.set_exponents(&exponent);
                        let mut out = vec![0.0; m * (d + 1)];
                        let got = kernel.velocity(&theta, pattern, &mut out);
                        let what = format!("n {n} d {d} m {m} {model:?} {isa:?} pieces {pieces}");
                        assert_eq!(got.to_bits(), loss.to_bits(), "loss, {what}");
                        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        assert_eq!(bits(kernel.pre_activations()), bits(&z), "z, {what}");
                        assert_eq!(bits(kernel.residuals()), bits(&r), "residuals, {what}");
                        assert_eq!(bits(&out), bits(&v), "velocity, {what}");
                        if matches!(pattern, Pattern::Sign) {
                            let eta = 0.01;
                            let mut stepped = theta.clone();
                            let mut ss = vec![0.0; m];
                            kernel.gd_step(&mut stepped, eta, &mut ss);
                            let expected: Vec<f64> = theta.iter().zip(&v).map(|(t, v)| t + eta * v).collect();
                            assert_eq!(bits(&stepped), bits(&expected), "GD step, {what}");
                            for j in 0..m {
                                let sq = expected[j * (d + 1)..(j + 1) * (d + 1)].iter().fold(0.0, |s, t| s + t * t);
                                assert_eq!(ss[j].to_bits(), sq.to_bits(), "|block|^2, {what}");
                            }
                            let z_new: Vec<f64> = (0..m * n)
                                .map(|i| dot4(&expected[(i / n) * (d + 1) + 1..(i / n + 1) * (d + 1)], data.x(i % n)))
                                .collect();
                            assert_eq!(bits(kernel.pre_activations()), bits(&z_new), "z after the step, {what}");
                        }
                    }
                }
            }
        }
    }
}

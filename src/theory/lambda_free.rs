//! The `lambda`-free process (28) of Section 4.2 / Appendix B.5: the `lambda -> 0` limit of the
//! early phase, and what it predicts for the limit claims (L12's `theta*`, TS's fitting-time
//! offsets).
//!
//! Everything here is a function of the data and of the initial directions `g_j`
//! (`w_j(0) = lambda g_j`, eq. (4)) with the sets `S+,1`, `S-,1` as index lists: plain numbers,
//! vectors, a [`Dataset`] and [`Params`], nothing of the claims.
//!
//! ```
//! use reluflow::{Dataset, Params};
//! use reluflow::theory::{LabelSign, lambda_free::{predicted_fit_offset, predicted_theta_star}};
//! let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![1.0, -0.5]).unwrap();
//! // neuron 0 (s = +1) active on x_0 only, neuron 1 (s = -1) on x_1 only
//! let g = Params { a: vec![1.0, -1.0], w: vec![vec![0.6, -0.8], vec![-0.3, 0.4]] };
//! let star = predicted_theta_star(&data, &g, &[0], &[1]).unwrap();
//! // one neuron per side carries it all: |w_0|^2 = n|D+| = 1, |w_1|^2 = n|D-| = 0.5
//! assert!((star.a[0] - 1.0).abs() < 1e-12 && (star.a[1] + 0.5f64.sqrt()).abs() < 1e-12);
//! // t_half |D+| - ln(1/lambda) -> (ln(n|D+|) - ln sum exp(2 C_j)) / 2
//! let c = predicted_fit_offset(&data, &g, &[0], LabelSign::Positive).unwrap();
//! assert!(c.is_finite());
//! ```

use super::{LabelSign, TheoryError, check_orthogonal, d_minus_norm, d_plus_norm, theta_star};
use crate::data::Dataset;
use crate::numerics::{dot, norm};
use crate::params::Params;
use thiserror::Error;

/// Why the process (28) predicts nothing for these data and directions.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum LambdaFreeError {
    /// The closed forms need orthogonal inputs (or `theta*` could not be placed).
    #[error(transparent)]
    Theory(#[from] TheoryError),
    /// A neuron of the set ends inactive on every label of its sign (`E_inf = 0`): it never
    /// grows, so it has no offset.
    #[error("neuron {neuron} ends inactive in the lambda-free process (28)")]
    Inactive {
        /// The neuron's index.
        neuron: usize,
    },
    /// The set of this side is empty (Assumption 3 fails): nothing fits its labels.
    #[error("Assumption 3 fails: the set of the {side} labels (S+,1 or S-,1) is empty")]
    EmptySet {
        /// The side whose set is empty.
        side: LabelSign,
    },
    /// A neuron index is not below the width of the directions.
    #[error("neuron {neuron} is not below the width {m}")]
    IndexOutOfRange {
        /// The index.
        neuron: usize,
        /// The width of the directions.
        m: usize,
    },
}

/// `<v, E> + |E||v|`, computed without cancellation when `<v, E> < 0`.
fn phi(v: &[f64], e: &[f64]) -> f64 {
    let (ve, ne, nv) = (dot(v, e), norm(e), norm(v));
    if ve >= 0.0 {
        ve + ne * nv
    } else {
        let c = ve / (ne * ne);
        let perp: Vec<f64> = v.iter().zip(e).map(|(a, b)| a - c * b).collect();
        ne * ne * dot(&perp, &perp) / (ne * nv - ve)
    }
}

/// The limit `C_j = lim_{t -> inf} (ln|w~_j(t)| - |E_inf| t)` of the lambda-free process (28) for
/// a neuron started at `g` (`w_j(0) = lambda g`) with sign `s` (`+1` or `-1`), on orthonormal
/// inputs, and its final velocity `E_inf` (`D+` for `S+,1`, `-D-` for `S-,1`).
///
/// (28) is the `lambda -> 0` limit of the early dynamics (`h = 0`): with `a_j = s|w_j|`,
/// `w~' = s |w~| D~(w~)`, `D~ = (1/n) sum_k y_k x_k 1{<w~, x_k> > 0}`. In the time
/// `sigma = int |w~| dt` this is `dw~/dsigma = E = s D~`, constant between events, so the path is
/// piecewise linear: on orthonormal inputs an active coordinate with `s y_k > 0` grows, one with
/// `s y_k < 0` reaches 0 at `sigma = n <w~, x_k>/|y_k|` and stays there (Lemma 6), an inactive
/// one never moves. A segment from `b` of length `S` takes the time
/// `int_0^S dsigma / |b + sigma E| = (ln phi(b + S E) - ln phi(b)) / |E|` with
/// `phi(v) = <v,E> + |E||v|`, and after the last event `ln|w~| - |E| t -> ln(phi(b)/(2|E|)) - |E| t_last`.
/// So `|w_j(t)| ~ lambda exp(C_j + |E_inf| t)` once aligned and before the fit. `C_j` is
/// equivariant under scaling: `g -> k g` gives `C_j + ln k`.
/// `None` if the neuron ends inactive on every label of its sign (`E_inf = 0`).
pub fn lambda_free_offset(g: &[f64], s: f64, data: &Dataset) -> Option<(f64, Vec<f64>)> {
    let n = data.n();
    let nf = n as f64;
    let mut b = g.to_vec();
    let mut active: Vec<bool> = (0..n).map(|k| dot(&b, data.x(k)) > 0.0).collect();
    let mut t = 0.0;
    loop {
        let mut e = vec![0.0; data.d()];
        for k in (0..n).filter(|&k| active[k]) {
            for (o, x) in e.iter_mut().zip(data.x(k)) {
                *o += s * data.y()[k] / nf * x;
            }
        }
        let ne = norm(&e);
        if ne == 0.0 {
            return None;
        }
        // next deactivation: an active coordinate pushed down (s y_k < 0)
        let next = (0..n)
            .filter(|&k| active[k] && s * data.y()[k] < 0.0)
            .map(|k| (k, nf * dot(&b, data.x(k)) / data.y()[k].abs()))
            .min_by(|a, c| a.1.total_cmp(&c.1));
        match next {
            None => return Some((phi(&b, &e).ln() - (2.0 * ne).ln() - ne * t, e)),
            Some((k, sig)) => {
                let b1: Vec<f64> = b.iter().zip(&e).map(|(bi, ei)| bi + sig * ei).collect();
                t += (phi(&b1, &e).ln() - phi(&b, &e).ln()) / ne;
                // the coordinate sits exactly on 0 from now on
                let z = dot(&b1, data.x(k));
                b = b1.iter().zip(data.x(k)).map(|(bi, xi)| bi - z * xi).collect();
                active[k] = false;
            }
        }
    }
}

/// `s_j` of a side: `+1` for the positive labels (`S+,1`), `-1` for the negative ones.
fn sign_of(side: LabelSign) -> f64 {
    match side {
        LabelSign::Positive => 1.0,
        LabelSign::Negative => -1.0,
    }
}

/// `(j, C_j)` ([`lambda_free_offset`]) for the neurons `set` of `side` (`S+,1` or `S-,1`), from
/// the initial directions `directions.w[j] = g_j`. Needs orthogonal inputs (the process is that
/// of orthonormal inputs) and a non-empty set.
pub fn offsets(
    data: &Dataset,
    directions: &Params,
    set: &[usize],
    side: LabelSign,
) -> Result<Vec<(usize, f64)>, LambdaFreeError> {
    check_orthogonal(data)?;
    if set.is_empty() {
        return Err(LambdaFreeError::EmptySet { side });
    }
    set.iter()
        .map(|&j| {
            let g = directions.w.get(j).ok_or(LambdaFreeError::IndexOutOfRange { neuron: j, m: directions.m() })?;
            lambda_free_offset(g, sign_of(side), data)
                .map(|(c, _)| (j, c))
                .ok_or(LambdaFreeError::Inactive { neuron: j })
        })
        .collect()
}

/// The `lambda`-free minimum-norm interpolator `theta*` of Lemma 12 (width `directions.m()`):
/// the shares of `n|D+|` among `s_plus_1` (and of `n|D-|` among `s_minus_1`) are `exp(2 C_j)`
/// normalised, `C_j` from [`lambda_free_offset`] (the neurons of one set leave the early phase
/// aligned with the same vector and with the same activation pattern, so they grow at the same
/// rate afterwards and keep the ratios of their norms), placed by [`theta_star`]. Needs
/// orthogonal inputs and both sets non-empty (Assumption 3).
pub fn predicted_theta_star(
    data: &Dataset,
    directions: &Params,
    s_plus_1: &[usize],
    s_minus_1: &[usize],
) -> Result<Params, LambdaFreeError> {
    let shares = |set: &[usize], side: LabelSign| -> Result<Vec<(usize, f64)>, LambdaFreeError> {
        let c = offsets(data, directions, set, side)?;
        let top = c.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        Ok(c.into_iter().map(|(j, c)| (j, (2.0 * (c - top)).exp())).collect())
    };
    let plus = shares(s_plus_1, LabelSign::Positive)?;
    let minus = shares(s_minus_1, LabelSign::Negative)?;
    Ok(theta_star(data, directions.m(), &plus, &minus)?)
}

/// The `lambda -> 0` limit `c` of the offset `t_half |D| - ln(1/lambda)` of the half-fit time of
/// `side`'s labels (`|D| = |D+|` or `|D-|`, `K = n|D|`, `set` = `S+,1` or `S-,1`): while the set's
/// neurons are aligned and before the fit, `u = sum |w_j|^2 ~ lambda^2 exp(2|D| t) sum exp(2 C_j)`,
/// and the fit follows the logistic law `u' = 2|D|(1 - u/K) u` (Lemma 3; exact for aligned
/// neurons on orthonormal inputs), whose half time is then `t_half = (ln(1/lambda) + c)/|D|`,
/// `c = (ln K - ln sum exp(2 C_j)) / 2`.
pub fn predicted_fit_offset(
    data: &Dataset,
    directions: &Params,
    set: &[usize],
    side: LabelSign,
) -> Result<f64, LambdaFreeError> {
    let d = match side {
        LabelSign::Positive => d_plus_norm(data),
        LabelSign::Negative => d_minus_norm(data),
    };
    let k = d * data.n() as f64;
    let c = offsets(data, directions, set, side)?;
    let top = c.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let lse = top + c.iter().map(|p| (2.0 * (p.1 - top)).exp()).sum::<f64>().ln() / 2.0;
    Ok((k.ln() / 2.0) - lse)
}

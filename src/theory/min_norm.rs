//! Proposition 1: the orthogonality test of the closed forms, the vectors `v+`, `v-`, the
//! minimum norm of an interpolator and its minimisers.

use super::{LabelSign, ORTHOGONALITY_TOLERANCE, TheoryError, n_minus, n_plus};
use crate::data::Dataset;
use crate::numerics::{dot, stable_norm};
use crate::params::Params;

/// `Ok(())` iff the inputs are pairwise orthogonal up to [`ORTHOGONALITY_TOLERANCE`]
/// (`|<x_k, x_l>| <= tol |x_k| |x_l|` for `k != l`; zero inputs are orthogonal to everything).
/// The error names the first offending pair.
pub fn check_orthogonal(data: &Dataset) -> Result<(), TheoryError> {
    let norms: Vec<f64> = (0..data.n()).map(|k| stable_norm(data.x(k))).collect();
    for k in 0..data.n() {
        for l in k + 1..data.n() {
            let ip = dot(data.x(k), data.x(l)).abs();
            let scale = norms[k] * norms[l];
            // Where the products leave the f64 range (`inf > tol * inf` and `0 > tol * 0` are both
            // false), compare the unit vectors instead.
            let cosine = if ip.is_finite() && scale.is_finite() && scale >= 1e-280 {
                if ip <= ORTHOGONALITY_TOLERANCE * scale {
                    continue;
                }
                ip / scale
            } else if norms[k] == 0.0 || norms[l] == 0.0 {
                continue;
            } else {
                let unit = |k: usize| -> Vec<f64> { data.x(k).iter().map(|v| v / norms[k]).collect() };
                let c = dot(&unit(k), &unit(l)).abs();
                if c <= ORTHOGONALITY_TOLERANCE {
                    continue;
                }
                c
            };
            return Err(TheoryError::NotOrthogonal { k, l, cosine });
        }
    }
    Ok(())
}

/// `sum_{k : y_k has sign} y_k x_k / |x_k|^2` for orthogonal inputs (checked).
fn side_vector(data: &Dataset, keep: impl Fn(f64) -> bool) -> Result<Vec<f64>, TheoryError> {
    check_orthogonal(data)?;
    let mut out = vec![0.0; data.d()];
    for (k, &y) in data.y().iter().enumerate() {
        if !keep(y) {
            continue;
        }
        let x = data.x(k);
        let nx = stable_norm(x);
        if nx == 0.0 {
            return Err(TheoryError::ZeroInputWithLabel { k, y });
        }
        // y x / |x|^2, computed as (y/|x|) (x/|x|) to stay in range.
        let coef = y / nx;
        for (o, xi) in out.iter_mut().zip(x) {
            *o += coef * (xi / nx);
        }
    }
    Ok(out)
}

/// `v+ = sum_{y_k>0} y_k x_k / |x_k|^2`: the direction of every `s_j = +1` neuron of a
/// minimum-norm interpolator (Proposition 1, extended to orthogonal inputs; see [`min_norm_sq`]).
/// For orthonormal inputs `v+ = n D+`.
///
/// Requirements: orthogonal inputs ([`check_orthogonal`]); no zero input with a positive label.
/// It satisfies `<v+, x_k> = y_k` for `y_k > 0` and `<v+, x_k> = 0` otherwise.
pub fn v_plus(data: &Dataset) -> Result<Vec<f64>, TheoryError> {
    side_vector(data, |y| y > 0.0)
}

/// `v- = -sum_{y_k<0} y_k x_k / |x_k|^2 = sum_{y_k<0} |y_k| x_k / |x_k|^2`: the direction of every
/// `s_j = -1` neuron of a minimum-norm interpolator (Proposition 1). For orthonormal inputs
/// `v- = -n D-`. It satisfies `<v-, x_k> = -y_k > 0` for `y_k < 0`, `0` otherwise.
///
/// Requirements as [`v_plus`].
pub fn v_minus(data: &Dataset) -> Result<Vec<f64>, TheoryError> {
    let mut v = side_vector(data, |y| y < 0.0)?;
    v.iter_mut().for_each(|x| *x = -*x);
    Ok(v)
}

/// `min_{theta : L(theta) = 0} |theta|^2` (Proposition 1, Appendix C), for orthogonal inputs that
/// need not be unit-norm:
///
/// `2 |sum_{y_k>0} y_k x_k / |x_k|^2| + 2 |sum_{y_k<0} y_k x_k / |x_k|^2|
///  = 2 sqrt(sum_{y_k>0} y_k^2 / |x_k|^2) + 2 sqrt(sum_{y_k<0} y_k^2 / |x_k|^2)`,
///
/// which for orthonormal inputs is Proposition 1's `2n(|D+| + |D-|) = 2 sqrt(sum_{y>0} y^2) +
/// 2 sqrt(sum_{y<0} y^2)`.
///
/// Derivation for non-unit-norm inputs: write `x_k = |x_k| u_k` with `u_k` orthonormal. Since ReLU
/// is positively homogeneous, `h(x_k) = |x_k| h(u_k)`, so `theta` interpolates `(x_k, y_k)` iff it
/// interpolates `(u_k, y_k / |x_k|)` on orthonormal inputs, where Proposition 1 applies with labels
/// `y_k / |x_k|`: the minimum is `2 sqrt(sum_{y>0} y_k^2/|x_k|^2) + 2 sqrt(sum_{y<0} y_k^2/|x_k|^2)`,
/// and the `s_j = +1` neurons of a minimiser point along `sum_{y>0} (y_k/|x_k|) u_k =
/// sum_{y>0} y_k x_k / |x_k|^2 =: v+` ([`v_plus`]). Directly: the interpolator needs
/// `a_j = |w_j|`, `w_j = t_j v+/|v+|` and, for each positive `k`,
/// `sum_j |w_j| <w_j, x_k> = (sum_j t_j^2) <v+, x_k> / |v+| = (sum_j t_j^2) y_k / |v+| = y_k`, so
/// `sum_j |w_j|^2 = |v+|` and the `+` side costs `sum_j a_j^2 + |w_j|^2 = 2|v+|`; the negative side
/// is the same with `v-` ([`v_minus`]), and the two sides do not interact because `<v+, x_k> = 0`
/// on negative labels and `<v-, x_k> = 0` on positive ones. By orthogonality
/// `|v+|^2 = sum_{y>0} y_k^2 / |x_k|^2`.
///
/// Requirements / `None`: inputs orthogonal up to [`ORTHOGONALITY_TOLERANCE`] (otherwise `None`;
/// [`check_orthogonal`] says which pair fails), and no zero input with a non-zero label (no
/// interpolator exists then), and a minimum that overflows `f64` (labels over input norms beyond
/// about `1e308`) is `None` too, never infinity. Points with label 0 are allowed and cost nothing. Missing label
/// signs are allowed (that side contributes 0). Any width `m >= 2` attains it (`m >= 1` if one
/// side is empty); see [`theta_star`].
///
/// ```
/// use reluflow::{Dataset, theory::min_norm_sq};
/// // The Section 5 toy: orthogonal, not unit-norm.
/// let toy = Dataset::new(vec![vec![-0.5, 1.0], vec![2.0, 1.0]], vec![-1.0, 1.0]).unwrap();
/// let expected = 2.0 / 5f64.sqrt() + 2.0 / 1.25f64.sqrt();
/// assert!((min_norm_sq(&toy).unwrap() - expected).abs() < 1e-12);
/// ```
pub fn min_norm_sq(data: &Dataset) -> Option<f64> {
    let vp = v_plus(data).ok()?;
    let vm = v_minus(data).ok()?;
    Some(2.0 * stable_norm(&vp) + 2.0 * stable_norm(&vm)).filter(|v| v.is_finite())
}

fn check_shares(sign: LabelSign, shares: &[(usize, f64)], m: usize, has_labels: bool) -> Result<f64, TheoryError> {
    for (i, &(index, share)) in shares.iter().enumerate() {
        if index >= m {
            return Err(TheoryError::IndexOutOfRange { index, m });
        }
        if !(share.is_finite() && share >= 0.0) {
            return Err(TheoryError::InvalidShare { sign, index, share });
        }
        if shares[..i].iter().any(|&(j, _)| j == index) {
            return Err(TheoryError::RepeatedIndex { sign, index });
        }
    }
    if !has_labels {
        if shares.is_empty() {
            return Ok(0.0);
        }
        return Err(TheoryError::NoLabelsOfSign {
            sign,
            what: "shares were given for that side, but there is nothing to fit",
        });
    }
    if shares.is_empty() {
        return Err(TheoryError::NoShares { sign });
    }
    let total: f64 = shares.iter().map(|s| s.1).sum();
    if total <= 0.0 {
        return Err(TheoryError::ZeroShares { sign });
    }
    Ok(total)
}

/// A minimum-norm interpolator `theta*` of width `m` (Proposition 1, Appendix C; claims P1, L12),
/// for orthogonal inputs (not necessarily unit-norm; see [`min_norm_sq`]).
///
/// Neuron `j` listed in `plus_shares` with share `p_j` (shares normalised to sum 1) gets
/// `w_j = sqrt(p_j |v+|) v+/|v+|` and `a_j = +|w_j|`, with `v+` from [`v_plus`]
/// (`= n D+` for orthonormal inputs: collinear with **+D+**, the paper's text says `-D+`, a sign
/// slip, see `CLAIMS.md`); hence `sum_{plus} |w_j|^2 = |v+|` (`= n|D+|`). Neuron `j` listed in
/// `minus_shares` gets `w_j = sqrt(p_j |v-|) v-/|v-|` and `a_j = -|w_j|` with `v-` from
/// [`v_minus`] (along `-D-`), `sum_{minus} |w_j|^2 = |v-|`. All other neurons are zero. The result
/// interpolates (`h(x_k) = y_k`), is balanced, and has `|theta|^2 = `[`min_norm_sq`]. Conversely
/// every minimiser of width `m` is of this form for some choice of sides and shares
/// (Proposition 1's description of the argmin), so the shares span the whole set of minimisers.
///
/// Requirements / errors ([`TheoryError`]): orthogonal inputs (`NotOrthogonal`), no zero input
/// with a non-zero label (`ZeroInputWithLabel`); indices `< m` (`IndexOutOfRange`), each at most
/// once per side (`RepeatedIndex`) and on one side only (`IndexOnBothSides`); shares finite and
/// `>= 0` (`InvalidShare`) with a positive sum (`ZeroShares`); a side with labels needs at least
/// one share (`NoShares`), a side without labels must get none (`NoLabelsOfSign`); `|v+|`, `|v-|`
/// and the result must be finite and non-zero in `f64` (`NotRepresentable`).
///
/// ```
/// use reluflow::{Dataset, theory::{theta_star, min_norm_sq}};
/// let data = Dataset::new(vec![vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0]], vec![3.0, -4.0]).unwrap();
/// let theta = theta_star(&data, 4, &[(0, 1.0), (2, 3.0)], &[(1, 1.0)]).unwrap();
/// assert!((theta.norm_sq() - min_norm_sq(&data).unwrap()).abs() < 1e-12); // 2*3 + 2*4
/// assert_eq!(theta.a[3], 0.0);
/// ```
pub fn theta_star(
    data: &Dataset,
    m: usize,
    plus_shares: &[(usize, f64)],
    minus_shares: &[(usize, f64)],
) -> Result<Params, TheoryError> {
    let vp = v_plus(data)?;
    let vm = v_minus(data)?;
    let plus_total = check_shares(LabelSign::Positive, plus_shares, m, n_plus(data) > 0)?;
    let minus_total = check_shares(LabelSign::Negative, minus_shares, m, n_minus(data) > 0)?;
    if let Some(&(index, _)) = plus_shares.iter().find(|(i, _)| minus_shares.iter().any(|(j, _)| j == i)) {
        return Err(TheoryError::IndexOnBothSides { index });
    }
    // labels so small (or large) against their inputs that |v+| or |v-| leaves the f64 range
    // would give w_j = 0 * inf = NaN below
    for (what, v, shares) in [("|v+|", &vp, plus_shares), ("|v-|", &vm, minus_shares)] {
        let nv = stable_norm(v);
        let representable = nv.is_normal() && nv.sqrt().is_normal();
        if !shares.is_empty() && !representable {
            return Err(TheoryError::NotRepresentable { what, value: nv });
        }
    }
    let d = data.d();
    let mut theta = Params { a: vec![0.0; m], w: vec![vec![0.0; d]; m] };
    let mut place = |shares: &[(usize, f64)], total: f64, v: &[f64], s: f64| {
        let nv = stable_norm(v);
        for &(j, share) in shares {
            let mass = share / total * nv; // |w_j|^2
            let t = (share / total / nv).sqrt(); // w_j = t v, |w_j| = sqrt(mass)
            theta.a[j] = s * mass.sqrt();
            theta.w[j] = v.iter().map(|x| t * x).collect();
        }
    };
    if !plus_shares.is_empty() {
        place(plus_shares, plus_total, &vp, 1.0);
    }
    if !minus_shares.is_empty() {
        place(minus_shares, minus_total, &vm, -1.0);
    }
    if let Some(&value) = theta.a.iter().chain(theta.w.iter().flatten()).find(|v| !v.is_finite()) {
        return Err(TheoryError::NotRepresentable { what: "an entry of theta_star", value });
    }
    Ok(theta)
}

/// The width-2 minimum-norm interpolator of Proposition 1's proof (Appendix C): neuron 0 is the
/// whole `s = +1` side (along `v+`, `+D+` for orthonormal inputs), neuron 1 the whole `s = -1`
/// side (along `v-`, `-D-`). Same as `theta_star(data, 2, &[(0, 1.0)], &[(1, 1.0)])`.
///
/// Requirements: those of [`theta_star`], and labels of both signs (`NoLabelsOfSign`
/// otherwise; use [`theta_star`] with empty shares for a missing side).
///
/// ```
/// use reluflow::{Dataset, theory::theta_star_width_two};
/// let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![4.0, -1.0]).unwrap();
/// let theta = theta_star_width_two(&data).unwrap();
/// assert_eq!(theta.a, vec![2.0, -1.0]);
/// assert_eq!(theta.w, vec![vec![2.0, 0.0], vec![0.0, 1.0]]);
/// ```
pub fn theta_star_width_two(data: &Dataset) -> Result<Params, TheoryError> {
    theta_star(data, 2, &[(0, 1.0)], &[(1, 1.0)])
}

//! NO (Section 3.2): nearly orthogonal inputs behave as orthonormal ones for Theorem 1's
//! conclusions ([`check_no`] on the ladders of [`simulate_no_ladder`]).

use super::{
    GapPoint, Integrator, Ladder, UNTIL_LOSS, eps_of, no_rungs, norm_excess_points, simulate_ladder,
    simulate_ladder_with, trend_verdicts, zero_loss_part,
};
use crate::Instance;
use crate::claims::{ClaimId, Verdict};
use crate::data::Dataset;
use crate::numerics::{dot, norm};
use crate::seeds::{self, Stream};
use crate::solver::SimulationError;
use crate::theory;
use rand::RngExt;
use rand_distr::StandardNormal;

/// Nearly orthogonal inputs: `x_k + t e_k` with `e_k` i.i.d. standard Gaussian vectors (from
/// `seed`) and `t` chosen so that the first-order change of the Gram matrix,
/// `t c1`, `c1 = max_{k<l} |<x_k, e_l> + <e_k, x_l>|`, equals `delta`. Labels unchanged.
///
/// The off-diagonal Gram entries are `G_kl(t) = <x_k, x_l> + t c1_kl + t^2 <e_k, e_l>`, so with
/// `t = delta / c1`, `|max_{k != l} |G_kl| - delta| <= max |<x_k, x_l>| + delta^2 c2 / c1^2`,
/// `c2 = max_{k<l} |<e_k, e_l>|`. The second term is relative `delta c2 / c1^2`, which is not small
/// when the first-order coefficient `c1` happens to be small (for `n = 2` a single `N(0, 2)`
/// draw: `|c1| < 0.03` with probability 1.7%; the `PROPTEST_RNG_SEED=2` finding had
/// `max |<x_k, x_l>| = 1.1e-4` at `delta = 1e-4`, perturbation seed 28 of the same inputs gives
/// `13 delta`: not the `delta = lambda` the claim is about).
/// So the draw of `e` is repeated (same stream, so the result is still a function of `seed`)
/// until `c1^2 >= c2 / 100`, which bounds the second-order term by a relative `100 delta` (`1%` at
/// `delta = 1e-4`, `1e-6` at `1e-8`); the first term, the rounding of the orthonormal inputs
/// (`~1e-16`), is a relative `1e-4` at `delta = 1e-12`. [`max_offdiag_inner`] reports the
/// result. (After 64 draws the one with the largest `c1^2 / c2` is taken. Measured on
/// `ladder_shape` inputs: the first draw is redrawn for 5% of the seeds at `n = 2`, 0.05% at
/// `n = 3`, none at `n = 4`; every other seed keeps its first draw, i.e. the perturbation it had
/// before the redraw was introduced.)
pub fn nearly_orthogonal(data: &Dataset, delta: f64, seed: u64) -> Dataset {
    let (n, d) = (data.n(), data.d());
    let mut rng = seeds::rng(seed, Stream::InputPerturbation);
    // (e, c1, c2) of a draw
    let mut draw = || {
        let e: Vec<f64> = (0..n * d).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
        let ek = |k: usize| &e[k * d..(k + 1) * d];
        let (mut c1, mut c2) = (0.0f64, 0.0f64);
        for k in 0..n {
            for l in k + 1..n {
                c1 = c1.max((dot(data.x(k), ek(l)) + dot(ek(k), data.x(l))).abs());
                c2 = c2.max(dot(ek(k), ek(l)).abs());
            }
        }
        (e, c1, c2)
    };
    let quality = |c1: f64, c2: f64| if c2 > 0.0 { c1 * c1 / c2 } else { f64::INFINITY };
    let mut best = draw();
    for _ in 1..64 {
        if quality(best.1, best.2) >= 0.01 {
            break;
        }
        let next = draw();
        if quality(next.1, next.2) > quality(best.1, best.2) {
            best = next;
        }
    }
    let (e, lin, _) = best;
    let t = if lin > 0.0 { delta / lin } else { 0.0 };
    let x: Vec<f64> = data.x_flat().iter().zip(&e).map(|(x, e)| x + t * e).collect();
    Dataset::from_flat(n, d, x, data.y().to_vec()).expect("a small perturbation of a valid dataset is valid")
}

/// `max_{k != l} |<x_k, x_l>|`.
pub fn max_offdiag_inner(data: &Dataset) -> f64 {
    let mut m = 0.0f64;
    for k in 0..data.n() {
        for l in k + 1..data.n() {
            m = m.max(dot(data.x(k), data.x(l)).abs());
        }
    }
    m
}

/// A NO ladder: gradient descent at steps `eta` and `eta/2` on the perturbed inputs, and the
/// flow on the orthonormal inputs they perturb (the reference), on each rung.
#[derive(Clone, Debug)]
pub struct NoLadder {
    /// Step `eta / 2` on the perturbed inputs (the runs judged).
    pub fine: Ladder,
    /// Step `eta` on the perturbed inputs (for the step resolution).
    pub coarse: Ladder,
    /// The flow on the orthonormal inputs, same `lambda` and initialisation seed.
    pub orth: Ladder,
    /// `max_{k != l} |<x_k, x_l>|` per rung.
    pub deltas: Vec<f64>,
    /// `max_k |x_k - x_k^orth|` per rung.
    pub shifts: Vec<f64>,
}

/// Runs the NO ladder: on rung `lambda`, the inputs of `instance` (orthonormal) perturbed by
/// [`nearly_orthogonal`] with `delta = delta_of(lambda)` (perturbation seed `seed`), the same
/// initialisation seed, gradient descent with steps `eta` and `eta/2` to `L < UNTIL_LOSS`; and
/// the flow on the unperturbed inputs. (Gradient descent on the perturbed inputs because the flow
/// stops there with `SimulationError::SlidingMode`: a coordinate that reached 0 is pushed back
/// onto 0 from both sides by the `delta`-small coupling.)
pub fn simulate_no_ladder(
    instance: &Instance,
    lambdas: &[f64],
    delta_of: impl Fn(f64) -> f64,
    seed: u64,
    eta: f64,
) -> Result<NoLadder, SimulationError> {
    let base = &instance.data;
    let make = |l: f64| Instance { data: nearly_orthogonal(base, delta_of(l), seed), ..instance.with_lambda(l) };
    let fine = simulate_ladder_with(lambdas, make, Integrator::Gd { step: eta / 2.0 }, UNTIL_LOSS)?;
    let coarse = simulate_ladder_with(lambdas, make, Integrator::Gd { step: eta }, UNTIL_LOSS)?;
    let orth = simulate_ladder(instance, lambdas)?;
    let deltas = fine.rungs.iter().map(|r| max_offdiag_inner(&r.data)).collect();
    let d = base.d();
    let shifts = fine
        .rungs
        .iter()
        .map(|r| {
            let x = r.data.x_flat();
            (0..base.n())
                .map(|k| {
                    let diff: Vec<f64> = x[k * d..(k + 1) * d].iter().zip(base.x(k)).map(|(a, b)| a - b).collect();
                    norm(&diff)
                })
                .fold(0.0, f64::max)
        })
        .collect();
    Ok(NoLadder { fine, coarse, orth, deltas, shifts })
}

/// **NO (Section 3.2)**: nearly orthogonal inputs, `max_{k != l}|<x_k, x_l>| = delta = lambda` on
/// each rung of [`NO_LADDER`](super::NO_LADDER), behave as orthonormal ones for the conclusions of Theorem 1.
///
/// Finite statement, every part required:
/// 1. *zero loss* ([`latest_stop`](super::latest_stop) `<= 1`): gradient descent (both steps) reaches `L < UNTIL_LOSS` before the
///    [`derived_horizon`](super::derived_horizon) on every rung (and so does the orthonormal reference, the flow on the unperturbed
///    inputs with the same `lambda` and initialisation);
/// 2. *the minimum norm as `lambda -> 0`*: the envelope `max(perturbed excess, orthonormal
///    excess)` of the relative norm excesses over Proposition 1's minimum `M0` of the unperturbed
///    inputs follows T1's ladder judgement (`kappa = eps/31`, positive fitted exponent; module
///    docs), resolution the sum of both; so the perturbed excess is squeezed to 0 at Lemma 12's
///    rate and cannot stall above the orthonormal one;
/// 3. at the smallest `lambda`, T1's bound (Lemma 12's radius; weak at `1e-12`, stated for
///    uniformity).
///
/// The perturbed excess is the Richardson extrapolation `2 e(eta/2) - e(eta)` of gradient
/// descent's excesses to step 0 (descent is first order in `eta`; measured: the extrapolation
/// matches the flow to `~3e-6` where the two steps differ by `6e-5`). Its resolution:
/// [`norm_excess_points`] plus
/// - `|e(eta) - e(eta/2)|`, the size of the extrapolated first-order term;
/// - `sqrt(2n) Delta`, `Delta = max_k |x_k - x_k^orth|`: the perturbed data's own minimum norm
///   differs from `M0`. One side is proved: an interpolator `theta` of the perturbed data, applied
///   to the base inputs, is off by at most `|theta|^2 Delta / 2` per point (ReLU is 1-Lipschitz,
///   `2|a_j||w_j| <= a_j^2 + |w_j|^2`), so it interpolates labels `y + r` with
///   `|r| <= sqrt(n) |theta|^2 Delta / 2`; Proposition 1's minimum `2|v+| + 2|v-|` moves by at
///   most `2 sqrt(2) |r|` when the labels move by `r`, so `|theta|^2 >= M0 (1 - sqrt(2n) Delta)`.
///   The other side is the same bound to first order. (Measured excesses at `delta = 1e-4` go
///   down to `-4 delta`.)
/// - `(4 S(eta/2) + 2 S(eta)) / M0`, `S` = [`Rung::overshoot_sq`](super::Rung::overshoot_sq): gradient descent's overshoots
///   past 0 at deactivations, which the extrapolation does not remove. On these inputs the
///   `delta`-coupling can bring a frozen coordinate `<w_j, x_k>` (inactive: no gradient from
///   `x_k`) back to 0 while the neuron is large; the flow then stays on 0 (a sliding mode where
///   both sides push it back, the reason NO runs gradient descent at all), but one descent step
///   throws it to about `-eta |a_j r_k| |x_k|^2 / n`, where it stays frozen. A frozen component
///   `zeta` along `x_k/|x_k|` of a balanced neuron that carries the output `s` on its other points
///   (`a_j^2 = W^2 + zeta^2`, `a_j W = s`) costs `|theta_j|^2 - 2s = sqrt(zeta^4 + 4s^2) - 2s +
///   zeta^2`, between `zeta^2` and `2 zeta^2`, whatever the split of the fitted mass among the
///   neurons (the minimum norm does not depend on it). Whether a step lands past 0, and how far,
///   changes with `eta` (a fraction of a step; a crossing in one run and not in the other), so this
///   cost `T(eta) in [0, 2 S(eta)]` is neither first order nor smooth in `eta`: the extrapolation
///   carries `|2 T(eta/2) - T(eta)| <= 4 S(eta/2) + 2 S(eta)`, which `|e(eta) - e(eta/2)|` does not
///   bound. Every crossing from `> 0` to `<= 0` is counted (also the early ones at the scale of
///   `lambda`, negligible, and crossings the flow makes too, which only over-count), so the term
///   is an upper bound. Measured (`PROPTEST_RNG_SEED=2`, `n = 2`, `d = 2`, `m = 12`,
///   `lambda = delta = 1e-12`): an `S+,1` neuron's coordinate on the negative point, `-1.03
///   lambda` at the start, is lifted by the coupling to `-3.4e-15` by the end of the positive fit
///   (`-4.1e-13` at `lambda = 1e-10`: the margin is a near-cancellation) and reaches 0 during the
///   negative fit, when `|w_j| = 1.03`; the step `eta/2 = 0.01` throws it to `-2.54e-3`, the step
///   `eta` never crosses. Excesses `1.88e-6` (`eta/2`) and `-1.2e-8` (`eta`): extrapolated
///   `3.78e-6` against `|e(eta) - e(eta/2)| = 1.9e-6`; the overshoot term is `7.6e-6`.
///
/// Why the envelope rather than T1's judgement of the perturbed excess alone: the
/// `delta`-coupling moves inactive coordinates by about `(delta/lambda) lambda^(1-q)` relative to
/// their size (for a neuron growing at rate `q |D|` while the labels are fitted), which for `q`
/// close to 1 and moderate `lambda` activates a partial neuron on the rest of its labels
/// (measured: `y = (1.84, -0.58, 0.78)`, a neuron with `<g, x_3> = -0.048`, activated on every
/// rung down to `1e-12`). That lowers the excess below the orthonormal one by an amount that fades
/// as `lambda -> 0`, so the perturbed excess alone can grow down a finite ladder (from `7.5e-5` to
/// `1.4e-4` there) while staying far below the orthonormal one (`2e-2` to `1.2e-3`). Conversely at
/// `lambda = 1e-4` a perturbed excess can exceed the orthonormal one by a few percent (measured:
/// `6.23e-2` vs `5.92e-2`) and then shrink with it.
pub fn check_no(nl: &NoLadder) -> Verdict {
    let id = ClaimId::NO;
    let (Some(orth_first), Some(last)) = (nl.orth.rungs.first(), nl.fine.last()) else {
        return no_rungs(id);
    };
    if [nl.coarse.rungs.len(), nl.orth.rungs.len(), nl.deltas.len(), nl.shifts.len()] != [nl.fine.rungs.len(); 4] {
        return Verdict::failed(id, "the NO ladders, deltas and shifts do not have one entry per rung each");
    }
    let base = &orth_first.data;
    let Some(m) = theory::min_norm_sq(base) else {
        return Verdict::failed(id, "NO needs orthonormal base inputs");
    };
    let eps = eps_of(base);
    let signed = |l: &Ladder, i: usize| l.rungs[i].final_params.norm_sq() / m - 1.0;
    let root_2n = (2.0 * base.n() as f64).sqrt();
    let extra: Vec<f64> = (0..nl.fine.rungs.len())
        .map(|i| {
            (signed(&nl.coarse, i) - signed(&nl.fine, i)).abs()
                + root_2n * nl.shifts[i]
                + (4.0 * nl.fine.rungs[i].overshoot_sq + 2.0 * nl.coarse.rungs[i].overshoot_sq) / m
        })
        .collect();
    // Richardson extrapolation of the first-order method to step 0: 2 e(eta/2) - e(eta)
    let pert: Vec<GapPoint> = norm_excess_points(&nl.fine, m, &extra)
        .into_iter()
        .enumerate()
        .map(|(i, p)| GapPoint { gap: (2.0 * signed(&nl.fine, i) - signed(&nl.coarse, i)).abs(), ..p })
        .collect();
    let orth = norm_excess_points(&nl.orth, m, &[]);
    let mut parts = Vec::new();
    let worst_loss = [&nl.fine, &nl.coarse, &nl.orth]
        .iter()
        .flat_map(|l| l.rungs.iter().map(|r| r.summary.final_loss))
        .fold(0.0, f64::max);
    let ds: Vec<String> = nl.deltas.iter().map(|d| format!("{d:.1e}")).collect();
    parts.push(zero_loss_part(
        id,
        [&nl.fine, &nl.coarse, &nl.orth].into_iter().flat_map(|l| &l.rungs),
        format!(
            "zero loss on inputs with max |<x_k, x_l>| = [{}]: every rung (gradient descent, steps {} and {}, and the \
             flow on the orthonormal inputs) reaches L < {UNTIL_LOSS:.0e} before its derived horizon (worst final L \
             {worst_loss:.2e})",
            ds.join(", "),
            match nl.coarse.rungs[0].integrator {
                Integrator::Gd { step } => step,
                Integrator::Flow { .. } => f64::NAN,
            },
            match nl.fine.rungs[0].integrator {
                Integrator::Gd { step } => step,
                Integrator::Flow { .. } => f64::NAN,
            },
        ),
    ));
    let pairs: Vec<String> = pert.iter().zip(&orth).map(|(p, o)| format!("{:.2e}/{:.2e}", p.gap, o.gap)).collect();
    let envelope: Vec<GapPoint> = pert
        .iter()
        .zip(&orth)
        .map(|(p, o)| GapPoint { x: p.x, gap: p.gap.max(o.gap), floor: p.floor + o.floor })
        .collect();
    parts.extend(trend_verdicts(
        id,
        &format!("max(perturbed, orthonormal) norm excess (pairs [{}])", pairs.join(", ")),
        &envelope,
        eps / 31.0,
        "ln(1/lambda)",
        true,
    ));
    let delta = theory::ln_lemma12_distance_bound(last.lambda.ln(), eps).exp();
    let bound = (2.0 * delta * m.sqrt() + delta * delta) / m;
    let p = pert.last().expect("non-empty");
    parts.push(Verdict::at_most(
        id,
        p.gap,
        bound.max(p.floor),
        format!(
            "at lambda = {:.0e}: perturbed excess {:.2e} <= max(T1's bound {bound:.3e} (Lemma 12 radius {delta:.3}), rho {:.1e})",
            last.lambda, p.gap, p.floor
        ),
    ));
    Verdict::all(id, parts)
}

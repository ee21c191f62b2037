//! AL (eqs. (9)-(10)): early alignment, neurons with the same activation pattern point the same
//! way at the end of phase 1, judged on one state of a [`PhaseOne`].

use super::directions::{cosine_to_input, direction, one_minus_cos};
use super::{DEACTIVATION_TOL, PhaseOne};
use crate::claims::{ClaimId, Verdict};
use crate::numerics::{ln_or_zero, norm};
use crate::params::ScaledParams;
use crate::trajectory::Checkpoint;

// ---------------------------------------------------------------------------------------------
// AL
// ---------------------------------------------------------------------------------------------

/// A group of neurons with the same sign and activation pattern, and its predicted direction.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternGroup {
    /// `s_j` (sign of `a_j(0)`).
    pub sign: f64,
    /// `active[k]`: `<w_j, x_k> > DEACTIVATION_TOL |w_j| |x_k|`.
    pub active: Vec<bool>,
    /// The neurons.
    pub members: Vec<usize>,
    /// `|D_G| = |(1/n) sum_{k active, s y_k > 0} |y_k| x_k|`: the speed of the sphere flow (10).
    pub drive: f64,
    /// `u_G`, the unit vector of that sum (empty if `drive = 0`).
    pub direction: Vec<f64>,
}

/// The groups of neurons with the same `(s_j, activation pattern on the data)` at `state`.
pub fn pattern_groups(run: &PhaseOne, state: &ScaledParams) -> Vec<PatternGroup> {
    let (n, data) = (run.data.n(), &run.data);
    let mut groups: Vec<PatternGroup> = Vec::new();
    for j in 0..state.m() {
        let sign = if run.initial.a_hat(j) >= 0.0 { 1.0 } else { -1.0 };
        let active: Vec<bool> = (0..n).map(|k| cosine_to_input(state, j, data, k) > DEACTIVATION_TOL).collect();
        if let Some(g) = groups.iter_mut().find(|g| g.sign == sign && g.active == active) {
            g.members.push(j);
            continue;
        }
        let mut v = vec![0.0; data.d()];
        for k in (0..n).filter(|&k| active[k] && sign * data.y()[k] > 0.0) {
            for (vi, xi) in v.iter_mut().zip(data.x(k)) {
                *vi += data.y()[k].abs() * xi;
            }
        }
        let drive = norm(&v) / n as f64;
        let direction = if drive > 0.0 { direction(&v) } else { Vec::new() };
        groups.push(PatternGroup { sign, active, members: vec![j], drive, direction });
    }
    groups
}

/// The two parts of the AL check at one state.
#[derive(Clone, Debug, PartialEq)]
pub struct AlParts {
    /// (a) worst `ln(1 - cos(w_j, D_G))` over the members of the covered groups against
    /// `ln(delta_G)`.
    pub direction: Verdict,
    /// (b) worst `ln(1 - cos(w_i, w_j))` over pairs in the same covered group against
    /// `ln(4 delta_G - 2 delta_G^2)`; `None` if no covered group has two members.
    pub pairwise: Option<Verdict>,
}

impl AlParts {
    /// (a), then (b) if any (for [`Verdict::all`]).
    pub fn parts(&self) -> Vec<Verdict> {
        std::iter::once(self.direction.clone()).chain(self.pairwise.clone()).collect()
    }
}

/// Early alignment / quantisation (claim AL, eqs. (9)-(10)) at `state`, with the bounds of the
/// end of phase 1, `T = t-1` (negative controls pass earlier states).
///
/// Grouping: neurons with the same `s_j` and the same activation pattern
/// `{k : <w_j, x_k> > 0}` at `state` ("> 0" read as `> DEACTIVATION_TOL |w_j||x_k|`). A group's
/// driving vector is `D_G = (1/n) sum_{k active, s_j y_k > 0} |y_k| x_k` (the `h = 0` vector
/// `s_j D^0_j` of (10) restricted to the coordinates it grows); groups with `D_G = 0` (neurons
/// inactive on every label they could fit: the sphere flow (10) has nothing to ascend, their
/// direction is frozen by Lemma 6) are not covered by the claim and skipped.
///
/// Finite statement, per covered group `G` with `delta_G = 2 exp(-|D_G| T)`:
/// (a) each member: `1 - cos(w_j, D_G) <= delta_G` (alignment with the common direction);
/// (b) each pair of members: `1 - cos(w_i, w_j) <= 4 delta_G - 2 delta_G^2` (the collapse).
///
/// Tolerance, derived as Lemma 7 (ii) is: along (9) with `h ~ 0` (all norms `<= 2 c
/// lambda^(1 - r eps)` up to `t-1`, Lemma 8 (i)), the coordinates `s_j y_k > 0` that are active
/// at `T` were active since 0 and the inactive ones never moved (Lemma 6), so
/// `f = <w_j/|w_j|, u_G>` obeys `f' >= |D_G| (1 - f^2) - O(m c^2 lambda^(2(1 - r eps)))` (the
/// still-active wrong-sign coordinates only add a non-negative term), `f(0) >= 0`, whence
/// `f(T) >= tanh(a T) >= 1 - 2 exp(-2 a T)` with `a -> |D_G|`. Lemma 7 (ii) states this with the
/// exponent halved, `2 lambda^eps = 2 exp(-|D+| t+1)`, to absorb the `h` corrections; `delta_G`
/// is exactly that form with `D+`, `t+1` replaced by `D_G`, `T` (for `S+,1` at `T = t+1` it is
/// Lemma 7 (ii) itself). (b) follows from (a) by the triangle inequality on angles
/// (`theta <= arccos(1 - delta)`, `1 - cos(2 theta) = 4 delta - 2 delta^2`). With
/// `eps = eps_for(AL, ..)` the smallest `delta_G` (the `S+,1` group, `|D_G| = |D+|`) is
/// `2 lambda^(r eps) >= 2 e^LN_RESOLUTION`. Log units; `None` if no group is covered.
///
/// Vacuity: a group with `delta_G >= 1` cannot fail either part (its members have
/// `<w_j, D_G> > 0`, so `1 - cos(w_j, D_G) < 1`; the pair bound is then 2, the largest
/// `1 - cos`); the parts are judged on the groups with `delta_G < 1` and are vacuous when there
/// are none.
pub fn al_parts(run: &PhaseOne, state: &Checkpoint) -> Option<AlParts> {
    let t_end = run.times.t_minus_1;
    let p = &state.params;
    let groups = pattern_groups(run, p);
    let covered: Vec<&PatternGroup> = groups.iter().filter(|g| g.drive > 0.0).collect();
    if covered.is_empty() {
        return None;
    }
    // (margin, measured, bound, description) of the worst member and the worst pair
    type Worst = Option<(f64, f64, f64, String)>;
    fn consider(worst: &mut Worst, measured: f64, bound: f64, what: impl FnOnce() -> String) {
        let margin = bound - measured;
        if worst.as_ref().is_none_or(|w| margin < w.0) {
            *worst = Some((margin, measured, bound, what()));
        }
    }
    // the worst member and pair of the groups whose bound bites (`delta_G < 1`), and of the others
    let (mut member, mut pair): ([Worst; 2], [Worst; 2]) = ([None, None], [None, None]);
    let (mut pairs, mut members, mut biting) = (0usize, 0usize, 0usize);
    for g in &covered {
        let ln_delta = std::f64::consts::LN_2 - g.drive * t_end;
        let delta = ln_delta.exp();
        // delta_G >= 1: (a) cannot bite (1 - cos(w_j, D_G) < 1 for every member: its active
        // coordinates make <w_j, D_G> > 0), nor (b), whose angle bound 2 arccos(1 - delta) is then
        // at least pi (every pair has 1 - cos <= 2 = the bound)
        let bites = delta < 1.0;
        let ln_pair_bound = if bites { ln_delta + (4.0 - 2.0 * delta).ln() } else { 2f64.ln() };
        let slot = usize::from(!bites);
        biting += usize::from(bites);
        let units: Vec<Vec<f64>> = g.members.iter().map(|&j| direction(p.w_hat(j))).collect();
        let pattern: String = g.active.iter().map(|&a| if a { '1' } else { '0' }).collect();
        for (i, &j) in g.members.iter().enumerate() {
            members += 1;
            let gap = ln_or_zero(one_minus_cos(&units[i], &g.direction));
            consider(&mut member[slot], gap, ln_delta, || {
                format!(
                    "neuron {j} (s = {:+}, pattern {pattern}, |D_G| = {:.4}): ln(1 - cos(w_j, D_G)) = {gap:.4} vs \
                     ln(2 exp(-|D_G| T)) = {ln_delta:.4}",
                    g.sign, g.drive
                )
            });
            for (i2, &j2) in g.members.iter().enumerate().skip(i + 1) {
                pairs += 1;
                let gap = ln_or_zero(one_minus_cos(&units[i], &units[i2]));
                consider(&mut pair[slot], gap, ln_pair_bound, || {
                    format!(
                        "pair ({j}, {j2}) (s = {:+}, pattern {pattern}, |D_G| = {:.4}): ln(1 - cos) = {gap:.4} vs \
                         ln(4 delta_G - 2 delta_G^2) = {ln_pair_bound:.4}",
                        g.sign, g.drive
                    )
                });
            }
        }
    }
    let context = format!(
        "state at t = {:.6}, bounds for T = t-1 = {:.6}; {} covered groups ({} with a bound that bites, delta_G < 1), \
         {} neurons, {} pairs ({} groups skipped: no label to fit); eps = {:.5}, ln(lambda) = {:.2}, n = {}, m = {}",
        state.time,
        t_end,
        covered.len(),
        biting,
        members,
        pairs,
        groups.len() - covered.len(),
        run.eps,
        run.ln_lambda,
        run.data.n(),
        p.m()
    );
    // a part is judged on the groups whose bound bites; if there are none, on the others, vacuous
    let judged = |[bites, cannot]: [Worst; 2]| match bites {
        Some(w) => Some((w, false)),
        None => cannot.map(|w| (w, true)),
    };
    let vacuous = "every covered group has delta_G >= 1";
    let ((_, measured, bound, what), all_vacuous) = judged(member).expect("a covered group has a member");
    let direction = Verdict::at_most(
        ClaimId::AL,
        measured,
        bound,
        format!("(a) same pattern => aligned with the group's D_G within 2 exp(-|D_G| T): worst {what}; {context}"),
    )
    .in_log_units()
    .vacuous_if(all_vacuous, vacuous);
    let pairwise = judged(pair).map(|((_, measured, bound, what), all_vacuous)| {
        Verdict::at_most(
            ClaimId::AL,
            measured,
            bound,
            format!("(b) same pattern => pairwise 1 - cos <= 4 delta_G - 2 delta_G^2: worst {what}; {context}"),
        )
        .in_log_units()
        .vacuous_if(all_vacuous, vacuous)
    });
    Some(AlParts { direction, pairwise })
}

/// Claim AL at `state`: [`Verdict::all`] of [`al_parts`] (a) and (b); `None` if no group is covered.
pub fn check_al(run: &PhaseOne, state: &Checkpoint) -> Option<Verdict> {
    al_parts(run, state).map(|p| Verdict::all(ClaimId::AL, p.parts()))
}

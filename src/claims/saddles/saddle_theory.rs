//! [`SaddleTheory`]: the constants of Section 4.1 / Appendix B the saddle-phase checks compare
//! against, for one instance (or one run's evidence) and one `eps`.

use crate::Instance;
use crate::data::Dataset;
use crate::init::NeuronSets;
use crate::numerics::norm;
use crate::params::ScaledParams;
use crate::theory;

/// The theory constants the three checks compare against, for one instance and one `eps`.
///
/// Fields are public so that a negative control can build a deliberately wrong theory (a
/// wrong plateau level, a wrong logistic rate, the labels' sides swapped).
#[derive(Clone, Debug, PartialEq)]
pub struct SaddleTheory {
    /// Number of points `n`.
    pub n: usize,
    /// Number of positive labels `n+`.
    pub n_plus: usize,
    /// Width `m`.
    pub m: usize,
    /// `eps` (Appendix B.2).
    pub eps: f64,
    /// `ln(lambda)`.
    pub ln_lambda: f64,
    /// `c = max_j |g_j|`.
    pub c: f64,
    /// `D+` (Section 4.1).
    pub d_plus: Vec<f64>,
    /// `D-`.
    pub d_minus: Vec<f64>,
    /// `|D+|`.
    pub d_plus_norm: f64,
    /// `|D-|`.
    pub d_minus_norm: f64,
    /// `r = |D+|/|D-|`.
    pub r: f64,
    /// `n|D+|`: the limit of `u+` (Lemma 3 (ii)).
    pub k_plus: f64,
    /// `n|D-|`: the limit of `u-` (Lemma 4 (ii)).
    pub k_minus: f64,
    /// `sum_{y_k<0} |y_k|` (the first-order term of Fact 1's loss band).
    pub sum_abs_negative: f64,
    /// `S+,1` (eq. (5)).
    pub s_plus_1: Vec<usize>,
    /// `S-,1` (eq. (6)).
    pub s_minus_1: Vec<usize>,
    /// Fact 1's plateau level, [`theory::plateau_loss`].
    pub plateau_loss: f64,
    /// The logistic rate `2|D+|` of `u+' = 2|D+|(1 - u+/(n|D+|)) u+` (Section 4.2).
    pub logistic_rate: f64,
    /// `t+1 = -eps ln(lambda)/|D+|` (Lemma 7).
    pub t_plus_1: f64,
    /// `-(1+3eps) ln(lambda)/|D+|` (Lemma 3; also the start of Fact 1's interval).
    pub t2_bound: f64,
    /// `-(1-eps) ln(lambda)/|D-|` (end of Fact 1's interval).
    pub plateau_end: f64,
    /// `-(1+3 r eps) ln(lambda)/|D-|` (Lemma 4).
    pub t3_bound: f64,
}

impl SaddleTheory {
    /// The constants of `instance` for this `eps`, checking the paper's setting: `r > 1` and
    /// `0 < eps <= epsilon_max` (Appendix B.2, as corrected in `CLAIMS.md`).
    pub fn new(instance: &Instance, eps: f64) -> Result<Self, String> {
        let data = &instance.data;
        let eps_max = theory::epsilon_max(data)
            .ok_or_else(|| format!("epsilon_max undefined (r = {:.4} must be > 1, both signs)", theory::r(data)))?;
        if !(eps > 0.0 && eps <= eps_max) {
            return Err(format!("eps = {eps} not in (0, epsilon_max = {eps_max}]"));
        }
        Self::unchecked(instance, eps)
    }

    /// The same formulas for any instance and `eps` (no check of `r > 1` or of `eps`): what a
    /// reader who forgot the label flip would predict (negative controls).
    pub fn unchecked(instance: &Instance, eps: f64) -> Result<Self, String> {
        let init = instance.initialisation().map_err(|e| e.to_string())?;
        Ok(Self::of(&instance.data, &init.params, init.c, instance.ln_lambda(), eps))
    }

    /// The same formulas from the evidence of a run alone: the data, `theta(0)` and `ln(lambda)`
    /// (`c = max_j |w_j(0)| / lambda`, the sets from `theta(0)`), for a trace recorded elsewhere.
    /// No check of `r > 1` or of `eps`.
    pub fn from_initial(data: &Dataset, initial: &ScaledParams, ln_lambda: f64, eps: f64) -> Self {
        let ln_c = (0..initial.m()).map(|j| initial.ln_norm_w(j)).fold(f64::NEG_INFINITY, f64::max) - ln_lambda;
        Self::of(data, initial, ln_c.exp(), ln_lambda, eps)
    }

    fn of(data: &Dataset, initial: &ScaledParams, c: f64, ln_lambda: f64, eps: f64) -> Self {
        let sets = NeuronSets::of(initial, data);
        let (d_plus, d_minus) = (theory::d_plus(data), theory::d_minus(data));
        let (dp, dm) = (norm(&d_plus), norm(&d_minus));
        let n = data.n();
        let r = dp / dm;
        let th = Self {
            n,
            n_plus: theory::n_plus(data),
            m: initial.m(),
            eps,
            ln_lambda,
            c,
            d_plus,
            d_minus,
            d_plus_norm: dp,
            d_minus_norm: dm,
            r,
            k_plus: n as f64 * dp,
            k_minus: n as f64 * dm,
            sum_abs_negative: data.y().iter().filter(|&&y| y < 0.0).map(|y| -y).sum(),
            s_plus_1: sets.s_plus_1,
            s_minus_1: sets.s_minus_1,
            plateau_loss: theory::plateau_loss(data),
            logistic_rate: 2.0 * dp,
            t_plus_1: 0.0,
            t2_bound: 0.0,
            plateau_end: 0.0,
            t3_bound: 0.0,
        };
        th.with_eps(eps)
    }

    /// The same constants with another `eps` (the phase times are recomputed; nothing is
    /// checked: the runner only uses fractions of `epsilon_max`, all admissible).
    pub fn with_eps(&self, eps: f64) -> Self {
        let l = -self.ln_lambda;
        Self {
            eps,
            t_plus_1: eps * l / self.d_plus_norm,
            t2_bound: (1.0 + 3.0 * eps) * l / self.d_plus_norm,
            plateau_end: (1.0 - eps) * l / self.d_minus_norm,
            t3_bound: (1.0 + 3.0 * self.r * eps) * l / self.d_minus_norm,
            ..self.clone()
        }
    }

    /// `lambda^(eps/k)` (never underflows for the `k` used here).
    pub(super) fn lambda_pow(&self, k: f64) -> f64 {
        (self.eps / k * self.ln_lambda).exp()
    }
}

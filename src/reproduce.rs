//! The paper's experiments (Section 5 and Appendix A), reproduced: `reluflow reproduce <name>`.
//!
//! Each experiment returns the numbers it measured (serialisable) and the SVG figures; the
//! measures themselves ([`kinks`], [`plateaus`], [`explained_variance_ratio`],
//! [`relative_movement`]) are public so that claim checks and tests share them.
//!
//! Step sizes: the paper's code trains with torch `MSELoss` (`= 2L`), so its learning rate
//! `1e-3` is a step `2e-3` on the paper's loss `L`, which is what runs here.

use crate::Instance;
use crate::data::Dataset;
use crate::init::{InitKind, InitSpec};
use crate::network::{Model, dot};
use crate::params::Params;
use crate::seeds::{self, Stream};
use crate::solver::StopRule;
use crate::solver::gd::GdConfig;
use crate::theory;
use crate::timeline::{PLATEAU_BAND, phase_timeline};
use crate::trajectory::{SampleSchedule, Trajectory};
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::Serialize;

/// The paper code's learning rate `1e-3` on `MSELoss = 2L`, as a step on `L`.
pub const PAPER_STEP: f64 = 2e-3;

/// Kink positions `-w_j2 / w_j1` of one-dimensional inputs with a bias column (`x = (t, 1)`),
/// for the neurons that carry weight: `|a_j| |w_j1| >= rel * max_j |a_j| |w_j1|` (the slope
/// change of `h` at the kink), clustered: positions closer than `merge` are one kink.
/// Returns the cluster centres in increasing order.
pub fn kinks(params: &Params, rel: f64, merge: f64) -> Vec<f64> {
    let slope_change = |j: usize| params.a[j].abs() * params.w[j][0].abs();
    let biggest = (0..params.m()).map(slope_change).fold(0.0, f64::max);
    let mut pos: Vec<f64> = (0..params.m())
        .filter(|&j| biggest > 0.0 && slope_change(j) >= rel * biggest)
        .map(|j| -params.w[j][1] / params.w[j][0])
        .filter(|p| p.is_finite())
        .collect();
    pos.sort_by(f64::total_cmp);
    let mut clusters: Vec<Vec<f64>> = Vec::new();
    for p in pos {
        match clusters.last_mut() {
            Some(c) if p - c[c.len() - 1] <= merge => c.push(p),
            _ => clusters.push(vec![p]),
        }
    }
    clusters.iter().map(|c| c.iter().sum::<f64>() / c.len() as f64).collect()
}

/// A loss plateau: an interval where the loss stays within `PLATEAU_BAND` (relative) of a level.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Plateau {
    pub start: f64,
    pub end: f64,
    /// The median loss over the interval.
    pub level: f64,
}

/// Intermediate plateaus of a loss curve: maximal runs of samples whose loss stays within a
/// relative band `PLATEAU_BAND` of the run's first value, lasting at least `min_fraction` of the
/// whole duration, strictly below `0.9 L(0)` (so the initial saddle at `theta = 0` does not
/// count), and left downwards before the end of the run (so neither a converged tail nor a
/// final stall counts). Plateaus separated by less than 1% of the duration, at levels within
/// the band, are one plateau.
pub fn plateaus(traj: &Trajectory, min_fraction: f64) -> Vec<Plateau> {
    let s = &traj.samples;
    let (Some(first), Some(last)) = (s.first(), s.last()) else { return Vec::new() };
    let duration = last.time - first.time;
    let top = 0.9 * first.loss;
    let mut out: Vec<Plateau> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let level = s[i].loss;
        if !(level < top && level > 0.0) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < s.len() && (s[j + 1].loss / level - 1.0).abs() <= PLATEAU_BAND {
            j += 1;
        }
        let left_downwards = j + 1 < s.len() && s[j + 1].loss < level;
        if left_downwards && s[j].time - s[i].time >= min_fraction * duration {
            let mut run: Vec<f64> = s[i..=j].iter().map(|x| x.loss).collect();
            run.sort_by(f64::total_cmp);
            let p = Plateau { start: s[i].time, end: s[j].time, level: run[run.len() / 2] };
            match out.last_mut() {
                Some(q) if p.start - q.end <= 0.01 * duration && (p.level / q.level - 1.0).abs() <= PLATEAU_BAND => {
                    q.end = p.end;
                }
                _ => out.push(p),
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Explained-variance ratios (largest first) of the principal components of the rows `w_j`
/// (centred, as a PCA does).
pub fn explained_variance_ratio(w: &[Vec<f64>]) -> Vec<f64> {
    let m = w.len();
    let d = w.first().map_or(0, |r| r.len());
    if m == 0 || d == 0 {
        return Vec::new();
    }
    let mean: Vec<f64> = (0..d).map(|i| w.iter().map(|r| r[i]).sum::<f64>() / m as f64).collect();
    let centred = nalgebra::DMatrix::from_fn(m, d, |j, i| w[j][i] - mean[i]);
    let gram = if m <= d { &centred * centred.transpose() } else { centred.transpose() * &centred };
    let mut eig: Vec<f64> = nalgebra::SymmetricEigen::new(gram).eigenvalues.iter().map(|v| v.max(0.0)).collect();
    eig.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = eig.iter().sum();
    if total == 0.0 { eig } else { eig.into_iter().map(|v| v / total).collect() }
}

/// `|theta_T - theta_0| / |theta_0|`: how far training moved the weights (lazy regime: small).
pub fn relative_movement(start: &Params, end: &Params) -> f64 {
    let diff: f64 = start.a.iter().zip(&end.a).map(|(x, y)| (x - y).powi(2)).sum::<f64>()
        + start.w.iter().flatten().zip(end.w.iter().flatten()).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
    (diff / start.norm_sq()).sqrt()
}

/// One-dimensional inputs `t_k` with a bias column: `x_k = (t_k, 1)`.
pub fn with_bias(t: &[f64], y: &[f64]) -> Dataset {
    Dataset::new(t.iter().map(|&v| vec![v, 1.0]).collect(), y.to_vec()).expect("finite data")
}

/// A figure: its file name and SVG text.
#[derive(Clone, Debug)]
pub struct Figure {
    pub file: String,
    pub svg: String,
}

/// The numbers of the Section 5 toy.
#[derive(Clone, Debug, Serialize)]
pub struct ToyNumbers {
    pub step: f64,
    pub iterations: u64,
    /// `(1/2n) sum_{y<0} y^2 = 0.25` (Fact 1).
    pub plateau_level_theory: f64,
    /// Median loss over the measured plateau.
    pub plateau_level_measured: Option<f64>,
    /// Iteration at which the loss leaves the first saddle (`theta = 0`, `L = 0.5`): first below
    /// `0.5 (1 - PLATEAU_BAND)`.
    pub leaves_first_saddle: Option<u64>,
    /// Iteration at which the loss leaves the plateau: first below `0.25 (1 - PLATEAU_BAND)`.
    pub leaves_second_saddle: Option<u64>,
    pub final_loss: f64,
    /// Kink positions at the end (the paper: -0.5 and 2).
    pub final_kinks: Vec<f64>,
    pub final_param_norm_sq: f64,
    /// Proposition 1 for orthogonal non-unit inputs: `2(1/sqrt5 + 1/sqrt1.25) = 2.683282`.
    pub min_norm_sq: f64,
}

/// Iteration (`time / step`, rounded) of the first sample below `level`.
fn first_below(traj: &Trajectory, level: f64, step: f64) -> Option<u64> {
    traj.samples.iter().find(|s| s.loss < level).map(|s| (s.time / step).round() as u64)
}

/// Section 5, Figures 2-3: the toy, `m = 60`, init std `1e-6/sqrt(60)`, GD with step `2e-3` on
/// `L` (the paper code's torch lr `1e-3` on `MSELoss = 2L`).
pub fn toy(iterations: u64) -> Result<(ToyNumbers, Vec<Figure>), crate::solver::SimulationError> {
    let data = crate::data::generate::toy();
    let m = 60;
    let lambda = 1e-6 / (m as f64).sqrt();
    let step = PAPER_STEP;
    let instance = Instance::balanced(data.clone(), m, lambda, 0);
    let cfg = GdConfig { step, stop: StopRule { max_steps: Some(iterations), ..Default::default() } };
    let schedule = SampleSchedule { every: 10.0 * step, max_samples: 20_000, ..SampleSchedule::default() };
    let (run, traj) = instance.gd(&cfg, schedule.clone())?;
    let tl = phase_timeline(&data, lambda, &traj).expect("a recorded run");
    // the network state at the end of each phase: start, alignment, on the plateau, end
    let aligned = [tl.aligned_plus, tl.aligned_minus].iter().flatten().map(|e| e.time).fold(0.0, f64::max);
    let plateau_mid = match (tl.plateau_entry, tl.plateau_exit) {
        (Some(a), Some(b)) => 0.5 * (a.time + b.time),
        _ => run.summary.time / 2.0,
    };
    let times = vec![0.0, aligned, plateau_mid, run.summary.time];
    let (_, traj2) = instance.gd(&cfg, SampleSchedule { checkpoints: times.clone(), ..schedule })?;
    let mut panels: Vec<(String, Params)> = traj2
        .checkpoints
        .iter()
        .zip(["initialisation", "end of early alignment", "intermediate saddle", "end of training"])
        .map(|(cp, name)| (format!("{name} (iteration {})", (cp.time / step).round()), cp.params.to_params()))
        .collect();
    if panels.len() < 4 {
        panels.push(("end of training".into(), run.final_params.to_params()));
    }
    let final_params = run.final_params.to_params();
    let p = plateaus(&traj, 0.05);
    let numbers = ToyNumbers {
        step,
        iterations,
        plateau_level_theory: theory::plateau_loss(&data),
        plateau_level_measured: p.first().map(|p| p.level),
        leaves_first_saddle: first_below(&traj, 0.5 * (1.0 - PLATEAU_BAND), step),
        leaves_second_saddle: first_below(&traj, theory::plateau_loss(&data) * (1.0 - PLATEAU_BAND), step),
        final_loss: run.summary.final_loss,
        final_kinks: kinks(&final_params, 1e-3, 1e-2),
        final_param_norm_sq: run.final_params.norm_sq(),
        min_norm_sq: theory::min_norm_sq(&data).expect("the toy's inputs are orthogonal"),
    };
    let figures = vec![
        Figure {
            file: "toy_loss.svg".into(),
            svg: crate::plot::loss_curve_svg(
                "Section 5 toy: training loss (Figure 3)",
                &traj,
                step,
                Some(numbers.plateau_level_theory),
            )
            .map_err(|e| crate::solver::SimulationError::Config(e.to_string()))?,
        },
        Figure {
            file: "toy_network.svg".into(),
            svg: crate::plot::network_states_svg(
                "Section 5 toy: network at the end of each phase (Figure 2)",
                &data,
                &panels,
            )
            .map_err(|e| crate::solver::SimulationError::Config(e.to_string()))?,
        },
    ];
    Ok((numbers, figures))
}

/// The numbers of one Appendix A run.
#[derive(Clone, Debug, Serialize)]
pub struct RunNumbers {
    pub lambda: f64,
    pub iterations: u64,
    pub final_loss: f64,
    /// Intermediate plateaus (see [`plateaus`], at least 5% of the run).
    pub plateaus: Vec<Plateau>,
    /// `|theta_T - theta_0| / |theta_0|`.
    pub relative_movement: f64,
    /// Kinks (one-dimensional data with bias only).
    pub kinks: Option<Vec<f64>>,
    /// Explained-variance ratios of the top principal components of the final `w_j` (A.2 only).
    pub explained_variance_top2: Option<f64>,
}

/// One Appendix A run: its numbers, trajectory, and initial and final parameters.
struct RunRecord {
    numbers: RunNumbers,
    trajectory: Trajectory,
    start: Params,
    end: Params,
}

fn run_numbers(instance: &Instance, iterations: u64, one_d: bool) -> Result<RunRecord, crate::solver::SimulationError> {
    let cfg = GdConfig { step: PAPER_STEP, stop: StopRule { max_steps: Some(iterations), ..Default::default() } };
    let every = (iterations as f64 * PAPER_STEP / 2000.0).max(PAPER_STEP);
    let (run, traj) = instance.gd(&cfg, SampleSchedule { every, max_samples: 4000, ..SampleSchedule::default() })?;
    let start = instance.initialisation()?.params.to_params();
    let end = run.final_params.to_params();
    let evr = explained_variance_ratio(&end.w);
    let numbers = RunNumbers {
        lambda: instance.lambda(),
        iterations,
        final_loss: run.summary.final_loss,
        plateaus: plateaus(&traj, 0.05),
        relative_movement: relative_movement(&start, &end),
        kinks: one_d.then(|| kinks(&end, 1e-3, 1e-2)),
        explained_variance_top2: (!one_d).then(|| evr.iter().take(2).sum()),
    };
    Ok(RunRecord { numbers, trajectory: traj, start, end })
}

/// A panel caption: the name, the iteration and the kinks of `params` (listed if at most 5).
fn kink_caption(name: &str, iteration: u64, params: &Params) -> String {
    let k = kinks(params, 1e-3, 1e-2);
    let list = if k.len() <= 5 {
        let at: Vec<String> = k.iter().map(|v| format!("{v:.2}")).collect();
        format!("kinks at {}", at.join(", "))
    } else {
        format!("{} kinks", k.len())
    };
    format!("{name} (iteration {iteration}): {list}")
}

/// Appendix A.1: `x = (-1.5, -1, 0, 0.25, 2)` with a bias column,
/// `y = (0.7, -0.3, -0.3, 0.4, 0.2)`, `m = 60`, small (`1e-4/sqrt(m)`) and large (`10/sqrt(m)`)
/// initialisation, GD with the paper's step. Figures: the two loss curves and the network at the
/// start and end of each run (`nonorthogonal_network.svg`, neurons at their kinks).
pub fn nonorthogonal(
    iterations_small: u64,
    iterations_large: u64,
) -> Result<(Vec<RunNumbers>, Vec<Figure>), crate::solver::SimulationError> {
    let data = with_bias(&[-1.5, -1.0, 0.0, 0.25, 2.0], &[0.7, -0.3, -0.3, 0.4, 0.2]);
    let m = 60usize;
    let mut numbers = Vec::new();
    let mut figures = Vec::new();
    let mut panels = Vec::new();
    for (name, lambda, iters) in
        [("small", 1e-4 / (m as f64).sqrt(), iterations_small), ("large", 10.0 / (m as f64).sqrt(), iterations_large)]
    {
        let instance = Instance::balanced(data.clone(), m, lambda, 0);
        let record = run_numbers(&instance, iters, true)?;
        let svg = crate::plot::loss_curve_svg(
            &format!("Appendix A.1, {name} initialisation (lambda = {lambda:.3e})"),
            &record.trajectory,
            PAPER_STEP,
            None,
        )
        .map_err(|e| crate::solver::SimulationError::Config(e.to_string()))?;
        figures.push(Figure { file: format!("nonorthogonal_{name}_loss.svg"), svg });
        panels.push((format!("{name} initialisation (lambda = {lambda:.3e}), iteration 0"), record.start));
        panels.push((kink_caption(&format!("{name} init., end"), iters, &record.end), record.end));
        numbers.push(record.numbers);
    }
    let svg = crate::plot::network_states_svg(
        "Appendix A.1: network at the start and end of training (small and large initialisation)",
        &data,
        &panels,
    )
    .map_err(|e| crate::solver::SimulationError::Config(e.to_string()))?;
    figures.push(Figure { file: "nonorthogonal_network.svg".into(), svg });
    Ok((numbers, figures))
}

/// Appendix A.2 data: `n` standard Gaussian inputs in `R^d`, labels from a 6-neuron teacher
/// `y = sum_i a_i relu(<v_i, x>)` with unbalanced Gaussian weights of unit scale: `a_i ~ N(0, 1)`
/// and `v_i ~ N(0, I_d / d)`, so that each teacher pre-activation `<v_i, x>` is `N(0, 1)` and the
/// labels are `O(1)`. (The paper says only "drawn at random following a Gaussian distribution";
/// with `v_i ~ N(0, I_d)` the labels are `O(sqrt(d))` and gradient descent with the paper's step
/// is unstable: it kills neurons and stalls at a non-zero loss.)
pub fn highdim_data(n: usize, d: usize, seed: u64) -> Dataset {
    let mut inputs = seeds::rng(seed, Stream::DataInputs);
    let x: Vec<Vec<f64>> = (0..n).map(|_| (0..d).map(|_| inputs.sample(StandardNormal)).collect()).collect();
    let mut teacher_rng = seeds::rng(seed, Stream::Teacher);
    let mut normal = || -> f64 { teacher_rng.sample(StandardNormal) };
    let scale = 1.0 / (d as f64).sqrt();
    let teacher: Vec<(f64, Vec<f64>)> =
        (0..6).map(|_| (normal(), (0..d).map(|_| scale * normal()).collect())).collect();
    let y = x.iter().map(|xk| teacher.iter().map(|(a, v)| a * dot(v, xk).max(0.0)).sum()).collect();
    Dataset::new(x, y).expect("finite data")
}

/// The data seed of [`highdim`]: the first of `0, 1, 2, ...` on which the reduced run (`n = 30`,
/// `d = 60`, `m = 100`, 60000 steps of `2e-3`) interpolates. Measured: seeds 0, 1, 2 and 4 end on a
/// saddle (loss `1.0e-4`, `2.9e-2`, `7.5e-4`, `3.0e-2`, the same for init seeds 0 to 3 on seed 0):
/// a point with a small label `|y_k|` escapes its last saddle at a rate `~|y_k|/n`, after a time
/// `~ ln(1/lambda) n / |y_k|` that outlasts the horizon `t = 120`; seed 3 reaches `3e-29`.
pub const HIGHDIM_DATA_SEED: u64 = 3;

/// Appendix A.2: `n = 75`, `d = 150`, `m = 200`, `lambda = 1e-20/sqrt(m d)`, no bias (the full
/// run); `reduced` uses `n = 30`, `d = 60`, `m = 100` with the same recipe.
pub fn highdim(reduced: bool, iterations: u64) -> Result<(RunNumbers, Vec<Figure>), crate::solver::SimulationError> {
    let (n, d, m) = if reduced { (30, 60, 100) } else { (75, 150, 200) };
    let data = highdim_data(n, d, HIGHDIM_DATA_SEED);
    let lambda = 1e-20 / ((m * d) as f64).sqrt();
    let instance =
        Instance { data, init: InitSpec { kind: InitKind::Balanced, width: m, lambda, seed: 0 }, model: Model::relu() };
    let RunRecord { numbers, trajectory, .. } = run_numbers(&instance, iterations, false)?;
    let svg =
        crate::plot::loss_curve_svg(&format!("Appendix A.2: n = {n}, d = {d}, m = {m}"), &trajectory, PAPER_STEP, None)
            .map_err(|e| crate::solver::SimulationError::Config(e.to_string()))?;
    Ok((numbers, vec![Figure { file: format!("highdim{}_loss.svg", if reduced { "_reduced" } else { "" }), svg }]))
}

//! Phase timelines of a fixed catalogue of seeded instances as insta snapshots in the top-level
//! `snapshots/`: a numerical change in the integrator or the model shows up as a snapshot diff.
//! Times have 6 significant digits (see `PhaseTimeline::snapshot` for why), the final squared
//! norm 6, the final GD loss 3. Flow runs stop at a fixed horizon `1.2 ln(1/lambda)/|D-| + 40`
//! (past convergence), not at a loss threshold, and their step counts are not stored: where an
//! adaptive run crosses a threshold, and how many steps it rejects, can change with a
//! legitimate reordering of floating-point sums; values at fixed times cannot (beyond `1e-9`).
//! Review a change with `cargo insta review` (README, "Snapshots").

use reluflow::Instance;
use reluflow::data::Dataset;
use reluflow::data::generate::{LabelSpec, random_orthonormal, toy};
use reluflow::solver::StopRule;
use reluflow::solver::flow::FlowConfig;
use reluflow::solver::gd::GdConfig;
use reluflow::timeline::{phase_timeline, significant};
use reluflow::trajectory::SampleSchedule;

const DIGITS: usize = 6;

enum Method {
    Flow,
    Gd { step: f64, steps: u64 },
}

struct Entry {
    name: &'static str,
    data: Dataset,
    width: usize,
    lambda: f64,
    seed: u64,
    method: Method,
}

fn ortho(n: usize, d: usize, min_ratio: f64, seed: u64) -> Dataset {
    random_orthonormal(n, d, &LabelSpec { min_ratio, ..LabelSpec::default() }, seed).unwrap()
}

/// Labels as `ortho` draws them, on the standard basis `x_k = e_k` (exactly orthonormal).
///
/// Most GD entries use it; `gd_haar_n4_d6_m64_lam1e-8` runs on Haar inputs (inner products
/// `~1e-16` instead of 0). Gradient descent takes activations from signs, so a coordinate sitting
/// at rounding level could flip sign under a reordering of sums; the measured flips of that kind
/// (event times moved by `~1e-5` relative) came from the shared random stream that made `w_0`
/// parallel to `x_0` (its other coordinates were `~1e-17`), gone with independent streams
/// (`reluflow::seeds`).
fn basis(n: usize, d: usize, min_ratio: f64, seed: u64) -> Dataset {
    let y = ortho(n, d, min_ratio, seed).y().to_vec();
    let x = (0..n).map(|k| (0..d).map(|i| if i == k { 1.0 } else { 0.0 }).collect()).collect();
    Dataset::new(x, y).unwrap()
}

fn catalogue() -> Vec<Entry> {
    use Method::*;
    let e = |name, data, width, lambda, seed, method| Entry { name, data, width, lambda, seed, method };
    vec![
        e("flow_n2_d2_m16_lam1e-4", ortho(2, 2, 1.5, 1), 16, 1e-4, 1, Flow),
        e("flow_n3_d4_m32_lam1e-8", ortho(3, 4, 1.5, 2), 32, 1e-8, 2, Flow),
        e("flow_n4_d5_m64_lam1e-16", ortho(4, 5, 1.5, 3), 64, 1e-16, 3, Flow),
        e("flow_n4_d6_m64_lam1e-32", ortho(4, 6, 1.5, 4), 64, 1e-32, 4, Flow),
        e("flow_n5_d5_m128_lam1e-64", ortho(5, 5, 1.5, 5), 128, 1e-64, 5, Flow),
        e("flow_n3_d3_m32_r_large_lam1e-16", ortho(3, 3, 2.5, 6), 32, 1e-16, 6, Flow),
        e("flow_n6_d8_m128_r_small_lam1e-8", ortho(6, 8, 1.05, 7), 128, 1e-8, 7, Flow),
        e("flow_n2_d5_m24_lam1e-48", ortho(2, 5, 1.5, 8), 24, 1e-48, 8, Flow),
        e("gd_n2_d3_m16_lam1e-4", basis(2, 3, 1.5, 9), 16, 1e-4, 9, Gd { step: 1e-2, steps: 6_000 }),
        e("gd_n3_d4_m32_lam1e-8", basis(3, 4, 1.5, 10), 32, 1e-8, 10, Gd { step: 1e-2, steps: 12_000 }),
        e("gd_n4_d4_m64_lam1e-16", basis(4, 4, 1.5, 11), 64, 1e-16, 11, Gd { step: 2e-2, steps: 12_000 }),
        e("gd_n5_d7_m64_lam1e-6", basis(5, 7, 1.2, 12), 64, 1e-6, 12, Gd { step: 1e-2, steps: 12_000 }),
        e("gd_haar_n4_d6_m64_lam1e-8", ortho(4, 6, 1.5, 13), 64, 1e-8, 13, Gd { step: 1e-2, steps: 12_000 }),
        e("toy_gd_paper_settings", toy(), 60, 1e-6 / 60f64.sqrt(), 0, Gd { step: 2e-3, steps: 20_000 }),
        e("toy_flow", toy(), 60, 1e-6 / 60f64.sqrt(), 0, Flow),
    ]
}

fn snapshot_text(entry: &Entry) -> String {
    let instance = Instance::balanced(entry.data.clone(), entry.width, entry.lambda, entry.seed);
    let schedule = SampleSchedule { every: 0.25, max_samples: 4000, ..SampleSchedule::default() };
    let (run, traj) = match entry.method {
        Method::Flow => {
            let horizon = 1.2 * -entry.lambda.ln() / reluflow::theory::d_minus_norm(&entry.data) + 40.0;
            let stop = StopRule { horizon: Some(horizon), ..Default::default() };
            instance.flow(&FlowConfig { stop, ..Default::default() }, schedule).unwrap()
        }
        Method::Gd { step, steps } => {
            let stop = StopRule { max_steps: Some(steps), ..Default::default() };
            instance.gd(&GdConfig { step, stop }, schedule).unwrap()
        }
    };
    let tl = phase_timeline(&entry.data, entry.lambda, &traj).unwrap();
    let s = &run.summary;
    // the flow's final loss sits at its accuracy floor (~ (rtol |h|)^2), so it is not stored:
    // the `converged` event (loss 1e-10) is far above that floor
    let tail = match entry.method {
        // below 1e-20 the residuals (~1e-10) are within 1e6 ulps of |h|: rounding, not dynamics
        Method::Gd { .. } if s.final_loss < 1e-20 => format!("steps {}\nfinal loss       < 1e-20\n", s.steps),
        Method::Gd { .. } => format!("steps {}\nfinal loss       {}\n", s.steps, significant(Some(s.final_loss), 3)),
        Method::Flow => String::new(),
    };
    format!(
        "{}: n = {}, d = {}, m = {}, lambda = {:e}, seed = {}, method = {}\n{}final |theta|^2  {}\n{}",
        entry.name,
        entry.data.n(),
        entry.data.d(),
        entry.width,
        entry.lambda,
        entry.seed,
        s.method,
        tl.snapshot(DIGITS),
        significant(Some(run.final_params.norm_sq()), DIGITS),
        tail,
    )
}

#[test]
fn phase_timelines_of_the_catalogue_match_their_snapshots() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let texts: Vec<(&'static str, String)> = {
        let entries = catalogue();
        std::thread::scope(|scope| {
            let handles: Vec<_> = entries.iter().map(|e| scope.spawn(move || (e.name, snapshot_text(e)))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    };
    settings.bind(|| {
        for (name, text) in texts {
            insta::assert_snapshot!(name, text);
        }
    });
}

/// The jump process of the README's three-escape instance (`random_orthonormal(5, 7, default
/// labels, data seed 1)`, width 10, initialisation seed 5) next to the flow at `lambda = 1e-16`:
/// the predicted events (pure arithmetic on the labels and the signs of `<g_j, x_k>`: 6
/// significant digits), then the flow's loss at fixed times (checkpoints, stable to `1e-9` like
/// the timelines above): at each predicted drop time `tau_i ln(1/lambda)` and at each predicted
/// mid-plateau time, with the predicted level beside it (6 significant digits).
#[test]
fn jump_process_timeline_next_to_the_flow_matches_its_snapshot() {
    use reluflow::claims::jump::{levels, process_of};
    use reluflow::network::Model;
    let data = random_orthonormal(5, 7, &LabelSpec::default(), 1).unwrap();
    let lambda = 1e-16;
    let instance = Instance::balanced(data.clone(), 10, lambda, 5);
    let process = process_of(&instance).unwrap();
    let l = -lambda.ln();
    let lev = levels(&process);
    let mut times = Vec::new();
    for (i, e) in process.events.iter().enumerate() {
        let before = if i == 0 { 0.0 } else { process.events[i - 1].tau };
        times.push(("mid-plateau", 0.5 * (before + e.tau) * l, lev[i]));
        times.push(("drop", e.tau * l, f64::NAN));
    }
    let horizon = 1.5 * process.events.last().unwrap().tau * l;
    times.push(("after", horizon, 0.0));
    let schedule = SampleSchedule { checkpoints: times.iter().map(|t| t.1).collect(), ..SampleSchedule::default() };
    let stop = StopRule { horizon: Some(horizon), ..Default::default() };
    let (_, traj) = instance.flow(&FlowConfig { stop, ..Default::default() }, schedule).unwrap();
    let model = Model::relu().validate().unwrap();
    let mut text = String::from(
        "jump process: n = 5, d = 7, m = 10, data seed 1, init seed 5\npredicted (tau, group, fits, loss after):\n",
    );
    for e in &process.events {
        text += &format!(
            "  {:>10}  {:?}  {:?}  {}\n",
            significant(Some(e.tau), DIGITS),
            e.neurons,
            e.fits,
            significant(Some(e.loss_after), DIGITS)
        );
    }
    text += &format!(
        "limit |theta|^2 {}, Proposition 1's minimum {}, unfitted {:?}\n",
        significant(Some(process.limit_norm_sq), DIGITS),
        significant(Some(process.min_norm_sq), DIGITS),
        process.unfitted
    );
    text += &format!("flow at lambda = 1e-16 (ln(1/lambda) = {}):\n", significant(Some(l), DIGITS));
    for (what, t, level) in &times {
        let c = traj.checkpoints.iter().find(|c| (c.time - t).abs() <= 1e-9 * t.max(1.0)).expect("a checkpoint");
        let loss = model.loss(&c.params.to_params(), &data);
        let predicted = if level.is_nan() { "(a drop)".to_string() } else { significant(Some(*level), DIGITS) };
        // below 1e-20 the flow is at its accuracy floor (residuals ~ rtol |h|): not dynamics
        let loss = if loss < 1e-20 { "< 1e-20".to_string() } else { significant(Some(loss), DIGITS) };
        text += &format!(
            "  {what:<12} t = {:>10}  L = {:>12}  predicted {predicted}\n",
            significant(Some(*t), DIGITS),
            loss
        );
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!("jump_process_three_escapes", text));
}

//! `cargo bench --bench peers`: reluflow against the Python peer `../shared/peers/numpy_gd.py`.
//!
//! Five sections, each a plain aligned table with the command lines that reproduce it:
//! 1. GD on the Section 5 toy: the training loop in-process and the whole process, against the
//!    peer's loop (`wall_s`) and its whole process; final loss and `|theta|^2` of both.
//! 2. Gradient flow on a random orthonormal instance (n = 8, d = 10, m = 200, lambda = 1e-8)
//!    against the peer's `solve_ivp` (RK45), and GD (eta = 1e-3) to the same loss.
//! 3. Cost of one gradient evaluation per neuron-point, `ns / (m n)`, for m = 10 .. 10^5.
//! 4. Flow gradient evaluations against lambda, down to 1e-300.
//! 5. The reduced-coordinates fast path (`solver::reduced`, orthonormal inputs) against the full
//!    simulator: cost per gradient evaluation (flow and GD, m = 10 .. 10^5, d = 64 and 256), and the
//!    issue's flow goal (loss < 1e-10, final parameters within 1e-6 of a 100x tighter run, gradient
//!    evaluations against GD, wall time against the peer's RK45).
//!
//! 6. The full path's gradient evaluation (one GD step) at m = 10^4, n = 64, d = 64 and 256,
//!    against the time of the two matrix products it needs (numpy's matmul, same run), the numpy
//!    peer and the jitted JAX peer (`../shared/peers/jax_gd.py`, its `wall_s`, compile excluded).
//! 7. `reluflow reproduce highdim --full` (Appendix A.2, n = 75, d = 150, m = 200, 200000 GD steps),
//!    whole process.
//!
//! `RELUFLOW_BENCH_ONLY=2,5` runs only the listed sections.
//!
//! The peer needs numpy (and scipy for the flow). Without them (or without the script) the peer's
//! columns read "peer unavailable: <reason>" and reluflow's own timings are still printed.
//! The JAX peer needs `pip install "jax[cpu]"`; without it its column reads "peer unavailable".
//! Environment: `RELUFLOW_PEER` (path of the peer script), `RELUFLOW_JAX_PEER` (the JAX peer),
//! `RELUFLOW_PYTHON` (default `python3`).
//!
//! Every in-process reluflow run here is the library call behind an equivalent
//! `target/release/reluflow simulate ...` line, printed with it (same data seed 0, init seed 0).

use reluflow::Dataset;
use reluflow::data::generate::{random_orthonormal, toy};
use reluflow::init::{InitKind, InitSpec};
use reluflow::network::Model;
use reluflow::params::ScaledParams;
use reluflow::solver::flow::{FlowConfig, run_flow};
use reluflow::solver::gd::{GdConfig, run_gd};
use reluflow::solver::reduced::{run_flow_reduced, run_gd_reduced};
use reluflow::solver::{NoObserver, Run, StopRule};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
/// Cargo builds the binary (release settings, bench profile) before running a bench.
const RELUFLOW_BIN: &str = env!("CARGO_BIN_EXE_reluflow");
/// The peer flow run: n = 8, d = 10, m = 200, lambda = 1e-8, solve_ivp RK45 to t = 80.
const PEER_FLOW_ARGS: [&str; 14] = [
    "--data",
    "ortho",
    "--n",
    "8",
    "--d",
    "10",
    "--width",
    "200",
    "--lam",
    "1e-8",
    "--method",
    "flow",
    "--horizon",
    "80",
];
const DEFAULT_PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/peers/numpy_gd.py");
const DEFAULT_JAX_PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/peers/jax_gd.py");

fn main() {
    let started = Instant::now();
    let peer = Peer::locate();
    println!("reluflow vs numpy peer  (rerun: cargo bench --bench peers)");
    println!("reluflow binary: {}  (built by cargo bench from this tree)", rel(Path::new(RELUFLOW_BIN)));
    match &peer.unavailable("numpy") {
        None => println!("peer: {} {}", peer.python, peer.script.display()),
        Some(reason) => println!("peer unavailable: {reason}"),
    }
    let only = std::env::var("RELUFLOW_BENCH_ONLY").ok();
    let wanted = |section: &str| only.as_deref().is_none_or(|o| o.split(',').any(|x| x.trim() == section));
    if wanted("1") {
        section_toy_gd(&peer);
    }
    if wanted("2") {
        section_flow(&peer);
    }
    if wanted("3") {
        section_gradient_cost(&peer);
    }
    if wanted("4") {
        section_lambda_ladder();
    }
    if wanted("5") {
        section_reduced(&peer);
    }
    if wanted("6") {
        section_matmul_speed(&peer);
    }
    if wanted("7") {
        section_highdim();
    }
    println!("\ntotal bench time {:.1} s", started.elapsed().as_secs_f64());
}

// ------------------------------------------------------------------------------------------
// Sections
// ------------------------------------------------------------------------------------------

/// 1. GD on the Section 5 toy, loop and whole process, reluflow vs peer.
fn section_toy_gd(peer: &Peer) {
    const WIDTH: usize = 60;
    const LAMBDA: f64 = 1.29e-7;
    const ETA: f64 = 2e-3;
    const STEPS: u64 = 20_000;
    heading("1. GD on the Section 5 toy: m = 60, lambda = 1.29e-7, seed 0, eta = 2e-3, 20000 steps");

    let data = toy();
    let theta0 = balanced_init(WIDTH, LAMBDA, 0, data.d());
    let cfg = GdConfig { step: ETA, stop: StopRule { max_steps: Some(STEPS), ..Default::default() } };
    let (loop_s, run) = time_median(7, || gd(&data, &theta0, &cfg));
    // the reduced-coordinates path (the toy's inputs are orthogonal, not unit-norm), same settings;
    // ~2 ms a run: more repetitions for a stable median
    let (reduced_s, reduced) = time_median(51, || gd_reduced(&data, &theta0, &cfg));

    let cli_args = "--data toy --width 60 --lambda 1.29e-7 --method gd --step 2e-3 --steps 20000 --json";
    let cli_full_args = format!("{cli_args} --coordinates full");
    let cli_reduced_args = format!("{cli_args} --coordinates reduced");
    let cli_typed = run_json_median(&mut reluflow_cmd(cli_args), 21);
    let cli = run_json_median(&mut reluflow_cmd(&cli_full_args), 5);
    let cli_reduced = run_json_median(&mut reluflow_cmd(&cli_reduced_args), 21);
    let peer_args = ["--data", "toy", "--width", "60", "--lam", "1.29e-7", "--step", "2e-3", "--steps", "20000"];
    let peer_run = peer.run_median(&peer_args, 3, "numpy");

    println!(
        "in-process loop (median of 7):  run_gd(toy(), Model::relu(), InitSpec{{Balanced, 60, 1.29e-7, seed 0}}, eta 2e-3, max_steps 20000)"
    );
    println!("  same run as:                  {}", reluflow_line(cli_args));
    println!("in-process loop (median of 51): run_gd_reduced(same arguments)");
    println!("process (median of 21):         {}   (as typed: --coordinates auto)", reluflow_line(cli_args));
    println!("process (median of 5):          {}", reluflow_line(&cli_full_args));
    println!("process (median of 21):         {}", reluflow_line(&cli_reduced_args));
    println!("peer (median of 3):             {}", peer.line(&peer_args));

    let mut t = Table::new(&["implementation", "loop ms", "process ms", "final loss", "|theta|^2", "gradient evals"]);
    for (name, wall, r) in
        [("reluflow (library, full)", loop_s, &run), ("reluflow (library, reduced)", reduced_s, &reduced)]
    {
        t.row(vec![
            name.into(),
            ms(wall),
            "-".into(),
            sci(r.summary.final_loss),
            fixed(r.final_params.norm_sq()),
            r.summary.gradient_evaluations.to_string(),
        ]);
    }
    let typed_name = match &cli_typed {
        Ok(c) => format!(
            "reluflow (CLI as typed: auto -> {})",
            c.json.get("coordinates").and_then(Value::as_str).unwrap_or("?")
        ),
        Err(_) => "reluflow (CLI as typed)".into(),
    };
    for (name, c) in [
        (typed_name.as_str(), &cli_typed),
        ("reluflow (CLI, --coordinates full)", &cli),
        ("reluflow (CLI, --coordinates reduced)", &cli_reduced),
    ] {
        match c {
            Ok(c) => t.row(vec![
                name.into(),
                "-".into(),
                ms(c.wall_s),
                sci(c.field("final_loss")),
                fixed(c.field("param_norm_sq")),
                c.int_field("gradient_evaluations"),
            ]),
            Err(e) => println!("{name} failed: {e}"),
        }
    }
    if let Ok(p) = &peer_run {
        t.row(vec![
            "numpy peer".into(),
            ms(p.field("wall_s")),
            ms(p.wall_s),
            sci(p.field("final_loss")),
            fixed(p.field("param_norm_sq")),
            p.int_field("gradient_evaluations"),
        ]);
    }
    t.row(vec![
        "Proposition 1 minimum".into(),
        "".into(),
        "".into(),
        "".into(),
        fixed(reluflow::theory::min_norm_sq(&data).unwrap_or(f64::NAN)),
        "".into(),
    ]);
    t.print();

    for (name, c, r) in [("full", &cli, &run), ("reduced", &cli_reduced, &reduced)] {
        if let Ok(c) = c {
            if c.field("final_loss") != r.summary.final_loss {
                println!(
                    "note: the {name} CLI's final loss {:e} differs from the library run's {:e}",
                    c.field("final_loss"),
                    r.summary.final_loss
                );
            }
        }
    }
    let (full_loss, fast_loss) = (run.summary.final_loss, reduced.summary.final_loss);
    let (full_norm, fast_norm) = (run.final_params.norm_sq(), reduced.final_params.norm_sq());
    // the final loss is ~1e-14, at the rounding level of the residuals (|h| ~ 1): compare it in
    // absolute terms (the loss starts at ~0.5), |theta|^2 relatively
    let loss_abs = (fast_loss - full_loss).abs();
    let norm_rel = (fast_norm - full_norm).abs() / full_norm;
    println!(
        "reduced vs full path: final loss |diff| {loss_abs:.1e} (rel. {:.1e}), |theta|^2 rel. diff {norm_rel:.1e} ({})",
        loss_abs / full_loss,
        if loss_abs <= 1e-12 && norm_rel <= 1e-12 { "agree to 1e-12" } else { "DIFFER by more than 1e-12" }
    );
    println!("speedup full / reduced, loop vs loop:               {:.1}x", loop_s / reduced_s);
    match &peer_run {
        Ok(p) => {
            println!("ratio peer / reluflow full, loop vs loop:           {:.1}x", p.field("wall_s") / loop_s);
            println!(
                "ratio peer / reluflow reduced, loop vs loop:        {:.1}x (goal >= 100x)",
                p.field("wall_s") / reduced_s
            );
            if let Ok(c) = &cli {
                println!("ratio peer / reluflow full, process vs process:     {:.1}x", p.wall_s / c.wall_s);
            }
            if let Ok(c) = &cli_reduced {
                println!("ratio peer / reluflow reduced, process vs process:  {:.1}x", p.wall_s / c.wall_s);
            }
            if let Ok(c) = &cli_typed {
                println!(
                    "ratio peer / reluflow as typed, process vs process: {:.1}x (goal >= 100x)",
                    p.wall_s / c.wall_s
                );
            }
        }
        Err(e) => println!("peer unavailable: {e}"),
    }
    println!("(the peer draws its init with numpy's RNG, reluflow with ChaCha8: same distribution, different draws,");
    println!(" so losses and norms agree to the accuracy of the run, not bit for bit)");
}

/// 2. Flow vs the peer's solve_ivp, and GD to the same loss, on n = 8, d = 10, m = 200, lambda = 1e-8.
fn section_flow(peer: &Peer) {
    const WIDTH: usize = 200;
    const LAMBDA: f64 = 1e-8;
    const UNTIL: f64 = 1e-10;
    heading("2. Flow on a random orthonormal instance: n = 8, d = 10, m = 200, lambda = 1e-8, until loss < 1e-10");

    let data = random_orthonormal(8, 10, &Default::default(), 0).expect("random orthonormal data");
    let theta0 = balanced_init(WIDTH, LAMBDA, 0, data.d());
    let base = "--random-orthonormal 8,10 --width 200 --lambda 1e-8";

    let mut t = Table::new(&["run", "grad evals", "steps", "wall ms", "us / eval", "sim. time", "final loss"]);
    let mut commands = Vec::new();
    let mut flow_evals = None;
    for (rtol, note) in [(1e-8, "rtol 1e-8 = peer's"), (1e-9, "rtol 1e-9 = default")] {
        let cfg = FlowConfig { rtol, stop: until_loss_stop(UNTIL), ..Default::default() };
        let (wall, run) = time_median(3, || flow(&data, &theta0, &cfg));
        let evals = run.summary.gradient_evaluations;
        flow_evals.get_or_insert(evals);
        t.row(vec![
            format!("reluflow flow, {note}"),
            evals.to_string(),
            run.summary.steps.to_string(),
            ms(wall),
            format!("{:.2}", wall * 1e6 / evals as f64),
            format!("{:.2}", run.summary.time),
            sci(run.summary.final_loss),
        ]);
        commands.push(format!(
            "reluflow flow {rtol:e} (median of 3): {}",
            reluflow_line(&format!("{base} --method flow --until-loss 1e-10 --rtol {rtol:e}"))
        ));
    }

    let gd_cfg = GdConfig {
        step: 1e-3,
        stop: StopRule { until_loss: Some(UNTIL), max_steps: Some(10_000_000), ..Default::default() },
    };
    let (gd_wall, gd_run) = time_median(1, || gd(&data, &theta0, &gd_cfg));
    let gd_evals = gd_run.summary.gradient_evaluations;
    t.row(vec![
        "reluflow GD, eta 1e-3".into(),
        gd_evals.to_string(),
        gd_run.summary.steps.to_string(),
        ms(gd_wall),
        format!("{:.2}", gd_wall * 1e6 / gd_evals as f64),
        format!("{:.2}", gd_run.summary.time),
        sci(gd_run.summary.final_loss),
    ]);
    commands.push(format!(
        "reluflow GD (1 run):            {}",
        reluflow_line(&format!("{base} --method gd --step 1e-3 --steps 10000000 --until-loss 1e-10"))
    ));

    let peer_args = PEER_FLOW_ARGS;
    let peer_run = peer.run_median(&peer_args, 1, "scipy");
    commands.push(format!("peer flow (1 run):              {}", peer.line(&peer_args)));
    if let Ok(p) = &peer_run {
        let evals = p.field("gradient_evaluations");
        t.row(vec![
            "numpy peer, solve_ivp RK45 to t = 80".into(),
            p.int_field("gradient_evaluations"),
            "-".into(),
            ms(p.field("wall_s")),
            format!("{:.2}", p.field("wall_s") * 1e6 / evals),
            "80".into(),
            sci(p.field("final_loss")),
        ]);
    }
    for c in commands {
        println!("{c}");
    }
    t.print();
    if let Err(e) = &peer_run {
        println!("peer unavailable: {e}");
    }
    if let Some(f) = flow_evals {
        println!("gradient evaluations GD / flow (rtol 1e-8): {gd_evals} / {f} = {:.1}", gd_evals as f64 / f as f64);
    }
    println!("(the peer draws its own dataset and init with numpy's RNG: compare costs, not losses;");
    println!(" the peer stops at t = 80, reluflow when the loss drops below 1e-10; 'wall ms' of the peer is its loop)");
}

/// 3. `ns / (m n)` of one gradient evaluation (one GD step) for growing width, n = d = 64.
fn section_gradient_cost(peer: &Peer) {
    const N: usize = 64;
    const LAMBDA: f64 = 1e-6;
    const TARGET_S: f64 = 0.2;
    heading("3. Cost of one gradient evaluation (one GD step) per neuron-point, n = d = 64 orthonormal");

    let data = random_orthonormal(N, N, &Default::default(), 0).expect("random orthonormal data");
    println!(
        "per-step cost = (t(K steps) - t(0 steps)) / K, medians of 3, K = first power of 2 with t(K) - t(0) >= {TARGET_S} s (t(0) = setup + final loss)"
    );
    println!(
        "reluflow:  {}",
        reluflow_line("--random-orthonormal 64,64 --width M --lambda 1e-6 --method gd --step 1e-3 --steps K")
    );
    let peer_ok = peer.unavailable("numpy").is_none();
    if peer_ok {
        println!(
            "peer:      {} (per step = wall_s / K, one run)",
            peer.line(&[
                "--data", "ortho", "--n", "64", "--d", "64", "--width", "M", "--lam", "1e-6", "--step", "1e-3",
                "--steps", "K"
            ])
        );
    }

    let mut t = Table::new(&["m", "K", "us / eval", "ns / (m n)", "peer K", "peer us / eval", "peer ns / (m n)"]);
    for m in [10usize, 100, 1_000, 10_000, 100_000] {
        let theta0 = balanced_init(m, LAMBDA, 0, data.d());
        let (k, per_eval) = per_step_seconds(TARGET_S, |k| gd(&data, &theta0, &gd_steps(k)));
        let points = (m * N) as f64;
        let mut row = vec![
            m.to_string(),
            k.to_string(),
            format!("{:.2}", per_eval * 1e6),
            format!("{:.3}", per_eval * 1e9 / points),
        ];
        if peer_ok {
            // calibrate the peer's K with a short run (~0.05 s at reluflow's speed), then one run of ~TARGET_S
            let probe_k = ((0.05 / per_eval.max(1e-9)).ceil() as u64).clamp(1, 1_000);
            let probe = peer.run_median(&peer_gd_args(m, probe_k), 1, "numpy");
            let peer_cell = probe.and_then(|p| {
                let pk =
                    ((TARGET_S / (p.field("wall_s") / probe_k as f64).max(1e-9)).ceil() as u64).clamp(3, 1_000_000);
                peer.run_median(&peer_gd_args(m, pk), 1, "numpy").map(|r| (pk, r.field("wall_s") / pk as f64))
            });
            match peer_cell {
                Ok((pk, per)) => {
                    row.extend([pk.to_string(), format!("{:.2}", per * 1e6), format!("{:.3}", per * 1e9 / points)])
                }
                Err(e) => row.extend(["-".into(), format!("peer unavailable: {e}"), "-".into()]),
            }
        } else {
            row.extend(["-".into(), "-".into(), "-".into()]);
        }
        t.row(row);
    }
    t.print();
    if let Some(reason) = peer.unavailable("numpy") {
        println!("peer unavailable: {reason}");
    }
}

/// 4. Flow gradient evaluations against lambda on one n = 6, d = 8, m = 100 instance.
fn section_lambda_ladder() {
    heading("4. Flow gradient evaluations against lambda: n = 6, d = 8, m = 100, until loss < 1e-10, rtol 1e-9");
    let data = random_orthonormal(6, 8, &Default::default(), 0).expect("random orthonormal data");
    println!(
        "each row: {}",
        reluflow_line("--random-orthonormal 6,8 --width 100 --lambda LAMBDA --method flow --until-loss 1e-10")
    );
    let mut t = Table::new(&[
        "lambda",
        "ln(1/lambda)",
        "grad evals",
        "evals / ln(1/lambda)",
        "steps",
        "sim. time",
        "wall ms",
        "final loss",
    ]);
    let mut points = Vec::new();
    for lambda in [1e-4, 1e-8, 1e-16, 1e-32, 1e-64, 1e-128, 1e-300] {
        let theta0 = balanced_init(100, lambda, 0, data.d());
        let cfg = FlowConfig { stop: until_loss_stop(1e-10), ..Default::default() };
        let (wall, run) = time_once(|| flow(&data, &theta0, &cfg));
        let log = (1.0 / lambda).ln();
        let evals = run.summary.gradient_evaluations;
        points.push((log, evals as f64));
        t.row(vec![
            format!("{lambda:e}"),
            format!("{log:.1}"),
            evals.to_string(),
            format!("{:.1}", evals as f64 / log),
            run.summary.steps.to_string(),
            format!("{:.1}", run.summary.time),
            ms(wall),
            sci(run.summary.final_loss),
        ]);
    }
    t.print();
    let (a, b) = least_squares_line(&points);
    println!("least-squares fit: evals ~ {a:.0} + {b:.1} ln(1/lambda)");
}

/// 5. The reduced-coordinates fast path against the full simulator.
fn section_reduced(peer: &Peer) {
    heading("5. Reduced coordinates (solver::reduced, orthonormal inputs) vs the full simulator");
    reduced_flow_cost();
    reduced_gd_cost();
    reduced_flow_goal(peer);
}

/// 5a. The flow instance of section 2 on both paths: cost per gradient evaluation.
fn reduced_flow_cost() {
    const WIDTH: usize = 200;
    println!("5a. flow, n = 8, d = 10, m = 200, lambda = 1e-8, rtol 1e-8, until loss < 1e-10 (median of 3)");
    let data = random_orthonormal(8, 10, &Default::default(), 0).expect("random orthonormal data");
    let theta0 = balanced_init(WIDTH, 1e-8, 0, data.d());
    let cfg = FlowConfig { rtol: 1e-8, stop: until_loss_stop(1e-10), ..Default::default() };
    let (full_s, full) = time_median(3, || flow(&data, &theta0, &cfg));
    let (fast_s, fast) = time_median(3, || flow_reduced(&data, &theta0, &cfg));
    let points = (WIDTH * data.n()) as f64;
    let mut t = Table::new(&[
        "path",
        "grad evals",
        "steps",
        "events",
        "wall ms",
        "evals / s",
        "ns / (m n) per eval",
        "final loss",
    ]);
    for (name, s, run) in [("full", full_s, &full), ("reduced", fast_s, &fast)] {
        let evals = run.summary.gradient_evaluations as f64;
        t.row(vec![
            name.into(),
            run.summary.gradient_evaluations.to_string(),
            run.summary.steps.to_string(),
            run.summary.events.to_string(),
            ms(s),
            format!("{:.3e}", evals / s),
            format!("{:.2}", s * 1e9 / evals / points),
            sci(run.summary.final_loss),
        ]);
    }
    t.print();
    println!(
        "ratio full / reduced: wall {:.1}x, per gradient evaluation {:.1}x",
        full_s / fast_s,
        (full_s / full.summary.gradient_evaluations as f64) / (fast_s / fast.summary.gradient_evaluations as f64)
    );
}

/// 5b. One GD step (one gradient evaluation) per neuron-point, n = 64, d = 64 and 256.
fn reduced_gd_cost() {
    const N: usize = 64;
    const TARGET_S: f64 = 0.2;
    println!(
        "\n5b. one GD step (= one gradient evaluation), n = 64 orthonormal, lambda = 1e-6, eta = 1e-3: per-step cost = (t(K) - t(0)) / K,"
    );
    println!("    medians of 3, K = first power of 2 with t(K) - t(0) >= {TARGET_S} s");
    let mut t = Table::new(&[
        "d",
        "m",
        "full us / eval",
        "full ns / (m n)",
        "reduced us / eval",
        "reduced ns / (m n)",
        "reduced evals / s",
        "full / reduced",
    ]);
    for d in [64usize, 256] {
        let data = random_orthonormal(N, d, &Default::default(), 0).expect("random orthonormal data");
        for m in [10usize, 100, 1_000, 10_000, 100_000] {
            let theta0 = balanced_init(m, 1e-6, 0, data.d());
            let (_, full) = per_step_seconds(TARGET_S, |k| gd(&data, &theta0, &gd_steps(k)));
            let (_, fast) = per_step_seconds(TARGET_S, |k| gd_reduced(&data, &theta0, &gd_steps(k)));
            let points = (m * N) as f64;
            t.row(vec![
                d.to_string(),
                m.to_string(),
                format!("{:.2}", full * 1e6),
                format!("{:.3}", full * 1e9 / points),
                format!("{:.2}", fast * 1e6),
                format!("{:.3}", fast * 1e9 / points),
                format!("{:.3e}", 1.0 / fast),
                format!("{:.1}x", full / fast),
            ]);
        }
    }
    t.print();
}

fn gd_steps(k: u64) -> GdConfig {
    GdConfig { step: 1e-3, stop: StopRule { max_steps: Some(k), ..Default::default() } }
}

/// `(K, (t(K) - t(0)) / K)`, medians of 3, for the smallest power of two `K` with
/// `t(K) - t(0) >= target` (`run(k)` runs `k` steps; `t(0)` is the setup and the final loss).
fn per_step_seconds<T>(target: f64, mut run: impl FnMut(u64) -> T) -> (u64, f64) {
    // K is chosen on the steps' own time, t(K) - t(0): at large m d the setup alone (reduce, lift)
    // can take longer than `target`, and K = 1 would leave a difference of two noisy timings
    let t_0 = time_median(3, || run(0)).0;
    let k = steps_for(target, |k| time_once(|| run(k)).0 - t_0);
    let t_k = time_median(3, || run(k)).0;
    (k, (t_k - t_0).max(0.0) / k as f64)
}

/// 5c. The flow goal on the reduced path.
fn reduced_flow_goal(peer: &Peer) {
    const UNTIL: f64 = 1e-10;
    println!(
        "\n5c. flow goal: n = 8, d = 10, m = 200, lambda = 1e-8: loss < 1e-10 with final parameters within 1e-6 (relative)"
    );
    println!("    of a reference run at rtol / 100 to the same time; the largest rtol of 1e-5 .. 1e-9 that meets it");
    let data = random_orthonormal(8, 10, &Default::default(), 0).expect("random orthonormal data");
    let theta0 = balanced_init(200, 1e-8, 0, data.d());
    let mut t = Table::new(&[
        "path",
        "rtol",
        "grad evals",
        "wall ms",
        "time",
        "final loss",
        "|dtheta| / |theta|",
        "max_j |dtheta_j| / |theta_j|",
        "meets",
    ]);
    let mut chosen: Vec<(&str, f64, u64, f64)> = Vec::new();
    for (name, reduced) in [("reduced", true), ("full", false)] {
        for rtol in [1e-5, 1e-6, 1e-7, 1e-8, 1e-9] {
            let cfg = FlowConfig { rtol, stop: until_loss_stop(UNTIL), ..Default::default() };
            let runner =
                |cfg: &FlowConfig| if reduced { flow_reduced(&data, &theta0, cfg) } else { flow(&data, &theta0, cfg) };
            let (wall, run) = time_median(if reduced { 3 } else { 1 }, || runner(&cfg));
            let reference_cfg = FlowConfig {
                rtol: rtol / 100.0,
                stop: StopRule { horizon: Some(run.summary.time), ..Default::default() },
                ..Default::default()
            };
            let reference = runner(&reference_cfg);
            let (global, worst) = relative_difference(&run.final_params, &reference.final_params);
            let meets = run.summary.final_loss < UNTIL && global <= 1e-6;
            t.row(vec![
                name.into(),
                format!("{rtol:e}"),
                run.summary.gradient_evaluations.to_string(),
                ms(wall),
                format!("{:.2}", run.summary.time),
                sci(run.summary.final_loss),
                format!("{global:.2e}"),
                format!("{worst:.2e}"),
                if meets { "yes".into() } else { "no".into() },
            ]);
            if meets {
                chosen.push((name, rtol, run.summary.gradient_evaluations, wall));
                break;
            }
        }
    }
    t.print();

    let gd_cfg = GdConfig {
        step: 1e-3,
        stop: StopRule { until_loss: Some(UNTIL), max_steps: Some(10_000_000), ..Default::default() },
    };
    let (gd_wall, gd_run) = time_once(|| gd_reduced(&data, &theta0, &gd_cfg));
    println!(
        "GD eta = 1e-3 (reduced path) to loss < 1e-10: {} gradient evaluations, {} ms",
        gd_run.summary.gradient_evaluations,
        ms(gd_wall)
    );
    let peer_args = PEER_FLOW_ARGS;
    let peer_run = peer.run_median(&peer_args, 1, "scipy");
    match &peer_run {
        Ok(p) => println!(
            "peer RK45 (1 run): {} gradient evaluations, loop {} ms, final loss {} at t = 80   [{}]",
            p.int_field("gradient_evaluations"),
            ms(p.field("wall_s")),
            sci(p.field("final_loss")),
            peer.line(&peer_args)
        ),
        Err(e) => println!("peer unavailable: {e}"),
    }
    for (name, rtol, evals, wall) in &chosen {
        println!(
            "{name} flow at rtol {rtol:e}: GD / flow gradient evaluations = {} / {evals} = {:.1}x (goal >= 20x)",
            gd_run.summary.gradient_evaluations,
            gd_run.summary.gradient_evaluations as f64 / *evals as f64
        );
        if let Ok(p) = &peer_run {
            println!(
                "{name} flow at rtol {rtol:e}: peer RK45 loop / flow wall = {} / {} ms = {:.1}x (goal >= 50x)",
                ms(p.field("wall_s")),
                ms(*wall),
                p.field("wall_s") / wall
            );
        }
    }
    println!("(the peer stops at t = 80 whatever its loss, and draws its own instance with numpy's RNG)");
}

/// `(|a - b| / |b|, max_j |a_j - b_j| / |b_j|)` over the blocks `(a_j, w_j)`, in plain units.
fn relative_difference(a: &ScaledParams, b: &ScaledParams) -> (f64, f64) {
    let (pa, pb) = (a.to_params(), b.to_params());
    let (mut diff, mut size, mut worst) = (0.0, 0.0, 0.0f64);
    for j in 0..pb.a.len() {
        let dj: f64 =
            (pa.a[j] - pb.a[j]).powi(2) + pa.w[j].iter().zip(&pb.w[j]).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
        let sj: f64 = pb.a[j].powi(2) + pb.w[j].iter().map(|y| y * y).sum::<f64>();
        diff += dj;
        size += sj;
        if sj > 0.0 {
            worst = worst.max((dj / sj).sqrt());
        }
    }
    ((diff / size).sqrt(), worst)
}

/// `(a, b)` minimising `sum (y - a - b x)^2`.
fn least_squares_line(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|(x, y)| (x - mean_x) * (y - mean_y)).sum();
    let sxx: f64 = points.iter().map(|(x, _)| (x - mean_x) * (x - mean_x)).sum();
    let b = sxy / sxx;
    (mean_y - b * mean_x, b)
}

/// 6. The full path at matrix-multiply speed: one GD step against the two products it needs.
fn section_matmul_speed(peer: &Peer) {
    const N: usize = 64;
    const M: usize = 10_000;
    const TARGET_S: f64 = 0.3;
    heading("6. Full-path gradient evaluation (one GD step) vs the two matrix products it needs: m = 10^4, n = 64");
    let jax = peer.with_script(
        std::env::var_os("RELUFLOW_JAX_PEER").map_or_else(|| PathBuf::from(DEFAULT_JAX_PEER), PathBuf::from),
    );
    let jax_missing = jax.unavailable("numpy").or_else(|| python_import(&jax.python, "jax").err());
    println!(
        "reluflow: run_gd in-process, per step = (t(K) - t(0)) / K, medians of 3 (= {})",
        reluflow_line("--random-orthonormal 64,D --width 10000 --lambda 1e-3 --method gd --step 1e-3 --steps K")
    );
    println!(
        "two products: numpy `W @ X.T` (m x d times d x n) and `C @ X` (m x n times n x d), median of 30 (dense C)"
    );
    println!(
        "peers: {} and the JAX peer with the same flags (its wall_s / K; JAX: compile excluded)",
        peer.line(&[
            "--data", "ortho", "--n", "64", "--d", "D", "--width", "10000", "--lam", "1e-3", "--step", "1e-3",
            "--steps", "K"
        ])
    );
    let mut t = Table::new(&[
        "d",
        "threads",
        "reluflow ms / step",
        "two products ms",
        "reluflow / products",
        "numpy peer ms / step",
        "numpy / reluflow",
        "JAX peer ms / step",
        "JAX / reluflow",
    ]);
    let mut notes = Vec::new();
    for d in [64usize, 256] {
        let data = random_orthonormal(N, d, &Default::default(), 0).expect("random orthonormal data");
        let theta0 = balanced_init(M, 1e-3, 0, d);
        let pieces = reluflow::network::Kernel::new(&data, Model::relu().validate().unwrap(), M).pieces();
        let cfg = |k| GdConfig { step: 1e-3, stop: StopRule { max_steps: Some(k), ..Default::default() } };
        let (_, ours) = per_step_seconds(TARGET_S, |k| gd(&data, &theta0, &cfg(k)));
        let products = numpy_two_products(&peer.python, M, N, d);
        let (dd, mm) = (d.to_string(), M.to_string());
        let peer_args = |k: u64| -> Vec<String> {
            [
                "--data",
                "ortho",
                "--n",
                "64",
                "--d",
                &dd,
                "--width",
                &mm,
                "--lam",
                "1e-3",
                "--step",
                "1e-3",
                "--steps",
                &k.to_string(),
            ]
            .map(String::from)
            .to_vec()
        };
        let numpy_k = if d == 64 { 30 } else { 10 };
        let numpy = peer.run_median(&peer_args(numpy_k), 1, "numpy").map(|r| r.field("wall_s") / numpy_k as f64);
        let jax_k = if d == 64 { 200 } else { 60 };
        let jax_step = match &jax_missing {
            Some(reason) => Err(reason.clone()),
            None => jax.run_median(&peer_args(jax_k), 1, "numpy").map(|r| r.field("wall_s") / jax_k as f64),
        };
        let cell = |x: &Result<f64, String>, f: &dyn Fn(f64) -> String| match x {
            Ok(v) => f(*v),
            Err(_) => "peer unavailable".into(),
        };
        t.row(vec![
            d.to_string(),
            pieces.to_string(),
            format!("{:.2}", ours * 1e3),
            cell(&products, &|p| format!("{:.2}", p * 1e3)),
            cell(&products, &|p| format!("{:.2}x (goal <= 2)", ours / p)),
            cell(&numpy, &|p| format!("{:.2}", p * 1e3)),
            cell(&numpy, &|p| format!("{:.1}x (goal >= 3)", p / ours)),
            cell(&jax_step, &|p| format!("{:.2}", p * 1e3)),
            cell(&jax_step, &|p| format!("{:.2}x (goal >= 1)", p / ours)),
        ]);
        for (name, r) in [("two products", &products), ("numpy peer", &numpy), ("JAX peer", &jax_step)] {
            if let Err(e) = r {
                notes.push(format!("d = {d}, {name}: peer unavailable: {e}"));
            }
        }
    }
    t.print();
    for n in notes {
        println!("{n}");
    }
    println!(
        "(reluflow: fused multiply-adds in a fixed order, bit-identical for any thread count and instruction set,"
    );
    println!(" the zero C_jk skipped in D = C X; 'threads' = pieces the kernel splits one evaluation into)");
}

/// Seconds of numpy's two products for one gradient evaluation at `m x n x d`, or why not.
fn numpy_two_products(python: &str, m: usize, n: usize, d: usize) -> Result<f64, String> {
    let script = format!(
        "import numpy as np, time\n\
         rng = np.random.default_rng(0)\n\
         W = rng.standard_normal(({m}, {d})); X = rng.standard_normal(({n}, {d})); C = rng.standard_normal(({m}, {n}))\n\
         ts = []\n\
         for _ in range(35):\n\
         \x20   t = time.perf_counter(); Z = W @ X.T; G = C @ X; ts.append(time.perf_counter() - t)\n\
         ts = sorted(ts[5:])\n\
         print(ts[len(ts) // 2])\n"
    );
    let out = Command::new(python).args(["-c", &script]).output().map_err(|e| format!("cannot run {python}: {e}"))?;
    if !out.status.success() {
        return Err(last_line(&String::from_utf8_lossy(&out.stderr)).to_string());
    }
    last_line(&String::from_utf8_lossy(&out.stdout)).parse::<f64>().map_err(|e| format!("numpy printed no time: {e}"))
}

/// 7. `reproduce highdim --full`, whole process.
fn section_highdim() {
    heading("7. reluflow reproduce highdim --full (Appendix A.2: n = 75, d = 150, m = 200, 200000 GD steps)");
    let out = std::env::temp_dir().join(format!("reluflow-bench-highdim-{}", std::process::id()));
    let mut cmd = Command::new(RELUFLOW_BIN);
    cmd.args(["reproduce", "highdim", "--full", "--out"]).arg(&out);
    println!("process (1 run): {}", display_cmd(&cmd));
    let (wall, status) = time_once(|| cmd.output());
    match status {
        Ok(o) if o.status.success() => {
            let numbers = std::fs::read_to_string(out.join("highdim.json")).unwrap_or_default();
            let loss = serde_json::from_str::<Value>(&numbers)
                .ok()
                .and_then(|v| v.pointer("/final_loss").or_else(|| v.pointer("/0/final_loss")).and_then(Value::as_f64));
            println!(
                "wall {:.1} s (goal < 90 s), final loss {}",
                wall,
                loss.map_or("?".into(), |l| format!("{l:.4e}"))
            );
        }
        Ok(o) => println!("failed ({}): {}", o.status, last_line(&String::from_utf8_lossy(&o.stderr))),
        Err(e) => println!("cannot start: {e}"),
    }
    let _ = std::fs::remove_dir_all(&out);
}

// ------------------------------------------------------------------------------------------
// reluflow runs
// ------------------------------------------------------------------------------------------

fn balanced_init(width: usize, lambda: f64, seed: u64, d: usize) -> ScaledParams {
    InitSpec { kind: InitKind::Balanced, width, lambda, seed }.validate().expect("valid init spec").draw(d).params
}

/// The stop rule of `simulate --until-loss X` without a step count: a generous 10^7-step cap.
fn until_loss_stop(loss: f64) -> StopRule {
    StopRule { until_loss: Some(loss), max_steps: Some(10_000_000), ..Default::default() }
}

fn gd(data: &Dataset, theta0: &ScaledParams, cfg: &GdConfig) -> Run {
    run_gd(data, Model::relu().validate().unwrap(), theta0, cfg, &mut NoObserver).expect("gradient descent run")
}

fn flow(data: &Dataset, theta0: &ScaledParams, cfg: &FlowConfig) -> Run {
    run_flow(data, Model::relu().validate().unwrap(), theta0, cfg, &mut NoObserver).expect("gradient flow run")
}

fn gd_reduced(data: &Dataset, theta0: &ScaledParams, cfg: &GdConfig) -> Run {
    run_gd_reduced(data, Model::relu().validate().unwrap(), theta0, cfg, &mut NoObserver).expect("reduced GD run")
}

fn flow_reduced(data: &Dataset, theta0: &ScaledParams, cfg: &FlowConfig) -> Run {
    run_flow_reduced(data, Model::relu().validate().unwrap(), theta0, cfg, &mut NoObserver).expect("reduced flow run")
}

// ------------------------------------------------------------------------------------------
// Timing
// ------------------------------------------------------------------------------------------

fn median(mut xs: Vec<f64>) -> f64 {
    assert!(!xs.is_empty(), "median of nothing");
    xs.sort_by(f64::total_cmp);
    let mid = xs.len() / 2;
    if xs.len() % 2 == 1 { xs[mid] } else { 0.5 * (xs[mid - 1] + xs[mid]) }
}

/// Seconds taken by `f`, and its result.
fn time_once<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed().as_secs_f64(), out)
}

/// The smallest power of two `k` for which `run(k)` (seconds of a `k`-step run) reaches `target`.
fn steps_for(target: f64, mut run: impl FnMut(u64) -> f64) -> u64 {
    let mut k = 1;
    while run(k) < target && k < 1 << 24 {
        k *= 2;
    }
    k
}

/// Median seconds of `reps` calls of `f`, and the last result.
fn time_median<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps {
        let (s, out) = time_once(&mut f);
        times.push(s);
        last = Some(out);
    }
    (median(times), last.expect("reps >= 1"))
}

// ------------------------------------------------------------------------------------------
// Processes
// ------------------------------------------------------------------------------------------

/// A process that printed one JSON object: the (median) object and the (median) wall time.
struct JsonRun {
    json: Value,
    wall_s: f64,
}

impl JsonRun {
    fn field(&self, key: &str) -> f64 {
        self.json.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN)
    }
    fn int_field(&self, key: &str) -> String {
        self.json.get(key).map_or("?".into(), |v| v.to_string())
    }
}

/// Runs `cmd`, timing the whole process, and parses the last non-empty stdout line as JSON.
fn run_json(cmd: &mut Command) -> Result<JsonRun, String> {
    let (wall_s, output) = time_once(|| cmd.output());
    let output = output.map_err(|e| format!("cannot start `{}`: {e}", display_cmd(cmd)))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("`{}` failed ({}): {}", display_cmd(cmd), output.status, last_line(&stderr)));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = serde_json::from_str(last_line(&stdout))
        .map_err(|e| format!("`{}` printed no JSON ({e}): {}", display_cmd(cmd), last_line(&stdout)))?;
    Ok(JsonRun { json, wall_s })
}

/// `reps` runs of `cmd`: the median process time, and the run whose `wall_s` field (the peer's
/// loop time) is the median one, or the last run when there is no such field.
fn run_json_median(cmd: &mut Command, reps: usize) -> Result<JsonRun, String> {
    let mut runs = (0..reps).map(|_| run_json(cmd)).collect::<Result<Vec<_>, _>>()?;
    let process = median(runs.iter().map(|r| r.wall_s).collect());
    runs.sort_by(|a, b| a.field("wall_s").total_cmp(&b.field("wall_s")));
    let mut mid = runs.swap_remove(runs.len() / 2);
    mid.wall_s = process;
    Ok(mid)
}

fn reluflow_cmd(args: &str) -> Command {
    let mut cmd = Command::new(RELUFLOW_BIN);
    cmd.arg("simulate").args(args.split_whitespace());
    cmd
}

/// A rerunnable `reluflow simulate` line (from the crate root).
fn reluflow_line(args: &str) -> String {
    format!("{} simulate {args}", rel(Path::new(RELUFLOW_BIN)))
}

fn display_cmd(cmd: &Command) -> String {
    let mut parts = vec![rel(Path::new(cmd.get_program()))];
    parts.extend(cmd.get_args().map(|a| rel(Path::new(a))));
    parts.join(" ")
}

/// `path` relative to the crate root when inside it (so lines can be pasted there).
fn rel(path: &Path) -> String {
    path.strip_prefix(MANIFEST_DIR).map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}

fn last_line(text: &str) -> &str {
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim()
}

// ------------------------------------------------------------------------------------------
// The peer
// ------------------------------------------------------------------------------------------

struct Peer {
    python: String,
    script: PathBuf,
    /// `Err(reason)` per Python module the peer needs, checked once.
    numpy: Result<(), String>,
    scipy: Result<(), String>,
}

impl Peer {
    fn locate() -> Self {
        let python = std::env::var("RELUFLOW_PYTHON").unwrap_or_else(|_| "python3".into());
        let raw = std::env::var_os("RELUFLOW_PEER").map_or_else(|| PathBuf::from(DEFAULT_PEER), PathBuf::from);
        let script = raw.canonicalize().unwrap_or(raw);
        let found = if script.is_file() {
            Ok(())
        } else {
            Err(format!("no peer script at {} (set RELUFLOW_PEER to its path)", script.display()))
        };
        let numpy = found.clone().and_then(|()| python_import(&python, "numpy"));
        let scipy = numpy.clone().and_then(|()| python_import(&python, "scipy.integrate"));
        Self { python, script, numpy, scipy }
    }

    /// The same interpreter and modules with another script.
    fn with_script(&self, raw: PathBuf) -> Self {
        let script = raw.canonicalize().unwrap_or(raw);
        let found = if script.is_file() {
            Ok(())
        } else {
            Err(format!("no peer script at {} (set RELUFLOW_JAX_PEER to its path)", script.display()))
        };
        Self {
            python: self.python.clone(),
            script,
            numpy: found.clone().and(self.numpy.clone()),
            scipy: found.and(self.scipy.clone()),
        }
    }

    /// Why the peer cannot run with `module` (`"numpy"` or `"scipy"`), if it cannot.
    fn unavailable(&self, module: &str) -> Option<String> {
        let status = if module == "scipy" { &self.scipy } else { &self.numpy };
        status.clone().err()
    }

    fn command<S: AsRef<str>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new(&self.python);
        cmd.arg(&self.script).args(args.iter().map(AsRef::as_ref));
        cmd
    }

    fn line<S: AsRef<str>>(&self, args: &[S]) -> String {
        display_cmd(&self.command(args))
    }

    /// `reps` runs of the peer (see [`run_json_median`]), or why it cannot run.
    fn run_median<S: AsRef<str>>(&self, args: &[S], reps: usize, needs: &str) -> Result<JsonRun, String> {
        if let Some(reason) = self.unavailable(needs) {
            return Err(reason);
        }
        run_json_median(&mut self.command(args), reps)
    }
}

fn peer_gd_args(m: usize, steps: u64) -> Vec<String> {
    let (m, steps) = (m.to_string(), steps.to_string());
    ["--data", "ortho", "--n", "64", "--d", "64", "--width", &m, "--lam", "1e-6", "--step", "1e-3", "--steps", &steps]
        .map(String::from)
        .to_vec()
}

/// `Ok` if `python -c "import module"` works, else the reason (its last error line).
fn python_import(python: &str, module: &str) -> Result<(), String> {
    let out = Command::new(python)
        .args(["-c", &format!("import {module}")])
        .output()
        .map_err(|e| format!("cannot run {python}: {e} (set RELUFLOW_PYTHON)"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{python} cannot import {module} ({}); install with `pip install numpy scipy`",
            last_line(&String::from_utf8_lossy(&out.stderr))
        ))
    }
}

// ------------------------------------------------------------------------------------------
// Output
// ------------------------------------------------------------------------------------------

fn heading(title: &str) {
    println!("\n{title}\n{}", "-".repeat(title.len()));
}

fn ms(seconds: f64) -> String {
    format!("{:.1}", seconds * 1e3)
}

fn sci(x: f64) -> String {
    format!("{x:.4e}")
}

fn fixed(x: f64) -> String {
    format!("{x:.9}")
}

/// A plain text table: first column left-aligned, the others right-aligned.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Self {
        Self { header: header.iter().map(|s| s.to_string()).collect(), rows: Vec::new() }
    }

    fn row(&mut self, cells: Vec<String>) {
        assert_eq!(cells.len(), self.header.len(), "table row width");
        self.rows.push(cells);
    }

    fn print(&self) {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|c| std::iter::once(&self.header).chain(&self.rows).map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let render = |cells: &[String]| {
            let parts: Vec<String> = cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(c, (s, &w))| if c == 0 { format!("{s:<w$}") } else { format!("{s:>w$}") })
                .collect();
            println!("  {}", parts.join("  ").trim_end());
        };
        println!();
        render(&self.header);
        println!("  {}", widths.iter().map(|&w| "-".repeat(w)).collect::<Vec<_>>().join("  "));
        for r in &self.rows {
            render(r);
        }
        println!();
    }
}

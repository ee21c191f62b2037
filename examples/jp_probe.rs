use reluflow::Instance;
use reluflow::claims::limits::{Integrator, simulate_rung_to};
use reluflow::data::generate::{LabelSpec, random_orthonormal};
use reluflow::network::Model;
use reluflow::theory::jump_process::jump_process;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (n, d, ds, m, seed): (usize, usize, u64, usize, u64) = (
        args[1].parse().unwrap(),
        args[2].parse().unwrap(),
        args[3].parse().unwrap(),
        args[4].parse().unwrap(),
        args[5].parse().unwrap(),
    );
    let data = random_orthonormal(n, d, &LabelSpec::default(), ds).unwrap();
    let base = Instance::balanced(data.clone(), m, 1e-4, seed);
    let p0 = base.initialisation().unwrap().params.to_params();
    let signs: Vec<f64> = p0.a.iter().map(|a| a.signum()).collect();
    let pr = jump_process(&data, &p0.w, &signs).unwrap();
    for e in &pr.events {
        println!(
            "event tau {:.4} group {:?} fits {:?} loss_after {:.4} runner {:?}",
            e.tau, e.neurons, e.fits, e.loss_after, e.runner_up
        );
    }
    println!("limit {:.6} min {:.6} unfitted {:?}", pr.limit_norm_sq, pr.min_norm_sq, pr.unfitted);
    let mut levels = vec![pr.initial_loss];
    levels.extend(pr.events.iter().map(|e| e.loss_after));
    let tau_end = pr.events.last().unwrap().tau;

    for lambda in [1e-4, 1e-8, 1e-16, 1e-32, 1e-64, 1e-128, 1e-300] {
        let l = -f64::ln(lambda);
        let horizon = 1.5 * tau_end * l + 200.0;
        let t0 = std::time::Instant::now();
        let rung =
            simulate_rung_to(&base.with_lambda(lambda), Integrator::Flow { rtol: 1e-10 }, 1e-16, horizon).unwrap();
        let norm = rung.final_params.to_params().norm_sq();
        let mut offs = vec![];
        for (i, w) in levels.windows(2).enumerate() {
            let mid = 0.5 * (w[0] + w[1]);
            let idx = rung.steps.iter().position(|s| s.loss < mid);
            let (t, dt) = idx
                .map(|i| (rung.steps[i].time, rung.steps[i].time - rung.steps[i.saturating_sub(1)].time))
                .unwrap_or((f64::NAN, f64::NAN));
            offs.push(format!("{:.4}(dt {:.2e})", t - pr.events[i].tau * l, dt));
        }
        // mid-plateau losses
        let mut plat = vec![];
        for i in 0..pr.events.len().saturating_sub(1) {
            let tm = 0.5 * (pr.events[i].tau + pr.events[i + 1].tau) * l;
            let s = rung.steps.iter().find(|s| s.time >= tm).unwrap();
            plat.push(format!("{:.3e}", (s.loss - pr.events[i].loss_after).abs()));
        }
        let h = Model::relu().validate().unwrap().predict(&rung.final_params.to_params(), &data);
        let res: Vec<String> = (0..n).map(|k| format!("{:.1e}", h[k] - data.y()[k])).collect();
        println!(
            "lambda {lambda:e}: steps {} stop {:?} t_end {:.1} loss {:.3e} norm gap {:.3e} offsets {:?} plateaus {:?} resid {:?} ({:.2}s)",
            rung.summary.steps,
            rung.summary.stop_reason,
            rung.summary.time,
            rung.summary.final_loss,
            (norm / pr.limit_norm_sq - 1.0).abs(),
            offs,
            plat,
            res,
            t0.elapsed().as_secs_f64()
        );
    }
}

//! Issue 14, goal 3: one large run uses every thread of its rayon pool (the kernel splits the
//! neurons for the two matrix products and the points for the residuals), and the result does
//! not depend on how many threads there are: gradient descent and the flow give bit-identical
//! final parameters, losses and counts at 1, 2 and 3 threads.
//!
//! Why it must hold: every number is computed by a sequence of operations fixed per neuron or per
//! point (see `network::kernel`); the split only decides which thread runs which neuron or point.

use reluflow::data::generate::random_orthonormal;
use reluflow::init::{InitKind, InitSpec};
use reluflow::network::{Kernel, Model, SPLIT_WORK_IN_POOL};
use reluflow::reproduce::highdim_data;
use reluflow::solver::flow::{FlowConfig, run_flow};
use reluflow::solver::gd::{GdConfig, run_gd};
use reluflow::solver::{NoObserver, Run, StopRule};

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool").install(f)
}

/// Bits of everything a run reports.
fn fingerprint(run: &Run) -> (Vec<u64>, Vec<u64>, u64, [u64; 4]) {
    let p = run.final_params.to_params();
    let s = &run.summary;
    (
        p.a.iter().map(|v| v.to_bits()).collect(),
        p.w.iter().flatten().map(|v| v.to_bits()).collect(),
        s.final_loss.to_bits(),
        [s.steps, s.gradient_evaluations, s.events, s.time.to_bits()],
    )
}

/// n = 40, d = 64, m = 3300: `m n d` is above the size from which a kernel inside a pool worker
/// splits, so each pool's threads all take part (checked: the kernel reports one piece per
/// thread). 25 GD steps on Gaussian (not orthogonal) inputs and 8 flow steps on orthonormal
/// inputs (where no sliding mode can stop it) give the same bits at 1, 2 and 3 threads.
#[test]
fn gd_and_flow_are_bit_identical_at_1_2_and_3_threads() {
    let (n, d, m) = (40, 64, 3300);
    assert!(m * n * d >= SPLIT_WORK_IN_POOL, "the instance must be large enough to split");
    let data = highdim_data(n, d, 0);
    let ortho = random_orthonormal(n, d, &Default::default(), 0).expect("orthonormal data");
    let theta0 =
        InitSpec { kind: InitKind::Balanced, width: m, lambda: 0.01, seed: 0 }.validate().unwrap().draw(d).params;
    let model = Model::relu().validate().unwrap();
    let gd_cfg = GdConfig { step: 1e-3, stop: StopRule { max_steps: Some(25), ..Default::default() } };
    let flow_cfg = FlowConfig { stop: StopRule { max_steps: Some(8), ..Default::default() }, ..Default::default() };
    let mut first = None;
    for threads in [1, 2, 3] {
        let (pieces, gd, flow) = in_pool(threads, || {
            let pieces = Kernel::new(&data, model, m).pieces();
            let gd = run_gd(&data, model, &theta0, &gd_cfg, &mut NoObserver).expect("GD run");
            let flow = run_flow(&ortho, model, &theta0, &flow_cfg, &mut NoObserver).expect("flow run");
            (pieces, gd, flow)
        });
        assert_eq!(pieces, threads, "a {threads}-thread pool: the kernel splits into one piece per thread");
        assert!(gd.summary.steps == 25 && flow.summary.steps == 8, "both runs took steps");
        let prints = (fingerprint(&gd), fingerprint(&flow));
        match &first {
            None => first = Some(prints),
            Some(reference) => {
                assert!(prints.0 == reference.0, "GD at {threads} threads differs from 1 thread");
                assert!(prints.1 == reference.1, "the flow at {threads} threads differs from 1 thread");
            }
        }
    }
}

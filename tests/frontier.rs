//! scratch
use reluflow::claims::{ClaimId, heuristic, registry};

#[test]
fn scratch_mf_ls() {
    for seed in 0..12u64 {
        let inst = heuristic::instance(ClaimId::MF, seed).unwrap();
        let e = heuristic::simulate_mf(&inst, heuristic::MF_FACTOR).unwrap();
        match &e {
            heuristic::MfEvidence::Above(a) => eprintln!(
                "seed {seed} n {} m {}: below {:?}\n   above {:?}\n   lazy {:?}\n   {}",
                inst.data.n(),
                a.m,
                a.below,
                a.above,
                a.lazy,
                heuristic::check_mf(a).statement()
            ),
            other => eprintln!("seed {seed}: {other:?}"),
        }
    }
    for seed in 0..4u64 {
        let t = std::time::Instant::now();
        let o = registry::run(ClaimId::LS, seed);
        eprintln!(
            "LS seed {seed} ({:.2}s): {:?}",
            t.elapsed().as_secs_f64(),
            o.verdict().map(|v| (v.holds(), v.statement().to_string()))
        );
    }
}

//! The generators produce what they promise: Assumptions 1-3, the well-separated margin,
//! determinism, and proptest strategies that build from integers.

use proptest::prelude::*;
use reluflow::data::ORTHONORMAL_TOL;
use reluflow::generators::{EPS_FLOOR, InstanceShape, log_uniform_lambda, orthonormal_dataset};
use reluflow::theory;

fn assert_meets_assumptions_1_to_3(instance: &reluflow::Instance) {
    let report = instance.data.assumptions();
    assert!(report.assumption_1 && report.max_gram_deviation <= ORTHONORMAL_TOL, "{report}");
    assert!(report.assumption_2, "{report}");
    assert!(theory::r(&instance.data) > 1.0, "labels are flipped so that r > 1");
    assert!(instance.sets().unwrap().assumption_3());
}

#[test]
fn seeded_instances_meet_assumptions_1_to_3_and_are_deterministic() {
    let shape = InstanceShape::default();
    for seed in 0..200 {
        let a = shape.sample(seed).expect("acceptance is high: 200 tries always suffice");
        assert_meets_assumptions_1_to_3(&a);
        assert_eq!(Some(a), shape.sample(seed));
    }
}

#[test]
fn well_separated_instances_have_the_margin_they_promise() {
    let shape = InstanceShape::well_separated().with_lambda_exp10(250..=300);
    for seed in 0..100 {
        let i = shape.sample(seed).unwrap();
        assert_meets_assumptions_1_to_3(&i);
        assert!(theory::r(&i.data) >= 1.5);
        assert!(theory::epsilon_max(&i.data).unwrap() >= EPS_FLOOR);
        assert!(i.lambda() < 2e-250 && i.lambda() >= 1e-300);
    }
}

proptest! {
    #![proptest_config(crate::common::config(64))]

    #[test]
    fn strategy_instances_meet_assumptions_1_to_3(instance in InstanceShape::default().with_n(2..=8).strategy()) {
        assert_meets_assumptions_1_to_3(&instance);
        prop_assert!(instance.data.d() >= instance.data.n() && instance.data.d() <= instance.data.n() + 3);
    }

    #[test]
    fn orthonormal_datasets_are_orthonormal(data in orthonormal_dataset(2..=8, 0..=6)) {
        prop_assert!(data.assumptions().max_gram_deviation <= 1e-12);
    }

    #[test]
    fn log_uniform_lambda_stays_in_range(lambda in log_uniform_lambda(8..=300)) {
        prop_assert!((1e-300..2e-8).contains(&lambda));
    }
}

//! The one claim interface (issue 11): `claims::check` tests each claim's requirements first and
//! skips, naming the unmet one; verdicts are honest by construction (`Verdict::all`, vacuous
//! parts); `verify` says when there is no evidence (exit code 3).

use crate::common::assert_skipped;
use clap::Parser;
use reluflow::Instance;
use reluflow::claims::registry::{ClaimState, summarise};
use reluflow::claims::{ClaimId, Outcome, Requirement, Verdict, check, registry};
use reluflow::data::Dataset;
use reluflow::data::generate::random_orthonormal;
use reluflow::init::InitKind;
use reluflow::network::Model;

/// An instance that meets every requirement except `req` (and possibly requirements after it
/// in the claim's list), built from `base`, which meets them all. `None` only where `base`
/// cannot be changed to break `req` alone.
fn violate(req: Requirement, base: &Instance) -> Instance {
    let data = &base.data;
    let with_data = |data: Dataset| Instance { data, ..base.clone() };
    let rows =
        |f: &dyn Fn(usize, &[f64]) -> Vec<f64>| -> Vec<Vec<f64>> { (0..data.n()).map(|k| f(k, data.x(k))).collect() };
    match req {
        // orthogonal inputs of norm 2: Assumption 1 fails, orthogonality stays
        Requirement::OrthonormalInputs => {
            with_data(Dataset::new(rows(&|_, x| x.iter().map(|v| 2.0 * v).collect()), data.y().to_vec()).unwrap())
        }
        // x_0 += x_1 / 2: not orthogonal
        Requirement::OrthogonalInputs => {
            let x1 = data.x(1).to_vec();
            let x =
                rows(&|k, x| if k == 0 { x.iter().zip(&x1).map(|(a, b)| a + b / 2.0).collect() } else { x.to_vec() });
            with_data(Dataset::new(x, data.y().to_vec()).unwrap())
        }
        // |y| = 1 on one point of each sign, the others' labels moved so that S+ = S-
        Requirement::Assumption2 => {
            let y: Vec<f64> = data.y().iter().map(|y| y.signum()).collect();
            let (p, m) = (y.iter().filter(|v| **v > 0.0).count(), y.iter().filter(|v| **v < 0.0).count());
            let scale_minus = (p as f64 / m as f64).sqrt();
            let y = y.iter().map(|v| if *v < 0.0 { v * scale_minus } else { *v }).collect();
            with_data(data.with_labels(y).unwrap())
        }
        // every label negated: r -> 1/r < 1
        Requirement::RatioAboveOne => with_data(data.with_labels(data.y().iter().map(|v| -v).collect()).unwrap()),
        Requirement::BothLabelSigns => with_data(data.with_labels(data.y().iter().map(|v| v.abs()).collect()).unwrap()),
        // the first label set to 0
        Requirement::NonZeroLabels => with_data(
            data.with_labels(data.y().iter().enumerate().map(|(k, v)| if k == 0 { 0.0 } else { *v }).collect())
                .unwrap(),
        ),
        // one neuron: S+,1 or S-,1 is empty whatever the seed (a neuron has one sign)
        Requirement::Assumption3 | Requirement::SPlusOneNonEmpty | Requirement::SMinusOneNonEmpty => {
            let want_plus_empty = req != Requirement::SMinusOneNonEmpty;
            (0..1000u64)
                .map(|seed| Instance { init: reluflow::init::InitSpec { width: 1, seed, ..base.init }, ..base.clone() })
                .find(|i| {
                    let sets = i.sets().unwrap();
                    if want_plus_empty { sets.s_plus_1.is_empty() } else { sets.s_minus_1.is_empty() }
                })
                .expect("a one-neuron initialisation with the set empty")
        }
        Requirement::BalancedInit => base.with_init_kind(InitKind::Unbalanced),
        Requirement::ReluWithZeroDerivative => base.with_model(Model { relu_prime_at_zero: 1.0, ..Model::relu() }),
        // r -> 1.0001: eps_max -> 0
        Requirement::EpsilonAtLeast(_) => {
            let (sp, sm) = (reluflow::theory::d_plus_norm(data), reluflow::theory::d_minus_norm(data));
            let f = sp / sm / 1.0001;
            with_data(data.with_labels(data.y().iter().map(|v| if *v < 0.0 { v * f } else { *v }).collect()).unwrap())
        }
        Requirement::LambdaAtMost(b) => base.with_lambda(b * 10.0),
        Requirement::LambdaAtLeast(b) => base.with_lambda(b / 10.0),
        Requirement::PointsAtMost(n) => with_data(random_orthonormal(n + 1, n + 1, &Default::default(), 0).unwrap()),
        Requirement::OneDimensionalWithBias => with_data(random_orthonormal(2, 3, &Default::default(), 0).unwrap()),
        Requirement::LazyScale => base.with_lambda(base.lambda() / 10.0),
        // the Section 5 toy: orthogonal inputs
        Requirement::NonOrthogonalInputs => with_data(reluflow::experiments::data::toy()),
        // Gaussian inputs with more points than dimensions, no bias column: neither A.1 nor A.2
        Requirement::AppendixASetting => with_data(reluflow::experiments::data::a2_data(20, 8, 0)),
        // a wide initialisation with S+,1 and S-,1 both non-empty
        Requirement::Assumption3Violated => (0..1000u64)
            .map(|seed| Instance { init: reluflow::init::InitSpec { width: 64, seed, ..base.init }, ..base.clone() })
            .find(|i| i.sets().unwrap().assumption_3())
            .expect("a 64-neuron initialisation meeting Assumption 3"),
        // one neuron: Assumption 3 fails, and the labels of the other sign are covered by no neuron
        Requirement::LabelsCovered => {
            Instance { init: reluflow::init::InitSpec { width: 1, ..base.init }, ..base.clone() }
        }
    }
}

/// Every claim, every one of its requirements: an instance drawn for the claim (which meets them
/// all) changed to break that requirement gets `Skipped`, naming the first requirement it misses
/// — and the broken requirement itself reports the instance as failing it. No simulation runs
/// (`check` tests the requirements first), so this covers every pair.
#[test]
fn every_claim_is_skipped_naming_the_requirement_an_instance_misses() {
    let mut pairs = 0;
    for id in ClaimId::ALL {
        let base = (0..16).find_map(|seed| registry::instance(id, seed).ok()).expect("an instance of the claim");
        for (i, &req) in id.requirements().iter().enumerate() {
            assert!(req.check(&base).is_ok(), "{id}: its own instance misses {}", req.name());
            let broken = violate(req, &base);
            assert!(req.check(&broken).is_err(), "{id}: the instance built to break {} meets it", req.name());
            let first = id.requirements()[..=i].iter().find(|r| r.check(&broken).is_err()).expect("one fails");
            assert_skipped(&check(id, &broken), &first.name());
            pairs += 1;
        }
    }
    // Lemma 1 (L1) holds for any data and any initialisation: its list is empty on purpose
    assert!(ClaimId::L1.requirements().is_empty());
    assert!(pairs >= 3 * (ClaimId::ALL.len() - 1), "{pairs} (claim, requirement) pairs");
}

/// A verdict whose every part is vacuous is `Outcome::Vacuous` (no evidence), never held; one
/// vacuous part among others is shown as such and never binds.
#[test]
fn vacuous_parts_are_never_evidence() {
    let vacuous = Verdict::at_most(ClaimId::AL, 0.2, std::f64::consts::LN_2, "pair bound ln 2")
        .vacuous_if(true, "delta >= 1: the bound is the largest value");
    let o = Outcome::of(vacuous.clone(), 1e-3);
    assert!(matches!(&o, Outcome::Vacuous { reason, .. } if reason.contains("vacuous at lambda = 1.000e-3")), "{o:?}");
    assert!(!o.held() && !o.failed());
    let s = summarise(ClaimId::AL, &[o]);
    assert_eq!((s.state, s.vacuous, s.held), (ClaimState::NoEvidence, 1, 0));

    let real = Verdict::at_most(ClaimId::AL, 0.9, 1.0, "real part");
    let both = Verdict::all(ClaimId::AL, [vacuous.clone(), real]);
    assert!(both.holds() && !both.is_vacuous());
    assert_eq!(both.measured(), 0.9);
    assert!(both.statement().contains("[vacuous] pair bound") && both.statement().contains("[ok] real part"));
    assert!(Verdict::all(ClaimId::AL, [vacuous.clone(), vacuous]).is_vacuous());
}

/// `Verdict::all` holds iff every non-vacuous part does, takes the binding part's numbers, and a
/// failing yes/no condition fails it even when every bound has a positive margin.
#[test]
fn verdict_all_holds_iff_every_part_holds() {
    let a = Verdict::at_most(ClaimId::T1, 0.5, 1.0, "a");
    let b = Verdict::at_least(ClaimId::T1, 3.0, 2.0, "b");
    let ok = Verdict::condition(ClaimId::T1, true, "converged");
    let no = Verdict::condition(ClaimId::T1, false, "converged");
    let v = Verdict::all(ClaimId::T1, [a.clone(), b.clone(), ok.clone()]);
    assert!(v.holds());
    assert_eq!(v.measured(), 0.5, "the holding condition never binds: {v:?}");
    let v = Verdict::all(ClaimId::T1, [a.clone(), b.clone(), no]);
    assert!(!v.holds() && v.margin() < 0.0, "{v:?}");
    let v = Verdict::all(ClaimId::T1, [a, Verdict::at_most(ClaimId::T1, 2.0, 1.0, "c")]);
    assert!(!v.holds() && v.measured() == 2.0);
    assert!(!Verdict::all(ClaimId::T1, []).holds(), "no parts is no evidence");
    // holds <=> margin >= 0 for every constructor, NaN included
    for v in [
        Verdict::at_most(ClaimId::T1, f64::NAN, 1.0, ""),
        Verdict::at_least(ClaimId::T1, 1.0, f64::NAN, ""),
        Verdict::positive(ClaimId::T1, 0.0, ""),
        Verdict::positive(ClaimId::T1, 1e-3, ""),
        Verdict::failed(ClaimId::T1, "why"),
        ok,
        b,
    ] {
        assert_eq!(v.holds(), v.margin() >= 0.0, "{v:?}");
    }
    assert!(!Verdict::positive(ClaimId::T1, 0.0, "").holds(), "> 0 is strict");
}

fn verify_code(args: &[&str]) -> (String, u8) {
    let cli = reluflow::cli::Cli::try_parse_from(std::iter::once("reluflow").chain(args.iter().copied())).unwrap();
    reluflow::cli::run(cli).unwrap()
}

/// `verify` on an instance that misses a requested claim's requirement: no evidence, exit code
/// 3, and the table names the unmet requirement; a claim that held alongside it does not change
/// the code; a claim that fails makes it 1 (checked through the registry's summary).
#[test]
fn verify_exits_3_when_a_requested_claim_has_no_evidence() {
    // the toy is orthogonal but not orthonormal: A3 and T1 need Assumption 1
    let (out, code) =
        verify_code(&["verify", "--data", "toy", "--width", "8", "--lambda", "1e-6", "--claims", "A3,T1"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("no evidence") && out.contains("orthonormal inputs (Assumption 1)"), "{out}");
    assert!(!out.contains("every claim held"), "{out}");

    // random instances, cheap claims: held, exit 0
    let (out, code) = verify_code(&["verify", "--claims", "A3,L14", "--cases", "2"]);
    assert_eq!(code, 0, "{out}");

    // the report's code: a failure outranks no evidence
    let held = summarise(ClaimId::A3, &[Outcome::Checked(Verdict::at_most(ClaimId::A3, 0.0, 1.0, "ok"))]);
    let none = summarise(ClaimId::T1, &[Outcome::Skipped { claim: ClaimId::T1, reason: "x".into() }]);
    let failed = summarise(ClaimId::L1, &[Outcome::Checked(Verdict::at_most(ClaimId::L1, 2.0, 1.0, "no"))]);
    let report = |claims| reluflow::claims::registry::VerifyReport { seed: 0, cases: 1, claims };
    assert_eq!(report(vec![held.clone()]).exit_code(), 0);
    assert_eq!(report(vec![held.clone(), none.clone()]).exit_code(), 3);
    assert_eq!(report(vec![held, none, failed]).exit_code(), 1);
}

/// The one-instance flags are validated: `--width` and `--lambda` without data, or data without
/// them, are usage errors that name the missing flag.
#[test]
fn verify_one_instance_flags_are_validated() {
    let run = |args: &[&str]| {
        let cli = reluflow::cli::Cli::try_parse_from(std::iter::once("reluflow").chain(args.iter().copied())).unwrap();
        reluflow::cli::run(cli).map(|_| ()).unwrap_err().to_string()
    };
    assert!(run(&["verify", "--width", "8"]).contains("give its data too"));
    assert!(run(&["verify", "--data", "toy", "--lambda", "1e-6"]).contains("--width"));
    assert!(run(&["verify", "--data", "toy", "--width", "8"]).contains("--lambda"));
    assert!(run(&["verify", "--data", "toy", "--width", "0", "--lambda", "1e-6"]).contains("--width 0"));
}

/// The case seeds of `verify` are distinct across claims and cases for any user seed, the all-ones
/// seed included (where OR-ing the claim index and the case into the seed would collide: the
/// mixing is an XOR, so every bit of the seed, the claim and the case reaches the SplitMix64).
#[test]
fn case_seeds_are_distinct_across_claims_and_cases_for_every_user_seed() {
    for seed in [0, 1, 0x5555_5555_5555_5555, u64::MAX] {
        let mut all: Vec<u64> =
            ClaimId::ALL.iter().flat_map(|&id| (0..64).map(move |case| registry::case_seed(seed, id, case))).collect();
        let total = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), total, "seed {seed:#x}: colliding case seeds");
    }
}

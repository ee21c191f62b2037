//! The `lambda*` frontier (`reluflow::frontier`, `reluflow frontier`) and the heuristic claims
//! LS and MF of Section 3.2 (`reluflow::claims::heuristic`): the bisection on planted
//! thresholds, `lambda*` on one cell, the fits, LS and MF with their negative controls and the
//! measured findings, and `verify`'s heuristic section and `--strict`.

use clap::Parser;
use reluflow::campaign::measure_flow;
use reluflow::claims::heuristic::{
    self, Consistency, LsEvidence, MF_FACTOR, MfEvidence, MfReference, NTrend, PAPER_M_EXPONENT,
};
use reluflow::claims::{ClaimId, Outcome, registry};
use reluflow::frontier::{self, FrontierStatus, bisect_ln, fit_common_slope, fit_line};
use std::sync::OnceLock;

use crate::common::{assert_fails, assert_holds};

/// A planted threshold `t` on a synthetic monotone predicate (`lambda < t` shows): the
/// bisection brackets it, `shows_at < t <= fails_at`, within the resolution, and counts its
/// evaluations (`2 + ceil(log2(ln(hi/lo)/resolution))`).
#[test]
fn bisection_finds_a_planted_threshold() {
    for (t, resolution) in [(3.7e-5, 0.25), (1e-13, 0.1), (0.09, 0.5), (2.2e-3, 1e-3)] {
        let b = bisect_ln(1e-14, 1e-1, resolution, |l| Ok::<_, ()>((l < t, None))).expect("no error");
        assert_eq!(b.status, FrontierStatus::Found, "{t}");
        let (s, f) = (b.shows_at.unwrap(), b.fails_at.unwrap());
        assert!(s < t && t <= f, "threshold {t:e} not in [{s:e}, {f:e}]");
        assert!(b.width_ln().unwrap() <= resolution + 1e-12);
        let star = b.lambda_star.unwrap();
        assert!(s < star && star < f && ((star * star) / (s * f) - 1.0).abs() < 1e-9);
        let steps = ((1e-1f64 / 1e-14).ln() / resolution).log2().ceil() as usize;
        assert_eq!(b.probes.len(), 2 + steps, "{t}");
        assert!(b.probes.iter().all(|p| p.shows == (p.lambda < t)));
    }
}

/// A range end that contradicts monotonicity is reported, not bisected through: the bottom
/// not showing (`NoneShows`, one evaluation) and the top showing (`AllShow`, two); a bad range
/// is an error; a simulation error is passed on.
#[test]
fn bisection_reports_range_ends_that_contradict_monotonicity() {
    let none = bisect_ln(1e-14, 1e-1, 0.25, |_| Ok::<_, ()>((false, None))).unwrap();
    assert_eq!((none.status, none.probes.len(), none.lambda_star), (FrontierStatus::NoneShows, 1, None));
    assert_eq!(none.fails_at, Some(1e-14));
    let all = bisect_ln(1e-14, 1e-1, 0.25, |_| Ok::<_, ()>((true, None))).unwrap();
    assert_eq!((all.status, all.probes.len(), all.lambda_star), (FrontierStatus::AllShow, 2, None));
    assert_eq!(all.shows_at, Some(1e-1));
    assert!(frontier::check_range(1e-1, 1e-14, 0.25).is_err());
    assert!(frontier::check_range(0.0, 1e-1, 0.25).is_err());
    assert!(frontier::check_range(1e-14, 1e-1, 0.0).is_err());
    assert_eq!(bisect_ln(1e-14, 1e-1, 0.25, |_| Err::<(bool, _), _>("boom")).unwrap_err(), "boom");
    let inst = frontier::cell_instance(2, 8, 0).unwrap();
    assert!(matches!(frontier::lambda_star_of(&inst, 1.0, 0.5, 0.25), Err(frontier::FrontierError::Range(_))));
}

/// `lambda*` of one small cell (n = 3, m = 16, seed 0) lies strictly inside its bracket, the
/// bracket is at most the resolution wide, and the predicate flips across it: the run at
/// `shows_at` shows the paper's dynamics (Fact 1's plateau, zero loss, small excess) and the run
/// at `fails_at` does not; the probes are the predicate's values.
#[test]
fn lambda_star_of_one_cell_is_inside_its_bracket_and_the_predicate_flips_across_it() {
    let inst = frontier::cell_instance(3, 16, 0).expect("a cell with Assumption 3");
    assert!(inst.sets().unwrap().assumption_3());
    assert!(reluflow::theory::r(&inst.data) >= frontier::FRONTIER_MIN_RATIO);
    let b = frontier::lambda_star(&inst.data, 16, inst.init.seed, 1e-14, 1e-1, 0.25).expect("runs");
    assert_eq!(b.status, FrontierStatus::Found, "{b:?}");
    let (s, f, star) = (b.shows_at.unwrap(), b.fails_at.unwrap(), b.lambda_star.unwrap());
    assert!(s < star && star < f && b.width_ln().unwrap() <= 0.25, "{b:?}");
    let below = measure_flow(&inst.with_lambda(s)).unwrap();
    let above = measure_flow(&inst.with_lambda(f)).unwrap();
    let (db, da) = (frontier::judge(&below), frontier::judge(&above));
    assert!(frontier::paper_dynamics(&below) && db.fact_1_plateau && db.zero_loss, "{below:?}");
    assert!(db.norm_excess.unwrap() < frontier::EXCESS_MAX);
    assert!(!frontier::paper_dynamics(&above) && !da.shows, "{above:?}");
    for p in &b.probes {
        assert_eq!(Some(p.shows), p.dynamics.map(|d| d.shows));
        assert_eq!(p.shows, p.lambda <= s, "monotone on this cell's probes: {:?}", b.probes);
    }
}

/// The fits: an exact line has its slope with a zero-width interval; noisy points have the
/// textbook interval (slope +- t_{0.975, k-2} se); a common slope over groups with different
/// intercepts recovers the slope that per-group lines share; too few points give no fit.
#[test]
fn line_fits_recover_planted_slopes_with_t_intervals() {
    let xs: Vec<f64> = (0..6).map(f64::from).collect();
    let exact: Vec<f64> = xs.iter().map(|x| 1.5 - 0.5 * x).collect();
    let f = fit_line(&xs, &exact).unwrap();
    assert!((f.slope + 0.5).abs() < 1e-12 && (f.slope_hi - f.slope_lo).abs() < 1e-9 && f.points == 6);
    let noisy = [0.1, 0.9, 2.2, 2.8, 4.1, 5.0];
    let f = fit_line(&xs, &noisy).unwrap();
    // t_{0.975, 4} = 2.7764
    assert!(((f.slope_hi - f.slope) / f.slope_se - 2.7764).abs() < 1e-3, "{f:?}");
    assert!(f.interval_contains(1.0) && !f.interval_contains(0.5));
    let mut pts = Vec::new();
    for (g, intercept) in [(0usize, 0.0), (1, 7.0), (2, -3.0)] {
        for (k, x) in [1.0, 2.0, 4.0, 8.0].iter().enumerate() {
            let wiggle = if (k + g) % 2 == 0 { 0.01 } else { -0.01 };
            pts.push((g, f64::ln(*x), intercept - 0.5 * f64::ln(*x) + wiggle));
        }
    }
    let f = fit_common_slope(&pts).unwrap();
    assert!((f.slope + 0.5).abs() < 0.02 && f.interval_contains(-0.5) && f.points == 12, "{f:?}");
    assert!(fit_line(&[1.0, 2.0], &[1.0, 2.0]).is_none());
    assert!(fit_common_slope(&[(0, 1.0, 1.0), (0, 2.0, 2.0), (1, 1.0, 3.0)]).is_none());
}

/// The LS evidence of registry seed 0 (the default grid: n = 2, 3, 4; m = 8, 16, 32, 64; 4
/// seeds; resolution 0.5), computed once.
fn ls_seed_0() -> &'static LsEvidence {
    static EVIDENCE: OnceLock<LsEvidence> = OnceLock::new();
    EVIDENCE.get_or_init(|| heuristic::simulate_ls(&heuristic::ls_grid(0)))
}

/// **Finding (LS, default grid, seed 0).** The m-exponent agrees with the paper: -0.504, 95%
/// interval [-0.776, -0.232] (46 of 48 cells found; 2 with `lambda* >= 0.1` left out). The
/// n-dependence is not shown to decrease: slope of the dataset means -1.249, 95% interval
/// [-2.574, +0.076] over 10 datasets, so LS is inconsistent on this grid (the interval reaches
/// above 0). Pinned, not tuned.
#[test]
fn ls_finding_on_the_default_grid_m_exponent_consistent_n_decrease_not_shown() {
    let e = ls_seed_0();
    let m = heuristic::measure_ls(e);
    let (fm, fnn) = (m.m_exponent.unwrap(), m.n_slope.unwrap());
    eprintln!("{m:?}");
    assert_eq!((m.found, m.all_show, m.none_shows, m.errors), (46, 2, 0, 0));
    let close = |a: f64, b: f64| (a - b).abs() < 2e-3;
    assert!(close(fm.slope, -0.504) && close(fm.slope_lo, -0.776) && close(fm.slope_hi, -0.232), "{fm:?}");
    assert!(close(fnn.slope, -1.249) && close(fnn.slope_lo, -2.574) && close(fnn.slope_hi, 0.076), "{fnn:?}");
    assert!(fm.interval_contains(PAPER_M_EXPONENT));
    let v = heuristic::check_ls(e);
    assert_fails(&v);
    assert!(v.statement().contains("[ok] m-exponent") && v.statement().contains("[FAIL] n-slope"), "{}", v.statement());
    assert_eq!(registry::run(ClaimId::LS, 0).verdict().map(|v| v.holds()), Some(false));
}

/// The m-part alone, with the n-part's direction chosen so that it cannot decide: the paper's
/// exponent passes the m-part on the same evidence (the part is not failing for every value).
#[test]
fn ls_m_part_accepts_the_paper_exponent_on_the_default_grid() {
    let v = heuristic::check_ls(ls_seed_0());
    assert!(v.statement().contains("[ok] 95% interval low") && v.statement().contains("[ok] high"));
}

/// LS's n-part can hold: on a synthetic frontier whose `lambda*` falls like `e^(-n)` it is
/// consistent (and the m-part with it, at `m^(-1/2)`).
#[test]
fn ls_is_consistent_on_a_frontier_with_the_papers_scaling() {
    let grid = heuristic::ls_grid(0);
    let mut cells = Vec::new();
    for &n in &grid.ns {
        for &m in &grid.widths {
            for (k, &seed) in grid.seeds.iter().enumerate() {
                let wiggle = 0.05 * ((k as f64 + n as f64 * 0.7 + m as f64 * 0.13).sin());
                let star = (-(n as f64) - 0.5 * (m as f64).ln() + wiggle).exp();
                let b = bisect_ln(1e-14, 1e-1, 0.01, |l| Ok::<_, ()>((l < star, None))).unwrap();
                cells.push(frontier::FrontierCell {
                    n,
                    m,
                    seed,
                    init_seed: Some(seed),
                    ratio: None,
                    bisection: Some(b),
                    error: None,
                    wall_seconds: 0.0,
                });
            }
        }
    }
    let e = LsEvidence { grid, cells };
    assert_holds(&heuristic::check_ls(&e));
    assert_fails(&heuristic::check_ls_against(&e, -2.0, NTrend::Decreasing));
}

/// LS negative control: a wrong exponent, `lambda* ~ m^-2`, lies outside the measured interval.
#[test]
fn ls_negative_control_wrong_m_exponent_minus_two() {
    let v = heuristic::check_ls_against(ls_seed_0(), -2.0, NTrend::Decreasing);
    assert_fails(&v);
    assert!(v.statement().contains("[FAIL] 95% interval low"), "{}", v.statement());
}

/// LS negative control: the wrong sign, `lambda* ~ m^(+1/2)`.
#[test]
fn ls_negative_control_wrong_m_exponent_plus_half() {
    let v = heuristic::check_ls_against(ls_seed_0(), 0.5, NTrend::Decreasing);
    assert_fails(&v);
    assert!(v.statement().contains("[FAIL] high"), "{}", v.statement());
}

/// LS negative control: the wrong direction in n (`lambda*` increasing): the interval is not
/// above 0 either.
#[test]
fn ls_negative_control_n_increasing() {
    let v = heuristic::check_ls_against(ls_seed_0(), PAPER_M_EXPONENT, NTrend::Increasing);
    assert_fails(&v);
    assert!(v.statement().contains("[FAIL] n-slope") && v.statement().contains("interval above 0"));
}

/// **Finding (LS, the deeper grid of `verify --deep`, seed 0: n = 2..5, m = 8..128, 4 seeds,
/// resolution 0.25; ~5 s on 2 cores).** Consistent on this grid: m-exponent -0.692, 95% interval
/// [-0.935, -0.449] (78 of 80 cells found, 2 with `lambda* >= 0.1`); n-slope of the dataset
/// means -1.125, [-1.938, -0.312] over 14 datasets. Other seeds of the same grid can come out
/// inconsistent (`verify --deep` with its case seed: n-slope +0.202, [-0.671, +1.076]): with 4
/// seeds per `n` the n-part is at the edge of what the data resolve. Pinned, not tuned.
#[test]
fn ls_finding_on_the_deep_grid() {
    let e = heuristic::simulate_ls(&heuristic::ls_deep_grid(0));
    let m = heuristic::measure_ls(&e);
    let (fm, fnn) = (m.m_exponent.unwrap(), m.n_slope.unwrap());
    assert_eq!((m.found, m.all_show, m.none_shows, m.errors), (78, 2, 0, 0));
    let close = |a: f64, b: f64| (a - b).abs() < 2e-3;
    assert!(close(fm.slope, -0.692) && close(fm.slope_lo, -0.935) && close(fm.slope_hi, -0.449), "{fm:?}");
    assert!(close(fnn.slope, -1.125) && close(fnn.slope_lo, -1.938) && close(fnn.slope_hi, -0.312), "{fnn:?}");
    assert_holds(&heuristic::check_ls(&e));
}

fn mf_evidence(seed: u64, factor: f64) -> heuristic::MfAbove {
    let inst = heuristic::instance(ClaimId::MF, seed).expect("an MF cell");
    match heuristic::simulate_mf(&inst, factor).expect("runs") {
        MfEvidence::Above(e) => e,
        other => panic!("seed {seed}: {other:?}"),
    }
}

/// MF is consistent on registry seeds 0 and 1 (n = 2 and 3, m = 8): at `lambda_MF = 4 fails_at`
/// zero loss, no Fact 1 plateau, excess below the lazy run's; the run below the frontier has
/// the plateau and a smaller excess (the trend across the frontier).
#[test]
fn mf_is_consistent_above_the_frontier_on_its_first_seeds() {
    for seed in 0..2 {
        let e = mf_evidence(seed, MF_FACTOR);
        assert!(e.below.fact_1_plateau && !e.above.fact_1_plateau, "{e:?}");
        assert!(e.below.norm_excess < e.above.norm_excess && e.above.norm_excess < e.lazy.norm_excess, "{e:?}");
        assert!(e.above.lambda <= heuristic::mean_field_max(e.m));
        assert_holds(&heuristic::check_mf(&e));
    }
}

/// **Finding (MF).** On the cells where the norm excess, not the plateau, sets `lambda*`, the
/// saddle persists above the frontier: `verify`'s MF case 6 of seed 0 (n = 4, m = 8; bracket
/// [9.65e-3, 1.54e-2], excess 0.094 at `shows_at`), at `lambda_MF = 6.16e-2` the plateau is
/// still there (excess 0.154), so MF is inconsistent on it. Pinned, not tuned.
#[test]
fn mf_finding_the_saddle_persists_where_the_excess_sets_lambda_star() {
    let seed = registry::case_seed(0, ClaimId::MF, 6);
    let inst = heuristic::instance(ClaimId::MF, seed).unwrap();
    assert_eq!((inst.data.n(), inst.init.width), (4, 8));
    let e = mf_evidence(seed, MF_FACTOR);
    assert!(e.above.fact_1_plateau && e.below.norm_excess > 0.09, "{e:?}");
    assert!((e.bracket.0 - 9.647e-3).abs() < 1e-5 && (e.above.norm_excess - 0.154).abs() < 1e-3, "{e:?}");
    let v = heuristic::check_mf(&e);
    assert_fails(&v);
    assert!(v.statement().contains("[FAIL] no plateau"), "{}", v.statement());
}

/// MF negative control: below the frontier (`lambda = shows_at / 4`) Fact 1's plateau is there.
#[test]
fn mf_negative_control_below_the_frontier() {
    for seed in 0..2 {
        let e = mf_evidence(seed, 1.0 / MF_FACTOR);
        assert!(e.above.lambda < e.bracket.0);
        let v = heuristic::check_mf(&e);
        assert_fails(&v);
        assert!(v.statement().contains("[FAIL] no plateau"), "{}", v.statement());
    }
}

/// MF negative control: a wrong, stronger trend (the excess above the frontier at most the
/// excess below it) fails, since the excess grows across the frontier.
#[test]
fn mf_negative_control_excess_as_below_the_frontier() {
    for seed in 0..2 {
        let v = heuristic::check_mf_against(&mf_evidence(seed, MF_FACTOR), MfReference::BelowTheFrontier);
        assert_fails(&v);
        assert!(v.statement().contains("[FAIL] norm excess"), "{}", v.statement());
    }
}

/// MF is skipped, not judged, where its premises fail: inputs that are not orthonormal, and a
/// frontier too close to the lazy scale.
#[test]
fn mf_is_skipped_without_its_premises() {
    let inst = heuristic::instance(ClaimId::MF, 0).unwrap();
    let x: Vec<Vec<f64>> = (0..inst.data.n()).map(|k| inst.data.x(k).iter().map(|v| 2.0 * v).collect()).collect();
    let scaled = reluflow::Instance { data: reluflow::Dataset::new(x, inst.data.y().to_vec()).unwrap(), ..inst };
    assert!(matches!(reluflow::claims::check(ClaimId::MF, &scaled), Outcome::Skipped { .. }));
    let e = heuristic::simulate_mf(&heuristic::instance(ClaimId::MF, 0).unwrap(), 100.0).unwrap();
    assert!(matches!(e, MfEvidence::NotApplicable(ref r) if r.contains("lazy scale")), "{e:?}");
}

fn verify(args: &[&str]) -> (String, u8) {
    let cli = reluflow::cli::Cli::try_parse_from(["reluflow", "verify"].iter().chain(args)).unwrap();
    reluflow::cli::run(cli).unwrap()
}

/// The heuristic claims are shown under their own heading with the measured numbers and never
/// change the exit code without `--strict`: with MF inconsistent on seed 0 (case 6, the
/// finding), `verify --claims L1,MF` exits 0, and 1 with `--strict`; JSON has the section.
#[test]
fn heuristic_claims_enter_the_exit_code_only_with_strict() {
    let (text, code) = verify(&["--claims", "L1,MF", "--cases", "1"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(reluflow::cli::verify::HEURISTIC_HEADING), "{text}");
    assert!(text.contains("MF") && text.contains("INCONSISTENT") && text.contains("lambda_MF"), "{text}");
    let (text, code) = verify(&["--claims", "L1,MF", "--cases", "1", "--strict"]);
    assert_eq!(code, 1, "{text}");
    let (json, _) = verify(&["--claims", "L1,MF", "--cases", "1", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["claims"].as_array().unwrap().len(), 1, "only L1 in the claims table");
    assert_eq!(v["heuristic"][0]["summary"]["claim"], "MF");
    assert_eq!(v["heuristic"][0]["verdict"], "inconsistent");
    // without a heuristic claim there is no section (the JSON is the report's)
    let (json, _) = verify(&["--claims", "L1", "--cases", "1", "--json"]);
    assert!(!json.contains("heuristic"));
    // the exit code function
    let empty = registry::verify(&[], 1, 0, &|| {});
    let summary = |o: Outcome| heuristic::summary_of(ClaimId::MF, &[o], false);
    let skipped = summary(Outcome::Skipped { claim: ClaimId::MF, reason: "x".into() });
    assert_eq!(skipped.verdict, Consistency::NoEvidence);
    assert_eq!(reluflow::cli::verify::exit_code(&empty, std::slice::from_ref(&skipped), false), 0);
    assert_eq!(reluflow::cli::verify::exit_code(&empty, &[skipped], true), 3);
}

/// `reluflow frontier` on a tiny grid: JSON with every cell, its bracket and the fits; JSONL with
/// one line per cell; an SVG with both panels; a malformed range is a usage error.
#[test]
fn frontier_command_writes_json_jsonl_and_svg() {
    let dir = std::env::temp_dir().join(format!("reluflow-frontier-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (jsonl, svg) = (dir.join("cells.jsonl"), dir.join("f.svg"));
    let args = [
        "reluflow",
        "frontier",
        "--n",
        "2,3",
        "--width",
        "8,16",
        "--seeds",
        "2",
        "--resolution",
        "1",
        "--json",
        "--jsonl",
        jsonl.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ];
    let out = reluflow::cli::run(reluflow::cli::Cli::try_parse_from(args).unwrap()).unwrap().0;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 8);
    for c in cells {
        let b = &c["bisection"];
        if b["status"] == "found" {
            let (s, f, l) =
                (b["shows_at"].as_f64().unwrap(), b["fails_at"].as_f64().unwrap(), b["lambda_star"].as_f64().unwrap());
            assert!(s < l && l < f && (f / s).ln() <= 1.0 + 1e-12, "{c}");
        }
    }
    assert!(v["m_exponent"]["slope"].is_number() && v["excess_max"] == 0.1);
    let lines = std::fs::read_to_string(&jsonl).unwrap();
    assert_eq!(lines.lines().count(), 8);
    assert!(lines.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
    let figure = std::fs::read_to_string(&svg).unwrap();
    assert!(figure.contains("width m") && figure.contains("number of points n") && figure.contains("slope -1/2"));
    let bad = reluflow::cli::Cli::try_parse_from(["reluflow", "frontier", "--lambda-range", "1e-1:1e-14"]).unwrap();
    assert!(matches!(reluflow::cli::run(bad), Err(reluflow::cli::CliError::Usage(_))));
    std::fs::remove_dir_all(&dir).ok();
}

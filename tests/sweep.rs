//! `reluflow sweep` and `reluflow plot`: grid parsing (typed errors), the fixed enumeration and
//! its shards, resuming to the same records, the heatmap's cells and colour bar, and bad files
//! named by line.

use clap::Parser;
use reluflow::campaign::Shard;
use reluflow::sweep::{SweepError, SweepGrid, SweepRecord, SweepSpec, Widths, read_records};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn spec(lambda: &str, n: &str, width: &str) -> SweepSpec {
    SweepSpec { lambda: lambda.into(), n: n.into(), width: width.into(), ..SweepSpec::default() }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("reluflow-sweep-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn cli(args: &[&str]) -> Result<(String, u8), reluflow::cli::CliError> {
    let cli = reluflow::cli::Cli::try_parse_from(std::iter::once("reluflow").chain(args.iter().copied()))
        .expect("flags parse");
    reluflow::cli::run(cli)
}

/// A tiny, fast grid: 2 lambdas x 2 n, m = 8, 2 seeds (8 items of a few ms each).
const TINY: [&str; 10] = ["--lambda", "1e-6,1e-3", "--n", "2,3", "--width", "8", "--seeds", "2", "--extra-dims", "1"];

fn sweep(extra: &[&str]) -> Result<(String, u8), reluflow::cli::CliError> {
    let mut args = vec!["sweep"];
    args.extend(TINY);
    args.extend(extra);
    cli(&args)
}

fn comparable(path: &Path) -> Vec<SweepRecord> {
    let mut records: Vec<SweepRecord> =
        read_records(path).expect("records").iter().map(|r| r.without_wall_time()).collect();
    records.sort_by_key(|r| r.index);
    records
}

#[test]
fn grid_specs_parse_to_their_values() {
    let grid = SweepGrid::parse(&spec("1e-12:1e-2:6", "2:4", "8,16")).expect("valid");
    assert_eq!(grid.lambdas, vec![1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2]);
    assert_eq!(grid.ns, vec![2, 3, 4]);
    assert_eq!(grid.widths, Widths::List(vec![8, 16]));
    assert_eq!(grid.item_count(), 6 * 3 * 2);
    let listed = SweepGrid::parse(&spec("1e-8, 1e-4", "3", "32")).expect("valid");
    assert_eq!(listed.lambdas, vec![1e-8, 1e-4]);
    // a rule over the cell's n (m = 2^(n+2)), and over its own --width-n
    let rule = SweepGrid::parse(&spec("1e-6", "2,3", "4*2^n")).expect("valid");
    assert_eq!(rule.widths.for_points(2), vec![16]);
    assert_eq!(rule.widths.for_points(3), vec![32]);
    let over =
        SweepGrid::parse(&SweepSpec { width_n: Some("0:4".into()), ..spec("1e-6", "2", "4*2^n") }).expect("valid");
    assert_eq!(over.widths.for_points(2), vec![4, 8, 16, 32, 64]);
    let offset = SweepGrid::parse(&spec("1e-6", "2", "2^(n+3)")).expect("valid");
    assert_eq!(offset.widths.for_points(2), vec![32]);
    let both = SweepGrid::parse(&SweepSpec {
        init: "balanced,unbalanced".into(),
        ratio: Some("1.5,3".into()),
        coherence: "0,1e-4".into(),
        seeds: 3,
        ..spec("1e-6", "2", "8")
    })
    .expect("valid");
    assert_eq!(both.item_count(), 2 * 2 * 2 * 3);
}

#[test]
fn invalid_grid_specs_are_typed_errors_naming_the_flag() {
    let cases: [(SweepSpec, &str); 14] = [
        (spec("1e-6:1e-2", "2", "8"), "--lambda"),
        (spec("1e-6:1e-2:0", "2", "8"), "--lambda"),
        (spec("-1e-6,1e-2", "2", "8"), "--lambda"),
        (spec("abc", "2", "8"), "--lambda"),
        (spec("1e-6,1e-6", "2", "8"), "--lambda"),
        (spec("1e-6", "1", "8"), "--n"),
        (spec("1e-6", "4:2", "8"), "--n"),
        (spec("1e-6", "", "8"), "--n"),
        (spec("1e-6", "2", "0"), "--width"),
        (spec("1e-6", "2", "4*2^k"), "--width"),
        (spec("1e-6", "2", "4*x^n"), "--width"),
        (SweepSpec { ratio: Some("0".into()), ..spec("1e-6", "2", "8") }, "--ratio"),
        (SweepSpec { coherence: "0.7".into(), ..spec("1e-6", "2", "8") }, "--coherence"),
        (SweepSpec { init: "lazy".into(), ..spec("1e-6", "2", "8") }, "--init"),
    ];
    for (s, expected) in cases {
        match SweepGrid::parse(&s) {
            Err(SweepError::Spec { flag, .. }) => assert_eq!(flag, expected, "{s:?}"),
            other => panic!("{s:?}: expected an error of {expected}, got {other:?}"),
        }
    }
    let zero_seeds = SweepGrid::parse(&SweepSpec { seeds: 0, ..spec("1e-6", "2", "8") });
    assert!(matches!(zero_seeds, Err(SweepError::Spec { flag: "--seeds", .. })));
    let width_n_without_rule = SweepGrid::parse(&SweepSpec { width_n: Some("1:2".into()), ..spec("1e-6", "2", "8") });
    assert!(matches!(width_n_without_rule, Err(SweepError::Spec { flag: "--width-n", .. })));
    let huge = SweepGrid::parse(&SweepSpec { seeds: 100_000, ..spec("1e-12:1e-2:200", "2:10", "8") });
    assert!(matches!(huge, Err(SweepError::TooLarge { .. })), "{huge:?}");
}

#[test]
fn enumeration_is_deterministic_and_shards_partition_it() {
    let s = SweepSpec { seeds: 3, init: "balanced,unbalanced".into(), ..spec("1e-8:1e-2:4", "2:4", "4*2^n") };
    let items = SweepGrid::parse(&s).unwrap().items();
    assert_eq!(items, SweepGrid::parse(&s).unwrap().items());
    assert_eq!(items.len(), 4 * 3 * 2 * 3);
    assert!(items.iter().enumerate().all(|(k, i)| i.index == k));
    // seeds of a cell are consecutive, lambda is the innermost parameter of the cells
    assert_eq!((items[0].seed, items[1].seed, items[2].seed), (0, 1, 2));
    assert_eq!(items[0].cell, items[2].cell);
    assert_eq!(items[3].cell.lambda, 1e-6);
    for count in [1, 2, 5, 7] {
        let mut seen = BTreeSet::new();
        for index in 1..=count {
            let shard = Shard::new(index, count).unwrap();
            for i in items.iter().filter(|i| shard.selects(i.index)) {
                assert!(seen.insert(i.index), "item {} in two shards of {count}", i.index);
            }
        }
        assert_eq!(seen.len(), items.len(), "{count} shards miss items");
    }
}

#[test]
fn resume_skips_recorded_items_and_completes_to_the_same_records() {
    let full = scratch("full.jsonl");
    let (out, code) = sweep(&["--jsonl", full.to_str().unwrap()]).expect("runs");
    assert_eq!(code, 0);
    assert!(out.contains("8 to run"), "{out}");
    let part = scratch("part.jsonl");
    let (out, _) = sweep(&["--shard", "1/3", "--jsonl", part.to_str().unwrap()]).expect("runs");
    assert!(out.contains("selects 3"), "{out}");
    assert_eq!(read_records(&part).unwrap().len(), 3);
    // a sweep killed while writing: a cut last line
    let mut text = std::fs::read_to_string(&part).unwrap();
    text.push_str("{\"index\":5,\"cell\":{\"lamb");
    std::fs::write(&part, text).unwrap();
    // the same file again without --resume is refused
    assert!(sweep(&["--jsonl", part.to_str().unwrap()]).is_err());
    let (out, _) = sweep(&["--resume", part.to_str().unwrap()]).expect("resumes");
    assert!(out.contains("3 already recorded; 5 to run"), "{out}");
    assert_eq!(comparable(&part), comparable(&full));
    // resuming a complete file runs nothing and leaves it as it is
    let before = std::fs::read_to_string(&part).unwrap();
    let (out, _) = sweep(&["--resume", part.to_str().unwrap()]).expect("resumes");
    assert!(out.contains("0 to run"), "{out}");
    assert_eq!(std::fs::read_to_string(&part).unwrap(), before);
    // a shard selecting nothing is an error
    assert!(sweep(&["--shard", "9/9", "--jsonl", scratch("none.jsonl").to_str().unwrap()]).is_err());
}

#[test]
fn records_hold_the_cell_the_measures_and_the_claims() {
    let path = scratch("claims.jsonl");
    let mut args = vec!["sweep", "--lambda", "1e-6", "--n", "2", "--width", "16", "--init", "balanced,unbalanced"];
    args.extend(["--ratio", "2", "--claims", "P1,TS", "--jsonl", path.to_str().unwrap()]);
    cli(&args).expect("runs");
    let records = read_records(&path).unwrap();
    assert_eq!(records.len(), 2);
    for r in &records {
        assert!((r.measured_ratio - 2.0).abs() < 1e-12, "the prescribed ratio: {}", r.measured_ratio);
        assert!(r.measured_coherence < 1e-12);
        let m = r.measure.as_ref().expect("measured");
        assert!(m.final_loss < 1e-10 * m.initial_loss);
        assert_eq!(m.plateaus, m.plateau_levels.len());
        assert_eq!(r.claims.len(), 2);
        assert_eq!(r.claims[0].claim, "P1");
    }
    // TS needs the balanced initialisation: skipped on the unbalanced one, with the reason
    let unbalanced = records.iter().find(|r| r.cell.init == reluflow::init::InitKind::Unbalanced).unwrap();
    let ts = unbalanced.claim("TS").unwrap();
    assert_eq!(ts.outcome, reluflow::sweep::OutcomeKind::Skipped);
    assert!(!ts.detail.is_empty());
}

#[test]
fn coherence_is_measured_on_the_generated_inputs() {
    let path = scratch("coherence.jsonl");
    let args = ["sweep", "--lambda", "1e-4", "--n", "3", "--width", "16", "--coherence", "1e-3,1e-2"];
    let mut args = args.to_vec();
    args.extend(["--jsonl", path.to_str().unwrap()]);
    cli(&args).expect("runs");
    for r in read_records(&path).unwrap() {
        let relative = (r.measured_coherence - r.cell.coherence).abs() / r.cell.coherence;
        assert!(relative < 0.2, "{} against {}", r.measured_coherence, r.cell.coherence);
        assert!(
            r.measure.as_ref().is_none_or(|m| m.norm_excess.is_none()),
            "no Proposition 1 minimum off orthogonality"
        );
    }
}

#[test]
fn a_heatmap_has_one_cell_per_grid_cell_and_a_colour_bar() {
    let path = scratch("plot.jsonl");
    sweep(&["--jsonl", path.to_str().unwrap()]).expect("runs");
    let svg = scratch("plot.svg");
    let (out, _) =
        cli(&["plot", path.to_str().unwrap(), "--z", "norm_excess", "-o", svg.to_str().unwrap()]).expect("plots");
    assert!(out.contains("2 x 2 cells, 8 records"), "{out}");
    let text = std::fs::read_to_string(&svg).unwrap();
    let cells = text.matches("fill=\"none\" stroke=\"#FFFFFF\"").count();
    assert_eq!(cells, 4, "one outlined cell per (lambda, n)");
    assert!(text.matches("width=\"18\" height=\"1\"").count() > 50, "a colour bar of thin bands");
    assert!(text.contains("relative norm excess"), "the colour bar is labelled");
    assert!(text.contains("over 2 seeds per cell"), "the number of seeds is in the caption");
    // lines and a fraction of a claim that the sweep did not check
    let lines = scratch("lines.svg");
    cli(&["plot", path.to_str().unwrap(), "--lines", "--z", "final_loss", "-o", lines.to_str().unwrap()])
        .expect("plots");
    assert!(std::fs::read_to_string(&lines).unwrap().contains("n = 3"));
    let missing = cli(&["plot", path.to_str().unwrap(), "--z", "T1", "-o", lines.to_str().unwrap()]);
    assert!(matches!(missing, Err(reluflow::cli::CliError::Sweep(SweepError::NoValues { .. }))), "{missing:?}");
}

#[test]
fn bad_plot_inputs_are_typed_errors() {
    let path = scratch("bad.jsonl");
    sweep(&["--jsonl", path.to_str().unwrap()]).expect("runs");
    let plot = |file: &Path, z: &str| {
        cli(&["plot", file.to_str().unwrap(), "--z", z, "-o", scratch("bad.svg").to_str().unwrap()])
    };
    assert!(matches!(plot(&path, "loss"), Err(reluflow::cli::CliError::Sweep(SweepError::UnknownQuantity { .. }))));
    let wrong_axis = cli(&["plot", path.to_str().unwrap(), "--x", "eta"]);
    assert!(matches!(wrong_axis, Err(reluflow::cli::CliError::Sweep(SweepError::UnknownParameter { .. }))));
    // m on no axis with two values in a cell
    let mixed = scratch("mixed.jsonl");
    cli(&["sweep", "--lambda", "1e-4", "--n", "2", "--width", "8,16", "--jsonl", mixed.to_str().unwrap()]).unwrap();
    assert!(matches!(plot(&mixed, "final_loss"), Err(reluflow::cli::CliError::Sweep(SweepError::Mixed { .. }))));
    let ok = cli(&["plot", mixed.to_str().unwrap(), "--where", "m=16", "-o", scratch("ok.svg").to_str().unwrap()]);
    assert!(ok.is_ok(), "{ok:?}");
    let empty = scratch("empty.jsonl");
    std::fs::write(&empty, "\n").unwrap();
    assert!(matches!(plot(&empty, "final_loss"), Err(reluflow::cli::CliError::Sweep(SweepError::EmptyFile { .. }))));
    let broken = scratch("broken.jsonl");
    let mut text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    text = format!("{}\n{}\nnot json\n{}\n", lines[0], lines[1], lines[2]);
    std::fs::write(&broken, text).unwrap();
    match plot(&broken, "final_loss") {
        Err(reluflow::cli::CliError::Sweep(e @ SweepError::Malformed { line: 3, .. })) => {
            assert!(e.to_string().contains(":3:"), "{e}");
        }
        other => panic!("expected line 3 named, got {other:?}"),
    }
}

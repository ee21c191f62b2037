//! Sharded, replayable `verify` (issue 13, part 1): shards partition the (claim, case) pairs, the
//! merge of the shards' `--jsonl` records prints the unsharded report byte for byte, missing,
//! duplicate and torn records are named (exit 4), `--resume` completes a file, `replay` reruns a
//! recorded case. The campaigns are small and use cheap claims (L1, L6, P1, P2: well under a second
//! each through the binary).

use proptest::prelude::*;
use reluflow::campaign::{CaseRecord, RunParams, Shard, replay_command};
use reluflow::claims::registry;
use reluflow::claims::{ClaimId, Outcome, Verdict};
use std::path::{Path, PathBuf};
use std::process::Output;

/// The campaign of most tests: 4 claims (P1 first: the report keeps the requested order) x 3
/// cases = 12 pairs.
const RUN: [&str; 4] = ["--claims", "P1,L1,L6,P2", "--cases", "3"];

/// A fresh directory `reluflow-campaign-<test>-<pid>` under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("reluflow-campaign-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the temp dir");
        Self(dir)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().expect("temp paths are UTF-8").to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `reluflow <args>` with extra environment variables.
fn reluflow_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_reluflow"));
    command.args(args).env_remove("SLURM_ARRAY_TASK_ID").env_remove("SLURM_ARRAY_TASK_COUNT");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run the reluflow binary")
}

fn reluflow(args: &[&str]) -> Output {
    reluflow_env(args, &[])
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `args` followed by `extra`.
fn with<'a>(args: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    args.iter().chain(extra).copied().collect()
}

/// Runs `reluflow verify RUN --shard i/n --jsonl <dir>/<i>.jsonl` for every shard; returns the files.
fn run_shards(dir: &TempDir, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            let file = dir.path(&format!("{i}.jsonl"));
            let shard = format!("{i}/{n}");
            let out = reluflow(&with(&with(&["verify"], &RUN), &["--shard", &shard, "--jsonl", &file]));
            assert_eq!(out.status.code(), Some(0), "shard {shard}: {}", stderr(&out));
            assert!(stderr(&out).contains(&format!("shard {shard} selects")), "{}", stderr(&out));
            file
        })
        .collect()
}

/// `reluflow merge FILES --json`.
fn merge_json(files: &[String]) -> Output {
    let mut args = vec!["merge", "--json"];
    args.extend(files.iter().map(String::as_str));
    reluflow(&args)
}

/// The unsharded `reluflow verify RUN --json`.
fn unsharded_json() -> String {
    let out = reluflow(&with(&["verify", "--json"], &RUN));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

fn records(path: &str) -> Vec<CaseRecord> {
    std::fs::read_to_string(path)
        .expect("read the records")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a record"))
        .collect()
}

fn lines(path: &str) -> Vec<String> {
    std::fs::read_to_string(path).expect("read the records").lines().map(str::to_string).collect()
}

fn write_lines(path: &str, lines: &[String]) {
    std::fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).expect("write the records");
}

proptest! {
    #![proptest_config(crate::common::config(64))]

    /// Every item of a run is selected by exactly one of the N shards, and shard sizes differ by
    /// at most one.
    #[test]
    fn shards_partition_every_item_exactly_once(count in 1usize..40, items in 0usize..300) {
        let shards: Vec<Shard> = (1..=count).map(|i| Shard::new(i, count).unwrap()).collect();
        for k in 0..items {
            let owners: Vec<usize> = shards.iter().filter(|s| s.selects(k)).map(|s| s.index).collect();
            prop_assert_eq!(owners, vec![k % count + 1]);
        }
        let sizes: Vec<usize> = shards.iter().map(|s| (0..items).filter(|&k| s.selects(k)).count()).collect();
        prop_assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        prop_assert_eq!(sizes.iter().sum::<usize>(), items);
        prop_assert_eq!(Shard::parse(&format!("{}/{count}", count)).unwrap(), Shard::new(count, count).unwrap());
    }
}

#[test]
fn run_items_are_numbered_claim_major_once_per_claim() {
    let run = RunParams { seed: 5, cases: 3, claims: vec![ClaimId::P1, ClaimId::L1, ClaimId::P1] };
    let items = run.items();
    assert_eq!(items.len(), run.total());
    assert_eq!(items.len(), 6, "a repeated claim runs once");
    for (k, item) in items.iter().enumerate() {
        assert_eq!(item.index, k);
        assert_eq!(item.claim, [ClaimId::P1, ClaimId::L1][k / 3]);
        assert_eq!(item.case, k % 3);
        assert_eq!(item.case_seed, registry::case_seed(5, item.claim, item.case));
    }
}

/// `verify` without the new flags prints what the direct aggregation of the outcomes
/// (`registry::verify`, the path before records) gives: the records lose nothing the report uses.
#[test]
fn verify_through_records_equals_the_direct_aggregation() {
    use clap::Parser;
    use reluflow::cli::{Cli, Command};
    let ids = "L1,L6,L7,L8,L9,P1,P2,A3,A3N,AL,LZ,L14,L15";
    let Command::Verify(args) = Cli::parse_from(["reluflow", "verify", "--claims", ids, "--cases", "4"]).command else {
        panic!("not verify")
    };
    let through_records = reluflow::cli::verify::run_report(&args).unwrap();
    let claims: Vec<ClaimId> = ids.split(',').map(|s| ClaimId::parse(s).unwrap()).collect();
    let direct = registry::verify(&claims, 4, 0, &|| {});
    assert_eq!(serde_json::to_string_pretty(&through_records).unwrap(), serde_json::to_string_pretty(&direct).unwrap());
    assert_eq!(reluflow::cli::verify::table(&through_records), reluflow::cli::verify::table(&direct));
}

#[test]
fn merge_of_four_shards_is_byte_identical_to_the_unsharded_json() {
    let dir = TempDir::new("merge4");
    let files = run_shards(&dir, 4);
    let merged = merge_json(&files);
    assert_eq!(merged.status.code(), Some(0), "{}", stderr(&merged));
    let unsharded = unsharded_json();
    assert_eq!(stdout(&merged), unsharded);
    assert!(unsharded.find("\"P1\"").unwrap() < unsharded.find("\"L1\"").unwrap(), "requested order kept");
    // any file order, and the text table too (the same as verify's)
    let reversed: Vec<String> = files.iter().rev().cloned().collect();
    assert_eq!(stdout(&merge_json(&reversed)), unsharded);
    let mut text = vec!["merge"];
    text.extend(files.iter().map(String::as_str));
    assert_eq!(stdout(&reluflow(&text)), stdout(&reluflow(&with(&["verify"], &RUN))));
    // every record names its run and the version that ran it
    let all: Vec<CaseRecord> = files.iter().flat_map(|f| records(f)).collect();
    assert_eq!(all.len(), 12);
    for r in &all {
        assert_eq!((r.seed, r.cases, r.claims.len()), (0, 3, 4));
        assert_eq!(r.case_seed, registry::case_seed(0, r.claim, r.case));
        assert_eq!(r.version, env!("CARGO_PKG_VERSION"));
        assert!(r.instance.as_ref().is_some_and(|i| i.n > 0 && i.m > 0 && i.lambda > 0.0) || r.instance.is_none());
        assert!(r.wall_time_s >= 0.0);
    }
}

#[test]
fn missing_and_duplicate_records_are_named_with_replay_commands_and_exit_4() {
    let dir = TempDir::new("incomplete");
    let files = run_shards(&dir, 2);
    let mut first = lines(&files[0]);
    let removed: CaseRecord = serde_json::from_str(&first.remove(1)).unwrap();
    let duplicated: CaseRecord = serde_json::from_str(&first[0]).unwrap();
    first.push(first[0].clone());
    write_lines(&files[0], &first);
    let out = merge_json(&files);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    let missing = format!(
        "missing {} case {} (case seed {}): {}",
        removed.claim,
        removed.case,
        removed.case_seed,
        replay_command(removed.claim, removed.case_seed)
    );
    assert!(err.contains(&missing), "{err}");
    let duplicate =
        format!("duplicate {} case {} (case seed {}) at", duplicated.claim, duplicated.case, duplicated.case_seed);
    assert!(
        err.contains(&duplicate) && err.contains(&format!("{}:1, {}:{}", files[0], files[0], first.len())),
        "{err}"
    );
    assert!(err.contains("--resume"), "the fix: {err}");
    // a whole shard missing is incomplete too
    assert_eq!(merge_json(&files[1..]).status.code(), Some(4));
}

#[test]
fn a_torn_last_line_is_ignored_with_a_warning_and_its_case_is_missing() {
    let dir = TempDir::new("torn");
    let files = run_shards(&dir, 2);
    let text = std::fs::read_to_string(&files[1]).unwrap();
    let last: CaseRecord = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    std::fs::write(&files[1], &text[..text.len() - 40]).unwrap(); // killed mid-line
    let out = merge_json(&files);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    let line = text.lines().count();
    assert!(err.contains(&format!("warning: {}:{line}: the last line", files[1])), "{err}");
    assert!(err.contains(&format!("missing {} case {}", last.claim, last.case)), "{err}");
    // --resume cuts the torn line off, reruns its case, and the merge is whole again
    let resumed = reluflow(&with(&with(&["verify"], &RUN), &["--shard", "2/2", "--resume", &files[1]]));
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert!(stderr(&resumed).contains("running 1"), "{}", stderr(&resumed));
    assert_eq!(records(&files[1]).len(), line);
    assert_eq!(stdout(&merge_json(&files)), unsharded_json());
}

#[test]
fn a_complete_line_that_is_not_a_record_is_an_error_naming_the_line() {
    let dir = TempDir::new("badline");
    let files = run_shards(&dir, 2);
    let mut first = lines(&files[0]);
    first.insert(1, "{\"claim\": \"L1\"".into());
    write_lines(&files[0], &first);
    let out = merge_json(&files);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&format!("{}:2: not a reluflow verify record", files[0])), "{}", stderr(&out));
}

#[test]
fn records_of_different_runs_are_an_error_naming_the_disagreement() {
    let dir = TempDir::new("different");
    let a = dir.path("a.jsonl");
    let b = dir.path("b.jsonl");
    let run = ["--claims", "L1", "--cases", "2"];
    assert_eq!(reluflow(&with(&with(&["verify"], &run), &["--jsonl", &a])).status.code(), Some(0));
    assert_eq!(reluflow(&with(&with(&["verify", "--seed", "1"], &run), &["--jsonl", &b])).status.code(), Some(0));
    let out = reluflow(&["merge", &a, &b]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("records of different runs: seed is 0") && err.contains("but 1 at"), "{err}");
    // --resume of a file of another run is refused the same way
    let out = reluflow(&with(&with(&["verify"], &["--claims", "L1", "--cases", "3"]), &["--resume", &a]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cases is 3 at this command's flags"), "{}", stderr(&out));
    // --jsonl does not overwrite records
    let out = reluflow(&with(&with(&["verify"], &run), &["--jsonl", &a]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("use --resume"), "{}", stderr(&out));
}

#[test]
fn resume_completes_a_partial_file_to_the_same_report() {
    let dir = TempDir::new("resume");
    let file = dir.path("run.jsonl");
    let full = with(&["verify", "--json"], &RUN);
    assert_eq!(reluflow(&with(&full, &["--jsonl", &file])).status.code(), Some(0));
    let all = lines(&file);
    write_lines(&file, &all[..5]);
    let out = reluflow(&with(&full, &["--resume", &file]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("5 already in") && stderr(&out).contains("running 7"), "{}", stderr(&out));
    assert_eq!(stdout(&out), unsharded_json());
    assert_eq!(lines(&file).len(), 12);
    assert_eq!(stdout(&merge_json(std::slice::from_ref(&file))), unsharded_json());
    // nothing left to run: the report again, from the file alone
    let again = reluflow(&with(&full, &["--resume", &file]));
    assert!(stderr(&again).contains("running 0"), "{}", stderr(&again));
    assert_eq!(stdout(&again), unsharded_json());
    // a file that does not exist yet is started
    let fresh = dir.path("fresh.jsonl");
    assert_eq!(stdout(&reluflow(&with(&full, &["--resume", &fresh]))), unsharded_json());
    assert!(Path::new(&fresh).exists());
}

#[test]
fn replay_reproduces_a_recorded_verdict() {
    let dir = TempDir::new("replay");
    let file = dir.path("run.jsonl");
    let out = reluflow(&["verify", "--claims", "L6,P1", "--cases", "2", "--jsonl", &file]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for r in records(&file) {
        let seed = r.case_seed.to_string();
        let out = reluflow(&["replay", &r.claim.to_string(), "--case-seed", &seed]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(if r.outcome.label() == "held" { 0 } else { 3 }), "{text}");
        assert!(text.starts_with(&replay_command(r.claim, r.case_seed)), "{text}");
        assert!(text.contains(&format!("outcome: {}\n", r.outcome.label())), "{text}");
        assert!(text.contains(&format!("statement: {}\n", r.statement)), "{text}");
        for (name, value) in [("measured", r.measured), ("bound", r.bound), ("margin", r.margin)] {
            let value = value.expect("a checked case has numbers");
            assert!(text.contains(&format!("{name}: {}", reluflow::cli::replay::number(value))), "{name}: {text}");
        }
    }
    let out = reluflow(&["replay", "Q9", "--case-seed", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown claim ID"), "{}", stderr(&out));
}

#[test]
fn a_failing_record_prints_its_replay_command_and_merge_exits_1() {
    let dir = TempDir::new("failing");
    let file = dir.path("run.jsonl");
    assert_eq!(reluflow(&["verify", "--claims", "L1", "--cases", "2", "--jsonl", &file]).status.code(), Some(0));
    let mut all = records(&file);
    let r = &mut all[0];
    let (measured, bound) = (r.measured.unwrap(), r.bound.unwrap());
    r.outcome = reluflow::campaign::RecordedOutcome::Failed;
    r.margin = Some(-(measured - bound).abs() - 1.0);
    let replay = r.replay_command();
    write_lines(&file, &all.iter().map(|r| serde_json::to_string(r).unwrap()).collect::<Vec<_>>());
    let out = reluflow(&["merge", &file]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("FAILED: L1") && text.contains(&format!("L1 case {} (failed): {replay}", all[0].case)),
        "{text}"
    );
    // a record whose outcome contradicts its margin is refused
    all[0].outcome = reluflow::campaign::RecordedOutcome::Held;
    write_lines(&file, &all.iter().map(|r| serde_json::to_string(r).unwrap()).collect::<Vec<_>>());
    let out = reluflow(&["merge", &file]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(":1: inconsistent record: outcome \"held\" but margin -"), "{}", stderr(&out));
}

#[test]
fn records_keep_every_number_bit_for_bit_including_nan_and_infinities() {
    let run = RunParams { seed: u64::MAX, cases: 1, claims: vec![ClaimId::T1] };
    let item = run.items()[0];
    let outcomes = [
        Outcome::Checked(Verdict::failed(ClaimId::T1, "no plateau")),
        Outcome::Checked(Verdict::at_most(ClaimId::T1, 5e-324, 1e-300, "subnormal").in_log_units()),
        Outcome::Checked(Verdict::at_least(ClaimId::T1, -0.0, f64::NEG_INFINITY, "infinite margin")),
        Outcome::Checked(Verdict::at_most(ClaimId::T1, 0.1 + 0.2, 0.3, "rounding")),
        Outcome::Checked(Verdict::at_most(ClaimId::T1, 1.0, 2.0, "cannot bite").vacuous_if(true, "bound >= max")),
        Outcome::Skipped { claim: ClaimId::T1, reason: "n < 2".into() },
        Outcome::Vacuous { claim: ClaimId::T1, reason: "vacuous at lambda = 1e-1".into() },
        Outcome::Error { claim: ClaimId::T1, error: "diverged".into() },
    ];
    for outcome in outcomes {
        let record = CaseRecord::new(&run, &item, &outcome, None, 1.5);
        let line = serde_json::to_string(&record).unwrap();
        let back: CaseRecord = serde_json::from_str(&line).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), line);
        let again = back.outcome().unwrap();
        let bits =
            |o: &Outcome| o.verdict().map(|v| (v.measured().to_bits(), v.bound().to_bits(), v.margin().to_bits()));
        assert_eq!(bits(&again), bits(&outcome), "{line}");
        assert_eq!(format!("{again:?}"), format!("{outcome:?}"));
        let summary =
            |o: &Outcome| serde_json::to_string(&registry::summarise(ClaimId::T1, std::slice::from_ref(o))).unwrap();
        assert_eq!(summary(&again), summary(&outcome), "{line}");
    }
}

#[test]
fn shard_flags_select_and_reject_with_the_fix() {
    let run = ["verify", "--claims", "L1", "--cases", "3"];
    for (flag, needle) in [
        (vec!["--shard", "4/3"], "invalid shard \"4/3\""),
        (vec!["--shard", "2"], "expected I/N"),
        (vec!["--shard", "0/3"], "1 <= I <= N"),
        (vec!["--shard", "4/5"], "selects none of the run's 3"),
        (vec!["--shard-from-env"], "SLURM_ARRAY_TASK_ID is unset"),
        (vec!["--shard-env", "ONLY_ONE"], "give the two variable names"),
    ] {
        let out = reluflow(&with(&run, &flag));
        assert_eq!(out.status.code(), Some(2), "{flag:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{flag:?}: {}", stderr(&out));
    }
    let slurm = [("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_COUNT", "3")];
    let out = reluflow_env(&with(&run, &["--shard-from-env", "--json"]), &slurm);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("shard 2/3 selects 1 of the run's 3"), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"instances\": 1"), "{}", stdout(&out));
    let named = [("TASK", "3"), ("TASKS", "3")];
    let out = reluflow_env(&with(&run, &["--shard-env", "TASK,TASKS"]), &named);
    assert!(stderr(&out).contains("shard 3/3 selects 1"), "{}", stderr(&out));
    let out =
        reluflow(&["verify", "--random-orthonormal", "2,3", "--width", "8", "--lambda", "1e-6", "--shard", "1/2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("split and record the random cases"), "{}", stderr(&out));
}

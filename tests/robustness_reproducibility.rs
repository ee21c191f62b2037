//! Reproducibility: byte-identical output of `verify --json`, `timeline --json` and
//! `reproduce toy` across runs, processes, threads and rayon pool sizes.
//! (See `robustness_common.rs` for the shared helpers and the split.)

use crate::common::TIMELINE_JSON;
use crate::robustness_common::*;
use clap::Parser;
use reluflow::cli::{Cli, Command};

// ---------------------------------------------------------------------------------------------
// Reproducibility
// ---------------------------------------------------------------------------------------------

fn stdout_of(args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = reluflow(args, envs);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const VERIFY: [&str; 6] = ["verify", "--claims", "L1,L14,A3", "--cases", "2", "--json"];

#[test]
fn verify_json_is_byte_identical_across_processes_and_rayon_pool_sizes() {
    let first = stdout_of(&VERIFY, &[]);
    assert!(first.contains("\"claim\": \"L14\""), "{first}");
    assert_eq!(stdout_of(&VERIFY, &[]), first, "second process");
    for threads in ["1", "3", "8"] {
        assert_eq!(stdout_of(&VERIFY, &[("RAYON_NUM_THREADS", threads)]), first, "RAYON_NUM_THREADS={threads}");
    }
    // the library report is what the binary prints
    let cli = Cli::try_parse_from(std::iter::once("reluflow").chain(VERIFY)).unwrap();
    let Command::Verify(args) = cli.command else { panic!("not verify") };
    let report = reluflow::cli::verify::run_report(&args).unwrap();
    assert_eq!(serde_json::to_string_pretty(&report).unwrap() + "\n", first);
    // and so is each of three concurrent library runs (rayon's global pool shared between them)
    let parallel: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    serde_json::to_string_pretty(&reluflow::cli::verify::run_report(&args).unwrap()).unwrap() + "\n"
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(parallel.iter().all(|p| *p == first));
}

#[test]
fn timeline_json_is_byte_identical_across_processes_and_threads() {
    let first = stdout_of(&TIMELINE_JSON, &[]);
    assert!(first.contains("\"converged\""), "{first}");
    assert_eq!(stdout_of(&TIMELINE_JSON, &[]), first);
    let cli = Cli::try_parse_from(std::iter::once("reluflow").chain(TIMELINE_JSON)).unwrap();
    let Command::Timeline(args) = cli.command else { panic!("not timeline") };
    let run = || reluflow::cli::timeline::run(&args).unwrap();
    assert_eq!(run(), first, "in-process");
    assert_eq!(run(), first, "in-process, second time");
    let parallel: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3).map(|_| s.spawn(run)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(parallel.iter().all(|p| *p == first));
    // a GD timeline too
    let gd = ["timeline", "--data", "toy", "--lambda", "1e-8", "--step", "2e-3", "--steps", "20000", "--json"];
    assert_eq!(stdout_of(&gd, &[]), stdout_of(&gd, &[]));
}

#[test]
fn reproduce_toy_writes_byte_identical_files_in_two_processes() {
    let dirs = [TempDir::new("reproduce_a"), TempDir::new("reproduce_b")];
    let outs: Vec<String> = dirs
        .iter()
        .map(|d| {
            stdout_of(&["reproduce", "toy", "--out", d.0.to_str().unwrap()], &[]).replace(d.0.to_str().unwrap(), "DIR")
        })
        .collect();
    assert_eq!(outs[0], outs[1]);
    for f in ["toy.json", "toy_loss.svg", "toy_network.svg"] {
        let (a, b) = (std::fs::read(dirs[0].0.join(f)).unwrap(), std::fs::read(dirs[1].0.join(f)).unwrap());
        assert!(!a.is_empty());
        assert!(a == b, "{f} differs between two processes");
    }
    // the printed JSON is the file
    let json = std::fs::read_to_string(dirs[0].0.join("toy.json")).unwrap();
    assert!(outs[0].starts_with(&json));
    // in-process, twice and from threads: the numbers are the same
    let numbers = || serde_json::to_string_pretty(&reluflow::reproduce::toy(20_000).unwrap().0).unwrap() + "\n";
    assert_eq!(numbers(), json);
    let parallel: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2).map(|_| s.spawn(numbers)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(parallel.iter().all(|p| *p == json));
}

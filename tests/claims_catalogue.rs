//! The catalogue of claims (`reluflow claims`, `docs/claims.md`) cannot drift from the code:
//! every `ClaimId` has an entry, every listed negative control is a test of `tests/` and every
//! negative-control test is listed, every named check function exists, and the committed
//! `docs/claims.md` is exactly what `reluflow claims --markdown` prints.

use clap::Parser;
use reluflow::claims::ClaimId;
use reluflow::claims::catalogue::{CATALOGUE, UNCHECKED, entry};
use reluflow::cli::claims::{REGENERATE, markdown};
use reluflow::cli::{Cli, CliError};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The names of the functions `fn <name>` in `text` that contain `_negative_control_`.
fn negative_control_fns(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("fn ") {
        let after = &rest[i + 3..];
        let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        // a whole word `fn` (not the end of an identifier such as `cfn`)
        let whole = i == 0 || !rest[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        if whole && name.contains("_negative_control_") {
            out.push(name);
        }
        rest = after;
    }
    out
}

/// Every negative-control test of `tests/*.rs`, by file.
fn negative_control_tests() -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for e in std::fs::read_dir(root().join("tests")).expect("tests/ is readable") {
        let path = e.expect("a directory entry").path();
        if path.extension().is_some_and(|x| x == "rs") {
            for name in negative_control_fns(&read(&path)) {
                found.insert(name, path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    found
}

#[test]
fn catalogue_has_one_entry_per_claim_id_in_order() {
    let ids: Vec<ClaimId> = CATALOGUE.iter().map(|e| e.id).collect();
    assert_eq!(ids, ClaimId::ALL.to_vec(), "src/claims/catalogue/ must list every ClaimId once, in the order of ALL");
    for e in &CATALOGUE {
        assert_eq!(entry(e.id), e);
        assert_eq!(e.reference, e.id.reference(), "{}", e.id);
        for (field, text) in
            [("statement", e.statement), ("checked", e.checked), ("tolerance", e.tolerance), ("evidence", e.evidence)]
        {
            assert!(text.split_whitespace().count() >= 5, "{}: the {field} is missing or a stub: {text:?}", e.id);
        }
        assert!(!e.checks.is_empty(), "{}: no check function named", e.id);
        assert!(!e.negative_controls.is_empty(), "{}: every claim has a negative control", e.id);
    }
    for u in UNCHECKED {
        assert!(ClaimId::parse(u.id).is_none(), "{} is checked now: move it from UNCHECKED to CATALOGUE", u.id);
    }
}

/// Every listed negative control is a test, and every test named `<id>_negative_control_*` is
/// listed under its claim.
#[test]
fn catalogue_lists_exactly_the_tests_named_as_negative_controls() {
    let found = negative_control_tests();
    assert!(found.len() >= CATALOGUE.len(), "the scan of tests/*.rs found only {found:?}");
    let mut listed = BTreeSet::new();
    for e in &CATALOGUE {
        let prefix = format!("{}_negative_control_", e.id.to_string().to_lowercase());
        for c in e.negative_controls {
            assert!(c.test.starts_with(&prefix), "{}: {} is not named {prefix}<what breaks>", e.id, c.test);
            assert!(
                found.contains_key(c.test),
                "{}: the catalogue lists {}, but no test in tests/*.rs has that name (renamed or removed? update \
                 src/claims/catalogue/ and regenerate docs/claims.md with `{REGENERATE}`)",
                e.id,
                c.test
            );
            assert!(!c.breaks.trim().is_empty(), "{}: say what {} breaks", e.id, c.test);
            assert!(listed.insert(c.test), "{} is listed twice", c.test);
        }
    }
    for (name, file) in &found {
        let id = name.split("_negative_control_").next().unwrap_or_default();
        assert!(
            ClaimId::parse(id).is_some(),
            "tests/{file}: {name} does not start with a claim ID (`<id>_negative_control_<what breaks>`)"
        );
        assert!(
            listed.contains(name.as_str()),
            "tests/{file}: {name} is a negative control the catalogue does not list: add it to claim {} in \
             src/claims/catalogue/ and regenerate docs/claims.md with `{REGENERATE}`",
            id.to_uppercase()
        );
    }
}

/// The named check functions and test modules exist.
#[test]
fn catalogue_check_functions_and_test_files_exist() {
    for e in &CATALOGUE {
        for path in e.checks {
            let (module, name) = path.split_once("::").unwrap_or_else(|| panic!("{}: {path} is not module::fn", e.id));
            // src/claims/<module>.rs, or every file of the directory module src/claims/<module>/
            let file = root().join("src/claims").join(format!("{module}.rs"));
            let text = if file.is_file() {
                read(&file)
            } else {
                let dir = root().join("src/claims").join(module);
                let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                    .unwrap_or_else(|err| panic!("{}: neither {file:?} nor {dir:?}: {err}", e.id))
                    .map(|f| f.expect("a directory entry").path())
                    .filter(|f| f.extension().is_some_and(|x| x == "rs"))
                    .collect();
                files.sort();
                files.iter().map(|f| read(f)).collect::<Vec<_>>().join("\n")
            };
            assert!(
                text.contains(&format!("pub fn {name}(")) || text.contains(&format!("pub fn {name}<")),
                "{}: {path} is not a public function of src/claims/{module}(.rs or /)",
                e.id
            );
        }
        assert!(root().join(e.tests).is_file(), "{}: {} does not exist", e.id, e.tests);
    }
}

/// `docs/claims.md` is `reluflow claims --markdown`.
#[test]
fn docs_claims_md_is_the_generated_catalogue() {
    let all: Vec<_> = CATALOGUE.iter().collect();
    let generated = markdown(&all, true);
    let path = root().join("docs/claims.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/claims.md differs from the catalogue in src/claims/catalogue/: regenerate it with `{REGENERATE}` \
         and commit it (first differing line: {:?})",
        committed.lines().zip(generated.lines()).find(|(a, b)| a != b).map_or_else(
            || format!("line {} (lengths differ)", committed.lines().count().min(generated.lines().count()) + 1),
            |(a, b)| format!("committed {a:?}, generated {b:?}")
        )
    );
}

fn claims(args: &[&str]) -> Result<String, CliError> {
    let cli = Cli::parse_from(["reluflow", "claims"].iter().chain(args));
    reluflow::cli::run(cli).map(|(out, code)| {
        assert_eq!(code, 0);
        out
    })
}

#[test]
fn claims_command_prints_text_json_and_markdown() {
    let text = claims(&[]).expect("text");
    for id in ClaimId::ALL {
        assert!(text.lines().any(|l| l.starts_with(&format!("{id}  "))), "{id} missing in\n{text}");
    }
    assert!(text.contains("t1_negative_control_large_lambda") && text.contains("not checked yet"), "{text}");

    let json: serde_json::Value = serde_json::from_str(&claims(&["--json"]).expect("json")).expect("valid JSON");
    let list = json["claims"].as_array().expect("claims");
    assert_eq!(list.len(), ClaimId::ALL.len());
    for key in ["id", "reference", "statement", "checked", "tolerance", "evidence", "checks", "negative_controls"] {
        assert!(list.iter().all(|c| !c[key].is_null()), "field {key} missing");
    }
    assert_eq!(list[11]["id"], "T1");
    assert!(list[11]["negative_controls"][0]["test"].as_str().unwrap().starts_with("t1_negative_control_"));

    let md = claims(&["--markdown"]).expect("markdown");
    assert!(md == read(&root().join("docs/claims.md")), "`reluflow claims --markdown` differs from docs/claims.md");

    let one = claims(&["--claims", "t1,L7"]).expect("a selection");
    assert!(one.starts_with("T1  Theorem 1") && one.contains("L7  Lemma 7") && !one.contains("L1  Lemma 1"), "{one}");
    match claims(&["--claims", "ZZ"]) {
        Err(CliError::Usage(m)) => assert!(m.contains("unknown claim ID \"ZZ\"") && m.contains("JP,CV"), "{m}"),
        other => panic!("expected a usage error, got {other:?}"),
    }
}

/// A clone has its own list of claims: the README links the generated catalogue, nothing outside
/// the repository.
#[test]
fn readme_links_the_catalogue_inside_the_repository() {
    let readme = read(&root().join("README.md"));
    assert!(readme.contains("](docs/claims.md)"), "the README must link docs/claims.md");
    assert!(
        !readme.contains("../shared/CLAIMS.md"),
        "the README must not send readers outside the repository for the claims"
    );
}

//! Robustness of the data-file and parameter-file parsers at high case counts.
//! (See `robustness_common.rs` for the shared helpers and the split.)

use crate::common::config;
use crate::robustness_common::*;
use proptest::prelude::*;
use proptest::sample::select;
use reluflow::data::io::{load_csv_str, load_json_str};
use reluflow::params::ScaledParams;

// ---------------------------------------------------------------------------------------------
// Data-file parsers at high case counts
// ---------------------------------------------------------------------------------------------

/// A number as a file may spell it (non-finite spellings included).
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => finite_f64().prop_map(|v| format!("{v:?}")),
        1 => select(vec![
            "NaN", "nan", "inf", "-inf", "Infinity", "1e999", "-1e999", "1e-999", "-0", "0e0", "1.", ".5", "+1", "0x10",
            "1e", "--1", "",
        ])
            .prop_map(String::from),
    ]
}

/// A dataset text (JSON or CSV) made of those numbers, then mutated by a few byte edits.
fn near_valid_file() -> impl Strategy<Value = (bool, String)> {
    (
        any::<bool>(),
        (1usize..=3, 1usize..=3).prop_flat_map(|(n, d)| (Just(d), prop::collection::vec(number_text(), n * (d + 1)))),
        prop::collection::vec((any::<prop::sample::Index>(), 0u8..=3, any::<u8>()), 0..=3),
    )
        .prop_map(|(json, (d, numbers), edits)| {
            let rows: Vec<&[String]> = numbers.chunks(d + 1).collect();
            let mut text = if json {
                let xs: Vec<String> = rows.iter().map(|r| format!("[{}]", r[..d].join(", "))).collect();
                let ys: Vec<&str> = rows.iter().map(|r| r[d].as_str()).collect();
                format!("{{\"x\": [{}], \"y\": [{}]}}", xs.join(", "), ys.join(", "))
            } else {
                rows.iter().map(|r| r.join(",")).collect::<Vec<_>>().join("\n")
            }
            .into_bytes();
            for (at, kind, byte) in edits {
                if text.is_empty() {
                    break;
                }
                let i = at.index(text.len());
                match kind {
                    0 => {
                        text.remove(i);
                    }
                    1 => text.insert(i, byte),
                    2 => text[i] = byte,
                    _ => {
                        const STRUCTURE: &[u8] = b"[]{},:\"\n-.e0";
                        text.insert(i, STRUCTURE[usize::from(byte) % STRUCTURE.len()])
                    }
                }
            }
            (json, String::from_utf8_lossy(&text).into_owned())
        })
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn parsers_on_near_valid_files_never_panic_and_accept_only_finite_rectangular_data(
        (json, text) in near_valid_file()
    ) {
        let parse = || if json { load_json_str(&text, "p.json") } else { load_csv_str(&text, "p.csv") };
        let got = no_panic("parser", parse)?;
        match got {
            Ok(data) => {
                prop_assert!(finite_slice(data.x_flat()) && finite_slice(data.y()));
                prop_assert!(data.n() >= 1 && data.d() >= 1 && data.x_flat().len() == data.n() * data.d());
                // what was accepted round-trips bit for bit
                let again = if json {
                    load_json_str(&reluflow::data::io::to_json_string(&data), "again.json")
                } else {
                    load_csv_str(&reluflow::data::io::to_csv_string(&data), "again.csv")
                };
                prop_assert_eq!(again.as_ref(), Ok(&data));
            }
            Err(e) => {
                let msg = e.to_string();
                let file = if json { "p.json" } else { "p.csv" };
                prop_assert!(msg.contains(file), "the error does not name the file: {}", msg);
            }
        }
    }

    #[test]
    fn parsers_on_arbitrary_long_byte_strings_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        no_panic("parsers", || {
            let _ = reluflow::data::io::load_json_bytes(&bytes, "f.json");
            let _ = reluflow::data::io::load_csv_bytes(&bytes, "f.csv");
        })?;
    }

    #[test]
    fn params_files_never_panic_and_give_finite_parameters_or_name_the_file(
        text in "[-0-9.,eE{}\\[\\]\"aw: \n]{0,80}"
    ) {
        let file = TempFile::new("params", "json");
        let path = &file.0;
        std::fs::write(path, &text).unwrap();
        let got = no_panic("load_params", || reluflow::cli::simulate::load_params(path, 2))?;
        match got {
            Ok(p) => {
                prop_assert!(finite_params(&p) && !p.a.is_empty() && p.w.iter().all(|r| r.len() == 2));
                prop_assert!(ScaledParams::try_from_params(&p).is_ok());
            }
            Err(e) => prop_assert!(e.to_string().contains(&path.display().to_string())),
        }
    }
}

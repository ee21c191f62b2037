//! Reading and writing datasets: JSON (`{"x": [[...], ...], "y": [...]}`) and CSV (one row per
//! point, comma separated, last column `y`).
//!
//! Both formats round-trip bit-exactly: numbers are written with Rust's shortest round-trip
//! formatting and read back with Rust's correctly rounded `str::parse::<f64>`. (JSON numbers are
//! re-read from the text: `serde_json` without its `float_roundtrip` feature may be off by one
//! unit in the last place, so it is used here for the structure and error messages only.)
//!
//! Every error names the file (the `path_label` of the `*_str`/`*_bytes` entry points) and, for
//! CSV, the 1-based line. No input bytes make these functions panic.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{DataError, Dataset};

/// The serialised form of a [`Dataset`]: rows of inputs `x` and labels `y`.
///
/// `Dataset` (de)serialises through this type, so `serde_json::from_str::<Dataset>` validates
/// like [`Dataset::new`]. Unknown fields are rejected (a misspelt `"Y"` is an error, not ignored).
/// Note: `serde_json` parsing (as opposed to [`load_json_str`]) may round numbers by one unit in
/// the last place unless the crate enables `serde_json`'s `float_roundtrip` feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetFile {
    /// Inputs, one row per point.
    pub x: Vec<Vec<f64>>,
    /// Labels, one per point.
    pub y: Vec<f64>,
}

impl TryFrom<DatasetFile> for Dataset {
    type Error = DataError;
    fn try_from(file: DatasetFile) -> Result<Self, DataError> {
        Dataset::new(file.x, file.y)
    }
}

impl From<Dataset> for DatasetFile {
    fn from(data: Dataset) -> Self {
        DatasetFile { x: data.rows(), y: data.y().to_vec() }
    }
}

/// Loads a dataset from a `.json` or `.csv` file (extension case-insensitive).
///
/// Errors: [`DataError::UnknownFormat`] for any other extension, [`DataError::Io`] when the file
/// cannot be read, and the errors of [`load_json_bytes`] / [`load_csv_bytes`].
pub fn load(path: &Path) -> Result<Dataset, DataError> {
    let label = path.display().to_string();
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let parse: fn(&[u8], &str) -> Result<Dataset, DataError> = match ext.as_deref() {
        Some("json") => load_json_bytes,
        Some("csv") => load_csv_bytes,
        _ => return Err(DataError::UnknownFormat { path: label }),
    };
    let bytes = std::fs::read(path).map_err(|e| DataError::Io {
        action: "read",
        path: label.clone(),
        reason: format!("{e}; check that the file exists and is readable"),
    })?;
    parse(&bytes, &label)
}

/// Parses a JSON dataset `{"x": [[x_11, ..., x_1d], ...], "y": [y_1, ...]}`; `path_label`
/// names the source in errors.
///
/// Errors: [`DataError::Json`] (with serde's line and column) for malformed JSON, wrong types,
/// missing or unknown fields, numbers out of the `f64` range; [`DataError::InFile`] wrapping the
/// [`Dataset::new`] error (empty, ragged, label count) for well-formed JSON of the wrong shape.
///
/// ```
/// use reluflow::data::io::load_json_str;
/// let data = load_json_str(r#"{"x": [[1, 0], [0, 1]], "y": [0.1, -2]}"#, "inline").unwrap();
/// assert_eq!(data.y(), &[0.1, -2.0]);
/// assert!(load_json_str(r#"{"x": [[1, 0], [0]], "y": [1, 2]}"#, "inline").is_err());
/// ```
pub fn load_json_str(s: &str, path_label: &str) -> Result<Dataset, DataError> {
    let json_err = |reason: String| DataError::Json { path: path_label.to_string(), reason };
    let mut file: DatasetFile = serde_json::from_str(s).map_err(|e| json_err(e.to_string()))?;
    // Re-read every number exactly from the text (see the module docs).
    let (xs, ys) = exact_numbers(s).ok_or_else(|| json_err("could not re-read the numbers".into()))?;
    if xs.len() != file.x.iter().map(Vec::len).sum::<usize>() || ys.len() != file.y.len() {
        return Err(json_err("could not re-read the numbers (count mismatch)".into()));
    }
    for (slot, v) in file.x.iter_mut().flatten().zip(xs) {
        *slot = v;
    }
    file.y = ys;
    Dataset::try_from(file).map_err(|e| in_file(path_label, e))
}

/// [`load_json_str`] on raw bytes (invalid UTF-8 is a [`DataError::Json`] error).
pub fn load_json_bytes(bytes: &[u8], path_label: &str) -> Result<Dataset, DataError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => load_json_str(s, path_label),
        Err(e) => Err(DataError::Json {
            path: path_label.to_string(),
            reason: format!("invalid UTF-8 at line {}", line_of(bytes, e.valid_up_to())),
        }),
    }
}

/// The number tokens of a JSON document already validated as a [`DatasetFile`], exactly parsed,
/// split by top-level key. `None` if the text is not what was expected.
fn exact_numbers(s: &str) -> Option<(Vec<f64>, Vec<f64>)> {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let b = s.as_bytes();
    let (mut i, mut depth, mut key): (usize, usize, Option<String>) = (0, 0, None);
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let token = s.get(start..=i)?;
                if depth == 1 {
                    key = Some(serde_json::from_str::<String>(token).ok()?);
                }
                i += 1;
            }
            b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                i += 1;
            }
            c if c == b'-' || c.is_ascii_digit() => {
                let start = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                    i += 1;
                }
                let v: f64 = s.get(start..i)?.parse().ok()?;
                match key.as_deref() {
                    Some("x") => xs.push(v),
                    Some("y") => ys.push(v),
                    _ => return None,
                }
            }
            _ => i += 1,
        }
    }
    Some((xs, ys))
}

/// Parses a CSV dataset: one row per point, comma-separated numbers, the last column is `y`.
///
/// Rules: blank lines and lines starting with `#` are skipped; the first other line may be a
/// header only if none of its fields parses as a number; every row (and the header) has the same
/// number of fields, at least 2; fields are trimmed; `NaN`/`inf` (and numbers overflowing `f64`)
/// are rejected. A UTF-8 byte-order mark and `\r\n` line ends are accepted.
///
/// Errors: [`DataError::Csv`] naming `path_label` and the 1-based line; [`DataError::InFile`]
/// wrapping [`DataError::Empty`] when there is no data row.
///
/// ```
/// use reluflow::data::io::load_csv_str;
/// let data = load_csv_str("# toy\nx1,x2,y\n-0.5,1,-1\n2,1,1\n", "toy.csv").unwrap();
/// assert_eq!(data, reluflow::data::generate::toy());
/// let err = load_csv_str("1,2,3\n1,2\n", "bad.csv").unwrap_err();
/// assert!(err.to_string().contains("bad.csv, line 2"));
/// ```
pub fn load_csv_str(s: &str, path_label: &str) -> Result<Dataset, DataError> {
    let csv_err = |line: usize, reason: String| DataError::Csv { path: path_label.to_string(), line, reason };
    let text = s.strip_prefix('\u{feff}').unwrap_or(s);
    let (mut rows, mut ys): (Vec<Vec<f64>>, Vec<f64>) = (Vec::new(), Vec::new());
    // (number of fields, line it was first seen on, whether that line is the header)
    let mut width: Option<(usize, usize, bool)> = None;
    let mut first = true;
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let is_header = first && fields.iter().all(|f| f.parse::<f64>().is_err());
        first = false;
        if fields.len() < 2 {
            return Err(csv_err(
                line_no,
                format!("only {} column; at least 2 are needed (the inputs x, then the label y)", fields.len()),
            ));
        }
        match width {
            None => width = Some((fields.len(), line_no, is_header)),
            Some((w, l0, header)) if w != fields.len() => {
                let what = if header { "the header" } else { "the first row" };
                return Err(csv_err(
                    line_no,
                    format!(
                        "{} fields but {what} (line {l0}) has {w}: every row needs the same number of columns",
                        fields.len()
                    ),
                ));
            }
            Some(_) => {}
        }
        if is_header {
            continue;
        }
        let point = rows.len();
        let mut values = Vec::with_capacity(fields.len());
        for (j, f) in fields.iter().enumerate() {
            if f.is_empty() {
                return Err(csv_err(line_no, format!("column {} is empty", j + 1)));
            }
            let v: f64 =
                f.parse().map_err(|_| csv_err(line_no, format!("column {}: {} is not a number", j + 1, shorten(f))))?;
            if !v.is_finite() {
                let last = j + 1 == fields.len();
                let inner = DataError::NonFinite {
                    what: if last { "y" } else { "x" },
                    row: point,
                    col: if last { None } else { Some(j) },
                    value: v,
                };
                return Err(csv_err(line_no, format!("column {}: {} ({})", j + 1, shorten(f), inner)));
            }
            values.push(v);
        }
        ys.push(values.pop().unwrap_or_default());
        rows.push(values);
    }
    if rows.is_empty() {
        return Err(in_file(path_label, DataError::Empty));
    }
    Dataset::new(rows, ys).map_err(|e| in_file(path_label, e))
}

/// [`load_csv_str`] on raw bytes (invalid UTF-8 is a [`DataError::Csv`] error naming the line).
pub fn load_csv_bytes(bytes: &[u8], path_label: &str) -> Result<Dataset, DataError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => load_csv_str(s, path_label),
        Err(e) => Err(DataError::Csv {
            path: path_label.to_string(),
            line: line_of(bytes, e.valid_up_to()),
            reason: "invalid UTF-8 (save the file as UTF-8 text)".into(),
        }),
    }
}

/// The dataset as JSON text (one input row per line), bit-exact through [`load_json_str`].
pub fn to_json_string(data: &Dataset) -> String {
    let row = |r: &[f64]| format!("[{}]", r.iter().map(|v| fmt_f64(*v)).collect::<Vec<_>>().join(", "));
    let rows: Vec<String> = (0..data.n()).map(|k| format!("    {}", row(data.x(k)))).collect();
    format!("{{\n  \"x\": [\n{}\n  ],\n  \"y\": {}\n}}\n", rows.join(",\n"), row(data.y()))
}

/// The dataset as CSV text with a header `x1,...,xd,y`, bit-exact through [`load_csv_str`].
///
/// ```
/// use reluflow::data::{io, Dataset};
/// let data = Dataset::new(vec![vec![0.1, 1e-300]], vec![-3.0]).unwrap();
/// let text = io::to_csv_string(&data);
/// assert_eq!(text, "x1,x2,y\n0.1,1e-300,-3\n");
/// assert_eq!(io::load_csv_str(&text, "mem").unwrap(), data);
/// ```
pub fn to_csv_string(data: &Dataset) -> String {
    let mut out: String = (1..=data.d()).map(|i| format!("x{i},")).collect();
    out.push_str("y\n");
    for k in 0..data.n() {
        for v in data.x(k) {
            out.push_str(&fmt_f64(*v));
            out.push(',');
        }
        out.push_str(&fmt_f64(data.y()[k]));
        out.push('\n');
    }
    out
}

/// Writes the dataset as JSON ([`to_json_string`]). Errors: [`DataError::Io`].
pub fn save_json(data: &Dataset, path: &Path) -> Result<(), DataError> {
    write(path, &to_json_string(data))
}

/// Writes the dataset as CSV ([`to_csv_string`]). Errors: [`DataError::Io`].
pub fn save_csv(data: &Dataset, path: &Path) -> Result<(), DataError> {
    write(path, &to_csv_string(data))
}

fn write(path: &Path, text: &str) -> Result<(), DataError> {
    std::fs::write(path, text).map_err(|e| DataError::Io {
        action: "write",
        path: path.display().to_string(),
        reason: format!("{e}; check that the directory exists and is writable"),
    })
}

/// Shortest round-trip text of a finite `f64`: plain decimals for moderate magnitudes, exponent
/// notation otherwise (both of Rust's formatters print the shortest digits that parse back to
/// the same bits).
fn fmt_f64(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || (1e-5..1e16).contains(&a) { format!("{v}") } else { format!("{v:e}") }
}

fn in_file(path_label: &str, e: DataError) -> DataError {
    DataError::InFile { path: path_label.to_string(), source: Box::new(e) }
}

/// 1-based line of byte offset `at`.
fn line_of(bytes: &[u8], at: usize) -> usize {
    1 + bytes[..at.min(bytes.len())].iter().filter(|&&b| b == b'\n').count()
}

/// A field for an error message, cut to 40 characters.
fn shorten(f: &str) -> String {
    let mut out: String = f.chars().take(40).collect();
    if out.len() < f.len() {
        out.push_str("...");
    }
    format!("{out:?}")
}

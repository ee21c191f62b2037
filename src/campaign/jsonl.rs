//! Records files (`--jsonl`): one [`CaseRecord`] per line, read with the line each came from
//! ([`read`]) and appended one whole line at a time, flushed as each case finishes
//! ([`RecordWriter`]).
//!
//! A shard killed while writing can leave its last line cut short (no newline, not valid JSON).
//! Such a torn last line is not an error: it is reported ([`TornLine`], a warning naming the
//! line), left out, and its case counts as missing, so `reluflow merge` exits 4 naming it and
//! `reluflow verify --resume` cuts the file back to its last whole line and reruns the case.
//! Any other line that is not a record (a complete line, ended by a newline) is an error naming
//! the file and line ([`CampaignError::BadLine`]).

use super::errors::CampaignError;
use super::record::CaseRecord;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

/// A record and where it is.
#[derive(Clone, Debug)]
pub struct LocatedRecord {
    /// The record.
    pub record: CaseRecord,
    /// The file it was read from or written to.
    pub path: String,
    /// Its line (1-based).
    pub line: usize,
}

impl LocatedRecord {
    /// `FILE:LINE`.
    pub fn place(&self) -> String {
        format!("{}:{}", self.path, self.line)
    }
}

/// A last line without its newline that is not a record: what a shard killed mid-write leaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornLine {
    /// The file.
    pub path: String,
    /// The line (1-based).
    pub line: usize,
    /// Where it starts (the length of the file's whole lines).
    pub offset: u64,
    /// Its length in bytes.
    pub bytes: usize,
}

impl TornLine {
    /// The warning printed for it.
    pub fn warning(&self) -> String {
        format!(
            "warning: {}:{}: the last line ({} bytes, no newline) is cut short, as a shard killed while writing leaves it; it is ignored and its case counts as missing",
            self.path, self.line, self.bytes
        )
    }
}

/// The records of one file.
#[derive(Clone, Debug, Default)]
pub struct RecordsFile {
    /// Every record, in file order.
    pub records: Vec<LocatedRecord>,
    /// The torn last line, if any (left out of `records`).
    pub torn: Option<TornLine>,
    /// Lines read (records and blank lines, not the torn one).
    pub lines: usize,
}

/// Reads the records of `path` (blank lines are skipped).
pub fn read(path: &Path) -> Result<RecordsFile, CampaignError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| CampaignError::File {
        action: "read",
        path: name.clone(),
        reason: format!("{e} (give the --jsonl files the shards wrote)"),
    })?;
    let mut reader = BufReader::new(file);
    let mut out = RecordsFile::default();
    let mut buffer = Vec::new();
    let mut offset = 0u64;
    loop {
        buffer.clear();
        let read = reader.read_until(b'\n', &mut buffer).map_err(|e| CampaignError::File {
            action: "read",
            path: name.clone(),
            reason: e.to_string(),
        })?;
        if read == 0 {
            break;
        }
        let line = out.lines + 1;
        let whole = buffer.ends_with(b"\n");
        let parsed = std::str::from_utf8(&buffer).map_err(|e| e.to_string()).and_then(|text| {
            if text.trim().is_empty() {
                Ok(None)
            } else {
                serde_json::from_str(text).map(Some).map_err(|e| e.to_string())
            }
        });
        match parsed {
            Ok(record) => {
                out.lines = line;
                if let Some(record) = record {
                    out.records.push(LocatedRecord { record, path: name.clone(), line });
                }
            }
            Err(_) if !whole => {
                out.torn = Some(TornLine { path: name.clone(), line, offset, bytes: buffer.len() });
                break;
            }
            Err(reason) => return Err(CampaignError::BadLine { path: name, line, reason }),
        }
        offset += read as u64;
    }
    Ok(out)
}

/// Appends records to a file, one whole line per record, flushed as each is written.
#[derive(Debug)]
pub struct RecordWriter {
    file: File,
    path: String,
    next_line: usize,
}

impl RecordWriter {
    /// A new records file at `path` (`--jsonl`): created, or taken if it exists but is empty; a
    /// file that already holds lines is refused ([`CampaignError::NotEmpty`]) rather than
    /// overwritten or mixed with another run.
    pub fn create(path: &Path) -> Result<Self, CampaignError> {
        let name = path.display().to_string();
        if let Ok(existing) = std::fs::read(path) {
            if existing.iter().any(|b| !b.is_ascii_whitespace()) {
                let records = existing.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
                return Err(CampaignError::NotEmpty { path: name, records });
            }
        }
        let file = File::create(path).map_err(|e| CampaignError::File {
            action: "create",
            path: name.clone(),
            reason: format!("{e} (check that the directory exists and is writable)"),
        })?;
        Ok(Self { file, path: name, next_line: 1 })
    }

    /// Appends to the records file `path` (`--resume`) whose records are `existing` (read by
    /// [`read`]; an empty default when the file does not exist yet, then it is created): a torn
    /// last line is cut off first, so that the next record starts a line of its own.
    pub fn append(path: &Path, existing: &RecordsFile) -> Result<Self, CampaignError> {
        let name = path.display().to_string();
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(|e| CampaignError::File {
            action: "write",
            path: name.clone(),
            reason: format!("{e} (check that the directory exists and is writable)"),
        })?;
        if let Some(torn) = &existing.torn {
            file.set_len(torn.offset).map_err(|e| CampaignError::File {
                action: "truncate",
                path: name.clone(),
                reason: format!("{e} (cutting off the torn last line {})", torn.line),
            })?;
        }
        let mut writer = Self { file, path: name, next_line: existing.lines + 1 };
        if existing.torn.is_none() && !ends_with_newline(path) {
            // a last record without its newline (written by hand): end its line
            writer.write_bytes(b"\n")?;
        }
        Ok(writer)
    }

    /// Writes `record` as one line and flushes it; returns it with its place.
    pub fn write(&mut self, record: CaseRecord) -> Result<LocatedRecord, CampaignError> {
        let mut line = serde_json::to_string(&record).expect("a record serialises");
        line.push('\n');
        self.write_bytes(line.as_bytes())?;
        let located = LocatedRecord { record, path: self.path.clone(), line: self.next_line };
        self.next_line += 1;
        Ok(located)
    }

    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), CampaignError> {
        self.file.write_all(bytes).and_then(|()| self.file.flush()).map_err(|e| CampaignError::File {
            action: "write",
            path: self.path.clone(),
            reason: e.to_string(),
        })
    }
}

/// Whether the file is empty or ends with a newline (read from its last byte only).
fn ends_with_newline(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = File::open(path) else { return true };
    if file.seek(SeekFrom::End(-1)).is_err() {
        return true; // empty
    }
    let mut last = [0u8; 1];
    file.read_exact(&mut last).map_or(true, |()| last[0] == b'\n')
}

//! The file formats of `syncdict export` and `import`, sans I/O beyond the
//! reader or writer given: JSON (`{key: value}`), NDJSON (one
//! `{"key": .., "value": .., "expires_at": ..}` a line, `expires_at` only
//! for a record that expires) and CSV (`key,value`, the value as JSON, and
//! a third column `expires_at` when any record expires). Expiries are RFC
//! 3339 times; JSON has no place for them, so a namespace with expiring
//! records is not exported as JSON. Readers name the line of the first bad
//! record.

use std::collections::HashSet;
use std::io::{BufRead, Write};

use serde_json::Value;

use super::csv::{csv_field, CsvRows};
use super::read_error::bad;
pub use super::read_error::ReadError;
use crate::domain::{format_timestamp, parse_rfc3339_us, RecordKey};

/// One record of a file: key, value, and when it expires (µs since the
/// epoch), if it does.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRecord {
    pub key: RecordKey,
    pub value: Value,
    pub expires_at_us: Option<i64>,
}

/// One record to write: key, value as JSON text, expiry.
pub type OutRecord<'a> = (&'a str, &'a str, Option<i64>);

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Ndjson,
    Csv,
}

impl Format {
    /// The format a file name's extension names (`.json`, `.ndjson`/`.jsonl`, `.csv`).
    pub fn of_path(path: &str) -> Option<Format> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Format::Json),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// Writes `records` (key, value as JSON text, expiry), in order, as
/// `format`. JSON refuses records that expire (`InvalidInput`), before
/// writing anything.
pub fn write<'a>(
    format: Format,
    records: &[OutRecord<'a>],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let key = |k: &str| serde_json::to_string(k).unwrap_or_default();
    let expiring = records.iter().filter(|r| r.2.is_some()).count();
    match format {
        Format::Json if expiring > 0 => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{expiring} records expire and JSON has no place for an expiry: export as ndjson or csv"),
        )),
        Format::Json => {
            out.write_all(b"{")?;
            for (i, (k, v, _)) in records.iter().enumerate() {
                let sep = if i == 0 { "\n" } else { ",\n" };
                write!(out, "{sep}  {}: {v}", key(k))?;
            }
            out.write_all(b"\n}\n")
        }
        Format::Ndjson => {
            for (k, v, expires) in records {
                match expires {
                    Some(at) => writeln!(
                        out,
                        "{{\"key\":{},\"value\":{v},\"expires_at\":\"{}\"}}",
                        key(k),
                        format_timestamp(*at)
                    )?,
                    None => writeln!(out, "{{\"key\":{},\"value\":{v}}}", key(k))?,
                }
            }
            Ok(())
        }
        Format::Csv if expiring > 0 => {
            out.write_all(b"key,value,expires_at\n")?;
            for (k, v, expires) in records {
                let at = expires.map(format_timestamp).unwrap_or_default();
                writeln!(out, "{},{},{at}", csv_field(k), csv_field(v))?;
            }
            Ok(())
        }
        Format::Csv => {
            out.write_all(b"key,value\n")?;
            for (k, v, _) in records {
                writeln!(out, "{},{}", csv_field(k), csv_field(v))?;
            }
            Ok(())
        }
    }
}

/// An RFC 3339 expiry read at `line`.
fn expiry(line: usize, text: &str) -> Result<i64, ReadError> {
    parse_rfc3339_us(text).ok_or_else(|| {
        bad(
            line,
            format!("expires_at {text:?} is not an RFC 3339 time such as 2026-12-31T23:59:59Z"),
        )
    })
}

/// Reads every record of `input`; a key twice is an error naming its line.
pub fn read(format: Format, input: impl BufRead) -> Result<Vec<FileRecord>, ReadError> {
    let mut records = Records::default();
    match format {
        Format::Json => {
            use serde::Deserializer;
            let mut de = serde_json::Deserializer::from_reader(input);
            let entries = (&mut de)
                .deserialize_map(JsonEntries)
                .map_err(|e| bad(e.line(), e.to_string()))?;
            de.end().map_err(|e| bad(e.line(), e.to_string()))?;
            return Ok(entries);
        }
        Format::Ndjson => read_ndjson(input, &mut records)?,
        Format::Csv => read_csv(input, &mut records)?,
    }
    Ok(records.read)
}

/// The records read so far, each key once.
#[derive(Default)]
struct Records {
    read: Vec<FileRecord>,
    seen: HashSet<RecordKey>,
}

impl Records {
    /// The record on `line`; a bad or repeated key is an error there.
    fn push(
        &mut self,
        line: usize,
        key: String,
        value: Value,
        expires_at_us: Option<i64>,
    ) -> Result<(), ReadError> {
        let key = RecordKey::parse(key).map_err(|e| bad(line, e.to_string()))?;
        if !self.seen.insert(key.clone()) {
            return Err(bad(line, format!("key {:?} appears twice", key.as_str())));
        }
        self.read.push(FileRecord {
            key,
            value,
            expires_at_us,
        });
        Ok(())
    }
}

/// One `{"key", "value", "expires_at"?}` object per line.
fn read_ndjson(input: impl BufRead, records: &mut Records) -> Result<(), ReadError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Line {
        key: String,
        value: Value,
        expires_at: Option<String>,
    }
    for (i, line) in input.lines().enumerate() {
        let line_no = i + 1;
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(&line).map_err(|e| {
            bad(
                line_no,
                format!("expected {{\"key\": .., \"value\": .., \"expires_at\"?: ..}}: {e}"),
            )
        })?;
        let expires = parsed
            .expires_at
            .as_deref()
            .map(|t| expiry(line_no, t))
            .transpose()?;
        records.push(line_no, parsed.key, parsed.value, expires)?;
    }
    Ok(())
}

/// A header `key,value[,expires_at]`, then one record per row.
fn read_csv(input: impl BufRead, records: &mut Records) -> Result<(), ReadError> {
    let mut rows = CsvRows::new(input);
    let columns = match rows.next_row()? {
        Some((_, header)) if header == ["key", "value"] => 2,
        Some((_, header)) if header == ["key", "value", "expires_at"] => 3,
        Some((line, header)) => {
            return Err(bad(
                line,
                format!(
                    "the header must be key,value or key,value,expires_at, got {}",
                    header.join(",")
                ),
            ))
        }
        None => return Ok(()),
    };
    while let Some((line, mut fields)) = rows.next_row()? {
        if fields.len() != columns {
            return Err(bad(
                line,
                format!(
                    "expected {columns} fields, as the header says, got {}",
                    fields.len()
                ),
            ));
        }
        let expires = match fields.get(2).map(String::as_str) {
            None | Some("") => None,
            Some(text) => Some(expiry(line, text)?),
        };
        fields.truncate(2);
        let value: Value = serde_json::from_str(&fields[1])
            .map_err(|e| bad(line, format!("the value is not JSON: {e}")))?;
        let key = fields.swap_remove(0);
        records.push(line, key, value, expires)?;
    }
    Ok(())
}

/// A JSON object of key: value, read entry by entry: a bad or repeated key
/// is an error at its position (serde_json adds the line).
struct JsonEntries;

impl<'de> serde::de::Visitor<'de> for JsonEntries {
    type Value = Vec<FileRecord>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object of key: value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use serde::de::Error;
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let key = RecordKey::parse(key).map_err(A::Error::custom)?;
            if !seen.insert(key.clone()) {
                return Err(A::Error::custom(format!(
                    "key {:?} appears twice",
                    key.as_str()
                )));
            }
            entries.push(FileRecord {
                key,
                value: map.next_value()?,
                expires_at_us: None,
            });
        }
        Ok(entries)
    }
}

#[cfg(test)]
mod tests;

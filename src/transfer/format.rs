//! The file formats of `syncdict export` and `import`, sans I/O beyond the
//! reader or writer given: JSON (`{key: value}`), NDJSON (one
//! `{"key": .., "value": ..}` a line) and CSV (`key,value`, the value as
//! JSON). Readers name the line of the first bad record.

use std::collections::HashSet;
use std::io::{BufRead, Write};

use serde_json::Value;

use crate::domain::RecordKey;

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

/// Why a file could not be read; nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("line {line}: {message}")]
    Bad { line: usize, message: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn bad(line: usize, message: impl Into<String>) -> ReadError {
    ReadError::Bad {
        line,
        message: message.into(),
    }
}

/// Writes `records` (key, value as JSON text), in order, as `format`.
pub fn write<'a>(
    format: Format,
    records: impl Iterator<Item = (&'a str, &'a str)>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let key = |k: &str| serde_json::to_string(k).unwrap_or_default();
    match format {
        Format::Json => {
            out.write_all(b"{")?;
            for (i, (k, v)) in records.enumerate() {
                let sep = if i == 0 { "\n" } else { ",\n" };
                write!(out, "{sep}  {}: {v}", key(k))?;
            }
            out.write_all(b"\n}\n")
        }
        Format::Ndjson => {
            for (k, v) in records {
                writeln!(out, "{{\"key\":{},\"value\":{v}}}", key(k))?;
            }
            Ok(())
        }
        Format::Csv => {
            out.write_all(b"key,value\n")?;
            for (k, v) in records {
                writeln!(out, "{},{}", csv_field(k), csv_field(v))?;
            }
            Ok(())
        }
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Reads every record of `input`; a key twice is an error naming its line.
pub fn read(format: Format, input: impl BufRead) -> Result<Vec<(RecordKey, Value)>, ReadError> {
    let mut records = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |line: usize, key: String, value: Value| {
        let key = RecordKey::parse(key).map_err(|e| bad(line, e.to_string()))?;
        if !seen.insert(key.clone()) {
            return Err(bad(line, format!("key {:?} appears twice", key.as_str())));
        }
        records.push((key, value));
        Ok(())
    };
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
        Format::Ndjson => {
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Line {
                key: String,
                value: Value,
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
                        format!("expected {{\"key\": .., \"value\": ..}}: {e}"),
                    )
                })?;
                push(line_no, parsed.key, parsed.value)?;
            }
        }
        Format::Csv => {
            let mut rows = CsvRows::new(input);
            match rows.next_row()? {
                Some((_, header)) if header == ["key", "value"] => {}
                Some((line, header)) => {
                    return Err(bad(
                        line,
                        format!("the header must be key,value, got {}", header.join(",")),
                    ))
                }
                None => return Ok(records),
            }
            while let Some((line, fields)) = rows.next_row()? {
                let [key, value]: [String; 2] = fields.try_into().map_err(|f: Vec<String>| {
                    bad(
                        line,
                        format!("expected 2 fields (key,value), got {}", f.len()),
                    )
                })?;
                let value: Value = serde_json::from_str(&value)
                    .map_err(|e| bad(line, format!("the value is not JSON: {e}")))?;
                push(line, key, value)?;
            }
        }
    }
    Ok(records)
}

/// A JSON object of key: value, read entry by entry: a bad or repeated key
/// is an error at its position (serde_json adds the line).
struct JsonEntries;

impl<'de> serde::de::Visitor<'de> for JsonEntries {
    type Value = Vec<(RecordKey, Value)>;

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
            entries.push((key, map.next_value()?));
        }
        Ok(entries)
    }
}

/// CSV records (RFC 4180: quoted fields may hold commas, quotes and line
/// breaks), each with the line it starts on.
struct CsvRows<R> {
    input: R,
    line: usize,
}

impl<R: BufRead> CsvRows<R> {
    fn new(input: R) -> Self {
        CsvRows { input, line: 0 }
    }

    fn next_row(&mut self) -> Result<Option<(usize, Vec<String>)>, ReadError> {
        let mut text = String::new();
        loop {
            let start = self.line + 1;
            text.clear();
            if self.input.read_line(&mut text)? == 0 {
                return Ok(None);
            }
            self.line += 1;
            // A quoted field may continue on the next lines.
            while text.matches('"').count() % 2 == 1 {
                if self.input.read_line(&mut text)? == 0 {
                    return Err(bad(start, "unterminated quoted field"));
                }
                self.line += 1;
            }
            let row = text.trim_end_matches(['\n', '\r']);
            if row.is_empty() {
                continue;
            }
            return split_csv(row)
                .map(|f| Some((start, f)))
                .map_err(|m| bad(start, m));
        }
    }
}

fn split_csv(row: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = row.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated quoted field".into()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => {}
                Some(c) => return Err(format!("unexpected {c:?} after a quoted field")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
        }
        fields.push(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(format: Format) {
        let records = [
            ("a", r#"{"x":[1,"a,b"]}"#),
            ("quote\"d", r#""line\nbreak""#),
            ("é", "null"),
        ];
        let mut out = Vec::new();
        write(format, records.iter().copied(), &mut out).unwrap();
        let back = read(format, out.as_slice()).unwrap();
        let back: Vec<(String, String)> = back
            .into_iter()
            .map(|(k, v)| (k.into_string(), v.to_string()))
            .collect();
        let mut want: Vec<(String, String)> = records
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    serde_json::from_str::<Value>(v).unwrap().to_string(),
                )
            })
            .collect();
        let mut back = back;
        back.sort();
        want.sort();
        assert_eq!(back, want, "{format:?}: {}", String::from_utf8_lossy(&out));
    }

    #[test]
    fn every_format_round_trips() {
        round_trip(Format::Json);
        round_trip(Format::Ndjson);
        round_trip(Format::Csv);
        assert_eq!(Format::of_path("x/data.JSONL"), Some(Format::Ndjson));
        assert_eq!(Format::of_path("data"), None);
    }

    fn error(format: Format, text: &str) -> String {
        read(format, text.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn bad_input_names_its_line() {
        assert!(error(
            Format::Ndjson,
            "{\"key\":\"a\",\"value\":1}\n\n{\"key\":\"b\"}\n"
        )
        .starts_with("line 3:"));
        assert!(error(
            Format::Ndjson,
            "{\"key\":\"a\",\"value\":1}\n{\"key\":\"a\",\"value\":2}\n"
        )
        .contains("line 2: key \"a\" appears twice"));
        assert!(error(Format::Ndjson, "{\"key\":\"\",\"value\":1}\n").starts_with("line 1:"));
        assert!(error(Format::Csv, "key,value\na,1\nb,{oops\n")
            .starts_with("line 3: the value is not JSON"));
        assert!(error(Format::Csv, "k,v\n").starts_with("line 1: the header"));
        assert!(error(Format::Csv, "key,value\n\"a\nb\",1\nc,1,2\n")
            .starts_with("line 4: expected 2 fields"));
        assert!(error(Format::Csv, "key,value\n\"a,1\n").contains("unterminated"));
        assert!(error(Format::Json, "{\"a\": 1,\n \"b\": }").starts_with("line 2:"));
        assert!(error(Format::Json, "[1]").contains("a JSON object of key: value"));
        let twice = error(Format::Json, "{\"a\": 1,\n \"a\": 2}");
        assert!(
            twice.starts_with("line 2:") && twice.contains("appears twice"),
            "{twice}"
        );
        assert!(error(Format::Json, "{\n\n \"\": 1}").starts_with("line 3:"));
        assert_eq!(
            read(Format::Json, &b"{\"a\": {\"b\": 1}}"[..]).unwrap()[0].1,
            json!({"b": 1})
        );
    }
}

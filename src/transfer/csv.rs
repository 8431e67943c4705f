//! CSV as the transfer formats use it (RFC 4180: quoted fields may hold
//! commas, quotes and line breaks), each row with the line it starts on.

use std::io::BufRead;

use super::read_error::{bad, ReadError};

/// A CSV field, quoted when it holds a comma, quote or line break.
pub(super) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV records (RFC 4180: quoted fields may hold commas, quotes and line
/// breaks), each with the line it starts on.
pub(super) struct CsvRows<R> {
    input: R,
    line: usize,
}

impl<R: BufRead> CsvRows<R> {
    pub(super) fn new(input: R) -> Self {
        CsvRows { input, line: 0 }
    }

    pub(super) fn next_row(&mut self) -> Result<Option<(usize, Vec<String>)>, ReadError> {
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
            return split_csv(row, start).map(|f| Some((start, f)));
        }
    }
}

/// The fields of one record, which starts at `line`.
fn split_csv(row: &str, line: usize) -> Result<Vec<String>, ReadError> {
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
                    None => return Err(bad(line, "unterminated quoted field")),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => {}
                Some(c) => return Err(bad(line, format!("unexpected {c:?} after a quoted field"))),
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

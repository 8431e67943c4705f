//! `records.search`: one page of a namespace's live records in key order,
//! by key prefix and/or substring, after a cursor. Bounded per call: at
//! most `limit` records, and a substring search reads at most `MAX_SCAN`
//! keys (then answers what it found with a cursor to go on from).

use diesel::prelude::*;

use super::records::{read_transaction, RecordRow};
use super::schema::{namespaces, records};
use super::AnyConnection;
pub use crate::domain::RecordSearch as Search;
use crate::domain::{Namespace, StoredRecord};

/// Keys a substring search reads per call at most.
pub const MAX_SCAN: usize = 100_000;
/// Keys read per statement while scanning.
const BATCH: i64 = 2_000;

/// One page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The namespace's last change (a change set's `if_revision`).
    pub revision: i64,
    /// Its live records in all.
    pub total: i64,
    pub rows: Vec<StoredRecord>,
    /// Where the next page starts (`after`), if there may be more.
    pub next: Option<String>,
}

/// The smallest string above every string that starts with `prefix`
/// (keys are compared bytewise, which for UTF-8 is code point order);
/// `None` when there is none.
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A page of `ns` for `search`; `None` if there is no such namespace.
pub fn search(
    conn: &mut AnyConnection,
    ns: &Namespace,
    search: &Search,
) -> QueryResult<Option<Page>> {
    let name = ns.as_str();
    let prefix = search.prefix.clone().unwrap_or_default();
    let end = prefix_end(&prefix).filter(|_| !prefix.is_empty());
    let from = match &search.after {
        Some(after) if after.as_str() >= prefix.as_str() => after.clone(),
        _ => prefix.clone(),
    };
    // Keys strictly after `after`, or from the prefix itself.
    let strictly = search
        .after
        .as_deref()
        .is_some_and(|a| a >= prefix.as_str());
    let limit = search.limit;
    read_transaction!(conn, |c| {
        let found: Option<(i64, i64)> = namespaces::table
            .find(name)
            .select((namespaces::revision, namespaces::live_records))
            .first(c)
            .optional()?;
        let Some((revision, total)) = found else {
            return Ok(None);
        };
        macro_rules! keyed {
            ($from:expr, $strict:expr) => {{
                let mut q = records::table
                    .filter(records::namespace.eq(name))
                    .filter(records::deleted.eq(false))
                    .into_boxed();
                q = if $strict {
                    q.filter(records::key.gt($from))
                } else {
                    q.filter(records::key.ge($from))
                };
                if let Some(end) = &end {
                    q = q.filter(records::key.lt(end.clone()));
                }
                q.order(records::key.asc())
            }};
        }
        let (rows, next) = match &search.contains {
            None => {
                let mut rows: Vec<StoredRecord> = keyed!(from.clone(), strictly)
                    .limit(limit as i64 + 1)
                    .select(RecordRow::as_select())
                    .load::<RecordRow>(c)?
                    .into_iter()
                    .map(Into::into)
                    .collect();
                let next = (rows.len() > limit).then(|| {
                    rows.truncate(limit);
                    rows.last().map(|r| r.key.clone()).unwrap_or_default()
                });
                (rows, next)
            }
            Some(needle) => {
                let needle = needle.to_lowercase();
                let (mut cursor, mut strict) = (from.clone(), strictly);
                let (mut matched, mut scanned, mut next) = (Vec::new(), 0usize, None);
                loop {
                    let keys: Vec<String> = keyed!(cursor.clone(), strict)
                        .limit(BATCH)
                        .select(records::key)
                        .load(c)?;
                    let full = keys.len() as i64 == BATCH;
                    for key in keys {
                        scanned += 1;
                        if key.to_lowercase().contains(&needle) {
                            if matched.len() == limit {
                                next = matched.last().cloned();
                                break;
                            }
                            matched.push(key.clone());
                        }
                        cursor = key;
                    }
                    strict = true;
                    if next.is_some() || !full {
                        break;
                    }
                    if scanned >= MAX_SCAN {
                        next = Some(cursor.clone());
                        break;
                    }
                }
                let mut rows: Vec<StoredRecord> = Vec::with_capacity(matched.len());
                for chunk in matched.chunks(500) {
                    let found = records::table
                        .filter(records::namespace.eq(name))
                        .filter(records::key.eq_any(chunk))
                        .select(RecordRow::as_select())
                        .load::<RecordRow>(c)?;
                    rows.extend(found.into_iter().map(StoredRecord::from));
                }
                rows.sort_unstable_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
                (rows, next)
            }
        };
        Ok(Some(Page {
            revision,
            total,
            rows,
            next,
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_ends_are_the_next_code_point() {
        assert_eq!(prefix_end("ab").as_deref(), Some("ac"));
        assert_eq!(
            prefix_end("a\u{D7FF}").as_deref(),
            Some("a\u{E000}"),
            "surrogates skipped"
        );
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
    }
}

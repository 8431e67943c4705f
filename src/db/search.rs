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

/// The live records of namespace `$name` from key `$from` (after it,
/// `$strict`) up to `$end` (an `&Option<String>`), in key order: a boxed
/// query for the connection at hand.
macro_rules! keyed {
    ($name:expr, $end:expr, $from:expr, $strict:expr) => {{
        let mut q = records::table
            .filter(records::namespace.eq($name))
            .filter(records::deleted.eq(false))
            .into_boxed();
        q = if $strict {
            q.filter(records::key.gt($from))
        } else {
            q.filter(records::key.ge($from))
        };
        if let Some(end) = $end {
            q = q.filter(records::key.lt(end.clone()));
        }
        q.order(records::key.asc())
    }};
}

/// Where a page starts and ends in key order.
struct Window {
    /// The first key past the prefix (none without a prefix).
    end: Option<String>,
    /// From here: `after`, or the prefix itself.
    from: String,
    /// Keys strictly after `from` (it was `after`).
    strictly: bool,
}

impl Window {
    fn of(search: &Search) -> Window {
        let prefix = search.prefix.clone().unwrap_or_default();
        let after = search
            .after
            .as_ref()
            .filter(|a| a.as_str() >= prefix.as_str());
        Window {
            end: prefix_end(&prefix).filter(|_| !prefix.is_empty()),
            strictly: after.is_some(),
            from: after.cloned().unwrap_or(prefix),
        }
    }
}

/// A substring search over batches of keys in order: what matched, and
/// where the next page starts.
struct Scan {
    needle: String,
    limit: usize,
    matched: Vec<String>,
    scanned: usize,
    next: Option<String>,
    /// The last key looked at.
    cursor: String,
}

impl Scan {
    fn new(needle: &str, limit: usize, from: String) -> Scan {
        Scan {
            needle: needle.to_lowercase(),
            limit,
            matched: Vec::new(),
            scanned: 0,
            next: None,
            cursor: from,
        }
    }

    /// Looks at one batch; `false` once the page is settled (full, the
    /// keys ran out, or `MAX_SCAN` keys were read).
    fn feed(&mut self, keys: Vec<String>) -> bool {
        let full = keys.len() as i64 == BATCH;
        for key in keys {
            self.scanned += 1;
            if key.to_lowercase().contains(&self.needle) {
                if self.matched.len() == self.limit {
                    self.next = self.matched.last().cloned();
                    return false;
                }
                self.matched.push(key.clone());
            }
            self.cursor = key;
        }
        if !full {
            return false;
        }
        if self.scanned >= MAX_SCAN {
            self.next = Some(self.cursor.clone());
            return false;
        }
        true
    }
}

/// A page of `ns` for `search`; `None` if there is no such namespace.
pub fn search(
    conn: &mut AnyConnection,
    ns: &Namespace,
    search: &Search,
) -> QueryResult<Option<Page>> {
    let name = ns.as_str();
    let Window {
        end,
        from,
        strictly,
    } = Window::of(search);
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
        let (rows, next) = match &search.contains {
            None => {
                let mut rows: Vec<StoredRecord> = keyed!(name, &end, from.clone(), strictly)
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
                let mut scan = Scan::new(needle, limit, from.clone());
                let mut strict = strictly;
                loop {
                    let keys: Vec<String> = keyed!(name, &end, scan.cursor.clone(), strict)
                        .limit(BATCH)
                        .select(records::key)
                        .load(c)?;
                    strict = true;
                    if !scan.feed(keys) {
                        break;
                    }
                }
                let Scan { matched, next, .. } = scan;
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

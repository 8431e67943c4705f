//! `syncdict export`, `import` and `audit`: a namespace to a file and back,
//! and the audit log, against the local database or a remote center over
//! JSON-RPC (`--url`).
//!
//! Bounds: an export holds the namespace once (the rows read) and streams
//! them out; an import holds the file's records once, plus the namespace's
//! current records to diff against (and, remotely, the request body). A
//! remote import is one `records.apply` request, so it must fit the
//! center's `server.max_body`.

mod csv;
pub mod format;
mod read_error;
mod source;

use std::io::{BufRead, Write};

use serde_json::Value;

pub use format::{FileRecord, Format};
pub use source::{current_records, Dataset, Remote, Source, TransferError};

use crate::domain::{ChangeSet, Expiry, Namespace, ValueSchema, WriteOrigin};

/// A namespace's record as read for a transfer: key, value as JSON text,
/// expiry (µs since the epoch) if it has one.
pub type CurrentRecord = (String, String, Option<i64>);

/// Keys listed per category in an import's report.
const SHOWN: usize = 20;

/// Writes `namespace` (at `at`, or now) to `out` as `format`.
pub fn export(
    source: &Source,
    namespace: &Namespace,
    at: Option<i64>,
    format: Format,
    out: &mut impl Write,
) -> Result<(), TransferError> {
    let data = source.read(namespace, at)?;
    let records: Vec<format::OutRecord> = data
        .records
        .iter()
        .map(|(k, v, e)| (k.as_str(), v.as_str(), *e))
        .collect();
    format::write(format, &records, out)?;
    out.flush()?;
    Ok(())
}

/// What an import would do.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub add: Vec<String>,
    pub change: Vec<String>,
    pub remove: Vec<String>,
    pub unchanged: usize,
}

/// What an import does with the namespace's keys its file lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Others {
    Keep,
    /// `--replace`: the namespace becomes the file.
    Remove,
}

/// From `--replace` (or the console's checkbox).
impl From<bool> for Others {
    fn from(replace: bool) -> Others {
        match replace {
            true => Others::Remove,
            false => Others::Keep,
        }
    }
}

impl Plan {
    /// Compares the file's records with the namespace's (key, value as
    /// JSON text, expiry): a record whose value or expiry differs changes.
    pub fn new(current: &[CurrentRecord], file: &[FileRecord], others: Others) -> Plan {
        let now: std::collections::HashMap<&str, (&str, Option<i64>)> = current
            .iter()
            .map(|(k, v, e)| (k.as_str(), (v.as_str(), *e)))
            .collect();
        let mut plan = Plan::default();
        for r in file {
            match now.get(r.key.as_str()) {
                None => plan.add.push(r.key.to_string()),
                Some((v, e))
                    if *e == r.expires_at_us
                        && serde_json::from_str::<Value>(v).ok().as_ref() == Some(&r.value) =>
                {
                    plan.unchanged += 1
                }
                Some(_) => plan.change.push(r.key.to_string()),
            }
        }
        if others == Others::Remove {
            let in_file: std::collections::HashSet<&str> =
                file.iter().map(|r| r.key.as_str()).collect();
            plan.remove = current
                .iter()
                .filter(|(k, _, _)| !in_file.contains(k.as_str()))
                .map(|(k, _, _)| k.clone())
                .collect();
        }
        plan
    }

    /// The change set that carries the plan out: the file's records it
    /// adds or changes (with their expiries) and the keys it removes.
    pub fn change_set(&self, records: Vec<FileRecord>) -> Result<ChangeSet, TransferError> {
        let mut changes = ChangeSet::default();
        for r in self.upserts(records) {
            if let Some(at) = r.expires_at_us {
                changes.expiries.insert(r.key.clone(), Expiry::At(at));
            }
            changes.upserts.push((r.key, r.value));
        }
        changes.deletes = self
            .remove
            .iter()
            .map(|k| crate::domain::RecordKey::parse(k.clone()))
            .collect::<Result<_, _>>()
            .map_err(|e| TransferError::Malformed(e.to_string()))?;
        Ok(changes)
    }

    /// The file's records the plan adds or changes (the others are
    /// already there).
    fn upserts(&self, records: Vec<FileRecord>) -> Vec<FileRecord> {
        let wanted: std::collections::HashSet<&str> = self
            .add
            .iter()
            .chain(&self.change)
            .map(String::as_str)
            .collect();
        records
            .into_iter()
            .filter(|r| wanted.contains(r.key.as_str()))
            .collect()
    }

    /// `add 2: a, b` lines and the unchanged count.
    pub fn describe(&self) -> String {
        let list = |what: &str, keys: &[String]| {
            let shown: Vec<&str> = keys.iter().take(SHOWN).map(String::as_str).collect();
            let more = keys.len().saturating_sub(SHOWN);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("{what} {}: {}{tail}", keys.len(), shown.join(", "))
        };
        [
            list("add", &self.add),
            list("change", &self.change),
            list("remove", &self.remove),
            format!("unchanged {}", self.unchanged),
        ]
        .join("\n")
    }
}

/// What `import` was asked to do.
pub struct ImportRequest<'a> {
    pub namespace: &'a Namespace,
    pub format: Format,
    /// Remove the namespace's keys the file lacks.
    pub replace: bool,
    /// Create the namespace if it does not exist (a dry run only says so).
    pub create: bool,
    pub dry_run: bool,
    pub origin: WriteOrigin,
}

/// Loads `input` into a namespace as one change set (committed only if the
/// namespace did not change since it was read); returns the report to print.
pub fn import(
    source: &Source,
    input: impl BufRead,
    req: ImportRequest<'_>,
) -> Result<String, TransferError> {
    let records = format::read(req.format, input)?;
    let (current, created) = match source.read(req.namespace, None) {
        Err(TransferError::NoSuchNamespace(_)) if req.create && req.dry_run => {
            (Dataset::default(), true)
        }
        Err(TransferError::NoSuchNamespace(_)) if req.create => {
            source.create(req.namespace, &req.origin.author)?;
            (source.read(req.namespace, None)?, true)
        }
        other => (other?, false),
    };
    let plan = Plan::new(&current.records, &records, Others::from(req.replace));
    if let Some(schema) = source.schema(req.namespace)? {
        let schema =
            ValueSchema::from_text(&schema).map_err(|e| TransferError::Refused(e.to_string()))?;
        let violations = schema.check_all(records.iter().map(|r| (r.key.as_str(), &r.value)));
        if !violations.is_empty() {
            return Err(TransferError::Refused(format!(
                "values violate the schema of namespace {}: {}",
                req.namespace,
                violations.join("; ")
            )));
        }
    }
    let mut report = plan.describe();
    if created {
        let what = if req.dry_run {
            "would create"
        } else {
            "created"
        };
        report = format!("{what} namespace {}\n{report}", req.namespace);
    }
    if req.dry_run {
        return Ok(format!("{report}\n(dry run: nothing changed)"));
    }
    let changes = plan.change_set(records)?;
    if changes.is_empty() {
        return Ok(format!("{report}\nnothing to change"));
    }
    let applied = source.apply(req.namespace, changes, current.revision, req.origin)?;
    let revision = applied
        .revision
        .map_or("none".to_string(), |r| r.to_string());
    Ok(format!("{report}\ncommitted at revision {revision}"))
}

/// The audit log as tab-separated lines.
pub fn audit(source: &Source, since: Option<i64>, limit: i64) -> Result<String, TransferError> {
    let entries = source.audit(since, limit)?;
    let mut out = String::from("revision\tat\tauthor\taddress\tmethod\tnamespace\tkeys\tcomment");
    for e in entries {
        let field = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let line: Vec<String> = [
            "revision",
            "at",
            "author",
            "address",
            "method",
            "namespace",
            "keys",
            "comment",
        ]
        .iter()
        .map(|k| field(&e[*k]))
        .collect();
        out.push('\n');
        out.push_str(&line.join("\t"));
    }
    Ok(out)
}

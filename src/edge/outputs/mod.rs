//! Outputs: files an edge renders from its data after each applied change
//! (`[[output]]`), for programs that read files. One task per output waits
//! on the edge's change counter, so a burst of changes is one render and
//! an output's commands never overlap; the data comes from the store, so
//! at start the outputs render from the snapshot before the first pull.
//! A record that expires leaves the output at its time even with the
//! center unreachable: the task also wakes at the next expiry it holds.

mod check;
pub mod lmdb;
mod local;
pub mod page;
mod render;
#[cfg(test)]
mod view_tests;
mod write;

use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::watch;

pub use check::render_output;
pub use local::LocalStores;
pub use render::{render, RenderError, Template, View};
pub use write::{run, temporary, WriteError};

use crate::configuration::{ConfigError, OutputFormat, OutputSettings};
use crate::domain::{format_timestamp, now_us};
use crate::edge::store::EdgeStore;

/// An output that cannot start (a template that does not load).
#[derive(Debug, thiserror::Error)]
#[error("output {output}: {why}")]
pub struct OutputError {
    pub output: String,
    pub why: String,
}

/// What `/api/status`, the page and `/metrics` show of one output.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OutputStatus {
    pub path: String,
    pub format: String,
    /// Renders done (each after one or more changes).
    pub renders: u64,
    /// Renders that replaced the file, and that found it as it was.
    pub writes: u64,
    pub unchanged: u64,
    pub render_failures: u64,
    pub check_failures: u64,
    pub command_runs: u64,
    pub command_failures: u64,
    pub last_error: Option<String>,
    pub last_written: Option<String>,
    /// The data revision the file was last rendered from.
    pub revision: i64,
    /// The edge's change count its last render was for.
    #[serde(skip)]
    pub change: u64,
    /// Its last render's check or command failed (`edge::health` reports
    /// the edge unhealthy while it does).
    #[serde(skip)]
    pub failing: bool,
}

/// The outputs' shared status, in configured order.
pub type Statuses = Arc<Mutex<Vec<OutputStatus>>>;

/// Loads each output's template (failing start on a bad one) and starts
/// its task, woken by `changes`; answers their status and the local read
/// stores among them, for the apply to write small changes to at once.
pub fn start(
    outputs: &[OutputSettings],
    store: Arc<EdgeStore>,
    changes: &watch::Sender<u64>,
) -> Result<(Statuses, LocalStores), OutputError> {
    let statuses: Statuses = Arc::new(Mutex::new(Vec::new()));
    let mut locals = LocalStores::default();
    for (index, o) in outputs.iter().enumerate() {
        let template = load_template(o)?;
        let local = local::open_local(o, &store)?;
        if let Some(local) = &local {
            locals.push(local.clone());
        }
        lock(&statuses).push(OutputStatus {
            path: o.name(),
            format: format!("{:?}", o.format).to_lowercase(),
            ..Default::default()
        });
        let task = Task {
            index,
            settings: o.clone(),
            template,
            local,
            store: store.clone(),
            statuses: statuses.clone(),
        };
        let mut woken = changes.subscribe();
        actix_web::rt::spawn(async move {
            // Marked seen at subscription: a count above 0 is data to render.
            let first = *woken.borrow_and_update();
            if first > 0 {
                task.run_once(first).await;
            }
            loop {
                let now = now_us();
                let woke = match next_expiry(&task.settings, &task.store, now) {
                    Some(at) => {
                        let wait = std::time::Duration::from_micros((at - now) as u64);
                        // Elapsed: a record expired, render without it.
                        tokio::time::timeout(wait, woken.changed())
                            .await
                            .unwrap_or(Ok(()))
                    }
                    None => woken.changed().await,
                };
                if woke.is_err() {
                    break;
                }
                let change = *woken.borrow_and_update();
                task.run_once(change).await;
            }
        });
    }
    Ok((statuses, locals))
}

/// The template of a `template` output, loaded and checked.
/// Compiles every template output's template: one that does not stops the
/// start (and `check-config`), naming its output, file and line.
pub fn check_templates(outputs: &[OutputSettings]) -> Result<(), ConfigError> {
    for (i, o) in outputs.iter().enumerate() {
        if let Err(e) = load_template(o) {
            return Err(ConfigError::invalid(&format!("output[{i}]"), e.why));
        }
    }
    Ok(())
}

pub fn load_template(o: &OutputSettings) -> Result<Option<Template>, OutputError> {
    let fail = |why: String| OutputError {
        output: o.name(),
        why,
    };
    match (o.format, &o.template) {
        (OutputFormat::Template, Some(path)) => Template::load(path)
            .map(Some)
            .map_err(|e| fail(e.to_string())),
        (OutputFormat::Template, None) => Err(fail("format \"template\" needs template".into())),
        _ => Ok(None),
    }
}

/// The soonest expiry after `now_us` in `o`'s namespaces: when its file
/// changes without a pull.
pub fn next_expiry(o: &OutputSettings, store: &EdgeStore, now_us: i64) -> Option<i64> {
    let tables = o.namespaces.iter().filter_map(|ns| store.table(ns));
    tables.filter_map(|t| t.next_expiry_after(now_us)).min()
}

/// The data of `o`'s namespaces in `store` served at `now_us` (records
/// past their expiry left out), as an output sees it.
pub fn view(o: &OutputSettings, store: &EdgeStore, now_us: i64) -> View {
    let namespaces = o
        .namespaces
        .iter()
        .map(|ns| {
            let records = store
                .sorted(ns, now_us)
                .iter()
                .map(|e| {
                    let value = serde_json::from_str(e.value())
                        .unwrap_or_else(|_| serde_json::Value::String(e.value().to_string()));
                    (e.key().to_string(), value)
                })
                .collect();
            (ns.clone(), records)
        })
        .collect();
    View {
        namespaces,
        revision: store.revision(),
    }
}

/// The outputs' part of `/metrics`: `syncdict_output_events_total{output, event}`.
pub fn render_metrics(statuses: &Statuses, out: &mut crate::metrics::Exposition) {
    let list = lock(statuses);
    if list.is_empty() {
        return;
    }
    let name = "syncdict_output_events_total";
    out.family(
        name,
        "counter",
        "Output renders by result (written, unchanged, render_failed, check_failed) and commands run and failed.",
    );
    for s in list.iter() {
        let output = crate::metrics::escape_label(&s.path);
        let events = [
            ("written", s.writes),
            ("unchanged", s.unchanged),
            ("render_failed", s.render_failures),
            ("check_failed", s.check_failures),
            ("command_run", s.command_runs),
            ("command_failed", s.command_failures),
        ];
        for (event, n) in events {
            out.sample(name, &format!(r#"output="{output}",event="{event}""#), n);
        }
    }
}

fn lock(s: &Statuses) -> std::sync::MutexGuard<'_, Vec<OutputStatus>> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

struct Task {
    index: usize,
    settings: OutputSettings,
    template: Option<Template>,
    local: Option<local::Local>,
    store: Arc<EdgeStore>,
    statuses: Statuses,
}

impl Task {
    fn status(&self, update: impl FnOnce(&mut OutputStatus)) {
        if let Some(s) = lock(&self.statuses).get_mut(self.index) {
            update(s);
        }
    }

    /// Renders change `change`, puts the file in place if it differs,
    /// runs the command.
    async fn run_once(&self, change: u64) {
        self.status(|s| (s.change, s.failing) = (change, false));
        if let Some(local) = &self.local {
            return self.write_local(local.clone()).await;
        }
        let o = &self.settings;
        let view = view(o, &self.store, now_us());
        let revision = view.revision;
        let bytes = match render(o.format, self.template.as_ref(), &view) {
            Ok(bytes) => bytes,
            Err(e) => return self.failed(|s| s.render_failures += 1, e.to_string()),
        };
        self.status(|s| s.renders += 1);
        // A file of a secret namespace's plaintext is its owner's alone.
        let secret = o
            .namespaces
            .iter()
            .any(|ns| self.store.secret_status(ns).is_some());
        let mode = o.mode_bits().unwrap_or(0o644) & if secret { 0o700 } else { 0o7777 };
        match write::replace(o, bytes, mode).await {
            Ok(false) => self.status(|s| s.unchanged += 1),
            Ok(true) => {
                tracing::info!(output = %o.name(), revision, "output written");
                self.written(revision).await;
            }
            Err(e @ WriteError::Check(_)) => self.failed(
                |s| (s.check_failures, s.failing) = (s.check_failures + 1, true),
                e.to_string(),
            ),
            Err(e) => self.failed(|s| s.render_failures += 1, e.to_string()),
        }
    }

    /// Counts a write of `revision` and runs the command.
    async fn written(&self, revision: i64) {
        let o = &self.settings;
        self.status(|s| {
            s.writes += 1;
            s.revision = revision;
            s.last_written = Some(format_timestamp(now_us()));
            s.last_error = None;
        });
        if let Some(command) = &o.command {
            let command = command.replace("{path}", &o.path.display().to_string());
            let ran = run(&command, o.command_timeout.get()).await;
            self.status(|s| s.command_runs += 1);
            if let Err(why) = ran {
                let e = WriteError::Command(why).to_string();
                self.failed(
                    |s| (s.command_failures, s.failing) = (s.command_failures + 1, true),
                    e,
                );
            }
        }
    }

    /// Writes what changed to the local read store, off the async workers,
    /// and reports it with what the apply wrote at once.
    async fn write_local(&self, local: local::Local) {
        let store = self.store.clone();
        let revision = store.revision();
        let wrote = actix_web::rt::task::spawn_blocking(move || {
            let mut local = local.lock().unwrap_or_else(|p| p.into_inner());
            local.write(&store).map(|_| local.take_written())
        })
        .await;
        self.status(|s| s.renders += 1);
        match wrote {
            Ok(Ok(w)) if w == lmdb::Written::default() => self.status(|s| s.unchanged += 1),
            Ok(Ok(w)) => {
                tracing::info!(output = %self.settings.name(), revision, put = w.put, deleted = w.deleted, "local read store written");
                self.written(revision).await;
            }
            Ok(Err(e)) => self.failed(|s| s.render_failures += 1, e.to_string()),
            Err(_) => self.failed(|s| s.render_failures += 1, "the write panicked".into()),
        }
    }

    fn failed(&self, count: impl FnOnce(&mut OutputStatus), why: String) {
        tracing::error!(output = %self.settings.name(), error = %why, "output not updated");
        self.status(|s| {
            count(s);
            s.last_error = Some(why);
        });
    }
}

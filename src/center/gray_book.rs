//! The gray releases a center serves edges' views from
//! (`domain::gray_view`): every active release and those ended within a
//! day (edges that held one are brought back with its keys), parsed once.
//! They are read again from the database at most once every
//! `server.revision_check_interval`, as the known revision is, so a change
//! through another center reaches edges as soon as a write would, and at
//! once after a change through this center.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{db_failure, Center};
use crate::db::executor::CurrentReleases;
use crate::db::gray_releases::ReleaseRow;
use crate::domain::{now_us, ChangeSet, RecordKey, ReleaseId, ReleaseState, Target};
use crate::rpc::CallError;

/// How long an ended release stays in the book.
const KEPT_ENDED: Duration = Duration::from_secs(24 * 3600);

/// A release as views need it.
#[derive(Debug)]
pub struct Loaded {
    pub id: ReleaseId,
    pub namespace: String,
    /// Rises with every change of its target or state.
    pub version: i64,
    pub active: bool,
    pub target: Target,
    /// Its upserts and deletes (a gray value does not expire).
    pub changes: ChangeSet,
}

#[derive(Default)]
struct Book {
    releases: Arc<[Loaded]>,
    /// It was read from the database at least once.
    read: bool,
}

/// The current releases, shared by a center's requests.
pub struct GrayBook {
    book: RwLock<Book>,
    /// One request reads the book again; the others wait for it.
    reading: tokio::sync::Mutex<()>,
    /// The book held releases when last read.
    in_use: AtomicBool,
    /// When the book was last read, in milliseconds after `started`
    /// (0: never, or forgotten after a change).
    read_ms: AtomicU64,
    started: Instant,
    /// How long the book is trusted before it is read again.
    fresh_ms: u64,
    /// Steps taken through this center, by `GrayStep` and by whom (a
    /// person, the schedule).
    steps: [[AtomicU64; 2]; 4],
    /// Rises with every change through this center: a read that began
    /// before one does not make the book fresh.
    generation: AtomicU64,
}

/// A step of a gray release, as `/metrics` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrayStep {
    Created,
    Retargeted,
    Aborted,
    Promoted,
}

impl GrayStep {
    const ALL: [GrayStep; 4] = [
        GrayStep::Created,
        GrayStep::Retargeted,
        GrayStep::Aborted,
        GrayStep::Promoted,
    ];

    fn label(self) -> &'static str {
        match self {
            GrayStep::Created => "created",
            GrayStep::Retargeted => "retargeted",
            GrayStep::Aborted => "aborted",
            GrayStep::Promoted => "promoted",
        }
    }
}

/// Who took a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepBy {
    Person = 0,
    Schedule = 1,
}

impl GrayBook {
    pub fn new(fresh: Duration) -> GrayBook {
        GrayBook {
            fresh_ms: fresh.as_millis() as u64,
            book: RwLock::default(),
            reading: tokio::sync::Mutex::default(),
            in_use: AtomicBool::new(false),
            read_ms: AtomicU64::new(0),
            started: Instant::now(),
            steps: Default::default(),
            generation: AtomicU64::new(0),
        }
    }

    /// The book's part of `/metrics`.
    pub fn render(&self, out: &mut crate::metrics::Exposition) {
        let name = "syncdict_gray_steps_total";
        out.family(
            name,
            "counter",
            "Gray release steps taken through this center, by action and by whom (person or schedule).",
        );
        for (step, counts) in GrayStep::ALL.iter().zip(&self.steps) {
            for (by, n) in ["person", "schedule"].iter().zip(counts) {
                let labels = format!("action=\"{}\",by=\"{by}\"", step.label());
                out.sample(name, &labels, n.load(Ordering::Relaxed));
            }
        }
    }

    fn ms(&self, at: Instant) -> u64 {
        // At least 1: 0 means never read.
        (at.saturating_duration_since(self.started).as_millis() as u64).max(1)
    }

    /// Whether pulls must say who they are for their views: the book held
    /// releases, or is stale (a release made through another center shows
    /// once it is read again). Two atomic loads and the clock.
    pub fn in_use(&self) -> bool {
        self.in_use.load(Ordering::Relaxed) || self.stale(Instant::now())
    }

    fn stale(&self, now: Instant) -> bool {
        let read = self.read_ms.load(Ordering::Relaxed);
        read == 0 || self.ms(now).saturating_sub(read) >= self.fresh_ms
    }

    /// A release changed through this center: the next view reads again.
    pub fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.read_ms.store(0, Ordering::Release);
    }

    fn fresh(&self, now: Instant) -> Option<Arc<[Loaded]>> {
        if self.stale(now) {
            return None;
        }
        Some(
            self.book
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .releases
                .clone(),
        )
    }
}

impl Center {
    /// A release changed through this center (`step` by `by`): the book
    /// is read again, held pulls look again (those whose view changed are
    /// answered), and `/metrics` counts it.
    pub(crate) fn gray_changed(&self, step: GrayStep, by: StepBy) {
        self.gray.steps[step as usize][by as usize].fetch_add(1, Ordering::Relaxed);
        self.gray.changed();
        self.cache.wake_held();
    }

    /// The current releases, read again if the book is stale. While the
    /// database cannot be read the last book stands (no write lands then
    /// either); `None` if it was never read.
    pub(crate) async fn gray_releases(&self) -> Option<Arc<[Loaded]>> {
        if let Some(releases) = self.gray.fresh(Instant::now()) {
            return Some(releases);
        }
        let _only_me = self.gray.reading.lock().await;
        if let Some(releases) = self.gray.fresh(Instant::now()) {
            return Some(releases);
        }
        match self.read_releases().await {
            Ok(releases) => Some(releases),
            Err(e) => {
                tracing::debug!(error = %e, "gray releases not read; the last ones stand");
                let book = self.gray.book.read().unwrap_or_else(|p| p.into_inner());
                book.read.then(|| book.releases.clone())
            }
        }
    }

    async fn read_releases(&self) -> Result<Arc<[Loaded]>, CallError> {
        let generation = self.gray.generation.load(Ordering::Acquire);
        let since = now_us() - KEPT_ENDED.as_micros() as i64;
        let rows = self
            .ask(CurrentReleases(since))
            .await?
            .map_err(db_failure)?;
        let releases: Arc<[Loaded]> = rows.into_iter().filter_map(loaded).collect();
        let changed = {
            let mut book = self.gray.book.write().unwrap_or_else(|p| p.into_inner());
            let marks = |rs: &[Loaded]| -> Vec<(ReleaseId, i64)> {
                rs.iter().map(|r| (r.id, r.version)).collect()
            };
            let changed = book.read && marks(&book.releases) != marks(&releases);
            book.releases = releases.clone();
            book.read = true;
            changed
        };
        if changed {
            // Changed through another center: held pulls look again.
            self.cache.wake_held();
        }
        self.gray
            .in_use
            .store(!releases.is_empty(), Ordering::Relaxed);
        // A change through this center during the read may be missing
        // from it: the book then stays stale, and the next look reads it.
        let read = self.gray.ms(Instant::now());
        self.gray.read_ms.store(read, Ordering::Release);
        if self.gray.generation.load(Ordering::Acquire) != generation {
            self.gray.read_ms.store(0, Ordering::Release);
        }
        Ok(releases)
    }
}

/// A stored release, parsed (a row that does not parse is left out and
/// logged: it was written by this code, so that is a bug).
fn loaded(row: ReleaseRow) -> Option<Loaded> {
    let target = serde_json::from_str::<Value>(&row.target)
        .ok()
        .and_then(|t| Target::from_json(&t).ok());
    let changes = serde_json::from_str::<Value>(&row.changes)
        .ok()
        .and_then(|c| change_set(&c));
    let (Some(target), Some(changes)) = (target, changes) else {
        tracing::error!(
            release = row.id,
            "a stored gray release does not parse; left out"
        );
        return None;
    };
    Some(Loaded {
        id: ReleaseId(row.id),
        namespace: row.namespace,
        version: row.version,
        active: ReleaseState::parse(&row.state) == Some(ReleaseState::Active),
        target,
        changes,
    })
}

/// The upserts and deletes of a change set as `ChangeSet::to_json` wrote it.
fn change_set(stored: &Value) -> Option<ChangeSet> {
    let mut changes = ChangeSet::default();
    for (key, value) in stored.get("upserts")?.as_object()? {
        changes
            .upserts
            .push((RecordKey::parse(key.as_str()).ok()?, value.clone()));
    }
    for key in stored.get("deletes")?.as_array()? {
        changes.deletes.push(RecordKey::parse(key.as_str()?).ok()?);
    }
    Some(changes)
}

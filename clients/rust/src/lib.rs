//! Reads the local read store a syncdict edge keeps (an `[[output]]` with
//! `format = "lmdb"`): one LMDB named database per namespace, each value
//! its expiry (µs since the epoch, 0 for none, 8 bytes big-endian) then
//! its JSON text, and a meta database `_syncdict` with `format`,
//! `revision`, `namespaces` and `boot` (a store written before the
//! machine restarted is refused). Every call is one short read
//! transaction, so a reader that stays open never pins old pages, and
//! sees each change set the edge applied whole or not at all.
//! `Namespace::cached` also keeps the values read in memory, emptied
//! whenever the store changed.
//!
//! ```no_run
//! let store = syncdict_local::Store::open("/var/lib/syncdict/local")?;
//! let geo = store.namespace("geo")?.expect("the edge keeps geo");
//! let fr = geo.get("fr")?; // Some(json) unless missing or expired
//! println!("{fr:?} at revision {}", store.revision()?);
//! # Ok::<(), syncdict_local::Error>(())
//! ```

mod cache;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use std::cell::RefCell;

use cache::Cache;

use lmdb::{
    Cursor, Database, Environment, EnvironmentFlags, InactiveTransaction, RoTransaction,
    Transaction,
};

/// The encoding this reader knows (`format` in the meta database).
pub const FORMAT: &str = "1";
const META: &str = "_syncdict";
/// Address space only: the edge grows its map as the data grows, and a
/// reader whose map is smaller would have to adopt the new size first.
const READER_MAP: usize = 1 << 40;
/// Databases a reader may open (namespaces and the meta one): each read
/// transaction is sized by it.
const MAX_DBS: u32 = 128;

/// Why a read failed.
#[derive(Debug)]
pub enum Error {
    Lmdb(lmdb::Error),
    /// The store is of an encoding this reader does not know (or not a
    /// syncdict store at all).
    Format(Option<String>),
    /// The store was written before the machine last started: the edge
    /// does not flush its commits, so it may be torn; the edge makes it
    /// anew when it starts.
    Restarted,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Lmdb(e) => write!(f, "LMDB: {e}"),
            Error::Format(Some(v)) => write!(f, "store format {v:?}, this reader knows {FORMAT:?}"),
            Error::Format(None) => write!(f, "not a syncdict local read store (no format)"),
            Error::Restarted => write!(
                f,
                "the store was written before the machine restarted; the edge makes it anew when it starts"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<lmdb::Error> for Error {
    fn from(e: lmdb::Error) -> Self {
        Error::Lmdb(e)
    }
}

/// A store, opened read-only.
pub struct Store {
    env: Environment,
}

/// One namespace of a store, read from one thread: it keeps its read
/// transaction between reads, reset (it pins nothing), and renews it for
/// the next read, which costs less than a new one.
pub struct Namespace<'s> {
    store: &'s Store,
    db: Database,
    spare: RefCell<Option<InactiveTransaction<'s>>>,
    /// Values kept in memory (`cached`), if asked for.
    cache: Option<RefCell<Cache>>,
}

impl Store {
    /// Opens the store in directory `path`, refusing a format it does not
    /// know.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, Error> {
        let env = Environment::new()
            .set_flags(EnvironmentFlags::READ_ONLY)
            .set_max_dbs(MAX_DBS)
            .set_map_size(READER_MAP)
            .open(path.as_ref())?;
        let store = Store { env };
        match store.meta("format")? {
            Some(f) if f == FORMAT => {}
            other => return Err(Error::Format(other)),
        }
        match store.meta("boot")? {
            Some(boot) if boot != boot_id() => Err(Error::Restarted),
            _ => Ok(store),
        }
    }

    /// The namespace `name`, if the store keeps it.
    pub fn namespace(&self, name: &str) -> Result<Option<Namespace<'_>>, Error> {
        match self.env.open_db(Some(name)) {
            Ok(db) => Ok(Some(Namespace {
                store: self,
                db,
                spare: RefCell::new(None),
                cache: None,
            })),
            Err(lmdb::Error::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The edge's data revision the store holds.
    pub fn revision(&self) -> Result<i64, Error> {
        Ok(self
            .meta("revision")?
            .and_then(|r| r.parse().ok())
            .unwrap_or(0))
    }

    /// The namespaces the store holds now.
    pub fn namespaces(&self) -> Result<Vec<String>, Error> {
        let text = self.meta("namespaces")?.unwrap_or_else(|| "[]".into());
        Ok(serde_json::from_str(&text).unwrap_or_default())
    }

    /// A read transaction; when the edge's data outgrew this reader's map,
    /// the map adopts its size first.
    fn begin(&self) -> Result<RoTransaction<'_>, Error> {
        match self.env.begin_ro_txn() {
            Err(lmdb::Error::MapResized) => {
                self.env.set_map_size(0)?;
                Ok(self.env.begin_ro_txn()?)
            }
            txn => Ok(txn?),
        }
    }

    fn meta(&self, key: &str) -> Result<Option<String>, Error> {
        let Some(meta) = self.namespace(META)? else {
            return Ok(None);
        };
        meta.with(|txn| {
            Ok(found(txn.get(meta.db, &key))?.map(|v| String::from_utf8_lossy(v).into_owned()))
        })
    }
}

impl Namespace<'_> {
    /// This namespace with the values it reads kept in memory, up to
    /// `max_bytes` (keys and values; full, it empties): a read of a key
    /// read before is a hash-map look-up instead of LMDB's B-tree search.
    /// Each read still renews a short read transaction and answers what
    /// the store holds: the cache empties whenever the store changed.
    pub fn cached(mut self, max_bytes: usize) -> Self {
        self.cache = Some(RefCell::new(Cache::new(max_bytes)));
        self
    }

    /// The value under `key`, decoded, or `None` if missing or expired.
    pub fn get(&self, key: &str) -> Result<Option<serde_json::Value>, Error> {
        self.get_when(key, Now::Clock)
    }

    /// `get` as of `now_us` (µs since the epoch): expiries judged then.
    pub fn get_at(&self, key: &str, now_us: i64) -> Result<Option<serde_json::Value>, Error> {
        self.get_when(key, Now::At(now_us))
    }

    fn get_when(&self, key: &str, now: Now) -> Result<Option<serde_json::Value>, Error> {
        self.with(|txn| {
            self.live_in(txn, key, now, |found| {
                found.and_then(|json| serde_json::from_slice(json).ok())
            })
        })
    }

    /// Calls `f` with the JSON text under `key` as `txn` sees it, unless
    /// missing or expired by `now`: from the cache when there is one (and
    /// it is not in use by a read that called back into this one).
    fn live_in<R>(
        &self,
        txn: &RoTransaction<'_>,
        key: &str,
        now: Now,
        f: impl FnOnce(Option<&[u8]>) -> R,
    ) -> Result<R, Error> {
        if let Some(Ok(mut cache)) = self.cache.as_ref().map(RefCell::try_borrow_mut) {
            let stored = cache.stored(txn, self.db, key)?;
            return Ok(f(stored.and_then(|v| decode(v, now))));
        }
        Ok(f(live(txn, self.db, key, now)?))
    }

    /// The JSON text under `key`, or `None` if missing or expired.
    pub fn get_raw(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.with_raw(key, |raw| raw.map(<[u8]>::to_vec))
    }

    /// Calls `f` with the JSON text under `key` (`None` if missing or
    /// expired), borrowed from the map inside one short read transaction.
    pub fn with_raw<R>(&self, key: &str, f: impl FnOnce(Option<&[u8]>) -> R) -> Result<R, Error> {
        self.with(|txn| self.live_in(txn, key, Now::Clock, f))
    }

    /// Several reads in one short read transaction: they all see the same
    /// change set.
    pub fn read<R>(&self, f: impl FnOnce(&Reading<'_, '_>) -> R) -> Result<R, Error> {
        self.with(|txn| {
            let reading = Reading {
                db: self.db,
                txn,
                now: Now::At(now_us()),
            };
            Ok(f(&reading))
        })
    }

    /// Runs `f` in a read transaction: the spare one renewed, or a new one.
    fn with<R>(&self, f: impl FnOnce(&RoTransaction<'_>) -> Result<R, Error>) -> Result<R, Error> {
        let spare = self.spare.borrow_mut().take();
        let txn = match spare.map(InactiveTransaction::renew) {
            Some(Ok(txn)) => txn,
            _ => self.store.begin()?,
        };
        let out = f(&txn);
        *self.spare.borrow_mut() = Some(txn.reset());
        out
    }

    /// Keys starting with `prefix`, sorted, leaving out expired ones.
    pub fn keys(&self, prefix: &str) -> Result<Vec<String>, Error> {
        self.with(|txn| self.keys_in(txn, prefix))
    }

    fn keys_in(&self, txn: &RoTransaction<'_>, prefix: &str) -> Result<Vec<String>, Error> {
        let mut cursor = txn.open_ro_cursor(self.db)?;
        let now = Now::At(now_us());
        let mut out = Vec::new();
        // LMDB takes no empty key, so no empty prefix either.
        let items = match prefix.is_empty() {
            true => cursor.iter_start(),
            false => cursor.iter_from(prefix),
        };
        for item in items {
            let (key, value) = item?;
            if !key.starts_with(prefix.as_bytes()) {
                break;
            }
            if decode(value, now).is_some() {
                out.push(String::from_utf8_lossy(key).into_owned());
            }
        }
        Ok(out)
    }
}

/// Reads inside one transaction (`Namespace::read`).
pub struct Reading<'t, 'e> {
    db: Database,
    txn: &'t RoTransaction<'e>,
    now: Now,
}

impl Reading<'_, '_> {
    /// The JSON text under `key`, borrowed from the map.
    pub fn get_raw(&self, key: &str) -> Result<Option<&[u8]>, Error> {
        live(self.txn, self.db, key, self.now)
    }

    pub fn get(&self, key: &str) -> Result<Option<serde_json::Value>, Error> {
        Ok(self
            .get_raw(key)?
            .and_then(|json| serde_json::from_slice(json).ok()))
    }
}

/// The JSON text under `key` in `db`, unless missing or expired by `now`.
fn live<'t>(
    txn: &'t RoTransaction<'_>,
    db: Database,
    key: &str,
    now: Now,
) -> Result<Option<&'t [u8]>, Error> {
    Ok(found(txn.get(db, &key))?.and_then(|v| decode(v, now)))
}

/// `Ok(None)` for a key that is not there.
fn found(got: Result<&[u8], lmdb::Error>) -> Result<Option<&[u8]>, Error> {
    match got {
        Ok(v) => Ok(Some(v)),
        Err(lmdb::Error::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// When expiries are judged: at a given instant, or by the clock, read
/// only for a value that expires (reading it was a sixth of a read's time).
#[derive(Debug, Clone, Copy)]
enum Now {
    Clock,
    At(i64),
}

impl Now {
    fn us(self) -> i64 {
        match self {
            Now::Clock => now_us(),
            Now::At(us) => us,
        }
    }
}

/// A stored value's JSON text, unless it expired by `now`.
fn decode(stored: &[u8], now: Now) -> Option<&[u8]> {
    let (expiry, json) = stored.split_at_checked(8)?;
    let expires = i64::from_be_bytes(expiry.try_into().ok()?);
    (expires == 0 || expires > now.us()).then_some(json)
}

/// This boot of the machine (Linux's boot id; empty where there is none).
fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|id| id.trim().to_string())
        .unwrap_or_default()
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

#[cfg(test)]
mod tests {
    use super::{decode, Now};

    #[test]
    fn a_value_is_served_until_its_expiry() {
        let mut stored = 100i64.to_be_bytes().to_vec();
        stored.extend_from_slice(b"{}");
        assert_eq!(decode(&stored, Now::At(99)), Some(&b"{}"[..]));
        assert_eq!(decode(&stored, Now::At(100)), None);
        assert_eq!(decode(&stored, Now::Clock), None, "expired long ago");
        let mut forever = 0i64.to_be_bytes().to_vec();
        forever.push(b'1');
        assert_eq!(decode(&forever, Now::At(i64::MAX)), Some(&b"1"[..]));
        assert_eq!(decode(&forever, Now::Clock), Some(&b"1"[..]));
        assert_eq!(decode(b"short", Now::At(0)), None);
    }
}

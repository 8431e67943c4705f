"""Reads a syncdict edge's local read store (an [[output]] with
format = "lmdb") from Python, on PyPI's lmdb (py-lmdb).

One LMDB named database per namespace; each value is its expiry (µs since
the epoch, 0 for none, 8 bytes big-endian) then its JSON text; the meta
database "_syncdict" holds "format", "revision", "namespaces" and "boot"
(a store written before the machine restarted is refused). Every
call is one short read transaction (a read the cache answers, none): a
reader that stays open never pins old pages, and sees each change set the
edge applied whole or not at all.

    import syncdict_local
    store = syncdict_local.open("/var/lib/syncdict/local")
    print(store.get("geo", "fr"), store.revision())
"""

import io
import json
import mmap
import os
import platform
import struct
import time

import lmdb

FORMAT = b"1"
META = b"_syncdict"
# Address space only: the edge grows its map as the data grows, and a
# reader whose map is smaller would have to adopt the new size first.
READER_MAP = 1 << 40
# Databases a reader may open (namespaces and the meta one): each read
# transaction is sized by it.
MAX_DBS = 128


class FormatError(Exception):
    """The store is of an encoding this reader does not know."""


class RestartedError(Exception):
    """The store was written before the machine last started: the edge
    does not flush its commits, so it may be torn; the edge makes it anew
    when it starts."""


def _boot_id():
    """This boot of the machine (Linux's boot id; empty where there is none)."""
    try:
        with io.open("/proc/sys/kernel/random/boot_id", "rb") as f:  # open is ours
            return f.read().strip()
    except OSError:
        return b""


def _now_us():
    return time.time_ns() // 1000


NO_EXPIRY = bytes(8)


def _live(stored, now_us):
    """The JSON text of a stored value, unless it expired by now_us (the
    clock is read only for a value that expires)."""
    if stored is None or len(stored) < 8:
        return None
    if stored[:8] != NO_EXPIRY:
        (expires,) = struct.unpack_from(">q", stored)
        if expires <= (_now_us() if now_us is None else now_us):
            return None
    return bytes(stored[8:])


# What a cached read costs besides its key and value (the entry, the tuple).
_ENTRY_OVERHEAD = 120

# LMDB 0.9's lock file publishes the id of the last commit to readers
# (MDB_txbody.mtb_txnid: a native size_t after the magic, the format and the
# reader table's pthread mutex, whose size is the platform's); a read
# transaction begins by reading it. Checked at open against a transaction's
# id, and not used where it does not match.
_LOCK_MAGIC = 0xBEEFC0DE
_TXNID = struct.Struct("@Q")
_TXNID_AT = {"x86_64": 48, "aarch64": 56}.get(platform.machine())


def _commit_mark(begin, path):
    """The lock file of the store in path, mapped read-only, if its last
    commit's id is where _TXNID_AT says (checked against the ids of read
    transactions begin() takes around it); else None."""
    if _TXNID_AT is None:
        return None
    try:
        with io.open(os.path.join(path, "lock.mdb"), "rb") as f:  # open is ours
            mark = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    if len(mark) >= _TXNID_AT + 8 and struct.unpack_from("@I", mark, 0)[0] == _LOCK_MAGIC:
        for _ in range(10):
            with begin() as txn:
                before = txn.id()
            seen = _TXNID.unpack_from(mark, _TXNID_AT)[0]
            with begin() as txn:
                after = txn.id()
            if before == after:  # no commit in between: it must say the same
                if seen == before:
                    return mark
                break
    mark.close()
    return None


class Store:
    def __init__(self, path, cache_bytes=0):
        self._env = lmdb.open(path, readonly=True, max_dbs=MAX_DBS, lock=True, subdir=True, map_size=READER_MAP)
        self._dbs = {}
        # With cache_bytes, get_raw keeps what it read: per namespace, key ->
        # (the store's transaction id it was read in, expiry, JSON text). An
        # entry serves only reads made while that transaction is the
        # store's last commit, so it is never stale, from any thread.
        self._cache_bytes = cache_bytes
        self._cache_used = 0
        self._cached = {}
        # A cached entry read in the store's last commit is answered
        # without a transaction while the lock file says no commit came
        # since (None: every read begins one).
        self._mark = _commit_mark(lambda: self._begin(None), path)
        fmt = self._meta(b"format")
        if fmt != FORMAT:
            self.close()
            raise FormatError("store format %r, this reader knows %r" % (fmt, FORMAT))
        boot = self._meta(b"boot")
        if boot is not None and boot != _boot_id():
            self.close()
            raise RestartedError(
                "the store was written before the machine restarted; the edge makes it anew when it starts")

    def set_cache(self, cache_bytes):
        """Keeps what get_raw and get read in memory, up to about
        cache_bytes (0: no cache); whatever was kept is dropped."""
        self._cached.clear()
        self._cache_used = 0
        self._cache_bytes = cache_bytes

    def _begin(self, db):
        try:
            return self._env.begin(db=db)
        except lmdb.MapResizedError:
            # The edge's data outgrew this reader's map: adopt its size.
            self._env.set_mapsize(0)
            return self._env.begin(db=db)

    def _db(self, name):
        """The database of namespace name (a str), if the store has it."""
        db = self._dbs.get(name)
        if db is None:
            try:
                db = self._env.open_db(name.encode(), create=False)
            except lmdb.NotFoundError:
                return None
            self._dbs[name] = db
        return db

    def _meta(self, key):
        db = self._db(META.decode())
        if db is None:
            return None
        with self._begin(db) as txn:
            return txn.get(key)

    def get_raw(self, namespace, key, now_us=None):
        """The JSON text (bytes) under key, or None if missing or expired."""
        # Inlined: each layer of calls here cost as much as the read.
        if self._cache_bytes and self._mark is not None:
            cached = self._cached.get(namespace)
            hit = cached.get(key) if cached is not None else None
            # Read in the last commit: what a transaction begun now would read.
            if hit is not None and hit[0] == _TXNID.unpack_from(self._mark, _TXNID_AT)[0]:
                expires, json_text = hit[1], hit[2]
                if expires and expires <= (_now_us() if now_us is None else now_us):
                    return None
                return json_text
        db = self._dbs.get(namespace) or self._db(namespace)
        if db is None:
            return None
        try:
            txn = self._env.begin(db=db)
        except lmdb.MapResizedError:
            txn = self._begin(db)
        try:
            if self._cache_bytes:
                cached = self._cached.get(namespace)
                hit = cached.get(key) if cached is not None else None
                txn_id = txn.id()
                if hit is None or hit[0] != txn_id:
                    hit = self._cache_miss(txn, txn_id, namespace, key)
                expires, json_text = hit[1], hit[2]
                if expires and expires <= (_now_us() if now_us is None else now_us):
                    return None
                return json_text
            stored = txn.get(key.encode())
        finally:
            txn.abort()
        if stored is not None and stored.startswith(NO_EXPIRY):
            return stored[8:]
        return _live(stored, now_us)

    def _cache_miss(self, txn, txn_id, namespace, key):
        """Reads key in txn (of id txn_id) into the cache; answers its entry."""
        stored = txn.get(key.encode())
        if stored is None or len(stored) < 8:
            hit = (txn_id, 0, None)
        else:
            hit = (txn_id, struct.unpack_from(">q", stored)[0], stored[8:])
        self._cache_used += len(key) + len(hit[2] or b"") + _ENTRY_OVERHEAD
        if self._cache_used > self._cache_bytes:
            self._cached.clear()
            self._cache_used = 0
        self._cached.setdefault(namespace, {})[key] = hit
        return hit

    def get(self, namespace, key, now_us=None):
        """The value under key, decoded, or None if missing or expired."""
        raw = self.get_raw(namespace, key, now_us)
        return None if raw is None else json.loads(raw)

    def get_many(self, namespace, keys, now_us=None):
        """The values under keys (None where missing or expired), read in
        one transaction: they all come from the same change set."""
        db = self._db(namespace)
        if db is None:
            return [None] * len(keys)
        now = _now_us() if now_us is None else now_us
        with self._begin(db) as txn:
            raws = [_live(txn.get(k.encode()), now) for k in keys]
        return [None if r is None else json.loads(r) for r in raws]

    def keys(self, namespace, prefix=""):
        """Keys starting with prefix, sorted, leaving out expired ones."""
        db = self._db(namespace)
        if db is None:
            return []
        start, now, out = prefix.encode(), _now_us(), []
        with self._begin(db) as txn:
            cursor = txn.cursor()
            if not cursor.set_range(start):
                return out
            for key, stored in cursor:
                if not key.startswith(start):
                    break
                if _live(stored, now) is not None:
                    out.append(key.decode())
        return out

    def revision(self):
        """The edge's data revision the store holds."""
        return int(self._meta(b"revision") or 0)

    def namespaces(self):
        return json.loads(self._meta(b"namespaces") or b"[]")

    def close(self):
        if self._mark is not None:
            self._mark.close()
        self._env.close()


def open(path, cache_bytes=0):  # noqa: A001 - the library's one entry point
    """The store in directory path. With cache_bytes, get_raw and get keep
    the values they read in memory (up to about that many bytes; full, the
    cache empties) and answer a key read before in the store's last
    commit from there (the lock file says which commit is the last, as it
    tells every LMDB reader): several times as fast, never stale."""
    return Store(path, cache_bytes)

// Reads a syncdict edge's local read store (an [[output]] with
// format = "lmdb") from Node, on npm's lmdb (lmdb-js).
//
// One LMDB named database per namespace; each value is its expiry (µs
// since the epoch, 0 for none, 8 bytes big-endian) then its JSON text; the
// meta database "_syncdict" holds "format", "revision", "namespaces" and
// "boot" (a store written before the machine restarted is refused).
// lmdb-js reads in short transactions it renews on each event turn, so a
// reader that stays open never pins old pages.
//
//   const local = require('syncdict-local');
//   const store = local.open('/var/lib/syncdict/local');
//   console.log(store.get('geo', 'fr'), store.revision());
const lmdb = require('lmdb');

const FORMAT = '1';

// The edge writes with LMDB 0.9 (data and lock file format 1); lmdb-js's
// default build is its own LMDB fork (0.9.90, format 2), which cannot
// share the lock file: it must be built with LMDB_DATA_V1=true
// (README, "Read from your program").
function checkBuild() {
  const v = lmdb.version || {};
  if (v.major !== 0 || v.minor !== 9 || v.patch >= 70) {
    throw new Error(`lmdb-js is built on ${v.versionString}: rebuild it: LMDB_DATA_V1=true npm rebuild lmdb --build-from-source`);
  }
}
const META = '_syncdict';

// This boot of the machine (Linux's boot id; empty where there is none).
function bootId() {
  try {
    return require('fs').readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

// Keys are the edge's UTF-8 bytes: written straight into lmdb-js's key
// buffer from the string (a Buffer made per read cost a tenth of a read),
// read back as strings.
const UTF8_KEYS = {
  writeKey(key, target, start) {
    return start + target.utf8Write(key, start);
  },
  readKey(target, start, end) {
    return target.toString('utf8', start, end);
  },
};

function nowUs() {
  return BigInt(Date.now()) * 1000n;
}

// The JSON text's offset in a stored value, or -1 once it expired by now
// (µs, a BigInt; a function of none: the clock, read only for a value
// that expires).
function liveAt(stored, now) {
  if (!stored || stored.length < 8) return -1;
  if (stored.readUInt32BE(0) !== 0 || stored.readUInt32BE(4) !== 0) {
    const at = typeof now === 'function' ? now() : now;
    if (stored.readBigInt64BE(0) <= at) return -1;
  }
  return 8;
}

function live(stored, now) {
  return liveAt(stored, now) < 0 ? undefined : stored.subarray(8);
}

class Store {
  constructor(path) {
    checkBuild();
    // A map of 1 TiB is address space only: the edge grows its map as the
    // data grows, and a reader's smaller map would have to be remapped.
    this.env = lmdb.open({ path, readOnly: true, maxDbs: 128, mapSize: 2 ** 40 });
    this.dbs = new Map();
    const format = this.meta('format');
    if (format !== FORMAT) {
      this.env.close();
      throw new Error(`store format ${format}, this reader knows ${FORMAT}`);
    }
    // The edge does not flush its commits: a store written before the
    // machine restarted may be torn, and the edge makes it anew.
    const boot = this.meta('boot');
    if (boot !== undefined && boot !== bootId()) {
      this.env.close();
      throw new Error('the store was written before the machine restarted; the edge makes it anew when it starts');
    }
  }

  db(name) {
    let db = this.dbs.get(name);
    if (!db) {
      db = this.env.openDB({ name, encoding: 'binary', keyEncoder: UTF8_KEYS, create: false });
      this.dbs.set(name, db);
    }
    return db;
  }

  meta(key) {
    const v = this.db(META).getBinary(key);
    return v === undefined ? undefined : v.toString();
  }

  // The JSON text (a Buffer) under key, or undefined if missing or expired.
  // getBinaryFast answers lmdb-js's shared buffer (overwritten by the next
  // read), which is copied from at once: a third of getBinary's time.
  getRaw(namespace, key, now = nowUs) {
    const stored = this.db(namespace).getBinaryFast(key);
    return liveAt(stored, now) < 0 ? undefined : Buffer.from(stored.subarray(8));
  }

  // The value under key, decoded, or undefined if missing or expired.
  get(namespace, key, now = nowUs) {
    const stored = this.db(namespace).getBinaryFast(key);
    return liveAt(stored, now) < 0 ? undefined : JSON.parse(stored.toString('utf8', 8));
  }

  // The values under keys (undefined where missing or expired), read in
  // one transaction of their own: they all come from the same change set.
  getMany(namespace, keys, now = nowUs()) {
    const db = this.db(namespace);
    const transaction = db.useReadTransaction();
    try {
      return keys.map((key) => {
        const raw = live(db.getBinary(key, { transaction }), now);
        return raw === undefined ? undefined : JSON.parse(raw.toString());
      });
    } finally {
      transaction.done();
    }
  }

  // Reads after this see the newest change set: lmdb-js renews its read
  // transaction on each event turn; a program reading in one long
  // synchronous loop calls this now and then.
  refresh() {
    this.env.resetReadTxn();
  }

  // Keys starting with prefix, sorted, leaving out expired ones.
  keys(namespace, prefix = '') {
    const now = nowUs();
    const out = [];
    for (const { key, value } of this.db(namespace).getRange({ start: prefix || undefined })) {
      if (!key.startsWith(prefix)) break;
      if (live(value, now) !== undefined) out.push(key);
    }
    return out;
  }

  revision() {
    return Number(this.meta('revision') || 0);
  }

  namespaces() {
    return JSON.parse(this.meta('namespaces') || '[]');
  }

  close() {
    return this.env.close();
  }
}

module.exports = { open: (path) => new Store(path), FORMAT };

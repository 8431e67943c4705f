// Reads a local read store with clients/node and prints what it holds as
// JSON (tests/api/local_store.rs compares it with the Rust reader's).
//   NODE_PATH=.../node_modules node read.js DIR LATER_US
const local = require('../../clients/node');

const [dir, later] = process.argv.slice(2);
let store;
try {
  store = local.open(dir);
} catch (e) {
  console.log(JSON.stringify({ error: e.message }));
  process.exit(0);
}
const orNull = (v) => (v === undefined ? null : v);
console.log(JSON.stringify({
  revision: store.revision(),
  namespaces: store.namespaces(),
  a: orNull(store.get('default', 'a')),
  b: JSON.parse(store.getRaw('default', 'b').toString()),
  keys: store.keys('default', 'a'),
  missing: orNull(store.get('default', 'missing')),
  accented: orNull(store.get('default', 'añö')),
  t_now: orNull(store.get('geo', 't')),
  t_later: orNull(store.get('geo', 't', BigInt(later))),
  fr: orNull(store.get('geo', 'fr')),
}));

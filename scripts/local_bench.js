// The local read store from Node (scripts/local_bench.sh): reads per
// second with get (JSON decoded), then /api/cache over one kept-alive HTTP
// connection from the same process; prints "node_get_per_s A node_http_per_s B".
//   NODE_PATH=.../node_modules node local_bench.js DIR NS KEYS SECONDS PORT
const http = require('http');
const local = require('../clients/node');

const [dir, ns, keysText, secondsText, port] = process.argv.slice(2);
const seconds = Number(secondsText);
const store = local.open(dir);
const names = [];
for (let i = 0; i < Number(keysText); i++) names.push('key-' + String(i).padStart(6, '0'));
for (let i = names.length - 1; i > 0; i--) {
  const j = (i * 7919) % (i + 1);
  [names[i], names[j]] = [names[j], names[i]];
}

function localRate() {
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() - start < budget) {
    for (let i = 0; i < 10000; i++) {
      if (store.get(ns, names[i]) === undefined) throw new Error('missing ' + names[i]);
    }
    n += 10000;
    store.refresh();
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(key) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: `/api/cache/${key}`, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(chunks) : reject(new Error(String(res.statusCode)))));
    }).on('error', reject);
  });
}

async function httpRate() {
  let n = 0;
  const start = Date.now();
  while (Date.now() - start < seconds * 1000) {
    for (let i = 0; i < 500; i++) await get(names[i]);
    n += 500;
  }
  return n / ((Date.now() - start) / 1000);
}

(async () => {
  const reads = localRate();
  const overHttp = await httpRate();
  console.log(`node_get_per_s ${reads.toFixed(0)} node_http_per_s ${overHttp.toFixed(0)}`);
  agent.destroy();
})().catch((e) => { console.error(e); process.exit(1); });

// A reader of the torn-pair test (tests/api/local_store.rs), as pairs.py
// in Node.
//   NODE_PATH=.../node_modules node pairs.js DIR STOP FINAL
const fs = require('fs');
const local = require('../../clients/node');

const [dir, stop, finalText] = process.argv.slice(2);
const final = Number(finalText);
const store = local.open(dir);
let reads = 0;
function round() {
  const stopping = fs.existsSync(stop);
  const [left, right] = store.getMany('default', ['left', 'right']);
  reads += 1;
  if (left !== right) {
    console.error(`torn: left ${left}, right ${right} after ${reads} reads`);
    process.exit(1);
  }
  if (stopping && left === final) {
    console.log(JSON.stringify({ reads, last: left }));
    return;
  }
  setTimeout(round, 0.5);
}
round();

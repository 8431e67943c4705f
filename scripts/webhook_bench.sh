#!/usr/bin/env bash
# Webhook figures, loopback only:
#   - writes: write throughput of a center with one [[webhook]] (every
#     write leaves an event in the outbox, delivered meanwhile to a plain
#     actix-web receiver) against the same center with none, ROUNDS
#     alternating rounds of WRITE_SECONDS each on SQLite (loadgen writes: 4
#     writers, batches of 50 puts, each put its own revision and event);
#     the median ratio, target >= 0.9;
#   - latency: COUNT puts 50 ms apart through a center with a webhook to a
#     Python receiver; the time from sending each put to the receiver
#     getting its event, p50 and p99 (no target: the figure is recorded).
# Prints `target` lines; exits 1 if a target was missed (REPORT_ONLY=1: 0
# all the same). Run by scripts/bench.sh; alone: scripts/webhook_bench.sh [writes|latency]...
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
PARTS="${*:-writes latency}"
ROUNDS="${ROUNDS:-5}"
WRITE_SECONDS="${WRITE_SECONDS:-10}"
COUNT="${COUNT:-300}"
AUTH="bench:bench-password"
SECRET="whsec_c3luY2RpY3QtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OWFi"

cargo build --release --quiet --bin syncdict --example loadgen --example plain_server
bin="$PWD/target/release/syncdict"
loadgen="$PWD/target/release/examples/loadgen"
work="$(mktemp -d)"
trap stop_all EXIT
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# center PORT DB HOOK_URL: a center on a fresh SQLite database, with one
# webhook to HOOK_URL unless it is empty; sets $pid.
center() {
    local port="$1" db="$2" hook="$3"
    rm -f "$db"*
    printf 'bench-password\n' | SYNCDICT__DATABASE__URL="sqlite://$db" SYNCDICT__LOG__LEVEL=error \
        "$bin" user add bench --write --password-stdin >/dev/null
    cat > "$work/Settings.toml" <<TOML
[server]
port = $port
roles = ["center"]
webhook_allow_private = true
[database]
url = "sqlite://$db"
[log]
level = "error"
TOML
    if [ -n "$hook" ]; then
        printf '[[webhook]]\nname = "bench"\nurl = "%s"\nsecret = "%s"\n' "$hook" "$SECRET" >> "$work/Settings.toml"
    fi
    (cd "$work" && exec "$bin") > "$work/center.log" 2>&1 &
    pid=$!
    wait_port "$port"
}

for part in $PARTS; do
    case $part in
    writes)
        receiver_port=$(free_port)
        echo '{}' > "$work/empty.json"
        "$PWD/target/release/examples/plain_server" "$receiver_port" "$work/empty.json" > /dev/null 2>&1 &
        pids+=($!)
        wait_port "$receiver_port"
        port=$(free_port)
        echo "== writes per second: one webhook vs none, $ROUNDS rounds of ${WRITE_SECONDS}s"
        : > "$work/ratios"
        for round in $(seq 1 "$ROUNDS"); do
            for hook in on off; do
                url=""
                [ "$hook" = on ] && url="http://127.0.0.1:$receiver_port/hook"
                center "$port" "$work/w.db" "$url"
                "$loadgen" writes --center "http://127.0.0.1:$port/RPC" --seconds "$WRITE_SECONDS" \
                    --credentials "$AUTH" > "$work/w.out"
                stop
                rate=$(field writes_per_s < "$work/w.out")
                echo "round $round webhook $hook $(cat "$work/w.out" | tail -1)"
                eval "rate_$hook=$rate"
            done
            awk -v on="$rate_on" -v off="$rate_off" 'BEGIN {printf "%.3f\n", on / off}' >> "$work/ratios"
        done
        ratio=$(median < "$work/ratios")
        echo "writes ratio_webhook_on_off $ratio (rounds: $(tr '\n' ' ' < "$work/ratios"))"
        target "writes/s with one webhook (ratio to none)" "$ratio" ">=" 0.9
        ;;
    latency)
        receiver_port=$(free_port)
        port=$(free_port)
        center "$port" "$work/l.db" "http://127.0.0.1:$receiver_port/hook"
        python3 - "$port" "$receiver_port" "$COUNT" <<'PY'
import base64, json, sys, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, receiver_port, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
arrived, sent = {}, {}
class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        at = time.monotonic()
        data = json.loads(body)["data"]
        if data.get("changes"):
            arrived.setdefault(data["changes"][0]["key"], at)
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", receiver_port), Hook)
threading.Thread(target=server.serve_forever, daemon=True).start()
auth = "Basic " + base64.b64encode(b"bench:bench-password").decode()
for i in range(count):
    key = f"lat-{i:05d}"
    body = json.dumps({"jsonrpc": "2.0", "method": "records.put", "params": [key, i], "id": i}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/RPC", body, {"Content-Type": "application/json", "Authorization": auth})
    sent[key] = time.monotonic()
    urllib.request.urlopen(req).read()
    time.sleep(0.05)
deadline = time.monotonic() + 30
while len(arrived) < count and time.monotonic() < deadline:
    time.sleep(0.05)
lat = sorted((arrived[k] - sent[k]) * 1000 for k in sent if k in arrived)
if len(lat) < count:
    sys.exit(f"only {len(lat)} of {count} events arrived")
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"latency publish_to_delivery events {len(lat)} p50_ms {p(0.5):.2f} p99_ms {p(0.99):.2f} max_ms {lat[-1]:.2f}")
PY
        stop
        ;;
    *) echo "unknown part $part (writes, latency)" >&2; exit 2 ;;
    esac
done
targets_status

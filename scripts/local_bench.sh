#!/usr/bin/env bash
# The local read store (format = "lmdb"), measured in one run on loopback:
# one syncdict (center and edge, SQLite, held pulls) with 100,000 records of
# 100-byte values in `default`, kept in an LMDB store. On core 1 alone:
# reads a second from the Rust reader (a short transaction per read, 1,000
# reads a transaction, one key, and every key through a cached handle),
# Python (get_raw; get with JSON decode; get_raw through its cache) and Node
# (get), then /api/cache/{key} over one kept-alive connection from the same
# Python and Node processes; and the original design's ngx.shared.DICT:get
# in a loop inside nginx + Lua. Then the latency from a write on the center
# to a local reader seeing it, against /api/cache, and the store's size on
# disk and the edge's RSS against the raw data.
# Targets: Rust >= 5 M reads/s (the cached handle); Python (cached) and
# Node >= 100x their own HTTP read; write-to-reader p50 and p99 no worse
# than /api/cache's (0.5 ms: the latency script polls the store, then
# /api/cache, about 0.1 ms a round).
# Prints `target` lines; exits 1 if one is missed (REPORT_ONLY=1: 0).
#   scripts/local_bench.sh          # SECONDS_EACH=3 WRITES=200
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
SECONDS_EACH="${SECONDS_EACH:-3}"
WRITES="${WRITES:-200}"
KEYS=100000

python="$(tests/interop/setup.sh)"
node_path="$(dirname "$(dirname "$python")")/node_modules"
cargo build --release --quiet --bin syncdict
cargo build --release --quiet -p syncdict-local --example local_bench
bin="$PWD/target/release/syncdict"
work="$(mktemp -d)"
trap stop_all EXIT
[ -z "${KEEP_WORK:-}" ] || trap - EXIT

# 100,000 records of 100 bytes: "key-000000" .. with a 98-character string.
"$python" - "$work/data.json" "$KEYS" <<'PY'
import json, sys
n = int(sys.argv[2])
json.dump({"key-%06d" % i: ("v%05d" % (i % 100000)) + "x" * 92 for i in range(n)}, open(sys.argv[1], "w"))
PY
raw_bytes=$(stat -c %s "$work/data.json")
export SYNCDICT__DATABASE__URL="sqlite://$work/center.db" SYNCDICT__LOG__LEVEL=${LOG_LEVEL:-error}
# The writer authenticates with a token: a password check (argon2id, by
# design tens of milliseconds) would be most of each write's time.
token=$("$bin" token add bench-writer --write 2>/dev/null | grep -o 'sdt_[A-Za-z0-9_-]*' | head -1)
"$bin" import "$work/data.json" --namespace default >/dev/null
port=$(free_port)
cat > "$work/Settings.toml" <<TOML
[server]
port = $port

[client]
upstreams = ["http://127.0.0.1:$port/RPC"]
hold = "30s"
cache_size = "64m"
max_reply = "128m"

[[output]]
path = "$work/local"
format = "lmdb"
TOML
(cd "$work" && exec taskset -c 0 "$bin" >/dev/null 2>"$work/syncdict.log") &
pid=$!; pids+=("$pid")
wait_port "$port"
wait_until "the store holds the records" env PYTHONPATH=clients/python "$python" -c \
    "import syncdict_local, sys; s = syncdict_local.open('$work/local'); sys.exit(len(s.keys('default', 'key-')) != $KEYS)"

rust=$(taskset -c 1 target/release/examples/local_bench "$work/local" default "$KEYS" "$SECONDS_EACH")
py=$(PYTHONPATH=clients/python taskset -c 1 "$python" scripts/local_bench.py "$work/local" default "$KEYS" "$SECONDS_EACH" "$port")
js=$(NODE_PATH="$node_path" taskset -c 1 node scripts/local_bench.js "$work/local" default "$KEYS" "$SECONDS_EACH" "$port")

# The original design's read: ngx.shared.DICT:get in a loop inside nginx.
ngx_port=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<NGX
daemon off;
master_process off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log error;
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
events { worker_connections 16; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    lua_shared_dict d 64m;
    init_by_lua_block {
        local d = ngx.shared.d
        for i = 0, $KEYS - 1 do d:set(string.format("key-%06d", i), string.rep("x", 100)) end
    }
    server {
        listen 127.0.0.1:$ngx_port;
        location /bench {
            content_by_lua_block {
                local d, keys = ngx.shared.d, {}
                for i = 0, $KEYS - 1 do keys[i + 1] = string.format("key-%06d", (i * 7919) % $KEYS) end
                ngx.update_time()
                local start, n = ngx.now(), 0
                repeat
                    for i = 1, $KEYS do if d:get(keys[i]) then n = n + 1 end end
                    ngx.update_time()
                until ngx.now() - start >= $SECONDS_EACH
                ngx.say(string.format("%.0f", n / (ngx.now() - start)))
            }
        }
    }
}
NGX
taskset -c 1 nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log" &
pids+=($!)
wait_port "$ngx_port"
ngx=$(curl -sf "http://127.0.0.1:$ngx_port/bench")

lat=$(SYNCDICT_TOKEN="$token" PYTHONPATH=clients/python "$python" scripts/local_latency.py "$work/local" "$port" "$WRITES")
store_bytes=$(du -sb "$work/local/data.mdb" | cut -f1)
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

echo "$rust"; echo "$py"; echo "$js"; echo "ngx_shared_dict_get_per_s $ngx"; echo "$lat"
echo "raw_json_bytes $raw_bytes store_bytes $store_bytes edge_rss_kb $rss_kb"

get() { tr ' ' '\n' | awk -v k="$1" 'prev == k {print; exit} {prev = $0}'; }
missed=0
target() { # NAME OK TEXT
    echo "target $1: $3 $([ "$2" = 1 ] && echo met || echo MISSED)"
    [ "$2" = 1 ] || missed=1
}
r=$(echo "$rust" | get rust_get_per_s); rb=$(echo "$rust" | get rust_batched_per_s); r1=$(echo "$rust" | get rust_one_key_per_s); rc=$(echo "$rust" | get rust_cached_per_s)
pr=$(echo "$py" | get python_get_raw_per_s); pg=$(echo "$py" | get python_get_per_s); ph=$(echo "$py" | get python_http_per_s)
pc=$(echo "$py" | get python_cached_get_raw_per_s)
ng=$(echo "$js" | get node_get_per_s); nh=$(echo "$js" | get node_http_per_s)
lp50=$(echo "$lat" | get local_p50_ms); lp99=$(echo "$lat" | get local_p99_ms)
hp50=$(echo "$lat" | get http_p50_ms); hp99=$(echo "$lat" | get http_p99_ms)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN {print (a >= b) ? 1 : 0}'; }
target rust "$(ge "$rc" 5000000)" "Rust reads $rc/s cached (a transaction each), $r/s one a transaction, $rb/s 1,000 a transaction, $r1/s of one key (>= 5 M/s)"
target python "$(ge "$(ratio "$pc" "$ph")" 100)" "Python get_raw cached $pc/s = $(ratio "$pc" "$ph")x its HTTP read ($ph/s; uncached $pr/s = $(ratio "$pr" "$ph")x; get $pg/s = $(ratio "$pg" "$ph")x) (>= 100x)"
target node "$(ge "$(ratio "$ng" "$nh")" 100)" "Node get $ng/s = $(ratio "$ng" "$nh")x its HTTP read ($nh/s) (>= 100x)"
target latency "$(awk -v a="$lp50" -v b="$hp50" -v c="$lp99" -v d="$hp99" 'BEGIN {print (a <= b + 0.5 && c <= d + 0.5) ? 1 : 0}')" \
    "write to a local reader p50 $lp50 ms, p99 $lp99 ms; to /api/cache p50 $hp50 ms, p99 $hp99 ms (no worse)"
echo "nginx ngx.shared.DICT:get $ngx/s; store $(ratio "$store_bytes" "$raw_bytes")x the raw JSON; edge RSS $((rss_kb / 1024)) MiB"
[ "${REPORT_ONLY:-0}" = 1 ] && exit 0
exit "$missed"

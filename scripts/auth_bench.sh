#!/usr/bin/env bash
# Authentication, TLS and signing figures, loopback only, bounded in time:
#   - tokens: edges per center (LEVELS, LEVEL_SECONDS each, as
#     scale_bench.sh) anonymous, then every edge with its own bearer token
#     header, same center, same run; the token figure against the
#     anonymous one; then the server CPU per pull anonymous and with the
#     token (PULLS pulls, ROUNDS alternating rounds), which the edge
#     figures' p99 cliff (the generator shares the two cores) cannot blur;
#   - https: the same with every edge over HTTPS with a token, each edge
#     resuming its own TLS session (HTTPS_LEVELS); then the server CPU per
#     pull with a full handshake and with a resumed one (PULLS pulls,
#     ROUNDS alternating rounds);
#   - basic: records.changes(current) req/s (wrk -t2 -c64, ROUNDS x
#     DURATION, medians) with Basic credentials (logins remembered) against
#     anonymous;
#   - signed: req/s of a records.changes delta reply from a signing center
#     against an unsigned one, the bytes a signature adds, and the cost of
#     one LtHash update and one signature check (loadgen digest);
#   - rss: SOAK_SECONDS of mixed load (loadgen soak) anonymous, then with
#     every pull and list authenticated by a token: RSS at the end, ratio.
# Prints `target` lines; exits 1 if a target was missed (REPORT_ONLY=1: 0
# all the same). Alone: scripts/auth_bench.sh [tokens|https|basic|signed|rss]...
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
PARTS="${*:-tokens https basic signed rss}"
LEVELS="${LEVELS:-20000,40000,60000}"
HTTPS_LEVELS="${HTTPS_LEVELS:-5000,10000,15000,20000}"
LEVEL_SECONDS="${LEVEL_SECONDS:-20}"
# HTTPS levels run longer: an edge's first pull is a full handshake, the
# rest resume, and the figure is about the steady state.
HTTPS_SECONDS="${HTTPS_SECONDS:-40}"
PULLS="${PULLS:-5000}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5s}"
SOAK_SECONDS="${SOAK_SECONDS:-600}"
PORT=$(free_port)
AUTH="bench:bench-password"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --features mysql --bin syncdict --example loadgen
bin="$PWD/target/release/syncdict"
loadgen="$PWD/target/release/examples/loadgen"
work="$(mktemp -d)"
others=() # servers started besides $pid (the signed part runs two)
trap 'stop; [ ${#others[@]} -eq 0 ] || kill "${others[@]}" 2>/dev/null; rm -rf "$work"' EXIT
"$loadgen" cert --dir "$work/tls"
"$bin" keys generate --out "$work/signing.pem" 2>/dev/null | sed 's/.*"\(ed25519:[0-9a-f]*\)".*/\1/' > "$work/verify.key"

# start NAME SCHEME [env...]: a center on a fresh SQLite database with the
# writer bench and 1,000 records; SCHEME https serves the test certificate.
start() {
    local name="$1" scheme="$2"; shift 2
    local url="sqlite://$work/$name.db" tls=()
    printf 'bench-password\n' | SYNCDICT__DATABASE__URL="$url" SYNCDICT__LOG__LEVEL=error \
        "$bin" user add bench --write --password-stdin >/dev/null
    if [ "$scheme" = https ]; then
        tls=(SYNCDICT__SERVER__TLS_CERT_FILE="$work/tls/server.crt" SYNCDICT__SERVER__TLS_KEY_FILE="$work/tls/server.key")
    fi
    (cd "$work" && exec env SYNCDICT__SERVER__PORT=$PORT SYNCDICT__SERVER__ROLES=center \
        SYNCDICT__DATABASE__URL="$url" SYNCDICT__LOG__LEVEL=error "${tls[@]}" "$@" "$bin") &
    pid=$!
    wait_port $PORT
    if [ "$scheme" = http ]; then
        load_records $PORT
    else
        LOAD_SCHEME=https LOAD_CA="$work/tls/ca.pem" load_records $PORT
    fi
}

# token NAME: a read token for the center's database, printed.
token() { SYNCDICT__DATABASE__URL="sqlite://$work/$1.db" SYNCDICT__LOG__LEVEL=error "$bin" token add "$2" 2>/dev/null; }

# edges_max ARGS...: loadgen edges, prints its edges_max.
edges_max() { "$loadgen" "$@" | tee -a "$work/edges.out" | grep '^edges_max' | field edges_max; }

# measure BODY URL [AUTH]: wrk POSTs BODY; prints req/s; non-2xx fails.
measure() {
    printf 'wrk.method = "POST"\nwrk.body = [[%s]]\nwrk.headers["Content-Type"] = "application/json"\n' "$1" > "$work/post.lua"
    [ -n "${3:-}" ] && printf 'wrk.headers["Authorization"] = "%s"\n' "$3" >> "$work/post.lua"
    wrk -t2 -c64 -d"$DURATION" -s "$work/post.lua" "$2" > "$work/wrk.out"
    if grep -q "Non-2xx" "$work/wrk.out"; then echo "wrk saw errors:" >&2; cat "$work/wrk.out" >&2; exit 1; fi
    awk '/Requests\/sec/ {printf "%.0f\n", $2}' "$work/wrk.out"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
# revision URL: the store revision (the first "revision" of the reply is the top-level one).
revision() { curl -sf "$1" -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","method":"records.changes","params":[0],"id":1}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["result"]["revision"])'; }

for part in $PARTS; do
    case $part in
    tokens)
        start tokens http
        tok="$(token tokens bench-edges)"
        # A first pass after the center starts meets a transient (one run
        # had p99 108 ms at 35,000 anonymous edges, then 2.8 ms with tokens
        # right after): warm both up alike with an unmeasured pass first.
        echo "== warm-up: ${LEVELS%%,*} edges, 10s, not counted"
        "$loadgen" edges --center "http://127.0.0.1:$PORT/RPC" --levels "${LEVELS%%,*}" \
            --seconds 10 --credentials "$AUTH" > /dev/null
        sleep 5
        echo "== edges per center, anonymous then with a token each: ${LEVEL_SECONDS}s per level"
        anon=$(edges_max edges --center "http://127.0.0.1:$PORT/RPC" --levels "$LEVELS" \
            --seconds "$LEVEL_SECONDS" --credentials "$AUTH")
        sleep 5
        with=$(edges_max --edge-authorization "Bearer $tok" edges --center "http://127.0.0.1:$PORT/RPC" \
            --levels "$LEVELS" --seconds "$LEVEL_SECONDS" --credentials "$AUTH")
        echo "== server CPU per pull, anonymous against a token: $ROUNDS x $PULLS pulls each"
        "$loadgen" --edge-authorization "Bearer $tok" pull-cpu --center "http://127.0.0.1:$PORT/RPC" \
            --pid "$pid" --count "$PULLS" --rounds "$ROUNDS" | tee "$work/cpu.out"
        stop
        cat "$work/edges.out"
        echo "edges_max anonymous $anon token $with"
        cpu_anon=$(field anonymous < "$work/cpu.out"); cpu_token=$(field authorized < "$work/cpu.out")
        target "edges per center, each with a token (p99 < 50 ms, no failure)" "$with" ">=" 40000
        target "token edges / anonymous edges, same run" "$(ratio "$with" "$anon")" ">=" 0.9
        # The capacity 0.9x asks for, as CPU: a token pull may cost 1/0.9 of an anonymous one.
        target "server CPU per pull, token / anonymous" "$(ratio "$cpu_token" "$cpu_anon")" "<=" 1.11
        ;;
    https)
        : > "$work/edges.out"
        start https https
        tok="$(token https bench-edges)"
        echo "== edges per center over HTTPS with a token each, sessions resumed: ${HTTPS_SECONDS}s per level"
        best=$(edges_max --tls-ca "$work/tls/ca.pem" --edge-authorization "Bearer $tok" edges \
            --center "https://127.0.0.1:$PORT/RPC" --levels "$HTTPS_LEVELS" \
            --seconds "$HTTPS_SECONDS" --credentials "$AUTH")
        cat "$work/edges.out"
        sleep 5
        echo "== server CPU per HTTPS pull, full handshakes against resumed: $ROUNDS x $PULLS pulls each"
        "$loadgen" --tls-ca "$work/tls/ca.pem" --edge-authorization "Bearer $tok" pull-cpu \
            --center "https://127.0.0.1:$PORT/RPC" --pid "$pid" --count "$PULLS" --rounds "$ROUNDS" | tee "$work/hs.out"
        curl -sf --cacert "$work/tls/ca.pem" "https://127.0.0.1:$PORT/metrics" | grep '^syncdict_tls_handshakes_total'
        stop
        target "edges per center over HTTPS, token, resumed sessions (p99 < 50 ms)" "$best" ">=" 10000
        ;;
    basic)
        start basic http
        body="{\"jsonrpc\":\"2.0\",\"method\":\"records.changes\",\"params\":[$(revision "http://127.0.0.1:$PORT/RPC")],\"id\":1}"
        basic_header="Basic $(printf %s "$AUTH" | base64)"
        # One login first: the argon2id check whose success is remembered
        # (64 first logins at once would meet the per-address login limit).
        curl -sf -u "$AUTH" -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/RPC" -d "$body" >/dev/null
        echo "== records.changes(current) req/s, anonymous vs Basic credentials (logins remembered): $ROUNDS x $DURATION"
        for _ in $(seq 1 "$ROUNDS"); do
            measure "$body" "http://127.0.0.1:$PORT/RPC" >> "$work/anon.rps"
            measure "$body" "http://127.0.0.1:$PORT/RPC" "$basic_header" >> "$work/basic.rps"
        done
        checks=$(curl -sf "http://127.0.0.1:$PORT/metrics" | grep '^syncdict_password_checks_total' | field syncdict_password_checks_total)
        stop
        anon=$(median < "$work/anon.rps"); basic=$(median < "$work/basic.rps")
        echo "req_per_s anonymous $anon basic $basic (argon2id checks during the run: $checks)"
        target "Basic-authenticated records.changes / anonymous, req/s" "$(ratio "$basic" "$anon")" ">=" 0.8
        ;;
    signed)
        "$loadgen" digest --count 100000 | tee "$work/digest.out"
        # Both centers run at once and are measured in alternating rounds,
        # so the machine's drift touches both alike.
        declare -A port_of pid_of
        for signing in off on; do
            extra=()
            [ $signing = on ] && extra=(SYNCDICT__SERVER__SIGNING_KEY_FILE="$work/signing.pem")
            PORT=$(free_port)
            start "signed-$signing" http "${extra[@]}"
            port_of[$signing]=$PORT pid_of[$signing]=$pid
            others+=("$pid")
            pid=""
        done
        # A delta of one record (what edges pull after a write), which a
        # signing center signs; cached after the first request.
        rev=$(revision "http://127.0.0.1:${port_of[on]}/RPC")
        body="{\"jsonrpc\":\"2.0\",\"method\":\"records.changes\",\"params\":[$((rev - 1))],\"id\":1}"
        for signing in off on; do
            curl -sf -H 'Content-Type: application/json' "http://127.0.0.1:${port_of[$signing]}/RPC" -d "$body" | wc -c > "$work/bytes-$signing"
        done
        for _ in $(seq 1 "$ROUNDS"); do
            for signing in off on; do
                measure "$body" "http://127.0.0.1:${port_of[$signing]}/RPC" >> "$work/signed-$signing.rps"
            done
        done
        kill "${pid_of[off]}" "${pid_of[on]}"; wait "${pid_of[off]}" "${pid_of[on]}" 2>/dev/null || true
        others=()
        off=$(median < "$work/signed-off.rps"); on=$(median < "$work/signed-on.rps")
        echo "req_per_s unsigned $off signed $on (rounds: $(tr '\n' ' ' < "$work/signed-off.rps")/ $(tr '\n' ' ' < "$work/signed-on.rps")); reply bytes unsigned $(cat "$work/bytes-off") signed $(cat "$work/bytes-on")"
        target "signed / unsigned records.changes delta, req/s" "$(ratio "$on" "$off")" ">=" 0.9
        ;;
    rss)
        for mode in anonymous token; do
            rm -f "$work"/rss.db*
            start rss http SYNCDICT__SERVER__ROLES=center,edge SYNCDICT__CLIENT__SNAPSHOT_PATH=
            # The soak reads the edge's cache from the start: wait for its first pull.
            wait_until "the edge holds the records" \
                sh -c "curl -sf http://127.0.0.1:$PORT/api/status | grep -q '\"entries\":1000,'"
            edge_auth=()
            [ $mode = token ] && edge_auth=(--edge-authorization "Bearer $(token rss bench-edges)")
            echo "== soak, $mode pulls and lists: ${SOAK_SECONDS}s"
            "$loadgen" "${edge_auth[@]}" soak --center "http://127.0.0.1:$PORT/RPC" \
                --edge "http://127.0.0.1:$PORT" --seconds "$SOAK_SECONDS" --pid "$pid" \
                --credentials "$AUTH" | tee "$work/soak-$mode.out"
            stop
        done
        a=$(grep '^soak seconds' "$work/soak-anonymous.out" | field rss_kib_end)
        t=$(grep '^soak seconds' "$work/soak-token.out" | field rss_kib_end)
        echo "rss_kib_end anonymous $a token $t"
        target "center RSS after the soak, token / anonymous" "$(ratio "$t" "$a")" "<=" 1.2
        ;;
    *) echo "unknown part $part (tokens https basic signed rss)" >&2; exit 2 ;;
    esac
done
targets_status

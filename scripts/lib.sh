# Shared by the benchmark scripts (sourced, not run).

# Processes started in the background (`pids+=($!)`) and the scratch
# directory `$work`: stopped, last first, and removed when the script ends.
pids=()
stop_all() {
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill "${pids[$i]}" 2>/dev/null || true
        wait "${pids[$i]}" 2>/dev/null || true
    done
    [ -z "${work:-}" ] || rm -rf "$work"
}

# The one server a script runs at a time, `$pid`: `stop` stops it (and
# does nothing when none runs).
pid=""
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }

# field KEY: the value after KEY in the last line read from stdin.
field() { tail -1 | awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}'; }

# A TCP port nothing listens on now, chosen by the kernel.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# load_records PORT [PAD]: 1,000 records (key-0000 .. key-0999) put through
# the writer bench:bench-password in batches of 100; each value is ~100
# bytes, plus PAD (a string field) if given. LOAD_SCHEME=https (with
# LOAD_CA, the CA's PEM file) loads a center serving HTTPS.
load_records() {
    local port="$1" pad="${2:-}" extra="" batch n
    [ -n "$pad" ] && extra=",\"pad\":\"$pad\""
    for b in $(seq 0 9); do
        batch="["
        for i in $(seq 0 99); do
            n=$((b * 100 + i))
            [ "$i" -gt 0 ] && batch+=","
            batch+="{\"jsonrpc\":\"2.0\",\"method\":\"records.put\",\"params\":[\"key-$(printf %04d $n)\",{\"rule\":\"allow\",\"list\":[\"10.0.$b.$i\",\"host-$n.example\"],\"weight\":$n$extra}],\"id\":$n}"
        done
        curl -sf ${LOAD_CA:+--cacert "$LOAD_CA"} -u bench:bench-password -H 'Content-Type: application/json' \
            "${LOAD_SCHEME:-http}://127.0.0.1:$port/RPC" -d "$batch]" >/dev/null
    done
}

# wait_port PORT: until something listens there; fails the script after 10 s.
wait_port() {
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "port $1 never opened" >&2
    exit 1
}

# wait_until WHAT COMMAND...: until COMMAND succeeds; fails the script
# after 30 s, naming WHAT, so nothing is measured on a half-started process.
wait_until() {
    local what="$1"; shift
    for _ in $(seq 1 300); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "not ready after 30 s: $what" >&2
    exit 1
}

# proc_cpu PID: CPU time the process has used, in clock ticks (user + system).
proc_cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# wrk_cpu LUA PORT PID: one `wrk -t1 -c64` run of $DURATION on core 1
# with the script LUA against PORT's /RPC; prints "requests_per_second
# cpu_us_per_request" (the CPU time of process PID over the requests it
# answered). Any non-2xx answer fails the script.
wrk_cpu() {
    local before after
    before=$(proc_cpu "$3")
    taskset -c 1 wrk -t1 -c64 -d"$DURATION" -s "$1" "http://127.0.0.1:$2/RPC" > "$work/wrk.out"
    after=$(proc_cpu "$3")
    if grep -q "Non-2xx" "$work/wrk.out"; then echo "wrk saw errors:" >&2; cat "$work/wrk.out" >&2; exit 1; fi
    awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" \
        '/requests in/ {n=$1} /Requests\/sec/ {r=$2} END {printf "%.0f %.2f\n", r, ticks * 1e6 / hz / n}' "$work/wrk.out"
}

# The median of the numbers on stdin, one a line.
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# target NAME MEASURED OP LIMIT: prints one `target` line (the form
# write_benchmarks.sh reads) and remembers a miss. OP is >= or <=.
missed_targets=0
target() {
    local name="$1" measured="$2" op="$3" limit="$4" verdict
    if awk -v m="$measured" -v l="$limit" -v op="$op" \
        'BEGIN { ok = (m == m + 0) && (op == ">=" ? m >= l : m <= l); exit !ok }'; then
        verdict=met
    else
        verdict=MISSED
        missed_targets=$((missed_targets + 1))
    fi
    echo "target | $name | $measured | $op $limit | $verdict"
}

# The script's exit status: 1 if a target was missed, unless REPORT_ONLY=1.
targets_status() {
    if [ "$missed_targets" -gt 0 ] && [ "${REPORT_ONLY:-0}" != 1 ]; then
        echo "$missed_targets target(s) missed" >&2
        return 1
    fi
    return 0
}

# Write-to-reader latency (scripts/local_bench.sh): N writes through the
# center's /RPC (one at a time), each followed by polling, in turn, the
# local read store (clients/python) and the edge's /api/cache until both
# show the new value; prints "local_p50_ms A local_p99_ms B http_p50_ms C
# http_p99_ms D".
# The writer's token (write permission) is in SYNCDICT_TOKEN.
#   PYTHONPATH=clients/python python local_latency.py DIR PORT N
import http.client
import json
import os
import sys
import time

import syncdict_local

directory, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = syncdict_local.open(directory)
writer = http.client.HTTPConnection("127.0.0.1", port)
reader = http.client.HTTPConnection("127.0.0.1", port)
auth = "Bearer " + os.environ["SYNCDICT_TOKEN"]


def put(value):
    body = json.dumps({"jsonrpc": "2.0", "method": "records.put", "params": ["lat", value], "id": 1})
    writer.request("POST", "/RPC", body, {"Content-Type": "application/json", "Authorization": auth})
    reply = writer.getresponse().read()
    if b'"result"' not in reply:
        sys.exit("write refused: %r" % reply)


def over_http():
    reader.request("GET", "/api/cache/lat")
    reply = reader.getresponse()
    body = reply.read()
    return json.loads(body) if reply.status == 200 else None


local_ms, http_ms = [], []
for i in range(n):
    start = time.perf_counter()
    put(i)
    seen_local = seen_http = None
    while seen_local is None or seen_http is None:
        if seen_local is None and store.get("default", "lat") == i:
            seen_local = time.perf_counter()
        if seen_http is None and over_http() == i:
            seen_http = time.perf_counter()
        if time.perf_counter() - start > 10:
            sys.exit("write %d not seen within 10 s" % i)
    local_ms.append((seen_local - start) * 1000)
    http_ms.append((seen_http - start) * 1000)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


print("local_p50_ms %.2f local_p99_ms %.2f http_p50_ms %.2f http_p99_ms %.2f" % (
    pct(local_ms, 0.5), pct(local_ms, 0.99), pct(http_ms, 0.5), pct(http_ms, 0.99)))

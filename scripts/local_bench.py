# The local read store from Python (scripts/local_bench.sh): reads per
# second with get_raw, with get (JSON decoded) and with get_raw through the
# cache (open(path, cache_bytes)), then /api/cache over one
# kept-alive HTTP connection from the same process; prints
# "python_get_raw_per_s A python_get_per_s B python_cached_get_raw_per_s C
# python_http_per_s D".
#   PYTHONPATH=clients/python python local_bench.py DIR NS KEYS SECONDS PORT
import http.client
import random
import sys
import time

import syncdict_local

directory, ns, keys, seconds, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
store = syncdict_local.open(directory)
names = ["key-%06d" % i for i in range(keys)]
random.Random(1).shuffle(names)


def rate(read, limit=None):
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for key in names[:limit or 10000]:
            if read(key) is None:
                sys.exit("missing " + key)
        n += limit or 10000
    return n / (time.perf_counter() - start)


raw = rate(lambda k: store.get_raw(ns, k))
decoded = rate(lambda k: store.get(ns, k))
# Every key, shuffled, through the cache (the first pass fills it).
store.set_cache(256 << 20)
cached = rate(lambda k: store.get_raw(ns, k), len(names))
store.set_cache(0)
conn = http.client.HTTPConnection("127.0.0.1", port)


def over_http(key):
    conn.request("GET", "/api/cache/%s" % key)  # the edge keeps default alone
    reply = conn.getresponse()
    body = reply.read()
    return body if reply.status == 200 else None


http_rate = rate(over_http, 500)
print("python_get_raw_per_s %.0f python_get_per_s %.0f python_cached_get_raw_per_s %.0f python_http_per_s %.0f" % (
    raw, decoded, cached, http_rate))

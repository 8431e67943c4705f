"""Secret namespaces' apply time, measured from outside: each round writes
all KEYS values again (a new round marker in each) to `plain` and, sealed
with pyrage to the namespace's recipient, to `vault`, alternating, and times
from the write's POST until the edge serves the round's value of the last
key. Also prints the bytes sealing adds to a value.
    python secrets_bench.py URL EDGE RECIPIENT USER PASSWORD KEYS ROUNDS
Prints one line per figure: `apply_ms plain MS`, `apply_ms vault MS` per
round, then `added_bytes MEAN`."""
import base64, json, sys, time, urllib.request

import pyrage

url, edge, recipient, user, password = sys.argv[1:6]
keys, rounds = int(sys.argv[6]), int(sys.argv[7])
auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
to = pyrage.x25519.Recipient.from_str(recipient)


def value(r, i):
    # A ~100-byte JSON string.
    return "r%03d-%05d-" % (r, i) + "x" * 88


def sealed(ns, key, v):
    envelope = json.dumps({"ns": ns, "key": key, "value": v}).encode()
    return pyrage.encrypt(envelope, [to], armored=True).decode()


def post(body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={
        "Content-Type": "application/json", "Authorization": auth})
    with urllib.request.urlopen(request, timeout=120) as reply:
        answer = json.load(reply)
    if "error" in answer:
        raise SystemExit(f"the write failed: {answer['error']}")


def served(ns, key):
    try:
        with urllib.request.urlopen(f"{edge}/api/cache/{ns}/{key}", timeout=10) as reply:
            return reply.read().decode()
    except urllib.error.HTTPError:
        return ""


last = "key-%05d" % (keys - 1)
added = []
for r in range(1, rounds + 1):
    for ns in ("plain", "vault"):
        upserts = {}
        for i in range(keys):
            key, v = "key-%05d" % i, value(r, i)
            upserts[key] = sealed(ns, key, v) if ns == "vault" else v
            if ns == "vault" and r == 1:
                added.append(len(json.dumps(upserts[key])) - len(json.dumps(v)))
        body = {"jsonrpc": "2.0", "method": "records.apply", "params": [{"upserts": upserts}, ns], "id": 1}
        want = json.dumps(value(r, keys - 1))
        t0 = time.perf_counter()
        post(body)
        while served(ns, last) != want:
            if time.perf_counter() - t0 > 120:
                raise SystemExit(f"{ns}: the edge never served round {r}")
            time.sleep(0.002)
        print(f"apply_ms {ns} {(time.perf_counter() - t0) * 1000:.1f}", flush=True)
print(f"added_bytes {sum(added) / len(added):.1f}")

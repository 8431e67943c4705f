# The Python reader's cache, driven by tests/api/local_cached.rs: for each
# line on stdin (a time in µs since the epoch, or nothing for now), prints
# what a store opened with a cache reads of "a" (as of that time) and "b",
# four times (the first read fills the cache, the others come from it),
# from the lock file's commit id and, for a reader that cannot find it, from
# a transaction a read.
#   PYTHONPATH=clients/python python cached.py DIR
import json
import sys

import syncdict_local

store = syncdict_local.open(sys.argv[1], cache_bytes=1 << 20)
# The cache answers from the lock file's commit id here: the test covers that path.
assert store._mark is not None, "the lock file's commit id was not found"
# Where the lock file's layout is not the one the reader knows (the id
# looked for in the wrong place), the check at open finds it out...
known, syncdict_local._TXNID_AT = syncdict_local._TXNID_AT, 40
assert syncdict_local._commit_mark(lambda: store._begin(None), sys.argv[1]) is None
syncdict_local._TXNID_AT = known
# ...and the cache begins a transaction a read, and must answer the same.
mark = store._mark
for line in sys.stdin:
    at = int(line) if line.strip() else None
    said = []
    for _ in range(4):
        for store._mark in (mark, None):
            b = store.get_raw("default", "b")
            said.append([store.get("default", "a", now_us=at), None if b is None else json.loads(b)])
    store._mark = mark
    print("local: " + json.dumps(said), flush=True)

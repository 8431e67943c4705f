# Says whether the local read store in DIR holds one whole change set of
# the crash test (tests/api/local_pairs.rs): every key of namespace
# default carries the same value. Prints {"revision", "keys", "values"}.
#   PYTHONPATH=clients/python python whole.py DIR
import json
import sys

import lmdb

import syncdict_local

try:
    store = syncdict_local.open(sys.argv[1])
except (lmdb.Error, syncdict_local.FormatError):
    print(json.dumps({"revision": 0, "keys": 0, "values": []}))
    sys.exit(0)
keys = store.keys("default", "k")
values = sorted(set(store.get_many("default", keys)))
print(json.dumps({"revision": store.revision(), "keys": len(keys), "values": values}))

# Reads a local read store with clients/python and prints what it holds as
# JSON (tests/api/local_store.rs compares it with the Rust reader's).
#   PYTHONPATH=clients/python python read.py DIR LATER_US
import json
import sys

import syncdict_local

try:
    store = syncdict_local.open(sys.argv[1])
except (syncdict_local.FormatError, syncdict_local.RestartedError) as e:
    print(json.dumps({"error": str(e)}))
    sys.exit(0)
later = int(sys.argv[2])
print(json.dumps({
    "revision": store.revision(),
    "namespaces": store.namespaces(),
    "a": store.get("default", "a"),
    "b": json.loads(store.get_raw("default", "b")),
    "keys": store.keys("default", "a"),
    "missing": store.get("default", "missing"),
    "accented": store.get("default", "añö"),
    "t_now": store.get("geo", "t"),
    "t_later": store.get("geo", "t", now_us=later),
    "fr": store.get("geo", "fr"),
}))

# A reader of the torn-pair test (tests/api/local_store.rs): reads the
# pair "left" and "right" of namespace default in one transaction until
# the file STOP exists, and fails if it ever sees them differ. Prints
# {"reads", "last"} once the last value it read is FINAL.
#   PYTHONPATH=clients/python python pairs.py DIR STOP FINAL
import json
import os
import sys
import time

import syncdict_local

directory, stop, final = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = syncdict_local.open(directory)
reads, left = 0, None
while True:
    stopping = os.path.exists(stop)
    left, right = store.get_many("default", ["left", "right"])
    reads += 1
    if left != right:
        sys.exit("torn: left %r, right %r after %d reads" % (left, right, reads))
    if stopping and left == final:
        break
    time.sleep(0.0005)
print(json.dumps({"reads": reads, "last": left}))

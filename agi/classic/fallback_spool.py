"""The classic AGI fallback scripts' one way to leave an event for the application (standard library
only: it runs on the Asterisk root's own Python).

Each event is one JSON file in the instance's fallback spool, written to a hidden temporary name and
renamed into place, so the application never reads half a file.
"""

import json
import os
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SPOOL_DIR = os.path.join(HERE, "..", "spool", "fallback")


def spool(record):
    os.makedirs(SPOOL_DIR, exist_ok=True)
    name = "%s-%s-%s.json" % (record["event"], record["linkedid"] or "unknown", uuid.uuid4().hex[:8])
    temporary = os.path.join(SPOOL_DIR, "." + name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(temporary, os.path.join(SPOOL_DIR, name))

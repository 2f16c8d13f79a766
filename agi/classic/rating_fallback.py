#!/usr/bin/python3
"""Classic AGI fallback (pyst2) for the caller's rating, run when the FastAGI server cannot be reached.

It keeps the key the caller pressed (or that they hung up) as one JSON file in the instance's fallback
spool, written atomically; the application decides what the key means when it ingests the spool, once.
Standard library and pyst2 only (the Asterisk root's own Python). It never raises into the call.

Usage from the dialplan:
    AGI(rating_fallback.py,<linkedid>,<key>,<epoch seconds>)
    AGI(rating_fallback.py,<linkedid>,,<epoch seconds>,hangup)
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))

from asterisk.agi import AGI  # noqa: E402  (pyst2, copied beside the script)
from fallback_spool import spool  # noqa: E402  (beside this script in agi-bin)


def main():
    agi = AGI()
    args = sys.argv[1:] + [""] * 4
    linkedid, digit, at, hangup = args[:4]
    record = {
        "event": "rating",
        "linkedid": linkedid,
        "digit": digit,
        "at": at or str(time.time()),
        "hangup": hangup == "hangup",
        "channel": agi.env.get("agi_channel", ""),
        "spooled_at": time.time(),
    }
    try:
        spool(record)
    except OSError as error:
        agi.verbose("cc rating spool failed: %s" % error, 1)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # the call must go on whatever happened here
        sys.stderr.write("rating_fallback: %r\n" % (error,))

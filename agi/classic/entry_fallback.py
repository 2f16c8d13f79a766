#!/usr/bin/python3
"""Classic AGI fallback (pyst2), run by Asterisk when the FastAGI server cannot be reached.

It runs on the Asterisk root's own Python, so it only uses the standard library and pyst2. What it sees is
written as one JSON file per event into the instance's fallback spool, atomically (write, then rename),
and the application ingests the spool when it is back. It never raises into the call: whatever happens,
the dialplan goes on to play its sorry prompt.

Usage from the dialplan:
    AGI(entry_fallback.py,entry,<linkedid>,<dialled number>,<started_at>,<answered_at>)
    AGI(entry_fallback.py,hangup,<linkedid>,,<ended_at>,<hangup_cause>)
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
    args = sys.argv[1:] + [""] * 5
    event, linkedid, dialed_number, first, second = args[:5]
    record = {
        "event": event,
        "linkedid": linkedid,
        "uniqueid": agi.env.get("agi_uniqueid", ""),
        "channel": agi.env.get("agi_channel", ""),
        "caller_number": agi.env.get("agi_callerid", ""),
        "dialed_number": dialed_number,
        "spooled_at": time.time(),
    }
    if event == "entry":
        record.update(started_at=first, answered_at=second)
    elif event == "hangup":
        record.update(ended_at=first, hangup_cause=second)
    try:
        spool(record)
    except OSError as error:
        agi.verbose("cc fallback spool failed: %s" % error, 1)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # the call must go on to its sorry prompt whatever happened here
        sys.stderr.write("entry_fallback: %r\n" % (error,))

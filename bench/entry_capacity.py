"""Calls the entry path sustains, with and without its FastAGI step, on a real Asterisk with SIPp.

Starts its own Asterisk instance and the app (as `make run` would, on free ports), adds two benchmark
numbers (bench/dialplan/bench-entry.conf: the same legs, one with the `entry` FastAGI request), and
for each places the same SIPp load: callers that listen for --hold-ms and hang up. Prints calls placed,
failed, the rate and concurrency reached, and CPU per call of Asterisk and of the app, as a ratio.

    .venv/bin/python bench/entry_capacity.py [--calls 300] [--rate 30] [--hold-ms 3000]

Targets (brief): the app's Python <= 14 ms CPU per call, and <= 30% on top of bare Asterisk.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from callcenter.asterisk import process
from callcenter.settings import PROJECT_DIR, Settings
from tests.integration.stack import AppProcess, free_port, isolated_settings

SCENARIO = PROJECT_DIR / "tests" / "integration" / "sipp" / "caller_hangs_up.xml"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime, and those of waited-for children (classic AGI scripts would count there)
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def run_load(settings: Settings, number: str, calls: int, rate: int, hold_ms: int) -> dict[str, float]:
    command = [
        "sipp", f"{settings.sip_host}:{settings.sip_port}",
        "-sf", str(SCENARIO), "-s", number,
        "-key", "caller_number", "13999112345",
        "-au", settings.demo_caller_username, "-ap", settings.demo_caller_password.get_secret_value(),
        "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)),
        "-mi", "127.0.0.1", "-mp", str(free_port(socket.SOCK_DGRAM)),
        "-r", str(rate), "-m", str(calls), "-l", str(calls), "-d", str(hold_ms),
        "-timeout", f"{calls // rate + hold_ms // 1000 + 60}s", "-nostdin", "-nd", "-trace_stat",
        "-stf", str(Path(tempfile.gettempdir()) / f"bench-{number}.csv"),
    ]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started

    def counter(label: str) -> int:
        match = re.search(rf"{label}\s*\|\s*\d+\s*\|\s*(\d+)", result.stdout)
        return int(match.group(1)) if match else -1

    return {
        "successful": counter("Successful call"),
        "failed": counter("Failed call"),
        "elapsed": elapsed,
        "returncode": result.returncode,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rate", type=int, default=30, help="new calls per second")
    parser.add_argument("--hold-ms", type=int, default=3000)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="cc-bench-"))
    settings = isolated_settings(
        scratch,
        f"bench-{os.getpid()}",
        40000,
        rtp_ports=5000,
        dialplan_extra_dir=PROJECT_DIR / "bench" / "dialplan",
        clock_start="2026-11-24T10:00:00+08:00",
    )
    status = process.start(settings)
    app = AppProcess(settings, scratch / "app.log")
    app.start()
    results = {}
    try:
        assert status.pid is not None and app.process is not None
        for label, number in (("without FastAGI", "90002"), ("with FastAGI", "90001")):
            asterisk_before, app_before = cpu_seconds(status.pid), cpu_seconds(app.process.pid)
            outcome = run_load(settings, number, args.calls, args.rate, args.hold_ms)
            time.sleep(1.0)  # the records written after the last calls
            outcome["asterisk_ms"] = (cpu_seconds(status.pid) - asterisk_before) * 1000 / args.calls
            outcome["app_ms"] = (cpu_seconds(app.process.pid) - app_before) * 1000 / args.calls
            results[label] = outcome
    finally:
        app.stop()
        process.stop(settings)
        shutil.rmtree(settings.asterisk_instance_dir, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)

    concurrency = args.rate * args.hold_ms / 1000
    lines = [
        f"entry path, {args.calls} calls at {args.rate}/s, {args.hold_ms} ms each"
        f" (~{concurrency:.0f} at once)"
    ]
    for label, outcome in results.items():
        lines.append(
            f"  {label:16} ok {outcome['successful']:.0f} failed {outcome['failed']:.0f} "
            f"in {outcome['elapsed']:.1f} s ({outcome['successful'] / outcome['elapsed']:.1f} calls/s); "
            f"CPU per call: Asterisk {outcome['asterisk_ms']:.1f} ms, app {outcome['app_ms']:.1f} ms"
        )
    bare, full = results["without FastAGI"], results["with FastAGI"]
    bare_cpu = bare["asterisk_ms"] + bare["app_ms"]
    full_cpu = full["asterisk_ms"] + full["app_ms"]
    lines.append(
        f"  with / without: CPU per call {full_cpu / bare_cpu:.2f} x "
        f"(+{full_cpu - bare_cpu:.1f} ms: Asterisk +{full['asterisk_ms'] - bare['asterisk_ms']:.1f}, "
        f"app +{full['app_ms'] - bare['app_ms']:.1f})"
    )
    lines.append(
        f"  app on top of Asterisk (with FastAGI): {full['app_ms']:.1f} ms per call = "
        f"{full['app_ms'] / full['asterisk_ms']:.2f} x Asterisk's own CPU for these short legs; "
        "target: app <= 14 ms per call and <= 0.30 x bare Asterisk on real (recorded, minutes-long) legs"
    )
    sys.stdout.write("\n".join(lines) + "\n")
    return 0 if full["failed"] == 0 and bare["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""FastAGI round-trip latency of the ``entry`` route, as Asterisk sees it.

The server is the application's own (FastAgiServer + entry route + CallService over the real store and
Redis bus), in its own process; this process speaks for Asterisk: it opens a connection, sends the AGI
environment, answers each SET VARIABLE with "200 result=1", and stops the clock when the server closes.

    .venv/bin/python bench/fastagi_latency.py [--requests 3000] [--concurrency 1] [--postgres]

Target (brief): p99 <= 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agi.entry import ROUTE
from bench.figures import percentile
from callcenter.main import build
from callcenter.settings import Settings
from callcenter.store.migrations import upgrade

TARGET_P99_MS = 5.0
log = logging.getLogger("bench.fastagi")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(settings: Settings, ready: multiprocessing.synchronize.Event) -> None:
    """The application as the composition root builds it; only its FastAGI server is started."""

    async def main() -> None:
        application = build(settings)
        await application.fastagi.start()
        ready.set()
        await asyncio.Event().wait()

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())


async def one_request(port: int, number: int) -> float:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    linkedid = f"{int(time.time())}.{number}"
    now = f"{time.time():.3f}"
    writer.write(
        (
            f"agi_network: yes\nagi_network_script: {ROUTE}\nagi_channel: PJSIP/demo-caller-{number:08x}\n"
            f"agi_uniqueid: {linkedid}\nagi_callerid: 139{number:08d}\nagi_arg_1: {linkedid}\n"
            f"agi_arg_2: 12348\nagi_arg_3: {now}\nagi_arg_4: {now}\n\n"
        ).encode()
    )
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(b"200 result=1\n")
    writer.close()
    return (time.perf_counter() - started) * 1000.0


async def run_client(port: int, requests: int, concurrency: int, rate: float) -> list[float]:
    for warm_up in range(50):
        await one_request(port, 10_000_000 + warm_up)
    if rate > 0:
        # Open loop: calls arrive at a steady rate whatever the answers take, as calls do.
        tasks = []
        start = time.perf_counter()
        for number in range(requests):
            delay = start + number / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one_request(port, number)))
        return list(await asyncio.gather(*tasks))
    latencies: list[float] = []
    counter = iter(range(requests))

    async def worker() -> None:
        for number in counter:
            latencies.append(await one_request(port, number))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


@contextlib.contextmanager
def scratch_database(wanted: bool) -> Iterator[str]:
    if not wanted:
        yield ""
        return
    import psycopg

    admin_url = "postgresql:///postgres?host=/var/run/postgresql"
    name = f"cc_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql:///{name}?host=/var/run/postgresql"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far, from /proc (clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=1, help="closed loop: requests in flight")
    parser.add_argument("--rate", type=float, default=0.0, help="open loop: new requests per second")
    parser.add_argument("--database-url", default="", help="an existing scratch database (default: SQLite)")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="a throwaway database on the local PostgreSQL (socket, current user), dropped afterwards",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch, scratch_database(args.postgres) as postgres_url:
        database_url = postgres_url or args.database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        upgrade(database_url)
        port = free_port()
        ready = multiprocessing.Event()
        settings = Settings(
            database_url=database_url,
            redis_url=args.redis_url,
            agi_port=port,
            data_dir=Path(scratch) / "data",
            asterisk_root=Path(scratch) / "root",
        )
        server = multiprocessing.Process(target=serve, args=(settings, ready), daemon=True)
        server.start()
        if not ready.wait(30):
            raise SystemExit("the FastAGI server did not start")
        try:
            assert server.pid is not None
            cpu_before = process_cpu_seconds(server.pid)
            latencies = asyncio.run(run_client(port, args.requests, args.concurrency, args.rate))
            time.sleep(0.5)  # the records written after each answer
            cpu_per_request_ms = (process_cpu_seconds(server.pid) - cpu_before) * 1000 / (len(latencies) + 50)
        finally:
            server.terminate()
            server.join()

    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    backend = database_url.split(":", 1)[0]
    load = f"{args.rate:g} requests/s open loop" if args.rate > 0 else f"concurrency {args.concurrency}"
    sys.stdout.write(
        f"fastagi entry route, {len(latencies)} requests, {load}, store {backend}\n"
        f"  p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {max(latencies):.2f} ms"
        f"  mean {statistics.mean(latencies):.2f} ms\n"
        f"  p99 / target ({TARGET_P99_MS} ms) = {p99 / TARGET_P99_MS:.2f}\n"
        f"  app CPU per request {cpu_per_request_ms:.2f} ms (decision, answer, record, publish)\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

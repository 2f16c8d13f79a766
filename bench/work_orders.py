"""Work-order store: creation throughput and p99, and list/search p99, on SQLite and PostgreSQL; then the
dispatcher's and supervisors' views and the staff search at 1 M orders on PostgreSQL.

Each run uses a database of its own (a temporary SQLite file; a PostgreSQL database created and dropped),
migrated to the latest revision. Orders are created through WorkOrderService.register, as every channel
does; the 1 M orders are then generated in SQL, with the same columns and search text.

    .venv/bin/python bench/work_orders.py [--orders 2000] [--million 1000000] [--queries 200]

Target (brief): work-order search p99 <= 100 ms at 1 M orders.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench.figures import percentile
from callcenter.clock import Clock
from callcenter.domain.stored_orders import OrderFilter
from callcenter.domain.work_orders import Channel, OrderType
from callcenter.hotline import load_hotline
from callcenter.services.work_orders import Registration, WorkOrderService
from callcenter.settings import PROJECT_DIR
from callcenter.store.db import Database
from callcenter.store.migrations import upgrade
from callcenter.store.work_orders import WorkOrderRepository
from tests.fakes import EveryoneSeesAll, RecordingPublisher

ADMIN_URL = "postgresql:///postgres?host=/var/run/postgresql"
OPEN = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CATEGORIES = ("labour", "marriage-family", "contract", "traffic", "land-housing", "debt")
WORDS = ("拖欠工资", "离婚财产", "合同违约", "交通事故赔偿", "宅基地纠纷", "借款不还", "劳动合同解除")


async def timed(action: Callable[[], Awaitable[object]], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        await action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def line(label: str, samples: list[float]) -> str:
    return (
        f"  {label:44} p50 {statistics.median(samples):7.1f} ms  p99 {percentile(samples, 0.99):7.1f} ms"
        f"  ({len(samples)} runs)"
    )


async def creation_and_search(url: str, orders: int, queries: int) -> list[str]:
    upgrade(url)
    database = Database.connect(url)
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    service = WorkOrderService(
        hotline,
        WorkOrderRepository(database),
        EveryoneSeesAll(),
        RecordingPublisher(),
        Clock(OPEN),
        Path(tempfile.mkdtemp(prefix="cc-bench-attachments-")),
    )
    counter = iter(range(10**9))

    async def create() -> None:
        n = next(counter)
        await service.register(
            Registration(
                channel=Channel.WEB if n % 3 else Channel.HOTLINE,
                order_type=OrderType.CONSULTATION if n % 4 else OrderType.COMPLAINT,
                category=CATEGORIES[n % len(CATEGORIES)],
                description=f"{WORDS[n % len(WORDS)]}，第{n}号来电",
                caller_number=f"139{n:08d}",
                caller_name=f"来电人{n}",
            ),
            None,
        )

    started = time.perf_counter()
    created = await timed(create, orders)
    elapsed = time.perf_counter() - started
    repository = WorkOrderRepository(database)
    results = [
        f"  creation: {orders} orders in {elapsed:.1f} s = {orders / elapsed:.0f}/s, one at a time",
        line("register (one order, its history entry)", created),
        line("dispatcher view: new orders, newest 50", await timed(
            lambda: repository.search(OrderFilter(states=("new",), limit=50)), queries)),
        line("caller's history by phone", await timed(
            lambda: repository.search(OrderFilter(caller_number="13900000042")), queries)),
        line("search words '拖欠工资'", await timed(
            lambda: repository.search(OrderFilter(text="拖欠工资")), queries)),
    ]  # fmt: skip
    await database.dispose()
    return results


def generate_million(dsn: str, count: int) -> float:
    """``count`` orders in SQL, spread over two years and every state, with their search text."""
    started = time.perf_counter()
    words = "ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    categories = "ARRAY[" + ",".join(f"'{c}'" for c in CATEGORIES) + "]"
    states = "ARRAY['new','transferred','in-progress','feedback','closed','closed','closed','closed']"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(
            f"""
            INSERT INTO work_orders (number, channel, order_type, status, caller_number, caller_name,
                                     category, urgency, description, created_at, updated_at,
                                     reply_due_at, version, search_text, is_case, reply_extended,
                                     flagged)
            SELECT 'B' || to_char(g, 'FM000000000'),
                   (ARRAY['web','hotline','walk-in'])[1 + g % 3],
                   (ARRAY['consultation','complaint','suggestion'])[1 + g % 3],
                   ({states})[1 + g % 8],
                   '138' || to_char(g, 'FM00000000'),
                   '用户' || g,
                   ({categories})[1 + g % 6],
                   'normal',
                   ({words})[1 + g % 7] || '，第' || g || '号',
                   now() - (g || ' minutes')::interval,
                   now() - (g || ' minutes')::interval,
                   now() - (g || ' minutes')::interval + interval '7 days',
                   1,
                   lower('B' || to_char(g, 'FM000000000') || ' 用户' || g
                         || ' 138' || to_char(g, 'FM00000000')
                         || ' ' || ({categories})[1 + g % 6]
                         || ' ' || ({words})[1 + g % 7] || '，第' || g || '号'),
                   false, false, false
            FROM generate_series(1, {count}) AS g
            """
        )
        connection.execute("ANALYZE work_orders")
    return time.perf_counter() - started


async def million(url: str, dsn: str, count: int, queries: int) -> list[str]:
    upgrade(url)
    seconds = generate_million(dsn, count)
    database = Database.connect(url)
    repository = WorkOrderRepository(database)
    now = datetime.now(ZoneInfo("UTC"))
    results = [
        f"  {count} orders generated in {seconds:.0f} s",
        line("dispatcher view: new orders, newest 50", await timed(
            lambda: repository.search(OrderFilter(states=("new",), limit=50)), queries)),
        line("supervisor view: overdue replies, newest 50", await timed(
            lambda: repository.search(OrderFilter(reply_due_before=now, limit=50)), queries)),
        line("caller's history by phone", await timed(
            lambda: repository.search(OrderFilter(caller_number="13800424242")), queries)),
        line("search an order number", await timed(
            lambda: repository.search(OrderFilter(text="b000424242")), queries)),
        line("search a caller's name (4 characters)", await timed(
            lambda: repository.search(OrderFilter(text="用户4242")), queries)),
        line("search words '交通事故赔偿' (6 characters)", await timed(
            lambda: repository.search(OrderFilter(text="交通事故赔偿", limit=50)), queries)),
        line("search words '工资' (2 characters)", await timed(
            lambda: repository.search(OrderFilter(text="工资", limit=50)), max(queries // 10, 5))),
    ]  # fmt: skip
    await database.dispose()
    return results


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--million", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--only-million", action="store_true", help="skip creation on both databases")
    args = parser.parse_args()
    output = []

    runs = [(f"PostgreSQL at {args.million} orders:", args.million)]
    if not args.only_million:
        scratch = Path(tempfile.mkdtemp(prefix="cc-bench-orders-"))
        output.append("SQLite:")
        output += await creation_and_search(
            f"sqlite:///{scratch / 'orders.sqlite3'}", args.orders, args.queries
        )
        runs.insert(0, ("PostgreSQL:", 0))
    for label, count in runs:
        name = f"cc_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        dsn = ADMIN_URL.replace("/postgres?", f"/{name}?", 1)
        url = dsn.replace("postgresql://", "postgresql+psycopg://", 1)
        try:
            output.append(label)
            if count:
                output += await million(url, dsn, count, args.queries)
            else:
                output += await creation_and_search(url, args.orders, args.queries)
        finally:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sys.stdout.write("\n".join(output) + "\ntarget: search p99 <= 100 ms at 1 M orders\n")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

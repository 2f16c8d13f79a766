import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from callcenter.clock import Clock
from callcenter.domain.calls import CORRECTABLE_FACTS, CallFacts
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from callcenter.store.models import CallRecord

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


async def test_merge_inserts_then_completes_without_overwriting_known_facts(database) -> None:
    calls = CallRepository(database)
    await calls.merge(CallFacts(linkedid="1.1", caller_number="13800138000", started_at=T0))
    record = await calls.merge(
        CallFacts(linkedid="1.1", caller_number="999", started_at=T0 + timedelta(seconds=5), ended_at=T0)
    )
    assert record.caller_number == "13800138000"
    assert record.started_at == T0
    assert record.ended_at == T0
    assert record.started_at.tzinfo is not None


async def test_correctable_facts_take_the_later_value(database) -> None:
    calls = CallRepository(database)
    await calls.merge(CallFacts(linkedid="1.2", entry_route="app", next_step="greeting"), CORRECTABLE_FACTS)
    record = await calls.merge(CallFacts(linkedid="1.2", entry_route="fallback"), {"entry_route"})
    assert record.entry_route == "fallback"
    assert record.next_step == "greeting"


async def test_update_existing_ignores_unknown_calls(database) -> None:
    calls = CallRepository(database)
    assert await calls.update_existing(CallFacts(linkedid="nobody", ended_at=T0)) is None
    assert await calls.get("nobody") is None


async def test_concurrent_sources_make_one_complete_row(database) -> None:
    calls = CallRepository(database)
    facts = [
        CallFacts(linkedid="1.3", caller_number="13800138000"),
        CallFacts(linkedid="1.3", started_at=T0),
        CallFacts(linkedid="1.3", answered_at=T0 + timedelta(seconds=1)),
        CallFacts(linkedid="1.3", ended_at=T0 + timedelta(seconds=9), hangup_cause=16),
        CallFacts(linkedid="1.3", dialed_number="12348"),
    ]
    await asyncio.gather(*(calls.merge(f) for f in facts * 4))
    rows = await calls.list()
    assert len(rows) == 1
    row = rows[0]
    assert (row.caller_number, row.dialed_number, row.hangup_cause) == ("13800138000", "12348", 16)
    assert (row.started_at, row.answered_at, row.ended_at) == (
        T0,
        T0 + timedelta(seconds=1),
        T0 + timedelta(seconds=9),
    )


async def test_list_is_newest_first_and_filters_by_caller(database) -> None:
    calls = CallRepository(database)
    for index, number in enumerate(["13800138000", "02912345678", "13800138000"]):
        await calls.merge(
            CallFacts(linkedid=f"2.{index}", caller_number=number, started_at=T0 + timedelta(minutes=index))
        )
    assert [r.linkedid for r in await calls.list()] == ["2.2", "2.1", "2.0"]
    assert [r.linkedid for r in await calls.list(caller_number="13800138000")] == ["2.2", "2.0"]
    assert [r.linkedid for r in await calls.list(limit=1, offset=1)] == ["2.1"]


ELSEWHERE = datetime(2027, 1, 5, 2, 0, tzinfo=UTC)


@pytest.fixture
async def elsewhere(database: Database, database_url: str) -> AsyncIterator[Database]:
    """A second connection to the fixture's database (migrated, emptied afterwards), on a clock started
    at ELSEWHERE."""
    other = Database.connect(database_url, Clock(ELSEWHERE))
    try:
        yield other
    finally:
        await other.dispose()


async def test_the_store_stamps_rows_with_the_apps_clock(elsewhere: Database) -> None:
    """created_at/updated_at of every table come from the clock the database was opened with."""
    record = await CallRepository(elsewhere).merge(CallFacts(linkedid="9.9", caller_number="13800138000"))
    assert abs(record.created_at - ELSEWHERE) < timedelta(seconds=5)
    assert abs(record.updated_at - ELSEWHERE) < timedelta(seconds=5)


async def test_column_defaults_take_the_apps_clock_too(elsewhere: Database) -> None:
    """A row added through the ORM without its times gets them from the database's clock (app_now)."""
    async with elsewhere.sessions() as session:
        session.add(CallRecord(linkedid="9.10"))
        await session.commit()
    record = await CallRepository(elsewhere).get("9.10")
    assert record is not None
    assert abs(record.created_at - ELSEWHERE) < timedelta(seconds=5)

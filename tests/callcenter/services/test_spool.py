from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from callcenter.domain.calls import CallFacts
from callcenter.services.calls import CallService
from callcenter.services.spool import (
    SpoolIngester,
    SpoolRecordError,
    SpoolWriter,
    facts_from_spool,
    facts_to_spool,
)
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from tests.fakes import RecordingPublisher

ENTRY = {
    "event": "entry",
    "linkedid": "7.1",
    "uniqueid": "7.1",
    "channel": "PJSIP/demo-caller-00000001",
    "caller_number": "13912345678",
    "dialed_number": "12348",
    "started_at": "1795485587.303",
    "answered_at": "1795485587.804",
}
HANGUP = {**ENTRY, "event": "hangup", "dialed_number": "", "ended_at": "1795485589.845", "hangup_cause": "16"}


def test_classic_entry_and_hangup_become_facts() -> None:
    entry, correctable = facts_from_spool(ENTRY)
    assert (entry.entry_route, entry.dialed_number, entry.ended_at) == ("fallback", "12348", None)
    assert correctable == {"entry_route"}
    hangup, correctable = facts_from_spool(HANGUP)
    assert (hangup.hangup_cause, hangup.hangup_cause_text, hangup.dialed_number) == (
        16,
        "Normal Clearing",
        None,
    )
    assert hangup.entry_route is None
    assert correctable == frozenset()


def test_the_apps_own_facts_survive_the_round_trip() -> None:
    facts = CallFacts(
        linkedid="8.1",
        caller_number="13912345678",
        started_at=datetime(2026, 11, 24, 2, 0, 1, 250000, tzinfo=UTC),
        hangup_cause=0,
        entry_route="app",
    )
    record = json.loads(json.dumps(facts_to_spool(facts, frozenset({"entry_route"}))))
    assert facts_from_spool(record) == (facts, frozenset({"entry_route"}))


@pytest.mark.parametrize(
    "record",
    [
        {"event": "entry"},
        {"event": "dance", "linkedid": "1"},
        {"event": "facts", "linkedid": "1", "facts": {"no_such_fact": 1}},
    ],
)
def test_incomplete_records_are_refused(record: dict[str, Any]) -> None:
    with pytest.raises(SpoolRecordError):
        facts_from_spool(record)


def spool(directory: Path, name: str, record: dict[str, Any] | str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(record if isinstance(record, str) else json.dumps(record))


def service(database: Database, spool_dir: Path) -> tuple[CallService, CallRepository]:
    repository = CallRepository(database)
    return CallService(repository, RecordingPublisher(), SpoolWriter(spool_dir)), repository


async def test_ingests_each_event_once_and_sets_junk_aside(database: Database, tmp_path: Path) -> None:
    calls, repository = service(database, tmp_path)
    ingester = SpoolIngester(tmp_path, calls.record, 60)
    spool(tmp_path, "hangup-7.1-a.json", HANGUP)
    spool(tmp_path, "entry-7.1-b.json", ENTRY)
    spool(tmp_path, "entry-7.2-c.json", "{not json")
    spool(tmp_path, ".entry-7.3-d.json.tmp", ENTRY)  # still being written by the AGI script

    assert await ingester.ingest_once() == 2
    assert await ingester.ingest_once() == 0
    record = await repository.get("7.1")
    assert record is not None
    assert (record.entry_route, record.hangup_cause, record.dialed_number) == ("fallback", 16, "12348")
    assert record.ended_at is not None and record.answered_at is not None
    assert (tmp_path / "rejected" / "entry-7.2-c.json").exists()
    assert (tmp_path / ".entry-7.3-d.json.tmp").exists()
    assert len(await repository.list()) == 1


async def test_applying_a_file_twice_gives_the_same_record(database: Database, tmp_path: Path) -> None:
    """A crash between applying a file and removing it only applies it again."""
    calls, repository = service(database, tmp_path)
    ingester = SpoolIngester(tmp_path, calls.record, 60)
    spool(tmp_path, "entry-7.1-a.json", ENTRY)
    await ingester.ingest_once()
    first = await repository.get("7.1")
    spool(tmp_path, "entry-7.1-a.json", ENTRY)
    await ingester.ingest_once()
    second = await repository.get("7.1")
    assert first is not None and second is not None
    assert (first.id, first.started_at, first.answered_at) == (
        second.id,
        second.started_at,
        second.answered_at,
    )


class UnreachableStore:
    async def merge(self, facts: CallFacts, correctable: Any = ()) -> Any:
        raise ConnectionRefusedError("database is down")

    async def update_existing(self, facts: CallFacts) -> Any:
        raise ConnectionRefusedError("database is down")


async def test_facts_wait_in_the_spool_while_the_store_is_down(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = CallService(UnreachableStore(), RecordingPublisher(), SpoolWriter(tmp_path))  # type: ignore[arg-type]
    await down.record(CallFacts(linkedid="9.1", caller_number="13912345678", entry_route="app"))
    await down.record(CallFacts(linkedid="9.1", hangup_cause=16))
    assert len(list(tmp_path.glob("facts-9.1-*.json"))) == 2
    assert sum("Store unreachable" in r.getMessage() for r in caplog.records) == 1

    calls, repository = service(database, tmp_path)
    assert await SpoolIngester(tmp_path, calls.record, 60).ingest_once() == 2
    record = await repository.get("9.1")
    assert record is not None
    assert (record.caller_number, record.entry_route, record.hangup_cause) == ("13912345678", "app", 16)

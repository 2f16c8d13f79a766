from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from callcenter.services.calls import CallService
from callcenter.services.spool import FallbackSpoolIngester, SpoolRecordError, facts_from_spool
from callcenter.store.calls import CallRepository
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


def test_entry_and_hangup_become_facts() -> None:
    entry = facts_from_spool(ENTRY)
    assert (entry.entry_route, entry.dialed_number, entry.ended_at) == ("fallback", "12348", None)
    hangup = facts_from_spool(HANGUP)
    assert (hangup.hangup_cause, hangup.hangup_cause_text, hangup.dialed_number) == (
        16,
        "Normal Clearing",
        None,
    )
    assert hangup.entry_route is None


@pytest.mark.parametrize("record", [{"event": "entry"}, {"event": "dance", "linkedid": "1"}])
def test_incomplete_records_are_refused(record: dict[str, Any]) -> None:
    with pytest.raises(SpoolRecordError):
        facts_from_spool(record)


def spool(directory: Path, name: str, record: dict[str, Any] | str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(record if isinstance(record, str) else json.dumps(record))


async def test_ingests_each_event_once_and_sets_junk_aside(sessions: Any, tmp_path: Path) -> None:
    repository = CallRepository(sessions)
    ingester = FallbackSpoolIngester(tmp_path, CallService(repository, RecordingPublisher()), 60)
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


async def test_applying_a_file_twice_gives_the_same_record(sessions: Any, tmp_path: Path) -> None:
    """A crash between applying a file and removing it only applies it again."""
    repository = CallRepository(sessions)
    ingester = FallbackSpoolIngester(tmp_path, CallService(repository, RecordingPublisher()), 60)
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

"""Ingests what the classic AGI fallback spooled while the application was unreachable.

Each spooled event is one JSON file. A file is applied to the store and then removed; applying is a merge
by linkedid, so a crash between the two only applies it again, to the same result: each event counts once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from callcenter.domain.calls import (
    ENTRY_ROUTE_FALLBACK,
    CallFacts,
    epoch_to_datetime,
    hangup_cause_text,
    normalise_number,
)
from callcenter.errors import CallCenterError
from callcenter.services.calls import CallService

log = logging.getLogger(__name__)


class SpoolRecordError(CallCenterError):
    code = "invalid-spool-record"


def facts_from_spool(record: dict[str, Any]) -> CallFacts:
    linkedid = str(record.get("linkedid") or "")
    if not linkedid:
        raise SpoolRecordError("spooled event without a linkedid", details={"record": record})
    event = record.get("event")
    common: dict[str, Any] = {
        "linkedid": linkedid,
        "uniqueid": record.get("uniqueid") or None,
        "channel": record.get("channel") or None,
        "caller_number": normalise_number(record.get("caller_number")),
    }
    if event == "entry":
        return CallFacts(
            **common,
            dialed_number=record.get("dialed_number") or None,
            started_at=epoch_to_datetime(record.get("started_at")),
            answered_at=epoch_to_datetime(record.get("answered_at")),
            entry_route=ENTRY_ROUTE_FALLBACK,
        )
    if event == "hangup":
        try:
            cause = int(record.get("hangup_cause") or 0)
        except ValueError:
            cause = 0
        return CallFacts(
            **common,
            ended_at=epoch_to_datetime(record.get("ended_at")),
            hangup_cause=cause,
            hangup_cause_text=hangup_cause_text(cause),
        )
    raise SpoolRecordError(f"unknown spooled event {event!r}", details={"record": record})


class FallbackSpoolIngester:
    def __init__(self, spool_dir: Path, calls: CallService, interval_seconds: float) -> None:
        self._spool_dir = spool_dir
        self._calls = calls
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def ingest_once(self) -> int:
        async with self._lock:
            if not self._spool_dir.is_dir():
                return 0
            # Names starting with a dot are still being written by the AGI script.
            files = sorted(p for p in self._spool_dir.glob("*.json") if not p.name.startswith("."))
            ingested = 0
            for path in files:
                try:
                    facts = facts_from_spool(json.loads(path.read_text(encoding="utf-8")))
                except (ValueError, SpoolRecordError) as error:
                    rejected = self._spool_dir / "rejected"
                    rejected.mkdir(exist_ok=True)
                    path.rename(rejected / path.name)
                    log.error("Rejected spool file %s: %s", path.name, error)
                    continue
                await self._calls.record(
                    facts, correctable=frozenset({"entry_route"}) if facts.entry_route else frozenset()
                )
                path.unlink()
                ingested += 1
            if ingested:
                log.info("Ingested %s event(s) from the fallback spool", ingested)
            return ingested

    async def start(self) -> None:
        await self.ingest_once()
        self._task = asyncio.create_task(self._run(), name="fallback-spool")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.ingest_once()
            except Exception:
                log.exception("Fallback spool ingestion failed; retrying at the next interval")

"""The spool: call facts that could not reach the store yet, one JSON file each.

Two writers fill it: the classic AGI fallback script (``agi/classic/entry_fallback.py``, events "entry"
and "hangup") while the application is unreachable, and the application itself (event "facts") while its
store is. A file is applied to the store and then removed; applying is a merge by linkedid, so a crash
between the two only applies it again, to the same result: each event counts once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
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
from callcenter.tasks import Periodic
from callcenter.telephony.ami.events import StampReader

log = logging.getLogger(__name__)

FactsSink = Callable[[CallFacts, frozenset[str]], Awaitable[None]]
# Spooled events other than call facts (e.g. "rating"), each applied by its own feature, exactly once:
# a sink must give the same result when a crash makes it see a file twice.
RecordSink = Callable[[dict[str, Any]], Awaitable[None]]
DATETIME_FIELDS = frozenset(f.name for f in dataclasses.fields(CallFacts) if "datetime" in str(f.type))


class SpoolRecordError(CallCenterError):
    code = "invalid-spool-record"


def facts_to_spool(facts: CallFacts, correctable: frozenset[str]) -> dict[str, Any]:
    known = {
        name: (value.timestamp() if isinstance(value, datetime) else value)
        for name, value in facts.known().items()
    }
    return {"event": "facts", "linkedid": facts.linkedid, "facts": known, "correctable": sorted(correctable)}


def facts_from_spool(
    record: dict[str, Any], system_stamp: StampReader = epoch_to_datetime
) -> tuple[CallFacts, frozenset[str]]:
    """A spooled record as call facts. The app's own "facts" carry its clock's instants; the classic
    scripts' "entry" and "hangup" carry Asterisk's (system) epoch, read by ``system_stamp``."""
    linkedid = str(record.get("linkedid") or "")
    if not linkedid:
        raise SpoolRecordError("spooled event without a linkedid", details={"record": record})
    event = record.get("event")
    if event == "facts":
        known = dict(record.get("facts") or {})
        known["linkedid"] = linkedid
        for name in DATETIME_FIELDS & known.keys():
            known[name] = epoch_to_datetime(known[name])
        try:
            facts = CallFacts(**known)
        except TypeError as error:
            raise SpoolRecordError(str(error), details={"record": record}) from error
        return facts, frozenset(record.get("correctable") or ())
    common: dict[str, Any] = {
        "linkedid": linkedid,
        "uniqueid": record.get("uniqueid") or None,
        "channel": record.get("channel") or None,
        "caller_number": normalise_number(record.get("caller_number")),
    }
    if event == "entry":
        facts = CallFacts(
            **common,
            dialed_number=record.get("dialed_number") or None,
            started_at=system_stamp(record.get("started_at")),
            answered_at=system_stamp(record.get("answered_at")),
            entry_route=ENTRY_ROUTE_FALLBACK,
        )
        # The caller heard the fallback whatever the app recorded before it failed.
        return facts, frozenset({"entry_route"})
    if event == "hangup":
        try:
            cause = int(record.get("hangup_cause") or 0)
        except ValueError:
            cause = 0
        facts = CallFacts(
            **common,
            ended_at=system_stamp(record.get("ended_at")),
            hangup_cause=cause,
            hangup_cause_text=hangup_cause_text(cause),
        )
        return facts, frozenset()
    raise SpoolRecordError(f"unknown spooled event {event!r}", details={"record": record})


class SpoolWriter:
    def __init__(self, spool_dir: Path) -> None:
        self._spool_dir = spool_dir

    def write(self, facts: CallFacts, correctable: frozenset[str]) -> Path:
        """Atomically, as the classic AGI script does: a hidden temporary file renamed into place."""
        self._spool_dir.mkdir(parents=True, exist_ok=True)
        name = f"facts-{facts.linkedid}-{uuid.uuid4().hex[:8]}.json"
        temporary = self._spool_dir / f".{name}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(facts_to_spool(facts, correctable), handle)
            handle.flush()
            os.fsync(handle.fileno())
        final = self._spool_dir / name
        temporary.rename(final)
        return final


class SpoolIngester:
    def __init__(
        self,
        spool_dir: Path,
        apply: FactsSink,
        interval_seconds: float,
        sinks: Mapping[str, RecordSink] | None = None,
        system_stamp: StampReader = epoch_to_datetime,
    ) -> None:
        self._spool_dir = spool_dir
        self._system_stamp = system_stamp
        self._apply = apply
        self._sinks = dict(sinks or {})
        self._timer = Periodic("Spool ingestion", self.ingest_once, interval_seconds)
        self._lock = asyncio.Lock()

    async def ingest_once(self) -> int:
        async with self._lock:
            if not self._spool_dir.is_dir():
                return 0
            # Names starting with a dot are still being written.
            files = sorted(p for p in self._spool_dir.glob("*.json") if not p.name.startswith("."))
            ingested = 0
            for path in files:
                try:
                    record = json.loads(path.read_text(encoding="utf-8"))
                    sink = self._sinks.get(str(record.get("event"))) if isinstance(record, dict) else None
                    if sink is not None:
                        await sink(record)
                        path.unlink()
                        ingested += 1
                        continue
                    facts, correctable = facts_from_spool(record, self._system_stamp)
                except (ValueError, SpoolRecordError, CallCenterError) as error:
                    rejected = self._spool_dir / "rejected"
                    rejected.mkdir(exist_ok=True)
                    path.rename(rejected / path.name)
                    log.error("Rejected spool file %s: %s", path.name, error)
                    continue
                await self._apply(facts, correctable)
                path.unlink()
                ingested += 1
            if ingested:
                log.info("Ingested %s event(s) from the spool", ingested)
            return ingested

    async def start(self) -> None:
        # What piled up while the app was down is applied before calls come in.
        await self._timer.start(wait_for_first=True)

    async def stop(self) -> None:
        await self._timer.stop()

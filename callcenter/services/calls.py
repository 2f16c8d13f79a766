"""Call records, fed by the entry route, AMI events and the fallback spool."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from callcenter.domain.calls import (
    CORRECTABLE_FACTS,
    ENTRY_ROUTE_APP,
    CallFacts,
    hangup_cause_text,
    normalise_number,
)
from callcenter.domain.entry import EntryDecision, decide_entry
from callcenter.logsetup import call_id_var
from callcenter.telephony.ami.events import (
    AmiEvent,
    ChannelAnswered,
    ChannelCreated,
    ChannelHungUp,
    FullyBooted,
)
from callcenter.telephony.dialplan import INBOUND_CONTEXT

log = logging.getLogger(__name__)

CALL_EVENTS_CHANNEL = "cc:calls"


class CallStore(Protocol):
    async def merge(self, facts: CallFacts, correctable: Any = ()) -> Any: ...

    async def update_existing(self, facts: CallFacts) -> Any: ...

    async def get(self, linkedid: str) -> Any: ...

    async def list(
        self, caller_number: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Any]: ...


class EventPublisher(Protocol):
    async def publish(self, channel: str, payload: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class NewCall:
    linkedid: str
    uniqueid: str
    channel: str
    caller_number: str | None
    dialed_number: str
    started_at: datetime | None
    answered_at: datetime | None


class FactsSpool(Protocol):
    def write(self, facts: CallFacts, correctable: frozenset[str]) -> Any: ...


class CallService:
    def __init__(self, store: CallStore, publisher: EventPublisher, spool: FactsSpool) -> None:
        self._store = store
        self._publisher = publisher
        self._spool = spool
        self._pending: set[asyncio.Task[None]] = set()
        self._store_outage_reported = False

    def decide_entry(self, call: NewCall) -> EntryDecision:
        return decide_entry(call.caller_number, call.dialed_number)

    def record_entry(self, call: NewCall, decision: EntryDecision) -> None:
        """Record the entry off the call's path: called once Asterisk has its answer."""
        self._in_background(
            self.record(
                CallFacts(
                    linkedid=call.linkedid,
                    uniqueid=call.uniqueid or None,
                    channel=call.channel or None,
                    caller_number=call.caller_number,
                    dialed_number=call.dialed_number or None,
                    started_at=call.started_at,
                    answered_at=call.answered_at,
                    entry_route=ENTRY_ROUTE_APP,
                    next_step=decision.next_step,
                ),
                correctable=CORRECTABLE_FACTS,
            )
        )

    async def record(self, facts: CallFacts, correctable: frozenset[str] = frozenset()) -> None:
        """Merge facts into the store; while the store is unreachable they wait in the spool."""
        try:
            record = await self._store.merge(facts, correctable)
        except Exception as error:
            self._spool.write(facts, correctable)
            if not self._store_outage_reported:
                log.error("Store unreachable (%s); call facts go to the spool until it is back", error)
                self._store_outage_reported = True
            return
        if self._store_outage_reported:
            log.warning("Store reachable again")
            self._store_outage_reported = False
        await self._publish(record)

    async def drain(self) -> None:
        """Wait for the writes under way (at shutdown, and in tests)."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    def _in_background(self, write: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(write)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def on_ami_event(self, event: AmiEvent) -> None:
        if isinstance(event, FullyBooted):
            return
        # Only the first channel of a call (uniqueid == linkedid) describes the caller's call.
        if event.uniqueid != event.linkedid or not event.linkedid:
            return
        token = call_id_var.set(event.linkedid)
        try:
            if isinstance(event, ChannelCreated):
                if event.context != INBOUND_CONTEXT:
                    return
                await self.record(
                    CallFacts(
                        linkedid=event.linkedid,
                        uniqueid=event.uniqueid,
                        channel=event.channel,
                        caller_number=normalise_number(event.caller_number),
                        dialed_number=event.exten or None,
                        started_at=event.timestamp,
                    )
                )
            elif isinstance(event, ChannelAnswered):
                await self._complete(CallFacts(linkedid=event.linkedid, answered_at=event.timestamp))
            elif isinstance(event, ChannelHungUp):
                hangup = CallFacts(
                    linkedid=event.linkedid,
                    ended_at=event.timestamp,
                    hangup_cause=event.cause,
                    hangup_cause_text=event.cause_text or hangup_cause_text(event.cause),
                )
                if await self._complete(hangup):
                    log.info("Call ended: cause %s (%s)", event.cause, event.cause_text)
        finally:
            call_id_var.reset(token)

    async def _complete(self, facts: CallFacts) -> bool:
        """Complete a call already recorded; facts about channels that are not calls are dropped."""
        try:
            record = await self._store.update_existing(facts)
        except Exception:
            await self.record(facts)  # spooled: the store decides when it is back
            return True
        await self._publish(record)
        return record is not None

    async def list_calls(self, caller_number: str | None, limit: int, offset: int) -> list[Any]:
        return await self._store.list(caller_number=caller_number, limit=limit, offset=offset)

    async def get_call(self, linkedid: str) -> Any:
        return await self._store.get(linkedid)

    async def _publish(self, record: Any) -> None:
        if record is None:
            return
        await self._publisher.publish(
            CALL_EVENTS_CHANNEL,
            {
                "type": "call-updated",
                "linkedid": record.linkedid,
                "caller_number": record.caller_number,
                "ended": record.ended_at is not None,
            },
        )

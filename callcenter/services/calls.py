"""Call records, fed by the entry route, AMI events and the fallback spool."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from callcenter.domain.calls import (
    OUTCOME_ABANDONED,
    OUTCOME_ANSWERED,
    CallFacts,
    StoredCall,
    hangup_cause_text,
    normalise_number,
)
from callcenter.logsetup import call_scope
from callcenter.tasks import BackgroundTasks
from callcenter.telephony.ami.events import (
    AgentCompleted,
    AgentConnected,
    AmiEvent,
    ChannelAnswered,
    ChannelCreated,
    ChannelHangupRequested,
    ChannelHungUp,
    QueueCallerAbandoned,
    QueueCallerJoined,
)
from callcenter.telephony.dialplan import INBOUND_CONTEXT

log = logging.getLogger(__name__)

CALL_EVENTS_CHANNEL = "cc:calls"


class CallStore(Protocol):
    async def merge(self, facts: CallFacts, correctable: Iterable[str] = ()) -> StoredCall: ...

    async def update_existing(
        self, facts: CallFacts, correctable: Iterable[str] = ()
    ) -> StoredCall | None: ...

    async def get(self, linkedid: str) -> StoredCall | None: ...

    async def list(
        self, caller_number: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[StoredCall]: ...


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
        self._background = BackgroundTasks()
        self._store_outage_reported = False
        self._requested_causes: dict[str, int] = {}

    def record_in_background(self, facts: CallFacts, correctable: frozenset[str] = frozenset()) -> None:
        """Record off the call's path: AGI routes call this once Asterisk has its answer."""
        self._background.start(self.record(facts, correctable), "Recording call facts failed")

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
        await self._background.drain()

    async def on_ami_event(self, event: AmiEvent) -> None:
        if isinstance(event, QueueCallerJoined | QueueCallerAbandoned | AgentConnected | AgentCompleted):
            await self._on_queue_event(event)
            return
        if not isinstance(event, ChannelCreated | ChannelAnswered | ChannelHungUp | ChannelHangupRequested):
            return
        # Only the first channel of a call (uniqueid == linkedid) describes the caller's call.
        if event.uniqueid != event.linkedid or not event.linkedid:
            return
        with call_scope(event.linkedid):
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
            elif isinstance(event, ChannelHangupRequested):
                if event.cause:
                    self._requested_causes[event.linkedid] = event.cause
            elif isinstance(event, ChannelHungUp):
                # A caller's BYE while the channel is in the dialplan ends with cause 0; the request
                # before it carried the real one. A dialplan Hangup(cause) reports its own cause here.
                requested = self._requested_causes.pop(event.linkedid, 0)
                cause = event.cause or requested
                hangup = CallFacts(
                    linkedid=event.linkedid,
                    ended_at=event.timestamp,
                    hangup_cause=cause,
                    hangup_cause_text=(event.cause_text if event.cause else "") or hangup_cause_text(cause),
                )
                if await self._complete(hangup):
                    log.info("Call ended: cause %s (%s)", hangup.hangup_cause, hangup.hangup_cause_text)

    async def _on_queue_event(
        self, event: QueueCallerJoined | QueueCallerAbandoned | AgentConnected | AgentCompleted
    ) -> None:
        with call_scope(event.linkedid):
            if isinstance(event, QueueCallerJoined):
                # The queue is corrected on overflow; the first join time stays, so waits are whole.
                await self._complete(
                    CallFacts(linkedid=event.linkedid, queue=event.queue, queue_joined_at=event.timestamp),
                    frozenset({"queue"}),
                )
                return
            record = await self._store.get(event.linkedid)
            joined = record.queue_joined_at if record is not None else None
            waited = (event.timestamp - joined).total_seconds() if joined and event.timestamp else None
            if isinstance(event, QueueCallerAbandoned):
                # Asterisk also reports a caller who left by timeout (overflow) or by the callback key as
                # abandoned: "abandoned" only fills an empty outcome; answered or callback correct it.
                await self._complete(
                    CallFacts(
                        linkedid=event.linkedid,
                        wait_seconds=waited if waited is not None else float(event.hold_seconds),
                        outcome=OUTCOME_ABANDONED,
                    )
                )
                log.info("Caller left %s unanswered after %.0f s", event.queue, waited or event.hold_seconds)
            elif isinstance(event, AgentConnected):
                await self._complete(
                    CallFacts(
                        linkedid=event.linkedid,
                        agent_id=event.member_name,
                        agent_answered_at=event.timestamp,
                        wait_seconds=waited if waited is not None else float(event.hold_seconds),
                        outcome=OUTCOME_ANSWERED,
                    ),
                    frozenset({"outcome", "wait_seconds"}),
                )
                log.info("Agent %s answered after %.0f s", event.member_name, waited or event.hold_seconds)
            else:
                await self._complete(
                    CallFacts(linkedid=event.linkedid, talk_seconds=float(event.talk_seconds))
                )

    async def _complete(self, facts: CallFacts, correctable: frozenset[str] = frozenset()) -> bool:
        """Complete a call already recorded; facts about channels that are not calls are dropped."""
        try:
            record = await self._store.update_existing(facts, correctable)
        except Exception:
            await self.record(facts, correctable)  # spooled: the store decides when it is back
            return True
        await self._publish(record)
        return record is not None

    async def list_calls(self, caller_number: str | None, limit: int, offset: int) -> list[StoredCall]:
        """Calls newest first, of one caller or of all."""
        return await self._store.list(caller_number=caller_number, limit=limit, offset=offset)

    async def get_call(self, linkedid: str) -> StoredCall | None:
        return await self._store.get(linkedid)

    async def _publish(self, record: StoredCall | None) -> None:
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

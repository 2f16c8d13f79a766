"""The hotline as it is now, for the supervisors' wallboard: callers waiting, agents and their callers,
transfers to experts under way, and today's figures.

Built from AMI events by every instance (each has its own AMI link and hears the same events), kept in
Redis with every change and published there, so that any instance serves any browser; a browser that
connects starts from what Redis kept. After an AMI (re)connect the waiting callers are taken from Asterisk
(QueueStatus) and the agents are rebuilt by the agent service, so nothing stale remains.

The AMI reader never waits for a browser: an event only marks what changed, and a task publishes at
most every ``publish_delay`` seconds; figures are recomputed from the store at most once a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from callcenter.clock import Clock
from callcenter.encoding import json_default
from callcenter.hotline import PROVINCE_QUEUE, HotlineConfig, queue_name
from callcenter.services.agents import AgentService, AgentSnapshot
from callcenter.services.calls import CallService
from callcenter.services.statistics import Report, StatisticsService
from callcenter.tasks import BackgroundTasks, Coalesced, Periodic
from callcenter.telephony.ami import actions
from callcenter.telephony.ami.client import AmiClient
from callcenter.telephony.ami.events import (
    AgentCompleted,
    AgentConnected,
    AgentOffered,
    AgentOfferEnded,
    AmiEvent,
    ChannelAnswered,
    ChannelCreated,
    ChannelHungUp,
    QueueCallerAbandoned,
    QueueCallerJoined,
    QueueCallerLeft,
    QueueMemberChanged,
)
from callcenter.telephony.dialplan import TRUNK_ENDPOINT

log = logging.getLogger(__name__)

LIVE_CHANNEL = "live"
LIVE_KEY = "live:state"
FIGURES_KEY = "live:figures"
# A browser that reads too slowly loses the oldest messages, never holds up the others.
CLIENT_BACKLOG = 64


class LiveBus(Protocol):
    async def keep_and_publish(self, key: str, channel: str, payload: dict[str, Any]) -> None: ...

    async def kept(self, key: str) -> dict[str, Any] | None: ...

    def listen(self, channel: str) -> AsyncIterator[dict[str, Any]]: ...


class LegsUnderWay(Protocol):
    async def legs_under_way(self) -> list[tuple[Any, str]]: ...


@dataclass(frozen=True)
class WaitingCaller:
    linkedid: str
    queue: str
    queue_name: str
    caller_number: str | None
    prefecture: str | None
    language: str | None
    joined_at: datetime
    position: int


@dataclass(frozen=True)
class AlertThresholds:
    answer_rate_below: float
    service_level_below: float
    wait_above_seconds: int
    overdue_above: int


def agent_entry(snapshot: AgentSnapshot, since: datetime | None) -> dict[str, Any]:
    call = snapshot.call
    return {
        "id": snapshot.agent_id,
        "name": snapshot.name,
        "status": snapshot.status.value,
        "paused_reason": snapshot.paused_reason,
        "interface": snapshot.interface.value if snapshot.interface else None,
        "wrapup_until": snapshot.wrapup_until,
        "since": since,
        "queues": [member.queue for member in snapshot.members],
        "call": None
        if call is None
        else {
            "linkedid": call.linkedid,
            "phase": call.phase.value,
            "caller_number": call.caller_number,
            "prefecture": call.prefecture,
            "queue": call.queue,
            "connected_at": call.connected_at,
        },
    }


class LiveBoard:
    def __init__(
        self,
        hotline: HotlineConfig,
        agents: AgentService,
        calls: CallService,
        transfers: LegsUnderWay,
        statistics: StatisticsService,
        report_public: Callable[[Report], Mapping[str, Any]],
        bus: LiveBus,
        ami: AmiClient,
        clock: Clock,
        alerts: AlertThresholds,
        publish_delay: float = 0.02,
        figures_interval: float = 30.0,
    ) -> None:
        self._agents = agents
        self._calls = calls
        self._transfers = transfers
        self._statistics = statistics
        self._report_public = report_public
        self._bus = bus
        self._ami = ami
        self._clock = clock
        self._alerts = alerts
        labels = {p.code: p.name for p in hotline.region.prefectures}
        labels[PROVINCE_QUEUE] = hotline.region.province_queue_name
        self._queue_names = {queue_name(code): label for code, label in labels.items()}
        self.waiting: dict[str, WaitingCaller] = {}
        # When each agent entered their present state, for "time in state" on the wall.
        self._since: dict[str, tuple[str, datetime]] = {}
        self._last_transfers: list[dict[str, Any]] = []
        self._stopping = False
        self._background = BackgroundTasks()
        # Events come in bursts (a call is half a dozen of them): one message for the burst.
        self._live = Coalesced(
            self.publish_live, publish_delay, self._background, "The wallboard's live state was not published"
        )
        self._figures = Coalesced(
            self.publish_figures, 1.0, self._background, "The wallboard's figures were not published"
        )
        self._recheck = Coalesced(
            self._recheck_transfers, 1.0, self._background, "Expert legs could not be looked at again"
        )
        self._clients: set[asyncio.Queue[dict[str, Any]]] = set()
        self._fanout: asyncio.Task[None] | None = None
        self._periodic = Periodic("wallboard figures", self.publish_figures, figures_interval)

    # -- lifecycle --------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._fanout = asyncio.create_task(self._forward_from_redis(), name="wallboard fanout")
        await self._periodic.start(wait_for_first=False)

    async def stop(self) -> None:
        self._stopping = True
        await self._periodic.stop()
        if self._fanout is not None:
            self._fanout.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._fanout
        await self._background.drain()

    # -- from Asterisk ----------------------------------------------------------------------------------

    async def on_ami_event(self, event: AmiEvent) -> None:
        if isinstance(event, QueueCallerJoined):
            self._background.start(self._caller_joined(event), "A waiting caller could not be shown")
            return
        if isinstance(event, QueueCallerLeft | QueueCallerAbandoned | AgentConnected):
            left = self.waiting.pop(event.linkedid, None) is not None
            if left or isinstance(event, AgentConnected):
                self._live.request()
            if not isinstance(event, QueueCallerLeft):
                self._figures.request()
        elif isinstance(event, QueueMemberChanged | AgentOffered | AgentOfferEnded | AgentCompleted):
            self._live.request()
            if isinstance(event, AgentCompleted):
                self._figures.request()
        elif isinstance(event, ChannelCreated | ChannelAnswered | ChannelHungUp):
            if event.channel.startswith(f"PJSIP/{TRUNK_ENDPOINT}-") or event.channel.startswith(
                "PJSIP/agent-"
            ):
                self._live.request()
            if isinstance(event, ChannelHungUp):
                self._figures.request()

    async def _waiting_caller(
        self, linkedid: str, queue: str, caller_number: str, joined_at: datetime, position: int
    ) -> WaitingCaller:
        """A caller in a queue, with what the call record knows of them."""
        record = await self._calls.get_call(linkedid)
        return WaitingCaller(
            linkedid=linkedid,
            queue=queue,
            queue_name=self._queue_names.get(queue, queue),
            caller_number=caller_number or getattr(record, "caller_number", None),
            prefecture=getattr(record, "prefecture", None),
            language=getattr(record, "language", None),
            joined_at=joined_at,
            position=position,
        )

    async def _caller_joined(self, event: QueueCallerJoined) -> None:
        self.waiting[event.linkedid] = await self._waiting_caller(
            event.linkedid,
            event.queue,
            event.caller_number,
            event.timestamp or self._clock.now(),
            event.position,
        )
        self._live.request()

    async def resynchronise(self) -> None:
        """After an AMI (re)connect: the callers waiting now, as Asterisk lists them."""
        entries = await actions.queue_entries(self._ami)
        now = self._clock.now()
        found: dict[str, WaitingCaller] = {}
        for entry in entries:
            linkedid = entry.get("Linkedid") or entry.get("Uniqueid") or ""
            if not linkedid:
                continue
            found[linkedid] = await self._waiting_caller(
                linkedid,
                entry.get("Queue", ""),
                entry.get("CallerIDNum", ""),
                now - timedelta(seconds=int(entry.get("Wait") or 0)),
                int(entry.get("Position") or 0),
            )
        self.waiting = found
        log.info("Wallboard resynchronised from Asterisk: %s caller(s) waiting", len(found))
        self._live.request()
        self._figures.request()

    # -- publishing -------------------------------------------------------------------------------------

    async def live_state(self) -> dict[str, Any]:
        now = self._clock.now()
        agents = []
        for snapshot in self._agents.snapshots():
            status = snapshot.status.value
            previous = self._since.get(snapshot.agent_id)
            if previous is None or previous[0] != status:
                self._since[snapshot.agent_id] = (status, now)
            agents.append(agent_entry(snapshot, self._since[snapshot.agent_id][1]))
        transfers = await self._transfer_entries()
        waiting = sorted(self.waiting.values(), key=lambda caller: caller.joined_at)
        return {
            "type": "live",
            "at": now,
            "waiting": [asdict(caller) for caller in waiting],
            "agents": agents,
            "transfers": transfers,
            "alerts_config": asdict(self._alerts),
            "queues": self._queue_names,
        }

    async def _transfer_entries(self) -> list[dict[str, Any]]:
        return [
            {
                "linkedid": leg.linkedid,
                "expert_id": leg.expert_id,
                "expert_name": name,
                "phone": leg.phone,
                "state": "talking" if leg.answered_at else "ringing",
                "since": leg.answered_at or leg.ring_at or leg.offered_at,
            }
            for leg, name in await self._transfers.legs_under_way()
        ]

    async def publish_live(self) -> None:
        state = await self.live_state()
        await self._bus.keep_and_publish(LIVE_KEY, LIVE_CHANNEL, state)
        self._last_transfers = state["transfers"]
        if state["transfers"] and not self._stopping:
            # An expert's acceptance (a key pressed) raises no AMI event: legs under way are looked at
            # again every second until none is left.
            self._recheck.request()

    async def _recheck_transfers(self) -> None:
        if self._stopping:
            return
        if (await self._transfer_entries()) != self._last_transfers:
            self._live.request()
        elif self._last_transfers:
            self._recheck.request()

    async def figures_message(self) -> dict[str, Any]:
        start, end = self._statistics.day()
        report = await self._statistics.report(start, end)
        return {"type": "figures", "figures": dict(self._report_public(report))}

    async def publish_figures(self) -> None:
        await self._bus.keep_and_publish(FIGURES_KEY, LIVE_CHANNEL, await self.figures_message())

    # -- to the browsers --------------------------------------------------------------------------------

    async def _forward_from_redis(self) -> None:
        """One subscription per instance, however many browsers: each gets its own bounded queue."""
        async for message in self._bus.listen(LIVE_CHANNEL):
            for client in list(self._clients):
                if client.full():
                    with contextlib.suppress(asyncio.QueueEmpty):
                        client.get_nowait()
                client.put_nowait(message)

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """What a browser gets: the state kept in Redis (or this instance's own, when Redis has none),
        then every message published from now on."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(CLIENT_BACKLOG)
        self._clients.add(queue)
        try:
            live = await self._bus.kept(LIVE_KEY) or await self._json_ready(self.live_state)
            figures = await self._bus.kept(FIGURES_KEY) or await self._json_ready(self.figures_message)
            yield live
            yield figures
            while True:
                yield await queue.get()
        finally:
            self._clients.discard(queue)

    @staticmethod
    async def _json_ready(make: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        return dict(json.loads(json.dumps(await make(), default=json_default)))

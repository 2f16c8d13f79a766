"""Triage agents: queue membership and pauses driven through AMI, their state as Asterisk reports it,
and which caller each one has, pushed to whoever listens (the agent's console)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from callcenter.errors import CallCenterError, NotFoundError
from callcenter.hotline import HotlineConfig, agent_endpoint, agent_web_endpoint, queue_name
from callcenter.services.calls import CallService
from callcenter.telephony.ami import actions
from callcenter.telephony.ami.client import AmiActionError, AmiClient
from callcenter.telephony.ami.events import (
    AgentCompleted,
    AgentConnected,
    AgentOffered,
    AgentOfferEnded,
    AmiEvent,
    ChannelHungUp,
    QueueCallerAbandoned,
    QueueMemberChanged,
)

log = logging.getLogger(__name__)


class AgentStateError(CallCenterError):
    code = "agent-state-conflict"
    http_status = 409


class AgentInterface(StrEnum):
    """The phone an agent takes calls on: a SIP phone on the desk or the console's browser softphone."""

    SIP = "sip"
    WEBRTC = "webrtc"

    def endpoint(self, agent_id: str) -> str:
        return agent_web_endpoint(agent_id) if self is AgentInterface.WEBRTC else agent_endpoint(agent_id)

    @classmethod
    def of_location(cls, location: str) -> AgentInterface:
        """Which phone a queue member's interface (PJSIP/agent-1001-web) is."""
        return cls.WEBRTC if location.endswith("-web") else cls.SIP


class AgentStatus(StrEnum):
    LOGGED_OUT = "logged-out"
    READY = "ready"
    PAUSED = "paused"
    WRAP_UP = "wrap-up"
    RINGING = "ringing"
    ON_CALL = "on-call"


class CallPhase(StrEnum):
    RINGING = "ringing"
    CONNECTED = "connected"


@dataclass(frozen=True)
class MemberState:
    queue: str
    paused: bool
    paused_reason: str
    status: int
    in_call: bool


@dataclass(frozen=True)
class AgentCall:
    linkedid: str
    caller_number: str | None
    prefecture: str | None
    caller_place: str | None
    language: str | None
    queue: str
    waited_seconds: float | None
    connected_at: datetime | None
    caller_channel: str = ""
    agent_channel: str = ""
    phase: CallPhase = CallPhase.CONNECTED
    offered_at: datetime | None = None


@dataclass
class AgentState:
    agent_id: str
    name: str
    members: dict[str, MemberState] = field(default_factory=dict)
    call: AgentCall | None = None
    interface: AgentInterface | None = None
    # Asterisk offers no call during the queues' wrapuptime after a call; the console counts it down.
    wrapup_until: datetime | None = None

    @property
    def logged_in(self) -> bool:
        return bool(self.members)

    @property
    def paused(self) -> bool:
        return bool(self.members) and all(member.paused for member in self.members.values())

    @property
    def paused_reason(self) -> str:
        return next((m.paused_reason for m in self.members.values() if m.paused), "")

    def status(self, now: datetime) -> AgentStatus:
        if not self.logged_in:
            return AgentStatus.LOGGED_OUT
        if self.call is not None:
            return AgentStatus.RINGING if self.call.phase is CallPhase.RINGING else AgentStatus.ON_CALL
        if self.paused:
            return AgentStatus.PAUSED
        if self.wrapup_until is not None and now < self.wrapup_until:
            return AgentStatus.WRAP_UP
        return AgentStatus.READY


@dataclass(frozen=True)
class AgentSnapshot:
    """One agent as the console shows it, at one instant."""

    agent_id: str
    name: str
    status: AgentStatus
    logged_in: bool
    paused: bool
    paused_reason: str
    interface: AgentInterface | None
    wrapup_until: datetime | None
    members: tuple[MemberState, ...]
    call: AgentCall | None


class AgentService:
    def __init__(
        self,
        hotline: HotlineConfig,
        ami: AmiClient,
        calls: CallService,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._hotline = hotline
        self._ami = ami
        self._calls = calls
        # The app's clock (main passes Clock.now), like Asterisk's event stamps: wrap-up ends and times in
        # state are shown against the server's time, never the browser's.
        self._now = now
        self._wrapup = timedelta(seconds=hotline.queues.wrapup_seconds)
        self._states = {agent.id: AgentState(agent.id, agent.name) for agent in hotline.agents}
        self._listeners: dict[str, set[asyncio.Queue[AgentSnapshot]]] = {}
        self._wrapup_timers: dict[str, asyncio.TimerHandle] = {}

    def state(self, agent_id: str) -> AgentState:
        state = self._states.get(agent_id)
        if state is None:
            raise NotFoundError("No such agent", details={"agent_id": agent_id})
        return state

    def states(self) -> list[AgentState]:
        return list(self._states.values())

    def snapshot(self, agent_id: str) -> AgentSnapshot:
        state = self.state(agent_id)
        return AgentSnapshot(
            agent_id=state.agent_id,
            name=state.name,
            status=state.status(self._now()),
            logged_in=state.logged_in,
            paused=state.paused,
            paused_reason=state.paused_reason,
            interface=state.interface if state.logged_in else None,
            wrapup_until=state.wrapup_until,
            members=tuple(state.members.values()),
            call=state.call,
        )

    def snapshots(self) -> list[AgentSnapshot]:
        return [self.snapshot(agent_id) for agent_id in self._states]

    async def login(self, agent_id: str, interface: AgentInterface = AgentInterface.SIP) -> AgentSnapshot:
        config = self._hotline.agent(agent_id)
        state = self.state(agent_id)
        assert config is not None
        if state.logged_in and state.interface is not None and state.interface is not interface:
            # Another phone of the same agent: Asterisk must not ring both.
            await self.logout(agent_id)
            state.members.clear()
        location = f"PJSIP/{interface.endpoint(agent_id)}"
        for code in config.queues:
            try:
                await actions.queue_add(self._ami, queue_name(code), location, agent_id)
            except AmiActionError as error:
                # Already a member (a second login, or a restart of the app): nothing to change.
                if "already" not in error.message.lower():
                    raise
            # Asterisk said yes: a member now, before its QueueMemberAdded event arrives (a "ready"
            # right after the login must not find the agent logged out).
            state.members.setdefault(queue_name(code), MemberState(queue_name(code), False, "", 0, False))
        state.interface = interface
        log.info("Agent %s logged in to %s on %s", agent_id, ", ".join(config.queues), interface.value)
        self._notify(state)
        return self.snapshot(agent_id)

    async def logout(self, agent_id: str) -> AgentSnapshot:
        config = self._hotline.agent(agent_id)
        state = self.state(agent_id)
        assert config is not None
        location = f"PJSIP/{(state.interface or AgentInterface.SIP).endpoint(agent_id)}"
        for code in config.queues:
            with contextlib.suppress(AmiActionError):  # not a member of that queue: already out
                await actions.queue_remove(self._ami, queue_name(code), location)
        log.info("Agent %s logged out", agent_id)
        return self.snapshot(agent_id)

    async def pause(self, agent_id: str, paused: bool, reason: str = "") -> AgentSnapshot:
        state = self.state(agent_id)
        if not state.logged_in:
            raise AgentStateError("The agent is not logged in to any queue", details={"agent_id": agent_id})
        location = f"PJSIP/{(state.interface or AgentInterface.SIP).endpoint(agent_id)}"
        await actions.queue_pause(self._ami, location, paused, reason)
        log.info("Agent %s %s%s", agent_id, "paused" if paused else "ready", f" ({reason})" if reason else "")
        return self.snapshot(agent_id)

    async def resynchronise(self) -> None:
        """After an AMI (re)connect: membership as Asterisk has it now, nothing remembered from before."""
        members = await actions.queue_status(self._ami)
        for state in self._states.values():
            state.members.clear()
        for member in members:
            await self.on_ami_event(
                QueueMemberChanged(
                    queue=member.get("Queue", ""),
                    member_name=member.get("Name", "") or member.get("MemberName", ""),
                    interface=member.get("Location", "") or member.get("Interface", ""),
                    paused=member.get("Paused") == "1",
                    paused_reason=member.get("PausedReason", ""),
                    status=int(member.get("Status") or 0),
                    in_call=member.get("InCall") == "1",
                    removed=False,
                    timestamp=None,
                )
            )
        for state in self._states.values():
            self._notify(state)

    async def on_ami_event(self, event: AmiEvent) -> None:
        if isinstance(event, QueueMemberChanged):
            self._on_member(event)
        elif isinstance(event, AgentOffered):
            state = self._states.get(event.member_name)
            if state is not None and (state.call is None or state.call.linkedid != event.linkedid):
                state.call = await self._agent_call(event, CallPhase.RINGING)
                self._notify(state)
        elif isinstance(event, AgentConnected):
            state = self._states.get(event.member_name)
            if state is None:
                return
            call = await self._agent_call(event, CallPhase.CONNECTED)
            if state.call is not None and state.call.linkedid == event.linkedid:
                call = replace(call, offered_at=state.call.offered_at)
            state.call = call
            self._notify(state)
        elif isinstance(event, (AgentOfferEnded, AgentCompleted)):
            self._release(event.member_name, event.linkedid)
        elif isinstance(event, QueueCallerAbandoned):
            for state in self._states.values():
                self._release(state.agent_id, event.linkedid)
        elif isinstance(event, ChannelHungUp):
            for state in self._states.values():
                current = state.call
                if current is None or current.linkedid != event.linkedid:
                    continue
                # Other channels of the call (an expert's phone, a consultation) come and go while
                # the agent keeps the caller.
                own = {name for name in (current.agent_channel, current.caller_channel) if name}
                if not own or event.channel in own:
                    self._release(state.agent_id, event.linkedid)

    def _on_member(self, event: QueueMemberChanged) -> None:
        state = self._states.get(event.member_name)
        if state is None:
            return
        if event.removed:
            state.members.pop(event.queue, None)
        else:
            state.members[event.queue] = MemberState(
                event.queue, event.paused, event.paused_reason, event.status, event.in_call
            )
            if event.interface:
                state.interface = AgentInterface.of_location(event.interface)
        self._notify(state)

    async def _agent_call(self, event: AgentOffered | AgentConnected, phase: CallPhase) -> AgentCall:
        record = await self._calls.get_call(event.linkedid)
        waited = None
        if record is not None and record.queue_joined_at is not None and event.timestamp is not None:
            waited = (event.timestamp - record.queue_joined_at).total_seconds()
        if waited is None and isinstance(event, AgentConnected):
            waited = float(event.hold_seconds)
        connected = phase is CallPhase.CONNECTED
        return AgentCall(
            linkedid=event.linkedid,
            caller_number=event.caller_number or getattr(record, "caller_number", None),
            prefecture=getattr(record, "prefecture", None),
            caller_place=getattr(record, "caller_place", None),
            language=getattr(record, "language", None),
            queue=event.queue,
            waited_seconds=waited,
            connected_at=event.timestamp if connected else None,
            caller_channel=event.caller_channel,
            agent_channel=event.agent_channel,
            phase=phase,
            offered_at=None if connected else event.timestamp,
        )

    def _release(self, agent_id: str, linkedid: str) -> None:
        state = self._states.get(agent_id)
        if state is None or state.call is None or state.call.linkedid != linkedid:
            return
        if state.call.phase is CallPhase.CONNECTED and self._wrapup:
            state.wrapup_until = self._now() + self._wrapup
            # The console learns when wrap-up is over without asking.
            previous = self._wrapup_timers.pop(agent_id, None)
            if previous is not None:
                previous.cancel()
            self._wrapup_timers[agent_id] = asyncio.get_running_loop().call_later(
                self._wrapup.total_seconds(), self._notify, state
            )
        state.call = None
        self._notify(state)

    def _notify(self, state: AgentState) -> None:
        listeners = self._listeners.get(state.agent_id)
        if not listeners:
            return
        snapshot = self.snapshot(state.agent_id)
        for listener in listeners:
            listener.put_nowait(snapshot)

    @contextlib.asynccontextmanager
    async def listen(self, agent_id: str) -> AsyncIterator[asyncio.Queue[AgentSnapshot]]:
        """The agent as now, then after every change, for as long as the listener stays."""
        queue: asyncio.Queue[AgentSnapshot] = asyncio.Queue()
        queue.put_nowait(self.snapshot(agent_id))
        self._listeners.setdefault(agent_id, set()).add(queue)
        try:
            yield queue
        finally:
            self._listeners[agent_id].discard(queue)

    def close(self) -> None:
        for timer in self._wrapup_timers.values():
            timer.cancel()
        self._wrapup_timers.clear()

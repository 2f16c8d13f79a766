"""Triage agents: queue membership and pauses driven through AMI, their state as Asterisk reports it,
and which caller each one has, pushed to whoever listens (the agent's console)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import datetime

from callcenter.errors import CallCenterError, NotFoundError
from callcenter.hotline import HotlineConfig, agent_endpoint, queue_name
from callcenter.services.calls import CallService
from callcenter.telephony.ami import actions
from callcenter.telephony.ami.client import AmiActionError, AmiClient
from callcenter.telephony.ami.events import (
    AgentCompleted,
    AgentConnected,
    AmiEvent,
    ChannelHungUp,
    QueueMemberChanged,
)

log = logging.getLogger(__name__)


class AgentStateError(CallCenterError):
    code = "agent-state-conflict"
    http_status = 409


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


@dataclass
class AgentState:
    agent_id: str
    name: str
    members: dict[str, MemberState] = field(default_factory=dict)
    call: AgentCall | None = None

    @property
    def logged_in(self) -> bool:
        return bool(self.members)

    @property
    def paused(self) -> bool:
        return bool(self.members) and all(member.paused for member in self.members.values())

    @property
    def paused_reason(self) -> str:
        return next((m.paused_reason for m in self.members.values() if m.paused), "")


class AgentService:
    def __init__(self, hotline: HotlineConfig, ami: AmiClient, calls: CallService) -> None:
        self._hotline = hotline
        self._ami = ami
        self._calls = calls
        self._states = {agent.id: AgentState(agent.id, agent.name) for agent in hotline.agents}
        self._listeners: dict[str, set[asyncio.Queue[AgentCall | None]]] = {}

    def state(self, agent_id: str) -> AgentState:
        state = self._states.get(agent_id)
        if state is None:
            raise NotFoundError("No such agent", details={"agent_id": agent_id})
        return state

    def states(self) -> list[AgentState]:
        return list(self._states.values())

    async def login(self, agent_id: str) -> AgentState:
        config = self._hotline.agent(agent_id)
        state = self.state(agent_id)
        assert config is not None
        interface = f"PJSIP/{agent_endpoint(agent_id)}"
        for code in config.queues:
            try:
                await actions.queue_add(self._ami, queue_name(code), interface, agent_id)
            except AmiActionError as error:
                # Already a member (a second login, or a restart of the app): nothing to change.
                if "already" not in error.message.lower():
                    raise
            # Asterisk said yes: a member now, before its QueueMemberAdded event arrives (a "ready"
            # right after the login must not find the agent logged out).
            state.members.setdefault(queue_name(code), MemberState(queue_name(code), False, "", 0, False))
        log.info("Agent %s logged in to %s", agent_id, ", ".join(config.queues))
        return state

    async def logout(self, agent_id: str) -> AgentState:
        config = self._hotline.agent(agent_id)
        state = self.state(agent_id)
        assert config is not None
        interface = f"PJSIP/{agent_endpoint(agent_id)}"
        for code in config.queues:
            with contextlib.suppress(AmiActionError):  # not a member of that queue: already out
                await actions.queue_remove(self._ami, queue_name(code), interface)
        log.info("Agent %s logged out", agent_id)
        return state

    async def pause(self, agent_id: str, paused: bool, reason: str = "") -> AgentState:
        state = self.state(agent_id)
        if not state.logged_in:
            raise AgentStateError("The agent is not logged in to any queue", details={"agent_id": agent_id})
        await actions.queue_pause(self._ami, f"PJSIP/{agent_endpoint(agent_id)}", paused, reason)
        log.info("Agent %s %s%s", agent_id, "paused" if paused else "ready", f" ({reason})" if reason else "")
        return state

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

    async def on_ami_event(self, event: AmiEvent) -> None:
        if isinstance(event, QueueMemberChanged):
            state = self._states.get(event.member_name)
            if state is None:
                return
            if event.removed:
                state.members.pop(event.queue, None)
            else:
                state.members[event.queue] = MemberState(
                    event.queue, event.paused, event.paused_reason, event.status, event.in_call
                )
        elif isinstance(event, AgentConnected):
            state = self._states.get(event.member_name)
            if state is None:
                return
            record = await self._calls.get_call(event.linkedid)
            waited = None
            if record is not None and record.queue_joined_at is not None and event.timestamp is not None:
                waited = (event.timestamp - record.queue_joined_at).total_seconds()
            state.call = AgentCall(
                linkedid=event.linkedid,
                caller_number=event.caller_number or getattr(record, "caller_number", None),
                prefecture=getattr(record, "prefecture", None),
                caller_place=getattr(record, "caller_place", None),
                language=getattr(record, "language", None),
                queue=event.queue,
                waited_seconds=waited if waited is not None else float(event.hold_seconds),
                connected_at=event.timestamp,
                caller_channel=event.caller_channel,
                agent_channel=event.agent_channel,
            )
            self._notify(state)
        elif isinstance(event, AgentCompleted):
            self._release(event.member_name, event.linkedid)
        elif isinstance(event, ChannelHungUp):
            for state in self._states.values():
                call = state.call
                if call is None or call.linkedid != event.linkedid:
                    continue
                # Other channels of the call (an expert's phone, a consultation) come and go while
                # the agent keeps the caller.
                own = {name for name in (call.agent_channel, call.caller_channel) if name}
                if not own or event.channel in own:
                    self._release(state.agent_id, event.linkedid)

    def _release(self, agent_id: str, linkedid: str) -> None:
        state = self._states.get(agent_id)
        if state is not None and state.call is not None and state.call.linkedid == linkedid:
            state.call = None
            self._notify(state)

    def _notify(self, state: AgentState) -> None:
        for listener in self._listeners.get(state.agent_id, ()):
            listener.put_nowait(replace(state.call) if state.call else None)

    @contextlib.asynccontextmanager
    async def listen(self, agent_id: str) -> AsyncIterator[asyncio.Queue[AgentCall | None]]:
        """The agent's current call, then every change, for as long as the listener stays."""
        state = self.state(agent_id)
        queue: asyncio.Queue[AgentCall | None] = asyncio.Queue()
        queue.put_nowait(state.call)
        self._listeners.setdefault(agent_id, set()).add(queue)
        try:
            yield queue
        finally:
            self._listeners[agent_id].discard(queue)

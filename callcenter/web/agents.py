"""Triage agents and their calls: queue membership and pauses, the agent's live socket, call records.

Agents act for themselves; supervisors and administrators for any agent. Call records carry callers'
numbers, so only staff who may see them in full read them.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependencies' Annotated metadata.
import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Query, WebSocket

from callcenter.domain.access import (
    AGENT_MANAGERS,
    FULL_PHONE_ROLES,
    Auditor,
    Principal,
    require_acting_for_agent,
)
from callcenter.errors import NotFoundError
from callcenter.services.agents import AgentInterface, AgentService, AgentSnapshot
from callcenter.services.calls import CallService
from callcenter.web.access import Access
from callcenter.web.schemas import (
    AgentCallEnvelope,
    AgentCallPublic,
    AgentLoginRequest,
    AgentPublic,
    CallPublic,
    PauseRequest,
    QueueMembershipPublic,
)
from callcenter.web.sockets import push_until_closed


def agent_public(snapshot: AgentSnapshot) -> AgentPublic:
    return AgentPublic(
        id=snapshot.agent_id,
        name=snapshot.name,
        status=snapshot.status.value,
        logged_in=snapshot.logged_in,
        paused=snapshot.paused,
        paused_reason=snapshot.paused_reason,
        interface=snapshot.interface.value if snapshot.interface else None,
        wrapup_until=snapshot.wrapup_until,
        queues=[QueueMembershipPublic(**member.__dict__) for member in snapshot.members],
    )


def agent_envelope(snapshot: AgentSnapshot) -> AgentCallEnvelope:
    call = snapshot.call
    public = None
    if call is not None:
        public = AgentCallPublic(
            linkedid=call.linkedid,
            phase=call.phase.value,
            caller_number=call.caller_number,
            prefecture=call.prefecture,
            caller_place=call.caller_place,
            language=call.language,
            queue=call.queue,
            waited_seconds=call.waited_seconds,
            offered_at=call.offered_at,
            connected_at=call.connected_at,
        )
    return AgentCallEnvelope(agent_id=snapshot.agent_id, agent=agent_public(snapshot), call=public)


# The socket's two kinds of message: the agent and their caller, and a change of a transfer they started.
AGENT_MESSAGE = "agent"


class TransferPushSource(Protocol):
    def listen(self, agent_id: str) -> contextlib.AbstractAsyncContextManager[asyncio.Queue[dict[str, Any]]]:
        """Pushes ``{"type": "transfer", ...}`` for the agent's transfers, from now on."""


def agent_message(snapshot: AgentSnapshot) -> dict[str, Any]:
    return {"type": AGENT_MESSAGE, **agent_envelope(snapshot).model_dump(mode="json")}


async def _merged(
    *sources: tuple[asyncio.Queue[Any], Callable[[Any], dict[str, Any]]],
) -> AsyncIterator[dict[str, Any]]:
    """The messages of every source (a queue, and how its items become messages), as each comes."""
    getters = {asyncio.ensure_future(queue.get()): (queue, message) for queue, message in sources}
    try:
        while True:
            done, _waiting = await asyncio.wait(getters, return_when=asyncio.FIRST_COMPLETED)
            for getter in done:
                source = getters.pop(getter)
                getters[asyncio.ensure_future(source[0].get())] = source
                yield source[1](getter.result())
    finally:
        for getter in getters:
            getter.cancel()


def agents_router(
    calls: CallService,
    agents: AgentService,
    access: Access,
    audit: Auditor,
    transfer_pushes: TransferPushSource | None = None,
) -> APIRouter:
    router = APIRouter()
    Manager = Annotated[Principal, Depends(access.require_roles(*AGENT_MANAGERS))]
    CallReader = Annotated[Principal, Depends(access.require_roles(*FULL_PHONE_ROLES))]

    async def acting_agent(agent_id: str, principal: Annotated[Principal, Depends(access.principal)]) -> str:
        require_acting_for_agent(principal, agent_id)
        agents.state(agent_id)  # 404 for an agent the configuration does not have
        return agent_id

    ActingFor = Annotated[str, Depends(acting_agent)]

    async def changing_agent(
        agent_id: str, principal: Annotated[Principal, Depends(access.principal)]
    ) -> str:
        """Like acting_agent; a supervisor's or administrator's change of someone's state is audited."""
        await acting_agent(agent_id, principal)
        if principal.agent_id != agent_id:
            await audit.record(principal, "agent-state", "agent", agent_id, ["queues"])
        return agent_id

    ChangingFor = Annotated[str, Depends(changing_agent)]

    @router.get("/api/calls", response_model=list[CallPublic], tags=["calls"])
    async def list_calls(
        _principal: CallReader,
        caller: Annotated[str | None, Query(max_length=64, description="the caller's number")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> list[CallPublic]:
        """Call records, newest first."""
        records = await calls.list_calls(caller, limit, offset)
        return [CallPublic.model_validate(record) for record in records]

    @router.get("/api/calls/{linkedid}", response_model=CallPublic, tags=["calls"])
    async def get_call(_principal: CallReader, linkedid: str) -> CallPublic:
        record = await calls.get_call(linkedid)
        if record is None:
            raise NotFoundError("No such call", details={"linkedid": linkedid})
        return CallPublic.model_validate(record)

    @router.get("/api/agents", response_model=list[AgentPublic], tags=["agents"])
    async def list_agents(_principal: Manager) -> list[AgentPublic]:
        """Triage agents, their state and queue membership, as Asterisk reports them."""
        return [agent_public(snapshot) for snapshot in agents.snapshots()]

    @router.get("/api/agents/{agent_id}", response_model=AgentPublic, tags=["agents"])
    async def get_agent(agent_id: ActingFor) -> AgentPublic:
        return agent_public(agents.snapshot(agent_id))

    @router.post("/api/agents/{agent_id}/login", response_model=AgentPublic, tags=["agents"])
    async def login_agent(agent_id: ChangingFor, body: AgentLoginRequest | None = None) -> AgentPublic:
        """Join every queue the agent serves (AMI QueueAdd) on the chosen phone; the state follows
        Asterisk's events."""
        interface = AgentInterface(body.interface) if body else AgentInterface.SIP
        return agent_public(await agents.login(agent_id, interface))

    @router.post("/api/agents/{agent_id}/logout", response_model=AgentPublic, tags=["agents"])
    async def logout_agent(agent_id: ChangingFor) -> AgentPublic:
        return agent_public(await agents.logout(agent_id))

    @router.post("/api/agents/{agent_id}/pause", response_model=AgentPublic, tags=["agents"])
    async def pause_agent(agent_id: ChangingFor, body: PauseRequest) -> AgentPublic:
        return agent_public(await agents.pause(agent_id, True, body.reason))

    @router.post("/api/agents/{agent_id}/ready", response_model=AgentPublic, tags=["agents"])
    async def ready_agent(agent_id: ChangingFor) -> AgentPublic:
        return agent_public(await agents.pause(agent_id, False))

    @router.get("/api/agents/{agent_id}/call", response_model=AgentCallEnvelope, tags=["agents"])
    async def agent_call(agent_id: ActingFor) -> AgentCallEnvelope:
        """The agent now, and the caller ringing or talking to them (null when none)."""
        return agent_envelope(agents.snapshot(agent_id))

    @router.websocket("/ws/agents/{agent_id}")
    async def agent_socket(websocket: WebSocket, agent_id: str, token: str = "") -> None:
        """Pushes the agent's state and caller now and at every change (``"type": "agent"``), and every
        change of a transfer the agent started (``"type": "transfer"``: linkedid, attempt, and the body
        of GET /api/calls/{linkedid}/transfer). Token: the agent's own, or a supervisor's. Closes with
        4401 without a valid token, 4403 for someone else's agent."""

        def permitted(principal: Principal) -> None:
            require_acting_for_agent(principal, agent_id)
            agents.state(agent_id)

        if await access.accepted_principal(websocket, token, permitted) is None:
            return

        async def messages() -> AsyncIterator[dict[str, Any]]:
            async with contextlib.AsyncExitStack() as stack:
                updates = await stack.enter_async_context(agents.listen(agent_id))
                sources: list[tuple[asyncio.Queue[Any], Callable[[Any], dict[str, Any]]]] = [
                    (updates, agent_message)
                ]
                if transfer_pushes is not None:
                    pushes = await stack.enter_async_context(transfer_pushes.listen(agent_id))
                    sources.append((pushes, dict))
                async for message in _merged(*sources):
                    yield message

        await push_until_closed(websocket, messages())

    return router

"""The FastAPI application, built by the composition root with the services it serves."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, WebSocket
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from callcenter.errors import CallCenterError, NotFoundError
from callcenter.services.agents import AgentCall, AgentService, AgentState
from callcenter.services.calls import CallService
from callcenter.web.schemas import (
    AgentCallEnvelope,
    AgentCallPublic,
    AgentPublic,
    CallPublic,
    ErrorPublic,
    HealthPublic,
    PauseRequest,
    QueueMembershipPublic,
)
from callcenter.web.sockets import push_until_closed

log = logging.getLogger(__name__)

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorPublic},
    422: {"model": ErrorPublic},
    503: {"model": ErrorPublic},
}


@dataclass(frozen=True)
class HealthChecks:
    database: Callable[[], Awaitable[bool]]
    redis: Callable[[], Awaitable[bool]]
    ami: Callable[[], bool]
    fastagi: Callable[[], bool]


def _error_response(status: int, code: str, message: str, details: dict[str, object]) -> JSONResponse:
    body = ErrorPublic(code=code, message=message, details=jsonable_encoder(details))
    return JSONResponse(status_code=status, content=body.model_dump())


def agent_call_envelope(agent_id: str, call: AgentCall | None) -> AgentCallEnvelope:
    public = AgentCallPublic.model_validate(call, from_attributes=True) if call else None
    return AgentCallEnvelope(agent_id=agent_id, call=public)


def agent_public(state: AgentState) -> AgentPublic:
    return AgentPublic(
        id=state.agent_id,
        name=state.name,
        logged_in=state.logged_in,
        paused=state.paused,
        paused_reason=state.paused_reason,
        queues=[QueueMembershipPublic(**member.__dict__) for member in state.members.values()],
    )


def create_app(
    calls: CallService,
    agents: AgentService,
    health: HealthChecks,
    routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """The HTTP API; features that grow their own folder bring their own router."""
    app = FastAPI(title="12348 hotline call centre", version="0.1.0", responses=ERROR_RESPONSES)
    for router in routers:
        app.include_router(router)

    @app.exception_handler(CallCenterError)
    async def domain_error(_request: Request, error: CallCenterError) -> JSONResponse:
        if error.http_status >= 500:
            log.error("%s: %s %s", error.code, error.message, error.details)
        return _error_response(error.http_status, error.code, error.message, error.details)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        return _error_response(
            422, "invalid-request", "The request is not valid", {"errors": list(error.errors())}
        )

    @app.get("/api/calls", response_model=list[CallPublic], tags=["calls"])
    async def list_calls(
        caller: Annotated[str | None, Query(max_length=64, description="the caller's number")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> list[CallPublic]:
        """Call records, newest first."""
        records = await calls.list_calls(caller, limit, offset)
        return [CallPublic.model_validate(record) for record in records]

    @app.get("/api/calls/{linkedid}", response_model=CallPublic, tags=["calls"])
    async def get_call(linkedid: str) -> CallPublic:
        record = await calls.get_call(linkedid)
        if record is None:
            raise NotFoundError("No such call", details={"linkedid": linkedid})
        return CallPublic.model_validate(record)

    @app.get("/api/agents", response_model=list[AgentPublic], tags=["agents"])
    async def list_agents() -> list[AgentPublic]:
        """Triage agents and their queue membership, as Asterisk reports it."""
        return [agent_public(state) for state in agents.states()]

    @app.get("/api/agents/{agent_id}", response_model=AgentPublic, tags=["agents"])
    async def get_agent(agent_id: str) -> AgentPublic:
        return agent_public(agents.state(agent_id))

    @app.post("/api/agents/{agent_id}/login", response_model=AgentPublic, tags=["agents"])
    async def login_agent(agent_id: str) -> AgentPublic:
        """Join every queue the agent serves (AMI QueueAdd); the state follows Asterisk's events."""
        return agent_public(await agents.login(agent_id))

    @app.post("/api/agents/{agent_id}/logout", response_model=AgentPublic, tags=["agents"])
    async def logout_agent(agent_id: str) -> AgentPublic:
        return agent_public(await agents.logout(agent_id))

    @app.post("/api/agents/{agent_id}/pause", response_model=AgentPublic, tags=["agents"])
    async def pause_agent(agent_id: str, body: PauseRequest) -> AgentPublic:
        return agent_public(await agents.pause(agent_id, True, body.reason))

    @app.post("/api/agents/{agent_id}/ready", response_model=AgentPublic, tags=["agents"])
    async def ready_agent(agent_id: str) -> AgentPublic:
        return agent_public(await agents.pause(agent_id, False))

    @app.get("/api/agents/{agent_id}/call", response_model=AgentCallEnvelope, tags=["agents"])
    async def agent_call(agent_id: str) -> AgentCallEnvelope:
        """The caller this agent is talking to now (null when none)."""
        return agent_call_envelope(agent_id, agents.state(agent_id).call)

    @app.websocket("/ws/agents/{agent_id}")
    async def agent_socket(websocket: WebSocket, agent_id: str) -> None:
        """Pushes {"agent_id", "call"} now and whenever the agent's caller changes."""
        agents.state(agent_id)
        await websocket.accept()

        async def envelopes() -> AsyncIterator[dict[str, Any]]:
            async with agents.listen(agent_id) as updates:
                while True:
                    call = await updates.get()
                    yield agent_call_envelope(agent_id, call).model_dump(mode="json")

        await push_until_closed(websocket, envelopes())

    @app.get("/api/health", response_model=HealthPublic, tags=["health"])
    async def get_health() -> HealthPublic:
        return HealthPublic(
            database=await health.database(),
            redis=await health.redis(),
            ami=health.ami(),
            fastagi=health.fastagi(),
        )

    return app

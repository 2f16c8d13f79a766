"""The hotline's figures for supervisors (today so far, a chosen day, a chosen period), the live
wallboard's socket, and listening to, whispering to or barging into agents' calls."""

# No ``from __future__ import annotations``: FastAPI must see the dependencies' Annotated metadata.
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, WebSocket
from pydantic import BaseModel, ConfigDict, Field

from callcenter.domain.access import Principal, Role, require_role
from callcenter.services.live import LiveBoard
from callcenter.services.statistics import InvalidPeriodError, Report, StatisticsService
from callcenter.services.supervision import SpyMode, SupervisionService
from callcenter.web.access import Access
from callcenter.web.schemas import ErrorPublic
from callcenter.web.sockets import push_until_closed


class FiguresPublic(BaseModel):
    offered: int = Field(description="calls that reached a triage queue")
    answered: int
    abandoned: int
    short_abandoned: int = Field(description="abandoned within the short-abandon threshold")
    callbacks_requested: int
    answered_within_target: int
    answer_rate: float | None = Field(
        description="answered / (offered - short abandons - callbacks requested); null without calls"
    )
    service_level: float | None = Field(description="answered within the target / the same denominator")
    average_wait_seconds: float | None
    longest_wait_seconds: float | None
    average_talk_seconds: float | None
    transfers: int
    transfers_accepted: int
    transfer_accepted_share: float | None
    rated: int
    satisfied: int
    satisfaction_share: float | None


class OrderFiguresPublic(BaseModel):
    overdue: int
    near_due: int = Field(description="open, unanswered, due before the end of the next working day")
    callbacks_pending: int


class ThresholdsPublic(BaseModel):
    service_level_seconds: float
    short_abandon_seconds: float


class ReportPublic(BaseModel):
    start: datetime
    end: datetime
    thresholds: ThresholdsPublic
    total: FiguresPublic
    by_queue: dict[str, FiguresPublic]
    by_prefecture: dict[str, FiguresPublic]
    by_agent: dict[str, FiguresPublic]
    by_expert: dict[str, FiguresPublic]
    by_hour: dict[str, FiguresPublic] = Field(description="by local hour of the call's start, '00'-'23'")
    orders: OrderFiguresPublic


def report_public(report: Report, service: StatisticsService) -> ReportPublic:
    return ReportPublic.model_validate({**asdict(report), "thresholds": asdict(service.thresholds)})


def statistics_router(service: StatisticsService, access: Access) -> APIRouter:
    router = APIRouter(tags=["statistics"])
    Supervisor = Annotated[Principal, Depends(access.require_roles(Role.SUPERVISOR, Role.ADMIN))]

    @router.get(
        "/api/statistics",
        response_model=ReportPublic,
        responses={401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}},
    )
    async def statistics(
        _principal: Supervisor,
        day: Annotated[date | None, Query(description="a local day; today (so far) by default")] = None,
        start: Annotated[
            datetime | None, Query(description="with end: a period, instants with a zone")
        ] = None,
        end: Annotated[datetime | None, Query()] = None,
    ) -> ReportPublic:
        """The figures, as the wallboard and the reports define them (callcenter.domain.statistics)."""
        if (start is None) != (end is None) or (start is not None and day is not None):
            raise InvalidPeriodError("Give a day, or a start and an end", details={})
        if start is None or end is None:
            start, end = service.day(day)
        return report_public(await service.report(start, end), service)

    return router


class SpyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(pattern=r"^[0-9]{3,8}$")
    mode: SpyMode
    phone: str = Field(pattern=r"^[0-9]{3,8}$", description="the supervisor's phone (hotline configuration)")


class ExpertSpyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    linkedid: str = Field(min_length=1, max_length=64, description="the call transferred to the expert")
    mode: SpyMode
    phone: str = Field(pattern=r"^[0-9]{3,8}$", description="the supervisor's phone (hotline configuration)")


class SpyPublic(BaseModel):
    agent_id: str
    mode: SpyMode
    phone: str


def wallboard_router(board: LiveBoard, supervision: SupervisionService, access: Access) -> APIRouter:
    router = APIRouter(tags=["wallboard"])
    Supervisor = Annotated[Principal, Depends(access.require_roles(Role.SUPERVISOR, Role.ADMIN))]

    @router.post(
        "/api/supervision/calls",
        response_model=SpyPublic,
        status_code=202,
        responses={401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}, 409: {"model": ErrorPublic}},
    )
    async def spy(body: SpyRequest, principal: Supervisor) -> SpyPublic:
        """Ring the supervisor's phone and, when answered, listen to, whisper to (the agent only) or barge
        into the agent's call. Audited."""
        await supervision.spy(principal, body.agent_id, body.mode, body.phone)
        return SpyPublic(agent_id=body.agent_id, mode=body.mode, phone=body.phone)

    @router.post(
        "/api/supervision/expert-calls",
        response_model=ExpertSpyRequest,
        status_code=202,
        responses={401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}, 409: {"model": ErrorPublic}},
    )
    async def spy_on_expert(body: ExpertSpyRequest, principal: Supervisor) -> ExpertSpyRequest:
        """The same on a call an expert has taken: a whisper reaches the expert only. Audited."""
        await supervision.spy_on_expert(principal, body.linkedid, body.mode, body.phone)
        return body

    @router.websocket("/ws/wallboard")
    async def wallboard_socket(websocket: WebSocket, token: str = "") -> None:
        """The live state and today's figures now, then at every change (token: a supervisor's)."""
        supervisors = (Role.SUPERVISOR, Role.ADMIN)
        if await access.accepted_principal(websocket, token, lambda p: require_role(p, supervisors)) is None:
            return
        await push_until_closed(websocket, board.messages())

    return router

"""The hotline's figures for supervisors: today so far, a chosen day, or a chosen period."""

# No ``from __future__ import annotations``: FastAPI must see the dependencies' Annotated metadata.
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from callcenter.domain.access import Principal, Role
from callcenter.services.statistics import InvalidPeriodError, Report, StatisticsService
from callcenter.web.access import Access
from callcenter.web.schemas import ErrorPublic


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

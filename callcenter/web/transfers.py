"""The agent's console talks to these: classification, transfer to an expert, and what became of it."""

# No ``from __future__ import annotations``: FastAPI must see the dependencies' Annotated metadata.
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from callcenter.domain.access import FULL_PHONE_ROLES, Principal, Role, require_acting_for_agent
from callcenter.domain.transfers import (
    MAX_NAME_LENGTH,
    MAX_NOTES_LENGTH,
    CallType,
    Classification,
    LegOutcome,
    RatingStatus,
    RecordingStatus,
    TransferMode,
    TransferStatus,
    Urgency,
)
from callcenter.hotline import HotlineConfig
from callcenter.services.transfers import Transfers
from callcenter.services.transfers.views import TransferView
from callcenter.web.access import Access
from callcenter.web.schemas import CallPublic

_ID = r"^[0-9]{3,8}$"


class ClassificationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(pattern=_ID, description="the triage agent classifying the call")
    call_type: CallType
    category: str = Field(min_length=1, max_length=32, description="a category code from GET /api/categories")
    urgency: Urgency = Urgency.NORMAL
    caller_name: str = Field(default="", max_length=MAX_NAME_LENGTH)
    notes: str = Field(default="", max_length=MAX_NOTES_LENGTH)


class TransferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(pattern=_ID)
    mode: TransferMode = TransferMode.BLIND
    expert_id: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]+$",
        description="omit for the next available expert of the category",
    )


class AgentAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(pattern=_ID)


class TransferPublic(BaseModel):
    linkedid: str
    mode: TransferMode
    expert_id: str | None
    attempt: int = Field(description="this transfer's number among the call's transfers: 1, 2, ...")


class CategoryPublic(BaseModel):
    code: str
    name: str


class AvailableExpertPublic(BaseModel):
    id: str
    name: str
    kind: str
    organisation: str
    available: bool = Field(default=True, description="false: on duty but busy (ringing or at their limit)")


class LegPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    leg: int
    attempt: int = Field(description="the call's transfer this leg belongs to")
    mode: TransferMode
    agent_id: str | None
    expert_id: str
    phone: str
    offered_at: datetime
    ring_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: LegOutcome | None


class RecordingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    leg: int
    path: str
    status: RecordingStatus
    started_at: datetime
    ended_at: datetime | None
    size_bytes: int | None
    duration_seconds: float | None
    sha256: str | None


class RatingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    status: RatingStatus
    digit: str | None
    code: str | None
    dissatisfied: bool
    expert_id: str | None
    agent_id: str | None
    work_order_id: int | None
    source: str
    rated_at: datetime


class CallTransferPublic(BaseModel):
    call: CallPublic
    attempt: int = Field(description="the call's latest transfer: 1, 2, ...; 0 for a call never transferred")
    status: TransferStatus | None = Field(description="the latest transfer's status")
    legs: list[LegPublic]
    recordings: list[RecordingPublic]
    rating: RatingPublic | None


def transfer_public(view: TransferView) -> CallTransferPublic:
    return CallTransferPublic(
        call=CallPublic.model_validate(view.call),
        attempt=view.attempt,
        status=view.status,
        legs=[LegPublic.model_validate(leg) for leg in view.legs],
        recordings=[RecordingPublic.model_validate(recording) for recording in view.recordings],
        rating=RatingPublic.model_validate(view.rating) if view.rating is not None else None,
    )


def transfer_json(view: TransferView) -> dict[str, Any]:
    """The body of GET /api/calls/{linkedid}/transfer, as every push to the agent's socket carries it."""
    return transfer_public(view).model_dump(mode="json")


def transfers_router(transfers: Transfers, hotline: HotlineConfig, access: Access) -> APIRouter:
    router = APIRouter(tags=["transfers"])
    Anyone = Annotated[Principal, Depends(access.principal)]
    CallReader = Annotated[Principal, Depends(access.require_roles(*FULL_PHONE_ROLES))]
    admin = [Depends(access.require_roles(Role.ADMIN))]

    @router.get("/api/categories", response_model=list[CategoryPublic])
    async def list_categories() -> list[CategoryPublic]:
        """The consultation categories an agent ticks (configuration)."""
        return [CategoryPublic(code=c.code, name=c.name) for c in hotline.categories]

    @router.get("/api/available-experts", response_model=list[AvailableExpertPublic])
    async def available_experts(
        _principal: Anyone,
        category: Annotated[str, Query(min_length=1, max_length=32)],
        prefecture: Annotated[str | None, Query(max_length=32)] = None,
        include_busy: Annotated[bool, Query(description="also those on duty but busy now")] = False,
    ) -> list[AvailableExpertPublic]:
        """Who can take a call of this category from this prefecture now, in the order they would be
        tried (then, with include_busy, who is on duty but busy)."""
        on_duty = await transfers.choice.on_duty(category, prefecture)
        return [
            AvailableExpertPublic(
                id=e.id, name=e.name, kind=e.kind.value, organisation=e.organisation, available=free
            )
            for e, free in on_duty
            if free or include_busy
        ]

    @router.post("/api/calls/{linkedid}/classification", response_model=CallPublic)
    async def classify(linkedid: str, body: ClassificationCreate, principal: Anyone) -> CallPublic:
        """Record who is calling and tick the category; the call's work order follows."""
        require_acting_for_agent(principal, body.agent_id)
        call = await transfers.classification.classify(
            linkedid,
            Classification(body.call_type, body.category, body.urgency, body.caller_name, body.notes),
            body.agent_id,
        )
        return CallPublic.model_validate(call)

    @router.post("/api/calls/{linkedid}/transfer", response_model=TransferPublic, status_code=202)
    async def transfer(linkedid: str, body: TransferCreate, principal: Anyone) -> TransferPublic:
        """Blind: the caller goes to the expert's phone and the agent is free. Attended: the agent talks to
        the expert first, then completes or cancels."""
        require_acting_for_agent(principal, body.agent_id)
        started = await transfers.console.start(linkedid, body.agent_id, body.mode, body.expert_id)
        return TransferPublic(
            linkedid=started.linkedid, mode=started.mode, expert_id=started.expert_id, attempt=started.attempt
        )

    @router.post("/api/calls/{linkedid}/transfer/complete", status_code=204)
    async def complete(linkedid: str, body: AgentAction, principal: Anyone) -> None:
        require_acting_for_agent(principal, body.agent_id)
        await transfers.console.complete(linkedid, body.agent_id)

    @router.post("/api/calls/{linkedid}/transfer/cancel", status_code=204)
    async def cancel(linkedid: str, body: AgentAction, principal: Anyone) -> None:
        require_acting_for_agent(principal, body.agent_id)
        await transfers.console.cancel(linkedid, body.agent_id)

    @router.get("/api/calls/{linkedid}/transfer", response_model=CallTransferPublic)
    async def transfer_state(linkedid: str, _principal: CallReader) -> CallTransferPublic:
        """The call's latest transfer (attempt and status), every expert leg (ring, answer, end,
        outcome) with its attempt, the recordings and the rating. Pushed to the agent's socket too."""
        return transfer_public(await transfers.views.view(linkedid))

    @router.get("/api/calls/{linkedid}/recordings/{leg}", dependencies=admin)
    async def recording_file(linkedid: str, leg: Annotated[int, Path(ge=1, le=1000)]) -> FileResponse:
        """The recorded leg as WAV (administrators, until recordings by role come)."""
        return FileResponse(await transfers.recordings.finished_file(linkedid, leg), media_type="audio/wav")

    return router

"""Pydantic schemas of the API, split Create/Update/Public as the resources grow."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from callcenter.domain.experts import ExpertKind


class ErrorPublic(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class CallPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    linkedid: str
    # The caller's Asterisk channel (PJSIP/...): where Asterisk's own log tells what the call did.
    channel: str | None = None
    caller_number: str | None
    dialed_number: str | None
    started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    hangup_cause: int | None
    hangup_cause_text: str | None
    entry_route: str | None
    next_step: str | None
    language: str | None
    prefecture: str | None
    caller_place: str | None
    queue: str | None
    queue_joined_at: datetime | None
    agent_id: str | None
    agent_answered_at: datetime | None
    wait_seconds: float | None
    talk_seconds: float | None
    outcome: str | None
    call_type: str | None = None
    category: str | None = None
    urgency: str | None = None
    caller_name: str | None = None
    notes: str | None = None
    classified_by: str | None = None
    classified_at: datetime | None = None
    transfer_mode: str | None = None
    transfer_agent_id: str | None = None
    transfer_status: str | None = None
    expert_id: str | None = None
    needs_callback: bool = False


class HealthPublic(BaseModel):
    database: bool
    redis: bool
    ami: bool
    fastagi: bool


class QueueMembershipPublic(BaseModel):
    queue: str
    paused: bool
    paused_reason: str
    status: int
    in_call: bool


class AgentCallPublic(BaseModel):
    linkedid: str
    phase: Literal["ringing", "connected"]
    caller_number: str | None
    prefecture: str | None
    caller_place: str | None
    language: str | None
    queue: str
    waited_seconds: float | None
    offered_at: datetime | None
    connected_at: datetime | None


class AgentPublic(BaseModel):
    id: str
    name: str
    status: Literal["logged-out", "ready", "paused", "wrap-up", "ringing", "on-call"]
    logged_in: bool
    paused: bool
    paused_reason: str
    interface: Literal["sip", "webrtc"] | None = Field(description="the phone the agent takes calls on")
    wrapup_until: datetime | None = Field(description="no call is offered before this, after the last one")
    queues: list[QueueMembershipPublic]


class AgentCallEnvelope(BaseModel):
    """What the agent's socket pushes: the agent now and their caller (ringing or connected)."""

    agent_id: str
    agent: AgentPublic
    call: AgentCallPublic | None


class AgentLoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interface: Literal["sip", "webrtc"] = Field(
        default="sip", description="sip: the desk phone; webrtc: the console's browser softphone"
    )


class PauseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=64, description="why the agent pauses, e.g. 午休, 培训")


# -- experts and the duty roster -------------------------------------------------------------------------


class _ExpertFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    kind: ExpertKind
    organisation: str = Field(min_length=1, max_length=128)
    phones: list[str] = Field(
        min_length=1,
        max_length=10,
        description="dialling order, first tried first: 11-digit mobiles or landlines with their area code",
        examples=[["13900000001", "09911234567"]],
    )
    categories: list[str] = Field(min_length=1, description="consultation category codes of the hotline")
    prefectures: list[str] = Field(default=[], description="prefecture codes; empty: the whole province")
    max_concurrent_calls: int = Field(default=1, ge=1, le=50)


class ExpertCreate(_ExpertFields):
    id: str = Field(pattern=r"^[a-z0-9-]+$", max_length=32)


class ExpertUpdate(_ExpertFields):
    version: int = Field(
        ge=1,
        le=2**31 - 1,
        description="the version the change is based on (409 stale-version if not current)",
    )
    active: bool | None = Field(default=None, description="true reactivates, false deactivates, null keeps")


class ExpertPublic(BaseModel):
    id: str
    name: str
    kind: ExpertKind
    organisation: str
    phones: list[str]
    categories: list[str]
    prefectures: list[str]
    max_concurrent_calls: int
    active: bool
    version: int


class RosterEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: str = Field(
        pattern=r"^([0-9]{4}-[0-9]{2}-[0-9]{2}|mon|tue|wed|thu|fri|sat|sun|working-days)$",
        description="a date (YYYY-MM-DD), a weekday (mon..sun) or working-days (statutory working days)",
    )
    start: str = Field(pattern=r"^[0-9]{2}:[0-9]{2}$", examples=["08:00"])
    end: str = Field(
        pattern=r"^[0-9]{2}:[0-9]{2}$",
        description="at or before start: the shift ends the next day",
        examples=["20:00"],
    )


class RosterEntryPublic(BaseModel):
    expert_id: str
    when: str
    start: str
    end: str


class ImportResult(BaseModel):
    imported: int

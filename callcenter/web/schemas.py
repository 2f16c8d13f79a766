"""Pydantic schemas of the API, split Create/Update/Public as the resources grow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorPublic(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class CallPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    linkedid: str
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
    caller_number: str | None
    prefecture: str | None
    caller_place: str | None
    language: str | None
    queue: str
    waited_seconds: float | None
    connected_at: datetime | None


class AgentPublic(BaseModel):
    id: str
    name: str
    logged_in: bool
    paused: bool
    paused_reason: str
    queues: list[QueueMembershipPublic]


class AgentCallEnvelope(BaseModel):
    agent_id: str
    call: AgentCallPublic | None


class PauseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=64, description="why the agent pauses, e.g. 午休, 培训")


class WorkOrderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    channel: str
    order_type: str
    status: str
    caller_number: str | None
    prefecture: str | None
    language: str | None
    linkedid: str | None
    recording_path: str | None
    recording_seconds: float | None
    wait_seconds: float | None
    description: str | None
    callback_due_at: datetime | None
    created_at: datetime

"""Pydantic schemas of the API, split Create/Update/Public as the resources grow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


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


class HealthPublic(BaseModel):
    database: bool
    redis: bool
    ami: bool
    fastagi: bool

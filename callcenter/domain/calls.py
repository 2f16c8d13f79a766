"""What is known about a call, however it arrived (FastAGI, AMI events, or the fallback spool)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Final

ENTRY_ROUTE_APP: Final = "app"
ENTRY_ROUTE_FALLBACK: Final = "fallback"

# ITU-T Q.850 causes as Asterisk reports them; used when only the number is known (the fallback spool).
HANGUP_CAUSES: Final[dict[int, str]] = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    3: "No route to destination",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    27: "Destination out of order",
    28: "Invalid number format",
    31: "Normal, unspecified",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    41: "Temporary failure",
    42: "Switching equipment congestion",
    127: "Interworking, unspecified",
}


def hangup_cause_text(cause: int) -> str:
    return HANGUP_CAUSES.get(cause, f"Cause {cause}")


@dataclass(frozen=True)
class CallFacts:
    """Facts about one call; None means "not known from this source", never "empty"."""

    linkedid: str
    uniqueid: str | None = None
    channel: str | None = None
    caller_number: str | None = None
    dialed_number: str | None = None
    started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    hangup_cause: int | None = None
    hangup_cause_text: str | None = None
    entry_route: str | None = None
    next_step: str | None = None
    language: str | None = None
    prefecture: str | None = None
    caller_place: str | None = None
    queue: str | None = None
    queue_joined_at: datetime | None = None
    agent_id: str | None = None
    agent_answered_at: datetime | None = None
    wait_seconds: float | None = None
    talk_seconds: float | None = None
    outcome: str | None = None

    def known(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True, slots=True)
class StoredCall:
    """A call as the store keeps it: the facts of every source, the agent's classification, the transfer."""

    id: int
    linkedid: str
    uniqueid: str | None
    # The caller's Asterisk channel (PJSIP/...).
    channel: str | None
    caller_number: str | None
    dialed_number: str | None
    started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    hangup_cause: int | None
    hangup_cause_text: str | None
    # How the call entered: ENTRY_ROUTE_APP or ENTRY_ROUTE_FALLBACK.
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
    # One of the OUTCOME_ values.
    outcome: str | None
    # What the triage agent ticked.
    call_type: str | None
    category: str | None
    urgency: str | None
    caller_name: str | None
    notes: str | None
    classified_by: str | None
    classified_at: datetime | None
    # The transfer to an expert.
    transfer_mode: str | None
    transfer_agent_id: str | None
    transfer_requested_expert: str | None
    transfer_requested_at: datetime | None
    transfer_status: str | None
    # The call's transfers are numbered 1, 2, ...; 0 for a call never transferred.
    transfer_attempt: int
    expert_id: str | None
    needs_callback: bool
    created_at: datetime
    updated_at: datetime


# Which facts a later source may correct; for every other fact the first source to know it wins.
CORRECTABLE_FACTS: Final = frozenset({"entry_route", "next_step", "language", "queue", "outcome"})

OUTCOME_ANSWERED: Final = "answered"
OUTCOME_ABANDONED: Final = "abandoned"
OUTCOME_CALLBACK: Final = "callback"
OUTCOME_MESSAGE: Final = "message"
OUTCOME_NO_MESSAGE: Final = "no-message"


def epoch_to_datetime(value: str | float | None) -> datetime | None:
    """Asterisk epoch seconds (``STRFTIME(,,%s.%3q)``, AMI ``Timestamp``) to aware UTC; junk gives None."""
    if value is None or value == "":
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds <= 0:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def normalise_number(value: str | None) -> str | None:
    """A caller number as Asterisk gives it; withheld or absent numbers become None."""
    if value is None:
        return None
    value = value.strip()
    if value == "" or value.lower() in {"unknown", "anonymous", "<unknown>", "restricted"}:
        return None
    return value

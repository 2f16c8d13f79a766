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

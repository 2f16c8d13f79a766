"""Transferring a caller to a back-end expert, and the caller's rating afterwards. Pure decisions only:
what the agent classified, which expert (and which of their numbers) is dialled next, what a finished
leg means, and what a key pressed at the rating prompt means.

A *leg* is one attempt to reach one expert's number. In a blind transfer the application hunts: the
expert the agent chose (or the fairest available one) first, then the next available, up to
``max_tries`` legs; an expert whose number was busy or unreachable gets their next number before
anyone else. Nobody accepting ends in the configured fallback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from callcenter.domain.experts import Expert
from callcenter.errors import CallCenterError

MAX_NAME_LENGTH: Final = 64
MAX_NOTES_LENGTH: Final = 2000


class CallType(StrEnum):
    """Every call is registered as one of these (002 hotline art. 8)."""

    CONSULTATION = "consultation"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class TransferMode(StrEnum):
    BLIND = "blind"
    ATTENDED = "attended"


class LegOutcome(StrEnum):
    ACCEPTED = "accepted"
    # Answered but nobody pressed 1: a mobile's voicemail, or an expert who declined.
    NOT_CONFIRMED = "not-confirmed"
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    UNREACHABLE = "unreachable"
    # The caller hung up while the expert's phone rang or the expert listened to the whisper.
    CALLER_HUNG_UP = "caller-hung-up"
    # An attended transfer the agent called off, or an expert who hung up on the agent.
    CANCELLED = "cancelled"


class TransferStep(StrEnum):
    """What the caller's channel does next, in the dialplan's cc-transfer context (step-<value>)."""

    DIAL = "dial"
    RATE = "rate"
    QUEUE = "queue"
    CALLBACK = "callback"
    HANG_UP = "hangup"


class Fallback(StrEnum):
    QUEUE = "queue"
    CALLBACK = "callback"


class TransferError(CallCenterError):
    code = "transfer-invalid"
    http_status = 409


# Outcomes after which the same expert's next number is worth a try: their phone never rang for them.
_TRY_NEXT_NUMBER: Final = frozenset({LegOutcome.BUSY, LegOutcome.UNREACHABLE})


@dataclass(frozen=True)
class Classification:
    call_type: CallType
    category: str
    urgency: Urgency = Urgency.NORMAL
    caller_name: str = ""
    notes: str = ""


def leg_outcome(dial_status: str, accepted: bool) -> LegOutcome:
    """What Dial()'s DIALSTATUS and the confirm step together mean.

    DIALSTATUS alone cannot say "accepted": when the confirm routine aborts (nobody pressed 1), Asterisk
    hangs up the expert's leg but still reports ANSWER.
    """
    if accepted:
        return LegOutcome.ACCEPTED
    status = dial_status.strip().upper()
    if status == "ANSWER":
        return LegOutcome.NOT_CONFIRMED
    if status == "BUSY":
        return LegOutcome.BUSY
    if status in ("CHANUNAVAIL", "CONGESTION", "INVALIDARGS"):
        return LegOutcome.UNREACHABLE
    if status == "CANCEL":
        return LegOutcome.CALLER_HUNG_UP
    return LegOutcome.NO_ANSWER


@dataclass(frozen=True)
class Leg:
    number: int
    expert_id: str
    phone: str
    outcome: LegOutcome | None = None


@dataclass(frozen=True)
class Attempt:
    expert: Expert
    phone: str


def next_attempt(
    legs: Sequence[Leg],
    available: Sequence[Expert],
    max_tries: int,
    requested: Expert | None = None,
) -> Attempt | None:
    """The next number to dial in a blind transfer, or None when the fallback's turn has come.

    ``available`` is who can take the call now, fairest first (``available_experts``); ``requested`` is
    the expert the agent chose, dialled first even when the roster would pick someone else (the agent
    knows the caller). An expert already tried in this transfer is not rung again, except on their next
    number after a busy or unreachable one.
    """
    if len(legs) >= max_tries:
        return None
    if not legs:
        first = requested or (available[0] if available else None)
        return Attempt(first, first.phones[0]) if first is not None else None
    last = legs[-1]
    if last.outcome in _TRY_NEXT_NUMBER:
        same = requested if requested is not None and requested.id == last.expert_id else None
        same = same or next((e for e in available if e.id == last.expert_id), None)
        if same is not None:
            dialled = {leg.phone for leg in legs if leg.expert_id == same.id}
            remaining = [phone for phone in same.phones if phone not in dialled]
            if remaining:
                return Attempt(same, remaining[0])
    tried = {leg.expert_id for leg in legs}
    for expert in available:
        if expert.id not in tried:
            return Attempt(expert, expert.phones[0])
    return None


@dataclass(frozen=True)
class RatingOptionChoice:
    digit: str
    code: str
    dissatisfied: bool


class RatingVerdict(StrEnum):
    STORED = "stored"
    RETRY = "retry"
    # No (valid) key after the last hearing: "no rating", never a guess.
    NONE = "none"


@dataclass(frozen=True)
class RatingDecision:
    verdict: RatingVerdict
    option: RatingOptionChoice | None = None


def decide_rating(
    scale: Iterable[RatingOptionChoice], digit: str, attempt: int, attempts: int
) -> RatingDecision:
    """A valid key is stored; a missing or invalid one is asked again until the hearings run out."""
    option = next((choice for choice in scale if choice.digit == digit.strip()), None)
    if option is not None:
        return RatingDecision(RatingVerdict.STORED, option)
    if attempt < attempts:
        return RatingDecision(RatingVerdict.RETRY)
    return RatingDecision(RatingVerdict.NONE)

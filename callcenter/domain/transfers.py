"""Transferring a caller to a back-end expert, and the caller's rating afterwards. Pure decisions only:
what the agent classified, how the transfer's status may change, which expert (and which of their
numbers) is dialled next, what a finished leg means, and what a key pressed at the rating prompt means.

A call's transfers are numbered: *attempt* 1, 2, ... (an agent may transfer again a caller who came back
from a failed one). Every change of an attempt's status is one row of ``TRANSITIONS``, checked by
``decide``. A *leg* is one try to reach one expert's number, within one attempt. In a blind transfer
the application hunts: the expert the agent chose (or the fairest available one) first, then the next
available, up to ``max_tries`` legs; an expert whose number was busy or unreachable gets their next
number before anyone else. Nobody accepting ends in the configured fallback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
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


class TransferStatus(StrEnum):
    """The call's transfer attempt (``calls.transfer_status``); a call never transferred has none."""

    IN_PROGRESS = "in-progress"
    ACCEPTED = "accepted"
    # An attended transfer called off: by the agent, or by the expert hanging up on the consultation.
    CANCELLED = "cancelled"
    # The start failed (Asterisk refused or was unreachable), or an attended one's expert never answered.
    FAILED = "failed"
    # The caller hung up before any expert accepted.
    CALLER_HUNG_UP = "caller-hung-up"
    # Nobody accepted: back to the triage queue, ahead of new callers ...
    QUEUE = "queue"
    # ... or a callback work order ([transfer] fallback).
    CALLBACK = "callback"


class TransferEvent(StrEnum):
    """What happens to an attempt; ``TRANSITIONS`` says in which status it may, and what follows."""

    # The agent starts a new attempt (blind or attended).
    START = "start"
    # An expert accepted: pressed 1, or was talking when the caller's side ended.
    ACCEPT = "accept"
    # The agent completes an attended transfer: the caller joins the expert.
    COMPLETE = "complete"
    CANCEL = "cancel"
    FAIL = "fail"
    CALLER_LEFT = "caller-left"
    FALL_BACK_TO_QUEUE = "fall-back-to-queue"
    FALL_BACK_TO_CALLBACK = "fall-back-to-callback"


class Fallback(StrEnum):
    """Where the caller goes when nobody accepted ([transfer] fallback); the attempt ends in the status
    of the same name."""

    QUEUE = TransferStatus.QUEUE.value
    CALLBACK = TransferStatus.CALLBACK.value

    @property
    def event(self) -> TransferEvent:
        return (
            TransferEvent.FALL_BACK_TO_QUEUE
            if self is Fallback.QUEUE
            else TransferEvent.FALL_BACK_TO_CALLBACK
        )


class RecordingStatus(StrEnum):
    RECORDING = "recording"
    COMPLETE = "complete"
    # Asterisk wrote nothing usable.
    MISSING = "missing"


class RatingStatus(StrEnum):
    RATED = "rated"
    # The caller gave none (hung up, or no valid key after the last hearing).
    NONE = "none"


class TransferError(CallCenterError):
    code = "transfer-invalid"
    http_status = 409


class IllegalTransferChangeError(TransferError):
    """The event does not exist in the attempt's status (``TRANSITIONS``), or concerns an earlier attempt.
    Same code as every refused transfer: the console shows the message."""


@dataclass(frozen=True)
class TransferState:
    """Where the call's transfers stand: the latest attempt's number (0: never transferred) and status."""

    status: TransferStatus | None = None
    attempt: int = 0


@dataclass(frozen=True)
class TransferRequest:
    """What the agent asked for when starting an attempt."""

    mode: TransferMode
    agent_id: str
    expert_id: str | None
    at: datetime


NO_ATTENDED_TRANSFER: Final = "No attended transfer of this call is under way"

_S = TransferStatus
_E = TransferEvent
# Every status but "in progress": a call whose last attempt is over may be transferred again.
_OVER: Final = (None, _S.ACCEPTED, _S.CANCELLED, _S.FAILED, _S.CALLER_HUNG_UP, _S.QUEUE, _S.CALLBACK)
TRANSITIONS: Final[Mapping[tuple[TransferStatus | None, TransferEvent], TransferStatus]] = MappingProxyType(
    {
        **{(status, _E.START): _S.IN_PROGRESS for status in _OVER},
        (_S.IN_PROGRESS, _E.ACCEPT): _S.ACCEPTED,
        # The expert's key and the caller's channel both report the acceptance, in either order.
        (_S.ACCEPTED, _E.ACCEPT): _S.ACCEPTED,
        (_S.IN_PROGRESS, _E.COMPLETE): _S.ACCEPTED,
        (_S.IN_PROGRESS, _E.CANCEL): _S.CANCELLED,
        (_S.IN_PROGRESS, _E.FAIL): _S.FAILED,
        (_S.IN_PROGRESS, _E.CALLER_LEFT): _S.CALLER_HUNG_UP,
        (_S.IN_PROGRESS, _E.FALL_BACK_TO_QUEUE): _S.QUEUE,
        (_S.IN_PROGRESS, _E.FALL_BACK_TO_CALLBACK): _S.CALLBACK,
    }
)
_REFUSALS: Final = {
    _E.START: "A transfer of this call is already under way",
    _E.COMPLETE: NO_ATTENDED_TRANSFER,
    _E.CANCEL: NO_ATTENDED_TRANSFER,
}
del _S, _E


def allowed_events(status: TransferStatus | None) -> tuple[TransferEvent, ...]:
    """The events the table allows in this status, in declaration order."""
    return tuple(event for event in TransferEvent if (status, event) in TRANSITIONS)


def decide(state: TransferState, event: TransferEvent, attempt: int | None = None) -> TransferState:
    """The call's transfer after ``event``, or the error refusing it.

    ``attempt``: the attempt the event concerns (a leg's, say), when known; an event of an earlier
    attempt never changes a later one. Starting makes the next attempt; nothing else changes the number.
    """
    if attempt is not None and attempt != state.attempt:
        raise IllegalTransferChangeError(
            f"Attempt {attempt} of this transfer is over (attempt {state.attempt} is the latest)",
            details={"attempt": attempt, "latest": state.attempt, "event": event.value},
        )
    target = TRANSITIONS.get((state.status, event))
    if target is None:
        status = state.status.value if state.status is not None else None
        raise IllegalTransferChangeError(
            _REFUSALS.get(event, f"A transfer that is {status or 'not started'} cannot {event}"),
            details={
                "status": status,
                "event": event.value,
                "allowed": [allowed.value for allowed in allowed_events(state.status)],
            },
        )
    return TransferState(target, state.attempt + 1 if event is TransferEvent.START else state.attempt)


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
class NextLeg:
    """The number to dial next, and whose it is."""

    expert: Expert
    phone: str


def next_leg(
    legs: Sequence[Leg],
    available: Sequence[Expert],
    max_tries: int,
    requested: Expert | None = None,
) -> NextLeg | None:
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
        return NextLeg(first, first.phones[0]) if first is not None else None
    last = legs[-1]
    if last.outcome in _TRY_NEXT_NUMBER:
        same = requested if requested is not None and requested.id == last.expert_id else None
        same = same or next((e for e in available if e.id == last.expert_id), None)
        if same is not None:
            dialled = {leg.phone for leg in legs if leg.expert_id == same.id}
            remaining = [phone for phone in same.phones if phone not in dialled]
            if remaining:
                return NextLeg(same, remaining[0])
    tried = {leg.expert_id for leg in legs}
    for expert in available:
        if expert.id not in tried:
            return NextLeg(expert, expert.phones[0])
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
    scale: Iterable[RatingOptionChoice], digit: str, hearing: int, hearings: int
) -> RatingDecision:
    """A valid key is stored; a missing or invalid one is asked again until the hearings run out."""
    option = next((choice for choice in scale if choice.digit == digit.strip()), None)
    if option is not None:
        return RatingDecision(RatingVerdict.STORED, option)
    if hearing < hearings:
        return RatingDecision(RatingVerdict.RETRY)
    return RatingDecision(RatingVerdict.NONE)

"""The hotline's figures, defined once: the live wallboard and the period reports both compute them here.

Pure: rows in, figures out.

Definitions (the province's targets: an answer rate of at least 95 %, calls answered within 15 seconds):

* **offered**: calls that reached a triage queue.
* **answered**: offered calls an agent took.
* **abandoned**: offered calls whose caller hung up before an agent took them; **short abandons** are those
  who hung up within ``short_abandon_seconds`` (a wrong number, a change of mind) and count against nobody.
* **callbacks requested**: callers who chose a callback instead of waiting; they were not lost.
* **answer rate** = answered / (offered − short abandons − callbacks requested).
* **service level** = answered within ``service_level_seconds`` / the same denominator.
* **waits**: average over answered calls, longest over every offered call; **talk**: average over answered.
* **transfers**: calls an agent sent to an expert; **accepted share** = accepted / transfers.
* **satisfaction share** = ratings that are not dissatisfied / callers who rated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from callcenter.domain.work_orders import Channel, OrderState

ANSWERED: Final = "answered"
ABANDONED: Final = "abandoned"
CALLBACK: Final = "callback"
TRANSFER_ACCEPTED: Final = "accepted"
RATED: Final = "rated"


@dataclass(frozen=True)
class Thresholds:
    service_level_seconds: float = 15.0
    short_abandon_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.service_level_seconds <= 0 or self.short_abandon_seconds < 0:
            raise ValueError("thresholds must be positive")


@dataclass(frozen=True)
class CallRow:
    """What the figures need of one call."""

    queued: bool
    outcome: str | None
    wait_seconds: float | None = None
    talk_seconds: float | None = None
    queue: str | None = None
    prefecture: str | None = None
    agent_id: str | None = None
    expert_id: str | None = None
    transferred: bool = False
    transfer_status: str | None = None
    rating_status: str | None = None
    dissatisfied: bool = False
    started_at: datetime | None = None


@dataclass(frozen=True)
class Figures:
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    callbacks_requested: int
    answered_within_target: int
    answer_rate: float | None
    service_level: float | None
    average_wait_seconds: float | None
    longest_wait_seconds: float | None
    average_talk_seconds: float | None
    transfers: int
    transfers_accepted: int
    transfer_accepted_share: float | None
    rated: int
    satisfied: int
    satisfaction_share: float | None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def figures(rows: Iterable[CallRow], thresholds: Thresholds = Thresholds()) -> Figures:
    offered = answered = abandoned = short = callbacks = within = 0
    transfers = accepted = rated = satisfied = 0
    answered_waits: list[float] = []
    talks: list[float] = []
    longest: float | None = None
    for row in rows:
        if row.transferred:
            transfers += 1
            accepted += row.transfer_status == TRANSFER_ACCEPTED
        if row.rating_status == RATED:
            rated += 1
            satisfied += not row.dissatisfied
        if not row.queued:
            continue
        offered += 1
        wait = row.wait_seconds
        if wait is not None:
            longest = wait if longest is None else max(longest, wait)
        if row.outcome == ANSWERED:
            answered += 1
            if wait is not None:
                answered_waits.append(wait)
                within += wait <= thresholds.service_level_seconds
            if row.talk_seconds is not None:
                talks.append(row.talk_seconds)
        elif row.outcome == ABANDONED:
            abandoned += 1
            short += wait is not None and wait <= thresholds.short_abandon_seconds
        elif row.outcome == CALLBACK:
            callbacks += 1
    counted = offered - short - callbacks
    return Figures(
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        short_abandoned=short,
        callbacks_requested=callbacks,
        answered_within_target=within,
        answer_rate=_share(answered, counted),
        service_level=_share(within, counted),
        average_wait_seconds=_mean(answered_waits),
        longest_wait_seconds=longest,
        average_talk_seconds=_mean(talks),
        transfers=transfers,
        transfers_accepted=accepted,
        transfer_accepted_share=_share(accepted, transfers),
        rated=rated,
        satisfied=satisfied,
        satisfaction_share=_share(satisfied, rated),
    )


def figures_by(
    rows: Iterable[CallRow], key: Callable[[CallRow], str | None], thresholds: Thresholds = Thresholds()
) -> Mapping[str, Figures]:
    """The figures of each group (queue, prefecture, agent, expert); rows without a key are left out."""
    groups: dict[str, list[CallRow]] = defaultdict(list)
    for row in rows:
        value = key(row)
        if value is not None:
            groups[value].append(row)
    return {value: figures(members, thresholds) for value, members in sorted(groups.items())}


@dataclass(frozen=True)
class OpenOrders:
    """Open work orders: how many are overdue or near due, and how many, by channel and state, there are."""

    overdue: int
    near_due: int
    by_channel_and_state: dict[tuple[str, str], int]


# Callers owed a call: those who left a message or asked for a callback, and those whose answer is being
# surveyed (the callback visit, or its second round).
_CALLBACK_CHANNELS: Final = frozenset({Channel.HOTLINE_OFFHOURS.value, Channel.HOTLINE_CALLBACK.value})
_SURVEY_STATES: Final = frozenset({OrderState.FEEDBACK.value, OrderState.SECOND_CALLBACK.value})


def callback_pending(channel: str, state: str) -> bool:
    """Whether an order of this channel, in this state, still owes the caller a call."""
    if state == OrderState.CLOSED.value:
        return False
    return channel in _CALLBACK_CHANNELS or state in _SURVEY_STATES

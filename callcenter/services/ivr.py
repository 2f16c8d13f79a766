"""The caller's way in: entry decision, language, off-hours messages and callback requests."""

from __future__ import annotations

import logging
import wave
from array import array
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from callcenter.clock import Clock
from callcenter.domain.calls import (
    CORRECTABLE_FACTS,
    ENTRY_ROUTE_APP,
    OUTCOME_CALLBACK,
    OUTCOME_MESSAGE,
    OUTCOME_NO_MESSAGE,
    CallFacts,
)
from callcenter.domain.entry import (
    EntryDecision,
    EntryPolicy,
    LanguageDecision,
    decide_entry,
    decide_language,
)
from callcenter.domain.messages import MessageAssessment, assess_recording
from callcenter.services.calls import CallService, NewCall

log = logging.getLogger(__name__)

CHANNEL_OFFHOURS = "hotline-offhours"
CHANNEL_CALLBACK = "hotline-callback"
ORDER_TYPE_CONSULTATION = "consultation"


class WorkOrders(Protocol):
    async def create(self, order: Any, local_day: Any) -> tuple[Any, bool]: ...


@dataclass(frozen=True)
class MessagePaths:
    host: Path  # without extension: Record() appends it
    in_root: Path


@dataclass(frozen=True)
class MessagePolicy:
    max_seconds: int
    silence_seconds: int
    min_voiced_seconds: float
    host_dir: Path
    in_root_dir: Path


class IvrService:
    def __init__(
        self,
        policy: EntryPolicy,
        messages: MessagePolicy,
        calls: CallService,
        work_orders: WorkOrders,
        new_work_order: Any,
        clock: Clock,
    ) -> None:
        self._policy = policy
        self._messages = messages
        self._calls = calls
        self._work_orders = work_orders
        self._new_work_order = new_work_order
        self._clock = clock

    @property
    def messages(self) -> MessagePolicy:
        return self._messages

    def decide_entry(self, call: NewCall) -> EntryDecision:
        return decide_entry(call.caller_number, self._clock.now(), self._policy)

    def message_paths(self, linkedid: str) -> MessagePaths:
        local = self._clock.now().astimezone(self._policy.calendar.tz)
        relative = Path(f"{local:%Y}") / f"{local:%m}" / linkedid.replace("/", "_")
        host = self._messages.host_dir / relative
        host.parent.mkdir(parents=True, exist_ok=True)
        return MessagePaths(host=host, in_root=self._messages.in_root_dir / relative)

    def record_entry(self, call: NewCall, decision: EntryDecision) -> None:
        self._calls.record_in_background(
            CallFacts(
                linkedid=call.linkedid,
                uniqueid=call.uniqueid or None,
                channel=call.channel or None,
                caller_number=call.caller_number,
                dialed_number=call.dialed_number or None,
                started_at=call.started_at,
                answered_at=call.answered_at,
                entry_route=ENTRY_ROUTE_APP,
                next_step=decision.next_step,
                language=decision.language,
                prefecture=decision.prefecture_code,
                caller_place=decision.caller.place or None,
            ),
            CORRECTABLE_FACTS,
        )

    def choose_language(self, linkedid: str, digit: str, attempt: int) -> LanguageDecision:
        decision = decide_language(digit, attempt, self._policy)
        if decision.status != "retry":
            self._calls.record_in_background(
                CallFacts(linkedid=linkedid, language=decision.language), frozenset({"language"})
            )
        return decision

    async def take_message(self, linkedid: str, caller_number: str | None) -> tuple[MessageAssessment, Any]:
        """Decide whether the off-hours recording is a message; a message becomes a work order."""
        paths = self.message_paths(linkedid)
        recording = paths.host.with_suffix(".wav")
        assessment = read_and_assess(recording, self._messages.min_voiced_seconds)
        if not assessment.is_message:
            recording.unlink(missing_ok=True)
            await self._calls.record(
                CallFacts(linkedid=linkedid, outcome=OUTCOME_NO_MESSAGE), frozenset({"outcome"})
            )
            log.info(
                "No message: %.1f s recorded, %.1f s of voice", assessment.seconds, assessment.voiced_seconds
            )
            return assessment, None
        call = await self._calls.get_call(linkedid)
        due = self._policy.calendar.next_opening(self._clock.now())
        order, created = await self._work_orders.create(
            self._new_work_order(
                channel=CHANNEL_OFFHOURS,
                order_type=ORDER_TYPE_CONSULTATION,
                caller_number=caller_number,
                prefecture=getattr(call, "prefecture", None),
                language=getattr(call, "language", None),
                linkedid=linkedid,
                recording_path=str(recording),
                recording_seconds=assessment.seconds,
                description="非工作时间留言，请回电",
                callback_due_at=due,
            ),
            self._local_day(),
        )
        await self._calls.record(
            CallFacts(linkedid=linkedid, outcome=OUTCOME_MESSAGE), frozenset({"outcome"})
        )
        if created:
            log.info(
                "Message of %.1f s kept as work order %s, callback due %s",
                assessment.seconds,
                order.number,
                due,
            )
        return assessment, order

    async def request_callback(
        self, linkedid: str, caller_number: str | None, joined_at: datetime | None
    ) -> Any:
        now = self._clock.now()
        wait = (now - joined_at).total_seconds() if joined_at else None
        call = await self._calls.get_call(linkedid)
        order, created = await self._work_orders.create(
            self._new_work_order(
                channel=CHANNEL_CALLBACK,
                order_type=ORDER_TYPE_CONSULTATION,
                caller_number=caller_number,
                prefecture=getattr(call, "prefecture", None),
                language=getattr(call, "language", None),
                linkedid=linkedid,
                wait_seconds=wait,
                description="排队中请求回电",
                callback_due_at=self._policy.calendar.next_opening(now),
            ),
            self._local_day(),
        )
        await self._calls.record(
            CallFacts(linkedid=linkedid, outcome=OUTCOME_CALLBACK, wait_seconds=wait), frozenset({"outcome"})
        )
        if created:
            log.info("Callback requested after %.0f s of waiting: work order %s", wait or 0, order.number)
        return order

    def _local_day(self) -> Any:
        return self._clock.now().astimezone(self._policy.calendar.tz).date()


def read_and_assess(recording: Path, min_voiced_seconds: float) -> MessageAssessment:
    """Asterisk writes 8 kHz 16-bit mono WAV; a missing or broken file is no message."""
    try:
        with wave.open(str(recording), "rb") as source:
            rate = source.getframerate()
            width = source.getsampwidth()
            frames = source.readframes(source.getnframes())
    except (FileNotFoundError, wave.Error, EOFError):
        return MessageAssessment(seconds=0.0, voiced_seconds=0.0, is_message=False)
    if width != 2:
        return MessageAssessment(seconds=0.0, voiced_seconds=0.0, is_message=False)
    samples = array("h")
    samples.frombytes(frames[: len(frames) - len(frames) % 2])
    return assess_recording(samples, rate, min_voiced_seconds)

"""The caller's way in: entry decision, language, off-hours messages and callback requests."""

from __future__ import annotations

import asyncio
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
from callcenter.domain.work_orders import Urgency, initial_deadlines
from callcenter.services.calls import CallService, NewCall
from callcenter.tasks import BackgroundTasks

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

    @property
    def recording(self) -> Path:
        # Not with_suffix(): a linkedid such as 1795489475.0 already looks like it has one.
        return self.host.with_name(f"{self.host.name}.wav")


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
        self._background = BackgroundTasks()
        self._made_dirs: set[Path] = set()

    @property
    def messages(self) -> MessagePolicy:
        return self._messages

    @property
    def policy(self) -> EntryPolicy:
        return self._policy

    def decide_entry(self, call: NewCall) -> EntryDecision:
        return decide_entry(call.caller_number, self._clock.now(), self._policy)

    def message_paths(self, linkedid: str) -> MessagePaths:
        local = self._clock.now().astimezone(self._policy.calendar.tz)
        relative = Path(f"{local:%Y}") / f"{local:%m}" / linkedid.replace("/", "_")
        host = self._messages.host_dir / relative
        if host.parent not in self._made_dirs:
            host.parent.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(host.parent)
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
                # Where the call goes once past the language menu: queue or closed.
                next_step=decision.after_language,
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

    def take_message_after_hangup(self, linkedid: str, caller_number: str | None) -> None:
        """The caller hung up while recording. Asterisk runs the hangup handler before it closes the
        file, so the message is judged once the handler has returned and the file has stopped growing."""

        async def later() -> None:
            await wait_until_settled(self.message_paths(linkedid).recording)
            await self.take_message(linkedid, caller_number)

        self._background.start(later(), "The message left before hanging up could not be filed")

    async def drain(self) -> None:
        await self._background.drain()

    async def take_message(self, linkedid: str, caller_number: str | None) -> tuple[MessageAssessment, Any]:
        """Decide whether the off-hours recording is a message; a message becomes a work order."""
        recording = self.message_paths(linkedid).recording
        assessment = read_and_assess(recording, self._messages.min_voiced_seconds)
        log.debug(
            "Recording %s: %s bytes", recording, recording.stat().st_size if recording.exists() else None
        )
        if not assessment.is_message:
            recording.unlink(missing_ok=True)
            await self._calls.record(
                CallFacts(linkedid=linkedid, outcome=OUTCOME_NO_MESSAGE), frozenset({"outcome"})
            )
            log.info(
                "No message: %.1f s recorded, %.1f s of voice", assessment.seconds, assessment.voiced_seconds
            )
            return assessment, None
        order, created = await self._file_callback_order(
            CHANNEL_OFFHOURS,
            linkedid,
            caller_number,
            CallFacts(linkedid=linkedid, outcome=OUTCOME_MESSAGE),
            recording_path=str(recording),
            recording_seconds=assessment.seconds,
            description="非工作时间留言，请回电",
        )
        if created:
            log.info(
                "Message of %.1f s kept as work order %s, callback due %s",
                assessment.seconds,
                order.number,
                order.callback_due_at,
            )
        return assessment, order

    async def request_callback(
        self, linkedid: str, caller_number: str | None, joined_at: datetime | None
    ) -> Any:
        wait = (self._clock.now() - joined_at).total_seconds() if joined_at else None
        order, created = await self._file_callback_order(
            CHANNEL_CALLBACK,
            linkedid,
            caller_number,
            CallFacts(linkedid=linkedid, outcome=OUTCOME_CALLBACK, wait_seconds=wait),
            wait_seconds=wait,
            description="排队中请求回电",
        )
        if created:
            log.info("Callback requested after %.0f s of waiting: work order %s", wait or 0, order.number)
        return order

    async def request_callback_after_transfer(self, linkedid: str, caller_number: str | None) -> Any:
        """No expert accepted and the hotline calls back rather than keep the caller waiting."""
        order, created = await self._file_callback_order(
            CHANNEL_CALLBACK,
            linkedid,
            caller_number,
            CallFacts(linkedid=linkedid, outcome=OUTCOME_CALLBACK),
            description="转接专家未接通，请回电",
        )
        if created:
            log.info("No expert accepted: callback work order %s", order.number)
        return order

    async def _file_callback_order(
        self, channel: str, linkedid: str, caller_number: str | None, outcome: CallFacts, **details: Any
    ) -> tuple[Any, bool]:
        """A work order asking staff to call the caller back at the next opening, and the call's outcome."""
        call = await self._calls.get_call(linkedid)
        # Staff handle it like any order: passed on within a working day, answered within five.
        deadlines = initial_deadlines(self._clock.now(), Urgency.NORMAL, self._policy.calendar)
        order, created = await self._work_orders.create(
            self._new_work_order(
                transfer_due_at=deadlines.transfer_due,
                reply_due_at=deadlines.reply_due,
                channel=channel,
                order_type=ORDER_TYPE_CONSULTATION,
                caller_number=caller_number,
                prefecture=getattr(call, "prefecture", None),
                language=getattr(call, "language", None),
                linkedid=linkedid,
                callback_due_at=self._policy.calendar.next_opening(self._clock.now()),
                **details,
            ),
            self._local_day(),
        )
        await self._calls.record(outcome, frozenset({"outcome"}))
        return order, created

    def _local_day(self) -> Any:
        return self._clock.now().astimezone(self._policy.calendar.tz).date()


async def wait_until_settled(path: Path, quiet_seconds: float = 0.5, limit_seconds: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_seconds
    last_size, quiet_since = -1, loop.time()
    while loop.time() < deadline:
        size = await asyncio.to_thread(lambda: path.stat().st_size if path.exists() else -1)
        if size != last_size:
            last_size, quiet_since = size, loop.time()
        elif loop.time() - quiet_since >= quiet_seconds:
            return
        await asyncio.sleep(0.1)


def read_and_assess(recording: Path, min_voiced_seconds: float) -> MessageAssessment:
    """Asterisk writes 8 kHz 16-bit mono WAV; a missing or broken file is no message.

    The samples are read to the end of the file, not to the length in the header: when the caller hangs
    up, the hangup handler runs before Asterisk has written the final length into the header.
    """
    nothing = MessageAssessment(seconds=0.0, voiced_seconds=0.0, is_message=False)
    try:
        with wave.open(str(recording), "rb") as source:
            rate = source.getframerate()
            width = source.getsampwidth()
        content = recording.read_bytes()
    except (FileNotFoundError, wave.Error, EOFError):
        return nothing
    data_chunk = content.find(b"data", 12)
    if width != 2 or data_chunk < 0:
        return nothing
    frames = content[data_chunk + 8 :]
    samples = array("h")
    samples.frombytes(frames[: len(frames) - len(frames) % 2])
    return assess_recording(samples, rate, min_voiced_seconds)

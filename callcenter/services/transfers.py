"""Classification, transfer to experts' phones, recordings of the expert legs, and the caller's rating.

The transfer's state lives in the store (the call record and its legs), not in this object: whichever
app instance Asterisk's next AGI request reaches can continue the hunt.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import wave
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from callcenter.clock import Clock
from callcenter.domain.experts import Expert, ExpertLoad, available_experts, experts_on_duty
from callcenter.domain.transfers import (
    Classification,
    Fallback,
    Leg,
    LegOutcome,
    RatingDecision,
    RatingOptionChoice,
    RatingVerdict,
    TransferError,
    TransferMode,
    TransferStep,
    decide_rating,
    leg_outcome,
    next_attempt,
)
from callcenter.domain.work_orders import Channel, OrderType
from callcenter.errors import CallCenterError, NotFoundError
from callcenter.hotline import HotlineConfig, queue_name
from callcenter.logsetup import call_scope
from callcenter.services.agents import AgentService, CallPhase
from callcenter.services.calls import CallService
from callcenter.services.experts import UnknownCategoryError
from callcenter.services.ivr import wait_until_settled
from callcenter.services.work_orders import Registration, WorkOrderService
from callcenter.store.transfers import TRANSFER_IN_PROGRESS, TransferRepository
from callcenter.tasks import BackgroundTasks
from callcenter.telephony.ami import actions
from callcenter.telephony.ami.client import AmiClient
from callcenter.telephony.ami.events import AmiEvent, ChannelHungUp

log = logging.getLogger(__name__)

TRANSFER_CONTEXT = "cc-transfer"
CONSULT_CONTEXT = "cc-consult"
WORK_ORDER_CHANNEL = "hotline"
STATUS_ACCEPTED = "accepted"
STATUS_CANCELLED = "cancelled"
STATUS_FAILED = "failed"
STATUS_CALLER_HUNG_UP = "caller-hung-up"
# Fairness looks back this far for who was offered a call last.
OFFER_MEMORY = timedelta(days=30)
# No conversation lasts longer: a leg left open by a crash stops counting against the expert after it.
LONGEST_CONVERSATION = timedelta(hours=6)
ANNOUNCE_NEXT = "cc-transfer-next"
ANNOUNCE_QUEUE = "cc-transfer-failed-queue"
ANNOUNCE_CALLBACK = "cc-transfer-failed-callback"


class ExpertUnavailableError(CallCenterError):
    code = "expert-unavailable"
    http_status = 409


class ExpertSource(Protocol):
    async def snapshot(self) -> Any:
        """Active experts and the duty roster (an object with ``experts`` and ``roster``)."""


class CallbackFiler(Protocol):
    async def request_callback_after_transfer(self, linkedid: str, caller_number: str | None) -> Any: ...


@dataclass(frozen=True)
class RecordingPaths:
    host_dir: Path
    in_root_dir: Path

    def relative(self, linkedid: str, leg: int, local_day: Any) -> str:
        safe = linkedid.replace("/", "_")
        return f"calls/{local_day:%Y/%m/%d}/{safe}-leg{leg}.wav"


@dataclass(frozen=True)
class StepDecision:
    step: TransferStep
    announce: str = ""
    leg: int = 0
    number: str = ""
    queue: str = ""
    priority: int = 0
    whisper: str = ""


@dataclass(frozen=True)
class ExpertAnswer:
    # accepted, retry (hear the whisper again), declined
    status: str
    recording_file: str = ""


@dataclass(frozen=True)
class TransferStarted:
    linkedid: str
    mode: TransferMode
    expert_id: str | None


class TransferService:
    def __init__(
        self,
        hotline: HotlineConfig,
        repository: TransferRepository,
        calls: CallService,
        agents: AgentService,
        experts: ExpertSource,
        ami: AmiClient,
        work_orders: WorkOrderService,
        callbacks: CallbackFiler,
        clock: Clock,
        recordings: RecordingPaths,
    ) -> None:
        self._hotline = hotline
        self._repository = repository
        self._calls = calls
        self._agents = agents
        self._experts = experts
        self._ami = ami
        self._work_orders = work_orders
        self._callbacks = callbacks
        self._clock = clock
        self._recordings = recordings
        self._scale = tuple(
            RatingOptionChoice(option.digit, option.code, option.dissatisfied)
            for option in hotline.rating.scale
        )
        self._background = BackgroundTasks()

    @property
    def repository(self) -> TransferRepository:
        return self._repository

    async def call(self, linkedid: str) -> Any:
        record = await self._calls.get_call(linkedid)
        if record is None:
            raise NotFoundError("No such call", details={"linkedid": linkedid})
        return record

    # -- classification ---------------------------------------------------------------------------------

    async def classify(self, linkedid: str, classification: Classification, agent_id: str | None) -> Any:
        if self._hotline.category(classification.category) is None:
            raise UnknownCategoryError(
                f"Unknown consultation category {classification.category!r}",
                details={
                    "category": classification.category,
                    "known": [category.code for category in self._hotline.categories],
                },
            )
        record = await self._repository.classify(
            linkedid,
            {
                "call_type": classification.call_type.value,
                "category": classification.category,
                "urgency": classification.urgency.value,
                "caller_name": classification.caller_name or None,
                "notes": classification.notes or None,
                "classified_by": agent_id,
                "classified_at": self._clock.now(),
            },
        )
        if record is None:
            raise NotFoundError("No such call", details={"linkedid": linkedid})
        order_fields = {
            "order_type": classification.call_type.value,
            "category": classification.category,
            "urgency": classification.urgency.value,
            "caller_name": classification.caller_name or None,
            "description": classification.notes or None,
        }
        # Through the work-order service, as every channel's orders: one numbering, deadlines, history.
        existing = await self._work_orders.repository.find_for_call(linkedid, WORK_ORDER_CHANNEL)
        if existing is None:
            await self._work_orders.register(
                Registration(
                    channel=Channel.HOTLINE,
                    order_type=OrderType(classification.call_type.value),
                    category=classification.category,
                    description=classification.notes or "",
                    caller_number=record.caller_number,
                    caller_name=classification.caller_name or None,
                    prefecture=record.prefecture,
                    urgency=classification.urgency,
                    language=record.language,
                    linkedid=linkedid,
                ),
                None,
            )
        else:
            await self._work_orders.update_call_order(existing, order_fields)
        with call_scope(linkedid):
            log.info(
                "Classified as %s / %s by agent %s",
                classification.call_type,
                classification.category,
                agent_id,
            )
        return record

    # -- who can take the call ------------------------------------------------------------------------

    async def load(self) -> ExpertLoad:
        now = self._clock.now()
        transfer = self._hotline.transfer
        longest_ring = timedelta(seconds=transfer.ring_seconds + 4 * transfer.confirm_seconds + 30)
        rows = await self._repository.expert_load(
            now - OFFER_MEMORY, now - longest_ring, now - LONGEST_CONVERSATION
        )
        return ExpertLoad(
            active_calls={row.expert_id: row.active for row in rows if row.active},
            ringing=frozenset(row.expert_id for row in rows if row.ringing),
            last_offered={row.expert_id: row.last_offered_at for row in rows},
        )

    async def legs_under_way(self) -> list[tuple[Any, str]]:
        """Expert legs ringing or talking now, each with the expert's name (a crash's leftovers, older
        than any real conversation, are not under way)."""
        legs = await self._repository.open_legs(self._clock.now() - LONGEST_CONVERSATION)
        names = {expert.id: expert.name for expert in (await self._experts.snapshot()).experts}
        return [(leg, names.get(leg.expert_id, leg.expert_id)) for leg in legs]

    async def available(self, category: str, prefecture: str | None) -> list[Expert]:
        snapshot = await self._experts.snapshot()
        load = await self.load()
        return available_experts(
            snapshot.experts, snapshot.roster, category, prefecture, self._clock.now(), load
        )

    async def on_duty(self, category: str, prefecture: str | None) -> list[tuple[Expert, bool]]:
        """On duty for the category and prefecture, each free (True) or busy (False)."""
        snapshot = await self._experts.snapshot()
        load = await self.load()
        return experts_on_duty(
            snapshot.experts, snapshot.roster, category, prefecture, self._clock.now(), load
        )

    async def _expert(self, expert_id: str) -> Expert | None:
        snapshot = await self._experts.snapshot()
        return next((expert for expert in snapshot.experts if expert.id == expert_id), None)

    # -- starting a transfer (the agent's console) ------------------------------------------------------

    async def start(
        self, linkedid: str, agent_id: str, mode: TransferMode, expert_id: str | None = None
    ) -> TransferStarted:
        record = await self._calls.get_call(linkedid)
        if record is None:
            raise NotFoundError("No such call", details={"linkedid": linkedid})
        if not record.category:
            raise TransferError(
                "Classify the call before transferring it: the category decides who can answer",
                details={"linkedid": linkedid},
            )
        call = self._agents.state(agent_id).call
        if (
            call is None
            or call.linkedid != linkedid
            or not call.agent_channel
            or call.phase is not CallPhase.CONNECTED
        ):
            raise TransferError(
                "This agent is not talking to that caller",
                details={"linkedid": linkedid, "agent_id": agent_id},
            )
        available = await self.available(record.category, record.prefecture)
        chosen: Expert | None = None
        if expert_id is not None:
            chosen = next((expert for expert in available if expert.id == expert_id), None)
            if chosen is None:
                expert = await self._expert(expert_id)
                raise ExpertUnavailableError(
                    "That expert cannot take this call now" if expert is not None else "No such expert",
                    details={
                        "expert_id": expert_id,
                        "available": [expert.id for expert in available],
                    },
                )
        elif not available:
            raise ExpertUnavailableError(
                "No expert on duty can take this category now",
                details={"category": record.category, "prefecture": record.prefecture},
            )
        started = await self._repository.begin_transfer(
            linkedid, mode.value, agent_id, expert_id, self._clock.now()
        )
        if started is None:
            raise TransferError(
                "A transfer of this call is already under way", details={"linkedid": linkedid}
            )
        with call_scope(linkedid):
            try:
                if mode is TransferMode.BLIND:
                    await actions.blind_transfer(self._ami, call.agent_channel, TRANSFER_CONTEXT, "s")
                else:
                    target = chosen or available[0]
                    legs = await self._repository.legs(linkedid)
                    await self._repository.open_leg(
                        linkedid,
                        len(legs) + 1,
                        mode.value,
                        agent_id,
                        target.id,
                        target.phones[0],
                        self._clock.now(),
                    )
                    await actions.attended_transfer(
                        self._ami, call.agent_channel, CONSULT_CONTEXT, target.phones[0]
                    )
                    chosen = target
            except Exception:
                await self._repository.set_transfer_status(
                    linkedid, STATUS_FAILED, only_if=TRANSFER_IN_PROGRESS
                )
                raise
            log.info(
                "%s transfer by agent %s to %s",
                mode.value,
                agent_id,
                chosen.id if chosen else "next available",
            )
        return TransferStarted(linkedid, mode, chosen.id if chosen else None)

    async def complete(self, linkedid: str, agent_id: str) -> None:
        """An attended transfer: the caller joins the expert and the agent leaves."""
        _record, call = await self._attended(linkedid, agent_id)
        legs = await self._repository.legs(linkedid)
        talking = next((leg for leg in reversed(legs) if leg.answered_at and not leg.ended_at), None)
        if talking is None:
            raise TransferError("The expert has not answered yet", details={"linkedid": linkedid})
        await self._repository.set_transfer_status(linkedid, STATUS_ACCEPTED, expert_id=talking.expert_id)
        # The agent's hanging up completes Asterisk's attended transfer.
        await actions.hangup(self._ami, call.agent_channel)
        with call_scope(linkedid):
            log.info("Attended transfer completed: expert %s has the caller", talking.expert_id)

    async def cancel(self, linkedid: str, agent_id: str) -> None:
        """An attended transfer called off: the expert's leg ends and the agent is back with the caller."""
        _record, call = await self._attended(linkedid, agent_id)
        await actions.cancel_attended_transfer(self._ami, call.agent_channel)
        cancelled = LegOutcome.CANCELLED.value
        await self._repository.end_open_legs(linkedid, self._clock.now(), cancelled, cancelled)
        await self._repository.set_transfer_status(linkedid, STATUS_CANCELLED, only_if=TRANSFER_IN_PROGRESS)
        with call_scope(linkedid):
            log.info("Attended transfer cancelled by agent %s", agent_id)

    async def _attended(self, linkedid: str, agent_id: str) -> tuple[Any, Any]:
        record = await self._calls.get_call(linkedid)
        if record is None:
            raise NotFoundError("No such call", details={"linkedid": linkedid})
        if (
            record.transfer_mode != TransferMode.ATTENDED.value
            or record.transfer_status != TRANSFER_IN_PROGRESS
        ):
            raise TransferError(
                "No attended transfer of this call is under way", details={"linkedid": linkedid}
            )
        call = self._agents.state(agent_id).call
        if (
            call is None
            or call.linkedid != linkedid
            or not call.agent_channel
            or call.phase is not CallPhase.CONNECTED
        ):
            raise TransferError(
                "This agent is not talking to that caller",
                details={"linkedid": linkedid, "agent_id": agent_id},
            )
        return record, call

    # -- the caller's channel in cc-transfer (AGI) ------------------------------------------------------

    async def step(
        self,
        linkedid: str,
        finished_leg: int,
        dial_status: str,
        accepted_leg: str,
        dialled_at: datetime | None = None,
    ) -> StepDecision:
        """After each leg (and once at the start, ``finished_leg`` 0): what the caller's channel does next.

        ``dialled_at`` is when Asterisk began dialling the finished leg, after any announcement: the
        leg's true ring time (the leg was opened when it was decided, before the announcement).
        """
        now = self._clock.now()
        record = await self._calls.get_call(linkedid)
        if record is None or not record.category:
            raise TransferError("No transfer prepared for this call", details={"linkedid": linkedid})
        legs = await self._repository.legs(linkedid)
        if finished_leg:
            leg = next((item for item in legs if item.leg == finished_leg), None)
            if leg is None:
                raise TransferError("Unknown leg", details={"linkedid": linkedid, "leg": finished_leg})
            accepted = accepted_leg == str(finished_leg) or leg.answered_at is not None
            outcome = leg_outcome(dial_status, accepted)
            if dialled_at is not None:
                rang_for = now - dialled_at
                if timedelta(0) <= rang_for < LONGEST_CONVERSATION:
                    await self._repository.set_ring_at(linkedid, finished_leg, now - rang_for)
            await self._repository.end_leg(linkedid, finished_leg, now, outcome.value)
            log.info(
                "Leg %s to expert %s: %s (DIALSTATUS %s)", finished_leg, leg.expert_id, outcome, dial_status
            )
            if outcome is LegOutcome.ACCEPTED:
                await self._repository.set_transfer_status(linkedid, STATUS_ACCEPTED, expert_id=leg.expert_id)
                return StepDecision(TransferStep.RATE)
            legs = await self._repository.legs(linkedid)
        # Legs of an earlier transfer of the same call (one that fell back to the queue) do not count.
        started = record.transfer_requested_at
        current = [item for item in legs if started is None or item.offered_at >= started]
        done = [
            Leg(item.leg, item.expert_id, item.phone, LegOutcome(item.outcome) if item.outcome else None)
            for item in current
        ]
        available = await self.available(record.category, record.prefecture)
        requested = None
        if not current and record.transfer_requested_expert:
            requested = next((e for e in available if e.id == record.transfer_requested_expert), None)
            requested = requested or await self._expert(record.transfer_requested_expert)
        attempt = next_attempt(done, available, self._hotline.transfer.max_tries, requested)
        if attempt is not None:
            number = len(legs) + 1
            await self._repository.open_leg(
                linkedid,
                number,
                TransferMode.BLIND.value,
                record.transfer_agent_id,
                attempt.expert.id,
                attempt.phone,
                now,
            )
            log.info("Leg %s: ringing expert %s", number, attempt.expert.id)
            return StepDecision(
                TransferStep.DIAL,
                announce=ANNOUNCE_NEXT if current else "",
                leg=number,
                number=attempt.phone,
                whisper=expert_whisper(record.caller_number, record.category),
            )
        return await self._fallback(record)

    async def _fallback(self, record: Any) -> StepDecision:
        transfer = self._hotline.transfer
        if Fallback(transfer.fallback) is Fallback.CALLBACK:
            await self._callbacks.request_callback_after_transfer(record.linkedid, record.caller_number)
            await self._repository.set_transfer_status(record.linkedid, Fallback.CALLBACK.value)
            log.info("No expert accepted: the caller will be called back")
            return StepDecision(TransferStep.CALLBACK, announce=ANNOUNCE_CALLBACK)
        await self._repository.set_transfer_status(record.linkedid, Fallback.QUEUE.value)
        queue = record.queue or queue_name(record.prefecture or "province")
        log.info("No expert accepted: back to %s with priority %s", queue, transfer.requeue_priority)
        return StepDecision(
            TransferStep.QUEUE, announce=ANNOUNCE_QUEUE, queue=queue, priority=transfer.requeue_priority
        )

    async def caller_hung_up(self, linkedid: str) -> None:
        """The caller left during a transfer: open legs end, and an answer given stays unrated."""
        await self._settle_legs(linkedid, self._clock.now())
        await self.no_rating(linkedid)

    async def _settle_legs(self, linkedid: str, at: datetime) -> None:
        """Legs nobody reported the end of (the caller hung up, or the app was down) end now; a transfer
        whose expert answered counts as accepted."""
        legs = await self._repository.legs(linkedid)
        talking = next((leg for leg in reversed(legs) if leg.answered_at is not None), None)
        await self._repository.end_open_legs(linkedid, at, LegOutcome.CALLER_HUNG_UP.value)
        if talking is not None:
            await self._repository.set_transfer_status(
                linkedid, STATUS_ACCEPTED, expert_id=talking.expert_id, only_if=TRANSFER_IN_PROGRESS
            )
        else:
            await self._repository.set_transfer_status(
                linkedid, STATUS_CALLER_HUNG_UP, only_if=TRANSFER_IN_PROGRESS
            )

    async def on_ami_event(self, event: AmiEvent) -> None:
        """The caller's own channel ended (whatever context it was in): an expert's answer that was
        never rated is stored as "no rating"."""
        if isinstance(event, ChannelHungUp) and event.uniqueid and event.uniqueid == event.linkedid:
            record = await self._calls.get_call(event.linkedid)
            if getattr(record, "transfer_status", None) in (TRANSFER_IN_PROGRESS, STATUS_ACCEPTED):
                with call_scope(event.linkedid):
                    await self.caller_hung_up(event.linkedid)

    async def after_agent(self, linkedid: str) -> TransferStep:
        """The caller's channel is back from the queue: an attended transfer's expert has hung up (rate),
        or the agent hung up on an ordinary call (nothing more)."""
        record = await self._calls.get_call(linkedid)
        if record is not None and record.transfer_status == STATUS_ACCEPTED:
            return TransferStep.RATE
        return TransferStep.HANG_UP

    # -- the expert's channel (AGI) ---------------------------------------------------------------------

    async def expert_answered(self, linkedid: str, leg_number: int, digit: str, attempt: int) -> ExpertAnswer:
        """The expert picked up: in a blind transfer they heard who is calling and pressed a key (or did
        not); in an attended one the agent is on the line, so answering is accepting."""
        legs = await self._repository.legs(linkedid)
        leg = next((item for item in legs if item.leg == leg_number), None)
        if leg is None:
            raise TransferError("Unknown leg", details={"linkedid": linkedid, "leg": leg_number})
        attended = leg.mode == TransferMode.ATTENDED.value
        if not attended and digit != "1":
            if not digit and attempt < 2:
                return ExpertAnswer("retry")
            log.info("Expert %s did not accept (key %r)", leg.expert_id, digit)
            return ExpertAnswer("declined")
        now = self._clock.now()
        await self._repository.answer_leg(linkedid, leg_number, now)
        relative = self._recordings.relative(linkedid, leg_number, now.astimezone(self._hotline.zone).date())
        host_path = self._recordings.host_dir / relative
        await asyncio.to_thread(host_path.parent.mkdir, parents=True, exist_ok=True)
        await self._repository.start_recording(linkedid, leg_number, relative, now)
        if not attended:
            # The console shows "accepted" while they talk (an attended one is accepted by the agent).
            await self._repository.set_transfer_status(linkedid, STATUS_ACCEPTED, expert_id=leg.expert_id)
        log.info("Expert %s accepted leg %s; recording %s", leg.expert_id, leg_number, relative)
        return ExpertAnswer("accepted", str(self._recordings.in_root_dir / relative))

    async def expert_hung_up(self, linkedid: str, leg_number: int, dial_status: str = "") -> None:
        """The expert's channel ended (its hangup handler), or an attended consultation's Dial returned."""
        legs = await self._repository.legs(linkedid)
        leg = next((item for item in legs if item.leg == leg_number), None)
        if leg is None:
            return
        now = self._clock.now()
        answered = leg.answered_at is not None
        outcome = LegOutcome.ACCEPTED if answered else leg_outcome(dial_status or "ANSWER", False)
        if leg.mode == TransferMode.ATTENDED.value and answered:
            # The expert talked to the agent only, unless the agent completed the transfer.
            record = await self._calls.get_call(linkedid)
            if getattr(record, "transfer_status", None) != STATUS_ACCEPTED:
                outcome = LegOutcome.CANCELLED
        await self._repository.end_leg(linkedid, leg_number, now, outcome.value)
        if leg.mode == TransferMode.ATTENDED.value:
            # Not completed by the agent: the expert hung up on the consultation, or never answered.
            status = STATUS_CANCELLED if answered else STATUS_FAILED
            await self._repository.set_transfer_status(linkedid, status, only_if=TRANSFER_IN_PROGRESS)
        if answered:
            self._background.start(
                self._finish_recording(linkedid, leg_number), "Finishing a leg's recording failed"
            )

    async def consultation_leg(self, linkedid: str, phone: str) -> int:
        """The leg an attended transfer's consultation call belongs to."""
        legs = await self._repository.legs(linkedid)
        leg = next((item for item in reversed(legs) if item.phone == phone and item.ended_at is None), None)
        if leg is None:
            raise TransferError("No consultation prepared", details={"linkedid": linkedid, "phone": phone})
        return leg.leg

    async def _finish_recording(self, linkedid: str, leg: int) -> None:
        recording = await self._repository.recording(linkedid, leg)
        if recording is None:
            return
        path = self._recordings.host_dir / recording.path
        # MixMonitor closes the file only once the channel is gone, after its hangup handler.
        await wait_until_settled(path, quiet_seconds=0.5, limit_seconds=10)
        facts = await asyncio.to_thread(describe_recording, path)
        await self._repository.finish_recording(linkedid, leg, {"ended_at": self._clock.now(), **facts})
        with call_scope(linkedid):
            log.info("Recording of leg %s: %s", leg, facts)

    # -- rating -----------------------------------------------------------------------------------------

    async def rate(
        self, linkedid: str, digit: str, attempt: int, source: str = "app", at: datetime | None = None
    ) -> RatingDecision:
        decision = decide_rating(self._scale, digit, attempt, self._hotline.rating.attempts)
        if decision.verdict is RatingVerdict.RETRY:
            log.info("Rating key %r on attempt %s: asked again", digit, attempt)
            return decision
        if decision.verdict is RatingVerdict.NONE:
            await self.no_rating(linkedid, source, at)
            return decision
        option = decision.option
        assert option is not None
        record = await self._calls.get_call(linkedid)
        stored = await self._store_rating(linkedid, record, "rated", option, source, at)
        if stored and option.dissatisfied:
            await self._repository.mark_needs_callback(linkedid)
        log.info(
            "Rated %s (%s)%s", option.code, digit, ", marked for a callback" if option.dissatisfied else ""
        )
        return decision

    async def no_rating(self, linkedid: str, source: str = "app", at: datetime | None = None) -> None:
        record = await self._calls.get_call(linkedid)
        # Only a caller who reached an expert can owe a rating.
        if record is None or record.transfer_status != STATUS_ACCEPTED:
            return
        await self._store_rating(linkedid, record, "none", None, source, at)

    async def _store_rating(
        self,
        linkedid: str,
        record: Any,
        status: str,
        option: RatingOptionChoice | None,
        source: str,
        at: datetime | None,
    ) -> bool:
        """``record``: the call as the caller just read it (None for a call the store does not know)."""
        order = await self._work_orders.repository.find_for_call(linkedid, WORK_ORDER_CHANNEL)
        _rating, changed = await self._repository.store_rating(
            {
                "linkedid": linkedid,
                "status": status,
                "digit": option.digit if option else None,
                "code": option.code if option else None,
                "dissatisfied": bool(option and option.dissatisfied),
                "expert_id": getattr(record, "expert_id", None),
                "agent_id": getattr(record, "transfer_agent_id", None) or getattr(record, "agent_id", None),
                "work_order_id": order.id if order is not None else None,
                "source": source,
                "rated_at": at or self._clock.now(),
            }
        )
        return changed

    async def ingest_spooled_rating(self, record: Mapping[str, Any]) -> None:
        """A rating the classic AGI fallback kept while the app was unreachable: decided now, once."""
        linkedid = str(record.get("linkedid") or "")
        if not linkedid:
            raise TransferError("spooled rating without a linkedid", details={"record": dict(record)})
        # The classic script stamps the key with the system clock.
        at = self._clock.from_epoch(record.get("at"))
        with call_scope(linkedid):
            # While the app was down nobody heard the expert hang up.
            await self._settle_legs(linkedid, at or self._clock.now())
            if record.get("hangup"):
                await self.no_rating(linkedid, "spool", at)
                return
            # The fallback cannot ask again: a missing or invalid key is the last attempt's.
            await self.rate(
                linkedid, str(record.get("digit") or ""), self._hotline.rating.attempts, "spool", at
            )

    # -- housekeeping -----------------------------------------------------------------------------------

    def _local_day(self) -> Any:
        return self._clock.now().astimezone(self._hotline.zone).date()

    async def drain(self) -> None:
        await self._background.drain()


def expert_whisper(caller_number: str | None, category: str) -> str:
    """What the expert hears before pressing 1, as one Read() prompt list so that a key cuts it short:
    the hotline, the caller's number digit by digit, the category."""
    digits = [f"digits/{digit}" for digit in caller_number or "" if digit.isdigit()]
    number = ["cc-expert-caller-number", *digits] if digits else []
    return "&".join(
        ["cc-expert-intro", *number, "cc-expert-category", f"cc-category-{category}", "cc-expert-press-1"]
    )


def describe_recording(path: Path) -> dict[str, Any]:
    """Size, length and checksum of a finished recording; "missing" when Asterisk wrote nothing usable."""
    try:
        content = path.read_bytes()
        with wave.open(str(path), "rb") as source:
            seconds = source.getnframes() / float(source.getframerate() or 1)
    except (FileNotFoundError, wave.Error, EOFError):
        return {"status": "missing"}
    return {
        "status": "complete",
        "size_bytes": len(content),
        "duration_seconds": round(seconds, 2),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


RatingSink = Callable[[Mapping[str, Any]], Awaitable[None]]

"""The transfer on Asterisk's side, step by step (FastAGI): the caller's channel in cc-transfer asks what
comes next after each leg (dial the next expert's number, rate, or the fallback), the expert's channel
says what the expert pressed and when it ended, an attended consultation finds its leg, and the caller's
hangup ends what was open."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Protocol

from callcenter.clock import Clock
from callcenter.domain.transfers import (
    Fallback,
    IllegalTransferChangeError,
    Leg,
    LegOutcome,
    TransferError,
    TransferEvent,
    TransferMode,
    TransferStatus,
    TransferStep,
    leg_outcome,
    next_leg,
)
from callcenter.hotline import HotlineConfig, queue_name
from callcenter.logsetup import call_scope
from callcenter.services.transfers.choice import LONGEST_CONVERSATION, ExpertChoice
from callcenter.services.transfers.ledger import TransferLedger
from callcenter.services.transfers.ratings import Ratings
from callcenter.services.transfers.recordings import Recordings
from callcenter.store.transfers import CallTransfer
from callcenter.telephony.ami.events import AmiEvent, ChannelHungUp

log = logging.getLogger(__name__)

ANNOUNCE_NEXT: Final = "cc-transfer-next"
ANNOUNCE_QUEUE: Final = "cc-transfer-failed-queue"
ANNOUNCE_CALLBACK: Final = "cc-transfer-failed-callback"
# The key an expert presses to accept a blind transfer.
ACCEPT_KEY: Final = "1"


class CallbackFiler(Protocol):
    async def request_callback_after_transfer(self, linkedid: str, caller_number: str | None) -> Any: ...


@dataclass(frozen=True)
class StepDecision:
    step: TransferStep
    announce: str = ""
    leg: int = 0
    number: str = ""
    queue: str = ""
    priority: int = 0
    whisper: str = ""


class ExpertReply(StrEnum):
    """What the expert's key means (CC_EXPERT_STATUS)."""

    ACCEPTED = "accepted"
    # No key yet: they hear who is calling once more.
    RETRY = "retry"
    DECLINED = "declined"


@dataclass(frozen=True)
class ExpertAnswer:
    status: ExpertReply
    recording_file: str = ""


class Hunt:
    def __init__(
        self,
        hotline: HotlineConfig,
        ledger: TransferLedger,
        choice: ExpertChoice,
        recordings: Recordings,
        ratings: Ratings,
        callbacks: CallbackFiler,
        clock: Clock,
    ) -> None:
        self._transfer = hotline.transfer
        self._ledger = ledger
        self._choice = choice
        self._recordings = recordings
        self._ratings = ratings
        self._callbacks = callbacks
        self._clock = clock

    # -- the caller's channel in cc-transfer ------------------------------------------------------------

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
        call = await self._ledger.call(linkedid)
        if call is None or not call.category:
            raise TransferError("No transfer prepared for this call", details={"linkedid": linkedid})
        if finished_leg:
            leg = await self._ledger.known_leg(linkedid, finished_leg)
            outcome = leg_outcome(
                dial_status, accepted_leg == str(finished_leg) or leg.answered_at is not None
            )
            sane = dialled_at is not None and timedelta(0) <= now - dialled_at < LONGEST_CONVERSATION
            await self._ledger.end_leg(leg, now, outcome, dialled_at if sane else None)
            log.info(
                "Leg %s to expert %s: %s (DIALSTATUS %s)", finished_leg, leg.expert_id, outcome, dial_status
            )
            if outcome is LegOutcome.ACCEPTED:
                await self._ledger.change(
                    linkedid, TransferEvent.ACCEPT, attempt=leg.attempt, expert_id=leg.expert_id
                )
                return StepDecision(TransferStep.RATE)
        # Legs of an earlier attempt of the same call (one that fell back to the queue) do not count.
        legs = await self._ledger.legs(linkedid)
        current = [item for item in legs if item.attempt == call.attempt]
        done = [Leg(item.leg, item.expert_id, item.phone, item.outcome) for item in current]
        available = await self._choice.available(call.category, call.prefecture)
        requested = None
        if not current and call.requested_expert:
            requested = next((e for e in available if e.id == call.requested_expert), None)
            requested = requested or await self._choice.expert(call.requested_expert)
        chosen = next_leg(done, available, self._transfer.max_tries, requested)
        if chosen is None:
            return await self._fallback(call)
        leg = await self._ledger.open_leg(call, TransferMode.BLIND, chosen.expert.id, chosen.phone, now)
        log.info("Leg %s: ringing expert %s", leg.leg, chosen.expert.id)
        return StepDecision(
            TransferStep.DIAL,
            announce=ANNOUNCE_NEXT if current else "",
            leg=leg.leg,
            number=chosen.phone,
            whisper=expert_whisper(call.caller_number, call.category),
        )

    async def _fallback(self, call: CallTransfer) -> StepDecision:
        fallback = Fallback(self._transfer.fallback)
        if fallback is Fallback.CALLBACK:
            await self._callbacks.request_callback_after_transfer(call.linkedid, call.caller_number)
        await self._ledger.change(call.linkedid, fallback.event, attempt=call.attempt)
        if fallback is Fallback.CALLBACK:
            log.info("No expert accepted: the caller will be called back")
            return StepDecision(TransferStep.CALLBACK, announce=ANNOUNCE_CALLBACK)
        queue = call.queue or queue_name(call.prefecture or "province")
        priority = self._transfer.requeue_priority
        log.info("No expert accepted: back to %s with priority %s", queue, priority)
        return StepDecision(TransferStep.QUEUE, announce=ANNOUNCE_QUEUE, queue=queue, priority=priority)

    async def caller_hung_up(self, linkedid: str) -> None:
        """The caller left during a transfer: open legs end, and an answer given stays unrated."""
        await self._ledger.settle_legs(linkedid, self._clock.now())
        await self._ratings.no_rating(linkedid)

    async def on_ami_event(self, event: AmiEvent) -> None:
        """The caller's own channel ended (whatever context it was in): an expert's answer that was
        never rated is stored as "no rating"."""
        if isinstance(event, ChannelHungUp) and event.uniqueid and event.uniqueid == event.linkedid:
            call = await self._ledger.call(event.linkedid)
            if call is not None and call.status in (TransferStatus.IN_PROGRESS, TransferStatus.ACCEPTED):
                with call_scope(event.linkedid):
                    await self.caller_hung_up(event.linkedid)

    async def after_agent(self, linkedid: str) -> TransferStep:
        """The caller's channel is back from the queue: an attended transfer's expert has hung up (rate),
        or the agent hung up on an ordinary call (nothing more)."""
        call = await self._ledger.call(linkedid)
        if call is not None and call.status is TransferStatus.ACCEPTED:
            return TransferStep.RATE
        return TransferStep.HANG_UP

    # -- the expert's channel ---------------------------------------------------------------------------

    async def expert_answered(self, linkedid: str, leg_number: int, digit: str, hearing: int) -> ExpertAnswer:
        """The expert picked up: in a blind transfer they heard who is calling and pressed a key (or did
        not); in an attended one the agent is on the line, so answering is accepting."""
        leg = await self._ledger.known_leg(linkedid, leg_number)
        attended = leg.mode is TransferMode.ATTENDED
        if not attended:
            if digit != ACCEPT_KEY:
                if not digit and hearing < 2:
                    return ExpertAnswer(ExpertReply.RETRY)
                log.info("Expert %s did not accept (key %r)", leg.expert_id, digit)
                return ExpertAnswer(ExpertReply.DECLINED)
            # The console shows "accepted" while they talk (an attended one is accepted by the agent).
            try:
                await self._ledger.change(
                    linkedid, TransferEvent.ACCEPT, attempt=leg.attempt, expert_id=leg.expert_id
                )
            except IllegalTransferChangeError as refused:
                # The caller has gone (or the attempt is over) while the expert listened.
                log.info("Expert %s pressed 1 too late: %s", leg.expert_id, refused.message)
                return ExpertAnswer(ExpertReply.DECLINED)
        await self._ledger.answer_leg(leg, self._clock.now())
        recording_file = await self._recordings.start(leg)
        log.info("Expert %s accepted leg %s; recording %s", leg.expert_id, leg_number, recording_file)
        return ExpertAnswer(ExpertReply.ACCEPTED, recording_file)

    async def expert_hung_up(self, linkedid: str, leg_number: int, dial_status: str = "") -> None:
        """The expert's channel ended (its hangup handler), or an attended consultation's Dial returned."""
        leg = await self._ledger.leg(linkedid, leg_number)
        if leg is None:
            return
        answered = leg.answered_at is not None
        outcome = LegOutcome.ACCEPTED if answered else leg_outcome(dial_status or "ANSWER", False)
        attended = leg.mode is TransferMode.ATTENDED
        if attended and answered:
            # The expert talked to the agent only, unless the agent completed the transfer.
            call = await self._ledger.call(linkedid)
            if call is None or call.status is not TransferStatus.ACCEPTED:
                outcome = LegOutcome.CANCELLED
        await self._ledger.end_leg(leg, self._clock.now(), outcome)
        if attended:
            # Not completed by the agent: the expert hung up on the consultation, or never answered.
            event = TransferEvent.CANCEL if answered else TransferEvent.FAIL
            await self._ledger.change_if_allowed(linkedid, event, attempt=leg.attempt)
        if answered:
            self._recordings.finish_later(leg)

    async def consultation_leg(self, linkedid: str, phone: str) -> int:
        """The leg an attended transfer's consultation call belongs to."""
        legs = await self._ledger.legs(linkedid)
        leg = next((item for item in reversed(legs) if item.phone == phone and item.ended_at is None), None)
        if leg is None:
            raise TransferError("No consultation prepared", details={"linkedid": linkedid, "phone": phone})
        return leg.leg


def expert_whisper(caller_number: str | None, category: str) -> str:
    """What the expert hears before pressing 1, as one Read() prompt list so that a key cuts it short:
    the hotline, the caller's number digit by digit, the category."""
    digits = [f"digits/{digit}" for digit in caller_number or "" if digit.isdigit()]
    number = ["cc-expert-caller-number", *digits] if digits else []
    return "&".join(
        ["cc-expert-intro", *number, "cc-expert-category", f"cc-category-{category}", "cc-expert-press-1"]
    )

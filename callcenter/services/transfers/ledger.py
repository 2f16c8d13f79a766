"""The call's transfer in the store, as every part of the feature reads and changes it.

The transfer's state lives in the store (the call record and its legs), not in any object: whichever
app instance Asterisk's next AGI request reaches can continue. Each status change is checked against
the transitions table (``callcenter.domain.transfers.decide``) and written only if the call is still as
read (another instance, or a second click, may have changed it first); every change of an attempt, its
status or one of its legs, is pushed to the agent who started it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final, Protocol

from callcenter.domain.transfers import (
    IllegalTransferChangeError,
    LegOutcome,
    TransferError,
    TransferEvent,
    TransferMode,
    TransferRequest,
    decide,
)
from callcenter.errors import NotFoundError
from callcenter.store.transfers import CallTransfer, StoredLeg, TransferRepository

log = logging.getLogger(__name__)

# How often a change is decided again when someone else changed the call in between.
RACES: Final = 3


def no_such_call(linkedid: str) -> NotFoundError:
    return NotFoundError("No such call", details={"linkedid": linkedid})


class PushRequests(Protocol):
    def changed(self, linkedid: str, attempt: int, agent_id: str | None) -> None: ...


class TransferLedger:
    def __init__(self, repository: TransferRepository, pushes: PushRequests) -> None:
        self._repository = repository
        self._pushes = pushes

    # -- the call ---------------------------------------------------------------------------------------

    async def call(self, linkedid: str) -> CallTransfer | None:
        return await self._repository.call(linkedid)

    async def require(self, linkedid: str) -> CallTransfer:
        """The call, or a 404."""
        call = await self._repository.call(linkedid)
        if call is None:
            raise no_such_call(linkedid)
        return call

    async def change(
        self,
        linkedid: str,
        event: TransferEvent,
        *,
        attempt: int | None = None,
        expert_id: str | None = None,
        request: TransferRequest | None = None,
    ) -> CallTransfer:
        """The call after ``event`` (of ``attempt``, when it concerns one); an event the table refuses is
        an ``IllegalTransferChangeError``, an unknown call a 404."""
        for _race in range(RACES):
            call = await self.require(linkedid)
            new = decide(call.state, event, attempt)
            if new == call.state and expert_id in (None, call.expert_id):
                return call  # reported twice: nothing changes
            changed = await self._repository.change_state(linkedid, call.state, new, expert_id, request)
            if changed is not None:
                log.info(
                    "Transfer attempt %s: %s, %s -> %s", new.attempt, event, call.status or "none", new.status
                )
                self.push(changed)
                return changed
        raise TransferError("The transfer kept changing meanwhile; try again", details={"linkedid": linkedid})

    async def change_if_allowed(
        self, linkedid: str, event: TransferEvent, *, attempt: int | None = None, expert_id: str | None = None
    ) -> CallTransfer | None:
        """As :meth:`change`, for reports that may come after the attempt moved on (a leg ending after
        the agent completed, a caller's hangup after a fallback): those change nothing."""
        try:
            return await self.change(linkedid, event, attempt=attempt, expert_id=expert_id)
        except NotFoundError:
            return None
        except IllegalTransferChangeError as refused:
            log.debug("Transfer %s not applied: %s", event, refused.message)
            return None

    def push(self, call: CallTransfer) -> None:
        """The call's latest attempt changed (its status, recording or rating): its agent is told."""
        self._pushes.changed(call.linkedid, call.attempt, call.transfer_agent_id)

    def push_leg(self, leg: StoredLeg | None) -> None:
        """A leg of an attempt changed (or its recording): the agent of that attempt is told."""
        if leg is not None:
            self._pushes.changed(leg.linkedid, leg.attempt, leg.agent_id)

    # -- legs -------------------------------------------------------------------------------------------

    async def legs(self, linkedid: str) -> list[StoredLeg]:
        return await self._repository.legs(linkedid)

    async def leg(self, linkedid: str, number: int) -> StoredLeg | None:
        return await self._repository.leg(linkedid, number)

    async def known_leg(self, linkedid: str, number: int) -> StoredLeg:
        leg = await self._repository.leg(linkedid, number)
        if leg is None:
            raise TransferError("Unknown leg", details={"linkedid": linkedid, "leg": number})
        return leg

    async def open_leg(
        self, call: CallTransfer, mode: TransferMode, expert_id: str, phone: str, at: datetime
    ) -> StoredLeg:
        """The next leg of the call's latest attempt, for its agent (legs are numbered across the call's
        attempts)."""
        number = len(await self._repository.legs(call.linkedid)) + 1
        leg = await self._repository.open_leg(
            call.linkedid, number, call.attempt, mode, call.transfer_agent_id, expert_id, phone, at
        )
        self.push_leg(leg)
        return leg

    async def answer_leg(self, leg: StoredLeg, at: datetime) -> None:
        self.push_leg(await self._repository.answer_leg(leg.linkedid, leg.leg, at))

    async def end_leg(
        self, leg: StoredLeg, at: datetime, outcome: LegOutcome, rang_since: datetime | None = None
    ) -> None:
        """``rang_since``: when the phone really began to ring, once Asterisk said."""
        if rang_since is not None:
            await self._repository.set_ring_at(leg.linkedid, leg.leg, rang_since)
        self.push_leg(await self._repository.end_leg(leg.linkedid, leg.leg, at, outcome))

    async def end_open_legs(
        self, linkedid: str, at: datetime, outcome: LegOutcome, answered_outcome: LegOutcome
    ) -> None:
        """Every open leg of the call ends: ``answered_outcome`` for those the expert answered."""
        for leg in await self._repository.end_open_legs(linkedid, at, outcome, answered_outcome):
            self.push_leg(leg)

    async def settle_legs(self, linkedid: str, at: datetime) -> None:
        """Legs nobody reported the end of (the caller hung up, or the app was down) end now; an attempt
        whose expert answered counts as accepted, one nobody answered as the caller's hangup."""
        call = await self._repository.call(linkedid)
        if call is None:
            return
        legs = [leg for leg in await self._repository.legs(linkedid) if leg.attempt == call.attempt]
        talking = next((leg for leg in reversed(legs) if leg.answered_at is not None), None)
        await self.end_open_legs(linkedid, at, LegOutcome.CALLER_HUNG_UP, LegOutcome.ACCEPTED)
        if talking is not None:
            await self.change_if_allowed(
                linkedid, TransferEvent.ACCEPT, attempt=call.attempt, expert_id=talking.expert_id
            )
        else:
            await self.change_if_allowed(linkedid, TransferEvent.CALLER_LEFT, attempt=call.attempt)

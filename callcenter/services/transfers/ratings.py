"""The caller's rating of the expert's answer: a key at the rating question (asked again on a missing or
invalid one), "no rating" for a caller who left, and the keys the classic AGI fallback spooled while
the app was unreachable. Stored against the call, the expert, the agent and the call's work order."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Protocol

from callcenter.clock import Clock
from callcenter.domain.stored_orders import StoredOrder
from callcenter.domain.transfers import (
    RatingDecision,
    RatingOptionChoice,
    RatingStatus,
    RatingVerdict,
    TransferError,
    TransferStatus,
    decide_rating,
)
from callcenter.domain.work_orders import Channel
from callcenter.hotline import HotlineConfig
from callcenter.logsetup import call_scope
from callcenter.services.transfers.ledger import TransferLedger
from callcenter.store.transfers import CallTransfer, TransferRepository

log = logging.getLogger(__name__)

SOURCE_APP: Final = "app"
# The classic AGI fallback's spool, while the app was unreachable.
SOURCE_SPOOL: Final = "spool"


class CallOrders(Protocol):
    async def order_for_call(self, linkedid: str, channel: Channel = ...) -> StoredOrder | None: ...


class Ratings:
    def __init__(
        self,
        hotline: HotlineConfig,
        repository: TransferRepository,
        ledger: TransferLedger,
        work_orders: CallOrders,
        clock: Clock,
    ) -> None:
        self._hearings = hotline.rating.attempts
        self._scale = tuple(
            RatingOptionChoice(option.digit, option.code, option.dissatisfied)
            for option in hotline.rating.scale
        )
        self._repository = repository
        self._ledger = ledger
        self._work_orders = work_orders
        self._clock = clock

    async def rate(
        self,
        linkedid: str,
        digit: str,
        hearing: int,
        source: str = SOURCE_APP,
        at: datetime | None = None,
    ) -> RatingDecision:
        decision = decide_rating(self._scale, digit, hearing, self._hearings)
        if decision.verdict is RatingVerdict.RETRY:
            # "attempt": the hearing, in the words operators (and the integration tests) look for.
            log.info("Rating key %r on attempt %s: asked again", digit, hearing)
            return decision
        if decision.verdict is RatingVerdict.NONE:
            await self.no_rating(linkedid, source, at)
            return decision
        option = decision.option
        assert option is not None
        call = await self._ledger.call(linkedid)
        stored = await self._store(linkedid, call, RatingStatus.RATED, option, source, at)
        if stored and option.dissatisfied:
            await self._repository.mark_needs_callback(linkedid)
        if stored and call is not None:
            self._ledger.push(call)
        log.info(
            "Rated %s (%s)%s", option.code, digit, ", marked for a callback" if option.dissatisfied else ""
        )
        return decision

    async def no_rating(self, linkedid: str, source: str = SOURCE_APP, at: datetime | None = None) -> None:
        call = await self._ledger.call(linkedid)
        # Only a caller who reached an expert can owe a rating.
        if call is None or call.status is not TransferStatus.ACCEPTED:
            return
        if await self._store(linkedid, call, RatingStatus.NONE, None, source, at):
            self._ledger.push(call)

    async def _store(
        self,
        linkedid: str,
        call: CallTransfer | None,
        status: RatingStatus,
        option: RatingOptionChoice | None,
        source: str,
        at: datetime | None,
    ) -> bool:
        """``call``: as the caller just read it (None for a call the store does not know)."""
        order = await self._work_orders.order_for_call(linkedid, Channel.HOTLINE)
        _rating, changed = await self._repository.store_rating(
            {
                "linkedid": linkedid,
                "status": status.value,
                "digit": option.digit if option else None,
                "code": option.code if option else None,
                "dissatisfied": bool(option and option.dissatisfied),
                "expert_id": call.expert_id if call else None,
                "agent_id": (call.transfer_agent_id or call.agent_id) if call else None,
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
            await self._ledger.settle_legs(linkedid, at or self._clock.now())
            if record.get("hangup"):
                await self.no_rating(linkedid, SOURCE_SPOOL, at)
                return
            # The fallback cannot ask again: a missing or invalid key is the last hearing's.
            await self.rate(linkedid, str(record.get("digit") or ""), self._hearings, SOURCE_SPOOL, at)

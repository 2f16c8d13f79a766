"""What the triage agent ticks for a call (type, category, urgency, who is calling): stored on the call,
and the call's work order registered or brought up to date with it."""

from __future__ import annotations

import logging

from callcenter.clock import Clock
from callcenter.domain.calls import StoredCall
from callcenter.domain.transfers import Classification
from callcenter.domain.work_orders import Channel, OrderType
from callcenter.hotline import HotlineConfig
from callcenter.logsetup import call_scope
from callcenter.services.experts import UnknownCategoryError
from callcenter.services.transfers.ledger import no_such_call
from callcenter.services.transfers.views import CallReader
from callcenter.services.work_orders import Registration, WorkOrderService
from callcenter.store.transfers import TransferRepository

log = logging.getLogger(__name__)


class Classifications:
    def __init__(
        self,
        hotline: HotlineConfig,
        repository: TransferRepository,
        calls: CallReader,
        work_orders: WorkOrderService,
        clock: Clock,
    ) -> None:
        self._hotline = hotline
        self._repository = repository
        self._calls = calls
        self._work_orders = work_orders
        self._clock = clock

    async def classify(
        self, linkedid: str, classification: Classification, agent_id: str | None
    ) -> StoredCall:
        """The call as classified now."""
        if self._hotline.category(classification.category) is None:
            raise UnknownCategoryError(
                f"Unknown consultation category {classification.category!r}",
                details={
                    "category": classification.category,
                    "known": [category.code for category in self._hotline.categories],
                },
            )
        with call_scope(linkedid):
            transfer = await self._repository.classify(linkedid, classification, agent_id, self._clock.now())
            call = await self._calls.get_call(linkedid)
            if transfer is None or call is None:
                raise no_such_call(linkedid)
            # Through the work-order service, as every channel's orders: one numbering, deadlines, history.
            existing = await self._work_orders.order_for_call(linkedid, Channel.HOTLINE)
            if existing is None:
                await self._work_orders.register(
                    Registration(
                        channel=Channel.HOTLINE,
                        order_type=OrderType(classification.call_type.value),
                        category=classification.category,
                        description=classification.notes or "",
                        caller_number=call.caller_number,
                        caller_name=classification.caller_name or None,
                        prefecture=call.prefecture,
                        urgency=classification.urgency,
                        language=call.language,
                        linkedid=linkedid,
                    ),
                    None,
                )
            else:
                await self._work_orders.update_call_order(
                    existing,
                    {
                        "order_type": classification.call_type.value,
                        "category": classification.category,
                        "urgency": classification.urgency.value,
                        "caller_name": classification.caller_name or None,
                        "description": classification.notes or None,
                    },
                )
            log.info(
                "Classified as %s / %s by agent %s",
                classification.call_type,
                classification.category,
                agent_id,
            )
        return call

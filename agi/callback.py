"""FastAGI route ``callback``: a waiting caller pressed the callback key and leaves the queue.

Arguments: 1 linkedid, 2 when the caller joined the queue (epoch seconds, Asterisk's clock). Answers
CC_CALLBACK_STATUS.
"""

from __future__ import annotations

import logging

from agi import variables
from agi.channel import AgiChannel, RouteHandler
from callcenter.clock import Clock
from callcenter.domain.calls import normalise_number
from callcenter.logsetup import call_scope
from callcenter.services.ivr import IvrService

log = logging.getLogger(__name__)

ROUTE = "callback"


def make_callback_route(ivr: IvrService, clock: Clock) -> RouteHandler:
    async def callback(channel: AgiChannel) -> None:
        linkedid = channel.arg(1)
        with call_scope(linkedid):
            try:
                await ivr.request_callback(
                    linkedid,
                    normalise_number(channel.env.get("agi_callerid")),
                    clock.from_epoch(channel.arg(2)),
                )
            except Exception:
                log.exception("Callback request not recorded")
                await channel.set_variable(variables.CALLBACK_STATUS, variables.STATUS_ERROR)
                return
            await channel.set_variable(variables.CALLBACK_STATUS, variables.STATUS_OK)

    return callback

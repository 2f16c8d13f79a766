"""FastAGI route ``consult``: an agent's attended-transfer consultation is about to dial the expert.

Arguments: 1 linkedid, 2 the expert's number (the extension the agent's consultation dialled).
Answers CC_TRANSFER_LEG, then CC_TRANSFER_STATUS ok, or error (no such consultation: not dialled).
"""

from __future__ import annotations

import logging

from agi import variables
from agi.channel import AgiChannel, RouteHandler
from callcenter.logsetup import call_scope
from callcenter.services.transfers.hunt import Hunt

log = logging.getLogger(__name__)

ROUTE = "consult"


def make_consult_route(hunt: Hunt) -> RouteHandler:
    async def consult(channel: AgiChannel) -> None:
        linkedid = channel.arg(1)
        with call_scope(linkedid):
            try:
                leg = await hunt.consultation_leg(linkedid, channel.arg(2))
            except Exception:
                log.exception("No consultation to dial")
                await channel.set_variable(variables.TRANSFER_STATUS, variables.STATUS_ERROR)
                return
            await channel.set_variable(variables.TRANSFER_LEG, str(leg))
            await channel.set_variable(variables.TRANSFER_STATUS, variables.STATUS_OK)

    return consult

"""FastAGI route ``after-agent``: the caller is back from the queue (the agent or an attended transfer's
expert hung up). Arguments: 1 linkedid. Answers CC_TRANSFER_STEP (rate or hangup), then
CC_TRANSFER_STATUS ok or error.
"""

from __future__ import annotations

import logging

from agi import variables
from agi.channel import AgiChannel, RouteHandler
from callcenter.logsetup import call_scope
from callcenter.services.transfers.hunt import Hunt

log = logging.getLogger(__name__)

ROUTE = "after-agent"


def make_after_agent_route(hunt: Hunt) -> RouteHandler:
    async def after_agent(channel: AgiChannel) -> None:
        linkedid = channel.arg(1)
        with call_scope(linkedid):
            try:
                step = await hunt.after_agent(linkedid)
            except Exception:
                log.exception("After-agent step failed")
                await channel.set_variable(variables.TRANSFER_STATUS, variables.STATUS_ERROR)
                return
            await channel.set_variable(variables.TRANSFER_STEP, step.value)
            await channel.set_variable(variables.TRANSFER_STATUS, variables.STATUS_OK)

    return after_agent

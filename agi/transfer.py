"""FastAGI route ``transfer``: the caller's channel in cc-transfer asks what comes next.

Arguments: 1 linkedid, 2 the leg that just ended (0 at the start; "hangup" from the caller's hangup
handler), 3 its DIALSTATUS, 4 the leg the expert accepted (set by the confirm routine, "" if none), 5
when its Dial() began (epoch seconds, Asterisk's clock).
Answers CC_TRANSFER_STEP (dial, rate, queue, callback), CC_TRANSFER_ANNOUNCE, for dial CC_TRANSFER_LEG,
CC_EXPERT_NUMBER and CC_EXPERT_WHISPER, for queue CC_QUEUE and CC_QUEUE_PRIORITY; then
CC_TRANSFER_STATUS ok, or error so the dialplan takes its fallback branch.
"""

from __future__ import annotations

import logging

from agi import variables
from agi.channel import AgiChannel, RouteHandler
from callcenter.clock import Clock
from callcenter.domain.transfers import TransferStep
from callcenter.logsetup import call_scope
from callcenter.services.transfers.hunt import Hunt

log = logging.getLogger(__name__)

ROUTE = "transfer"
HANGUP = "hangup"


def make_transfer_route(hunt: Hunt, clock: Clock) -> RouteHandler:
    async def transfer(channel: AgiChannel) -> None:
        linkedid = channel.arg(1)
        with call_scope(linkedid):
            if channel.arg(2) == HANGUP:
                await hunt.caller_hung_up(linkedid)
                return
            try:
                decision = await hunt.step(
                    linkedid,
                    int(channel.arg(2) or 0),
                    channel.arg(3),
                    channel.arg(4),
                    clock.from_epoch(channel.arg(5)),
                )
            except Exception:
                log.exception("Transfer step failed")
                await channel.set_variable(variables.TRANSFER_STATUS, variables.STATUS_ERROR)
                return
            await channel.set_variable(variables.TRANSFER_STEP, decision.step.value)
            await channel.set_variable(variables.TRANSFER_ANNOUNCE, decision.announce)
            if decision.step is TransferStep.DIAL:
                await channel.set_variable(variables.TRANSFER_LEG, str(decision.leg))
                await channel.set_variable(variables.EXPERT_NUMBER, decision.number)
                await channel.set_variable(variables.EXPERT_WHISPER, decision.whisper)
            elif decision.step is TransferStep.QUEUE:
                await channel.set_variable(variables.QUEUE, decision.queue)
                await channel.set_variable(variables.QUEUE_PRIORITY, str(decision.priority))
            await channel.set_variable(variables.TRANSFER_STATUS, variables.STATUS_OK)

    return transfer

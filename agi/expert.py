"""FastAGI routes on the expert's channel.

``expert`` (the call-confirm routine, after the expert heard who is calling): arguments 1 linkedid,
2 the leg, 3 the key pressed ("" for none, "attended" for an attended transfer's consultation), 4 the
hearing (1, 2). Answers CC_RECORDING_FILE when accepted, then CC_EXPERT_STATUS: accepted, retry or
declined. An error leaves CC_EXPERT_STATUS unset: the dialplan's fallback decides by the key alone.

``expert-end`` (the expert channel's hangup handler, or after an attended consultation's Dial):
arguments 1 linkedid, 2 the leg, 3 DIALSTATUS when known. Answers nothing.
"""

from __future__ import annotations

import logging

from agi import variables
from agi.channel import AgiChannel, RouteHandler
from callcenter.logsetup import call_scope
from callcenter.services.transfers.hunt import ACCEPT_KEY, Hunt

log = logging.getLogger(__name__)

ROUTE = "expert"
END_ROUTE = "expert-end"
ATTENDED = "attended"


def make_expert_route(hunt: Hunt) -> RouteHandler:
    async def expert(channel: AgiChannel) -> None:
        linkedid = channel.arg(1)
        with call_scope(linkedid):
            key = channel.arg(3)
            answer = await hunt.expert_answered(
                linkedid,
                int(channel.arg(2) or 0),
                ACCEPT_KEY if key == ATTENDED else key,
                int(channel.arg(4) or 1),
            )
            if answer.recording_file:
                await channel.set_variable(variables.RECORDING_FILE, answer.recording_file)
            await channel.set_variable(variables.EXPERT_STATUS, answer.status.value)

    return expert


def make_expert_end_route(hunt: Hunt) -> RouteHandler:
    async def expert_end(channel: AgiChannel) -> None:
        linkedid = channel.arg(1)
        with call_scope(linkedid):
            await hunt.expert_hung_up(linkedid, int(channel.arg(2) or 0), channel.arg(3))

    return expert_end

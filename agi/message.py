"""FastAGI route ``message``: an off-hours recording has ended (by silence, '#', length, or hangup).

Arguments: 1 linkedid, 2 "hangup" when run by the hangup handler (the caller hung up while recording:
Asterisk may still be writing the file). Answers CC_MESSAGE_STATUS: saved (a work order exists) or empty.
Runs from the dialplan, and from a hangup handler when the caller hangs up while recording; both may
report the same recording, and the work order is made once.
"""

from __future__ import annotations

import logging

from agi import variables
from agi.channel import AgiChannel, RouteHandler
from callcenter.domain.calls import normalise_number
from callcenter.logsetup import call_scope
from callcenter.services.ivr import IvrService

log = logging.getLogger(__name__)

ROUTE = "message"


def make_message_route(ivr: IvrService) -> RouteHandler:
    async def message(channel: AgiChannel) -> None:
        linkedid = channel.arg(1)
        with call_scope(linkedid):
            caller = normalise_number(channel.env.get("agi_callerid"))
            if channel.arg(2) == "hangup":
                ivr.take_message_after_hangup(linkedid, caller)
                return
            _assessment, order = await ivr.take_message(linkedid, caller)
            status = variables.MESSAGE_SAVED if order is not None else variables.MESSAGE_EMPTY
            try:
                await channel.set_variable(variables.MESSAGE_STATUS, status)
            except Exception:
                # After a hangup the channel takes no variables; the work order is what counts.
                log.debug("Channel gone before the message status could be set")

    return message

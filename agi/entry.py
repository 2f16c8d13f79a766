"""FastAGI route ``entry``: the first decision for every call to the hotline.

Arguments: 1 linkedid, 2 dialled number, 3 started at, 4 answered at (epoch seconds from the dialplan).
Answers through CC_NEXT_STEP and CC_PROMPT, and CC_ENTRY_STATUS last, so that any failure on the way leaves
the status unset or "error" and the dialplan takes its fallback branch. A store that is down does not
fail the call: the record waits in the spool (see CallService.record).
"""

from __future__ import annotations

import logging

from agi import variables
from agi.channel import AgiChannel, RouteHandler
from callcenter.domain.calls import epoch_to_datetime, normalise_number
from callcenter.logsetup import call_id_var
from callcenter.services.calls import CallService, NewCall

log = logging.getLogger(__name__)

ROUTE = "entry"


def make_entry_route(calls: CallService) -> RouteHandler:
    async def entry(channel: AgiChannel) -> None:
        linkedid = channel.arg(1) or channel.env.get("agi_uniqueid", "")
        token = call_id_var.set(linkedid)
        try:
            new_call = NewCall(
                linkedid=linkedid,
                uniqueid=channel.env.get("agi_uniqueid", ""),
                channel=channel.env.get("agi_channel", ""),
                caller_number=normalise_number(channel.env.get("agi_callerid")),
                dialed_number=channel.arg(2) or channel.env.get("agi_dnid", ""),
                started_at=epoch_to_datetime(channel.arg(3)),
                answered_at=epoch_to_datetime(channel.arg(4)),
            )
            try:
                decision = calls.decide_entry(new_call)
            except Exception:
                log.exception("Entry decision failed; the dialplan takes its fallback branch")
                await channel.set_variable(variables.ENTRY_STATUS, variables.STATUS_ERROR)
                return
            await channel.set_variable(variables.NEXT_STEP, decision.next_step)
            await channel.set_variable(variables.PROMPT, decision.prompt)
            await channel.set_variable(variables.ENTRY_STATUS, variables.STATUS_OK)
            # Recorded only now: the store's work would otherwise sit between Asterisk's commands.
            calls.record_entry(new_call, decision)
            log.info("Call from %s entered: next step %s", new_call.caller_number, decision.next_step)
        finally:
            call_id_var.reset(token)

    return entry

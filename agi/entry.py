"""FastAGI route ``entry``: the first decision for every call to the hotline.

Arguments: 1 linkedid, 2 dialled number, 3 started at, 4 answered at (epoch seconds from the dialplan,
Asterisk's clock, put on the app's).
Answers through the variables in agi.variables, CC_ENTRY_STATUS last, so that any failure on the way
leaves the status unset or "error" and the dialplan takes its fallback branch. A store that is down does
not fail the call: the record waits in the spool (see CallService.record).
"""

from __future__ import annotations

import logging

from agi import variables
from agi.channel import AgiChannel, RouteHandler
from callcenter.clock import Clock
from callcenter.domain.calls import normalise_number
from callcenter.hotline import queue_name
from callcenter.logsetup import call_scope
from callcenter.services.calls import NewCall
from callcenter.services.ivr import IvrService

log = logging.getLogger(__name__)

ROUTE = "entry"


def make_entry_route(ivr: IvrService, clock: Clock) -> RouteHandler:
    async def entry(channel: AgiChannel) -> None:
        linkedid = channel.arg(1) or channel.env.get("agi_uniqueid", "")
        with call_scope(linkedid):
            new_call = NewCall(
                linkedid=linkedid,
                uniqueid=channel.env.get("agi_uniqueid", ""),
                channel=channel.env.get("agi_channel", ""),
                caller_number=normalise_number(channel.env.get("agi_callerid")),
                dialed_number=channel.arg(2) or channel.env.get("agi_dnid", ""),
                started_at=clock.from_epoch(channel.arg(3)),
                answered_at=clock.from_epoch(channel.arg(4)),
            )
            try:
                decision = ivr.decide_entry(new_call)
                answer = {
                    variables.NEXT_STEP: decision.next_step,
                    variables.AFTER_LANGUAGE: decision.after_language,
                    variables.LANGUAGE: decision.language,
                    variables.QUEUE: queue_name(decision.queue),
                    variables.OVERFLOW_QUEUE: queue_name(decision.overflow_queue)
                    if decision.overflow_queue
                    else "",
                }
                # Also when open: with nobody logged in, callers leave a message instead of waiting.
                answer[variables.MESSAGE_PATH] = str(ivr.message_paths(linkedid).in_root)
            except Exception:
                log.exception("Entry decision failed; the dialplan takes its fallback branch")
                await channel.set_variable(variables.ENTRY_STATUS, variables.STATUS_ERROR)
                return
            for name, value in answer.items():
                await channel.set_variable(name, value)
            await channel.set_variable(variables.ENTRY_STATUS, variables.STATUS_OK)
            # Recorded only now: the store's work would otherwise sit between Asterisk's commands.
            ivr.record_entry(new_call, decision)
            log.info(
                "Call from %s (%s, %s) entered: %s, queue %s",
                new_call.caller_number,
                decision.caller.kind,
                decision.caller.place or "place unknown",
                "open" if decision.is_open else "closed",
                decision.queue,
            )

    return entry

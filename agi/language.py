"""FastAGI route ``language``: the caller's key in the language menu.

Arguments: 1 linkedid, 2 the key read (empty when none), 3 the attempt (1, 2, ...).
Answers CC_LANGUAGE and CC_LANGUAGE_STATUS (chosen, retry, or default after the last attempt).
"""

from __future__ import annotations

import logging

from agi import variables
from agi.channel import AgiChannel, RouteHandler
from callcenter.logsetup import call_scope
from callcenter.services.ivr import IvrService

log = logging.getLogger(__name__)

ROUTE = "language"


def make_language_route(ivr: IvrService) -> RouteHandler:
    async def language(channel: AgiChannel) -> None:
        linkedid = channel.arg(1)
        with call_scope(linkedid):
            try:
                attempt = int(channel.arg(3) or "1")
            except ValueError:
                attempt = 1
            decision = ivr.choose_language(linkedid, channel.arg(2).strip(), attempt)
            await channel.set_variable(variables.LANGUAGE, decision.language)
            await channel.set_variable(variables.LANGUAGE_STATUS, decision.status)
            log.info(
                "Language key %r on attempt %s: %s %s",
                channel.arg(2),
                attempt,
                decision.status,
                decision.language,
            )

    return language

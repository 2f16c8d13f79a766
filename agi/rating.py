"""FastAGI route ``rating``: the caller pressed a key (or none) at the rating question.

Arguments: 1 linkedid, 2 the key ("" for none), 3 the hearing (1, 2, ...), or 2 "hangup" from the
hangup handler of a caller who left before rating. Answers CC_RATING_STATUS: stored, retry or none.
"""

from __future__ import annotations

import logging

from agi import variables
from agi.channel import AgiChannel, RouteHandler
from callcenter.logsetup import call_scope
from callcenter.services.transfers.ratings import Ratings

log = logging.getLogger(__name__)

ROUTE = "rating"
HANGUP = "hangup"


def make_rating_route(ratings: Ratings) -> RouteHandler:
    async def rating(channel: AgiChannel) -> None:
        linkedid = channel.arg(1)
        with call_scope(linkedid):
            if channel.arg(2) == HANGUP:
                await ratings.no_rating(linkedid)
                return
            decision = await ratings.rate(linkedid, channel.arg(2), int(channel.arg(3) or 1))
            await channel.set_variable(variables.RATING_STATUS, decision.verdict.value)

    return rating

"""Redis pub/sub: events every application instance can serve to its browsers."""

from __future__ import annotations

import json
import logging
from typing import Any

import redis.asyncio as redis_asyncio
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class RedisEventBus:
    def __init__(self, url: str) -> None:
        self._url = url
        self._client: Any = redis_asyncio.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
        self._outage_reported = False

    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        """Best effort: a lost Redis never fails a call, and is logged once until it is back."""
        try:
            await self._client.publish(channel, json.dumps(payload, default=str))
        except (RedisError, OSError) as error:
            if not self._outage_reported:
                log.error("Redis at %s unreachable (%s); events are not published", self._url, error)
                self._outage_reported = True
            return
        if self._outage_reported:
            log.warning("Redis at %s reachable again", self._url)
            self._outage_reported = False

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._client.aclose()

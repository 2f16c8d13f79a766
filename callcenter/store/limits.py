"""Rate limits shared by every app instance (Redis counters per key and window).

Without Redis the instance counts on its own, so a limit still holds per instance rather than vanishing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class RateLimiter:
    def __init__(self, client: Any, prefix: str, limit: int, window_seconds: int) -> None:
        self._client = client
        self._prefix = prefix
        self._limit = limit
        self._window = window_seconds
        self._local: dict[str, tuple[int, int]] = {}
        self._outage_reported = False

    async def hit(self, key: str) -> bool:
        """Counts one attempt for ``key``; False once the limit for the current window is exceeded."""
        window = int(time.time()) // self._window
        name = f"{self._prefix}:{key}:{window}"
        try:
            pipeline = self._client.pipeline()
            pipeline.incr(name)
            pipeline.expire(name, self._window * 2)
            count, _ = await pipeline.execute()
        except (RedisError, OSError) as error:
            if not self._outage_reported:
                log.error("Redis unreachable (%s); rate limit %s counts per instance", error, self._prefix)
                self._outage_reported = True
            count = self._count_locally(name, window)
        else:
            if self._outage_reported:
                log.warning("Redis reachable again; rate limit %s shared again", self._prefix)
                self._outage_reported = False
        return int(count) <= self._limit

    def _count_locally(self, name: str, window: int) -> int:
        # Old windows go, so the dictionary cannot grow without bound.
        self._local = {k: v for k, v in self._local.items() if v[1] >= window - 1}
        count = self._local.get(name, (0, window))[0] + 1
        self._local[name] = (count, window)
        return count

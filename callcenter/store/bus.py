"""Redis pub/sub: events every application instance can serve to its browsers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import redis.asyncio as redis_asyncio
from redis.exceptions import RedisError

from callcenter.encoding import json_default
from callcenter.store.limits import RateLimiter

log = logging.getLogger(__name__)


class RedisEventBus:
    def __init__(self, url: str, namespace: str = "cc12348") -> None:
        """``namespace`` prefixes every channel and counter: the instances of one hotline share it, and
        another deployment on the same Redis (a test run, a second province) does not hear or count
        with them."""
        self._url = url
        self._namespace = namespace
        self._client: Any = redis_asyncio.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
        self._outage_reported = False

    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        """Best effort: a lost Redis never fails a call, and is logged once until it is back."""
        data = json.dumps(payload, default=json_default)
        await self._best_effort(lambda: self._client.publish(self._name(channel), data))

    async def keep_and_publish(self, key: str, channel: str, payload: dict[str, Any]) -> None:
        """``payload`` kept under ``key`` (what a browser connecting later starts from) and published on
        ``channel``, in one round trip; best effort like :meth:`publish`."""
        data = json.dumps(payload, default=json_default)

        async def both() -> None:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.set(self._name(key), data)
                pipe.publish(self._name(channel), data)
                await pipe.execute()

        await self._best_effort(both)

    async def _best_effort(self, send: Callable[[], Awaitable[Any]]) -> None:
        """Runs ``send``; Redis being gone is logged once, and its return once."""
        try:
            await send()
        except (RedisError, OSError) as error:
            if not self._outage_reported:
                log.error("Redis at %s unreachable (%s); events are not published", self._url, error)
                self._outage_reported = True
            return
        if self._outage_reported:
            log.warning("Redis at %s reachable again", self._url)
            self._outage_reported = False

    async def kept(self, key: str) -> dict[str, Any] | None:
        """What :meth:`keep_and_publish` last kept under ``key`` (None when nothing, or Redis is gone)."""
        try:
            data = await self._client.get(self._name(key))
        except (RedisError, OSError):
            return None
        return None if data is None else dict(json.loads(data))

    async def listen(self, channel: str, retry_seconds: float = 1.0) -> AsyncIterator[dict[str, Any]]:
        """Every message published on ``channel`` from now on, by any instance; survives Redis restarts
        (what was published while it was gone is lost: the store stays the source of truth)."""
        reported = False
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(self._name(channel))
                if reported:
                    log.warning("Redis at %s reachable again; listening on %s", self._url, channel)
                    reported = False
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        yield json.loads(message["data"])
            except (RedisError, OSError) as error:
                if not reported:
                    log.error("Redis at %s unreachable (%s); not listening on %s", self._url, error, channel)
                    reported = True
                await asyncio.sleep(retry_seconds)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    def rate_limiter(self, prefix: str, limit: int, window_seconds: int) -> RateLimiter:
        """A limit counted in this Redis, so that every instance shares it."""
        return RateLimiter(self._client, self._name(prefix), limit, window_seconds)

    def _name(self, name: str) -> str:
        return f"{self._namespace}:{name}"

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._client.aclose()

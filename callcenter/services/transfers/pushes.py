"""Every change of a transfer attempt, pushed to the agent who started it (the console's socket).

A change asks for a push; the push reads the transfer as ``GET /api/calls/{linkedid}/transfer`` shows
it, after the change, and sends ``{"type": "transfer", "linkedid", "attempt", "transfer": <that body>}``
to this instance's sockets of the agent at once and, through Redis, to every other instance's. Changes
that come in a burst are folded into one push of the latest state; pushes of one call keep their order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Protocol

from callcenter.logsetup import call_scope
from callcenter.services.transfers.views import TransferView
from callcenter.tasks import BackgroundTasks

log = logging.getLogger(__name__)

PUSH_CHANNEL = "transfer-pushes"
PUSH_TYPE = "transfer"
# A console that reads too slowly loses the oldest pushes (each carries the whole state), never holds up
# the others.
CLIENT_BACKLOG = 64


class PushBus(Protocol):
    async def publish(self, channel: str, payload: dict[str, Any]) -> None: ...

    def listen(self, channel: str) -> AsyncIterator[dict[str, Any]]: ...


class TransferPushes:
    def __init__(
        self,
        view: Callable[[str], Awaitable[TransferView]],
        render: Callable[[TransferView], Mapping[str, Any]],
        bus: PushBus,
    ) -> None:
        """``view`` reads a call's transfer; ``render`` makes the API's JSON body of it (the web's)."""
        self._view = view
        self._render = render
        self._bus = bus
        # Pushes this instance published come back from Redis: its own sockets already have them.
        self._origin = uuid.uuid4().hex
        self._pending: dict[str, set[tuple[int, str]]] = {}
        self._pushing: set[str] = set()
        self._listeners: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._background = BackgroundTasks()
        self._fanout: asyncio.Task[None] | None = None

    # -- from the transfer feature ----------------------------------------------------------------------

    def changed(self, linkedid: str, attempt: int, agent_id: str | None) -> None:
        """Attempt ``attempt`` of the call changed; ``agent_id`` started it (None: nobody to tell)."""
        if not agent_id or attempt < 1:
            return
        self._pending.setdefault(linkedid, set()).add((attempt, agent_id))
        if linkedid not in self._pushing:
            self._pushing.add(linkedid)
            self._background.start(self._push(linkedid), "A transfer's change was not pushed")

    async def _push(self, linkedid: str) -> None:
        with call_scope(linkedid):
            try:
                # A change made while the state is read asks again: the next round reads it.
                while targets := self._pending.pop(linkedid, None):
                    body = dict(self._render(await self._view(linkedid)))
                    for attempt, agent_id in sorted(targets):
                        await self._deliver(
                            agent_id,
                            {"type": PUSH_TYPE, "linkedid": linkedid, "attempt": attempt, "transfer": body},
                        )
            finally:
                self._pushing.discard(linkedid)

    async def _deliver(self, agent_id: str, message: dict[str, Any]) -> None:
        self._to_sockets(agent_id, message)
        await self._bus.publish(
            PUSH_CHANNEL, {"origin": self._origin, "agent_id": agent_id, "message": message}
        )

    # -- to the sockets ---------------------------------------------------------------------------------

    def _to_sockets(self, agent_id: str, message: dict[str, Any]) -> None:
        for queue in self._listeners.get(agent_id, ()):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)

    @contextlib.asynccontextmanager
    async def listen(self, agent_id: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """The pushes for the agent's attempts from now on, whichever instance made them."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(CLIENT_BACKLOG)
        self._listeners.setdefault(agent_id, set()).add(queue)
        try:
            yield queue
        finally:
            self._listeners[agent_id].discard(queue)

    async def _forward_from_redis(self) -> None:
        """One subscription per instance, however many sockets."""
        async for envelope in self._bus.listen(PUSH_CHANNEL):
            if envelope.get("origin") != self._origin and isinstance(envelope.get("message"), dict):
                self._to_sockets(str(envelope.get("agent_id")), envelope["message"])

    # -- lifecycle --------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._fanout = asyncio.create_task(self._forward_from_redis(), name="transfer pushes fanout")

    async def stop(self) -> None:
        if self._fanout is not None:
            self._fanout.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._fanout
        await self.drain()

    async def drain(self) -> None:
        await self._background.drain()

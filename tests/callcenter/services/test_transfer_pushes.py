"""Transfer pushes: a burst of changes is one push of the state read after them, to the agent of the
attempt only, on this instance at once and on every other one through Redis (never twice here)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from unittest.mock import ANY

from callcenter.services.transfers.pushes import PUSH_CHANNEL, TransferPushes
from callcenter.store.bus import RedisEventBus
from tests.fakes import RecordingPublisher

REDIS = "redis://127.0.0.1:6379/0"


class Reads:
    """The transfer's state as each read finds it: the number of the read."""

    def __init__(self) -> None:
        self.count = 0
        self.gate: asyncio.Event | None = None

    async def view(self, linkedid: str) -> Any:
        self.count += 1
        read = self.count
        if self.gate is not None:
            await self.gate.wait()
        return {"linkedid": linkedid, "read": read}

    def render(self, view: Any) -> dict[str, Any]:
        return dict(view)


async def test_a_burst_of_changes_is_one_push_to_the_agent_of_the_attempt() -> None:
    bus, reads = RecordingPublisher(), Reads()
    pushes = TransferPushes(reads.view, reads.render, bus)
    async with pushes.listen("1001") as mine, pushes.listen("1002") as theirs:
        pushes.changed("6.1", 1, "1001")
        pushes.changed("6.1", 1, "1001")
        pushes.changed("6.1", 1, None)  # an attempt nobody started from a console
        pushes.changed("6.1", 0, "1001")  # never transferred
        await pushes.drain()
        expected = {
            "type": "transfer",
            "linkedid": "6.1",
            "attempt": 1,
            "transfer": {"linkedid": "6.1", "read": 1},
        }
        assert mine.get_nowait() == expected
        assert mine.empty() and theirs.empty()
    assert bus.published == [(PUSH_CHANNEL, {"origin": ANY, "agent_id": "1001", "message": expected})]


async def test_a_change_while_the_state_is_read_is_pushed_again_after_it() -> None:
    reads = Reads()
    reads.gate = asyncio.Event()
    pushes = TransferPushes(reads.view, reads.render, RecordingPublisher())
    async with pushes.listen("1001") as mine:
        pushes.changed("6.2", 1, "1001")
        await asyncio.sleep(0.05)  # the first read is under way
        pushes.changed("6.2", 1, "1001")
        pushes.changed("6.2", 2, "1001")  # the next attempt, by the same agent
        reads.gate.set()
        await pushes.drain()
        got = [mine.get_nowait() for _ in range(mine.qsize())]
    assert [(m["attempt"], m["transfer"]["read"]) for m in got] == [(1, 1), (1, 2), (2, 2)]


async def test_every_instance_pushes_to_its_own_sockets_through_redis() -> None:
    namespace = f"cc12348-test-{uuid.uuid4().hex}"
    buses = RedisEventBus(REDIS, namespace), RedisEventBus(REDIS, namespace)
    reads = Reads()
    one, two = (TransferPushes(reads.view, reads.render, bus) for bus in buses)
    await one.start()
    await two.start()
    try:
        async with one.listen("1001") as here, two.listen("1001") as there:
            # The other instance's subscription takes a moment: push until it carries them.
            for _ in range(50):
                one.changed("6.3", 1, "1001")
                await one.drain()
                try:
                    heard = await asyncio.wait_for(there.get(), 0.2)
                    break
                except TimeoutError:
                    continue
            else:
                raise AssertionError("the other instance never heard a push")
            assert (heard["type"], heard["linkedid"], heard["attempt"]) == ("transfer", "6.3", 1)
            await asyncio.sleep(0.3)
            # Here each push once: its own copy from Redis is not delivered again.
            assert here.qsize() == reads.count
    finally:
        for pushes in (one, two):
            await pushes.stop()
        for bus in buses:
            await bus.close()

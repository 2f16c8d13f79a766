"""The event bus on the real Redis (make test starts one when none answers)."""

from __future__ import annotations

import asyncio
import uuid

from callcenter.store.bus import RedisEventBus

REDIS = "redis://127.0.0.1:6379/0"


async def test_what_one_instance_publishes_every_listener_hears() -> None:
    channel = f"cc:test:{uuid.uuid4().hex}"
    publisher, first, second = RedisEventBus(REDIS), RedisEventBus(REDIS), RedisEventBus(REDIS)
    heard: dict[str, list[dict[str, object]]] = {"first": [], "second": []}

    async def listen(name: str, bus: RedisEventBus) -> None:
        async for message in bus.listen(channel):
            heard[name].append(message)
            if message.get("n") == 1:
                return

    listeners = [asyncio.create_task(listen("first", first)), asyncio.create_task(listen("second", second))]
    # Subscribing takes a moment: announce until both listeners hear.
    for _ in range(100):
        if heard["first"] and heard["second"]:
            break
        await publisher.publish(channel, {"n": 0})
        await asyncio.sleep(0.05)
    await publisher.publish(channel, {"n": 1, "text": "超期预警"})
    await asyncio.wait_for(asyncio.gather(*listeners), 10)
    for messages in heard.values():
        assert messages[-1] == {"n": 1, "text": "超期预警"}
    for bus in (publisher, first, second):
        await bus.close()


async def test_an_unreachable_redis_is_reported_once_and_never_raises(caplog: object) -> None:
    bus = RedisEventBus("redis://127.0.0.1:1/0")
    await bus.publish("cc:test", {"n": 1})
    await bus.publish("cc:test", {"n": 2})
    assert not await bus.ping()
    await bus.close()
    records = [r for r in caplog.records if "unreachable" in r.getMessage()]  # type: ignore[attr-defined]
    assert len(records) == 1


async def test_a_rate_limit_is_shared_by_instances_and_survives_a_lost_redis() -> None:
    prefix = f"cc:test:limit:{uuid.uuid4().hex}"
    one, two = RedisEventBus(REDIS), RedisEventBus(REDIS)
    first, second = one.rate_limiter(prefix, 3, 60), two.rate_limiter(prefix, 3, 60)
    allowed = [
        await first.hit("13999112345"),
        await second.hit("13999112345"),
        await first.hit("13999112345"),
    ]
    assert allowed == [True, True, True]
    assert not await second.hit("13999112345"), "the fourth attempt, on either instance, is refused"
    assert await second.hit("13800138000"), "another key has its own count"
    dead = RedisEventBus("redis://127.0.0.1:1/0").rate_limiter(prefix, 2, 60)
    assert [await dead.hit("k") for _ in range(3)] == [True, True, False]
    for bus in (one, two):
        await bus.close()


async def test_deployments_sharing_a_redis_count_apart() -> None:
    prefix = f"cc:test:limit:{uuid.uuid4().hex}"
    demo, tests = RedisEventBus(REDIS, "cc12348"), RedisEventBus(REDIS, f"cc12348-test-{uuid.uuid4().hex}")
    assert await tests.rate_limiter(prefix, 1, 60).hit("127.0.0.1")
    assert not await tests.rate_limiter(prefix, 1, 60).hit("127.0.0.1")
    assert await demo.rate_limiter(prefix, 1, 60).hit("127.0.0.1"), "another namespace has its own count"
    for bus in (demo, tests):
        await bus.close()

"""The wallboard's live state: what AMI events change, what a browser gets first, and that a slow browser
never holds up the rest."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from callcenter.clock import Clock
from callcenter.domain.calls import CallFacts
from callcenter.domain.statistics import Thresholds
from callcenter.hotline import load_hotline
from callcenter.services.agents import AgentService
from callcenter.services.calls import CallService
from callcenter.services.live import CLIENT_BACKLOG, AlertThresholds, LiveBoard
from callcenter.services.spool import SpoolWriter
from callcenter.services.statistics import StatisticsService
from callcenter.settings import PROJECT_DIR
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from callcenter.store.statistics import StatisticsRepository
from callcenter.telephony.ami.events import (
    AgentConnected,
    QueueCallerAbandoned,
    QueueCallerJoined,
    QueueCallerLeft,
    QueueMemberChanged,
)
from tests.fakes import RecordingAmi, RecordingPublisher

NOW = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)


class Bus:
    """Redis as the board uses it: kept values and a channel every listener hears."""

    def __init__(self) -> None:
        self.kept_values: dict[str, dict[str, Any]] = {}
        self.published: list[dict[str, Any]] = []
        self._listeners: list[asyncio.Queue[dict[str, Any]]] = []

    async def keep_and_publish(self, key: str, channel: str, payload: dict[str, Any]) -> None:
        self.kept_values[key] = payload
        self.published.append(payload)
        for listener in self._listeners:
            listener.put_nowait(payload)

    async def kept(self, key: str) -> dict[str, Any] | None:
        return self.kept_values.get(key)

    async def listen(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._listeners.append(queue)
        while True:
            yield await queue.get()


class Legs:
    """Expert legs as the store has them; none at first."""

    def __init__(self) -> None:
        self.legs: list[Any] = []

    async def legs_under_way(self) -> list[tuple[Any, str]]:
        return [(leg, "李律师") for leg in self.legs]


class Leg:
    def __init__(self, answered_at: datetime | None) -> None:
        self.linkedid, self.expert_id, self.phone = "5.1", "lawyer-li", "13900000001"
        self.offered_at = self.ring_at = NOW
        self.answered_at = answered_at


@dataclass
class Rig:
    live: LiveBoard
    bus: Bus
    ami: RecordingAmi
    agents: AgentService
    legs: Legs
    clock: Clock


@pytest.fixture
async def board(database: Database, tmp_path: Path) -> AsyncIterator[Rig]:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    calls = CallService(CallRepository(database), RecordingPublisher(), SpoolWriter(tmp_path / "spool"))
    await calls.record(
        CallFacts(linkedid="5.1", caller_number="13999112345", prefecture="urumqi", language="zh")
    )
    ami = RecordingAmi()
    legs = Legs()
    clock = Clock(NOW)
    bus = Bus()
    agents = AgentService(hotline, ami, calls)  # type: ignore[arg-type]
    live = LiveBoard(
        hotline,
        agents,
        calls,
        legs,
        StatisticsService(StatisticsRepository(database), hotline.working_calendar, clock, Thresholds()),
        lambda report: {"offered": report.total.offered},
        bus,
        ami,  # type: ignore[arg-type]
        clock,
        AlertThresholds(0.95, 0.8, 60, 0),
        publish_delay=0.01,
        figures_interval=3600,
    )
    await live.start()
    yield Rig(live, bus, ami, agents, legs, clock)
    await live.stop()


async def published(bus: Bus, condition: Any, seconds: float = 3) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        match = next((m for m in reversed(bus.published) if condition(m)), None)
        if match is not None:
            return match
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not published: {bus.published[-2:]}")
        await asyncio.sleep(0.01)


def waiting(message: dict[str, Any]) -> list[str]:
    return [caller["linkedid"] for caller in message.get("waiting", [])]


async def test_a_caller_waits_then_leaves_each_way(board: Rig) -> None:
    live, bus = board.live, board.bus
    for leaving in (
        QueueCallerLeft("cc-urumqi", "5.1", "5.1", NOW),
        QueueCallerAbandoned("cc-urumqi", "5.1", "5.1", 20, NOW),
    ):
        await live.on_ami_event(QueueCallerJoined("cc-urumqi", "5.1", "5.1", 1, NOW, "13999112345"))
        joined = await published(bus, lambda m: waiting(m) == ["5.1"])
        [caller] = joined["waiting"]
        assert (caller["queue_name"], caller["prefecture"], caller["language"]) == (
            "乌鲁木齐市",
            "urumqi",
            "zh",
        )
        await live.on_ami_event(leaving)
        await published(bus, lambda m: m.get("type") == "live" and waiting(m) == [])
    # An agent taking the caller removes them as well, and figures follow the call.
    await live.on_ami_event(QueueCallerJoined("cc-urumqi", "5.1", "5.1", 1, NOW, "13999112345"))
    await published(bus, lambda m: waiting(m) == ["5.1"])
    await live.on_ami_event(
        AgentConnected("cc-urumqi", "1001", "PJSIP/agent-1001", "5.1", "5.1", "1", 3, 1, NOW)
    )
    await published(bus, lambda m: m.get("type") == "live" and waiting(m) == [])
    await published(bus, lambda m: m.get("type") == "figures")


async def test_a_burst_of_events_is_one_message(board: Rig) -> None:
    live, bus = board.live, board.bus
    for queue in ("cc-urumqi", "cc-province"):
        event = QueueMemberChanged(queue, "1001", "PJSIP/agent-1001", False, "", 1, False, False, NOW)
        await board.agents.on_ami_event(event)
        await live.on_ami_event(event)
    await published(bus, lambda m: m.get("type") == "live")
    await asyncio.sleep(0.1)
    lives = [m for m in bus.published if m.get("type") == "live"]
    assert len(lives) == 1
    agent = next(a for a in lives[0]["agents"] if a["id"] == "1001")
    assert (agent["status"], agent["queues"]) == ("ready", ["cc-urumqi", "cc-province"])


async def test_after_a_reconnect_the_waiting_callers_are_asterisks(
    board: Rig,
) -> None:
    live, bus = board.live, board.bus
    await live.on_ami_event(QueueCallerJoined("cc-ili", "4.4", "4.4", 1, NOW, "09992345678"))
    await published(bus, lambda m: waiting(m) == ["4.4"])
    # While the link was down, 4.4 left and 5.1 arrived.
    board.ami.events["QueueStatus"] = [
        {
            "Event": "QueueEntry",
            "Queue": "cc-urumqi",
            "Uniqueid": "5.1",
            "CallerIDNum": "13999112345",
            "Wait": "12",
            "Position": "1",
        }
    ]
    before = board.clock.now()
    await live.resynchronise()
    rebuilt = await published(bus, lambda m: waiting(m) == ["5.1"])
    after = board.clock.now()
    # Asterisk's wait, counted back from the board's clock (which runs on from NOW) while it rebuilt: on a
    # loaded machine that takes a while, so the bounds are the clock before and after.
    joined = rebuilt["waiting"][0]["joined_at"]
    assert before - timedelta(seconds=12) <= joined <= after - timedelta(seconds=12)


async def test_a_browser_starts_from_what_redis_kept_and_a_slow_one_loses_only_its_oldest(
    board: Rig,
) -> None:
    live, bus = board.live, board.bus
    await live.publish_live()
    await live.publish_figures()
    browser = live.messages()
    first, second = await anext(browser), await anext(browser)
    assert (first["type"], second["type"]) == ("live", "figures")
    # A browser that reads nothing while many messages pass.
    for index in range(CLIENT_BACKLOG + 10):
        await bus.keep_and_publish("x", "live", {"type": "live", "n": index})
    await asyncio.sleep(0.05)
    received = [await anext(browser) for _ in range(CLIENT_BACKLOG)]
    numbered = [m["n"] for m in received if "n" in m]
    assert numbered == list(range(10, CLIENT_BACKLOG + 10))
    await browser.aclose()


async def test_an_expert_accepting_shows_without_any_ami_event(
    board: Rig,
) -> None:
    live, bus = board.live, board.bus
    board.legs.legs = [Leg(answered_at=None)]
    await live.publish_live()
    assert [t["state"] for t in bus.published[-1]["transfers"]] == ["ringing"]
    # The expert presses 1: the store knows, Asterisk says nothing the board listens to.
    board.legs.legs = [Leg(answered_at=NOW)]
    talking = await published(bus, lambda m: [t["state"] for t in m.get("transfers", [])] == ["talking"])
    assert talking["transfers"][0]["expert_name"] == "李律师"
    board.legs.legs = []
    await published(bus, lambda m: m.get("type") == "live" and m["transfers"] == [])

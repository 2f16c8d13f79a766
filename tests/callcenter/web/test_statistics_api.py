"""The figures API over the real store (SQLite and PostgreSQL): a hand-counted morning."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from callcenter.clock import Clock
from callcenter.domain.access import Principal, Role
from callcenter.domain.calls import CallFacts
from callcenter.domain.statistics import Thresholds
from callcenter.hotline import load_hotline
from callcenter.services.calls import CallService
from callcenter.services.spool import SpoolWriter
from callcenter.services.statistics import StatisticsService
from callcenter.settings import PROJECT_DIR
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from callcenter.store.statistics import StatisticsRepository
from callcenter.store.transfers import TransferRepository
from callcenter.web.access import Access
from callcenter.web.app import HealthChecks, create_app
from callcenter.web.statistics import statistics_router, wallboard_router
from tests.fakes import Accounts, RecordingPublisher, always_true

# 10:30 in Urumqi's hotline (Asia/Shanghai), a Tuesday.
NOW = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)
SUPERVISOR = {"Authorization": "Bearer boss"}


@pytest.fixture
async def http(database: Database, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, CallService]]:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    calls = CallService(CallRepository(database), RecordingPublisher(), SpoolWriter(tmp_path / "spool"))
    service = StatisticsService(
        StatisticsRepository(database), hotline.working_calendar, Clock(NOW), Thresholds(15, 5)
    )
    accounts = Accounts(
        {"boss": Principal(1, "boss", Role.SUPERVISOR), "aygul": Principal(2, "a", Role.AGENT)}
    )
    app = create_app(
        HealthChecks(database=always_true, redis=always_true, ami=lambda: True, fastagi=lambda: True),
        routers=[statistics_router(service, Access(accounts, "admin"))],
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client, calls


async def queued(calls: CallService, linkedid: str, minutes_ago: int, **facts: object) -> None:
    started = NOW - timedelta(minutes=minutes_ago)
    await calls.record(
        CallFacts(
            linkedid=linkedid, started_at=started, queue_joined_at=started + timedelta(seconds=8), **facts
        )  # type: ignore[arg-type]
    )


async def test_this_morning_counted_by_hand(
    http: tuple[httpx.AsyncClient, CallService], database: Database
) -> None:
    client, calls = http
    await queued(
        calls,
        "1.1",
        90,
        queue="cc-urumqi",
        prefecture="urumqi",
        outcome="answered",
        wait_seconds=4.0,
        talk_seconds=120.0,
        agent_id="1001",
    )
    await queued(
        calls,
        "1.2",
        80,
        queue="cc-urumqi",
        prefecture="urumqi",
        outcome="answered",
        wait_seconds=25.0,
        talk_seconds=60.0,
        agent_id="1001",
    )
    await queued(calls, "1.3", 70, queue="cc-ili", prefecture="ili", outcome="abandoned", wait_seconds=40.0)
    await queued(calls, "1.4", 60, queue="cc-ili", prefecture="ili", outcome="abandoned", wait_seconds=3.0)
    # Yesterday's call is not today's.
    await queued(calls, "0.9", 60 * 24, queue="cc-ili", outcome="answered", wait_seconds=1.0)
    await TransferRepository(database).store_rating(
        {
            "linkedid": "1.1",
            "status": "rated",
            "digit": "1",
            "code": "satisfied",
            "dissatisfied": False,
            "source": "app",
            "rated_at": NOW,
        }
    )

    response = await client.get("/api/statistics", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    body = response.json()
    total = body["total"]
    assert (total["offered"], total["answered"], total["abandoned"], total["short_abandoned"]) == (4, 2, 2, 1)
    assert total["answer_rate"] == pytest.approx(2 / 3)
    assert total["service_level"] == pytest.approx(1 / 3)
    assert (total["longest_wait_seconds"], total["average_talk_seconds"]) == (40.0, 90.0)
    assert (total["rated"], total["satisfaction_share"]) == (1, 1.0)
    assert body["by_queue"]["cc-urumqi"]["answer_rate"] == 1.0
    assert body["by_agent"]["1001"]["answered"] == 2
    assert set(body["by_hour"]) == {"09"}, "the calls began between 09:00 and 10:00 local time"
    assert body["thresholds"] == {"service_level_seconds": 15, "short_abandon_seconds": 5}
    assert body["orders"] == {"overdue": 0, "near_due": 0, "callbacks_pending": 0}

    yesterday = (await client.get("/api/statistics?day=2026-11-23", headers=SUPERVISOR)).json()
    assert yesterday["total"]["offered"] == 1


async def test_the_period_and_the_role_are_checked(http: tuple[httpx.AsyncClient, CallService]) -> None:
    client, _ = http
    agent = await client.get("/api/statistics", headers={"Authorization": "Bearer aygul"})
    assert (agent.status_code, agent.json()["code"]) == (403, "role-forbidden")
    for query in (
        "start=2026-11-24T00:00:00%2B08:00",
        "start=2026-11-25T00:00:00%2B08:00&end=2026-11-24T00:00:00%2B08:00",
        "start=2024-01-01T00:00:00%2B08:00&end=2026-01-01T00:00:00%2B08:00",
        "start=2026-11-24T00:00:00&end=2026-11-25T00:00:00",
        "day=2026-11-24&start=2026-11-24T00:00:00%2B08:00&end=2026-11-25T00:00:00%2B08:00",
    ):
        response = await client.get(f"/api/statistics?{query}", headers=SUPERVISOR)
        assert (response.status_code, response.json()["code"]) == (422, "invalid-period"), query


class Board:
    async def messages(self) -> AsyncIterator[dict[str, object]]:
        yield {"type": "live", "waiting": []}
        yield {"type": "figures", "figures": {}}


def test_the_wallboard_socket_is_for_supervisors() -> None:
    accounts = Accounts(
        {"boss": Principal(1, "boss", Role.SUPERVISOR), "aygul": Principal(2, "a", Role.AGENT)}
    )
    app = create_app(
        HealthChecks(database=always_true, redis=always_true, ami=lambda: True, fastagi=lambda: True),
        routers=[wallboard_router(Board(), None, Access(accounts, "admin"))],  # type: ignore[arg-type]
    )
    with TestClient(app) as client:
        with client.websocket_connect("/ws/wallboard?token=boss") as socket:
            assert socket.receive_json()["type"] == "live"
            assert socket.receive_json()["type"] == "figures"
        for token, code in (("", 4401), ("forged", 4401), ("aygul", 4403)):
            with client.websocket_connect(f"/ws/wallboard?token={token}") as socket:
                with pytest.raises(WebSocketDisconnect) as closed:
                    socket.receive_json()
                assert closed.value.code == code, token

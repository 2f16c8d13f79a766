"""Supervisors' screens hear every deadline warning, whichever instance raised it (through Redis)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from callcenter.domain.access import LoginRequiredError, Principal, Role
from callcenter.services.work_orders import REMINDER_CHANNEL
from callcenter.store.bus import RedisEventBus
from callcenter.web.access import Access
from callcenter.web.work_orders import work_orders_router

REDIS = "redis://127.0.0.1:6379/0"
AGENT = Principal(user_id=7, username="agent-1001", role=Role.AGENT)


class Tokens:
    async def authenticate(self, token: str) -> Principal:
        if token == "agent-token":
            return AGENT
        raise LoginRequiredError("unknown token", details={})


def app_with_socket() -> FastAPI:
    app = FastAPI()
    bus = RedisEventBus(REDIS)
    limiter = bus.rate_limiter("cc:test:unused", 1, 60)
    # The socket needs only the access checks and the bus.
    app.include_router(work_orders_router(Any, Access(Tokens(), "admin-secret"), limiter, limiter, bus))  # type: ignore[arg-type]
    return app


def publish_until(stop: threading.Event, message: dict[str, Any]) -> None:
    async def run() -> None:
        bus = RedisEventBus(REDIS)
        while not stop.is_set():
            await bus.publish(REMINDER_CHANNEL, message)
            await asyncio.sleep(0.05)
        await bus.close()

    asyncio.run(run())


def test_a_supervisor_hears_warnings_published_by_any_instance() -> None:
    warning = {"number": "20261124-00001", "kind": "reply", "level": "overdue"}
    stop = threading.Event()
    with (
        TestClient(app_with_socket()) as client,
        client.websocket_connect("/ws/reminders?token=admin-secret") as ws,
    ):
        # Another instance publishes (the subscription takes a moment, so it repeats until heard).
        publisher = threading.Thread(target=publish_until, args=(stop, warning))
        publisher.start()
        try:
            assert ws.receive_json() == warning
        finally:
            stop.set()
            publisher.join()


@pytest.mark.parametrize(("token", "code"), [("", 4401), ("forged", 4401), ("agent-token", 4403)])
def test_no_warnings_without_a_supervisors_login(token: str, code: int) -> None:
    with TestClient(app_with_socket()) as client:
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            client.websocket_connect(f"/ws/reminders?token={token}") as ws,
        ):
            ws.receive_json()
        assert closed.value.code == code

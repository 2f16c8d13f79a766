"""Classification and transfer endpoints: validation, clear errors, and the call's work order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from callcenter.clock import Clock
from callcenter.domain.access import Principal, Role
from callcenter.domain.calls import CallFacts
from callcenter.domain.experts import DutyRoster, Expert, ExpertKind, RosterEntry
from callcenter.hotline import load_hotline
from callcenter.services.agents import AgentService
from callcenter.services.calls import CallService
from callcenter.services.spool import SpoolWriter
from callcenter.services.transfers import RecordingPaths, TransferService
from callcenter.services.work_orders import WorkOrderService
from callcenter.settings import PROJECT_DIR
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from callcenter.store.transfers import TransferRepository
from callcenter.store.work_orders import WorkOrderRepository
from callcenter.telephony.ami.client import AmiClient
from callcenter.web.access import Access
from callcenter.web.app import HealthChecks, create_app
from callcenter.web.transfers import transfers_router
from tests.fakes import Accounts, EveryoneSeesAll, RecordingPublisher

ACCOUNTS = Accounts(
    {
        "agent-1001": Principal(1, "aygul", Role.AGENT, agent_id="1001"),
        "agent-1002": Principal(2, "wang", Role.AGENT, agent_id="1002"),
    }
)

OPEN = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LI = Expert("li", "李律师", ExpertKind.LAWYER, "律所", ("13900000001",), frozenset({"labour"}), frozenset())


class Snapshot:
    def __init__(self, roster: DutyRoster) -> None:
        self.experts = (LI,)
        self.roster = roster


class Experts:
    def __init__(self, roster: DutyRoster) -> None:
        self._snapshot = Snapshot(roster)

    async def snapshot(self) -> Snapshot:
        return self._snapshot


class NoCallbacks:
    async def request_callback_after_transfer(self, linkedid: str, caller_number: str | None) -> Any:
        raise AssertionError("not expected here")


async def _true() -> bool:
    return True


@pytest.fixture
async def client(database: Database, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, CallService]]:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    calls = CallService(CallRepository(database), RecordingPublisher(), SpoolWriter(tmp_path / "spool"))
    ami = AmiClient("127.0.0.1", 1, "nobody", "nothing")
    agents = AgentService(hotline, ami, calls)
    roster = DutyRoster([RosterEntry("li", time(0), time(0), working_days=True)], hotline.working_calendar)
    recordings = RecordingPaths(tmp_path / "recordings", Path("/srv/cc12348-recordings/test"))
    transfers = TransferService(
        hotline,
        TransferRepository(database),
        calls,
        agents,
        Experts(roster),
        ami,
        WorkOrderService(
            hotline,
            WorkOrderRepository(database),
            EveryoneSeesAll(),
            RecordingPublisher(),
            Clock(OPEN),
            tmp_path,
        ),
        NoCallbacks(),
        Clock(OPEN),
        recordings,
    )
    app = create_app(
        HealthChecks(database=_true, redis=_true, ami=lambda: False, fastagi=lambda: True),
        routers=[transfers_router(transfers, hotline, recordings, Access(ACCOUNTS, "secret"))],
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": "Bearer agent-1001"},
    ) as http:
        yield http, calls
    await transfers.drain()
    await calls.drain()


async def test_categories_come_from_configuration(client: tuple[httpx.AsyncClient, CallService]) -> None:
    http, _ = client
    categories = (await http.get("/api/categories")).json()
    assert {"code": "labour", "name": "劳动争议"} in categories


async def test_classification_validated_then_stored_with_the_calls_work_order(
    client: tuple[httpx.AsyncClient, CallService], database: Database
) -> None:
    http, calls = client
    await calls.record(CallFacts(linkedid="1.1", caller_number="13999112345", prefecture="urumqi"))
    body = {"agent_id": "1001", "call_type": "consultation", "category": "labour", "caller_name": "张三"}

    unknown_call = await http.post("/api/calls/9.9/classification", json=body)
    assert (unknown_call.status_code, unknown_call.json()["code"]) == (404, "not-found")
    unknown_category = await http.post("/api/calls/1.1/classification", json={**body, "category": "tax"})
    assert (unknown_category.status_code, unknown_category.json()["code"]) == (422, "unknown-category")
    assert "labour" in unknown_category.json()["details"]["known"]
    for bad in (
        {**body, "call_type": "chat"},
        {**body, "urgency": "now"},
        {**body, "extra": 1},
        {"agent_id": "1"},
    ):
        response = await http.post("/api/calls/1.1/classification", json=bad)
        assert (response.status_code, response.json()["code"]) == (422, "invalid-request"), bad

    classified = await http.post("/api/calls/1.1/classification", json={**body, "urgency": "urgent"})
    assert classified.status_code == 200
    call = classified.json()
    assert (call["call_type"], call["category"], call["urgency"], call["classified_by"]) == (
        "consultation",
        "labour",
        "urgent",
        "1001",
    )
    again = await http.post(
        "/api/calls/1.1/classification", json={**body, "call_type": "complaint", "notes": "工资拖欠三个月"}
    )
    assert again.json()["call_type"] == "complaint"
    [order] = await WorkOrderRepository(database).history_for_phone("13999112345")
    assert (order.channel, order.order_type, order.category, order.description) == (
        "hotline",
        "complaint",
        "labour",
        "工资拖欠三个月",
    )
    assert order.reply_due_at is not None and order.version == 3, "registered, then reclassified once"
    assert "工资拖欠" in (order.search_text or "")


async def test_transfer_refused_with_a_reason(client: tuple[httpx.AsyncClient, CallService]) -> None:
    http, calls = client
    await calls.record(CallFacts(linkedid="2.1", caller_number="13999112345", prefecture="urumqi"))
    response = await http.post("/api/calls/2.1/transfer", json={"agent_id": "1001"})
    assert (response.status_code, response.json()["code"]) == (409, "transfer-invalid")
    assert "Classify" in response.json()["message"]
    await http.post(
        "/api/calls/2.1/classification",
        json={"agent_id": "1001", "call_type": "consultation", "category": "labour"},
    )
    response = await http.post("/api/calls/2.1/transfer", json={"agent_id": "1001", "expert_id": "li"})
    assert (response.status_code, response.json()["code"]) == (409, "transfer-invalid")
    assert "not talking" in response.json()["message"]
    response = await http.post("/api/calls/2.1/transfer", json={"agent_id": "1001", "mode": "conference"})
    assert response.status_code == 422
    for action in ("complete", "cancel"):
        response = await http.post(f"/api/calls/2.1/transfer/{action}", json={"agent_id": "1001"})
        assert (response.status_code, response.json()["code"]) == (409, "transfer-invalid")
    response = await http.post("/api/calls/9.9/transfer", json={"agent_id": "1001"})
    assert response.status_code == 404
    # An agent transfers and classifies their own calls only.
    for path, body in (
        ("/api/calls/2.1/transfer", {"agent_id": "1002"}),
        (
            "/api/calls/2.1/classification",
            {"agent_id": "1002", "call_type": "consultation", "category": "labour"},
        ),
        ("/api/calls/2.1/transfer/cancel", {"agent_id": "1002"}),
    ):
        response = await http.post(path, json=body)
        assert (response.status_code, response.json()["code"]) == (403, "not-your-agent"), path


async def test_available_experts_and_transfer_state(client: tuple[httpx.AsyncClient, CallService]) -> None:
    http, calls = client
    available = (await http.get("/api/available-experts?category=labour&prefecture=urumqi")).json()
    assert [expert["id"] for expert in available] == ["li"]
    assert (await http.get("/api/available-experts?category=criminal")).json() == []
    await calls.record(CallFacts(linkedid="3.1", caller_number="13999112345"))
    state = (await http.get("/api/calls/3.1/transfer")).json()
    assert (state["legs"], state["recordings"], state["rating"]) == ([], [], None)
    assert (await http.get("/api/calls/9.9/transfer")).status_code == 404
    recording = await http.get("/api/calls/3.1/recordings/1")
    assert (recording.status_code, recording.json()["code"]) == (403, "role-forbidden")
    anonymous = await http.get("/api/calls/3.1/recordings/1", headers={"Authorization": ""})
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "login-required")
    missing = await http.get("/api/calls/3.1/recordings/1", headers={"Authorization": "Bearer secret"})
    assert missing.status_code == 404

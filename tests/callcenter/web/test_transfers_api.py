"""Classification and transfer endpoints: validation, clear errors, and the call's work order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect

from callcenter.clock import Clock
from callcenter.domain.access import Principal, Role
from callcenter.domain.calls import CallFacts
from callcenter.domain.experts import DutyRoster, Expert, ExpertKind, RosterEntry
from callcenter.hotline import load_hotline
from callcenter.services.agents import AgentCall, AgentService
from callcenter.services.calls import CallService
from callcenter.services.spool import SpoolWriter
from callcenter.services.transfers import Transfers
from callcenter.services.transfers.recordings import RecordingPaths
from callcenter.services.work_orders import WorkOrderService
from callcenter.settings import PROJECT_DIR
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from callcenter.store.transfers import TransferRepository
from callcenter.store.work_orders import WorkOrderRepository
from callcenter.web.access import Access
from callcenter.web.agents import agents_router
from callcenter.web.app import HealthChecks, create_app
from callcenter.web.transfers import transfer_json, transfers_router
from tests.callcenter.web.serving import serving
from tests.fakes import Accounts, EveryoneSeesAll, RecordingAmi, RecordingAudit, RecordingPublisher

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


@dataclass
class Desk:
    """The transfer endpoints and the agent's socket over the real store; Asterisk takes every action."""

    app: FastAPI
    transfers: Transfers
    calls: CallService
    agents: AgentService
    ami: RecordingAmi


@pytest.fixture
async def desk(database: Database, tmp_path: Path) -> AsyncIterator[Desk]:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    calls = CallService(CallRepository(database), RecordingPublisher(), SpoolWriter(tmp_path / "spool"))
    ami = RecordingAmi()
    agents = AgentService(hotline, ami, calls)  # type: ignore[arg-type]
    roster = DutyRoster([RosterEntry("li", time(0), time(0), working_days=True)], hotline.working_calendar)
    transfers = Transfers(
        hotline=hotline,
        repository=TransferRepository(database),
        calls=calls,
        agents=agents,
        experts=Experts(roster),
        ami=ami,  # type: ignore[arg-type]
        work_orders=WorkOrderService(
            hotline,
            WorkOrderRepository(database),
            EveryoneSeesAll(),
            RecordingPublisher(),
            Clock(OPEN),
            tmp_path,
        ),
        callbacks=NoCallbacks(),
        clock=Clock(OPEN),
        recordings=RecordingPaths(tmp_path / "recordings", Path("/srv/cc12348-recordings/test")),
        bus=RecordingPublisher(),  # type: ignore[arg-type]
        render=transfer_json,
    )
    access = Access(ACCOUNTS, "secret")
    app = create_app(
        HealthChecks(database=_true, redis=_true, ami=lambda: False, fastagi=lambda: True),
        routers=[
            transfers_router(transfers, hotline, access),
            agents_router(calls, agents, access, RecordingAudit(), transfers.pushes),
        ],
    )
    yield Desk(app, transfers, calls, agents, ami)
    await transfers.drain()
    await calls.drain()


@pytest.fixture
async def client(desk: Desk) -> AsyncIterator[tuple[httpx.AsyncClient, CallService]]:
    async with http_client(desk) as http:
        yield http, desk.calls


def http_client(desk: Desk) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=desk.app),
        base_url="http://test",
        headers={"Authorization": "Bearer agent-1001"},
    )


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


def talking(desk: Desk, linkedid: str, agent: str = "1001") -> None:
    """The agent is talking to the caller (as Asterisk's queue events tell the agent service)."""
    desk.agents.state(agent).call = AgentCall(
        linkedid,
        "13999112345",
        "urumqi",
        None,
        "zh",
        "cc-urumqi",
        1.0,
        OPEN,
        "PJSIP/c-1",
        f"PJSIP/agent-{agent}-1",
    )


async def classified_call(desk: Desk, http: httpx.AsyncClient, linkedid: str) -> None:
    await desk.calls.record(
        CallFacts(linkedid=linkedid, caller_number="13999112345", prefecture="urumqi", agent_id="1001")
    )
    classified = await http.post(
        f"/api/calls/{linkedid}/classification",
        json={"agent_id": "1001", "call_type": "consultation", "category": "labour"},
    )
    assert classified.status_code == 200


async def test_a_transfer_answers_its_attempt_and_the_state_shows_it(desk: Desk) -> None:
    async with http_client(desk) as http:
        await classified_call(desk, http, "4.1")
        never = (await http.get("/api/calls/4.1/transfer")).json()
        assert (never["attempt"], never["status"]) == (0, None)
        talking(desk, "4.1")
        started = await http.post("/api/calls/4.1/transfer", json={"agent_id": "1001", "expert_id": "li"})
        assert started.status_code == 202
        assert started.json() == {"linkedid": "4.1", "mode": "blind", "expert_id": "li", "attempt": 1}
        assert desk.ami.actions[-1]["Action"] == "BlindTransfer"
        state = (await http.get("/api/calls/4.1/transfer")).json()
        assert (state["attempt"], state["status"], state["call"]["transfer_status"]) == (
            1,
            "in-progress",
            "in-progress",
        )
        again = await http.post("/api/calls/4.1/transfer", json={"agent_id": "1001"})
        assert (again.status_code, again.json()["code"]) == (409, "transfer-invalid")
        assert "already under way" in again.json()["message"]
        # Asterisk's side: the first expert's phone rings, a leg of attempt 1.
        decision = await desk.transfers.hunt.step("4.1", 0, "", "")
        [leg] = (await http.get("/api/calls/4.1/transfer")).json()["legs"]
        assert (leg["leg"], leg["attempt"], leg["expert_id"], decision.leg) == (1, 1, "li", 1)


async def next_message(
    socket: ClientConnection, kind: str, wanted: Callable[[dict[str, Any]], bool] = lambda _m: True
) -> dict[str, Any]:
    """The next message of this kind that is ``wanted`` (a burst of changes may come as one push)."""
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 5))
        if message["type"] == kind and wanted(message):
            return message


async def test_the_agents_socket_hears_every_change_of_the_transfer_they_started(desk: Desk) -> None:
    async with serving(desk.app) as base, http_client(desk) as http:
        await classified_call(desk, http, "4.2")
        async with (
            connect(f"{base}/ws/agents/1001?token=agent-1001") as socket,
            connect(f"{base}/ws/agents/1002?token=agent-1002") as other,
        ):
            first = json.loads(await socket.recv())
            # The agent's messages are as they were, with their type.
            assert (first["type"], first["agent_id"], first["agent"]["id"], first["call"]) == (
                "agent",
                "1001",
                "1001",
                None,
            )
            assert json.loads(await other.recv())["type"] == "agent"
            talking(desk, "4.2")
            started = (await http.post("/api/calls/4.2/transfer", json={"agent_id": "1001"})).json()
            pushed = await next_message(socket, "transfer")
            body = (await http.get("/api/calls/4.2/transfer")).json()
            assert pushed == {
                "type": "transfer",
                "linkedid": "4.2",
                "attempt": started["attempt"],
                "transfer": body,
            }
            assert (body["attempt"], body["status"], body["legs"]) == (1, "in-progress", [])

            await desk.transfers.hunt.step("4.2", 0, "", "")
            ringing = await next_message(socket, "transfer", lambda m: bool(m["transfer"]["legs"]))
            assert [(leg["attempt"], leg["ended_at"]) for leg in ringing["transfer"]["legs"]] == [(1, None)]
            await desk.transfers.hunt.step("4.2", 1, "NOANSWER", "")
            over = await next_message(socket, "transfer", lambda m: m["transfer"]["status"] != "in-progress")
            assert (over["attempt"], over["transfer"]["status"]) == (1, "queue")
            assert over["transfer"]["legs"][0]["outcome"] == "no-answer"
            # Another agent's console hears nothing of it.
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(other.recv(), 0.3)

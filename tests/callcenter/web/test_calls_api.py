from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from callcenter.domain.access import Principal, Role
from callcenter.domain.calls import CallFacts
from callcenter.hotline import load_hotline
from callcenter.services.agents import AgentService
from callcenter.services.calls import CallService
from callcenter.services.spool import SpoolWriter
from callcenter.settings import PROJECT_DIR
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from callcenter.telephony.ami.client import AmiClient
from callcenter.web.access import Access
from callcenter.web.agents import agents_router
from callcenter.web.app import HealthChecks, create_app
from tests.fakes import Accounts, RecordingAudit, RecordingPublisher, always_true

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
TOKEN = "calls-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
AGENT_1001 = {"Authorization": "Bearer agent-1001"}
EXPERT = {"Authorization": "Bearer expert"}


AUDIT = RecordingAudit()
ACCOUNTS = Accounts(
    {
        "agent-1001": Principal(1, "aygul", Role.AGENT, agent_id="1001"),
        "expert": Principal(2, "li", Role.EXPERT),
    }
)


@pytest.fixture
async def client(database: Database, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, CallService]]:
    calls = CallService(CallRepository(database), RecordingPublisher(), SpoolWriter(tmp_path / "spool"))
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    # Never started: every AMI action meets an unreachable Asterisk.
    ami = AmiClient("127.0.0.1", 1, "nobody", "nothing")
    app = create_app(
        HealthChecks(database=always_true, redis=always_true, ami=lambda: False, fastagi=lambda: True),
        routers=[agents_router(calls, AgentService(hotline, ami, calls), Access(ACCOUNTS, TOKEN), AUDIT)],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=ADMIN) as http:
        yield http, calls


async def test_calls_newest_first_filtered_by_caller(client: tuple[httpx.AsyncClient, CallService]) -> None:
    http, calls = client
    for index, number in enumerate(["13912345678", "02912345678", "13912345678"]):
        await calls.record(
            CallFacts(
                linkedid=f"3.{index}",
                caller_number=number,
                dialed_number="12348",
                started_at=T0 + timedelta(minutes=index),
                hangup_cause=16,
            )
        )
    response = await http.get("/api/calls")
    assert response.status_code == 200
    assert [c["linkedid"] for c in response.json()] == ["3.2", "3.1", "3.0"]
    response = await http.get("/api/calls", params={"caller": "13912345678"})
    body = response.json()
    assert [c["linkedid"] for c in body] == ["3.2", "3.0"]
    assert body[0]["started_at"] == "2026-10-01T08:02:00Z"
    assert body[0]["dialed_number"] == "12348"
    one = await http.get("/api/calls/3.1")
    assert one.json()["caller_number"] == "02912345678"


async def test_errors_have_one_shape(client: tuple[httpx.AsyncClient, CallService]) -> None:
    http, _ = client
    response = await http.get("/api/calls", params={"limit": "many"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid-request"
    assert body["message"]
    assert body["details"]["errors"][0]["loc"] == ["query", "limit"]
    missing = await http.get("/api/calls/does-not-exist")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "not-found",
        "message": "No such call",
        "details": {"linkedid": "does-not-exist"},
    }


async def test_health_reports_each_part(client: tuple[httpx.AsyncClient, CallService]) -> None:
    http, _ = client
    assert (await http.get("/api/health")).json() == {
        "database": True,
        "redis": True,
        "ami": False,
        "fastagi": True,
    }


async def test_agent_actions_without_asterisk_say_so_clearly(
    client: tuple[httpx.AsyncClient, CallService],
) -> None:
    http, _ = client
    response = await http.post("/api/agents/1001/login")
    assert response.status_code == 503
    assert response.json()["code"] == "ami-unreachable"
    unknown = await http.post("/api/agents/9999/login")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not-found")
    not_logged_in = await http.post("/api/agents/1001/pause", json={"reason": "午休"})
    assert (not_logged_in.status_code, not_logged_in.json()["code"]) == (409, "agent-state-conflict")
    bad = await http.post("/api/agents/1001/pause", json={"reason": ""})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid-request")
    agent = (await http.get("/api/agents/1001")).json()
    assert agent == {
        "id": "1001",
        "name": "阿依古丽",
        "status": "logged-out",
        "logged_in": False,
        "paused": False,
        "paused_reason": "",
        "interface": None,
        "wrapup_until": None,
        "queues": [],
    }
    assert (await http.get("/api/agents/1001/call")).json() == {
        "agent_id": "1001",
        "agent": agent,
        "call": None,
    }


async def test_agents_act_for_themselves_and_staff_read_calls(
    client: tuple[httpx.AsyncClient, CallService],
) -> None:
    http, _ = client
    nobody = await http.get("/api/agents/1001", headers={"Authorization": ""})
    assert (nobody.status_code, nobody.json()["code"]) == (401, "login-required")
    own = await http.get("/api/agents/1001", headers=AGENT_1001)
    assert own.status_code == 200
    other = await http.post("/api/agents/1002/ready", headers=AGENT_1001)
    assert (other.status_code, other.json()["code"]) == (403, "not-your-agent")
    listing = await http.get("/api/agents", headers=AGENT_1001)
    assert (listing.status_code, listing.json()["code"]) == (403, "role-forbidden")
    assert (await http.get("/api/calls", headers=AGENT_1001)).status_code == 200
    expert = await http.get("/api/calls", headers=EXPERT)
    assert (expert.status_code, expert.json()["code"]) == (403, "role-forbidden")
    # An agent changing their own state is not audited; someone else doing it is.
    AUDIT.entries.clear()
    await http.post("/api/agents/1001/ready", headers=AGENT_1001)
    await http.post("/api/agents/1001/pause", json={"reason": "督导暂停"})
    assert AUDIT.entries == [("admin-token", "agent-state", "agent", "1001")]
    bad_phone = await http.post("/api/agents/1001/login", json={"interface": "fax"}, headers=AGENT_1001)
    assert (bad_phone.status_code, bad_phone.json()["code"]) == (422, "invalid-request")

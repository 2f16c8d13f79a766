"""Acceptance tests of the work-order (工单) lifecycle through the HTTP API, on SQLite and PostgreSQL.

Everything goes through the API as the real users do: units imported by the admin token, users of every
role created through the admin API, each logging in with ``POST /api/auth/login``. Time is a clock the
tests set (``ManualClock``); the rate limits count in the real Redis; reminders are recorded by a
``RecordingPublisher``. Only ``check_deadlines`` (run by the scheduler, not the API) is called directly.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from callcenter.clock import Clock
from callcenter.hotline import HotlineConfig, load_hotline
from callcenter.services.organisation import LoginLimiter, OrganisationService, Passwords, SessionTokens
from callcenter.services.work_orders import REMINDER_CHANNEL, Publisher, WorkOrderService
from callcenter.settings import PROJECT_DIR
from callcenter.store.bus import RedisEventBus
from callcenter.store.db import Database
from callcenter.store.organisation import OrganisationRepository
from callcenter.store.work_orders import WorkOrderRepository
from callcenter.web.access import Access
from callcenter.web.app import HealthChecks, create_app
from callcenter.web.organisation import organisation_router
from callcenter.web.work_orders import work_orders_router
from tests.callcenter.web.serving import serving
from tests.fakes import RecordingPublisher

REDIS = "redis://127.0.0.1:6379/0"
TOKEN = "work-orders-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
PASSWORD = "correct horse battery"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday, a working day, the hotline open (08:00-20:00).
START = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
PHONE = "13912345678"
MASKED = "139****5678"
OTHER_PHONE = "13800001111"

# A prefecture bureau with a county bureau and a legal aid centre below it, an independent prefecture,
# and the province's department above both (the supervising unit).
UNITS_CSV = """code,name,level,parent,head
xj-justice,新疆维吾尔自治区司法厅,province,,
urumqi-justice,乌鲁木齐市司法局,prefecture,xj-justice,
urumqi-tianshan-justice,乌鲁木齐市天山区司法局,county,urumqi-justice,
urumqi-legal-aid,乌鲁木齐市法律援助中心,office,urumqi-justice,
ili-justice,伊犁哈萨克自治州司法局,prefecture,xj-justice,
"""
AID = "urumqi-legal-aid"
COUNTY = "urumqi-tianshan-justice"
USERS: dict[str, dict[str, Any]] = {
    "agent": {"role": "agent", "agent_id": "1001"},
    "expert": {"role": "expert"},
    "boss": {"role": "supervisor"},
    "root": {"role": "admin"},
    "aid": {"role": "unit-handler", "unit": AID},
    "aid-head": {"role": "unit-head", "unit": AID},
    "county": {"role": "unit-handler", "unit": COUNTY},
    "pref": {"role": "unit-handler", "unit": "urumqi-justice"},
    "ili": {"role": "unit-handler", "unit": "ili-justice"},
}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 16


class ManualClock(Clock):
    """The application's clock, standing still at whatever instant the test sets."""

    def __init__(self, at: datetime) -> None:
        super().__init__(at)
        self.at = at

    def now(self) -> datetime:
        return self.at

    def epoch(self) -> float:
        return self.at.timestamp()


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def _true() -> bool:
    return True


@dataclass
class Desk:
    """The call centre under test: its HTTP client, clock, service, and a logged-in session per user."""

    http: httpx.AsyncClient
    clock: ManualClock
    hotline: HotlineConfig
    database: Database
    organisation: OrganisationService
    service: WorkOrderService
    publisher: RecordingPublisher
    as_: dict[str, dict[str, str]]
    # Another instance of the app (an HTTP client to it) over the same store, e.g. with other limits.
    app: Callable[..., Any]
    # The ASGI app itself, optionally with another work-order service (to serve over a real socket).
    web_app: Callable[..., FastAPI]
    bus: RedisEventBus

    def at(self, when: datetime) -> None:
        self.clock.at = when

    def reminders_published(self) -> list[dict[str, Any]]:
        return [payload for channel, payload in self.publisher.published if channel == REMINDER_CHANNEL]


def _service(
    hotline: HotlineConfig,
    database: Database,
    organisation: OrganisationService,
    publisher: Publisher,
    clock: Clock,
    attachments: Path,
) -> WorkOrderService:
    return WorkOrderService(
        hotline, WorkOrderRepository(database), organisation, publisher, clock, attachments
    )


@pytest.fixture
async def desk(database: Database, tmp_path: Path) -> AsyncIterator[Desk]:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    clock = ManualClock(START)
    organisation = OrganisationService(
        OrganisationRepository(database),
        hotline,
        SessionTokens("work-orders-session-key", 3600),
        passwords=Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)),
        limiter=LoginLimiter(),
        clock=clock,
    )
    access = Access(organisation, TOKEN)
    publisher = RecordingPublisher()
    service = _service(hotline, database, organisation, publisher, clock, tmp_path / "attachments")
    bus = RedisEventBus(REDIS)

    def web_app(lookups_per_hour: int = 10_000, orders: WorkOrderService | None = None) -> FastAPI:
        """One instance of the web app over the shared store; each has its own Redis counters."""
        prefix = f"test:wo:{uuid.uuid4().hex}"
        return create_app(
            HealthChecks(database=_true, redis=bus.ping, ami=lambda: False, fastagi=lambda: True),
            routers=[
                organisation_router(organisation, access),
                work_orders_router(
                    orders or service,
                    access,
                    lookups=bus.rate_limiter(f"{prefix}:lookup", lookups_per_hour, 3600),
                    submissions=bus.rate_limiter(f"{prefix}:submit", 10_000, 3600),
                    bus=bus,
                ),
            ],
        )

    @asynccontextmanager
    async def app(lookups_per_hour: int = 10_000) -> AsyncIterator[httpx.AsyncClient]:
        web = web_app(lookups_per_hour)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://test") as http:
            yield http

    try:
        async with app() as http:
            imported = await http.put(
                "/api/units.csv", content=UNITS_CSV.encode(), headers=ADMIN | {"Content-Type": "text/csv"}
            )
            assert imported.json() == {"imported": 5}, imported.text
            sessions: dict[str, dict[str, str]] = {}
            for username, fields in USERS.items():
                body = {"username": username, "display_name": username, "password": PASSWORD} | fields
                created = await http.post("/api/users", json=body, headers=ADMIN)
                assert created.status_code == 201, created.text
                login = await http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
                assert login.status_code == 200, login.text
                sessions[username] = {"Authorization": f"Bearer {login.json()['token']}"}
            yield Desk(
                http, clock, hotline, database, organisation, service, publisher, sessions, app, web_app, bus
            )
    finally:
        await bus.close()


# -- helpers ---------------------------------------------------------------------------------------------


async def register(desk: Desk, who: str = "agent", **fields: Any) -> dict[str, Any]:
    body = {
        "order_type": "consultation",
        "category": "labour",
        "caller_name": "张三",
        "caller_number": PHONE,
        "description": "单位拖欠工资三个月，应该怎么办？",
        "channel": "hotline",
    } | fields
    response = await desk.http.post("/api/work-orders", json=body, headers=desk.as_[who])
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


async def submit(http: httpx.AsyncClient, **fields: Any) -> httpx.Response:
    body = {
        "order_type": "consultation",
        "category": "legal-aid",
        "caller_name": "李四",
        "caller_number": PHONE,
        "prefecture": "urumqi",
        "description": "我想申请法律援助，需要什么材料？",
    } | fields
    return await http.post("/api/public/work-orders", json=body)


async def detail(desk: Desk, number: str, who: str | None = None) -> dict[str, Any]:
    response = await desk.http.get(f"/api/work-orders/{number}", headers=desk.as_[who] if who else ADMIN)
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


async def attempt(
    desk: Desk, who: str, number: str, action: str, version: int | None = None, **payload: Any
) -> httpx.Response:
    """One action at the order's current version (read by the admin token) unless one is given."""
    if version is None:
        version = (await detail(desk, number))["version"]
    body = {"action": action, "version": version} | payload
    return await desk.http.post(f"/api/work-orders/{number}/actions", json=body, headers=desk.as_[who])


async def act(desk: Desk, who: str, number: str, action: str, **payload: Any) -> dict[str, Any]:
    response = await attempt(desk, who, number, action, **payload)
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


async def refused(
    desk: Desk, who: str, number: str, action: str, status: int, code: str, **payload: Any
) -> dict[str, Any]:
    response = await attempt(desk, who, number, action, **payload)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    body: dict[str, Any] = response.json()
    return body


async def to_feedback(desk: Desk, **fields: Any) -> str:
    """An order transferred to the legal aid centre, accepted and answered: waiting for the callback."""
    number: str = (await register(desk, **fields))["number"]
    await act(desk, "agent", number, "transfer", units=[AID])
    await act(desk, "aid", number, "accept")
    order = await act(desk, "aid", number, "reply", reply="可以向法律援助中心申请，需身份证和收入证明。")
    assert order["state"] == "feedback"
    return number


def history(order: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(event["action"], event["from_state"], event["to_state"]) for event in order["history"]]


def units(order: dict[str, Any]) -> dict[str, str]:
    return {unit["unit_code"]: unit["status"] for unit in order["units"]}


# -- the lifecycle ---------------------------------------------------------------------------------------


async def test_simple_consultation_is_answered_at_once_and_closed(desk: Desk) -> None:
    order = await register(desk)
    assert (order["state"], order["channel"], order["version"]) == ("new", "hotline", 2)
    assert order["number"].startswith("20261124-")
    assert order["actions"] == ["close", "transfer", "note"]
    assert {d["kind"] for d in order["deadlines"]} == {"transfer", "reply"}
    desk.at(START + timedelta(minutes=5))
    closed = await act(
        desk, "agent", order["number"], "close", reply="可向劳动监察大队投诉，或申请劳动仲裁。"
    )
    assert closed["state"] == "closed"
    assert closed["reply"] == "可向劳动监察大队投诉，或申请劳动仲裁。"
    assert instant(closed["closed_at"]) == instant(closed["replied_at"]) == START + timedelta(minutes=5)
    assert history(closed) == [("register", "new", "new"), ("close", "new", "closed")]
    assert [(e["actor"], e["actor_role"]) for e in closed["history"]] == [("agent", "agent")] * 2
    assert closed["deadlines"] == [] and closed["actions"] == ["note"]


async def test_transfer_accept_reply_feedback_callback_satisfied_closed(desk: Desk) -> None:
    number = (await register(desk))["number"]
    transferred = await act(desk, "agent", number, "transfer", units=[AID])
    assert transferred["state"] == "transferred" and units(transferred) == {AID: "assigned"}
    assert (await detail(desk, number, "aid"))["actions"] == ["accept", "return", "note"]
    # The prefecture bureau above the centre sees the order but cannot take it in the centre's place.
    assert (await detail(desk, number, "pref"))["actions"] == ["note"]
    forbidden = await refused(desk, "pref", number, "accept", 403, "action-forbidden")
    assert forbidden["details"]["reason"] == "not-your-unit"

    desk.at(START + timedelta(hours=1))
    accepted = await act(desk, "aid", number, "accept")
    assert (accepted["state"], accepted["lead_unit"], units(accepted)) == (
        "in-progress",
        AID,
        {AID: "accepted"},
    )
    assert accepted["actions"] == ["request-extension", "reply", "note"]

    desk.at(START + timedelta(days=1))
    replied = await act(desk, "aid", number, "reply", reply="可申请劳动仲裁，时效一年。")
    # A consultation's reply goes straight out to the caller (no review).
    assert replied["state"] == "feedback"
    assert instant(replied["feedback_at"]) == instant(replied["replied_at"]) == START + timedelta(days=1)
    assert [d["kind"] for d in replied["deadlines"]] == [], "no callback deadline for a normal matter"

    desk.at(START + timedelta(days=2))
    closed = await act(desk, "agent", number, "callback", outcome="satisfied", note="来电人表示满意")
    assert (closed["state"], closed["callback_outcome"], closed["flagged"]) == ("closed", "satisfied", False)
    assert instant(closed["closed_at"]) == START + timedelta(days=2)
    assert history(closed) == [
        ("register", "new", "new"),
        ("transfer", "new", "transferred"),
        ("accept", "transferred", "in-progress"),
        ("reply", "in-progress", "feedback"),
        ("callback", "feedback", "closed"),
    ]
    assert closed["history"][-1]["note"] == "来电人表示满意"
    assert closed["history"][1]["details"] == {"units": [AID], "joint": False}


async def test_callback_outcomes(desk: Desk) -> None:
    # Dissatisfied only because the law does not allow it: closed as it stands.
    law = await to_feedback(desk)
    closed = await act(desk, "agent", law, "callback", outcome="law-does-not-allow")
    assert (closed["state"], closed["callback_outcome"]) == ("closed", "law-does-not-allow")

    # A wrong answer goes back to the unit to be redone, and the new reply goes out again.
    wrong = await to_feedback(desk)
    redo = await act(desk, "agent", wrong, "callback", outcome="wrong-answer")
    assert (redo["state"], redo["lead_unit"]) == ("in-progress", AID)
    assert "reply" in (await detail(desk, wrong, "aid"))["actions"]
    again = await act(desk, "aid", wrong, "reply", reply="更正：应先向劳动仲裁委员会申请仲裁。")
    assert (again["state"], again["reply"]) == ("feedback", "更正：应先向劳动仲裁委员会申请仲裁。")
    assert [e["action"] for e in again["history"]].count("reply") == 2
    assert (await act(desk, "agent", wrong, "callback", outcome="satisfied"))["state"] == "closed"

    # Dissatisfied: the supervising side calls back a second time; satisfied then, closed.
    second = await to_feedback(desk)
    pending = await act(desk, "agent", second, "callback", outcome="dissatisfied")
    assert pending["state"] == "second-callback"
    role = await refused(
        desk, "agent", second, "second-callback", 403, "action-forbidden", outcome="satisfied"
    )
    assert role["details"]["reason"] == "role"
    closed = await act(desk, "boss", second, "second-callback", outcome="satisfied")
    assert (closed["state"], closed["flagged"]) == ("closed", False)

    # Still dissatisfied: the special flag, for review; resolving it closes the order, the flag stays.
    still = await to_feedback(desk)
    await act(desk, "agent", still, "callback", outcome="dissatisfied")
    flagged = await act(desk, "boss", still, "second-callback", outcome="dissatisfied")
    assert (flagged["state"], flagged["flagged"], flagged["actions"]) == (
        "flagged",
        True,
        ["resolve-flag", "note"],
    )
    listed = (await desk.http.get("/api/work-orders?flagged=true", headers=desk.as_["boss"])).json()
    assert [item["number"] for item in listed["items"]] == [still]
    resolved = await act(desk, "boss", still, "resolve-flag", note="复核后维持原答复")
    assert (resolved["state"], resolved["flagged"]) == ("closed", True)
    assert history(resolved)[-3:] == [
        ("callback", "feedback", "second-callback"),
        ("second-callback", "second-callback", "flagged"),
        ("resolve-flag", "flagged", "closed"),
    ]


async def test_return_with_reason_then_forward_or_send_back(desk: Desk) -> None:
    number = (await register(desk))["number"]
    await act(desk, "agent", number, "transfer", units=[AID])
    missing = await refused(desk, "aid", number, "return", 422, "invalid-action", reason="  ")
    assert missing["details"]["field"] == "reason"
    returned = await act(desk, "aid", number, "return", reason="不属于本中心职责，建议转天山区司法局")
    assert returned["state"] == "returned" and units(returned) == {AID: "returned"}
    assert returned["units"][0]["return_reason"] == "不属于本中心职责，建议转天山区司法局"
    assert (await detail(desk, number, "agent"))["actions"] == ["transfer", "forward", "send-back", "note"]
    await refused(desk, "agent", number, "forward", 422, "invalid-action")
    forwarded = await act(desk, "agent", number, "forward", units=[COUNTY])
    assert forwarded["state"] == "transferred"
    assert units(forwarded) == {AID: "returned", COUNTY: "assigned"}
    # The centre that returned it has no say any more.
    assert (await refused(desk, "aid", number, "accept", 403, "action-forbidden"))["details"][
        "reason"
    ] == "not-your-unit"
    accepted = await act(desk, "county", number, "accept")
    assert (accepted["state"], accepted["lead_unit"]) == ("in-progress", COUNTY)

    back = (await register(desk))["number"]
    await act(desk, "agent", back, "transfer", units=[AID])
    await act(desk, "aid", back, "return", reason="材料不全")
    stray = await refused(desk, "agent", back, "send-back", 422, "invalid-action", units=[COUNTY])
    assert stray["details"]["returned"] == [AID]
    sent_back = await act(desk, "agent", back, "send-back", note="材料已补齐，请继续办理")
    assert sent_back["state"] == "transferred" and units(sent_back) == {AID: "assigned"}
    assert sent_back["units"][0]["return_reason"] is None
    assert (await act(desk, "aid", back, "accept"))["state"] == "in-progress"


async def test_joint_handling_first_accepting_unit_leads_and_alone_replies(desk: Desk) -> None:
    number = (await register(desk))["number"]
    joint = await act(desk, "agent", number, "transfer", units=[AID, COUNTY])
    assert joint["history"][-1]["details"] == {"units": [AID, COUNTY], "joint": True}
    first = await act(desk, "county", number, "accept")
    assert (first["state"], first["lead_unit"]) == ("in-progress", COUNTY)
    second = await act(desk, "aid", number, "accept")
    assert (second["state"], second["lead_unit"]) == ("in-progress", COUNTY)
    assert units(second) == {AID: "accepted", COUNTY: "accepted"}
    assert (await detail(desk, number, "aid"))["actions"] == ["note"]
    for action, payload in (("reply", {"reply": "联合答复"}), ("request-extension", {"days": 10})):
        body = await refused(desk, "aid", number, action, 403, "action-forbidden", **payload)
        assert (body["details"]["reason"], body["details"]["lead_unit"]) == ("not-lead-unit", COUNTY)
        assert COUNTY in body["message"]
    noted = await act(desk, "aid", number, "note", note="法律援助中心已提供援助意见")
    assert noted["state"] == "in-progress"
    replied = await act(desk, "county", number, "reply", reply="经两单位会商，答复如下……")
    assert replied["state"] == "feedback"
    assert [e["actor"] for e in replied["history"] if e["action"] == "reply"] == ["county"]


async def test_extension_approved_within_15_working_days_or_refused(desk: Desk) -> None:
    calendar = desk.hotline.working_calendar
    number = (await register(desk))["number"]
    registered = instant((await detail(desk, number))["created_at"])
    assert registered == START
    await act(desk, "agent", number, "transfer", units=[AID])
    await act(desk, "aid", number, "accept")
    requested = await act(desk, "aid", number, "request-extension", days=12, note="需调取档案")
    assert (requested["state"], requested["requested_extension_days"]) == ("extension-requested", 12)
    assert (await refused(desk, "aid", number, "approve-extension", 403, "action-forbidden"))["details"][
        "reason"
    ] == "role"
    await refused(desk, "aid-head", number, "approve-extension", 422, "invalid-action", days=13)
    approved = await act(desk, "aid-head", number, "approve-extension", days=10)
    assert (approved["state"], approved["extension_days"], approved["requested_extension_days"]) == (
        "in-progress",
        10,
        None,
    )
    assert instant(approved["reply_due_at"]) == calendar.add_working_days(START, 10) == local(2026, 12, 8)
    assert [(d["kind"], d["extended"]) for d in approved["deadlines"]] == [("reply", True)]

    await refused(desk, "aid", number, "request-extension", 422, "invalid-action", days=10)
    beyond = await refused(desk, "aid", number, "request-extension", 422, "invalid-request", days=16)
    assert beyond["details"]["errors"][0]["loc"] == ["body", "days"]
    await act(desk, "aid", number, "request-extension", days=15)
    refusal = await act(desk, "aid-head", number, "refuse-extension", reason="期限内可以办结")
    assert (refusal["state"], refusal["extension_days"], refusal["requested_extension_days"]) == (
        "in-progress",
        10,
        None,
    )
    assert instant(refusal["reply_due_at"]) == local(2026, 12, 8)
    await act(desk, "aid", number, "request-extension", days=15)
    longest = await act(desk, "aid-head", number, "approve-extension")
    assert longest["extension_days"] == 15
    assert instant(longest["reply_due_at"]) == calendar.add_working_days(START, 15) == local(2026, 12, 15)
    limit = await refused(desk, "aid", number, "request-extension", 422, "invalid-action", days=15)
    assert limit["details"]["current"] == 15

    # Past the 5 working days but within the extension: not overdue, nor once finished inside it.
    desk.at(local(2026, 12, 9))
    late = await detail(desk, number, "boss")
    assert [(d["kind"], d["level"], d["extended"]) for d in late["deadlines"]] == [("reply", "none", True)]
    overdue = (await desk.http.get("/api/work-orders?overdue=true", headers=desk.as_["boss"])).json()
    assert overdue["total"] == 0
    await act(desk, "aid", number, "reply", reply="经调档，答复如下……")
    desk.at(local(2026, 12, 16))
    assert (await detail(desk, number))["deadlines"] == []
    assert (await desk.http.get("/api/work-orders?overdue=true", headers=ADMIN)).json()["total"] == 0


async def test_complaint_reply_is_reviewed_before_it_reaches_the_caller(desk: Desk) -> None:
    number = (await register(desk, order_type="complaint", description="法律援助律师不回电话，投诉。"))[
        "number"
    ]
    await act(desk, "agent", number, "transfer", units=[AID])
    await act(desk, "aid", number, "accept")
    review = await act(desk, "aid", number, "reply", reply="已约谈该律师。")
    assert review["state"] == "in-review"
    assert (await detail(desk, number, "boss"))["actions"] == ["approve-reply", "reject-reply", "note"]
    await refused(desk, "agent", number, "approve-reply", 403, "action-forbidden")
    await refused(desk, "boss", number, "reject-reply", 422, "invalid-action")
    rejected = await act(desk, "boss", number, "reject-reply", reason="请写明处理结果")
    assert (rejected["state"], rejected["history"][-1]["note"]) == ("in-progress", "请写明处理结果")
    again = await act(desk, "aid", number, "reply", reply="已约谈该律师并更换承办律师。")
    assert again["state"] == "in-review"
    approved = await act(desk, "boss", number, "approve-reply")
    assert (approved["state"], approved["reply"]) == ("feedback", "已约谈该律师并更换承办律师。")
    assert [step[0] for step in history(approved)] == [
        "register",
        "transfer",
        "accept",
        "reply",
        "reject-reply",
        "reply",
        "approve-reply",
    ]

    # A consultation marked as a case at the transfer is reviewed too.
    case = (await register(desk))["number"]
    await act(desk, "agent", case, "transfer", units=[AID], is_case=True)
    await act(desk, "aid", case, "accept")
    assert (await act(desk, "aid", case, "reply", reply="答复"))["state"] == "in-review"


async def test_urgent_transfer_is_due_in_one_working_hour_and_alerts_supervisors(desk: Desk) -> None:
    urgent = await register(desk, urgency="urgent")
    assert instant(urgent["transfer_due_at"]) == START + timedelta(hours=1)
    # Half an hour before closing: the other half hour is spent at the next opening.
    desk.at(local(2026, 11, 24, 19, 30))
    late = await register(desk, urgency="urgent")
    assert instant(late["transfer_due_at"]) == local(2026, 11, 25, 8, 30)
    normal = await register(desk)
    assert instant(normal["transfer_due_at"]) == local(2026, 11, 25, 19, 30)

    await act(desk, "agent", normal["number"], "transfer", units=[AID])
    assert (await desk.http.get("/api/reminders", headers=desk.as_["boss"])).json() == []
    await act(desk, "agent", late["number"], "transfer", units=[AID])
    reminders = (await desk.http.get("/api/reminders", headers=desk.as_["boss"])).json()
    assert [(r["number"], r["kind"], r["level"]) for r in reminders] == [
        (late["number"], "transfer", "urgent-transfer")
    ]
    assert instant(reminders[0]["due_at"]) == local(2026, 11, 25, 8, 30)
    assert [(p["number"], p["level"], p["urgency"]) for p in desk.reminders_published()] == [
        (late["number"], "urgent-transfer", "urgent")
    ]
    assert (await desk.http.get("/api/reminders", headers=ADMIN)).status_code == 200
    for who in ("agent", "aid", "expert"):
        forbidden = await desk.http.get("/api/reminders", headers=desk.as_[who])
        assert (forbidden.status_code, forbidden.json()["code"]) == (403, "role-forbidden")

    # An emergency is called back within 3 working days of its reply reaching the caller.
    desk.at(START)
    emergency = await to_feedback(desk, urgency="emergency")
    callback = [d for d in (await detail(desk, emergency))["deadlines"] if d["kind"] == "callback"]
    assert [instant(d["due"]) for d in callback] == [local(2026, 11, 27)]
    assert len((await desk.http.get("/api/reminders", headers=ADMIN)).json()) == 2


# -- refusals --------------------------------------------------------------------------------------------


async def test_refusals(desk: Desk) -> None:
    number = (await register(desk))["number"]
    version = (await detail(desk, number))["version"]

    for method, path, body in (
        ("GET", "/api/work-orders", None),
        ("GET", f"/api/work-orders/{number}", None),
        ("POST", f"/api/work-orders/{number}/actions", {"action": "close", "version": version}),
        ("POST", "/api/work-orders", {}),
        ("GET", f"/api/callers/{PHONE}/work-orders", None),
    ):
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            response = await desk.http.request(method, path, json=body, headers=headers)
            assert (response.status_code, response.json()["code"]) == (401, "login-required"), path
    for path in ("/api/work-orders", f"/api/work-orders/{number}"):
        expert = await desk.http.get(path, headers=desk.as_["expert"])
        assert (expert.status_code, expert.json()["code"]) == (403, "role-forbidden")

    illegal = await refused(desk, "agent", number, "reply", 409, "illegal-transition", reply="x")
    assert illegal["details"] == {
        "state": "new",
        "action": "reply",
        "role": "agent",
        "allowed": ["close", "transfer", "note"],
    }
    head = await refused(desk, "boss", number, "approve-extension", 409, "illegal-transition")
    assert head["details"]["allowed"] == ["close", "transfer", "note"]
    admin = await refused(desk, "root", number, "transfer", 403, "action-forbidden", units=[AID])
    assert admin["details"]["reason"] == "role"
    await refused(desk, "agent", number, "transfer", 422, "invalid-action")
    await refused(desk, "agent", number, "transfer", 422, "invalid-action", units=[AID, AID])
    # A unit sees no order before it is transferred to it.
    await refused(desk, "aid", number, "accept", 404, "not-found")

    await act(desk, "agent", number, "transfer", units=[AID])
    wrong_role = await refused(desk, "boss", number, "accept", 403, "action-forbidden")
    assert wrong_role["details"]["roles"] == ["unit-handler", "unit-head"]
    outside = await attempt(desk, "ili", number, "accept")
    missing = await attempt(desk, "ili", "20261124-99999", "accept", version=1)
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["message"] == missing.json()["message"]
    assert (await desk.http.get(f"/api/work-orders/{number}", headers=desk.as_["county"])).status_code == 404
    await refused(desk, "aid", number, "close", 409, "illegal-transition")
    stale = await refused(desk, "aid", number, "accept", 409, "stale-version", version=version)
    assert stale["details"] == {"expected_version": version, "current_version": version + 1}

    for body in (
        {"action": "fly", "version": 1},
        {"action": "accept"},
        {"action": "accept", "version": 0},
        {"action": "accept", "version": 1, "extra": True},
        {"action": "callback", "version": 1, "outcome": "happy"},
    ):
        response = await desk.http.post(
            f"/api/work-orders/{number}/actions", json=body, headers=desk.as_["aid"]
        )
        assert (response.status_code, response.json()["code"]) == (422, "invalid-request"), body
    answered = await to_feedback(desk)
    no_outcome = await refused(desk, "agent", answered, "callback", 422, "invalid-action")
    assert no_outcome["details"]["field"] == "outcome"
    assert (await detail(desk, number))["history"][-1]["action"] == "transfer", "nothing refused was written"


async def test_two_users_acting_on_one_version_at_once(desk: Desk) -> None:
    number = (await register(desk))["number"]
    version = (await detail(desk, number))["version"]

    def post(who: str, body: dict[str, Any]) -> Awaitable[httpx.Response]:
        return desk.http.post(
            f"/api/work-orders/{number}/actions",
            json={"version": version} | body,
            headers=desk.as_[who],
        )

    first, second = await asyncio.gather(
        post("agent", {"action": "transfer", "units": [AID]}),
        post("boss", {"action": "transfer", "units": [AID, COUNTY]}),
    )
    assert sorted((first.status_code, second.status_code)) == [200, 409]
    loser = first if first.status_code == 409 else second
    assert loser.json()["code"] == "stale-version"
    winner = (first if first.status_code == 200 else second).json()
    order = await detail(desk, number)
    assert order["version"] == version + 1
    assert history(order) == [("register", "new", "new"), ("transfer", "new", "transferred")]
    assert order["units"] == winner["units"] and len(order["units"]) in (1, 2)
    assert units(order)[AID] == "assigned"

    # Two handlers of the centre accept at once: one accept, one stale version.
    version = order["version"]
    results = await asyncio.gather(post("aid", {"action": "accept"}), post("aid-head", {"action": "accept"}))
    assert sorted(r.status_code for r in results) == [200, 409]
    assert [r.json()["code"] for r in results if r.status_code == 409] == ["stale-version"]
    order = await detail(desk, number)
    assert [e["action"] for e in order["history"]] == ["register", "transfer", "accept"]
    assert (order["version"], order["state"], units(order)[AID]) == (version + 1, "in-progress", "accepted")
    assert [u["unit_code"] for u in order["units"]].count(AID) == 1


# -- deadlines -------------------------------------------------------------------------------------------


async def test_deadlines_around_national_day_and_spring_festival(desk: Desk) -> None:
    calendar = desk.hotline.working_calendar
    # The 2026 schedules as the calendar has them (chinesecalendar): National Day 10-01..10-07 with the
    # adjusted working days Sun 09-20 and Sat 10-10 (Mid-Autumn 09-25..09-27 just before); Spring Festival
    # 02-15..02-23 with the adjusted working Saturdays 02-14 and 02-28.
    national_day = [local(2026, 10, day).date() for day in range(1, 8)]
    spring_festival = [local(2026, 2, day).date() for day in range(15, 24)]
    assert all(calendar.is_public_holiday(day) for day in national_day + spring_festival)
    assert calendar.is_working_day(local(2026, 10, 8).date())
    adjusted = [local(2026, 9, 20), local(2026, 10, 10), local(2026, 2, 14), local(2026, 2, 28)]
    assert all(calendar.is_adjusted_working_day(day.date()) for day in adjusted)

    cases = [
        # registered, transfer due (1 working day), reply due (5 working days)
        (local(2026, 9, 18), local(2026, 9, 20), local(2026, 9, 24)),
        (local(2026, 9, 30, 15), local(2026, 10, 8, 15), local(2026, 10, 13, 15)),
        (local(2026, 2, 13), local(2026, 2, 14), local(2026, 2, 27)),
        # On a holiday (the web form never closes): the next working days count.
        (local(2026, 2, 23), local(2026, 2, 24), local(2026, 2, 28)),
    ]
    for registered, transfer_due, reply_due in cases:
        desk.at(registered)
        number = (await register(desk, channel="web", category="contract"))["number"]
        order = await detail(desk, number, "boss")
        assert number.startswith(registered.strftime("%Y%m%d-"))
        assert instant(order["created_at"]) == registered
        assert (instant(order["transfer_due_at"]), instant(order["reply_due_at"])) == (
            transfer_due,
            reply_due,
        )
        assert {d["kind"]: instant(d["due"]) for d in order["deadlines"]} == {
            "transfer": transfer_due,
            "reply": reply_due,
        }
    # An urgent matter registered during the holiday is due one working hour after the next opening.
    desk.at(local(2026, 10, 3, 12))
    urgent = await register(desk, channel="web", category="contract", urgency="urgent")
    assert instant(urgent["transfer_due_at"]) == local(2026, 10, 8, 9)
    assert instant(urgent["reply_due_at"]) == local(2026, 10, 13, 12)


async def test_early_warnings_are_raised_once_each(desk: Desk) -> None:
    registered = local(2026, 9, 30, 15)
    desk.at(registered)
    answered = (await register(desk))["number"]
    await act(desk, "agent", answered, "transfer", units=[AID])
    waiting = (await register(desk))["number"]
    second_instance_publisher = RecordingPublisher()
    second_instance = _service(
        desk.hotline,
        desk.database,
        desk.organisation,
        second_instance_publisher,
        desk.clock,
        Path("/nonexistent"),
    )

    async def check(at: datetime, expected: int) -> None:
        desk.at(at)
        assert await desk.service.check_deadlines() == expected, at
        assert await desk.service.check_deadlines() == 0, f"{at}: raised twice"

    # The waiting order's transfer deadline (10-08 15:00): near-due from the working day before (09-30).
    await check(registered, 1)
    await check(local(2026, 10, 8, 9), 1)
    await check(local(2026, 10, 8, 15), 0)
    await check(local(2026, 10, 8, 15, 1), 1)
    await act(desk, "agent", waiting, "transfer", units=[COUNTY])
    # Both reply deadlines (10-13 15:00, past the holiday week and the adjusted Saturday 10-10).
    await check(local(2026, 10, 9, 23, 59), 0)
    await check(local(2026, 10, 12, 0, 0), 2)
    await check(local(2026, 10, 13, 9), 2)
    await check(local(2026, 10, 13, 15), 0)
    desk.at(local(2026, 10, 13, 15, 1))
    raised = await asyncio.gather(desk.service.check_deadlines(), second_instance.check_deadlines())
    assert sum(raised) == 2, "two instances at once: each warning once"

    reminders = (await desk.http.get("/api/reminders", headers=desk.as_["boss"])).json()
    expected = {
        (waiting, "transfer", "near-due"),
        (waiting, "transfer", "due-today"),
        (waiting, "transfer", "overdue"),
        *{(number, "reply", level) for number in (answered, waiting) for level in ("near-due", "due-today")},
        (answered, "reply", "overdue"),
        (waiting, "reply", "overdue"),
    }
    assert len(reminders) == len(expected) == 9
    assert {(r["number"], r["kind"], r["level"]) for r in reminders} == expected
    published = desk.reminders_published() + [p for _, p in second_instance_publisher.published]
    assert sorted((p["number"], p["kind"], p["level"]) for p in published) == sorted(expected)
    assert all(instant(r["due_at"]) == local(2026, 10, 13, 15) for r in reminders if r["kind"] == "reply")

    overdue = (await desk.http.get("/api/work-orders?overdue=true", headers=desk.as_["boss"])).json()
    assert {item["number"] for item in overdue["items"]} == {answered, waiting}
    order = await detail(desk, answered, "boss")
    assert [(d["kind"], d["level"]) for d in order["deadlines"]] == [("reply", "overdue")]


# -- the web channel -------------------------------------------------------------------------------------


async def test_web_submission_validated_and_routed_to_its_preset_unit(desk: Desk) -> None:
    for fields, code in (
        ({"caller_number": "12345"}, "invalid-request"),
        ({"caller_number": "1391234567a"}, "invalid-request"),
        ({"description": "求助"}, "invalid-request"),
        ({"caller_name": ""}, "invalid-request"),
        ({"order_type": "chat"}, "invalid-request"),
        ({"channel": "walk-in"}, "invalid-request"),
        ({"category": "tax"}, "unknown-category"),
    ):
        response = await submit(desk.http, **fields)
        assert (response.status_code, response.json()["code"]) == (422, code), fields
    assert (await desk.http.get("/api/work-orders", headers=ADMIN)).json()["total"] == 0

    # config/hotline.toml routes legal aid from Urumqi to the Urumqi legal aid centre.
    routed = await submit(desk.http)
    assert routed.status_code == 201, routed.text
    receipt = routed.json()
    assert receipt["state"] == "transferred"
    assert receipt["number"].startswith("20261124-") and len(receipt["number"]) == 14
    order = await detail(desk, receipt["number"], "aid")
    assert (order["channel"], order["caller_name"], units(order)) == ("web", "李四", {AID: "assigned"})
    assert [(e["action"], e["actor"], e["actor_role"]) for e in order["history"]] == [
        ("register", "web", "system"),
        ("transfer", "system", "supervisor"),
    ]
    assert (await act(desk, "aid", receipt["number"], "accept"))["state"] == "in-progress"
    # No routing entry (contract), or one naming a unit the store lacks (legal aid outside the
    # prefectures: xj-legal-aid): the dispatcher picks the unit by hand.
    for fields in ({"category": "contract"}, {"prefecture": None}):
        unrouted = await submit(desk.http, **fields)
        assert unrouted.json()["state"] == "new", fields


async def test_caller_follows_and_rates_the_order(desk: Desk) -> None:
    receipt = (
        await submit(desk.http, order_type="complaint", description="法律援助律师一直不回电话。")
    ).json()
    number = receipt["number"]
    found = await desk.http.post("/api/public/work-orders/lookup", json={"number": number, "phone": PHONE})
    assert found.status_code == 200
    progress = found.json()
    assert (progress["number"], progress["state"], progress["reply"]) == (number, "transferred", None)
    assert set(progress) == {
        "number",
        "state",
        "order_type",
        "category",
        "created_at",
        "reply_due_at",
        "reply",
        "replied_at",
        "caller_rating",
    }
    wrong_phone = await desk.http.post(
        "/api/public/work-orders/lookup", json={"number": number, "phone": OTHER_PHONE}
    )
    wrong_number = await desk.http.post(
        "/api/public/work-orders/lookup", json={"number": "20261124-99999", "phone": PHONE}
    )
    assert wrong_phone.status_code == wrong_number.status_code == 404
    assert wrong_phone.json() == wrong_number.json()
    malformed = await desk.http.post("/api/public/work-orders/lookup", json={"number": "1", "phone": PHONE})
    assert malformed.status_code == 422

    async def rate(rating: str, phone: str = PHONE) -> httpx.Response:
        return await desk.http.post(
            "/api/public/work-orders/rating", json={"number": number, "phone": phone, "rating": rating}
        )

    early = await rate("satisfied")
    assert (early.status_code, early.json()["code"]) == (422, "invalid-work-order")
    await act(desk, "aid", number, "accept")
    await act(desk, "aid", number, "reply", reply="已约谈律师，今后由专人联系您。")
    # The complaint's reply is in review: not the caller's yet.
    in_review = (
        await desk.http.post("/api/public/work-orders/lookup", json={"number": number, "phone": PHONE})
    ).json()
    assert (in_review["state"], in_review["reply"], in_review["replied_at"]) == ("in-review", None, None)
    assert (await rate("satisfied")).status_code == 422
    await act(desk, "boss", number, "approve-reply")
    answered = (
        await desk.http.post("/api/public/work-orders/lookup", json={"number": number, "phone": PHONE})
    ).json()
    assert (answered["state"], answered["reply"]) == ("feedback", "已约谈律师，今后由专人联系您。")
    assert answered["replied_at"] is not None

    unknown = await rate("great")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "invalid-work-order")
    assert unknown.json()["details"]["known"] == ["satisfied", "basically-satisfied", "dissatisfied"]
    assert (await rate("satisfied", OTHER_PHONE)).status_code == 404
    rated = await rate("basically-satisfied")
    assert (rated.status_code, rated.json()["caller_rating"]) == (200, "basically-satisfied")
    order = await detail(desk, number, "boss")
    assert order["caller_rating"] == "basically-satisfied" and order["state"] == "feedback"
    assert (order["history"][-1]["action"], order["history"][-1]["actor"]) == ("rate", "caller")


async def test_lookups_are_rate_limited(desk: Desk) -> None:
    number = (await submit(desk.http)).json()["number"]
    async with desk.app(lookups_per_hour=3) as http:
        for _ in range(3):
            ok = await http.post("/api/public/work-orders/lookup", json={"number": number, "phone": PHONE})
            assert ok.status_code == 200
        limited = await http.post("/api/public/work-orders/lookup", json={"number": number, "phone": PHONE})
        assert (limited.status_code, limited.json()["code"]) == (429, "too-many-attempts")
        rating = await http.post(
            "/api/public/work-orders/rating", json={"number": number, "phone": PHONE, "rating": "satisfied"}
        )
        assert (rating.status_code, rating.json()["code"]) == (429, "too-many-attempts")
    # Another instance's counters (another prefix here) are its own; the main app still answers.
    again = await desk.http.post("/api/public/work-orders/lookup", json={"number": number, "phone": PHONE})
    assert again.status_code == 200


# -- privacy ---------------------------------------------------------------------------------------------


async def test_who_sees_the_callers_phone(desk: Desk) -> None:
    web = (await submit(desk.http)).json()["number"]
    hotline = (await register(desk))["number"]
    walk_in = (await register(desk, who="boss", channel="walk-in"))["number"]
    await register(desk, caller_number=OTHER_PHONE)

    async def reads(username: str) -> int:
        response = await desk.http.get(
            f"/api/audit?username={username}&subject_type=work-order&limit=500", headers=desk.as_["root"]
        )
        assert response.status_code == 200
        entries = response.json()
        assert all(entry["fields"] == ["caller_number"] and entry["action"] == "read" for entry in entries)
        return len(entries)

    # Agents and supervisors see the full number, and each reading is recorded; so does the unit
    # handling the order, and the bureau above it.
    for who in ("agent", "boss", "aid", "pref"):
        before = await reads(who)
        order = await detail(desk, web, who)
        assert (order["caller_number"], order["phone_masked"]) == (PHONE, False), who
        assert await reads(who) == before + 1, who
    # An expert is refused; a unit beside or outside the handling one does not see the order at all.
    expert = await desk.http.get(f"/api/work-orders/{web}", headers=desk.as_["expert"])
    assert (expert.status_code, expert.json()["code"]) == (403, "role-forbidden")
    for who in ("county", "ili"):
        hidden = await desk.http.get(f"/api/work-orders/{web}", headers=desk.as_[who])
        assert (hidden.status_code, hidden.json()["code"]) == (404, "not-found"), who
        assert await reads(who) == 0
    assert await reads("expert") == 0

    # Lists mask the number for everyone and record nothing.
    before = await reads("agent")
    listed = await desk.http.get("/api/work-orders", headers=desk.as_["agent"])
    assert listed.json()["total"] == 4
    assert {item["caller_number"] for item in listed.json()["items"]} == {MASKED, "138****1111"}
    assert PHONE not in listed.text
    assert await reads("agent") == before
    for who, total in (("aid", 1), ("pref", 1), ("county", 0), ("ili", 0)):
        assert (await desk.http.get("/api/work-orders", headers=desk.as_[who])).json()["total"] == total, who

    # The caller's orders from every channel, newest first (the agent's screen pop).
    history_page = await desk.http.get(f"/api/callers/{PHONE}/work-orders", headers=desk.as_["agent"])
    page = history_page.json()
    assert page["total"] == 3
    assert [item["number"] for item in page["items"]] == [walk_in, hotline, web]
    assert [item["channel"] for item in page["items"]] == ["walk-in", "hotline", "web"]
    assert {item["caller_number"] for item in page["items"]} == {MASKED}
    assert PHONE not in history_page.text.replace(f"/api/callers/{PHONE}", "")
    scoped = (await desk.http.get(f"/api/callers/{PHONE}/work-orders", headers=desk.as_["aid"])).json()
    assert [item["number"] for item in scoped["items"]] == [web]
    assert (
        await desk.http.get(f"/api/callers/{PHONE}/work-orders", headers=desk.as_["expert"])
    ).status_code == 403


async def test_search_filters(desk: Desk) -> None:
    wage = (await register(desk, description="工地老板拖欠农民工工资"))["number"]
    divorce = (
        await register(desk, category="marriage-family", order_type="complaint", description="离婚财产分割")
    )["number"]
    await act(desk, "agent", divorce, "transfer", units=[COUNTY])
    web = (await submit(desk.http, category="contract")).json()["number"]

    async def numbers(query: str) -> list[str]:
        response = await desk.http.get(f"/api/work-orders?{query}", headers=desk.as_["agent"])
        assert response.status_code == 200, response.text
        return [item["number"] for item in response.json()["items"]]

    assert await numbers("q=农民工") == [wage]
    assert await numbers(f"q={divorce}") == [divorce]
    assert await numbers("state=transferred") == [divorce]
    assert await numbers("state=new&state=transferred") == [web, divorce, wage]
    assert await numbers("channel=web") == [web]
    assert await numbers("order_type=complaint") == [divorce]
    assert await numbers("category=labour") == [wage]
    assert await numbers("limit=1&offset=1") == [divorce]
    assert (await desk.http.get("/api/work-orders?limit=0", headers=ADMIN)).status_code == 422


# -- attachments -----------------------------------------------------------------------------------------


async def test_attachments(desk: Desk) -> None:
    number = (await register(desk))["number"]
    await act(desk, "agent", number, "transfer", units=[AID])
    base = f"/api/work-orders/{number}/attachments"

    pdf = await desk.http.put(
        f"{base}/劳动合同.pdf", content=PDF, headers=desk.as_["aid"] | {"Content-Type": "application/pdf"}
    )
    assert pdf.status_code == 201, pdf.text
    assert pdf.json() | {"id": 0, "uploaded_at": ""} == {
        "id": 0,
        "filename": "劳动合同.pdf",
        "content_type": "application/pdf",
        "size_bytes": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "uploaded_by": "aid",
        "uploaded_at": "",
    }
    png = await desk.http.put(
        f"{base}/photo.png", content=PNG, headers=desk.as_["agent"] | {"Content-Type": "image/png"}
    )
    assert png.status_code == 201, png.text

    order = await detail(desk, number, "boss")
    assert [(a["filename"], a["sha256"]) for a in order["attachments"]] == [
        ("劳动合同.pdf", hashlib.sha256(PDF).hexdigest()),
        ("photo.png", hashlib.sha256(PNG).hexdigest()),
    ]
    for item, content, media in ((pdf.json(), PDF, "application/pdf"), (png.json(), PNG, "image/png")):
        download = await desk.http.get(f"{base}/{item['id']}", headers=desk.as_["aid"])
        assert download.status_code == 200
        assert download.content == content
        assert download.headers["content-type"].startswith(media)

    for content, content_type in (
        (b"PK\x03\x04zip", "application/zip"),
        (PDF, ""),
        (b"", "application/pdf"),
        (b"%PDF" + b"\x00" * (5 * 1024 * 1024), "application/pdf"),
    ):
        rejected = await desk.http.put(
            f"{base}/x.bin", content=content, headers=desk.as_["aid"] | {"Content-Type": content_type}
        )
        assert (rejected.status_code, rejected.json()["code"]) == (422, "attachment-rejected"), content_type
    outside = await desk.http.put(
        f"{base}/x.pdf", content=PDF, headers=desk.as_["ili"] | {"Content-Type": "application/pdf"}
    )
    assert outside.status_code == 404
    assert (await desk.http.get(f"{base}/{pdf.json()['id']}", headers=desk.as_["ili"])).status_code == 404
    expert = await desk.http.put(
        f"{base}/x.pdf", content=PDF, headers=desk.as_["expert"] | {"Content-Type": "application/pdf"}
    )
    assert (expert.status_code, expert.json()["code"]) == (403, "role-forbidden")
    assert (await desk.http.put(f"{base}/x.pdf", content=PDF)).status_code == 401
    assert (await desk.http.get(f"{base}/999999", headers=ADMIN)).status_code == 404
    assert len((await detail(desk, number))["attachments"]) == 2


# -- the supervisors' live warnings ----------------------------------------------------------------------


async def test_reminders_pushed_to_supervisors_over_the_websocket(desk: Desk, tmp_path: Path) -> None:
    # This instance publishes through the real Redis, as in production; any instance's warnings reach
    # every supervisor's screen.
    orders = _service(desk.hotline, desk.database, desk.organisation, desk.bus, desk.clock, tmp_path)
    token = desk.as_["boss"]["Authorization"].removeprefix("Bearer ")
    agent_token = desk.as_["agent"]["Authorization"].removeprefix("Bearer ")
    async with serving(desk.web_app(orders=orders)) as base:
        for refused_token, code in (("", 4401), ("not-a-token", 4401), (agent_token, 4403)):
            # Accepted, then closed with the reason (as every socket: Access.accepted_principal).
            async with connect(f"{base}/ws/reminders?token={refused_token}") as refused:
                with pytest.raises(ConnectionClosed) as closed:
                    await refused.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == code, refused_token
        async with connect(f"{base}/ws/reminders?token={token}") as socket:
            # The subscription is made once the socket is open: probe until it carries messages.
            probe = {"number": "probe", "level": "probe"}
            for _ in range(50):
                await desk.bus.publish(REMINDER_CHANNEL, probe)
                try:
                    if json.loads(await asyncio.wait_for(socket.recv(), 0.2)) == probe:
                        break
                except TimeoutError:
                    continue
            else:
                raise AssertionError("the socket never carried a message")
            number = (await register(desk, urgency="emergency"))["number"]
            await act(desk, "agent", number, "transfer", units=[AID])
            # The fixture's own service records it; this instance publishes it when it raises one.
            assert [p["number"] for p in desk.reminders_published()] == [number]
            desk.at(START + timedelta(days=30))
            # A month on, unanswered: the reply deadline went through all three levels since registration.
            assert await orders.check_deadlines() == 3
            pushed: list[dict[str, Any]] = []
            while len(pushed) < 3:
                message = json.loads(await asyncio.wait_for(socket.recv(), 5))
                if message != probe:
                    pushed.append(message)
            assert sorted((m["number"], m["kind"], m["level"]) for m in pushed) == [
                (number, "reply", "due-today"),
                (number, "reply", "near-due"),
                (number, "reply", "overdue"),
            ]
        # The server notices the screen closing at once (not at the next warning): it shuts down
        # promptly when this block ends.

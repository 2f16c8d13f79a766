from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from callcenter.hotline import load_hotline
from callcenter.services.experts import ExpertService
from callcenter.settings import PROJECT_DIR
from callcenter.store.db import Database
from callcenter.store.experts import ExpertRepository
from callcenter.web.access import Access
from callcenter.web.app import HealthChecks, create_app
from callcenter.web.experts import experts_router
from tests.fakes import Accounts

TOKEN = "s3cret-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
CSV = {"Content-Type": "text/csv"}
EXPERTS_HEADER = "id,name,kind,organisation,phones,categories,prefectures,max_concurrent_calls"
ROSTER_HEADER = "expert_id,when,start,end"


async def _true() -> bool:
    return True


@pytest.fixture
async def http(database: Database) -> AsyncIterator[httpx.AsyncClient]:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    experts = ExpertService(ExpertRepository(database), hotline)
    app = create_app(
        HealthChecks(database=_true, redis=_true, ami=lambda: False, fastagi=lambda: True),
        routers=[experts_router(experts, Access(Accounts(), TOKEN))],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def wang(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "lawyer-wang",
        "name": "王建国",
        "kind": "lawyer",
        "organisation": "新疆天山律师事务所",
        "phones": ["13909910001", "09911234567"],
        "categories": ["labour", "contract"],
        "prefectures": ["urumqi"],
        "max_concurrent_calls": 2,
    }
    body.update(changes)
    return body


def without_id(body: dict[str, Any], version: int) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "id"} | {"version": version}


async def test_create_read_update_and_deactivate(http: httpx.AsyncClient) -> None:
    created = await http.post("/api/experts", json=wang(), headers=ADMIN)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/api/experts/lawyer-wang"
    assert created.json() == wang(categories=["contract", "labour"]) | {"active": True, "version": 1}
    assert (await http.get("/api/experts/lawyer-wang")).json() == created.json()
    assert [e["id"] for e in (await http.get("/api/experts")).json()] == ["lawyer-wang"]

    changed = await http.put(
        "/api/experts/lawyer-wang", json=without_id(wang(name="王律师"), 1), headers=ADMIN
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["version"]) == ("王律师", 2)

    again = await http.post("/api/experts", json=wang(), headers=ADMIN)
    assert (again.status_code, again.json()["code"]) == (409, "expert-exists")

    deleted = await http.delete("/api/experts/lawyer-wang", headers=ADMIN)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (await http.get("/api/experts")).json() == []
    listed = (await http.get("/api/experts", params={"include_inactive": "true"})).json()
    assert [(e["id"], e["active"], e["version"]) for e in listed] == [("lawyer-wang", False, 3)]
    assert (await http.get("/api/experts/lawyer-wang")).json()["active"] is False

    back = await http.put(
        "/api/experts/lawyer-wang", json=without_id(wang(), 3) | {"active": True}, headers=ADMIN
    )
    assert (back.json()["active"], back.json()["version"]) == (True, 4)

    for missing in (
        await http.get("/api/experts/nobody"),
        await http.get("/api/experts/nobody/roster"),
        await http.delete("/api/experts/nobody", headers=ADMIN),
        await http.put("/api/experts/nobody", json=without_id(wang(), 1), headers=ADMIN),
    ):
        assert (missing.status_code, missing.json()["code"]) == (404, "not-found")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN}],
)
async def test_writes_and_csv_need_the_admin_token(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    requests = [
        http.post("/api/experts", json=wang(), headers=headers),
        http.put("/api/experts/lawyer-wang", json=without_id(wang(), 1), headers=headers),
        http.delete("/api/experts/lawyer-wang", headers=headers),
        http.put("/api/experts/lawyer-wang/roster", json=[], headers=headers),
        http.get("/api/experts.csv", headers=headers),
        http.put("/api/experts.csv", content=f"{EXPERTS_HEADER}\n", headers=headers | CSV),
        http.get("/api/roster.csv", headers=headers),
        http.put("/api/roster.csv", content=f"{ROSTER_HEADER}\n", headers=headers | CSV),
    ]
    for response in await asyncio.gather(*requests):
        assert response.status_code == 401, response.request.url
        body = response.json()
        assert body["code"] == "login-required"
        assert set(body) == {"code", "message", "details"}
    assert (await http.get("/api/experts", params={"include_inactive": "true"})).json() == []
    # Reads stay open: agents pick experts in their console.
    for path in ("/api/experts", "/api/roster"):
        assert (await http.get(path, headers=headers)).status_code == 200


async def test_validation_errors_say_what_is_wrong(http: httpx.AsyncClient) -> None:
    category = await http.post("/api/experts", json=wang(categories=["labour", "tax"]), headers=ADMIN)
    assert category.status_code == 422
    body = category.json()
    assert body["code"] == "unknown-category"
    assert body["details"]["unknown"] == ["tax"]
    assert "labour" in body["details"]["known"]

    prefecture = await http.post("/api/experts", json=wang(prefectures=["hotan"]), headers=ADMIN)
    assert (prefecture.status_code, prefecture.json()["code"]) == (422, "unknown-prefecture")

    phone = await http.post("/api/experts", json=wang(phones=["12345"]), headers=ADMIN)
    assert (phone.status_code, phone.json()["code"]) == (422, "expert-invalid")
    assert "12345" in phone.json()["message"]

    for bad in (wang(id="Wang!"), wang(kind="judge"), wang(phones=[]), wang(extra=1), {"id": "x"}):
        response = await http.post("/api/experts", json=bad, headers=ADMIN)
        assert (response.status_code, response.json()["code"]) == (422, "invalid-request"), bad
    malformed = await http.post(
        "/api/experts", content=b"{not json", headers=ADMIN | {"Content-Type": "application/json"}
    )
    assert (malformed.status_code, malformed.json()["code"]) == (422, "invalid-request")
    assert (await http.get("/api/experts", params={"include_inactive": "true"})).json() == []


async def test_two_updates_from_the_same_version_the_second_is_stale(http: httpx.AsyncClient) -> None:
    await http.post("/api/experts", json=wang(), headers=ADMIN)
    first = await http.put("/api/experts/lawyer-wang", json=without_id(wang(name="甲"), 1), headers=ADMIN)
    second = await http.put("/api/experts/lawyer-wang", json=without_id(wang(name="乙"), 1), headers=ADMIN)
    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["code"] == "stale-version"
    assert second.json()["details"] == {"expert": "lawyer-wang", "expected_version": 1, "current_version": 2}
    assert (await http.get("/api/experts/lawyer-wang")).json()["name"] == "甲"


async def test_an_experts_roster_in_json(http: httpx.AsyncClient) -> None:
    await http.post("/api/experts", json=wang(), headers=ADMIN)
    await http.post("/api/experts", json=wang(id="duty-ma", categories=["other"]), headers=ADMIN)
    entries = [
        {"when": "working-days", "start": "08:00", "end": "20:00"},
        {"when": "sat", "start": "20:00", "end": "08:00"},
        {"when": "2026-10-01", "start": "00:00", "end": "00:00"},
    ]
    response = await http.put("/api/experts/lawyer-wang/roster", json=entries, headers=ADMIN)
    assert response.status_code == 200, response.text
    expected = [{"expert_id": "lawyer-wang", **entry} for entry in entries]
    assert response.json() == expected
    assert (await http.get("/api/experts/lawyer-wang/roster")).json() == expected
    await http.put("/api/experts/duty-ma/roster", json=entries[1:2], headers=ADMIN)
    assert (await http.get("/api/roster")).json() == [*expected, {"expert_id": "duty-ma", **entries[1]}]

    bad = [
        {"when": "sat", "start": "08:00", "end": "24:00"},
        {"when": "2026-02-30", "start": "08:00", "end": "09:00"},
    ]
    refused = await http.put("/api/experts/lawyer-wang/roster", json=bad, headers=ADMIN)
    assert (refused.status_code, refused.json()["code"]) == (422, "roster-invalid")
    assert [item["entry"] for item in refused.json()["details"]["errors"]] == [0, 1]
    shape = await http.put("/api/experts/lawyer-wang/roster", json=[{"when": "someday"}], headers=ADMIN)
    assert (shape.status_code, shape.json()["code"]) == (422, "invalid-request")
    assert (await http.get("/api/experts/lawyer-wang/roster")).json() == expected

    missing = await http.put("/api/experts/nobody/roster", json=entries, headers=ADMIN)
    assert missing.status_code == 404
    await http.delete("/api/experts/duty-ma", headers=ADMIN)
    inactive = await http.put("/api/experts/duty-ma/roster", json=entries, headers=ADMIN)
    assert (inactive.status_code, inactive.json()["code"]) == (422, "roster-invalid")
    assert (await http.get("/api/roster")).json() == expected


async def test_experts_csv_round_trip_and_all_or_nothing(http: httpx.AsyncClient) -> None:
    text = (
        f"{EXPERTS_HEADER}\n"
        "lawyer-wang,王建国,lawyer,新疆天山律师事务所,13909910001;09911234567,contract;labour,urumqi,2\n"
        "notary-zhang,张敏,notary,乌鲁木齐市公证处,13909910004,notarization,,1\n"
    )
    imported = await http.put("/api/experts.csv", content=text.encode(), headers=ADMIN | CSV)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"imported": 2}
    exported = await http.get("/api/experts.csv", headers=ADMIN)
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.decode("utf-8") == "\ufeff" + text
    # The exported file imports back as it is (BOM and all).
    assert (await http.put("/api/experts.csv", content=exported.content, headers=ADMIN | CSV)).json() == {
        "imported": 2
    }
    assert {e["id"]: e["version"] for e in (await http.get("/api/experts")).json()} == {
        "lawyer-wang": 1,
        "notary-zhang": 1,
    }

    bad = (
        f"{EXPERTS_HEADER}\n"
        "notary-zhang,张敏,notary,乌鲁木齐市公证处,13909910004,notarization,,5\n"
        "new-one,新,mediator,所,13909910005,mediation,,1\n"
        "bad-phone,坏,lawyer,所,123,labour,,1\n"
        "bad-code,坏,lawyer,所,13909910006,tax,,1\n"
    )
    refused = await http.put("/api/experts.csv", content=bad.encode(), headers=ADMIN | CSV)
    assert refused.status_code == 422
    assert refused.json()["code"] == "expert-invalid"
    assert [item["line"] for item in refused.json()["details"]["errors"]] == [4, 5]
    experts = (await http.get("/api/experts")).json()
    assert [e["id"] for e in experts] == ["lawyer-wang", "notary-zhang"]
    assert experts[1]["max_concurrent_calls"] == 1

    # Excel on Chinese Windows writes GB18030.
    gbk = text.replace("王建国", "王律师").encode("gb18030")
    assert (await http.put("/api/experts.csv", content=gbk, headers=ADMIN | CSV)).json() == {"imported": 2}
    assert (await http.get("/api/experts/lawyer-wang")).json()["name"] == "王律师"


async def test_roster_csv_replaces_everything_or_nothing(http: httpx.AsyncClient) -> None:
    await http.post("/api/experts", json=wang(), headers=ADMIN)
    await http.post("/api/experts", json=wang(id="duty-ma", categories=["other"]), headers=ADMIN)
    await http.post("/api/experts", json=wang(id="gone"), headers=ADMIN)
    await http.delete("/api/experts/gone", headers=ADMIN)
    text = (
        f"{ROSTER_HEADER}\n"
        "lawyer-wang,working-days,08:00,20:00\n"
        "duty-ma,sat,08:00,20:00\n"
        "duty-ma,sun,20:00,08:00\n"
    )
    response = await http.put("/api/roster.csv", content=text, headers=ADMIN | CSV)
    assert response.json() == {"imported": 3}
    exported = await http.get("/api/roster.csv", headers=ADMIN)
    assert exported.text == "\ufeff" + text
    assert len((await http.get("/api/roster")).json()) == 3

    bad = (
        f"{ROSTER_HEADER}\n"
        "lawyer-wang,mon,08:00,12:00\n"
        "gone,tue,08:00,12:00\n"
        "ghost,wed,08:00,12:00\n"
        "duty-ma,fri,8,9\n"
    )
    refused = await http.put("/api/roster.csv", content=bad, headers=ADMIN | CSV)
    assert (refused.status_code, refused.json()["code"]) == (422, "roster-invalid")
    errors = refused.json()["details"]["errors"]
    assert errors[:2] == [
        {"line": 3, "problem": "expert gone is inactive"},
        {"line": 4, "problem": "expert ghost is unknown"},
    ]
    assert [item["line"] for item in errors[2:]] == [5, 5]
    assert (await http.get("/api/roster.csv", headers=ADMIN)).text == "\ufeff" + text

    empty = await http.put("/api/roster.csv", content=f"{ROSTER_HEADER}\n", headers=ADMIN | CSV)
    assert empty.json() == {"imported": 0}
    assert (await http.get("/api/roster")).json() == []


async def test_the_openapi_document_describes_the_experts_api(http: httpx.AsyncClient) -> None:
    document = (await http.get("/openapi.json")).json()
    assert {"/api/experts", "/api/experts.csv", "/api/roster", "/api/roster.csv"} <= set(document["paths"])
    put_csv = document["paths"]["/api/roster.csv"]["put"]
    assert "text/csv" in put_csv["requestBody"]["content"]
    assert put_csv["security"] == [{"HTTPBearer": []}]
    assert "security" not in document["paths"]["/api/roster"]["get"]

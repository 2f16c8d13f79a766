from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import APIRouter, Depends

from callcenter.domain.access import Principal, Role
from callcenter.hotline import load_hotline
from callcenter.services.organisation import LoginLimiter, OrganisationService, Passwords, SessionTokens
from callcenter.settings import PROJECT_DIR
from callcenter.store.db import Database
from callcenter.store.organisation import OrganisationRepository
from callcenter.web.access import Access
from callcenter.web.app import HealthChecks, create_app
from callcenter.web.console import console_router
from callcenter.web.organisation import organisation_router

TOKEN = "s3cret-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
PASSWORD = "correct horse battery"
DEMO_UNITS = PROJECT_DIR / "config" / "demo-units.csv"


async def _true() -> bool:
    return True


@pytest.fixture
async def service(database: Database) -> OrganisationService:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    return OrganisationService(
        OrganisationRepository(database),
        hotline,
        SessionTokens("test-session-key", 3600),
        passwords=Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)),
        limiter=LoginLimiter(max_failures=3, window_seconds=60),
    )


@pytest.fixture
async def http(
    database: Database, service: OrganisationService, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    access = Access(service, TOKEN)
    # A router of another feature, guarded as the work-order API will be.
    other = APIRouter()

    @other.get("/api/test/supervised")
    async def supervised(
        principal: Annotated[Principal, Depends(access.require_roles(Role.SUPERVISOR, Role.ADMIN))],
    ) -> dict[str, str]:
        assert isinstance(principal, Principal)
        return {"username": principal.username}

    console = console_router(
        hotline, access, lambda endpoint: f"pw-of-{endpoint}", "127.0.0.1", "ws://127.0.0.1:8088/ws", True
    )
    app = create_app(
        HealthChecks(database=_true, redis=_true, ami=lambda: False, fastagi=lambda: True),
        routers=[organisation_router(service, access), other, console],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def _import_demo_units(http: httpx.AsyncClient) -> None:
    response = await http.put(
        "/api/units.csv", content=DEMO_UNITS.read_bytes(), headers=ADMIN | {"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"imported": 24}


async def _user(http: httpx.AsyncClient, username: str, role: str, **fields: Any) -> dict[str, Any]:
    body = {"username": username, "display_name": username, "role": role, "password": PASSWORD} | fields
    response = await http.post("/api/users", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _login(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = await http.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_login_and_me(http: httpx.AsyncClient) -> None:
    await _import_demo_units(http)
    created = await _user(http, "wang", "unit-handler", unit="urumqi-legal-aid", display_name="王芳")
    assert "password" not in created and "password_hash" not in created
    response = await http.post("/api/auth/login", json={"username": "wang", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["user"] == created and "expires_at" in body
    me = await http.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json() == {
        "user_id": created["id"],
        "username": "wang",
        "display_name": "王芳",
        "role": "unit-handler",
        "unit": "urumqi-legal-aid",
        "agent_id": None,
    }
    admin = await http.get("/api/auth/me", headers=ADMIN)
    assert admin.json()["role"] == "admin" and admin.json()["user_id"] is None


async def test_login_failures(http: httpx.AsyncClient) -> None:
    await _user(http, "boss", "supervisor")
    wrong_password = await http.post(
        "/api/auth/login", json={"username": "boss", "password": "not it at all"}
    )
    unknown_user = await http.post("/api/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password.json()["code"] == "login-failed"
    for _ in range(2):
        await http.post("/api/auth/login", json={"username": "boss", "password": "not it at all"})
    limited = await http.post("/api/auth/login", json={"username": "boss", "password": PASSWORD})
    assert limited.status_code == 429
    assert limited.json()["code"] == "too-many-attempts"
    assert limited.json()["details"]["retry_after_seconds"] > 0


async def test_login_required_and_role_forbidden(http: httpx.AsyncClient) -> None:
    await _user(http, "agent1", "agent", agent_id="1001")
    await _user(http, "boss", "supervisor")
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic Zm9vOmJhcg=="}):
        response = await http.get("/api/test/supervised", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["code"] == "login-required"
    agent = await _login(http, "agent1")
    forbidden = await http.get("/api/test/supervised", headers=agent)
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "role-forbidden"
    assert (await http.get("/api/users", headers=agent)).status_code == 403
    assert (await http.get("/api/audit", headers=agent)).status_code == 403
    boss = await _login(http, "boss")
    assert (await http.get("/api/test/supervised", headers=boss)).json() == {"username": "boss"}
    assert (await http.get("/api/test/supervised", headers=ADMIN)).json() == {"username": "admin-token"}
    assert (await http.get("/api/audit", headers=boss)).json() == []
    assert (await http.get("/api/units", headers=agent)).status_code == 200
    assert (await http.get("/api/units")).status_code == 401


async def test_an_agents_console_session_carries_the_softphone_account(http: httpx.AsyncClient) -> None:
    await _user(http, "aygul", "agent", agent_id="1001", display_name="阿依古丽")
    await _user(http, "boss", "supervisor")
    session = await http.get("/api/console/session", headers=await _login(http, "aygul"))
    assert session.status_code == 200, session.text
    body = session.json()
    assert body["agent"] == {"id": "1001", "name": "阿依古丽"}
    assert body["sip"] == {
        "websocket_url": "ws://127.0.0.1:8088/ws",
        "uri": "sip:agent-1001-web@127.0.0.1",
        "username": "agent-1001-web",
        "password": "pw-of-agent-1001-web",
        "display_name": "阿依古丽",
        "loopback_ice_only": True,
    }
    assert {"code": "labour", "name": "劳动争议"} in body["categories"]
    assert {"code": "urumqi", "name": "乌鲁木齐市"} in body["prefectures"]
    assert body["pause_reasons"] and body["wrapup_seconds"] >= 0
    supervisor = await http.get("/api/console/session", headers=await _login(http, "boss"))
    assert (supervisor.status_code, supervisor.json()["code"]) == (403, "role-forbidden")
    assert (await http.get("/api/console/session")).status_code == 401


async def test_tampered_token_is_refused(http: httpx.AsyncClient) -> None:
    await _user(http, "boss", "supervisor")
    token = (await _login(http, "boss"))["Authorization"].removeprefix("Bearer ")
    payload, _, signature = token.rpartition(".")
    tampered = f"{payload}.{signature[::-1]}"
    response = await http.get("/api/auth/me", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401
    assert response.json()["details"] == {"reason": "invalid-token"}


async def test_units_api(http: httpx.AsyncClient) -> None:
    created = await http.post(
        "/api/units",
        json={"code": "xj", "name": "新疆维吾尔自治区司法厅", "level": "province"},
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/api/units/xj"
    assert created.json() == {
        "code": "xj",
        "name": "新疆维吾尔自治区司法厅",
        "level": "province",
        "parent": None,
        "head": None,
        "active": True,
        "version": 1,
    }
    orphan = await http.post("/api/units", json={"code": "c", "name": "县", "level": "county"}, headers=ADMIN)
    assert orphan.status_code == 422 and orphan.json()["code"] == "unit-invalid"
    again = await http.post(
        "/api/units", json={"code": "xj", "name": "x", "level": "province"}, headers=ADMIN
    )
    assert again.status_code == 409 and again.json()["code"] == "unit-exists"
    await http.post(
        "/api/units",
        json={"code": "ili", "name": "伊犁州司法局", "level": "prefecture", "parent": "xj"},
        headers=ADMIN,
    )
    updated = await http.put(
        "/api/units/ili",
        json={"name": "伊犁哈萨克自治州司法局", "level": "prefecture", "parent": "xj", "version": 1},
        headers=ADMIN,
    )
    assert updated.status_code == 200 and updated.json()["version"] == 2
    stale = await http.put(
        "/api/units/ili",
        json={"name": "x", "level": "prefecture", "parent": "xj", "version": 1},
        headers=ADMIN,
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale-version"
    in_use = await http.delete("/api/units/xj", headers=ADMIN)
    assert in_use.status_code == 409 and in_use.json()["code"] == "unit-in-use"
    assert (await http.delete("/api/units/ili", headers=ADMIN)).json()["active"] is False
    assert [u["code"] for u in (await http.get("/api/units", headers=ADMIN)).json()] == ["xj"]
    assert (await http.get("/api/units/nope", headers=ADMIN)).status_code == 404
    assert (
        await http.post("/api/units", json={"code": "y", "name": "y", "level": "province"})
    ).status_code == 401


async def test_units_csv_api(http: httpx.AsyncClient) -> None:
    await _import_demo_units(http)
    exported = await http.get("/api/units.csv", headers=ADMIN)
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.startswith("\ufeffcode,name,level,parent,head\n")
    assert len(exported.text.strip().splitlines()) == 25
    gb = "code,name,level,parent\nxj-justice,新疆维吾尔自治区司法厅（改）,province,\n".encode("gb18030")
    response = await http.put("/api/units.csv", content=gb, headers=ADMIN | {"Content-Type": "text/csv"})
    assert response.json() == {"imported": 1}
    assert (await http.get("/api/units/xj-justice", headers=ADMIN)).json()["name"].endswith("（改）")
    bad = await http.put(
        "/api/units.csv",
        content=b"code,name,level,parent\nx,y,moon,\n",
        headers=ADMIN | {"Content-Type": "text/csv"},
    )
    assert bad.status_code == 422 and bad.json()["details"]["errors"][0]["line"] == 2


async def test_users_api_never_shows_passwords(http: httpx.AsyncClient) -> None:
    await _import_demo_units(http)
    head = await _user(http, "head", "unit-head", unit="urumqi-justice")
    assert set(head) == {
        "id",
        "username",
        "display_name",
        "role",
        "unit",
        "agent_id",
        "active",
        "version",
        "created_at",
        "updated_at",
    }
    short = await http.post(
        "/api/users",
        json={"username": "x1", "display_name": "x", "role": "admin", "password": "short"},
        headers=ADMIN,
    )
    assert short.status_code == 422 and short.json()["code"] == "password-invalid"
    no_unit = await http.post(
        "/api/users",
        json={"username": "x2", "display_name": "x", "role": "unit-head", "password": PASSWORD},
        headers=ADMIN,
    )
    assert no_unit.status_code == 422 and no_unit.json()["code"] == "user-invalid"
    duplicate = await http.post(
        "/api/users",
        json={"username": "head", "display_name": "x", "role": "admin", "password": PASSWORD},
        headers=ADMIN,
    )
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "user-exists"
    listed = (await http.get("/api/users", headers=ADMIN)).json()
    assert listed == [head]
    assert (await http.get("/api/users/head", headers=ADMIN)).json() == head
    updated = await http.put(
        "/api/users/head",
        json={"display_name": "单位负责人", "role": "unit-head", "unit": "ili-justice", "version": 1},
        headers=ADMIN,
    )
    assert updated.status_code == 200 and updated.json()["unit"] == "ili-justice"
    session = await _login(http, "head")
    reset = await http.post("/api/users/head/password", json={"password": "another long one"}, headers=ADMIN)
    assert reset.status_code == 200 and "password" not in reset.text
    assert (await http.get("/api/auth/me", headers=session)).status_code == 401
    session = await _login(http, "head", "another long one")
    removed = await http.delete("/api/users/head", headers=ADMIN)
    assert removed.json()["active"] is False
    assert (await http.get("/api/auth/me", headers=session)).status_code == 401
    assert (await http.get("/api/users", headers=ADMIN)).json() == []
    assert len((await http.get("/api/users?include_inactive=true", headers=ADMIN)).json()) == 1
    # An admin user (not only the token) manages users too.
    await _user(http, "root", "admin")
    root = await _login(http, "root")
    assert (await http.get("/api/users", headers=root)).status_code == 200
    for text in [r.text for r in (await http.get("/api/users?include_inactive=true", headers=root),)]:
        assert "argon2" not in text and PASSWORD not in text


async def test_audit_api(http: httpx.AsyncClient, service: OrganisationService) -> None:
    await _user(http, "boss", "supervisor")
    boss = await _login(http, "boss")
    me = Principal(1, "boss", Role.SUPERVISOR)
    for order in ("1", "2", "2"):
        await service.record_read(me, "work-order", order, ["caller_number"])
    entries = (await http.get("/api/audit?subject_type=work-order&subject_id=2", headers=boss)).json()
    assert len(entries) == 2 and entries[0]["id"] > entries[1]["id"]
    assert entries[0] | {"id": 0, "at": ""} == {
        "id": 0,
        "at": "",
        "user_id": 1,
        "username": "boss",
        "role": "supervisor",
        "action": "read",
        "subject_type": "work-order",
        "subject_id": "2",
        "fields": ["caller_number"],
    }
    page = (await http.get("/api/audit?limit=1&offset=2", headers=ADMIN)).json()
    assert [entry["subject_id"] for entry in page] == ["1"]
    assert (await http.get("/api/audit?username=nobody", headers=ADMIN)).json() == []
    assert (await http.get("/api/audit?limit=0", headers=ADMIN)).status_code == 422

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from callcenter.domain.access import (
    LoginFailedError,
    LoginRequiredError,
    Principal,
    Role,
    TooManyAttemptsError,
)
from callcenter.domain.organisation import (
    Unit,
    UnitExistsError,
    UnitInUseError,
    UnitInvalidError,
    UnitLevel,
    UnknownUnitError,
    User,
    UserExistsError,
    UserInvalidError,
)
from callcenter.errors import StaleVersionError
from callcenter.hotline import HotlineConfig, HotlineConfigError, load_hotline
from callcenter.services.organisation import (
    LoginLimiter,
    OrganisationService,
    Passwords,
    SessionTokens,
    seed_if_empty,
)
from callcenter.settings import PROJECT_DIR
from callcenter.store.db import Database
from callcenter.store.models import AuditRecord, UserRecord
from callcenter.store.organisation import OrganisationRepository

DEMO_UNITS = PROJECT_DIR / "config" / "demo-units.csv"
PASSWORD = "correct horse battery"
# Cheap parameters: the tests hash many passwords.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class FakeTime:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def hotline() -> HotlineConfig:
    return load_hotline(PROJECT_DIR / "config" / "hotline.toml")


@pytest.fixture
def now() -> FakeTime:
    return FakeTime()


@pytest.fixture
def service(database: Database, hotline: HotlineConfig, now: FakeTime) -> OrganisationService:
    return OrganisationService(
        OrganisationRepository(database),
        hotline,
        SessionTokens("test-session-key", 3600, now=now),
        passwords=Passwords(FAST_HASHER),
        limiter=LoginLimiter(max_failures=3, window_seconds=60, now=now),
    )


async def _tree(service: OrganisationService) -> None:
    await service.import_units_csv(DEMO_UNITS.read_text(encoding="utf-8"))


# -- tokens and the limiter (no store) --------------------------------------------------------------------


def test_tokens_expire_and_refuse_tampering(now: FakeTime) -> None:
    tokens = SessionTokens("key-one", 600, now=now)
    issued = tokens.issue(42, 3)
    assert tokens.read(issued.token) == (42, 3)
    assert issued.expires_at.timestamp() == int(now.now) + 600
    now.now += 601
    with pytest.raises(LoginRequiredError) as expired:
        tokens.read(issued.token)
    assert expired.value.details == {"reason": "expired"}
    fresh = tokens.issue(42, 3).token
    tampered = fresh[:-2] + ("AA" if not fresh.endswith("AA") else "BB")
    for bad in (tampered, "garbage", SessionTokens("key-two", 600, now=now).issue(42, 3).token):
        with pytest.raises(LoginRequiredError) as invalid:
            tokens.read(bad)
        assert invalid.value.details == {"reason": "invalid-token"}


def test_limiter_window(now: FakeTime) -> None:
    limiter = LoginLimiter(max_failures=2, window_seconds=60, now=now)
    key = ("wang", "10.0.0.1")
    limiter.failure(key)
    limiter.check(key)
    limiter.failure(key)
    with pytest.raises(TooManyAttemptsError) as raised:
        limiter.check(key)
    assert 1 <= raised.value.details["retry_after_seconds"] <= 61
    limiter.check(("wang", "10.0.0.2"))
    now.now += 61
    limiter.check(key)
    limiter.failure(key)
    limiter.success(key)
    limiter.failure(key)
    limiter.check(key)


def test_routing_is_checked_at_load(tmp_path: Path) -> None:
    data = tomllib.loads((PROJECT_DIR / "config" / "hotline.toml").read_text(encoding="utf-8"))
    base = (PROJECT_DIR / "config" / "hotline.toml").read_text(encoding="utf-8")
    assert data["routing"]
    for extra, problem in (
        ('[[routing]]\ncategory = "astrology"\nunit = "xj-justice"\n', "unknown category"),
        (
            '[[routing]]\ncategory = "labour"\nprefecture = "mars"\nunit = "xj-justice"\n',
            "unknown prefecture",
        ),
        ('[[routing]]\ncategory = "labour"\nunit = "xj-justice"\n', "twice"),
        ('[[routing]]\ncategory = "criminal"\nunit = "Not A Code"\n', "routing"),
    ):
        path = tmp_path / "hotline.toml"
        path.write_text(base + "\n" + extra, encoding="utf-8")
        with pytest.raises(HotlineConfigError) as raised:
            load_hotline(path)
        assert problem in str(raised.value.details), raised.value.details


# -- logins ----------------------------------------------------------------------------------------------


async def test_login_and_authenticate(service: OrganisationService, database: Database) -> None:
    await _tree(service)
    created = await service.create_user(
        User("wang", "王芳", Role.UNIT_HANDLER, unit="urumqi-legal-aid"), PASSWORD
    )
    result = await service.login(" Wang ", PASSWORD, "10.0.0.1")
    assert result.user == created
    principal = await service.authenticate(result.token)
    assert principal == Principal(
        user_id=created.id,
        username="wang",
        role=Role.UNIT_HANDLER,
        unit="urumqi-legal-aid",
        agent_id=None,
        display_name="王芳",
    )
    async with database.sessions() as session:
        record = (await session.execute(select(UserRecord))).scalar_one()
    assert record.password_hash.startswith("$argon2id$")
    assert PASSWORD not in record.password_hash
    assert record.last_login_at is not None


async def test_wrong_username_or_password_answer_alike(service: OrganisationService) -> None:
    await service.create_user(User("boss", "督办", Role.SUPERVISOR), PASSWORD)
    answers = []
    for username, password in (("boss", "wrong password!"), ("nobody", PASSWORD), ("", PASSWORD)):
        with pytest.raises(LoginFailedError) as raised:
            await service.login(username, password, "10.0.0.9")
        answers.append((raised.value.http_status, raised.value.message, raised.value.details))
    assert answers == [(401, "Wrong username or password", {})] * 3


async def test_repeated_failures_are_refused(service: OrganisationService) -> None:
    await service.create_user(User("boss", "督办", Role.SUPERVISOR), PASSWORD)
    for _ in range(3):
        with pytest.raises(LoginFailedError):
            await service.login("boss", "wrong password!", "10.0.0.1")
    # Even the right password waits out the window from that client; another client is not blocked.
    with pytest.raises(TooManyAttemptsError):
        await service.login("boss", PASSWORD, "10.0.0.1")
    await service.login("boss", PASSWORD, "10.0.0.2")


async def test_deactivation_and_password_reset_end_sessions(service: OrganisationService) -> None:
    await service.create_user(User("boss", "督办", Role.SUPERVISOR), PASSWORD)
    token = (await service.login("boss", PASSWORD, "c")).token
    await service.reset_password("boss", "a brand new password")
    with pytest.raises(LoginRequiredError):
        await service.authenticate(token)
    with pytest.raises(LoginFailedError):
        await service.login("boss", PASSWORD, "c")
    token = (await service.login("boss", "a brand new password", "c")).token
    await service.deactivate_user("boss")
    with pytest.raises(LoginRequiredError):
        await service.authenticate(token)
    with pytest.raises(LoginFailedError):
        await service.login("boss", "a brand new password", "c")


async def test_weaker_hashes_are_upgraded_at_login(
    database: Database, hotline: HotlineConfig, service: OrganisationService, now: FakeTime
) -> None:
    await service.create_user(User("boss", "督办", Role.SUPERVISOR), PASSWORD)
    stronger = OrganisationService(
        OrganisationRepository(database),
        hotline,
        SessionTokens("test-session-key", 3600, now=now),
        passwords=Passwords(PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)),
    )
    await stronger.login("boss", PASSWORD, "c")
    async with database.sessions() as session:
        record = (await session.execute(select(UserRecord))).scalar_one()
    assert "m=2048,t=2" in record.password_hash


# -- units and users -------------------------------------------------------------------------------------


async def test_units_crud_and_tree_checks(service: OrganisationService) -> None:
    xj = await service.create_unit(Unit("xj", "司法厅", UnitLevel.PROVINCE))
    assert xj.version == 1
    urumqi = await service.create_unit(Unit("urumqi", "乌鲁木齐市司法局", UnitLevel.PREFECTURE, "xj"))
    await service.create_unit(Unit("aid", "法律援助中心", UnitLevel.OFFICE, "urumqi"))
    with pytest.raises(UnitExistsError):
        await service.create_unit(Unit("xj", "again", UnitLevel.PROVINCE))
    with pytest.raises(UnitInvalidError, match="does not exist"):
        await service.create_unit(Unit("c", "县", UnitLevel.COUNTY, "nowhere"))
    with pytest.raises(UnitInvalidError, match="not a user"):
        await service.update_unit(Unit("urumqi", "乌鲁木齐市司法局", UnitLevel.PREFECTURE, "xj", "ghost"), 1)
    await service.create_user(User("head", "负责人", Role.UNIT_HEAD, unit="urumqi"), PASSWORD)
    renamed = await service.update_unit(
        Unit("urumqi", "乌鲁木齐市司法局（新）", UnitLevel.PREFECTURE, "xj", "head"), 1
    )
    assert (renamed.version, renamed.unit.head) == (2, "head")
    with pytest.raises(StaleVersionError):
        await service.update_unit(urumqi.unit, 1)
    # In use: a child unit, then a user.
    with pytest.raises(UnitInUseError) as in_use:
        await service.deactivate_unit("urumqi")
    assert in_use.value.details == {"unit": "urumqi", "units": ["aid"], "users": ["head"]}
    assert not (await service.deactivate_unit("aid")).active
    assert (await service.deactivate_unit("aid")).version == 2
    await service.deactivate_user("head")
    assert not (await service.deactivate_unit("urumqi")).active
    assert [stored.unit.code for stored in await service.list_units()] == ["xj"]
    assert len(await service.list_units(include_inactive=True)) == 3
    with pytest.raises(UnknownUnitError):
        await service.create_user(User("late", "迟到", Role.UNIT_HANDLER, unit="urumqi"), PASSWORD)


async def test_routed_units_cannot_be_deactivated(service: OrganisationService) -> None:
    await _tree(service)
    assert await service.check_routing() == []
    assert await service.default_unit("legal-aid", "ili") == "ili-legal-aid"
    assert await service.default_unit("legal-aid", None) == "xj-legal-aid"
    assert await service.default_unit("traffic", "ili") is None
    with pytest.raises(UnitInUseError) as raised:
        await service.deactivate_unit("xj-legal-aid")
    assert raised.value.details["routing"] == [{"category": "legal-aid", "prefecture": None}]


async def test_routing_names_missing_units(service: OrganisationService) -> None:
    await service.create_unit(Unit("xj-justice", "司法厅", UnitLevel.PROVINCE))
    missing = await service.check_routing()
    assert "xj-justice" not in missing and "urumqi-legal-aid" in missing
    assert await service.default_unit("legal-aid", "urumqi") is None
    assert await service.default_unit("labour", "kashgar") == "xj-justice"


async def test_csv_import_is_all_or_nothing_and_idempotent(service: OrganisationService) -> None:
    text = DEMO_UNITS.read_text(encoding="utf-8")
    assert await service.import_units_csv(text) == 24
    versions = {stored.unit.code: stored.version for stored in await service.list_units()}
    await service.import_units_csv(text)
    assert {stored.unit.code: stored.version for stored in await service.list_units()} == versions
    bad = "code,name,level,parent\nnew-one,新单位,county,urumqi-justice\nloop,x,county,loop-child\n"
    with pytest.raises(UnitInvalidError):
        await service.import_units_csv(bad)
    assert await service.get_unit("urumqi-justice")
    assert "new-one" not in {stored.unit.code for stored in await service.list_units()}
    # Children listed before their parents import fine.
    await service.import_units_csv(
        "code,name,level,parent\nnew-office,所,office,new-county\nnew-county,县,county,aksu-justice\n"
    )
    scope = await service.unit_scope(Principal(1, "h", Role.UNIT_HEAD, unit="aksu-justice"))
    assert scope is not None and {"new-county", "new-office", "aksu-kuqa-mediation"} <= scope
    assert "urumqi-justice" not in scope
    assert (await service.export_units_csv()).startswith("code,name,level,parent,head\n")


async def test_users(service: OrganisationService) -> None:
    await _tree(service)
    agent = await service.create_user(User("ayguli", "阿依古丽", Role.AGENT, agent_id="1001"), PASSWORD)
    with pytest.raises(UserExistsError):
        await service.create_user(User("ayguli", "again", Role.ADMIN), PASSWORD)
    with pytest.raises(UserExistsError, match="agent 1001"):
        await service.create_user(User("other", "其他", Role.AGENT, agent_id="1001"), PASSWORD)
    with pytest.raises(UserInvalidError, match="not in the hotline"):
        await service.create_user(User("ghost", "幽灵", Role.AGENT, agent_id="9999"), PASSWORD)
    moved = await service.update_user(User("ayguli", "阿依古丽", Role.UNIT_HEAD, unit="ili-justice"), 1)
    assert (moved.version, moved.user.role, moved.user.agent_id) == (2, Role.UNIT_HEAD, None)
    with pytest.raises(StaleVersionError):
        await service.update_user(agent.user, 1)
    assert [stored.user.username for stored in await service.list_users()] == ["ayguli"]


async def test_phone_visibility_follows_the_unit_tree(service: OrganisationService) -> None:
    await _tree(service)
    head = Principal(1, "head", Role.UNIT_HEAD, unit="urumqi-justice")
    assert await service.may_see_phone(head, ["urumqi-tianshan-mediation"])
    assert not await service.may_see_phone(head, ["ili-legal-aid"])
    assert await service.may_see_phone(Principal(2, "a", Role.AGENT, agent_id="1001"), [])
    assert not await service.may_see_phone(Principal(3, "e", Role.EXPERT), ["urumqi-justice"])


# -- audit log -------------------------------------------------------------------------------------------


async def test_record_and_list_reads(service: OrganisationService, database: Database) -> None:
    boss = Principal(5, "boss", Role.SUPERVISOR)
    head = Principal(6, "head", Role.UNIT_HEAD, unit="urumqi-justice")
    await service.record_read(boss, "work-order", 17, ["caller_number", "caller_name", "caller_number"])
    await service.record_read(head, "work-order", "17", ["caller_number"])
    await service.record_read(head, "call", "1700000000.1", ["caller_number"])
    entries = await service.list_audit()
    assert [(entry.username, entry.subject_type, entry.subject_id) for entry in entries] == [
        ("head", "call", "1700000000.1"),
        ("head", "work-order", "17"),
        ("boss", "work-order", "17"),
    ]
    assert entries[2].fields == ("caller_name", "caller_number")
    assert entries[2].role == "supervisor" and entries[2].action == "read"
    by_subject = await service.list_audit(subject_type="work-order", subject_id="17")
    assert [entry.username for entry in by_subject] == ["head", "boss"]
    assert [entry.subject_type for entry in await service.list_audit(username="boss")] == ["work-order"]
    assert len(await service.list_audit(limit=1, offset=1)) == 1
    with pytest.raises(ValueError, match="too long"):
        await service.record_read(boss, "work-order", "x" * 65, ["caller_number"])
    async with database.sessions() as session:
        assert len((await session.execute(select(AuditRecord))).scalars().all()) == 3


# -- the demo ----------------------------------------------------------------------------------------------


async def test_seed_once(service: OrganisationService, hotline: HotlineConfig) -> None:
    def password_for(username: str) -> str:
        return f"demo password of {username}"

    assert await seed_if_empty(service, DEMO_UNITS, password_for, hotline)
    assert not await seed_if_empty(service, DEMO_UNITS, password_for, hotline)
    users = {stored.user.username: stored.user for stored in await service.list_users()}
    assert {user.role for user in users.values()} == set(Role)
    assert users["demo-agent"].agent_id == hotline.agents[0].id
    assert (await service.get_unit("urumqi-justice")).unit.head == "demo-head"
    result = await service.login("demo-handler", "demo password of demo-handler", "c")
    assert result.user.user.unit == "urumqi-legal-aid"

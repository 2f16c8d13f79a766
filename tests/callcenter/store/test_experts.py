from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from callcenter.domain.experts import (
    Expert,
    ExpertExistsError,
    ExpertKind,
    RosterEntry,
    RosterError,
)
from callcenter.errors import NotFoundError, StaleVersionError
from callcenter.store.db import Database, sync_url
from callcenter.store.experts import ExpertRepository
from callcenter.store.models import Base


def expert(expert_id: str, **changes: object) -> Expert:
    base = Expert(
        id=expert_id,
        name=f"专家 {expert_id}",
        kind=ExpertKind.LAWYER,
        organisation="新疆天山律师事务所",
        # Not sorted: the dialling order must survive the store.
        phones=("13909910009", "09911234567"),
        categories=frozenset({"labour", "contract"}),
        prefectures=frozenset({"urumqi"}),
        max_concurrent_calls=2,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def day_shift(expert_id: str) -> RosterEntry:
    return RosterEntry(expert_id, time(8), time(20), working_days=True)


async def test_created_experts_come_back_whole(database: Database) -> None:
    repository = ExpertRepository(database)
    created = await repository.create(expert("wang"))
    assert (created.active, created.version) == (True, 1)
    stored = await repository.get("wang")
    assert stored == created
    assert stored is not None and stored.expert == expert("wang")
    assert stored.expert.phones == ("13909910009", "09911234567")
    await repository.create(expert("ayi", prefectures=frozenset()))
    assert [item.expert.id for item in await repository.list_experts()] == ["ayi", "wang"]
    assert await repository.get("nobody") is None
    assert await repository.count() == 2


async def test_an_id_is_taken_once(database: Database) -> None:
    repository = ExpertRepository(database)
    await repository.create(expert("wang"))
    with pytest.raises(ExpertExistsError) as caught:
        await repository.create(expert("wang", name="另一个王"))
    assert (caught.value.code, caught.value.http_status) == ("expert-exists", 409)
    assert caught.value.details == {"expert": "wang", "active": True, "version": 1}
    stored = await repository.get("wang")
    assert stored is not None and stored.expert.name == "专家 wang"


async def test_updates_need_the_current_version(database: Database) -> None:
    repository = ExpertRepository(database)
    await repository.create(expert("wang"))
    updated = await repository.update(expert("wang", max_concurrent_calls=3), expected_version=1)
    assert (updated.version, updated.expert.max_concurrent_calls) == (2, 3)
    with pytest.raises(StaleVersionError) as caught:
        await repository.update(expert("wang", name="过时"), expected_version=1)
    assert (caught.value.code, caught.value.http_status) == ("stale-version", 409)
    assert caught.value.details == {"expert": "wang", "expected_version": 1, "current_version": 2}
    with pytest.raises(NotFoundError):
        await repository.update(expert("ghost"), expected_version=1)
    stored = await repository.get("wang")
    assert stored is not None and stored.expert.name == "专家 wang" and stored.version == 2


async def test_of_two_concurrent_updates_from_one_version_exactly_one_wins(database: Database) -> None:
    repository = ExpertRepository(database)
    await repository.create(expert("wang"))
    results = await asyncio.gather(
        *(repository.update(expert("wang", name=f"改{n}"), expected_version=1) for n in range(4)),
        return_exceptions=True,
    )
    winners = [result for result in results if not isinstance(result, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(result, StaleVersionError) for result in results if result not in winners)
    stored = await repository.get("wang")
    assert stored is not None and stored.version == 2 and stored.expert == winners[0].expert


async def test_deactivation_keeps_the_row_and_removes_the_roster(database: Database) -> None:
    repository = ExpertRepository(database)
    await repository.create(expert("wang"))
    await repository.create(expert("ayi"))
    await repository.replace_roster([day_shift("wang"), day_shift("ayi")])
    gone = await repository.deactivate("wang")
    assert (gone.active, gone.version) == (False, 2)
    assert [item.expert.id for item in await repository.list_experts()] == ["ayi"]
    assert [item.expert.id for item in await repository.list_experts(include_inactive=True)] == [
        "ayi",
        "wang",
    ]
    assert await repository.roster() == [day_shift("ayi")]
    # Deactivating twice changes nothing.
    assert await repository.deactivate("wang") == gone
    with pytest.raises(NotFoundError):
        await repository.deactivate("ghost")
    # Reactivation through an update; the roster does not come back by itself.
    back = await repository.update(expert("wang"), expected_version=2, active=True)
    assert (back.active, back.version) == (True, 3)
    assert await repository.roster("wang") == []
    off = await repository.update(expert("wang"), expected_version=3, active=False)
    assert not off.active


async def test_upsert_creates_changes_and_keeps_unchanged_versions(database: Database) -> None:
    repository = ExpertRepository(database)
    await repository.create(expert("same"))
    await repository.create(expert("changed"))
    await repository.create(expert("asleep"))
    await repository.create(expert("untouched"))
    await repository.deactivate("asleep")
    imported = await repository.upsert_many(
        [expert("same"), expert("changed", name="新名字"), expert("asleep"), expert("new")]
    )
    assert imported == 4
    stored = {item.expert.id: item for item in await repository.list_experts(include_inactive=True)}
    assert stored["same"].version == 1
    assert (stored["changed"].version, stored["changed"].expert.name) == (2, "新名字")
    assert (stored["asleep"].active, stored["asleep"].version) == (True, 3)
    assert (stored["new"].active, stored["new"].version) == (True, 1)
    assert stored["untouched"].version == 1
    with pytest.raises(RosterError):
        await repository.upsert_many([expert("twice"), expert("twice")])
    assert await repository.get("twice") is None


async def test_the_roster_round_trips_in_order(database: Database) -> None:
    repository = ExpertRepository(database)
    await repository.create(expert("wang"))
    await repository.create(expert("ma"))
    entries = [
        RosterEntry("wang", time(8), time(20), working_days=True),
        RosterEntry("ma", time(20), time(8), weekday=5),
        RosterEntry("ma", time(0), time(0), day=date(2026, 10, 1)),
        RosterEntry("wang", time(9, 30), time(12, 15), weekday=0),
    ]
    assert await repository.replace_roster(entries) == 4
    assert await repository.roster() == entries
    assert await repository.roster("ma") == entries[1:3]
    assert await repository.replace_roster(entries[:1]) == 1
    assert await repository.roster() == entries[:1]


async def test_a_roster_naming_an_inactive_or_unknown_expert_changes_nothing(database: Database) -> None:
    repository = ExpertRepository(database)
    await repository.create(expert("wang"))
    await repository.create(expert("gone"))
    await repository.replace_roster([day_shift("wang")])
    await repository.deactivate("gone")
    for stranger in ("gone", "ghost"):
        with pytest.raises(RosterError) as caught:
            await repository.replace_roster(
                [day_shift("wang"), RosterEntry(stranger, time(1), time(2), weekday=1)]
            )
        assert caught.value.details == {"experts": [stranger]}
    assert await repository.roster() == [day_shift("wang")]


async def test_one_experts_roster_is_replaced_alone(database: Database) -> None:
    repository = ExpertRepository(database)
    await repository.create(expert("wang"))
    await repository.create(expert("ma"))
    await repository.replace_roster([day_shift("wang"), day_shift("ma")])
    weekend = [
        RosterEntry("ma", time(8), time(20), weekday=5),
        RosterEntry("ma", time(8), time(20), weekday=6),
    ]
    assert await repository.replace_expert_roster("ma", weekend) == weekend
    assert await repository.roster() == [day_shift("wang"), *weekend]
    with pytest.raises(RosterError):
        await repository.replace_expert_roster("ma", [day_shift("wang")])
    with pytest.raises(NotFoundError):
        await repository.replace_expert_roster("ghost", [])
    await repository.deactivate("wang")
    with pytest.raises(RosterError):
        await repository.replace_expert_roster("wang", [day_shift("wang")])
    assert await repository.roster() == weekend


async def test_concurrent_roster_replacements_never_merge(database: Database) -> None:
    repository = ExpertRepository(database)
    for expert_id in ("a", "b", "c"):
        await repository.create(expert(expert_id))
    rosters = [[day_shift(expert_id), day_shift(expert_id)] for expert_id in ("a", "b", "c")]
    await asyncio.gather(*(repository.replace_roster(roster) for roster in rosters))
    assert await repository.roster() in rosters


def test_the_migration_makes_the_tables_the_models_describe(database_url: str) -> None:
    from callcenter.store.migrations import upgrade

    upgrade(database_url)
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    ours = [item for item in differences if "experts" in repr(item) or "roster_entries" in repr(item)]
    assert ours == []

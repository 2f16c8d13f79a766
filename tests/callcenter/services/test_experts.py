from __future__ import annotations

import dataclasses
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callcenter.domain.experts import (
    Expert,
    ExpertInvalidError,
    ExpertKind,
    ExpertLoad,
    RosterEntry,
    RosterError,
    available_experts,
)
from callcenter.hotline import HotlineConfig, load_hotline
from callcenter.services.experts import (
    ExpertService,
    UnknownCategoryError,
    UnknownPrefectureError,
    decode_csv,
    seed_if_empty,
)
from callcenter.settings import PROJECT_DIR
from callcenter.store.db import Database
from callcenter.store.experts import ExpertRepository

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = "id,name,kind,organisation,phones,categories,prefectures,max_concurrent_calls"
DEMO_EXPERTS = PROJECT_DIR / "config" / "demo-experts.csv"
DEMO_ROSTER = PROJECT_DIR / "config" / "demo-roster.csv"


@pytest.fixture(scope="module")
def hotline() -> HotlineConfig:
    return load_hotline(PROJECT_DIR / "config" / "hotline.toml")


@pytest.fixture
def service(database: Database, hotline: HotlineConfig) -> ExpertService:
    return ExpertService(ExpertRepository(database), hotline)


def expert(expert_id: str, **changes: object) -> Expert:
    base = Expert(
        id=expert_id,
        name=f"专家 {expert_id}",
        kind=ExpertKind.LAWYER,
        organisation="新疆天山律师事务所",
        phones=("13909910009",),
        categories=frozenset({"labour"}),
        prefectures=frozenset({"urumqi"}),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


async def test_codes_the_hotline_does_not_have_are_refused(service: ExpertService) -> None:
    with pytest.raises(UnknownCategoryError) as caught:
        await service.create_expert(expert("wang", categories=frozenset({"labour", "tax", "劳动争议"})))
    error = caught.value
    assert (error.code, error.http_status) == ("unknown-category", 422)
    assert error.details["unknown"] == ["tax", "劳动争议"]
    assert error.details["known"][:2] == ["marriage-family", "labour"]
    with pytest.raises(UnknownPrefectureError) as caught_prefecture:
        await service.create_expert(expert("wang", prefectures=frozenset({"hotan"})))
    assert caught_prefecture.value.details["unknown"] == ["hotan"]
    assert "urumqi" in caught_prefecture.value.details["known"]
    with pytest.raises(ExpertInvalidError):
        await service.create_expert(expert("wang", name="名" * 65))
    assert await service.list_experts(include_inactive=True) == []


async def test_an_experts_csv_with_one_bad_line_imports_nothing(service: ExpertService) -> None:
    text = (
        f"{HEADER}\n"
        "wang,王,lawyer,所,13909910001,labour,urumqi,1\n"
        "ma,马,lawyer,所,13909910002,labour;tax,,1\n"
        "li,李,lawyer,所,13909910003,labour,hotan,1\n"
    )
    with pytest.raises(ExpertInvalidError) as caught:
        await service.import_experts_csv(text)
    errors = caught.value.details["errors"]
    assert [item["line"] for item in errors] == [3, 4]
    assert "tax" in errors[0]["problem"] and "known: marriage-family" in errors[0]["problem"]
    assert "hotan" in errors[1]["problem"]
    assert await service.list_experts(include_inactive=True) == []


async def test_importing_experts_updates_by_id_and_leaves_the_others(service: ExpertService) -> None:
    await service.create_expert(expert("kept"))
    await service.create_expert(expert("wang"))
    text = (
        f"{HEADER}\n"
        "wang,王律师,lawyer,所,13909910001,labour;contract,,3\n"
        "new,新,notary,所,13909910002,notarization,,1\n"
    )
    assert await service.import_experts_csv(text) == 2
    stored = {item.expert.id: item for item in await service.list_experts()}
    assert set(stored) == {"kept", "wang", "new"}
    assert stored["wang"].expert.max_concurrent_calls == 3 and stored["wang"].version == 2
    exported = await service.export_experts_csv()
    assert exported.splitlines()[0] == HEADER
    assert len(exported.splitlines()) == 4
    # Exported data imports as it is, changing nothing.
    assert await service.import_experts_csv(exported) == 3
    assert {item.expert.id: item.version for item in await service.list_experts()} == {
        "kept": 1,
        "new": 1,
        "wang": 2,
    }


async def test_a_roster_csv_naming_unknown_or_inactive_experts_is_refused_with_lines(
    service: ExpertService,
) -> None:
    await service.create_expert(expert("wang"))
    await service.create_expert(expert("gone"))
    await service.deactivate_expert("gone")
    before = "expert_id,when,start,end\nwang,working-days,08:00,20:00\n"
    assert await service.import_roster_csv(before) == 1
    text = "expert_id,when,start,end\nwang,sat,08:00,12:00\ngone,sun,08:00,12:00\nghost,mon,8:00,25:00\n"
    with pytest.raises(RosterError) as caught:
        await service.import_roster_csv(text)
    assert caught.value.code == "roster-invalid"
    assert caught.value.details["errors"] == [
        {"line": 3, "problem": "expert gone is inactive"},
        {"line": 4, "problem": "end: expected a time HH:MM, got '25:00'"},
    ]
    assert await service.export_roster_csv() == before
    with pytest.raises(RosterError) as caught_json:
        await service.replace_roster([RosterEntry("ghost", time(8), time(9), weekday=0)])
    assert caught_json.value.details["errors"] == [{"entry": 0, "problem": "expert ghost is unknown"}]


async def test_the_snapshot_is_cached_until_a_write(service: ExpertService) -> None:
    await service.create_expert(expert("wang"))
    first = await service.snapshot()
    assert await service.snapshot() is first
    assert [e.id for e in first.experts] == ["wang"]
    await service.create_expert(expert("ma"))
    second = await service.snapshot()
    assert second is not first
    assert [e.id for e in second.experts] == ["ma", "wang"]
    await service.replace_expert_roster("ma", [RosterEntry("ma", time(8), time(20), working_days=True)])
    third = await service.snapshot()
    assert third.roster.entries("ma") and third is not second
    await service.deactivate_expert("ma")
    fourth = await service.snapshot()
    assert [e.id for e in fourth.experts] == ["wang"] and fourth.roster.entries("ma") == ()
    # A write refused before reaching the store keeps the snapshot.
    with pytest.raises(UnknownCategoryError):
        await service.create_expert(expert("bad", categories=frozenset({"tax"})))
    assert await service.snapshot() is fourth


async def test_without_cache_seconds_every_snapshot_reads_the_store(
    database: Database, hotline: HotlineConfig
) -> None:
    repository = ExpertRepository(database)
    service = ExpertService(repository, hotline, cache_seconds=0)
    first = await service.snapshot()
    # A write by someone else (another process) shows at the next snapshot.
    await repository.create(expert("wang"))
    assert first.experts == ()
    assert [e.id for e in (await service.snapshot()).experts] == ["wang"]


async def test_the_demo_seed_fills_an_empty_store_once(
    service: ExpertService, hotline: HotlineConfig
) -> None:
    assert await seed_if_empty(service, DEMO_EXPERTS, DEMO_ROSTER)
    experts = await service.list_experts()
    assert 6 <= len(experts) <= 8
    assert {item.expert.kind for item in experts} == set(ExpertKind)
    assert await service.roster()
    await service.deactivate_expert("lawyer-wang")
    assert not await seed_if_empty(service, DEMO_EXPERTS, DEMO_ROSTER)
    assert len(await service.list_experts()) == len(experts) - 1

    snapshot = await service.snapshot()

    def on_duty(at: datetime, category: str = "labour", prefecture: str | None = "urumqi") -> set[str]:
        chosen = available_experts(snapshot.experts, snapshot.roster, category, prefecture, at, ExpertLoad())
        return {e.id for e in chosen}

    tuesday = datetime(2026, 11, 24, 10, tzinfo=SHANGHAI)
    assert "duty-ma" not in on_duty(tuesday)
    assert "duty-rena" in on_duty(datetime(2026, 11, 24, 23, tzinfo=SHANGHAI))
    assert "duty-rena" in on_duty(datetime(2026, 11, 25, 7, 59, tzinfo=SHANGHAI))
    assert on_duty(datetime(2026, 11, 28, 10, tzinfo=SHANGHAI)) >= {"duty-ma"}
    # National Day: the duty official answers on the holiday weekdays.
    assert "duty-ma" in on_duty(datetime(2026, 10, 5, 9, tzinfo=SHANGHAI))
    assert "lawyer-aynur" in on_duty(tuesday, "marriage-family", "ili")


async def test_the_demo_seed_checks_the_roster_before_writing_anything(
    service: ExpertService, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("expert_id,when,start,end\nnobody,mon,08:00,20:00\n", encoding="utf-8")
    with pytest.raises(RosterError):
        await seed_if_empty(service, DEMO_EXPERTS, roster)
    assert not await service.has_experts()


def test_uploads_are_read_as_utf8_or_else_gb18030() -> None:
    text = "expert_id,when,start,end\n王,mon,08:00,20:00\n"
    assert decode_csv(text.encode("utf-8")) == text
    assert decode_csv(text.encode("gb18030")) == text
    assert decode_csv(text.encode("gb18030"), "gb18030") == text
    with pytest.raises(RosterError):
        decode_csv(text.encode("gb18030"), "utf-8")
    with pytest.raises(RosterError):
        decode_csv(b"x", "no-such-charset")

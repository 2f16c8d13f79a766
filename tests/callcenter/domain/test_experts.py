from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.domain.calendar import WeeklyHours, WorkingCalendar
from callcenter.domain.experts import (
    DutyRoster,
    Expert,
    ExpertKind,
    ExpertLoad,
    RosterEntry,
    RosterError,
    available_experts,
    experts_on_duty,
    parse_roster_csv,
    roster_to_csv,
)
from callcenter.errors import CallCenterError

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar(WeeklyHours.every_day(time(8), time(20)), SHANGHAI)
LABOUR = "劳动争议"
MARRIAGE = "婚姻家庭"

NIGHT_DAY = date(2026, 11, 24)
HOLIDAY_MONDAY = date(2026, 10, 5)
MONDAY_AFTER = date(2026, 10, 12)
ADJUSTED_SATURDAY = date(2026, 10, 10)
HOLIDAY_SATURDAY = date(2026, 10, 3)
NATIONAL_DAY = date(2026, 10, 1)


def sh(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def expert(
    expert_id: str,
    *,
    categories: Iterable[str] = (LABOUR,),
    prefectures: Iterable[str] = (),
    max_calls: int = 1,
    kind: ExpertKind = ExpertKind.LAWYER,
) -> Expert:
    return Expert(
        id=expert_id,
        name=f"专家 {expert_id}",
        kind=kind,
        organisation="新疆某律师事务所",
        phones=("13999112345", "09912345678"),
        categories=frozenset(categories),
        prefectures=frozenset(prefectures),
        max_concurrent_calls=max_calls,
    )


def test_the_holiday_facts_the_tests_rely_on() -> None:
    assert all(chinese_calendar.is_holiday(NATIONAL_DAY + timedelta(days=n)) for n in range(7))
    assert HOLIDAY_MONDAY.weekday() == 0 and chinese_calendar.is_holiday(HOLIDAY_MONDAY)
    assert MONDAY_AFTER.weekday() == 0 and chinese_calendar.is_workday(MONDAY_AFTER)
    assert ADJUSTED_SATURDAY.weekday() == 5 and chinese_calendar.is_workday(ADJUSTED_SATURDAY)
    assert date(2026, 9, 20).weekday() == 6 and chinese_calendar.is_workday(date(2026, 9, 20))
    assert chinese_calendar.is_workday(date(2026, 10, 8))
    assert HOLIDAY_SATURDAY.weekday() == 5 and chinese_calendar.is_holiday(HOLIDAY_SATURDAY)
    assert chinese_calendar.is_workday(NIGHT_DAY) and chinese_calendar.is_workday(NIGHT_DAY + timedelta(1))


# -- roster ---------------------------------------------------------------------------------------------


def test_a_night_shift_runs_past_midnight_with_start_inclusive_and_end_exclusive() -> None:
    roster = DutyRoster([RosterEntry("li", time(22), time(6), day=NIGHT_DAY)], CALENDAR)
    next_day = NIGHT_DAY + timedelta(days=1)
    assert not roster.on_duty("li", sh(NIGHT_DAY, 21, 59))
    assert roster.on_duty("li", sh(NIGHT_DAY, 22))
    assert roster.on_duty("li", sh(next_day, 5, 59))
    assert not roster.on_duty("li", sh(next_day, 6))
    assert not roster.on_duty("li", sh(next_day, 22))


def test_other_zones_are_converted_to_the_calendar_zone() -> None:
    roster = DutyRoster([RosterEntry("li", time(22), time(6), day=NIGHT_DAY)], CALENDAR)
    # 2026-11-24 21:30 UTC is 05:30 the next morning in Shanghai.
    assert roster.on_duty("li", datetime(2026, 11, 24, 21, 30, tzinfo=UTC))
    assert not roster.on_duty("li", datetime(2026, 11, 24, 13, 59, tzinfo=UTC))


def test_equal_start_and_end_is_a_24_hour_shift() -> None:
    roster = DutyRoster([RosterEntry("li", time(8), time(8), day=NIGHT_DAY)], CALENDAR)
    assert roster.on_duty("li", sh(NIGHT_DAY + timedelta(days=1), 7, 59))
    assert not roster.on_duty("li", sh(NIGHT_DAY + timedelta(days=1), 8))


def test_a_weekday_entry_skips_a_public_holiday_monday_and_applies_the_monday_after() -> None:
    roster = DutyRoster([RosterEntry("li", time(9), time(17), weekday=0)], CALENDAR)
    assert not roster.on_duty("li", sh(HOLIDAY_MONDAY, 10))
    assert roster.on_duty("li", sh(MONDAY_AFTER, 10))


def test_a_weekend_weekday_entry_applies_inside_a_holiday_block() -> None:
    roster = DutyRoster([RosterEntry("li", time(9), time(17), weekday=5)], CALENDAR)
    assert roster.on_duty("li", sh(HOLIDAY_SATURDAY, 10))
    assert roster.on_duty("li", sh(ADJUSTED_SATURDAY, 10))


def test_an_overnight_weekday_shift_is_skipped_with_its_holiday_start() -> None:
    roster = DutyRoster([RosterEntry("li", time(22), time(6), weekday=0)], CALENDAR)
    assert not roster.on_duty("li", sh(HOLIDAY_MONDAY + timedelta(days=1), 2))
    assert roster.on_duty("li", sh(MONDAY_AFTER + timedelta(days=1), 2))


def test_a_working_days_entry_follows_the_statutory_schedule() -> None:
    roster = DutyRoster([RosterEntry("li", time(9), time(17), working_days=True)], CALENDAR)
    assert roster.on_duty("li", sh(ADJUSTED_SATURDAY, 10))
    assert roster.on_duty("li", sh(date(2026, 9, 20), 10))
    assert roster.on_duty("li", sh(date(2026, 10, 8), 10))
    assert not roster.on_duty("li", sh(HOLIDAY_SATURDAY, 10))
    assert not roster.on_duty("li", sh(NATIONAL_DAY, 10))
    assert not roster.on_duty("li", sh(date(2026, 10, 17), 10))


def test_a_dated_entry_applies_on_a_holiday() -> None:
    roster = DutyRoster([RosterEntry("duty", time(8), time(20), day=NATIONAL_DAY)], CALENDAR)
    assert roster.on_duty("duty", sh(NATIONAL_DAY, 12))
    assert not roster.on_duty("duty", sh(NATIONAL_DAY + timedelta(days=1), 12))


def test_an_expert_without_entries_is_never_on_duty() -> None:
    roster = DutyRoster([RosterEntry("li", time(9), time(17), working_days=True)], CALENDAR)
    assert not roster.on_duty("wang", sh(MONDAY_AFTER, 10))


def test_a_naive_instant_is_rejected() -> None:
    roster = DutyRoster([], CALENDAR)
    with pytest.raises(RosterError) as caught:
        roster.on_duty("li", datetime(2026, 11, 24, 10))
    assert isinstance(caught.value, CallCenterError)
    assert (caught.value.code, caught.value.http_status) == ("roster-invalid", 422)
    with pytest.raises(RosterError):
        available_experts([], roster, LABOUR, None, datetime(2026, 11, 24, 10), ExpertLoad())


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"day": NIGHT_DAY, "weekday": 1},
        {"weekday": 1, "working_days": True},
        {"weekday": 7},
        {"day": datetime(2026, 11, 24, 10)},
    ],
)
def test_a_roster_entry_needs_exactly_one_valid_recurrence(kwargs: dict[str, object]) -> None:
    with pytest.raises(RosterError):
        RosterEntry("li", time(9), time(17), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expert_id", "start"),
    [("Li", time(9)), ("li", time(9, 0, 30)), ("li", time(9, tzinfo=UTC))],
)
def test_a_roster_entry_rejects_bad_ids_and_times(expert_id: str, start: time) -> None:
    with pytest.raises(RosterError):
        RosterEntry(expert_id, start, time(17), working_days=True)


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "Li Wei"},
        {"phones": ()},
        {"phones": ("9912345678",)},
        {"phones": ("139-9911-2345",)},
        {"phones": ("13999112345", "13999112345")},
        {"categories": frozenset()},
        {"categories": LABOUR},
        {"prefectures": frozenset({"Urumqi"})},
        {"max_concurrent_calls": 0},
        {"name": " "},
        {"kind": "lawyer"},
    ],
)
def test_an_expert_is_validated(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "id": "li",
        "name": "李伟",
        "kind": ExpertKind.LAWYER,
        "organisation": "某律师事务所",
        "phones": ("13999112345",),
        "categories": frozenset({LABOUR}),
        "prefectures": frozenset(),
    }
    with pytest.raises(RosterError):
        Expert(**(fields | changes))  # type: ignore[arg-type]


# -- availability ---------------------------------------------------------------------------------------

AT = sh(MONDAY_AFTER, 10)


def everyone_on_duty(*ids: str) -> DutyRoster:
    return DutyRoster([RosterEntry(i, time(0), time(0), day=MONDAY_AFTER) for i in ids], CALENDAR)


def ids(experts: Iterable[Expert]) -> list[str]:
    return [e.id for e in experts]


def test_only_experts_on_duty_are_available() -> None:
    roster = DutyRoster([RosterEntry("li", time(9), time(17), day=MONDAY_AFTER)], CALENDAR)
    found = available_experts([expert("li"), expert("wang")], roster, LABOUR, None, AT, ExpertLoad())
    assert ids(found) == ["li"]


def test_an_expert_at_the_call_limit_is_excluded_and_one_below_it_included() -> None:
    experts = [expert("li"), expert("wang", max_calls=2)]
    load = ExpertLoad(active_calls={"li": 1, "wang": 1})
    found = available_experts(experts, everyone_on_duty("li", "wang"), LABOUR, None, AT, load)
    assert ids(found) == ["wang"]
    load = ExpertLoad(active_calls={"wang": 2})
    assert available_experts(experts, everyone_on_duty("li", "wang"), LABOUR, None, AT, load) == [experts[0]]


def test_on_duty_lists_the_free_in_hunting_order_then_the_busy_and_nobody_off_duty() -> None:
    experts = [expert("zhao"), expert("li"), expert("wang"), expert("sun")]
    roster = everyone_on_duty("zhao", "li", "wang")
    load = ExpertLoad(
        active_calls={"zhao": 1}, ringing=frozenset({"li"}), last_offered={"li": AT, "zhao": AT}
    )
    found = experts_on_duty(experts, roster, LABOUR, None, AT, load)
    assert [(e.id, free) for e, free in found] == [("wang", True), ("li", False), ("zhao", False)]


def test_an_expert_whose_phone_is_ringing_is_excluded() -> None:
    experts = [expert("li", max_calls=3), expert("wang")]
    load = ExpertLoad(ringing=frozenset({"li"}))
    found = available_experts(experts, everyone_on_duty("li", "wang"), LABOUR, None, AT, load)
    assert ids(found) == ["wang"]


def test_category_filtering() -> None:
    experts = [
        expert("li"),
        expert("wang", categories={MARRIAGE}),
        expert("zhao", categories={LABOUR, MARRIAGE}),
    ]
    roster = everyone_on_duty("li", "wang", "zhao")
    assert ids(available_experts(experts, roster, MARRIAGE, None, AT, ExpertLoad())) == ["wang", "zhao"]
    assert available_experts(experts, roster, "公证", None, AT, ExpertLoad()) == []


def test_prefecture_filtering_and_callers_from_outside_the_prefectures() -> None:
    experts = [
        expert("province"),
        expert("urumqi", prefectures={"urumqi"}),
        expert("north", prefectures={"urumqi", "karamay"}),
        expert("kashgar", prefectures={"kashgar"}),
    ]
    roster = everyone_on_duty("province", "urumqi", "north", "kashgar")
    found = available_experts(experts, roster, LABOUR, "urumqi", AT, ExpertLoad())
    assert ids(found) == ["north", "province", "urumqi"]
    assert ids(available_experts(experts, roster, LABOUR, "karamay", AT, ExpertLoad())) == [
        "north",
        "province",
    ]
    assert ids(available_experts(experts, roster, LABOUR, None, AT, ExpertLoad())) == ["province"]


def test_fair_order_never_offered_first_then_least_recently_offered_then_by_id() -> None:
    experts = [expert(i) for i in ("e", "d", "c", "b", "a")]
    load = ExpertLoad(
        last_offered={
            "a": sh(MONDAY_AFTER, 9, 30),
            # 01:00 UTC is 09:00 in Shanghai: older than a's offer despite the smaller-looking zone.
            "b": datetime(2026, 10, 12, 1, 0, tzinfo=UTC),
            "e": sh(MONDAY_AFTER, 9, 30),
        }
    )
    found = available_experts(experts, everyone_on_duty("a", "b", "c", "d", "e"), LABOUR, None, AT, load)
    assert ids(found) == ["c", "d", "b", "a", "e"]


def test_the_load_rejects_naive_offers_and_negative_calls() -> None:
    with pytest.raises(RosterError):
        ExpertLoad(last_offered={"li": datetime(2026, 10, 12, 9)})
    with pytest.raises(RosterError):
        ExpertLoad(active_calls={"li": -1})


def test_an_expert_listed_twice_is_rejected() -> None:
    with pytest.raises(RosterError):
        available_experts(
            [expert("li"), expert("li")], everyone_on_duty("li"), LABOUR, None, AT, ExpertLoad()
        )


# -- CSV ------------------------------------------------------------------------------------------------

ENTRIES = [
    RosterEntry("li", time(22), time(6), day=NIGHT_DAY),
    RosterEntry("wang", time(9), time(17), weekday=0),
    RosterEntry("wang", time(9), time(12, 30), weekday=6),
    RosterEntry("duty-1", time(8), time(20), working_days=True),
]


def test_csv_round_trip() -> None:
    text = roster_to_csv(ENTRIES)
    assert text.splitlines() == [
        "expert_id,when,start,end",
        "li,2026-11-24,22:00,06:00",
        "wang,mon,09:00,17:00",
        "wang,sun,09:00,12:30",
        "duty-1,working-days,08:00,20:00",
    ]
    assert parse_roster_csv(text) == ENTRIES


def test_csv_tolerates_a_bom_blank_lines_spreadsheet_habits_and_column_order() -> None:
    text = (
        "\ufeffwhen,expert_id,start,end\r\n\r\nMon, wang ,9:00,17:00\r\n,,,\r\n2026-11-24,li,22:00,06:00\r\n"
    )
    assert parse_roster_csv(text) == [
        RosterEntry("wang", time(9), time(17), weekday=0),
        RosterEntry("li", time(22), time(6), day=NIGHT_DAY),
    ]


def csv_errors(text: str) -> list[dict[str, object]]:
    with pytest.raises(RosterError) as caught:
        parse_roster_csv(text)
    errors: list[dict[str, object]] = caught.value.details["errors"]
    return errors


def test_csv_bad_time() -> None:
    errors = csv_errors("expert_id,when,start,end\nli,mon,25:00,06:00\n")
    assert [e["line"] for e in errors] == [2]
    assert "start" in str(errors[0]["problem"]) and "25:00" in str(errors[0]["problem"])


def test_csv_unknown_weekday() -> None:
    errors = csv_errors("expert_id,when,start,end\nli,monday,09:00,17:00\n")
    assert [e["line"] for e in errors] == [2]
    assert "monday" in str(errors[0]["problem"])


def test_csv_missing_and_unknown_columns() -> None:
    errors = csv_errors("expert_id,when,start\nli,mon,09:00\n")
    assert errors == [{"line": 1, "problem": "missing column(s): end"}]
    errors = csv_errors("expert_id,when,start,end,note\nli,mon,09:00,17:00,x\n")
    assert errors == [{"line": 1, "problem": "unknown column(s): 'note'"}]


def test_csv_reports_every_error_with_its_line_number() -> None:
    text = (
        "expert_id,when,start,end\n"
        "li,mon,09:00,17:00\n"
        "\n"
        "wang,funday,09:00,17:00\n"
        "Zhao,tue,9:00,17:00\n"
        "li,tue\n"
    )
    with pytest.raises(RosterError) as caught:
        parse_roster_csv(text)
    errors = caught.value.details["errors"]
    assert [e["line"] for e in errors] == [4, 5, 6]
    assert "line 4" in caught.value.message and "line 5" in caught.value.message


def test_csv_without_a_header_is_rejected() -> None:
    assert csv_errors("\ufeff\n\n")[0]["line"] == 1


# -- property -------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    shift_day=st.dates(min_value=date(2026, 1, 2), max_value=date(2026, 12, 30)),
    start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    end=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    offset=st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=3)),
)
def test_a_single_night_shift_covers_exactly_from_its_start_to_its_end_next_day(
    shift_day: date, start: time, end: time, offset: timedelta
) -> None:
    if end > start:
        start, end = end, start
    roster = DutyRoster([RosterEntry("li", start, end, day=shift_day)], CALENDAR)
    at = (sh(shift_day) + offset).astimezone(UTC)
    local = at.astimezone(SHANGHAI)
    expected = (local.date() == shift_day and local.time() >= start) or (
        local.date() == shift_day + timedelta(days=1) and local.time() < end
    )
    assert roster.on_duty("li", at) == expected

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from callcenter.domain.calendar import (
    CalendarError,
    CalendarNotCoveredError,
    DayOverrides,
    TimeRange,
    WeeklyHours,
    WorkingCalendar,
)
from callcenter.errors import CallCenterError

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")

SEVEN_BY_TWELVE = WeeklyHours.every_day(time(8), time(20))
FIVE_BY_EIGHT = WeeklyHours.every_day(time(9), time(17), range(5))
# Monday differs from the other weekdays so a test can tell whose hours an adjusted working day borrowed.
LONG_MONDAY = WeeklyHours(
    {
        0: (TimeRange(time(8, 30), time(12)), TimeRange(time(13), time(18))),
        **{weekday: (TimeRange(time(9), time(17)),) for weekday in range(1, 5)},
    }
)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def seven() -> WorkingCalendar:
    return WorkingCalendar(SEVEN_BY_TWELVE, SHANGHAI)


def five() -> WorkingCalendar:
    return WorkingCalendar(FIVE_BY_EIGHT, SHANGHAI)


# -- the library data the dated tests rely on --------------------------------------------------------


def test_library_has_the_2026_schedule_the_tests_assume() -> None:
    national_day = [date(2026, 10, d) for d in range(1, 8)]
    spring_festival = [date(2026, 2, d) for d in range(15, 24)]
    assert all(chinese_calendar.holidays[d] == "National Day" for d in national_day)
    assert all(chinese_calendar.holidays[d] == "Spring Festival" for d in spring_festival)
    assert [chinese_calendar.holidays[date(2026, 9, d)] for d in (25, 26, 27)] == ["Mid-autumn Festival"] * 3
    assert all(chinese_calendar.is_workday(date(2026, 9, d)) for d in (28, 29, 30))
    assert chinese_calendar.is_workday(date(2026, 10, 8))
    # Adjusted working days are keyed in `workdays` under the name of the holiday they pay for.
    assert chinese_calendar.workdays[date(2026, 9, 20)] == "National Day"
    assert chinese_calendar.workdays[date(2026, 10, 10)] == "National Day"
    assert chinese_calendar.workdays[date(2026, 2, 14)] == "Spring Festival"
    assert chinese_calendar.workdays[date(2026, 2, 28)] == "Spring Festival"
    assert chinese_calendar.get_holiday_detail(date(2026, 10, 10)) == (False, "National Day")
    assert [date(2026, 9, 20).weekday(), date(2026, 10, 10).weekday()] == [6, 5]
    assert [date(2026, 2, 14).weekday(), date(2026, 2, 28).weekday()] == [5, 5]
    # Weekend days inside a holiday block are listed as holidays too.
    assert chinese_calendar.holidays[date(2026, 1, 3)] == "New Year's Day"
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


def test_working_days_match_the_library_for_every_covered_day() -> None:
    calendar = seven()
    day = date(2004, 1, 1)
    while day <= date(2026, 12, 31):
        assert calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


# -- opening hours -----------------------------------------------------------------------------------


def test_seven_days_a_week_is_still_closed_on_a_public_holiday() -> None:
    calendar = seven()
    assert calendar.opening_ranges(date(2026, 10, 1)) == ()
    assert not calendar.is_open(sh(2026, 10, 1, 10))
    assert not calendar.is_open(sh(2026, 1, 3, 10))  # a Saturday inside the New Year holiday
    assert calendar.is_open(sh(2026, 9, 13, 10))  # an ordinary Sunday


def test_seven_days_a_week_opens_on_an_adjusted_working_saturday() -> None:
    calendar = seven()
    assert calendar.is_working_day(date(2026, 10, 10))
    assert calendar.opening_ranges(date(2026, 10, 10)) == (TimeRange(time(8), time(20)),)
    assert calendar.is_open(sh(2026, 10, 10, 10))


def test_five_by_eight_opens_on_an_adjusted_working_day_with_the_template_hours() -> None:
    calendar = WorkingCalendar(LONG_MONDAY, SHANGHAI)
    monday = LONG_MONDAY.ranges(0)
    assert calendar.opening_ranges(date(2026, 10, 10)) == monday  # Saturday
    assert calendar.opening_ranges(date(2026, 9, 20)) == monday  # Sunday
    assert calendar.is_open(sh(2026, 10, 10, 8, 30))
    assert not calendar.is_open(sh(2026, 10, 10, 12, 30))
    assert calendar.opening_ranges(date(2026, 10, 17)) == ()  # an ordinary Saturday
    assert five().is_open(sh(2026, 10, 10, 9))


def test_workday_template_picks_another_weekday() -> None:
    calendar = WorkingCalendar(LONG_MONDAY, SHANGHAI, workday_template=2)
    assert calendar.opening_ranges(date(2026, 10, 10)) == (TimeRange(time(9), time(17)),)


def test_an_adjusted_working_day_keeps_its_own_weekly_hours_when_it_has_some() -> None:
    saturday_morning = (TimeRange(time(9), time(12)),)
    hours = WeeklyHours({**FIVE_BY_EIGHT.days, 5: saturday_morning})
    calendar = WorkingCalendar(hours, SHANGHAI)
    assert calendar.opening_ranges(date(2026, 10, 10)) == saturday_morning
    # An adjusted Sunday has no Sunday hours, so it borrows Monday's.
    assert calendar.opening_ranges(date(2026, 9, 20)) == (TimeRange(time(9), time(17)),)


def test_is_open_includes_the_start_and_excludes_the_end() -> None:
    calendar = seven()
    assert not calendar.is_open(sh(2026, 9, 14, 7, 59))
    assert calendar.is_open(sh(2026, 9, 14, 8))
    assert calendar.is_open(datetime(2026, 9, 14, 19, 59, 59, 999999, tzinfo=SHANGHAI))
    assert not calendar.is_open(sh(2026, 9, 14, 20))


def test_is_open_converts_other_zones_to_the_calendar_zone() -> None:
    calendar = seven()
    assert calendar.is_open(datetime(2026, 9, 14, 0, 30, tzinfo=UTC))  # 08:30 in Shanghai
    assert not calendar.is_open(datetime(2026, 9, 14, 12, 30, tzinfo=UTC))  # 20:30 in Shanghai


def test_next_opening_after_closing_is_the_next_morning() -> None:
    result = seven().next_opening(sh(2026, 9, 14, 21))
    assert result == sh(2026, 9, 15, 8)
    assert result.tzinfo is SHANGHAI


def test_next_opening_while_open_is_now_and_before_opening_is_today() -> None:
    calendar = seven()
    assert calendar.next_opening(sh(2026, 9, 14, 10, 15)) == sh(2026, 9, 14, 10, 15)
    assert calendar.next_opening(sh(2026, 9, 14, 6)) == sh(2026, 9, 14, 8)
    in_utc = calendar.next_opening(datetime(2026, 9, 14, 2, 15, tzinfo=UTC))
    assert in_utc == sh(2026, 9, 14, 10, 15)
    assert in_utc.tzinfo is SHANGHAI


def test_next_opening_skips_national_day() -> None:
    # 2026-10-01..07 are holidays; 2026-10-08 (Thursday) is a working day.
    assert seven().next_opening(sh(2026, 9, 30, 21)) == sh(2026, 10, 8, 8)
    assert five().next_opening(sh(2026, 9, 30, 17)) == sh(2026, 10, 8, 9)


def test_next_opening_at_spring_festival_eve() -> None:
    # 除夕 is 2026-02-16, inside the 2026-02-15..23 holiday; 2026-02-24 is the first working day after it.
    assert seven().next_opening(sh(2026, 2, 16, 10)) == sh(2026, 2, 24, 8)
    # The adjusted working Saturday just before the holiday opens a 5x8 hotline.
    assert five().next_opening(sh(2026, 2, 13, 18)) == sh(2026, 2, 14, 9)
    assert five().next_opening(sh(2026, 2, 14, 17)) == sh(2026, 2, 24, 9)


def test_next_opening_over_an_ordinary_weekend() -> None:
    assert five().next_opening(sh(2026, 10, 16, 18)) == sh(2026, 10, 19, 9)


def test_current_or_next_closing() -> None:
    calendar = seven()
    assert calendar.current_or_next_closing(sh(2026, 9, 14, 10)) == sh(2026, 9, 14, 20)
    assert calendar.current_or_next_closing(sh(2026, 9, 14, 20)) == sh(2026, 9, 15, 20)
    assert calendar.current_or_next_closing(sh(2026, 9, 30, 21)) == sh(2026, 10, 8, 20)
    split = WorkingCalendar(LONG_MONDAY, SHANGHAI)
    assert split.current_or_next_closing(sh(2026, 9, 14, 9)) == sh(2026, 9, 14, 12)
    assert split.current_or_next_closing(sh(2026, 9, 14, 12, 30)) == sh(2026, 9, 14, 18)


def test_next_opening_gives_up_after_400_closed_days() -> None:
    shut = frozenset(date(2005, 1, 1) + timedelta(days=n) for n in range(420))
    calendar = WorkingCalendar(SEVEN_BY_TWELVE, SHANGHAI, DayOverrides(closed=shut))
    with pytest.raises(CalendarError, match="within 400 days") as info:
        calendar.next_opening(sh(2005, 1, 1))
    assert info.value.code == "calendar-invalid"
    assert calendar.next_opening(sh(2005, 1, 31)) == sh(2006, 2, 25, 8)


# -- statutory working days --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # National Day: 10-01..07 off, 10-10 (Sat) worked, 09-25..27 Mid-autumn, 09-20 (Sun) worked.
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (date(2026, 9, 30), 5, date(2026, 10, 13)),
        (date(2026, 9, 30), 15, date(2026, 10, 27)),
        (date(2026, 10, 3), 1, date(2026, 10, 8)),
        (date(2026, 10, 3), -1, date(2026, 9, 30)),
        (date(2026, 10, 10), 1, date(2026, 10, 12)),
        (date(2026, 10, 8), -1, date(2026, 9, 30)),
        (date(2026, 10, 8), -5, date(2026, 9, 23)),
        (date(2026, 9, 18), 1, date(2026, 9, 20)),
        # Spring Festival: 02-15..23 off, 02-14 (Sat) and 02-28 (Sat) worked.
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 14), 1, date(2026, 2, 24)),
        (date(2026, 2, 24), -1, date(2026, 2, 14)),
        (date(2026, 2, 24), -2, date(2026, 2, 13)),
        (date(2026, 2, 24), 1, date(2026, 2, 25)),
        (date(2026, 2, 27), 1, date(2026, 2, 28)),
        (date(2026, 2, 27), 2, date(2026, 3, 2)),
        (date(2026, 2, 10), 5, date(2026, 2, 24)),
        (date(2026, 2, 10), 15, date(2026, 3, 9)),
    ],
)
def test_add_working_days(start: date, days: int, expected: date) -> None:
    at = datetime.combine(start, time(10, 0, 5, 123), tzinfo=SHANGHAI)
    result = seven().add_working_days(at, days)
    assert result == datetime.combine(expected, time(10, 0, 5, 123), tzinfo=SHANGHAI)
    assert result.tzinfo is SHANGHAI


def test_working_days_ignore_the_hotline_hours() -> None:
    # A 5x8 hotline and a 7x12 one count the same deadline.
    assert five().add_working_days(sh(2026, 9, 30, 22), 1) == sh(2026, 10, 8, 22)


def test_add_working_days_counts_from_the_local_date() -> None:
    # 2026-09-30 17:00 UTC is already 2026-10-01 01:00 in Shanghai, a holiday.
    result = seven().add_working_days(datetime(2026, 9, 30, 17, tzinfo=UTC), 1)
    assert result == sh(2026, 10, 8, 1)
    assert result.tzinfo is SHANGHAI


def test_zero_working_days_returns_the_start_even_on_a_holiday() -> None:
    start = datetime(2026, 10, 1, 2, tzinfo=UTC)
    result = seven().add_working_days(start, 0)
    assert result == start
    assert result.tzinfo is SHANGHAI


def test_add_and_subtract_working_days_round_trip() -> None:
    calendar = seven()
    start = sh(2026, 9, 28, 9, 30)
    for days in (1, 5, 15, 30):
        assert calendar.add_working_days(calendar.add_working_days(start, days), -days) == start


# -- overrides ---------------------------------------------------------------------------------------


def test_extra_holiday_is_closed_and_not_counted() -> None:
    calendar = WorkingCalendar(
        SEVEN_BY_TWELVE, SHANGHAI, DayOverrides(holidays=frozenset({date(2026, 9, 29)}))
    )
    assert not calendar.is_working_day(date(2026, 9, 29))
    assert not calendar.is_open(sh(2026, 9, 29, 10))
    assert calendar.add_working_days(sh(2026, 9, 28, 10), 1) == sh(2026, 9, 30, 10)
    assert calendar.next_opening(sh(2026, 9, 28, 21)) == sh(2026, 9, 30, 8)


def test_extra_holiday_on_a_weekend_closes_a_seven_day_hotline() -> None:
    calendar = WorkingCalendar(
        SEVEN_BY_TWELVE, SHANGHAI, DayOverrides(holidays=frozenset({date(2026, 9, 13)}))
    )
    assert not calendar.is_open(sh(2026, 9, 13, 10))


def test_extra_workday_is_counted_and_opens_with_template_hours() -> None:
    calendar = WorkingCalendar(LONG_MONDAY, SHANGHAI, DayOverrides(workdays=frozenset({date(2026, 10, 17)})))
    assert calendar.is_working_day(date(2026, 10, 17))
    assert calendar.opening_ranges(date(2026, 10, 17)) == LONG_MONDAY.ranges(0)
    assert calendar.add_working_days(sh(2026, 10, 16, 10), 1) == sh(2026, 10, 17, 10)


def test_extra_workday_overrides_a_library_holiday() -> None:
    calendar = WorkingCalendar(
        SEVEN_BY_TWELVE, SHANGHAI, DayOverrides(workdays=frozenset({date(2026, 10, 2)}))
    )
    assert calendar.is_working_day(date(2026, 10, 2))
    assert calendar.is_open(sh(2026, 10, 2, 10))
    assert calendar.add_working_days(sh(2026, 9, 30, 10), 1) == sh(2026, 10, 2, 10)


def test_special_opening_wins_over_a_holiday_but_does_not_make_it_a_working_day() -> None:
    special = (TimeRange(time(10), time(12)),)
    calendar = WorkingCalendar(
        SEVEN_BY_TWELVE,
        SHANGHAI,
        DayOverrides(special_openings={date(2026, 10, 1): special}, closed=frozenset({date(2026, 10, 1)})),
    )
    assert calendar.opening_ranges(date(2026, 10, 1)) == special
    assert calendar.is_open(sh(2026, 10, 1, 10, 30))
    assert not calendar.is_open(sh(2026, 10, 1, 12))
    assert not calendar.is_working_day(date(2026, 10, 1))
    assert calendar.next_opening(sh(2026, 9, 30, 21)) == sh(2026, 10, 1, 10)
    assert calendar.current_or_next_closing(sh(2026, 9, 30, 21)) == sh(2026, 10, 1, 12)


def test_special_opening_can_shorten_an_ordinary_day() -> None:
    calendar = WorkingCalendar(
        SEVEN_BY_TWELVE,
        SHANGHAI,
        DayOverrides(special_openings={date(2026, 9, 14): (TimeRange(time(8), time(12)),)}),
    )
    assert not calendar.is_open(sh(2026, 9, 14, 13))
    assert calendar.next_opening(sh(2026, 9, 14, 13)) == sh(2026, 9, 15, 8)


def test_closed_day_shuts_the_hotline_but_still_counts_as_a_working_day() -> None:
    calendar = WorkingCalendar(SEVEN_BY_TWELVE, SHANGHAI, DayOverrides(closed=frozenset({date(2026, 9, 29)})))
    assert not calendar.is_open(sh(2026, 9, 29, 10))
    assert calendar.is_working_day(date(2026, 9, 29))
    assert calendar.add_working_days(sh(2026, 9, 28, 10), 1) == sh(2026, 9, 29, 10)
    assert calendar.next_opening(sh(2026, 9, 28, 21)) == sh(2026, 9, 30, 8)


def test_a_day_cannot_be_both_extra_holiday_and_extra_workday() -> None:
    with pytest.raises(CalendarError) as info:
        DayOverrides(holidays=frozenset({date(2026, 9, 29)}), workdays=frozenset({date(2026, 9, 29)}))
    assert info.value.details == {"days": ["2026-09-29"]}


# A made-up 2027 schedule standing in for the official one an operator would enter.
NEW_YEAR_2027 = frozenset({date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)})


def test_covered_years_lets_the_overrides_supply_a_year_the_library_lacks() -> None:
    overrides = DayOverrides(
        holidays=NEW_YEAR_2027, workdays=frozenset({date(2027, 2, 6)}), covered_years=frozenset({2027})
    )
    calendar = WorkingCalendar(SEVEN_BY_TWELVE, SHANGHAI, overrides)
    assert calendar.covers(date(2027, 6, 1))
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.is_working_day(date(2027, 1, 4))
    assert calendar.is_working_day(date(2027, 2, 6))  # a Saturday
    assert not calendar.is_working_day(date(2027, 2, 7))  # an ordinary Sunday
    assert calendar.add_working_days(sh(2026, 12, 31, 10), 1) == sh(2027, 1, 4, 10)
    assert calendar.next_opening(sh(2026, 12, 31, 21)) == sh(2027, 1, 4, 8)
    assert calendar.is_open(sh(2027, 2, 7, 10))


def test_a_year_nobody_covers_raises_instead_of_guessing() -> None:
    calendar = WorkingCalendar(SEVEN_BY_TWELVE, SHANGHAI, DayOverrides(holidays=NEW_YEAR_2027))
    assert not calendar.covers(date(2027, 1, 4))
    with pytest.raises(CalendarNotCoveredError) as info:
        calendar.is_working_day(date(2027, 1, 4))
    error = info.value
    assert isinstance(error, CallCenterError)
    assert error.code == "calendar-not-covered"
    assert error.http_status == 503
    assert error.details["year"] == 2027
    assert "2027" in error.message
    assert "covered_years" in error.message
    for call in (
        lambda: calendar.is_open(sh(2027, 1, 4, 10)),
        lambda: calendar.next_opening(sh(2026, 12, 31, 21)),
        lambda: calendar.add_working_days(sh(2026, 12, 31, 10), 1),
        lambda: calendar.add_working_hours(sh(2026, 12, 31, 19), 2),
        lambda: calendar.check_covers(date(2003, 12, 31)),
    ):
        with pytest.raises(CalendarNotCoveredError):
            call()


def test_covered_years_replace_the_library_for_that_year() -> None:
    calendar = WorkingCalendar(SEVEN_BY_TWELVE, SHANGHAI, DayOverrides(covered_years=frozenset({2026})))
    assert calendar.is_working_day(date(2026, 10, 1))
    assert not calendar.is_working_day(date(2026, 10, 10))


# -- working hours -----------------------------------------------------------------------------------


def test_add_working_hours_inside_one_range() -> None:
    assert seven().add_working_hours(sh(2026, 9, 14, 9), 2.5) == sh(2026, 9, 14, 11, 30)


def test_add_working_hours_ending_exactly_at_closing_returns_the_closing() -> None:
    assert seven().add_working_hours(sh(2026, 9, 14, 18), 2) == sh(2026, 9, 14, 20)


def test_add_working_hours_over_the_night() -> None:
    result = seven().add_working_hours(sh(2026, 9, 14, 19), 2)
    assert result == sh(2026, 9, 15, 9)
    assert result.tzinfo is SHANGHAI


def test_add_working_hours_over_a_lunch_break() -> None:
    calendar = WorkingCalendar(LONG_MONDAY, SHANGHAI)
    assert calendar.add_working_hours(sh(2026, 9, 14, 11), 2) == sh(2026, 9, 14, 14)


def test_add_working_hours_over_a_night_and_national_day() -> None:
    assert seven().add_working_hours(sh(2026, 9, 30, 19), 3) == sh(2026, 10, 8, 10)


def test_add_working_hours_into_an_adjusted_working_sunday() -> None:
    # 2026-09-19 is an ordinary Saturday, 2026-09-20 an adjusted working Sunday.
    assert five().add_working_hours(sh(2026, 9, 18, 16), 2) == sh(2026, 9, 20, 10)


def test_add_working_hours_a_full_week() -> None:
    assert five().add_working_hours(sh(2026, 9, 14, 9), 40) == sh(2026, 9, 18, 17)


def test_add_working_hours_from_outside_opening_hours_starts_at_the_next_opening() -> None:
    assert seven().add_working_hours(sh(2026, 9, 14, 6), 1) == sh(2026, 9, 14, 9)
    assert seven().add_working_hours(sh(2026, 9, 14, 20), 0) == sh(2026, 9, 15, 8)
    assert seven().add_working_hours(sh(2026, 9, 14, 10), 0) == sh(2026, 9, 14, 10)


@pytest.mark.parametrize("hours", [-1.0, float("nan"), float("inf")])
def test_add_working_hours_rejects_bad_amounts(hours: float) -> None:
    with pytest.raises(CalendarError) as info:
        seven().add_working_hours(sh(2026, 9, 14, 10), hours)
    assert info.value.code == "calendar-invalid"
    assert info.value.http_status == 500


# -- time zones --------------------------------------------------------------------------------------


def test_naive_datetimes_are_rejected() -> None:
    calendar = seven()
    naive = datetime(2026, 9, 14, 10)
    for call in (
        lambda: calendar.is_open(naive),
        lambda: calendar.next_opening(naive),
        lambda: calendar.current_or_next_closing(naive),
        lambda: calendar.add_working_days(naive, 1),
        lambda: calendar.add_working_hours(naive, 1),
    ):
        with pytest.raises(CalendarError, match="timezone-aware"):
            call()


def test_working_hours_are_elapsed_time_across_a_dst_change() -> None:
    # 2026-03-08 and 2026-11-01 are ordinary Sundays in China and DST change days in New York.
    calendar = WorkingCalendar(WeeklyHours.every_day(time(1), time(4)), NEW_YORK)
    spring = datetime(2026, 3, 8, 1, tzinfo=NEW_YORK)
    assert calendar.add_working_hours(spring, 2) == datetime(2026, 3, 8, 4, tzinfo=NEW_YORK)
    assert calendar.is_open(datetime(2026, 3, 8, 7, 30, tzinfo=UTC))  # 03:30 EDT
    autumn = datetime(2026, 11, 1, 1, tzinfo=NEW_YORK)
    # 01:00 EDT to 04:00 EST is four hours.
    assert calendar.add_working_hours(autumn, 3) == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert calendar.add_working_hours(autumn, 4) == datetime(2026, 11, 1, 4, tzinfo=NEW_YORK)
    assert calendar.add_working_hours(autumn, 4.5) == datetime(2026, 11, 2, 1, 30, tzinfo=NEW_YORK)


def test_working_days_keep_the_wall_clock_across_a_dst_change() -> None:
    calendar = WorkingCalendar(SEVEN_BY_TWELVE, NEW_YORK)
    result = calendar.add_working_days(datetime(2026, 3, 6, 10, tzinfo=NEW_YORK), 1)
    assert result == datetime(2026, 3, 9, 10, tzinfo=NEW_YORK)
    assert result.utcoffset() == timedelta(hours=-4)


# -- validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [(time(9), time(9)), (time(17), time(9))])
def test_time_range_must_end_after_it_starts(start: time, end: time) -> None:
    with pytest.raises(CalendarError):
        TimeRange(start, end)


def test_time_range_bounds_must_be_naive() -> None:
    with pytest.raises(CalendarError, match="naive"):
        TimeRange(time(9, tzinfo=UTC), time(17, tzinfo=UTC))


@pytest.mark.parametrize(
    "ranges",
    [
        (TimeRange(time(13), time(17)), TimeRange(time(9), time(12))),
        (TimeRange(time(9), time(13)), TimeRange(time(12), time(17))),
        (TimeRange(time(9), time(12)), TimeRange(time(12), time(17))),
    ],
)
def test_weekly_ranges_must_be_sorted_and_apart(ranges: tuple[TimeRange, ...]) -> None:
    with pytest.raises(CalendarError, match="weekday 0"):
        WeeklyHours({0: ranges})
    with pytest.raises(CalendarError, match="special opening"):
        DayOverrides(special_openings={date(2026, 10, 1): ranges})


@pytest.mark.parametrize("weekday", [-1, 7])
def test_weekday_must_be_monday_to_sunday(weekday: int) -> None:
    with pytest.raises(CalendarError):
        WeeklyHours({weekday: (TimeRange(time(9), time(17)),)})


def test_every_day_builds_the_same_range_for_each_weekday() -> None:
    assert FIVE_BY_EIGHT.days == {w: (TimeRange(time(9), time(17)),) for w in range(5)}
    assert FIVE_BY_EIGHT.ranges(6) == ()
    assert set(SEVEN_BY_TWELVE.days) == set(range(7))


def test_weekly_hours_are_copied_on_construction() -> None:
    days = {0: (TimeRange(time(9), time(17)),)}
    hours = WeeklyHours(days)
    days[1] = (TimeRange(time(9), time(17)),)
    assert hours.ranges(1) == ()


def test_calendar_rejects_hours_that_never_open() -> None:
    with pytest.raises(CalendarError, match="never open"):
        WorkingCalendar(WeeklyHours({}), SHANGHAI)


@pytest.mark.parametrize("template", [-1, 7])
def test_workday_template_must_be_a_weekday(template: int) -> None:
    with pytest.raises(CalendarError):
        WorkingCalendar(FIVE_BY_EIGHT, SHANGHAI, workday_template=template)


def test_workday_template_must_have_hours_when_some_weekday_has_none() -> None:
    with pytest.raises(CalendarError, match="workday_template 6"):
        WorkingCalendar(FIVE_BY_EIGHT, SHANGHAI, workday_template=6)
    WorkingCalendar(SEVEN_BY_TWELVE, SHANGHAI, workday_template=6)

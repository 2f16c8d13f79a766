"""Properties of the working calendar over the library's real schedules (2005-2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from callcenter.domain.calendar import DayOverrides, TimeRange, WeeklyHours, WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")

SPLIT_SHIFT = WeeklyHours(
    {
        **{w: (TimeRange(time(9), time(12)), TimeRange(time(13, 30), time(17, 30))) for w in range(5)},
        5: (TimeRange(time(9), time(12)),),
    }
)
CALENDARS = [
    WorkingCalendar(WeeklyHours.every_day(time(8), time(20)), SHANGHAI),
    WorkingCalendar(WeeklyHours.every_day(time(9), time(17), range(5)), SHANGHAI),
    WorkingCalendar(SPLIT_SHIFT, SHANGHAI),
]

calendars = st.sampled_from(CALENDARS)
# Ends early enough that 60 working days or 100 opening hours stay inside the library's last year.
days_in_range = st.dates(min_value=date(2005, 1, 1), max_value=date(2026, 8, 31))
working_day_counts = st.integers(min_value=-60, max_value=60)
zones = st.sampled_from([SHANGHAI, UTC, ZoneInfo("America/New_York")])


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    local = datetime.combine(draw(days_in_range), draw(st.times()), tzinfo=SHANGHAI)
    # Callers may pass any zone; the calendar must convert.
    return local.astimezone(draw(zones))


@settings(max_examples=200, deadline=None)
@given(calendars, instants(), working_day_counts)
def test_subtracting_the_working_days_added_returns_the_start(
    calendar: WorkingCalendar, start: datetime, days: int
) -> None:
    assume(calendar.is_working_day(start.astimezone(SHANGHAI).date()))
    assert calendar.add_working_days(calendar.add_working_days(start, days), -days) == start


@settings(max_examples=200, deadline=None)
@given(calendars, instants(), working_day_counts.filter(lambda n: n != 0))
def test_adding_working_days_never_lands_on_a_day_off(
    calendar: WorkingCalendar, start: datetime, days: int
) -> None:
    result = calendar.add_working_days(start, days)
    assert result.tzinfo is SHANGHAI
    assert calendar.is_working_day(result.date())
    assert result.time() == start.astimezone(SHANGHAI).time()


@settings(max_examples=200, deadline=None)
@given(calendars, instants(), st.integers(min_value=-60, max_value=59))
def test_adding_working_days_is_strictly_monotonic(
    calendar: WorkingCalendar, start: datetime, days: int
) -> None:
    assert calendar.add_working_days(start, days) < calendar.add_working_days(start, days + 1)


@settings(max_examples=200, deadline=None)
@given(
    calendars,
    instants(),
    # Offsets from the start in the counting direction, where the count will actually meet them.
    st.sets(st.integers(min_value=1, max_value=90), max_size=20),
    working_day_counts.filter(lambda n: n != 0),
)
def test_extra_holidays_are_never_a_deadline(
    calendar: WorkingCalendar, start: datetime, offsets: set[int], days: int
) -> None:
    local_day = start.astimezone(SHANGHAI).date()
    near = frozenset(local_day + timedelta(days=n if days > 0 else -n) for n in offsets)
    with_extra = WorkingCalendar(calendar.hours, SHANGHAI, DayOverrides(holidays=near))
    result = with_extra.add_working_days(start, days)
    assert result.date() not in near
    assert with_extra.is_working_day(result.date())


def _at_a_range_end(calendar: WorkingCalendar, at: datetime) -> bool:
    local = at.astimezone(SHANGHAI)
    return any(r.end == local.time() for r in calendar.opening_ranges(local.date()))


@settings(max_examples=200, deadline=None)
@given(calendars, instants(), st.floats(min_value=0, max_value=100, allow_nan=False))
def test_working_hours_end_while_open_or_exactly_at_a_closing(
    calendar: WorkingCalendar, start: datetime, hours: float
) -> None:
    result = calendar.add_working_hours(start, hours)
    assert result.tzinfo is SHANGHAI
    assert result >= start
    assert calendar.is_open(result) or _at_a_range_end(calendar, result)


@settings(max_examples=200, deadline=None)
@given(
    calendars,
    instants(),
    st.integers(min_value=0, max_value=50 * 60),
    st.integers(min_value=1, max_value=50 * 60),
)
def test_working_hours_add_up(calendar: WorkingCalendar, start: datetime, first: int, second: int) -> None:
    # Whole minutes, so the float hours convert to timedelta without rounding.
    step = calendar.add_working_hours(calendar.add_working_hours(start, first / 60), second / 60)
    total = calendar.add_working_hours(start, (first + second) / 60)
    assert abs(step - total) <= timedelta(microseconds=2)


@settings(max_examples=200, deadline=None)
@given(calendars, instants())
def test_next_opening_is_the_first_open_instant_not_before(calendar: WorkingCalendar, at: datetime) -> None:
    opening = calendar.next_opening(at)
    assert opening.tzinfo is SHANGHAI
    assert opening >= at
    assert calendar.is_open(opening)
    if calendar.is_open(at):
        assert opening == at
    else:
        # Nothing opens in between: just before the opening it was still closed.
        assert opening == at or not calendar.is_open(opening - timedelta(microseconds=1))
        closing = calendar.current_or_next_closing(at)
        assert closing > opening
        assert not calendar.is_open(closing)

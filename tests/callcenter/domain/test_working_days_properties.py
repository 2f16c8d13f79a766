"""Properties of working-day arithmetic on the hotline's own calendar (config/hotline.toml), as the work-order
deadlines use it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.domain.calendar import WorkingCalendar
from callcenter.hotline import load_hotline
from callcenter.settings import PROJECT_DIR

CALENDAR: WorkingCalendar = load_hotline(PROJECT_DIR / "config" / "hotline.toml").working_calendar
TZ = CALENDAR.tz
FAST = settings(max_examples=200, deadline=None)

# Far enough from the ends of the library's years that two steps of 40 working days (81 with the first
# step to a working day, about four months) stay covered either way.
days = st.dates(min_value=date(2006, 3, 1), max_value=date(2026, 7, 31))
counts = st.integers(min_value=-40, max_value=40)
positive = st.integers(min_value=0, max_value=20)
# Whole minutes in Shanghai, which has no DST: the wall clock always survives the addition.
clock = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@st.composite
def starts(draw: st.DrawFn) -> datetime:
    return datetime.combine(draw(days), draw(clock), tzinfo=TZ)


@FAST
@given(starts(), counts)
def test_adding_lands_on_a_working_day_at_the_same_wall_clock(start: datetime, n: int) -> None:
    result = CALENDAR.add_working_days(start, n)
    assert result.time() == start.time()
    if n == 0:
        assert result == start
    else:
        assert CALENDAR.is_working_day(result.date())
        assert CALENDAR.opening_ranges(result.date()) != ()


@FAST
@given(starts(), st.integers(min_value=1, max_value=40))
def test_adding_never_skips_a_working_day_nor_lands_on_a_closed_one(start: datetime, n: int) -> None:
    result = CALENDAR.add_working_days(start, n)
    between = [start.date() + timedelta(days=i) for i in range(1, (result.date() - start.date()).days + 1)]
    assert sum(CALENDAR.is_working_day(day) for day in between) == n
    assert not CALENDAR.is_public_holiday(result.date())


@FAST
@given(starts(), counts, counts)
def test_adding_is_strictly_monotonic_in_n(start: datetime, a: int, b: int) -> None:
    first, second = CALENDAR.add_working_days(start, a), CALENDAR.add_working_days(start, b)
    assert (first < second) is (a < b)
    assert (first == second) is (a == b)


@FAST
@given(starts(), positive, positive)
def test_adding_a_then_b_is_adding_a_plus_b_forwards(start: datetime, a: int, b: int) -> None:
    # Holds whenever the intermediate stop is a working day, i.e. a > 0, or the start itself is one.
    stop = CALENDAR.add_working_days(start, a)
    if a > 0 or CALENDAR.is_working_day(start.date()):
        assert CALENDAR.add_working_days(stop, b) == CALENDAR.add_working_days(start, a + b)


@FAST
@given(starts(), counts, counts)
def test_adding_composes_from_a_working_day(start: datetime, a: int, b: int) -> None:
    # From a working day every step lands on one too, so steps in either direction compose.
    working = CALENDAR.add_working_days(start, 1)
    assert CALENDAR.add_working_days(CALENDAR.add_working_days(working, a), b) == CALENDAR.add_working_days(
        working, a + b
    )


@FAST
@given(starts(), counts)
def test_counting_the_working_days_between_inverts_adding(start: datetime, n: int) -> None:
    end = CALENDAR.add_working_days(start, n)
    assert CALENDAR.working_days_between(start.date(), end.date()) == n


@FAST
@given(days, days)
def test_working_days_between_counts_the_working_days_after_the_start(start: date, end: date) -> None:
    count = CALENDAR.working_days_between(start, end)
    if end >= start:
        span = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
        assert count == sum(CALENDAR.is_working_day(day) for day in span)
    else:
        span = [end + timedelta(days=i) for i in range((start - end).days)]
        assert count == -sum(CALENDAR.is_working_day(day) for day in span)


@FAST
@given(days, st.integers(min_value=1, max_value=20))
def test_working_days_between_is_additive_through_a_working_day(start: date, n: int) -> None:
    middle = CALENDAR.add_working_days(datetime.combine(start, time(), tzinfo=TZ), n).date()
    end = middle + timedelta(days=30)
    assert CALENDAR.working_days_between(start, end) == n + CALENDAR.working_days_between(middle, end)


@FAST
@given(starts(), st.integers(min_value=1, max_value=40))
def test_subtracting_the_days_added_returns_to_the_start_from_a_working_day(start: datetime, n: int) -> None:
    working = CALENDAR.add_working_days(start, 1)
    assert CALENDAR.add_working_days(CALENDAR.add_working_days(working, n), -n) == working

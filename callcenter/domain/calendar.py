"""When the hotline is open and which days count as working days for deadlines.

Two different notions live here and must not be mixed up:

* statutory working days (``is_working_day``, ``add_working_days``): the national schedule from the
  ``chinesecalendar`` package, including adjusted working days (调休上班日), plus local overrides. Legal
  deadlines are counted in these whatever the hotline's own hours are.
* opening hours (``opening_ranges``, ``is_open``, ``add_working_hours``): the hotline's weekly hours,
  closed on public holidays even on a 7-days-a-week schedule.

Pure: the caller passes every datetime; nothing here reads the clock. All arithmetic on instants is done
in UTC because aware datetimes sharing one tzinfo compare and subtract by wall-clock time, which is wrong
across a DST change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

import chinese_calendar

from callcenter.errors import CallCenterError

# The package's own answer for "is this year known"; it raises NotImplementedError outside this span.
_LIBRARY_HOLIDAYS: Final[Mapping[date, str]] = chinese_calendar.holidays
_LIBRARY_WORKDAYS: Final[Mapping[date, str]] = chinese_calendar.workdays
LIBRARY_FIRST_YEAR: Final[int] = min(_LIBRARY_HOLIDAYS).year
LIBRARY_LAST_YEAR: Final[int] = max(_LIBRARY_HOLIDAYS).year
LIBRARY_VERSION: Final[str] = str(getattr(chinese_calendar, "__version__", "unknown"))

# Long enough to cross the longest holiday and any sensible run of closed days, short enough to fail fast
# on a calendar that is (almost) never open.
MAX_SEARCH_DAYS: Final = 400


class CalendarError(CallCenterError):
    code = "calendar-invalid"
    http_status = 500


class CalendarNotCoveredError(CallCenterError):
    # 503: service resumes once someone supplies the schedule; nothing is wrong with the request.
    code = "calendar-not-covered"
    http_status = 503


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError(
            f"{name} must be timezone-aware, got naive {value.isoformat()}",
            details={"argument": name, "value": value.isoformat()},
        )


@dataclass(frozen=True)
class TimeRange:
    """Opening hours within one local day: ``start`` inclusive, ``end`` exclusive."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if not isinstance(self.start, time) or not isinstance(self.end, time):
            raise CalendarError(
                "a time range needs datetime.time values",
                details={"start": repr(self.start), "end": repr(self.end)},
            )
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            # The calendar's tz gives the wall clock; a second zone here would be silently ignored.
            raise CalendarError(
                "time range bounds must be naive local times",
                details={"start": self.start.isoformat(), "end": self.end.isoformat()},
            )
        if self.end <= self.start:
            raise CalendarError(
                f"time range must end after it starts on the same day: {self.start}-{self.end}",
                details={"start": self.start.isoformat(), "end": self.end.isoformat()},
            )

    def __str__(self) -> str:
        return f"{self.start.isoformat()}-{self.end.isoformat()}"


def _validated_ranges(ranges: Iterable[TimeRange], where: str) -> tuple[TimeRange, ...]:
    result = tuple(ranges)
    for item in result:
        if not isinstance(item, TimeRange):
            raise CalendarError(f"{where}: expected TimeRange, got {item!r}", details={"where": where})
    for before, after in pairwise(result):
        # Touching ranges are rejected too: they would report a closing that is not one.
        if after.start <= before.end:
            raise CalendarError(
                f"{where}: ranges must be sorted and must not overlap or touch ({before} then {after}); "
                "merge touching ranges into one",
                details={"where": where, "ranges": [str(r) for r in result]},
            )
    return result


@dataclass(frozen=True)
class WeeklyHours:
    """Opening ranges per weekday (0=Monday..6=Sunday); a weekday that is absent is closed."""

    days: Mapping[int, tuple[TimeRange, ...]]

    def __post_init__(self) -> None:
        checked: dict[int, tuple[TimeRange, ...]] = {}
        for weekday, ranges in self.days.items():
            if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
                raise CalendarError(
                    f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}",
                    details={"weekday": repr(weekday)},
                )
            checked[weekday] = _validated_ranges(ranges, f"weekday {weekday}")
        # A private copy: the caller's dict must not change the hours after validation.
        object.__setattr__(self, "days", MappingProxyType(checked))

    @classmethod
    def every_day(cls, start: time, end: time, weekdays: Iterable[int] = range(7)) -> WeeklyHours:
        opening = (TimeRange(start, end),)
        return cls({weekday: opening for weekday in weekdays})

    def ranges(self, weekday: int) -> tuple[TimeRange, ...]:
        return self.days.get(weekday, ())

    def is_empty(self) -> bool:
        return not any(self.days.values())


@dataclass(frozen=True)
class DayOverrides:
    """Local configuration applied on top of the library's national schedule."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    special_openings: Mapping[date, tuple[TimeRange, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    closed: frozenset[date] = frozenset()
    covered_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        for name in ("holidays", "workdays", "closed", "covered_years"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        both = self.holidays & self.workdays
        if both:
            # Which one wins would be a guess; make the operator decide.
            raise CalendarError(
                "a day cannot be both an extra holiday and an extra working day: "
                + ", ".join(sorted(d.isoformat() for d in both)),
                details={"days": sorted(d.isoformat() for d in both)},
            )
        specials = {
            day: _validated_ranges(ranges, f"special opening {day.isoformat()}")
            for day, ranges in self.special_openings.items()
        }
        object.__setattr__(self, "special_openings", MappingProxyType(specials))


_NO_OVERRIDES: Final = DayOverrides()


class WorkingCalendar:
    def __init__(
        self,
        hours: WeeklyHours,
        tz: ZoneInfo,
        overrides: DayOverrides = _NO_OVERRIDES,
        workday_template: int = 0,
    ) -> None:
        if hours.is_empty():
            raise CalendarError("the weekly hours have no opening range at all: the hotline would never open")
        if not isinstance(workday_template, int) or not 0 <= workday_template <= 6:
            raise CalendarError(
                f"workday_template must be a weekday 0..6, got {workday_template!r}",
                details={"workday_template": repr(workday_template)},
            )
        if not hours.ranges(workday_template) and any(not hours.ranges(w) for w in range(7)):
            # An adjusted working day on a weekday without hours borrows the template's; an empty
            # template would keep the hotline shut on a day everyone else works.
            raise CalendarError(
                f"workday_template {workday_template} has no opening hours, so an adjusted working day "
                "on a weekday without hours would stay closed; pick a weekday that has hours",
                details={"workday_template": workday_template},
            )
        self.hours = hours
        self.tz = tz
        self.overrides = overrides
        self.workday_template = workday_template

    def __repr__(self) -> str:
        return f"WorkingCalendar(tz={self.tz.key!r}, workday_template={self.workday_template})"

    # -- statutory days -------------------------------------------------------------------------------

    def covers(self, day: date) -> bool:
        return day.year in self.overrides.covered_years or LIBRARY_FIRST_YEAR <= day.year <= LIBRARY_LAST_YEAR

    def check_covers(self, day: date) -> None:
        if self.covers(day):
            return
        year = day.year
        raise CalendarNotCoveredError(
            f"no official holiday schedule for {year}: chinesecalendar {LIBRARY_VERSION} covers "
            f"{LIBRARY_FIRST_YEAR}-{LIBRARY_LAST_YEAR}. Add the official {year} schedule to the calendar "
            f"overrides (every day off in holidays, every adjusted working day in workdays) and list {year} "
            "in covered_years, or upgrade chinesecalendar once it has that year",
            details={
                "year": year,
                "date": day.isoformat(),
                "library_version": LIBRARY_VERSION,
                "library_years": [LIBRARY_FIRST_YEAR, LIBRARY_LAST_YEAR],
                "covered_years": sorted(self.overrides.covered_years),
            },
        )

    def _from_library(self, day: date) -> bool:
        # covered_years is the operator's full schedule for that year; it wins even once the library
        # learns the year, so upgrading the package never silently changes configured deadlines.
        return day.year not in self.overrides.covered_years

    def is_public_holiday(self, day: date) -> bool:
        """A day off by the national schedule or the local overrides (weekends inside a holiday included)."""
        self.check_covers(day)
        if day in self.overrides.holidays:
            return True
        if day in self.overrides.workdays:
            return False
        return self._from_library(day) and day in _LIBRARY_HOLIDAYS

    def is_adjusted_working_day(self, day: date) -> bool:
        """A working day declared as such (调休上班日 or an extra working day), usually a weekend day."""
        self.check_covers(day)
        if day in self.overrides.workdays:
            return True
        if day in self.overrides.holidays:
            return False
        return self._from_library(day) and day in _LIBRARY_WORKDAYS

    def is_working_day(self, day: date) -> bool:
        if self.is_adjusted_working_day(day):
            return True
        return day.weekday() < 5 and not self.is_public_holiday(day)

    # -- opening hours --------------------------------------------------------------------------------

    def opening_ranges(self, day: date) -> tuple[TimeRange, ...]:
        self.check_covers(day)
        special = self.overrides.special_openings.get(day)
        if special is not None:
            return special
        if day in self.overrides.closed or self.is_public_holiday(day):
            return ()
        if self.is_adjusted_working_day(day):
            return self.hours.ranges(day.weekday()) or self.hours.ranges(self.workday_template)
        return self.hours.ranges(day.weekday())

    def _intervals(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The day's opening ranges as UTC instants, in order."""
        for opening in self.opening_ranges(day):
            start = datetime.combine(day, opening.start, tzinfo=self.tz).astimezone(UTC)
            end = datetime.combine(day, opening.end, tzinfo=self.tz).astimezone(UTC)
            # Only a range lying inside a DST gap can collapse; it is never open.
            if end > start:
                yield start, end

    def is_open(self, at: datetime) -> bool:
        _require_aware(at, "at")
        instant = at.astimezone(UTC)
        day = at.astimezone(self.tz).date()
        return any(start <= instant < end for start, end in self._intervals(day))

    def _interval_at_or_after(self, at: datetime) -> tuple[datetime, datetime]:
        """The opening interval containing ``at``, or else the next one; UTC instants."""
        _require_aware(at, "at")
        instant = at.astimezone(UTC)
        first_day = at.astimezone(self.tz).date()
        for offset in range(MAX_SEARCH_DAYS):
            for start, end in self._intervals(first_day + timedelta(days=offset)):
                if end > instant:
                    return start, end
        raise CalendarError(
            f"the hotline does not open within {MAX_SEARCH_DAYS} days of {at.isoformat()}",
            details={"at": at.isoformat(), "days_searched": MAX_SEARCH_DAYS},
        )

    def next_opening(self, at: datetime) -> datetime:
        start, _ = self._interval_at_or_after(at)
        return max(start, at.astimezone(UTC)).astimezone(self.tz)

    def current_or_next_closing(self, at: datetime) -> datetime:
        _, end = self._interval_at_or_after(at)
        return end.astimezone(self.tz)

    # -- deadlines ------------------------------------------------------------------------------------

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The ``|days|``-th statutory working day after (or before) start's local date, same wall clock.

        If that wall-clock time does not exist on the target day (a DST gap) the result is normalised by
        the zone, so the round trip ``add(add(s, n), -n) == s`` can then not hold.
        """
        _require_aware(start, "start")
        local = start.astimezone(self.tz)
        if days == 0:
            return local
        step = timedelta(days=1 if days > 0 else -1)
        day = local.date()
        remaining = abs(days)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        # local.time() keeps fold, so an ambiguous wall time resolves the same way as the start's.
        return datetime.combine(day, local.time(), tzinfo=self.tz).astimezone(UTC).astimezone(self.tz)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """Spend ``hours`` of the hotline's opening time from ``start`` (or from the next opening).

        Finishing exactly at a closing returns that closing, not the next opening. Zero hours from a
        closed instant gives the next opening, so the result is always open or at a range end.
        """
        _require_aware(start, "start")
        if not isinstance(hours, int | float) or math.isnan(hours) or hours < 0 or math.isinf(hours):
            raise CalendarError(
                f"hours must be a finite number >= 0, got {hours!r}", details={"hours": repr(hours)}
            )
        remaining = timedelta(hours=hours)
        interval_start, interval_end = self._interval_at_or_after(start)
        current = max(interval_start, start.astimezone(UTC))
        while True:
            available = interval_end - current
            if remaining <= available:
                return (current + remaining).astimezone(self.tz)
            remaining -= available
            interval_start, interval_end = self._interval_at_or_after(interval_end)
            current = interval_start

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days ``add_working_days`` steps over to get from ``start`` to ``end``.

        Forwards it counts the working days in ``(start, end]``; backwards, minus those in ``[end,
        start)``. So ``working_days_between(s.date(), add_working_days(s, n).date()) == n`` for every n,
        whether or not ``s`` is a working day (not antisymmetric when an end is a day off).
        """
        forwards = end >= start
        first, last = (start, end) if forwards else (end, start)
        count = 0
        day = first if forwards else first - timedelta(days=1)
        while day < (last if forwards else last - timedelta(days=1)):
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count if forwards else -count

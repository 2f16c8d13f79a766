"""Back-end experts (lawyers, notaries, appraisers, duty officials), their duty roster, and who can take a
transferred call right now.

Roster rules:

* A shift starting on day D covers ``[D start, D end)`` in the calendar's zone, or ``[D start, D+1 end)``
  when ``end <= start`` (so ``start == end`` is a 24-hour shift).
* A dated entry applies on its date whatever the calendar says: duty officials are rostered on holidays.
* A working-days entry applies on every statutory working day: adjusted working days (调休上班日)
  included, public holidays excluded.
* A weekday entry applies on every such weekday, except a Monday-Friday that is not a statutory working
  day (a public holiday). Saturday and Sunday entries always apply, inside a holiday block and on an
  adjusted working weekend day alike: weekend duty exists for days off, and an adjusted working day
  does not cancel someone's weekend shift.

Pure: the caller passes every datetime and the load; nothing here reads the clock or does I/O.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from callcenter.domain.calendar import WorkingCalendar
from callcenter.domain.csvfiles import csv_rows
from callcenter.errors import CallCenterError

# Ids end up in queue and channel variables, like prefecture codes.
_ID: Final = re.compile(r"[a-z0-9-]+")
# Mobiles (1xx, 11 digits) or landlines with their area code (0 + 2-3 digits + 7-8 digits): the hotline
# serves a whole province, so a bare local number would ring in whichever area the trunk happens to be.
_PHONE: Final = re.compile(r"1[0-9]{10}|0[0-9]{9,11}")
_CSV_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# One-digit hours are accepted because spreadsheets rewrite 09:00 as 9:00.
_CSV_TIME: Final = re.compile(r"([0-9]{1,2}):([0-9]{2})")

WEEKDAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKING_DAYS: Final = "working-days"
CSV_COLUMNS: Final = ("expert_id", "when", "start", "end")

_NEVER: Final = datetime.min.replace(tzinfo=UTC)


class RosterError(CallCenterError):
    code = "roster-invalid"
    http_status = 422


class ExpertKind(StrEnum):
    LAWYER = "lawyer"
    NOTARY = "notary"
    FORENSIC_APPRAISER = "forensic-appraiser"
    DUTY_OFFICIAL = "duty-official"
    MEDIATOR = "mediator"


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise RosterError(
            f"{name} must be a timezone-aware datetime, got {value!r}",
            details={"argument": name, "value": repr(value)},
        )


def _check_id(value: object, what: str) -> None:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise RosterError(
            f"{what} must match [a-z0-9-]+, got {value!r}", details={"field": what, "value": repr(value)}
        )


def _strings(values: Iterable[str], what: str, expert_id: str) -> frozenset[str]:
    if isinstance(values, str):
        # frozenset("劳动争议") would silently become four one-character categories.
        raise RosterError(
            f"expert {expert_id}: {what} must be a collection of strings, not one string",
            details={"expert": expert_id, "field": what},
        )
    result = frozenset(values)
    for value in result:
        if not isinstance(value, str) or not value.strip():
            raise RosterError(
                f"expert {expert_id}: {what} must hold non-empty strings, got {value!r}",
                details={"expert": expert_id, "field": what, "value": repr(value)},
            )
    return result


@dataclass(frozen=True)
class Expert:
    id: str
    name: str
    kind: ExpertKind
    organisation: str
    # Dialling order: the first number is tried first.
    phones: tuple[str, ...]
    categories: frozenset[str]
    # Empty means the whole province.
    prefectures: frozenset[str]
    max_concurrent_calls: int = 1

    def __post_init__(self) -> None:
        _check_id(self.id, "expert id")
        for name in ("name", "organisation"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise RosterError(
                    f"expert {self.id}: {name} must not be empty", details={"expert": self.id, "field": name}
                )
        if not isinstance(self.kind, ExpertKind):
            raise RosterError(
                f"expert {self.id}: kind must be an ExpertKind, got {self.kind!r}",
                details={"expert": self.id, "kind": repr(self.kind)},
            )
        phones = tuple(self.phones)
        if not phones:
            raise RosterError(f"expert {self.id} has no phone number", details={"expert": self.id})
        for phone in phones:
            if not isinstance(phone, str) or not _PHONE.fullmatch(phone):
                raise RosterError(
                    f"expert {self.id}: {phone!r} is neither an 11-digit mobile nor a landline with its "
                    "area code (digits only, leading 0)",
                    details={"expert": self.id, "phone": repr(phone)},
                )
        if len(set(phones)) != len(phones):
            raise RosterError(
                f"expert {self.id} lists a phone number twice", details={"expert": self.id, "phones": phones}
            )
        object.__setattr__(self, "phones", phones)
        categories = _strings(self.categories, "categories", self.id)
        if not categories:
            raise RosterError(
                f"expert {self.id} answers no consultation category", details={"expert": self.id}
            )
        object.__setattr__(self, "categories", categories)
        prefectures = _strings(self.prefectures, "prefectures", self.id)
        for code in prefectures:
            _check_id(code, "prefecture code")
        object.__setattr__(self, "prefectures", prefectures)
        calls = self.max_concurrent_calls
        if not isinstance(calls, int) or isinstance(calls, bool) or calls < 1:
            raise RosterError(
                f"expert {self.id}: max_concurrent_calls must be an integer >= 1, got {calls!r}",
                details={"expert": self.id, "max_concurrent_calls": repr(calls)},
            )

    def serves(self, prefecture: str | None) -> bool:
        """Whole-province experts serve everyone; the others only callers from their prefectures."""
        if not self.prefectures:
            return True
        return prefecture is not None and prefecture in self.prefectures


@dataclass(frozen=True)
class RosterEntry:
    expert_id: str
    start: time
    # end <= start: the shift runs past midnight into the next day.
    end: time
    day: date | None = None
    weekday: int | None = None
    working_days: bool = False

    def __post_init__(self) -> None:
        _check_id(self.expert_id, "expert id")
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise RosterError(
                    f"roster entry for {self.expert_id}: {name} must be a naive datetime.time, got {value!r}",
                    details={"expert": self.expert_id, "field": name, "value": repr(value)},
                )
            if value.second or value.microsecond:
                # The CSV carries HH:MM; anything finer would not survive a round trip.
                raise RosterError(
                    f"roster entry for {self.expert_id}: {name} must be whole minutes, got {value}",
                    details={"expert": self.expert_id, "field": name, "value": value.isoformat()},
                )
        # datetime is a date subclass; a time of day here would be silently dropped.
        if self.day is not None and (not isinstance(self.day, date) or isinstance(self.day, datetime)):
            raise RosterError(
                f"roster entry for {self.expert_id}: day must be a date, got {self.day!r}",
                details={"expert": self.expert_id, "day": repr(self.day)},
            )
        if self.weekday is not None and (
            not isinstance(self.weekday, int) or isinstance(self.weekday, bool) or not 0 <= self.weekday <= 6
        ):
            raise RosterError(
                f"roster entry for {self.expert_id}: weekday must be 0 (Monday) to 6 (Sunday), "
                f"got {self.weekday!r}",
                details={"expert": self.expert_id, "weekday": repr(self.weekday)},
            )
        chosen = (self.day is not None) + (self.weekday is not None) + (self.working_days is True)
        if chosen != 1:
            raise RosterError(
                f"roster entry for {self.expert_id} needs exactly one of day, weekday, working_days",
                details={"expert": self.expert_id},
            )

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def applies_on(self, day: date, calendar: WorkingCalendar) -> bool:
        """Whether a shift of this entry starts on ``day`` (see the module docstring for the rules)."""
        if self.day is not None:
            return self.day == day
        if self.weekday is not None:
            if day.weekday() != self.weekday:
                return False
            return day.weekday() >= 5 or calendar.is_working_day(day)
        return calendar.is_working_day(day)

    def covers(self, day: date, instant: datetime, tz: tzinfo) -> bool:
        """Whether the shift starting on ``day`` covers ``instant`` (compared in UTC, DST-safe)."""
        start = datetime.combine(day, self.start, tzinfo=tz).astimezone(UTC)
        end_day = day + timedelta(days=1) if self.overnight else day
        end = datetime.combine(end_day, self.end, tzinfo=tz).astimezone(UTC)
        return start <= instant.astimezone(UTC) < end


class DutyRoster:
    def __init__(self, entries: Iterable[RosterEntry], calendar: WorkingCalendar) -> None:
        by_expert: dict[str, list[RosterEntry]] = {}
        for entry in entries:
            if not isinstance(entry, RosterEntry):
                raise RosterError(f"expected RosterEntry, got {entry!r}", details={"entry": repr(entry)})
            by_expert.setdefault(entry.expert_id, []).append(entry)
        self._entries: Mapping[str, tuple[RosterEntry, ...]] = MappingProxyType(
            {expert_id: tuple(items) for expert_id, items in by_expert.items()}
        )
        self.calendar = calendar

    def __repr__(self) -> str:
        return f"DutyRoster(experts={len(self._entries)}, calendar={self.calendar!r})"

    def entries(self, expert_id: str) -> tuple[RosterEntry, ...]:
        return self._entries.get(expert_id, ())

    def on_duty(self, expert_id: str, at: datetime) -> bool:
        _require_aware(at, "at")
        today = at.astimezone(self.calendar.tz).date()
        # Yesterday first: an overnight shift from yesterday may still be running.
        for day in (today - timedelta(days=1), today):
            for entry in self.entries(expert_id):
                if entry.applies_on(day, self.calendar) and entry.covers(day, at, self.calendar.tz):
                    return True
        return False


# -- CSV ----------------------------------------------------------------------------------------------


def _parse_time(text: str, column: str, problems: list[str]) -> time | None:
    match = _CSV_TIME.fullmatch(text)
    if match:
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    problems.append(f"{column}: expected a time HH:MM, got {text!r}")
    return None


def _parse_when(text: str, problems: list[str]) -> dict[str, Any] | None:
    lowered = text.lower()
    if lowered == WORKING_DAYS:
        return {"working_days": True}
    if lowered in WEEKDAY_NAMES:
        return {"weekday": WEEKDAY_NAMES.index(lowered)}
    if _CSV_DATE.fullmatch(text):
        try:
            return {"day": date.fromisoformat(text)}
        except ValueError:
            pass
    problems.append(
        f"when: expected an ISO date (2026-10-10), a weekday (mon..sun) or {WORKING_DAYS!r}, got {text!r}"
    )
    return None


def _header_problems(header: list[str], columns: tuple[str, ...] = CSV_COLUMNS) -> list[str]:
    problems = []
    missing = [column for column in columns if column not in header]
    unknown = [column for column in header if column not in columns]
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    if unknown:
        problems.append("unknown column(s): " + ", ".join(repr(column) for column in unknown))
    if duplicated:
        problems.append("duplicated column(s): " + ", ".join(duplicated))
    return problems


def _raise_errors(
    errors: list[dict[str, Any]], what: str = "roster CSV", error_class: type[RosterError] = RosterError
) -> None:
    summary = "; ".join(f"line {error['line']}: {error['problem']}" for error in errors)
    raise error_class(f"{what} has {len(errors)} error(s): {summary}", details={"errors": errors})


def roster_entry_from_text(expert_id: str, when: str, start: str, end: str) -> RosterEntry:
    """One entry from its CSV (and API) spelling: when is a date, mon..sun or working-days; HH:MM times."""
    problems: list[str] = []
    parsed_when = _parse_when(when.strip(), problems)
    parsed_start = _parse_time(start.strip(), "start", problems)
    parsed_end = _parse_time(end.strip(), "end", problems)
    if problems or parsed_when is None or parsed_start is None or parsed_end is None:
        raise RosterError(
            f"roster entry for {expert_id}: " + "; ".join(problems),
            details={"expert": expert_id, "problems": problems},
        )
    return RosterEntry(expert_id, parsed_start, parsed_end, **parsed_when)


def roster_when(entry: RosterEntry) -> str:
    """The ``when`` spelling of an entry: its ISO date, its weekday name or working-days."""
    if entry.day is not None:
        return entry.day.isoformat()
    if entry.weekday is not None:
        return WEEKDAY_NAMES[entry.weekday]
    return WORKING_DAYS


def parse_roster_csv(
    text: str, check: Callable[[RosterEntry], Iterable[str]] | None = None
) -> list[RosterEntry]:
    """Entries from ``expert_id,when,start,end`` rows (columns in any order).

    Rows whose fields are all blank are skipped: spreadsheets export empty rows as ``,,,``. Every problem
    is reported, each with its physical line number, in ``details["errors"]``. ``check`` returns the
    problems of a well-formed entry that only the caller can see (e.g. an unknown expert), so that they
    are reported with their lines together with the rest.
    """
    header: list[str] | None = None
    entries: list[RosterEntry] = []
    errors: list[dict[str, Any]] = []
    for line, fields in csv_rows(text, RosterError, "the roster CSV"):
        if not any(fields):
            continue
        if header is None:
            header = fields
            header_problems = _header_problems(header)
            if header_problems:
                # Without the columns no row can be read; reporting every row too would only be noise.
                _raise_errors([{"line": line, "problem": problem} for problem in header_problems])
            continue
        if len(fields) != len(header):
            errors.append({"line": line, "problem": f"expected {len(header)} fields, got {len(fields)}"})
            continue
        values = dict(zip(header, fields, strict=True))
        problems: list[str] = []
        when = _parse_when(values["when"], problems)
        start = _parse_time(values["start"], "start", problems)
        end = _parse_time(values["end"], "end", problems)
        if not problems and when is not None and start is not None and end is not None:
            try:
                entry = RosterEntry(values["expert_id"], start, end, **when)
            except RosterError as error:
                problems.append(error.message)
            else:
                entries.append(entry)
                if check is not None:
                    problems.extend(check(entry))
        errors.extend({"line": line, "problem": problem} for problem in problems)
    if header is None:
        _raise_errors([{"line": 1, "problem": "missing header " + ",".join(CSV_COLUMNS)}])
    if errors:
        _raise_errors(errors)
    return entries


def roster_to_csv(entries: Iterable[RosterEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            (entry.expert_id, roster_when(entry), entry.start.strftime("%H:%M"), entry.end.strftime("%H:%M"))
        )
    return out.getvalue()


# -- availability -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpertLoad:
    active_calls: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # Experts whose phone rings now for another caller: offering a second call would ring them twice.
    ringing: frozenset[str] = frozenset()
    last_offered: Mapping[str, datetime] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        for expert_id, calls in self.active_calls.items():
            if not isinstance(calls, int) or isinstance(calls, bool) or calls < 0:
                raise RosterError(
                    f"active calls of {expert_id} must be an integer >= 0, got {calls!r}",
                    details={"expert": expert_id, "active_calls": repr(calls)},
                )
        for expert_id, offered in self.last_offered.items():
            # A naive value would only fail later, inside the sort, with a bare TypeError.
            _require_aware(offered, f"last_offered[{expert_id}]")
        # Private copies: the caller's dicts must not change the load after validation.
        object.__setattr__(self, "active_calls", MappingProxyType(dict(self.active_calls)))
        object.__setattr__(self, "ringing", frozenset(self.ringing))
        object.__setattr__(self, "last_offered", MappingProxyType(dict(self.last_offered)))


def available_experts(
    experts: Iterable[Expert],
    roster: DutyRoster,
    category: str,
    prefecture: str | None,
    at: datetime,
    load: ExpertLoad,
) -> list[Expert]:
    """Experts who can be offered a call now, fairest first.

    ``prefecture`` None is a caller from outside the province's prefectures: only whole-province experts
    serve them. Fairness: never offered first, then least recently offered; ties by id.
    """
    _require_aware(at, "at")
    seen: set[str] = set()
    chosen: list[Expert] = []
    for expert in experts:
        if expert.id in seen:
            # Two records for one id would make the load ambiguous.
            raise RosterError(f"expert {expert.id} is listed twice", details={"expert": expert.id})
        seen.add(expert.id)
        if (
            category in expert.categories
            and expert.serves(prefecture)
            and expert.id not in load.ringing
            and load.active_calls.get(expert.id, 0) < expert.max_concurrent_calls
            and roster.on_duty(expert.id, at)
        ):
            chosen.append(expert)

    def fairness(expert: Expert) -> tuple[bool, datetime, str]:
        offered = load.last_offered.get(expert.id)
        if offered is None:
            return (False, _NEVER, expert.id)
        return (True, offered.astimezone(UTC), expert.id)

    return sorted(chosen, key=fairness)


def experts_on_duty(
    experts: Iterable[Expert],
    roster: DutyRoster,
    category: str,
    prefecture: str | None,
    at: datetime,
    load: ExpertLoad,
) -> list[tuple[Expert, bool]]:
    """Everyone on duty for this category and caller, each with whether a call can be offered now:
    the free ones first in the order they would be tried, then the busy ones by id."""
    free = available_experts(experts, roster, category, prefecture, at, load)
    free_ids = {expert.id for expert in free}
    busy = sorted(
        (
            expert
            for expert in experts
            if expert.id not in free_ids
            and category in expert.categories
            and expert.serves(prefecture)
            and roster.on_duty(expert.id, at)
        ),
        key=lambda expert: expert.id,
    )
    return [(expert, True) for expert in free] + [(expert, False) for expert in busy]


# -- experts as stored, and their CSV -----------------------------------------------------------------

EXPERT_CSV_COLUMNS: Final = (
    "id",
    "name",
    "kind",
    "organisation",
    "phones",
    "categories",
    "prefectures",
    "max_concurrent_calls",
)
# Inside one field: commas already separate the fields, and spreadsheets quote them inconsistently.
LIST_SEPARATOR: Final = ";"


class ExpertInvalidError(RosterError):
    """An expert's data (or a CSV of experts) is not valid; a RosterError so one except catches both."""

    code = "expert-invalid"
    http_status = 422


class ExpertExistsError(CallCenterError):
    code = "expert-exists"
    http_status = 409


@dataclass(frozen=True)
class StoredExpert:
    expert: Expert
    # Inactive experts are never offered a call, but their id stays: call history refers to it.
    active: bool
    # Starts at 1 and grows by one at every change; an update names the version it was based on.
    version: int


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


def _parse_kind(text: str, problems: list[str]) -> ExpertKind | None:
    try:
        return ExpertKind(text.lower())
    except ValueError:
        known = ", ".join(kind.value for kind in ExpertKind)
        problems.append(f"kind: expected one of {known}, got {text!r}")
        return None


def _parse_max_calls(text: str, problems: list[str]) -> int | None:
    if not text:
        # A spreadsheet column left empty means the usual: one call at a time.
        return 1
    if text.isascii() and text.isdigit():
        return int(text)
    problems.append(f"max_concurrent_calls: expected a whole number >= 1, got {text!r}")
    return None


def parse_experts_csv(text: str, check: Callable[[Expert], Iterable[str]] | None = None) -> list[Expert]:
    """Experts from rows of :data:`EXPERT_CSV_COLUMNS` (columns in any order; lists separated by ``;``).

    Like :func:`parse_roster_csv`: blank rows are skipped, every problem is reported with its physical line
    number in ``details["errors"]``, and ``check`` adds the caller's own problems (e.g. unknown codes). An
    id given twice is an error: which of the two rows was meant cannot be guessed.
    """
    header: list[str] | None = None
    experts: list[Expert] = []
    first_line: dict[str, int] = {}
    errors: list[dict[str, Any]] = []
    for line, fields in csv_rows(text, ExpertInvalidError, "the experts CSV"):
        if not any(fields):
            continue
        if header is None:
            header = fields
            header_problems = _header_problems(header, EXPERT_CSV_COLUMNS)
            if header_problems:
                _raise_errors(
                    [{"line": line, "problem": problem} for problem in header_problems],
                    "experts CSV",
                    ExpertInvalidError,
                )
            continue
        if len(fields) != len(header):
            errors.append({"line": line, "problem": f"expected {len(header)} fields, got {len(fields)}"})
            continue
        values = dict(zip(header, fields, strict=True))
        problems: list[str] = []
        expert_id = values["id"]
        if expert_id in first_line:
            problems.append(f"expert {expert_id} is already on line {first_line[expert_id]}")
        else:
            first_line[expert_id] = line
        kind = _parse_kind(values["kind"], problems)
        max_calls = _parse_max_calls(values["max_concurrent_calls"], problems)
        if not problems and kind is not None and max_calls is not None:
            try:
                expert = Expert(
                    id=expert_id,
                    name=values["name"],
                    kind=kind,
                    organisation=values["organisation"],
                    phones=tuple(_split_list(values["phones"])),
                    categories=frozenset(_split_list(values["categories"])),
                    prefectures=frozenset(_split_list(values["prefectures"])),
                    max_concurrent_calls=max_calls,
                )
            except RosterError as error:
                problems.append(error.message)
            else:
                experts.append(expert)
                if check is not None:
                    problems.extend(check(expert))
        errors.extend({"line": line, "problem": problem} for problem in problems)
    if header is None:
        _raise_errors(
            [{"line": 1, "problem": "missing header " + ",".join(EXPERT_CSV_COLUMNS)}],
            "experts CSV",
            ExpertInvalidError,
        )
    if errors:
        _raise_errors(errors, "experts CSV", ExpertInvalidError)
    return experts


def experts_to_csv(experts: Iterable[Expert]) -> str:
    """The CSV :func:`parse_experts_csv` reads back; sets are written sorted so exports diff cleanly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPERT_CSV_COLUMNS)
    for expert in experts:
        writer.writerow(
            (
                expert.id,
                expert.name,
                expert.kind.value,
                expert.organisation,
                LIST_SEPARATOR.join(expert.phones),
                LIST_SEPARATOR.join(sorted(expert.categories)),
                LIST_SEPARATOR.join(sorted(expert.prefectures)),
                expert.max_concurrent_calls,
            )
        )
    return out.getvalue()

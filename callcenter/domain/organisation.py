"""Handling units (承办单位) in their hierarchy, the users of the work-order system, and the default unit of
a consultation category. Pure: the store and the services call these checks."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from callcenter.domain.access import UNIT_ROLES, Role
from callcenter.domain.csvfiles import csv_rows
from callcenter.errors import CallCenterError

UNIT_CODE: Final = re.compile(r"[a-z0-9-]+")
USERNAME: Final = re.compile(r"[a-z0-9][a-z0-9._-]*")
AGENT_ID: Final = re.compile(r"[0-9]{3,8}")
# What the store's columns hold (callcenter/store/models.py UnitRecord, UserRecord).
MAX_CODE: Final = 32
MAX_UNIT_NAME: Final = 128
MAX_USERNAME: Final = 32
MAX_DISPLAY_NAME: Final = 64
MIN_PASSWORD: Final = 10
MAX_PASSWORD: Final = 256

UNIT_CSV_COLUMNS: Final = ("code", "name", "level", "parent", "head")
_REQUIRED_UNIT_COLUMNS: Final = ("code", "name", "level", "parent")


class UnitInvalidError(CallCenterError):
    code = "unit-invalid"
    http_status = 422


class UnitExistsError(CallCenterError):
    code = "unit-exists"
    http_status = 409


class UnitInUseError(CallCenterError):
    code = "unit-in-use"
    http_status = 409


class UnknownUnitError(CallCenterError):
    code = "unknown-unit"
    http_status = 422


class UserInvalidError(CallCenterError):
    code = "user-invalid"
    http_status = 422


class UserExistsError(CallCenterError):
    code = "user-exists"
    http_status = 409


class PasswordInvalidError(CallCenterError):
    code = "password-invalid"
    http_status = 422


class UnitLevel(StrEnum):
    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    # Legal aid centres, notary offices, mediation committees, judicial offices.
    OFFICE = "office"


_RANK: Final = {UnitLevel.PROVINCE: 0, UnitLevel.PREFECTURE: 1, UnitLevel.COUNTY: 2, UnitLevel.OFFICE: 3}


@dataclass(frozen=True)
class Unit:
    """A handling unit. Every unit but a province has a parent of a higher level (an office may also sit
    under another office: a mediation committee under a judicial office). ``head`` is a username."""

    code: str
    name: str
    level: UnitLevel
    parent: str | None = None
    head: str | None = None

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise UnitInvalidError(f"unit {self.code}: " + "; ".join(problems), details={"unit": self.code})

    def problems(self) -> list[str]:
        problems: list[str] = []
        if not UNIT_CODE.fullmatch(self.code) or len(self.code) > MAX_CODE:
            problems.append(f"code must be lower-case letters, digits and '-', at most {MAX_CODE}")
        if not self.name.strip() or len(self.name) > MAX_UNIT_NAME:
            problems.append(f"name must be 1 to {MAX_UNIT_NAME} characters")
        if self.level is UnitLevel.PROVINCE and self.parent is not None:
            problems.append("a province unit has no parent")
        if self.level is not UnitLevel.PROVINCE and self.parent is None:
            problems.append(f"a {self.level.value} unit needs a parent unit")
        if self.parent is not None and self.parent == self.code:
            problems.append("a unit cannot be its own parent")
        if self.head is not None and not USERNAME.fullmatch(self.head):
            problems.append("head must be a username")
        return problems


@dataclass(frozen=True)
class StoredUnit:
    unit: Unit
    active: bool
    version: int


def hierarchy_problems(unit: Unit, units: Mapping[str, Unit]) -> list[str]:
    """What is wrong with ``unit`` among ``units`` (by code; the unit's own old version may be there)."""
    if unit.parent is None:
        return []
    parent = units.get(unit.parent)
    if parent is None:
        return [f"parent unit {unit.parent} does not exist"]
    problems: list[str] = []
    if not (_RANK[parent.level] < _RANK[unit.level] or parent.level is unit.level is UnitLevel.OFFICE):
        problems.append(
            f"a {unit.level.value} unit cannot sit under the {parent.level.value} unit {parent.code}"
        )
    # Walking up from the parent must never reach the unit itself.
    seen = {unit.code}
    code: str | None = unit.parent
    while code is not None:
        if code in seen:
            problems.append(f"parent {unit.parent} is {unit.code} itself or below it")
            break
        seen.add(code)
        above = units.get(code)
        code = None if above is None else above.parent
    return problems


@dataclass(frozen=True)
class User:
    """A user of the work-order system; the password lives only in the store, as an argon2 hash."""

    username: str
    display_name: str
    role: Role
    unit: str | None = None
    agent_id: str | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not USERNAME.fullmatch(self.username) or len(self.username) > MAX_USERNAME:
            problems.append(
                f"username must be lower-case letters, digits, '.', '_' and '-', at most {MAX_USERNAME}"
            )
        if not self.display_name.strip() or len(self.display_name) > MAX_DISPLAY_NAME:
            problems.append(f"display name must be 1 to {MAX_DISPLAY_NAME} characters")
        if self.role in UNIT_ROLES and self.unit is None:
            problems.append(f"a {self.role.value} belongs to a unit")
        if self.role is Role.AGENT and self.agent_id is None:
            problems.append("an agent needs the agent id of the hotline configuration")
        if self.role is not Role.AGENT and self.agent_id is not None:
            problems.append("only agents have an agent id")
        if self.agent_id is not None and not AGENT_ID.fullmatch(self.agent_id):
            problems.append("agent id must be 3 to 8 digits")
        if problems:
            raise UserInvalidError(
                f"user {self.username}: " + "; ".join(problems),
                details={"username": self.username, "problems": problems},
            )


@dataclass(frozen=True)
class StoredUser:
    id: int
    user: User
    active: bool
    version: int
    # Bumped when the password is reset: every token signed before stops working.
    session_version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: who did (or read) what, on which subject, when."""

    at: datetime
    user_id: int | None
    username: str
    role: str
    action: str
    subject_type: str
    subject_id: str
    fields: tuple[str, ...]
    id: int | None = None


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise PasswordInvalidError(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters",
            details={"min_length": MIN_PASSWORD, "max_length": MAX_PASSWORD},
        )


# -- default unit of a consultation ----------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingRule:
    """Orders of ``category`` (from ``prefecture``, or from anywhere when None) go to ``unit`` by default."""

    category: str
    unit: str
    prefecture: str | None = None


def default_unit(rules: Iterable[RoutingRule], category: str, prefecture: str | None) -> str | None:
    """The unit of the most specific rule: category and prefecture, else category alone; None when no rule
    applies (the dispatcher picks the unit by hand)."""
    general: str | None = None
    for rule in rules:
        if rule.category != category:
            continue
        if rule.prefecture is None:
            general = general or rule.unit
        elif prefecture is not None and rule.prefecture == prefecture:
            return rule.unit
    return general


@dataclass(frozen=True)
class UnitRouting:
    rules: tuple[RoutingRule, ...] = ()

    def default_unit(self, category: str, prefecture: str | None) -> str | None:
        return default_unit(self.rules, category, prefecture)

    @property
    def units(self) -> frozenset[str]:
        return frozenset(rule.unit for rule in self.rules)


# -- CSV ---------------------------------------------------------------------------------------------------


def parse_units_csv(text: str) -> list[Unit]:
    """Units from rows of :data:`UNIT_CSV_COLUMNS` (any order; ``head`` may be left out; empty parent or
    head is none). Blank rows are skipped; every problem is reported with its line in
    ``details["errors"]``; a code given twice is an error. The hierarchy is checked by the caller, who
    knows the units already stored."""
    header: list[str] | None = None
    units: list[Unit] = []
    first_line: dict[str, int] = {}
    errors: list[dict[str, Any]] = []
    for line, fields in csv_rows(text, UnitInvalidError, "the units CSV"):
        if not any(fields):
            continue
        if header is None:
            header = [field.lower() for field in fields]
            missing = [column for column in _REQUIRED_UNIT_COLUMNS if column not in header]
            unknown = [column for column in header if column not in UNIT_CSV_COLUMNS]
            if missing or unknown or len(set(header)) != len(header):
                raise UnitInvalidError(
                    "the units CSV header must name the columns " + ",".join(UNIT_CSV_COLUMNS),
                    details={"errors": [{"line": line, "problem": f"missing {missing}, unknown {unknown}"}]},
                )
            continue
        if len(fields) != len(header):
            errors.append({"line": line, "problem": f"expected {len(header)} fields, got {len(fields)}"})
            continue
        values = dict(zip(header, fields, strict=True))
        code = values["code"]
        if code in first_line:
            errors.append({"line": line, "problem": f"unit {code} is already on line {first_line[code]}"})
            continue
        first_line[code] = line
        try:
            level = UnitLevel(values["level"])
        except ValueError:
            levels = ", ".join(level.value for level in UnitLevel)
            errors.append({"line": line, "problem": f"unknown level {values['level']!r}; use {levels}"})
            continue
        try:
            units.append(
                Unit(
                    code=code,
                    name=values["name"],
                    level=level,
                    parent=values["parent"] or None,
                    head=values.get("head") or None,
                )
            )
        except UnitInvalidError as error:
            errors.append({"line": line, "problem": error.message})
    if header is None:
        raise UnitInvalidError(
            "the units CSV is empty",
            details={"errors": [{"line": 1, "problem": "missing header " + ",".join(UNIT_CSV_COLUMNS)}]},
        )
    if errors:
        raise UnitInvalidError(f"{len(errors)} problems in the units CSV", details={"errors": errors})
    return units


def units_to_csv(units: Sequence[Unit]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(UNIT_CSV_COLUMNS)
    for unit in units:
        writer.writerow((unit.code, unit.name, unit.level.value, unit.parent or "", unit.head or ""))
    return out.getvalue()

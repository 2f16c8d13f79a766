"""Who may do and see what: roles, the signed-in principal, unit scope and the privacy of phone numbers.

Pure: the web layer turns a bearer token into a :class:`Principal`; everything here decides from it.

Unit scope
    A unit handler or unit head sees the work orders of their own unit and of every unit below it (a county
    bureau sees its legal aid centre's and its mediation committees' orders). Supervisors and admins see
    every order. Agents and experts have no unit scope: what they see of orders is decided by the
    work-order rules (the orders they took or were asked about), not by the unit tree.

Phone numbers
    Agents, supervisors and admins see callers' full numbers: they call back. A unit handler or unit head
    sees the full number of an order that is within their unit scope (their unit, or one below it, handles
    it), since they reply to the caller; masked elsewhere. Experts never see it (the hotline connects
    them; the caller's number is not theirs to keep). Every read of a full number is recorded in the audit
    log by the API that shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol, overload

from callcenter.errors import CallCenterError


class Role(StrEnum):
    AGENT = "agent"
    EXPERT = "expert"
    UNIT_HANDLER = "unit-handler"
    UNIT_HEAD = "unit-head"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


# Roles that act for a handling unit: a user with one of them must belong to a unit.
UNIT_ROLES: Final = frozenset({Role.UNIT_HANDLER, Role.UNIT_HEAD})
# Roles that see every unit's orders.
ALL_UNITS_ROLES: Final = frozenset({Role.SUPERVISOR, Role.ADMIN})
# Roles that always see callers' full numbers.
FULL_PHONE_ROLES: Final = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})

# The username the bootstrap administrator (the admin token) acts under in the audit log.
ADMIN_TOKEN_USERNAME: Final = "admin-token"


class LoginRequiredError(CallCenterError):
    code = "login-required"
    http_status = 401


class RoleForbiddenError(CallCenterError):
    code = "role-forbidden"
    http_status = 403


class LoginFailedError(CallCenterError):
    code = "login-failed"
    http_status = 401


class TooManyAttemptsError(CallCenterError):
    code = "too-many-attempts"
    http_status = 429


@dataclass(frozen=True)
class Principal:
    """Who makes a request. ``user_id`` None is the bootstrap administrator (the admin token)."""

    user_id: int | None
    username: str
    role: Role
    unit: str | None = None
    agent_id: str | None = None
    display_name: str = ""

    @property
    def is_bootstrap_admin(self) -> bool:
        return self.user_id is None


BOOTSTRAP_ADMIN: Final = Principal(
    user_id=None, username=ADMIN_TOKEN_USERNAME, role=Role.ADMIN, display_name="admin token"
)


def require_role(principal: Principal, roles: Iterable[Role]) -> None:
    """Raise 403 role-forbidden unless the principal has one of ``roles``."""
    allowed = frozenset(roles)
    if principal.role not in allowed:
        raise RoleForbiddenError(
            f"role {principal.role.value} may not do this",
            details={"role": principal.role.value, "allowed": sorted(role.value for role in allowed)},
        )


class Auditor(Protocol):
    """Where personal-data reads and supervisors' acts are recorded (the organisation service)."""

    async def record(
        self, principal: Principal, action: str, subject_type: str, subject_id: str | int, fields: list[str]
    ) -> None: ...


class NotYourAgentError(CallCenterError):
    code = "not-your-agent"
    http_status = 403


# Who may act for a triage agent (log them in, pause them, classify or transfer their call).
AGENT_MANAGERS: Final = frozenset({Role.SUPERVISOR, Role.ADMIN})


def require_acting_for_agent(principal: Principal, agent_id: str) -> None:
    """Agents act for themselves only; supervisors and administrators for any agent (403 otherwise)."""
    require_role(principal, AGENT_MANAGERS | {Role.AGENT})
    if principal.role is Role.AGENT and principal.agent_id != agent_id:
        raise NotYourAgentError(
            "An agent acts for their own agent id only",
            details={"agent_id": agent_id, "yours": principal.agent_id},
        )


# -- unit scope ------------------------------------------------------------------------------------------


def unit_and_descendants(code: str, parents: Mapping[str, str | None]) -> frozenset[str]:
    """``code`` and every unit below it; ``parents`` maps each unit's code to its parent's code.

    A code not in ``parents`` still stands for itself (a unit deleted since: its own orders stay visible).
    Cycles, which the store refuses, cannot loop here.
    """
    children: dict[str, list[str]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found = {code}
    pending = [code]
    while pending:
        for child in children.get(pending.pop(), ()):
            if child not in found:
                found.add(child)
                pending.append(child)
    return frozenset(found)


def unit_scope(principal: Principal, parents: Mapping[str, str | None]) -> frozenset[str] | None:
    """The units whose orders the principal sees by the unit tree: None means every unit.

    Unit handlers and heads: their unit and its descendants (none without a unit). Agents and experts:
    no unit (their access to orders follows other rules).
    """
    if principal.role in ALL_UNITS_ROLES:
        return None
    if principal.role in UNIT_ROLES and principal.unit is not None:
        return unit_and_descendants(principal.unit, parents)
    return frozenset()


def in_scope(scope: frozenset[str] | None, order_units: Iterable[str]) -> bool:
    """Whether an order handled by ``order_units`` is within ``scope`` (from :func:`unit_scope`)."""
    if scope is None:
        return True
    return any(unit in scope for unit in order_units)


# -- phone numbers ---------------------------------------------------------------------------------------


def may_see_phone(role: Role, *, order_in_scope: bool = False) -> bool:
    """Whether ``role`` sees a caller's full number (see the module's rule).

    ``order_in_scope``: for unit handlers and heads, whether the order is within their unit scope
    (:func:`in_scope`); ignored for the other roles.
    """
    if role in FULL_PHONE_ROLES:
        return True
    if role in UNIT_ROLES:
        return order_in_scope
    return False


_MOBILE: Final = re.compile(r"(\+?86)?(1[0-9]{2})([0-9]{4})([0-9]{4})")
# Beijing, Tianjin, Shanghai, Chongqing and the 02x cities have 3-digit area codes, the rest 4 digits.
_LANDLINE_3: Final = re.compile(r"(0(?:10|2[0-9]))([0-9]{7,8})")
_LANDLINE_4: Final = re.compile(r"(0[3-9][0-9]{2})([0-9]{7,8})")
_SEPARATORS: Final = re.compile(r"[\s()\-]")


@overload
def mask_phone(number: str) -> str: ...
@overload
def mask_phone(number: None) -> None: ...
def mask_phone(number: str | None) -> str | None:
    """A number as shown to someone who may not see it in full.

    Mobiles keep the first three and last four digits (139****2345, +86 kept); landlines keep their area
    code and the last two digits of the local number (0991*****67); anything else keeps at most its last
    two characters. Separators (spaces, dashes, brackets) are dropped.
    """
    if number is None:
        return None
    digits = _SEPARATORS.sub("", number)
    if not digits:
        return digits
    mobile = _MOBILE.fullmatch(digits)
    if mobile:
        prefix, head, _middle, tail = mobile.groups()
        return f"{prefix or ''}{head}****{tail}"
    landline = _LANDLINE_3.fullmatch(digits) or _LANDLINE_4.fullmatch(digits)
    if landline:
        area, local = landline.groups()
        return area + "*" * (len(local) - 2) + local[-2:]
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 2) + digits[-2:]

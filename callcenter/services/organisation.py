"""Handling units, users, logins and the audit log of reads of personal data.

Passwords are hashed with argon2 (in a worker thread: a hash takes tens of milliseconds of CPU). A login
gives a bearer token signed with a key made once per data directory (itsdangerous); it expires after the
configured time and stops working when the user is deactivated or their password is reset.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, NoReturn, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from callcenter.clock import Clock
from callcenter.domain.access import (
    LoginFailedError,
    LoginRequiredError,
    Principal,
    Role,
    TooManyAttemptsError,
    in_scope,
    may_see_phone,
    unit_scope,
)
from callcenter.domain.organisation import (
    AuditEntry,
    StoredUnit,
    StoredUser,
    Unit,
    UnitInUseError,
    User,
    UserInvalidError,
    check_password,
    parse_units_csv,
    units_to_csv,
)
from callcenter.errors import NotFoundError
from callcenter.hotline import HotlineConfig
from callcenter.store.organisation import OrganisationRepository

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_SUBJECT_TYPE: Final = 32
MAX_SUBJECT_ID: Final = 64


# -- passwords, tokens, the login limit ------------------------------------------------------------------


class Passwords:
    """argon2id hashes, computed off the event loop."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        def verify() -> bool:
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(verify)

    async def waste_time(self, password: str) -> None:
        """As long as a real verification: an unknown username must not answer faster than a known one."""
        if self._dummy is None:
            self._dummy = await self.hash(secrets.token_urlsafe(16))
        await self.verify(self._dummy, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


class SessionTokens:
    """Signed, expiring bearer tokens carrying a user id and the user's session version."""

    SALT: Final = "cc12348-session"

    def __init__(self, secret: str, ttl_seconds: int, now: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("the session key must not be empty")
        self._ttl = ttl_seconds
        self._now = now

        class _Signer(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(now())

        self._serializer = URLSafeTimedSerializer(secret, salt=self.SALT, signer=_Signer)

    @property
    def ttl_seconds(self) -> int:
        return self._ttl

    def issue(self, user_id: int, session_version: int) -> IssuedToken:
        issued = int(self._now())
        token = self._serializer.dumps({"u": user_id, "v": session_version})
        return IssuedToken(token, datetime.fromtimestamp(issued + self._ttl, UTC))

    def read(self, token: str) -> tuple[int, int]:
        """(user id, session version); 401 login-required when expired, tampered with or not ours."""
        try:
            payload: Any = self._serializer.loads(token, max_age=self._ttl)
        except SignatureExpired as error:
            raise LoginRequiredError(
                "The session has expired: log in again", details={"reason": "expired"}
            ) from error
        except BadSignature as error:
            raise LoginRequiredError("The token is not valid", details={"reason": "invalid-token"}) from error
        if (
            not isinstance(payload, dict)
            or not isinstance(payload.get("u"), int)
            or not isinstance(payload.get("v"), int)
        ):
            raise LoginRequiredError("The token is not valid", details={"reason": "invalid-token"})
        return payload["u"], payload["v"]


class LoginLimiter:
    """At most ``max_failures`` failed logins per key (username and client) in ``window_seconds``.

    In memory, per process: enough to make guessing slow; keys are forgotten oldest first beyond
    ``max_keys``, so a flood of usernames cannot exhaust memory.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window_seconds: float = 900.0,
        now: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._now = now
        self._max_keys = max_keys
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        horizon = self._now() - self._window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def check(self, key: tuple[str, str]) -> None:
        failures = self._recent(key)
        if len(failures) >= self._max:
            retry_after = max(1, int(failures[0] + self._window - self._now()) + 1)
            raise TooManyAttemptsError(
                "Too many failed logins: try again later",
                details={"retry_after_seconds": retry_after},
            )

    def failure(self, key: tuple[str, str]) -> None:
        failures = self._recent(key)
        failures.append(self._now())
        self._failures[key] = failures
        self._failures.move_to_end(key)
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

    def success(self, key: tuple[str, str]) -> None:
        self._failures.pop(key, None)


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    user: StoredUser


def principal_of(stored: StoredUser) -> Principal:
    user = stored.user
    return Principal(
        user_id=stored.id,
        username=user.username,
        role=user.role,
        unit=user.unit,
        agent_id=user.agent_id,
        display_name=user.display_name,
    )


# -- the service ----------------------------------------------------------------------------------------


class OrganisationService:
    def __init__(
        self,
        repository: OrganisationRepository,
        hotline: HotlineConfig,
        tokens: SessionTokens,
        passwords: Passwords | None = None,
        limiter: LoginLimiter | None = None,
        clock: Clock | None = None,
        cache_seconds: float = 30.0,
    ) -> None:
        """``cache_seconds`` bounds how stale the unit tree used for scopes can be after a write made
        elsewhere (another process); this service's own writes apply at once."""
        self._repository = repository
        self._hotline = hotline
        self._routing = hotline.unit_routing
        self._tokens = tokens
        self._passwords = passwords or Passwords()
        self._limiter = limiter or LoginLimiter()
        self._clock = clock or Clock()
        self._cache_seconds = cache_seconds
        self._parents: dict[str, str | None] | None = None
        self._parents_at = 0.0

    @property
    def tokens(self) -> SessionTokens:
        return self._tokens

    async def _write(self, operation: Awaitable[T]) -> T:
        try:
            return await operation
        finally:
            self._parents = None

    # -- units -----------------------------------------------------------------------------------------

    async def list_units(self, include_inactive: bool = False) -> list[StoredUnit]:
        return await self._repository.list_units(include_inactive)

    async def get_unit(self, code: str) -> StoredUnit:
        stored = await self._repository.get_unit(code)
        if stored is None:
            raise NotFoundError(f"no unit {code}", details={"unit": code})
        return stored

    async def create_unit(self, unit: Unit) -> StoredUnit:
        stored = await self._write(self._repository.create_unit(unit))
        log.info("Unit %s (%s) created", unit.code, unit.level.value)
        return stored

    def _check_not_routed(self, code: str) -> None:
        entries = [rule for rule in self._routing.rules if rule.unit == code]
        if entries:
            raise UnitInUseError(
                f"unit {code} is the default unit of routing entries of the hotline configuration",
                details={
                    "unit": code,
                    "routing": [{"category": r.category, "prefecture": r.prefecture} for r in entries],
                },
            )

    async def update_unit(self, unit: Unit, expected_version: int, active: bool | None = None) -> StoredUnit:
        if active is False:
            self._check_not_routed(unit.code)
        stored = await self._write(self._repository.update_unit(unit, expected_version, active))
        log.info("Unit %s updated to version %s", unit.code, stored.version)
        return stored

    async def deactivate_unit(self, code: str) -> StoredUnit:
        self._check_not_routed(code)
        return await self._write(self._repository.deactivate_unit(code))

    async def import_units_csv(self, text: str) -> int:
        """Create or update every unit of the file (by code), all or none; others are left alone."""
        units = parse_units_csv(text)
        await self._write(self._repository.upsert_units(units))
        return len(units)

    async def export_units_csv(self) -> str:
        return units_to_csv([stored.unit for stored in await self._repository.list_units()])

    async def unit_parents(self) -> dict[str, str | None]:
        """Every unit's parent code (for unit scopes), from memory for up to ``cache_seconds``."""
        if self._parents is None or time.monotonic() - self._parents_at > self._cache_seconds:
            self._parents = await self._repository.unit_parents()
            self._parents_at = time.monotonic()
        return self._parents

    # -- routing ---------------------------------------------------------------------------------------

    async def check_routing(self) -> list[str]:
        """The routing's unit codes that are not active units in the store (logged); [] when all are."""
        active = {stored.unit.code for stored in await self._repository.list_units()}
        missing = sorted(self._routing.units - active)
        if missing:
            log.warning(
                "The hotline routing names units that are unknown or inactive: %s; orders of those "
                "categories wait for a unit chosen by hand",
                ", ".join(missing),
            )
        return missing

    async def default_unit(self, category: str, prefecture: str | None) -> str | None:
        """The configured default unit of a new order, if it is an active unit; else None (by hand)."""
        code = self._routing.default_unit(category, prefecture)
        if code is None:
            return None
        stored = await self._repository.get_unit(code)
        if stored is None or not stored.active:
            log.warning("Default unit %s of category %s is unknown or inactive", code, category)
            return None
        return code

    # -- users -----------------------------------------------------------------------------------------

    def _check_user(self, user: User) -> None:
        if user.agent_id is not None and self._hotline.agent(user.agent_id) is None:
            known = [agent.id for agent in self._hotline.agents]
            raise UserInvalidError(
                f"user {user.username}: agent {user.agent_id} is not in the hotline configuration",
                details={"username": user.username, "agent_id": user.agent_id, "known": known},
            )

    async def list_users(self, include_inactive: bool = False) -> list[StoredUser]:
        return await self._repository.list_users(include_inactive)

    async def get_user(self, username: str) -> StoredUser:
        found = await self._repository.find_user(username)
        if found is None:
            raise NotFoundError(f"no user {username}", details={"username": username})
        return found[0]

    async def create_user(self, user: User, password: str) -> StoredUser:
        self._check_user(user)
        check_password(password)
        stored = await self._repository.create_user(user, await self._passwords.hash(password))
        log.info("User %s (%s) created", user.username, user.role.value)
        return stored

    async def update_user(self, user: User, expected_version: int, active: bool | None = None) -> StoredUser:
        self._check_user(user)
        stored = await self._repository.update_user(user, expected_version, active)
        log.info("User %s updated to version %s", user.username, stored.version)
        return stored

    async def deactivate_user(self, username: str) -> StoredUser:
        """The user can no longer log in, and their tokens stop working; idempotent."""
        stored = await self.get_user(username)
        if not stored.active:
            return stored
        return await self.update_user(stored.user, stored.version, active=False)

    async def reset_password(self, username: str, password: str) -> StoredUser:
        """A new password; every session of the user ends."""
        check_password(password)
        stored = await self._repository.set_password(
            username, await self._passwords.hash(password), end_sessions=True
        )
        log.info("Password of user %s reset", username)
        return stored

    async def has_organisation(self) -> bool:
        """Whether any unit or user was ever stored."""
        return await self._repository.count_units() > 0 or await self._repository.count_users() > 0

    # -- logins ----------------------------------------------------------------------------------------

    async def login(self, username: str, password: str, client: str) -> LoginResult:
        """A token for the right username and password of an active user; the same 401 login-failed
        otherwise, and 429 too-many-attempts after repeated failures from one client for one username."""
        username = username.strip().lower()
        key = (username[:64], client)
        self._limiter.check(key)
        found = await self._repository.find_user(username) if username else None
        if found is None:
            await self._passwords.waste_time(password)
            return self._failed(key)
        stored, password_hash = found
        # An inactive user learns nothing more than a wrong password would tell them.
        if not await self._passwords.verify(password_hash, password) or not stored.active:
            return self._failed(key)
        self._limiter.success(key)
        if self._passwords.needs_rehash(password_hash):
            await self._repository.set_password(
                username, await self._passwords.hash(password), end_sessions=False
            )
        await self._repository.record_login(stored.id, self._clock.now())
        issued = self._tokens.issue(stored.id, stored.session_version)
        log.info("User %s logged in from %s", username, client)
        return LoginResult(issued.token, issued.expires_at, stored)

    def _failed(self, key: tuple[str, str]) -> NoReturn:
        self._limiter.failure(key)
        log.info("Failed login for %r from %s", key[0], key[1])
        raise LoginFailedError("Wrong username or password")

    async def authenticate(self, token: str) -> Principal:
        """The principal of a session token; 401 login-required when it is not (or no longer) valid."""
        user_id, session_version = self._tokens.read(token)
        stored = await self._repository.get_user(user_id)
        if stored is None or not stored.active or stored.session_version != session_version:
            raise LoginRequiredError(
                "The session has ended: log in again", details={"reason": "session-ended"}
            )
        return principal_of(stored)

    # -- scope and privacy ------------------------------------------------------------------------------

    async def unit_scope(self, principal: Principal) -> frozenset[str] | None:
        """The units whose orders ``principal`` sees by the unit tree; None is every unit."""
        return unit_scope(principal, await self.unit_parents())

    async def may_see_phone(self, principal: Principal, order_units: Iterable[str]) -> bool:
        """Whether ``principal`` sees the caller's full number on an order handled by ``order_units``."""
        if principal.role in {Role.UNIT_HANDLER, Role.UNIT_HEAD}:
            return may_see_phone(
                principal.role, order_in_scope=in_scope(await self.unit_scope(principal), order_units)
            )
        return may_see_phone(principal.role)

    # -- audit log -------------------------------------------------------------------------------------

    async def record(
        self,
        principal: Principal,
        action: str,
        subject_type: str,
        subject_id: str | int,
        fields: Iterable[str],
    ) -> None:
        subject = str(subject_id)
        if not 0 < len(subject_type) <= MAX_SUBJECT_TYPE or not 0 < len(subject) <= MAX_SUBJECT_ID:
            raise ValueError(f"audit subject {subject_type!r} {subject!r} is empty or too long")
        await self._repository.add_audit(
            AuditEntry(
                at=self._clock.now(),
                user_id=principal.user_id,
                username=principal.username,
                role=principal.role.value,
                action=action,
                subject_type=subject_type,
                subject_id=subject,
                fields=tuple(sorted(set(fields))),
            )
        )

    async def record_read(
        self, principal: Principal, subject_type: str, subject_id: str | int, fields: Iterable[str]
    ) -> None:
        """Record that ``principal`` read ``fields`` (personal data) of a subject, e.g.
        ``await organisation.record_read(principal, "work-order", order.id, ["caller_number"])``.

        Await it before answering: a read that cannot be recorded is not shown.
        """
        await self.record(principal, "read", subject_type, subject_id, fields)

    async def list_audit(
        self,
        *,
        subject_type: str | None = None,
        subject_id: str | None = None,
        username: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditEntry]:
        return await self._repository.list_audit(
            subject_type=subject_type, subject_id=subject_id, username=username, limit=limit, offset=offset
        )


# -- the demo -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    unit: str | None = None


DEMO_USERS: Final = (
    DemoUser("demo-admin", "演示管理员", Role.ADMIN),
    DemoUser("demo-supervisor", "演示督办员", Role.SUPERVISOR),
    DemoUser("demo-agent", "演示坐席", Role.AGENT),
    DemoUser("demo-expert", "演示专家", Role.EXPERT),
    DemoUser("demo-head", "演示单位负责人", Role.UNIT_HEAD, "urumqi-justice"),
    DemoUser("demo-handler", "演示承办人", Role.UNIT_HANDLER, "urumqi-legal-aid"),
)


async def seed_if_empty(
    service: OrganisationService,
    units_csv: Path,
    password_for: Callable[[str], str],
    hotline: HotlineConfig,
) -> bool:
    """Import the demo units and make one demo user per role in a store that has neither; True when it did.

    ``password_for(username)`` gives each demo user's password (the composition root passes
    ``lambda name: settings.generated_secret(f"demo-password-{name}")``: made once, never committed). The
    demo agent is the first agent of the hotline configuration; users of units the file lacks are skipped.
    """
    if await service.has_organisation():
        return False
    text = await asyncio.to_thread(units_csv.read_text, encoding="utf-8")
    imported = await service.import_units_csv(text)
    units = {stored.unit.code: stored for stored in await service.list_units()}
    made: list[str] = []
    for demo in DEMO_USERS:
        agent_id = None
        if demo.role is Role.AGENT:
            if not hotline.agents:
                log.warning("No agent in the hotline configuration: no demo agent user")
                continue
            agent_id = hotline.agents[0].id
        if demo.unit is not None and demo.unit not in units:
            log.warning("Unit %s is not in %s: no demo user %s", demo.unit, units_csv, demo.username)
            continue
        password = await asyncio.to_thread(password_for, demo.username)
        user = User(demo.username, demo.display_name, demo.role, unit=demo.unit, agent_id=agent_id)
        await service.create_user(user, password)
        made.append(demo.username)
        if demo.role is Role.UNIT_HEAD and demo.unit is not None:
            unit = units[demo.unit]
            headed = Unit(
                unit.unit.code, unit.unit.name, unit.unit.level, unit.unit.parent, head=demo.username
            )
            await service.update_unit(headed, unit.version)
    log.info(
        "Seeded %s units from %s and demo users %s (passwords in the data directory's secrets, "
        "files demo-password-<username>)",
        imported,
        units_csv,
        ", ".join(made),
    )
    return True

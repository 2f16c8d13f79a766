"""Handling units, users and the audit log in the store.

Every write holds the database's write gate. Writes that change the unit tree lock the units table on
PostgreSQL and check the whole tree inside the transaction: two concurrent moves could otherwise each
pass their check and together make a cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.domain.access import Role
from callcenter.domain.organisation import (
    AuditEntry,
    StoredUnit,
    StoredUser,
    Unit,
    UnitExistsError,
    UnitInUseError,
    UnitInvalidError,
    UnitLevel,
    UnknownUnitError,
    User,
    UserExistsError,
    hierarchy_problems,
)
from callcenter.errors import NotFoundError, StaleVersionError
from callcenter.store.db import Database
from callcenter.store.models import AuditRecord, UnitRecord, UserRecord

log = logging.getLogger(__name__)


def _unit(record: UnitRecord) -> Unit:
    return Unit(
        code=record.code,
        name=record.name,
        level=UnitLevel(record.level),
        parent=record.parent,
        head=record.head,
    )


def _stored_unit(record: UnitRecord) -> StoredUnit:
    return StoredUnit(unit=_unit(record), active=record.active, version=record.version)


def _unit_values(unit: Unit) -> dict[str, Any]:
    return {"name": unit.name, "level": unit.level.value, "parent": unit.parent, "head": unit.head}


def _stored_user(record: UserRecord) -> StoredUser:
    user = User(
        username=record.username,
        display_name=record.display_name,
        role=Role(record.role),
        unit=record.unit,
        agent_id=record.agent_id,
    )
    return StoredUser(
        id=record.id,
        user=user,
        active=record.active,
        version=record.version,
        session_version=record.session_version,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _user_values(user: User) -> dict[str, Any]:
    return {
        "display_name": user.display_name,
        "role": user.role.value,
        "unit": user.unit,
        "agent_id": user.agent_id,
    }


def _audit(record: AuditRecord) -> AuditEntry:
    return AuditEntry(
        id=record.id,
        at=record.at,
        user_id=record.user_id,
        username=record.username,
        role=record.role,
        action=record.action,
        subject_type=record.subject_type,
        subject_id=record.subject_id,
        fields=tuple(record.fields),
    )


async def _lock_units(session: AsyncSession) -> None:
    # Tree writers queue; plain reads go on. SQLite writers already queue at the write gate.
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("LOCK TABLE units IN SHARE ROW EXCLUSIVE MODE"))


async def _all_units(session: AsyncSession) -> dict[str, UnitRecord]:
    return {record.code: record for record in (await session.execute(select(UnitRecord))).scalars()}


async def _check_tree(session: AsyncSession, changed: Sequence[Unit], records: dict[str, UnitRecord]) -> None:
    """Raise unless the tree with ``changed`` applied is sound: parents exist and are active, levels fit,
    no cycle, heads are users."""
    units = {code: _unit(record) for code, record in records.items()}
    units.update({unit.code: unit for unit in changed})
    heads = {unit.head for unit in changed if unit.head is not None}
    known_heads: set[str] = set()
    if heads:
        query = select(UserRecord.username).where(UserRecord.username.in_(heads))
        known_heads = set((await session.execute(query)).scalars())
    errors: list[dict[str, Any]] = []
    for unit in changed:
        problems = hierarchy_problems(unit, units)
        parent = records.get(unit.parent) if unit.parent else None
        if parent is not None and not parent.active and unit.parent not in {u.code for u in changed}:
            problems.append(f"parent unit {unit.parent} is inactive")
        if unit.head is not None and unit.head not in known_heads:
            problems.append(f"head {unit.head} is not a user")
        errors.extend({"unit": unit.code, "problem": problem} for problem in problems)
    if errors:
        raise UnitInvalidError(
            "; ".join(f"unit {error['unit']}: {error['problem']}" for error in errors),
            details={"errors": errors},
        )


class OrganisationRepository:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessions

    # -- units -----------------------------------------------------------------------------------------

    async def list_units(self, include_inactive: bool = False) -> list[StoredUnit]:
        query = select(UnitRecord).order_by(UnitRecord.code)
        if not include_inactive:
            query = query.where(UnitRecord.active.is_(True))
        async with self._sessions() as session:
            return [_stored_unit(record) for record in (await session.execute(query)).scalars()]

    async def get_unit(self, code: str) -> StoredUnit | None:
        async with self._sessions() as session:
            record: UnitRecord | None = await session.get(UnitRecord, code)
            return None if record is None else _stored_unit(record)

    async def unit_parents(self) -> dict[str, str | None]:
        """Every unit's parent, inactive units included (their orders keep their place in the tree)."""
        async with self._sessions() as session:
            rows = await session.execute(select(UnitRecord.code, UnitRecord.parent))
            return {code: parent for code, parent in rows}

    async def count_units(self) -> int:
        async with self._sessions() as session:
            total: int = (await session.execute(select(func.count()).select_from(UnitRecord))).scalar_one()
            return total

    async def create_unit(self, unit: Unit) -> StoredUnit:
        now = self._database.now()
        async with self._database.write_gate, self._sessions() as session:
            await _lock_units(session)
            records = await _all_units(session)
            if unit.code in records:
                existing = records[unit.code]
                raise UnitExistsError(
                    f"unit {unit.code} already exists",
                    details={"unit": unit.code, "active": existing.active, "version": existing.version},
                )
            await _check_tree(session, [unit], records)
            record = UnitRecord(
                code=unit.code, **_unit_values(unit), active=True, version=1, created_at=now, updated_at=now
            )
            session.add(record)
            try:
                await session.commit()
            except IntegrityError as error:
                raise UnitExistsError(
                    f"unit {unit.code} already exists", details={"unit": unit.code}
                ) from error
            return _stored_unit(record)

    async def update_unit(self, unit: Unit, expected_version: int, active: bool | None = None) -> StoredUnit:
        """Replace the unit if it is still at ``expected_version``; ``active`` None keeps it."""
        async with self._database.write_gate, self._sessions() as session:
            await _lock_units(session)
            records = await _all_units(session)
            record = records.get(unit.code)
            if record is None:
                raise NotFoundError(f"no unit {unit.code}", details={"unit": unit.code})
            if record.version != expected_version:
                raise StaleVersionError(
                    f"unit {unit.code} is at version {record.version}, not {expected_version}: "
                    "read it again and reapply the change",
                    details={
                        "unit": unit.code,
                        "expected_version": expected_version,
                        "current_version": record.version,
                    },
                )
            await _check_tree(session, [unit], records)
            if active is False and record.active:
                await self._check_unused(session, unit.code)
            for name, value in _unit_values(unit).items():
                setattr(record, name, value)
            if active is not None:
                record.active = active
            record.version += 1
            record.updated_at = self._database.now()
            await session.commit()
            return _stored_unit(record)

    async def deactivate_unit(self, code: str) -> StoredUnit:
        """Deactivate a unit with no active unit below it and no active user; idempotent."""
        async with self._database.write_gate, self._sessions() as session:
            await _lock_units(session)
            record: UnitRecord | None = await session.get(UnitRecord, code)
            if record is None:
                raise NotFoundError(f"no unit {code}", details={"unit": code})
            if record.active:
                await self._check_unused(session, code)
                record.active = False
                record.version += 1
                record.updated_at = self._database.now()
                await session.commit()
                log.info("Unit %s deactivated", code)
            return _stored_unit(record)

    @staticmethod
    async def _check_unused(session: AsyncSession, code: str) -> None:
        children = list(
            (
                await session.execute(
                    select(UnitRecord.code).where(UnitRecord.parent == code, UnitRecord.active.is_(True))
                )
            ).scalars()
        )
        users = list(
            (
                await session.execute(
                    select(UserRecord.username).where(UserRecord.unit == code, UserRecord.active.is_(True))
                )
            ).scalars()
        )
        if children or users:
            raise UnitInUseError(
                f"unit {code} still has active units or users",
                details={"unit": code, "units": sorted(children), "users": sorted(users)},
            )

    async def upsert_units(self, units: Sequence[Unit]) -> tuple[int, int]:
        """Create or replace these units (active again if they were not), all or none: (created, changed).

        Unchanged active units keep their version, so importing the same file again disturbs no editor.
        """
        codes = [unit.code for unit in units]
        if len(set(codes)) != len(codes):
            raise UnitInvalidError("a unit is listed twice", details={"units": sorted(codes)})
        now = self._database.now()
        async with self._database.write_gate, self._sessions() as session:
            await _lock_units(session)
            records = await _all_units(session)
            await _check_tree(session, units, records)
            created = changed = 0
            # Parents before children: the foreign key is checked row by row.
            for unit in _parents_first(units):
                values = _unit_values(unit)
                record = records.get(unit.code)
                if record is None:
                    session.add(
                        UnitRecord(
                            code=unit.code, **values, active=True, version=1, created_at=now, updated_at=now
                        )
                    )
                    await session.flush()
                    created += 1
                elif record.active and all(getattr(record, name) == value for name, value in values.items()):
                    continue
                else:
                    for name, value in values.items():
                        setattr(record, name, value)
                    record.active = True
                    record.version += 1
                    record.updated_at = now
                    await session.flush()
                    changed += 1
            try:
                await session.commit()
            except IntegrityError as error:
                raise UnitExistsError(
                    "another writer created some of these units at the same time; import again",
                    details={"units": codes},
                ) from error
        log.info("Imported %s units: %s new, %s changed", len(units), created, changed)
        return created, changed

    # -- users -----------------------------------------------------------------------------------------

    async def list_users(self, include_inactive: bool = False) -> list[StoredUser]:
        query = select(UserRecord).order_by(UserRecord.username)
        if not include_inactive:
            query = query.where(UserRecord.active.is_(True))
        async with self._sessions() as session:
            return [_stored_user(record) for record in (await session.execute(query)).scalars()]

    async def get_user(self, user_id: int) -> StoredUser | None:
        async with self._sessions() as session:
            record: UserRecord | None = await session.get(UserRecord, user_id)
            return None if record is None else _stored_user(record)

    async def find_user(self, username: str) -> tuple[StoredUser, str] | None:
        """The user and their password hash."""
        async with self._sessions() as session:
            query = select(UserRecord).where(UserRecord.username == username)
            record: UserRecord | None = (await session.execute(query)).scalar_one_or_none()
            return None if record is None else (_stored_user(record), record.password_hash)

    async def count_users(self) -> int:
        async with self._sessions() as session:
            total: int = (await session.execute(select(func.count()).select_from(UserRecord))).scalar_one()
            return total

    @staticmethod
    async def _check_user_unit(session: AsyncSession, user: User) -> None:
        if user.unit is None:
            return
        unit: UnitRecord | None = await session.get(UnitRecord, user.unit)
        if unit is None or not unit.active:
            raise UnknownUnitError(
                f"user {user.username}: unit {user.unit} is unknown or inactive",
                details={"username": user.username, "unit": user.unit},
            )

    async def create_user(self, user: User, password_hash: str) -> StoredUser:
        now = self._database.now()
        async with self._database.write_gate, self._sessions() as session:
            await self._check_user_unit(session, user)
            await self._check_free(session, user, None)
            record = UserRecord(
                username=user.username,
                **_user_values(user),
                password_hash=password_hash,
                active=True,
                version=1,
                session_version=1,
                created_at=now,
                updated_at=now,
            )
            session.add(record)
            try:
                await session.commit()
            except IntegrityError as error:
                raise UserExistsError(
                    f"user {user.username} (or agent {user.agent_id}) already exists",
                    details={"username": user.username, "agent_id": user.agent_id},
                ) from error
            return _stored_user(record)

    @staticmethod
    async def _check_free(session: AsyncSession, user: User, user_id: int | None) -> None:
        conditions = [UserRecord.username == user.username]
        if user.agent_id is not None:
            conditions.append(UserRecord.agent_id == user.agent_id)
        query = select(UserRecord).where(or_(*conditions))
        for other in (await session.execute(query)).scalars():
            if other.id == user_id:
                continue
            if other.username == user.username:
                raise UserExistsError(
                    f"user {user.username} already exists",
                    details={"username": user.username, "active": other.active},
                )
            raise UserExistsError(
                f"agent {user.agent_id} is already user {other.username}",
                details={"agent_id": user.agent_id, "username": other.username},
            )

    async def update_user(self, user: User, expected_version: int, active: bool | None = None) -> StoredUser:
        """Replace the user's data (not the username, not the password) if still at ``expected_version``."""
        async with self._database.write_gate, self._sessions() as session:
            # FOR UPDATE: two writers holding the same version cannot both succeed (PostgreSQL; SQLite
            # writers queue at the gate).
            query = select(UserRecord).where(UserRecord.username == user.username).with_for_update()
            record: UserRecord | None = (await session.execute(query)).scalar_one_or_none()
            if record is None:
                raise NotFoundError(f"no user {user.username}", details={"username": user.username})
            if record.version != expected_version:
                raise StaleVersionError(
                    f"user {user.username} is at version {record.version}, not {expected_version}: "
                    "read it again and reapply the change",
                    details={
                        "username": user.username,
                        "expected_version": expected_version,
                        "current_version": record.version,
                    },
                )
            if user.unit != record.unit or (active and not record.active):
                await self._check_user_unit(session, user)
            await self._check_free(session, user, record.id)
            for name, value in _user_values(user).items():
                setattr(record, name, value)
            if active is not None:
                record.active = active
            record.version += 1
            record.updated_at = self._database.now()
            try:
                await session.commit()
            except IntegrityError as error:
                raise UserExistsError(
                    f"agent {user.agent_id} is already another user", details={"agent_id": user.agent_id}
                ) from error
            return _stored_user(record)

    async def set_password(self, username: str, password_hash: str, *, end_sessions: bool) -> StoredUser:
        """Store a new hash; ``end_sessions`` (a reset) makes every earlier token invalid."""
        values: dict[str, Any] = {"password_hash": password_hash}
        if end_sessions:
            values |= {
                "session_version": UserRecord.session_version + 1,
                "version": UserRecord.version + 1,
                "updated_at": self._database.now(),
            }
        statement = (
            update(UserRecord)
            .where(UserRecord.username == username)
            .values(values)
            .returning(UserRecord)
            .execution_options(synchronize_session=False)
        )
        async with self._database.write_gate, self._sessions() as session:
            record: UserRecord | None = (await session.execute(statement)).scalar_one_or_none()
            if record is None:
                raise NotFoundError(f"no user {username}", details={"username": username})
            await session.commit()
            return _stored_user(record)

    async def record_login(self, user_id: int, at: datetime) -> None:
        statement = update(UserRecord).where(UserRecord.id == user_id).values(last_login_at=at)
        async with self._database.write_gate, self._sessions() as session:
            await session.execute(statement)
            await session.commit()

    # -- audit log -------------------------------------------------------------------------------------

    async def add_audit(self, entry: AuditEntry) -> None:
        async with self._database.write_gate, self._sessions() as session:
            session.add(
                AuditRecord(
                    at=entry.at,
                    user_id=entry.user_id,
                    username=entry.username,
                    role=entry.role,
                    action=entry.action,
                    subject_type=entry.subject_type,
                    subject_id=entry.subject_id,
                    fields=list(entry.fields),
                )
            )
            await session.commit()

    async def list_audit(
        self,
        *,
        subject_type: str | None = None,
        subject_id: str | None = None,
        username: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditEntry]:
        """Newest first."""
        query = select(AuditRecord).order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
        if subject_type is not None:
            query = query.where(AuditRecord.subject_type == subject_type)
        if subject_id is not None:
            query = query.where(AuditRecord.subject_id == subject_id)
        if username is not None:
            query = query.where(AuditRecord.username == username)
        async with self._sessions() as session:
            records = (await session.execute(query.limit(limit).offset(offset))).scalars()
            return [_audit(record) for record in records]


def _parents_first(units: Sequence[Unit]) -> list[Unit]:
    """The units ordered so that a parent given in ``units`` comes before its children."""
    by_code = {unit.code: unit for unit in units}
    ordered: list[Unit] = []
    placed: set[str] = set()

    def place(unit: Unit, path: frozenset[str]) -> None:
        if unit.code in placed or unit.code in path:
            return
        parent = by_code.get(unit.parent) if unit.parent else None
        if parent is not None:
            place(parent, path | {unit.code})
        placed.add(unit.code)
        ordered.append(unit)

    for unit in units:
        place(unit, frozenset())
    return ordered

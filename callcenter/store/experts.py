"""Experts and their duty roster in the store.

Every write holds the database's write gate. Writes that touch the roster also lock the roster table on
PostgreSQL: two whole-roster replacements at once would otherwise each delete the rows they saw and
both insert theirs, leaving the union of the two rosters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.domain.experts import (
    Expert,
    ExpertExistsError,
    ExpertInvalidError,
    ExpertKind,
    RosterEntry,
    RosterError,
    StoredExpert,
)
from callcenter.errors import NotFoundError, StaleVersionError
from callcenter.store.db import Database
from callcenter.store.models import ExpertRecord, RosterEntryRecord

log = logging.getLogger(__name__)


def _values(expert: Expert) -> dict[str, Any]:
    """The columns of an expert; sets are stored sorted so that equal experts store equal rows."""
    return {
        "name": expert.name,
        "kind": expert.kind.value,
        "organisation": expert.organisation,
        "phones": list(expert.phones),
        "categories": sorted(expert.categories),
        "prefectures": sorted(expert.prefectures),
        "max_concurrent_calls": expert.max_concurrent_calls,
    }


def _stored(record: ExpertRecord) -> StoredExpert:
    expert = Expert(
        id=record.id,
        name=record.name,
        kind=ExpertKind(record.kind),
        organisation=record.organisation,
        phones=tuple(record.phones),
        categories=frozenset(record.categories),
        prefectures=frozenset(record.prefectures),
        max_concurrent_calls=record.max_concurrent_calls,
    )
    return StoredExpert(expert=expert, active=record.active, version=record.version)


def _entry(record: RosterEntryRecord) -> RosterEntry:
    return RosterEntry(
        expert_id=record.expert_id,
        start=record.start_time,
        end=record.end_time,
        day=record.day,
        weekday=record.weekday,
        working_days=record.working_days,
    )


def _entry_record(entry: RosterEntry) -> RosterEntryRecord:
    return RosterEntryRecord(
        expert_id=entry.expert_id,
        day=entry.day,
        weekday=entry.weekday,
        working_days=entry.working_days,
        start_time=entry.start,
        end_time=entry.end,
    )


async def _lock_roster(session: AsyncSession) -> None:
    # SHARE ROW EXCLUSIVE conflicts with itself and with every row change, not with plain reads: roster
    # writers queue, transfers keep reading. SQLite writers already queue at the write gate.
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("LOCK TABLE roster_entries IN SHARE ROW EXCLUSIVE MODE"))


class ExpertRepository:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessions

    # -- experts ---------------------------------------------------------------------------------------

    async def list_experts(self, include_inactive: bool = False) -> list[StoredExpert]:
        query = select(ExpertRecord).order_by(ExpertRecord.id)
        if not include_inactive:
            query = query.where(ExpertRecord.active.is_(True))
        async with self._sessions() as session:
            return [_stored(record) for record in (await session.execute(query)).scalars()]

    async def get(self, expert_id: str) -> StoredExpert | None:
        async with self._sessions() as session:
            record: ExpertRecord | None = await session.get(ExpertRecord, expert_id)
            return None if record is None else _stored(record)

    async def count(self) -> int:
        """Every expert ever stored, inactive ones included."""
        async with self._sessions() as session:
            total: int = (await session.execute(select(func.count()).select_from(ExpertRecord))).scalar_one()
            return total

    async def create(self, expert: Expert) -> StoredExpert:
        now = self._database.now()
        async with self._database.write_gate, self._sessions() as session:
            existing: ExpertRecord | None = await session.get(ExpertRecord, expert.id)
            if existing is not None:
                raise ExpertExistsError(
                    f"expert {expert.id} already exists",
                    details={"expert": expert.id, "active": existing.active, "version": existing.version},
                )
            record = ExpertRecord(
                id=expert.id, **_values(expert), active=True, version=1, created_at=now, updated_at=now
            )
            session.add(record)
            try:
                await session.commit()
            except IntegrityError as error:
                # Created by someone else between the look-up and the insert (PostgreSQL only).
                raise ExpertExistsError(
                    f"expert {expert.id} already exists", details={"expert": expert.id}
                ) from error
            return _stored(record)

    async def update(self, expert: Expert, expected_version: int, active: bool | None = None) -> StoredExpert:
        """Replace the expert's data if it is still at ``expected_version``; ``active`` None keeps it.

        Deactivating here removes the roster entries, as :meth:`deactivate` does.
        """
        values = _values(expert) | {"version": ExpertRecord.version + 1, "updated_at": self._database.now()}
        if active is not None:
            values["active"] = active
        # One conditional statement: two writers holding the same version cannot both succeed.
        statement = (
            update(ExpertRecord)
            .where(ExpertRecord.id == expert.id, ExpertRecord.version == expected_version)
            .values(values)
            .returning(ExpertRecord)
            .execution_options(synchronize_session=False)
        )
        async with self._database.write_gate, self._sessions() as session:
            if active is False:
                await _lock_roster(session)
            record: ExpertRecord | None = (await session.execute(statement)).scalar_one_or_none()
            if record is None:
                current: ExpertRecord | None = await session.get(ExpertRecord, expert.id)
                if current is None:
                    raise NotFoundError(f"no expert {expert.id}", details={"expert": expert.id})
                raise StaleVersionError(
                    f"expert {expert.id} is at version {current.version}, not {expected_version}: "
                    "read it again and reapply the change",
                    details={
                        "expert": expert.id,
                        "expected_version": expected_version,
                        "current_version": current.version,
                    },
                )
            if active is False:
                await session.execute(
                    delete(RosterEntryRecord).where(RosterEntryRecord.expert_id == expert.id)
                )
            await session.commit()
            return _stored(record)

    async def deactivate(self, expert_id: str) -> StoredExpert:
        """Never offered again and off the roster; the row stays for the history. Idempotent."""
        statement = (
            update(ExpertRecord)
            .where(ExpertRecord.id == expert_id, ExpertRecord.active.is_(True))
            .values(active=False, version=ExpertRecord.version + 1, updated_at=self._database.now())
            .returning(ExpertRecord)
            .execution_options(synchronize_session=False)
        )
        async with self._database.write_gate, self._sessions() as session:
            await _lock_roster(session)
            record: ExpertRecord | None = (await session.execute(statement)).scalar_one_or_none()
            if record is None:
                record = await session.get(ExpertRecord, expert_id)
                if record is None:
                    raise NotFoundError(f"no expert {expert_id}", details={"expert": expert_id})
                return _stored(record)
            removed = await session.execute(
                delete(RosterEntryRecord).where(RosterEntryRecord.expert_id == expert_id)
            )
            await session.commit()
            log.info("Expert %s deactivated, %s roster entries removed", expert_id, _rowcount(removed))
            return _stored(record)

    async def upsert_many(self, experts: Sequence[Expert]) -> int:
        """Create or replace these experts (active again if they were not), all or none.

        Unchanged active experts keep their version, so re-importing the same file disturbs no editor.
        """
        ids = [expert.id for expert in experts]
        if len(set(ids)) != len(ids):
            raise ExpertInvalidError("an expert is listed twice", details={"experts": sorted(ids)})
        now = self._database.now()
        async with self._database.write_gate, self._sessions() as session:
            query = select(ExpertRecord).where(ExpertRecord.id.in_(ids)).with_for_update()
            existing = {record.id: record for record in (await session.execute(query)).scalars()}
            created = changed = 0
            for expert in experts:
                values = _values(expert)
                record = existing.get(expert.id)
                if record is None:
                    session.add(
                        ExpertRecord(
                            id=expert.id, **values, active=True, version=1, created_at=now, updated_at=now
                        )
                    )
                    created += 1
                elif record.active and all(getattr(record, name) == value for name, value in values.items()):
                    continue
                else:
                    for name, value in values.items():
                        setattr(record, name, value)
                    record.active = True
                    record.version += 1
                    record.updated_at = now
                    changed += 1
            try:
                await session.commit()
            except IntegrityError as error:
                raise ExpertExistsError(
                    "another writer created some of these experts at the same time; import again",
                    details={"experts": ids},
                ) from error
        log.info("Imported %s experts: %s new, %s changed", len(experts), created, changed)
        return len(experts)

    # -- roster ----------------------------------------------------------------------------------------

    async def roster(self, expert_id: str | None = None) -> list[RosterEntry]:
        """Entries in the order they were given; all of them, or one expert's."""
        query = select(RosterEntryRecord).order_by(RosterEntryRecord.id)
        if expert_id is not None:
            query = query.where(RosterEntryRecord.expert_id == expert_id)
        async with self._sessions() as session:
            return [_entry(record) for record in (await session.execute(query)).scalars()]

    async def replace_roster(self, entries: Iterable[RosterEntry]) -> int:
        """The whole roster becomes ``entries``, in one transaction: all or nothing."""
        entries = list(entries)
        async with self._database.write_gate, self._sessions() as session:
            await _lock_roster(session)
            active = set(
                (
                    await session.execute(select(ExpertRecord.id).where(ExpertRecord.active.is_(True)))
                ).scalars()
            )
            # Checked again here: an expert may have been deactivated since the caller validated.
            missing = sorted({entry.expert_id for entry in entries} - active)
            if missing:
                raise RosterError(
                    "the roster names experts who are unknown or inactive: " + ", ".join(missing),
                    details={"experts": missing},
                )
            await session.execute(delete(RosterEntryRecord))
            session.add_all(_entry_record(entry) for entry in entries)
            await session.commit()
        log.info("Duty roster replaced: %s entries", len(entries))
        return len(entries)

    async def replace_expert_roster(
        self, expert_id: str, entries: Iterable[RosterEntry]
    ) -> list[RosterEntry]:
        """One expert's entries become ``entries``, in one transaction."""
        entries = list(entries)
        others = sorted({entry.expert_id for entry in entries} - {expert_id})
        if others:
            raise RosterError(
                f"entries for {', '.join(others)} given as the roster of {expert_id}",
                details={"expert": expert_id, "others": others},
            )
        async with self._database.write_gate, self._sessions() as session:
            await _lock_roster(session)
            record: ExpertRecord | None = await session.get(ExpertRecord, expert_id)
            if record is None:
                raise NotFoundError(f"no expert {expert_id}", details={"expert": expert_id})
            if not record.active:
                raise RosterError(
                    f"expert {expert_id} is inactive: reactivate them before rostering them",
                    details={"expert": expert_id},
                )
            await session.execute(delete(RosterEntryRecord).where(RosterEntryRecord.expert_id == expert_id))
            session.add_all(_entry_record(entry) for entry in entries)
            await session.commit()
        return entries


def _rowcount(result: Any) -> int:
    count: int = getattr(result, "rowcount", -1)
    return count

"""Call records: one row per call, merged from every source that knows something about it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import func

from callcenter.domain.calls import CallFacts, StoredCall
from callcenter.store.db import Database
from callcenter.store.models import CallRecord
from callcenter.store.views import RowView

# What a call's row becomes when it leaves the store.
CALLS: Final = RowView(StoredCall, CallRecord)


class CallRepository:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessions

    async def merge(self, facts: CallFacts, correctable: Iterable[str] = ()) -> StoredCall:
        """Insert or complete the call in one statement, so concurrent sources never race.

        A known fact is kept unless it is in ``correctable``; an unknown one is filled in.
        """
        values = facts.known()
        values["updated_at"] = self._database.now()
        correctable = set(correctable)
        async with self._database.write_gate, self._sessions() as session:
            dialect = session.bind.dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = insert(CallRecord).values(created_at=values["updated_at"], **values)
            table = CallRecord.__table__
            updates: dict[str, Any] = {}
            for name in values:
                if name == "linkedid":
                    continue
                if name in correctable or name == "updated_at":
                    updates[name] = statement.excluded[name]
                else:
                    updates[name] = func.coalesce(table.c[name], statement.excluded[name])
            upsert = statement.on_conflict_do_update(index_elements=["linkedid"], set_=updates)
            row = (await session.execute(upsert.returning(*CALLS.columns))).one()
            await session.commit()
            return CALLS.of(row)

    async def update_existing(self, facts: CallFacts, correctable: Iterable[str] = ()) -> StoredCall | None:
        """Complete a call already recorded, in one statement; facts about unknown calls are dropped."""
        correctable = set(correctable)
        table = CallRecord.__table__
        values: dict[str, Any] = {
            name: value if name in correctable else func.coalesce(table.c[name], value)
            for name, value in facts.known().items()
            if name != "linkedid"
        }
        values["updated_at"] = self._database.now()
        statement = (
            update(CallRecord)
            .where(CallRecord.linkedid == facts.linkedid)
            .values(values)
            .returning(*CALLS.columns)
            .execution_options(synchronize_session=False)
        )
        async with self._database.write_gate, self._sessions() as session:
            row = (await session.execute(statement)).one_or_none()
            await session.commit()
            return None if row is None else CALLS.of(row)

    async def get(self, linkedid: str) -> StoredCall | None:
        return await CALLS.one(self._database, CALLS.select().where(CallRecord.linkedid == linkedid))

    async def list(
        self, caller_number: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[StoredCall]:
        query = CALLS.select()
        if caller_number is not None:
            query = query.where(CallRecord.caller_number == caller_number)
        query = (
            query.order_by(CallRecord.started_at.desc().nulls_last(), CallRecord.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return await CALLS.all(self._database, query)

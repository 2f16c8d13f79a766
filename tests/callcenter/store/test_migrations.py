"""Every schema change is an Alembic revision: the migrated database matches the models exactly."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from callcenter.store.db import Database
from callcenter.store.models import Base

# Made by a migration for PostgreSQL only (pg_trgm), deliberately outside the models.
DATABASE_ONLY_INDEXES = {"ix_work_orders_search_text_trgm"}


def _include(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    return not (kind == "index" and name in DATABASE_ONLY_INDEXES)


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": _include})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_build_exactly_the_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
        tables = await connection.run_sync(lambda sync: sync.dialect.get_table_names(sync))
    assert {"calls", "call_legs", "recordings", "ratings", "experts", "roster_entries"} <= set(tables)
    assert differences == []

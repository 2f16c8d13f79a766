"""Engines and sessions for the embedded SQLite default and for PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from callcenter.clock import Clock

# The execution option that carries the app's clock to the models' column defaults (models.app_now).
CLOCK_OPTION = "cc_clock"


def sync_url(database_url: str) -> URL:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite")
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    return url


def async_url(database_url: str) -> URL:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while AGI and AMI write; NORMAL keeps commits off the fsync path.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def ensure_sqlite_directory(database_url: str) -> None:
    """SQLite makes its file but not the directory: a fresh data dir must not fail the first start."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(database_url: str, clock: Clock | None = None) -> AsyncEngine:
    url = async_url(database_url)
    if url.get_backend_name() == "sqlite":
        ensure_sqlite_directory(database_url)
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    # Every statement of this engine sees the clock: created_at/updated_at defaults come from it.
    return engine.execution_options(**{CLOCK_OPTION: clock or Clock()})


def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


@dataclass
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[Any]
    # SQLite has one writer at a time; waiting in its busy handler sleeps up to 100 ms per try, so
    # writers queue here instead. PostgreSQL needs no such gate.
    write_gate: AbstractAsyncContextManager[Any]
    # The app's clock: every instant a repository stamps itself (created, updated, logged in) is its.
    clock: Clock

    @classmethod
    def connect(cls, database_url: str, clock: Clock | None = None) -> Database:
        clock = clock or Clock()
        engine = create_engine(database_url, clock)
        gate: AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )
        return cls(engine=engine, sessions=session_factory(engine), write_gate=gate, clock=clock)

    def now(self) -> datetime:
        return self.clock.now()

    async def ping(self) -> bool:
        """Whether the database answers (the health check's; like the bus's ping)."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()

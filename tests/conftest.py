"""Fixtures shared by the whole suite: the store on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

from callcenter.store.db import Database
from callcenter.store.migrations import upgrade
from callcenter.store.models import Base

# The local socket as the current user: trust here, peer authentication on a fresh Debian install.
POSTGRES_ADMIN_URL = os.environ.get("CC_TEST_POSTGRES_URL", "postgresql:///postgres?host=/var/run/postgresql")


def pytest_report_header(config: pytest.Config) -> str:
    """sid moves: every test log names the Asterisk the integration tests ran against."""
    from callcenter.asterisk import root
    from callcenter.settings import Settings

    asterisk_root = Settings().asterisk_root
    if root.is_installed(asterisk_root):
        return f"asterisk: {root.asterisk_version(asterisk_root)} ({asterisk_root})"
    return "asterisk: root not installed yet (the fixtures install it)"


@pytest.fixture(scope="session")
def postgres_database_url() -> Iterator[str]:
    """A fresh database on the real PostgreSQL server for this test session, dropped afterwards."""
    name = f"cc_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.replace("/postgres?", f"/{name}?", 1)
    try:
        yield base.replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    url: str = request.getfixturevalue("postgres_database_url")
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    upgrade(database_url)
    database = Database.connect(database_url)
    try:
        yield database
    finally:
        if database.engine.dialect.name == "postgresql":
            async with database.engine.begin() as connection:
                from sqlalchemy import text

                tables = ", ".join(Base.metadata.tables)
                await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))
        await database.dispose()

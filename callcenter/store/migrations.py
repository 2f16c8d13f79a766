"""Alembic, run from code: the app brings its schema up to date at every start."""

from __future__ import annotations

import logging

from alembic import command
from alembic.config import Config

from callcenter.settings import PROJECT_DIR
from callcenter.store.db import ensure_sqlite_directory, sync_url

log = logging.getLogger(__name__)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_DIR / "db"))
    url = sync_url(database_url).render_as_string(hide_password=False)
    # Alembic's config is a ConfigParser: a URL-encoded socket path ("%2Fvar") must not interpolate.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    ensure_sqlite_directory(database_url)
    command.upgrade(alembic_config(database_url), "head")
    log.info("Store schema is at the latest revision")

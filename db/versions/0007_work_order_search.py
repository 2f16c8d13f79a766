"""Trigram index for the staff's work-order search (PostgreSQL; SQLite scans, fine at its scale).

pg_trgm splits CJK text into trigrams too, so LIKE '%words%' on search_text uses the index for words of
three characters or more (names, numbers, phrases). Without the extension (a server without contrib),
the search still works, by scanning.

Revision ID: 0007_work_order_search
Revises: 0006_organisation
Create Date: 2026-11-24
"""

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0007_work_order_search"
down_revision: str | None = "0006_organisation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger(__name__)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar()
    if not available:
        log.warning("pg_trgm is not available: work-order search scans instead of using an index")
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_work_orders_search_text_trgm "
        "ON work_orders USING gin (search_text gin_trgm_ops)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_work_orders_search_text_trgm")

"""Call records.

Revision ID: 0001_calls
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from callcenter.store.types import UtcDateTime

revision: str = "0001_calls"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("linkedid", sa.String(64), nullable=False),
        sa.Column("uniqueid", sa.String(64)),
        sa.Column("channel", sa.String(128)),
        sa.Column("caller_number", sa.String(64)),
        sa.Column("dialed_number", sa.String(64)),
        sa.Column("started_at", UtcDateTime()),
        sa.Column("answered_at", UtcDateTime()),
        sa.Column("ended_at", UtcDateTime()),
        sa.Column("hangup_cause", sa.Integer()),
        sa.Column("hangup_cause_text", sa.String(64)),
        sa.Column("entry_route", sa.String(16)),
        sa.Column("next_step", sa.String(32)),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_calls"),
        sa.UniqueConstraint("linkedid", name="uq_calls_linkedid"),
    )
    op.create_index("ix_calls_caller_number_started_at", "calls", ["caller_number", "started_at"])
    op.create_index("ix_calls_started_at", "calls", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_started_at", table_name="calls")
    op.drop_index("ix_calls_caller_number_started_at", table_name="calls")
    op.drop_table("calls")

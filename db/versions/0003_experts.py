"""Back-end experts and their duty roster.

Revision ID: 0003_experts
Revises: 0002_ivr_queues_work_orders
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from callcenter.store.types import UtcDateTime

revision: str = "0003_experts"
down_revision: str | None = "0002_ivr_queues_work_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "experts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("organisation", sa.String(128), nullable=False),
        sa.Column("phones", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("prefectures", sa.JSON(), nullable=False),
        sa.Column("max_concurrent_calls", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_experts"),
    )
    op.create_table(
        "roster_entries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("expert_id", sa.String(32), nullable=False),
        sa.Column("day", sa.Date()),
        sa.Column("weekday", sa.Integer()),
        sa.Column("working_days", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_roster_entries"),
        sa.ForeignKeyConstraint(
            ["expert_id"],
            ["experts.id"],
            name="fk_roster_entries_expert_id_experts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_roster_entries_expert_id", "roster_entries", ["expert_id"])


def downgrade() -> None:
    op.drop_index("ix_roster_entries_expert_id", table_name="roster_entries")
    op.drop_table("roster_entries")
    op.drop_table("experts")

"""Classification and transfer on calls; expert legs, recordings and ratings.

Revision ID: 0004_transfers_ratings
Revises: 0003_experts
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from callcenter.store.types import UtcDateTime

revision: str = "0004_transfers_ratings"
down_revision: str | None = "0003_experts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CALL_COLUMNS = (
    ("call_type", sa.String(16)),
    ("category", sa.String(32)),
    ("urgency", sa.String(16)),
    ("caller_name", sa.String(64)),
    ("notes", sa.Text()),
    ("classified_by", sa.String(16)),
    ("classified_at", UtcDateTime()),
    ("transfer_mode", sa.String(16)),
    ("transfer_agent_id", sa.String(16)),
    ("transfer_requested_expert", sa.String(32)),
    ("transfer_requested_at", UtcDateTime()),
    ("transfer_status", sa.String(16)),
    ("expert_id", sa.String(32)),
)
WORK_ORDER_COLUMNS = (
    ("category", sa.String(32)),
    ("urgency", sa.String(16)),
    ("caller_name", sa.String(64)),
)


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        for name, column_type in CALL_COLUMNS:
            batch.add_column(sa.Column(name, column_type))
        batch.add_column(sa.Column("needs_callback", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("work_orders") as batch:
        for name, column_type in WORK_ORDER_COLUMNS:
            batch.add_column(sa.Column(name, column_type))

    op.create_table(
        "call_legs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("linkedid", sa.String(64), nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.String(16)),
        sa.Column("expert_id", sa.String(32), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("offered_at", UtcDateTime(), nullable=False),
        sa.Column("ring_at", UtcDateTime(), nullable=False),
        sa.Column("answered_at", UtcDateTime()),
        sa.Column("ended_at", UtcDateTime()),
        sa.Column("outcome", sa.String(16)),
        sa.PrimaryKeyConstraint("id", name="pk_call_legs"),
        sa.UniqueConstraint("linkedid", "leg", name="uq_call_legs_linkedid_leg"),
    )
    op.create_index("ix_call_legs_linkedid", "call_legs", ["linkedid"])
    op.create_index("ix_call_legs_expert_id_offered_at", "call_legs", ["expert_id", "offered_at"])

    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("linkedid", sa.String(64), nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime()),
        sa.Column("size_bytes", sa.Integer()),
        sa.Column("duration_seconds", sa.Float()),
        sa.Column("sha256", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_recordings"),
        sa.UniqueConstraint("linkedid", "leg", name="uq_recordings_linkedid_leg"),
    )
    op.create_index("ix_recordings_linkedid", "recordings", ["linkedid"])

    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("linkedid", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("digit", sa.String(1)),
        sa.Column("code", sa.String(32)),
        sa.Column("dissatisfied", sa.Boolean(), nullable=False),
        sa.Column("expert_id", sa.String(32)),
        sa.Column("agent_id", sa.String(16)),
        sa.Column("work_order_id", sa.Integer()),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("rated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ratings"),
        sa.UniqueConstraint("linkedid", name="uq_ratings_linkedid"),
    )
    op.create_index("ix_ratings_expert_id", "ratings", ["expert_id"])
    op.create_index("ix_ratings_agent_id", "ratings", ["agent_id"])


def downgrade() -> None:
    for table in ("ratings", "recordings", "call_legs"):
        op.drop_table(table)
    with op.batch_alter_table("work_orders") as batch:
        for name, _type in WORK_ORDER_COLUMNS:
            batch.drop_column(name)
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("needs_callback")
        for name, _type in CALL_COLUMNS:
            batch.drop_column(name)

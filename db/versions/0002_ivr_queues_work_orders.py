"""IVR and queue facts on calls; first work orders (off-hours messages and callback requests).

Revision ID: 0002_ivr_queues_work_orders
Revises: 0001_calls
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from callcenter.store.types import UtcDateTime

revision: str = "0002_ivr_queues_work_orders"
down_revision: str | None = "0001_calls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CALL_COLUMNS = (
    ("language", sa.String(8)),
    ("prefecture", sa.String(32)),
    ("caller_place", sa.String(64)),
    ("queue", sa.String(64)),
    ("queue_joined_at", UtcDateTime()),
    ("agent_id", sa.String(16)),
    ("agent_answered_at", UtcDateTime()),
    ("wait_seconds", sa.Float()),
    ("talk_seconds", sa.Float()),
    ("outcome", sa.String(16)),
)


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        for name, column_type in CALL_COLUMNS:
            batch.add_column(sa.Column(name, column_type))
    op.create_index("ix_calls_agent_id_started_at", "calls", ["agent_id", "started_at"])

    op.create_table(
        "work_order_sequences",
        sa.Column("day", sa.String(8), primary_key=True),
        sa.Column("last_number", sa.Integer(), nullable=False),
    )
    op.create_table(
        "work_orders",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("caller_number", sa.String(64)),
        sa.Column("prefecture", sa.String(32)),
        sa.Column("language", sa.String(8)),
        sa.Column("linkedid", sa.String(64)),
        sa.Column("recording_path", sa.String(512)),
        sa.Column("recording_seconds", sa.Float()),
        sa.Column("wait_seconds", sa.Float()),
        sa.Column("description", sa.Text()),
        sa.Column("callback_due_at", UtcDateTime()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_orders"),
        sa.UniqueConstraint("number", name="uq_work_orders_number"),
        # One order per call and channel: the AGI route and the hangup handler may both report a message.
        sa.UniqueConstraint("linkedid", "channel", name="uq_work_orders_linkedid_channel"),
    )
    op.create_index("ix_work_orders_caller_number", "work_orders", ["caller_number"])


def downgrade() -> None:
    op.drop_index("ix_work_orders_caller_number", table_name="work_orders")
    op.drop_table("work_orders")
    op.drop_table("work_order_sequences")
    op.drop_index("ix_calls_agent_id_started_at", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        for name, _ in reversed(CALL_COLUMNS):
            batch.drop_column(name)

"""The work-order lifecycle: state, version, units, deadlines, history, reminders, attachments.

Revision ID: 0005_work_order_lifecycle
Revises: 0004_transfers_ratings
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from callcenter.store.types import UtcDateTime

revision: str = "0005_work_order_lifecycle"
down_revision: str | None = "0004_transfers_ratings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER_COLUMNS = (
    ("lead_unit", sa.String(32)),
    ("transfer_due_at", UtcDateTime()),
    ("reply_due_at", UtcDateTime()),
    ("extension_days", sa.Integer()),
    ("requested_extension_days", sa.Integer()),
    ("survey_due_at", UtcDateTime()),
    ("reply", sa.Text()),
    ("replied_at", UtcDateTime()),
    ("feedback_at", UtcDateTime()),
    ("callback_outcome", sa.String(24)),
    ("closed_at", UtcDateTime()),
    ("caller_rating", sa.String(32)),
    ("updated_at", UtcDateTime()),
    ("search_text", sa.Text()),
)
FLAGS = ("is_case", "reply_extended", "flagged")


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        for name, column_type in ORDER_COLUMNS:
            batch.add_column(sa.Column(name, column_type))
        for name in FLAGS:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_work_orders_status_created_at", "work_orders", ["status", "created_at"])
    op.create_index("ix_work_orders_reply_due_at", "work_orders", ["reply_due_at"])
    op.create_index("ix_work_orders_created_at", "work_orders", ["created_at"])

    op.create_table(
        "work_order_units",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False),
        sa.Column("assigned_at", UtcDateTime(), nullable=False),
        sa.Column("accepted_at", UtcDateTime()),
        sa.Column("returned_at", UtcDateTime()),
        sa.Column("return_reason", sa.Text()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_units"),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_orders.id"],
            name="fk_work_order_units_order_id_work_orders",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("order_id", "unit_code", name="uq_work_order_units_order_id_unit_code"),
    )
    op.create_index("ix_work_order_units_unit_code", "work_order_units", ["unit_code"])

    op.create_table(
        "work_order_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("from_state", sa.String(24), nullable=False),
        sa.Column("to_state", sa.String(24), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("details", sa.JSON()),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_events"),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_orders.id"],
            name="fk_work_order_events_order_id_work_orders",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_work_order_events_order_id", "work_order_events", ["order_id"])

    op.create_table(
        "work_order_reminders",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("raised_at", UtcDateTime(), nullable=False),
        sa.Column("acknowledged_by", sa.String(64)),
        sa.Column("acknowledged_at", UtcDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_reminders"),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_orders.id"],
            name="fk_work_order_reminders_order_id_work_orders",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("order_id", "kind", "level", name="uq_work_order_reminders_order_id_kind_level"),
    )
    op.create_index("ix_work_order_reminders_raised_at", "work_order_reminders", ["raised_at"])

    op.create_table(
        "work_order_attachments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_attachments"),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_orders.id"],
            name="fk_work_order_attachments_order_id_work_orders",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_work_order_attachments_order_id", "work_order_attachments", ["order_id"])


def downgrade() -> None:
    for table in ("work_order_attachments", "work_order_reminders", "work_order_events", "work_order_units"):
        op.drop_table(table)
    for index in (
        "ix_work_orders_created_at",
        "ix_work_orders_reply_due_at",
        "ix_work_orders_status_created_at",
    ):
        op.drop_index(index, table_name="work_orders")
    with op.batch_alter_table("work_orders") as batch:
        for name in FLAGS:
            batch.drop_column(name)
        for name, _type in reversed(ORDER_COLUMNS):
            batch.drop_column(name)
        batch.drop_column("version")

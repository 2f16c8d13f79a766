"""Room for every work-order state: "extension-requested" (19 characters) did not fit work_orders.status
(VARCHAR(16)), so PostgreSQL refused every extension request (SQLite does not enforce the length).

Revision ID: 0008_work_order_status_length
Revises: 0007_work_order_search
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_work_order_status_length"
down_revision: str | None = "0007_work_order_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.alter_column(
            "status", existing_type=sa.String(16), type_=sa.String(24), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.alter_column(
            "status", existing_type=sa.String(24), type_=sa.String(16), existing_nullable=False
        )

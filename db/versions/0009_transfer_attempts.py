"""Transfer attempts: a call's transfers are numbered 1, 2, ... (calls.transfer_attempt, the latest) and
each expert leg says which one it belongs to (call_legs.attempt), where earlier attempts were told apart
by time.

Calls already transferred get attempt 1; one whose legs include some offered before its latest
request (a second transfer after a fallback to the queue) gets 2, for those legs offered since.

Revision ID: 0009_transfer_attempts
Revises: 0008_work_order_status_length
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_transfer_attempts"
down_revision: str | None = "0008_work_order_status_length"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EARLIER_LEGS = (
    "SELECT 1 FROM call_legs WHERE call_legs.linkedid = calls.linkedid "
    "AND call_legs.offered_at < calls.transfer_requested_at"
)
LATEST_OF_TWO = (
    "SELECT 1 FROM calls WHERE calls.linkedid = call_legs.linkedid AND calls.transfer_attempt = 2 "
    "AND call_legs.offered_at >= calls.transfer_requested_at"
)


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("transfer_attempt", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("call_legs") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))
    op.execute("UPDATE calls SET transfer_attempt = 1 WHERE transfer_status IS NOT NULL")
    op.execute(
        "UPDATE calls SET transfer_attempt = 2 "
        f"WHERE transfer_requested_at IS NOT NULL AND EXISTS ({EARLIER_LEGS})"
    )
    op.execute(f"UPDATE call_legs SET attempt = 2 WHERE EXISTS ({LATEST_OF_TWO})")


def downgrade() -> None:
    with op.batch_alter_table("call_legs") as batch:
        batch.drop_column("attempt")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("transfer_attempt")

"""What the figures are computed from: the calls of a period with their ratings, and open work orders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from callcenter.domain.statistics import CallRow, OpenOrders
from callcenter.store.db import Database
from callcenter.store.models import CallRecord, Rating, WorkOrder

CLOSED = "closed"


class StatisticsRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def call_rows(self, start: datetime, end: datetime) -> list[CallRow]:
        """Calls that began in [start, end), each with its caller's rating."""
        query = (
            select(
                CallRecord.started_at,
                CallRecord.queue_joined_at,
                CallRecord.outcome,
                CallRecord.wait_seconds,
                CallRecord.talk_seconds,
                CallRecord.queue,
                CallRecord.prefecture,
                CallRecord.agent_id,
                CallRecord.expert_id,
                CallRecord.transfer_mode,
                CallRecord.transfer_status,
                Rating.status,
                Rating.dissatisfied,
            )
            .outerjoin(Rating, Rating.linkedid == CallRecord.linkedid)
            .where(CallRecord.started_at >= start, CallRecord.started_at < end)
        )
        async with self._database.sessions() as session:
            result = await session.execute(query)
            return [
                CallRow(
                    queued=row.queue_joined_at is not None,
                    outcome=row.outcome,
                    wait_seconds=row.wait_seconds,
                    talk_seconds=row.talk_seconds,
                    queue=row.queue,
                    prefecture=row.prefecture,
                    agent_id=row.agent_id,
                    expert_id=row.expert_id,
                    transferred=row.transfer_mode is not None,
                    transfer_status=row.transfer_status,
                    rating_status=row.status,
                    dissatisfied=bool(row.dissatisfied),
                    started_at=row.started_at,
                )
                for row in result
            ]

    async def open_orders(self, now: datetime, near_due_before: datetime) -> OpenOrders:
        """``near_due_before``: an open order due before this instant (and not yet overdue) is near due."""
        is_open = WorkOrder.status != CLOSED
        unanswered = WorkOrder.replied_at.is_(None)
        async with self._database.sessions() as session:
            overdue = await session.scalar(
                select(func.count()).where(is_open, unanswered, WorkOrder.reply_due_at < now)
            )
            near = await session.scalar(
                select(func.count()).where(
                    is_open,
                    unanswered,
                    WorkOrder.reply_due_at >= now,
                    WorkOrder.reply_due_at < near_due_before,
                )
            )
            grouped = await session.execute(
                select(WorkOrder.channel, WorkOrder.status, func.count())
                .where(is_open)
                .group_by(WorkOrder.channel, WorkOrder.status)
            )
            return OpenOrders(
                overdue=int(overdue or 0),
                near_due=int(near or 0),
                by_channel_and_state={(channel, state): int(count) for channel, state, count in grouped},
            )

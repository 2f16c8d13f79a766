"""Work orders: one numbering for every channel, per day (e.g. 20261124-00001)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from callcenter.store.db import Database
from callcenter.store.models import WorkOrder, WorkOrderSequence, utc_now


@dataclass(frozen=True)
class NewWorkOrder:
    channel: str
    order_type: str
    caller_number: str | None
    prefecture: str | None = None
    language: str | None = None
    linkedid: str | None = None
    recording_path: str | None = None
    recording_seconds: float | None = None
    wait_seconds: float | None = None
    description: str | None = None
    callback_due_at: datetime | None = None
    category: str | None = None
    urgency: str | None = None
    caller_name: str | None = None


class WorkOrderRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(self, order: NewWorkOrder, local_day: date) -> tuple[WorkOrder, bool]:
        """Create the order, numbered within ``local_day``; returns (order, created).

        An order for the same call and channel already there is returned as it is (created False): the
        dialplan may report one message twice (the route and the hangup handler).
        """
        if order.linkedid is not None:
            existing = await self.find_for_call(order.linkedid, order.channel)
            if existing is not None:
                return existing, False
        day = local_day.strftime("%Y%m%d")
        async with self._database.write_gate, self._database.sessions() as session:
            dialect = session.bind.dialect.name
            insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
            bump = (
                insert(WorkOrderSequence)
                .values(day=day, last_number=1)
                .on_conflict_do_update(
                    index_elements=["day"], set_={"last_number": WorkOrderSequence.last_number + 1}
                )
                .returning(WorkOrderSequence.last_number)
            )
            sequence = (await session.execute(bump)).scalar_one()
            record = WorkOrder(
                number=f"{day}-{sequence:05d}",
                status="new",
                created_at=utc_now(),
                **order.__dict__,
            )
            session.add(record)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                if order.linkedid is None:
                    raise
                raced = await self.find_for_call(order.linkedid, order.channel)
                if raced is None:
                    raise
                return raced, False
            return record, True

    async def update(self, order_id: int, values: dict[str, Any]) -> WorkOrder | None:
        statement = (
            update(WorkOrder)
            .where(WorkOrder.id == order_id)
            .values(**values)
            .returning(WorkOrder)
            .execution_options(synchronize_session=False)
        )
        async with self._database.write_gate, self._database.sessions() as session:
            order: WorkOrder | None = (await session.execute(statement)).scalar_one_or_none()
            await session.commit()
            return order

    async def find_for_call(self, linkedid: str, channel: str) -> WorkOrder | None:
        async with self._database.sessions() as session:
            query = select(WorkOrder).where(WorkOrder.linkedid == linkedid, WorkOrder.channel == channel)
            found: WorkOrder | None = (await session.execute(query)).scalar_one_or_none()
            return found

    async def list(self, caller_number: str | None = None, limit: int = 100) -> list[WorkOrder]:
        query = select(WorkOrder).order_by(WorkOrder.id.desc()).limit(limit)
        if caller_number is not None:
            query = query.where(WorkOrder.caller_number == caller_number)
        async with self._database.sessions() as session:
            return list((await session.execute(query)).scalars())

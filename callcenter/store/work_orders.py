"""Work orders: one numbering for every channel, per day (e.g. 20261124-00001)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from callcenter.domain.stored_orders import (
    OrderFilter,
    StoredAttachment,
    StoredOrder,
    StoredOrderEvent,
    StoredOrderUnit,
    StoredReminder,
)
from callcenter.errors import NotFoundError, StaleVersionError
from callcenter.store.db import Database
from callcenter.store.models import (
    WorkOrder,
    WorkOrderAttachment,
    WorkOrderEvent,
    WorkOrderReminder,
    WorkOrderSequence,
    WorkOrderUnit,
)
from callcenter.store.views import RowView


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
    transfer_due_at: datetime | None = None
    reply_due_at: datetime | None = None
    is_case: bool = False


def search_text(order: StoredOrder | NewWorkOrder, number: str) -> str:
    """What a staff search matches: one lower-cased line of the order's searchable words."""
    parts = (number, order.caller_name, order.caller_number, order.category, order.description)
    return " ".join(part for part in parts if part).lower()


@dataclass(frozen=True)
class UnitChange:
    unit_code: str
    # assigned, accepted, returned, released
    status: str
    reason: str | None = None


@dataclass(frozen=True)
class OrderEvent:
    actor: str
    actor_role: str
    action: str
    from_state: str
    to_state: str
    note: str | None = None
    details: dict[str, Any] | None = None


COUNT_CAP: Final = 10_000
OPEN_STATES: Final = ("new", "transferred", "returned", "in-progress", "extension-requested", "in-review")


# What the rows become when they leave the store.
ORDERS: Final = RowView(StoredOrder, WorkOrder)
UNITS: Final = RowView(StoredOrderUnit, WorkOrderUnit)
EVENTS: Final = RowView(StoredOrderEvent, WorkOrderEvent)
ATTACHMENTS: Final = RowView(StoredAttachment, WorkOrderAttachment)
REMINDERS: Final = RowView(StoredReminder, WorkOrderReminder)


class WorkOrderRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(self, order: NewWorkOrder, local_day: date) -> tuple[StoredOrder, bool]:
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
            number = f"{day}-{sequence:05d}"
            now = self._database.now()
            record = WorkOrder(
                number=number,
                status="new",
                created_at=now,
                updated_at=now,
                version=1,
                search_text=search_text(order, number),
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
            return ORDERS.of_record(record), True

    async def update(self, order_id: int, values: dict[str, Any]) -> StoredOrder | None:
        statement = (
            update(WorkOrder)
            .where(WorkOrder.id == order_id)
            .values(**values)
            .returning(*ORDERS.columns)
            .execution_options(synchronize_session=False)
        )
        async with self._database.write_gate, self._database.sessions() as session:
            row = (await session.execute(statement)).one_or_none()
            await session.commit()
            return None if row is None else ORDERS.of(row)

    async def find_for_call(self, linkedid: str, channel: str) -> StoredOrder | None:
        query = ORDERS.select().where(WorkOrder.linkedid == linkedid, WorkOrder.channel == channel)
        return await ORDERS.one(self._database, query)

    async def recent(self, caller_number: str | None = None, limit: int = 100) -> list[StoredOrder]:
        query = ORDERS.select().order_by(WorkOrder.id.desc()).limit(limit)
        if caller_number is not None:
            query = query.where(WorkOrder.caller_number == caller_number)
        return await ORDERS.all(self._database, query)

    # -- the lifecycle ----------------------------------------------------------------------------------

    async def get(self, number: str) -> StoredOrder | None:
        return await ORDERS.one(self._database, ORDERS.select().where(WorkOrder.number == number))

    async def units(self, order_id: int) -> list[StoredOrderUnit]:
        query = UNITS.select().where(WorkOrderUnit.order_id == order_id).order_by(WorkOrderUnit.id)
        return await UNITS.all(self._database, query)

    async def events(self, order_id: int) -> list[StoredOrderEvent]:
        query = EVENTS.select().where(WorkOrderEvent.order_id == order_id).order_by(WorkOrderEvent.id)
        return await EVENTS.all(self._database, query)

    async def apply(
        self,
        order_id: int,
        expected_version: int,
        values: Mapping[str, Any],
        units: Sequence[UnitChange],
        event: OrderEvent,
        at: datetime,
    ) -> StoredOrder:
        """One action on one order, all or nothing: the order's new values, its units, its history.

        The version check is in the UPDATE itself, so of two people acting on the same version one wins
        and the other gets ``stale-version``; nothing is half applied and nothing is applied twice.
        """
        statement = (
            update(WorkOrder)
            .where(WorkOrder.id == order_id, WorkOrder.version == expected_version)
            .values(version=WorkOrder.version + 1, updated_at=at, **values)
            .returning(*ORDERS.columns)
            .execution_options(synchronize_session=False)
        )
        async with self._database.write_gate, self._database.sessions() as session:
            order = (await session.execute(statement)).one_or_none()
            if order is None:
                await session.rollback()
                current = await session.scalar(select(WorkOrder.version).where(WorkOrder.id == order_id))
                if current is None:
                    raise NotFoundError("No such work order", details={"order_id": order_id})
                raise StaleVersionError(
                    "Someone else changed this work order; read it again",
                    details={"expected_version": expected_version, "current_version": current},
                )
            for change in units:
                await self._change_unit(session, order_id, change, at)
            session.add(WorkOrderEvent(order_id=order_id, at=at, **event.__dict__))
            await session.commit()
            return ORDERS.of(order)

    async def _change_unit(self, session: Any, order_id: int, change: UnitChange, at: datetime) -> None:
        existing = await session.scalar(
            select(WorkOrderUnit).where(
                WorkOrderUnit.order_id == order_id, WorkOrderUnit.unit_code == change.unit_code
            )
        )
        if existing is None:
            existing = WorkOrderUnit(
                order_id=order_id, unit_code=change.unit_code, assigned_at=at, status="assigned"
            )
            session.add(existing)
        existing.status = change.status
        if change.status == "assigned":
            existing.assigned_at = at
            existing.accepted_at = None
            existing.returned_at = None
            existing.return_reason = None
        elif change.status == "accepted":
            existing.accepted_at = at
        elif change.status == "returned":
            existing.returned_at = at
            existing.return_reason = change.reason

    async def search(self, where: OrderFilter) -> tuple[list[StoredOrder], int]:
        """Orders matching the filter, newest first, and how many match in all (at most COUNT_CAP + 1)."""
        query = ORDERS.select()
        if where.states:
            query = query.where(WorkOrder.status.in_(where.states))
        if where.units is not None:
            query = query.where(
                exists().where(
                    WorkOrderUnit.order_id == WorkOrder.id, WorkOrderUnit.unit_code.in_(where.units)
                )
            )
        for column, value in (
            (WorkOrder.channel, where.channel),
            (WorkOrder.order_type, where.order_type),
            (WorkOrder.category, where.category),
            (WorkOrder.caller_number, where.caller_number),
            (WorkOrder.flagged, where.flagged),
        ):
            if value is not None:
                query = query.where(column == value)
        if where.reply_due_before is not None:
            query = query.where(
                WorkOrder.reply_due_at < where.reply_due_before, WorkOrder.status.in_(OPEN_STATES)
            )
        if where.text:
            for word in where.text.lower().split():
                escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                query = query.where(WorkOrder.search_text.like(f"%{escaped}%", escape="\\"))
        # Counting every match of a busy view at a million orders costs more than the page itself: the
        # count stops at COUNT_CAP + 1 ("more than 10 000"), which is all a screen shows anyway.
        count_query = select(func.count()).select_from(query.limit(COUNT_CAP + 1).subquery())
        page = (
            query.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
            .limit(where.limit)
            .offset(where.offset)
        )
        async with self._database.sessions() as session:
            total = int(await session.scalar(count_query) or 0)
            return [ORDERS.of(row) for row in await session.execute(page)], total

    async def open_with_deadlines(self) -> list[StoredOrder]:
        """Orders a deadline still applies to: not closed, or waiting for the callback survey."""
        query = ORDERS.select().where(
            or_(WorkOrder.status.in_(OPEN_STATES), WorkOrder.status.in_(("feedback", "second-callback")))
        )
        return await ORDERS.all(self._database, query)

    async def raise_reminder(
        self, order_id: int, kind: str, level: str, due_at: datetime, at: datetime
    ) -> bool:
        """True only for the first report of this order, deadline and level, across every instance."""
        async with self._database.write_gate, self._database.sessions() as session:
            dialect = session.bind.dialect.name
            insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = (
                insert(WorkOrderReminder)
                .values(order_id=order_id, kind=kind, level=level, due_at=due_at, raised_at=at)
                .on_conflict_do_nothing(index_elements=["order_id", "kind", "level"])
                .returning(WorkOrderReminder.id)
            )
            raised = (await session.execute(statement)).scalar_one_or_none()
            await session.commit()
            return raised is not None

    async def reminders(
        self, limit: int = 100, unacknowledged: bool = True
    ) -> list[tuple[StoredReminder, str]]:
        query = (
            select(*REMINDERS.columns, WorkOrder.number)
            .join(WorkOrder, WorkOrder.id == WorkOrderReminder.order_id)
            .order_by(WorkOrderReminder.raised_at.desc(), WorkOrderReminder.id.desc())
            .limit(limit)
        )
        if unacknowledged:
            query = query.where(WorkOrderReminder.acknowledged_at.is_(None))
        async with self._database.sessions() as session:
            return [(REMINDERS.of(row[:-1]), row[-1]) for row in await session.execute(query)]

    async def add_attachment(self, values: Mapping[str, Any]) -> StoredAttachment:
        async with self._database.write_gate, self._database.sessions() as session:
            attachment = WorkOrderAttachment(**values)
            session.add(attachment)
            await session.commit()
            return ATTACHMENTS.of_record(attachment)

    async def attachments(self, order_id: int) -> list[StoredAttachment]:
        query = ATTACHMENTS.select().where(WorkOrderAttachment.order_id == order_id)
        return await ATTACHMENTS.all(self._database, query.order_by(WorkOrderAttachment.id))

    async def history_for_phone(self, caller_number: str, limit: int = 100) -> list[StoredOrder]:
        """A caller's orders from every channel: one query by phone number."""
        query = (
            ORDERS.select()
            .where(WorkOrder.caller_number == caller_number)
            .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
            .limit(limit)
        )
        return await ORDERS.all(self._database, query)

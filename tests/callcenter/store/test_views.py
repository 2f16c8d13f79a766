"""What the repositories give out: frozen views of their rows, with every column, never an ORM object."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from callcenter.domain.calls import CallFacts, StoredCall
from callcenter.domain.stored_orders import (
    StoredAttachment,
    StoredOrder,
    StoredOrderEvent,
    StoredOrderUnit,
    StoredReminder,
)
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from callcenter.store.models import (
    Base,
    CallRecord,
    WorkOrder,
    WorkOrderAttachment,
    WorkOrderEvent,
    WorkOrderReminder,
    WorkOrderUnit,
)
from callcenter.store.views import RowView
from callcenter.store.work_orders import NewWorkOrder, OrderEvent, UnitChange, WorkOrderRepository

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)

VIEWS = {
    StoredCall: CallRecord,
    StoredOrder: WorkOrder,
    StoredOrderUnit: WorkOrderUnit,
    StoredOrderEvent: WorkOrderEvent,
    StoredAttachment: WorkOrderAttachment,
    StoredReminder: WorkOrderReminder,
}


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.__name__)
def test_a_view_has_every_column_of_its_row(view: type) -> None:
    """A column added to a model without its view's field would be dropped on the way out."""
    assert [field.name for field in dataclasses.fields(view)] == [
        column.key for column in VIEWS[view].__table__.columns
    ]
    assert view.__dataclass_params__.frozen and "__slots__" in view.__dict__  # type: ignore[attr-defined]


async def test_repositories_give_out_frozen_views(database: Database) -> None:
    call = await CallRepository(database).merge(CallFacts(linkedid="3.1", caller_number="13800138000"))
    orders = WorkOrderRepository(database)
    order, _ = await orders.create(
        NewWorkOrder(channel="web", order_type="complaint", caller_number="13999112345"), date(2026, 11, 24)
    )
    changed = await orders.apply(
        order.id,
        1,
        {"status": "transferred"},
        [UnitChange("urumqi-justice", "assigned")],
        OrderEvent("disp", "supervisor", "transfer", "new", "transferred"),
        T0,
    )
    [unit] = await orders.units(order.id)
    [event] = await orders.events(order.id)
    attachment = await orders.add_attachment(
        {
            "order_id": order.id,
            "filename": "a.txt",
            "content_type": "text/plain",
            "size_bytes": 1,
            "sha256": "0" * 64,
            "path": "a",
            "uploaded_by": "disp",
            "uploaded_at": T0,
        }
    )
    await orders.raise_reminder(order.id, "reply", "near-due", T0, T0)
    [(reminder, number)] = await orders.reminders()
    assert number == order.number
    views = (call, order, changed, unit, event, attachment, reminder)
    assert [type(view) for view in views] == [
        StoredCall,
        StoredOrder,
        StoredOrder,
        StoredOrderUnit,
        StoredOrderEvent,
        StoredAttachment,
        StoredReminder,
    ]
    for view in views:
        assert not isinstance(view, Base)
        with pytest.raises(dataclasses.FrozenInstanceError):
            view.id = 0  # type: ignore[misc]
    assert (changed.status, changed.version, unit.unit_code, event.action) == (
        "transferred",
        2,
        "urumqi-justice",
        "transfer",
    )


def test_a_view_that_is_not_its_tables_columns_is_refused() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Partial:
        id: int

    with pytest.raises(TypeError, match="Partial"):
        RowView(Partial, WorkOrder)

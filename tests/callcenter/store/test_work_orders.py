"""The work-order store on SQLite and PostgreSQL: one numbering, versioned actions with their history,
reminders raised once, search."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from callcenter.domain.stored_orders import OrderFilter
from callcenter.errors import NotFoundError, StaleVersionError
from callcenter.store.db import Database
from callcenter.store.work_orders import NewWorkOrder, OrderEvent, UnitChange, WorkOrderRepository

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
DAY = date(2026, 11, 24)


def new_order(number: str = "13999112345", **changes: object) -> NewWorkOrder:
    values: dict[str, object] = {
        "channel": "web",
        "order_type": "complaint",
        "caller_number": number,
        "caller_name": "张三",
        "category": "labour",
        "description": "公司拖欠工资三个月",
    }
    values.update(changes)
    return NewWorkOrder(**values)  # type: ignore[arg-type]


def event(action: str, from_state: str, to_state: str) -> OrderEvent:
    return OrderEvent("disp", "supervisor", action, from_state, to_state, note="转办")


async def test_numbers_are_shared_by_every_channel(database: Database) -> None:
    orders = WorkOrderRepository(database)
    created = [
        (await orders.create(new_order(channel=channel), DAY))[0].number
        for channel in ("web", "hotline", "walk-in", "web")
    ]
    assert created == [f"20261124-0000{n}" for n in range(1, 5)]


async def test_an_action_changes_order_units_and_history_together(database: Database) -> None:
    orders = WorkOrderRepository(database)
    order, _ = await orders.create(new_order(), DAY)
    assert (order.version, order.status) == (1, "new")
    changed = await orders.apply(
        order.id,
        1,
        {"status": "transferred", "lead_unit": None},
        [UnitChange("urumqi-legal-aid", "assigned"), UnitChange("urumqi-justice", "assigned")],
        event("transfer", "new", "transferred"),
        T0,
    )
    assert (changed.version, changed.status, changed.updated_at) == (2, "transferred", T0)
    await orders.apply(
        order.id,
        2,
        {"status": "returned"},
        [UnitChange("urumqi-justice", "returned", "不属于本单位职责")],
        event("return", "transferred", "returned"),
        T0 + timedelta(minutes=5),
    )
    units = {unit.unit_code: unit for unit in await orders.units(order.id)}
    assert (units["urumqi-justice"].status, units["urumqi-justice"].return_reason) == (
        "returned",
        "不属于本单位职责",
    )
    assert units["urumqi-legal-aid"].status == "assigned"
    history = await orders.events(order.id)
    assert [(e.action, e.from_state, e.to_state, e.actor) for e in history] == [
        ("transfer", "new", "transferred", "disp"),
        ("return", "transferred", "returned", "disp"),
    ]


async def test_two_people_on_one_order_one_wins_nothing_lost_or_doubled(database: Database) -> None:
    orders = WorkOrderRepository(database)
    order, _ = await orders.create(new_order(), DAY)

    async def act(unit: str) -> object:
        try:
            return await orders.apply(
                order.id,
                1,
                {"status": "transferred"},
                [UnitChange(unit, "assigned")],
                event("transfer", "new", "transferred"),
                T0,
            )
        except StaleVersionError as error:
            return error

    results = await asyncio.gather(act("unit-a"), act("unit-b"))
    conflicts = [r for r in results if isinstance(r, StaleVersionError)]
    assert len(conflicts) == 1
    assert conflicts[0].details == {"expected_version": 1, "current_version": 2}
    assert len(await orders.events(order.id)) == 1
    assert len(await orders.units(order.id)) == 1
    with pytest.raises(NotFoundError):
        await orders.apply(999999, 1, {}, [], event("note", "new", "new"), T0)


async def test_a_reminder_is_raised_once_whoever_asks(database: Database) -> None:
    orders = WorkOrderRepository(database)
    order, _ = await orders.create(new_order(), DAY)
    raised = await asyncio.gather(
        *(orders.raise_reminder(order.id, "reply", "near-due", T0, T0) for _ in range(5))
    )
    assert raised.count(True) == 1
    assert await orders.raise_reminder(order.id, "reply", "overdue", T0, T0)
    listed = await orders.reminders()
    assert [(r.kind, r.level, number) for r, number in listed] == [
        ("reply", "overdue", order.number),
        ("reply", "near-due", order.number),
    ]


async def test_search_filters_and_words(database: Database) -> None:
    orders = WorkOrderRepository(database)
    first, _ = await orders.create(new_order(description="公司拖欠工资"), DAY)
    second, _ = await orders.create(new_order("09912345678", caller_name="李四", category="contract"), DAY)
    await orders.create(new_order(description="邻居噪音100%扰民", order_type="suggestion"), DAY)
    await orders.apply(
        second.id, 1, {"status": "transferred"}, [UnitChange("urumqi-justice", "assigned")],
        event("transfer", "new", "transferred"), T0,
    )  # fmt: skip
    found, total = await orders.search(OrderFilter(text="拖欠 工资"))
    assert total == 2 and first.id in {o.id for o in found}
    found, total = await orders.search(OrderFilter(text="李四"))
    assert [o.id for o in found] == [second.id]
    found, _ = await orders.search(OrderFilter(text=first.number))
    assert [o.id for o in found] == [first.id]
    found, total = await orders.search(OrderFilter(text="100%"))
    assert total == 1, "a % in the words is a character, not a wildcard"
    found, _ = await orders.search(OrderFilter(units=("urumqi-justice",)))
    assert [o.id for o in found] == [second.id]
    found, total = await orders.search(OrderFilter(states=("new",), order_type="complaint"))
    assert total == 1 and found[0].id == first.id
    page, total = await orders.search(OrderFilter(limit=2))
    assert (len(page), total) == (2, 3)
    assert [o.caller_number for o in await orders.history_for_phone("09912345678")] == ["09912345678"]

"""The figures of a period (today by default): the hotline's, per queue, prefecture, agent and expert,
hour by hour, and the work orders that are overdue, near due or owe a callback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from callcenter.clock import Clock
from callcenter.domain.calendar import CalendarNotCoveredError, WorkingCalendar
from callcenter.domain.statistics import (
    CallRow,
    Figures,
    OpenOrders,
    Thresholds,
    callback_pending,
    figures,
    figures_by,
)
from callcenter.errors import CallCenterError

LONGEST_PERIOD = timedelta(days=366)


class InvalidPeriodError(CallCenterError):
    code = "invalid-period"
    http_status = 422


class StatisticsStore(Protocol):
    async def call_rows(self, start: datetime, end: datetime) -> list[CallRow]: ...

    async def open_orders(self, now: datetime, near_due_before: datetime) -> OpenOrders: ...


@dataclass(frozen=True)
class OrderFigures:
    overdue: int
    near_due: int
    callbacks_pending: int


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    total: Figures
    by_queue: dict[str, Figures]
    by_prefecture: dict[str, Figures]
    by_agent: dict[str, Figures]
    by_expert: dict[str, Figures]
    # Local hours ("08", "09", ...) of the period's calls.
    by_hour: dict[str, Figures]
    orders: OrderFigures


class StatisticsService:
    def __init__(
        self, store: StatisticsStore, calendar: WorkingCalendar, clock: Clock, thresholds: Thresholds
    ) -> None:
        self._store = store
        self._calendar = calendar
        self._clock = clock
        self.thresholds = thresholds

    def day(self, day: date | None = None) -> tuple[datetime, datetime]:
        """A local day as [start, end); today by default (no call has begun after now)."""
        chosen = day or self._clock.now().astimezone(self._calendar.tz).date()
        start = datetime.combine(chosen, time(0), tzinfo=self._calendar.tz)
        return start, start + timedelta(days=1)

    async def report(self, start: datetime, end: datetime) -> Report:
        if start.tzinfo is None or end.tzinfo is None:
            raise InvalidPeriodError("Give the period's instants with their time zone", details={})
        if not start < end or end - start > LONGEST_PERIOD:
            raise InvalidPeriodError(
                "The period must start before it ends and last at most a year",
                details={"start": start.isoformat(), "end": end.isoformat()},
            )
        rows = await self._store.call_rows(start, end)
        now = self._clock.now()
        try:
            near_due_before = self._calendar.add_working_days(now, 1)
        except CalendarNotCoveredError:
            # The last working day of the calendar's years: a day, rather than no figure at all.
            near_due_before = now + timedelta(days=1)
        orders = await self._store.open_orders(now, near_due_before)
        zone = self._calendar.tz
        thresholds = self.thresholds
        return Report(
            start=start,
            end=end,
            total=figures(rows, thresholds),
            by_queue=dict(figures_by(rows, lambda row: row.queue, thresholds)),
            by_prefecture=dict(figures_by(rows, lambda row: row.prefecture, thresholds)),
            by_agent=dict(figures_by(rows, lambda row: row.agent_id, thresholds)),
            by_expert=dict(figures_by(rows, lambda row: row.expert_id, thresholds)),
            by_hour=dict(
                figures_by(
                    rows,
                    lambda row: row.started_at.astimezone(zone).strftime("%H") if row.started_at else None,
                    thresholds,
                )
            ),
            orders=OrderFigures(
                overdue=orders.overdue,
                near_due=orders.near_due,
                callbacks_pending=sum(
                    count
                    for (channel, state), count in orders.by_channel_and_state.items()
                    if callback_pending(channel, state)
                ),
            ),
        )

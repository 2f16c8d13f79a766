"""Work orders from every channel (hotline, web, walk-in, other hotlines) through one service: registration
with its deadlines, the lifecycle's actions, what each role may see, and the early warnings.

The decisions are the domain's (``callcenter.domain.work_orders``); this service loads the order, asks the
domain, and writes the result in one versioned step.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, Protocol

from callcenter.clock import Clock
from callcenter.domain.access import Principal, Role, mask_phone
from callcenter.domain.calendar import WorkingCalendar
from callcenter.domain.calls import normalise_number
from callcenter.domain.stored_orders import (
    OrderFilter,
    StoredAttachment,
    StoredOrder,
    StoredOrderEvent,
    StoredOrderUnit,
    StoredReminder,
)
from callcenter.domain.work_orders import (
    Action,
    Actor,
    CallbackOutcome,
    Channel,
    Deadlines,
    DeadlineStatus,
    OrderSnapshot,
    OrderState,
    OrderType,
    OrderUnit,
    Payload,
    UnitStatus,
    Urgency,
    WorkOrderError,
    available_actions,
    deadline_statuses,
    decide,
    initial_deadlines,
    reached_thresholds,
)
from callcenter.errors import CallCenterError, NotFoundError, StaleVersionError
from callcenter.hotline import HotlineConfig
from callcenter.services.experts import UnknownCategoryError
from callcenter.store.work_orders import (
    COUNT_CAP,
    NewWorkOrder,
    OrderEvent,
    UnitChange,
    WorkOrderRepository,
    search_text,
)
from callcenter.tasks import Periodic

log = logging.getLogger(__name__)

REMINDER_CHANNEL: Final = "cc:reminders"
# The register event is not a lifecycle action; it opens every order's history.
REGISTER: Final = "register"
SYSTEM_ACTOR: Final = "system"
PHONE: Final = re.compile(r"1[0-9]{10}|0[0-9]{9,11}")
ATTACHMENT_TYPES: Final = frozenset({"application/pdf", "image/jpeg", "image/png", "text/plain"})
MAX_ATTACHMENT_BYTES: Final = 5 * 1024 * 1024


class Organisation(Protocol):
    async def unit_scope(self, principal: Principal) -> frozenset[str] | None: ...

    async def may_see_phone(self, principal: Principal, order_units: Iterable[str]) -> bool: ...

    async def record_read(
        self, principal: Principal, subject_type: str, subject_id: str | int, fields: Iterable[str]
    ) -> None: ...

    async def default_unit(self, category: str, prefecture: str | None) -> str | None: ...


class Publisher(Protocol):
    async def publish(self, channel: str, payload: dict[str, Any]) -> None: ...


class OrderNotVisibleError(NotFoundError):
    """Outside the principal's unit scope: answered like a missing order, so scope is not probed."""


class AttachmentRejectedError(CallCenterError):
    code = "attachment-rejected"
    http_status = 422


class InvalidOrderError(WorkOrderError):
    """The order cannot take this (a bad phone number, an unknown rating, a rating before any reply)."""


@dataclass(frozen=True)
class Registration:
    channel: Channel
    order_type: OrderType
    category: str
    description: str
    caller_number: str | None
    caller_name: str | None = None
    prefecture: str | None = None
    urgency: Urgency = Urgency.NORMAL
    language: str | None = None
    linkedid: str | None = None
    is_case: bool = False


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as one principal may see it (the phone masked where their role does not need it)."""

    order: StoredOrder
    units: tuple[StoredOrderUnit, ...]
    events: tuple[StoredOrderEvent, ...]
    attachments: tuple[StoredAttachment, ...]
    caller_number: str | None
    phone_masked: bool
    actions: tuple[Action, ...]
    deadlines: tuple[DeadlineStatus, ...]


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of a search: the orders with callers' numbers masked, and how many match in all."""

    items: tuple[StoredOrder, ...]
    # Counted up to COUNT_CAP + 1: with ``more`` it is a floor.
    total: int
    more: bool


def snapshot_of(
    order: StoredOrder, units: Sequence[StoredOrderUnit], calendar: WorkingCalendar
) -> OrderSnapshot:
    """The domain's view of a stored order (one stored before deadlines existed gets them now)."""
    urgency = Urgency(order.urgency or Urgency.NORMAL.value)
    if order.transfer_due_at is None or order.reply_due_at is None:
        initial = initial_deadlines(order.created_at, urgency, calendar)
        order_transfer_due, order_reply_due = initial.transfer_due, initial.reply_due
    else:
        order_transfer_due, order_reply_due = order.transfer_due_at, order.reply_due_at
    return OrderSnapshot(
        state=OrderState(order.status),
        order_type=OrderType(order.order_type),
        urgency=urgency,
        registered_at=order.created_at,
        deadlines=Deadlines(
            transfer_due=order_transfer_due,
            reply_due=order_reply_due,
            extension_days=order.extension_days,
            callback_due=order.survey_due_at,
        ),
        units=tuple(
            OrderUnit(unit.unit_code, UnitStatus(unit.status), unit.return_reason)
            for unit in units
            if unit.status != UnitStatus.RELEASED.value
        ),
        lead_unit=order.lead_unit,
        is_case=order.is_case,
        flagged=order.flagged,
        requested_extension_days=order.requested_extension_days,
        reply=order.reply,
        replied_at=order.replied_at,
        feedback_at=order.feedback_at,
        callback_outcome=CallbackOutcome(order.callback_outcome) if order.callback_outcome else None,
        closed_at=order.closed_at,
    )


def stored_values(snapshot: OrderSnapshot) -> dict[str, Any]:
    """The columns a decision changes."""
    deadlines = snapshot.deadlines
    return {
        "status": snapshot.state.value,
        "lead_unit": snapshot.lead_unit,
        "is_case": snapshot.is_case,
        "flagged": snapshot.flagged,
        "transfer_due_at": deadlines.transfer_due,
        "reply_due_at": deadlines.reply_due,
        "reply_extended": deadlines.extended,
        "extension_days": deadlines.extension_days,
        "survey_due_at": deadlines.callback_due,
        "requested_extension_days": snapshot.requested_extension_days,
        "reply": snapshot.reply,
        "replied_at": snapshot.replied_at,
        "feedback_at": snapshot.feedback_at,
        "callback_outcome": snapshot.callback_outcome.value if snapshot.callback_outcome else None,
        "closed_at": snapshot.closed_at,
    }


class WorkOrderService:
    def __init__(
        self,
        hotline: HotlineConfig,
        repository: WorkOrderRepository,
        organisation: Organisation,
        publisher: Publisher,
        clock: Clock,
        attachments_dir: Path,
    ) -> None:
        self._hotline = hotline
        self._calendar = hotline.working_calendar
        self._repository = repository
        self._organisation = organisation
        self._publisher = publisher
        self._clock = clock
        self._attachments_dir = attachments_dir

    def now(self) -> datetime:
        return self._clock.now()

    # -- registration -----------------------------------------------------------------------------------

    async def register(self, registration: Registration, registered_by: Principal | None) -> StoredOrder:
        """A new order from any channel, numbered in the one sequence, with its deadlines; a web order
        whose category has a preset unit goes there at once (web art. 9)."""
        if self._hotline.category(registration.category) is None:
            raise UnknownCategoryError(
                f"Unknown category {registration.category!r}",
                details={
                    "category": registration.category,
                    "known": [c.code for c in self._hotline.categories],
                },
            )
        number = normalise_number(registration.caller_number)
        if number is not None and not PHONE.fullmatch(number):
            raise InvalidOrderError(
                "The phone number must be an 11-digit mobile or a landline with its area code",
                details={"field": "caller_number"},
            )
        now = self._clock.now()
        deadlines = initial_deadlines(now, registration.urgency, self._calendar)
        order, created = await self._repository.create(
            NewWorkOrder(
                channel=registration.channel.value,
                order_type=registration.order_type.value,
                caller_number=number,
                caller_name=registration.caller_name or None,
                prefecture=registration.prefecture,
                language=registration.language,
                linkedid=registration.linkedid,
                description=registration.description,
                category=registration.category,
                urgency=registration.urgency.value,
                transfer_due_at=deadlines.transfer_due,
                reply_due_at=deadlines.reply_due,
                is_case=registration.is_case,
            ),
            now.astimezone(self._calendar.tz).date(),
        )
        if not created:
            return order
        actor = registered_by.username if registered_by else registration.channel.value
        role = registered_by.role.value if registered_by else SYSTEM_ACTOR
        order = await self._repository.apply(
            order.id,
            order.version,
            # The store stamps created_at with the system time, but the deadlines above and every later
            # decision (an extension counts its working days from registration, a warning level passed
            # before registration is skipped) take created_at as the registration instant: it must be
            # the service clock's, or a clock started elsewhere (CC_CLOCK_START) puts them days apart.
            {"created_at": now},
            [],
            OrderEvent(actor, role, REGISTER, OrderState.NEW.value, OrderState.NEW.value),
            now,
        )
        log.info(
            "Work order %s registered (%s, %s)", order.number, registration.channel, registration.category
        )
        if registration.channel is Channel.WEB:
            unit = await self._organisation.default_unit(registration.category, registration.prefecture)
            if unit is not None:
                order = await self._act(order, Action.TRANSFER, _system(), Payload(units=(unit,)))
        return order

    async def create(self, order: NewWorkOrder, local_day: date) -> tuple[StoredOrder, bool]:
        """An order the IVR files by itself (an off-hours message, a callback request), with its
        deadlines already set; it opens its history like every other order."""
        created_order, created = await self._repository.create(order, local_day)
        if created:
            created_order = await self._repository.apply(
                created_order.id,
                created_order.version,
                {},
                [],
                OrderEvent(order.channel, SYSTEM_ACTOR, REGISTER, OrderState.NEW.value, OrderState.NEW.value),
                self._clock.now(),
            )
        return created_order, created

    async def update_call_order(self, order: StoredOrder, fields: Mapping[str, Any]) -> StoredOrder:
        """The agent classified the call again: the order's descriptive fields follow, versioned."""
        values = dict(fields)
        values["search_text"] = search_text(replace(order, **values), order.number)
        return await self._repository.apply(
            order.id,
            order.version,
            values,
            [],
            OrderEvent(SYSTEM_ACTOR, SYSTEM_ACTOR, "reclassify", order.status, order.status),
            self._clock.now(),
        )

    # -- actions ----------------------------------------------------------------------------------------

    async def act(
        self, number: str, action: Action, principal: Principal, payload: Payload, expected_version: int
    ) -> StoredOrder:
        order = await self._visible(number, principal)
        if order.version != expected_version:
            # The same answer the store would give, before the domain judges a state the client never saw.
            raise StaleVersionError(
                "Someone else changed this work order; read it again",
                details={"expected_version": expected_version, "current_version": order.version},
            )
        return await self._act(order, action, principal, payload)

    async def _act(
        self, order: StoredOrder, action: Action, principal: Principal, payload: Payload
    ) -> StoredOrder:
        units = await self._repository.units(order.id)
        now = self._clock.now()
        decision = decide(
            snapshot_of(order, units, self._calendar),
            action,
            Actor(principal.username, principal.role, principal.unit),
            payload,
            now,
            self._calendar,
        )
        entry = decision.entry
        changed = await self._repository.apply(
            order.id,
            order.version,
            stored_values(decision.order),
            [UnitChange(change.code, change.status.value, change.reason) for change in decision.unit_changes],
            OrderEvent(
                entry.actor,
                entry.actor_role.value,
                entry.action.value,
                entry.from_state.value,
                entry.to_state.value,
                entry.note,
                dict(entry.details) or None,
            ),
            now,
        )
        log.info(
            "Work order %s: %s by %s, %s -> %s",
            order.number,
            action,
            principal.username,
            entry.from_state,
            entry.to_state,
        )
        if decision.notify_leaders:
            await self._alert(changed, "urgent-transfer", changed.transfer_due_at, now)
        return changed

    # -- reading ----------------------------------------------------------------------------------------

    async def _visible(self, number: str, principal: Principal) -> StoredOrder:
        order = await self._repository.get(number)
        if order is None:
            raise NotFoundError("No such work order", details={"number": number})
        if principal.role in (Role.UNIT_HANDLER, Role.UNIT_HEAD):
            scope = await self._organisation.unit_scope(principal)
            units = {unit.unit_code for unit in await self._repository.units(order.id)}
            if scope is not None and not (units & scope):
                raise OrderNotVisibleError("No such work order", details={"number": number})
        return order

    async def view(self, number: str, principal: Principal) -> OrderView:
        order = await self._visible(number, principal)
        units = await self._repository.units(order.id)
        caller_number, masked = await self._phone(order, units, principal)
        snapshot = snapshot_of(order, units, self._calendar)
        return OrderView(
            order=order,
            units=tuple(units),
            events=tuple(await self._repository.events(order.id)),
            attachments=tuple(await self._repository.attachments(order.id)),
            caller_number=caller_number,
            phone_masked=masked,
            actions=available_actions(snapshot, Actor(principal.username, principal.role, principal.unit)),
            deadlines=deadline_statuses(snapshot, self._clock.now(), self._calendar),
        )

    async def _phone(
        self, order: StoredOrder, units: Sequence[StoredOrderUnit], principal: Principal
    ) -> tuple[str | None, bool]:
        if order.caller_number is None:
            return None, False
        if await self._organisation.may_see_phone(principal, [unit.unit_code for unit in units]):
            # A read of personal data is recorded before it is shown.
            await self._organisation.record_read(principal, "work-order", order.id, ["caller_number"])
            return order.caller_number, False
        return mask_phone(order.caller_number), True

    async def search(self, where: OrderFilter, principal: Principal) -> OrderPage:
        """Orders within the principal's scope. Lists show callers' numbers masked for everyone: the full
        number is in the order's own view, where its reading is recorded."""
        if principal.role in (Role.UNIT_HANDLER, Role.UNIT_HEAD):
            scope = await self._organisation.unit_scope(principal)
            if scope is not None:
                where = replace(where, units=tuple(sorted(scope)))
        orders, total = await self._repository.search(where)
        return OrderPage(
            items=tuple(replace(order, caller_number=mask_phone(order.caller_number)) for order in orders),
            total=total,
            more=total > COUNT_CAP,
        )

    async def order_for_call(self, linkedid: str, channel: Channel = Channel.HOTLINE) -> StoredOrder | None:
        """The order a call made (the agent's classification of a hotline call), None before it."""
        return await self._repository.find_for_call(linkedid, channel.value)

    # -- the caller's own view (web channel) ------------------------------------------------------------

    async def lookup(self, number: str, phone: str) -> StoredOrder:
        """The order when number and phone match; the same answer for a wrong number or a wrong phone."""
        order = await self._repository.get(number.strip())
        if order is None or order.caller_number is None or order.caller_number != normalise_number(phone):
            raise NotFoundError("No work order with this number and phone", details={})
        return order

    async def rate_reply(self, number: str, phone: str, rating: str) -> StoredOrder:
        order = await self.lookup(number, phone)
        if self._hotline.rating.scale and rating not in {
            option.code for option in self._hotline.rating.scale
        }:
            raise InvalidOrderError(
                "Unknown rating",
                details={"field": "rating", "known": [o.code for o in self._hotline.rating.scale]},
            )
        if order.status not in (OrderState.FEEDBACK.value, OrderState.CLOSED.value) or order.reply is None:
            raise InvalidOrderError("There is no reply to rate yet", details={"state": order.status})
        return await self._repository.apply(
            order.id,
            order.version,
            {"caller_rating": rating},
            [],
            OrderEvent("caller", "caller", "rate", order.status, order.status, details={"rating": rating}),
            self._clock.now(),
        )

    # -- attachments ------------------------------------------------------------------------------------

    async def attach(
        self, number: str, principal: Principal, filename: str, content_type: str, content: bytes
    ) -> StoredAttachment:
        order = await self._visible(number, principal)
        if content_type not in ATTACHMENT_TYPES:
            raise AttachmentRejectedError(
                "This type of file is not accepted",
                details={"content_type": content_type, "accepted": sorted(ATTACHMENT_TYPES)},
            )
        if not content or len(content) > MAX_ATTACHMENT_BYTES:
            raise AttachmentRejectedError(
                "An attachment must hold 1 byte to 5 MB",
                details={"size": len(content), "max": MAX_ATTACHMENT_BYTES},
            )
        name = Path(filename).name.strip()
        if not name or len(name) > 255:
            raise AttachmentRejectedError("The file needs a name (at most 255 characters)", details={})
        digest = hashlib.sha256(content).hexdigest()
        relative = Path(order.number) / digest
        target = self._attachments_dir / relative
        await asyncio.to_thread(_write_file, target, content)
        return await self._repository.add_attachment(
            {
                "order_id": order.id,
                "filename": name,
                "content_type": content_type,
                "size_bytes": len(content),
                "sha256": digest,
                "path": str(relative),
                "uploaded_by": principal.username,
                "uploaded_at": self._clock.now(),
            }
        )

    def attachment_path(self, attachment: StoredAttachment) -> Path:
        return self._attachments_dir / str(attachment.path)

    # -- early warning ----------------------------------------------------------------------------------

    async def check_deadlines(self) -> int:
        """Raises every deadline threshold reached, once per order, kind and level whichever instance
        gets there first, and pushes each to the supervisors' screens."""
        now = self._clock.now()
        raised = 0
        for order in await self._repository.open_with_deadlines():
            units = await self._repository.units(order.id)
            for threshold in reached_thresholds(
                snapshot_of(order, units, self._calendar), now, self._calendar
            ):
                if await self._repository.raise_reminder(
                    order.id, threshold.kind.value, threshold.level.value, threshold.due, now
                ):
                    raised += 1
                    await self._publish(
                        order, threshold.kind.value, threshold.level.value, threshold.due, now
                    )
        if raised:
            log.info("Raised %s deadline warning(s)", raised)
        return raised

    async def reminders(self, limit: int) -> list[tuple[StoredReminder, str]]:
        """The unacknowledged warnings, newest first, each with its order's number."""
        return await self._repository.reminders(limit)

    async def _alert(self, order: StoredOrder, level: str, due: datetime | None, now: datetime) -> None:
        if await self._repository.raise_reminder(order.id, "transfer", level, due or now, now):
            await self._publish(order, "transfer", level, due or now, now)

    async def _publish(self, order: StoredOrder, kind: str, level: str, due: datetime, now: datetime) -> None:
        await self._publisher.publish(
            REMINDER_CHANNEL,
            {
                "number": order.number,
                "kind": kind,
                "level": level,
                "due_at": due.isoformat(),
                "raised_at": now.isoformat(),
                "state": order.status,
                "urgency": order.urgency,
                "category": order.category,
            },
        )


def _system() -> Principal:
    """The service itself, routing a web order to its preset unit (acts as the dispatcher)."""
    return Principal(user_id=None, username=SYSTEM_ACTOR, role=Role.SUPERVISOR)


def _write_file(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(content)
    temporary.replace(target)


class DeadlineScheduler:
    """Checks every order's deadlines on a timer; several instances may run it, the store keeps each
    warning to one."""

    def __init__(self, service: WorkOrderService, interval_seconds: float) -> None:
        self._timer = Periodic("Deadline check", service.check_deadlines, interval_seconds)

    async def start(self) -> None:
        # In the background: a scan of every open order is no part of starting.
        await self._timer.start(wait_for_first=False)

    async def stop(self) -> None:
        await self._timer.stop()

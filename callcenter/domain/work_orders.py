"""The work-order (工单) lifecycle as a pure state machine, and its deadlines.

Every legal move is one row of ``TRANSITIONS``: (state, action) -> target state (or a function of the
order and the payload), the roles allowed, and which unit may act. ``decide`` checks one action against
that table and the payload and returns the order's next snapshot, the unit changes and the history entry;
it never reads the clock or touches storage.

Deadlines (002 hotline arts. 9, 11, 13; web arts. 12, 14):

* transfer: 1 statutory working day after registration; urgent and emergency: 1 *working hour*, which
  means one hour of the hotline's opening time (``WorkingCalendar.add_working_hours``). An urgent matter
  registered while the hotline is closed (a web form at night, a holiday) is due one hour after the next
  opening, not one wall-clock hour later.
* reply: the result reaches the caller (state ``feedback``) within 5 working days of registration; the unit
  head may extend it to at most 15 working days from registration.
* callback: emergency matters are called back within 3 working days of the reply reaching the caller.

A ``n``-working-day deadline keeps the wall-clock time of its start on the n-th working day after it
(``add_working_days``), and finishing exactly at it is on time.

Warning levels of a deadline, in order: ``near-due`` from the start (local midnight) of the working day
before the due day, ``due-today`` from the start of the due day, ``overdue`` after the due instant. A
deadline no longer applies once its step is done, so an order finished within an approved extension is
never overdue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from callcenter.domain.access import Role
from callcenter.domain.calendar import WorkingCalendar
from callcenter.domain.transfers import CallType, Urgency
from callcenter.errors import CallCenterError

__all__ = [
    "CALLBACK_WORKING_DAYS",
    "MAX_EXTENDED_REPLY_WORKING_DAYS",
    "REPLY_WORKING_DAYS",
    "TRANSFER_WORKING_DAYS",
    "TRANSITIONS",
    "URGENT_TRANSFER_WORKING_HOURS",
    "Action",
    "ActionForbiddenError",
    "Actor",
    "CallbackOutcome",
    "Channel",
    "DeadlineKind",
    "DeadlineStatus",
    "Deadlines",
    "Decision",
    "ExtensionLimitError",
    "HistoryEntry",
    "IllegalTransitionError",
    "InvalidActionError",
    "OrderSnapshot",
    "OrderState",
    "OrderType",
    "OrderUnit",
    "Payload",
    "Role",
    "Threshold",
    "Transition",
    "UnitChange",
    "UnitScope",
    "UnitStatus",
    "Urgency",
    "WarningLevel",
    "WorkOrderError",
    "allowed_actions",
    "available_actions",
    "deadline_statuses",
    "decide",
    "initial_deadlines",
    "reached_thresholds",
    "register",
    "warning_level",
    "warning_starts",
]

TRANSFER_WORKING_DAYS: Final = 1
URGENT_TRANSFER_WORKING_HOURS: Final = 1
REPLY_WORKING_DAYS: Final = 5
MAX_EXTENDED_REPLY_WORKING_DAYS: Final = 15
CALLBACK_WORKING_DAYS: Final = 3
MAX_TEXT_LENGTH: Final = 4000
MAX_UNIT_CODE_LENGTH: Final = 32


# -- vocabulary -------------------------------------------------------------------------------------------


class Channel(StrEnum):
    """Where the matter came in; every channel shares one entry and one numbering (003 §3)."""

    HOTLINE = "hotline"
    HOTLINE_OFFHOURS = "hotline-offhours"
    HOTLINE_CALLBACK = "hotline-callback"
    WEB = "web"
    WALK_IN = "walk-in"
    OTHER_HOTLINE = "other-hotline"


# An order is registered as one of the call types (002 hotline art. 8): the very same values.
OrderType = CallType


class OrderState(StrEnum):
    NEW = "new"
    CLOSED = "closed"
    TRANSFERRED = "transferred"
    RETURNED = "returned"
    IN_PROGRESS = "in-progress"
    EXTENSION_REQUESTED = "extension-requested"
    IN_REVIEW = "in-review"
    FEEDBACK = "feedback"
    SECOND_CALLBACK = "second-callback"
    FLAGGED = "flagged"


class Action(StrEnum):
    CLOSE = "close"
    TRANSFER = "transfer"
    ACCEPT = "accept"
    RETURN = "return"
    FORWARD = "forward"
    SEND_BACK = "send-back"
    REQUEST_EXTENSION = "request-extension"
    APPROVE_EXTENSION = "approve-extension"
    REFUSE_EXTENSION = "refuse-extension"
    REPLY = "reply"
    APPROVE_REPLY = "approve-reply"
    REJECT_REPLY = "reject-reply"
    CALLBACK = "callback"
    SECOND_CALLBACK = "second-callback"
    RESOLVE_FLAG = "resolve-flag"
    NOTE = "note"


class CallbackOutcome(StrEnum):
    SATISFIED = "satisfied"
    DISSATISFIED = "dissatisfied"
    # Dissatisfied only because the law does not allow what the caller asked: closed as it stands.
    LAW_DOES_NOT_ALLOW = "law-does-not-allow"
    # The unit's answer was wrong: sent back to be redone.
    WRONG_ANSWER = "wrong-answer"


class UnitStatus(StrEnum):
    """A unit's part in an order (the store's work_order_units.status)."""

    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    RELEASED = "released"


class UnitScope(StrEnum):
    """Which unit may take a unit action: any (not a unit action), one still assigned, or the lead."""

    ANY = "any"
    ASSIGNED = "assigned"
    LEAD = "lead"


class DeadlineKind(StrEnum):
    TRANSFER = "transfer"
    REPLY = "reply"
    CALLBACK = "callback"


class WarningLevel(StrEnum):
    NONE = "none"
    NEAR_DUE = "near-due"
    DUE_TODAY = "due-today"
    OVERDUE = "overdue"


# -- errors -----------------------------------------------------------------------------------------------


class WorkOrderError(CallCenterError):
    code = "invalid-work-order"
    http_status = 422


class IllegalTransitionError(WorkOrderError):
    """The action does not exist in this state; ``details["allowed"]`` lists what the actor's role can do."""

    code = "illegal-transition"
    http_status = 409


class ActionForbiddenError(WorkOrderError):
    """The action exists here but not for this actor: wrong role, or not (the lead of) the order's units."""

    code = "action-forbidden"
    http_status = 403


class InvalidActionError(WorkOrderError):
    code = "invalid-action"
    http_status = 422


class ExtensionLimitError(InvalidActionError):
    code = "extension-limit"
    http_status = 422


# -- the order as decide sees it --------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    transfer_due: datetime
    reply_due: datetime
    # Working days from registration the reply is due by, once an extension was approved.
    extension_days: int | None = None
    # Emergency matters only, set when the reply reaches the caller.
    callback_due: datetime | None = None

    @property
    def extended(self) -> bool:
        return self.extension_days is not None


@dataclass(frozen=True)
class OrderUnit:
    code: str
    status: UnitStatus = UnitStatus.ASSIGNED
    return_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.status in (UnitStatus.ASSIGNED, UnitStatus.ACCEPTED)


@dataclass(frozen=True)
class OrderSnapshot:
    state: OrderState
    order_type: OrderType
    urgency: Urgency
    registered_at: datetime
    deadlines: Deadlines
    units: tuple[OrderUnit, ...] = ()
    lead_unit: str | None = None
    # A case goes to review before its reply reaches the caller, whatever its type (web art. 13).
    is_case: bool = False
    # The special flag of a caller still dissatisfied after the second callback; it stays once resolved.
    flagged: bool = False
    # Working days from registration a pending extension request asks for.
    requested_extension_days: int | None = None
    reply: str | None = None
    replied_at: datetime | None = None
    feedback_at: datetime | None = None
    callback_outcome: CallbackOutcome | None = None
    closed_at: datetime | None = None

    def unit(self, code: str | None) -> OrderUnit | None:
        return next((unit for unit in self.units if unit.code == code), None) if code else None

    @property
    def needs_review(self) -> bool:
        return self.order_type is CallType.COMPLAINT or self.is_case


@dataclass(frozen=True)
class Actor:
    id: str
    role: Role
    # The unit a unit-handler or unit-head acts for; ignored for the other roles.
    unit: str | None = None


@dataclass(frozen=True)
class Payload:
    """What an action carries; each action reads only its own fields."""

    # transfer, forward, send-back (send-back defaults to the units that returned the order).
    units: tuple[str, ...] = ()
    # Required for return and reject-reply; optional for refuse-extension and resolve-flag.
    reason: str = ""
    # Free text recorded in the history; required for note.
    note: str = ""
    # The reply text (reply); the answer given (close, optional).
    reply: str = ""
    # callback and second-callback.
    outcome: CallbackOutcome | str | None = None
    # request-extension: working days from registration the reply would be due by (6..15);
    # approve-extension: optionally fewer than requested.
    days: int | None = None
    # transfer, forward, send-back: mark the order as a case (reviewed before the reply goes out).
    is_case: bool | None = None


@dataclass(frozen=True)
class HistoryEntry:
    actor: str
    actor_role: Role
    action: Action
    at: datetime
    from_state: OrderState
    to_state: OrderState
    note: str | None = None
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class UnitChange:
    """One row of the order's units to write: status ``assigned`` (re)assigns the unit afresh."""

    code: str
    status: UnitStatus
    reason: str | None = None


@dataclass(frozen=True)
class Decision:
    order: OrderSnapshot
    unit_changes: tuple[UnitChange, ...]
    entry: HistoryEntry
    # An urgent or emergency matter was transferred: leaders are told (hotline art. 9).
    notify_leaders: bool = False

    @property
    def state(self) -> OrderState:
        return self.order.state


# -- the transitions table --------------------------------------------------------------------------------

Target = OrderState | Callable[[OrderSnapshot, Actor, Payload], OrderState]


@dataclass(frozen=True)
class Transition:
    target: Target
    roles: frozenset[Role]
    scope: UnitScope = UnitScope.ANY


def _after_return(order: OrderSnapshot, actor: Actor, payload: Payload) -> OrderState:
    # Returned only once no unit is left on it; with joint handling the others carry on.
    others = [unit for unit in order.units if unit.active and unit.code != actor.unit]
    return order.state if others else OrderState.RETURNED


def _after_reply(order: OrderSnapshot, actor: Actor, payload: Payload) -> OrderState:
    return OrderState.IN_REVIEW if order.needs_review else OrderState.FEEDBACK


def _after_callback(order: OrderSnapshot, actor: Actor, payload: Payload) -> OrderState:
    outcome = _outcome(payload)
    if outcome in (CallbackOutcome.SATISFIED, CallbackOutcome.LAW_DOES_NOT_ALLOW):
        return OrderState.CLOSED
    if outcome is CallbackOutcome.WRONG_ANSWER:
        return OrderState.IN_PROGRESS
    return OrderState.SECOND_CALLBACK


def _after_second_callback(order: OrderSnapshot, actor: Actor, payload: Payload) -> OrderState:
    outcome = _outcome(payload)
    if outcome in (CallbackOutcome.SATISFIED, CallbackOutcome.LAW_DOES_NOT_ALLOW):
        return OrderState.CLOSED
    return OrderState.FLAGGED


def _unchanged(order: OrderSnapshot, actor: Actor, payload: Payload) -> OrderState:
    return order.state


_DISPATCHERS: Final = frozenset({Role.AGENT, Role.SUPERVISOR})
_UNIT_STAFF: Final = frozenset({Role.UNIT_HANDLER, Role.UNIT_HEAD})
_HEADS: Final = frozenset({Role.UNIT_HEAD})
_SUPERVISORS: Final = frozenset({Role.SUPERVISOR})
STAFF: Final = frozenset(Role)

S = OrderState
TRANSITIONS: Final[Mapping[tuple[OrderState, Action], Transition]] = MappingProxyType(
    {
        (S.NEW, Action.CLOSE): Transition(S.CLOSED, _DISPATCHERS),
        (S.NEW, Action.TRANSFER): Transition(S.TRANSFERRED, _DISPATCHERS),
        (S.RETURNED, Action.TRANSFER): Transition(S.TRANSFERRED, _DISPATCHERS),
        (S.RETURNED, Action.FORWARD): Transition(S.TRANSFERRED, _DISPATCHERS),
        (S.RETURNED, Action.SEND_BACK): Transition(S.TRANSFERRED, _DISPATCHERS),
        (S.TRANSFERRED, Action.ACCEPT): Transition(S.IN_PROGRESS, _UNIT_STAFF, UnitScope.ASSIGNED),
        (S.TRANSFERRED, Action.RETURN): Transition(_after_return, _UNIT_STAFF, UnitScope.ASSIGNED),
        # Joint handling: a unit still assigned joins (or declines) after the lead accepted.
        (S.IN_PROGRESS, Action.ACCEPT): Transition(S.IN_PROGRESS, _UNIT_STAFF, UnitScope.ASSIGNED),
        (S.IN_PROGRESS, Action.RETURN): Transition(_after_return, _UNIT_STAFF, UnitScope.ASSIGNED),
        (S.IN_PROGRESS, Action.REQUEST_EXTENSION): Transition(
            S.EXTENSION_REQUESTED, _UNIT_STAFF, UnitScope.LEAD
        ),
        (S.EXTENSION_REQUESTED, Action.APPROVE_EXTENSION): Transition(S.IN_PROGRESS, _HEADS, UnitScope.LEAD),
        (S.EXTENSION_REQUESTED, Action.REFUSE_EXTENSION): Transition(S.IN_PROGRESS, _HEADS, UnitScope.LEAD),
        (S.IN_PROGRESS, Action.REPLY): Transition(_after_reply, _UNIT_STAFF, UnitScope.LEAD),
        (S.IN_REVIEW, Action.APPROVE_REPLY): Transition(S.FEEDBACK, _SUPERVISORS),
        (S.IN_REVIEW, Action.REJECT_REPLY): Transition(S.IN_PROGRESS, _SUPERVISORS),
        (S.FEEDBACK, Action.CALLBACK): Transition(_after_callback, _DISPATCHERS),
        (S.SECOND_CALLBACK, Action.SECOND_CALLBACK): Transition(_after_second_callback, _SUPERVISORS),
        (S.FLAGGED, Action.RESOLVE_FLAG): Transition(S.CLOSED, _SUPERVISORS),
        **{(state, Action.NOTE): Transition(_unchanged, STAFF) for state in OrderState},
    }
)
del S

# The states in which each deadline still runs, and the states an order counts as finished in.
_TRANSFER_PENDING: Final = frozenset({OrderState.NEW, OrderState.RETURNED})
_REPLY_PENDING: Final = frozenset(
    {
        OrderState.NEW,
        OrderState.TRANSFERRED,
        OrderState.RETURNED,
        OrderState.IN_PROGRESS,
        OrderState.EXTENSION_REQUESTED,
        OrderState.IN_REVIEW,
    }
)
_CALLBACK_PENDING: Final = frozenset({OrderState.FEEDBACK})


def allowed_actions(state: OrderState, role: Role) -> tuple[Action, ...]:
    """The actions the table allows a role in a state, in declaration order (no unit scope applied)."""
    return tuple(
        action
        for action in Action
        if (transition := TRANSITIONS.get((state, action))) is not None and role in transition.roles
    )


def available_actions(order: OrderSnapshot, actor: Actor) -> tuple[Action, ...]:
    """What this actor may attempt on this order now: role and unit scope both checked (not the payload)."""
    return tuple(
        action
        for action in allowed_actions(order.state, actor.role)
        if _scope_refusal(order, actor, TRANSITIONS[(order.state, action)].scope) is None
    )


def _scope_refusal(order: OrderSnapshot, actor: Actor, scope: UnitScope) -> str | None:
    if scope is UnitScope.ANY:
        return None
    unit = order.unit(actor.unit)
    if unit is None or not unit.active:
        return "not-your-unit"
    if scope is UnitScope.ASSIGNED and unit.status is not UnitStatus.ASSIGNED:
        return "unit-already-accepted"
    if scope is UnitScope.LEAD and order.lead_unit != unit.code:
        return "not-lead-unit"
    return None


# -- decide -----------------------------------------------------------------------------------------------


def decide(
    order: OrderSnapshot,
    action: Action,
    actor: Actor,
    payload: Payload | None,
    at: datetime,
    calendar: WorkingCalendar,
) -> Decision:
    """The outcome of ``actor`` taking ``action`` on ``order`` at ``at``, or the error refusing it.

    Checks, in order: the action exists in this state (409 with the role's allowed actions), the role
    may take it (403), the actor's unit may (403: not one of the order's units, or not the lead of a
    joint order), the payload (422).
    """
    payload = payload or Payload()
    _require_aware(at, "at")
    try:
        action = Action(action)
    except ValueError:
        raise InvalidActionError(
            f"no such action: {action!r}", details={"field": "action", "allowed": list(Action)}
        ) from None
    transition = TRANSITIONS.get((order.state, action))
    if transition is None:
        allowed = allowed_actions(order.state, actor.role)
        raise IllegalTransitionError(
            f"cannot {action} a work order that is {order.state}"
            + (f"; a {actor.role} can: {', '.join(allowed)}" if allowed else ""),
            details={
                "state": order.state.value,
                "action": action.value,
                "role": actor.role.value,
                "allowed": [a.value for a in allowed],
            },
        )
    if actor.role not in transition.roles:
        raise ActionForbiddenError(
            f"a {actor.role} cannot {action} a work order",
            details={
                "state": order.state.value,
                "action": action.value,
                "role": actor.role.value,
                "roles": sorted(role.value for role in transition.roles),
                "reason": "role",
            },
        )
    refusal = _scope_refusal(order, actor, transition.scope)
    if refusal is not None:
        message = {
            "not-your-unit": f"unit {actor.unit or '(none)'} is not handling this work order",
            "unit-already-accepted": f"unit {actor.unit} has already accepted this work order",
            "not-lead-unit": f"only the lead unit {order.lead_unit} can {action} this jointly handled order",
        }[refusal]
        raise ActionForbiddenError(
            message,
            details={
                "state": order.state.value,
                "action": action.value,
                "unit": actor.unit,
                "units": [unit.code for unit in order.units if unit.active],
                "lead_unit": order.lead_unit,
                "reason": refusal,
            },
        )
    if not actor.id.strip():
        raise InvalidActionError("the actor needs an id", details={"field": "actor"})
    payload = _checked_payload(order, action, payload)
    target = transition.target
    to_state = target if isinstance(target, OrderState) else target(order, actor, payload)
    changed, unit_changes, details = _EFFECTS[action](order, actor, payload, at, calendar)
    new_order = replace(order, state=to_state, **changed)
    if to_state is OrderState.FEEDBACK and order.state is not OrderState.FEEDBACK:
        new_order = _reaches_caller(new_order, at, calendar)
    if to_state is OrderState.CLOSED and order.state is not OrderState.CLOSED:
        new_order = replace(new_order, closed_at=at)
    note = payload.note.strip() or payload.reason.strip() or None
    entry = HistoryEntry(
        actor=actor.id,
        actor_role=actor.role,
        action=action,
        at=at,
        from_state=order.state,
        to_state=to_state,
        note=note,
        details=MappingProxyType(details),
    )
    notify = action in _TRANSFER_ACTIONS and order.urgency is not Urgency.NORMAL
    return Decision(new_order, unit_changes, entry, notify_leaders=notify)


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidActionError(
            f"{name} must be a timezone-aware datetime, got {value!r}",
            details={"field": name, "value": repr(value)},
        )


def _outcome(payload: Payload) -> CallbackOutcome:
    # _checked_payload has already turned a string into the enum.
    assert isinstance(payload.outcome, CallbackOutcome)
    return payload.outcome


def _text(value: str, name: str, *, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not isinstance(value, str) or (required and not text):
        raise InvalidActionError(f"{name} is required", details={"field": name})
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidActionError(
            f"{name} is longer than {MAX_TEXT_LENGTH} characters",
            details={"field": name, "max_length": MAX_TEXT_LENGTH},
        )
    return text


def _unit_codes(units: Iterable[str]) -> tuple[str, ...]:
    if isinstance(units, str):
        raise InvalidActionError("units must be a list of unit codes", details={"field": "units"})
    codes = tuple(units)
    for code in codes:
        if not isinstance(code, str) or not code.strip() or len(code) > MAX_UNIT_CODE_LENGTH:
            raise InvalidActionError(
                f"a unit code must be 1-{MAX_UNIT_CODE_LENGTH} characters, got {code!r}",
                details={"field": "units", "value": repr(code)},
            )
    if len(set(codes)) != len(codes):
        raise InvalidActionError("a unit is listed twice", details={"field": "units", "units": list(codes)})
    return codes


def _checked_payload(order: OrderSnapshot, action: Action, payload: Payload) -> Payload:
    """The payload with its text stripped and its outcome an enum; refuses what the action needs but lacks."""
    note = _text(payload.note, "note", required=action is Action.NOTE)
    reason = _text(payload.reason, "reason", required=action in (Action.RETURN, Action.REJECT_REPLY))
    reply = _text(payload.reply, "reply", required=action is Action.REPLY)
    outcome = payload.outcome
    if action in (Action.CALLBACK, Action.SECOND_CALLBACK):
        try:
            outcome = CallbackOutcome(outcome) if outcome is not None else None
        except ValueError:
            outcome = None
        if outcome is None:
            raise InvalidActionError(
                f"{action} needs an outcome: one of {', '.join(CallbackOutcome)}",
                details={
                    "field": "outcome",
                    "value": repr(payload.outcome),
                    "allowed": list(CallbackOutcome),
                },
            )
    units = _unit_codes(payload.units)
    if action in (Action.TRANSFER, Action.FORWARD) and not units:
        raise InvalidActionError(f"{action} needs at least one unit", details={"field": "units"})
    if action is Action.SEND_BACK:
        returned = [unit.code for unit in order.units if unit.status is UnitStatus.RETURNED]
        units = units or tuple(returned)
        stray = [code for code in units if code not in returned]
        if stray or not units:
            raise InvalidActionError(
                "send-back goes to the units that returned the order; use forward for another unit",
                details={"field": "units", "units": list(units), "returned": returned},
            )
    days = payload.days
    if action is Action.REQUEST_EXTENSION or (action is Action.APPROVE_EXTENSION and days is not None):
        days = _extension_days(order, days)
    return replace(payload, note=note, reason=reason, reply=reply, outcome=outcome, units=units, days=days)


def _extension_days(order: OrderSnapshot, days: int | None) -> int:
    if not isinstance(days, int) or isinstance(days, bool):
        raise InvalidActionError(
            "an extension needs days: the working days from registration the reply would be due by",
            details={"field": "days", "value": repr(days)},
        )
    current = order.deadlines.extension_days or REPLY_WORKING_DAYS
    if days > MAX_EXTENDED_REPLY_WORKING_DAYS:
        raise ExtensionLimitError(
            f"the reply can be extended to at most {MAX_EXTENDED_REPLY_WORKING_DAYS} working days from "
            f"registration, not {days}",
            details={
                "field": "days",
                "value": days,
                "max": MAX_EXTENDED_REPLY_WORKING_DAYS,
                "current": current,
            },
        )
    if days <= current:
        raise InvalidActionError(
            f"an extension must go beyond the current {current} working days, not {days}",
            details={"field": "days", "value": days, "current": current},
        )
    return days


Changes = tuple[dict[str, Any], tuple[UnitChange, ...], dict[str, Any]]
Effect = Callable[[OrderSnapshot, Actor, Payload, datetime, WorkingCalendar], Changes]


def _set_units(order: OrderSnapshot, changes: Iterable[UnitChange]) -> tuple[OrderUnit, ...]:
    by_code = {unit.code: unit for unit in order.units}
    for change in changes:
        by_code[change.code] = OrderUnit(change.code, change.status, change.reason)
    return tuple(by_code.values())


def _transfer(
    order: OrderSnapshot, actor: Actor, payload: Payload, at: datetime, _: WorkingCalendar
) -> Changes:
    changes = tuple(UnitChange(code, UnitStatus.ASSIGNED) for code in payload.units)
    changed: dict[str, Any] = {"units": _set_units(order, changes), "lead_unit": None}
    if payload.is_case is not None:
        changed["is_case"] = payload.is_case
    return changed, changes, {"units": list(payload.units), "joint": len(payload.units) > 1}


def _accept(
    order: OrderSnapshot, actor: Actor, payload: Payload, at: datetime, _: WorkingCalendar
) -> Changes:
    assert actor.unit is not None
    changes = (UnitChange(actor.unit, UnitStatus.ACCEPTED),)
    lead = order.lead_unit or actor.unit
    return (
        {"units": _set_units(order, changes), "lead_unit": lead},
        changes,
        {"unit": actor.unit, "lead_unit": lead},
    )


def _return(
    order: OrderSnapshot, actor: Actor, payload: Payload, at: datetime, _: WorkingCalendar
) -> Changes:
    assert actor.unit is not None
    changes = (UnitChange(actor.unit, UnitStatus.RETURNED, payload.reason),)
    return {"units": _set_units(order, changes)}, changes, {"unit": actor.unit, "reason": payload.reason}


def _request_extension(
    order: OrderSnapshot, actor: Actor, payload: Payload, at: datetime, _: WorkingCalendar
) -> Changes:
    return {"requested_extension_days": payload.days}, (), {"days": payload.days}


def _approve_extension(
    order: OrderSnapshot, actor: Actor, payload: Payload, at: datetime, calendar: WorkingCalendar
) -> Changes:
    days = payload.days if payload.days is not None else order.requested_extension_days
    if days is None:
        raise InvalidActionError("no extension request to approve", details={"field": "days"})
    days = _extension_days(order, days)
    if order.requested_extension_days is not None and days > order.requested_extension_days:
        raise InvalidActionError(
            f"the approval cannot go beyond the {order.requested_extension_days} working days requested",
            details={"field": "days", "value": days, "requested": order.requested_extension_days},
        )
    due = calendar.add_working_days(order.registered_at, days)
    deadlines = replace(order.deadlines, reply_due=due, extension_days=days)
    return (
        {"deadlines": deadlines, "requested_extension_days": None},
        (),
        {"days": days, "reply_due": due.isoformat()},
    )


def _refuse_extension(
    order: OrderSnapshot, actor: Actor, payload: Payload, at: datetime, _: WorkingCalendar
) -> Changes:
    return {"requested_extension_days": None}, (), {"days": order.requested_extension_days}


def _reply(order: OrderSnapshot, actor: Actor, payload: Payload, at: datetime, _: WorkingCalendar) -> Changes:
    return {"reply": payload.reply, "replied_at": at}, (), {"unit": actor.unit, "review": order.needs_review}


def _callback(
    order: OrderSnapshot, actor: Actor, payload: Payload, at: datetime, _: WorkingCalendar
) -> Changes:
    outcome = _outcome(payload)
    changed: dict[str, Any] = {"callback_outcome": outcome}
    if order.state is OrderState.SECOND_CALLBACK and outcome not in (
        CallbackOutcome.SATISFIED,
        CallbackOutcome.LAW_DOES_NOT_ALLOW,
    ):
        changed["flagged"] = True
    return changed, (), {"outcome": outcome.value}


def _close(order: OrderSnapshot, actor: Actor, payload: Payload, at: datetime, _: WorkingCalendar) -> Changes:
    # The answer given at once, when the agent records it.
    return ({"reply": payload.reply, "replied_at": at} if payload.reply else {}), (), {}


def _nothing(
    order: OrderSnapshot, actor: Actor, payload: Payload, at: datetime, _: WorkingCalendar
) -> Changes:
    return {}, (), {}


_TRANSFER_ACTIONS: Final = frozenset({Action.TRANSFER, Action.FORWARD, Action.SEND_BACK})
_EFFECTS: Final[Mapping[Action, Effect]] = MappingProxyType(
    {
        Action.CLOSE: _close,
        Action.TRANSFER: _transfer,
        Action.FORWARD: _transfer,
        Action.SEND_BACK: _transfer,
        Action.ACCEPT: _accept,
        Action.RETURN: _return,
        Action.REQUEST_EXTENSION: _request_extension,
        Action.APPROVE_EXTENSION: _approve_extension,
        Action.REFUSE_EXTENSION: _refuse_extension,
        Action.REPLY: _reply,
        Action.APPROVE_REPLY: _nothing,
        Action.REJECT_REPLY: _nothing,
        Action.CALLBACK: _callback,
        Action.SECOND_CALLBACK: _callback,
        Action.RESOLVE_FLAG: _nothing,
        Action.NOTE: _nothing,
    }
)


def _reaches_caller(order: OrderSnapshot, at: datetime, calendar: WorkingCalendar) -> OrderSnapshot:
    callback_due = (
        calendar.add_working_days(at, CALLBACK_WORKING_DAYS) if order.urgency is Urgency.EMERGENCY else None
    )
    return replace(order, feedback_at=at, deadlines=replace(order.deadlines, callback_due=callback_due))


# -- deadlines and warnings -------------------------------------------------------------------------------


def initial_deadlines(registered_at: datetime, urgency: Urgency, calendar: WorkingCalendar) -> Deadlines:
    _require_aware(registered_at, "registered_at")
    if urgency is Urgency.NORMAL:
        transfer_due = calendar.add_working_days(registered_at, TRANSFER_WORKING_DAYS)
    else:
        transfer_due = calendar.add_working_hours(registered_at, URGENT_TRANSFER_WORKING_HOURS)
    reply_due = calendar.add_working_days(registered_at, REPLY_WORKING_DAYS)
    return Deadlines(transfer_due=transfer_due, reply_due=reply_due)


def register(
    order_type: OrderType,
    urgency: Urgency,
    registered_at: datetime,
    calendar: WorkingCalendar,
    *,
    is_case: bool = False,
) -> OrderSnapshot:
    """A newly registered order, state ``new``, with its deadlines."""
    return OrderSnapshot(
        state=OrderState.NEW,
        order_type=OrderType(order_type),
        urgency=Urgency(urgency),
        registered_at=registered_at,
        deadlines=initial_deadlines(registered_at, Urgency(urgency), calendar),
        is_case=is_case,
    )


def warning_starts(due: datetime, calendar: WorkingCalendar) -> tuple[datetime, datetime]:
    """When ``near-due`` and ``due-today`` begin: local midnight of the working day before the due day,
    and of the due day. ``overdue`` begins right after ``due``."""
    _require_aware(due, "due")
    local_due = due.astimezone(calendar.tz)
    day_before = calendar.add_working_days(local_due, -1).date()
    near = datetime.combine(day_before, time(), tzinfo=calendar.tz)
    today = datetime.combine(local_due.date(), time(), tzinfo=calendar.tz)
    return near, today


def warning_level(due: datetime, at: datetime, calendar: WorkingCalendar) -> WarningLevel:
    """How close ``at`` is to ``due``; finishing exactly at ``due`` is on time."""
    _require_aware(at, "at")
    if at > due:
        return WarningLevel.OVERDUE
    near, today = warning_starts(due, calendar)
    if at >= today:
        return WarningLevel.DUE_TODAY
    if at >= near:
        return WarningLevel.NEAR_DUE
    return WarningLevel.NONE


@dataclass(frozen=True)
class DeadlineStatus:
    kind: DeadlineKind
    due: datetime
    level: WarningLevel
    # The reply deadline was moved by an approved extension.
    extended: bool = False


@dataclass(frozen=True)
class Threshold:
    """One early warning to raise once per order: the store keeps (order, kind, level) unique."""

    kind: DeadlineKind
    level: WarningLevel
    due: datetime


def _running_deadlines(order: OrderSnapshot) -> list[tuple[DeadlineKind, datetime, datetime]]:
    """(kind, due, when the clock started) of each deadline the order's state still has to meet."""
    running: list[tuple[DeadlineKind, datetime, datetime]] = []
    if order.state in _TRANSFER_PENDING:
        running.append((DeadlineKind.TRANSFER, order.deadlines.transfer_due, order.registered_at))
    if order.state in _REPLY_PENDING:
        running.append((DeadlineKind.REPLY, order.deadlines.reply_due, order.registered_at))
    callback_due = order.deadlines.callback_due
    if order.state in _CALLBACK_PENDING and callback_due is not None:
        running.append((DeadlineKind.CALLBACK, callback_due, order.feedback_at or order.registered_at))
    return running


def deadline_statuses(
    order: OrderSnapshot, at: datetime, calendar: WorkingCalendar
) -> tuple[DeadlineStatus, ...]:
    """The deadlines still running for the order and their warning level at ``at``."""
    return tuple(
        DeadlineStatus(
            kind,
            due,
            warning_level(due, at, calendar),
            extended=kind is DeadlineKind.REPLY and order.deadlines.extended,
        )
        for kind, due, _ in _running_deadlines(order)
    )


_LEVELS: Final = (WarningLevel.NEAR_DUE, WarningLevel.DUE_TODAY, WarningLevel.OVERDUE)


def reached_thresholds(
    order: OrderSnapshot, at: datetime, calendar: WorkingCalendar
) -> tuple[Threshold, ...]:
    """Every warning threshold the order's running deadlines have reached by ``at``, for the reminders.

    A level counts when the deadline is in it now or went through it after its clock started: a 1-hour
    transfer deadline set on its due day starts at ``due-today`` and never reports ``near-due``. The
    levels only rise with time, so raising each (order, kind, level) once is the store's job.
    """
    _require_aware(at, "at")
    reached: list[Threshold] = []
    for kind, due, started in _running_deadlines(order):
        current = warning_level(due, at, calendar)
        if current is WarningLevel.NONE:
            continue
        _, today = warning_starts(due, calendar)
        # When each level ends (the next one begins): a level over before the clock started is skipped.
        ends = {WarningLevel.NEAR_DUE: today, WarningLevel.DUE_TODAY: due}
        for level in _LEVELS[: _LEVELS.index(current) + 1]:
            if level is current or ends[level] > started:
                reached.append(Threshold(kind, level, due))
    return tuple(reached)

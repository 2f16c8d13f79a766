"""Work orders as the store keeps them (frozen views of the order, its units, history, attachments and
early warnings), and what a search of them asks. The lifecycle's decisions are in ``work_orders``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class StoredOrder:
    id: int
    # Per local day across every channel, e.g. 20261124-00001.
    number: str
    channel: str
    order_type: str
    # The lifecycle's state (an OrderState value).
    status: str
    caller_number: str | None
    prefecture: str | None
    language: str | None
    linkedid: str | None
    recording_path: str | None
    recording_seconds: float | None
    wait_seconds: float | None
    description: str | None
    category: str | None
    urgency: str | None
    caller_name: str | None
    # The off-hours call back's deadline (survey_due_at is the emergency callback survey's).
    callback_due_at: datetime | None
    created_at: datetime
    # Every change bumps it; an action quoting an older one is refused.
    version: int
    lead_unit: str | None
    is_case: bool
    transfer_due_at: datetime | None
    reply_due_at: datetime | None
    reply_extended: bool
    extension_days: int | None
    requested_extension_days: int | None
    survey_due_at: datetime | None
    reply: str | None
    replied_at: datetime | None
    feedback_at: datetime | None
    callback_outcome: str | None
    flagged: bool
    closed_at: datetime | None
    caller_rating: str | None
    updated_at: datetime | None
    # Lower-cased number, caller, phone, category and description: what a staff search matches.
    search_text: str | None


@dataclass(frozen=True, slots=True)
class StoredOrderUnit:
    """A handling unit an order was transferred to (several for joint handling; one is the lead)."""

    id: int
    order_id: int
    unit_code: str
    assigned_at: datetime
    accepted_at: datetime | None
    returned_at: datetime | None
    return_reason: str | None
    # A UnitStatus value: assigned, accepted, returned, released (no longer on the order).
    status: str


@dataclass(frozen=True, slots=True)
class StoredOrderEvent:
    """One line of the order's history: who did what, when, from which state to which."""

    id: int
    order_id: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    from_state: str
    to_state: str
    note: str | None
    details: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    id: int
    order_id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    # Relative to the attachments directory.
    path: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class StoredReminder:
    """An early warning raised for an order, once per deadline kind and level."""

    id: int
    order_id: int
    # transfer, reply, callback
    kind: str
    # near-due, due-today, overdue (or urgent-transfer)
    level: str
    due_at: datetime
    raised_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class OrderFilter:
    states: tuple[str, ...] = ()
    # Orders having one of these units (a unit's handlers see their unit and its descendants).
    units: tuple[str, ...] | None = None
    channel: str | None = None
    order_type: str | None = None
    category: str | None = None
    caller_number: str | None = None
    text: str | None = None
    reply_due_before: datetime | None = None
    flagged: bool | None = None
    limit: int = 50
    offset: int = 0

"""SQLAlchemy models. Every change here comes with an Alembic revision in db/versions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from callcenter.store.db import CLOCK_OPTION
from callcenter.store.types import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def app_now(context: Any) -> datetime:
    """Column default: the app's clock, which every engine of store.db carries in its execution options.

    An engine made elsewhere (none should be) falls back to the system clock rather than fail a write.
    """
    clock = context.execution_options.get(CLOCK_OPTION)
    return clock.now() if clock is not None else datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CallRecord(Base):
    """One call to the hotline, keyed by Asterisk's linkedid, filled in by AGI, AMI and the spool."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    uniqueid: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(128))
    caller_number: Mapped[str | None] = mapped_column(String(64))
    dialed_number: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    hangup_cause: Mapped[int | None] = mapped_column(Integer)
    hangup_cause_text: Mapped[str | None] = mapped_column(String(64))
    # How the call entered: "app" (FastAGI decided) or "fallback" (the app was unreachable).
    entry_route: Mapped[str | None] = mapped_column(String(16))
    next_step: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    prefecture: Mapped[str | None] = mapped_column(String(32))
    caller_place: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64))
    queue_joined_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    agent_id: Mapped[str | None] = mapped_column(String(16))
    agent_answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    # answered, abandoned, callback, message, no-message
    outcome: Mapped[str | None] = mapped_column(String(16))
    # What the triage agent ticked (the basis of all statistics).
    call_type: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    urgency: Mapped[str | None] = mapped_column(String(16))
    caller_name: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    classified_by: Mapped[str | None] = mapped_column(String(16))
    classified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The transfer to an expert, kept here so that any instance of the app can continue it.
    transfer_mode: Mapped[str | None] = mapped_column(String(16))
    transfer_agent_id: Mapped[str | None] = mapped_column(String(16))
    transfer_requested_expert: Mapped[str | None] = mapped_column(String(32))
    transfer_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The latest attempt's status (callcenter.domain.transfers.TransferStatus) ...
    transfer_status: Mapped[str | None] = mapped_column(String(16))
    # ... and number: the call's transfers are numbered 1, 2, ...; 0 for a call never transferred.
    transfer_attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    expert_id: Mapped[str | None] = mapped_column(String(32))
    needs_callback: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=app_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=app_now, onupdate=app_now)

    __table_args__ = (
        Index("ix_calls_caller_number_started_at", "caller_number", "started_at"),
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_agent_id_started_at", "agent_id", "started_at"),
    )


class CallLeg(Base):
    """One attempt to reach an expert's phone during a transfer (the caller's and the triage agent's
    legs are on the call record itself)."""

    __tablename__ = "call_legs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    leg: Mapped[int] = mapped_column(Integer)
    # The call's transfer attempt (calls.transfer_attempt) the leg belongs to.
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    mode: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(16))
    expert_id: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(32))
    # When the app chose this number (fairness counts from it), and when the phone began to ring
    # (after any announcement to the caller; the same until Asterisk reports it).
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ring_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        UniqueConstraint("linkedid", "leg", name="uq_call_legs_linkedid_leg"),
        # Who rings or talks now, and who was offered a call last: asked at every transfer.
        Index("ix_call_legs_expert_id_offered_at", "expert_id", "offered_at"),
    )


class Recording(Base):
    """A recorded leg: the file (relative to the recordings directory) and what proves it unchanged."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    leg: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(512))
    # recording, complete, missing (Asterisk wrote nothing)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    sha256: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("linkedid", "leg", name="uq_recordings_linkedid_leg"),)


class Rating(Base):
    """The caller's rating of the expert's answer; status "none" is a caller who gave none."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    digit: Mapped[str | None] = mapped_column(String(1))
    code: Mapped[str | None] = mapped_column(String(32))
    dissatisfied: Mapped[bool] = mapped_column(Boolean, default=False)
    expert_id: Mapped[str | None] = mapped_column(String(32), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(16), index=True)
    work_order_id: Mapped[int | None] = mapped_column(Integer)
    # app (FastAGI) or spool (the classic fallback while the app was unreachable)
    source: Mapped[str] = mapped_column(String(8))
    rated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WorkOrderSequence(Base):
    """The last number given out per day: work orders are numbered per day across every channel."""

    __tablename__ = "work_order_sequences"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class WorkOrder(Base):
    """A work order (工单). This first form carries what the hotline creates by itself; the ticket
    lifecycle (transfers, deadlines, callbacks) extends it."""

    __tablename__ = "work_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    order_type: Mapped[str] = mapped_column(String(16))
    # The lifecycle's state: the longest, "extension-requested", has 19 characters (migration 0008).
    status: Mapped[str] = mapped_column(String(24))
    caller_number: Mapped[str | None] = mapped_column(String(64), index=True)
    prefecture: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    linkedid: Mapped[str | None] = mapped_column(String(64))
    recording_path: Mapped[str | None] = mapped_column(String(512))
    recording_seconds: Mapped[float | None] = mapped_column(Float)
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32))
    urgency: Mapped[str | None] = mapped_column(String(16))
    caller_name: Mapped[str | None] = mapped_column(String(64))
    callback_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=app_now)
    # The lifecycle (callcenter.domain.work_orders): "status" holds the state.
    # Every change bumps the version; an action quoting an older one is refused (two people, one order).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    lead_unit: Mapped[str | None] = mapped_column(String(32))
    # A case (not only complaints) goes to review before the reply reaches the caller.
    is_case: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    transfer_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reply_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reply_extended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    extension_days: Mapped[int | None] = mapped_column(Integer)
    requested_extension_days: Mapped[int | None] = mapped_column(Integer)
    # The emergency callback survey's deadline (callback_due_at is the off-hours call back's).
    survey_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    feedback_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    callback_outcome: Mapped[str | None] = mapped_column(String(24))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The caller's own rating of the reply (web channel), by the configured scale's code.
    caller_rating: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Lower-cased number, caller, phone, category and description: what a staff search matches.
    search_text: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("linkedid", "channel", name="uq_work_orders_linkedid_channel"),
        # The dispatcher's and the supervisors' views: by state, newest first; by deadline.
        Index("ix_work_orders_status_created_at", "status", "created_at"),
        Index("ix_work_orders_reply_due_at", "reply_due_at"),
        Index("ix_work_orders_created_at", "created_at"),
    )


class WorkOrderUnit(Base):
    """A handling unit an order was transferred to (several for joint handling; one is the lead)."""

    __tablename__ = "work_order_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(Integer, ForeignKey("work_orders.id", ondelete="CASCADE"))
    unit_code: Mapped[str] = mapped_column(String(32), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    return_reason: Mapped[str | None] = mapped_column(Text)
    # assigned, accepted, returned, released (no longer on the order)
    status: Mapped[str] = mapped_column(String(16))

    __table_args__ = (
        UniqueConstraint("order_id", "unit_code", name="uq_work_order_units_order_id_unit_code"),
    )


class WorkOrderEvent(Base):
    """The order's history: every action, who took it, when, from which state to which (全程留痕)."""

    __tablename__ = "work_order_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("work_orders.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class WorkOrderReminder(Base):
    """An early warning raised for an order: once per deadline kind and level, whatever the instances."""

    __tablename__ = "work_order_reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(Integer, ForeignKey("work_orders.id", ondelete="CASCADE"))
    # transfer, reply, callback
    kind: Mapped[str] = mapped_column(String(16))
    # near-due, due-today, overdue
    level: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("order_id", "kind", "level", name="uq_work_order_reminders_order_id_kind_level"),
    )


class WorkOrderAttachment(Base):
    __tablename__ = "work_order_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("work_orders.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ExpertRecord(Base):
    """A back-end expert (callcenter.domain.experts.Expert) with its state in the store."""

    __tablename__ = "experts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    organisation: Mapped[str] = mapped_column(String(128))
    # Dialling order matters: a JSON list, not a set.
    phones: Mapped[list[str]] = mapped_column(JSON)
    categories: Mapped[list[str]] = mapped_column(JSON)
    prefectures: Mapped[list[str]] = mapped_column(JSON)
    max_concurrent_calls: Mapped[int] = mapped_column(Integer)
    # Deactivated rather than deleted: calls, legs and ratings keep referring to the id.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Optimistic concurrency: starts at 1, grows by one at every change.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=app_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=app_now, onupdate=app_now)


class RosterEntryRecord(Base):
    """One duty-roster entry: exactly one of day, weekday, working_days says when it applies."""

    __tablename__ = "roster_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    expert_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("experts.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date | None] = mapped_column(Date)
    weekday: Mapped[int | None] = mapped_column(Integer)
    working_days: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class UnitRecord(Base):
    """A handling unit (callcenter.domain.organisation.Unit); deactivated rather than deleted."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    # province, prefecture, county, office
    level: Mapped[str] = mapped_column(String(16))
    parent: Mapped[str | None] = mapped_column(String(32), ForeignKey("units.code"), index=True)
    # The head's username: no foreign key, the head's user belongs to the unit and comes after it.
    head: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=app_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=app_now, onupdate=app_now)


class UserRecord(Base):
    """A user of the work-order system; the password only as an argon2 hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(32), ForeignKey("units.code"), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(16), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    version: Mapped[int] = mapped_column(Integer, default=1)
    # In every session token: bumped by a password reset, which ends every session signed before.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=app_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=app_now, onupdate=app_now)


class AuditRecord(Base):
    """One read of personal data: who (as which role), when, what (subject) and which fields."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    # None for the bootstrap administrator (the admin token).
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    fields: Mapped[list[str]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_audit_log_subject_type_subject_id_at", "subject_type", "subject_id", "at"),
        Index("ix_audit_log_username_at", "username", "at"),
        Index("ix_audit_log_at", "at"),
    )

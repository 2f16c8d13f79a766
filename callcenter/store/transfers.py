"""Transfers to experts in the store: classification and transfer state on the call, expert legs,
recordings and ratings. Every change is one conditional statement, so two app instances (or an agent
clicking twice) cannot both win. What comes out are frozen dataclasses, never the ORM's rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from callcenter.domain.transfers import (
    Classification,
    LegOutcome,
    RatingStatus,
    RecordingStatus,
    TransferMode,
    TransferRequest,
    TransferState,
    TransferStatus,
)
from callcenter.store.db import Database
from callcenter.store.models import CallLeg, CallRecord, Rating, Recording


@dataclass(frozen=True)
class CallTransfer:
    """The call as the transfer sees it: who is calling, what the agent ticked, and the latest attempt."""

    linkedid: str
    caller_number: str | None
    prefecture: str | None
    queue: str | None
    agent_id: str | None
    category: str | None
    mode: TransferMode | None
    transfer_agent_id: str | None
    requested_expert: str | None
    requested_at: datetime | None
    status: TransferStatus | None
    attempt: int
    expert_id: str | None

    @property
    def state(self) -> TransferState:
        return TransferState(self.status, self.attempt)


@dataclass(frozen=True)
class StoredLeg:
    linkedid: str
    leg: int
    # The call's transfer attempt this leg belongs to.
    attempt: int
    mode: TransferMode
    agent_id: str | None
    expert_id: str
    phone: str
    offered_at: datetime
    ring_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: LegOutcome | None


@dataclass(frozen=True)
class StoredRecording:
    linkedid: str
    leg: int
    path: str
    status: RecordingStatus
    started_at: datetime
    ended_at: datetime | None
    size_bytes: int | None
    duration_seconds: float | None
    sha256: str | None


@dataclass(frozen=True)
class StoredRating:
    id: int
    linkedid: str
    status: RatingStatus
    digit: str | None
    code: str | None
    dissatisfied: bool
    expert_id: str | None
    agent_id: str | None
    work_order_id: int | None
    source: str
    rated_at: datetime


@dataclass(frozen=True)
class ExpertLoadRow:
    expert_id: str
    last_offered_at: datetime
    ringing: int
    active: int


def _call(record: CallRecord) -> CallTransfer:
    return CallTransfer(
        linkedid=record.linkedid,
        caller_number=record.caller_number,
        prefecture=record.prefecture,
        queue=record.queue,
        agent_id=record.agent_id,
        category=record.category,
        mode=TransferMode(record.transfer_mode) if record.transfer_mode else None,
        transfer_agent_id=record.transfer_agent_id,
        requested_expert=record.transfer_requested_expert,
        requested_at=record.transfer_requested_at,
        status=TransferStatus(record.transfer_status) if record.transfer_status else None,
        attempt=record.transfer_attempt,
        expert_id=record.expert_id,
    )


def _leg(record: CallLeg) -> StoredLeg:
    return StoredLeg(
        linkedid=record.linkedid,
        leg=record.leg,
        attempt=record.attempt,
        mode=TransferMode(record.mode),
        agent_id=record.agent_id,
        expert_id=record.expert_id,
        phone=record.phone,
        offered_at=record.offered_at,
        ring_at=record.ring_at,
        answered_at=record.answered_at,
        ended_at=record.ended_at,
        outcome=LegOutcome(record.outcome) if record.outcome else None,
    )


def _recording(record: Recording) -> StoredRecording:
    return StoredRecording(
        linkedid=record.linkedid,
        leg=record.leg,
        path=record.path,
        status=RecordingStatus(record.status),
        started_at=record.started_at,
        ended_at=record.ended_at,
        size_bytes=record.size_bytes,
        duration_seconds=record.duration_seconds,
        sha256=record.sha256,
    )


def _rating(record: Rating) -> StoredRating:
    return StoredRating(
        id=record.id,
        linkedid=record.linkedid,
        status=RatingStatus(record.status),
        digit=record.digit,
        code=record.code,
        dissatisfied=record.dissatisfied,
        expert_id=record.expert_id,
        agent_id=record.agent_id,
        work_order_id=record.work_order_id,
        source=record.source,
        rated_at=record.rated_at,
    )


def _is_state(state: TransferState) -> ColumnElement[bool]:
    status = (
        CallRecord.transfer_status.is_(None)
        if state.status is None
        else CallRecord.transfer_status == state.status.value
    )
    return status & (CallRecord.transfer_attempt == state.attempt)


class TransferRepository:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessions

    def _insert(self, dialect: str) -> Any:
        return postgresql.insert if dialect == "postgresql" else sqlite.insert

    async def _update_call(
        self, linkedid: str, values: Mapping[str, Any], *conditions: ColumnElement[bool]
    ) -> CallTransfer | None:
        statement = (
            update(CallRecord)
            .where(CallRecord.linkedid == linkedid, *conditions)
            .values(updated_at=self._database.now(), **values)
            .returning(CallRecord)
            .execution_options(synchronize_session=False)
        )
        async with self._database.write_gate, self._sessions() as session:
            record: CallRecord | None = (await session.execute(statement)).scalar_one_or_none()
            await session.commit()
            return None if record is None else _call(record)

    async def call(self, linkedid: str) -> CallTransfer | None:
        async with self._sessions() as session:
            query = select(CallRecord).where(CallRecord.linkedid == linkedid)
            record: CallRecord | None = (await session.execute(query)).scalar_one_or_none()
            return None if record is None else _call(record)

    async def classify(
        self, linkedid: str, classification: Classification, agent_id: str | None, at: datetime
    ) -> CallTransfer | None:
        return await self._update_call(
            linkedid,
            {
                "call_type": classification.call_type.value,
                "category": classification.category,
                "urgency": classification.urgency.value,
                "caller_name": classification.caller_name or None,
                "notes": classification.notes or None,
                "classified_by": agent_id,
                "classified_at": at,
            },
        )

    async def change_state(
        self,
        linkedid: str,
        expected: TransferState,
        new: TransferState,
        expert_id: str | None = None,
        request: TransferRequest | None = None,
    ) -> CallTransfer | None:
        """Moves the call's transfer from ``expected`` to ``new``; None when it is no longer ``expected``
        (another instance, or a second click, changed it first). ``request`` starts an attempt."""
        assert new.status is not None
        values: dict[str, Any] = {"transfer_status": new.status.value, "transfer_attempt": new.attempt}
        if expert_id is not None:
            values["expert_id"] = expert_id
        if request is not None:
            values |= {
                "transfer_mode": request.mode.value,
                "transfer_agent_id": request.agent_id,
                "transfer_requested_expert": request.expert_id,
                "transfer_requested_at": request.at,
            }
        return await self._update_call(linkedid, values, _is_state(expected))

    async def mark_needs_callback(self, linkedid: str) -> None:
        await self._update_call(linkedid, {"needs_callback": True})

    # -- legs -------------------------------------------------------------------------------------------

    async def legs(self, linkedid: str) -> list[StoredLeg]:
        query = select(CallLeg).where(CallLeg.linkedid == linkedid).order_by(CallLeg.leg)
        async with self._sessions() as session:
            return [_leg(record) for record in (await session.execute(query)).scalars()]

    async def leg(self, linkedid: str, leg: int) -> StoredLeg | None:
        query = select(CallLeg).where(CallLeg.linkedid == linkedid, CallLeg.leg == leg)
        async with self._sessions() as session:
            record: CallLeg | None = (await session.execute(query)).scalar_one_or_none()
            return None if record is None else _leg(record)

    async def open_legs(self, since: datetime) -> list[StoredLeg]:
        """Expert legs offered since ``since`` that have not ended: phones ringing, experts talking."""
        query = (
            select(CallLeg)
            .where(CallLeg.ended_at.is_(None), CallLeg.offered_at >= since)
            .order_by(CallLeg.offered_at)
        )
        async with self._sessions() as session:
            return [_leg(record) for record in (await session.execute(query)).scalars()]

    async def open_leg(
        self,
        linkedid: str,
        leg: int,
        attempt: int,
        mode: TransferMode,
        agent_id: str | None,
        expert_id: str,
        phone: str,
        ring_at: datetime,
    ) -> StoredLeg:
        async with self._database.write_gate, self._sessions() as session:
            record = CallLeg(
                linkedid=linkedid,
                leg=leg,
                attempt=attempt,
                mode=mode.value,
                agent_id=agent_id,
                expert_id=expert_id,
                phone=phone,
                offered_at=ring_at,
                ring_at=ring_at,
            )
            session.add(record)
            await session.commit()
            return _leg(record)

    async def answer_leg(self, linkedid: str, leg: int, at: datetime) -> StoredLeg | None:
        return await self._update_leg(linkedid, leg, {"answered_at": func.coalesce(CallLeg.answered_at, at)})

    async def set_ring_at(self, linkedid: str, leg: int, at: datetime) -> StoredLeg | None:
        return await self._update_leg(linkedid, leg, {"ring_at": at})

    async def end_leg(self, linkedid: str, leg: int, at: datetime, outcome: LegOutcome) -> StoredLeg | None:
        """The first report of a leg's end wins: the caller's side and the expert's hangup handler both
        report it."""
        return await self._update_leg(
            linkedid,
            leg,
            {
                "ended_at": func.coalesce(CallLeg.ended_at, at),
                "outcome": func.coalesce(CallLeg.outcome, outcome.value),
            },
        )

    async def end_open_legs(
        self,
        linkedid: str,
        at: datetime,
        outcome: LegOutcome,
        answered_outcome: LegOutcome = LegOutcome.ACCEPTED,
    ) -> list[StoredLeg]:
        """Ends every open leg of the call: ``answered_outcome`` for legs the expert answered. Returns
        the legs it ended."""
        statement = (
            update(CallLeg)
            .where(CallLeg.linkedid == linkedid, CallLeg.ended_at.is_(None))
            .values(
                ended_at=at,
                outcome=case((CallLeg.answered_at.is_not(None), answered_outcome.value), else_=outcome.value),
            )
            .returning(CallLeg)
            .execution_options(synchronize_session=False)
        )
        async with self._database.write_gate, self._sessions() as session:
            ended = [_leg(record) for record in (await session.execute(statement)).scalars()]
            await session.commit()
            return ended

    async def _update_leg(self, linkedid: str, leg: int, values: Mapping[str, Any]) -> StoredLeg | None:
        statement = (
            update(CallLeg)
            .where(CallLeg.linkedid == linkedid, CallLeg.leg == leg)
            .values(**values)
            .returning(CallLeg)
            .execution_options(synchronize_session=False)
        )
        async with self._database.write_gate, self._sessions() as session:
            record: CallLeg | None = (await session.execute(statement)).scalar_one_or_none()
            await session.commit()
            return None if record is None else _leg(record)

    async def expert_load(
        self, offered_since: datetime, ringing_since: datetime, talking_since: datetime
    ) -> list[ExpertLoadRow]:
        """Per expert: the last time a call was offered, and legs ringing or talking now.

        A leg left open by a crash stops counting once it is older than any real ring (``ringing_since``)
        or conversation (``talking_since``) could be, so an expert is never blocked for good.
        """
        open_leg = CallLeg.ended_at.is_(None)
        ringing_now = open_leg & CallLeg.answered_at.is_(None) & (CallLeg.offered_at >= ringing_since)
        talking_now = open_leg & CallLeg.answered_at.is_not(None) & (CallLeg.offered_at >= talking_since)
        ringing = func.sum(case((ringing_now, 1), else_=0))
        active = func.sum(case((talking_now, 1), else_=0))
        query = (
            select(CallLeg.expert_id, func.max(CallLeg.offered_at), ringing, active)
            .where(CallLeg.offered_at >= offered_since)
            .group_by(CallLeg.expert_id)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        # MAX() keeps the column's type, so the times come back as aware datetimes on both databases.
        return [
            ExpertLoadRow(expert_id, last_offered_at, int(ringing_count or 0), int(active_count or 0))
            for expert_id, last_offered_at, ringing_count, active_count in rows
        ]

    # -- recordings -------------------------------------------------------------------------------------

    async def start_recording(self, linkedid: str, leg: int, path: str, at: datetime) -> None:
        async with self._database.write_gate, self._sessions() as session:
            insert = self._insert(session.bind.dialect.name)
            statement = (
                insert(Recording)
                .values(
                    linkedid=linkedid,
                    leg=leg,
                    path=path,
                    status=RecordingStatus.RECORDING.value,
                    started_at=at,
                )
                .on_conflict_do_nothing(index_elements=["linkedid", "leg"])
            )
            await session.execute(statement)
            await session.commit()

    async def finish_recording(self, linkedid: str, leg: int, values: Mapping[str, Any]) -> None:
        statement = (
            update(Recording)
            .where(
                Recording.linkedid == linkedid,
                Recording.leg == leg,
                Recording.status == RecordingStatus.RECORDING.value,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        async with self._database.write_gate, self._sessions() as session:
            await session.execute(statement)
            await session.commit()

    async def recordings(self, linkedid: str) -> list[StoredRecording]:
        query = select(Recording).where(Recording.linkedid == linkedid).order_by(Recording.leg)
        async with self._sessions() as session:
            return [_recording(record) for record in (await session.execute(query)).scalars()]

    async def recording(self, linkedid: str, leg: int) -> StoredRecording | None:
        query = select(Recording).where(Recording.linkedid == linkedid, Recording.leg == leg)
        async with self._sessions() as session:
            found: Recording | None = (await session.execute(query)).scalar_one_or_none()
            return None if found is None else _recording(found)

    # -- ratings ----------------------------------------------------------------------------------------

    async def store_rating(self, values: Mapping[str, Any]) -> tuple[StoredRating, bool]:
        """Stores the rating once per call; returns (rating, changed).

        A real rating replaces an earlier "none" (a hangup handler may report before a spooled key is
        ingested), never the other way round, and a second real rating never replaces the first: each
        report counts once, in whatever order they arrive.
        """
        async with self._database.write_gate, self._sessions() as session:
            insert = self._insert(session.bind.dialect.name)
            statement = insert(Rating).values(**values)
            table = Rating.__table__
            upsert = statement.on_conflict_do_update(
                index_elements=["linkedid"],
                set_={name: statement.excluded[name] for name in values if name != "linkedid"},
                where=(table.c.status == RatingStatus.NONE.value)
                & (statement.excluded.status == RatingStatus.RATED.value),
            ).returning(Rating)
            changed: Rating | None = (await session.execute(upsert)).scalar_one_or_none()
            await session.commit()
            if changed is not None:
                return _rating(changed), True
        existing = await self.rating(str(values["linkedid"]))
        assert existing is not None
        return existing, False

    async def rating(self, linkedid: str) -> StoredRating | None:
        async with self._sessions() as session:
            found: Rating | None = (
                await session.execute(select(Rating).where(Rating.linkedid == linkedid))
            ).scalar_one_or_none()
            return None if found is None else _rating(found)

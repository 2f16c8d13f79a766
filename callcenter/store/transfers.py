"""Transfers to experts in the store: classification and transfer state on the call, expert legs,
recordings and ratings. Every change is one conditional statement, so two app instances (or an agent
clicking twice) cannot both win."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from callcenter.store.db import Database
from callcenter.store.models import CallLeg, CallRecord, Rating, Recording

TRANSFER_IN_PROGRESS = "in-progress"


@dataclass(frozen=True)
class ExpertLoadRow:
    expert_id: str
    last_offered_at: datetime
    ringing: int
    active: int


class TransferRepository:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._sessions = database.sessions

    def _insert(self, dialect: str) -> Any:
        return postgresql.insert if dialect == "postgresql" else sqlite.insert

    async def _update_call(
        self, linkedid: str, values: Mapping[str, Any], *conditions: Any
    ) -> CallRecord | None:
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
            return record

    async def classify(self, linkedid: str, values: Mapping[str, Any]) -> CallRecord | None:
        return await self._update_call(linkedid, values)

    async def begin_transfer(
        self, linkedid: str, mode: str, agent_id: str, requested_expert: str | None, at: datetime
    ) -> CallRecord | None:
        """Marks the call as being transferred; None when another transfer of it is already under way."""
        return await self._update_call(
            linkedid,
            {
                "transfer_mode": mode,
                "transfer_agent_id": agent_id,
                "transfer_requested_expert": requested_expert,
                "transfer_requested_at": at,
                "transfer_status": TRANSFER_IN_PROGRESS,
            },
            (CallRecord.transfer_status.is_(None)) | (CallRecord.transfer_status != TRANSFER_IN_PROGRESS),
        )

    async def set_transfer_status(
        self, linkedid: str, status: str, expert_id: str | None = None, only_if: str | None = None
    ) -> CallRecord | None:
        values: dict[str, Any] = {"transfer_status": status}
        if expert_id is not None:
            values["expert_id"] = expert_id
        conditions = [CallRecord.transfer_status == only_if] if only_if is not None else []
        return await self._update_call(linkedid, values, *conditions)

    async def mark_needs_callback(self, linkedid: str) -> None:
        await self._update_call(linkedid, {"needs_callback": True})

    # -- legs -------------------------------------------------------------------------------------------

    async def legs(self, linkedid: str) -> list[CallLeg]:
        query = select(CallLeg).where(CallLeg.linkedid == linkedid).order_by(CallLeg.leg)
        async with self._sessions() as session:
            return list((await session.execute(query)).scalars())

    async def open_legs(self, since: datetime) -> list[CallLeg]:
        """Expert legs offered since ``since`` that have not ended: phones ringing, experts talking."""
        query = (
            select(CallLeg)
            .where(CallLeg.ended_at.is_(None), CallLeg.offered_at >= since)
            .order_by(CallLeg.offered_at)
        )
        async with self._sessions() as session:
            return list((await session.execute(query)).scalars())

    async def open_leg(
        self,
        linkedid: str,
        leg: int,
        mode: str,
        agent_id: str | None,
        expert_id: str,
        phone: str,
        ring_at: datetime,
    ) -> CallLeg:
        async with self._database.write_gate, self._sessions() as session:
            record = CallLeg(
                linkedid=linkedid,
                leg=leg,
                mode=mode,
                agent_id=agent_id,
                expert_id=expert_id,
                phone=phone,
                offered_at=ring_at,
                ring_at=ring_at,
            )
            session.add(record)
            await session.commit()
            return record

    async def answer_leg(self, linkedid: str, leg: int, at: datetime) -> CallLeg | None:
        return await self._update_leg(linkedid, leg, {"answered_at": func.coalesce(CallLeg.answered_at, at)})

    async def set_ring_at(self, linkedid: str, leg: int, at: datetime) -> CallLeg | None:
        return await self._update_leg(linkedid, leg, {"ring_at": at})

    async def end_leg(self, linkedid: str, leg: int, at: datetime, outcome: str) -> CallLeg | None:
        """The first report of a leg's end wins: the caller's side and the expert's hangup handler both
        report it."""
        return await self._update_leg(
            linkedid,
            leg,
            {
                "ended_at": func.coalesce(CallLeg.ended_at, at),
                "outcome": func.coalesce(CallLeg.outcome, outcome),
            },
        )

    async def end_open_legs(
        self, linkedid: str, at: datetime, outcome: str, answered_outcome: str = "accepted"
    ) -> None:
        """Ends every open leg of the call: ``answered_outcome`` for legs the expert answered."""
        statement = (
            update(CallLeg)
            .where(CallLeg.linkedid == linkedid, CallLeg.ended_at.is_(None))
            .values(
                ended_at=at,
                outcome=case((CallLeg.answered_at.is_not(None), answered_outcome), else_=outcome),
            )
            .execution_options(synchronize_session=False)
        )
        async with self._database.write_gate, self._sessions() as session:
            await session.execute(statement)
            await session.commit()

    async def _update_leg(self, linkedid: str, leg: int, values: Mapping[str, Any]) -> CallLeg | None:
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
            return record

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
                .values(linkedid=linkedid, leg=leg, path=path, status="recording", started_at=at)
                .on_conflict_do_nothing(index_elements=["linkedid", "leg"])
            )
            await session.execute(statement)
            await session.commit()

    async def finish_recording(self, linkedid: str, leg: int, values: Mapping[str, Any]) -> None:
        statement = (
            update(Recording)
            .where(Recording.linkedid == linkedid, Recording.leg == leg, Recording.status == "recording")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        async with self._database.write_gate, self._sessions() as session:
            await session.execute(statement)
            await session.commit()

    async def recordings(self, linkedid: str) -> list[Recording]:
        query = select(Recording).where(Recording.linkedid == linkedid).order_by(Recording.leg)
        async with self._sessions() as session:
            return list((await session.execute(query)).scalars())

    async def recording(self, linkedid: str, leg: int) -> Recording | None:
        query = select(Recording).where(Recording.linkedid == linkedid, Recording.leg == leg)
        async with self._sessions() as session:
            found: Recording | None = (await session.execute(query)).scalar_one_or_none()
            return found

    # -- ratings ----------------------------------------------------------------------------------------

    async def store_rating(self, values: Mapping[str, Any]) -> tuple[Rating, bool]:
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
                where=(table.c.status == "none") & (statement.excluded.status == "rated"),
            ).returning(Rating)
            changed: Rating | None = (await session.execute(upsert)).scalar_one_or_none()
            await session.commit()
        if changed is not None:
            return changed, True
        existing = await self.rating(str(values["linkedid"]))
        assert existing is not None
        return existing, False

    async def rating(self, linkedid: str) -> Rating | None:
        async with self._sessions() as session:
            found: Rating | None = (
                await session.execute(select(Rating).where(Rating.linkedid == linkedid))
            ).scalar_one_or_none()
            return found

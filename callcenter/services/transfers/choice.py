"""Who can take a transferred call now: the experts on duty for its category and prefecture, their load
(ringing, talking, when last offered a call) from the legs in the store, fairest first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Final, Protocol

from callcenter.clock import Clock
from callcenter.domain.experts import DutyRoster, Expert, ExpertLoad, available_experts, experts_on_duty
from callcenter.hotline import HotlineConfig
from callcenter.store.transfers import StoredLeg, TransferRepository

# Fairness looks back this far for who was offered a call last.
OFFER_MEMORY: Final = timedelta(days=30)
# No conversation lasts longer: a leg left open by a crash stops counting against the expert after it.
LONGEST_CONVERSATION: Final = timedelta(hours=6)


class ExpertsSnapshot(Protocol):
    @property
    def experts(self) -> Sequence[Expert]: ...

    @property
    def roster(self) -> DutyRoster: ...


class ExpertSource(Protocol):
    async def snapshot(self) -> ExpertsSnapshot:
        """Active experts and the duty roster."""


class ExpertChoice:
    def __init__(
        self, hotline: HotlineConfig, repository: TransferRepository, experts: ExpertSource, clock: Clock
    ) -> None:
        self._transfer = hotline.transfer
        self._repository = repository
        self._experts = experts
        self._clock = clock

    async def load(self) -> ExpertLoad:
        now = self._clock.now()
        transfer = self._transfer
        longest_ring = timedelta(seconds=transfer.ring_seconds + 4 * transfer.confirm_seconds + 30)
        rows = await self._repository.expert_load(
            now - OFFER_MEMORY, now - longest_ring, now - LONGEST_CONVERSATION
        )
        return ExpertLoad(
            active_calls={row.expert_id: row.active for row in rows if row.active},
            ringing=frozenset(row.expert_id for row in rows if row.ringing),
            last_offered={row.expert_id: row.last_offered_at for row in rows},
        )

    async def available(self, category: str, prefecture: str | None) -> list[Expert]:
        snapshot = await self._experts.snapshot()
        return available_experts(
            snapshot.experts, snapshot.roster, category, prefecture, self._clock.now(), await self.load()
        )

    async def on_duty(self, category: str, prefecture: str | None) -> list[tuple[Expert, bool]]:
        """On duty for the category and prefecture, each free (True) or busy (False)."""
        snapshot = await self._experts.snapshot()
        return experts_on_duty(
            snapshot.experts, snapshot.roster, category, prefecture, self._clock.now(), await self.load()
        )

    async def expert(self, expert_id: str) -> Expert | None:
        snapshot = await self._experts.snapshot()
        return next((expert for expert in snapshot.experts if expert.id == expert_id), None)

    async def legs_under_way(self) -> list[tuple[StoredLeg, str]]:
        """Expert legs ringing or talking now, each with the expert's name (a crash's leftovers, older
        than any real conversation, are not under way)."""
        legs = await self._repository.open_legs(self._clock.now() - LONGEST_CONVERSATION)
        names = {expert.id: expert.name for expert in (await self._experts.snapshot()).experts}
        return [(leg, names.get(leg.expert_id, leg.expert_id)) for leg in legs]

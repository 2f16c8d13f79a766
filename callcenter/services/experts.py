"""Managing back-end experts and the duty roster, checked against the hotline's configuration, and the
snapshot of both that every transfer reads."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

from callcenter.domain.experts import (
    DutyRoster,
    Expert,
    ExpertInvalidError,
    RosterEntry,
    RosterError,
    StoredExpert,
    experts_to_csv,
    parse_experts_csv,
    parse_roster_csv,
    roster_to_csv,
)
from callcenter.errors import CallCenterError, NotFoundError
from callcenter.hotline import HotlineConfig
from callcenter.store.experts import ExpertRepository

log = logging.getLogger(__name__)

T = TypeVar("T")

# What the store's columns hold (callcenter/store/models.py ExpertRecord): longer values would pass on
# SQLite and fail on PostgreSQL, so both are refused here alike.
MAX_LENGTHS: Final = {"id": 32, "name": 64, "organisation": 128}


class UnknownCategoryError(CallCenterError):
    code = "unknown-category"
    http_status = 422


class UnknownPrefectureError(CallCenterError):
    code = "unknown-prefecture"
    http_status = 422


@dataclass(frozen=True)
class ExpertSnapshot:
    """Active experts and the whole roster, as one transfer decision needs them."""

    experts: tuple[Expert, ...]
    roster: DutyRoster


class ExpertService:
    def __init__(
        self, repository: ExpertRepository, hotline: HotlineConfig, cache_seconds: float = 30.0
    ) -> None:
        """``cache_seconds`` bounds how stale the snapshot can be after a write this service did not see
        (the ``callcenter experts`` command runs in another process); its own writes apply at once."""
        self._repository = repository
        self._calendar = hotline.working_calendar
        self._categories = tuple(category.code for category in hotline.categories)
        self._prefectures = tuple(prefecture.code for prefecture in hotline.region.prefectures)
        self._cache_seconds = cache_seconds
        self._cache: ExpertSnapshot | None = None
        self._cached_at = 0.0
        # Bumped by every write: a snapshot loaded across a write is returned but not kept.
        self._generation = 0
        self._loading = asyncio.Lock()

    # -- validation ------------------------------------------------------------------------------------

    def _unknown(self, expert: Expert) -> tuple[list[str], list[str], list[str]]:
        categories = sorted(expert.categories - set(self._categories))
        prefectures = sorted(expert.prefectures - set(self._prefectures))
        too_long = [
            f"{name} is longer than {limit} characters"
            for name, limit in MAX_LENGTHS.items()
            if len(getattr(expert, name)) > limit
        ]
        return categories, prefectures, too_long

    def check_expert(self, expert: Expert) -> None:
        """Raise when the expert names a category or prefecture this hotline does not have."""
        categories, prefectures, too_long = self._unknown(expert)
        if categories:
            raise UnknownCategoryError(
                f"expert {expert.id}: unknown consultation category code(s) {', '.join(categories)}",
                details={"expert": expert.id, "unknown": categories, "known": list(self._categories)},
            )
        if prefectures:
            raise UnknownPrefectureError(
                f"expert {expert.id}: unknown prefecture code(s) {', '.join(prefectures)}",
                details={"expert": expert.id, "unknown": prefectures, "known": list(self._prefectures)},
            )
        if too_long:
            raise ExpertInvalidError(
                f"expert {expert.id}: " + "; ".join(too_long),
                details={"expert": expert.id, "problems": too_long},
            )

    def _expert_problems(self, expert: Expert) -> list[str]:
        categories, prefectures, too_long = self._unknown(expert)
        problems = list(too_long)
        if categories:
            problems.append(
                f"unknown category code(s) {', '.join(categories)}; known: {', '.join(self._categories)}"
            )
        if prefectures:
            problems.append(
                f"unknown prefecture code(s) {', '.join(prefectures)}; known: {', '.join(self._prefectures)}"
            )
        return problems

    async def _roster_checker(self, also_active: Iterable[str] = ()) -> _RosterCheck:
        stored = await self._repository.list_experts(include_inactive=True)
        active = {item.expert.id for item in stored if item.active} | set(also_active)
        inactive = {item.expert.id for item in stored} - active
        return _RosterCheck(active, inactive)

    async def _write(self, operation: Awaitable[T]) -> T:
        try:
            return await operation
        finally:
            # Even after a failure: a commit whose answer was lost may still have changed the store.
            self.invalidate()

    # -- experts ---------------------------------------------------------------------------------------

    async def list_experts(self, include_inactive: bool = False) -> list[StoredExpert]:
        return await self._repository.list_experts(include_inactive)

    async def get_expert(self, expert_id: str) -> StoredExpert:
        stored = await self._repository.get(expert_id)
        if stored is None:
            raise NotFoundError(f"no expert {expert_id}", details={"expert": expert_id})
        return stored

    async def create_expert(self, expert: Expert) -> StoredExpert:
        self.check_expert(expert)
        stored = await self._write(self._repository.create(expert))
        log.info("Expert %s (%s) created", expert.id, expert.kind.value)
        return stored

    async def update_expert(
        self, expert: Expert, expected_version: int, active: bool | None = None
    ) -> StoredExpert:
        """Replace the expert's data; ``expected_version`` is the version the change was based on."""
        self.check_expert(expert)
        stored = await self._write(self._repository.update(expert, expected_version, active))
        log.info("Expert %s updated to version %s", expert.id, stored.version)
        return stored

    async def deactivate_expert(self, expert_id: str) -> StoredExpert:
        return await self._write(self._repository.deactivate(expert_id))

    async def has_experts(self) -> bool:
        """Whether any expert was ever stored, inactive ones included."""
        return await self._repository.count() > 0

    # -- roster ----------------------------------------------------------------------------------------

    async def roster(self) -> list[RosterEntry]:
        return await self._repository.roster()

    async def expert_roster(self, expert_id: str) -> list[RosterEntry]:
        await self.get_expert(expert_id)
        return await self._repository.roster(expert_id)

    async def replace_roster(self, entries: Iterable[RosterEntry]) -> int:
        entries = list(entries)
        check = await self._roster_checker()
        errors = [
            {"entry": index, "problem": problem}
            for index, entry in enumerate(entries)
            for problem in check(entry)
        ]
        if errors:
            raise RosterError(
                "the roster names experts who are unknown or inactive", details={"errors": errors}
            )
        return await self._write(self._repository.replace_roster(entries))

    async def replace_expert_roster(
        self, expert_id: str, entries: Iterable[RosterEntry]
    ) -> list[RosterEntry]:
        return await self._write(self._repository.replace_expert_roster(expert_id, entries))

    # -- CSV -------------------------------------------------------------------------------------------

    async def import_experts_csv(self, text: str) -> int:
        """Create or update every expert of the file (by id), all or none; others are left alone."""
        experts = parse_experts_csv(text, self._expert_problems)
        return await self._write(self._repository.upsert_many(experts))

    async def export_experts_csv(self) -> str:
        """Active experts only: importing the file again must not bring deactivated experts back."""
        return experts_to_csv(stored.expert for stored in await self._repository.list_experts())

    async def import_roster_csv(self, text: str) -> int:
        """Replace the whole roster with the file, all or none."""
        entries = parse_roster_csv(text, await self._roster_checker())
        return await self._write(self._repository.replace_roster(entries))

    async def export_roster_csv(self) -> str:
        return roster_to_csv(await self._repository.roster())

    async def import_experts_and_roster(self, experts_text: str, roster_text: str) -> tuple[int, int]:
        """Both files, each checked before either is written: the roster may name the file's experts."""
        experts = parse_experts_csv(experts_text, self._expert_problems)
        entries = parse_roster_csv(roster_text, await self._roster_checker(expert.id for expert in experts))
        imported = await self._write(self._repository.upsert_many(experts))
        return imported, await self._write(self._repository.replace_roster(entries))

    # -- the snapshot transfers read -------------------------------------------------------------------

    def invalidate(self) -> None:
        self._generation += 1
        self._cache = None

    def _fresh(self) -> ExpertSnapshot | None:
        if self._cache is not None and time.monotonic() - self._cached_at < self._cache_seconds:
            return self._cache
        return None

    async def snapshot(self) -> ExpertSnapshot:
        """Active experts and the roster; from memory unless a write happened or the cache aged."""
        cached = self._fresh()
        if cached is not None:
            return cached
        # One load at a time: a burst of transfers after a write would otherwise each query the store.
        async with self._loading:
            cached = self._fresh()
            if cached is not None:
                return cached
            generation = self._generation
            experts = await self._repository.list_experts()
            entries = await self._repository.roster()
            snapshot = ExpertSnapshot(
                experts=tuple(stored.expert for stored in experts),
                roster=DutyRoster(entries, self._calendar),
            )
            if generation == self._generation:
                self._cache = snapshot
                self._cached_at = time.monotonic()
            return snapshot


@dataclass(frozen=True)
class _RosterCheck:
    active: set[str]
    inactive: set[str]

    def __call__(self, entry: RosterEntry) -> list[str]:
        if entry.expert_id in self.active:
            return []
        if entry.expert_id in self.inactive:
            return [f"expert {entry.expert_id} is inactive"]
        return [f"expert {entry.expert_id} is unknown"]


def decode_csv(data: bytes, charset: str | None = None, error_class: type[RosterError] = RosterError) -> str:
    """The text of an uploaded CSV: in ``charset`` when named, else UTF-8, else GB18030.

    Excel on Chinese Windows saves "CSV" in GB18030 and says nothing: a file that is not UTF-8 is read as
    GB18030 rather than refused (a BOM, when there is one, is left for the parsers to skip).
    """
    for encoding in [charset] if charset else ["utf-8", "gb18030"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    raise error_class(
        "the CSV is not text in UTF-8 or GB18030 (or in the charset it names)",
        details={"errors": [{"line": 1, "problem": "not decodable text"}], "charset": charset},
    )


async def seed_if_empty(service: ExpertService, experts_csv: Path, roster_csv: Path) -> bool:
    """Import the demo experts and roster into a store that never had an expert; True when it did."""
    if await service.has_experts():
        return False
    experts_text = await asyncio.to_thread(experts_csv.read_text, encoding="utf-8")
    roster_text = await asyncio.to_thread(roster_csv.read_text, encoding="utf-8")
    experts, entries = await service.import_experts_and_roster(experts_text, roster_text)
    log.info(
        "Seeded %s experts and %s roster entries from %s and %s", experts, entries, experts_csv, roster_csv
    )
    return True

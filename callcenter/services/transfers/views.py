"""What became of a call's transfers, as the console reads it (and as every push carries it): the call,
the latest attempt and its status, every expert leg, the recordings and the rating."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from callcenter.domain.calls import StoredCall
from callcenter.domain.transfers import TransferStatus
from callcenter.services.transfers.ledger import no_such_call
from callcenter.store.transfers import StoredLeg, StoredRating, StoredRecording, TransferRepository


class CallReader(Protocol):
    async def get_call(self, linkedid: str) -> StoredCall | None: ...


@dataclass(frozen=True)
class TransferView:
    call: StoredCall
    # The latest attempt (0: never transferred) and its status.
    attempt: int
    status: TransferStatus | None
    legs: tuple[StoredLeg, ...]
    recordings: tuple[StoredRecording, ...]
    rating: StoredRating | None


class TransferViews:
    def __init__(self, repository: TransferRepository, calls: CallReader) -> None:
        self._repository = repository
        self._calls = calls

    async def view(self, linkedid: str) -> TransferView:
        call = await self._calls.get_call(linkedid)
        transfer = await self._repository.call(linkedid)
        if call is None or transfer is None:
            raise no_such_call(linkedid)
        return TransferView(
            call=call,
            attempt=transfer.attempt,
            status=transfer.status,
            legs=tuple(await self._repository.legs(linkedid)),
            recordings=tuple(await self._repository.recordings(linkedid)),
            rating=await self._repository.rating(linkedid),
        )

"""Recordings of the expert legs: where MixMonitor writes (the host's directory, seen inside Asterisk's
root at another path), and the file's size, length and checksum in the store once the leg ends."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import wave
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from callcenter.clock import Clock
from callcenter.domain.transfers import RecordingStatus
from callcenter.errors import NotFoundError
from callcenter.hotline import HotlineConfig
from callcenter.logsetup import call_scope
from callcenter.services.ivr import wait_until_settled
from callcenter.services.transfers.ledger import TransferLedger
from callcenter.store.transfers import StoredLeg, TransferRepository
from callcenter.tasks import BackgroundTasks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordingPaths:
    host_dir: Path
    in_root_dir: Path

    def relative(self, linkedid: str, leg: int, local_day: date) -> str:
        safe = linkedid.replace("/", "_")
        return f"calls/{local_day:%Y/%m/%d}/{safe}-leg{leg}.wav"


class Recordings:
    def __init__(
        self,
        hotline: HotlineConfig,
        repository: TransferRepository,
        ledger: TransferLedger,
        paths: RecordingPaths,
        clock: Clock,
    ) -> None:
        self._zone = hotline.zone
        self._repository = repository
        self._ledger = ledger
        self._paths = paths
        self._clock = clock
        self._background = BackgroundTasks()

    async def start(self, leg: StoredLeg) -> str:
        """The leg's expert accepted: the file MixMonitor is to write, as Asterisk sees it."""
        now = self._clock.now()
        relative = self._paths.relative(leg.linkedid, leg.leg, now.astimezone(self._zone).date())
        host_path = self._paths.host_dir / relative
        await asyncio.to_thread(host_path.parent.mkdir, parents=True, exist_ok=True)
        await self._repository.start_recording(leg.linkedid, leg.leg, relative, now)
        self._ledger.push_leg(leg)
        return str(self._paths.in_root_dir / relative)

    def finish_later(self, leg: StoredLeg) -> None:
        """The leg ended: its file is described once Asterisk has closed it."""
        self._background.start(self._finish(leg), "Finishing a leg's recording failed")

    async def _finish(self, leg: StoredLeg) -> None:
        recording = await self._repository.recording(leg.linkedid, leg.leg)
        if recording is None:
            return
        path = self._paths.host_dir / recording.path
        # MixMonitor closes the file only once the channel is gone, after its hangup handler.
        await wait_until_settled(path, quiet_seconds=0.5, limit_seconds=10)
        facts = await asyncio.to_thread(describe_recording, path)
        await self._repository.finish_recording(
            leg.linkedid, leg.leg, {"ended_at": self._clock.now(), **facts}
        )
        with call_scope(leg.linkedid):
            log.info("Recording of leg %s: %s", leg.leg, facts)
        self._ledger.push_leg(leg)

    async def finished_file(self, linkedid: str, leg: int) -> Path:
        """The file of a finished recording on the host, or a 404."""
        recording = await self._repository.recording(linkedid, leg)
        if recording is None or recording.status is not RecordingStatus.COMPLETE:
            raise NotFoundError(
                "No finished recording of that leg", details={"linkedid": linkedid, "leg": leg}
            )
        return self._paths.host_dir / recording.path

    async def drain(self) -> None:
        await self._background.drain()


def describe_recording(path: Path) -> dict[str, Any]:
    """Size, length and checksum of a finished recording; "missing" when Asterisk wrote nothing usable."""
    try:
        content = path.read_bytes()
        with wave.open(str(path), "rb") as source:
            seconds = source.getnframes() / float(source.getframerate() or 1)
    except (FileNotFoundError, wave.Error, EOFError):
        return {"status": RecordingStatus.MISSING.value}
    return {
        "status": RecordingStatus.COMPLETE.value,
        "size_bytes": len(content),
        "duration_seconds": round(seconds, 2),
        "sha256": hashlib.sha256(content).hexdigest(),
    }

"""The application's clock: the system clock, or one started at a chosen instant (CC_CLOCK_START)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("the clock's start must carry a time zone")
        # An offset, not a frozen instant: durations (waits, talk times) stay real.
        self._offset = timedelta(0) if start is None else start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def epoch(self) -> float:
        return time.time() + self._offset.total_seconds()

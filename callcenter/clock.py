"""The application's clock: the system clock, or one started at a chosen instant (CC_CLOCK_START).

Every instant the app stores or shows comes from here. Instants stamped by the system clock elsewhere
(Asterisk's AMI ``Timestamp`` and dialplan ``EPOCH``, the classic AGI fallback scripts' spool files,
files' modification times) are put on the app's clock by ``from_system`` / ``from_epoch``, the same way
everywhere: with a clock started elsewhere they would otherwise land days or hours away from the app's
own instants of the same call.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from callcenter.domain.calls import epoch_to_datetime


class Clock:
    def __init__(self, start: datetime | None = None, anchor: datetime | None = None) -> None:
        """``start``: what the clock reads at the system instant ``anchor`` (default: now)."""
        if start is not None and start.tzinfo is None:
            raise ValueError("the clock's start must carry a time zone")
        if anchor is not None and anchor.tzinfo is None:
            raise ValueError("the clock's anchor must carry a time zone")
        # An offset, not a frozen instant: durations (waits, talk times) stay real.
        self._offset = timedelta(0) if start is None else start - (anchor or datetime.now(UTC))

    @property
    def offset(self) -> timedelta:
        """The app's clock minus the system clock (zero on the real clock)."""
        return self._offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def epoch(self) -> float:
        return time.time() + self._offset.total_seconds()

    def from_system(self, instant: datetime | None) -> datetime | None:
        """An instant the system clock stamped (Asterisk, a file), on the app's clock."""
        return None if instant is None else instant + self._offset

    def from_epoch(self, value: str | float | None) -> datetime | None:
        """System epoch seconds (AMI ``Timestamp``, dialplan ``${EPOCH}``), on the app's clock; junk gives
        None."""
        return self.from_system(epoch_to_datetime(value))

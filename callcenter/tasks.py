"""Work the services run beside the calls: tasks kept until done, and jobs repeated on a timer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class BackgroundTasks:
    """Tasks started off a call's path and kept referenced until done, so that shutdown (and a test)
    can wait for them; a failure is logged, never lost in an unawaited task."""

    def __init__(self) -> None:
        self._pending: set[asyncio.Task[None]] = set()

    def start(self, work: Coroutine[Any, Any, None], failure: str) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("%s", failure)

        task = asyncio.create_task(run())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait for the work under way, including work that work under way started."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)


class Periodic:
    """``action`` now and then every ``interval_seconds``; a failed run is logged and tried again."""

    def __init__(self, name: str, action: Callable[[], Awaitable[Any]], interval_seconds: float) -> None:
        self._name = name
        self._action = action
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self, *, wait_for_first: bool) -> None:
        """``wait_for_first``: the first run is part of starting (e.g. what piled up while the app was
        down); otherwise it runs in the background at once."""
        if wait_for_first:
            await self._run_once()
        self._task = asyncio.create_task(self._loop(first_now=not wait_for_first), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self, first_now: bool) -> None:
        if first_now:
            await self._run_once()
        while True:
            await asyncio.sleep(self._interval)
            await self._run_once()

    async def _run_once(self) -> None:
        try:
            await self._action()
        except Exception:
            log.exception("%s failed; retrying at the next interval", self._name)


class Coalesced:
    """``action`` run once, ``delay_seconds`` after the first request; requests made meanwhile are folded
    into that run (a burst of events, one piece of work). A request made during the run schedules another."""

    def __init__(
        self, action: Callable[[], Awaitable[Any]], delay_seconds: float, tasks: BackgroundTasks, failure: str
    ) -> None:
        self._action = action
        self._delay = delay_seconds
        self._tasks = tasks
        self._failure = failure
        self._pending = False

    def request(self) -> None:
        if self._pending:
            return
        self._pending = True
        self._tasks.start(self._run(), self._failure)

    async def _run(self) -> None:
        await asyncio.sleep(self._delay)
        self._pending = False
        await self._action()

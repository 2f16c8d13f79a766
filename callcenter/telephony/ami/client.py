"""One AMI connection, kept up by itself; its loss and its recovery are each logged once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from panoramisk import Manager

from callcenter.domain.calls import epoch_to_datetime
from callcenter.errors import CallCenterError, ServiceUnavailableError
from callcenter.telephony.ami.events import AmiEvent, StampReader, parse_event

log = logging.getLogger(__name__)

EventHandler = Callable[[AmiEvent], Awaitable[None]]
ConnectedHandler = Callable[[], Awaitable[None]]


class AmiUnreachableError(ServiceUnavailableError):
    code = "ami-unreachable"


class AmiActionError(CallCenterError):
    code = "ami-action-failed"
    http_status = 502


class AmiClient:
    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        reconnect_seconds: float = 2.0,
        action_timeout_seconds: float = 5.0,
        stamp: StampReader = epoch_to_datetime,
    ) -> None:
        self._address = f"{host}:{port}"
        self._reconnect_seconds = max(1, round(reconnect_seconds))
        self._config: dict[str, Any] = {
            "host": host,
            "port": port,
            "username": username,
            "secret": secret,
            "reconnect_timeout": self._reconnect_seconds,
            "ping_delay": 10,
            "ping_interval": 10,
        }
        self._action_timeout = action_timeout_seconds
        # Events' timestamps on the app's clock (Clock.from_epoch), not Asterisk's system clock.
        self._stamp = stamp
        self._manager: Any = None
        self._handlers: list[EventHandler] = []
        self._connected_handlers: list[ConnectedHandler] = []
        self._background: set[asyncio.Task[None]] = set()
        self._events: asyncio.Queue[AmiEvent] = asyncio.Queue()
        self._consumer: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._logged_in = asyncio.Event()
        self._outage_reported = False
        self._ever_connected = False

    @property
    def connected(self) -> bool:
        return self._logged_in.is_set()

    def subscribe(self, handler: EventHandler) -> None:
        self._handlers.append(handler)

    def on_connected(self, handler: ConnectedHandler) -> None:
        """Run after every login, first and after each reconnect: state is rebuilt from Asterisk."""
        self._connected_handlers.append(handler)

    async def start(self) -> None:
        # panoramisk logs every failed reconnect attempt; this adapter logs loss and recovery once each.
        logging.getLogger("panoramisk").setLevel(logging.CRITICAL)
        self._manager = Manager(
            loop=asyncio.get_running_loop(),
            on_login=self._on_login,
            on_disconnect=self._on_disconnect,
            log=logging.getLogger("panoramisk.manager"),
            **self._config,
        )
        self._manager.register_event("*", self._on_raw_event)
        self._manager.connect()
        self._consumer = asyncio.create_task(self._consume(), name="ami-events")
        self._watchdog = asyncio.create_task(self._report_unreachable(), name="ami-watchdog")

    async def stop(self) -> None:
        for task in (self._consumer, self._watchdog):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._manager is not None:
            # panoramisk reconnects after any loss; closing is final only once it stops trying.
            self._manager.connection_lost = lambda exc: None
            self._manager.close()
        self._logged_in.clear()

    async def wait_connected(self, within_seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._logged_in.wait(), within_seconds)
        except TimeoutError:
            return False
        return True

    async def send(self, action: Mapping[str, Any], *, as_list: bool = False) -> Any:
        """Send one action and return its response (as_list: the whole event list it produces); typed
        errors when Asterisk cannot answer.

        as_list is always given to panoramisk: left unset, it guesses from the reply's wording and takes
        QueueAdd's "Added interface to queue" for the start of a list that never comes.
        """
        if not self.connected or self._manager is None:
            raise AmiUnreachableError("Asterisk's AMI is not connected", details={"address": self._address})
        try:
            future = self._manager.send_action(dict(action), as_list=as_list)
            response = await asyncio.wait_for(future, self._action_timeout)
        except (TimeoutError, ConnectionError, AttributeError) as error:
            raise AmiUnreachableError(
                "Asterisk's AMI did not answer",
                details={"action": action.get("Action"), "error": repr(error)},
            ) from error
        first = response[0] if isinstance(response, list) and response else response
        if not isinstance(response, list) and getattr(first, "response", "") == "Error":
            raise AmiActionError(
                f"AMI action {action.get('Action')} failed: {first.message}",
                details={"action": action.get("Action"), "message": first.message},
            )
        return response

    # panoramisk callbacks (called by its protocol, never awaited)

    def _on_login(self, _manager: Any) -> None:
        if self._outage_reported:
            log.warning("AMI link to %s recovered", self._address)
        elif not self._ever_connected:
            log.info("AMI connected to %s", self._address)
        self._outage_reported = False
        self._ever_connected = True
        self._logged_in.set()
        for handler in self._connected_handlers:
            task = asyncio.get_running_loop().create_task(self._run_connected(handler))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _run_connected(self, handler: ConnectedHandler) -> None:
        try:
            await handler()
        except Exception:
            log.exception("Resynchronising after the AMI login failed")

    def _on_disconnect(self, _manager: Any, exc: Any) -> None:
        self._logged_in.clear()
        if not self._outage_reported:
            log.error("AMI link to %s lost (%s); reconnecting", self._address, exc)
            self._outage_reported = True

    def _on_raw_event(self, _manager: Any, message: Mapping[str, str]) -> None:
        event = parse_event(message, self._stamp)
        if event is not None:
            # Never blocks the reader: the queue is unbounded and drained by one consumer.
            self._events.put_nowait(event)

    async def _report_unreachable(self) -> None:
        await asyncio.sleep(self._reconnect_seconds + 1.0)
        if not self.connected and not self._outage_reported:
            log.error("AMI at %s not reachable yet; retrying in the background", self._address)
            self._outage_reported = True

    async def _consume(self) -> None:
        while True:
            event = await self._events.get()
            for handler in self._handlers:
                try:
                    await handler(event)
                except Exception:
                    log.exception("AMI event handler failed for %r", event)

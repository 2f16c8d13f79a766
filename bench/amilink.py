"""Asterisk's events as a bench hears them: an AMI link of its own, on a thread of its own, so that the
bench's phones and browsers keep their own loop."""

from __future__ import annotations

import asyncio
import threading
from abc import ABC, abstractmethod

from callcenter.settings import Settings
from callcenter.telephony.ami.client import AmiClient
from callcenter.telephony.ami.events import AmiEvent


class AmiListener(ABC):
    def __init__(self, settings: Settings) -> None:
        self._loop = asyncio.new_event_loop()
        self._client = AmiClient(
            settings.ami_host, settings.ami_port, settings.ami_username, settings.ami_secret_value()
        )
        self._client.subscribe(self._on_event)
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._client.start(), self._loop).result(10)

    async def _on_event(self, event: AmiEvent) -> None:
        self.heard(event)

    @abstractmethod
    def heard(self, event: AmiEvent) -> None:
        """Called on the listener's thread for every event the app also asks Asterisk for."""

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._client.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

"""What an AGI route sees of its channel; the FastAGI adapter provides it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol


class AgiChannel(Protocol):
    @property
    def env(self) -> Mapping[str, str]:
        """The agi_* variables Asterisk sent with the request."""

    def arg(self, position: int) -> str:
        """AGI argument ``position`` (1-based), or "" when not given."""

    async def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable; raises when Asterisk refuses or the channel is gone."""


RouteHandler = Callable[[AgiChannel], Awaitable[None]]

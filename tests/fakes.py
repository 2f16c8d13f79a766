"""Small stand-ins used by unit tests (real behaviour, no network)."""

from __future__ import annotations

from typing import Any


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        self.published.append((channel, payload))

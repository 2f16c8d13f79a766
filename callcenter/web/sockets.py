"""Pushing to a browser over a websocket until it goes away."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect


async def push_until_closed(websocket: WebSocket, messages: AsyncIterator[Any]) -> None:
    """Sends each message as JSON while reading the socket: reading is how a closed screen is noticed,
    where a quiet source would otherwise keep its subscription (and a server's shutdown) waiting."""

    async def forward() -> None:
        async for message in messages:
            await websocket.send_json(message)

    forwarding = asyncio.create_task(forward())
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    except WebSocketDisconnect:
        pass
    finally:
        forwarding.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await forwarding

"""Latency from an AMI event to the wallboard's websocket message in the browsers, at 10, 100 and 1,000
connected clients, next to a bare websockets broadcast of the same message on the same machine.

Starts its own Asterisk instance and the app on free ports. Agent 1001 is logged in (no phone needed) and
paused and resumed through the API, over and over: each time Asterisk raises QueueMemberPause (stamped by
Asterisk), the app's live board publishes the new state through Redis, and every client connected to
/ws/wallboard receives it. The latency of one client is its receipt time minus Asterisk's stamp.

The baseline is a bare `websockets` server in a process of its own that sends the same live message to
the same number of clients, stamped just before the broadcast. Clients run in this process (asyncio) in
both cases.

    .venv/bin/python bench/wallboard_latency.py [--clients 10 100 1000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import broadcast, serve

from bench.amilink import AmiListener
from bench.figures import percentile
from callcenter.asterisk import process
from callcenter.settings import PROJECT_DIR, Settings
from callcenter.telephony.ami.events import AmiEvent, QueueMemberChanged
from tests.integration.stack import AppProcess, free_port, get_json, isolated_settings, post_json

AGENT = "1001"


class PauseStamps(AmiListener):
    """Asterisk's stamp of each pause change of the agent."""

    def __init__(self, settings: Settings) -> None:
        self.stamps: dict[bool, list[float]] = {True: [], False: []}
        super().__init__(settings)

    def heard(self, event: AmiEvent) -> None:
        if isinstance(event, QueueMemberChanged) and event.member_name == AGENT and event.timestamp:
            self.stamps[event.paused].append(event.timestamp.timestamp())


def agent_paused(message: dict[str, Any]) -> bool | None:
    if message.get("type") != "live":
        return None
    agent = next((a for a in message["agents"] if a["id"] == AGENT), None)
    return None if agent is None else agent["status"] == "paused"


async def app_round_trips(settings: Settings, stamps: PauseStamps, clients: int, rounds: int) -> list[float]:
    url = f"ws://{settings.http_host}:{settings.http_port}/ws/wallboard?token={settings.admin_token_value()}"
    sockets = [await connect(url, max_size=None, open_timeout=30) for _ in range(clients)]
    latencies: list[float] = []
    try:
        for socket in sockets:  # the live state and the figures every browser starts from
            await socket.recv()
            await socket.recv()
        for index in range(rounds):
            paused = index % 2 == 0
            before = len(stamps.stamps[paused])

            async def until_shown(socket: ClientConnection, paused: bool = paused) -> float:
                while True:
                    message = json.loads(await socket.recv())
                    if agent_paused(message) is paused:
                        return time.time()

            waiting = [asyncio.create_task(until_shown(socket)) for socket in sockets]
            path = f"/api/agents/{AGENT}/{'pause' if paused else 'ready'}"
            await asyncio.to_thread(post_json, settings, path, {"reason": "bench"} if paused else None)
            received = await asyncio.wait_for(asyncio.gather(*waiting), 30)
            for _ in range(1000):  # the bench's own AMI link may hear the event after the clients
                if len(stamps.stamps[paused]) > before:
                    break
                await asyncio.sleep(0.01)
            stamp = stamps.stamps[paused][before]
            latencies += [(at - stamp) * 1000 for at in received]
    finally:
        for socket in sockets:
            await socket.close()
    return latencies


def bare_server(port: int, message: str, ready: Any) -> None:
    """A websockets server that broadcasts ``message`` with a fresh stamp whenever told to."""

    async def main() -> None:
        listeners: set[Any] = set()

        async def handler(socket: Any) -> None:
            if socket.request.path == "/control":
                async for _ in socket:
                    broadcast(listeners, json.dumps({"stamp": time.time(), "live": message}))
                return
            listeners.add(socket)
            try:
                await socket.wait_closed()
            finally:
                listeners.discard(socket)

        async with serve(handler, "127.0.0.1", port, max_size=None):
            ready.set()
            await asyncio.Future()

    asyncio.run(main())


async def bare_round_trips(port: int, clients: int, rounds: int) -> list[float]:
    sockets = [await connect(f"ws://127.0.0.1:{port}/", max_size=None) for _ in range(clients)]
    control = await connect(f"ws://127.0.0.1:{port}/control")
    latencies: list[float] = []

    async def one(socket: ClientConnection) -> float:
        message = json.loads(await socket.recv())
        json.loads(message["live"])  # the browser parses the live state too
        return (time.time() - message["stamp"]) * 1000

    try:
        for _ in range(rounds):
            waiting = [asyncio.create_task(one(socket)) for socket in sockets]
            await control.send("go")
            latencies += await asyncio.wait_for(asyncio.gather(*waiting), 30)
    finally:
        for socket in [*sockets, control]:
            await socket.close()
    return latencies


def describe(values: list[float]) -> str:
    return f"p50 {statistics.median(values):6.1f} ms, p99 {percentile(values, 0.99):6.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="cc-bench-wallboard-"))
    settings = isolated_settings(
        scratch,
        f"bench-{os.getpid()}",
        44000,
        hotline_config=PROJECT_DIR / "tests" / "integration" / "hotline.toml",
        clock_start="2026-11-24T10:00:00+08:00",
    )
    process.start(settings)
    app = AppProcess(settings, scratch / "app.log")
    app.start()
    stamps = PauseStamps(settings)
    results: list[tuple[int, list[float], list[float]]] = []
    bare: multiprocessing.Process | None = None
    try:
        post_json(settings, f"/api/agents/{AGENT}/login")
        live_message = json.dumps(get_json(settings, "/api/agents"))
        port = free_port()
        ready = multiprocessing.Event()
        bare = multiprocessing.Process(target=bare_server, args=(port, live_message, ready), daemon=True)
        bare.start()
        ready.wait(10)
        for clients in args.clients:
            through_app = asyncio.run(app_round_trips(settings, stamps, clients, args.rounds))
            baseline = asyncio.run(bare_round_trips(port, clients, args.rounds))
            results.append((clients, through_app, baseline))
        post_json(settings, f"/api/agents/{AGENT}/logout")
    finally:
        if bare is not None:
            bare.terminate()
        stamps.close()
        app.stop()
        process.stop(settings)
        shutil.rmtree(settings.asterisk_instance_dir, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)

    sys.stdout.write(f"AMI event -> wallboard message in every client, {args.rounds} events each:\n")
    for clients, through_app, baseline in results:
        sys.stdout.write(
            f"  {clients:5d} clients: app {describe(through_app)} | bare websockets broadcast "
            f"{describe(baseline)}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The FastAGI server (panoramisk): Asterisk's ``agi://host:port/<route>`` requests land here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from panoramisk.fast_agi import Request

from agi.channel import RouteHandler
from callcenter.errors import CallCenterError

log = logging.getLogger(__name__)

HEADER_TIMEOUT_SECONDS = 5.0
MAX_HEADER_BYTES = 64 * 1024


class AgiCommandError(CallCenterError):
    code = "agi-command-failed"


class PanoramiskAgiChannel:
    def __init__(self, request: Request, env: Mapping[str, str]) -> None:
        self._request = request
        self._env = env

    @property
    def env(self) -> Mapping[str, str]:
        return self._env

    def arg(self, position: int) -> str:
        return self._env.get(f"agi_arg_{position}", "")

    async def set_variable(self, name: str, value: str) -> None:
        quoted = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
        result = await self._request.send_command(f'SET VARIABLE {name} "{quoted}"')
        if result.get("status_code") != 200:
            raise AgiCommandError(
                f"Asterisk refused SET VARIABLE {name}",
                details={"result": {k: str(v) for k, v in result.items()}},
            )


def parse_agi_headers(raw: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in raw.decode("utf-8", errors="replace").splitlines():
        name, separator, value = line.partition(": ")
        if separator:
            headers[name] = value
    return headers


class FastAgiServer:
    def __init__(self, routes: Mapping[str, RouteHandler], host: str, port: int) -> None:
        self._routes = dict(routes)
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.is_serving()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self._host, self._port, reuse_address=True)
        log.info("FastAGI listening on %s:%s (routes: %s)", self._host, self._port, ", ".join(self._routes))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            # panoramisk's own handler spins forever on a connection closed before the blank line.
            raw = await asyncio.wait_for(reader.readuntil(b"\n\n"), HEADER_TIMEOUT_SECONDS)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            log.warning(
                "FastAGI request without a complete header from %s", writer.get_extra_info("peername")
            )
            writer.close()
            return
        env = parse_agi_headers(raw[:MAX_HEADER_BYTES])
        route_name = env.get("agi_network_script", "").split("?", 1)[0]
        handler = self._routes.get(route_name)
        try:
            if handler is None:
                log.error("No FastAGI route %r", route_name)
                return
            request = Request(app=None, headers=env, reader=reader, writer=writer)
            await handler(PanoramiskAgiChannel(request, env))
        except Exception:
            log.exception("FastAGI route %r failed", route_name)
        finally:
            writer.close()

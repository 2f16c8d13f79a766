"""The FastAPI application, built by the composition root with the services it serves."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callcenter.errors import CallCenterError
from callcenter.web.schemas import (
    ErrorPublic,
    HealthPublic,
)

log = logging.getLogger(__name__)

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorPublic},
    422: {"model": ErrorPublic},
    503: {"model": ErrorPublic},
}


@dataclass(frozen=True)
class HealthChecks:
    database: Callable[[], Awaitable[bool]]
    redis: Callable[[], Awaitable[bool]]
    ami: Callable[[], bool]
    fastagi: Callable[[], bool]


TIME_HEADER = b"x-hotline-time"
ZONE_HEADER = b"x-hotline-zone"


class HotlineTimeHeaders:
    """Every HTTP answer says the app's time and the hotline's zone: pages show times from these, never
    from the browser's clock, which is elsewhere whenever the app's clock was started elsewhere."""

    def __init__(self, app: ASGIApp, now: Callable[[], datetime], zone: str) -> None:
        self._app = app
        self._now = now
        self._zone = zone.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", ()))
                headers.append((TIME_HEADER, self._now().isoformat().encode()))
                headers.append((ZONE_HEADER, self._zone))
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, stamped)


def _error_response(status: int, code: str, message: str, details: dict[str, object]) -> JSONResponse:
    body = ErrorPublic(code=code, message=message, details=jsonable_encoder(details))
    return JSONResponse(status_code=status, content=body.model_dump())


def create_app(
    health: HealthChecks,
    routers: Sequence[APIRouter] = (),
    console_dir: Path | None = None,
    now: Callable[[], datetime] | None = None,
    zone: str = "Asia/Shanghai",
) -> FastAPI:
    """The HTTP API; features that grow their own folder bring their own router. ``now`` is the app's
    clock (Clock.now), sent with every answer with the hotline's ``zone``."""
    app = FastAPI(title="12348 hotline call centre", version="0.1.0", responses=ERROR_RESPONSES)
    if now is not None:
        app.add_middleware(HotlineTimeHeaders, now=now, zone=zone)
    for router in routers:
        app.include_router(router)
    if console_dir is not None:
        # The agent's console: static files, with the SIP library bundled at install (make setup).
        app.mount("/console", StaticFiles(directory=console_dir, html=True, check_dir=False), name="console")

        @app.get("/", include_in_schema=False)
        async def home() -> RedirectResponse:
            return RedirectResponse("/console/")

    @app.exception_handler(CallCenterError)
    async def domain_error(_request: Request, error: CallCenterError) -> JSONResponse:
        if error.http_status >= 500:
            log.error("%s: %s %s", error.code, error.message, error.details)
        return _error_response(error.http_status, error.code, error.message, error.details)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        return _error_response(
            422, "invalid-request", "The request is not valid", {"errors": list(error.errors())}
        )

    @app.get("/api/health", response_model=HealthPublic, tags=["health"])
    async def get_health() -> HealthPublic:
        return HealthPublic(
            database=await health.database(),
            redis=await health.redis(),
            ami=health.ami(),
            fastagi=health.fastagi(),
        )

    return app

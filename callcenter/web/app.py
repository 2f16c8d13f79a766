"""The FastAPI application, built by the composition root with the services it serves."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from callcenter.errors import CallCenterError, NotFoundError
from callcenter.services.calls import CallService
from callcenter.web.schemas import CallPublic, ErrorPublic, HealthPublic

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


def _error_response(status: int, code: str, message: str, details: dict[str, object]) -> JSONResponse:
    body = ErrorPublic(code=code, message=message, details=jsonable_encoder(details))
    return JSONResponse(status_code=status, content=body.model_dump())


def create_app(calls: CallService, health: HealthChecks) -> FastAPI:
    app = FastAPI(title="12348 hotline call centre", version="0.1.0", responses=ERROR_RESPONSES)

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

    @app.get("/api/calls", response_model=list[CallPublic], tags=["calls"])
    async def list_calls(
        caller: Annotated[str | None, Query(max_length=64, description="the caller's number")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[CallPublic]:
        """Call records, newest first."""
        records = await calls.list_calls(caller, limit, offset)
        return [CallPublic.model_validate(record) for record in records]

    @app.get("/api/calls/{linkedid}", response_model=CallPublic, tags=["calls"])
    async def get_call(linkedid: str) -> CallPublic:
        record = await calls.get_call(linkedid)
        if record is None:
            raise NotFoundError("No such call", details={"linkedid": linkedid})
        return CallPublic.model_validate(record)

    @app.get("/api/health", response_model=HealthPublic, tags=["health"])
    async def get_health() -> HealthPublic:
        return HealthPublic(
            database=await health.database(),
            redis=await health.redis(),
            ami=health.ami(),
            fastagi=health.fastagi(),
        )

    return app

"""Errors of the domain and its adapters: each carries a kebab-case code the API renders."""

from __future__ import annotations

from typing import Any


class CallCenterError(Exception):
    code = "call-center-error"
    http_status = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFoundError(CallCenterError):
    code = "not-found"
    http_status = 404


class ServiceUnavailableError(CallCenterError):
    code = "service-unavailable"
    http_status = 503


class StaleVersionError(CallCenterError):
    """Someone else changed the record since the client read it (optimistic concurrency): the client
    reads it again and decides anew, rather than overwrite what it never saw."""

    code = "stale-version"
    http_status = 409

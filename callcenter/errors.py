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

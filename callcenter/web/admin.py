"""The admin guard: one shared bearer token until agents and administrators have accounts."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from callcenter.errors import CallCenterError


class AdminRequiredError(CallCenterError):
    code = "admin-required"
    http_status = 401


# auto_error=False: a missing or malformed header becomes our own error shape, not FastAPI's 403.
_bearer = HTTPBearer(
    auto_error=False, description="the admin token (CC_ADMIN_TOKEN or var/secrets/admin-token)"
)


def admin_guard(token: str) -> Callable[..., Awaitable[None]]:
    """A dependency requiring ``Authorization: Bearer <token>``."""
    if not token:
        # An empty token would let an empty header through.
        raise ValueError("the admin token must not be empty")
    expected = token.encode("utf-8")

    async def require_admin(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        if credentials is None:
            raise AdminRequiredError(
                "This needs the admin token: Authorization: Bearer <token>", details={"reason": "missing"}
            )
        # Constant time: comparing byte by byte would tell an attacker how much of a guess was right.
        if not hmac.compare_digest(credentials.credentials.encode("utf-8"), expected):
            raise AdminRequiredError("The admin token is wrong", details={"reason": "wrong-token"})

    return require_admin

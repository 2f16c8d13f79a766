"""Access checks for the API: the signed-in principal and role requirements, as FastAPI dependencies.

``Authorization: Bearer <token>`` carries either a login's session token or the admin token, which acts as
the bootstrap administrator (an admin principal without a user account). Without a valid one: 401
login-required; with the wrong role: 403 role-forbidden.

Usage in a router::

    access = Access(organisation, settings.admin_token_value())
    Supervisor = Annotated[Principal, Depends(access.require_roles(Role.SUPERVISOR, Role.ADMIN))]

    @router.get("/api/things")
    async def things(principal: Supervisor) -> ...: ...

    @router.get("/api/me-things")
    async def mine(principal: Annotated[Principal, Depends(access.principal)]) -> ...: ...
"""

# No ``from __future__ import annotations``: FastAPI must see the dependencies' Annotated metadata, which
# names closures, as objects rather than strings it would look up in the module.
import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol

from fastapi import Depends, WebSocket
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from callcenter.domain.access import BOOTSTRAP_ADMIN, LoginRequiredError, Principal, Role, require_role
from callcenter.errors import CallCenterError

# Socket close codes in the range kept for applications (4000-4999), after the HTTP statuses they stand for.
CLOSE_LOGIN_REQUIRED = 4401
CLOSE_FORBIDDEN = 4403

# auto_error=False: a missing or malformed header becomes our own error shape, not FastAPI's 403.
_bearer = HTTPBearer(
    auto_error=False, description="a session token from POST /api/auth/login, or the admin token"
)


class Authenticator(Protocol):
    async def authenticate(self, token: str) -> Principal: ...


class Access:
    """The dependencies of one application: built once by the composition root."""

    def __init__(self, authenticator: Authenticator, admin_token: str) -> None:
        if not admin_token:
            # An empty token would let an empty header through.
            raise ValueError("the admin token must not be empty")
        self._authenticator = authenticator
        self._admin_token = admin_token.encode("utf-8")
        self.principal: Callable[..., Awaitable[Principal]] = self._principal_dependency()

    def _principal_dependency(self) -> Callable[..., Awaitable[Principal]]:
        authenticator, admin_token = self._authenticator, self._admin_token

        async def current_principal(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ) -> Principal:
            if credentials is None or not credentials.credentials:
                raise LoginRequiredError(
                    "This needs a login: Authorization: Bearer <token>", details={"reason": "missing"}
                )
            token = credentials.credentials
            # Constant time: comparing byte by byte would tell an attacker how much of a guess was right.
            if hmac.compare_digest(token.encode("utf-8"), admin_token):
                return BOOTSTRAP_ADMIN
            return await authenticator.authenticate(token)

        return current_principal

    async def principal_from_token(self, token: str) -> Principal:
        """The principal of a bare token (a websocket cannot send an Authorization header)."""
        if not token:
            raise LoginRequiredError("This needs a login token", details={"reason": "missing"})
        if hmac.compare_digest(token.encode("utf-8"), self._admin_token):
            return BOOTSTRAP_ADMIN
        return await self._authenticator.authenticate(token)

    async def accepted_principal(
        self, websocket: WebSocket, token: str, permitted: Callable[[Principal], object]
    ) -> Principal | None:
        """Accepts a browser's socket (which cannot send an Authorization header) and gives the principal
        of ``token``; closes the socket with 4401 without a valid login, or 4403 when ``permitted`` raises
        (None in both cases). Accepting first lets the browser read the code."""
        await websocket.accept()
        try:
            principal = await self.principal_from_token(token)
        except CallCenterError:
            await websocket.close(code=CLOSE_LOGIN_REQUIRED)
            return None
        try:
            permitted(principal)
        except CallCenterError:
            await websocket.close(code=CLOSE_FORBIDDEN)
            return None
        return principal

    def require_roles(self, *roles: Role) -> Callable[..., Awaitable[Principal]]:
        """A dependency giving the principal when they have one of ``roles`` (403 role-forbidden else)."""
        if not roles:
            raise ValueError("name at least one role")
        allowed = frozenset(roles)
        principal_dependency = self.principal

        async def principal_with_role(
            principal: Annotated[Principal, Depends(principal_dependency)],
        ) -> Principal:
            require_role(principal, allowed)
            return principal

        return principal_with_role

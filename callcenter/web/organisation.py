"""Logins, handling units, users and the audit log over HTTP.

Logging in is open; reading units needs any login; managing units and users needs the admin role (or the
admin token); the audit log is for supervisors and admins. A password is never part of an answer.
"""

# No ``from __future__ import annotations``: the routes' Annotated dependencies name closures.
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from callcenter.domain.access import Principal, Role
from callcenter.domain.organisation import (
    MAX_DISPLAY_NAME,
    MAX_PASSWORD,
    MAX_UNIT_NAME,
    MAX_USERNAME,
    AuditEntry,
    StoredUnit,
    StoredUser,
    Unit,
    UnitInvalidError,
    UnitLevel,
    User,
)
from callcenter.services.organisation import OrganisationService
from callcenter.web.access import Access
from callcenter.web.schemas import ErrorPublic, ImportResult

_CODE = r"^[a-z0-9-]+$"
_USERNAME = r"^[a-z0-9][a-z0-9._-]*$"
_CSV_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
}
_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}}
_ADMIN_ERRORS: dict[int | str, dict[str, Any]] = _AUTH_ERRORS | {409: {"model": ErrorPublic}}


# -- schemas ----------------------------------------------------------------------------------------------


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=64)
    password: str = Field(max_length=MAX_PASSWORD)


class PrincipalPublic(BaseModel):
    user_id: int | None = Field(description="null for the admin token")
    username: str
    display_name: str
    role: Role
    unit: str | None
    agent_id: str | None


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    unit: str | None
    agent_id: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class LoginPublic(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserPublic


class _UnitFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_UNIT_NAME)
    level: UnitLevel
    parent: str | None = Field(default=None, pattern=_CODE, max_length=32)
    head: str | None = Field(default=None, description="the head's username", max_length=MAX_USERNAME)


class UnitCreate(_UnitFields):
    code: str = Field(pattern=_CODE, max_length=32)


class UnitUpdate(_UnitFields):
    version: int = Field(
        ge=1, le=2**31 - 1, description="the version the change is based on (409 stale-version if not)"
    )
    active: bool | None = Field(default=None, description="true reactivates, false deactivates, null keeps")


class UnitPublic(BaseModel):
    code: str
    name: str
    level: UnitLevel
    parent: str | None
    head: str | None
    active: bool
    version: int


class _UserFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(min_length=1, max_length=MAX_DISPLAY_NAME)
    role: Role
    unit: str | None = Field(default=None, pattern=_CODE, max_length=32, description="for unit roles")
    agent_id: str | None = Field(default=None, pattern=r"^[0-9]{3,8}$", description="agents only")


class UserCreate(_UserFields):
    username: str = Field(pattern=_USERNAME, max_length=MAX_USERNAME)
    password: str = Field(max_length=MAX_PASSWORD)


class UserUpdate(_UserFields):
    version: int = Field(
        ge=1, le=2**31 - 1, description="the version the change is based on (409 stale-version if not)"
    )
    active: bool | None = Field(default=None, description="true reactivates, false deactivates, null keeps")


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=MAX_PASSWORD)


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    username: str
    role: str
    action: str
    subject_type: str
    subject_id: str
    fields: list[str]


def principal_public(principal: Principal) -> PrincipalPublic:
    return PrincipalPublic(
        user_id=principal.user_id,
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role,
        unit=principal.unit,
        agent_id=principal.agent_id,
    )


def user_public(stored: StoredUser) -> UserPublic:
    user = stored.user
    return UserPublic(
        id=stored.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        unit=user.unit,
        agent_id=user.agent_id,
        active=stored.active,
        version=stored.version,
        created_at=stored.created_at,
        updated_at=stored.updated_at,
    )


def unit_public(stored: StoredUnit) -> UnitPublic:
    unit = stored.unit
    return UnitPublic(
        code=unit.code,
        name=unit.name,
        level=unit.level,
        parent=unit.parent,
        head=unit.head,
        active=stored.active,
        version=stored.version,
    )


def audit_public(entry: AuditEntry) -> AuditEntryPublic:
    return AuditEntryPublic(
        id=entry.id or 0,
        at=entry.at,
        user_id=entry.user_id,
        username=entry.username,
        role=entry.role,
        action=entry.action,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        fields=list(entry.fields),
    )


def _unit(code: str, body: UnitCreate | UnitUpdate) -> Unit:
    return Unit(code=code, name=body.name, level=body.level, parent=body.parent, head=body.head)


def _user(username: str, body: UserCreate | UserUpdate) -> User:
    return User(
        username=username,
        display_name=body.display_name,
        role=body.role,
        unit=body.unit,
        agent_id=body.agent_id,
    )


def _decode_csv(data: bytes, content_type: str) -> str:
    charset = content_type.partition("charset=")[2].strip(' "').lower()
    for encoding in [charset] if charset else ["utf-8", "gb18030"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    raise UnitInvalidError(
        "the CSV is not text in UTF-8 or GB18030 (or in the charset it names)",
        details={"errors": [{"line": 1, "problem": "not decodable text"}], "charset": charset or None},
    )


# -- the router ------------------------------------------------------------------------------------------


def organisation_router(service: OrganisationService, access: Access) -> APIRouter:
    router = APIRouter()
    Anyone = Annotated[Principal, Depends(access.principal)]
    admin = [Depends(access.require_roles(Role.ADMIN))]
    Auditor = Annotated[Principal, Depends(access.require_roles(Role.SUPERVISOR, Role.ADMIN))]

    # -- logins ----------------------------------------------------------------------------------------

    @router.post(
        "/api/auth/login",
        response_model=LoginPublic,
        tags=["auth"],
        responses={401: {"model": ErrorPublic}, 429: {"model": ErrorPublic}},
    )
    async def login(body: LoginRequest, request: Request) -> LoginPublic:
        """A bearer token for the username and password (401 login-failed when either is wrong)."""
        client = request.client.host if request.client else "unknown"
        result = await service.login(body.username, body.password, client)
        return LoginPublic(token=result.token, expires_at=result.expires_at, user=user_public(result.user))

    @router.get("/api/auth/me", response_model=PrincipalPublic, tags=["auth"], responses=_AUTH_ERRORS)
    async def me(principal: Anyone) -> PrincipalPublic:
        return principal_public(principal)

    # -- units -----------------------------------------------------------------------------------------

    @router.get("/api/units", response_model=list[UnitPublic], tags=["units"], responses=_AUTH_ERRORS)
    async def list_units(
        _principal: Anyone,
        include_inactive: Annotated[bool, Query(description="deactivated units too")] = False,
    ) -> list[UnitPublic]:
        return [unit_public(stored) for stored in await service.list_units(include_inactive)]

    @router.get(
        "/api/units.csv",
        dependencies=admin,
        response_class=Response,
        tags=["units"],
        responses=_CSV_RESPONSE | _AUTH_ERRORS,
    )
    async def export_units() -> Response:
        """Active units as CSV (code,name,level,parent,head)."""
        return Response(
            content="\ufeff" + await service.export_units_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="units.csv"'},
        )

    @router.put(
        "/api/units.csv",
        dependencies=admin,
        response_model=ImportResult,
        tags=["units"],
        openapi_extra=_CSV_BODY,
        responses=_ADMIN_ERRORS,
    )
    async def import_units(request: Request) -> ImportResult:
        """Create or update the file's units by code, all or none; other units stay as they are.

        UTF-8, or the charset the Content-Type names, or GB18030 (Excel on Chinese Windows)."""
        text = _decode_csv(await request.body(), request.headers.get("content-type", ""))
        return ImportResult(imported=await service.import_units_csv(text))

    @router.post(
        "/api/units",
        dependencies=admin,
        response_model=UnitPublic,
        status_code=status.HTTP_201_CREATED,
        tags=["units"],
        responses=_ADMIN_ERRORS,
    )
    async def create_unit(body: UnitCreate, response: Response) -> UnitPublic:
        stored = await service.create_unit(_unit(body.code, body))
        response.headers["Location"] = f"/api/units/{stored.unit.code}"
        return unit_public(stored)

    @router.get("/api/units/{code}", response_model=UnitPublic, tags=["units"], responses=_AUTH_ERRORS)
    async def get_unit(code: str, _principal: Anyone) -> UnitPublic:
        return unit_public(await service.get_unit(code))

    @router.put(
        "/api/units/{code}",
        dependencies=admin,
        response_model=UnitPublic,
        tags=["units"],
        responses=_ADMIN_ERRORS,
    )
    async def update_unit(code: str, body: UnitUpdate) -> UnitPublic:
        """Replace the unit; ``version`` must be the current one (else 409 stale-version)."""
        return unit_public(await service.update_unit(_unit(code, body), body.version, body.active))

    @router.delete(
        "/api/units/{code}",
        dependencies=admin,
        response_model=UnitPublic,
        tags=["units"],
        responses=_ADMIN_ERRORS,
    )
    async def deactivate_unit(code: str) -> UnitPublic:
        """Deactivate (the unit stays for the orders' history); 409 unit-in-use while units or users are
        active in it or the hotline routing names it."""
        return unit_public(await service.deactivate_unit(code))

    # -- users -----------------------------------------------------------------------------------------

    @router.get(
        "/api/users",
        dependencies=admin,
        response_model=list[UserPublic],
        tags=["users"],
        responses=_AUTH_ERRORS,
    )
    async def list_users(
        include_inactive: Annotated[bool, Query(description="deactivated users too")] = False,
    ) -> list[UserPublic]:
        return [user_public(stored) for stored in await service.list_users(include_inactive)]

    @router.post(
        "/api/users",
        dependencies=admin,
        response_model=UserPublic,
        status_code=status.HTTP_201_CREATED,
        tags=["users"],
        responses=_ADMIN_ERRORS,
    )
    async def create_user(body: UserCreate, response: Response) -> UserPublic:
        stored = await service.create_user(_user(body.username, body), body.password)
        response.headers["Location"] = f"/api/users/{stored.user.username}"
        return user_public(stored)

    @router.get(
        "/api/users/{username}",
        dependencies=admin,
        response_model=UserPublic,
        tags=["users"],
        responses=_AUTH_ERRORS,
    )
    async def get_user(username: str) -> UserPublic:
        return user_public(await service.get_user(username))

    @router.put(
        "/api/users/{username}",
        dependencies=admin,
        response_model=UserPublic,
        tags=["users"],
        responses=_ADMIN_ERRORS,
    )
    async def update_user(username: str, body: UserUpdate) -> UserPublic:
        """Replace the user's data (not the password); ``version`` must be the current one."""
        return user_public(await service.update_user(_user(username, body), body.version, body.active))

    @router.delete(
        "/api/users/{username}",
        dependencies=admin,
        response_model=UserPublic,
        tags=["users"],
        responses=_ADMIN_ERRORS,
    )
    async def deactivate_user(username: str) -> UserPublic:
        """Deactivate: no more logins, and the user's tokens stop working."""
        return user_public(await service.deactivate_user(username))

    @router.post(
        "/api/users/{username}/password",
        dependencies=admin,
        response_model=UserPublic,
        tags=["users"],
        responses=_ADMIN_ERRORS,
    )
    async def reset_password(username: str, body: PasswordReset) -> UserPublic:
        """Set a new password; every session of the user ends."""
        return user_public(await service.reset_password(username, body.password))

    # -- audit log -------------------------------------------------------------------------------------

    @router.get("/api/audit", response_model=list[AuditEntryPublic], tags=["audit"], responses=_AUTH_ERRORS)
    async def list_audit(
        _principal: Auditor,
        subject_type: Annotated[str | None, Query(max_length=32, examples=["work-order"])] = None,
        subject_id: Annotated[str | None, Query(max_length=64)] = None,
        username: Annotated[str | None, Query(max_length=64, description="who read")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> list[AuditEntryPublic]:
        """Reads of personal data, newest first."""
        entries = await service.list_audit(
            subject_type=subject_type, subject_id=subject_id, username=username, limit=limit, offset=offset
        )
        return [audit_public(entry) for entry in entries]

    return router

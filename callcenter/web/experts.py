"""The experts and duty-roster API. Reads are open (agents pick experts in their console); every write,
and the CSV files with everyone's phone numbers in bulk, are for administrators."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from callcenter.domain.access import Role
from callcenter.domain.experts import (
    Expert,
    ExpertInvalidError,
    RosterEntry,
    RosterError,
    StoredExpert,
    roster_entry_from_text,
    roster_when,
)
from callcenter.services.experts import ExpertService, decode_csv
from callcenter.web.access import Access
from callcenter.web.schemas import (
    ErrorPublic,
    ExpertCreate,
    ExpertPublic,
    ExpertUpdate,
    ImportResult,
    RosterEntryIn,
    RosterEntryPublic,
)

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_CSV_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
}
_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}
_ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorPublic}, 409: {"model": ErrorPublic}}


def expert_public(stored: StoredExpert) -> ExpertPublic:
    expert = stored.expert
    return ExpertPublic(
        id=expert.id,
        name=expert.name,
        kind=expert.kind,
        organisation=expert.organisation,
        phones=list(expert.phones),
        categories=sorted(expert.categories),
        prefectures=sorted(expert.prefectures),
        max_concurrent_calls=expert.max_concurrent_calls,
        active=stored.active,
        version=stored.version,
    )


def roster_entry_public(entry: RosterEntry) -> RosterEntryPublic:
    return RosterEntryPublic(
        expert_id=entry.expert_id,
        when=roster_when(entry),
        start=entry.start.strftime("%H:%M"),
        end=entry.end.strftime("%H:%M"),
    )


def _expert(expert_id: str, body: ExpertCreate | ExpertUpdate) -> Expert:
    try:
        return Expert(
            id=expert_id,
            name=body.name,
            kind=body.kind,
            organisation=body.organisation,
            phones=tuple(body.phones),
            categories=frozenset(body.categories),
            prefectures=frozenset(body.prefectures),
            max_concurrent_calls=body.max_concurrent_calls,
        )
    except RosterError as error:
        # The domain speaks of the roster; for the client this is the expert it sent.
        raise ExpertInvalidError(error.message, details=error.details) from error


def _entries(expert_id: str, body: list[RosterEntryIn]) -> list[RosterEntry]:
    entries: list[RosterEntry] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(body):
        try:
            entries.append(roster_entry_from_text(expert_id, item.when, item.start, item.end))
        except RosterError as error:
            errors.append({"entry": index, "problem": error.message})
    if errors:
        raise RosterError(f"{len(errors)} roster entries are not valid", details={"errors": errors})
    return entries


async def _csv_text(request: Request, error_class: type[RosterError]) -> str:
    charset = request.headers.get("content-type", "").partition("charset=")[2].strip(' "').lower()
    return decode_csv(await request.body(), charset or None, error_class)


def _csv_response(text: str, filename: str) -> Response:
    # The BOM makes Excel read the file as UTF-8 instead of the system's code page; imports skip it.
    return Response(
        content="\ufeff" + text,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def experts_router(service: ExpertService, access: Access) -> APIRouter:
    router = APIRouter(tags=["experts"])
    admin = [Depends(access.require_roles(Role.ADMIN))]

    @router.get("/api/experts", response_model=list[ExpertPublic])
    async def list_experts(
        include_inactive: Annotated[bool, Query(description="deactivated experts too")] = False,
    ) -> list[ExpertPublic]:
        return [expert_public(stored) for stored in await service.list_experts(include_inactive)]

    @router.get("/api/experts.csv", dependencies=admin, response_class=Response, responses=_CSV_RESPONSE)
    async def export_experts() -> Response:
        """Active experts as CSV (lists inside a field separated by ';')."""
        return _csv_response(await service.export_experts_csv(), "experts.csv")

    @router.put(
        "/api/experts.csv",
        dependencies=admin,
        response_model=ImportResult,
        openapi_extra=_CSV_BODY,
        responses=_ADMIN_ERRORS,
    )
    async def import_experts(request: Request) -> ImportResult:
        """Create or update the file's experts by id, all or none; other experts stay as they are."""
        text = await _csv_text(request, ExpertInvalidError)
        return ImportResult(imported=await service.import_experts_csv(text))

    @router.post(
        "/api/experts",
        dependencies=admin,
        response_model=ExpertPublic,
        status_code=status.HTTP_201_CREATED,
        responses=_ADMIN_ERRORS,
    )
    async def create_expert(body: ExpertCreate, response: Response) -> ExpertPublic:
        stored = await service.create_expert(_expert(body.id, body))
        response.headers["Location"] = f"/api/experts/{stored.expert.id}"
        return expert_public(stored)

    @router.get("/api/experts/{expert_id}", response_model=ExpertPublic)
    async def get_expert(expert_id: str) -> ExpertPublic:
        return expert_public(await service.get_expert(expert_id))

    @router.put(
        "/api/experts/{expert_id}", dependencies=admin, response_model=ExpertPublic, responses=_ADMIN_ERRORS
    )
    async def update_expert(expert_id: str, body: ExpertUpdate) -> ExpertPublic:
        """Replace the expert's data; ``version`` must be the current one (else 409 stale-version)."""
        await service.get_expert(expert_id)
        stored = await service.update_expert(_expert(expert_id, body), body.version, body.active)
        return expert_public(stored)

    @router.delete(
        "/api/experts/{expert_id}",
        dependencies=admin,
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
        responses=_ADMIN_ERRORS,
    )
    async def deactivate_expert(expert_id: str) -> Response:
        """Deactivate: never offered a call again and off the roster; the history keeps the id."""
        await service.deactivate_expert(expert_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.get("/api/experts/{expert_id}/roster", response_model=list[RosterEntryPublic])
    async def get_expert_roster(expert_id: str) -> list[RosterEntryPublic]:
        return [roster_entry_public(entry) for entry in await service.expert_roster(expert_id)]

    @router.put(
        "/api/experts/{expert_id}/roster",
        dependencies=admin,
        response_model=list[RosterEntryPublic],
        responses=_ADMIN_ERRORS,
    )
    async def replace_expert_roster(expert_id: str, body: list[RosterEntryIn]) -> list[RosterEntryPublic]:
        """Replace this expert's roster entries, all or none."""
        await service.get_expert(expert_id)
        entries = await service.replace_expert_roster(expert_id, _entries(expert_id, body))
        return [roster_entry_public(entry) for entry in entries]

    @router.get("/api/roster", response_model=list[RosterEntryPublic])
    async def get_roster() -> list[RosterEntryPublic]:
        return [roster_entry_public(entry) for entry in await service.roster()]

    @router.get("/api/roster.csv", dependencies=admin, response_class=Response, responses=_CSV_RESPONSE)
    async def export_roster() -> Response:
        return _csv_response(await service.export_roster_csv(), "roster.csv")

    @router.put(
        "/api/roster.csv",
        dependencies=admin,
        response_model=ImportResult,
        openapi_extra=_CSV_BODY,
        responses=_ADMIN_ERRORS,
    )
    async def import_roster(request: Request) -> ImportResult:
        """Replace the whole roster with the file (expert_id,when,start,end), all or none."""
        text = await _csv_text(request, RosterError)
        return ImportResult(imported=await service.import_roster_csv(text))

    return router

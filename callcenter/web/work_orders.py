"""The work-order API: the public web channel (submit, follow, rate) and the staff's lifecycle."""

# No ``from __future__ import annotations``: FastAPI reads the dependencies' Annotated metadata as objects.
from dataclasses import asdict, replace
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends, Path, Query, Request, WebSocket
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from callcenter.domain.access import Principal, Role, TooManyAttemptsError, require_role
from callcenter.domain.stored_orders import OrderFilter, StoredOrder
from callcenter.domain.work_orders import Action, CallbackOutcome, Channel, OrderType, Payload, Urgency
from callcenter.errors import NotFoundError
from callcenter.services.work_orders import REMINDER_CHANNEL, Registration, WorkOrderService
from callcenter.web.access import Access
from callcenter.web.sockets import push_until_closed

PHONE_PATTERN = r"^(1[0-9]{10}|0[0-9]{9,11})$"
NUMBER_PATTERN = r"^[0-9]{8}-[0-9]{5,}$"
STAFF_ROLES = (Role.AGENT, Role.UNIT_HANDLER, Role.UNIT_HEAD, Role.SUPERVISOR, Role.ADMIN)
# Channels staff register by hand; the web channel and the hotline's own come through their own paths.
StaffChannel = Literal["walk-in", "hotline", "other-hotline", "web"]


class Limiter(Protocol):
    async def hit(self, key: str) -> bool:
        """Counts one attempt for ``key``; False once its limit is exceeded."""
        ...


class WebSubmission(BaseModel):
    """A consultation, complaint or suggestion from the public web form."""

    model_config = ConfigDict(extra="forbid")

    order_type: OrderType
    category: str = Field(min_length=1, max_length=32)
    caller_name: str = Field(min_length=1, max_length=64)
    caller_number: str = Field(
        pattern=PHONE_PATTERN, description="an 11-digit mobile or a landline with area code"
    )
    prefecture: str | None = Field(default=None, max_length=32)
    description: str = Field(min_length=5, max_length=4000)
    urgency: Urgency = Urgency.NORMAL


class WorkOrderCreate(WebSubmission):
    channel: StaffChannel = "walk-in"
    is_case: bool = False


class Receipt(BaseModel):
    number: str
    state: str


class Lookup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(pattern=NUMBER_PATTERN)
    phone: str = Field(pattern=PHONE_PATTERN)


class CallerRating(Lookup):
    rating: str = Field(min_length=1, max_length=32, description="a code of the rating scale, e.g. satisfied")


class PublicProgress(BaseModel):
    """What the caller sees: no unit staff, no internal notes."""

    model_config = ConfigDict(from_attributes=True)

    number: str
    state: str = Field(validation_alias="status")
    order_type: str
    category: str | None
    created_at: datetime
    reply_due_at: datetime | None
    reply: str | None
    replied_at: datetime | None
    caller_rating: str | None


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    version: int = Field(ge=1, le=2**31 - 1, description="the version of the order the action was decided on")
    units: list[str] = Field(default_factory=list, max_length=10)
    reason: str = Field(default="", max_length=2000)
    note: str = Field(default="", max_length=2000)
    reply: str = Field(default="", max_length=8000)
    outcome: CallbackOutcome | None = None
    days: int | None = Field(default=None, ge=1, le=15)
    is_case: bool | None = None


class UnitPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    unit_code: str
    status: str
    assigned_at: datetime
    accepted_at: datetime | None
    returned_at: datetime | None
    return_reason: str | None


class EventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    actor_role: str
    action: str
    from_state: str
    to_state: str
    note: str | None
    details: dict[str, Any] | None


class AttachmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class DeadlinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    due: datetime
    level: str
    extended: bool


class WorkOrderSummary(BaseModel):
    # Read from the service's StoredOrder: its attributes by name, the state from its status.
    model_config = ConfigDict(from_attributes=True)

    number: str
    channel: str
    order_type: str
    state: str = Field(validation_alias="status")
    urgency: str | None
    category: str | None
    caller_name: str | None
    caller_number: str | None
    prefecture: str | None
    lead_unit: str | None
    created_at: datetime
    transfer_due_at: datetime | None
    reply_due_at: datetime | None
    flagged: bool
    version: int
    linkedid: str | None
    wait_seconds: float | None
    recording_path: str | None
    recording_seconds: float | None
    callback_due_at: datetime | None


class WorkOrderDetail(WorkOrderSummary):
    description: str | None
    is_case: bool
    reply: str | None
    replied_at: datetime | None
    feedback_at: datetime | None
    callback_outcome: str | None
    closed_at: datetime | None
    caller_rating: str | None
    extension_days: int | None
    requested_extension_days: int | None
    phone_masked: bool
    units: list[UnitPublic]
    history: list[EventPublic]
    attachments: list[AttachmentPublic]
    deadlines: list[DeadlinePublic]
    actions: list[str]


class WorkOrderPage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    total: int = Field(description="orders matching, counted up to 10 001 (see more)")
    more: bool = Field(description="more than 10 000 orders match: total is a floor")
    items: list[WorkOrderSummary]


class ReminderPublic(BaseModel):
    id: int
    number: str
    kind: str
    level: str
    due_at: datetime
    raised_at: datetime


def work_orders_router(
    service: WorkOrderService, access: Access, lookups: Limiter, submissions: Limiter, bus: Any
) -> APIRouter:
    router = APIRouter(tags=["work orders"])
    Staff = Annotated[Principal, Depends(access.require_roles(*STAFF_ROLES))]
    Supervisor = Annotated[Principal, Depends(access.require_roles(Role.SUPERVISOR, Role.ADMIN))]

    def client_of(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    # -- public -----------------------------------------------------------------------------------------

    @router.post("/api/public/work-orders", response_model=Receipt, status_code=201, tags=["public"])
    async def submit(body: WebSubmission, request: Request) -> Receipt:
        """Submit a consultation, complaint or suggestion; keep the number to follow it."""
        if not await submissions.hit(client_of(request)):
            raise TooManyAttemptsError("Too many submissions; try again later", details={})
        order = await service.register(
            Registration(
                channel=Channel.WEB,
                order_type=body.order_type,
                category=body.category,
                description=body.description,
                caller_number=body.caller_number,
                caller_name=body.caller_name,
                prefecture=body.prefecture,
                urgency=body.urgency,
            ),
            None,
        )
        return Receipt(number=order.number, state=order.status)

    @router.post("/api/public/work-orders/lookup", response_model=PublicProgress, tags=["public"])
    async def lookup(body: Lookup, request: Request) -> PublicProgress:
        """Follow an order with its number and the phone given with it. A wrong number and a wrong phone
        get the same answer; attempts are limited per client and per number."""
        if not (await lookups.hit(client_of(request)) and await lookups.hit(body.number)):
            raise TooManyAttemptsError("Too many lookups; try again later", details={})
        order = await service.lookup(body.number, body.phone)
        return public_progress(order)

    @router.post("/api/public/work-orders/rating", response_model=PublicProgress, tags=["public"])
    async def rate(body: CallerRating, request: Request) -> PublicProgress:
        """The caller rates the reply they received."""
        if not (await lookups.hit(client_of(request)) and await lookups.hit(body.number)):
            raise TooManyAttemptsError("Too many attempts; try again later", details={})
        return public_progress(await service.rate_reply(body.number, body.phone, body.rating))

    # -- staff ------------------------------------------------------------------------------------------

    @router.post("/api/work-orders", response_model=WorkOrderDetail, status_code=201)
    async def create(body: WorkOrderCreate, principal: Staff) -> WorkOrderDetail:
        """Register an order by hand (a walk-in visitor, a referral from another hotline)."""
        order = await service.register(
            Registration(
                channel=Channel(body.channel),
                order_type=body.order_type,
                category=body.category,
                description=body.description,
                caller_number=body.caller_number,
                caller_name=body.caller_name,
                prefecture=body.prefecture,
                urgency=body.urgency,
                is_case=body.is_case,
            ),
            principal,
        )
        return await detail(order.number, principal)

    @router.get("/api/work-orders", response_model=WorkOrderPage)
    async def search(
        principal: Staff,
        state: Annotated[list[str] | None, Query(max_length=10)] = None,
        channel: Annotated[str | None, Query(max_length=32)] = None,
        order_type: Annotated[OrderType | None, Query()] = None,
        category: Annotated[str | None, Query(max_length=32)] = None,
        caller: Annotated[str | None, Query(max_length=64, description="the caller's phone")] = None,
        q: Annotated[str | None, Query(max_length=100, description="words in number, caller, text")] = None,
        overdue: Annotated[bool, Query(description="reply deadline passed, not yet answered")] = False,
        flagged: Annotated[bool | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> WorkOrderPage:
        """Orders within the principal's scope, newest first (callers' numbers masked in lists)."""
        page = await service.search(
            OrderFilter(
                states=tuple(state or ()),
                channel=channel,
                order_type=order_type.value if order_type else None,
                category=category,
                caller_number=caller,
                text=q,
                reply_due_before=service.now() if overdue else None,
                flagged=flagged,
                limit=limit,
                offset=offset,
            ),
            principal,
        )
        return WorkOrderPage.model_validate(page)

    async def detail(number: str, principal: Principal) -> WorkOrderDetail:
        view = await service.view(number, principal)
        return WorkOrderDetail.model_validate(
            asdict(view.order)
            | {
                "caller_number": view.caller_number,
                "phone_masked": view.phone_masked,
                "units": view.units,
                "history": view.events,
                "attachments": view.attachments,
                "deadlines": view.deadlines,
                "actions": view.actions,
            }
        )

    @router.get("/api/work-orders/{number}", response_model=WorkOrderDetail)
    async def get_order(number: str, principal: Staff) -> WorkOrderDetail:
        """The order, its units, its whole history, attachments, deadlines and what this user may do."""
        return await detail(number, principal)

    @router.get("/api/calls/{linkedid}/work-order", response_model=WorkOrderDetail)
    async def order_of_call(linkedid: str, principal: Staff) -> WorkOrderDetail:
        """The work order the agent's classification made of a hotline call (404 before it)."""
        order = await service.order_for_call(linkedid, Channel.HOTLINE)
        if order is None:
            raise NotFoundError("The call has no work order yet", details={"linkedid": linkedid})
        return await detail(order.number, principal)

    @router.post("/api/work-orders/{number}/actions", response_model=WorkOrderDetail)
    async def act(number: str, body: ActionRequest, principal: Staff) -> WorkOrderDetail:
        """One step of the lifecycle. 409 illegal-transition lists the actions allowed now; 409
        stale-version means someone else acted first (read the order again)."""
        await service.act(
            number,
            body.action,
            principal,
            Payload(
                units=tuple(body.units),
                reason=body.reason,
                note=body.note,
                reply=body.reply,
                outcome=body.outcome,
                days=body.days,
                is_case=body.is_case,
            ),
            body.version,
        )
        return await detail(number, principal)

    @router.put(
        "/api/work-orders/{number}/attachments/{filename}", response_model=AttachmentPublic, status_code=201
    )
    async def attach(number: str, filename: str, request: Request, principal: Staff) -> AttachmentPublic:
        """The request body is the file (PDF, JPEG, PNG or plain text, up to 5 MB)."""
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip()
        content = await request.body()
        return AttachmentPublic.model_validate(
            await service.attach(number, principal, filename, content_type, content)
        )

    @router.get("/api/work-orders/{number}/attachments/{attachment_id}")
    async def download(
        number: str, attachment_id: Annotated[int, Path(ge=1, le=2**31 - 1)], principal: Staff
    ) -> FileResponse:
        view = await service.view(number, principal)
        item = next((a for a in view.attachments if a.id == attachment_id), None)
        if item is None:
            raise NotFoundError("No such attachment", details={"number": number, "id": attachment_id})
        return FileResponse(
            service.attachment_path(item), media_type=item.content_type, filename=item.filename
        )

    @router.get("/api/callers/{phone}/work-orders", response_model=WorkOrderPage)
    async def caller_history(phone: str, principal: Staff) -> WorkOrderPage:
        """A caller's orders from every channel (the agent's screen pop shows them)."""
        return WorkOrderPage.model_validate(
            await service.search(OrderFilter(caller_number=phone, limit=100), principal)
        )

    # -- early warning ----------------------------------------------------------------------------------

    @router.get("/api/reminders", response_model=list[ReminderPublic])
    async def reminders(
        principal: Supervisor, limit: Annotated[int, Query(ge=1, le=500)] = 100
    ) -> list[ReminderPublic]:
        """Near-due, due-today and overdue warnings and urgent transfers, newest first."""
        return [
            ReminderPublic.model_validate(asdict(reminder) | {"number": number})
            for reminder, number in await service.reminders(limit)
        ]

    @router.websocket("/ws/reminders")
    async def reminder_socket(websocket: WebSocket, token: str = "") -> None:
        """Pushes each warning as it is raised, by whichever instance raised it (token: a supervisor's)."""
        supervisors = (Role.SUPERVISOR, Role.ADMIN)
        if await access.accepted_principal(websocket, token, lambda p: require_role(p, supervisors)) is None:
            return
        await push_until_closed(websocket, bus.listen(REMINDER_CHANNEL))

    return router


def public_progress(order: StoredOrder) -> PublicProgress:
    shows_reply = order.status in ("feedback", "second-callback", "flagged", "closed")
    return PublicProgress.model_validate(
        order if shows_reply else replace(order, reply=None, replied_at=None)
    )

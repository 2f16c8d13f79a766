"""What the agent's browser console needs after the login: who the agent is, the SIP account the
application issues for their browser softphone, and the configuration the forms are built from."""

# No ``from __future__ import annotations``: FastAPI must see the dependencies' Annotated metadata.
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from callcenter.domain.access import NotYourAgentError, Principal, Role
from callcenter.hotline import HotlineConfig, agent_web_endpoint
from callcenter.web.access import Access
from callcenter.web.schemas import ErrorPublic


class ConsoleAgentPublic(BaseModel):
    id: str
    name: str


class ConsoleUserPublic(BaseModel):
    username: str
    display_name: str


class SipAccountPublic(BaseModel):
    websocket_url: str = Field(description="Asterisk's websocket transport (ws:// in the demo, wss:// live)")
    uri: str
    username: str
    password: str = Field(description="issued by the application; never typed by the agent")
    display_name: str
    loopback_ice_only: bool = Field(description="browser and Asterisk on one machine: 127.0.0.1 media only")


class CodeNamePublic(BaseModel):
    code: str
    name: str


class ConsoleSessionPublic(BaseModel):
    agent: ConsoleAgentPublic
    user: ConsoleUserPublic
    sip: SipAccountPublic
    categories: list[CodeNamePublic]
    prefectures: list[CodeNamePublic]
    languages: list[CodeNamePublic]
    pause_reasons: list[str]
    wrapup_seconds: int


def console_router(
    hotline: HotlineConfig,
    access: Access,
    sip_password: Callable[[str], str],
    sip_domain: str,
    websocket_url: str,
    loopback_ice_only: bool,
) -> APIRouter:
    """``sip_password(endpoint)`` is the secret Asterisk's configuration was rendered with."""
    router = APIRouter(tags=["console"])
    Agent = Annotated[Principal, Depends(access.require_roles(Role.AGENT))]

    @router.get(
        "/api/console/session",
        response_model=ConsoleSessionPublic,
        responses={401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}},
    )
    async def session(principal: Agent) -> ConsoleSessionPublic:
        """The signed-in agent's console: their softphone account and the forms' choices."""
        agent = hotline.agent(principal.agent_id) if principal.agent_id else None
        if agent is None:
            raise NotYourAgentError(
                "This user is not a triage agent of the hotline configuration",
                details={"agent_id": principal.agent_id},
            )
        endpoint = agent_web_endpoint(agent.id)
        labels = {p.code: p.name for p in hotline.region.prefectures}
        return ConsoleSessionPublic(
            agent=ConsoleAgentPublic(id=agent.id, name=agent.name),
            user=ConsoleUserPublic(username=principal.username, display_name=principal.display_name),
            sip=SipAccountPublic(
                websocket_url=websocket_url,
                uri=f"sip:{endpoint}@{sip_domain}",
                username=endpoint,
                password=sip_password(endpoint),
                display_name=agent.name,
                loopback_ice_only=loopback_ice_only,
            ),
            categories=[CodeNamePublic(code=c.code, name=c.name) for c in hotline.categories],
            prefectures=[CodeNamePublic(code=code, name=name) for code, name in labels.items()],
            languages=[CodeNamePublic(code=option.code, name=option.name) for option in hotline.languages],
            pause_reasons=list(hotline.queues.pause_reasons),
            wrapup_seconds=hotline.queues.wrapup_seconds,
        )

    return router

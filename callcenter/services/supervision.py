"""A supervisor listens to, whispers to or barges into an agent's call: Asterisk rings the supervisor's own
phone and, when it answers, ChanSpy joins it to the agent's channel. Every use is audited."""

from __future__ import annotations

import logging
from enum import StrEnum

from callcenter.domain.access import Auditor, Principal
from callcenter.errors import CallCenterError
from callcenter.hotline import HotlineConfig, supervisor_endpoint
from callcenter.services.agents import AgentService, CallPhase
from callcenter.telephony.ami import actions
from callcenter.telephony.ami.client import AmiClient
from callcenter.telephony.ami.events import CHANNEL_STATE_UP
from callcenter.telephony.dialplan import TRUNK_ENDPOINT

log = logging.getLogger(__name__)

RING_SECONDS = 30


class SpyMode(StrEnum):
    # Hears both sides; nobody hears the supervisor.
    LISTEN = "listen"
    # Hears both sides; only the agent hears the supervisor (coaching), never the caller.
    WHISPER = "whisper"
    # Joins the conversation: both sides hear the supervisor.
    BARGE = "barge"

    @property
    def chanspy_options(self) -> str:
        # q: no beep or name announced to anyone; E: leave when the agent's channel ends.
        return {"listen": "qE", "whisper": "qwE", "barge": "qBE"}[self.value]


class SupervisionError(CallCenterError):
    code = "supervision-invalid"
    http_status = 409


class SupervisionService:
    def __init__(self, hotline: HotlineConfig, agents: AgentService, ami: AmiClient, audit: Auditor) -> None:
        self._phones = {phone.id: phone for phone in hotline.supervisor_phones}
        self._agents = agents
        self._ami = ami
        self._audit = audit

    def _check_phone(self, phone: str) -> None:
        if phone not in self._phones:
            raise SupervisionError(
                "Not a supervisor's phone of the hotline configuration",
                details={"phone": phone, "known": sorted(self._phones)},
            )

    async def _ring_into_chanspy(self, phone: str, channel: str, mode: SpyMode, label: str) -> None:
        await actions.originate_application(
            self._ami,
            f"PJSIP/{supervisor_endpoint(phone)}",
            "ChanSpy",
            f"{channel},{mode.chanspy_options}",
            f'"{mode.value} {label}" <{label}>',
            RING_SECONDS,
        )

    async def spy_on_expert(self, principal: Principal, linkedid: str, mode: SpyMode, phone: str) -> None:
        """The same on a call transferred to an expert: a whisper reaches the expert only."""
        self._check_phone(phone)
        # Asterisk knows the expert's leg: the trunk channel of the call, answered.
        expert = next(
            (
                channel["Channel"]
                for channel in await actions.channels(self._ami)
                if channel.get("Linkedid") == linkedid
                and channel.get("Channel", "").startswith(f"PJSIP/{TRUNK_ENDPOINT}-")
                and channel.get("ChannelState") == CHANNEL_STATE_UP
            ),
            None,
        )
        if expert is None:
            raise SupervisionError("No expert is talking on that call", details={"linkedid": linkedid})
        await self._audit.record(principal, mode.value, "expert-call", linkedid, ["audio"])
        await self._ring_into_chanspy(phone, expert, mode, "expert")
        log.info(
            "Supervisor %s %s the expert of call %s from phone %s",
            principal.username,
            mode.value,
            linkedid,
            phone,
        )

    async def spy(self, principal: Principal, agent_id: str, mode: SpyMode, phone: str) -> None:
        self._check_phone(phone)
        call = self._agents.state(agent_id).call
        if call is None or call.phase is not CallPhase.CONNECTED or not call.agent_channel:
            raise SupervisionError("The agent is not on a call", details={"agent_id": agent_id})
        # Audited before Asterisk acts: a use that cannot be recorded does not happen.
        await self._audit.record(principal, mode.value, "agent-call", call.linkedid, ["audio"])
        await self._ring_into_chanspy(phone, call.agent_channel, mode, agent_id)
        log.info("Supervisor %s %s agent %s from phone %s", principal.username, mode.value, agent_id, phone)

"""The agent's transfer actions (the console): start a blind or attended transfer of the caller they are
talking to, and complete or cancel an attended one. Each starts or ends an attempt; Asterisk does the
rest through AMI."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from callcenter.clock import Clock
from callcenter.domain.experts import Expert
from callcenter.domain.transfers import (
    NO_ATTENDED_TRANSFER,
    LegOutcome,
    TransferError,
    TransferEvent,
    TransferMode,
    TransferRequest,
    decide,
)
from callcenter.errors import CallCenterError
from callcenter.logsetup import call_scope
from callcenter.services.agents import AgentCall, AgentService, CallPhase
from callcenter.services.transfers.choice import ExpertChoice
from callcenter.services.transfers.ledger import TransferLedger
from callcenter.store.transfers import CallTransfer
from callcenter.telephony.ami import actions
from callcenter.telephony.ami.client import AmiClient

log = logging.getLogger(__name__)

TRANSFER_CONTEXT: Final = "cc-transfer"
CONSULT_CONTEXT: Final = "cc-consult"


class ExpertUnavailableError(CallCenterError):
    code = "expert-unavailable"
    http_status = 409


@dataclass(frozen=True)
class TransferStarted:
    linkedid: str
    mode: TransferMode
    expert_id: str | None
    attempt: int


def talking_to(agents: AgentService, linkedid: str, agent_id: str) -> AgentCall:
    """The agent's call, if the agent is talking to this caller now (else a refusal)."""
    call = agents.state(agent_id).call
    if (
        call is None
        or call.linkedid != linkedid
        or not call.agent_channel
        or call.phase is not CallPhase.CONNECTED
    ):
        raise TransferError(
            "This agent is not talking to that caller", details={"linkedid": linkedid, "agent_id": agent_id}
        )
    return call


class ConsoleTransfers:
    def __init__(
        self,
        ledger: TransferLedger,
        choice: ExpertChoice,
        agents: AgentService,
        ami: AmiClient,
        clock: Clock,
    ) -> None:
        self._ledger = ledger
        self._choice = choice
        self._agents = agents
        self._ami = ami
        self._clock = clock

    async def start(
        self, linkedid: str, agent_id: str, mode: TransferMode, expert_id: str | None = None
    ) -> TransferStarted:
        with call_scope(linkedid):
            call = await self._ledger.require(linkedid)
            if not call.category:
                raise TransferError(
                    "Classify the call before transferring it: the category decides who can answer",
                    details={"linkedid": linkedid},
                )
            talking = talking_to(self._agents, linkedid, agent_id)
            available = await self._choice.available(call.category, call.prefecture)
            chosen = await self._chosen(expert_id, available, call)
            request = TransferRequest(mode, agent_id, expert_id, self._clock.now())
            started = await self._ledger.change(linkedid, TransferEvent.START, request=request)
            try:
                if mode is TransferMode.BLIND:
                    await actions.blind_transfer(self._ami, talking.agent_channel, TRANSFER_CONTEXT, "s")
                else:
                    chosen = chosen or available[0]
                    await self._ledger.open_leg(started, mode, chosen.id, chosen.phones[0], self._clock.now())
                    await actions.attended_transfer(
                        self._ami, talking.agent_channel, CONSULT_CONTEXT, chosen.phones[0]
                    )
            except Exception:
                await self._ledger.change_if_allowed(linkedid, TransferEvent.FAIL, attempt=started.attempt)
                raise
            log.info(
                "%s transfer by agent %s to %s (attempt %s)",
                mode.value,
                agent_id,
                chosen.id if chosen else "next available",
                started.attempt,
            )
        return TransferStarted(linkedid, mode, chosen.id if chosen else None, started.attempt)

    async def _chosen(
        self, expert_id: str | None, available: list[Expert], call: CallTransfer
    ) -> Expert | None:
        """The expert the agent asked for, if they can take the call now; None for the next available."""
        if expert_id is None:
            if not available:
                raise ExpertUnavailableError(
                    "No expert on duty can take this category now",
                    details={"category": call.category, "prefecture": call.prefecture},
                )
            return None
        chosen = next((expert for expert in available if expert.id == expert_id), None)
        if chosen is None:
            known = await self._choice.expert(expert_id)
            raise ExpertUnavailableError(
                "That expert cannot take this call now" if known is not None else "No such expert",
                details={"expert_id": expert_id, "available": [expert.id for expert in available]},
            )
        return chosen

    async def complete(self, linkedid: str, agent_id: str) -> None:
        """An attended transfer: the caller joins the expert and the agent leaves."""
        with call_scope(linkedid):
            call, talking = await self._attended(linkedid, agent_id, TransferEvent.COMPLETE)
            legs = await self._ledger.legs(linkedid)
            expert = next(
                (
                    leg
                    for leg in reversed(legs)
                    if leg.attempt == call.attempt and leg.answered_at and not leg.ended_at
                ),
                None,
            )
            if expert is None:
                raise TransferError("The expert has not answered yet", details={"linkedid": linkedid})
            await self._ledger.change(
                linkedid, TransferEvent.COMPLETE, attempt=call.attempt, expert_id=expert.expert_id
            )
            # The agent's hanging up completes Asterisk's attended transfer.
            await actions.hangup(self._ami, talking.agent_channel)
            log.info("Attended transfer completed: expert %s has the caller", expert.expert_id)

    async def cancel(self, linkedid: str, agent_id: str) -> None:
        """An attended transfer called off: the expert's leg ends and the agent is back with the caller."""
        with call_scope(linkedid):
            call, talking = await self._attended(linkedid, agent_id, TransferEvent.CANCEL)
            await actions.cancel_attended_transfer(self._ami, talking.agent_channel)
            cancelled = LegOutcome.CANCELLED
            await self._ledger.end_open_legs(linkedid, self._clock.now(), cancelled, cancelled)
            await self._ledger.change_if_allowed(linkedid, TransferEvent.CANCEL, attempt=call.attempt)
            log.info("Attended transfer cancelled by agent %s", agent_id)

    async def _attended(
        self, linkedid: str, agent_id: str, event: TransferEvent
    ) -> tuple[CallTransfer, AgentCall]:
        """The call, if an attended transfer of it is under way (``event`` allowed), and the agent's
        conversation with the caller."""
        call = await self._ledger.require(linkedid)
        if call.mode is not TransferMode.ATTENDED:
            raise TransferError(NO_ATTENDED_TRANSFER, details={"linkedid": linkedid})
        decide(call.state, event)  # refused now, before Asterisk is asked anything
        return call, talking_to(self._agents, linkedid, agent_id)

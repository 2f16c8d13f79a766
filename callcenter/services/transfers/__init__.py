"""Transfer of a caller to a back-end expert's phone, as one feature, by job:

* ``ledger``: the call's transfer in the store for every part: the call or a 404, each status change
  through the transitions table (``callcenter.domain.transfers``), every change pushed;
* ``classification``: what the triage agent ticks, and the call's work order;
* ``choice``: who can take the call now (on duty, free, fairest first);
* ``console``: the agent's actions: start a transfer, complete or cancel an attended one;
* ``hunt``: Asterisk's side (FastAGI): the next number to dial, the expert's key and hangup, the
  caller's hangup;
* ``recordings``: the expert legs' recordings;
* ``ratings``: the caller's rating, spooled ones included;
* ``views``: what became of a call's transfers (the API's answer, and every push's);
* ``pushes``: each change of an attempt, pushed to the socket of the agent who started it.

``Transfers`` puts them together once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from callcenter.clock import Clock
from callcenter.hotline import HotlineConfig
from callcenter.services.agents import AgentService
from callcenter.services.transfers.choice import ExpertChoice, ExpertSource
from callcenter.services.transfers.classification import Classifications
from callcenter.services.transfers.console import ConsoleTransfers
from callcenter.services.transfers.hunt import CallbackFiler, Hunt
from callcenter.services.transfers.ledger import TransferLedger
from callcenter.services.transfers.pushes import PushBus, TransferPushes
from callcenter.services.transfers.ratings import Ratings
from callcenter.services.transfers.recordings import RecordingPaths, Recordings
from callcenter.services.transfers.views import CallReader, TransferView, TransferViews
from callcenter.services.work_orders import WorkOrderService
from callcenter.store.transfers import TransferRepository
from callcenter.telephony.ami.client import AmiClient


class Transfers:
    """The feature's parts, each with what it needs; they share the store and one ledger."""

    def __init__(
        self,
        *,
        hotline: HotlineConfig,
        repository: TransferRepository,
        calls: CallReader,
        agents: AgentService,
        experts: ExpertSource,
        ami: AmiClient,
        work_orders: WorkOrderService,
        callbacks: CallbackFiler,
        clock: Clock,
        recordings: RecordingPaths,
        bus: PushBus,
        render: Callable[[TransferView], Mapping[str, Any]],
    ) -> None:
        """``render``: the API's JSON body of a transfer view, which every push carries."""
        self.views = TransferViews(repository, calls)
        self.pushes = TransferPushes(self.views.view, render, bus)
        ledger = TransferLedger(repository, self.pushes)
        self.choice = ExpertChoice(hotline, repository, experts, clock)
        self.classification = Classifications(hotline, repository, calls, work_orders, clock)
        self.recordings = Recordings(hotline, repository, ledger, recordings, clock)
        self.ratings = Ratings(hotline, repository, ledger, work_orders, clock)
        self.hunt = Hunt(hotline, ledger, self.choice, self.recordings, self.ratings, callbacks, clock)
        self.console = ConsoleTransfers(ledger, self.choice, agents, ami, clock)

    async def start(self) -> None:
        await self.pushes.start()

    async def stop(self) -> None:
        await self.drain()
        await self.pushes.stop()

    async def drain(self) -> None:
        """Wait for the work under way: recordings being finished, then the pushes they ask for."""
        await self.recordings.drain()
        await self.pushes.drain()

"""The agent's state as the console shows it: which phone, ringing, on a call, wrap-up, paused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from callcenter.domain.calls import CallFacts
from callcenter.hotline import load_hotline
from callcenter.services.agents import AgentInterface, AgentService, AgentSnapshot, AgentStatus, CallPhase
from callcenter.services.calls import CallService
from callcenter.services.spool import SpoolWriter
from callcenter.settings import PROJECT_DIR
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from callcenter.telephony.ami.events import (
    AgentCompleted,
    AgentConnected,
    AgentOffered,
    AgentOfferEnded,
    ChannelHungUp,
    QueueCallerAbandoned,
    QueueMemberChanged,
)
from tests.fakes import RecordingAmi, RecordingPublisher

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


class Now:
    def __init__(self) -> None:
        self.value = T0

    def __call__(self) -> datetime:
        return self.value


def member(queue: str, interface: str, paused: bool = False, removed: bool = False) -> QueueMemberChanged:
    return QueueMemberChanged(
        queue, "1001", interface, paused, "午休" if paused else "", 1, False, removed, None
    )


def offered(linkedid: str = "7.1") -> AgentOffered:
    return AgentOffered(
        "cc-urumqi", "1001", "PJSIP/agent-1001-web", linkedid, "13999112345", T0, "PJSIP/demo-1", "PJSIP/a-1"
    )


def connected(linkedid: str = "7.1") -> AgentConnected:
    return AgentConnected(
        queue="cc-urumqi",
        member_name="1001",
        interface="PJSIP/agent-1001-web",
        linkedid=linkedid,
        uniqueid=linkedid,
        caller_number="13999112345",
        hold_seconds=12,
        ring_seconds=2,
        timestamp=T0 + timedelta(seconds=2),
        caller_channel="PJSIP/demo-1",
        agent_channel="PJSIP/a-1",
    )


async def service(
    database: Database, tmp_path: Path, wrapup_seconds: int = 10
) -> tuple[AgentService, RecordingAmi, Now]:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    hotline = hotline.model_copy(
        update={"queues": hotline.queues.model_copy(update={"wrapup_seconds": wrapup_seconds})}
    )
    calls = CallService(CallRepository(database), RecordingPublisher(), SpoolWriter(tmp_path / "spool"))
    await calls.record(
        CallFacts(
            linkedid="7.1",
            caller_number="13999112345",
            prefecture="urumqi",
            language="zh",
            queue_joined_at=T0 - timedelta(seconds=10),
        )
    )
    asterisk, now = RecordingAmi(), Now()
    return AgentService(hotline, asterisk, calls, now=now), asterisk, now  # type: ignore[arg-type]


async def test_the_browser_softphone_joins_the_queues_and_replaces_the_desk_phone(
    database: Database, tmp_path: Path
) -> None:
    agents, asterisk, _ = await service(database, tmp_path)
    await agents.login("1001", AgentInterface.SIP)
    snapshot = await agents.login("1001", AgentInterface.WEBRTC)
    removed = [a["Interface"] for a in asterisk.actions if a["Action"] == "QueueRemove"]
    added = [a["Interface"] for a in asterisk.actions if a["Action"] == "QueueAdd"]
    assert set(removed) == {"PJSIP/agent-1001"}, "the desk phone stops ringing"
    assert added[-1] == "PJSIP/agent-1001-web"
    assert (snapshot.status, snapshot.interface) == (AgentStatus.READY, AgentInterface.WEBRTC)
    await agents.pause("1001", True, "午休")
    assert asterisk.actions[-1] == {
        "Action": "QueuePause",
        "Interface": "PJSIP/agent-1001-web",
        "Paused": "true",
        "Reason": "午休",
    }


async def test_ringing_connected_wrap_up_then_ready_each_pushed(database: Database, tmp_path: Path) -> None:
    agents, _, now = await service(database, tmp_path, wrapup_seconds=1)
    await agents.on_ami_event(member("cc-urumqi", "PJSIP/agent-1001-web"))
    pushed: list[AgentSnapshot] = []
    async with agents.listen("1001") as updates:
        pushed.append(await updates.get())
        await agents.on_ami_event(offered())
        pushed.append(await updates.get())
        await agents.on_ami_event(connected())
        pushed.append(await updates.get())
        now.value = T0 + timedelta(seconds=60)
        await agents.on_ami_event(AgentCompleted("cc-urumqi", "1001", "", "7.1", 12, 58, "caller", None))
        pushed.append(await updates.get())
        now.value += timedelta(seconds=2)
        # The console is told when wrap-up is over, without asking.
        pushed.append(await asyncio.wait_for(updates.get(), 5))
    statuses = [snapshot.status for snapshot in pushed]
    assert statuses == [
        AgentStatus.READY,
        AgentStatus.RINGING,
        AgentStatus.ON_CALL,
        AgentStatus.WRAP_UP,
        AgentStatus.READY,
    ]
    ringing, talking = pushed[1].call, pushed[2].call
    assert ringing is not None and talking is not None
    assert (ringing.phase, ringing.caller_number, ringing.prefecture, ringing.language) == (
        CallPhase.RINGING,
        "13999112345",
        "urumqi",
        "zh",
    )
    assert ringing.waited_seconds == 10 and ringing.offered_at == T0
    assert (talking.phase, talking.offered_at, talking.connected_at) == (
        CallPhase.CONNECTED,
        T0,
        connected().timestamp,
    )
    assert pushed[3].wrapup_until == T0 + timedelta(seconds=61)
    agents.close()


async def test_an_offer_that_ends_unanswered_leaves_no_wrap_up(database: Database, tmp_path: Path) -> None:
    agents, _, _ = await service(database, tmp_path)
    await agents.on_ami_event(member("cc-urumqi", "PJSIP/agent-1001-web"))
    for ending in (
        AgentOfferEnded("cc-urumqi", "1001", "7.1", 15, None),
        QueueCallerAbandoned("cc-urumqi", "7.1", "7.1", 20, None),
        ChannelHungUp("PJSIP/a-1", "7.1", "7.1", 19, "", None),
    ):
        await agents.on_ami_event(offered())
        assert agents.snapshot("1001").status is AgentStatus.RINGING
        await agents.on_ami_event(ending)
        snapshot = agents.snapshot("1001")
        assert (snapshot.status, snapshot.call, snapshot.wrapup_until) == (AgentStatus.READY, None, None), (
            ending
        )
    # Someone else's channel of the same call going away changes nothing.
    await agents.on_ami_event(offered())
    await agents.on_ami_event(ChannelHungUp("PJSIP/pstn-9", "7.1", "7.1", 16, "", None))
    assert agents.snapshot("1001").status is AgentStatus.RINGING


async def test_paused_and_logged_out_as_asterisk_reports(database: Database, tmp_path: Path) -> None:
    agents, _, _ = await service(database, tmp_path)
    assert agents.snapshot("1001").status is AgentStatus.LOGGED_OUT
    await agents.on_ami_event(member("cc-urumqi", "PJSIP/agent-1001", paused=True))
    snapshot = agents.snapshot("1001")
    assert (snapshot.status, snapshot.paused_reason, snapshot.interface) == (
        AgentStatus.PAUSED,
        "午休",
        AgentInterface.SIP,
    )
    await agents.on_ami_event(member("cc-urumqi", "PJSIP/agent-1001", removed=True))
    assert agents.snapshot("1001").status is AgentStatus.LOGGED_OUT

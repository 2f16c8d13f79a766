"""Listening, whispering and barging: which phone rings, what ChanSpy is told, and the audit first."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from callcenter.domain.access import Principal, Role
from callcenter.hotline import load_hotline
from callcenter.services.agents import AgentService
from callcenter.services.calls import CallService
from callcenter.services.spool import SpoolWriter
from callcenter.services.supervision import SpyMode, SupervisionError, SupervisionService
from callcenter.settings import PROJECT_DIR
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from callcenter.telephony.ami.events import AgentConnected
from tests.fakes import RecordingAmi, RecordingAudit, RecordingPublisher

BOSS = Principal(7, "boss", Role.SUPERVISOR)


@pytest.mark.parametrize(("mode", "options"), [("listen", "qE"), ("whisper", "qwE"), ("barge", "qBE")])
async def test_the_supervisors_phone_rings_into_chanspy_on_the_agents_channel(
    database: Database, tmp_path: Path, mode: str, options: str
) -> None:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    calls = CallService(CallRepository(database), RecordingPublisher(), SpoolWriter(tmp_path / "spool"))
    asterisk, audit = RecordingAmi(), RecordingAudit()
    agents = AgentService(hotline, asterisk, calls)  # type: ignore[arg-type]
    supervision = SupervisionService(hotline, agents, asterisk, audit)  # type: ignore[arg-type]

    with pytest.raises(SupervisionError, match="not on a call"):
        await supervision.spy(BOSS, "1001", SpyMode(mode), "9001")
    await agents.on_ami_event(
        AgentConnected(
            "cc-urumqi",
            "1001",
            "PJSIP/agent-1001",
            "8.1",
            "8.1",
            "139",
            2,
            1,
            datetime(2026, 11, 24, 2, tzinfo=UTC),
            "PJSIP/demo-caller-1",
            "PJSIP/agent-1001-00000007",
        )
    )
    with pytest.raises(SupervisionError, match="supervisor's phone"):
        await supervision.spy(BOSS, "1001", SpyMode(mode), "1002")
    assert asterisk.actions == [] and audit.entries == []

    await supervision.spy(BOSS, "1001", SpyMode(mode), "9001")
    [originate] = asterisk.actions
    assert (originate["Action"], originate["Channel"], originate["Application"]) == (
        "Originate",
        "PJSIP/supervisor-9001",
        "ChanSpy",
    )
    assert originate["Data"] == f"PJSIP/agent-1001-00000007,{options}"
    assert audit.entries == [("boss", mode, "agent-call", "8.1")]


async def test_a_whisper_to_the_expert_goes_to_the_calls_answered_trunk_channel(
    database: Database, tmp_path: Path
) -> None:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    calls = CallService(CallRepository(database), RecordingPublisher(), SpoolWriter(tmp_path / "spool"))
    audit = RecordingAudit()

    asterisk = RecordingAmi()
    asterisk.events["CoreShowChannels"] = [
        {
            "Event": "CoreShowChannel",
            "Channel": "PJSIP/demo-caller-1",
            "Linkedid": "8.1",
            "ChannelState": "6",
        },
        {"Event": "CoreShowChannel", "Channel": "PJSIP/pstn-3", "Linkedid": "8.1", "ChannelState": "5"},
        {"Event": "CoreShowChannel", "Channel": "PJSIP/pstn-4", "Linkedid": "8.1", "ChannelState": "6"},
        {"Event": "CoreShowChannel", "Channel": "PJSIP/pstn-5", "Linkedid": "9.9", "ChannelState": "6"},
    ]
    agents = AgentService(hotline, asterisk, calls)  # type: ignore[arg-type]
    supervision = SupervisionService(hotline, agents, asterisk, audit)  # type: ignore[arg-type]
    await supervision.spy_on_expert(BOSS, "8.1", SpyMode.WHISPER, "9001")
    originate = asterisk.actions[-1]
    assert (originate["Channel"], originate["Data"]) == ("PJSIP/supervisor-9001", "PJSIP/pstn-4,qwE")
    assert audit.entries == [("boss", "whisper", "expert-call", "8.1")]
    with pytest.raises(SupervisionError, match="No expert"):
        await supervision.spy_on_expert(BOSS, "7.7", SpyMode.LISTEN, "9001")

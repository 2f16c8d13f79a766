"""The transfer, expert and rating routes against the real store (SQLite and PostgreSQL): the hunt, call
confirm, recordings, ratings, the fallbacks and the spool. Asterisk's side is a FakeChannel."""

from __future__ import annotations

import hashlib
import json
import math
import time as wall_clock
import wave
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from agi import variables
from agi.after_agent import make_after_agent_route
from agi.consult import make_consult_route
from agi.expert import make_expert_end_route, make_expert_route
from agi.rating import make_rating_route
from agi.transfer import make_transfer_route
from callcenter.clock import Clock
from callcenter.domain.calls import CallFacts
from callcenter.domain.experts import DutyRoster, Expert, ExpertKind, RosterEntry
from callcenter.domain.transfers import (
    CallType,
    Classification,
    TransferError,
    TransferMode,
    TransferState,
    TransferStatus,
)
from callcenter.errors import CallCenterError
from callcenter.hotline import HotlineConfig, load_hotline
from callcenter.services.agents import AgentCall, AgentService
from callcenter.services.calls import CallService
from callcenter.services.spool import SpoolIngester, SpoolWriter
from callcenter.services.transfers import Transfers
from callcenter.services.transfers.pushes import PUSH_CHANNEL
from callcenter.services.transfers.recordings import RecordingPaths
from callcenter.services.work_orders import WorkOrderService
from callcenter.settings import PROJECT_DIR
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from callcenter.store.transfers import TransferRepository
from callcenter.store.work_orders import WorkOrderRepository
from callcenter.telephony.ami.client import AmiClient
from callcenter.telephony.ami.events import ChannelHungUp
from callcenter.web.transfers import transfer_json
from tests.agi.conftest import FakeChannel
from tests.fakes import EveryoneSeesAll, RecordingAmi, RecordingPublisher

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
CALLER = "13999112345"
LI = Expert(
    "li", "李律师", ExpertKind.LAWYER, "天山律所", ("13900000001",), frozenset({"labour"}), frozenset()
)
WANG = Expert(
    "wang", "王律师", ExpertKind.LAWYER, "昆仑律所", ("13900000002",), frozenset({"labour"}), frozenset()
)
ZHAO = Expert(
    "zhao",
    "赵公证员",
    ExpertKind.NOTARY,
    "公证处",
    ("13900000003", "09911230003"),
    frozenset({"labour"}),
    frozenset(),
)


@dataclass(frozen=True)
class Snapshot:
    experts: tuple[Expert, ...]
    roster: DutyRoster


class Experts:
    def __init__(self, hotline: HotlineConfig, *experts: Expert) -> None:
        entries = [RosterEntry(e.id, time(0, 0), time(0, 0), working_days=True) for e in experts]
        self.value = Snapshot(experts, DutyRoster(entries, hotline.working_calendar))

    async def snapshot(self) -> Snapshot:
        return self.value


class Callbacks:
    def __init__(self) -> None:
        self.requested: list[str] = []

    async def request_callback_after_transfer(self, linkedid: str, caller_number: str | None) -> Any:
        self.requested.append(linkedid)


@dataclass
class Rig:
    transfers: Transfers
    store: TransferRepository
    bus: RecordingPublisher
    ami: Any
    calls: CallService
    agents: AgentService
    orders: WorkOrderRepository
    callbacks: Callbacks
    recordings: RecordingPaths
    spool_dir: Path
    clock: Clock


RigFactory = Callable[..., Rig]


@pytest.fixture
async def make_rig(database: Database, tmp_path: Path) -> AsyncIterator[RigFactory]:
    built: list[Rig] = []

    def build(*experts: Expert, fallback: str = "queue", now: datetime = OPEN, dead_ami: bool = False) -> Rig:
        hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
        hotline = hotline.model_copy(
            update={"transfer": hotline.transfer.model_copy(update={"fallback": fallback})}
        )
        calls = CallService(CallRepository(database), RecordingPublisher(), SpoolWriter(tmp_path / "spool"))
        # Asterisk takes every action, or (never started) is unreachable.
        ami: Any = AmiClient("127.0.0.1", 1, "nobody", "nothing") if dead_ami else RecordingAmi()
        agents = AgentService(hotline, ami, calls)
        orders = WorkOrderRepository(database)
        order_service = WorkOrderService(
            hotline, orders, EveryoneSeesAll(), RecordingPublisher(), Clock(now), tmp_path / "attachments"
        )
        callbacks = Callbacks()
        recordings = RecordingPaths(tmp_path / "recordings", Path("/srv/cc12348-recordings/test"))
        clock = Clock(now)
        store = TransferRepository(database)
        bus = RecordingPublisher()
        transfers = Transfers(
            hotline=hotline,
            repository=store,
            calls=calls,
            agents=agents,
            experts=Experts(hotline, *(experts or (LI, WANG, ZHAO))),
            ami=ami,
            work_orders=order_service,
            callbacks=callbacks,
            clock=clock,
            recordings=recordings,
            bus=bus,
            render=transfer_json,
        )
        rig = Rig(
            transfers,
            store,
            bus,
            ami,
            calls,
            agents,
            orders,
            callbacks,
            recordings,
            tmp_path / "spool",
            clock,
        )
        built.append(rig)
        return rig

    yield build
    for rig in built:
        await rig.transfers.drain()
        await rig.calls.drain()


def talking(rig: Rig, linkedid: str, agent: str = "1001") -> None:
    """The agent is talking to the caller (as Asterisk's queue events tell the agent service)."""
    rig.agents.state(agent).call = AgentCall(
        linkedid, CALLER, "urumqi", None, "zh", "cc-urumqi", 1.0, OPEN, "PJSIP/c-1", f"PJSIP/agent-{agent}-1"
    )


async def prepared(rig: Rig, linkedid: str, requested: str | None = None, agent: str = "1001") -> None:
    """A call with agent 1001, classified, whose blind transfer the console has just started."""
    await rig.calls.record(
        CallFacts(
            linkedid=linkedid,
            caller_number=CALLER,
            prefecture="urumqi",
            queue="cc-urumqi",
            agent_id=agent,
        )
    )
    await rig.transfers.classification.classify(
        linkedid, Classification(CallType.CONSULTATION, "labour", caller_name="张三"), agent
    )
    talking(rig, linkedid, agent)
    started = await rig.transfers.console.start(linkedid, agent, TransferMode.BLIND, requested)
    assert started is not None


async def step(
    rig: Rig, linkedid: str, leg: int = 0, status: str = "", accepted: str = "", dialled_at: str = ""
) -> dict[str, str]:
    channel = FakeChannel(
        {
            "agi_arg_1": linkedid,
            "agi_arg_2": str(leg),
            "agi_arg_3": status,
            "agi_arg_4": accepted,
            "agi_arg_5": dialled_at,
        }
    )
    await make_transfer_route(rig.transfers.hunt, rig.clock)(channel)
    return channel.variables


async def expert_key(rig: Rig, linkedid: str, leg: int, key: str, attempt: int = 1) -> dict[str, str]:
    channel = FakeChannel(
        {"agi_arg_1": linkedid, "agi_arg_2": str(leg), "agi_arg_3": key, "agi_arg_4": str(attempt)}
    )
    await make_expert_route(rig.transfers.hunt)(channel)
    return channel.variables


async def rating_key(rig: Rig, linkedid: str, key: str, attempt: int) -> str:
    channel = FakeChannel({"agi_arg_1": linkedid, "agi_arg_2": key, "agi_arg_3": str(attempt)})
    await make_rating_route(rig.transfers.ratings)(channel)
    return channel.variables[variables.RATING_STATUS]


def pushes_to(rig: Rig, agent: str = "1001") -> list[dict[str, Any]]:
    """What the agent's sockets were sent (through Redis: the rig's bus keeps it)."""
    return [
        payload["message"]
        for channel, payload in rig.bus.published
        if channel == PUSH_CHANNEL and payload["agent_id"] == agent
    ]


def write_wav(path: Path, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(8000)
        samples = bytearray()
        for n in range(int(seconds * 8000)):
            samples += int(3000 * math.sin(2 * math.pi * 440 * n / 8000)).to_bytes(2, "little", signed=True)
        target.writeframes(bytes(samples))


async def test_the_hunt_call_confirm_recording_and_a_dissatisfied_rating(make_rig: RigFactory) -> None:
    rig = make_rig()
    await prepared(rig, "7.1", requested="wang")

    first = await step(rig, "7.1")
    assert first[variables.TRANSFER_STATUS] == "ok"
    assert (
        first[variables.TRANSFER_STEP],
        first[variables.TRANSFER_LEG],
        first[variables.EXPERT_NUMBER],
    ) == (
        "dial",
        "1",
        "13900000002",
    )
    assert first[variables.TRANSFER_ANNOUNCE] == ""
    whisper = first[variables.EXPERT_WHISPER].split("&")
    assert whisper[0] == "cc-expert-intro" and whisper[-1] == "cc-expert-press-1"
    assert "".join(p.removeprefix("digits/") for p in whisper if p.startswith("digits/")) == CALLER
    assert "cc-category-labour" in whisper

    # Asterisk began ringing six seconds ago (its clock is the real one, the app's is set to OPEN).
    second = await step(rig, "7.1", 1, "NOANSWER", dialled_at=f"{wall_clock.time() - 6:.3f}")
    assert (second[variables.TRANSFER_STEP], second[variables.TRANSFER_LEG]) == ("dial", "2")
    assert second[variables.TRANSFER_ANNOUNCE] == "cc-transfer-next"
    assert second[variables.EXPERT_NUMBER] in ("13900000001", "13900000003")

    assert (await expert_key(rig, "7.1", 2, "", 1))[variables.EXPERT_STATUS] == "retry"
    accepted = await expert_key(rig, "7.1", 2, "1", 2)
    assert accepted[variables.EXPERT_STATUS] == "accepted"
    in_root = accepted[variables.RECORDING_FILE]
    assert in_root.startswith("/srv/cc12348-recordings/test/calls/2026/11/24/") and in_root.endswith(
        "7.1-leg2.wav"
    )
    host_file = rig.recordings.host_dir / in_root.removeprefix("/srv/cc12348-recordings/test/")
    assert host_file.parent.is_dir(), "the app makes the directory MixMonitor writes into"
    write_wav(host_file, 2.0)

    await make_expert_end_route(rig.transfers.hunt)(FakeChannel({"agi_arg_1": "7.1", "agi_arg_2": "2"}))
    rate_step = await step(rig, "7.1", 2, "ANSWER", "2")
    assert rate_step[variables.TRANSFER_STEP] == "rate"

    assert await rating_key(rig, "7.1", "9", 1) == "retry"
    assert await rating_key(rig, "7.1", "3", 2) == "stored"
    await rig.transfers.drain()

    store = rig.store
    legs = await store.legs("7.1")
    assert (legs[0].expert_id, legs[0].outcome) == ("wang", "no-answer")
    assert legs[0].ended_at is not None
    assert (legs[0].ended_at - legs[0].ring_at).total_seconds() == pytest.approx(6, abs=0.5)
    assert legs[1].outcome == "accepted" and legs[1].answered_at is not None and legs[1].ended_at is not None
    [recording] = await store.recordings("7.1")
    assert (recording.status, recording.leg, recording.size_bytes) == (
        "complete",
        2,
        host_file.stat().st_size,
    )
    assert recording.sha256 == hashlib.sha256(host_file.read_bytes()).hexdigest()
    assert recording.duration_seconds == pytest.approx(2.0, abs=0.01)
    rating = await store.rating("7.1")
    order = await rig.orders.find_for_call("7.1", "hotline")
    assert rating is not None and order is not None
    assert (rating.status, rating.code, rating.dissatisfied) == ("rated", "dissatisfied", True)
    assert (rating.expert_id, rating.agent_id, rating.work_order_id) == (legs[1].expert_id, "1001", order.id)
    call = await rig.calls.get_call("7.1")
    assert (call.transfer_status, call.expert_id, call.needs_callback) == (
        "accepted",
        legs[1].expert_id,
        True,
    )
    # The caller's channel ends afterwards: the rating stays as it is.
    await rig.transfers.hunt.on_ami_event(ChannelHungUp("PJSIP/c-1", "7.1", "7.1", 16, "Normal", None))
    after = await store.rating("7.1")
    assert after is not None and (after.id, after.status, after.code) == (rating.id, "rated", "dissatisfied")


async def test_busy_mobile_then_the_experts_landline(make_rig: RigFactory) -> None:
    rig = make_rig(ZHAO, LI)
    await prepared(rig, "7.2", requested="zhao")
    assert (await step(rig, "7.2"))[variables.EXPERT_NUMBER] == "13900000003"
    assert (await step(rig, "7.2", 1, "BUSY"))[variables.EXPERT_NUMBER] == "09911230003"


async def test_everyone_fails_back_to_the_queue_with_priority(make_rig: RigFactory) -> None:
    rig = make_rig(LI, WANG)
    await prepared(rig, "7.3")
    await step(rig, "7.3")
    await step(rig, "7.3", 1, "ANSWER")  # answered, nobody pressed 1
    last = await step(rig, "7.3", 2, "NOANSWER")
    assert (last[variables.TRANSFER_STEP], last[variables.TRANSFER_ANNOUNCE]) == (
        "queue",
        "cc-transfer-failed-queue",
    )
    assert (last[variables.QUEUE], last[variables.QUEUE_PRIORITY]) == ("cc-urumqi", "10")
    legs = await rig.store.legs("7.3")
    assert [leg.outcome for leg in legs] == ["not-confirmed", "no-answer"]
    assert (await rig.calls.get_call("7.3")).transfer_status == "queue"
    # Back from the queue after the agent hung up: nothing to rate.
    channel = FakeChannel({"agi_arg_1": "7.3"})
    await make_after_agent_route(rig.transfers.hunt)(channel)
    assert channel.variables[variables.TRANSFER_STEP] == "hangup"


async def test_everyone_fails_and_the_hotline_calls_back(make_rig: RigFactory) -> None:
    rig = make_rig(LI, fallback="callback")
    await prepared(rig, "7.4")
    await step(rig, "7.4")
    last = await step(rig, "7.4", 1, "CHANUNAVAIL")
    assert (last[variables.TRANSFER_STEP], last[variables.TRANSFER_ANNOUNCE]) == (
        "callback",
        "cc-transfer-failed-callback",
    )
    assert rig.callbacks.requested == ["7.4"]


async def test_a_second_transfer_of_the_same_call_gets_fresh_tries(make_rig: RigFactory) -> None:
    rig = make_rig(LI)
    await prepared(rig, "7.5")
    await step(rig, "7.5")
    assert (await step(rig, "7.5", 1, "NOANSWER"))[variables.TRANSFER_STEP] == "queue"
    # Back with an agent, who tries again a minute later.
    later = make_rig(LI, now=OPEN + timedelta(minutes=1))
    talking(later, "7.5")
    again = await later.transfers.console.start("7.5", "1001", TransferMode.BLIND)
    assert again is not None
    retry = await step(later, "7.5")
    assert (retry[variables.TRANSFER_STEP], retry[variables.TRANSFER_LEG]) == ("dial", "2")
    # The second attempt, told apart from the first by its number.
    assert again.attempt == 2
    await later.transfers.drain()
    assert pushes_to(later)[-1]["attempt"] == 2
    assert [(leg.leg, leg.attempt) for leg in await later.store.legs("7.5")] == [(1, 1), (2, 2)]
    call = await later.store.call("7.5")
    assert call is not None and call.state == TransferState(TransferStatus.IN_PROGRESS, 2)


async def test_only_one_transfer_at_a_time(make_rig: RigFactory) -> None:
    rig = make_rig()
    await prepared(rig, "7.6")
    talking(rig, "7.6", "1002")
    with pytest.raises(TransferError, match="already under way"):
        await rig.transfers.console.start("7.6", "1002", TransferMode.BLIND)
    # Two instances deciding at once: the store takes the first change only.
    read = TransferState(TransferStatus.QUEUE, 0)
    assert await rig.store.change_state("7.6", read, TransferState(TransferStatus.IN_PROGRESS, 1)) is None


async def test_the_caller_hangs_up_while_the_expert_rings(make_rig: RigFactory) -> None:
    rig = make_rig()
    await prepared(rig, "7.7")
    await step(rig, "7.7")
    await make_transfer_route(rig.transfers.hunt, rig.clock)(
        FakeChannel({"agi_arg_1": "7.7", "agi_arg_2": "hangup"})
    )
    [leg] = await rig.store.legs("7.7")
    assert (leg.outcome, leg.ended_at is not None) == ("caller-hung-up", True)
    assert (await rig.calls.get_call("7.7")).transfer_status == "caller-hung-up"
    assert await rig.store.rating("7.7") is None


async def test_the_caller_hangs_up_before_rating_leaves_no_rating(make_rig: RigFactory) -> None:
    rig = make_rig()
    await prepared(rig, "7.8")
    await step(rig, "7.8")
    await expert_key(rig, "7.8", 1, "1")
    await rig.transfers.hunt.on_ami_event(ChannelHungUp("PJSIP/c-1", "7.8", "7.8", 16, "Normal", None))
    assert (await rig.calls.get_call("7.8")).transfer_status == "accepted"
    rating = await rig.store.rating("7.8")
    assert rating is not None and (rating.status, rating.digit, rating.code) == ("none", None, None)
    [leg] = await rig.store.legs("7.8")
    assert leg.outcome == "accepted"


async def test_unknown_call_gives_the_dialplan_its_fallback(make_rig: RigFactory) -> None:
    rig = make_rig()
    assert (await step(rig, "nope"))[variables.TRANSFER_STATUS] == "error"
    channel = FakeChannel({"agi_arg_1": "nope", "agi_arg_2": "13900000001"})
    await make_consult_route(rig.transfers.hunt)(channel)
    assert channel.variables == {variables.TRANSFER_STATUS: "error"}


async def test_spooled_rating_is_applied_once_and_not_replaced(make_rig: RigFactory) -> None:
    rig = make_rig()
    await prepared(rig, "7.9")
    await step(rig, "7.9")
    await expert_key(rig, "7.9", 1, "1")
    ingester = SpoolIngester(
        rig.spool_dir, rig.calls.record, 60, sinks={"rating": rig.transfers.ratings.ingest_spooled_rating}
    )
    rig.spool_dir.mkdir(parents=True, exist_ok=True)
    # The classic script stamps the key with the system clock (Asterisk's), not the app's.
    pressed_at = str(wall_clock.time() + 30)
    spooled = {"event": "rating", "linkedid": "7.9", "digit": "1", "at": pressed_at}
    for name in ("rating-7.9-a.json", "rating-7.9-b.json"):
        # The same key twice (a crash between applying and removing the file), then a later one.
        (rig.spool_dir / name).write_text(json.dumps(spooled))
    (rig.spool_dir / "rating-7.9-c.json").write_text(json.dumps({**spooled, "digit": "3"}))
    (rig.spool_dir / "rating-7.9-d.json").write_text(json.dumps({**spooled, "digit": "", "hangup": True}))
    assert await ingester.ingest_once() == 4
    rating = await rig.store.rating("7.9")
    assert rating is not None and (rating.status, rating.code, rating.source) == (
        "rated",
        "satisfied",
        "spool",
    )
    assert rating.rated_at == rig.clock.from_epoch(pressed_at)
    assert abs(rating.rated_at - (rig.clock.now() + timedelta(seconds=30))) < timedelta(seconds=5)
    [leg] = await rig.store.legs("7.9")
    assert leg.ended_at is not None, "the leg nobody saw end (the app was down) is closed"
    assert not list(rig.spool_dir.glob("*.json"))


async def test_an_invalid_spooled_key_is_no_rating(make_rig: RigFactory) -> None:
    rig = make_rig()
    await prepared(rig, "7.10")
    await step(rig, "7.10")
    await expert_key(rig, "7.10", 1, "1")
    await rig.transfers.ratings.ingest_spooled_rating(
        {"event": "rating", "linkedid": "7.10", "digit": "7", "at": ""}
    )
    rating = await rig.store.rating("7.10")
    assert rating is not None and rating.status == "none"
    # A real rating reported afterwards still wins over "none".
    await rig.transfers.ratings.rate("7.10", "2", 1)
    rating = await rig.store.rating("7.10")
    assert rating is not None and (rating.status, rating.code) == ("rated", "basically-satisfied")


async def test_ringing_and_busy_experts_are_not_offered_and_stale_legs_stop_counting(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(LI, WANG)
    await prepared(rig, "8.1")
    await step(rig, "8.1")  # rings the fairest: li (never offered, first by id)
    assert [e.id for e in await rig.transfers.choice.available("labour", "urumqi")] == ["wang"]
    await expert_key(rig, "8.1", 1, "1")  # li talks now: one call at most
    assert [e.id for e in await rig.transfers.choice.available("labour", "urumqi")] == ["wang"]
    await make_expert_end_route(rig.transfers.hunt)(FakeChannel({"agi_arg_1": "8.1", "agi_arg_2": "1"}))
    # Free again, and now offered last: wang was never offered.
    assert [e.id for e in await rig.transfers.choice.available("labour", "urumqi")] == ["wang", "li"]
    later = make_rig(LI, WANG, now=OPEN + timedelta(hours=7))
    await prepared(later, "8.2")
    await step(later, "8.2")
    # A leg left open by a crash seven hours ago no longer blocks anyone.
    assert {e.id for e in await later.transfers.choice.available("labour", "urumqi")} == {"li"}


async def test_start_with_a_dead_ami_is_a_clear_error_and_leaves_no_transfer(make_rig: RigFactory) -> None:
    rig = make_rig(dead_ami=True)
    await rig.calls.record(
        CallFacts(linkedid="9.1", caller_number=CALLER, prefecture="urumqi", agent_id="1001")
    )
    with pytest.raises(TransferError, match="Classify"):
        await rig.transfers.console.start("9.1", "1001", TransferMode.BLIND)
    await rig.transfers.classification.classify("9.1", Classification(CallType.COMPLAINT, "labour"), "1001")
    with pytest.raises(TransferError, match="not talking"):
        await rig.transfers.console.start("9.1", "1001", TransferMode.BLIND)
    talking(rig, "9.1")
    with pytest.raises(CallCenterError) as raised:
        await rig.transfers.console.start("9.1", "1001", TransferMode.BLIND)
    assert raised.value.code == "ami-unreachable"
    assert (await rig.calls.get_call("9.1")).transfer_status == "failed"
    # A failed start does not block the next one: it is attempt 2 (and fails the same way).
    with pytest.raises(CallCenterError) as again:
        await rig.transfers.console.start("9.1", "1001", TransferMode.BLIND)
    assert again.value.code == "ami-unreachable"
    call = await rig.store.call("9.1")
    assert call is not None and call.state == TransferState(TransferStatus.FAILED, 2)


async def test_every_change_of_an_attempt_is_pushed_to_the_agent_who_started_it(make_rig: RigFactory) -> None:
    rig = make_rig(LI, WANG)
    await prepared(rig, "7.11")
    await rig.transfers.drain()
    started = pushes_to(rig)[-1]
    assert (started["type"], started["linkedid"], started["attempt"]) == ("transfer", "7.11", 1)
    assert (started["transfer"]["attempt"], started["transfer"]["status"]) == (1, "in-progress")
    assert started["transfer"]["legs"] == []

    await step(rig, "7.11")
    await rig.transfers.drain()
    [ringing] = pushes_to(rig)[-1]["transfer"]["legs"]
    assert (ringing["attempt"], ringing["expert_id"], ringing["answered_at"]) == (1, "li", None)

    accepted = await expert_key(rig, "7.11", 1, "1")
    await rig.transfers.drain()
    talking_now = pushes_to(rig)[-1]["transfer"]
    assert (talking_now["status"], talking_now["call"]["expert_id"]) == ("accepted", "li")
    assert talking_now["legs"][0]["answered_at"] is not None
    assert [r["status"] for r in talking_now["recordings"]] == ["recording"]

    write_wav(rig.recordings.host_dir / accepted[variables.RECORDING_FILE].split("/test/", 1)[1], 1.0)
    await make_expert_end_route(rig.transfers.hunt)(FakeChannel({"agi_arg_1": "7.11", "agi_arg_2": "1"}))
    await rig.transfers.drain()
    ended = pushes_to(rig)[-1]["transfer"]
    assert ended["legs"][0]["outcome"] == "accepted"
    assert [r["status"] for r in ended["recordings"]] == ["complete"], "the recording's end is pushed"

    assert await rating_key(rig, "7.11", "1", 1) == "stored"
    await rig.transfers.drain()
    last = pushes_to(rig)[-1]
    assert (last["attempt"], last["transfer"]["rating"]["code"]) == (1, "satisfied")
    # Exactly what GET /api/calls/{linkedid}/transfer answers, and only to the agent of the attempt.
    assert last["transfer"] == transfer_json(await rig.transfers.views.view("7.11"))
    assert pushes_to(rig, "1002") == []


async def test_a_late_report_of_an_earlier_attempt_leaves_the_latest_alone(make_rig: RigFactory) -> None:
    rig = make_rig(LI, WANG)
    await rig.calls.record(
        CallFacts(
            linkedid="7.12", caller_number=CALLER, prefecture="urumqi", queue="cc-urumqi", agent_id="1001"
        )
    )
    await rig.transfers.classification.classify(
        "7.12", Classification(CallType.CONSULTATION, "labour"), "1001"
    )
    talking(rig, "7.12")
    first = await rig.transfers.console.start("7.12", "1001", TransferMode.ATTENDED, "li")
    assert rig.ami.actions[-1]["Action"] == "Atxfer"
    await rig.transfers.console.cancel("7.12", "1001")
    second = await rig.transfers.console.start("7.12", "1001", TransferMode.ATTENDED, "wang")
    assert (first.attempt, second.attempt) == (1, 2)
    # The first consultation's Dial returns only now: the second attempt stays under way.
    await make_expert_end_route(rig.transfers.hunt)(
        FakeChannel({"agi_arg_1": "7.12", "agi_arg_2": "1", "agi_arg_3": "NOANSWER"})
    )
    call = await rig.store.call("7.12")
    assert call is not None and call.state == TransferState(TransferStatus.IN_PROGRESS, 2)
    consult = FakeChannel({"agi_arg_1": "7.12", "agi_arg_2": WANG.phones[0]})
    await make_consult_route(rig.transfers.hunt)(consult)
    assert consult.variables[variables.TRANSFER_LEG] == "2"
    assert (await expert_key(rig, "7.12", 2, "attended"))[variables.EXPERT_STATUS] == "accepted"
    await rig.transfers.console.complete("7.12", "1001")
    call = await rig.store.call("7.12")
    assert call is not None and (call.state, call.expert_id) == (
        TransferState(TransferStatus.ACCEPTED, 2),
        "wang",
    )
    assert [(leg.attempt, leg.outcome) for leg in await rig.store.legs("7.12")] == [
        (1, "cancelled"),
        (2, None),
    ]

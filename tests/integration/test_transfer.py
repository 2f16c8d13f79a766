"""Transfer to the back-end experts' phones and the caller's rating, with real phones on a real Asterisk:
the caller and the triage agents on pjsua2, the experts behind the trunk on the pjsua2 "public network"."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.integration.callers import OPEN, Caller, answered_by
from tests.integration.experts import (
    LI,
    WANG,
    ZHAO_LANDLINE,
    ZHAO_MOBILE,
    accepted_call,
    admin_token,
    expert_hangs_up,
    leg,
    on_duty,
    rate,
    transfer_pushed,
    transfer_state,
)
from tests.integration.phones import PhoneAccount, PhoneCall, Phones, PublicNetwork
from tests.integration.stack import AppProcess, get_json, poll, post_json, send, work_orders_of

# The moment of the hotline's calendar these calls happen at: an open Tuesday morning.
pytestmark = pytest.mark.moment(OPEN)

CALLER = "13999112377"


@pytest.fixture
def console(app: AppProcess) -> Iterator[ClientConnection]:
    """Agent 1001's console socket (as a supervisor may open it too)."""
    url = f"ws://{app.settings.http_host}:{app.settings.http_port}/ws/agents/1001"
    with connect(f"{url}?token={admin_token(app)}") as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "agent"
        yield socket


def with_agent(
    app: AppProcess, dial: Callable[..., Caller], phones: Phones, agents: dict[str, PhoneAccount], voice: Path
) -> tuple[Caller, str, PhoneCall]:
    """A Urumqi caller talking to agent 1001, classified as a labour dispute."""
    caller = dial(CALLER, speech=voice)
    caller.choose_language("1")
    agent_call = answered_by(app, phones, agents, "1001")
    linkedid = caller.record(lambda c: c["agent_id"] == "1001")["linkedid"]
    classified = post_json(
        app.settings,
        f"/api/calls/{linkedid}/classification",
        {"agent_id": "1001", "call_type": "consultation", "category": "labour", "caller_name": "张三"},
    )
    assert (classified["category"], classified["caller_name"]) == ("labour", "张三")
    return caller, linkedid, agent_call


def test_blind_transfer_accepted_recorded_and_rated(
    app: AppProcess,
    dial: Callable[..., Caller],
    agents: dict[str, PhoneAccount],
    phones: Phones,
    experts: PublicNetwork,
    caller_voice: Path,
    console: ClientConnection,
) -> None:
    on_duty(app, "lawyer-li", "lawyer-wang")
    experts.behaviour[LI] = "accept"
    caller, linkedid, agent_call = with_agent(app, dial, phones, agents, caller_voice)
    available = get_json(app.settings, "/api/available-experts?category=labour&prefecture=urumqi")
    assert {e["id"] for e in available} == {"lawyer-li", "lawyer-wang"}

    started = post_json(
        app.settings, f"/api/calls/{linkedid}/transfer", {"agent_id": "1001", "expert_id": "lawyer-li"}
    )
    assert started == {"linkedid": linkedid, "mode": "blind", "expert_id": "lawyer-li", "attempt": 1}
    phones.wait_for(lambda: agent_call.disconnected, 10)  # the agent is free at once
    expert = accepted_call(phones, experts, app, linkedid, LI)
    phones.idle(2.0)  # caller and expert talk
    assert not caller.call.disconnected
    expert_hangs_up(phones, app, linkedid, expert, 1)
    rating = rate(phones, app, caller, linkedid, "1")

    assert (rating["status"], rating["code"], rating["digit"]) == ("rated", "satisfied", "1")
    assert (rating["expert_id"], rating["agent_id"], rating["source"]) == ("lawyer-li", "1001", "app")
    assert rating["work_order_id"] is not None
    state = poll(
        lambda: (
            (s := transfer_state(app, linkedid))["recordings"]
            and s["recordings"][0]["status"] != "recording"
            and s
        ),
        15,
    )
    call = state["call"]
    assert (call["transfer_status"], call["expert_id"], call["needs_callback"]) == (
        "accepted",
        "lawyer-li",
        False,
    )
    [only] = state["legs"]
    assert (only["expert_id"], only["phone"], only["outcome"], only["agent_id"]) == (
        "lawyer-li",
        LI,
        "accepted",
        "1001",
    )
    assert only["ring_at"] < only["answered_at"] < only["ended_at"]
    [recording] = state["recordings"]
    assert recording["status"] == "complete"
    path = app.settings.recordings_dir / recording["path"]
    assert path.name == f"{linkedid}-leg1.wav"
    content = path.read_bytes()
    assert recording["size_bytes"] == len(content) > 8000
    assert recording["sha256"] == hashlib.sha256(content).hexdigest()
    assert recording["duration_seconds"] >= 1.5
    sox = subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True, text=True, check=True)
    assert float(sox.stdout) >= 1.5
    orders = work_orders_of(app.settings, CALLER)
    order = next(o for o in orders if o["linkedid"] == linkedid and o["channel"] == "hotline")
    assert (order["order_type"], order["category"], order["caller_name"]) == (
        "consultation",
        "labour",
        "张三",
    )
    # The agent's console was told every step, the last with the rating and the finished recording.
    pushed = transfer_pushed(
        console,
        linkedid,
        lambda s: s["rating"] and s["recordings"] and s["recordings"][0]["status"] == "complete",
    )
    assert (pushed["attempt"], pushed["transfer"]["attempt"], pushed["transfer"]["status"]) == (
        1,
        1,
        "accepted",
    )
    assert (pushed["transfer"]["legs"], pushed["transfer"]["rating"]) == (state["legs"], state["rating"])
    status, downloaded = send(app.settings, "GET", f"/api/calls/{linkedid}/recordings/1")
    assert status == 401, downloaded
    status, _wav = send(app.settings, "GET", f"/api/calls/{linkedid}/recordings/1", token=admin_token(app))
    assert status == 200


def test_no_answer_then_the_next_expert_and_the_caller_hangs_up_during_rating(
    app: AppProcess,
    dial: Callable[..., Caller],
    agents: dict[str, PhoneAccount],
    phones: Phones,
    experts: PublicNetwork,
    caller_voice: Path,
) -> None:
    on_duty(app, "lawyer-li", "lawyer-wang")
    experts.behaviour.update({LI: "no-answer", WANG: "accept"})
    caller, linkedid, _agent_call = with_agent(app, dial, phones, agents, caller_voice)
    post_json(app.settings, f"/api/calls/{linkedid}/transfer", {"agent_id": "1001", "expert_id": "lawyer-li"})
    expert = accepted_call(phones, experts, app, linkedid, WANG)
    assert [experts.calls_to(LI)[-1].disconnected] == [True]
    expert_hangs_up(phones, app, linkedid, expert, 2)
    phones.idle(1.0)  # the rating question starts
    caller.hang_up()
    rating = poll(lambda: transfer_state(app, linkedid)["rating"], 15)
    assert (rating["status"], rating["code"], rating["expert_id"]) == ("none", None, "lawyer-wang")
    legs = transfer_state(app, linkedid)["legs"]
    assert [(item["expert_id"], item["outcome"]) for item in legs] == [
        ("lawyer-li", "no-answer"),
        ("lawyer-wang", "accepted"),
    ]
    assert legs[0]["answered_at"] is None


def test_voicemail_then_a_busy_mobile_then_the_same_experts_landline_and_an_invalid_rating_key(
    app: AppProcess,
    dial: Callable[..., Caller],
    agents: dict[str, PhoneAccount],
    phones: Phones,
    experts: PublicNetwork,
    caller_voice: Path,
) -> None:
    on_duty(app, "lawyer-wang", "notary-zhao")
    experts.behaviour.update({WANG: "voicemail", ZHAO_MOBILE: "busy", ZHAO_LANDLINE: "accept"})
    caller, linkedid, _agent_call = with_agent(app, dial, phones, agents, caller_voice)
    post_json(
        app.settings, f"/api/calls/{linkedid}/transfer", {"agent_id": "1001", "expert_id": "lawyer-wang"}
    )
    expert = accepted_call(phones, experts, app, linkedid, ZHAO_LANDLINE)
    expert_hangs_up(phones, app, linkedid, expert, 3)
    phones.idle(1.0)
    caller.call.press("9")
    phones.wait_for(lambda: "Rating key '9' on attempt 1: asked again" in app.log_text(), 20, interval=0.3)
    rating = rate(phones, app, caller, linkedid, "2")
    assert (rating["status"], rating["code"], rating["expert_id"]) == (
        "rated",
        "basically-satisfied",
        "notary-zhao",
    )
    legs = transfer_state(app, linkedid)["legs"]
    assert [(item["expert_id"], item["phone"], item["outcome"]) for item in legs] == [
        ("lawyer-wang", WANG, "not-confirmed"),
        ("notary-zhao", ZHAO_MOBILE, "busy"),
        ("notary-zhao", ZHAO_LANDLINE, "accepted"),
    ]
    assert [r["leg"] for r in transfer_state(app, linkedid)["recordings"]] == [3], "only the accepted leg"


def test_everyone_declines_and_the_caller_goes_back_to_the_queue_first(
    app: AppProcess,
    dial: Callable[..., Caller],
    agents: dict[str, PhoneAccount],
    phones: Phones,
    experts: PublicNetwork,
    caller_voice: Path,
) -> None:
    on_duty(app, "lawyer-li", "lawyer-wang", "notary-zhao")
    experts.behaviour.update({LI: "decline", WANG: "no-answer", ZHAO_MOBILE: "decline"})
    caller, linkedid, _agent_call = with_agent(app, dial, phones, agents, caller_voice)
    agents["1001"].incoming.clear()
    post_json(app.settings, f"/api/calls/{linkedid}/transfer", {"agent_id": "1001"})
    back = phones.wait_for(lambda: next((c for c in agents["1001"].incoming if c.state == 5), None), 60)
    state = transfer_state(app, linkedid)
    assert state["call"]["transfer_status"] == "queue"
    assert sorted(item["outcome"] for item in state["legs"]) == [
        "no-answer",
        "not-confirmed",
        "not-confirmed",
    ]
    assert len({item["expert_id"] for item in state["legs"]}) == 3, "three tries, three experts"
    assert state["rating"] is None
    assert not caller.call.disconnected
    back.hang_up()


def test_attended_transfer_completed_then_a_dissatisfied_rating(
    app: AppProcess,
    dial: Callable[..., Caller],
    agents: dict[str, PhoneAccount],
    phones: Phones,
    experts: PublicNetwork,
    caller_voice: Path,
) -> None:
    on_duty(app, "lawyer-wang")
    experts.behaviour[WANG] = "answer"
    caller, linkedid, agent_call = with_agent(app, dial, phones, agents, caller_voice)
    started = post_json(
        app.settings,
        f"/api/calls/{linkedid}/transfer",
        {"agent_id": "1001", "mode": "attended", "expert_id": "lawyer-wang"},
    )
    assert started["mode"] == "attended"
    phones.wait_for(lambda: leg(app, linkedid, 1, "answered_at"), 20, interval=0.2)
    phones.idle(1.0)  # the agent briefs the expert
    assert not agent_call.disconnected
    status, body = send(
        app.settings,
        "POST",
        f"/api/calls/{linkedid}/transfer/complete",
        {"agent_id": "1001"},
        admin_token(app),
    )
    assert status == 204, body
    phones.wait_for(lambda: agent_call.disconnected, 10)
    expert = next(c for c in experts.calls_to(WANG) if c.state == 5)
    phones.idle(1.5)  # caller and expert talk
    assert not caller.call.disconnected and not expert.disconnected
    expert_hangs_up(phones, app, linkedid, expert, 1)
    rating = rate(phones, app, caller, linkedid, "3")
    assert (rating["status"], rating["code"], rating["dissatisfied"]) == ("rated", "dissatisfied", True)
    state = transfer_state(app, linkedid)
    assert (state["call"]["needs_callback"], state["call"]["expert_id"]) == (True, "lawyer-wang")
    assert state["legs"][0]["outcome"] == "accepted"
    poll(lambda: transfer_state(app, linkedid)["recordings"][0]["status"] == "complete", 15)


def test_attended_transfer_cancelled_the_agent_has_the_caller_again(
    app: AppProcess,
    dial: Callable[..., Caller],
    agents: dict[str, PhoneAccount],
    phones: Phones,
    experts: PublicNetwork,
    caller_voice: Path,
) -> None:
    on_duty(app, "lawyer-wang")
    experts.behaviour[WANG] = "answer"
    caller, linkedid, agent_call = with_agent(app, dial, phones, agents, caller_voice)
    post_json(app.settings, f"/api/calls/{linkedid}/transfer", {"agent_id": "1001", "mode": "attended"})
    phones.wait_for(lambda: leg(app, linkedid, 1, "answered_at"), 20, interval=0.2)
    expert = next(c for c in experts.calls_to(WANG) if c.state == 5)
    status, body = send(
        app.settings, "POST", f"/api/calls/{linkedid}/transfer/cancel", {"agent_id": "1001"}, admin_token(app)
    )
    assert status == 204, body
    phones.wait_for(lambda: expert.disconnected, 10)
    phones.idle(1.0)
    assert not agent_call.disconnected and not caller.call.disconnected
    assert get_json(app.settings, "/api/agents/1001/call")["call"]["linkedid"] == linkedid
    state = transfer_state(app, linkedid)
    assert (state["call"]["transfer_status"], state["legs"][0]["outcome"]) == ("cancelled", "cancelled")
    # Nothing is left to cancel.
    status, body = send(
        app.settings, "POST", f"/api/calls/{linkedid}/transfer/cancel", {"agent_id": "1001"}, admin_token(app)
    )
    assert (status, body["code"]) == (409, "transfer-invalid")
    caller.hang_up()
    poll(lambda: transfer_state(app, linkedid)["call"]["ended_at"], 10)
    assert transfer_state(app, linkedid)["rating"] is None


def test_rating_while_the_app_is_down_is_spooled_and_ingested_once(
    app: AppProcess,
    dial: Callable[..., Caller],
    agents: dict[str, PhoneAccount],
    phones: Phones,
    experts: PublicNetwork,
    caller_voice: Path,
) -> None:
    on_duty(app, "lawyer-li")
    experts.behaviour[LI] = "accept"
    caller, linkedid, _agent_call = with_agent(app, dial, phones, agents, caller_voice)
    post_json(app.settings, f"/api/calls/{linkedid}/transfer", {"agent_id": "1001"})
    expert = accepted_call(phones, experts, app, linkedid, LI)
    app.stop()
    try:
        expert.hang_up()
        spool = app.settings.spool_dir

        def spooled() -> list[Any]:
            files = sorted(spool.glob("rating-*.json"))
            if not files:
                caller.call.press("1")
            return files

        [spooled_file] = phones.wait_for(spooled, 40, interval=0.8)
        spooled_text = spooled_file.read_text()
        assert json.loads(spooled_text)["digit"] == "1"
    finally:
        app.start()
    rating = poll(lambda: transfer_state(app, linkedid)["rating"], 15)
    assert (rating["status"], rating["code"], rating["source"], rating["expert_id"]) == (
        "rated",
        "satisfied",
        "spool",
        "lawyer-li",
    )
    assert not list(app.settings.spool_dir.glob("rating-*.json"))
    # The same event again (as after a crash between applying and removing the file): nothing changes.
    spooled_file.write_text(spooled_text)
    poll(lambda: not list(app.settings.spool_dir.glob("rating-*.json")), 10)
    again = transfer_state(app, linkedid)["rating"]
    assert again == rating
    state = transfer_state(app, linkedid)
    assert state["legs"][0]["ended_at"] is not None, "the leg nobody saw end is closed"
    caller.hang_up()

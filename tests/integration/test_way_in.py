"""The caller's way in, with real phones on a real Asterisk: calendar, region, language, queues,
overflow, callback, abandon, pauses and off-hours messages. The app's clock is set through settings."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.integration.callers import OPEN, Caller, agent, answered_by, at
from tests.integration.phones import PhoneAccount, Phones
from tests.integration.stack import PATIENCE, AppProcess, get_json, post_json, pushed, work_orders_of

# The moment of the hotline's calendar these calls happen at: an open Tuesday morning.
pytestmark = pytest.mark.moment(OPEN)

NIGHT = "2026-11-24T22:00:00+08:00"
NATIONAL_DAY = "2026-10-01T10:00:00+08:00"
ADJUSTED_SATURDAY = "2026-10-10T10:00:00+08:00"

URUMQI_MOBILE = "13999112345"
ILI_LANDLINE = "09992345678"
KASHGAR_LANDLINE = "09982345678"
BEIJING_MOBILE = "13800138000"


def pushed_until(
    console: Any, wanted: Callable[[dict[str, Any]], bool], seconds: float = 10
) -> dict[str, Any]:
    """The first message of the agent's own state the socket pushes that is ``wanted``. The socket also
    pushes transfers (type "transfer"), of this agent's earlier calls too: they pass by."""
    return pushed(console, lambda m: m.get("type", "agent") == "agent" and wanted(m), seconds, "the console")


def test_open_hours_the_agent_of_the_callers_prefecture_answers(
    app: AppProcess, dial: Callable[..., Caller], agents: dict[str, PhoneAccount], phones: Phones
) -> None:
    socket_url = f"ws://{app.settings.http_host}:{app.settings.http_port}/ws/agents/1001"
    with connect(f"{socket_url}?token={app.settings.admin_token_value()}") as console:
        first = json.loads(console.recv(timeout=5))
        assert (first["agent_id"], first["agent"]["status"], first["call"]) == ("1001", "ready", None)
        caller = dial(URUMQI_MOBILE)
        caller.choose_language("1")
        ringing = pushed_until(console, lambda m: m["call"] is not None)
        assert (ringing["agent"]["status"], ringing["call"]["phase"]) == ("ringing", "ringing")
        assert ringing["call"]["caller_number"] == URUMQI_MOBILE, "the screen pops while the phone rings"
        answered_by(app, phones, agents, "1001")
        connected = pushed_until(
            console, lambda m: m["call"] is not None and m["call"]["phase"] == "connected"
        )
        assert connected["agent"]["status"] == "on-call"
        pushed = connected["call"]
        assert (pushed["caller_number"], pushed["prefecture"], pushed["language"]) == (
            URUMQI_MOBILE,
            "urumqi",
            "zh",
        )
        screen = phones.wait_for(
            lambda: get_json(app.settings, "/api/agents/1001/call")["call"], 10, interval=0.2
        )
        assert screen["caller_number"] == URUMQI_MOBILE
        assert (screen["prefecture"], screen["language"], screen["queue"]) == ("urumqi", "zh", "cc-urumqi")
        phones.idle(1.5)
        caller.hang_up()
        call = caller.record(lambda c: c["talk_seconds"] is not None)
        assert (call["agent_id"], call["outcome"], call["queue"]) == ("1001", "answered", "cc-urumqi")
        assert call["wait_seconds"] < 5
        assert call["talk_seconds"] >= 1
        assert agents["1002"].incoming == []
        phones.wait_for(
            lambda: get_json(app.settings, "/api/agents/1001/call")["call"] is None, 10, interval=0.2
        )
        ended = pushed_until(console, lambda m: m["call"] is None)
        assert ended["agent"]["status"] in ("ready", "wrap-up"), "the console hears that the call ended"


def test_a_caller_from_another_prefecture_in_uyghur(
    app: AppProcess, dial: Callable[..., Caller], agents: dict[str, PhoneAccount], phones: Phones
) -> None:
    caller = dial(ILI_LANDLINE)
    caller.choose_language("2")
    answered_by(app, phones, agents, "1002")
    caller.hang_up()
    call = caller.record(lambda c: c["outcome"] == "answered" and c["ended_at"])
    assert (call["prefecture"], call["language"], call["agent_id"]) == ("ili", "ug", "1002")
    assert agents["1001"].incoming == []


def test_a_number_outside_the_prefectures_goes_to_the_province_queue(
    app: AppProcess, dial: Callable[..., Caller], agents: dict[str, PhoneAccount], phones: Phones
) -> None:
    caller = dial(BEIJING_MOBILE)
    caller.choose_language("1")
    answered_by(app, phones, agents, "1001")
    caller.hang_up()
    call = caller.record(lambda c: c["outcome"] == "answered")
    assert (call["prefecture"], call["queue"], call["caller_place"]) == (None, "cc-province", "北京市")


def test_paused_agent_gets_no_call_and_the_caller_overflows_to_the_province(
    app: AppProcess, dial: Callable[..., Caller], agents: dict[str, PhoneAccount], phones: Phones
) -> None:
    post_json(app.settings, "/api/agents/1002/pause", {"reason": "午休"})
    paused = phones.wait_for(
        lambda: agent(app.settings, "1002")["paused"] and agent(app.settings, "1002"), 10
    )
    assert paused["paused_reason"] == "午休"
    caller = dial(KASHGAR_LANDLINE)
    caller.choose_language("1")
    answered_by(app, phones, agents, "1001")
    caller.hang_up()
    call = caller.record(lambda c: c["outcome"] == "answered")
    assert call["queue"] == "cc-province"
    overflow_after = 6
    assert call["wait_seconds"] >= overflow_after
    assert agents["1002"].incoming == [], "a paused agent's phone never rings"


def waiting_in_kashgar(app: AppProcess, dial: Callable[..., Caller], phones: Phones, reason: str) -> Caller:
    """A Kashgar caller waiting in the Kashgar queue, whose only agent (1002) is paused."""
    post_json(app.settings, "/api/agents/1002/pause", {"reason": reason})
    phones.wait_for(lambda: agent(app.settings, "1002")["paused"], 10, interval=0.2)
    caller = dial(KASHGAR_LANDLINE)
    caller.choose_language("1")
    caller.record(lambda c: c["queue"] == "cc-kashgar", seconds=20)
    return caller


def test_callback_requested_from_the_queue(
    app: AppProcess, dial: Callable[..., Caller], agents: dict[str, PhoneAccount], phones: Phones
) -> None:
    caller = waiting_in_kashgar(app, dial, phones, "培训")
    phones.idle(1.0)
    caller.call.press("1")
    phones.wait_for(lambda: caller.call.disconnected, 20)
    call = caller.record(lambda c: c["outcome"] == "callback")
    orders = work_orders_of(app.settings, KASHGAR_LANDLINE)
    order = next(o for o in orders if o["linkedid"] == call["linkedid"])
    assert (order["channel"], order["prefecture"]) == ("hotline-callback", "kashgar")
    # One second in the queue, then the key: the wait is measured from the join (the upper limit stretches
    # on a loaded machine).
    assert 0.5 < order["wait_seconds"] < 6 * PATIENCE


def test_caller_abandons_in_the_queue(
    app: AppProcess, dial: Callable[..., Caller], agents: dict[str, PhoneAccount], phones: Phones
) -> None:
    caller = waiting_in_kashgar(app, dial, phones, "会议")
    phones.idle(2.0)
    caller.hang_up()
    call = caller.record(lambda c: c["outcome"] == "abandoned")
    assert 1.5 < call["wait_seconds"] < 6
    assert call["agent_id"] is None


def test_language_bad_key_then_a_good_one(
    app: AppProcess, dial: Callable[..., Caller], phones: Phones
) -> None:
    caller = dial("13999661234")
    caller.choose_language("9", "2")
    call = caller.record(lambda c: c["language"] == "ug", seconds=15)
    caller.hang_up()
    assert call["prefecture"] == "aksu"
    assert "Language key '9' on attempt 1: retry" in app.log_text()


def test_no_key_twice_gives_the_default_language(
    app: AppProcess, dial: Callable[..., Caller], phones: Phones
) -> None:
    caller = dial("13999661235")
    phones.wait_for(lambda: "Language key '' on attempt 2: default zh" in app.log_text(), 40, interval=0.5)
    caller.hang_up()


@pytest.mark.any_hour
@pytest.mark.parametrize(
    ("moment", "next_step"),
    [(NATIONAL_DAY, "closed"), (ADJUSTED_SATURDAY, "queue"), (NIGHT, "closed"), (OPEN, "queue")],
    ids=["national-day-closed", "adjusted-saturday-open", "night-closed", "tuesday-open"],
)
def test_the_calendar_decides(
    app: AppProcess, dial: Callable[..., Caller], phones: Phones, moment: str, next_step: str
) -> None:
    at(app, moment)
    caller = dial("13999112399")
    call = caller.record(lambda c: c["next_step"] is not None, seconds=10)
    caller.hang_up()
    assert call["next_step"] == next_step


@pytest.fixture(scope="module")
def spoken_message(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A caller's voice: espeak-ng reading a question, as 16-bit mono WAV."""
    path = tmp_path_factory.mktemp("speech") / "question.wav"
    text = "我想咨询一下劳动合同纠纷的问题，我的电话是一三九九九一一二三四五，请尽快回电，谢谢。" * 2
    subprocess.run(
        ["espeak-ng", "-v", "cmn-latn-pinyin", "-w", str(path), text], check=True, capture_output=True
    )
    return path


@pytest.mark.moment(NIGHT)
def test_closed_at_night_a_message_left_and_the_caller_hangs_up_while_recording(
    app: AppProcess, dial: Callable[..., Caller], phones: Phones, spoken_message: Path
) -> None:
    number = "13999112398"
    caller = dial(number, speech=spoken_message)
    caller.choose_language("1")
    linkedid = caller.record(lambda c: c["next_step"] == "closed")["linkedid"]
    recording = app.settings.messages_dir / "2026" / "11" / f"{linkedid}.wav"
    phones.wait_for(lambda: recording.exists(), 40, interval=0.2)
    phones.idle(4.0)
    caller.hang_up()
    call = caller.record(lambda c: c["outcome"] == "message")
    orders = work_orders_of(app.settings, number)
    [order] = [o for o in orders if o["linkedid"] == call["linkedid"]]
    assert order["channel"] == "hotline-offhours"
    assert order["callback_due_at"] == "2026-11-25T00:00:00Z"  # 08:00 in Urumqi's Beijing time
    assert order["recording_path"] == str(recording)
    assert recording.stat().st_size > 8000 * 2 * 2
    assert order["recording_seconds"] >= 3

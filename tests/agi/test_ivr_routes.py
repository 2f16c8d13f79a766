from __future__ import annotations

import math
import wave
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agi import variables
from agi.callback import make_callback_route
from agi.language import make_language_route
from agi.message import make_message_route
from callcenter.clock import Clock
from callcenter.domain.calls import CallFacts
from tests.agi.conftest import FakeChannel, IvrFactory

# Built on the clock: run again at other hours of the machine's clock (make test).
pytestmark = pytest.mark.any_hour

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = datetime(2026, 11, 24, 22, 0, tzinfo=SHANGHAI)
OPEN = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)


async def test_language_key_retry_and_default(make_ivr: IvrFactory) -> None:
    ivr, calls, _ = make_ivr(OPEN)
    route = make_language_route(ivr)
    await calls.record(CallFacts(linkedid="5.1", caller_number="13999112345", language="zh"))
    answers = []
    for digit, attempt in (("7", "1"), ("2", "2"), ("", "2")):
        channel = FakeChannel({"agi_arg_1": "5.1", "agi_arg_2": digit, "agi_arg_3": attempt})
        await route(channel)
        answers.append((channel.variables[variables.LANGUAGE_STATUS], channel.variables[variables.LANGUAGE]))
    assert answers == [("retry", "zh"), ("chosen", "ug"), ("default", "zh")]
    await calls.drain()
    record = await calls.get_call("5.1")
    assert record is not None and record.language == "zh"


def write_recording(path: Path, voiced_seconds: float, silent_seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = [int(5000 * math.sin(2 * math.pi * 300 * n / 8000)) for n in range(int(voiced_seconds * 8000))]
    samples += [0] * int(silent_seconds * 8000)
    with wave.open(str(path), "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(8000)
        target.writeframes(b"".join(value.to_bytes(2, "little", signed=True) for value in samples))


async def test_a_message_becomes_one_work_order_due_at_the_next_opening(make_ivr: IvrFactory) -> None:
    ivr, calls, orders = make_ivr(NIGHT)
    await calls.record(CallFacts(linkedid="1795489475.1", caller_number="09992345678", prefecture="ili"))
    write_recording(ivr.message_paths("1795489475.1").recording, 3.0, 1.0)
    route = make_message_route(ivr)
    first = FakeChannel({"agi_arg_1": "1795489475.1", "agi_callerid": "09992345678"})
    await route(first)
    # The hangup handler reports the same recording again, on a channel that takes no variables.
    hangup = {"agi_arg_1": "1795489475.1", "agi_arg_2": "hangup", "agi_callerid": "09992345678"}
    await route(FakeChannel(hangup, refuse={"CC_MESSAGE_STATUS"}))
    await ivr.drain()
    assert first.variables[variables.MESSAGE_STATUS] == "saved"
    [order] = await orders.recent()
    assert order.channel == "hotline-offhours"
    assert order.number.startswith("20261124-")
    assert (order.caller_number, order.prefecture) == ("09992345678", "ili")
    assert order.callback_due_at == datetime(2026, 11, 25, 8, 0, tzinfo=SHANGHAI)
    assert order.recording_seconds is not None and 3.9 < order.recording_seconds < 4.1
    record = await calls.get_call("1795489475.1")
    assert record is not None and record.outcome == "message"


async def test_silence_is_not_a_message_and_is_not_kept(make_ivr: IvrFactory) -> None:
    ivr, _calls, orders = make_ivr(NIGHT)
    recording = ivr.message_paths("6.2").recording
    write_recording(recording, 0.5, 4.0)
    channel = FakeChannel({"agi_arg_1": "6.2", "agi_callerid": "13999112345"})
    await make_message_route(ivr)(channel)
    assert channel.variables[variables.MESSAGE_STATUS] == "empty"
    assert await orders.recent() == []
    assert not recording.exists()
    missing = FakeChannel({"agi_arg_1": "6.3", "agi_callerid": "13999112345"})
    await make_message_route(ivr)(missing)
    assert missing.variables[variables.MESSAGE_STATUS] == "empty"


async def test_callback_request_files_an_order_with_the_wait(make_ivr: IvrFactory) -> None:
    ivr, calls, orders = make_ivr(OPEN)
    await calls.record(CallFacts(linkedid="7.1", caller_number="13999112345", prefecture="urumqi"))
    joined = datetime.now(UTC).timestamp() - 95
    channel = FakeChannel({"agi_arg_1": "7.1", "agi_arg_2": f"{joined:.3f}", "agi_callerid": "13999112345"})
    await make_callback_route(ivr, Clock(OPEN))(channel)
    assert channel.variables[variables.CALLBACK_STATUS] == "ok"
    [order] = await orders.recent(caller_number="13999112345")
    assert order.channel == "hotline-callback"
    assert order.wait_seconds is not None and 94 < order.wait_seconds < 97
    record = await calls.get_call("7.1")
    assert record is not None and record.outcome == "callback"


async def test_a_recording_whose_header_is_not_final_yet_is_read_to_its_end(make_ivr: IvrFactory) -> None:
    """The hangup handler runs before Asterisk writes the final length into the WAV header."""
    ivr, calls, orders = make_ivr(NIGHT)
    await calls.record(CallFacts(linkedid="6.4", caller_number="09992345678"))
    recording = ivr.message_paths("6.4").recording
    write_recording(recording, 3.0, 0.5)
    content = bytearray(recording.read_bytes())
    data = content.find(b"data")
    content[data + 4 : data + 8] = (0).to_bytes(4, "little")
    content[4:8] = (36).to_bytes(4, "little")
    recording.write_bytes(bytes(content))
    channel = FakeChannel({"agi_arg_1": "6.4", "agi_arg_2": "hangup", "agi_callerid": "09992345678"})
    await make_message_route(ivr)(channel)
    assert channel.variables == {}, "a hung-up channel is not answered"
    await ivr.drain()
    [order] = await orders.recent()
    assert order.recording_seconds is not None and 3.4 < order.recording_seconds < 3.6

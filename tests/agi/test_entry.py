from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agi import variables
from agi.entry import make_entry_route
from callcenter.clock import Clock
from callcenter.domain.calls import epoch_to_datetime
from tests.agi.conftest import FakeChannel, IvrFactory

# Built on the clock: run again at other hours of the machine's clock (make test).
pytestmark = pytest.mark.any_hour

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
NIGHT = datetime(2026, 11, 24, 22, 0, tzinfo=SHANGHAI)


def env(caller: str, linkedid: str = "9.1") -> dict[str, str]:
    return {
        "agi_uniqueid": linkedid,
        "agi_channel": "PJSIP/demo-caller-00000009",
        "agi_callerid": caller,
        "agi_arg_1": linkedid,
        "agi_arg_2": "12348",
        "agi_arg_3": "1795485587.303",
        "agi_arg_4": "1795485587.804",
    }


async def test_open_hours_answers_the_queue_and_records_the_call(make_ivr: IvrFactory) -> None:
    ivr, calls, _ = make_ivr(OPEN)
    channel = FakeChannel(env("13999112345"))
    await make_entry_route(ivr, Clock(OPEN))(channel)
    await calls.drain()
    answered = channel.variables
    assert answered[variables.ENTRY_STATUS] == variables.STATUS_OK
    assert list(answered)[-1] == variables.ENTRY_STATUS, "the status goes last"
    assert answered[variables.NEXT_STEP] == "language"
    assert answered[variables.AFTER_LANGUAGE] == "queue"
    assert (answered[variables.QUEUE], answered[variables.OVERFLOW_QUEUE]) == ("cc-urumqi", "cc-province")
    assert not set(variables.CONFIGURATION_GLOBALS) & set(answered), "configuration is not sent per call"
    record = await calls.get_call("9.1")
    assert record is not None
    assert (record.caller_number, record.prefecture, record.entry_route) == ("13999112345", "urumqi", "app")
    assert record.next_step == "queue"
    assert record.caller_place == "新疆乌鲁木齐市"
    assert record.answered_at > record.started_at


async def test_closed_answers_where_to_record_the_message(make_ivr: IvrFactory) -> None:
    ivr, _, _ = make_ivr(NIGHT)
    channel = FakeChannel(env("09992345678", "9.2"))
    await make_entry_route(ivr, Clock(OPEN))(channel)
    assert channel.variables[variables.AFTER_LANGUAGE] == "closed"
    path = channel.variables[variables.MESSAGE_PATH]
    assert path == "/srv/cc12348-recordings/test/messages/2026/11/9.2"


class BrokenIvr:
    def decide_entry(self, call: object) -> object:
        raise LookupError("no routing configuration")


async def test_a_failing_decision_sends_the_dialplan_to_its_fallback() -> None:
    channel = FakeChannel(env("13999112345"))
    await make_entry_route(BrokenIvr(), Clock(OPEN))(channel)  # type: ignore[arg-type]
    assert channel.variables == {variables.ENTRY_STATUS: variables.STATUS_ERROR}


async def test_asterisk_stamps_are_put_on_the_apps_clock(make_ivr: IvrFactory) -> None:
    """Asterisk stamps with the system clock; a clock started days away (CC_CLOCK_START) moves them too,
    so that the call's start and its work order fall on the same day."""
    ivr, calls, _ = make_ivr(OPEN)
    clock = Clock(OPEN)
    # Asterisk's stamps of a call that began two seconds ago, on the machine's real clock.
    asterisk_now = time.time()
    stamps = {"agi_arg_3": f"{asterisk_now - 2:.3f}", "agi_arg_4": f"{asterisk_now - 1:.3f}"}
    channel = FakeChannel(env("13999112345", "9.3") | stamps)
    await make_entry_route(ivr, clock)(channel)
    await calls.drain()
    record = await calls.get_call("9.3")
    assert record is not None
    system_start = epoch_to_datetime(stamps["agi_arg_3"])
    assert system_start is not None
    assert record.started_at == system_start + clock.offset
    assert timedelta(seconds=1) < OPEN - record.started_at < timedelta(seconds=3)

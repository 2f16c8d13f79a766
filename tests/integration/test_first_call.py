"""The first 12348 call: a real SIP caller, real Asterisk, and Python deciding and recording."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from callcenter.asterisk import process
from callcenter.settings import Settings
from tests.integration.callers import OPEN
from tests.integration.phones import Phones
from tests.integration.stack import AppProcess, get_json, place_call, poll

# The moment of the hotline's calendar these calls happen at: an open Tuesday morning.
pytestmark = pytest.mark.moment(OPEN)


def ended_call(settings: Settings, caller: str) -> dict[str, Any] | None:
    calls = get_json(settings, f"/api/calls?caller={caller}")
    return calls[0] if calls and calls[0]["ended_at"] and calls[0]["hangup_cause"] is not None else None


def times(call: dict[str, Any]) -> tuple[datetime, datetime, datetime]:
    return (
        datetime.fromisoformat(call["started_at"]),
        datetime.fromisoformat(call["answered_at"]),
        datetime.fromisoformat(call["ended_at"]),
    )


def test_only_the_needed_modules_load(asterisk: process.AsteriskStatus, stack_settings: Settings) -> None:
    log = asterisk.log_file.read_text()
    assert "declined to load" not in log
    assert "Unable to lookup" not in log
    modules = process.rx(stack_settings, "module show")
    for needed in (
        "chan_pjsip.so",
        "res_agi.so",
        "app_queue.so",
        "app_mixmonitor.so",
        "res_pjsip_transport_websocket.so",
    ):
        assert needed in modules
    for unwanted in ("pbx_dundi.so", "chan_iax2.so", "res_xmpp.so"):
        assert unwanted not in modules


@pytest.mark.any_hour
def test_call_to_12348_is_answered_by_python_and_recorded(app: AppProcess, stack_settings: Settings) -> None:
    caller = "13912345678"
    result = place_call(stack_settings, caller, scenario="caller_hangs_up.xml", hold_ms=3000)
    assert result.returncode == 0, result.stdout + result.stderr

    call = poll(lambda: ended_call(stack_settings, caller))
    assert call["dialed_number"] == "12348"
    assert call["entry_route"] == "app"
    assert call["next_step"] == "queue", "an open Tuesday morning"
    assert (call["hangup_cause"], call["hangup_cause_text"]) == (16, "Normal Clearing")
    started, answered, ended = times(call)
    assert started <= answered < ended
    # The caller listened for three seconds and hung up.
    assert 2.5 < (ended - answered).total_seconds() < 10
    assert f"[call {call['linkedid']}]" in app.log_text()


def test_a_number_not_in_service_is_told_so_and_recorded_as_unallocated(
    app: AppProcess, stack_settings: Settings
) -> None:
    caller = "13500000001"
    result = place_call(stack_settings, caller, service="12345")
    assert result.returncode == 0, result.stdout + result.stderr
    call = poll(lambda: ended_call(stack_settings, caller))
    assert call["dialed_number"] == "12345"
    # Python never decided anything for it: the dialplan answered "not in service" by itself.
    assert call["entry_route"] is None
    assert call["hangup_cause"] == 1


def test_app_down_takes_the_fallback_branch_and_loses_nothing(
    app: AppProcess, stack_settings: Settings
) -> None:
    caller = "02912345678"
    app.stop()
    try:
        result = place_call(stack_settings, caller)
        assert result.returncode == 0, result.stdout + result.stderr
        spooled = sorted(p.name.split("-")[0] for p in stack_settings.spool_dir.glob("*.json"))
        assert spooled == ["entry", "hangup"]
        log = (stack_settings.asterisk_instance_dir / "log" / "messages.log").read_text()
        assert "cc-entry fallback: AGISTATUS=FAILURE" in log
    finally:
        app.start()

    call = poll(lambda: ended_call(stack_settings, caller))
    assert call["entry_route"] == "fallback"
    assert call["dialed_number"] == "12348"
    assert call["hangup_cause"] == 16
    started, answered, ended = times(call)
    assert started <= answered < ended
    assert list(stack_settings.spool_dir.glob("*.json")) == []


def test_ami_loss_is_logged_once_and_calls_are_recorded_after_recovery(
    app: AppProcess, stack_settings: Settings
) -> None:
    process.stop(stack_settings)
    poll(lambda: not get_json(stack_settings, "/api/health")["ami"])
    process.start(stack_settings)
    poll(lambda: get_json(stack_settings, "/api/health")["ami"], seconds=30)

    caller = "09912345678"
    result = place_call(stack_settings, caller, scenario="caller_hangs_up.xml", hold_ms=2000)
    assert result.returncode == 0, result.stdout + result.stderr
    call = poll(lambda: ended_call(stack_settings, caller))
    assert call["entry_route"] == "app"
    log = app.log_text()
    assert log.count("AMI link to") == 2
    assert log.count("lost") == 1 and log.count("recovered") == 1


def test_a_registered_phone_hears_the_welcome(
    app: AppProcess, stack_settings: Settings, phones: Phones
) -> None:
    """What `make run` promises: a SIP phone registered with the demo account dials 12348."""
    number = "13912345670"
    account = phones.register(
        f"{stack_settings.sip_host}:{stack_settings.sip_port}",
        stack_settings.demo_caller_username,
        stack_settings.demo_caller_password.get_secret_value(),
        number,
    )
    assert account.registration_status == 200
    contacts = process.rx(stack_settings, f"pjsip show aor {stack_settings.demo_caller_username}")
    assert "Contact:" in contacts and number in contacts

    call = phones.call(account, f"sip:12348@{stack_settings.sip_host}:{stack_settings.sip_port}")
    # The Mandarin welcome lasts a few seconds: 100 packets of 20 ms are two seconds of it.
    phones.wait_for(lambda: call.received_packets() > 100, 15)
    call.hang_up()
    phones.wait_for(lambda: call.disconnected, 10)
    recorded = poll(lambda: ended_call(stack_settings, number))
    assert (recorded["entry_route"], recorded["hangup_cause"]) == ("app", 16)

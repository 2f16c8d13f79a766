"""The supervisors' wallboard on a real Asterisk: live state through Redis to a websocket, rebuilt from
Asterisk after the app is killed mid-call; today's figures equal to those computed from the store; and a
supervisor's phone listening to and whispering to an agent's call."""

from __future__ import annotations

import array
import json
import math
import subprocess
import wave
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from websockets.sync.client import ClientConnection, connect

from callcenter.domain.statistics import CallRow, Thresholds, figures
from callcenter.hotline import supervisor_endpoint
from tests.integration.browser import badge_states, by_testid, log_in, screenshot, watch_connection_badge
from tests.integration.callers import OPEN, Caller, answered_by
from tests.integration.experts import LI, accepted_call, expert_hangs_up, on_duty, rate, transfer_state
from tests.integration.phones import PhoneAccount, Phones, PublicNetwork
from tests.integration.stack import AppProcess, get_json, post_json, send

# The moment of the hotline's calendar these calls happen at: an open Tuesday morning.
pytestmark = pytest.mark.moment(OPEN)

URUMQI_MOBILE = "13999112345"
SUPERVISOR_PHONE = "9001"


def wallboard(app: AppProcess) -> ClientConnection:
    settings = app.settings
    url = f"ws://{settings.http_host}:{settings.http_port}/ws/wallboard?token={settings.admin_token_value()}"
    return connect(url, open_timeout=10)


def next_message(
    socket: ClientConnection, phones: Phones, wanted: Callable[[dict[str, Any]], bool], seconds: float = 20
) -> dict[str, Any]:
    """The first pushed message that is ``wanted``; the phones keep working meanwhile."""
    found: list[dict[str, Any]] = []
    seen: list[dict[str, Any]] = []

    def arrived() -> bool:
        try:
            message = json.loads(socket.recv(timeout=0.05))
        except TimeoutError:
            return False
        seen.append(message)
        if wanted(message):
            found.append(message)
            return True
        return False

    try:
        phones.wait_for(arrived, seconds)
    except AssertionError:
        raise AssertionError(f"not pushed; the last messages: {seen[-2:]}") from None
    return found[0]


def transfer_to(app: AppProcess, linkedid: str, expert_id: str) -> None:
    """Agent 1001 classifies the call as a labour consultation and transfers it blind to the expert."""
    post_json(
        app.settings,
        f"/api/calls/{linkedid}/classification",
        {"agent_id": "1001", "call_type": "consultation", "category": "labour"},
    )
    post_json(app.settings, f"/api/calls/{linkedid}/transfer", {"agent_id": "1001", "expert_id": expert_id})


def waiting_numbers(message: dict[str, Any]) -> set[str]:
    return {caller["caller_number"] for caller in message["waiting"]} if message["type"] == "live" else set()


def agent_in(message: dict[str, Any], agent_id: str) -> dict[str, Any]:
    agent: dict[str, Any] = next(a for a in message["agents"] if a["id"] == agent_id)
    return agent


def test_a_waiting_caller_appears_survives_a_killed_app_and_leaves(
    app: AppProcess, dial: Callable[..., Caller], agents: dict[str, PhoneAccount], phones: Phones
) -> None:
    post_json(app.settings, "/api/agents/1001/pause", {"reason": "会议"})
    with wallboard(app) as socket:
        first = json.loads(socket.recv(timeout=10))
        assert first["type"] == "live", "a browser starts from the live state"
        next_message(
            socket, phones, lambda m: m["type"] == "live" and agent_in(m, "1001")["status"] == "paused"
        )
        caller = dial(URUMQI_MOBILE)
        caller.choose_language("1")
        joined = next_message(socket, phones, lambda m: URUMQI_MOBILE in waiting_numbers(m))
        assert agent_in(joined, "1001")["status"] == "paused"
        [waiting] = joined["waiting"]
        assert (waiting["queue"], waiting["prefecture"]) == ("cc-urumqi", "urumqi")

    # Killed, not stopped: nothing is handed over, the new process must ask Asterisk.
    assert app.process is not None
    app.process.kill()
    app.process.wait()
    app.process = None
    app.start()
    with wallboard(app) as socket:
        rebuilt = next_message(socket, phones, lambda m: m["type"] == "live" and bool(m["waiting"]))
        assert waiting_numbers(rebuilt) == {URUMQI_MOBILE}
        assert agent_in(rebuilt, "1001")["status"] == "paused"
        assert agent_in(rebuilt, "1002")["status"] == "ready"
        caller.hang_up()
        gone = next_message(socket, phones, lambda m: m["type"] == "live" and not m["waiting"])
        assert gone["waiting"] == []


def store_rows(app: AppProcess, since: str) -> list[CallRow]:
    """Today's calls as the store has them, through the API, each with its rating."""
    rows = []
    for call in get_json(app.settings, "/api/calls?limit=500"):
        if datetime.fromisoformat(call["started_at"]) < datetime.fromisoformat(since):
            continue
        rating = get_json(app.settings, f"/api/calls/{call['linkedid']}/transfer")["rating"] or {}
        rows.append(
            CallRow(
                queued=call["queue_joined_at"] is not None,
                outcome=call["outcome"],
                wait_seconds=call["wait_seconds"],
                talk_seconds=call["talk_seconds"],
                transferred=call["transfer_mode"] is not None,
                transfer_status=call["transfer_status"],
                rating_status=rating.get("status"),
                dissatisfied=bool(rating.get("dissatisfied")),
            )
        )
    return rows


def test_a_small_day_the_wallboards_figures_are_the_stores(
    app: AppProcess,
    dial: Callable[..., Caller],
    agents: dict[str, PhoneAccount],
    phones: Phones,
    experts: PublicNetwork,
    caller_voice: Path,
) -> None:
    on_duty(app, "lawyer-li")
    experts.behaviour[LI] = "accept"
    day_start = get_json(app.settings, "/api/statistics")["start"]
    with wallboard(app) as socket:
        # Answered, then the caller hangs up.
        answered = dial("13999112301", speech=caller_voice)
        answered.choose_language("1")
        answered_by(app, phones, agents, "1001")
        phones.idle(1.0)
        answered.hang_up()
        # Transferred to an expert who accepts, and rated.
        transferred = dial("13999112302", speech=caller_voice)
        transferred.choose_language("1")
        answered_by(app, phones, agents, "1001")
        linkedid = transferred.record(lambda c: c["agent_id"] == "1001")["linkedid"]
        transfer_to(app, linkedid, "lawyer-li")
        expert = accepted_call(phones, experts, app, linkedid, LI)
        talking = next_message(socket, phones, lambda m: m["type"] == "live" and bool(m["transfers"]))
        assert talking["transfers"][0]["expert_id"] == "lawyer-li"
        phones.idle(1.0)
        expert_hangs_up(phones, app, linkedid, expert, 1)
        assert rate(phones, app, transferred, linkedid, "1")["code"] == "satisfied"
        # Abandoned: nobody ready, the caller gives up after a while.
        post_json(app.settings, "/api/agents/1001/pause", {"reason": "会议"})
        abandoned = dial("13999112303")
        abandoned.choose_language("1")
        abandoned.record(lambda c: c["queue_joined_at"] is not None)
        phones.idle(7.0)
        abandoned.hang_up()
        abandoned.record(lambda c: c["outcome"] == "abandoned")
        phones.wait_for(lambda: transfer_state(app, linkedid)["call"]["ended_at"], 15)

        expected = figures(store_rows(app, day_start), Thresholds(15, 5))
        pushed = next_message(
            socket,
            phones,
            lambda m: (
                m["type"] == "figures"
                and m["figures"]["total"]["offered"] == expected.offered
                and m["figures"]["total"]["abandoned"] == expected.abandoned
                and m["figures"]["total"]["rated"] == expected.rated
            ),
            30,
        )
    total = pushed["figures"]["total"]
    assert expected.offered >= 3 and expected.abandoned >= 1 and expected.transfers_accepted >= 1
    for name, value in expected.__dict__.items():
        assert total[name] == pytest.approx(value), name


@pytest.fixture
def supervisor_phone(app: AppProcess, phones: Phones) -> Iterator[PhoneAccount]:
    settings = app.settings
    phone = phones.register(
        f"{settings.sip_host}:{settings.sip_port}",
        supervisor_endpoint(SUPERVISOR_PHONE),
        settings.generated_secret(supervisor_endpoint(SUPERVISOR_PHONE)),
        supervisor_endpoint(SUPERVISOR_PHONE),
        auto_answer=True,
    )
    yield phone
    phones.unregister(phone)


def tone_share(path: Path, frequency: float) -> float:
    """The loudest share of the signal's power at ``frequency`` over any half second (Goertzel)."""
    with wave.open(str(path), "rb") as source:
        rate = source.getframerate()
        samples = array.array("h", source.readframes(source.getnframes()))
    window = rate // 2
    coefficient = 2 * math.cos(2 * math.pi * frequency / rate)
    best = 0.0
    for start in range(0, max(len(samples) - window, 0), window // 2):
        chunk = samples[start : start + window]
        previous = before = 0.0
        for sample in chunk:
            previous, before = sample + coefficient * previous - before, previous
        power = previous * previous + before * before - coefficient * previous * before
        total = sum(float(sample) * sample for sample in chunk) * len(chunk) / 2
        if total > 0:
            best = max(best, power / total)
    return best


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("supervisor") / "tone.wav"
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            "16000",
            "-c",
            "1",
            "-b",
            "16",
            str(path),
            "synth",
            "10",
            "sine",
            "1000",
            "vol",
            "0.5",
        ],
        check=True,
    )
    return path


def test_a_supervisor_listens_then_whispers_to_the_agent_only(
    app: AppProcess,
    dial: Callable[..., Caller],
    agents: dict[str, PhoneAccount],
    phones: Phones,
    supervisor_phone: PhoneAccount,
    caller_voice: Path,
    tone: Path,
    tmp_path: Path,
) -> None:
    # Listening: the caller speaks, the supervisor's phone hears it.
    caller = dial(URUMQI_MOBILE, speech=caller_voice)
    caller.choose_language("1")
    answered_by(app, phones, agents, "1001")
    post_json(
        app.settings,
        "/api/supervision/calls",
        {"agent_id": "1001", "mode": "listen", "phone": SUPERVISOR_PHONE},
    )
    listening = phones.wait_for(
        lambda: next((c for c in supervisor_phone.incoming if c.state == 5), None), 15
    )
    phones.wait_for(lambda: listening.received_packets() > 50, 10)
    listening.hang_up()
    caller.hang_up()

    # Whispering: the caller speaks, the supervisor's phone plays a 1 kHz tone. The agent hears the tone
    # over the caller; the caller does not.
    supervisor_phone.incoming.clear()
    supervisor_phone.speech = tone
    agent_phone = agents["1001"]
    agent_phone.incoming.clear()
    talking = dial("13999112399", speech=caller_voice)
    talking.choose_language("1")
    agent_call = answered_by(app, phones, agents, "1001")
    heard, overheard = tmp_path / "agent-hears.wav", tmp_path / "caller-hears.wav"
    agent_call.record_to(heard)
    talking.call.record_to(overheard)
    post_json(
        app.settings,
        "/api/supervision/calls",
        {"agent_id": "1001", "mode": "whisper", "phone": SUPERVISOR_PHONE},
    )
    phones.wait_for(lambda: next((c for c in supervisor_phone.incoming if c.state == 5), None), 15)
    phones.idle(3.0)
    agent_call.stop_recording()
    talking.call.stop_recording()
    talking.hang_up()
    phones.wait_for(lambda: agent_call.disconnected, 10)
    assert tone_share(heard, 1000) > 0.2, "the agent hears the supervisor's whisper"
    assert tone_share(overheard, 1000) < 0.05, "the caller must not hear the supervisor's whisper"
    audit = get_json(app.settings, "/api/audit?subject_type=agent-call&limit=10")
    assert {entry["action"] for entry in audit} >= {"listen", "whisper"}


@pytest.fixture(scope="session")
def supervisor_account(app: AppProcess) -> tuple[str, str]:
    account = ("wall-boss", "wall-boss-password")
    status, body = send(
        app.settings,
        "POST",
        "/api/users",
        {"username": account[0], "display_name": "督导", "role": "supervisor", "password": account[1]},
        app.settings.admin_token_value(),
    )
    assert status == 201, body
    return account


def open_wallboard(browser: Browser, app: AppProcess, account: tuple[str, str]) -> Page:
    page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    log_in(page, app.settings, *account, page_name="wallboard.html")
    expect(page.locator(by_testid("ws-status"))).to_have_attribute("data-state", "online", timeout=10_000)
    return page


def test_the_wallboard_page_shows_a_caller_wait_and_leave(
    app: AppProcess,
    browser: Browser,
    supervisor_account: tuple[str, str],
    dial: Callable[..., Caller],
    agents: dict[str, PhoneAccount],
    phones: Phones,
) -> None:
    post_json(app.settings, "/api/agents/1001/pause", {"reason": "会议"})
    page = open_wallboard(browser, app, supervisor_account)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    expect(page.locator(by_testid("agent-1001"))).to_have_attribute("data-status", "paused", timeout=10_000)

    caller = dial(URUMQI_MOBILE)
    caller.choose_language("1")
    linkedid = caller.record(lambda c: c["queue_joined_at"] is not None)["linkedid"]
    row = page.locator(by_testid(f"waiting-{linkedid}"))
    phones.wait_for(lambda: row.count() == 1, 15, interval=0.2)
    expect(row).to_contain_text("乌鲁木齐")
    expect(page.locator(by_testid("tile-waiting"))).to_have_attribute("data-value", "1")
    phones.idle(1.5)  # the wait counts up on the wall
    screenshot(page, "wallboard-caller-waiting")
    caller.hang_up()
    phones.wait_for(lambda: row.count() == 0, 15, interval=0.2)
    expect(page.locator(by_testid("tile-waiting"))).to_have_attribute("data-value", "0")
    # The abandoned call reaches today's figures on the wall without a reload.
    offered = page.locator(by_testid("tile-offered"))
    phones.wait_for(lambda: int(offered.get_attribute("data-value") or 0) >= 1, 15, interval=0.2)
    screenshot(page, "wallboard-after")
    # The app goes away and comes back: the wall says so, reconnects and starts again from the state.
    watch_connection_badge(page)
    app.restart()
    expect(page.locator(by_testid("ws-status"))).to_have_attribute("data-state", "online", timeout=20_000)
    assert "lost" in badge_states(page)
    expect(page.locator(by_testid("agent-1001"))).to_have_attribute("data-status", "paused", timeout=10_000)
    page.context.close()
    assert errors == [], f"the page threw: {errors}"


def test_a_supervisor_whispers_to_the_expert_only(
    app: AppProcess,
    browser: Browser,
    supervisor_account: tuple[str, str],
    dial: Callable[..., Caller],
    agents: dict[str, PhoneAccount],
    phones: Phones,
    experts: PublicNetwork,
    supervisor_phone: PhoneAccount,
    caller_voice: Path,
    tone: Path,
    tmp_path: Path,
) -> None:
    on_duty(app, "lawyer-li")
    experts.behaviour[LI] = "accept"
    caller = dial("13999112398", speech=caller_voice)
    caller.choose_language("1")
    answered_by(app, phones, agents, "1001")
    linkedid = caller.record(lambda c: c["agent_id"] == "1001")["linkedid"]
    transfer_to(app, linkedid, "lawyer-li")
    expert = accepted_call(phones, experts, app, linkedid, LI)
    supervisor_phone.incoming.clear()
    supervisor_phone.speech = tone
    heard, overheard = tmp_path / "expert-hears.wav", tmp_path / "caller-hears.wav"
    expert.record_to(heard)
    caller.call.record_to(overheard)
    # From the wall: the expert's leg is listed as talking, with its whisper button.
    page = open_wallboard(browser, app, supervisor_account)
    page.fill(by_testid("spy-phone"), SUPERVISOR_PHONE)
    whisper = page.locator(by_testid(f"whisper-expert-{linkedid}"))
    phones.wait_for(lambda: whisper.count() == 1, 15, interval=0.2)
    whisper.click()
    phones.wait_for(lambda: next((c for c in supervisor_phone.incoming if c.state == 5), None), 15)
    phones.idle(3.0)
    expert.stop_recording()
    caller.call.stop_recording()
    assert tone_share(heard, 1000) > 0.2, "the expert hears the supervisor's whisper"
    assert tone_share(overheard, 1000) < 0.05, "the caller must not hear it"
    page.context.close()
    expert_hangs_up(phones, app, linkedid, expert, 1)
    caller.hang_up()

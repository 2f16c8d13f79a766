"""The triage agent's browser console on a real Asterisk: Debian's chromium (Playwright) registers over
WebRTC, takes a pjsua2 caller's call, classifies it, transfers it to an expert behind the trunk, and the
caller rates the answer; screenshots of each step land in test-artifacts/console/."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from callcenter.asterisk import process
from tests.integration.browser import (
    SCREENSHOTS,
    badge_states,
    by_testid,
    chromium_refusing_the_microphone,
    log_in,
    screenshot,
    watch_connection_badge,
)
from tests.integration.callers import OPEN, Caller
from tests.integration.experts import LI, accepted_call, expert_hangs_up, on_duty, rate, transfer_state
from tests.integration.phones import Phones, PublicNetwork
from tests.integration.stack import AppProcess, get_json, poll, post_json, send

# The moment of the hotline's calendar these calls happen at: an open Tuesday morning.
pytestmark = pytest.mark.moment(OPEN)

# Agent 1003 serves Aksu and the province; the caller's landline is in Aksu (area code 0997).
AGENT = "1003"
AKSU_LANDLINE = "09972345678"
USERNAME = "console-agent"
PASSWORD = "console-agent-password-1"


@pytest.fixture(scope="session")
def agent_account(app: AppProcess) -> tuple[str, str]:
    """A login of the application for agent 1003 (the console issues the SIP account from it)."""
    status, body = send(
        app.settings,
        "POST",
        "/api/users",
        {
            "username": USERNAME,
            "display_name": "李明",
            "role": "agent",
            "agent_id": AGENT,
            "password": PASSWORD,
        },
        app.settings.admin_token_value(),
    )
    assert status == 201, body
    return USERNAME, PASSWORD


@pytest.fixture
def console(
    browser: Browser, app: AppProcess, agent_account: tuple[str, str], request: pytest.FixtureRequest
) -> Iterator[Page]:
    """The agent's console, logged in and registered, not yet ready. What the page logged is kept in
    test-artifacts/console/<test>.log."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    logged: list[str] = []
    page.on("console", lambda message: logged.append(f"{time.time():.3f} {message.type}: {message.text}"))
    log_in(page, app.settings, *agent_account)
    expect(page.locator(by_testid("sip-status"))).to_have_attribute(
        "data-state", "registered", timeout=10_000
    )
    yield page
    post_json(app.settings, f"/api/agents/{AGENT}/logout")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"{request.node.name}.log").write_text("\n".join(logged))
    context.close()
    assert errors == [], f"the page threw: {errors}"


def status_of(page: Page) -> str | None:
    return page.locator(by_testid("agent-status")).get_attribute("data-status")


def channel_stats(app: AppProcess) -> str:
    return process.rx(app.settings, "pjsip show channelstats")


def received_packets(stats: str, endpoint: str) -> int:
    """Packets Asterisk received on the endpoint's channel ("pjsip show channelstats": the column after
    the channel's name and its bridge id is the receive count)."""
    for line in stats.splitlines():
        if endpoint in line:
            numbers = [int(value) for value in re.findall(r"\s(\d+)\s", line)]
            return numbers[0] if numbers else 0
    return 0


def finished_recording(app: AppProcess, linkedid: str) -> dict[str, Any] | None:
    recordings = transfer_state(app, linkedid)["recordings"]
    return next((r for r in recordings if r["status"] == "complete"), None)


def test_an_agent_takes_a_call_in_the_browser_and_transfers_it_to_an_expert(
    app: AppProcess,
    console: Page,
    dial: Callable[..., Caller],
    phones: Phones,
    experts: PublicNetwork,
    caller_voice: Path,
) -> None:
    page = console
    on_duty(app, "lawyer-li")
    experts.behaviour[LI] = "accept"
    screenshot(page, "1-logged-in")

    page.click(by_testid("btn-ready"))
    expect(page.locator(by_testid("agent-status"))).to_have_attribute("data-status", "ready", timeout=10_000)
    assert get_json(app.settings, f"/api/agents/{AGENT}")["interface"] == "webrtc"

    caller = dial(AKSU_LANDLINE, speech=caller_voice)
    caller.choose_language("1")
    expect(page.locator(by_testid("call-state"))).to_have_attribute("data-state", "ringing", timeout=30_000)
    # The screen pops while the phone rings: who, from where, in which language.
    expect(page.locator(by_testid("pop-number"))).to_contain_text(AKSU_LANDLINE)
    expect(page.locator(by_testid("pop-prefecture"))).to_contain_text("阿克苏")
    expect(page.locator(by_testid("agent-status"))).to_have_attribute("data-status", "ringing")
    screenshot(page, "2-ringing")

    page.keyboard.press("Alt+a")  # the answer shortcut
    expect(page.locator(by_testid("call-state"))).to_have_attribute("data-state", "in-call", timeout=10_000)
    expect(page.locator(by_testid("agent-status"))).to_have_attribute(
        "data-status", "on-call", timeout=10_000
    )
    linkedid = caller.record(lambda c: c["agent_id"] == AGENT)["linkedid"]

    # Media both ways: the page hears the caller, Asterisk hears the page.
    poll(lambda: page.evaluate("window.__console.inboundAudio()") > 50, 10, interval=0.3)
    poll(lambda: page.evaluate("window.__console.outboundAudio()") > 50, 10, interval=0.3)
    poll(lambda: received_packets(channel_stats(app), f"agent-{AGENT}-web") > 50, 10, interval=0.5)

    # The page's keypad: RFC 4733 digits, through Asterisk, reach the caller's phone.
    page.click(by_testid("keypad-5"))
    page.click(by_testid("keypad-hash"))
    phones.wait_for(lambda: caller.call.digits_received == "5#", 5)

    page.click(by_testid("calltype-consultation"))
    page.click(by_testid("category-labour"))
    page.fill(by_testid("caller-name"), "张三")
    page.fill(by_testid("notes"), "拖欠工资三个月")
    page.click(by_testid("btn-classify"))
    order = page.locator(by_testid("work-order"))
    expect(order).to_have_attribute("data-number", re.compile(r".+"), timeout=10_000)
    number = order.get_attribute("data-number")
    expect(page.locator(by_testid("expert-lawyer-li"))).to_be_visible(timeout=10_000)
    screenshot(page, "3-classified")

    page.click(by_testid("transfer-blind-lawyer-li"))
    expert = accepted_call(phones, experts, app, linkedid, LI)
    expect(page.locator(by_testid("transfer-status"))).to_have_attribute(
        "data-status", "accepted", timeout=15_000
    )
    expect(page.locator(by_testid("call-state"))).not_to_have_attribute("data-state", "in-call")
    screenshot(page, "4-transferred")
    phones.idle(1.5)  # caller and expert talk
    expert_hangs_up(phones, app, linkedid, expert, 1)
    rating = rate(phones, app, caller, linkedid, "1")
    assert (rating["code"], rating["agent_id"], rating["expert_id"]) == ("satisfied", AGENT, "lawyer-li")

    state = poll(
        lambda: (
            (s := transfer_state(app, linkedid))["recordings"]
            and s["recordings"][0]["status"] == "complete"
            and s
        ),
        15,
    )
    assert state["recordings"][0]["size_bytes"] > 8000
    status, detail = send(
        app.settings, "GET", f"/api/calls/{linkedid}/work-order", token=app.settings.admin_token_value()
    )
    assert status == 200, detail
    assert (detail["number"], detail["linkedid"], detail["category"], detail["caller_name"]) == (
        number,
        linkedid,
        "labour",
        "张三",
    )
    assert rating["work_order_id"] is not None
    screenshot(page, "5-rated")


def test_a_simple_consultation_answered_by_the_agent_is_closed_with_the_answer(
    app: AppProcess, console: Page, dial: Callable[..., Caller], phones: Phones, caller_voice: Path
) -> None:
    page = console
    page.keyboard.press("Alt+r")  # the ready shortcut
    expect(page.locator(by_testid("agent-status"))).to_have_attribute("data-status", "ready", timeout=10_000)
    page.check(by_testid("auto-answer"))
    caller = dial(AKSU_LANDLINE, speech=caller_voice)
    caller.choose_language("1")
    expect(page.locator(by_testid("call-state"))).to_have_attribute("data-state", "in-call", timeout=30_000)
    linkedid = caller.record(lambda c: c["agent_id"] == AGENT)["linkedid"]
    # The caller's history: every earlier call of this number is listed.
    earlier = [
        c for c in get_json(app.settings, f"/api/calls?caller={AKSU_LANDLINE}") if c["linkedid"] != linkedid
    ]
    history = page.locator(by_testid("history-calls"))
    expect(history).to_have_attribute("data-count", str(min(len(earlier), 10)), timeout=10_000)

    page.click(by_testid("calltype-consultation"))
    page.click(by_testid("category-marriage-family"))
    page.click(by_testid("btn-classify"))
    order = page.locator(by_testid("work-order"))
    expect(order).to_have_attribute("data-number", re.compile(r".+"), timeout=10_000)
    page.fill(by_testid("answer-text"), "离婚诉讼可向被告住所地人民法院起诉。")
    page.click(by_testid("btn-close-answered"))
    expect(order).to_have_attribute("data-state", "closed", timeout=10_000)
    page.keyboard.press("Alt+h")  # the hang-up shortcut
    phones.wait_for(lambda: caller.call.disconnected, 10)
    expect(page.locator(by_testid("agent-status"))).to_have_attribute(
        "data-status", re.compile("wrap-up|ready"), timeout=10_000
    )
    screenshot(page, "6-closed")
    status, detail = send(
        app.settings, "GET", f"/api/calls/{linkedid}/work-order", token=app.settings.admin_token_value()
    )
    assert status == 200, detail
    assert (detail["state"], detail["category"], detail["reply"]) == (
        "closed",
        "marriage-family",
        "离婚诉讼可向被告住所地人民法院起诉。",
    )


def test_the_console_says_when_the_app_goes_away_and_resynchronises_when_it_is_back(
    app: AppProcess, console: Page
) -> None:
    page = console
    page.click(by_testid("btn-pause"))
    expect(page.locator(by_testid("agent-status"))).to_have_attribute("data-status", "paused", timeout=10_000)
    reason = page.locator(by_testid("pause-reason")).input_value()
    assert get_json(app.settings, f"/api/agents/{AGENT}")["paused_reason"] == reason
    # Every state the connection badge takes, seen by the page itself while the app restarts.
    watch_connection_badge(page)
    app.restart()
    expect(page.locator(by_testid("ws-status"))).to_have_attribute("data-state", "online", timeout=20_000)
    assert "lost" in badge_states(page), "the agent was told the connection dropped"
    # The restarted app rebuilt the agent from Asterisk: still paused, on the browser softphone.
    expect(page.locator(by_testid("agent-status"))).to_have_attribute("data-status", "paused")
    agent = get_json(app.settings, f"/api/agents/{AGENT}")
    assert (agent["status"], agent["interface"], agent["paused_reason"]) == ("paused", "webrtc", reason)
    expect(page.locator(by_testid("sip-status"))).to_have_attribute("data-state", "registered")
    screenshot(page, "7-paused-after-reconnect")


def test_a_session_that_runs_out_unregisters_and_asks_for_the_login_again(
    app: AppProcess, browser: Browser, agent_account: tuple[str, str]
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()

    def shortened(route: Route) -> None:
        # The app's real login, with a token that runs out in three seconds of the server's clock (the
        # app's, days away from the machine's: the page must judge by it, not by its own).
        response = route.fetch()
        body = response.json()
        server_now = datetime.fromisoformat(response.headers["x-hotline-time"])
        body["expires_at"] = (server_now + timedelta(seconds=3)).isoformat()
        route.fulfill(response=response, json=body)

    page.route("**/api/auth/login", shortened)
    log_in(page, app.settings, *agent_account)
    expect(page.locator(by_testid("sip-status"))).to_have_attribute(
        "data-state", "registered", timeout=10_000
    )
    expect(page.locator(by_testid("login-username"))).to_be_visible(timeout=10_000)
    expect(page.locator(by_testid("login-error"))).to_contain_text("会话已过期")
    # The softphone went with the session: Asterisk has no contact of the agent's browser any more.
    poll(lambda: "agent-1003-web/" not in process.rx(app.settings, "pjsip show contacts"), 10, interval=0.3)
    context.close()


def test_a_refused_microphone_is_said_clearly(
    app: AppProcess, browser: Browser, agent_account: tuple[str, str]
) -> None:
    with chromium_refusing_the_microphone(browser) as refusing:
        page = refusing.new_context(viewport={"width": 1366, "height": 768}).new_page()
        log_in(page, app.settings, *agent_account)
        mic = page.locator(by_testid("mic-status"))
        expect(mic).to_have_attribute("data-state", "denied", timeout=10_000)
        expect(mic).to_contain_text("麦克风")
        # Ready without a microphone would take callers the agent cannot talk to.
        page.click(by_testid("btn-ready"))
        expect(page.locator(by_testid("message"))).to_contain_text("麦克风")
        assert get_json(app.settings, f"/api/agents/{AGENT}")["logged_in"] is False
        screenshot(page, "8-microphone-refused")

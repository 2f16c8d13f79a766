"""Integration fixtures: real Asterisk 22, the real app process, real Redis; started once per session.

Every test that uses the app states the moment of the hotline's calendar it runs at, with
``@pytest.mark.moment("2026-11-24T10:00:00+08:00")`` (or a module's ``pytestmark``): the app's clock is
started there (CC_CLOCK_START), so nothing depends on the hour at which the suite runs. A test that
states none fails. When a test that placed calls fails, its report says what each call did.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from callcenter.asterisk import process
from callcenter.hotline import agent_endpoint
from callcenter.settings import Settings
from tests.integration.browser import chromium
from tests.integration.callers import OPEN, Caller, agent, at
from tests.integration.diagnosis import describe_calls
from tests.integration.experts import EXPERTS_CSV, admin_token, on_duty
from tests.integration.phones import PhoneAccount, Phones, PublicNetwork
from tests.integration.stack import AppProcess, free_port, isolated_settings, post_json, send

# The public network answers on a loopback address of its own (see Phones.public_network).
TRUNK_HOST = "127.0.0.2"


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = tmp_path_factory.mktemp("stack")
    rtp_start = 30000 + (os.getpid() % 200) * 100
    return isolated_settings(
        base,
        f"test-{os.getpid()}",
        rtp_start,
        hotline_config=Path(__file__).parent / "hotline.toml",
        spool_ingest_interval_seconds=0.5,
        ami_reconnect_seconds=1,
        trunk_host=TRUNK_HOST,
        trunk_port=free_port(socket.SOCK_DGRAM),
        # Never the real clock: each test then moves it to the moment it states (hotline_moment).
        clock_start=datetime.fromisoformat(OPEN),
        clock_anchor=datetime.now(UTC),
    )


@pytest.fixture(scope="session")
def asterisk(stack_settings: Settings) -> Iterator[process.AsteriskStatus]:
    status = process.start(stack_settings)
    try:
        yield status
    finally:
        process.stop(stack_settings)
        # CC_TEST_KEEP_ASTERISK=1 keeps the instance (its log above all) for a look after a failure.
        if not os.environ.get("CC_TEST_KEEP_ASTERISK"):
            shutil.rmtree(stack_settings.asterisk_instance_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def app(
    asterisk: process.AsteriskStatus, stack_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppProcess]:
    application = AppProcess(stack_settings, Path(tmp_path_factory.mktemp("app")) / "app.log")
    application.start()
    try:
        yield application
    finally:
        application.stop()


DIALLED = pytest.StashKey[list[str]]()


@pytest.fixture(autouse=True)
def hotline_moment(request: pytest.FixtureRequest) -> None:
    """The app's clock at the moment the test states (restarted only when it is elsewhere)."""
    if "app" not in request.fixturenames:
        return
    marker = request.node.get_closest_marker("moment")
    if marker is None or not marker.args:
        pytest.fail(
            f"{request.node.nodeid} uses the app but states no moment of the hotline's calendar: "
            'mark it @pytest.mark.moment("YYYY-MM-DDTHH:MM:SS+08:00")',
            pytrace=False,
        )
    at(request.getfixturevalue("app"), str(marker.args[0]))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    numbers = item.stash.get(DIALLED, [])
    if report.failed and report.when == "call" and numbers:
        application: AppProcess | None = getattr(item, "funcargs", {}).get("app")
        settings = application.settings if application else item.funcargs.get("stack_settings")
        if settings is not None:
            text = describe_calls(settings, numbers, application.log_path if application else None)
            report.sections.append(("what the calls did", text))
    return report


@pytest.fixture(autouse=True)
def no_channels_left(request: pytest.FixtureRequest, stack_settings: Settings) -> Iterator[None]:
    """Every integration test leaves Asterisk without channels, whatever it did."""
    yield
    if "asterisk" in request.fixturenames and process.status(stack_settings).running:
        process.rx(stack_settings, "channel request hangup all")


@pytest.fixture(scope="session")
def phones() -> Iterator[Phones]:
    session = Phones()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture(scope="session")
def agent_phones(
    asterisk: process.AsteriskStatus, stack_settings: Settings, phones: Phones
) -> dict[str, PhoneAccount]:
    """The triage agents' phones, registered once and answering every call at once."""
    registrar = f"{stack_settings.sip_host}:{stack_settings.sip_port}"
    return {
        agent_id: phones.register(
            registrar,
            agent_endpoint(agent_id),
            stack_settings.generated_secret(agent_endpoint(agent_id)),
            # The phone registers its own address of record, which is the endpoint's name.
            agent_endpoint(agent_id),
            auto_answer=True,
        )
        for agent_id in ("1001", "1002")
    }


def speak(path: Path, text: str) -> Path:
    """Mandarin speech from espeak-ng, as 16-bit mono WAV: what a test phone says."""
    subprocess.run(
        ["espeak-ng", "-v", "cmn-latn-pinyin", "-w", str(path), text], check=True, capture_output=True
    )
    return path


@pytest.fixture(scope="session")
def network(
    stack_settings: Settings, phones: Phones, tmp_path_factory: pytest.TempPathFactory
) -> PublicNetwork:
    """The public phone network behind the trunk: every expert's mobile and landline, each answering
    with the same advice."""
    network = phones.public_network(stack_settings.trunk_host, stack_settings.trunk_port)
    network.speech = speak(
        tmp_path_factory.mktemp("experts") / "answer.wav",
        "根据劳动合同法，用人单位应当按时足额支付劳动报酬，您可以先向劳动监察大队投诉。",
    )
    return network


@pytest.fixture(scope="session")
def caller_voice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak(tmp_path_factory.mktemp("callers") / "question.wav", "我想咨询一下拖欠工资的问题，谢谢。")


def dialled(request: pytest.FixtureRequest, number: str) -> None:
    """Note a number the test calls from: its calls are described if the test fails."""
    request.node.stash.setdefault(DIALLED, []).append(number)


@pytest.fixture
def dial(request: pytest.FixtureRequest, app: AppProcess, phones: Phones) -> Iterator[Callable[..., Caller]]:
    callers: list[Caller] = []

    def make(number: str, speech: Path | None = None) -> Caller:
        dialled(request, number)
        caller = Caller(phones, app.settings, number, speech)
        callers.append(caller)
        return caller

    yield make
    for caller in callers:
        caller.release()


@pytest.fixture
def agents(
    app: AppProcess, agent_phones: dict[str, PhoneAccount], phones: Phones
) -> Iterator[dict[str, PhoneAccount]]:
    """Agents 1001 (Urumqi + province) and 1002 (Ili + Kashgar) logged in and ready."""
    settings = app.settings
    for agent_id, phone in agent_phones.items():
        phone.incoming.clear()
        post_json(settings, f"/api/agents/{agent_id}/login")
        post_json(settings, f"/api/agents/{agent_id}/ready")
    phones.wait_for(
        lambda: all(
            agent(settings, a)["logged_in"] and not agent(settings, a)["paused"] for a in agent_phones
        ),
        10,
        interval=0.2,
    )
    yield agent_phones
    for agent_id in agent_phones:
        post_json(settings, f"/api/agents/{agent_id}/logout")
    phones.wait_for(lambda: not any(agent(settings, a)["logged_in"] for a in agent_phones), 10, interval=0.2)


@pytest.fixture
def experts(app: AppProcess, network: PublicNetwork) -> Iterator[PublicNetwork]:
    """The experts of EXPERTS_CSV, nobody on duty until a test says who (on_duty)."""
    status, body = send(app.settings, "PUT", "/api/experts.csv", EXPERTS_CSV, admin_token(app), "text/csv")
    assert status == 200, body
    network.behaviour.clear()
    yield network
    network.behaviour.clear()
    on_duty(app)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, driven by Playwright (see tests/integration/browser.py for its flags)."""
    with chromium() as launched:
        yield launched

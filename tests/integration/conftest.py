"""Integration fixtures: real Asterisk 22, the real app process, real Redis; started once per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.asterisk import process
from callcenter.hotline import agent_endpoint
from callcenter.settings import Settings
from tests.integration.phones import PhoneAccount, Phones
from tests.integration.stack import AppProcess, isolated_settings


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
    )


@pytest.fixture(scope="session")
def asterisk(stack_settings: Settings) -> Iterator[process.AsteriskStatus]:
    status = process.start(stack_settings)
    try:
        yield status
    finally:
        process.stop(stack_settings)
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

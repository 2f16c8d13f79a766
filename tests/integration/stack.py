"""A real stack for integration tests: this session's own Asterisk instance, the app, and SIPp phones."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from callcenter.settings import PROJECT_DIR, Settings

SIPP_DIR = Path(__file__).parent / "sipp"
# Waits are limits, never durations: a passing wait returns as soon as its condition holds. On a loaded
# 2-core machine (CI beside another job) every limit a test states stretches this many times, and an
# answer of the app may take this long.
PATIENCE = 3.0
HTTP_TIMEOUT_SECONDS = 30.0
T = TypeVar("T")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def isolated_settings(
    base: Path, instance: str, rtp_start: int, rtp_ports: int = 100, **changes: Any
) -> Settings:
    """Settings for a stack of its own: its Asterisk instance, free ports, state under ``base``."""
    return Settings(
        asterisk_instance=instance,
        data_dir=base / "data",
        recordings_dir=base / "recordings",
        database_url=f"sqlite:///{base / 'data' / 'callcenter.sqlite3'}",
        sip_port=free_port(),
        ami_port=free_port(),
        agi_port=free_port(),
        http_port=free_port(),
        asterisk_http_port=free_port(),
        rtp_port_start=rtp_start,
        rtp_port_end=rtp_start + rtp_ports - 1,
        demo=True,
        # Its own channels and rate-limit counters on the shared Redis.
        redis_namespace=f"cc12348-{instance}",
        **changes,
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """The same settings, as the CC_* environment a child process reads."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CC_")}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[f"CC_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


def poll(condition: Callable[[], T | None], seconds: float = 20.0, interval: float = 0.1) -> T:
    """Wait for a condition instead of sleeping a fixed time; fails with the last value seen."""
    deadline = time.monotonic() + seconds * PATIENCE
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {seconds * PATIENCE} s (last value {value!r})")
        time.sleep(interval)


def pushed(socket: Any, wanted: Callable[[dict[str, Any]], Any], seconds: float, what: str) -> dict[str, Any]:
    """The first message a websocket pushes that is ``wanted`` (others pass by), within the stretched
    limit; ``what`` names who was not told, for the failure."""
    deadline = time.monotonic() + seconds * PATIENCE
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{what} was not told in time")
        message: dict[str, Any] = json.loads(socket.recv(timeout=remaining))
        if wanted(message):
            return message


def staff_headers(settings: Settings) -> dict[str, str]:
    """The admin token stands for a staff login (supervisor or administrator) in these tests."""
    return {"Authorization": f"Bearer {settings.admin_token_value()}"}


def get_json(settings: Settings, path: str) -> Any:
    request = urllib.request.Request(
        f"http://{settings.http_host}:{settings.http_port}{path}", headers=staff_headers(settings)
    )
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
        return json.loads(response.read())


def server_now(settings: Settings) -> datetime:
    """The app's clock, as every answer of the app states it (X-Hotline-Time)."""
    url = f"http://{settings.http_host}:{settings.http_port}/api/health"
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_SECONDS) as response:
        return datetime.fromisoformat(response.headers["X-Hotline-Time"])


def post_json(settings: Settings, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"http://{settings.http_host}:{settings.http_port}{path}",
        data=json.dumps(body or {}).encode(),
        headers={"Content-Type": "application/json"} | staff_headers(settings),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise AssertionError(f"POST {path}: {error.code} {error.read().decode(errors='replace')}") from None


def send(
    settings: Settings,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
    content_type: str = "application/json",
) -> tuple[int, Any]:
    """Any request; returns (status, parsed JSON or text) whatever the status."""
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"http://{settings.http_host}:{settings.http_port}{path}", data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    text = raw.decode(errors="replace")
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text


def work_orders_of(settings: Settings, caller: str) -> list[dict[str, Any]]:
    """The caller's work orders, as staff see them (the admin token stands for a staff login)."""
    status, page = send(
        settings, "GET", f"/api/work-orders?caller={caller}", token=settings.admin_token_value()
    )
    assert status == 200, page
    items: list[dict[str, Any]] = page["items"]
    return items


def newest_call(settings: Settings, caller: str) -> dict[str, Any] | None:
    """The caller's last call placed. Not the first of the API's list, which is by the calls' start on the
    app's clock: tests move that clock back and forth between moments (a call on National Day comes after
    one on a Tuesday in November)."""
    calls: list[dict[str, Any]] = get_json(settings, f"/api/calls?caller={caller}&limit=500")
    return max(calls, key=lambda call: call["id"]) if calls else None


class AppProcess:
    """The call centre application as it runs in production: ``python -m callcenter run``."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.settings.clock_start is None:
            # The wall clock's hour would decide open or closed: a test would pass by luck of the hour.
            raise AssertionError("the app under test needs its clock's start (clock_start) stated")
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child keeps writing to it)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "callcenter", "run"],
            cwd=PROJECT_DIR,
            env=settings_env(self.settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        poll(self._healthy, seconds=30)

    def _healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"the app exited: {self.log_path.read_text()[-3000:]}")
        try:
            health = get_json(self.settings, "/api/health")
        except OSError:
            return False
        return bool(health["ami"] and health["fastagi"] and health["database"])

    def restart(self, **changes: Any) -> None:
        """The app again with changed settings (e.g. clock_start): what a restart with new env does."""
        self.stop()
        self.settings = self.settings.model_copy(update=changes)
        self.start()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def place_call(
    settings: Settings,
    caller_number: str,
    service: str = "12348",
    scenario: str = "caller_waits_for_bye.xml",
    timeout_seconds: int = 60,
    hold_ms: int = 3000,
) -> subprocess.CompletedProcess[str]:
    """One call from the public network, through the demo caller account, as ``caller_number``."""
    command = [
        "sipp", f"{settings.sip_host}:{settings.sip_port}",
        "-sf", str(SIPP_DIR / scenario),
        "-s", service,
        "-key", "caller_number", caller_number,
        "-au", settings.demo_caller_username,
        "-ap", settings.demo_caller_password.get_secret_value(),
        "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)),
        "-mi", "127.0.0.1", "-mp", str(free_port(socket.SOCK_DGRAM)),
        "-m", "1", "-l", "1", "-d", str(hold_ms),
        "-timeout", f"{timeout_seconds}s", "-timeout_error",
        "-nostdin", "-nd",
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout_seconds + 10, check=False)

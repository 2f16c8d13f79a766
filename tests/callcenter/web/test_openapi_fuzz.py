"""schemathesis against the running app's own OpenAPI document: whatever a client sends, no 5xx.

The app runs as it does in production (``python -m callcenter run``), on SQLite and the real Redis; its
Asterisk is absent, so AMI actions meet "unreachable", which must be a clear 503, never a 500.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from callcenter.settings import PROJECT_DIR
from tests.integration.stack import get_json, isolated_settings, poll, settings_env

# The suite runs the same examples every time (a CI run must not fail by chance); CC_FUZZ_RANDOM=1 and
# CC_FUZZ_EXAMPLES=200 go looking for new ones.
FUZZ_RANDOM = os.environ.get("CC_FUZZ_RANDOM") == "1"
FUZZ_EXAMPLES = int(os.environ.get("CC_FUZZ_EXAMPLES", "15"))


@pytest.fixture(scope="module")
def running_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    base = tmp_path_factory.mktemp("fuzz")
    app_settings = isolated_settings(
        base,
        f"fuzz-{os.getpid()}",
        47000,
        hotline_config=PROJECT_DIR / "config" / "hotline.toml",
        seed_experts_csv=PROJECT_DIR / "config" / "demo-experts.csv",
        seed_roster_csv=PROJECT_DIR / "config" / "demo-roster.csv",
        seed_units_csv=PROJECT_DIR / "config" / "demo-units.csv",
        clock_start="2026-11-24T10:00:00+08:00",
    )
    log = open(base / "app.log", "wb")  # noqa: SIM115 (the child writes to it)
    process = subprocess.Popen(
        [sys.executable, "-m", "callcenter", "run"],
        cwd=PROJECT_DIR,
        env=settings_env(app_settings),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://{app_settings.http_host}:{app_settings.http_port}"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError((base / "app.log").read_text()[-3000:])
        try:
            return bool(get_json(app_settings, "/api/health")["database"])
        except OSError:
            return False

    poll(up, seconds=30, interval=0.2)
    try:
        yield url, app_settings.admin_token_value()
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()
        text = Path(base / "app.log").read_text(errors="replace")
        # A 5xx the checks below missed would still have left its traceback here.
        assert "Traceback" not in text, text[-5000:]


def test_no_request_makes_a_server_error(running_app: tuple[str, str]) -> None:
    """Every operation of the document, each with generated requests, with and without the admin token
    (so the fuzzing reaches past the login checks): no answer is a 5xx, but for 503 (Asterisk away)."""
    url, token = running_app
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30, "the document lists the API"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=not FUZZ_RANDOM,
        )
        def exercise(case: schemathesis.Case) -> None:
            for headers in ({"Authorization": f"Bearer {token}"}, {}):
                response = case.call(base_url=url, headers=headers)
                if response.status_code >= 500 and response.status_code != 503:
                    answer = f"{response.status_code}: {response.text[:200]}"
                    failures.append(f"{case.method} {case.formatted_path} -> {answer}")

        exercise()
    assert failures == []

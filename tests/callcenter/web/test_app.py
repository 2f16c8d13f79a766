"""The application shell: every answer carries the app's time and the hotline's zone for the pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from callcenter.clock import Clock
from callcenter.web.app import HealthChecks, create_app
from tests.fakes import always_true

# A rehearsal's clock, days away from the machine's (CC_CLOCK_START).
REHEARSAL = datetime(2027, 10, 8, 1, 30, tzinfo=UTC)


async def test_every_answer_says_the_apps_time_and_the_hotlines_zone() -> None:
    clock = Clock(REHEARSAL)
    app = create_app(
        HealthChecks(database=always_true, redis=always_true, ami=lambda: True, fastagi=lambda: True),
        now=clock.now,
        zone="Asia/Urumqi",
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        for path in ("/api/health", "/api/no-such-thing"):
            response = await http.get(path)
            stamped = datetime.fromisoformat(response.headers["x-hotline-time"])
            assert abs(stamped - REHEARSAL) < timedelta(seconds=5), path
            assert response.headers["x-hotline-zone"] == "Asia/Urumqi"

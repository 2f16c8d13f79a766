"""One clock: with the app's clock started days away from the machine's (CC_CLOCK_START), one call
answered, transferred to an expert and rated leaves every instant on the app's day, and the figures of
that day (the API's and the wallboard's) count it.

Asterisk stamps with the machine's clock; the app puts those stamps on its own (callcenter.clock), the
same way for AMI events, the dialplan's epochs and the fallback spool.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.integration.callers import Caller
from tests.integration.experts import LI, accepted_call, expert_hangs_up, on_duty, rate, transfer_state
from tests.integration.phones import PhoneAccount, Phones, PublicNetwork
from tests.integration.stack import AppProcess, get_json, poll, post_json, server_now, work_orders_of
from tests.integration.test_transfer import CALLER as TRANSFER_CALLER
from tests.integration.test_transfer import with_agent
from tests.integration.test_wallboard import next_message, wallboard

# A Tuesday morning a week before the suite's default moment, and so at least 17 days before any real
# date this suite runs on (written on 2026-12-04).
MOMENT = "2026-11-17T10:00:00+08:00"
APP_DAY = date(2026, 11, 17)
SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = [pytest.mark.moment(MOMENT), pytest.mark.any_hour]


def instants(value: Any, path: str = "") -> Iterator[tuple[str, datetime]]:
    """Every instant in a JSON answer (keys ending in _at, and history events' at), with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if (key.endswith("_at") or key == "at") and isinstance(item, str):
                yield where, datetime.fromisoformat(item)
            else:
                yield from instants(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from instants(item, f"{path}[{index}]")


def test_a_call_days_away_from_the_machines_clock_lands_on_the_apps_day(
    app: AppProcess,
    dial: Callable[..., Caller],
    agents: dict[str, PhoneAccount],
    phones: Phones,
    experts: PublicNetwork,
    caller_voice: Path,
) -> None:
    began = server_now(app.settings)
    assert began.astimezone(SHANGHAI).date() == APP_DAY, "the app's clock is at the stated moment"
    assert datetime.now(SHANGHAI).date() - APP_DAY >= timedelta(days=3), "days away from the machine's"
    on_duty(app, "lawyer-li")
    experts.behaviour[LI] = "accept"

    with wallboard(app) as socket:
        first = json.loads(socket.recv(timeout=10))
        assert datetime.fromisoformat(first["at"]).astimezone(SHANGHAI).date() == APP_DAY
        caller, linkedid, _agent_call = with_agent(app, dial, phones, agents, caller_voice)
        post_json(
            app.settings, f"/api/calls/{linkedid}/transfer", {"agent_id": "1001", "expert_id": "lawyer-li"}
        )
        expert = accepted_call(phones, experts, app, linkedid, LI)
        phones.idle(1.5)
        expert_hangs_up(phones, app, linkedid, expert, 1)
        assert rate(phones, app, caller, linkedid, "1")["code"] == "satisfied"
        state = poll(
            lambda: (
                (s := transfer_state(app, linkedid))["call"]["ended_at"]
                and s["recordings"]
                and s["recordings"][0]["status"] == "complete"
                and s
            ),
            20,
        )
        pushed = next_message(
            socket,
            phones,
            lambda m: m["type"] == "figures" and m["figures"]["total"]["rated"] >= 1,
            30,
        )
    ended = server_now(app.settings)

    [order] = [o for o in work_orders_of(app.settings, TRANSFER_CALLER) if o["linkedid"] == linkedid]
    assert order["number"].startswith(APP_DAY.strftime("%Y%m%d")), order["number"]
    detail = get_json(app.settings, f"/api/work-orders/{order['number']}")
    call = get_json(app.settings, f"/api/calls/{linkedid}")
    stamped = [
        *instants(call, "call"),
        *instants(state["legs"], "legs"),
        *instants(state["recordings"], "recordings"),
        *instants(state["rating"], "rating"),
        *instants({k: v for k, v in detail.items() if not k.endswith("due_at")}, "order"),
    ]
    names = {where for where, _ in stamped}
    for needed in (
        "call.started_at",
        "call.answered_at",
        "call.queue_joined_at",
        "call.agent_answered_at",
        "call.classified_at",
        "call.ended_at",
        "legs[0].ring_at",
        "legs[0].answered_at",
        "legs[0].ended_at",
        "rating.rated_at",
        "order.created_at",
        "order.history[0].at",
    ):
        assert needed in names, f"{needed} missing from {sorted(names)}"
    # Asterisk stamped some of these an instant before the app saw them: a little slack before `began`.
    earliest = began - timedelta(seconds=5)
    for where, instant in stamped:
        assert earliest <= instant <= ended, f"{where} = {instant} is not on the app's clock"
        assert instant.astimezone(SHANGHAI).date() == APP_DAY, where

    # The app's day counts the call, in the API and on the wallboard: the only call of that day.
    report = get_json(app.settings, f"/api/statistics?day={APP_DAY.isoformat()}")
    for source in (report["total"], pushed["figures"]["total"]):
        assert (source["offered"], source["answered"], source["abandoned"]) == (1, 1, 0), source
        assert (source["transfers"], source["transfers_accepted"]) == (1, 1), source
        assert (source["rated"], source["satisfied"]) == (1, 1), source

"""What the calls of a failed integration test did, for its failure report: "condition not met within
15 s" alone says nothing of where a call went.

For each caller number the test dialled: the app's record of its newest calls (entry route, next step,
queue, agent, outcome, hangup cause), then Asterisk's own log of the call's channels (the dialplan
contexts and priorities it executed, the FastAGI routes it asked, its hangup), then the app's log lines
about it, and the channels Asterisk still has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from callcenter.asterisk import process
from callcenter.settings import Settings
from tests.integration.stack import get_json

RECORD_FIELDS = (
    "linkedid",
    "channel",
    "started_at",
    "entry_route",
    "next_step",
    "language",
    "prefecture",
    "queue",
    "agent_id",
    "outcome",
    "transfer_status",
    "hangup_cause",
    "hangup_cause_text",
    "ended_at",
)
# Asterisk's verbose lines about a channel: dialplan steps, AGI requests, hangups.
ASTERISK_STEP = re.compile(r"Executing \[|AGI|hangup|Hangup|spawn extension", re.IGNORECASE)
LINES_PER_CALL = 25


def describe_calls(settings: Settings, numbers: Iterable[str], app_log: Path | None) -> str:
    sections: list[str] = []
    for number in dict.fromkeys(numbers):
        sections.append(_describe_number(settings, number, app_log))
    sections.append("Asterisk's channels now:\n" + _channels(settings))
    return "\n\n".join(sections)


def _describe_number(settings: Settings, number: str, app_log: Path | None) -> str:
    try:
        calls: list[dict[str, Any]] = get_json(settings, f"/api/calls?caller={number}&limit=500")
        # The last ones placed (the app's clock may have been moved back between tests).
        calls = sorted(calls, key=lambda call: call["id"], reverse=True)[:2]
    except Exception as error:  # the app may be what failed
        return f"caller {number}: the app did not answer ({error!r})"
    if not calls:
        return f"caller {number}: no call recorded by the app"
    parts: list[str] = []
    for call in calls:
        facts = ", ".join(
            f"{name}={call.get(name)!r}" for name in RECORD_FIELDS if call.get(name) is not None
        )
        parts.append(f"caller {number}, call {call['linkedid']}: {facts}")
        channel = str(call.get("channel") or "")
        if channel:
            parts.append("  Asterisk, last steps of its channel:\n" + _asterisk_lines(settings, channel))
        if app_log is not None:
            parts.append("  the app's log of it:\n" + _app_lines(app_log, str(call["linkedid"])))
    return "\n".join(parts)


def _asterisk_lines(settings: Settings, channel: str) -> str:
    lines = _tail(
        process.log_file(settings), lambda line: channel in line and bool(ASTERISK_STEP.search(line))
    )
    return _indent(lines) or "    (nothing in Asterisk's log)"


def _app_lines(app_log: Path, linkedid: str) -> str:
    lines = _tail(app_log, lambda line: f"[call {linkedid}]" in line)
    return _indent(lines) or "    (nothing in the app's log)"


def _channels(settings: Settings) -> str:
    try:
        return process.rx(settings, "core show channels verbose", timeout=5).strip() or "(none)"
    except Exception as error:
        return f"(Asterisk did not answer: {error!r})"


def _tail(path: Path, wanted: Any) -> list[str]:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if wanted(line)][-LINES_PER_CALL:]


def _indent(lines: list[str]) -> str:
    return "\n".join(f"    {line[:300]}" for line in lines)

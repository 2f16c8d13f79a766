"""Callers and agents for integration tests: a caller on a pjsua2 phone dialling 12348, the app's clock,
and waiting for an agent to have the caller."""

from __future__ import annotations

import wave
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from callcenter.settings import Settings
from tests.integration.phones import PhoneAccount, PhoneCall, Phones
from tests.integration.stack import AppProcess, get_json, newest_call

OPEN = "2026-11-24T10:00:00+08:00"


def at(app: AppProcess, moment: str) -> None:
    """The app with its clock started at ``moment`` now (restarted only when it is elsewhere). Later
    restarts with the same settings carry on the same clock (the anchor stays)."""
    start = datetime.fromisoformat(moment)
    if app.settings.clock_start != start:
        app.restart(clock_start=start, clock_anchor=datetime.now(UTC))


def prompt_seconds(settings: Settings, language: str, name: str) -> float:
    with wave.open(str(settings.prompts_cache_dir / language / f"{name}.wav"), "rb") as prompt:
        return prompt.getnframes() / prompt.getframerate()


class Caller:
    """A caller from the public network on a pjsua2 phone, dialling 12348."""

    def __init__(self, phones: Phones, settings: Settings, number: str, speech: Path | None = None) -> None:
        self.phones = phones
        self.settings = settings
        self.number = number
        account = phones.caller(
            settings.demo_caller_username, settings.demo_caller_password.get_secret_value(), number
        )
        self.account: PhoneAccount = account
        self._earlier = {c["linkedid"] for c in get_json(settings, f"/api/calls?caller={number}&limit=500")}
        self.call: PhoneCall = phones.call(
            account, f"sip:12348@{settings.sip_host}:{settings.sip_port}", speech
        )
        phones.wait_for(lambda: self.call.state == 5, 10)  # PJSIP_INV_STATE_CONFIRMED

    def choose_language(self, *keys: str) -> None:
        """Press each key once the menu is playing: after the welcome, then after each retry prompt."""
        # Asterisk's Answer() and the entry route come before the welcome: two seconds of margin, well
        # inside the menu and its two-second wait.
        self.phones.idle(prompt_seconds(self.settings, "zh", "cc-welcome") + 2.0)
        for index, key in enumerate(keys):
            if index:
                self.phones.idle(prompt_seconds(self.settings, "zh", "cc-invalid-choice") + 2.0)
            self.call.press(key)
            self.phones.idle(0.3)

    def record(self, condition: Any = None, seconds: float = 30) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            call = newest_call(self.settings, self.number)
            if call is None or call["linkedid"] in self._earlier:
                return None
            return call if condition is None or condition(call) else None

        return self.phones.wait_for(check, seconds, interval=0.2)

    def hang_up(self) -> None:
        self.call.hang_up()
        self.phones.wait_for(lambda: self.call.disconnected, 10)

    def release(self) -> None:
        """pjsua2 holds at most eight accounts: each caller gives its own back."""
        if not self.call.disconnected:
            self.hang_up()
        self.phones.unregister(self.account)


def agent(settings: Settings, agent_id: str) -> dict[str, Any]:
    result: dict[str, Any] = get_json(settings, f"/api/agents/{agent_id}")
    return result


def answered_by(app: AppProcess, phones: Phones, agents: dict[str, PhoneAccount], agent_id: str) -> PhoneCall:
    """The agent's phone answered and Asterisk connected the caller (the app shows the agent's call):
    a caller hanging up any sooner would count as abandoned."""
    call = phones.wait_for(lambda: next((c for c in agents[agent_id].incoming if c.state == 5), None), 30)
    phones.wait_for(lambda: connected_call(app, agent_id), 10, interval=0.1)
    return call


def connected_call(app: AppProcess, agent_id: str) -> dict[str, Any] | None:
    """The caller the agent is talking to, as the app shows it (not one still ringing)."""
    call: dict[str, Any] | None = get_json(app.settings, f"/api/agents/{agent_id}/call")["call"]
    return call if call is not None and call["phase"] == "connected" else None

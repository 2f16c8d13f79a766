from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from agi import variables
from agi.entry import make_entry_route
from callcenter.services.calls import CallService
from callcenter.services.spool import SpoolWriter
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from tests.fakes import RecordingPublisher


class FakeChannel:
    def __init__(self, env: dict[str, str], refuse: set[str] | None = None) -> None:
        self._env = env
        self.variables: dict[str, str] = {}
        self._refuse = refuse or set()

    @property
    def env(self) -> Mapping[str, str]:
        return self._env

    def arg(self, position: int) -> str:
        return self._env.get(f"agi_arg_{position}", "")

    async def set_variable(self, name: str, value: str) -> None:
        if name in self._refuse:
            raise RuntimeError("channel gone")
        self.variables[name] = value


ENV = {
    "agi_uniqueid": "9.1",
    "agi_channel": "PJSIP/demo-caller-00000009",
    "agi_callerid": "13912345678",
    "agi_arg_1": "9.1",
    "agi_arg_2": "12348",
    "agi_arg_3": "1795485587.303",
    "agi_arg_4": "1795485587.804",
}


async def test_entry_records_the_call_and_answers_the_dialplan(database: Database, tmp_path: Path) -> None:
    repository = CallRepository(database)
    calls = CallService(repository, RecordingPublisher(), SpoolWriter(tmp_path / "spool"))
    route = make_entry_route(calls)
    channel = FakeChannel(dict(ENV))
    await route(channel)
    await calls.drain()
    assert channel.variables[variables.ENTRY_STATUS] == variables.STATUS_OK
    assert channel.variables[variables.NEXT_STEP] == "greeting"
    record = await repository.get("9.1")
    assert record is not None
    assert (record.caller_number, record.dialed_number, record.entry_route) == ("13912345678", "12348", "app")
    assert record.started_at is not None and record.answered_at is not None
    assert record.answered_at > record.started_at


class BrokenService:
    def decide_entry(self, call: object) -> object:
        raise LookupError("no routing configuration")


async def test_a_failing_decision_sends_the_dialplan_to_its_fallback() -> None:
    route = make_entry_route(BrokenService())  # type: ignore[arg-type]
    channel = FakeChannel(dict(ENV))
    await route(channel)
    assert channel.variables == {variables.ENTRY_STATUS: variables.STATUS_ERROR}

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from pathlib import Path

import pytest

from callcenter.clock import Clock
from callcenter.hotline import load_hotline
from callcenter.main import entry_policy
from callcenter.services.calls import CallService
from callcenter.services.ivr import IvrService, MessagePolicy
from callcenter.services.spool import SpoolWriter
from callcenter.settings import PROJECT_DIR
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from callcenter.store.work_orders import NewWorkOrder, WorkOrderRepository
from tests.fakes import RecordingPublisher


class FakeChannel:
    """What a FastAGI route sees of its channel; records what the route answers."""

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


IvrFactory = Callable[[datetime], tuple[IvrService, CallService, WorkOrderRepository]]


@pytest.fixture
async def make_ivr(database: Database, tmp_path: Path) -> AsyncIterator[IvrFactory]:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    built: list[CallService | IvrService] = []

    def build(now: datetime) -> tuple[IvrService, CallService, WorkOrderRepository]:
        calls = CallService(CallRepository(database), RecordingPublisher(), SpoolWriter(tmp_path / "spool"))
        built.append(calls)
        orders = WorkOrderRepository(database)
        messages = MessagePolicy(
            max_seconds=60,
            silence_seconds=3,
            min_voiced_seconds=2.0,
            host_dir=tmp_path / "messages",
            in_root_dir=Path("/srv/cc12348-recordings/test/messages"),
        )
        ivr = IvrService(entry_policy(hotline), messages, calls, orders, NewWorkOrder, Clock(now))
        built.insert(0, ivr)
        return ivr, calls, orders

    yield build
    # Writes a route left running must finish before the database goes.
    for service in built:
        await service.drain()

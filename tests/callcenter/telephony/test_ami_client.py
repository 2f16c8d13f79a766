"""The AMI client against a small AMI speaker on loopback: login, actions, loss and recovery logged once."""

from __future__ import annotations

import asyncio
import logging

import pytest

from callcenter.telephony.ami import actions
from callcenter.telephony.ami.client import AmiActionError, AmiClient, AmiUnreachableError
from callcenter.telephony.ami.events import ChannelHungUp


class FakeAmi:
    """Speaks just enough of the AMI protocol: banner, Login, Ping, an error action, and events."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def start(self, port: int = 0) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", port, reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()
        self.writers.clear()

    def emit(self, headers: dict[str, str]) -> None:
        for writer in self.writers:
            writer.write("".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode() + b"\r\n")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                headers = dict(line.split(": ", 1) for line in block.decode().split("\r\n") if ": " in line)
                action, action_id = headers.get("Action", ""), headers.get("ActionID", "")
                if action == "Login":
                    reply = "Response: Success\r\nMessage: Authentication accepted\r\n"
                elif action == "Hangup":
                    reply = "Response: Error\r\nMessage: No such channel\r\n"
                else:
                    reply = "Response: Success\r\nPing: Pong\r\n"
                writer.write(f"{reply}ActionID: {action_id}\r\n\r\n".encode())
        except (asyncio.IncompleteReadError, ConnectionError):
            pass


async def wait_for(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


async def test_actions_events_and_one_log_line_per_outage(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="callcenter.telephony.ami.client")
    fake = FakeAmi()
    await fake.start()
    client = AmiClient("127.0.0.1", fake.port, "callcenter", "secret", reconnect_seconds=1)
    received: list[object] = []

    async def collect(event: object) -> None:
        received.append(event)

    client.subscribe(collect)
    await client.start()
    try:
        assert await client.wait_connected(5)
        await actions.ping(client)
        with pytest.raises(AmiActionError) as refused:
            await actions.hangup(client, "PJSIP/nobody-00000001")
        assert refused.value.code == "ami-action-failed"

        fake.emit(
            {"Event": "Hangup", "Channel": "PJSIP/x", "Uniqueid": "1.1", "Linkedid": "1.1", "Cause": "16"}
        )
        await wait_for(lambda: received)
        assert isinstance(received[0], ChannelHungUp)

        port = fake.port
        await fake.stop()
        await wait_for(lambda: not client.connected)
        with pytest.raises(AmiUnreachableError) as unreachable:
            await actions.ping(client)
        assert unreachable.value.code == "ami-unreachable"
        await asyncio.sleep(2.5)  # several reconnect attempts fail while the server is away
        await fake.start(port)
        await wait_for(lambda: client.connected)
    finally:
        await client.stop()
        await fake.stop()

    messages = [r.getMessage() for r in caplog.records if r.name.startswith("callcenter")]
    assert sum("lost" in m for m in messages) == 1
    assert sum("recovered" in m for m in messages) == 1

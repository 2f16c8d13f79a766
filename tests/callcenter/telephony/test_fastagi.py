"""The FastAGI server against a client that speaks for Asterisk, byte for byte, on loopback."""

from __future__ import annotations

import asyncio

from agi.channel import AgiChannel
from callcenter.telephony.fastagi import FastAgiServer, parse_agi_headers


async def asterisk_request(port: int, script: str, answers: list[bytes]) -> list[str]:
    """Send an AGI request like Asterisk does and answer each command in turn; returns the commands."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"agi_network: yes\nagi_network_script: {script}\nagi_channel: PJSIP/x-1\n"
        "agi_uniqueid: 5.1\nagi_callerid: 13912345678\nagi_arg_1: 5.1\nagi_arg_2: 12348\n\n".encode()
    )
    await writer.drain()
    commands = []
    for answer in answers:
        line = await asyncio.wait_for(reader.readline(), 2)
        if not line:
            break
        commands.append(line.decode().strip())
        writer.write(answer)
        await writer.drain()
    rest = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert rest == b"", "the server closes the connection when the route is done"
    return commands


async def test_route_gets_its_arguments_and_sets_variables() -> None:
    seen: dict[str, str] = {}

    async def route(channel: AgiChannel) -> None:
        seen.update(caller=channel.env["agi_callerid"], linkedid=channel.arg(1), missing=channel.arg(9))
        await channel.set_variable("CC_PROMPT", 'say "hi"')
        await channel.set_variable("CC_ENTRY_STATUS", "ok")

    server = FastAgiServer({"entry": route}, "127.0.0.1", 0)
    await server.start()
    try:
        port = server._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        commands = await asterisk_request(port, "entry", [b"200 result=1\n", b"200 result=1\n"])
    finally:
        await server.stop()
    assert seen == {"caller": "13912345678", "linkedid": "5.1", "missing": ""}
    assert commands == ['SET VARIABLE CC_PROMPT "say \\"hi\\""', 'SET VARIABLE CC_ENTRY_STATUS "ok"']


async def test_refused_command_raises_into_the_route() -> None:
    outcome: list[str] = []

    async def route(channel: AgiChannel) -> None:
        try:
            await channel.set_variable("CC_X", "1")
        except Exception as error:
            outcome.append(getattr(error, "code", ""))

    server = FastAgiServer({"entry": route}, "127.0.0.1", 0)
    await server.start()
    try:
        port = server._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        await asterisk_request(port, "entry", [b"511 Command Not Permitted on a dead channel\n"])
    finally:
        await server.stop()
    assert outcome == ["agi-command-failed"]


async def test_unknown_route_and_truncated_request_are_closed_cleanly() -> None:
    server = FastAgiServer({}, "127.0.0.1", 0)
    await server.start()
    try:
        port = server._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        assert await asterisk_request(port, "nosuchroute", []) == []
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"agi_network: yes\n")
        writer.close()
        await writer.wait_closed()
        assert server.listening
    finally:
        await server.stop()
    assert not server.listening


def test_header_parsing_keeps_values_with_colons() -> None:
    assert parse_agi_headers(b"agi_network_script: entry?x=1\nagi_callerid: a: b\njunk\n\n") == {
        "agi_network_script": "entry?x=1",
        "agi_callerid": "a: b",
    }

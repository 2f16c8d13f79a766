"""AMI actions, one function each: they build the action and leave errors to the client's typed ones."""

from __future__ import annotations

from typing import Any

from callcenter.telephony.ami.client import AmiClient


async def ping(client: AmiClient) -> None:
    await client.send({"Action": "Ping"})


async def command(client: AmiClient, cli_command: str) -> str:
    response = await client.send({"Action": "Command", "Command": cli_command})
    return str(getattr(response, "content", "") or "")


async def hangup(client: AmiClient, channel: str, cause: int = 16) -> None:
    await client.send({"Action": "Hangup", "Channel": channel, "Cause": str(cause)})


async def core_show_channels(client: AmiClient) -> list[dict[str, Any]]:
    responses = await client.send({"Action": "CoreShowChannels"}, as_list=True)
    return [dict(item) for item in responses if item.get("Event") == "CoreShowChannel"]

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


async def queue_add(client: AmiClient, queue: str, interface: str, member_name: str) -> None:
    await client.send(
        {
            "Action": "QueueAdd",
            "Queue": queue,
            "Interface": interface,
            "MemberName": member_name,
            "StateInterface": interface,
            "Paused": "false",
        }
    )


async def queue_remove(client: AmiClient, queue: str, interface: str) -> None:
    await client.send({"Action": "QueueRemove", "Queue": queue, "Interface": interface})


async def queue_pause(client: AmiClient, interface: str, paused: bool, reason: str = "") -> None:
    """Pause or resume the member in every queue it is in."""
    action = {"Action": "QueuePause", "Interface": interface, "Paused": "true" if paused else "false"}
    if reason:
        action["Reason"] = reason
    await client.send(action)


async def queue_status(client: AmiClient) -> list[dict[str, Any]]:
    """Every queue member as Asterisk knows it (QueueMember events of a QueueStatus)."""
    responses = await client.send({"Action": "QueueStatus"}, as_list=True)
    return [dict(item) for item in responses if item.get("Event") == "QueueMember"]

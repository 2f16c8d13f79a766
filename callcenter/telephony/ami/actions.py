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
    return await _queue_status_events(client, "QueueMember")


async def queue_entries(client: AmiClient) -> list[dict[str, Any]]:
    """Every caller waiting in a queue now (QueueEntry events of a QueueStatus: Queue, Position,
    Uniqueid, CallerIDNum, Wait in seconds)."""
    return await _queue_status_events(client, "QueueEntry")


async def _queue_status_events(client: AmiClient, event: str) -> list[dict[str, Any]]:
    responses = await client.send({"Action": "QueueStatus"}, as_list=True)
    return [dict(item) for item in responses if item.get("Event") == event]


async def blind_transfer(client: AmiClient, channel: str, context: str, exten: str) -> None:
    """Sends whoever is bridged with ``channel`` to ``exten@context``; ``channel`` itself is hung up."""
    await client.send({"Action": "BlindTransfer", "Channel": channel, "Context": context, "Exten": exten})


async def attended_transfer(client: AmiClient, channel: str, context: str, exten: str) -> None:
    """``channel`` (an agent) consults ``exten@context`` while its peer waits on hold.

    The extension reaches Asterisk as DTMF: a final '#' ends it at once, where a pattern like _X. would
    otherwise wait out transferdigittimeout for more digits.
    """
    await client.send({"Action": "Atxfer", "Channel": channel, "Context": context, "Exten": f"{exten}#"})


async def cancel_attended_transfer(client: AmiClient, channel: str) -> None:
    """Ends the consultation: the transfer target is hung up and the agent is back with the caller."""
    await client.send({"Action": "CancelAtxfer", "Channel": channel})


async def originate_application(
    client: AmiClient, channel: str, application: str, data: str, caller_id: str, timeout_seconds: int
) -> None:
    """Ring ``channel`` and, once it answers, run ``application(data)`` on it (asynchronously: Asterisk
    answers the action at once, not when the phone answers)."""
    await client.send(
        {
            "Action": "Originate",
            "Channel": channel,
            "Application": application,
            "Data": data,
            "CallerID": caller_id,
            "Timeout": str(timeout_seconds * 1000),
            "Async": "true",
        }
    )


async def channels(client: AmiClient) -> list[dict[str, Any]]:
    """Every channel Asterisk has now (CoreShowChannel events: Channel, Linkedid, ChannelState, ...)."""
    responses = await client.send({"Action": "CoreShowChannels"}, as_list=True)
    return [dict(item) for item in responses if item.get("Event") == "CoreShowChannel"]

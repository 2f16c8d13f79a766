"""AMI events as they leave the adapter: frozen snake_case dataclasses, nothing of panoramisk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from callcenter.domain.calls import epoch_to_datetime

# Asterisk's AST_STATE_UP: the channel is answered.
CHANNEL_STATE_UP = "6"


@dataclass(frozen=True)
class ChannelCreated:
    channel: str
    uniqueid: str
    linkedid: str
    caller_number: str
    context: str
    exten: str
    timestamp: datetime | None


@dataclass(frozen=True)
class ChannelAnswered:
    channel: str
    uniqueid: str
    linkedid: str
    timestamp: datetime | None


@dataclass(frozen=True)
class ChannelHungUp:
    channel: str
    uniqueid: str
    linkedid: str
    cause: int
    cause_text: str
    timestamp: datetime | None


@dataclass(frozen=True)
class FullyBooted:
    timestamp: datetime | None


AmiEvent = ChannelCreated | ChannelAnswered | ChannelHungUp | FullyBooted


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def parse_event(headers: Mapping[str, str]) -> AmiEvent | None:
    """The events the application uses; every other event gives None."""
    name = headers.get("Event", "")
    timestamp = epoch_to_datetime(headers.get("Timestamp"))
    if name == "Newchannel":
        return ChannelCreated(
            channel=headers.get("Channel", ""),
            uniqueid=headers.get("Uniqueid", ""),
            linkedid=headers.get("Linkedid", ""),
            caller_number=headers.get("CallerIDNum", ""),
            context=headers.get("Context", ""),
            exten=headers.get("Exten", ""),
            timestamp=timestamp,
        )
    if name == "Newstate" and headers.get("ChannelState") == CHANNEL_STATE_UP:
        return ChannelAnswered(
            channel=headers.get("Channel", ""),
            uniqueid=headers.get("Uniqueid", ""),
            linkedid=headers.get("Linkedid", ""),
            timestamp=timestamp,
        )
    if name == "Hangup":
        return ChannelHungUp(
            channel=headers.get("Channel", ""),
            uniqueid=headers.get("Uniqueid", ""),
            linkedid=headers.get("Linkedid", ""),
            cause=_int(headers.get("Cause")),
            cause_text=headers.get("Cause-txt", ""),
            timestamp=timestamp,
        )
    if name == "FullyBooted":
        return FullyBooted(timestamp=timestamp)
    return None

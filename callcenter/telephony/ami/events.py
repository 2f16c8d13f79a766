"""AMI events as they leave the adapter: frozen snake_case dataclasses, nothing of panoramisk."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
class ChannelHangupRequested:
    """The far end (or a module) asked for the hangup; carries the cause a caller's BYE gave, which the
    final Hangup event of a channel busy in the dialplan reports as 0."""

    channel: str
    uniqueid: str
    linkedid: str
    cause: int
    timestamp: datetime | None


@dataclass(frozen=True)
class FullyBooted:
    timestamp: datetime | None


@dataclass(frozen=True)
class QueueCallerJoined:
    queue: str
    linkedid: str
    uniqueid: str
    position: int
    timestamp: datetime | None
    caller_number: str = ""


@dataclass(frozen=True)
class QueueCallerLeft:
    """The caller left a queue for whatever reason: an agent took them, they overflowed to another
    queue, chose a callback, or hung up."""

    queue: str
    linkedid: str
    uniqueid: str
    timestamp: datetime | None


@dataclass(frozen=True)
class QueueCallerAbandoned:
    queue: str
    linkedid: str
    uniqueid: str
    hold_seconds: int
    timestamp: datetime | None


@dataclass(frozen=True)
class AgentOffered:
    """A queue rings a member (AgentCalled): the agent's phone rings with this caller."""

    queue: str
    member_name: str
    interface: str
    linkedid: str
    caller_number: str
    timestamp: datetime | None
    caller_channel: str = ""
    agent_channel: str = ""


@dataclass(frozen=True)
class AgentOfferEnded:
    """The member did not answer in time (AgentRingNoAnswer); the queue tries someone else."""

    queue: str
    member_name: str
    linkedid: str
    ring_seconds: int
    timestamp: datetime | None


@dataclass(frozen=True)
class AgentConnected:
    queue: str
    member_name: str
    interface: str
    linkedid: str
    uniqueid: str
    caller_number: str
    hold_seconds: int
    ring_seconds: int
    timestamp: datetime | None
    # The caller's and the agent's channels: a transfer acts on them.
    caller_channel: str = ""
    agent_channel: str = ""


@dataclass(frozen=True)
class AgentCompleted:
    queue: str
    member_name: str
    interface: str
    linkedid: str
    hold_seconds: int
    talk_seconds: int
    reason: str
    timestamp: datetime | None


@dataclass(frozen=True)
class QueueMemberChanged:
    """A queue member as Asterisk reports it (added, paused, status change, or listed by QueueStatus)."""

    queue: str
    member_name: str
    interface: str
    paused: bool
    paused_reason: str
    status: int
    in_call: bool
    removed: bool
    timestamp: datetime | None


AmiEvent = (
    ChannelCreated
    | ChannelAnswered
    | ChannelHungUp
    | ChannelHangupRequested
    | FullyBooted
    | QueueCallerJoined
    | QueueCallerLeft
    | QueueCallerAbandoned
    | AgentOffered
    | AgentOfferEnded
    | AgentConnected
    | AgentCompleted
    | QueueMemberChanged
)
# What the application asks Asterisk for (manager.conf eventfilter): every other event costs the AMI
# reader time for nothing. Shutdown tells panoramisk the link is going away.
USED_EVENTS = (
    "Newchannel",
    "Newstate",
    "Hangup",
    "HangupRequest",
    "SoftHangupRequest",
    "FullyBooted",
    "Shutdown",
    "QueueCallerJoin",
    "QueueCallerLeave",
    "QueueCallerAbandon",
    "AgentCalled",
    "AgentRingNoAnswer",
    "AgentConnect",
    "AgentComplete",
    "QueueMemberAdded",
    "QueueMemberRemoved",
    "QueueMemberPause",
    "QueueMemberStatus",
)
MEMBER_EVENTS = frozenset(
    {"QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause", "QueueMemberStatus", "QueueMember"}
)


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


# Asterisk's epoch seconds to an instant; the app passes its clock's ``from_epoch`` (see callcenter.clock).
StampReader = Callable[[str | None], datetime | None]


def parse_event(headers: Mapping[str, str], stamp: StampReader = epoch_to_datetime) -> AmiEvent | None:
    """The events the application uses; every other event gives None. ``stamp`` reads the event's
    ``Timestamp``, which Asterisk takes from the system clock."""
    name = headers.get("Event", "")
    timestamp = stamp(headers.get("Timestamp"))
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
    if name in ("HangupRequest", "SoftHangupRequest"):
        return ChannelHangupRequested(
            channel=headers.get("Channel", ""),
            uniqueid=headers.get("Uniqueid", ""),
            linkedid=headers.get("Linkedid", ""),
            cause=_int(headers.get("Cause")),
            timestamp=timestamp,
        )
    if name == "FullyBooted":
        return FullyBooted(timestamp=timestamp)
    if name in MEMBER_EVENTS:
        return QueueMemberChanged(
            queue=headers.get("Queue", ""),
            member_name=headers.get("MemberName") or headers.get("Name", ""),
            interface=headers.get("Interface") or headers.get("Location", ""),
            paused=headers.get("Paused") == "1",
            paused_reason=headers.get("PausedReason", ""),
            status=_int(headers.get("Status")),
            in_call=headers.get("InCall") == "1",
            removed=name == "QueueMemberRemoved",
            timestamp=timestamp,
        )
    return _parse_queue_call_event(name, headers, timestamp)


def _parse_queue_call_event(
    name: str, headers: Mapping[str, str], timestamp: datetime | None
) -> AmiEvent | None:
    queue = headers.get("Queue", "")
    linkedid = headers.get("Linkedid", "")
    if name == "QueueCallerJoin":
        return QueueCallerJoined(
            queue,
            linkedid,
            headers.get("Uniqueid", ""),
            _int(headers.get("Position")),
            timestamp,
            headers.get("CallerIDNum", ""),
        )
    if name == "QueueCallerLeave":
        return QueueCallerLeft(queue, linkedid, headers.get("Uniqueid", ""), timestamp)
    if name == "QueueCallerAbandon":
        return QueueCallerAbandoned(
            queue, linkedid, headers.get("Uniqueid", ""), _int(headers.get("HoldTime")), timestamp
        )
    member = headers.get("MemberName", "")
    interface = headers.get("Interface", "")
    if name == "AgentCalled":
        return AgentOffered(
            queue=queue,
            member_name=member,
            interface=interface,
            linkedid=linkedid,
            caller_number=headers.get("CallerIDNum", ""),
            timestamp=timestamp,
            caller_channel=headers.get("Channel", ""),
            agent_channel=headers.get("DestChannel", ""),
        )
    if name == "AgentRingNoAnswer":
        return AgentOfferEnded(queue, member, linkedid, _int(headers.get("RingTime")), timestamp)
    if name == "AgentConnect":
        return AgentConnected(
            queue=queue,
            member_name=member,
            interface=interface,
            linkedid=linkedid,
            uniqueid=headers.get("Uniqueid", ""),
            caller_number=headers.get("CallerIDNum", ""),
            hold_seconds=_int(headers.get("HoldTime")),
            ring_seconds=_int(headers.get("RingTime")),
            timestamp=timestamp,
            caller_channel=headers.get("Channel", ""),
            agent_channel=headers.get("DestChannel", ""),
        )
    if name == "AgentComplete":
        return AgentCompleted(
            queue=queue,
            member_name=member,
            interface=interface,
            linkedid=linkedid,
            hold_seconds=_int(headers.get("HoldTime")),
            talk_seconds=_int(headers.get("TalkTime")),
            reason=headers.get("Reason", ""),
            timestamp=timestamp,
        )
    return None

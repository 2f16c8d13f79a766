from datetime import UTC, datetime, timedelta

from callcenter.clock import Clock
from callcenter.telephony.ami.events import (
    ChannelAnswered,
    ChannelCreated,
    ChannelHangupRequested,
    ChannelHungUp,
    FullyBooted,
    parse_event,
)

COMMON = {"Channel": "PJSIP/demo-caller-00000001", "Uniqueid": "17.1", "Linkedid": "17.1"}


def test_newchannel() -> None:
    event = parse_event(
        {
            "Event": "Newchannel",
            "Timestamp": "1795485587.5",
            "CallerIDNum": "13912345678",
            "Context": "from-public",
            "Exten": "12348",
            **COMMON,
        }
    )
    assert event == ChannelCreated(
        channel="PJSIP/demo-caller-00000001",
        uniqueid="17.1",
        linkedid="17.1",
        caller_number="13912345678",
        context="from-public",
        exten="12348",
        timestamp=datetime(2026, 11, 24, 1, 59, 47, 500000, tzinfo=UTC),
    )


def test_newstate_up_is_an_answer_and_other_states_are_ignored() -> None:
    assert isinstance(parse_event({"Event": "Newstate", "ChannelState": "6", **COMMON}), ChannelAnswered)
    assert parse_event({"Event": "Newstate", "ChannelState": "5", **COMMON}) is None


def test_hangup_with_and_without_a_cause() -> None:
    event = parse_event({"Event": "Hangup", "Cause": "17", "Cause-txt": "User busy", **COMMON})
    assert isinstance(event, ChannelHungUp)
    assert (event.cause, event.cause_text, event.timestamp) == (17, "User busy", None)
    event = parse_event({"Event": "Hangup", "Cause": "junk", **COMMON})
    assert isinstance(event, ChannelHungUp)
    assert event.cause == 0


def test_unused_events_are_dropped() -> None:
    assert parse_event({"Event": "VarSet", **COMMON}) is None
    assert parse_event({}) is None
    assert isinstance(parse_event({"Event": "FullyBooted"}), FullyBooted)


def test_hangup_request_carries_the_callers_cause() -> None:
    event = parse_event({"Event": "SoftHangupRequest", "Cause": "16", **COMMON})
    assert isinstance(event, ChannelHangupRequested)
    assert (event.cause, event.linkedid) == (16, "17.1")


def test_every_event_the_parser_knows_is_asked_for() -> None:
    import inspect

    from callcenter.telephony.ami import events

    source = inspect.getsource(events.parse_event) + inspect.getsource(events._parse_queue_call_event)
    for name in ("Newchannel", "Newstate", "Hangup", "SoftHangupRequest", "QueueCallerJoin", "AgentConnect"):
        assert f'"{name}"' in source
        assert name in events.USED_EVENTS
    assert events.MEMBER_EVENTS - {"QueueMember"} <= set(events.USED_EVENTS)


def test_the_event_stamp_is_read_by_the_apps_clock() -> None:
    """Asterisk stamps with the system clock; the client passes Clock.from_epoch, which moves the stamp
    onto a clock started elsewhere (CC_CLOCK_START)."""
    start = datetime(2027, 2, 9, 2, 0, tzinfo=UTC)  # a Tuesday morning in Shanghai, months away
    clock = Clock(start, anchor=datetime(2026, 11, 24, 1, 59, 47, tzinfo=UTC))
    event = parse_event(
        {"Event": "Newstate", "ChannelState": "6", "Timestamp": "1795485597.5", **COMMON}, clock.from_epoch
    )
    assert isinstance(event, ChannelAnswered)
    assert event.timestamp == start + timedelta(seconds=10.5)

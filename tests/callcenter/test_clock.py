"""The one clock: the app's instants, and the system's stamps (Asterisk's) put on it."""

from datetime import UTC, datetime, timedelta

import pytest

from callcenter.clock import Clock

# Built on the clock: run again at other hours of the machine's clock (make test).
pytestmark = pytest.mark.any_hour

ANCHOR = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)
START = datetime(2027, 10, 1, 2, 0, tzinfo=UTC)  # National Day, 10:00 in Shanghai


def test_the_real_clock_has_no_offset() -> None:
    clock = Clock()
    assert clock.offset == timedelta(0)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)


def test_a_started_clock_runs_on_from_its_start() -> None:
    clock = Clock(START)
    first = clock.now()
    assert abs(first - START) < timedelta(seconds=1)
    assert clock.now() >= first
    assert abs(clock.epoch() - clock.now().timestamp()) < 1


def test_an_anchor_keeps_the_same_clock_across_restarts() -> None:
    """Two processes (an app and its restart) built from the same start and anchor agree."""
    before, after = Clock(START, ANCHOR), Clock(START, ANCHOR)
    assert before.offset == after.offset == START - ANCHOR
    assert abs(before.now() - after.now()) < timedelta(seconds=1)


def test_system_stamps_are_moved_by_the_same_offset() -> None:
    clock = Clock(START, ANCHOR)
    assert clock.from_system(ANCHOR + timedelta(seconds=5)) == START + timedelta(seconds=5)
    assert clock.from_epoch(str((ANCHOR + timedelta(seconds=7)).timestamp())) == START + timedelta(seconds=7)
    assert clock.from_epoch(None) is None
    assert clock.from_epoch("junk") is None
    assert clock.from_system(None) is None


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Clock(datetime(2027, 10, 1, 10, 0))
    with pytest.raises(ValueError, match="anchor"):
        Clock(START, datetime(2026, 12, 4, 13, 0))

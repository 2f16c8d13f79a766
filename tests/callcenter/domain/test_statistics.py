"""The figures' definitions, on hand-counted days and on any day."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.domain.statistics import CallRow, Thresholds, figures, figures_by


def answered(wait: float, talk: float = 60.0, **fields: object) -> CallRow:
    return CallRow(queued=True, outcome="answered", wait_seconds=wait, talk_seconds=talk, **fields)  # type: ignore[arg-type]


def abandoned(wait: float, **fields: object) -> CallRow:
    return CallRow(queued=True, outcome="abandoned", wait_seconds=wait, **fields)  # type: ignore[arg-type]


def test_a_hand_counted_day() -> None:
    day = [
        answered(3, 100, queue="cc-urumqi", agent_id="1001"),
        answered(15, 200, queue="cc-urumqi", agent_id="1001"),  # exactly on target: within
        answered(40, 300, queue="cc-ili", agent_id="1002", transferred=True, transfer_status="accepted"),
        abandoned(2, queue="cc-urumqi"),  # short: counts against nobody
        abandoned(30, queue="cc-ili"),
        CallRow(queued=True, outcome="callback", wait_seconds=20, queue="cc-ili"),
        CallRow(queued=False, outcome="message"),  # after hours: never offered to an agent
        CallRow(queued=False, outcome=None, transferred=True, transfer_status="queue"),
        CallRow(queued=False, outcome=None, rating_status="rated", dissatisfied=False),
        CallRow(queued=False, outcome=None, rating_status="rated", dissatisfied=True),
        CallRow(queued=False, outcome=None, rating_status="none"),
    ]
    result = figures(day)
    assert (result.offered, result.answered, result.abandoned, result.short_abandoned) == (6, 3, 2, 1)
    assert result.callbacks_requested == 1
    # 6 offered, less 1 short abandon and 1 callback request: 4 counted.
    assert result.answer_rate == pytest.approx(3 / 4)
    assert result.answered_within_target == 2
    assert result.service_level == pytest.approx(2 / 4)
    assert result.average_wait_seconds == pytest.approx((3 + 15 + 40) / 3)
    assert result.longest_wait_seconds == 40
    assert result.average_talk_seconds == pytest.approx(200)
    assert (result.transfers, result.transfers_accepted, result.transfer_accepted_share) == (2, 1, 0.5)
    assert (result.rated, result.satisfied, result.satisfaction_share) == (2, 1, 0.5)

    per_queue = figures_by(day, lambda row: row.queue)
    assert list(per_queue) == ["cc-ili", "cc-urumqi"]
    assert (per_queue["cc-urumqi"].offered, per_queue["cc-urumqi"].answer_rate) == (3, 1.0)
    assert per_queue["cc-ili"].answer_rate == pytest.approx(1 / 2)
    assert set(figures_by(day, lambda row: row.agent_id)) == {"1001", "1002"}


def test_thresholds_move_the_lines() -> None:
    day = [answered(10), answered(20), abandoned(8)]
    strict = figures(day, Thresholds(service_level_seconds=5, short_abandon_seconds=10))
    assert (strict.service_level, strict.short_abandoned, strict.answer_rate) == (0.0, 1, 1.0)
    loose = figures(day, Thresholds(service_level_seconds=30, short_abandon_seconds=0))
    assert (loose.service_level, loose.answer_rate) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    with pytest.raises(ValueError):
        Thresholds(service_level_seconds=0)


def test_no_calls_gives_no_rates_rather_than_zero_or_a_division_error() -> None:
    empty = figures([])
    assert (empty.offered, empty.answer_rate, empty.service_level, empty.satisfaction_share) == (
        0,
        None,
        None,
        None,
    )
    assert (empty.average_wait_seconds, empty.longest_wait_seconds) == (None, None)


rows = st.builds(
    CallRow,
    queued=st.booleans(),
    outcome=st.sampled_from(["answered", "abandoned", "callback", "message", None]),
    wait_seconds=st.none() | st.floats(min_value=0, max_value=3600),
    talk_seconds=st.none() | st.floats(min_value=0, max_value=3600),
    transferred=st.booleans(),
    transfer_status=st.sampled_from(["accepted", "queue", "callback", None]),
    rating_status=st.sampled_from(["rated", "none", None]),
    dissatisfied=st.booleans(),
)


@given(st.lists(rows, max_size=60))
def test_any_day_adds_up(day: list[CallRow]) -> None:
    result = figures(day)
    assert result.answered + result.abandoned + result.callbacks_requested <= result.offered
    assert result.short_abandoned <= result.abandoned
    assert result.answered_within_target <= result.answered
    for share in (result.answer_rate, result.service_level, result.satisfaction_share):
        assert share is None or 0 <= share <= 1
    assert result.transfers_accepted <= result.transfers and result.satisfied <= result.rated
    # Grouping loses nothing: per-queue figures add up to the day's when every row has a queue.
    keyed = [CallRow(**{**row.__dict__, "queue": f"q{index % 3}"}) for index, row in enumerate(day)]
    assert sum(part.offered for part in figures_by(keyed, lambda row: row.queue).values()) == result.offered

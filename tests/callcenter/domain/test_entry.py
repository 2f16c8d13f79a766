from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from callcenter.domain.entry import (
    LANGUAGE_CHOSEN,
    LANGUAGE_DEFAULT,
    LANGUAGE_RETRY,
    STEP_CLOSED,
    STEP_LANGUAGE,
    STEP_QUEUE,
    decide_entry,
    decide_language,
)
from callcenter.hotline import load_hotline
from callcenter.main import entry_policy
from callcenter.settings import PROJECT_DIR

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = entry_policy(load_hotline(PROJECT_DIR / "config" / "hotline.toml"))
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)


def test_open_hours_caller_from_a_prefecture_goes_to_its_queue_after_the_language_menu() -> None:
    decision = decide_entry("13999112345", TUESDAY_10, POLICY)
    assert decision.is_open
    assert (decision.next_step, decision.after_language) == (STEP_LANGUAGE, STEP_QUEUE)
    assert (decision.queue, decision.overflow_queue) == ("urumqi", "province")
    assert decision.language_menu == ("zh/cc-press-for-language", "ug/cc-press-for-language")
    assert decision.language == "zh"


@pytest.mark.parametrize("number", ["13800138000", None, "+14155550100", "abc"])
def test_callers_outside_the_prefectures_go_to_the_province_queue_without_overflow(
    number: str | None,
) -> None:
    decision = decide_entry(number, TUESDAY_10, POLICY)
    assert (decision.queue, decision.overflow_queue) == ("province", "")


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (datetime(2026, 11, 24, 7, 59, tzinfo=SHANGHAI), False),
        (datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI), True),
        (datetime(2026, 11, 24, 20, 0, tzinfo=SHANGHAI), False),
        (datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI), False),  # National Day
        (datetime(2026, 10, 10, 10, 0, tzinfo=SHANGHAI), True),  # adjusted working Saturday
    ],
)
def test_closed_at_night_and_on_public_holidays(moment: datetime, is_open: bool) -> None:
    decision = decide_entry("09992345678", moment, POLICY)
    assert decision.is_open is is_open
    assert decision.after_language == (STEP_QUEUE if is_open else STEP_CLOSED)


def test_language_key_retry_then_default() -> None:
    chosen = decide_language("2", 1, POLICY)
    assert (chosen.status, chosen.language) == (LANGUAGE_CHOSEN, "ug")
    assert decide_language("9", 1, POLICY).status == LANGUAGE_RETRY
    assert decide_language("", 1, POLICY).status == LANGUAGE_RETRY
    last = decide_language("9", 2, POLICY)
    assert (last.status, last.language) == (LANGUAGE_DEFAULT, "zh")
    assert decide_language("1", 2, POLICY).status == LANGUAGE_CHOSEN

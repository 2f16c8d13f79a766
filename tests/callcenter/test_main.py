"""The composition root refuses to start on a day the holiday calendar does not cover."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callcenter.domain.calendar import CalendarNotCoveredError
from callcenter.main import build
from callcenter.settings import Settings


def test_an_uncovered_year_is_an_error_at_start(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, clock_start=datetime(2027, 1, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    )
    with pytest.raises(CalendarNotCoveredError) as error:
        build(settings)
    assert error.value.code == "calendar-not-covered"
    assert "2027" in error.value.message


def test_a_covered_day_builds(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, clock_start=datetime(2026, 10, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    )
    application = build(settings)
    assert application.fastagi is not None

from datetime import UTC, datetime

import pytest

from callcenter.domain.calls import CallFacts, epoch_to_datetime, hangup_cause_text, normalise_number


def test_epoch_with_milliseconds_becomes_aware_utc() -> None:
    assert epoch_to_datetime("1795485587.304") == datetime(2026, 11, 24, 1, 59, 47, 304000, tzinfo=UTC)


@pytest.mark.parametrize("junk", [None, "", "abc", "0", "-5"])
def test_epoch_junk_is_unknown(junk: str | None) -> None:
    assert epoch_to_datetime(junk) is None


@pytest.mark.parametrize("withheld", [None, "", " ", "unknown", "Anonymous", "<unknown>"])
def test_withheld_numbers_are_unknown(withheld: str | None) -> None:
    assert normalise_number(withheld) is None


def test_numbers_are_kept_as_dialled() -> None:
    assert normalise_number(" 013912345678 ") == "013912345678"


def test_hangup_cause_text_names_known_causes_and_numbers_others() -> None:
    assert hangup_cause_text(16) == "Normal Clearing"
    assert hangup_cause_text(99) == "Cause 99"


def test_known_facts_leave_out_the_unknown_ones() -> None:
    facts = CallFacts(linkedid="1.1", caller_number="123", hangup_cause=0)
    assert facts.known() == {"linkedid": "1.1", "caller_number": "123", "hangup_cause": 0}

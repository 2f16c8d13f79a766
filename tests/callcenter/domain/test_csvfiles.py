"""Uploaded CSV files the csv module chokes on are clear errors with their line, never a crash (the
OpenAPI fuzzing found a carriage return inside a field giving a 500)."""

from __future__ import annotations

import pytest

from callcenter.domain.csvfiles import csv_rows
from callcenter.domain.experts import ExpertInvalidError, RosterError, parse_experts_csv, parse_roster_csv
from callcenter.domain.organisation import UnitInvalidError, parse_units_csv
from callcenter.errors import CallCenterError


class UploadError(CallCenterError):
    code = "upload-invalid"


def test_rows_come_with_their_physical_lines() -> None:
    rows = list(csv_rows('\ufeffa,b\r\n"x\ny", z \r\n\r\nc,d\n', UploadError, "the file"))
    assert rows == [(1, ["a", "b"]), (3, ["x\ny", "z"]), (4, []), (5, ["c", "d"])]


def test_a_field_beyond_the_csv_limit_is_an_error_with_its_line() -> None:
    text = "a,b\n" + "c," + "x" * 200_000 + "\n"
    with pytest.raises(UploadError) as raised:
        list(csv_rows(text, UploadError, "the file"))
    assert raised.value.details["errors"][0]["line"] == 2


@pytest.mark.parametrize(
    ("parse", "error", "text"),
    [
        (parse_roster_csv, RosterError, "expert_id,when,start,end\nli\r,working-days,08:00,20:00\n"),
        (
            parse_experts_csv,
            ExpertInvalidError,
            "id,name,kind,organisation,phones,categories,prefectures,max_concurrent_calls\n"
            "li,李\r律师,lawyer,律所,13900000001,labour,,1\n",
        ),
        (parse_units_csv, UnitInvalidError, "code,name,level,parent,head\nxj,新疆\r,province,,\n"),
        (parse_roster_csv, RosterError, "expert_id,when,start,end\nli," + "x" * 200_000 + ",08:00,20:00\n"),
    ],
)
def test_every_upload_parser_turns_unreadable_csv_into_its_own_error(
    parse: object, error: type[CallCenterError], text: str
) -> None:
    with pytest.raises(error):
        parse(text)  # type: ignore[operator]

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.domain.experts import (
    EXPERT_CSV_COLUMNS,
    Expert,
    ExpertInvalidError,
    ExpertKind,
    RosterError,
    experts_to_csv,
    parse_experts_csv,
    parse_roster_csv,
)

HEADER = ",".join(EXPERT_CSV_COLUMNS)

EXPERTS = [
    Expert(
        id="lawyer-wang",
        name="王律师",
        kind=ExpertKind.LAWYER,
        organisation="新疆天山律师事务所, 乌鲁木齐",
        phones=("13900000001", "09911234567"),
        categories=frozenset({"labour", "contract"}),
        prefectures=frozenset({"urumqi"}),
        max_concurrent_calls=2,
    ),
    Expert(
        id="duty-ma",
        name='马 "值班" 员',
        kind=ExpertKind.DUTY_OFFICIAL,
        organisation="自治区司法厅",
        phones=("13900000002",),
        categories=frozenset({"other"}),
        prefectures=frozenset(),
    ),
]


def test_round_trip_keeps_every_field_and_the_dialling_order() -> None:
    text = experts_to_csv(EXPERTS)
    assert text.splitlines()[0] == HEADER
    # Sets are sorted, lists keep their order: exports of the same data are identical.
    assert "13900000001;09911234567" in text
    assert "contract;labour" in text
    assert parse_experts_csv(text) == EXPERTS
    assert experts_to_csv(parse_experts_csv(text)) == text


def test_bom_blank_rows_any_column_order_spaces_and_default_capacity() -> None:
    text = (
        "\ufeffname,id,kind,organisation,phones,categories,prefectures,max_concurrent_calls\r\n"
        ",,,,,,,\r\n"
        "李公证员, notary-li ,Notary,乌鲁木齐公证处, 13900000003 ; 09911234567 ,notarization;,,\r\n"
    )
    [expert] = parse_experts_csv(text)
    assert expert.id == "notary-li"
    assert expert.kind is ExpertKind.NOTARY
    assert expert.phones == ("13900000003", "09911234567")
    assert expert.categories == frozenset({"notarization"})
    assert expert.prefectures == frozenset()
    assert expert.max_concurrent_calls == 1


def test_every_bad_row_is_reported_with_its_physical_line() -> None:
    text = (
        f"{HEADER}\n"
        "ok-1,甲,lawyer,所,13900000001,labour,,1\n"
        "\n"
        "bad-kind,乙,judge,所,13900000002,labour,,1\n"
        "bad-phone,丙,lawyer,所,12345,labour,,1\n"
        'multi,"丁\n续",lawyer,所,13900000004,labour,,x\n'
        "ok-1,戊,lawyer,所,13900000005,labour,,1\n"
        "short,己,lawyer\n"
        "Bad_Id,庚,lawyer,所,13900000006,labour,,1\n"
        "no-category,辛,lawyer,所,13900000007,,,1\n"
    )
    with pytest.raises(ExpertInvalidError) as caught:
        parse_experts_csv(text)
    error = caught.value
    assert (error.code, error.http_status) == ("expert-invalid", 422)
    # Still a RosterError: callers that catch the roster's errors catch these too.
    assert isinstance(error, RosterError)
    lines = [item["line"] for item in error.details["errors"]]
    # The quoted name spans lines 6-7: the row is reported where it ends, as the reader counts lines.
    assert lines == [4, 5, 7, 8, 9, 10, 11]
    problems = {item["line"]: item["problem"] for item in error.details["errors"]}
    assert "judge" in problems[4]
    assert "12345" in problems[5]
    assert "max_concurrent_calls" in problems[7]
    assert "already on line 2" in problems[8]
    assert "expected 8 fields, got 3" in problems[9]
    assert "[a-z0-9-]+" in problems[10]
    assert "no consultation category" in problems[11]
    assert "line 4" in error.message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "missing header"),
        ("id,name\n", "missing column(s): kind"),
        (f"{HEADER},extra\n", "unknown column(s): 'extra'"),
        (f"{HEADER},id\n", "duplicated column(s): id"),
    ],
)
def test_header_problems_stop_the_parse(text: str, problem: str) -> None:
    with pytest.raises(ExpertInvalidError) as caught:
        parse_experts_csv(text)
    assert problem in caught.value.details["errors"][0]["problem"]


def test_the_callers_check_adds_problems_with_their_lines() -> None:
    def known_categories(expert: Expert) -> Iterable[str]:
        unknown = sorted(expert.categories - {"labour"})
        return [f"unknown category {code}" for code in unknown]

    text = f"{HEADER}\nok,甲,lawyer,所,13900000001,labour,,1\nodd,乙,lawyer,所,13900000002,labour;tax,,1\n"
    with pytest.raises(ExpertInvalidError) as caught:
        parse_experts_csv(text, known_categories)
    assert caught.value.details["errors"] == [{"line": 3, "problem": "unknown category tax"}]
    assert len(parse_experts_csv(text.replace(";tax", ""), known_categories)) == 2


def test_the_roster_parse_takes_a_check_too() -> None:
    text = "expert_id,when,start,end\nknown,mon,08:00,12:00\nghost,tue,08:00,12:00\n"
    with pytest.raises(RosterError) as caught:
        parse_roster_csv(text, lambda entry: [] if entry.expert_id == "known" else ["unknown expert"])
    assert caught.value.details["errors"] == [{"line": 3, "problem": "unknown expert"}]


_ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,11}", fullmatch=True)
_words = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=12
).filter(lambda text: text.strip() == text and text.strip() != "")
_codes = st.frozensets(st.from_regex(r"[a-z][a-z-]{0,9}", fullmatch=True), max_size=3)
_phones = st.lists(
    st.from_regex(r"1[0-9]{10}|0[0-9]{9,11}", fullmatch=True), min_size=1, max_size=3, unique=True
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.builds(
            Expert,
            id=_ids,
            name=_words,
            kind=st.sampled_from(ExpertKind),
            organisation=_words,
            phones=_phones.map(tuple),
            categories=_codes.filter(bool),
            prefectures=_codes,
            max_concurrent_calls=st.integers(1, 20),
        ),
        max_size=5,
        unique_by=lambda expert: expert.id,
    )
)
def test_any_valid_experts_survive_a_round_trip(experts: list[Expert]) -> None:
    assert parse_experts_csv(experts_to_csv(experts)) == experts

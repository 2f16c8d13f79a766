# Every place string asserted here is what phonenumbers 9.0.x's zh geocoder returns for that number.
from __future__ import annotations

from collections.abc import Callable

import pytest

from callcenter.domain.region import (
    CallerRegion,
    NumberKind,
    Prefecture,
    RegionConfigError,
    RegionTable,
    locate,
)
from callcenter.errors import CallCenterError

URUMQI_MOBILE = "新疆乌鲁木齐市"
URUMQI_LANDLINE = "新疆维吾尔自治区乌鲁木齐市"
ILI = "新疆伊犁哈萨克自治州"
KASHGAR = "新疆喀什地区"
AKSU = "新疆阿克苏地区"
KARAMAY = "新疆克拉玛依市"


@pytest.fixture
def xinjiang() -> RegionTable:
    # Ürümqi has no places on purpose: its name alone must find it.
    return RegionTable(
        province="新疆",
        prefectures=(
            Prefecture("urumqi", "乌鲁木齐市", area_codes=("0991",)),
            Prefecture("ili", "伊犁哈萨克自治州", places=("伊犁",), area_codes=("0999",)),
            Prefecture("kashgar", "喀什地区", places=("喀什",), area_codes=("0998",)),
            Prefecture("aksu", "阿克苏地区", area_codes=("0997",)),
            Prefecture("karamay", "克拉玛依市", area_codes=("0990",)),
        ),
    )


def code_of(region: CallerRegion) -> str | None:
    return region.prefecture.code if region.prefecture else None


@pytest.mark.parametrize(
    ("number", "national", "place", "code"),
    [
        ("13999112345", "13999112345", URUMQI_MOBILE, "urumqi"),
        ("+8613999112345", "13999112345", URUMQI_MOBILE, "urumqi"),
        ("008613999112345", "13999112345", URUMQI_MOBILE, "urumqi"),
        ("8613999112345", "13999112345", URUMQI_MOBILE, "urumqi"),
        ("86 139 9911 2345", "13999112345", URUMQI_MOBILE, "urumqi"),
        ("+86 139-9911-2345", "13999112345", URUMQI_MOBILE, "urumqi"),
        (" 13999112345 ", "13999112345", URUMQI_MOBILE, "urumqi"),
        # Switches put the trunk 0 before mobiles from outside the local network.
        ("013999112345", "13999112345", URUMQI_MOBILE, "urumqi"),
        ("18099112345", "18099112345", URUMQI_MOBILE, "urumqi"),
        ("13999371234", "13999371234", ILI, "ili"),
        ("13909991234", "13909991234", ILI, "ili"),
        ("0086 139 9937 1234", "13999371234", ILI, "ili"),
        ("13999081234", "13999081234", KASHGAR, "kashgar"),
        ("13909981234", "13909981234", KASHGAR, "kashgar"),
        ("86-139-9908-1234", "13999081234", KASHGAR, "kashgar"),
        ("13999661234", "13999661234", AKSU, "aksu"),
        ("13999301234", "13999301234", KARAMAY, "karamay"),
    ],
)
def test_xinjiang_mobiles_find_their_prefecture(
    xinjiang: RegionTable, number: str, national: str, place: str, code: str
) -> None:
    region = locate(number, xinjiang)
    assert region.kind is NumberKind.MOBILE
    assert region.national_number == national
    assert region.place == place
    assert code_of(region) == code
    assert region.in_province


@pytest.mark.parametrize(
    ("number", "national", "place", "code"),
    [
        ("09912345678", "09912345678", URUMQI_LANDLINE, "urumqi"),
        ("0991-2345678", "09912345678", URUMQI_LANDLINE, "urumqi"),
        ("(0991) 234 5678", "09912345678", URUMQI_LANDLINE, "urumqi"),
        ("+86 991 234 5678", "09912345678", URUMQI_LANDLINE, "urumqi"),
        # The trunk 0 kept after the country code is a common mistake that still reaches us.
        ("+86 0991 2345678", "09912345678", URUMQI_LANDLINE, "urumqi"),
        ("0086-991-2345678", "09912345678", URUMQI_LANDLINE, "urumqi"),
        ("869912345678", "09912345678", URUMQI_LANDLINE, "urumqi"),
        ("+869992345678", "09992345678", ILI, "ili"),
        ("008609982345678", "09982345678", KASHGAR, "kashgar"),
        ("0997 2123456", "09972123456", AKSU, "aksu"),
        ("0990 6212345", "09906212345", KARAMAY, "karamay"),
        # Kuitun's 0992 is not in the table; the geocoder places it in Ili.
        ("0992 3212345", "09923212345", ILI, "ili"),
    ],
)
def test_xinjiang_landlines_find_their_prefecture(
    xinjiang: RegionTable, number: str, national: str, place: str, code: str
) -> None:
    region = locate(number, xinjiang)
    assert region.kind is NumberKind.LANDLINE
    assert region.national_number == national
    assert region.place == place
    assert code_of(region) == code
    assert region.in_province


def test_a_xinjiang_number_of_a_prefecture_without_a_queue_goes_province_wide(xinjiang: RegionTable) -> None:
    assert locate("0902 2123456", xinjiang) == CallerRegion(
        kind=NumberKind.LANDLINE,
        national_number="09022123456",
        place="新疆哈密地区",
        prefecture=None,
        in_province=True,
    )


@pytest.mark.parametrize(
    ("number", "kind", "national", "place"),
    [
        ("13800138000", NumberKind.MOBILE, "13800138000", "北京市"),
        ("+86 138 0013 8000", NumberKind.MOBILE, "13800138000", "北京市"),
        ("02912345678", NumberKind.LANDLINE, "02912345678", "陕西省西安市、咸阳市"),
        ("029-1234-5678", NumberKind.LANDLINE, "02912345678", "陕西省西安市、咸阳市"),
        ("01012345678", NumberKind.LANDLINE, "01012345678", "北京市"),
    ],
)
def test_numbers_from_other_provinces_are_out_of_province(
    xinjiang: RegionTable, number: str, kind: NumberKind, national: str, place: str
) -> None:
    assert locate(number, xinjiang) == CallerRegion(
        kind=kind, national_number=national, place=place, prefecture=None, in_province=False
    )


@pytest.mark.parametrize(
    ("number", "place"),
    [
        ("+12025550123", "美国"),
        ("0012025550123", "美国"),
        ("+1 650 253 0000", "美国"),
        ("+44 20 7946 0958", "英国"),
        ("+852 2123 4567", "香港"),
        ("+886 2 2345 6789", "台北"),
    ],
)
def test_numbers_outside_the_86_plan_are_foreign(xinjiang: RegionTable, number: str, place: str) -> None:
    assert locate(number, xinjiang) == CallerRegion(
        kind=NumberKind.FOREIGN, national_number=None, place=place, prefecture=None, in_province=False
    )


@pytest.mark.parametrize(
    "number", [None, "", "  ", "anonymous", "Anonymous", "unknown", "restricted", "<unknown>"]
)
def test_withheld_numbers(xinjiang: RegionTable, number: str | None) -> None:
    assert locate(number, xinjiang) == CallerRegion(
        kind=NumberKind.WITHHELD, national_number=None, place="", prefecture=None, in_province=False
    )


@pytest.mark.parametrize(
    "number",
    [
        "abc",
        "12",
        "999",
        "1234",
        "1399911234",
        "139991123456",
        "+1 202 000 0000",
        "+13999112345",
        "13999112345#",
        # phonenumbers would read the letters as keypad digits and find valid numbers.
        "13999112345abc",
        "1-800-FLOWERS",
        "sip:13999112345@trunk",
        "１３９９９１１２３４５",
    ],
)
def test_garbage_is_invalid(xinjiang: RegionTable, number: str) -> None:
    assert locate(number, xinjiang) == CallerRegion(
        kind=NumberKind.INVALID, national_number=None, place="", prefecture=None, in_province=False
    )


@pytest.mark.parametrize(
    "number",
    # 123 looks like garbage, but phonenumbers lists it as a standard-rate short code in China.
    ["110", "119", "120", "122", "123", "12345", "12348", "10086", "95588", "+86 110"],
)
def test_short_numbers_are_service_numbers_without_a_place(xinjiang: RegionTable, number: str) -> None:
    region = locate(number, xinjiang)
    assert region == CallerRegion(
        kind=NumberKind.SERVICE,
        national_number=number.removeprefix("+86 "),
        place="",
        prefecture=None,
        in_province=False,
    )


def test_non_geographic_numbers_are_service_numbers(xinjiang: RegionTable) -> None:
    assert locate("400 123 4567", xinjiang) == CallerRegion(
        kind=NumberKind.SERVICE,
        national_number="4001234567",
        place="中国",
        prefecture=None,
        in_province=False,
    )


def test_an_area_coded_service_line_belongs_to_its_area(xinjiang: RegionTable) -> None:
    region = locate("0991 96110", xinjiang)
    assert region.kind is NumberKind.SERVICE
    assert region.national_number == "099196110"
    assert code_of(region) == "urumqi"
    assert region.in_province


def with_overrides(table: RegionTable, overrides: dict[str, str]) -> RegionTable:
    return RegionTable(province=table.province, prefectures=table.prefectures, overrides=overrides)


def test_an_override_moves_a_mobile_segment(xinjiang: RegionTable) -> None:
    table = with_overrides(xinjiang, {"1399937": "karamay"})
    moved = locate("13999371234", table)
    assert moved.place == ILI
    assert code_of(moved) == "karamay"
    # The neighbouring segment is still placed by the geocoder.
    assert code_of(locate("13999381234", table)) == "ili"


def test_the_longest_override_prefix_wins(xinjiang: RegionTable) -> None:
    table = with_overrides(xinjiang, {"139993": "aksu", "1399937": "karamay"})
    assert code_of(locate("13999371234", table)) == "karamay"
    assert code_of(locate("13999301234", table)) == "aksu"


def test_an_override_beats_the_area_code(xinjiang: RegionTable) -> None:
    table = with_overrides(xinjiang, {"09912": "kashgar"})
    assert code_of(locate("+86 991 234 5678", table)) == "kashgar"
    assert code_of(locate("0991 3345678", table)) == "urumqi"


def test_an_override_brings_an_outside_number_into_the_province(xinjiang: RegionTable) -> None:
    region = locate("13800138000", with_overrides(xinjiang, {"1380013": "urumqi"}))
    assert region.place == "北京市"
    assert code_of(region) == "urumqi"
    assert region.in_province


def test_an_override_can_place_a_short_number(xinjiang: RegionTable) -> None:
    region = locate("12345", with_overrides(xinjiang, {"12345": "urumqi"}))
    assert region.kind is NumberKind.SERVICE
    assert code_of(region) == "urumqi"


def test_overrides_never_apply_to_foreign_numbers(xinjiang: RegionTable) -> None:
    region = locate("+1 202 555 0123", with_overrides(xinjiang, {"202": "urumqi", "1202": "urumqi"}))
    assert region.kind is NumberKind.FOREIGN
    assert region.prefecture is None


def test_places_are_only_trusted_inside_the_province() -> None:
    # Only the province check keeps a "西安" place from claiming every Xi'an number for Xinjiang.
    table = RegionTable(province="新疆", prefectures=(Prefecture("odd", "奇台", places=("西安",)),))
    region = locate("02912345678", table)
    assert region.prefecture is None
    assert not region.in_province


def test_a_description_naming_two_prefectures_goes_province_wide() -> None:
    shaanxi = RegionTable(
        province="陕西",
        prefectures=(Prefecture("xian", "西安市"), Prefecture("xianyang", "咸阳市")),
    )
    region = locate("02912345678", shaanxi)
    assert region.place == "陕西省西安市、咸阳市"
    assert region.prefecture is None
    assert region.in_province


def test_the_table_keeps_its_own_copy_of_the_overrides(xinjiang: RegionTable) -> None:
    overrides = {"1399937": "karamay"}
    table = with_overrides(xinjiang, overrides)
    overrides["1399937"] = "nowhere"
    assert code_of(locate("13999371234", table)) == "karamay"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: Prefecture("Urumqi", "乌鲁木齐市"), id="uppercase code"),
        pytest.param(lambda: Prefecture("urumqi shi", "乌鲁木齐市"), id="space in code"),
        pytest.param(lambda: Prefecture("乌鲁木齐", "乌鲁木齐市"), id="non-ascii code"),
        pytest.param(lambda: Prefecture("urumqi_1", "乌鲁木齐市"), id="underscore in code"),
        pytest.param(lambda: Prefecture("", "乌鲁木齐市"), id="empty code"),
        pytest.param(lambda: Prefecture("urumqi\n", "乌鲁木齐市"), id="trailing newline in code"),
        pytest.param(lambda: Prefecture("urumqi", " "), id="blank name"),
        pytest.param(lambda: Prefecture("ili", "伊犁哈萨克自治州", places=("",)), id="empty place"),
        # A loader handing over a bare string instead of a list: wrong on purpose.
        pytest.param(
            lambda: Prefecture("ili", "伊犁", places="伊犁"),  # type: ignore[arg-type]
            id="places as a string",
        ),
        pytest.param(
            lambda: Prefecture("ili", "伊犁", area_codes="0999"),  # type: ignore[arg-type]
            id="area codes as a string",
        ),
        pytest.param(lambda: Prefecture("urumqi", "乌鲁木齐", area_codes=("991",)), id="area code without 0"),
        pytest.param(
            lambda: Prefecture("urumqi", "乌鲁木齐", area_codes=("09911",)), id="area code too long"
        ),
    ],
)
def test_invalid_prefectures_are_refused(make: Callable[[], object]) -> None:
    with pytest.raises(RegionConfigError) as raised:
        make()
    assert raised.value.code == "region-config-invalid"


URUMQI = Prefecture("urumqi", "乌鲁木齐市", area_codes=("0991",))
KASHGAR_PREFECTURE = Prefecture("kashgar", "喀什地区", area_codes=("0998",))


@pytest.mark.parametrize(
    ("province", "prefectures", "overrides"),
    [
        pytest.param("", (URUMQI,), {}, id="no province"),
        pytest.param("新疆", (URUMQI, Prefecture("urumqi", "米东区")), {}, id="code used twice"),
        pytest.param(
            "新疆", (URUMQI, Prefecture("midong", "米东区", area_codes=("0991",))), {}, id="area code twice"
        ),
        pytest.param(
            "新疆",
            (Prefecture("urumqi", "乌鲁木齐市", area_codes=("0991", "0991")),),
            {},
            id="area code repeated",
        ),
        pytest.param(
            "新疆",
            (URUMQI, Prefecture("north", "北疆", area_codes=("099",))),
            {},
            id="overlapping area codes",
        ),
        pytest.param("新疆", (URUMQI,), {"1399911": "kashgar"}, id="override to unknown code"),
        pytest.param(
            "新疆", (URUMQI, KASHGAR_PREFECTURE), {"+861399911": "kashgar"}, id="override prefix with +"
        ),
        pytest.param("新疆", (URUMQI, KASHGAR_PREFECTURE), {"": "kashgar"}, id="empty override prefix"),
    ],
)
def test_invalid_tables_are_refused(
    province: str, prefectures: tuple[Prefecture, ...], overrides: dict[str, str]
) -> None:
    with pytest.raises(RegionConfigError):
        RegionTable(province=province, prefectures=prefectures, overrides=overrides)


def test_a_table_without_prefectures_sends_everyone_province_wide() -> None:
    region = locate("13999112345", RegionTable(province="新疆", prefectures=()))
    assert region.prefecture is None
    assert region.in_province


def test_config_errors_are_call_center_errors() -> None:
    assert issubclass(RegionConfigError, CallCenterError)
    assert RegionConfigError.code == "region-config-invalid"

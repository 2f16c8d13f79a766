"""The caller's prefecture, found from the calling number, so the call queues to its triage seats.

Numbers are read with phonenumbers' metadata for China and placed with its Chinese geocoder. The
geocoder's wording is not stable enough to be a key: mobile segments read "新疆乌鲁木齐市" while
the 0991 landlines read "新疆维吾尔自治区乌鲁木齐市", and some prefectures still carry names from
before they were renamed ("吐鲁番地区"). That is why prefectures are matched by substrings, and why
landline area codes and explicit overrides come first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final, TypeVar

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, geocoder

from callcenter.domain.calls import normalise_number
from callcenter.errors import CallCenterError

CHINA_COUNTRY_CODE: Final = 86
CHINA_REGION: Final = "CN"
GEOCODER_LANGUAGE: Final = "zh"

# Prefecture codes end up in Asterisk queue names, where anything else needs quoting or breaks the dialplan.
_PREFECTURE_CODE: Final = re.compile(r"[a-z0-9-]+")
_AREA_CODE: Final = re.compile(r"0[0-9]{2,3}")
_NUMBER_PREFIX: Final = re.compile(r"[0-9]+")
# phonenumbers reads letters as keypad digits ("13999112345abc" becomes 13999112345222, "1-800-FLOWERS" a
# Shanxi mobile), so anything a switch would not send is refused before it gets there.
_DIALLABLE: Final = re.compile(r"\+?[0-9 ().-]+")
_SHORT_NUMBER_LENGTHS: Final = range(3, 6)

_T = TypeVar("_T")


class RegionConfigError(CallCenterError):
    code = "region-config-invalid"


class NumberKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    WITHHELD = "withheld"
    FOREIGN = "foreign"
    INVALID = "invalid"
    SERVICE = "service"


# Every other valid Chinese number (400/800/950 lines, 16x premium, area-coded 96xxx hotlines) belongs to an
# organisation rather than a subscriber, hence SERVICE.
_KINDS: Final[Mapping[int, NumberKind]] = {
    PhoneNumberType.MOBILE: NumberKind.MOBILE,
    PhoneNumberType.FIXED_LINE: NumberKind.LANDLINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: NumberKind.LANDLINE,
}


@dataclass(frozen=True)
class Prefecture:
    """A prefecture with its own triage queue; its name counts as one of its places."""

    code: str
    name: str
    places: tuple[str, ...] = ()
    area_codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if _PREFECTURE_CODE.fullmatch(self.code) is None:
            raise RegionConfigError(
                f"prefecture code {self.code!r} may hold only lowercase ascii letters, digits and '-'",
                details={"code": self.code},
            )
        if not self.name.strip():
            raise RegionConfigError(f"prefecture {self.code!r} has no name", details={"code": self.code})
        # A bare string would be taken as one place or area code per character, and "新" matches all Xinjiang.
        if isinstance(self.places, str) or isinstance(self.area_codes, str):
            raise RegionConfigError(
                f"prefecture {self.code!r}: places and area_codes must be sequences of strings, not a string",
                details={"code": self.code},
            )
        object.__setattr__(self, "places", tuple(self.places))
        object.__setattr__(self, "area_codes", tuple(self.area_codes))
        # An empty place is a substring of every description.
        if any(not place.strip() for place in self.places):
            raise RegionConfigError(
                f"prefecture {self.code!r} has an empty place", details={"code": self.code}
            )
        for area_code in self.area_codes:
            if _AREA_CODE.fullmatch(area_code) is None:
                raise RegionConfigError(
                    f"prefecture {self.code!r}: area code {area_code!r} is not 0 followed by 2 or 3 digits",
                    details={"code": self.code, "area_code": area_code},
                )


@dataclass(frozen=True)
class RegionTable:
    """The prefectures of one province; overrides map national-number prefixes to prefecture codes."""

    province: str
    prefectures: tuple[Prefecture, ...]
    overrides: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not self.province.strip():
            raise RegionConfigError("the region table names no province")
        object.__setattr__(self, "prefectures", tuple(self.prefectures))
        # Copied and read-only so the checks below stay true after the caller changes its own dict.
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

        codes: set[str] = set()
        for prefecture in self.prefectures:
            if prefecture.code in codes:
                raise RegionConfigError(
                    f"prefecture code {prefecture.code!r} is used twice", details={"code": prefecture.code}
                )
            codes.add(prefecture.code)

        # "099" and "0991" both claim 0991 numbers, so overlapping codes count as one claimed twice.
        claims = [(area_code, p.code) for p in self.prefectures for area_code in p.area_codes]
        for i, (area_code, code) in enumerate(claims):
            for other_area_code, other_code in claims[i + 1 :]:
                if area_code.startswith(other_area_code) or other_area_code.startswith(area_code):
                    raise RegionConfigError(
                        f"area code {area_code!r} of {code!r} overlaps {other_area_code!r} of {other_code!r}",
                        details={"area_code": area_code, "codes": [code, other_code]},
                    )

        for prefix, code in self.overrides.items():
            if _NUMBER_PREFIX.fullmatch(prefix) is None:
                raise RegionConfigError(
                    f"override prefix {prefix!r} is not a run of digits", details={"prefix": prefix}
                )
            if code not in codes:
                raise RegionConfigError(
                    f"override {prefix!r} points at unknown prefecture {code!r}",
                    details={"prefix": prefix, "code": code},
                )


@dataclass(frozen=True)
class CallerRegion:
    """Where a caller is; a None prefecture means the province-wide queue.

    ``national_number`` is the Chinese national number (landlines keep their leading 0). Foreign numbers get
    none: in their own national form they can pass for Chinese ones (Taipei's 02 2345 6789 reads as a 022
    Tianjin landline).
    """

    kind: NumberKind
    national_number: str | None
    place: str
    prefecture: Prefecture | None
    in_province: bool


def locate(number: str | None, table: RegionTable) -> CallerRegion:
    """The region of a calling number as a Chinese switch delivers it (+86, 0086, 86, national, short)."""
    raw = normalise_number(number)
    if raw is None:
        return _unplaced(NumberKind.WITHHELD)
    if _DIALLABLE.fullmatch(raw) is None:
        return _unplaced(NumberKind.INVALID)
    try:
        parsed = phonenumbers.parse(raw, CHINA_REGION)
    except phonenumbers.NumberParseException:
        return _unplaced(NumberKind.INVALID)

    if parsed.country_code != CHINA_COUNTRY_CODE:
        if not phonenumbers.is_valid_number(parsed):
            return _unplaced(NumberKind.INVALID)
        place = geocoder.description_for_number(parsed, GEOCODER_LANGUAGE)
        return CallerRegion(
            kind=NumberKind.FOREIGN, national_number=None, place=place, prefecture=None, in_province=False
        )

    if phonenumbers.is_valid_number(parsed):
        kind = _KINDS.get(phonenumbers.number_type(parsed), NumberKind.SERVICE)
        # The national format is what a caller inside China dials, so landlines get their trunk 0 back.
        national = _digits(phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL))
        place = geocoder.description_for_number(parsed, GEOCODER_LANGUAGE)
    else:
        # Short codes are never valid full numbers; they have their own metadata.
        national = phonenumbers.national_significant_number(parsed)
        if len(national) not in _SHORT_NUMBER_LENGTHS or not phonenumbers.is_valid_short_number_for_region(
            parsed, CHINA_REGION
        ):
            return _unplaced(NumberKind.INVALID)
        kind = NumberKind.SERVICE
        place = ""

    prefecture = _prefecture_for(table, national, place)
    return CallerRegion(
        kind=kind,
        national_number=national,
        place=place,
        prefecture=prefecture,
        in_province=prefecture is not None or table.province in place,
    )


def _unplaced(kind: NumberKind) -> CallerRegion:
    return CallerRegion(kind=kind, national_number=None, place="", prefecture=None, in_province=False)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _prefecture_for(table: RegionTable, national: str, place: str) -> Prefecture | None:
    by_code = {p.code: p for p in table.prefectures}
    override = _longest_prefix(table.overrides, national)
    if override is not None:
        return by_code[override]
    # Only area-coded numbers start with 0 in national form, so mobiles and service codes never match here.
    by_area_code = {area_code: p for p in table.prefectures for area_code in p.area_codes}
    by_area = _longest_prefix(by_area_code, national)
    if by_area is not None:
        return by_area
    # Place names repeat across provinces (there is a 朝阳 in Beijing and one in Liaoning).
    if table.province not in place:
        return None
    matches = [p for p in table.prefectures if any(name in place for name in (p.name, *p.places))]
    # A description naming two prefectures ("陕西省西安市、咸阳市") cannot choose between them.
    return matches[0] if len(matches) == 1 else None


def _longest_prefix(table: Mapping[str, _T], number: str) -> _T | None:
    for end in range(len(number), 0, -1):
        found = table.get(number[:end])
        if found is not None:
            return found
    return None

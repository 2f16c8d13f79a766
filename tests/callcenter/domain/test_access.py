from __future__ import annotations

import pytest

from callcenter.domain.access import (
    BOOTSTRAP_ADMIN,
    Principal,
    Role,
    RoleForbiddenError,
    in_scope,
    mask_phone,
    may_see_phone,
    require_role,
    unit_and_descendants,
    unit_scope,
)
from callcenter.domain.organisation import (
    PasswordInvalidError,
    RoutingRule,
    Unit,
    UnitInvalidError,
    UnitLevel,
    UnitRouting,
    User,
    UserInvalidError,
    check_password,
    default_unit,
    hierarchy_problems,
    parse_units_csv,
    units_to_csv,
)
from callcenter.settings import PROJECT_DIR

PARENTS: dict[str, str | None] = {
    "xj": None,
    "urumqi": "xj",
    "urumqi-aid": "urumqi",
    "tianshan": "urumqi",
    "tianshan-mediation": "tianshan",
    "ili": "xj",
    "ili-aid": "ili",
}


def principal(role: Role, unit: str | None = None) -> Principal:
    return Principal(user_id=7, username="someone", role=role, unit=unit)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("13912342345", "139****2345"),
        ("139 1234 2345", "139****2345"),
        ("+8613912342345", "+86139****2345"),
        ("09911234567", "0991*****67"),
        ("0991-1234567", "0991*****67"),
        ("(010)12345678", "010******78"),
        ("02112345678", "021******78"),
        ("12348", "***48"),
        ("110", "***"),
        ("", ""),
    ],
)
def test_mask_phone(number: str, masked: str) -> None:
    assert mask_phone(number) == masked


def test_mask_phone_keeps_none() -> None:
    assert mask_phone(None) is None


def test_who_sees_full_numbers() -> None:
    for role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        assert may_see_phone(role)
        assert may_see_phone(role, order_in_scope=False)
    for role in (Role.UNIT_HANDLER, Role.UNIT_HEAD):
        assert not may_see_phone(role)
        assert may_see_phone(role, order_in_scope=True)
    assert not may_see_phone(Role.EXPERT, order_in_scope=True)


def test_unit_and_descendants() -> None:
    assert unit_and_descendants("urumqi", PARENTS) == {
        "urumqi",
        "urumqi-aid",
        "tianshan",
        "tianshan-mediation",
    }
    assert unit_and_descendants("xj", PARENTS) == set(PARENTS)
    assert unit_and_descendants("ili-aid", PARENTS) == {"ili-aid"}
    # A unit the tree does not know still stands for itself.
    assert unit_and_descendants("gone", PARENTS) == {"gone"}
    # A cycle (refused by the store) does not loop.
    assert unit_and_descendants("a", {"a": "b", "b": "a"}) == {"a", "b"}


def test_unit_scope_by_role() -> None:
    assert unit_scope(principal(Role.SUPERVISOR), PARENTS) is None
    assert unit_scope(principal(Role.ADMIN), PARENTS) is None
    assert unit_scope(BOOTSTRAP_ADMIN, PARENTS) is None
    assert unit_scope(principal(Role.UNIT_HEAD, "tianshan"), PARENTS) == {"tianshan", "tianshan-mediation"}
    assert unit_scope(principal(Role.UNIT_HANDLER, "ili-aid"), PARENTS) == {"ili-aid"}
    assert unit_scope(principal(Role.AGENT), PARENTS) == frozenset()
    assert unit_scope(principal(Role.EXPERT, "urumqi"), PARENTS) == frozenset()


def test_in_scope() -> None:
    scope = unit_scope(principal(Role.UNIT_HEAD, "urumqi"), PARENTS)
    assert in_scope(scope, ["tianshan-mediation"])
    assert in_scope(scope, ["ili-aid", "urumqi-aid"])
    assert not in_scope(scope, ["ili-aid"])
    assert not in_scope(scope, [])
    assert in_scope(None, ["anything"])


def test_require_role() -> None:
    require_role(principal(Role.ADMIN), [Role.ADMIN])
    with pytest.raises(RoleForbiddenError) as raised:
        require_role(principal(Role.AGENT), [Role.SUPERVISOR, Role.ADMIN])
    assert raised.value.http_status == 403
    assert raised.value.details == {"role": "agent", "allowed": ["admin", "supervisor"]}


def test_default_unit_most_specific_wins() -> None:
    rules = (
        RoutingRule("legal-aid", "xj-aid"),
        RoutingRule("legal-aid", "ili-aid", "ili"),
        RoutingRule("notarization", "urumqi-notary", "urumqi"),
    )
    assert default_unit(rules, "legal-aid", "ili") == "ili-aid"
    assert default_unit(rules, "legal-aid", "kashgar") == "xj-aid"
    assert default_unit(rules, "legal-aid", None) == "xj-aid"
    assert default_unit(rules, "notarization", "urumqi") == "urumqi-notary"
    assert default_unit(rules, "notarization", "ili") is None
    assert default_unit(rules, "labour", "ili") is None
    assert UnitRouting(rules).default_unit("legal-aid", "ili") == "ili-aid"
    assert UnitRouting(rules).units == {"xj-aid", "ili-aid", "urumqi-notary"}


def test_unit_validation() -> None:
    with pytest.raises(UnitInvalidError, match="needs a parent"):
        Unit("urumqi", "乌鲁木齐市司法局", UnitLevel.PREFECTURE)
    with pytest.raises(UnitInvalidError, match="no parent"):
        Unit("xj", "司法厅", UnitLevel.PROVINCE, parent="other")
    with pytest.raises(UnitInvalidError, match="code"):
        Unit("Bad Code", "x", UnitLevel.PROVINCE)
    with pytest.raises(UnitInvalidError, match="its own parent"):
        Unit("a", "x", UnitLevel.OFFICE, parent="a")


def test_hierarchy_problems() -> None:
    xj = Unit("xj", "司法厅", UnitLevel.PROVINCE)
    urumqi = Unit("urumqi", "乌鲁木齐市司法局", UnitLevel.PREFECTURE, "xj")
    office = Unit("office", "司法所", UnitLevel.OFFICE, "urumqi")
    committee = Unit("committee", "调解委员会", UnitLevel.OFFICE, "office")
    units = {unit.code: unit for unit in (xj, urumqi, office, committee)}
    assert hierarchy_problems(committee, units) == []
    assert hierarchy_problems(Unit("c", "县", UnitLevel.COUNTY, "missing"), units) == [
        "parent unit missing does not exist"
    ]
    assert "cannot sit under" in hierarchy_problems(Unit("p", "州", UnitLevel.PREFECTURE, "urumqi"), units)[0]
    # Moving the office under its own committee would make a cycle.
    moved = Unit("office", "司法所", UnitLevel.OFFICE, "committee")
    assert any("below it" in problem for problem in hierarchy_problems(moved, units | {"office": moved}))


def test_user_validation() -> None:
    User("agent1", "阿依古丽", Role.AGENT, agent_id="1001")
    User("head", "负责人", Role.UNIT_HEAD, unit="urumqi")
    with pytest.raises(UserInvalidError, match="belongs to a unit"):
        User("handler", "承办人", Role.UNIT_HANDLER)
    with pytest.raises(UserInvalidError, match="needs the agent id"):
        User("agent2", "坐席", Role.AGENT)
    with pytest.raises(UserInvalidError, match="only agents"):
        User("boss", "督办", Role.SUPERVISOR, agent_id="1001")
    with pytest.raises(UserInvalidError, match="username"):
        User("Not Valid", "x", Role.ADMIN)
    with pytest.raises(PasswordInvalidError):
        check_password("short")
    check_password("long enough password")


def test_units_csv_round_trip() -> None:
    text = (PROJECT_DIR / "config" / "demo-units.csv").read_text(encoding="utf-8")
    units = parse_units_csv(text)
    assert {unit.level for unit in units} == set(UnitLevel)
    assert parse_units_csv(units_to_csv(units)) == units
    by_code = {unit.code: unit for unit in units}
    assert all(hierarchy_problems(unit, by_code) == [] for unit in units)


def test_units_csv_errors_name_their_lines() -> None:
    text = (
        "\ufeffcode,name,level,parent\nxj,司法厅,province,\nxj,again,province,\nbad,x,planet,xj\nc,x,county\n"
    )
    with pytest.raises(UnitInvalidError) as raised:
        parse_units_csv(text)
    assert [error["line"] for error in raised.value.details["errors"]] == [3, 4, 5]
    with pytest.raises(UnitInvalidError, match="header"):
        parse_units_csv("code,name\nxj,x\n")
    with pytest.raises(UnitInvalidError, match="empty"):
        parse_units_csv("\n")

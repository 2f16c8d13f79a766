"""The AGI routes and the dialplan speak through the same channel variable names."""

import re

from agi import variables
from callcenter.asterisk.config import DIALPLAN_DIR, dialplan_globals
from callcenter.hotline import load_hotline
from callcenter.settings import PROJECT_DIR
from callcenter.telephony.dialplan import INBOUND_CONTEXT

EXTENSIONS_TEMPLATE = (PROJECT_DIR / "asterisk-conf" / "extensions.conf").read_text()
DIALPLAN = "\n".join(path.read_text() for path in sorted(DIALPLAN_DIR.glob("*.conf")))
# Variables the dialplan sets itself (Set(...) or [globals]) rather than receiving from a route.
SET_BY_DIALPLAN = (
    set(re.findall(r"Set\((CC_[A-Z_]+)=", DIALPLAN))
    | set(re.findall(r"Read\((CC_[A-Z_]+),", DIALPLAN))
    | set(
        re.findall(r"^(CC_[A-Z_]+) =", (PROJECT_DIR / "asterisk-conf" / "extensions.conf").read_text(), re.M)
    )
)


def test_every_route_variable_is_read_by_the_dialplan() -> None:
    for name in variables.ROUTE_VARIABLES:
        assert "${" + name + "}" in DIALPLAN, name


def test_every_cc_variable_the_dialplan_reads_is_known() -> None:
    read = set(re.findall(r"\$\{(CC_[A-Z_]+)\}", DIALPLAN))
    unknown = read - set(variables.ROUTE_VARIABLES) - set(variables.CONFIGURATION_GLOBALS) - SET_BY_DIALPLAN
    assert unknown == set()


def test_status_values_match_the_dialplan() -> None:
    assert f'"${{{variables.ENTRY_STATUS}}}" != "{variables.STATUS_OK}"' in DIALPLAN


def test_inbound_context_exists() -> None:
    assert f"[{INBOUND_CONTEXT}]" in DIALPLAN


def test_every_subroutine_starts_with_a_params_comment() -> None:
    for path in DIALPLAN_DIR.glob("*.conf"):
        lines = path.read_text().splitlines()
        for index, line in enumerate(lines):
            if line.startswith("[cc-"):
                assert lines[index - 1].startswith("; params:"), f"{path.name}: {line}"


def test_configuration_globals_are_rendered_and_read() -> None:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    rendered = dialplan_globals(hotline)
    assert set(rendered) == set(variables.CONFIGURATION_GLOBALS)
    assert rendered[variables.LANGUAGE_MENU] == "zh/cc-press-for-language&ug/cc-press-for-language"
    for name in variables.CONFIGURATION_GLOBALS:
        assert "${" + name + "}" in DIALPLAN, name

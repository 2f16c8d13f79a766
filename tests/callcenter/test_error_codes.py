"""One set of error codes: every CallCenterError of callcenter and agi and every code the web handler
writes itself is kebab-case, belongs to one error only, and has a message in Chinese and in English on
the pages (agent_console/lib/errors.js)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections import defaultdict
from functools import cache
from types import ModuleType

import agi
import callcenter
from callcenter.errors import CallCenterError
from callcenter.settings import PROJECT_DIR

KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
WEB_DIR = PROJECT_DIR / "callcenter" / "web"
MESSAGES_FILE = PROJECT_DIR / "agent_console" / "lib" / "errors.js"
# The table: `export const ERROR_MESSAGES = { ... };`, one code a line:
#   'stale-version': { 'zh-CN': '工单已被他人修改，请刷新后重试', en: 'Someone else changed ...' },
TABLE = re.compile(r"export\s+const\s+ERROR_MESSAGES\s*=\s*\{(?P<body>.*?)\n\s*\};", re.S)
_STRING = r"""(?P<q{n}>['"])(?P<{name}>(?:\\.|(?!(?P=q{n})).)*)(?P=q{n})"""
ENTRY = re.compile(
    r"^\s*"
    + _STRING.format(n=1, name="code")
    + r"\s*:\s*\{\s*(?P<qz>['\"])zh-CN(?P=qz)\s*:\s*"
    + _STRING.format(n=2, name="zh")
    + r"\s*,\s*(?:en|(?P<qe>['\"])en(?P=qe))\s*:\s*"
    + _STRING.format(n=3, name="en")
    + r"\s*,?\s*\}\s*,?\s*$"
)


def _modules(package: ModuleType) -> list[str]:
    names = [package.__name__]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        # __main__ runs the command line; agi/classic holds scripts, not modules (no __init__.py).
        if info.name.rsplit(".", 1)[-1] != "__main__":
            names.append(info.name)
    return names


def _subclasses(base: type[CallCenterError]) -> set[type[CallCenterError]]:
    found: set[type[CallCenterError]] = set()
    pending = [base]
    while pending:
        for subclass in pending.pop().__subclasses__():
            if subclass not in found:
                found.add(subclass)
                pending.append(subclass)
    return found


def _handler_codes() -> dict[str, str]:
    """The codes the web layer writes as literals (``_error_response(422, "invalid-request", ...)``),
    by where they are written."""
    codes: dict[str, str] = {}
    for path in sorted(WEB_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            literal: ast.expr | None = None
            if name == "_error_response" and len(node.args) >= 2:
                literal = node.args[1]
            elif name == "ErrorPublic":
                literal = next((k.value for k in node.keywords if k.arg == "code"), None)
            if isinstance(literal, ast.Constant) and isinstance(literal.value, str):
                codes[literal.value] = f"{path.relative_to(PROJECT_DIR)}:{node.lineno}"
    return codes


@cache
def owners() -> dict[str, list[str]]:
    """Every code, with who defines it: the classes that set ``code`` themselves and the literals."""
    for package in (callcenter, agi):
        for name in _modules(package):
            importlib.import_module(name)
    found: dict[str, list[str]] = defaultdict(list)
    for error in [CallCenterError, *_subclasses(CallCenterError)]:
        if error.__module__.partition(".")[0] in ("callcenter", "agi") and "code" in vars(error):
            found[error.code].append(f"{error.__module__}.{error.__qualname__}")
    for code, where in _handler_codes().items():
        found[code].append(where)
    return {code: sorted(who) for code, who in sorted(found.items())}


def test_the_codes_are_found() -> None:
    codes = owners()
    for known in ("call-center-error", "not-found", "stale-version", "invalid-request", "invalid-work-order"):
        assert known in codes


def test_every_code_is_kebab_case() -> None:
    assert {code: who for code, who in owners().items() if not KEBAB.fullmatch(code)} == {}


def test_no_two_errors_share_a_code() -> None:
    # A subclass that only narrows (no code of its own) answers with its parent's code: that is one.
    assert {code: who for code, who in owners().items() if len(who) > 1} == {}


def messages() -> dict[str, tuple[str, str]]:
    assert MESSAGES_FILE.is_file(), f"{MESSAGES_FILE.relative_to(PROJECT_DIR)} is missing"
    table = TABLE.search(MESSAGES_FILE.read_text(encoding="utf-8"))
    assert table is not None, "no `export const ERROR_MESSAGES = { ... };` in errors.js"
    found: dict[str, tuple[str, str]] = {}
    for line in table["body"].splitlines():
        if not line.strip() or line.strip().startswith("//"):
            continue
        entry = ENTRY.match(line)
        assert entry is not None, f"not one code with its zh-CN and en messages: {line!r}"
        assert entry["code"] not in found, f"{entry['code']} twice in errors.js"
        found[entry["code"]] = (entry["zh"], entry["en"])
    return found


def test_every_code_has_a_chinese_and_an_english_message() -> None:
    table = messages()
    missing = sorted(code for code in owners() if code not in table)
    assert missing == [], f"no message in agent_console/lib/errors.js for {missing}"
    empty = sorted(code for code in owners() if not (table[code][0].strip() and table[code][1].strip()))
    assert empty == [], f"an empty message in agent_console/lib/errors.js for {empty}"

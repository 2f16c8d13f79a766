"""Every application the dialplan runs comes from a module modules.conf loads: with autoload=no, a
missing one only shows when a call reaches it ("No application 'ExecIf'") and the caller is cut off."""

import re

from callcenter.asterisk.config import DIALPLAN_DIR
from callcenter.settings import PROJECT_DIR

# Where each application lives in Asterisk 22 (core applications need no module).
PROVIDERS = {
    "Answer": "core",
    "Goto": "core",
    "GotoIf": "core",
    "Hangup": "core",
    "NoOp": "core",
    "Set": "core",
    "Wait": "core",
    "AGI": "res_agi.so",
    "Dial": "app_dial.so",
    "ExecIf": "app_exec.so",
    "Gosub": "app_stack.so",
    "MixMonitor": "app_mixmonitor.so",
    "Playback": "app_playback.so",
    "Queue": "app_queue.so",
    "Read": "app_read.so",
    "Record": "app_record.so",
    "Return": "app_stack.so",
    "SayDigits": "core",
    "UserEvent": "app_userevent.so",
    "Verbose": "app_verbose.so",
    "Echo": "app_echo.so",
}
APPLICATION = re.compile(
    r"^\s*(?:exten\s*=>\s*[^,]+,\s*[^,]+|same\s*=>\s*n(?:\([a-z-]+\))?),\s*([A-Za-z]+)\(", re.M
)


def test_every_dialplan_application_is_loaded() -> None:
    loaded = set(
        re.findall(r"^load => (\S+)", (PROJECT_DIR / "asterisk-conf" / "modules.conf").read_text(), re.M)
    )
    used = {name for path in DIALPLAN_DIR.glob("*.conf") for name in APPLICATION.findall(path.read_text())}
    assert used, "the pattern found no application at all"
    unknown = used - PROVIDERS.keys()
    assert unknown == set(), f"add these applications to PROVIDERS: {sorted(unknown)}"
    missing = {name: PROVIDERS[name] for name in used if PROVIDERS[name] not in loaded | {"core"}}
    assert missing == {}

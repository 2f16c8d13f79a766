"""Time from Asterisk offering a call to an agent (AMI AgentCalled) to the agent's browser console ringing.

Starts its own Asterisk instance and the app on free ports, Debian's chromium (Playwright) with the
console logged in as agent 1003 on its WebRTC softphone, and a pjsua2 caller dialling bench number 90013
(bench/dialplan/bench-console.conf: the entry step, then straight into agent 1003's queue). Each round:
the caller dials, Asterisk offers the call to the agent's softphone (AgentCalled, stamped by Asterisk),
the INVITE crosses the websocket, JsSIP raises the incoming session and the page rings (the page's
clock, window.__console.ringingAt); the caller then hangs up. Both clocks are this machine's.

    .venv/bin/python bench/console_ring.py [--calls 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.amilink import AmiListener
from bench.figures import percentile
from callcenter.asterisk import process
from callcenter.settings import PROJECT_DIR, Settings
from callcenter.telephony.ami.events import AgentOffered, AmiEvent, ChannelCreated
from tests.integration.browser import by_testid, chromium, log_in
from tests.integration.phones import Phones
from tests.integration.stack import AppProcess, get_json, isolated_settings, post_json, send

AGENT = "1003"


class Offers(AmiListener):
    """When Asterisk created the agent's channel for a call (Newchannel: the INVITE follows) and when it
    reported the offer (AgentCalled, raised once the INVITE is under way), as Asterisk stamped them."""

    def __init__(self, settings: Settings) -> None:
        self.at: dict[str, float] = {}
        self.channel_at: dict[str, float] = {}
        super().__init__(settings)

    def heard(self, event: AmiEvent) -> None:
        stamp = event.timestamp.timestamp() if getattr(event, "timestamp", None) else time.time()
        if isinstance(event, AgentOffered) and event.member_name == AGENT:
            self.at[event.linkedid] = stamp
        elif isinstance(event, ChannelCreated) and event.channel.startswith(f"PJSIP/agent-{AGENT}-web-"):
            self.channel_at[event.linkedid] = stamp


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="cc-bench-console-"))
    settings = isolated_settings(
        scratch,
        f"bench-{os.getpid()}",
        43000,
        hotline_config=PROJECT_DIR / "tests" / "integration" / "hotline.toml",
        dialplan_extra_dir=PROJECT_DIR / "bench" / "dialplan",
        clock_start="2026-11-24T10:00:00+08:00",
    )
    process.start(settings)
    app = AppProcess(settings, scratch / "app.log")
    app.start()
    phones = Phones()
    offers = Offers(settings)
    latencies: list[float] = []
    from_channel: list[float] = []
    try:
        password = "bench-console-password"
        user = {"username": "bench-agent", "display_name": "李明", "role": "agent", "agent_id": AGENT}
        status, body = send(
            settings, "POST", "/api/users", user | {"password": password}, settings.admin_token_value()
        )
        assert status == 201, body
        caller_account = phones.register(
            f"{settings.sip_host}:{settings.sip_port}",
            settings.demo_caller_username,
            settings.demo_caller_password.get_secret_value(),
            "09972345678",
        )
        with chromium() as browser:
            page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            log_in(page, settings, "bench-agent", password)
            page.wait_for_selector(f'{by_testid("sip-status")}[data-state="registered"]', timeout=10_000)
            page.click(by_testid("btn-ready"))
            page.wait_for_selector(f'{by_testid("agent-status")}[data-status="ready"]', timeout=10_000)
            ringing = f'{by_testid("call-state")}[data-state="ringing"]'
            ready = f'{by_testid("agent-status")}[data-status="ready"]'
            for _round in range(args.calls):
                call = phones.call(caller_account, f"sip:90013@{settings.sip_host}:{settings.sip_port}")
                phones.wait_for(lambda: page.query_selector(ringing) is not None, 20, interval=0.05)
                rang_at = page.evaluate("window.__console.ringingAt") / 1000
                linkedid = get_json(settings, "/api/calls?limit=1")[0]["linkedid"]
                phones.wait_for(lambda linkedid=linkedid: linkedid in offers.at, 5)
                latencies.append(rang_at - offers.at[linkedid])
                from_channel.append(rang_at - offers.channel_at[linkedid])
                call.hang_up()
                phones.wait_for(lambda call=call: call.disconnected, 10)
                phones.wait_for(lambda: page.query_selector(ready) is not None, 10, interval=0.05)
            post_json(settings, f"/api/agents/{AGENT}/logout")
    finally:
        offers.close()
        phones.close()
        app.stop()
        process.stop(settings)
        shutil.rmtree(settings.asterisk_instance_dir, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)

    sys.stdout.write(f"The agent's console rings, {len(latencies)} calls, counted from:\n")
    for label, values in (
        ("Asterisk creating the agent's channel (Newchannel; the INVITE follows)", from_channel),
        ("Asterisk reporting the offer (AgentCalled, once the INVITE is under way)", latencies),
    ):
        ms = [value * 1000 for value in values]
        sys.stdout.write(
            f"  {label}: p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
            f"min {min(ms):.1f} ms, max {max(ms):.1f} ms\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

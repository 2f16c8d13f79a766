"""Time from the transfer API call to the expert's phone ringing, over many blind transfers.

Starts its own Asterisk instance and the app on free ports, with pjsua2 phones: a caller (bench number
90010 of bench/dialplan/bench-transfer.conf goes straight to agent 1001's queue), agent 1001's phone,
and the public network behind the trunk, where the expert's mobile answers 486 Busy at once (so the
caller falls back to the queue and the round ends). Each round: call, agent answers, classification,
POST /api/calls/{id}/transfer, and the instant the INVITE reaches the expert's phone.

The caller first hears cc-transferring (the announcement is the product's); the figures are given with
and without it.

    .venv/bin/python bench/transfer_latency.py [--transfers 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pjsua2 as pj

from bench.figures import percentile
from callcenter.asterisk import process
from callcenter.hotline import agent_endpoint
from callcenter.settings import PROJECT_DIR, Settings
from tests.integration.phones import PhoneCall, Phones, PublicNetwork
from tests.integration.stack import AppProcess, free_port, get_json, isolated_settings, post_json, send

EXPERT = "13900000001"


def connected(settings: Settings) -> dict[str, Any] | None:
    call: dict[str, Any] | None = get_json(settings, "/api/agents/1001/call")["call"]
    return call if call is not None and call["phase"] == "connected" else None


class TimedNetwork(PublicNetwork):
    def __init__(self) -> None:
        super().__init__()
        self.invited_at: list[float] = []

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        self.invited_at.append(time.monotonic())
        super().onIncomingCall(prm)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transfers", type=int, default=30)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="cc-bench-transfer-"))
    settings = isolated_settings(
        scratch,
        f"bench-{os.getpid()}",
        42000,
        hotline_config=PROJECT_DIR / "tests" / "integration" / "hotline.toml",
        dialplan_extra_dir=PROJECT_DIR / "bench" / "dialplan",
        clock_start="2026-11-24T10:00:00+08:00",
        trunk_host="127.0.0.2",
        trunk_port=free_port(socket.SOCK_DGRAM),
    )
    process.start(settings)
    app = AppProcess(settings, scratch / "app.log")
    app.start()
    phones = Phones()
    latencies: list[float] = []
    try:
        token = settings.admin_token_value()
        experts = (
            "id,name,kind,organisation,phones,categories,prefectures,max_concurrent_calls\n"
            f"bench-lawyer,律师,lawyer,律所,{EXPERT},labour,,1\n"
        )
        send(settings, "PUT", "/api/experts.csv", experts, token, "text/csv")
        roster = "expert_id,when,start,end\nbench-lawyer,working-days,00:00,00:00\n"
        send(settings, "PUT", "/api/roster.csv", roster, token, "text/csv")
        network = TimedNetwork()
        config = pj.AccountConfig()
        transport = pj.TransportConfig()
        transport.port, transport.boundAddress = settings.trunk_port, settings.trunk_host
        config.sipConfig.transportId = phones.endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        config.idUri = f"sip:network@{settings.trunk_host}:{settings.trunk_port}"
        network.create(config)
        network.setDefault()
        network.behaviour[EXPERT] = "busy"
        agent = phones.register(
            f"{settings.sip_host}:{settings.sip_port}",
            agent_endpoint("1001"),
            settings.generated_secret(agent_endpoint("1001")),
            agent_endpoint("1001"),
            auto_answer=True,
        )
        post_json(settings, "/api/agents/1001/login")
        caller_account = phones.caller(
            settings.demo_caller_username, settings.demo_caller_password.get_secret_value(), "13999112345"
        )
        for _round in range(args.transfers):
            agent.incoming.clear()
            call: PhoneCall = phones.call(
                caller_account, f"sip:90010@{settings.sip_host}:{settings.sip_port}"
            )
            phones.wait_for(lambda: next((c for c in agent.incoming if c.state == 5), None), 20)
            screen = phones.wait_for(lambda: connected(settings), 10, 0.05)
            linkedid = screen["linkedid"]
            post_json(
                settings,
                f"/api/calls/{linkedid}/classification",
                {"agent_id": "1001", "call_type": "consultation", "category": "labour"},
            )
            invites = len(network.invited_at)
            started = time.monotonic()
            post_json(settings, f"/api/calls/{linkedid}/transfer", {"agent_id": "1001"})
            phones.wait_for(lambda invites=invites: len(network.invited_at) > invites, 30)
            latencies.append(network.invited_at[-1] - started)
            call.hang_up()
            phones.wait_for(lambda call=call: call.disconnected, 10)
            phones.wait_for(lambda: get_json(settings, "/api/agents/1001/call")["call"] is None, 10, 0.05)
            phones.idle(0.3)
        prompt = settings.prompts_cache_dir / "zh" / "cc-transferring.wav"
        with wave.open(str(prompt), "rb") as source:
            announcement = source.getnframes() / source.getframerate()
    finally:
        phones.close()
        app.stop()
        process.stop(settings)
        shutil.rmtree(settings.asterisk_instance_dir, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)

    ms = [value * 1000 for value in latencies]
    net = [value - announcement * 1000 for value in ms]
    sys.stdout.write(
        f"transfer API call -> expert's phone rings, {len(ms)} blind transfers:\n"
        f"  with the caller's announcement ({announcement:.2f} s): p50 {statistics.median(ms):.0f} ms, "
        f"p99 {percentile(ms, 0.99):.0f} ms, max {max(ms):.0f} ms\n"
        f"  without it (AMI transfer, dialplan, FastAGI hunt step, trunk INVITE): "
        f"p50 {statistics.median(net):.0f} ms, p99 {percentile(net, 0.99):.0f} ms\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

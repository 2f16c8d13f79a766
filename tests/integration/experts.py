"""The back-end experts behind the trunk, as integration tests set them up and follow their calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from websockets.sync.client import ClientConnection

from tests.integration.callers import Caller
from tests.integration.phones import PhoneCall, Phones, PublicNetwork
from tests.integration.stack import AppProcess, get_json, pushed, send

LI = "13900000001"
WANG = "13900000002"
ZHAO_MOBILE = "13900000003"
ZHAO_LANDLINE = "09911230003"

EXPERTS_CSV = f"""id,name,kind,organisation,phones,categories,prefectures,max_concurrent_calls
lawyer-li,李律师,lawyer,天山律师事务所,{LI},labour,,1
lawyer-wang,王律师,lawyer,昆仑律师事务所,{WANG},labour;marriage-family,,1
notary-zhao,赵公证员,notary,乌鲁木齐公证处,{ZHAO_MOBILE};{ZHAO_LANDLINE},labour;notarization,,1
"""


def admin_token(app: AppProcess) -> str:
    return app.settings.admin_token_value()


def on_duty(app: AppProcess, *expert_ids: str) -> None:
    """Only these experts are on duty (all day, every day); the rest of the roster is cleared."""
    rows = "".join(f"{expert_id},working-days,00:00,00:00\n" for expert_id in expert_ids)
    status, body = send(
        app.settings,
        "PUT",
        "/api/roster.csv",
        "expert_id,when,start,end\n" + rows,
        admin_token(app),
        "text/csv",
    )
    assert status == 200, body


def transfer_state(app: AppProcess, linkedid: str) -> dict[str, Any]:
    state: dict[str, Any] = get_json(app.settings, f"/api/calls/{linkedid}/transfer")
    return state


def transfer_pushed(
    console: ClientConnection, linkedid: str, wanted: Callable[[dict[str, Any]], Any], seconds: float = 20
) -> dict[str, Any]:
    """The first push of the call's transfer to the agent's socket whose state is ``wanted`` (the agent's
    own messages, and pushes of other states, pass by)."""
    return pushed(
        console,
        lambda m: m["type"] == "transfer" and m["linkedid"] == linkedid and wanted(m["transfer"]),
        seconds,
        "the agent's console",
    )


def leg(app: AppProcess, linkedid: str, number: int, field: str) -> Any:
    legs = transfer_state(app, linkedid)["legs"]
    return legs[number - 1][field] if len(legs) >= number else None


def accepted_call(
    phones: Phones, network: PublicNetwork, app: AppProcess, linkedid: str, number: str
) -> PhoneCall:
    """The expert at ``number`` has accepted (the app shows the leg answered); they stop pressing."""
    phones.wait_for(
        lambda: any(
            item["answered_at"] and item["phone"] == number for item in transfer_state(app, linkedid)["legs"]
        ),
        60,
        interval=0.3,
    )
    call = next(c for c in network.calls_to(number) if c.state == 5)
    network.stop_keys(call)
    return call


def expert_hangs_up(phones: Phones, app: AppProcess, linkedid: str, call: PhoneCall, leg_number: int) -> None:
    call.hang_up()
    phones.wait_for(lambda: leg(app, linkedid, leg_number, "ended_at"), 15, interval=0.2)


def rate(phones: Phones, app: AppProcess, caller: Caller, linkedid: str, key: str) -> dict[str, Any]:
    """Presses ``key`` until the rating question takes it (keys before the question starts are lost)."""

    def rated() -> dict[str, Any] | None:
        if caller.call.disconnected:
            return transfer_state(app, linkedid)["rating"] or {"status": "hung up"}
        rating = transfer_state(app, linkedid)["rating"]
        if rating is None:
            caller.call.press(key)
        return rating  # type: ignore[no-any-return]

    return phones.wait_for(rated, 40, interval=0.8)

"""Small stand-ins used by unit tests (real behaviour, no network)."""

from __future__ import annotations

from typing import Any


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        self.published.append((channel, payload))


class EveryoneSeesAll:
    """An organisation without units: every principal sees every order and number; reads are kept."""

    def __init__(self, default_units: dict[str, str] | None = None) -> None:
        self.reads: list[tuple[str, str, str]] = []
        self._default_units = default_units or {}

    async def unit_scope(self, principal: Any) -> frozenset[str] | None:
        return None

    async def may_see_phone(self, principal: Any, order_units: Any) -> bool:
        return True

    async def record_read(self, principal: Any, subject_type: str, subject_id: Any, fields: Any) -> None:
        self.reads.append((principal.username, subject_type, str(subject_id)))

    async def default_unit(self, category: str, prefecture: str | None) -> str | None:
        return self._default_units.get(category)


class Accounts:
    """Logins as tokens: each token stands for one principal; any other token is refused."""

    def __init__(self, principals: dict[str, Any] | None = None) -> None:
        self._principals = principals or {}

    async def authenticate(self, token: str) -> Any:
        from callcenter.domain.access import LoginRequiredError

        principal = self._principals.get(token)
        if principal is None:
            raise LoginRequiredError("The login is not valid", details={"reason": "invalid"})
        return principal


async def always_true() -> bool:
    return True


class RecordingAmi:
    """Takes AMI actions as Asterisk would and keeps them; an action answered by a list of events (as
    QueueStatus or CoreShowChannels) gets ``events[<action name>]``."""

    def __init__(self) -> None:
        self.actions: list[dict[str, Any]] = []
        self.events: dict[str, list[dict[str, str]]] = {}

    async def send(self, action: dict[str, Any], as_list: bool = False) -> Any:
        self.actions.append(action)
        if as_list:
            return list(self.events.get(action["Action"], []))
        return {"Response": "Success"}


class RecordingAudit:
    """The audit log as (username, action, subject type, subject id) rows."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str, str]] = []

    async def record(
        self, principal: Any, action: str, subject_type: str, subject_id: Any, fields: Any
    ) -> None:
        self.entries.append((principal.username, action, subject_type, str(subject_id)))

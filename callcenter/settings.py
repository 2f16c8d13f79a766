"""Settings read from the environment (prefix ``CC_``) or a ``.env`` file.

The module-level :data:`settings` is the only singleton of the project; everything else receives the
settings object it needs from the composition root (:mod:`callcenter.main`).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "cc12348"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CC_", env_file=".env", extra="ignore")

    # Where runtime state of this instance lives (database file, secrets, spool).
    data_dir: Path = PROJECT_DIR / "var"
    recordings_dir: Path = PROJECT_DIR / "recordings"
    database_url: str = ""
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Prefix of this hotline's channels and counters in Redis, shared by all its app instances.
    redis_namespace: str = "cc12348"

    http_host: str = "127.0.0.1"
    http_port: int = 8000

    timezone: str = "Asia/Shanghai"

    # Asterisk: a Debian sid root made with debootstrap, shared by every instance on this machine.
    asterisk_root: Path = Field(default_factory=lambda: _default_cache_dir() / "asterisk-root")
    asterisk_instance: str = "default"
    debian_mirror: str = ""
    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    asterisk_http_port: int = 8088
    # Browser softphones reach Asterisk's websocket transport here; empty: ws://sip_host:asterisk_http_port/ws.
    # Production puts WSS with the operator's certificate in front (README, "Agent console").
    webrtc_websocket_url: str = ""
    # Browser and Asterisk on one machine (the demo, the tests): media over 127.0.0.1 only. Asterisk never
    # offers a loopback ICE candidate by itself, so the interface addresses are mapped to 127.0.0.1 and
    # every other address is refused for ICE. Production sets false and keeps the real addresses.
    webrtc_loopback_only: bool = True
    rtp_port_start: int = 10000
    rtp_port_end: int = 20000
    ami_permit: str = "127.0.0.1/255.255.255.255"
    # The trunk to the public phone network, through which experts' mobiles and landlines are dialled.
    # The demo and the tests put a SIP phone standing for the network at this address.
    trunk_host: str = "127.0.0.1"
    trunk_port: int = 5070

    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_username: str = "callcenter"
    # No committed default: when unset, a random secret is made once per data_dir (see ami_secret_value).
    ami_secret: SecretStr | None = None
    ami_reconnect_seconds: float = 2.0
    ami_action_timeout_seconds: float = 5.0

    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    # The address Asterisk dials for FastAGI; differs from agi_host when Asterisk runs elsewhere.
    agi_url_host: str = "127.0.0.1"

    # The demo caller account dials 12348 as the public network would; demo and loopback only.
    demo: bool = False
    demo_caller_username: str = "demo-caller"
    demo_caller_password: SecretStr = SecretStr("demo-caller")

    hotline_config: Path = PROJECT_DIR / "config" / "hotline.toml"
    # Experts and their duty roster loaded at start into a store that has no expert yet (the demo's).
    seed_experts_csv: Path | None = None
    seed_roster_csv: Path | None = None
    # Handling units loaded at start, with one demo user per role, into a store that has neither yet.
    seed_units_csv: Path | None = None
    # How long a login's bearer token is valid.
    session_ttl_seconds: int = Field(default=8 * 3600, ge=60)
    # Starts the application's clock at this instant (it then runs on): lets a test or a rehearsal put the
    # hotline on a holiday or an adjusted working Saturday without touching the system clock.
    clock_start: datetime | None = None
    # The system-clock instant at which the app's clock reads clock_start (default: when the app starts).
    # A restart with the same pair carries on the same clock instead of going back to its start, so the
    # instants of a call that spans a restart stay in order.
    clock_anchor: datetime | None = None
    prompts_override_dir: Path = PROJECT_DIR / "prompts" / "recorded"
    # Local dialplan files added to the project's (a site's own numbers; the benchmarks' test numbers).
    dialplan_extra_dir: Path | None = None

    # Bearer token of the admin API (expert and roster management) until real accounts exist; when unset,
    # a random one is made once per data_dir (see admin_token_value).
    admin_token: SecretStr | None = None

    spool_ingest_interval_seconds: float = 5.0
    # How often work-order deadlines are checked for early warnings.
    deadline_check_interval_seconds: float = 60.0
    # The public web channel's limits per client (and per order number for lookups).
    public_lookups_per_hour: int = 30
    public_submissions_per_hour: int = 20
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'callcenter.sqlite3'}"

    @property
    def asterisk_instance_dir(self) -> Path:
        """Runtime directory of this Asterisk instance, inside the root so the chroot sees it."""
        return self.asterisk_root / "srv" / "cc12348" / self.asterisk_instance

    @property
    def asterisk_instance_dir_in_root(self) -> Path:
        return Path("/srv/cc12348") / self.asterisk_instance

    @property
    def spool_dir(self) -> Path:
        """Call facts waiting for the store: from the classic AGI fallback, or the app's own writes."""
        return self.asterisk_instance_dir / "spool" / "fallback"

    @property
    def recordings_dir_in_root(self) -> Path:
        return Path("/srv/cc12348-recordings") / self.asterisk_instance

    @property
    def prompts_cache_dir(self) -> Path:
        """Generated prompts, shared by the instances of one root (inside it, so Asterisk sees them)."""
        return self.asterisk_root / "srv" / "cc12348-prompts"

    @property
    def messages_dir(self) -> Path:
        return self.recordings_dir / "messages"

    @property
    def effective_webrtc_websocket_url(self) -> str:
        return self.webrtc_websocket_url or f"ws://{self.sip_host}:{self.asterisk_http_port}/ws"

    def ami_secret_value(self) -> str:
        if self.ami_secret is not None:
            return self.ami_secret.get_secret_value()
        return self.generated_secret("ami-secret")

    def admin_token_value(self) -> str:
        if self.admin_token is not None:
            return self.admin_token.get_secret_value()
        return self.generated_secret("admin-token")

    def generated_secret(self, name: str) -> str:
        """A random secret made once per data_dir and kept there (mode 0600), e.g. agents' SIP passwords."""
        if not re.fullmatch(r"[a-z0-9-]+", name):
            raise ValueError(f"bad secret name {name!r}")
        secret_file = self.data_dir / "secrets" / name
        if not secret_file.exists():
            secret_file.parent.mkdir(parents=True, exist_ok=True)
            candidate = secret_file.with_name(f".{name}.{secrets.token_hex(4)}")
            candidate.write_text(secrets.token_urlsafe(24), encoding="ascii")
            candidate.chmod(0o600)
            # link() creates the name only if nobody else has: the renderer and the app may race here.
            with contextlib.suppress(FileExistsError):
                os.link(candidate, secret_file)
            candidate.unlink()
        return secret_file.read_text(encoding="ascii").strip()


settings = Settings()

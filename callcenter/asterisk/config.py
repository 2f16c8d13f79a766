"""Renders ``asterisk-conf/`` and ``dialplan/`` into the instance's runtime directory inside the root."""

from __future__ import annotations

import fcntl
import importlib.util
import ipaddress
import logging
import os
import shutil
import socket
import struct
import subprocess
from pathlib import Path
from typing import Any

import jinja2

from agi import variables
from callcenter.asterisk import prompts
from callcenter.asterisk.root import modules_dir_in_root
from callcenter.domain.entry import LanguageChoice, language_menu
from callcenter.hotline import (
    PROVINCE_QUEUE,
    HotlineConfig,
    agent_endpoint,
    agent_web_endpoint,
    load_hotline,
    queue_name,
    supervisor_endpoint,
)
from callcenter.settings import PROJECT_DIR, Settings
from callcenter.telephony.ami.events import USED_EVENTS
from callcenter.telephony.dialplan import TRUNK_ENDPOINT

log = logging.getLogger(__name__)

CONF_TEMPLATES_DIR = PROJECT_DIR / "asterisk-conf"
DIALPLAN_DIR = PROJECT_DIR / "dialplan"
CLASSIC_AGI_DIR = PROJECT_DIR / "agi" / "classic"
RUNTIME_SUBDIRS = (
    "etc",
    "etc/dialplan",
    "log",
    "run",
    "lib",
    "spool/fallback",
    "agi-bin",
    "pylib",
    "data",
    "moh",
)
# What Asterisk finds in its data directory besides the sounds: the packaged ones, by absolute links that
# resolve inside the root.
PACKAGED_DATA = ("documentation", "firmware", "images", "keys", "phoneprov", "rest-api", "static-http")
PACKAGED_DATA_IN_ROOT = Path("/usr/share/asterisk")


def dialplan_globals(hotline: HotlineConfig) -> dict[str, str]:
    """Per-configuration values the dialplan reads (agi.variables.CONFIGURATION_GLOBALS)."""
    languages = [LanguageChoice(option.code, option.digit) for option in hotline.languages]
    return {
        variables.LANGUAGE_MENU: "&".join(language_menu(languages)),
        variables.LANGUAGE_TIMEOUT: str(hotline.language_timeout_seconds),
        variables.OVERFLOW_AFTER: str(hotline.queues.overflow_after_seconds),
        variables.MESSAGE_MAX_SECONDS: str(hotline.messages.max_seconds),
        variables.MESSAGE_SILENCE_SECONDS: str(hotline.messages.silence_seconds),
        variables.EXPERT_RING_SECONDS: str(hotline.transfer.ring_seconds),
        variables.CONFIRM_SECONDS: str(hotline.transfer.confirm_seconds),
        variables.EXPERT_LANGUAGE: hotline.default_language,
        variables.RATING_MENU: prompts.rating_menu(hotline),
        variables.RATING_TIMEOUT: str(hotline.rating.timeout_seconds),
    }


def template_context(settings: Settings, hotline: HotlineConfig) -> dict[str, Any]:
    instance = settings.asterisk_instance_dir_in_root
    labels = {p.code: p.name for p in hotline.region.prefectures}
    labels[PROVINCE_QUEUE] = hotline.region.province_queue_name
    return {
        "hotline": hotline,
        "ami_events": USED_EVENTS,
        "trunk": TRUNK_ENDPOINT,
        "dialplan_globals": dialplan_globals(hotline),
        "queues": [{"name": queue_name(code), "label": labels[code]} for code in hotline.queue_codes],
        "agents": [
            {
                "id": agent.id,
                "name": agent.name,
                "endpoint": agent_endpoint(agent.id),
                "password": settings.generated_secret(agent_endpoint(agent.id)),
                "web_endpoint": agent_web_endpoint(agent.id),
                "web_password": settings.generated_secret(agent_web_endpoint(agent.id)),
            }
            for agent in hotline.agents
        ],
        "supervisor_phones": [
            {
                "id": phone.id,
                "name": phone.name,
                "endpoint": supervisor_endpoint(phone.id),
                "password": settings.generated_secret(supervisor_endpoint(phone.id)),
            }
            for phone in hotline.supervisor_phones
        ],
        "settings": settings,
        "instance_dir": instance,
        "modules_dir": modules_dir_in_root(settings.asterisk_root),
        "recordings_dir": settings.recordings_dir_in_root,
        "ami_secret": settings.ami_secret_value(),
        "demo_caller_password": settings.demo_caller_password.get_secret_value(),
        "ice_host_addresses": interface_addresses() if settings.webrtc_loopback_only else [],
    }


SIOCGIFADDR = 0x8915


def interface_addresses() -> list[str]:
    """The machine's own IPv4 addresses other than loopback: what Asterisk would offer as ICE host
    candidates, and what rtp.conf maps to 127.0.0.1 when browser and Asterisk share the machine."""
    found: set[str] = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _index, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                reply = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
            except OSError:  # an interface without an IPv4 address
                continue
            address = ipaddress.IPv4Address(reply[20:24])
            if not address.is_loopback:
                found.add(str(address))
    return sorted(found)


def render(settings: Settings) -> Path:
    """Write a complete configuration for this instance; returns the asterisk.conf path inside the root."""
    instance_dir = settings.asterisk_instance_dir
    for sub in RUNTIME_SUBDIRS:
        (instance_dir / sub).mkdir(parents=True, exist_ok=True)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(CONF_TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    hotline = load_hotline(settings.hotline_config)
    context = template_context(settings, hotline)
    etc = instance_dir / "etc"
    for template_path in sorted(CONF_TEMPLATES_DIR.glob("*.conf")):
        text = environment.get_template(template_path.name).render(context)
        _write_if_changed(etc / template_path.name, text)
    # The dialplan is plain extensions.conf syntax, copied as it is; extensions.conf includes it.
    stale = {p.name for p in (etc / "dialplan").glob("*.conf")}
    extra = sorted(settings.dialplan_extra_dir.glob("*.conf")) if settings.dialplan_extra_dir else []
    for dialplan_file in [*sorted(DIALPLAN_DIR.glob("*.conf")), *extra]:
        _write_if_changed(etc / "dialplan" / dialplan_file.name, dialplan_file.read_text())
        stale.discard(dialplan_file.name)
    for name in stale:
        (etc / "dialplan" / name).unlink()
    _install_classic_agi(instance_dir)
    _install_sounds(settings, hotline)
    log.info("Asterisk configuration rendered into %s", etc)
    return settings.asterisk_instance_dir_in_root / "etc" / "asterisk.conf"


def _install_classic_agi(instance_dir: Path) -> None:
    """The classic AGI fallback runs on the root's Python, so it gets its own copy of pyst2."""
    # The pyst2 package (top-level `asterisk`), copied as source for the root's interpreter: found,
    # never imported here (only callcenter.telephony imports it, pyproject's import contracts).
    pyst2 = importlib.util.find_spec("asterisk")
    if pyst2 is None or not pyst2.submodule_search_locations:
        raise RuntimeError("pyst2 (the `asterisk` package) is not installed")
    pyst2_dir = Path(next(iter(pyst2.submodule_search_locations)))
    target = instance_dir / "pylib" / "asterisk"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(pyst2_dir, target, ignore=shutil.ignore_patterns("__pycache__"))
    for script in CLASSIC_AGI_DIR.glob("*.py"):
        destination = instance_dir / "agi-bin" / script.name
        shutil.copy2(script, destination)
        destination.chmod(0o755)


def _install_sounds(settings: Settings, hotline: HotlineConfig) -> None:
    """The instance's data dir: packaged sounds for English, generated (or recorded) prompts for the
    hotline's languages, and hold music."""
    data = settings.asterisk_instance_dir / "data"
    for name in PACKAGED_DATA:
        _link(data / name, PACKAGED_DATA_IN_ROOT / name)
    catalogue = prompts.load_catalogue(prompts.DEFAULT_CATALOGUE)
    missing = set(hotline.language_codes) - set(catalogue.languages)
    if missing:
        raise prompts.PromptError(f"no prompts for the configured languages {sorted(missing)}")
    # The categories read out to an expert and the rating options, installed next to the catalogue's.
    catalogue = prompts.with_configured_prompts(catalogue, hotline)
    generated = prompts.generate(catalogue, settings.prompts_cache_dir)
    if generated:
        log.info("Generated %s prompt file(s) with espeak-ng", generated)
    # prompts.install owns its target outright, so it gets a directory of its own.
    prompts.install(
        settings.prompts_cache_dir, settings.prompts_override_dir, settings.asterisk_instance_dir / "prompts"
    )
    sounds = data / "sounds"
    sounds.mkdir(exist_ok=True)
    for language in catalogue.languages:
        _link(sounds / language, settings.asterisk_instance_dir_in_root / "prompts" / language)
    for packaged in ("en", "en_US", "en_US_f_Allison"):
        _link(sounds / packaged, PACKAGED_DATA_IN_ROOT / "sounds" / packaged)
    _make_hold_music(settings.asterisk_instance_dir / "moh")


def _link(path: Path, target: Path) -> None:
    if path.is_symlink() and Path(os.readlink(path)) == target:
        return
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    path.symlink_to(target)


def _make_hold_music(directory: Path) -> None:
    """A calm arpeggio made with sox, so a fresh install has hold music without a download."""
    target = directory / "cc-hold.wav"
    if target.exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    notes = ("C4", "E4", "G4", "C5", "G4", "E4")
    command = ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(target)]
    for note in notes:
        # sox runs ':'-separated effect chains one after the other; Asterisk loops the file.
        command += ["synth", "0.6", "pluck", note, ":"]
    command = [*command[:-1], "vol", "0.3"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise prompts.PromptError("sox could not make the hold music", details={"stderr": result.stderr})


def _write_if_changed(path: Path, text: str) -> None:
    if path.exists() and path.read_text() == text:
        return
    path.write_text(text)

"""Renders ``asterisk-conf/`` and ``dialplan/`` into the instance's runtime directory inside the root."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import jinja2

from callcenter.asterisk.root import modules_dir_in_root
from callcenter.settings import PROJECT_DIR, Settings

log = logging.getLogger(__name__)

CONF_TEMPLATES_DIR = PROJECT_DIR / "asterisk-conf"
DIALPLAN_DIR = PROJECT_DIR / "dialplan"
CLASSIC_AGI_DIR = PROJECT_DIR / "agi" / "classic"
RUNTIME_SUBDIRS = ("etc", "etc/dialplan", "log", "run", "lib", "spool/fallback", "agi-bin", "pylib")


def template_context(settings: Settings) -> dict[str, Any]:
    instance = settings.asterisk_instance_dir_in_root
    return {
        "settings": settings,
        "instance_dir": instance,
        "modules_dir": modules_dir_in_root(settings.asterisk_root),
        "recordings_dir": settings.recordings_dir_in_root,
        "ami_secret": settings.ami_secret_value(),
        "demo_caller_password": settings.demo_caller_password.get_secret_value(),
    }


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
    context = template_context(settings)
    etc = instance_dir / "etc"
    for template_path in sorted(CONF_TEMPLATES_DIR.glob("*.conf")):
        text = environment.get_template(template_path.name).render(context)
        _write_if_changed(etc / template_path.name, text)
    # The dialplan is plain extensions.conf syntax, copied as it is; extensions.conf includes it.
    stale = {p.name for p in (etc / "dialplan").glob("*.conf")}
    for dialplan_file in sorted(DIALPLAN_DIR.glob("*.conf")):
        _write_if_changed(etc / "dialplan" / dialplan_file.name, dialplan_file.read_text())
        stale.discard(dialplan_file.name)
    for name in stale:
        (etc / "dialplan" / name).unlink()
    _install_classic_agi(instance_dir)
    log.info("Asterisk configuration rendered into %s", etc)
    return settings.asterisk_instance_dir_in_root / "etc" / "asterisk.conf"


def _install_classic_agi(instance_dir: Path) -> None:
    """The classic AGI fallback runs on the root's Python, so it gets its own copy of pyst2."""
    import asterisk.agi  # the pyst2 package, copied as source for the root's interpreter

    pyst2_dir = Path(asterisk.agi.__file__).parent
    target = instance_dir / "pylib" / "asterisk"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(pyst2_dir, target, ignore=shutil.ignore_patterns("__pycache__"))
    for script in CLASSIC_AGI_DIR.glob("*.py"):
        destination = instance_dir / "agi-bin" / script.name
        shutil.copy2(script, destination)
        destination.chmod(0o755)


def _write_if_changed(path: Path, text: str) -> None:
    if path.exists() and path.read_text() == text:
        return
    path.write_text(text)

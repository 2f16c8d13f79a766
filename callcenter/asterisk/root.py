"""The Debian sid root that carries Asterisk 22, made once with debootstrap and cached outside the repo."""

from __future__ import annotations

import logging
import re
import shutil
import socket
import subprocess
from pathlib import Path

from callcenter.errors import CallCenterError

log = logging.getLogger(__name__)

# python3 and six: the classic pyst2 AGI fallback runs inside the root.
ROOT_PACKAGES = (
    "asterisk",
    "asterisk-modules",
    "asterisk-core-sounds-en-gsm",
    "python3",
    "python3-six",
)
SUITE = "sid"
MARKER_NAME = ".cc12348-root"
APT_SOURCES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))


class AsteriskInstallError(CallCenterError):
    code = "asterisk-install-failed"


def manifest() -> str:
    return f"{SUITE} {' '.join(ROOT_PACKAGES)}\n"


def is_installed(root: Path) -> bool:
    marker = root / MARKER_NAME
    return marker.is_file() and marker.read_text() == manifest()


def debian_mirror_from_apt_sources(sources: tuple[Path, ...] = APT_SOURCES) -> str:
    """The Debian archive this machine already uses; the sid root comes from the same place."""
    for path in sources:
        if not path.is_file():
            continue
        text = path.read_text()
        for match in re.finditer(r"^URIs:\s*(\S+)", text, re.MULTILINE):
            if "security" not in match.group(1):
                return match.group(1)
        for match in re.finditer(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)", text, re.MULTILINE):
            if "security" not in match.group(1):
                return match.group(1)
    raise AsteriskInstallError("no Debian mirror found in the apt sources; set CC_DEBIAN_MIRROR")


def install(root: Path, mirror: str = "") -> bool:
    """Make the root unless it is already there; returns whether anything was installed."""
    if is_installed(root):
        log.info("Asterisk root already installed at %s", root)
        return False
    debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    if not Path(debootstrap).exists():
        raise AsteriskInstallError("debootstrap is not installed (apt-get install debootstrap)")
    mirror = mirror or debian_mirror_from_apt_sources()
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    command = [
        debootstrap,
        "--variant=minbase",
        f"--include={','.join(ROOT_PACKAGES)}",
        SUITE,
        str(partial),
        mirror,
    ]
    log.info("Installing the Asterisk root: %s", " ".join(command))
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AsteriskInstallError(
            "debootstrap failed",
            details={
                "returncode": result.returncode,
                "output": result.stdout[-4000:] + result.stderr[-4000:],
            },
        )
    (partial / MARKER_NAME).write_text(manifest())
    if root.exists():
        shutil.rmtree(root)
    partial.rename(root)
    write_name_resolution(root)
    log.info("Asterisk root installed at %s (%s)", root, asterisk_version(root))
    return True


def write_name_resolution(root: Path) -> None:
    """Keep Asterisk's own address lookups inside the root's hosts file, never on the network.

    Asterisk resolves the machine's hostname and A.ROOT-SERVERS.NET (used only for a UDP connect that
    sends nothing). The hostname can change between machines, so this runs before every start.
    """
    hostname = socket.gethostname()
    hosts = (
        "127.0.0.1 localhost\n"
        f"127.0.1.1 {hostname}\n"
        "::1 localhost ip6-localhost ip6-loopback\n"
        "198.41.0.4 A.ROOT-SERVERS.NET a.root-servers.net\n"
    )
    (root / "etc" / "hosts").write_text(hosts)
    resolv = root / "etc" / "resolv.conf"
    if resolv.is_symlink():
        resolv.unlink()
    resolv.write_text("")


def asterisk_version(root: Path) -> str:
    result = subprocess.run(
        ["chroot", str(root), "asterisk", "-V"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or result.stderr.strip()


def modules_dir_in_root(root: Path) -> Path:
    candidates = sorted(root.glob("usr/lib/*/asterisk/modules"))
    if not candidates:
        raise AsteriskInstallError(f"no Asterisk modules directory in {root}")
    return Path("/") / candidates[0].relative_to(root)

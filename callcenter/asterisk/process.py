"""Starting and stopping an Asterisk instance in the chroot, with its recordings on the host.

Asterisk runs as ``unshare --mount`` + ``chroot``: the private mount namespace lets the host's
recordings directory be bind-mounted into the root for this process alone, so nothing stays mounted when
it exits and several instances can share one root.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from callcenter.asterisk import config, root
from callcenter.errors import CallCenterError
from callcenter.settings import Settings

log = logging.getLogger(__name__)

BOOT_TIMEOUT_SECONDS = 60.0


class AsteriskNotRunningError(CallCenterError):
    code = "asterisk-not-running"


class AsteriskStartError(CallCenterError):
    code = "asterisk-start-failed"


@dataclass(frozen=True)
class AsteriskStatus:
    running: bool
    pid: int | None
    version: str
    log_file: Path
    config_dir: Path


def _pid_file(settings: Settings) -> Path:
    return settings.asterisk_instance_dir / "run" / "supervisor.pid"


def log_file(settings: Settings) -> Path:
    return settings.asterisk_instance_dir / "log" / "messages.log"


def console_log_file(settings: Settings) -> Path:
    return settings.asterisk_instance_dir / "log" / "console.out"


def _read_pid(settings: Settings) -> int | None:
    try:
        pid = int(_pid_file(settings).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def rx(settings: Settings, command: str, timeout: float = 30.0) -> str:
    """Run one Asterisk CLI command through the control socket of this instance."""
    conf = settings.asterisk_instance_dir_in_root / "etc" / "asterisk.conf"
    result = subprocess.run(
        ["chroot", str(settings.asterisk_root), "asterisk", "-C", str(conf), "-rx", command],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0 or "Unable to connect to remote asterisk" in result.stdout:
        raise AsteriskNotRunningError(
            "Asterisk did not answer on its control socket",
            details={"command": command, "output": (result.stdout + result.stderr)[-2000:]},
        )
    return result.stdout


def share_preloaded_libraries(asterisk_root: Path) -> None:
    """A library preloaded into this process's children (libfaketime, in the suite's wall-clock guard)
    must be at the same path inside the root: the loader there silently ignores a missing one, and
    Asterisk alone would then run on another clock than the app and the phones."""
    for entry in os.environ.get("LD_PRELOAD", "").replace(":", " ").split():
        source = Path(entry)
        if not source.is_absolute() or not source.is_file():
            continue
        target = asterisk_root / source.relative_to("/")
        if not target.is_file() or target.stat().st_size != source.stat().st_size:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            log.info("Preloaded library %s copied into the Asterisk root", source)


def start(settings: Settings) -> AsteriskStatus:
    """Install if needed, render the configuration and start Asterisk; returns once fully booted."""
    existing = _read_pid(settings)
    if existing is not None:
        log.info("Asterisk instance %s already running (pid %s)", settings.asterisk_instance, existing)
        return status(settings)
    root.install(settings.asterisk_root, settings.debian_mirror)
    root.write_name_resolution(settings.asterisk_root)
    share_preloaded_libraries(settings.asterisk_root)
    conf_in_root = config.render(settings)
    settings.recordings_dir.mkdir(parents=True, exist_ok=True)
    mountpoint = settings.asterisk_root / settings.recordings_dir_in_root.relative_to("/")
    mountpoint.mkdir(parents=True, exist_ok=True)
    script = 'mount --bind "$1" "$2" && exec chroot "$3" asterisk -f -C "$4"'
    command = [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        script,
        "asterisk-supervisor",
        str(settings.recordings_dir.resolve()),
        str(mountpoint),
        str(settings.asterisk_root),
        str(conf_in_root),
    ]
    console = console_log_file(settings)
    with open(console, "ab") as console_out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=console_out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _pid_file(settings).write_text(str(process.pid))
    deadline = time.monotonic() + BOOT_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            raise AsteriskStartError(
                "Asterisk exited during start",
                details={"returncode": process.returncode, "console": _tail(console)},
            )
        try:
            rx(settings, "core waitfullybooted", timeout=max(1.0, deadline - time.monotonic()))
            break
        except (AsteriskNotRunningError, subprocess.TimeoutExpired):
            if time.monotonic() > deadline:
                stop(settings)
                raise AsteriskStartError(
                    "Asterisk did not finish booting", details={"console": _tail(console)}
                ) from None
            time.sleep(0.1)
    log.info("Asterisk instance %s fully booted (pid %s)", settings.asterisk_instance, process.pid)
    return status(settings)


def stop(settings: Settings, timeout: float = 20.0) -> None:
    pid = _read_pid(settings)
    if pid is None:
        return
    try:
        rx(settings, "core stop now", timeout=timeout)
    except (AsteriskNotRunningError, subprocess.TimeoutExpired):
        log.warning("Asterisk did not take 'core stop now'; terminating pid %s", pid)
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _read_pid(settings) is not None:
        if time.monotonic() > deadline:
            _signal_group(pid, signal.SIGKILL)
            break
        _reap(pid)
        time.sleep(0.05)
    _pid_file(settings).unlink(missing_ok=True)
    log.info("Asterisk instance %s stopped", settings.asterisk_instance)


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def _reap(pid: int) -> None:
    # When this process started Asterisk, its exit leaves a zombie until waited for.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def status(settings: Settings) -> AsteriskStatus:
    pid = _read_pid(settings)
    return AsteriskStatus(
        running=pid is not None,
        pid=pid,
        version=root.asterisk_version(settings.asterisk_root)
        if root.is_installed(settings.asterisk_root)
        else "",
        log_file=log_file(settings),
        config_dir=settings.asterisk_instance_dir / "etc",
    )


def _tail(path: Path, size: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except FileNotFoundError:
        return ""

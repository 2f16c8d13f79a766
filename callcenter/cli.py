"""The ``callcenter`` command: run the app, manage its Asterisk, migrate the store."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys

from callcenter.logsetup import configure_logging
from callcenter.settings import Settings, settings

log = logging.getLogger(__name__)


def _asterisk(args: argparse.Namespace, current: Settings) -> int:
    from callcenter.asterisk import config, process, root

    if args.action == "install":
        root.install(current.asterisk_root, current.debian_mirror)
        root.write_name_resolution(current.asterisk_root)
        log.info("%s", root.asterisk_version(current.asterisk_root))
    elif args.action == "render":
        config.render(current)
    elif args.action == "start":
        status = process.start(current)
        log.info("Asterisk %s running, pid %s, log %s", status.version, status.pid, status.log_file)
    elif args.action == "stop":
        process.stop(current)
    elif args.action == "restart":
        process.stop(current)
        process.start(current)
    elif args.action == "status":
        status = process.status(current)
        state = "running" if status.running else "stopped"
        sys.stdout.write(
            f"{state} pid={status.pid} version={status.version!r}\n"
            f"config: {status.config_dir}\nlog: {status.log_file}\n"
        )
        return 0 if status.running else 3
    elif args.action == "cli":
        if args.command:
            sys.stdout.write(process.rx(current, " ".join(args.command)))
        else:
            conf = current.asterisk_instance_dir_in_root / "etc" / "asterisk.conf"
            return subprocess.call(
                ["chroot", str(current.asterisk_root), "asterisk", "-C", str(conf), "-r", "-vvv"]
            )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="callcenter", description=__doc__)
    commands = parser.add_subparsers(dest="command_name", required=True)

    run = commands.add_parser("run", help="run the call centre application (AMI, FastAGI, HTTP)")
    run.add_argument("--with-asterisk", action="store_true", help="start this instance's Asterisk first")

    asterisk = commands.add_parser("asterisk", help="install, start, stop or talk to Asterisk")
    asterisk.add_argument(
        "action", choices=["install", "render", "start", "stop", "restart", "status", "cli"]
    )
    asterisk.add_argument("command", nargs="*", help="with 'cli': one CLI command to run")

    commands.add_parser("migrate", help="bring the store's schema up to date")

    args = parser.parse_args(argv)
    configure_logging(settings.log_level)
    if args.command_name == "asterisk":
        return _asterisk(args, settings)
    if args.command_name == "migrate":
        from callcenter.store.migrations import upgrade

        upgrade(settings.effective_database_url)
        return 0
    from callcenter.main import run_forever

    return run_forever(settings, with_asterisk=args.with_asterisk)


if __name__ == "__main__":
    sys.exit(main())

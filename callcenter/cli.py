"""The ``callcenter`` command: run the app, manage its Asterisk, migrate the store."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from pathlib import Path

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


def _experts(args: argparse.Namespace, current: Settings) -> int:
    import asyncio

    from callcenter.clock import Clock
    from callcenter.errors import CallCenterError
    from callcenter.hotline import load_hotline
    from callcenter.services.experts import ExpertService, decode_csv
    from callcenter.store.db import Database
    from callcenter.store.experts import ExpertRepository
    from callcenter.store.migrations import upgrade

    text = ""
    if args.action.startswith("import-"):
        try:
            text = decode_csv(args.file.read_bytes())
        except (OSError, CallCenterError) as error:
            log.error("Cannot read %s: %s", args.file, error)
            return 1
    upgrade(current.effective_database_url)
    hotline = load_hotline(current.hotline_config)

    async def run() -> str:
        database = Database.connect(
            current.effective_database_url, Clock(current.clock_start, current.clock_anchor)
        )
        try:
            # No cache worth keeping in a one-shot command; a running app sees the change within its own.
            service = ExpertService(ExpertRepository(database), hotline, cache_seconds=0)
            if args.action == "import-experts":
                log.info("Imported %s experts from %s", await service.import_experts_csv(text), args.file)
            elif args.action == "import-roster":
                count = await service.import_roster_csv(text)
                log.info("Imported %s roster entries from %s", count, args.file)
            elif args.action == "export-experts":
                return await service.export_experts_csv()
            elif args.action == "export-roster":
                return await service.export_roster_csv()
            return ""
        finally:
            await database.dispose()

    try:
        sys.stdout.write(asyncio.run(run()))
    except CallCenterError as error:
        # The message lists every bad line already; a traceback would only bury it.
        log.error("%s: %s", error.code, error.message)
        return 1
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

    experts = commands.add_parser("experts", help="import or export experts and the duty roster (CSV)")
    experts_actions = experts.add_subparsers(dest="action", required=True)
    experts_actions.add_parser(
        "import-experts", help="create or update the file's experts by id (others stay), all or none"
    ).add_argument("file", type=Path)
    experts_actions.add_parser(
        "import-roster", help="replace the whole duty roster with the file, all or none"
    ).add_argument("file", type=Path)
    experts_actions.add_parser("export-experts", help="print the active experts as CSV")
    experts_actions.add_parser("export-roster", help="print the duty roster as CSV")

    args = parser.parse_args(argv)
    configure_logging(settings.log_level)
    if args.command_name == "asterisk":
        return _asterisk(args, settings)
    if args.command_name == "experts":
        return _experts(args, settings)
    if args.command_name == "migrate":
        from callcenter.store.migrations import upgrade

        upgrade(settings.effective_database_url)
        return 0
    from callcenter.main import run_forever

    return run_forever(settings, with_asterisk=args.with_asterisk)


if __name__ == "__main__":
    sys.exit(main())

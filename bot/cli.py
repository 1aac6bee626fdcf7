"""The `champbot` command: run, console, db, jobs. Configuration errors end in one clear line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot import logs
from bot.config import ConfigError, Settings, load_settings
from bot.eventloop import server_loop_factory
from bot.learning.content import ContentError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="champbot", description="Run a company's AI-champion network in chat."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("run", help="serve Slack and Teams, run the scheduler (migrations applied first)")

    console = commands.add_parser("console", help="chat with the bot in this terminal, no credentials needed")
    console.add_argument("--user", required=True, help="your user id in the console, e.g. ana")
    console.add_argument("--name", default="", help="display name (defaults to the user id)")
    console.add_argument("--admin", action="store_true", help="act as an admin (HR) for this session")
    console.add_argument("--champion", action="store_true", help="act as an AI champion for this session")
    console.add_argument("--locale", choices=("en", "da"), help="language (defaults to CHAMPBOT_LOCALE)")
    console.add_argument("--timezone", help="IANA time zone (defaults to CHAMPBOT_TIMEZONE)")

    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply all migrations")
    db_commands.add_parser("current", help="show the applied migration")

    jobs = commands.add_parser("jobs", help="scheduled jobs")
    job_commands = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    job_commands.add_parser("list", help="list the jobs with their next run")
    run = job_commands.add_parser("run", help="run one job now")
    run.add_argument("name")
    run.add_argument("--force", action="store_true", help="run even if it already ran for this period")
    content = commands.add_parser("content", help="the lesson files")
    content_commands = content.add_subparsers(dest="content_command", required=True, metavar="ACTION")
    check = content_commands.add_parser(
        "check", help="validate a folder of lessons (default: the shipped ones)"
    )
    check.add_argument(
        "folder", nargs="?", help="a folder in the content/ format, e.g. $CHAMPBOT_CONTENT_DIR"
    )
    outbox_parser = commands.add_parser("outbox", help="the delivery outbox")
    outbox_commands = outbox_parser.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    status = outbox_commands.add_parser("status", help="messages by state and platform, and failure reasons")
    status.add_argument("--campaign", help="only this campaign")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "content":
        return _content_check(args.folder)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"champbot: {error}", file=sys.stderr)
        return 2
    level = settings.log_level
    if args.command == "console" and level == "INFO":
        level = "WARNING"  # keep the chat readable; CHAMPBOT_LOG_LEVEL=DEBUG still shows everything
    logs.configure(settings.log_format, level)
    try:
        if args.command in {"run", "console"}:
            _check_content(settings)  # before the database is touched: a bad lesson stops start-up
        loop_factory = server_loop_factory() if args.command == "run" else None
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(_dispatch(args, settings))
    except KeyboardInterrupt:
        return 130
    except ConfigError as error:
        print(f"champbot: {error}", file=sys.stderr)
        return 2
    except ContentError as error:
        print(f"champbot: cannot start, a lesson is malformed: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        logging.getLogger("champbot").error("cannot start: %s", error)
        return 1


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot import app

    if args.command == "run":
        await app.run_forever(settings)
        return 0
    if args.command == "console":
        await app.run_console(
            settings,
            user=args.user,
            display_name=args.name,
            admin=args.admin,
            champion=args.champion,
            locale=args.locale,
            timezone=args.timezone,
        )
        return 0
    if args.command == "db":
        return await _db(args, settings)
    if args.command == "outbox":
        return await _outbox(args, settings)
    return await _jobs(args, settings)


def _check_content(settings: Settings) -> None:
    from bot.learning.content import load_curriculum, shipped_content_dir

    load_curriculum(shipped_content_dir(), settings.content_dir)


def _content_check(folder: str | None) -> int:
    """Every problem with its file and line; exit 1 when there are any, so CI can gate on it."""
    from pathlib import Path

    from bot.learning.content import read_folder, shipped_content_dir

    root = Path(folder) if folder else shipped_content_dir()
    lessons, problems = read_folder(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {root}", file=sys.stderr)
        return 1
    ids = {lesson.id for lesson in lessons}
    print(f"{root}: {len(lessons)} lesson files, {len(ids)} lessons, no problems")
    return 0


async def _outbox(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_core

    async with open_core(settings) as core:
        status = await core.outbox.status(campaign=args.campaign)
    states = list(status.by_state)
    print(f"{'PLATFORM':<10}" + "".join(f"{state:>10}" for state in states))
    for platform, counts in sorted(status.by_platform.items()):
        print(f"{platform:<10}" + "".join(f"{counts[state]:>10}" for state in states))
    print(f"{'total':<10}" + "".join(f"{status.by_state[state]:>10}" for state in states))
    if status.failures:
        print("\nfailure reasons:")
        for reason, count in status.failures:
            print(f"  {reason:<30} {count}")
    return 0


async def _db(args: argparse.Namespace, settings: Settings) -> int:
    from storage import migrate

    if args.db_command == "upgrade":
        await asyncio.to_thread(migrate.upgrade, settings.database_url)
    revision = await asyncio.to_thread(migrate.current, settings.database_url)
    print(f"database at revision {revision or 'none'}")
    return 0


async def _jobs(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_core
    from jobs import registry
    from jobs.runner import run_job
    from jobs.scheduler import next_runs

    async with open_core(settings) as core:
        if args.jobs_command == "list":
            now = core.clock.now()
            print(f"{'JOB':<16} {'NEXT RUN':<26} DESCRIPTION")
            for job, next_run in next_runs(core, now):
                when = next_run.isoformat(timespec="minutes") if next_run else "never"
                print(f"{job.job_id:<16} {when:<26} {job.description}")
            return 0
        chosen = registry.find(core, args.name)
        if chosen is None:
            known = ", ".join(spec.job_id for spec in registry.jobs(core))
            print(f"champbot: no job named {args.name!r}; known jobs: {known}", file=sys.stderr)
            return 2
        result = await run_job(core, chosen, force=args.force)
        if result.ran:
            print(f"{chosen.job_id} ran for {result.period}: {result.summary}")
        else:
            print(f"{chosen.job_id} already ran for {result.period}; use --force to run it again")
        return 0


if __name__ == "__main__":
    sys.exit(main())

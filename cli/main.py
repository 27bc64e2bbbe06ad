"""The admin CLI: `python -m cli migrate|seed|report|export|import|rollups|worker|user add|user passwd`.

Each command is a function of the parsed arguments and the database; a domain error is printed and
exits with 1."""

import argparse
import getpass
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine

from cli import reports
from core import backup, users, worker
from core.errors import DomainError, ValidationError
from core.exchange import batches, files, foreign, native
from core.messages import Message
from core.permissions import ROLES, Actor
from core.seed import database_is_empty, seed_demo
from core.settings import LANGUAGES, Settings, load_settings
from db import changes
from db.engine import make_engine, transaction
from db.migrate import upgrade
from db.models import Role
from db.rollups import build

PASSWORD_ENV = "FUNNEL_PASSWORD"
PROBLEMS_SHOWN = 200
FIRST_ADMIN = f"{PASSWORD_ENV}=... python -m cli user add --login admin --name 'Your Name' --role admin"


@dataclass(frozen=True)
class Context:
    engine: Engine
    settings: Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cli", description="Sales funnel dashboard admin tool.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the database schema to the latest version").set_defaults(run=_migrate)

    seed = commands.add_parser("seed", help="fill an empty database with a demo company")
    seed.add_argument("--deals", type=int, default=5_000, help="number of deals (default 5000)")
    seed.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same data")
    seed.add_argument("--language", choices=LANGUAGES, help="language of pipeline and stage names")
    seed.add_argument(
        "--if-empty", action="store_true", help="do nothing when the database has data or DEMO_MODE is off"
    )
    seed.set_defaults(run=_seed)

    reports.add_parser(commands).set_defaults(run=_report)
    saved = commands.add_parser("backup", help="copy the whole database into a file (safe while the app runs)")
    saved.add_argument("--to", dest="target", required=True, type=Path, help="the backup file to write")
    saved.set_defaults(run=_backup)
    restored = commands.add_parser("restore", help="make the database the backup's (stop the app first)")
    restored.add_argument("file", type=Path, help="a file written by backup")
    restored.add_argument("--replace", action="store_true", help="replace a database that has users or deals")
    restored.set_defaults(run=_restore)
    commands.add_parser(
        "worker", help="deliver the webhooks' events and give idle deals their tasks, until stopped (Ctrl+C)"
    ).set_defaults(run=_worker)
    _add_data_parsers(commands)
    _add_user_parsers(commands)
    return parser


def _add_data_parsers(commands) -> None:
    export = commands.add_parser("export", help="write every table in the native format")
    export.add_argument("--to", dest="target", required=True, type=Path, help="a folder (CSV) or a .xlsx file")
    export.set_defaults(run=_export)
    imports = commands.add_parser("import", help="load data").add_subparsers(dest="import_command", required=True)
    native_import = imports.add_parser("native", help="load a native export into an empty database")
    native_import.add_argument("source", type=Path, help="the export's folder or .xlsx file")
    native_import.set_defaults(run=_import_native)
    foreign_import = imports.add_parser("foreign", help="import deals from another CRM's CSV/Excel export")
    foreign_import.add_argument("file", type=Path, help="the export (.csv or .xlsx)")
    foreign_import.add_argument("--mapping", required=True, type=Path, help="the column and stage mapping (JSON)")
    foreign_import.add_argument("--teams", type=Path, help="a second file with each owner's team (see the mapping)")
    foreign_import.add_argument("--check", action="store_true", help="only report what would be imported")
    foreign_import.set_defaults(run=_import_foreign)
    imports.add_parser("list", help="every import, the newest first").set_defaults(run=_import_list)
    undo = imports.add_parser("undo", help="remove what a foreign import created (while none of it was changed)")
    undo.add_argument("batch", type=int, help="the import's number (import list)")
    undo.add_argument("--keep-changed", action="store_true", help="undo the rest, keeping the deals changed since")
    undo.set_defaults(run=_import_undo)
    summaries = commands.add_parser("rollups", help="the summary tables the dashboards read (kept with every write)")
    summaries.add_argument("action", choices=["check", "rebuild"], help="compare with the data, or build anew")
    summaries.set_defaults(run=_rollups)


def _add_user_parsers(commands) -> None:
    user = commands.add_parser("user", help="manage users").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help=f"create a user; the password is read from ${PASSWORD_ENV} or a prompt")
    add.add_argument("--login", required=True)
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--role", choices=[role.value for role in ROLES], default=Role.MANAGER.value)
    add.add_argument("--team", help="team name (created when missing)")
    add.add_argument("--email", help="where the app's e-mails to the user go")
    add.set_defaults(run=_user_add)
    passwd = user.add_parser("passwd", help=f"set a user's password from ${PASSWORD_ENV} or a prompt")
    passwd.add_argument("--login", required=True)
    passwd.set_defaults(run=_user_passwd)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        return args.run(args, Context(engine, settings))
    except DomainError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def _migrate(_args: argparse.Namespace, _context: Context) -> int:
    print("database is up to date")  # main() upgraded it
    return 0


def _seed(args: argparse.Namespace, context: Context) -> int:
    if args.if_empty and not context.settings.demo_mode:
        print("DEMO_MODE is off: not seeding demo users with a known password. Create the first admin with:")
        print(f"  {FIRST_ADMIN}")
        return 0
    with transaction(context.engine, write=True) as session:
        if not database_is_empty(session):
            if args.if_empty:
                print("database already has data; not seeding")
                return 0
            print("error: the database already has data; seed an empty one", file=sys.stderr)
            return 1
        started = time.perf_counter()
        summary = seed_demo(
            session,
            deals=args.deals,
            seed=args.seed,
            language=args.language or context.settings.language,
            progress=_progress,
        )
    print(
        f"seeded {summary.deals:,} deals, {summary.transitions:,} stage transitions, "
        f"{summary.activities:,} activities, {summary.changes:,} field edits, {summary.companies:,} companies, "
        f"{summary.users} users, "
        f"{summary.plans} plans in {time.perf_counter() - started:.1f} s"
    )
    return 0


def _report(args: argparse.Namespace, context: Context) -> int:
    with transaction(context.engine) as session:
        print(reports.report(session, args, context.settings.zone))
    return 0


def _export(args: argparse.Namespace, context: Context) -> int:
    with transaction(context.engine) as session:
        if args.target.suffix.lower() == ".xlsx":
            args.target.write_bytes(native.export_excel(session, Actor.system()))
            print(f"exported every table to {args.target}")
        else:
            written = native.export_csv(session, Actor.system(), args.target, progress=_table_progress)
            print(f"exported {sum(written.values()):,} rows of {len(written)} tables to {args.target}")
    return 0


def _backup(args: argparse.Namespace, context: Context) -> int:
    started = time.perf_counter()
    backup.backup(context.engine, args.target)
    size = args.target.stat().st_size / 1024 / 1024
    print(f"backed up into {args.target} ({size:,.1f} MB) in {time.perf_counter() - started:.1f} s")
    return 0


def _restore(args: argparse.Namespace, context: Context) -> int:
    backup.restore(context.engine, args.file, replace=args.replace)
    upgrade(context.engine)  # a backup of an older version
    print(f"restored {args.file}")
    return 0


def _import_list(args: argparse.Namespace, context: Context) -> int:
    with transaction(context.engine) as session:
        print(batches.list_batches(session, Actor.system()).to_string(index=False))
    return 0


def _import_undo(args: argparse.Namespace, context: Context) -> int:
    with transaction(context.engine, write=True) as session:
        done = batches.undo(session, Actor.system(), args.batch, keep_changed=args.keep_changed)
    print(
        f"import {args.batch} undone: {done.deals:,} deals removed ({len(done.kept):,} changed ones kept), "
        f"{done.users} users and {done.companies} companies removed"
    )
    return 0


def _import_native(args: argparse.Namespace, context: Context) -> int:
    with transaction(context.engine, write=True) as session:
        loaded = native.import_native(session, Actor.system(), args.source, progress=_table_progress)
    print(f"imported {sum(loaded.values()):,} rows of {len(loaded)} tables")
    return 0


def _import_foreign(args: argparse.Namespace, context: Context) -> int:
    """Check the whole file, print every problem by row, and import only when none blocks."""
    mapping = _mapping(args)
    frame = files.read_table(_read_bytes(args.file), args.file.name)
    system = Actor.system()
    with transaction(context.engine, write=True) as session:
        prepared = foreign.prepare(session, system, frame, mapping, zone=context.settings.zone)
        _print_problems(prepared)
        summary = (
            f"{len(prepared.deals):,} deals to import into {prepared.pipeline}, {prepared.already_imported:,} "
            f"imported before (skipped), {len(prepared.new_owners)} new users, "
            f"{len(prepared.new_companies)} new companies"
        )
        if prepared.errors:
            print(
                f"error: {len(prepared.errors)} problems block the import; nothing was written ({summary})",
                file=sys.stderr,
            )
            return 1
        if args.check:
            print(f"check only: {summary}")
            return 0
        result = foreign.apply(session, system, prepared, mapping, progress=_progress, file_name=args.file.name)
    print(
        f"imported {result.deals:,} deals ({result.already_imported:,} imported before, skipped), "
        f"{result.new_owners} new users, {result.new_companies} new companies"
    )
    return 0


def _mapping(args: argparse.Namespace) -> foreign.Mapping:
    """The mapping file, with the owners' teams from the teams file when one is given."""
    try:
        raw_mapping = json.loads(args.mapping.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValidationError(
            {"mapping": Message("file.cannot_read", path=str(args.mapping), error=str(error))}
        ) from error
    mapping = foreign.Mapping.from_dict(raw_mapping)
    if not args.teams:
        return mapping
    columns = raw_mapping.get("teams_file") or {}
    teams = files.read_table(_read_bytes(args.teams), args.teams.name)
    return replace(mapping, owner_teams=foreign.owner_teams(teams, columns.get("owner", ""), columns.get("team", "")))


def _print_problems(prepared: foreign.Prepared) -> None:
    problems = prepared.problem_table()
    for problem in problems.head(PROBLEMS_SHOWN).itertuples():
        print(f"{problem.kind}: row {problem.row}, {problem.column}: {problem.problem}", file=sys.stderr)
    if len(problems) > PROBLEMS_SHOWN:
        print(f"... and {len(problems) - PROBLEMS_SHOWN} more", file=sys.stderr)


def _worker(_args: argparse.Namespace, context: Context) -> int:
    """The app's own worker alone (core.worker): stops on SIGINT or SIGTERM, after the delivery in hand."""
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    print("worker: delivering webhooks and giving idle tasks; Ctrl+C stops", flush=True)
    worker.run(lambda: context.engine, context.settings, stop)
    return 0


def _rollups(args: argparse.Namespace, context: Context) -> int:
    started = time.perf_counter()
    with transaction(context.engine, write=args.action == "rebuild") as session:
        if args.action == "rebuild":
            build.rebuild(session.connection())
            changes.bump(session)
            print(f"rebuilt the summary tables in {time.perf_counter() - started:.1f} s")
            return 0
        differences = build.check(session.connection())
    for table, rows in differences.items():
        print(f"{table}: {rows:,} rows differ from the data", file=sys.stderr)
    if differences:
        print("error: the summary tables differ; `python -m cli rollups rebuild` builds them anew", file=sys.stderr)
        return 1
    print(f"the summary tables equal the data (checked in {time.perf_counter() - started:.1f} s)")
    return 0


def _user_add(args: argparse.Namespace, context: Context) -> int:
    password = _read_password()
    system = Actor.system()
    with transaction(context.engine, write=True) as session:
        team_id = None
        if args.team:
            team_id = users.find_team(session, args.team) or users.create_team(session, system, args.team)
        user_id = users.create_user(
            session,
            system,
            login=args.login,
            display_name=args.name,
            role=args.role,
            password=password,
            team_id=team_id,
        )
        if args.email:
            users.set_email(session, system, user_id, args.email)
    print(f"user {args.login} created")
    return 0


def _user_passwd(args: argparse.Namespace, context: Context) -> int:
    password = _read_password()
    with transaction(context.engine, write=True) as session:
        user = users.find_user(session, args.login)
        users.set_password(session, Actor.system(), user.id, password)
    print(f"password of {args.login} changed")
    return 0


def _read_password() -> str:
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not sys.stdin.isatty():
        raise SystemExit(f"Set {PASSWORD_ENV} or run in a terminal to type the password.")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise SystemExit("The passwords differ.")
    return first


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ValidationError({"file": Message("file.cannot_read", path=str(path), error=error.strerror)}) from error


def _progress(done: int, total: int) -> None:
    print(f"\r{done:,}/{total:,} deals ({done * 100 // max(total, 1)}%)", end="", file=sys.stderr, flush=True)
    if done >= total:
        print(file=sys.stderr)


def _table_progress(table: str, rows: int) -> None:
    print(f"  {table}: {rows:,} rows", file=sys.stderr)

"""The admin CLI: `python -m core migrate|seed|report|export|import|rollups|user add|user passwd`."""

import argparse
import getpass
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd

from core import pipelines, users
from core.analytics import activity, funnel, plan_fact
from core.analytics.filters import FunnelFilter
from core.clock import utcnow
from core.errors import DomainError, NotFound, ValidationError
from core.exchange import files, foreign, native
from core.periods import Period
from core.permissions import Actor
from core.seed import database_is_empty, seed_demo
from core.settings import LANGUAGES, load_settings
from db import changes
from db.engine import make_engine, transaction
from db.migrate import upgrade
from db.models import Role
from db.rollups import build

PASSWORD_ENV = "FUNNEL_PASSWORD"
PROBLEMS_SHOWN = 200


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Sales funnel dashboard admin tool.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the database schema to the latest version")

    seed = commands.add_parser("seed", help="fill an empty database with a demo company")
    seed.add_argument("--deals", type=int, default=5_000, help="number of deals (default 5000)")
    seed.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same data")
    seed.add_argument("--language", choices=LANGUAGES, help="language of pipeline and stage names")
    seed.add_argument(
        "--if-empty", action="store_true", help="do nothing when the database has data or DEMO_MODE is off"
    )

    report = commands.add_parser("report", help="print a report: the same figures as the pages")
    report.add_argument("name", choices=["funnel", "winrate", "managers", "plan-fact"])
    report.add_argument("--pipeline", help="pipeline name (funnel, winrate; plan-fact: default all pipelines)")
    report.add_argument("--team", help="team name (managers, plan-fact)")
    report.add_argument("--from", dest="date_from", type=date.fromisoformat, help="first day (not plan-fact)")
    report.add_argument("--to", dest="date_to", type=date.fromisoformat, help="last day, inclusive (not plan-fact)")
    report.add_argument("--period", help="plan-fact: a month (2026-07), a quarter (2026-Q3) or a year (2026)")
    report.add_argument("--manager", action="append", default=[], help="a manager's login (repeatable)")
    report.add_argument("--format", choices=["table", "csv"], default="table")

    export = commands.add_parser("export", help="write every table in the native format")
    export.add_argument("--to", dest="target", required=True, type=Path, help="a folder (CSV) or a .xlsx file")
    imports = commands.add_parser("import", help="load data").add_subparsers(dest="import_command", required=True)
    native = imports.add_parser("native", help="load a native export into an empty database")
    native.add_argument("source", type=Path, help="the export's folder or .xlsx file")
    foreign_import = imports.add_parser("foreign", help="import deals from another CRM's CSV/Excel export")
    foreign_import.add_argument("file", type=Path, help="the export (.csv or .xlsx)")
    foreign_import.add_argument("--mapping", required=True, type=Path, help="the column and stage mapping (JSON)")
    foreign_import.add_argument("--teams", type=Path, help="a second file with each owner's team (see the mapping)")
    foreign_import.add_argument("--check", action="store_true", help="only report what would be imported")

    summaries = commands.add_parser("rollups", help="the summary tables the dashboards read (kept with every write)")
    summaries.add_argument("action", choices=["check", "rebuild"], help="compare with the data, or build anew")

    user = commands.add_parser("user", help="manage users").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help=f"create a user; the password is read from ${PASSWORD_ENV} or a prompt")
    add.add_argument("--login", required=True)
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--role", choices=[role.value for role in Role], default=Role.MANAGER.value)
    add.add_argument("--team", help="team name (created when missing)")
    passwd = user.add_parser("passwd", help=f"set a user's password from ${PASSWORD_ENV} or a prompt")
    passwd.add_argument("--login", required=True)
    return parser


def _read_password() -> str:
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not sys.stdin.isatty():
        raise SystemExit(f"Set {PASSWORD_ENV} or run in a terminal to type the password.")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise SystemExit("The passwords differ.")
    return first


def _progress(done: int, total: int) -> None:
    print(
        f"\r{done:,}/{total:,} deals ({done * 100 // max(total, 1)}%)",
        end="",
        file=sys.stderr,
        flush=True,
    )
    if done >= total:
        print(file=sys.stderr)


def _import_foreign(args: argparse.Namespace, engine, zone) -> int:
    """Check the whole file, print every problem by row, and import only when none blocks."""
    try:
        raw_mapping = json.loads(args.mapping.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValidationError({"mapping": f"cannot read {args.mapping}: {error}"}) from error
    mapping = foreign.Mapping.from_dict(raw_mapping)
    if args.teams:
        columns = raw_mapping.get("teams_file") or {}
        teams = files.read_table(_read_bytes(args.teams), args.teams.name)
        mapping = replace(
            mapping, owner_teams=foreign.owner_teams(teams, columns.get("owner", ""), columns.get("team", ""))
        )
    frame = files.read_table(_read_bytes(args.file), args.file.name)
    system = Actor.system()
    with transaction(engine, write=True) as session:
        prepared = foreign.prepare(session, system, frame, mapping, zone=zone)
        problems = prepared.problem_table()
        for problem in problems.head(PROBLEMS_SHOWN).itertuples():
            print(f"{problem.kind}: row {problem.row}, {problem.column}: {problem.problem}", file=sys.stderr)
        if len(problems) > PROBLEMS_SHOWN:
            print(f"... and {len(problems) - PROBLEMS_SHOWN} more", file=sys.stderr)
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
        result = foreign.apply(session, system, prepared, mapping, progress=_progress)
    print(
        f"imported {result.deals:,} deals ({result.already_imported:,} imported before, skipped), "
        f"{result.new_owners} new users, {result.new_companies} new companies"
    )
    return 0


def _rollups(engine, action: str) -> int:
    started = time.perf_counter()
    with transaction(engine, write=action == "rebuild") as session:
        if action == "rebuild":
            build.rebuild(session.connection())
            changes.bump(session)
            print(f"rebuilt the summary tables in {time.perf_counter() - started:.1f} s")
            return 0
        differences = build.check(session.connection())
    for table, rows in differences.items():
        print(f"{table}: {rows:,} rows differ from the data", file=sys.stderr)
    if differences:
        print("error: the summary tables differ; `python -m core rollups rebuild` builds them anew", file=sys.stderr)
        return 1
    print(f"the summary tables equal the data (checked in {time.perf_counter() - started:.1f} s)")
    return 0


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ValidationError({"file": f"cannot read {path}: {error.strerror}"}) from error


def _table_progress(table: str, rows: int) -> None:
    print(f"  {table}: {rows:,} rows", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        return _run(args, engine, settings.language, settings.demo_mode, settings.zone)
    except DomainError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def _report(session, args: argparse.Namespace, zone) -> str:
    """One of the analytics functions behind the pages, printed as a table or CSV."""
    if args.name == "plan-fact":
        return _shown(_plan_fact_report(session, args, zone), args.format)
    if args.date_from is None or args.date_to is None:
        raise ValidationError({"from": "--from and --to are required for this report"})
    if args.name == "managers":
        team_id = users.find_team(session, args.team) if args.team else None
        if args.team and team_id is None:
            raise NotFound(f"No team named {args.team!r}.")
        frame = activity.manager_activity(
            session,
            Actor.system(),
            date_from=args.date_from,
            date_to=args.date_to,
            now=utcnow(),
            zone=zone,
            team_id=team_id,
        )
        frame = pd.concat([frame, activity.totals(frame, "Total")]).drop(columns=["manager_id"])
        return _shown(frame, args.format)
    if not args.pipeline:
        raise ValidationError({"pipeline": "is required for this report"})
    pipeline = _pipeline_named(session, args.pipeline)
    owners = tuple(users.find_user(session, login).id for login in args.manager)
    funnel_filter = FunnelFilter(pipeline.id, args.date_from, args.date_to, zone, owner_ids=owners)
    system = Actor.system()
    if args.name == "funnel":
        frame = funnel.cohort_funnel(session, system, funnel_filter).drop(columns=["stage_id"])
    else:
        frame = pd.DataFrame([funnel.win_rates(session, system, funnel_filter)])
    return _shown(frame, args.format)


def _shown(frame: pd.DataFrame, output: str) -> str:
    return frame.to_csv(index=False).rstrip("\n") if output == "csv" else frame.to_string(index=False)


def _plan_fact_report(session, args: argparse.Namespace, zone) -> pd.DataFrame:
    if not args.period:
        raise ValidationError({"period": "is required for this report, e.g. --period 2026-Q3"})
    period = Period.parse(args.period)
    pipeline_id = _pipeline_named(session, args.pipeline).id if args.pipeline else None
    team_id = users.find_team(session, args.team) if args.team else None
    if args.team and team_id is None:
        raise NotFound(f"No team named {args.team!r}.")
    frame = plan_fact.plan_fact(
        session,
        Actor.system(),
        period=period,
        today=utcnow().astimezone(zone).date(),
        zone=zone,
        pipeline_id=pipeline_id,
        team_id=team_id,
    )
    if args.manager:
        ids = {users.find_user(session, login).id for login in args.manager}
        frame = frame[frame["manager_id"].isin(ids)]
    return plan_fact.report_table(frame)


def _pipeline_named(session, name: str):
    pipeline = next((p for p in pipelines.list_pipelines(session, include_archived=True) if p.name == name), None)
    if pipeline is None:
        raise NotFound(f"No pipeline named {name!r}.")
    return pipeline


def _run(args: argparse.Namespace, engine, language: str, demo_mode: bool, zone) -> int:
    system = Actor.system()
    if args.command == "migrate":
        print("database is up to date")
    elif args.command == "seed":
        if args.if_empty and not demo_mode:
            print(
                "DEMO_MODE is off: not seeding demo users with a known password. Create the first admin with:\n"
                f"  {PASSWORD_ENV}=... python -m core user add --login admin --name 'Your Name' --role admin"
            )
            return 0
        with transaction(engine, write=True) as session:
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
                language=args.language or language,
                progress=_progress,
            )
        print(
            f"seeded {summary.deals:,} deals, {summary.transitions:,} stage transitions, "
            f"{summary.activities:,} activities, {summary.companies:,} companies, {summary.users} users, "
            f"{summary.plans} plans in {time.perf_counter() - started:.1f} s"
        )
    elif args.command == "export":
        with transaction(engine) as session:
            if args.target.suffix.lower() == ".xlsx":
                args.target.write_bytes(native.export_excel(session, system))
                print(f"exported every table to {args.target}")
            else:
                written = native.export_csv(session, system, args.target, progress=_table_progress)
                print(f"exported {sum(written.values()):,} rows of {len(written)} tables to {args.target}")
    elif args.command == "import" and args.import_command == "native":
        with transaction(engine, write=True) as session:
            loaded = native.import_native(session, system, args.source, progress=_table_progress)
        print(f"imported {sum(loaded.values()):,} rows of {len(loaded)} tables")
    elif args.command == "import" and args.import_command == "foreign":
        return _import_foreign(args, engine, zone)
    elif args.command == "report":
        with transaction(engine) as session:
            print(_report(session, args, zone))
    elif args.command == "rollups":
        return _rollups(engine, args.action)
    elif args.user_command == "add":
        password = _read_password()
        with transaction(engine, write=True) as session:
            team_id = None
            if args.team:
                team_id = users.find_team(session, args.team) or users.create_team(session, system, args.team)
            users.create_user(
                session,
                system,
                login=args.login,
                display_name=args.name,
                role=args.role,
                password=password,
                team_id=team_id,
            )
        print(f"user {args.login} created")
    elif args.user_command == "passwd":
        password = _read_password()
        with transaction(engine, write=True) as session:
            user = users.find_user(session, args.login)
            users.set_password(session, system, user.id, password)
        print(f"password of {args.login} changed")
    return 0

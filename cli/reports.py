"""`python -m cli report …`: the analytics functions behind the pages, printed as a table or CSV."""

import argparse
from datetime import date
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from core import lost_reasons, pipelines, users
from core.analytics import activity, funnel, history, plan_fact
from core.analytics.behind import deals_behind
from core.analytics.filters import FunnelFilter
from core.clock import utcnow
from core.definitions import LANGUAGES, explained
from core.errors import NotFound, ValidationError
from core.messages import Message
from core.periods import DateRange, Period
from core.permissions import Actor

LIST_LIMIT_CLI = 10_000_000  # the CLI lists every deal behind a figure
NAMES = ("funnel", "winrate", "managers", "plan-fact", "pipeline", "changes", "deals")


def add_parser(commands) -> argparse.ArgumentParser:
    report = commands.add_parser("report", help="print a report: the same figures as the pages")
    report.add_argument("name", choices=NAMES)
    report.add_argument("--pipeline", help="pipeline name (funnel, winrate; plan-fact: default all pipelines)")
    report.add_argument("--team", help="team name (managers, plan-fact)")
    report.add_argument("--from", dest="date_from", type=date.fromisoformat, help="first day (not plan-fact)")
    report.add_argument("--to", dest="date_to", type=date.fromisoformat, help="last day, inclusive (not plan-fact)")
    report.add_argument("--period", help="plan-fact: a month (2026-07), a quarter (2026-Q3) or a year (2026)")
    report.add_argument("--manager", action="append", default=[], help="a manager's login (repeatable)")
    report.add_argument(
        "--as-of", type=date.fromisoformat, help="pipeline: the open deals per stage at the end of this day"
    )
    report.add_argument(
        "--closing-in", help="changes: only deals expected to close in this month, quarter or year (2026-Q4)"
    )
    report.add_argument("--figure", choices=funnel.FIGURES, help="deals: the figure whose deals are listed")
    report.add_argument("--stage", help="deals: the stage of reached, time_in_stage, open_now and lost_reason")
    report.add_argument("--reason", help="deals: the lost reason of lost_reason (empty: none given)")
    report.add_argument("--explain", action="store_true", help="deals: print what --figure counts instead")
    report.add_argument("--language", choices=LANGUAGES, default="en", help="deals --explain: en or ru")
    report.add_argument("--format", choices=["table", "csv"], default="table")
    return report


def report(session: Session, args: argparse.Namespace, zone: ZoneInfo) -> str:
    """The report `args.name` as text."""
    if args.name == "plan-fact":
        return _shown(_plan_fact(session, args, zone), args.format)
    if args.name == "pipeline":
        return _shown(_pipeline_as_of(session, args, zone), args.format)
    if args.name == "changes":
        return _shown(_changes(session, args, zone), args.format)
    if args.name == "deals" and not args.figure:
        raise ValidationError({"figure": Message("report.required")})
    if args.name == "deals" and args.explain:
        return explained(args.figure, args.language)
    if args.date_from is None or args.date_to is None:
        raise ValidationError({"from": Message("report.dates_required")})
    if args.name == "managers":
        return _shown(_managers(session, args, zone), args.format)
    if not args.pipeline:
        raise ValidationError({"pipeline": Message("report.required")})
    owners = tuple(users.find_user(session, login).id for login in args.manager)
    funnel_filter = FunnelFilter(
        _pipeline_named(session, args.pipeline).id, args.date_from, args.date_to, zone, owner_ids=owners
    )
    if args.name == "deals":
        return _deals(session, args, funnel_filter)
    if args.name == "funnel":
        frame = funnel.as_filed(funnel.cohort_funnel(session, Actor.system(), funnel_filter).drop(columns=["stage_id"]))
    else:
        frame = pd.DataFrame([funnel.win_rates(session, Actor.system(), funnel_filter)])
    return _shown(frame, args.format)


def _deals(session: Session, args: argparse.Namespace, funnel_filter: FunnelFilter) -> str:
    """The deals behind --figure, as the Funnel page lists them when the figure is clicked: the largest
    first; the table ends with their count and amount (of all of them, when more than are listed)."""
    arguments = []
    if args.figure in (*funnel.WITH_STAGE, "lost_reason"):
        if not args.stage:
            raise ValidationError({"stage": Message("report.required")})
        arguments.append(_stage_named(session, funnel_filter.pipeline_id, args.stage))
    if args.figure == "lost_reason":
        arguments.append(_reason_named(session, args.reason or ""))
    members = funnel.figure_deals(session, Actor.system(), funnel_filter, args.figure, *arguments)
    found = deals_behind(session, members, limit=LIST_LIMIT_CLI)
    frame = found.rows if found.count != found.deals else found.rows.drop(columns=["counted"])
    frame = frame.assign(amount=frame["amount"].map("{:.2f}".format))
    if args.format == "csv":
        return _shown(frame, "csv")
    total = f"{found.deals} deals" + (f", {found.count} stays" if found.count != found.deals else "")
    total += "" if found.amount is None else f", amount {found.amount:.2f}"
    return f"{_shown(frame, 'table')}\n{total}"


def _stage_named(session: Session, pipeline_id: int, name: str) -> int:
    stage = next((s for s in pipelines.list_stages(session, pipeline_id) if s.name == name), None)
    if stage is None:
        raise NotFound(Message("not_found.stage_named", name=name))
    return stage.id


def _reason_named(session: Session, name: str) -> int:
    """A lost reason's id by its name; 0 (no reason) for an empty name."""
    if not name:
        return 0
    reason = next((r for r in lost_reasons.list_lost_reasons(session, active_only=False) if r.name == name), None)
    if reason is None:
        raise NotFound(Message("not_found.reason_named", name=name))
    return reason.id


def _managers(session: Session, args: argparse.Namespace, zone: ZoneInfo) -> pd.DataFrame:
    frame = activity.manager_activity(
        session,
        Actor.system(),
        date_from=args.date_from,
        date_to=args.date_to,
        now=utcnow(),
        zone=zone,
        team_id=_team_named(session, args.team),
    )
    return pd.concat([frame, activity.totals(frame, "Total")]).drop(columns=["manager_id"])


def _plan_fact(session: Session, args: argparse.Namespace, zone: ZoneInfo) -> pd.DataFrame:
    if not args.period:
        raise ValidationError({"period": Message("report.period_required")})
    period = Period.parse(args.period)
    frame = plan_fact.plan_fact(
        session,
        Actor.system(),
        period=period,
        today=utcnow().astimezone(zone).date(),
        zone=zone,
        pipeline_id=_pipeline_named(session, args.pipeline).id if args.pipeline else None,
        team_id=_team_named(session, args.team),
    )
    if args.manager:
        ids = {users.find_user(session, login).id for login in args.manager}
        frame = frame[frame["manager_id"].isin(ids)]
    return plan_fact.report_table(frame)


def _pipeline_as_of(session: Session, args: argparse.Namespace, zone: ZoneInfo) -> pd.DataFrame:
    """The open deals per stage at the end of --as-of (default today), their owners of that day: those
    of --team, or the --manager ones."""
    if not args.pipeline:
        raise ValidationError({"pipeline": Message("report.required")})
    frame = history.pipeline_as_of(
        session,
        Actor.system(),
        _pipeline_named(session, args.pipeline).id,
        args.as_of or utcnow().astimezone(zone).date(),
        zone,
        owner_ids=_owners(session, args),
    )
    return frame.drop(columns=["stage_id", "position", "color"])


def _changes(session: Session, args: argparse.Namespace, zone: ZoneInfo) -> pd.DataFrame:
    """The open pipeline at the end of --from, each kind of change up to the end of --to, the end."""
    if not args.pipeline:
        raise ValidationError({"pipeline": Message("report.required")})
    if args.date_from is None or args.date_to is None:
        raise ValidationError({"from": Message("report.dates_required")})
    closing_in = None
    if args.closing_in:
        try:
            period = Period.parse(args.closing_in)
        except ValidationError as error:
            raise ValidationError({"closing-in": error.errors["period"]}) from error
        closing_in = DateRange(period.first, period.last)
    found = history.pipeline_changes(
        session,
        Actor.system(),
        _pipeline_named(session, args.pipeline).id,
        args.date_from,
        args.date_to,
        zone,
        owner_ids=_owners(session, args),
        closing_in=closing_in,
    )
    return history.changes_table(found, every_bucket=True)


def _owners(session: Session, args: argparse.Namespace) -> tuple[int, ...]:
    """The --manager ones and the members of --team (none: everyone)."""
    owners = {users.find_user(session, login).id for login in args.manager}
    if team_id := _team_named(session, args.team):
        owners |= {user.id for user in users.list_users(session, active_only=False) if user.team_id == team_id}
    return tuple(sorted(owners))


def _shown(frame: pd.DataFrame, output: str) -> str:
    return frame.to_csv(index=False).rstrip("\n") if output == "csv" else frame.to_string(index=False)


def _team_named(session: Session, name: str | None) -> int | None:
    if not name:
        return None
    team_id = users.find_team(session, name)
    if team_id is None:
        raise NotFound(Message("not_found.team_named", name=name))
    return team_id


def _pipeline_named(session: Session, name: str):
    pipeline = next((p for p in pipelines.list_pipelines(session, include_archived=True) if p.name == name), None)
    if pipeline is None:
        raise NotFound(Message("not_found.pipeline_named", name=name))
    return pipeline

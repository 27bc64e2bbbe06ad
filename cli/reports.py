"""`python -m cli report …`: the analytics functions behind the pages, printed as a table or CSV."""

import argparse
from datetime import date
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from core.analytics import funnel, reports
from core.analytics.behind import deals_behind
from core.analytics.filters import FunnelFilter
from core.definitions import LANGUAGES, explained
from core.errors import ValidationError
from core.messages import Message
from core.permissions import Actor

LIST_LIMIT_CLI = 10_000_000  # the CLI lists every deal behind a figure
NAMES = (*reports.NAMES, "deals")


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
    if args.name == "deals":
        if not args.figure:
            raise ValidationError({"figure": Message("report.required")})
        if args.explain:
            return explained(args.figure, args.language)
        return _deals(session, args, reports.funnel_filter_of(session, _query(args), zone))
    return _shown(reports.table(session, Actor.system(), _query(args), zone), args.format)


def _query(args: argparse.Namespace) -> reports.Query:
    return reports.Query(
        name=args.name,
        pipeline=args.pipeline,
        team=args.team,
        date_from=args.date_from,
        date_to=args.date_to,
        period=args.period,
        manager=tuple(args.manager),
        as_of=args.as_of,
        closing_in=args.closing_in,
    )


def _deals(session: Session, args: argparse.Namespace, funnel_filter: FunnelFilter) -> str:
    """The deals behind --figure, as the Funnel page lists them when the figure is clicked: the largest
    first; the table ends with their count and amount (of all of them, when more than are listed)."""
    arguments = []
    if args.figure in (*funnel.WITH_STAGE, "lost_reason"):
        if not args.stage:
            raise ValidationError({"stage": Message("report.required")})
        arguments.append(reports.stage_named(session, funnel_filter.pipeline_id, args.stage))
    if args.figure == "lost_reason":
        arguments.append(reports.reason_named(session, args.reason or ""))
    members = funnel.figure_deals(session, Actor.system(), funnel_filter, args.figure, *arguments)
    found = deals_behind(session, members, limit=LIST_LIMIT_CLI)
    frame = found.rows if found.count != found.deals else found.rows.drop(columns=["counted"])
    frame = frame.assign(amount=frame["amount"].map("{:.2f}".format))
    if args.format == "csv":
        return _shown(frame, "csv")
    total = f"{found.deals} deals" + (f", {found.count} stays" if found.count != found.deals else "")
    total += "" if found.amount is None else f", amount {found.amount:.2f}"
    return f"{_shown(frame, 'table')}\n{total}"


def _shown(frame: pd.DataFrame, output: str) -> str:
    return frame.to_csv(index=False).rstrip("\n") if output == "csv" else frame.to_string(index=False)

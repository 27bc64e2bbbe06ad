"""The reports behind the pages, by name, for the edges that print or send them (the CLI, the API):
one query (the CLI's options) → one table, computed by the same functions as the pages."""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from core import lost_reasons, pipelines, users
from core.analytics import activity, funnel, history, plan_fact
from core.analytics.filters import FunnelFilter
from core.clock import utcnow
from core.errors import NotFound, ValidationError
from core.messages import Message
from core.periods import DateRange, Period
from core.permissions import Actor

NAMES = ("funnel", "winrate", "managers", "plan-fact", "pipeline", "changes")


@dataclass(frozen=True)
class Query:
    """What a report is asked for, each by the name a person knows it by (a pipeline's, a team's,
    managers' logins); which of them a report reads is the CLI's help."""

    name: str
    pipeline: str | None = None
    team: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    period: str | None = None
    manager: tuple[str, ...] = ()
    as_of: date | None = None
    closing_in: str | None = None


def table(session: Session, actor: Actor, query: Query, zone: ZoneInfo) -> pd.DataFrame:
    """The report `query.name`, as the actor may see it."""
    if query.name == "plan-fact":
        return _plan_fact(session, actor, query, zone)
    if query.name == "pipeline":
        return _pipeline_as_of(session, actor, query, zone)
    if query.name == "changes":
        return _changes(session, actor, query, zone)
    if query.date_from is None or query.date_to is None:
        raise ValidationError({"from": Message("report.dates_required")})
    if query.name == "managers":
        return _managers(session, actor, query, zone)
    if query.name not in ("funnel", "winrate"):
        raise ValidationError({"name": Message("one_of", choices=", ".join(NAMES))})
    funnel_filter = funnel_filter_of(session, query, zone)
    if query.name == "funnel":
        return funnel.as_filed(funnel.cohort_funnel(session, actor, funnel_filter).drop(columns=["stage_id"]))
    return pd.DataFrame([funnel.win_rates(session, actor, funnel_filter)])


def funnel_filter_of(session: Session, query: Query, zone: ZoneInfo) -> FunnelFilter:
    """The funnel's filter a query asks for: its pipeline (required), days and managers."""
    if query.date_from is None or query.date_to is None:
        raise ValidationError({"from": Message("report.dates_required")})
    if not query.pipeline:
        raise ValidationError({"pipeline": Message("report.required")})
    owners = tuple(users.find_user(session, login).id for login in query.manager)
    return FunnelFilter(
        pipeline_named(session, query.pipeline).id, query.date_from, query.date_to, zone, owner_ids=owners
    )


def stage_named(session: Session, pipeline_id: int, name: str) -> int:
    stage = next((s for s in pipelines.list_stages(session, pipeline_id) if s.name == name), None)
    if stage is None:
        raise NotFound(Message("not_found.stage_named", name=name))
    return stage.id


def reason_named(session: Session, name: str) -> int:
    """A lost reason's id by its name; 0 (no reason) for an empty name."""
    if not name:
        return 0
    reason = next((r for r in lost_reasons.list_lost_reasons(session, active_only=False) if r.name == name), None)
    if reason is None:
        raise NotFound(Message("not_found.reason_named", name=name))
    return reason.id


def _managers(session: Session, actor: Actor, query: Query, zone: ZoneInfo) -> pd.DataFrame:
    frame = activity.manager_activity(
        session,
        actor,
        date_from=query.date_from,
        date_to=query.date_to,
        now=utcnow(),
        zone=zone,
        team_id=_team_named(session, query.team),
    )
    return pd.concat([frame, activity.totals(frame, "Total")]).drop(columns=["manager_id"])


def _plan_fact(session: Session, actor: Actor, query: Query, zone: ZoneInfo) -> pd.DataFrame:
    if not query.period:
        raise ValidationError({"period": Message("report.period_required")})
    period = Period.parse(query.period)
    frame = plan_fact.plan_fact(
        session,
        actor,
        period=period,
        today=utcnow().astimezone(zone).date(),
        zone=zone,
        pipeline_id=pipeline_named(session, query.pipeline).id if query.pipeline else None,
        team_id=_team_named(session, query.team),
    )
    if query.manager:
        ids = {users.find_user(session, login).id for login in query.manager}
        frame = frame[frame["manager_id"].isin(ids)]
    return plan_fact.report_table(frame)


def _pipeline_as_of(session: Session, actor: Actor, query: Query, zone: ZoneInfo) -> pd.DataFrame:
    """The open deals per stage at the end of --as-of (default today), their owners of that day: those
    of --team, or the --manager ones."""
    if not query.pipeline:
        raise ValidationError({"pipeline": Message("report.required")})
    frame = history.pipeline_as_of(
        session,
        actor,
        pipeline_named(session, query.pipeline).id,
        query.as_of or utcnow().astimezone(zone).date(),
        zone,
        owner_ids=_owners(session, query),
    )
    return frame.drop(columns=["stage_id", "position", "color"])


def _changes(session: Session, actor: Actor, query: Query, zone: ZoneInfo) -> pd.DataFrame:
    """The open pipeline at the end of --from, each kind of change up to the end of --to, the end."""
    if not query.pipeline:
        raise ValidationError({"pipeline": Message("report.required")})
    if query.date_from is None or query.date_to is None:
        raise ValidationError({"from": Message("report.dates_required")})
    closing_in = None
    if query.closing_in:
        try:
            period = Period.parse(query.closing_in)
        except ValidationError as error:
            raise ValidationError({"closing-in": error.errors["period"]}) from error
        closing_in = DateRange(period.first, period.last)
    found = history.pipeline_changes(
        session,
        actor,
        pipeline_named(session, query.pipeline).id,
        query.date_from,
        query.date_to,
        zone,
        owner_ids=_owners(session, query),
        closing_in=closing_in,
    )
    return history.changes_table(found, every_bucket=True)


def _owners(session: Session, query: Query) -> tuple[int, ...]:
    """The --manager ones and the members of --team (none: everyone)."""
    owners = {users.find_user(session, login).id for login in query.manager}
    if team_id := _team_named(session, query.team):
        owners |= {user.id for user in users.list_users(session, active_only=False) if user.team_id == team_id}
    return tuple(sorted(owners))


def _team_named(session: Session, name: str | None) -> int | None:
    if not name:
        return None
    team_id = users.find_team(session, name)
    if team_id is None:
        raise NotFound(Message("not_found.team_named", name=name))
    return team_id


def pipeline_named(session: Session, name: str):
    pipeline = next((p for p in pipelines.list_pipelines(session, include_archived=True) if p.name == name), None)
    if pipeline is None:
        raise NotFound(Message("not_found.pipeline_named", name=name))
    return pipeline

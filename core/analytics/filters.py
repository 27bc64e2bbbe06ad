"""The filters of the read side: the deals workspace's (shared with the current-pipeline figures) and
the funnel's."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.analytics.rotting import rotting_ids
from core.periods import DateRange
from core.permissions import Actor, visible_owner_ids
from db.models import Activity, Company, Deal, Stage, StageKind, User

STATUSES = tuple(StageKind)


@dataclass(frozen=True)
class DealFilter:
    pipeline_id: int
    stage_ids: tuple[int, ...] = ()
    status: StageKind | None = None
    search: str = ""
    owner_ids: tuple[int, ...] = ()
    only_rotting: bool = False
    only_overdue: bool = False


def overdue_activity(now: datetime) -> ColumnElement[bool]:
    """An activity still to do whose due time has passed."""
    return and_(Activity.done_at.is_(None), Activity.due_at < now)


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """True for a deal with an overdue activity, tested on the deal itself: for the flags of a page of deals."""
    return exists(select(Activity.id).where(Activity.deal_id == Deal.id, overdue_activity(now)))


def deal_conditions(session: Session, actor: Actor, deal_filter: DealFilter, now: datetime) -> list:
    conditions = [Deal.pipeline_id == deal_filter.pipeline_id]
    owners = visible_owner_ids(actor, deal_filter.owner_ids)
    if owners:
        conditions.append(Deal.owner_id.in_(owners))
    if deal_filter.stage_ids:
        conditions.append(Deal.stage_id.in_(deal_filter.stage_ids))
    if deal_filter.status is not None:
        conditions.append(Deal.status == deal_filter.status)
    text = deal_filter.search.strip().lower()
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        # An alias of its own: the deal list joins companies too, and must not correlate with this.
        company = aliased(Company)
        company_match = exists(
            select(company.id).where(company.id == Deal.company_id, func.lower(company.name).like(pattern, escape="\\"))
        )
        conditions.append(or_(func.lower(Deal.title).like(pattern, escape="\\"), company_match))
    if deal_filter.only_rotting:
        stages = session.scalars(select(Stage).where(Stage.pipeline_id == deal_filter.pipeline_id)).all()
        conditions.append(Deal.id.in_(rotting_ids(stages, now)))
    if deal_filter.only_overdue:
        # The few activities still to do, by due time (a partial index), not every deal tested in turn.
        conditions.append(Deal.id.in_(select(Activity.deal_id).where(overdue_activity(now))))
    return conditions


@dataclass(frozen=True)
class FunnelFilter:
    """The filters of every funnel metric (SPEC §3): a pipeline, a period of whole days in the
    installation's time zone, and optional managers, team, source, region and segment. No pipeline
    (None): every pipeline, for the figures that are not per stage (the rates, the trend, lost deals)."""

    pipeline_id: int | None
    date_from: date
    date_to: date  # inclusive
    zone: ZoneInfo = ZoneInfo("UTC")
    owner_ids: tuple[int, ...] = ()
    team_id: int | None = None
    source: str | None = None
    region: str | None = None
    segment: str | None = None

    def bounds(self) -> tuple[datetime, datetime]:
        return DateRange(self.date_from, self.date_to).bounds(self.zone)


@dataclass(frozen=True)
class Scope:
    """Whose deals a figure counts, as the rollups see it: key column → allowed values (a pipeline,
    owners), and the categories only the deals themselves know (source, region, segment)."""

    match: dict[str, tuple]
    categories: tuple[tuple[str, str], ...] = ()


def funnel_scope(session: Session, actor: Actor, funnel_filter: FunnelFilter) -> Scope:
    """Who and what the funnel's deals are (not when): the pipeline, the owners the actor may see narrowed
    to the team, and the categories."""
    match: dict[str, tuple] = {}
    if funnel_filter.pipeline_id is not None:
        match["pipeline_id"] = (funnel_filter.pipeline_id,)
    owners = visible_owner_ids(actor, funnel_filter.owner_ids)
    if funnel_filter.team_id is not None:
        members = session.scalars(select(User.id).where(User.team_id == funnel_filter.team_id)).all()
        owners = tuple(sorted(set(members) & set(owners))) if owners else tuple(members)
    if owners:
        match["owner_id"] = tuple(owners)
    elif funnel_filter.team_id is not None:
        match["owner_id"] = ()  # a team with nobody in it
    categories = tuple(
        (name, value) for name in ("source", "region", "segment") if (value := getattr(funnel_filter, name))
    )
    return Scope(match, categories)

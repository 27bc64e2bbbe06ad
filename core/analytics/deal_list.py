"""The deals workspace's read side: a filtered, sorted page of deals, the board, and my tasks.

Filtering, sorting and paging happen in SQL, so a page costs the same with a million deals.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from core.analytics.filters import DealFilter, deal_conditions, overdue_activity, overdue_condition
from core.analytics.funnel import current_pipeline
from core.analytics.rotting import first_of_each, rotting_condition
from core.permissions import Actor, visible_owner_ids
from db.models import Activity, Company, Deal, Stage, StageKind, User

MAX_PAGE_SIZE = 200
SORTS = {
    "recent": (Deal.created_at.desc(), Deal.id.desc()),
    "amount": (Deal.amount.desc(), Deal.id.desc()),
    "expected_close": (Deal.expected_close_date.is_(None), Deal.expected_close_date, Deal.id),
    "age_in_stage": (Deal.stage_entered_at, Deal.id),
}
DEAL_COLUMNS = [
    "id",
    "version",
    "title",
    "company",
    "amount",
    "stage_id",
    "stage",
    "stage_color",
    "status",
    "stage_entered_at",
    "next_activity_at",
    "expected_close_date",
    "owner_id",
    "owner",
    "overdue",
    "rotting",
]


@dataclass(frozen=True)
class DealPage:
    rows: pd.DataFrame
    total: int
    page: int
    page_size: int


def _pipeline_stages(session: Session, pipeline_id: int) -> list[Stage]:
    return list(session.scalars(select(Stage).where(Stage.pipeline_id == pipeline_id)))


def _deal_rows(
    session: Session, stages: list[Stage], conditions: list, now: datetime, order, limit: int, offset: int
) -> pd.DataFrame:
    next_activity = (
        select(func.min(Activity.due_at))
        .where(Activity.deal_id == Deal.id, Activity.done_at.is_(None))
        .scalar_subquery()
    )
    query = (
        select(
            Deal.id,
            Deal.version,
            Deal.title,
            Company.name,
            Deal.amount,
            Deal.stage_id,
            Stage.name,
            Stage.color,
            Deal.status,
            Deal.stage_entered_at,
            next_activity,
            Deal.expected_close_date,
            Deal.owner_id,
            User.display_name,
            case((overdue_condition(now), True), else_=False),
            case((rotting_condition(stages, now), True), else_=False),
        )
        .join(Stage, Stage.id == Deal.stage_id)
        .join(User, User.id == Deal.owner_id)
        .outerjoin(Company, Company.id == Deal.company_id)
        .where(*conditions)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=DEAL_COLUMNS)
    frame["amount"] = frame["amount"].astype(float)
    frame["days_in_stage"] = [(now - entered).days for entered in frame["stage_entered_at"]]
    return frame


def list_deals(
    session: Session,
    actor: Actor,
    deal_filter: DealFilter,
    *,
    now: datetime,
    page: int = 0,
    page_size: int = 50,
    sort: str = "recent",
) -> DealPage:
    """One page of the deals the actor may see that pass the filter, with their flags."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    conditions = deal_conditions(session, actor, deal_filter, now)
    total = session.scalar(select(func.count()).select_from(Deal).where(*conditions))
    page = max(0, min(page, (max(total, 1) - 1) // page_size))
    stages = _pipeline_stages(session, deal_filter.pipeline_id)
    order = SORTS.get(sort, SORTS["recent"])
    rows = _deal_rows(session, stages, conditions, now, order, page_size, page * page_size)
    return DealPage(rows, total, page, page_size)


MAX_BOARD_CARDS = 500  # a column's cards at most, however often it is asked for more: the grid pages the rest
BOARD_CARD_COLUMNS = [
    "id",
    "version",
    "title",
    "company",
    "amount",
    "stage_id",
    "owner_id",
    "owner",
    "stage_entered_at",
    "next_activity_kind",
    "next_activity_at",
    "rotting",
]


@dataclass(frozen=True)
class BoardColumn:
    stage_id: int
    stage: str
    color: str
    deals: int
    amount: float
    weighted_amount: float  # amount × the stage's probability, as the current pipeline counts it
    cards: pd.DataFrame  # the column's largest deals, at most its limit (BOARD_CARD_COLUMNS + days_in_stage)

    @property
    def hidden(self) -> int:
        """The column's deals that have no card (yet)."""
        return self.deals - len(self.cards)


def board(
    session: Session,
    actor: Actor,
    deal_filter: DealFilter,
    *,
    now: datetime,
    cards_per_stage: int = 20,
    limits: Mapping[int, int] | None = None,
) -> list[BoardColumn]:
    """The open stages of a pipeline as columns: the count, amount and weighted amount of all their
    deals (the current pipeline), and cards for the largest: `cards_per_stage` of them, or as many as
    `limits` (stage → cards) asks for a column that was asked for more, never over MAX_BOARD_CARDS."""
    totals = current_pipeline(session, actor, deal_filter, now=now)
    conditions = deal_conditions(session, actor, deal_filter, now)
    stages = _pipeline_stages(session, deal_filter.pipeline_id)
    limits = limits or {}
    columns = []
    for stage in totals.itertuples():
        limit = max(1, min(limits.get(stage.stage_id, cards_per_stage), MAX_BOARD_CARDS))
        cards = _board_cards(session, stages, [*conditions, Deal.stage_id == stage.stage_id], now, limit)
        columns.append(
            BoardColumn(
                stage.stage_id, stage.stage, stage.color, stage.deals, stage.amount, stage.weighted_amount, cards
            )
        )
    return columns


def _board_cards(session: Session, stages: list[Stage], conditions: list, now: datetime, limit: int) -> pd.DataFrame:
    """The `limit` largest open deals that meet the conditions, with what a card shows: the company, the
    owner, the next activity still to do (soonest due first, undated last) and whether it rots.

    The largest are picked first (the stage's amount index, read from its top), so the card's lookups run
    for those deals only, not for every deal of a stage of ten thousand."""
    largest = (
        select(Deal.id)
        .where(*conditions, Deal.status == StageKind.OPEN)
        .order_by(*SORTS["amount"])
        .limit(limit)
        .subquery()
    )
    upcoming = aliased(Activity)
    next_activity = (
        select(Activity.id)
        .where(Activity.deal_id == Deal.id, Activity.done_at.is_(None))
        .order_by(Activity.due_at.is_(None), Activity.due_at, Activity.id)
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            Deal.id,
            Deal.version,
            Deal.title,
            Company.name,
            Deal.amount,
            Deal.stage_id,
            Deal.owner_id,
            User.display_name,
            Deal.stage_entered_at,
            upcoming.kind,
            upcoming.due_at,
            case((rotting_condition(stages, now), True), else_=False),
        )
        .join(largest, largest.c.id == Deal.id)
        .join(User, User.id == Deal.owner_id)
        .outerjoin(Company, Company.id == Deal.company_id)
        .outerjoin(upcoming, upcoming.id == next_activity)
        .order_by(*SORTS["amount"])
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=BOARD_CARD_COLUMNS)
    frame["amount"] = frame["amount"].astype(float)
    frame["days_in_stage"] = [(now - entered).days for entered in frame["stage_entered_at"]]
    return frame


TASK_COLUMNS = ["id", "kind", "subject", "due_at", "deal_id", "deal"]


@dataclass(frozen=True)
class TaskBucket:
    rows: pd.DataFrame  # the first `limit` tasks, soonest due first
    total: int


def my_tasks(
    session: Session, actor: Actor, *, now: datetime, zone: ZoneInfo, limit: int = 30
) -> dict[str, TaskBucket]:
    """The actor's activities still to do: overdue, due later today (in the installation's zone), later."""
    end_of_today = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), datetime.min.time(), zone)
    mine = (Activity.owner_id == actor.id, Activity.done_at.is_(None))
    windows = {
        "overdue": (Activity.due_at < now,),
        "today": (Activity.due_at >= now, Activity.due_at < end_of_today),
        "upcoming": (Activity.due_at >= end_of_today,),
    }
    buckets = {}
    for name, window in windows.items():
        total = session.scalar(select(func.count()).select_from(Activity).where(*mine, *window))
        query = (
            select(Activity.id, Activity.kind, Activity.subject, Activity.due_at, Activity.deal_id, Deal.title)
            .outerjoin(Deal, Deal.id == Activity.deal_id)
            .where(*mine, *window)
            .order_by(Activity.due_at, Activity.id)
            .limit(limit)
        )
        buckets[name] = TaskBucket(pd.DataFrame(session.execute(query).all(), columns=TASK_COLUMNS), total)
    return buckets


def deal_flags(session: Session, deal_id: int, *, now: datetime) -> dict[str, bool]:
    """Whether one deal has an overdue activity and whether it is rotting."""
    deal = session.get(Deal, deal_id)
    stages = _pipeline_stages(session, deal.pipeline_id) if deal else []
    row = session.execute(
        select(
            case((overdue_condition(now), True), else_=False),
            case((rotting_condition(stages, now), True), else_=False),
        ).where(Deal.id == deal_id)
    ).one_or_none()
    return {"overdue": bool(row and row[0]), "rotting": bool(row and row[1])}


def overdue_activities(
    session: Session, actor: Actor, *, owner_ids: tuple[int, ...], now: datetime, limit: int = 50
) -> pd.DataFrame:
    """Activities not done and due before `now` of the owners (a manager: their own), oldest first
    (then by id): each owner's first `limit` read from the start of their range of what is still to do
    (an index in that order), merged; at most `limit` rows per owner, however many are overdue."""
    owners = visible_owner_ids(actor, owner_ids)
    order = (Activity.due_at, Activity.id)
    ranges = [(Activity.owner_id == owner,) for owner in owners] if owners else [()]
    oldest = first_of_each(session, select(*order).where(overdue_activity(now)), ranges, order, limit)
    query = (
        select(
            Activity.id,
            Activity.kind,
            Activity.subject,
            Activity.due_at,
            Activity.deal_id,
            Deal.title,
            User.display_name,
        )
        .outerjoin(Deal, Deal.id == Activity.deal_id)
        .join(User, User.id == Activity.owner_id)
        .where(Activity.id.in_([activity_id for _, activity_id in oldest]))
        .order_by(*order)
    )
    return pd.DataFrame(
        session.execute(query).all(), columns=["id", "kind", "subject", "due_at", "deal_id", "deal", "owner"]
    )

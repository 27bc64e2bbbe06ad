"""Rotting deals (SPEC §3): open, with the last stage change and the last done activity both older
than the stage's rot_days. A planned future activity does not stop a deal rotting.

When a deal went idle (the later of the two) is `idle_since` of db/rollups/sources.py; the rollup_idle
table keeps it for every open deal by stage, so the rotting deals of a stage are one range of it,
however many deals there are. Everything that asks whether deals rot — the flag on a deal, the
workspace's filter, the dashboard's counts and list — asks here.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, union_all
from sqlalchemy.orm import Session

from core.permissions import Actor, visible_owner_ids
from db.models import Deal, RollupIdle, Stage, StageKind, User
from db.rollups.sources import idle_since


def _cutoffs(stages: Iterable[Stage], now: datetime) -> list[tuple[int, datetime]]:
    """(stage, the moment before which a deal in it went idle to be rotting), for stages that rot."""
    return [
        (stage.id, now - timedelta(days=stage.rot_days))
        for stage in stages
        if stage.kind == StageKind.OPEN and stage.rot_days > 0
    ]


def rotting_condition(stages: Iterable[Stage], now: datetime) -> ColumnElement[bool]:
    """True for a rotting deal, tested on the deal itself: for the flags of a page of deals."""
    per_stage = [and_(Deal.stage_id == stage_id, idle_since() < cutoff) for stage_id, cutoff in _cutoffs(stages, now)]
    return and_(Deal.status == StageKind.OPEN, or_(*per_stage)) if per_stage else false()


def _rotting_rows(stages: Iterable[Stage], now: datetime) -> ColumnElement[bool]:
    per_stage = [
        and_(RollupIdle.stage_id == stage_id, RollupIdle.idle_since < cutoff)
        for stage_id, cutoff in _cutoffs(stages, now)
    ]
    return or_(*per_stage) if per_stage else false()


def rotting_ids(stages: Iterable[Stage], now: datetime) -> Select:
    """The ids of the rotting deals, read from the rollup: for filtering many deals at once."""
    return select(RollupIdle.deal_id).where(_rotting_rows(stages, now))


def rotting_counts(
    session: Session, stages: Iterable[Stage], now: datetime, owner_ids: Iterable[int]
) -> dict[int, int]:
    """Rotting deals per owner."""
    rows = session.execute(
        select(RollupIdle.owner_id, func.count())
        .where(_rotting_rows(stages, now), RollupIdle.owner_id.in_(list(owner_ids)))
        .group_by(RollupIdle.owner_id)
    )
    return dict(rows.all())


def longest_idle(
    session: Session, stages: Iterable[Stage], now: datetime, owner_ids: tuple[int, ...], limit: int
) -> list[int]:
    """The ids of the `limit` rotting deals idle longest (then by owner and id; a manager's, or
    everyone's for no owners): the first `limit` of each stage's range, read from its start, then
    merged. One owner's range in a stage is an index range of its own; several owners' (a team's,
    every manager's) are walked along the stage's range, skipping the others' deals: one statement
    part per stage, not one per stage and owner (hundreds of parts take PostgreSQL long to plan)."""
    if len(owner_ids) == 1:
        whose = [RollupIdle.owner_id == owner_ids[0]]
    else:
        whose = [RollupIdle.owner_id.in_(owner_ids)] if owner_ids else []
    ranges = [
        (RollupIdle.stage_id == stage_id, RollupIdle.idle_since < cutoff, *whose)
        for stage_id, cutoff in _cutoffs(stages, now)
    ]
    # The order of the primary key within a stage (and of the owner's index, for one owner).
    order = (RollupIdle.idle_since, RollupIdle.owner_id, RollupIdle.deal_id)
    return [deal_id for *_, deal_id in first_of_each(session, select(*order), ranges, order, limit)]


# Ranges per statement: SQLite takes at most 500 terms in one UNION.
RANGES_PER_STATEMENT = 100


def first_of_each(session: Session, query: Select, ranges: list[tuple], order: tuple, limit: int) -> list[tuple]:
    """The first `limit` rows in `order` of the query over several ranges (each a tuple of conditions
    that an index yields in that order): the first `limit` of each, read in one UNION ALL, merged."""
    found = []
    for start in range(0, len(ranges), RANGES_PER_STATEMENT):
        parts = [
            select(query.where(*one).order_by(*order).limit(limit).subquery())
            for one in ranges[start : start + RANGES_PER_STATEMENT]
        ]
        found += session.execute(union_all(*parts) if len(parts) > 1 else parts[0]).all()
    return sorted(found)[:limit]


def rotting_deals(
    session: Session, actor: Actor, *, owner_ids: tuple[int, ...], now: datetime, limit: int = 50
) -> pd.DataFrame:
    """The rotting deals of the owners (a manager: their own), longest idle first (then by owner and
    id), across pipelines."""
    owners = visible_owner_ids(actor, owner_ids)
    stages = list(session.scalars(select(Stage).where(Stage.deleted_at.is_(None))))
    ids = longest_idle(session, stages, now, owners, limit)
    rows = session.execute(
        select(Deal.id, Deal.title, Stage.name, Deal.amount, Deal.stage_entered_at, User.display_name)
        .join(Stage, Stage.id == Deal.stage_id)
        .join(User, User.id == Deal.owner_id)
        .where(Deal.id.in_(ids))
    ).all()
    order = {deal_id: position for position, deal_id in enumerate(ids)}
    frame = pd.DataFrame(
        sorted(rows, key=lambda row: order[row[0]]), columns=["id", "title", "stage", "amount", "entered_at", "owner"]
    )
    frame["amount"] = frame["amount"].astype(float)
    frame["days_in_stage"] = [(now - entered).days for entered in frame["entered_at"]]
    return frame

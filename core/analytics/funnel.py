"""Funnel metrics (SPEC §3), aggregated in the database."""

from dataclasses import replace
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, literal, select, type_coerce
from sqlalchemy.orm import Session, aliased

from core.clock import utcnow
from core.filters import DealFilter, FunnelFilter, deal_conditions, funnel_conditions
from core.permissions import Actor
from db.models import Deal, LostReason, Stage, StageKind, StageTransition
from db.types import Money, UTCDateTime, days_between

CURRENT_PIPELINE_COLUMNS = [
    "stage_id",
    "stage",
    "position",
    "probability",
    "color",
    "deals",
    "amount",
    "weighted_amount",
]


def current_pipeline(
    session: Session, actor: Actor, deal_filter: DealFilter, *, now: datetime | None = None
) -> pd.DataFrame:
    """The open deals now in each open stage: count, amount, and amount × stage probability.

    A manager sees their own deals; executives and admins see everyone's (or the owners filtered).
    """
    conditions = deal_conditions(session, actor, deal_filter, now or utcnow())
    # One pass over the matching open deals, grouped by stage; then every open stage, empty or not.
    per_stage = (
        select(Deal.stage_id, func.count().label("deals"), func.sum(Deal.amount).label("amount"))
        .where(Deal.status == StageKind.OPEN, *conditions)
        .group_by(Deal.stage_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Stage.id,
            Stage.name,
            Stage.position,
            Stage.probability,
            Stage.color,
            func.coalesce(per_stage.c.deals, 0),
            func.coalesce(per_stage.c.amount, 0),
        )
        .outerjoin(per_stage, per_stage.c.stage_id == Stage.id)
        .where(Stage.pipeline_id == deal_filter.pipeline_id, Stage.kind == StageKind.OPEN, Stage.deleted_at.is_(None))
        .order_by(Stage.position, Stage.id)
    ).all()
    frame = pd.DataFrame(rows, columns=CURRENT_PIPELINE_COLUMNS[:-1])
    frame["amount"] = frame["amount"].astype(float)
    frame["weighted_amount"] = (frame["amount"] * frame["probability"] / 100).round(2)
    return frame


def _open_stages(session: Session, pipeline_id: int) -> list[Stage]:
    return list(
        session.scalars(
            select(Stage)
            .where(Stage.pipeline_id == pipeline_id, Stage.kind == StageKind.OPEN, Stage.deleted_at.is_(None))
            .order_by(Stage.position, Stage.id)
        )
    )


def _won_stage(session: Session, pipeline_id: int) -> Stage:
    return session.scalars(
        select(Stage).where(Stage.pipeline_id == pipeline_id, Stage.kind == StageKind.WON, Stage.deleted_at.is_(None))
    ).first()


def _share(part: float, whole: float) -> float | None:
    return None if not whole else part / whole


COHORT_COLUMNS = [
    "stage_id",
    "stage",
    "kind",
    "reached",
    "reached_amount",
    "next_step_conversion",
    "cumulative_conversion",
]


def cohort_funnel(session: Session, actor: Actor, funnel_filter: FunnelFilter) -> pd.DataFrame:
    """The deals created in the period: for each open stage (current order) how many reached it and
    their amount, then the won row; with next-step and cumulative conversion (SPEC §3).

    A deal reached stage S if it ever entered S or a later open stage, or is won now; a lost deal
    reached the stages up to the furthest one it entered. Skipped stages count as passed.
    """
    stages = _open_stages(session, funnel_filter.pipeline_id)
    won = _won_stage(session, funnel_filter.pipeline_id)
    start, end = funnel_filter.bounds()
    cohort = [*funnel_conditions(actor, funnel_filter), Deal.created_at >= start, Deal.created_at < end]
    rank = {stage.id: index for index, stage in enumerate(stages)}
    furthest_entered = (
        select(StageTransition.deal_id, func.max(case(rank, value=StageTransition.to_stage_id)).label("furthest"))
        .where(StageTransition.to_stage_id.in_(rank), StageTransition.deal_id.in_(select(Deal.id).where(*cohort)))
        .group_by(StageTransition.deal_id)
        .subquery()
    )
    is_won = Deal.status == StageKind.WON
    reach = case((is_won, len(stages) - 1), else_=func.coalesce(furthest_entered.c.furthest, -1)).label("reach")
    rows = session.execute(
        select(
            reach,
            func.count(),
            func.coalesce(func.sum(Deal.amount), 0),
            func.sum(case((is_won, 1), else_=0)),
            func.coalesce(func.sum(case((is_won, type_coerce(Deal.amount, Money())), else_=None)), 0),
        )
        .select_from(Deal)
        .outerjoin(furthest_entered, furthest_entered.c.deal_id == Deal.id)
        .where(*cohort)
        .group_by(reach)
    ).all()
    reached = [0] * len(stages)
    reached_amount = [0.0] * len(stages)
    won_count, won_amount = 0, 0.0
    for furthest, count, amount, won_deals, won_sum in rows:
        for index in range(0, int(furthest) + 1):
            reached[index] += count
            reached_amount[index] += float(amount)
        won_count += int(won_deals)
        won_amount += float(won_sum)
    counts = [*reached, won_count]
    records = []
    for index, stage in enumerate([*stages, won]):
        records.append(
            {
                "stage_id": stage.id,
                "stage": stage.name,
                "kind": stage.kind.value,
                "reached": counts[index],
                "reached_amount": round(reached_amount[index] if index < len(stages) else won_amount, 2),
                "next_step_conversion": _share(counts[index + 1], counts[index]) if index < len(stages) else None,
                "cumulative_conversion": _share(counts[index], counts[0]) if counts else None,
            }
        )
    return pd.DataFrame(records, columns=COHORT_COLUMNS)


def win_rates(session: Session, actor: Actor, funnel_filter: FunnelFilter) -> dict[str, float | int | None]:
    """Closed win rate, funnel win rate, average deal size and sales cycle (SPEC §3)."""
    start, end = funnel_filter.bounds()
    who = funnel_conditions(actor, funnel_filter)
    closed_in_period = [*who, Deal.closed_at >= start, Deal.closed_at < end]
    won_count, lost_count, won_amount = session.execute(
        select(
            func.count().filter(Deal.status == StageKind.WON),
            func.count().filter(Deal.status == StageKind.LOST),
            func.coalesce(func.sum(Deal.amount).filter(Deal.status == StageKind.WON), 0),
        ).where(*closed_in_period, Deal.status.in_((StageKind.WON, StageKind.LOST)))
    ).one()
    created, created_won = session.execute(
        select(func.count(), func.count().filter(Deal.status == StageKind.WON)).where(
            *who, Deal.created_at >= start, Deal.created_at < end
        )
    ).one()
    # One number per deal won in the period (bounded by the period, not by the table), computed in SQL.
    cycles = (
        pd.read_sql(
            select(days_between(Deal.closed_at, Deal.created_at)).where(
                *closed_in_period, Deal.status == StageKind.WON
            ),
            session.connection(),
        )
        .iloc[:, 0]
        .astype(float)
    )
    return {
        "won": won_count,
        "lost": lost_count,
        "win_rate_closed": _share(won_count, won_count + lost_count),
        "created": created,
        "created_and_won": created_won,
        "funnel_win_rate": _share(created_won, created),
        "won_amount": float(won_amount),
        "average_deal_size": float(won_amount) / won_count if won_count else None,
        "cycle_median_days": float(cycles.median()) if len(cycles) else None,
        "cycle_mean_days": float(cycles.mean()) if len(cycles) else None,
    }


TIME_IN_STAGE_COLUMNS = [
    "stage_id",
    "stage",
    "stays",
    "median_days",
    "mean_days",
    "open_now",
    "open_age_median_days",
    "open_age_mean_days",
]


def time_in_stage(session: Session, actor: Actor, funnel_filter: FunnelFilter, *, now: datetime) -> pd.DataFrame:
    """For each open stage: the stays (entered → left) that ended in the period, median and mean days;
    and the age in the stage of the open deals sitting there now."""
    stages = _open_stages(session, funnel_filter.pipeline_id)
    start, end = funnel_filter.bounds()
    who = funnel_conditions(actor, funnel_filter)
    # A stay ends with the transition out of its stage, which records when the stay began.
    ended = select(
        StageTransition.from_stage_id, days_between(StageTransition.at, StageTransition.from_entered_at)
    ).where(
        StageTransition.at >= start,
        StageTransition.at < end,
        StageTransition.from_stage_id.in_([s.id for s in stages]),
    )
    if len(who) > 1:  # beyond the pipeline (which its stages already say): owners, team, categories
        ended = ended.where(StageTransition.deal_id.in_(select(Deal.id).where(*who)))
    # Hundreds of thousands of plain numbers at scale: read straight into columns, not as rows.
    stays = pd.read_sql(ended, session.connection()).set_axis(["stage_id", "days"], axis=1)
    age = days_between(literal(now, UTCDateTime()), Deal.stage_entered_at)
    open_now = pd.read_sql(
        select(Deal.stage_id, age).where(*who, Deal.status == StageKind.OPEN), session.connection()
    ).set_axis(["stage_id", "days"], axis=1)
    stay_days = stays.groupby("stage_id")["days"].agg(["count", "median", "mean"])
    age_days = open_now.groupby("stage_id")["days"].agg(["count", "median", "mean"])
    records = []
    for stage in stages:
        stayed = stay_days.loc[stage.id] if stage.id in stay_days.index else None
        aged = age_days.loc[stage.id] if stage.id in age_days.index else None
        records.append(
            {
                "stage_id": stage.id,
                "stage": stage.name,
                "stays": int(stayed["count"]) if stayed is not None else 0,
                "median_days": float(stayed["median"]) if stayed is not None else None,
                "mean_days": float(stayed["mean"]) if stayed is not None else None,
                "open_now": int(aged["count"]) if aged is not None else 0,
                "open_age_median_days": float(aged["median"]) if aged is not None else None,
                "open_age_mean_days": float(aged["mean"]) if aged is not None else None,
            }
        )
    return pd.DataFrame(records, columns=TIME_IN_STAGE_COLUMNS)


def lost_analysis(session: Session, actor: Actor, funnel_filter: FunnelFilter) -> pd.DataFrame:
    """Deals lost in the period by the stage they were in when lost and by reason: count and amount."""
    start, end = funnel_filter.bounds()
    before = aliased(Stage)
    rows = session.execute(
        select(before.name, func.coalesce(LostReason.name, ""), func.count(), func.coalesce(func.sum(Deal.amount), 0))
        .select_from(Deal)
        .join(
            StageTransition,
            and_(
                StageTransition.deal_id == Deal.id,
                StageTransition.to_stage_id == Deal.stage_id,
                StageTransition.at == Deal.closed_at,
            ),
        )
        .outerjoin(before, before.id == StageTransition.from_stage_id)
        .outerjoin(LostReason, LostReason.id == Deal.lost_reason_id)
        .where(
            *funnel_conditions(actor, funnel_filter),
            Deal.status == StageKind.LOST,
            Deal.closed_at >= start,
            Deal.closed_at < end,
        )
        .group_by(before.name, LostReason.name)
        .order_by(func.count().desc(), before.name, LostReason.name)
    ).all()
    frame = pd.DataFrame(rows, columns=["stage", "reason", "deals", "amount"])
    frame["amount"] = frame["amount"].astype(float)
    return frame


def filter_options(session: Session, pipeline_id: int) -> dict[str, list[str]]:
    """The values the funnel can be filtered on: sources, regions and segments used in the pipeline."""
    options = {}
    for name in ("source", "region", "segment"):
        column = getattr(Deal, name)
        options[name] = list(
            session.scalars(
                select(column).where(Deal.pipeline_id == pipeline_id, column.is_not(None)).distinct().order_by(column)
            )
        )
    return options


def monthly_trend(session: Session, actor: Actor, funnel_filter: FunnelFilter) -> pd.DataFrame:
    """Per calendar month of the period: the deals created (the cohort) and the share of them won."""
    rows = []
    month = funnel_filter.date_from.replace(day=1)
    while month <= funnel_filter.date_to:
        following = (month + timedelta(days=32)).replace(day=1)
        part = replace(
            funnel_filter,
            date_from=max(month, funnel_filter.date_from),
            date_to=min(following - timedelta(days=1), funnel_filter.date_to),
        )
        start, end = part.bounds()
        created, won = session.execute(
            select(func.count(), func.count().filter(Deal.status == StageKind.WON)).where(
                *funnel_conditions(actor, part), Deal.created_at >= start, Deal.created_at < end
            )
        ).one()
        rows.append({"month": month, "created": created, "won": won, "funnel_win_rate": _share(won, created)})
        month = following
    return pd.DataFrame(rows, columns=["month", "created", "won", "funnel_win_rate"])

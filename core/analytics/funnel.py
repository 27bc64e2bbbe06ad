"""Funnel metrics (SPEC §3), aggregated in the database."""

from datetime import datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.filters import DealFilter, deal_conditions
from core.permissions import Actor
from db.models import Deal, Stage, StageKind

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

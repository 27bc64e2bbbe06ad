"""The pipeline on a past day, reconstructed from the deals' history (SPEC §3).

A deal's stage at a moment is the target of its last stage transition up to then; any other field's
value is the old value of its first change after that moment (deal_changes), or its current value
when none came after. A deal counts in the pipeline of day D when it was created by the end of D and
its stage then was open. Amounts are weighted with the stages' probabilities of today.
"""

from datetime import date

import pandas as pd
from sqlalchemy import Integer, Numeric, and_, cast, func, select
from sqlalchemy.orm import Session

from core.analytics.funnel import CURRENT_PIPELINE_COLUMNS
from core.periods import DateRange
from core.permissions import Actor, visible_owner_ids
from db.models import Deal, DealChange, Stage, StageKind, StageTransition
from db.types import CENTS


def pipeline_as_of(
    session: Session, actor: Actor, pipeline_id: int, day: date, zone, *, owner_ids: tuple[int, ...] = ()
) -> pd.DataFrame:
    """The open deals at the end of `day` (in `zone`) in each open stage of the pipeline: count, amount
    then, and amount × the stage's probability today; the columns of the current pipeline. A stage
    deleted since shows when deals were in it that day. Owners are the owners of that day: a manager
    sees the deals that were theirs."""
    _, moment = DateRange(day, day).bounds(zone)  # the start of the next day: everything of `day`
    owners = visible_owner_ids(actor, owner_ids)
    last_move = (
        select(
            StageTransition.deal_id,
            StageTransition.to_stage_id.label("stage_id"),
            func.row_number()
            .over(partition_by=StageTransition.deal_id, order_by=(StageTransition.at.desc(), StageTransition.id.desc()))
            .label("latest"),
        )
        .join(Deal, Deal.id == StageTransition.deal_id)
        .where(Deal.pipeline_id == pipeline_id, Deal.created_at < moment, StageTransition.at < moment)
        .subquery()
    )
    amount_then, owner_then = (_value_after(field, moment) for field in ("amount", "owner_id"))
    owner = func.coalesce(cast(owner_then.c.old_value, Integer), Deal.owner_id)
    cents = func.coalesce(
        cast(amount_then.c.old_value, Numeric(20, 2)) * int(CENTS), Deal.amount, type_=Numeric()
    )  # cents
    query = (
        select(last_move.c.stage_id, func.count(), func.sum(cents, type_=Numeric()))
        .join(Deal, Deal.id == last_move.c.deal_id)
        .join(Stage, Stage.id == last_move.c.stage_id)
        .outerjoin(amount_then, and_(amount_then.c.deal_id == Deal.id, amount_then.c.first == 1))
        .outerjoin(owner_then, and_(owner_then.c.deal_id == Deal.id, owner_then.c.first == 1))
        .where(last_move.c.latest == 1, Stage.kind == StageKind.OPEN)
        .group_by(last_move.c.stage_id)
    )
    if owners:
        query = query.where(owner.in_(owners))
    per_stage = {stage_id: (deals, float(total or 0) / int(CENTS)) for stage_id, deals, total in session.execute(query)}
    stages = session.scalars(
        select(Stage)
        .where(Stage.pipeline_id == pipeline_id, Stage.kind == StageKind.OPEN)
        .order_by(Stage.position, Stage.id)
    )
    records = [
        (stage.id, stage.name, stage.position, stage.probability, stage.color, *per_stage.get(stage.id, (0, 0.0)))
        for stage in stages
        if stage.deleted_at is None or stage.id in per_stage
    ]
    frame = pd.DataFrame(records, columns=CURRENT_PIPELINE_COLUMNS[:-1])
    frame["amount"] = frame["amount"].astype(float).round(2)
    frame["weighted_amount"] = (frame["amount"] * frame["probability"] / 100).round(2)
    return frame


def _value_after(field: str, moment):
    """Each deal's changes of `field` after `moment`, the first of them numbered 1: its old value is
    the deal's value at `moment`."""
    return (
        select(
            DealChange.deal_id,
            DealChange.old_value,
            func.row_number()
            .over(partition_by=DealChange.deal_id, order_by=(DealChange.at, DealChange.id))
            .label("first"),
        )
        .where(DealChange.field == field, DealChange.at >= moment)
        .subquery()
    )

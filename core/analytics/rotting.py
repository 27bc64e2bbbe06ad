"""Rotting deals (SPEC §3): open, with the last stage change and the last done activity both older
than the stage's rot_days. A planned future activity does not stop a deal rotting."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

from db.models import Activity, Deal, Stage, StageKind


def rotting_condition(stages: Iterable[Stage], now: datetime) -> ColumnElement[bool]:
    """A WHERE clause true for the rotting deals among those in `stages`.

    The cut-off is computed per stage in Python, so the SQL is the same on every database and can
    use the (stage, stage_entered_at) order of the deals.
    """
    per_stage = []
    for stage in stages:
        if stage.kind != StageKind.OPEN or stage.rot_days <= 0:
            continue
        cutoff = now - timedelta(days=stage.rot_days)
        recent_activity = exists(select(Activity.id).where(Activity.deal_id == Deal.id, Activity.done_at >= cutoff))
        per_stage.append(and_(Deal.stage_id == stage.id, Deal.stage_entered_at < cutoff, ~recent_activity))
    if not per_stage:
        return false()
    return and_(Deal.status == StageKind.OPEN, or_(*per_stage))

"""The deal filters shared by the deals workspace and the current-pipeline figures."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.analytics.rotting import rotting_condition
from core.errors import PermissionDenied
from core.permissions import Actor
from db.models import Activity, Company, Deal, Role, Stage, StageKind


@dataclass(frozen=True)
class DealFilter:
    pipeline_id: int
    stage_ids: tuple[int, ...] = ()
    status: StageKind | None = None
    search: str = ""
    owner_ids: tuple[int, ...] = ()
    only_rotting: bool = False
    only_overdue: bool = False


def visible_owner_ids(actor: Actor, owner_ids: tuple[int, ...]) -> tuple[int, ...]:
    """Managers see their own deals only; the others see the owners asked for (none = everyone)."""
    if actor.role != Role.MANAGER:
        return owner_ids
    if owner_ids and set(owner_ids) != {actor.id}:
        raise PermissionDenied("Managers see their own deals only.")
    return (actor.id,)


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    return exists(
        select(Activity.id).where(Activity.deal_id == Deal.id, Activity.done_at.is_(None), Activity.due_at < now)
    )


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
        conditions.append(rotting_condition(stages, now))
    if deal_filter.only_overdue:
        conditions.append(overdue_condition(now))
    return conditions

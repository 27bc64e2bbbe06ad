"""Monthly plans (targets) for a manager or a team, optionally for one pipeline, with their history."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pandas as pd
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.clock import utcnow
from core.errors import ValidationError
from core.messages import Message
from core.periods import Period
from core.permissions import Actor, require_role
from core.validation import clean_count, clean_money
from db.models import Pipeline, Plan, PlanChange, Role, Team, User

TARGETS = ("target_amount", "target_count", "target_calls", "target_meetings")
MAX_UPLIFT_PERCENT = 1000


def scope_key(*, user_id: int | None, team_id: int | None, pipeline_id: int | None) -> str:
    who = f"user:{user_id}" if user_id is not None else f"team:{team_id}"
    return f"{who}/pipeline:{pipeline_id if pipeline_id is not None else '*'}"


def set_plan(
    session: Session,
    actor: Actor,
    *,
    month: date,
    user_id: int | None = None,
    team_id: int | None = None,
    pipeline_id: int | None = None,
    target_amount: Any,
    target_count: Any,
    target_calls: Any = None,
    target_meetings: Any = None,
) -> int:
    """Create or replace the plan of one manager or team for one month. Returns the plan's id."""
    require_role(actor, Role.EXECUTIVE, Role.ADMIN, action="edit_plans")
    targets = {
        "target_amount": target_amount,
        "target_count": target_count,
        "target_calls": target_calls,
        "target_meetings": target_meetings,
    }
    return _save(session, actor, month, user_id, team_id, pipeline_id, targets)


def set_target(
    session: Session,
    actor: Actor,
    *,
    month: date,
    field: str,
    value: Any,
    user_id: int | None = None,
    team_id: int | None = None,
    pipeline_id: int | None = None,
) -> int:
    """Change one target of one plan (a cell of the plans grid); a missing plan is created with the
    other targets at zero (amount, count) or none (calls, meetings). Returns the plan's id."""
    require_role(actor, Role.EXECUTIVE, Role.ADMIN, action="edit_plans")
    if field not in TARGETS:
        raise ValidationError({"field": Message("choose_one_of", choices=", ".join(TARGETS))})
    return _save(session, actor, month, user_id, team_id, pipeline_id, {field: value})


def copy_plans(
    session: Session,
    actor: Actor,
    *,
    source: Period,
    target: Period,
    uplift_percent: Any,
    team_id: int | None = None,
    pipeline_id: int | None = None,
) -> int:
    """Copy the plans of `source` to `target` (a period of the same length), month by month, every
    target raised by `uplift_percent` (negative lowers) and rounded to whole units: the managers'
    plans (of one team, or all) and the teams' own plans, for one pipeline or the plans for all
    pipelines. Plans of deactivated managers are not copied; existing plans of the target months are
    replaced. Returns how many plans were written."""
    require_role(actor, Role.EXECUTIVE, Role.ADMIN, action="edit_plans")
    errors: dict[str, Message] = {}
    uplift = _clean_percent(errors, "uplift_percent", uplift_percent)
    errors |= _copy_errors(session, source, target, team_id)
    if errors:
        raise ValidationError(errors)
    factor = 1 + uplift / 100
    month_of = dict(zip(source.months, target.months, strict=True))
    written = 0
    for plan in session.scalars(_copied(source, team_id, pipeline_id).order_by(Plan.month, Plan.id)).all():
        values = {
            "target_amount": (plan.target_amount * factor).quantize(Decimal(1), ROUND_HALF_UP),
            "target_count": _scaled(plan.target_count, factor),
            "target_calls": _scaled(plan.target_calls, factor),
            "target_meetings": _scaled(plan.target_meetings, factor),
        }
        copy = _plan_for(session, month_of[plan.month], plan.user_id, plan.team_id, plan.pipeline_id)
        _apply(session, actor, copy, values)
        written += 1
    return written


@dataclass(frozen=True)
class CopyPreview:
    """What a copy would write: `copied` plans, of which `replaced` overwrite plans already set."""

    copied: int
    replaced: int


def preview_copy(
    session: Session,
    actor: Actor,
    *,
    source: Period,
    target: Period,
    team_id: int | None = None,
    pipeline_id: int | None = None,
) -> CopyPreview:
    """How many plans `copy_plans` of the same arguments would write, and how many of them replace a
    plan the target month already has (the rest are new): counted in the database, nothing written."""
    require_role(actor, Role.EXECUTIVE, Role.ADMIN, action="edit_plans")
    errors = _copy_errors(session, source, target, team_id)
    if errors:
        raise ValidationError(errors)
    taken = _copied(source, team_id, pipeline_id).subquery()
    existing = aliased(Plan)
    month_of = dict(zip(source.months, target.months, strict=True))
    copied, replaced = session.execute(
        select(func.count(), func.count(existing.id))
        .select_from(taken)
        .outerjoin(
            existing,
            and_(existing.scope_key == taken.c.scope_key, existing.month == case(month_of, value=taken.c.month)),
        )
    ).one()
    return CopyPreview(copied, replaced)


def suggested_copy(
    session: Session,
    actor: Actor,
    *,
    shown: Period,
    earlier: int,
    later: int,
    team_id: int | None = None,
    pipeline_id: int | None = None,
) -> tuple[Period, Period]:
    """The copy a head of sales most likely wants when looking at `shown`, never one onto plans already
    set when another is offered: `shown`'s plans onto the first of the `later` periods after it that
    has no plans yet; or, when `shown` has no plans itself, the plans of the latest of the `earlier`
    periods before it that has some, onto `shown`. When every later period has plans, the next one:
    the copy then names the plans it replaces before it replaces them."""
    require_role(actor, Role.EXECUTIVE, Role.ADMIN, action="edit_plans")
    periods = [shown.shifted(step) for step in range(-earlier, later + 1)]
    owner = aliased(User)
    query = (
        select(Plan.month)
        .outerjoin(owner, owner.id == Plan.user_id)
        .where(
            Plan.month.in_([month for period in periods for month in period.months]),
            Plan.pipeline_id.is_(None) if pipeline_id is None else Plan.pipeline_id == pipeline_id,
        )
        .distinct()
    )
    if team_id is not None:
        query = query.where(or_(Plan.team_id == team_id, owner.team_id == team_id))
    planned = set(session.scalars(query))
    has_plans = {period: any(month in planned for month in period.months) for period in periods}
    if not has_plans[shown]:
        before = [shown.shifted(-step) for step in range(1, earlier + 1)]
        return next((period for period in before if has_plans[period]), shown.shifted(-1)), shown
    after = [shown.shifted(step) for step in range(1, later + 1)]
    return shown, next((period for period in after if not has_plans[period]), shown.shifted(1))


def _copy_errors(session: Session, source: Period, target: Period, team_id: int | None) -> dict[str, Message]:
    errors: dict[str, Message] = {}
    if source.kind != target.kind:
        errors["target"] = Message("plan.copy_same_kind")
    elif source == target:
        errors["target"] = Message("plan.copy_other_period")
    if team_id is not None and session.get(Team, team_id) is None:
        errors["team_id"] = Message("no_such.team", id=team_id)
    return errors


def _copied(source: Period, team_id: int | None, pipeline_id: int | None) -> Select:
    """The plans a copy of `source` takes: of active managers (of the team) and of teams."""
    owner = aliased(User)
    query = (
        select(Plan)
        .outerjoin(owner, owner.id == Plan.user_id)
        .where(
            Plan.month.in_(source.months),
            Plan.pipeline_id.is_(None) if pipeline_id is None else Plan.pipeline_id == pipeline_id,
            or_(Plan.user_id.is_(None), owner.is_active.is_(True)),
        )
    )
    if team_id is not None:
        query = query.where(or_(Plan.team_id == team_id, owner.team_id == team_id))
    return query


def list_plans(
    session: Session,
    actor: Actor,
    *,
    period: Period,
    pipeline_id: int | None = None,
    team_id: int | None = None,
) -> pd.DataFrame:
    """The plans of the period's months for one pipeline (None: the plans for all pipelines): one row
    per plan. A manager reads their own plans only."""
    owner = aliased(User)
    query = (
        select(Plan.id, Plan.month, Plan.user_id, Plan.team_id, *[getattr(Plan, name) for name in TARGETS])
        .outerjoin(owner, owner.id == Plan.user_id)
        .where(
            Plan.month.in_(period.months),
            Plan.pipeline_id.is_(None) if pipeline_id is None else Plan.pipeline_id == pipeline_id,
        )
        .order_by(Plan.month, Plan.id)
    )
    if not actor.sees_everyone:
        query = query.where(Plan.user_id == actor.id)
    elif team_id is not None:
        query = query.where(or_(Plan.team_id == team_id, owner.team_id == team_id))
    frame = pd.DataFrame(session.execute(query).all(), columns=["plan_id", "month", "user_id", "team_id", *TARGETS])
    frame["target_amount"] = frame["target_amount"].astype(float)
    return frame


def plan_history(session: Session, actor: Actor, *, limit: int = 50) -> pd.DataFrame:
    """The latest plan edits, newest first: when, by whom, whose plan, month, target, was, now."""
    require_role(actor, Role.EXECUTIVE, Role.ADMIN, action="read_plan_history")
    editor, owner = aliased(User), aliased(User)
    rows = session.execute(
        select(
            PlanChange.at,
            editor.display_name,
            func.coalesce(owner.display_name, Team.name),
            Plan.month,
            PlanChange.field,
            PlanChange.old_value,
            PlanChange.new_value,
        )
        .join(Plan, Plan.id == PlanChange.plan_id)
        .outerjoin(editor, editor.id == PlanChange.by_user_id)
        .outerjoin(owner, owner.id == Plan.user_id)
        .outerjoin(Team, Team.id == Plan.team_id)
        .order_by(PlanChange.at.desc(), PlanChange.id.desc())
        .limit(limit)
    ).all()
    return pd.DataFrame(rows, columns=["at", "by", "plan_of", "month", "target", "was", "now"])


def _save(
    session: Session,
    actor: Actor,
    month: Any,
    user_id: int | None,
    team_id: int | None,
    pipeline_id: int | None,
    targets: dict[str, Any],
) -> int:
    """Check the scope and the targets given, then write them to the scope's plan for the month."""
    errors = _check_scope(session, month, user_id, team_id, pipeline_id)
    values = _clean_targets(errors, targets)
    if errors:
        raise ValidationError(errors)
    plan = _plan_for(session, month, user_id, team_id, pipeline_id)
    _apply(session, actor, plan, values)
    return plan.id


def _clean_percent(errors: dict[str, Message], field: str, value: Any) -> Decimal:
    try:
        percent = Decimal(str(value if value not in (None, "") else 0).strip().replace(",", "."))
    except InvalidOperation:
        errors[field] = Message("not_a_number_value", value=str(value)[:40])
        return Decimal(0)
    if not percent.is_finite() or not -100 <= percent <= MAX_UPLIFT_PERCENT:
        errors[field] = Message("plan.percent_range", maximum=MAX_UPLIFT_PERCENT)
        return Decimal(0)
    return percent


def _scaled(value: int | None, factor: Decimal) -> int | None:
    return None if value is None else int((value * factor).quantize(Decimal(1), ROUND_HALF_UP))


def _check_scope(
    session: Session, month: Any, user_id: int | None, team_id: int | None, pipeline_id: int | None
) -> dict[str, Message]:
    errors: dict[str, Message] = {}
    if not isinstance(month, date):
        errors["month"] = Message("not_a_date")
    if (user_id is None) == (team_id is None):
        errors["user_id"] = Message("plan.one_scope")
    elif user_id is not None and session.get(User, user_id) is None:
        errors["user_id"] = Message("no_such.user", id=user_id)
    elif team_id is not None and session.get(Team, team_id) is None:
        errors["team_id"] = Message("no_such.team", id=team_id)
    if pipeline_id is not None and session.get(Pipeline, pipeline_id) is None:
        errors["pipeline_id"] = Message("no_such.pipeline", id=pipeline_id)
    return errors


def _clean_targets(errors: dict[str, Message], raw: dict[str, Any]) -> dict[str, Any]:
    """Amount and count must be given; calls and meetings may be blank (no target)."""
    cleaners = {
        "target_amount": lambda v: clean_money(errors, "target_amount", v),
        "target_count": lambda v: clean_count(errors, "target_count", v),
        "target_calls": lambda v: clean_count(errors, "target_calls", v, required=False),
        "target_meetings": lambda v: clean_count(errors, "target_meetings", v, required=False),
    }
    return {name: cleaners[name](value) for name, value in raw.items()}


def _plan_for(session: Session, month: date, user_id: int | None, team_id: int | None, pipeline_id: int | None) -> Plan:
    """The plan of this scope and month, or a new one (not yet flushed) with zero targets."""
    first_day = month.replace(day=1)
    key = scope_key(user_id=user_id, team_id=team_id, pipeline_id=pipeline_id)
    plan = session.scalar(select(Plan).where(Plan.month == first_day, Plan.scope_key == key))
    if plan is None:
        plan = Plan(
            month=first_day,
            user_id=user_id,
            team_id=team_id,
            pipeline_id=pipeline_id,
            scope_key=key,
            target_amount=Decimal(0),
            target_count=0,
        )
        session.add(plan)
    return plan


def _apply(session: Session, actor: Actor, plan: Plan, values: dict[str, Any]) -> None:
    """Set the targets, recording each one that changed (a new plan had none before)."""
    is_new = plan.id is None
    changed = {
        name: (None if is_new else getattr(plan, name), value)
        for name, value in values.items()
        if (value is not None if is_new else getattr(plan, name) != value)
    }
    for name, value in values.items():
        setattr(plan, name, value)
    session.flush()
    now = utcnow()
    for name, (old, new) in changed.items():
        session.add(
            PlanChange(
                plan_id=plan.id,
                at=now,
                by_user_id=actor.id,
                field=name,
                old_value=None if old is None else str(old),
                new_value=None if new is None else str(new),
            )
        )
    session.flush()

"""Monthly plans (targets) for a manager or a team, optionally for one pipeline."""

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ValidationError
from core.permissions import Actor, require_role
from core.validation import clean_count, clean_money
from db.models import Pipeline, Plan, Role, Team, User


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
    require_role(actor, Role.EXECUTIVE, Role.ADMIN, action="edit plans")
    errors: dict[str, str] = {}
    if not isinstance(month, date):
        errors["month"] = "must be a date"
    if (user_id is None) == (team_id is None):
        errors["user_id"] = "a plan is for exactly one manager or one team"
    elif user_id is not None and session.get(User, user_id) is None:
        errors["user_id"] = f"no such user ({user_id})"
    elif team_id is not None and session.get(Team, team_id) is None:
        errors["team_id"] = f"no such team ({team_id})"
    if pipeline_id is not None and session.get(Pipeline, pipeline_id) is None:
        errors["pipeline_id"] = f"no such pipeline ({pipeline_id})"
    values = {
        "target_amount": clean_money(errors, "target_amount", target_amount),
        "target_count": clean_count(errors, "target_count", target_count),
        "target_calls": clean_count(errors, "target_calls", target_calls, required=False),
        "target_meetings": clean_count(errors, "target_meetings", target_meetings, required=False),
    }
    if errors:
        raise ValidationError(errors)
    first_day = month.replace(day=1)
    key = scope_key(user_id=user_id, team_id=team_id, pipeline_id=pipeline_id)
    plan = session.scalar(select(Plan).where(Plan.month == first_day, Plan.scope_key == key))
    if plan is None:
        plan = Plan(month=first_day, user_id=user_id, team_id=team_id, pipeline_id=pipeline_id, scope_key=key)
        session.add(plan)
    for name, value in values.items():
        setattr(plan, name, value)
    session.flush()
    return plan.id

"""The catalog of reasons a deal is lost (admins edit it; lost deals reference it)."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationError
from core.messages import Message
from core.permissions import Actor, require_role
from core.validation import clean_text
from db.models import LostReason, Role


@dataclass(frozen=True)
class LostReasonInfo:
    id: int
    name: str
    is_active: bool


def _clean_unique_name(session: Session, name: str, *, exclude_id: int | None = None) -> str:
    errors: dict[str, Message] = {}
    clean_name = clean_text(errors, "name", name, required=True)
    if errors:
        raise ValidationError(errors)
    query = select(LostReason.id).where(func.lower(LostReason.name) == clean_name.lower())
    if exclude_id is not None:
        query = query.where(LostReason.id != exclude_id)
    if session.scalar(query):
        raise ValidationError({"name": Message("lost_reason.exists", name=clean_name)})
    return clean_name


def create_lost_reason(session: Session, actor: Actor, name: str) -> int:
    require_role(actor, Role.ADMIN, action="edit_lost_reasons")
    reason = LostReason(name=_clean_unique_name(session, name))
    session.add(reason)
    session.flush()
    return reason.id


def rename_lost_reason(session: Session, actor: Actor, reason_id: int, name: str) -> None:
    require_role(actor, Role.ADMIN, action="edit_lost_reasons")
    reason = _get(session, reason_id)
    reason.name = _clean_unique_name(session, name, exclude_id=reason_id)


def set_lost_reason_active(session: Session, actor: Actor, reason_id: int, active: bool) -> None:
    """Deactivated reasons leave the pick list; deals that carry them keep them."""
    require_role(actor, Role.ADMIN, action="edit_lost_reasons")
    _get(session, reason_id).is_active = active


def list_lost_reasons(session: Session, *, active_only: bool = True) -> list[LostReasonInfo]:
    query = select(LostReason).order_by(LostReason.name)
    if active_only:
        query = query.where(LostReason.is_active.is_(True))
    return [LostReasonInfo(r.id, r.name, r.is_active) for r in session.scalars(query)]


def _get(session: Session, reason_id: int) -> LostReason:
    reason = session.get(LostReason, reason_id)
    if reason is None:
        raise NotFound(Message("not_found.lost_reason", id=reason_id))
    return reason

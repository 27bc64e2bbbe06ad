"""Deals: create, edit, move through stages, close won or lost, reopen, reassign.

Every stage change writes a StageTransition, enforces the target stage's required fields, and creates
its entry tasks. Edits carry the version the user saw; a stale version raises Conflict.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core import automation
from core.clock import utcnow
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.messages import Message
from core.permissions import Actor, require_owner_or_admin, require_role
from core.pipelines import task_delay
from core.validation import clean_date, clean_money, clean_text
from db import history
from db.models import (
    Activity,
    ActivityKind,
    ChangeOperation,
    Company,
    Contact,
    Deal,
    DealChange,
    LostReason,
    Pipeline,
    Role,
    Stage,
    StageKind,
    StageTransition,
    User,
)

# The deal fields a form edits; any of them except the title may be required by a stage.
DEAL_FIELDS = (
    "title",
    "amount",
    "company_id",
    "contact_id",
    "source",
    "region",
    "segment",
    "expected_close_date",
)
REQUIRABLE_FIELDS = DEAL_FIELDS[1:]
MAX_COMMENT_LENGTH = 2000


@dataclass(frozen=True)
class DealView:
    id: int
    title: str
    amount: Decimal
    company_id: int | None
    contact_id: int | None
    source: str | None
    region: str | None
    segment: str | None
    expected_close_date: date | None
    owner_id: int
    pipeline_id: int
    stage_id: int
    status: StageKind
    lost_reason_id: int | None
    lost_comment: str | None
    created_at: datetime
    closed_at: datetime | None
    stage_entered_at: datetime
    version: int
    external_id: str | None = None  # its id in another system (an import's CRM, an accounting system)

    @property
    def is_open(self) -> bool:
        return self.status == StageKind.OPEN


@dataclass(frozen=True)
class ChangeView:
    """A change of one field: the values as they read (amounts as Decimal, dates as date, a company,
    contact, owner or lost reason by its name), None for none."""

    field: str
    old: Any
    new: Any
    at: datetime
    by_user_id: int | None
    operation: ChangeOperation

    @property
    def part_of(self) -> str | None:
        """The operation, when the change itself does not tell it: "bulk", "import", "stage_deletion", "api"."""
        return None if self.operation in _TOLD_BY_THE_CHANGE else self.operation.value


_TOLD_BY_THE_CHANGE = {
    ChangeOperation.EDIT,
    ChangeOperation.MOVE,
    ChangeOperation.CLOSE,
    ChangeOperation.REOPEN,
    ChangeOperation.REASSIGN,
}


@dataclass(frozen=True)
class TransitionView:
    from_stage_id: int | None
    to_stage_id: int
    at: datetime
    by_user_id: int | None


def create_deal(
    session: Session,
    actor: Actor,
    *,
    pipeline_id: int,
    fields: Mapping[str, Any],
    owner_id: int | None = None,
    stage_id: int | None = None,
    external_id: str | None = None,
) -> int:
    """Create an open deal in `stage_id` (default: the pipeline's first open stage), known to another
    system as `external_id` when given."""
    if actor.role == Role.MANAGER:
        if owner_id not in (None, actor.id):
            raise PermissionDenied(Message("permission.create_own_deals"))
        owner_id = actor.id
    else:
        require_role(actor, Role.ADMIN, Role.MANAGER, action="create_deals")
    errors: dict[str, Message] = {}
    if owner_id is None:
        errors["owner_id"] = Message("required")
    else:
        _check_owner(session, errors, owner_id)
    pipeline = session.get(Pipeline, pipeline_id)
    stage = None
    if pipeline is None or pipeline.is_archived:
        errors["pipeline_id"] = Message("deal.active_pipeline")
    else:
        stage = _pick_open_stage(session, errors, pipeline_id, stage_id)
    values = {"amount": Decimal(0)} | _clean_fields(session, errors, fields)
    if "title" not in values and "title" not in errors:
        errors["title"] = Message("required")
    if stage is not None:
        errors |= _missing_required(stage, values)
    external_id = clean_text(errors, "external_id", external_id, max_length=100)
    if external_id is not None and session.scalar(select(Deal.id).where(Deal.external_id == external_id)):
        errors["external_id"] = Message("deal.external_id_taken")
    if errors:
        raise ValidationError(errors)

    now = utcnow()
    deal = Deal(
        **values,
        external_id=external_id,
        owner_id=owner_id,
        pipeline_id=pipeline_id,
        stage_id=stage.id,
        status=StageKind.OPEN,
        created_at=now,
        stage_entered_at=now,
    )
    session.add(deal)
    session.flush()
    _record_entry(session, actor, deal, None, stage, now)
    return deal.id


def update_deal(session: Session, actor: Actor, deal_id: int, expected_version: int, fields: Mapping[str, Any]) -> int:
    """Edit deal fields; the current stage's required fields must stay filled. Returns the new version."""
    deal = _load_for_write(session, actor, deal_id, expected_version, action="edit_deal")
    errors: dict[str, Message] = {}
    values = _clean_fields(session, errors, fields, current=deal)
    errors |= _missing_required(deal.stage, _current_values(deal) | values)
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(deal, name, value)
    return _save(session, deal)


def edit_cell(
    session: Session, actor: Actor, deal_id: int, expected_version: int, field: str, value: Any
) -> int | None:
    """One deal field typed over in a table cell, saved as `update_deal` saves it, with two differences.

    A value that reads as the stored one (15.03.2027 over 2027-03-15, a title with spaces around it)
    is no edit: nothing is saved and None is returned. An emptied date is refused, not stored as no
    date: an empty cell is also what a slip or an unreadable date leaves behind, and a date cleared by
    accident is lost without a word. Clearing it on purpose is the deal form's (`update_deal`).
    Otherwise returns the new version.
    """
    deal = _load_for_write(session, actor, deal_id, expected_version, action="edit_deal")
    errors: dict[str, Message] = {}
    values = _clean_fields(session, errors, {field: value}, current=deal)
    if errors:
        raise ValidationError(errors)
    if values[field] == getattr(deal, field):
        return None
    if field == "expected_close_date" and values[field] is None:
        raise ValidationError({field: Message("deal.date_not_emptied")})
    return update_deal(session, actor, deal_id, expected_version, values)


def move_deal(
    session: Session,
    actor: Actor,
    deal_id: int,
    stage_id: int,
    expected_version: int,
    *,
    fields: Mapping[str, Any] | None = None,
    lost_reason_id: int | None = None,
    lost_comment: str | None = None,
) -> int:
    """Move a deal to any stage of its pipeline; a won or lost stage closes it, an open one reopens it.

    `fields` are saved in the same step, so a user asked for the target stage's required fields
    fills them while moving. Returns the new version.
    """
    deal = _load_for_write(session, actor, deal_id, expected_version, action="move_deal")
    target = session.get(Stage, stage_id)
    if target is None or target.pipeline_id != deal.pipeline_id or target.deleted_at is not None:
        raise ValidationError({"stage_id": Message("deal.own_pipeline_stage")})
    if target.id == deal.stage_id:
        raise ValidationError({"stage_id": Message("deal.already_in_stage", stage=target.name)})
    values, comment = _clean_move(session, deal, target, fields or {}, lost_reason_id, lost_comment)

    # Load everything before the first change: a lazy load would autoflush a half-made change,
    # bumping the version twice.
    source_stage, entered_source = deal.stage, deal.stage_entered_at
    now = utcnow()
    history.acting(session, actor.id, at=now)  # the changes dated as the transition
    for name, value in values.items():
        setattr(deal, name, value)
    deal.stage_id = target.id
    deal.stage = target
    deal.status = target.kind
    deal.stage_entered_at = now
    deal.closed_at = None if target.kind == StageKind.OPEN else now
    deal.closing_owner_id = None if target.kind == StageKind.OPEN else deal.owner_id
    deal.lost_reason_id = lost_reason_id if target.kind == StageKind.LOST else None
    deal.lost_comment = comment
    version = _save(session, deal)
    _record_entry(session, actor, deal, source_stage, target, now, entered_source=entered_source)
    return version


def _clean_move(
    session: Session,
    deal: Deal,
    target: Stage,
    fields: Mapping[str, Any],
    lost_reason_id: int | None,
    lost_comment: str | None,
) -> tuple[dict[str, Any], str | None]:
    """The fields saved with the move (the target's required ones filled) and, into a lost stage, an
    active reason and the comment."""
    errors: dict[str, Message] = {}
    values = _clean_fields(session, errors, fields, current=deal)
    errors |= _missing_required(target, _current_values(deal) | values)
    comment = None
    if target.kind == StageKind.LOST:
        reason = session.get(LostReason, lost_reason_id) if lost_reason_id is not None else None
        if reason is None or not reason.is_active:
            errors["lost_reason_id"] = Message("deal.lost_reason")
        comment = clean_text(errors, "lost_comment", lost_comment, max_length=MAX_COMMENT_LENGTH, multiline=True)
    if errors:
        raise ValidationError(errors)
    return values, comment


def close_won(session: Session, actor: Actor, deal_id: int, expected_version: int, *, amount: Any = None) -> int:
    """Close a deal won, optionally with its final amount."""
    deal = _get(session, deal_id)
    fields = {} if amount is None else {"amount": amount}
    return move_deal(
        session,
        actor,
        deal_id,
        _stage_of_kind(session, deal.pipeline_id, StageKind.WON).id,
        expected_version,
        fields=fields,
    )


def close_lost(
    session: Session,
    actor: Actor,
    deal_id: int,
    expected_version: int,
    *,
    lost_reason_id: int | None,
    lost_comment: str | None = None,
) -> int:
    deal = _get(session, deal_id)
    lost_stage = _stage_of_kind(session, deal.pipeline_id, StageKind.LOST)
    return move_deal(
        session,
        actor,
        deal_id,
        lost_stage.id,
        expected_version,
        lost_reason_id=lost_reason_id,
        lost_comment=lost_comment,
    )


def reopen_deal(
    session: Session, actor: Actor, deal_id: int, expected_version: int, *, stage_id: int | None = None
) -> int:
    """Reopen a closed deal into `stage_id`, by default the open stage it was closed from."""
    deal = _get(session, deal_id)
    if deal.status == StageKind.OPEN:
        raise ValidationError({"status": Message("deal.already_open")})
    if stage_id is None:
        closed_from = session.scalar(
            select(StageTransition.from_stage_id)
            .where(StageTransition.deal_id == deal_id, StageTransition.to_stage_id == deal.stage_id)
            .order_by(StageTransition.at.desc(), StageTransition.id.desc())
            .limit(1)
        )
        previous = session.get(Stage, closed_from) if closed_from is not None else None
        if previous is not None and previous.kind == StageKind.OPEN and previous.deleted_at is None:
            stage_id = previous.id
        else:
            stage_id = _first_open_stage(session, deal.pipeline_id).id
    elif (stage := session.get(Stage, stage_id)) is None or stage.kind != StageKind.OPEN:
        raise ValidationError({"stage_id": Message("deal.reopen_stage")})
    return move_deal(session, actor, deal_id, stage_id, expected_version)


def reassign_deal(session: Session, actor: Actor, deal_id: int, owner_id: int, expected_version: int) -> int:
    """Hand a deal, with its activities still to do, to another user."""
    require_role(actor, Role.EXECUTIVE, Role.ADMIN, action="reassign_deals")
    deal = _get(session, deal_id)
    _check_version(deal, expected_version)
    history.acting(session, actor.id)
    errors: dict[str, Message] = {}
    _check_owner(session, errors, owner_id)
    if errors:
        raise ValidationError(errors)
    open_activities = session.scalars(select(Activity).where(Activity.deal_id == deal_id, Activity.done_at.is_(None)))
    for activity in open_activities:
        activity.owner_id = owner_id
    from_owner_id, deal.owner_id = deal.owner_id, owner_id
    version = _save(session, deal)
    automation.reassigned(session, deal, from_owner_id)
    return version


def in_bulk(session: Session) -> None:
    """The deal changes of this transaction are one bulk action's, in the deals' history."""
    history.part_of(session, ChangeOperation.BULK)


def get_deal(session: Session, actor: Actor, deal_id: int) -> DealView:
    deal = _get(session, deal_id)
    if not actor.sees_everyone and deal.owner_id != actor.id:
        raise PermissionDenied(Message("permission.deal_of_another"))
    return DealView(
        id=deal.id,
        title=deal.title,
        amount=deal.amount,
        company_id=deal.company_id,
        contact_id=deal.contact_id,
        source=deal.source,
        region=deal.region,
        segment=deal.segment,
        expected_close_date=deal.expected_close_date,
        owner_id=deal.owner_id,
        pipeline_id=deal.pipeline_id,
        stage_id=deal.stage_id,
        status=deal.status,
        lost_reason_id=deal.lost_reason_id,
        lost_comment=deal.lost_comment,
        created_at=deal.created_at,
        closed_at=deal.closed_at,
        stage_entered_at=deal.stage_entered_at,
        version=deal.version,
        external_id=deal.external_id,
    )


def deal_by_external_id(session: Session, actor: Actor, external_id: str) -> DealView:
    """The deal another system knows by `external_id`."""
    deal_id = session.scalar(select(Deal.id).where(Deal.external_id == external_id))
    if deal_id is None:
        raise NotFound(Message("not_found.deal_external", id=external_id))
    return get_deal(session, actor, deal_id)


def via_api(session: Session) -> None:
    """The deal changes of this transaction came through the API, in the deals' history."""
    history.part_of(session, ChangeOperation.API)


def deal_history(session: Session, actor: Actor, deal_id: int) -> list[TransitionView]:
    get_deal(session, actor, deal_id)
    rows = session.execute(
        select(
            StageTransition.from_stage_id,
            StageTransition.to_stage_id,
            StageTransition.at,
            StageTransition.by_user_id,
        )
        .where(StageTransition.deal_id == deal_id)
        .order_by(StageTransition.at, StageTransition.id)
    )
    return [TransitionView(*row) for row in rows]


# The fields a deal's timeline shows from its field history; its stage changes come from the transitions.
TIMELINE_FIELDS = tuple(name for name in history.TRACKED if name not in ("stage_id", "status"))
_NAMED = {"company_id": Company.name, "contact_id": Contact.name, "owner_id": User.display_name}


def field_history(session: Session, actor: Actor, deal_id: int) -> tuple[list[ChangeView], datetime | None]:
    """The deal's field changes in order (those of TIMELINE_FIELDS), and since when its history is
    known when it began after the deal was created (it existed when history began: migration 0013)."""
    get_deal(session, actor, deal_id)
    rows = session.execute(
        select(
            DealChange.field,
            DealChange.old_value,
            DealChange.new_value,
            DealChange.at,
            DealChange.by_user_id,
            DealChange.operation,
        )
        .where(DealChange.deal_id == deal_id)
        .order_by(DealChange.at, DealChange.id)
    ).all()
    known_since = next((row.at for row in rows if row.operation == ChangeOperation.BASELINE), None)
    changes = [row for row in rows if row.field in TIMELINE_FIELDS]
    names = _names_of(session, changes)
    return [
        ChangeView(
            field=row.field,
            old=_read(row.field, row.old_value, names),
            new=_read(row.field, row.new_value, names),
            at=row.at,
            by_user_id=row.by_user_id,
            operation=row.operation,
        )
        for row in changes
    ], known_since


def _names_of(session: Session, changes: list) -> dict[tuple[str, str], str]:
    """The names of the companies, contacts, owners and lost reasons these changes refer to."""
    names = {}
    for field, column in (*_NAMED.items(), ("lost_reason_id", LostReason.name)):
        ids = {int(v) for row in changes if row.field == field for v in (row.old_value, row.new_value) if v}
        if ids:
            model = column.class_
            for found_id, name in session.execute(select(model.id, column).where(model.id.in_(ids))):
                names[(field, str(found_id))] = name
    return names


def _read(field: str, value: str | None, names: dict[tuple[str, str], str]) -> Any:
    if value is None:
        return None
    if field == "amount":
        return Decimal(value)
    if field == "expected_close_date":
        return date.fromisoformat(value)
    if field.endswith("_id"):
        return names.get((field, value), f"#{value}")
    return value


def _get(session: Session, deal_id: int) -> Deal:
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise NotFound(Message("not_found.deal", id=deal_id))
    return deal


def _check_version(deal: Deal, expected_version: int) -> None:
    if deal.version != expected_version:
        raise Conflict(Message("deal.conflict", title=deal.title))


def _load_for_write(session: Session, actor: Actor, deal_id: int, expected_version: int, *, action: str) -> Deal:
    deal = _get(session, deal_id)
    require_owner_or_admin(actor, deal.owner_id, action=action)
    _check_version(deal, expected_version)
    history.acting(session, actor.id)
    return deal


def _save(session: Session, deal: Deal) -> int:
    title = deal.title  # read now: a failed flush expires the object
    try:
        session.flush()
    except StaleDataError as error:
        raise Conflict(Message("deal.conflict_same_moment", title=title)) from error
    return deal.version


def _check_owner(session: Session, errors: dict[str, Message], owner_id: int) -> None:
    owner = session.get(User, owner_id)
    if owner is None or not owner.is_active:
        errors["owner_id"] = Message("choose_active_user")


def _stage_of_kind(session: Session, pipeline_id: int, kind: StageKind) -> Stage:
    return session.scalars(
        select(Stage)
        .where(Stage.pipeline_id == pipeline_id, Stage.kind == kind, Stage.deleted_at.is_(None))
        .order_by(Stage.position)
    ).first()


def _first_open_stage(session: Session, pipeline_id: int) -> Stage:
    return _stage_of_kind(session, pipeline_id, StageKind.OPEN)


def _pick_open_stage(
    session: Session, errors: dict[str, Message], pipeline_id: int, stage_id: int | None
) -> Stage | None:
    stage = _first_open_stage(session, pipeline_id) if stage_id is None else session.get(Stage, stage_id)
    if stage is None or stage.pipeline_id != pipeline_id or stage.kind != StageKind.OPEN or stage.deleted_at:
        errors["stage_id"] = Message("deal.first_stage")
        return None
    return stage


def _clean_fields(
    session: Session, errors: dict[str, Message], fields: Mapping[str, Any], current: Deal | None = None
) -> dict[str, Any]:
    """Validate the given deal fields; returns only the valid ones, records the rest in `errors`."""
    values: dict[str, Any] = {}
    for name in fields:
        if name not in DEAL_FIELDS:
            errors[name] = Message("deal.unknown_field")
    if "title" in fields:
        values["title"] = clean_text(errors, "title", fields["title"], required=True)
    if "amount" in fields:
        values["amount"] = clean_money(errors, "amount", fields["amount"])
    for name in ("source", "region", "segment"):
        if name in fields:
            values[name] = clean_text(errors, name, fields[name], max_length=100)
    if "expected_close_date" in fields:
        values["expected_close_date"] = clean_date(errors, "expected_close_date", fields["expected_close_date"])
    if "company_id" in fields:
        values["company_id"] = _clean_reference(session, errors, Company, "company_id", fields["company_id"])
    if "contact_id" in fields:
        values["contact_id"] = _clean_reference(session, errors, Contact, "contact_id", fields["contact_id"])
    contact_id = values.get("contact_id", current.contact_id if current else None)
    company_id = values.get("company_id", current.company_id if current else None)
    if contact_id is not None and company_id is not None and "contact_id" not in errors:
        contact = session.get(Contact, contact_id)
        if contact.company_id not in (None, company_id):
            errors["contact_id"] = Message("deal.contact_company")
    return {name: value for name, value in values.items() if name not in errors}


def _clean_reference(
    session: Session, errors: dict[str, Message], model: type[Company | Contact], field: str, value: Any
) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or session.get(model, value) is None:
        if model is Company:
            errors[field] = Message("deal.no_company", value=value)
        else:
            errors[field] = Message("deal.no_contact", value=value)
        return None
    return value


def _current_values(deal: Deal) -> dict[str, Any]:
    return {name: getattr(deal, name) for name in DEAL_FIELDS}


def _missing_required(stage: Stage, values: Mapping[str, Any]) -> dict[str, Message]:
    missing = {}
    for name in stage.required_fields:
        value = values.get(name)
        if value is None or value == "" or (name == "amount" and value == 0):
            missing[name] = Message("stage.required_to_enter", stage=stage.name)
    return missing


def _record_entry(
    session: Session,
    actor: Actor,
    deal: Deal,
    source: Stage | None,
    target: Stage,
    now: datetime,
    *,
    entered_source: datetime | None = None,
) -> None:
    """Write the transition into `target` (with when the deal entered `source`), create the stage's
    entry tasks, and do what the stage's automation says (core.automation)."""
    session.add(
        StageTransition(
            deal_id=deal.id,
            from_stage_id=source.id if source else None,
            to_stage_id=target.id,
            at=now,
            by_user_id=actor.id,
            from_entered_at=entered_source if source else None,
        )
    )
    for task in target.entry_tasks:
        session.add(
            Activity(
                kind=ActivityKind.TASK,
                subject=task["title"],
                deal_id=deal.id,
                owner_id=deal.owner_id,
                due_at=now + task_delay(task),
                created_at=now,
            )
        )
    automation.entered(session, deal, source, target)
    session.flush()

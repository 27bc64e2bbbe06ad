"""Import batches: every import is one (who, when, which file, what it created), and a foreign import
can be undone while none of its deals has been changed since — or, when asked, for the rest of them.

Undoing removes the batch's deals with their stage and field history and activities, then what else it
created that nothing refers to any more — users, companies, teams, lost reasons, and a pipeline with
its stages and change log —, in the caller's transaction; the rollups and the change marker follow."""

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import NotFound, ValidationError
from core.messages import Message
from core.permissions import Actor, require_role
from db import changes
from db.models import (
    Activity,
    Base,
    Company,
    Deal,
    DealChange,
    ImportBatch,
    ImportBatchRow,
    LostReason,
    Pipeline,
    PipelineChange,
    Role,
    Stage,
    StageTransition,
    Team,
    User,
)
from db.rollups import upkeep

CHUNK = 1_000  # ids per IN list
KINDS = {Team: "team", LostReason: "reason", Pipeline: "pipeline"}  # the other rows an import may create
NAMED_CHANGED = 20  # the changed deals a refusal names


@dataclass(frozen=True)
class Undone:
    deals: int  # removed
    kept: list[str]  # the titles of the changed deals left in place
    users: int
    companies: int


def record(
    session: Session,
    actor: Actor,
    kind: str,
    file_name: str,
    *,
    deal_ids: list[int] = (),
    user_ids: list[int] = (),
    company_ids: list[int] = (),
    created: dict[type, set[int]] | None = None,
    deals: int | None = None,
) -> int:
    """Write the batch of an import that just ran (a native one: its counts only): the deals, users and
    companies it created, and the other rows (`created`: Team, LostReason, Pipeline → ids)."""
    batch = ImportBatch(
        at=utcnow(),
        by_user_id=actor.id,
        kind=kind,
        file_name=file_name[:255],
        deals=len(deal_ids) if deals is None else deals,
        new_users=len(user_ids),
        new_companies=len(company_ids),
    )
    session.add(batch)
    session.flush()
    others = [(KINDS[model], sorted(ids)) for model, ids in (created or {}).items()]
    rows = [
        {"batch_id": batch.id, "kind": what, "row_id": row_id}
        for what, ids in (("deal", deal_ids), ("user", user_ids), ("company", company_ids), *others)
        for row_id in ids
    ]
    for start in range(0, len(rows), CHUNK * 5):
        session.execute(insert(ImportBatchRow), rows[start : start + CHUNK * 5])
    return batch.id


def list_batches(session: Session, actor: Actor) -> pd.DataFrame:
    """Every import, the newest first: id, at, by, kind, file, deals, new users and companies, undone."""
    require_role(actor, Role.ADMIN, action="import_deals")
    rows = session.execute(
        select(
            ImportBatch.id,
            ImportBatch.at,
            func.coalesce(User.display_name, ""),
            ImportBatch.kind,
            ImportBatch.file_name,
            ImportBatch.deals,
            ImportBatch.new_users,
            ImportBatch.new_companies,
            ImportBatch.undone_at,
        )
        .outerjoin(User, User.id == ImportBatch.by_user_id)
        .order_by(ImportBatch.at.desc(), ImportBatch.id.desc())
    ).all()
    columns = ["id", "at", "by", "kind", "file_name", "deals", "new_users", "new_companies", "undone_at"]
    return pd.DataFrame(rows, columns=columns)


def changed_deals(session: Session, actor: Actor, batch_id: int) -> list[tuple[int, str]]:
    """The batch's deals changed since it ran — edited, moved, reassigned or given an activity: (id, title)."""
    batch = _undoable(session, actor, batch_id)
    ids = _ids(session, batch.id, "deal")
    found = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found += session.execute(
            select(Deal.id, Deal.title)
            .where(
                Deal.id.in_(chunk),
                or_(
                    Deal.version != 1,
                    exists().where(DealChange.deal_id == Deal.id),
                    exists().where(StageTransition.deal_id == Deal.id, StageTransition.at > batch.at),
                    exists().where(Activity.deal_id == Deal.id),
                ),
            )
            .order_by(Deal.id)
        ).all()
    return [tuple(row) for row in found]


def undo(session: Session, actor: Actor, batch_id: int, *, keep_changed: bool = False) -> Undone:
    """Remove what the batch created. Refused, naming them, while any of its deals has been changed
    since; with `keep_changed`, those stay (with the users and companies they need) and the rest go."""
    batch = _undoable(session, actor, batch_id)
    changed = changed_deals(session, actor, batch_id)
    if changed and not keep_changed:
        titles = ", ".join(title for _, title in changed[:NAMED_CHANGED])
        more = len(changed) - NAMED_CHANGED
        raise ValidationError(
            {"batch": Message("batch.changed", count=len(changed), titles=titles + (f" (+{more})" if more > 0 else ""))}
        )
    kept = {deal_id for deal_id, _ in changed}
    deal_ids = [deal_id for deal_id in _ids(session, batch.id, "deal") if deal_id not in kept]
    connection = session.connection()
    for start in range(0, len(deal_ids), CHUNK):
        chunk = deal_ids[start : start + CHUNK]
        activity_ids = list(session.scalars(select(Activity.id).where(Activity.deal_id.in_(chunk))))
        before = upkeep.snapshot(connection, upkeep.every(chunk), activity_ids)
        for model in (Activity, DealChange, StageTransition):
            session.execute(delete(model).where(model.deal_id.in_(chunk)))
        session.execute(delete(Deal).where(Deal.id.in_(chunk)))
        upkeep.apply_change(connection, before, upkeep.snapshot(connection, upkeep.every(chunk), activity_ids))
    users = _remove_unused(session, User, _ids(session, batch.id, "user"))
    companies = _remove_unused(session, Company, _ids(session, batch.id, "company"))
    for pipeline_id in _ids(session, batch.id, "pipeline"):
        _remove_pipeline_if_unused(session, pipeline_id)
    _remove_unused(session, Team, _ids(session, batch.id, "team"))
    _remove_unused(session, LostReason, _ids(session, batch.id, "reason"))
    session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id)
        .values(undone_at=utcnow(), undone_by_user_id=actor.id, undone_deals=len(deal_ids))
    )
    changes.bump(session)
    return Undone(len(deal_ids), [title for _, title in changed], users, companies)


def _undoable(session: Session, actor: Actor, batch_id: int) -> ImportBatch:
    require_role(actor, Role.ADMIN, action="import_deals")
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(Message("not_found.batch", id=batch_id))
    if batch.undone_at is not None:
        raise ValidationError({"batch": Message("batch.already_undone")})
    if batch.kind != "foreign":
        raise ValidationError({"batch": Message("batch.native")})
    return batch


def _ids(session: Session, batch_id: int, kind: str) -> list[int]:
    return list(
        session.scalars(
            select(ImportBatchRow.row_id)
            .where(ImportBatchRow.batch_id == batch_id, ImportBatchRow.kind == kind)
            .order_by(ImportBatchRow.row_id)
        )
    )


def _remove_pipeline_if_unused(session: Session, pipeline_id: int) -> None:
    """A pipeline the import created, with its stages and change log, once no deal is in it."""
    if session.scalar(select(exists().where(Deal.pipeline_id == pipeline_id))):
        return
    stage_ids = list(session.scalars(select(Stage.id).where(Stage.pipeline_id == pipeline_id)))
    if _remove_unused(session, Stage, stage_ids) != len(stage_ids):
        return  # a stage still in some history
    session.execute(delete(PipelineChange).where(PipelineChange.pipeline_id == pipeline_id))
    _remove_unused(session, Pipeline, [pipeline_id])


def _remove_unused(session: Session, model: type, ids: list[int]) -> int:
    """Delete the rows of `ids` that no row of any table refers to (by its foreign keys); how many."""
    if not ids:
        return 0
    referring = [
        key.parent
        for table in Base.metadata.sorted_tables
        for key in table.foreign_keys
        if key.column.table is model.__table__
    ]
    unused = set(ids)
    for column in referring:
        for start in range(0, len(ids), CHUNK):
            used = session.scalars(select(column).where(column.in_(ids[start : start + CHUNK])).distinct())
            unused -= set(used)
    if unused:
        session.execute(delete(model).where(model.id.in_(sorted(unused))))
    return len(unused)

"""Admins reconfigure pipelines and stages without breaking history.

Every change checks the pipeline version the admin saw (two admins at once: the later save gets
Conflict), bumps it, and writes a line to the pipeline's change log. Stages are never hard-deleted:
a deleted stage's deals move on with ordinary transitions, and the stage stays for the history.
"""

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Integer, func, insert, literal, select, update
from sqlalchemy.orm import Session

from core import automation
from core.clock import utcnow
from core.deals import REQUIRABLE_FIELDS
from core.errors import Conflict, NotFound, ValidationError
from core.messages import Message, joined
from core.permissions import Actor, require_role
from core.pipelines import LOST_COLOR, STAGE_COLORS, TASK_UNITS, WON_COLOR, record_change, task_due
from core.templates import TEMPLATES
from core.validation import clean_count, clean_text
from db import history
from db.models import ChangeOperation, Deal, Pipeline, PipelineChange, Role, Stage, StageKind, StageTransition, User
from db.rollups import upkeep
from db.rollups.sources import MAX_OPEN_STAGES
from db.types import UTCDateTime

MAX_ROT_DAYS = 3650
MAX_TASK_DUE_DAYS = 365
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_FIRST_STAGE = {"en": "New lead", "ru": "Новый лид"}
_KIND_NAMES = {StageKind.WON: Message("stage.kind_won"), StageKind.LOST: Message("stage.kind_lost")}
_TASK_FIELDS = {
    "title": Message("stage.task_title"),
    "due_days": Message("stage.task_due_days"),
    "due_hours": Message("stage.task_due_hours"),
    "due_minutes": Message("stage.task_due_minutes"),
    "unit": Message("stage.task_unit"),
}
_TASK_MAXIMUM = {"days": MAX_TASK_DUE_DAYS, "hours": MAX_TASK_DUE_DAYS * 24, "minutes": MAX_TASK_DUE_DAYS * 24 * 60}


def _pipeline_for_change(session: Session, actor: Actor, pipeline_id: int, expected_version: int) -> Pipeline:
    require_role(actor, Role.ADMIN, action="configure_pipelines")
    pipeline = session.get(Pipeline, pipeline_id)
    if pipeline is None:
        raise NotFound(Message("not_found.pipeline", id=pipeline_id))
    if pipeline.version != expected_version:
        raise Conflict(Message("pipeline.conflict", name=pipeline.name))
    return pipeline


def _active_stages(session: Session, pipeline_id: int) -> list[Stage]:
    return list(
        session.scalars(
            select(Stage)
            .where(Stage.pipeline_id == pipeline_id, Stage.deleted_at.is_(None))
            .order_by(Stage.position, Stage.id)
        )
    )


def _renumber(stages: Sequence[Stage]) -> None:
    """Open stages first in their order, then won, then lost; positions 0..n-1."""
    rank = {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}
    for position, stage in enumerate(sorted(stages, key=lambda s: rank[s.kind])):
        stage.position = position


def _clean_settings(
    session: Session, pipeline_id: int, values: dict[str, Any], *, kind: StageKind, stage_id: int | None = None
) -> dict[str, Any]:
    errors: dict[str, Message] = {}
    clean: dict[str, Any] = {}
    if "name" in values:
        clean["name"] = clean_text(errors, "name", values["name"], required=True, max_length=100)
        if clean["name"] and _name_taken(session, pipeline_id, clean["name"], stage_id):
            errors["name"] = Message("stage.name_taken", name=clean["name"])
    if "probability" in values:
        probability = clean_count(errors, "probability", values["probability"])
        if probability is not None and probability > 100:
            errors["probability"] = Message("stage.probability_range")
        fixed = {StageKind.WON: 100, StageKind.LOST: 0}.get(kind)
        if fixed is not None and probability is not None and probability != fixed:
            errors["probability"] = Message("stage.fixed_probability", probability=fixed, kind=_KIND_NAMES[kind])
        clean["probability"] = probability
    if "rot_days" in values:
        rot_days = clean_count(errors, "rot_days", values["rot_days"])
        if rot_days is not None and rot_days > MAX_ROT_DAYS:
            errors["rot_days"] = Message("at_most", maximum=MAX_ROT_DAYS)
        clean["rot_days"] = rot_days
    if "color" in values:
        if not isinstance(values["color"], str) or not _COLOR.match(values["color"]):
            errors["color"] = Message("stage.colour")
        clean["color"] = values["color"]
    if "required_fields" in values:
        unknown = [f for f in values["required_fields"] if f not in REQUIRABLE_FIELDS]
        if unknown:
            errors["required_fields"] = Message("stage.not_requirable", fields=", ".join(map(str, unknown)))
        clean["required_fields"] = list(dict.fromkeys(values["required_fields"]))
    if "entry_tasks" in values:
        clean["entry_tasks"] = _clean_entry_tasks(errors, values["entry_tasks"])
    if "automation" in values:
        clean["automation"] = automation.clean(session, errors, values["automation"])
    if errors:
        raise ValidationError(errors)
    return clean


def _name_taken(session: Session, pipeline_id: int, name: str, stage_id: int | None) -> bool:
    """Whether another stage of the pipeline has this name (in any case)."""
    return any(s.id != stage_id and s.name.casefold() == name.casefold() for s in _active_stages(session, pipeline_id))


def _clean_entry_tasks(errors: dict[str, Message], entry_tasks: Sequence[dict]) -> list[dict]:
    """Each task's title and its due time after entry, in days, hours or minutes (one of them:
    "due_days", "due_hours", "due_minutes"); the first task with a problem is named."""
    tasks = []
    for number, task in enumerate(entry_tasks, start=1):
        task_errors: dict[str, Message] = {}
        title = clean_text(task_errors, "title", task.get("title"), required=True)
        units = [unit for unit in TASK_UNITS if task.get(f"due_{unit}") is not None] or ["days"]
        if len(units) > 1:
            task_errors["unit"] = Message("stage.task_one_unit")
        field = f"due_{units[0]}"
        due = clean_count(task_errors, field, task.get(field))
        if due is not None and due > _TASK_MAXIMUM[units[0]]:
            task_errors[field] = Message("at_most", maximum=_TASK_MAXIMUM[units[0]])
        if task_errors:
            problems = [
                Message("stage.task_problem", field=_TASK_FIELDS[name], message=message)
                for name, message in task_errors.items()
            ]
            errors["entry_tasks"] = Message("stage.task", number=number, problems=joined(problems, "semicolon"))
            break
        tasks.append({"title": title, field: due})
    return tasks


def create_empty_pipeline(session: Session, actor: Actor, name: str, language: str = "en") -> int:
    """A pipeline with one open stage and the won and lost stages every pipeline needs."""
    won, lost = TEMPLATES["b2b_classic"].stages[-2:]
    ru = language == "ru"
    return create_pipeline(
        session,
        actor,
        name,
        open_stages=[_FIRST_STAGE["ru" if ru else "en"]],
        won=won.ru if ru else won.en,
        lost=[lost.ru if ru else lost.en],
    )


def create_pipeline(
    session: Session, actor: Actor, name: str, *, open_stages: Sequence[str], won: str, lost: Sequence[str]
) -> int:
    """A pipeline with these open stages in order, then its won stage and its lost stages."""
    require_role(actor, Role.ADMIN, action="create_pipelines")
    errors: dict[str, Message] = {}
    clean_name = clean_text(errors, "name", name, required=True)
    if clean_name and session.scalar(select(Pipeline.id).where(func.lower(Pipeline.name) == clean_name.lower())):
        errors["name"] = Message("pipeline.exists", name=clean_name)
    names = [clean_text(errors, "stages", stage, required=True) for stage in (*open_stages, won, *lost)]
    if not open_stages or not lost:
        errors["stages"] = Message("pipeline.needs_stages")
    elif len(open_stages) > MAX_OPEN_STAGES:
        errors["stages"] = Message("pipeline.open_stages_limit", maximum=MAX_OPEN_STAGES)
    elif len({n.lower() for n in names if n}) != len(names):
        errors["stages"] = Message("pipeline.stage_names_differ")
    if errors:
        raise ValidationError(errors)
    pipeline = Pipeline(name=clean_name, created_at=utcnow())
    session.add(pipeline)
    kinds = [StageKind.OPEN] * len(open_stages) + [StageKind.WON] + [StageKind.LOST] * len(lost)
    for position, (stage_name, kind) in enumerate(zip(names, kinds, strict=True)):
        colour = {StageKind.WON: WON_COLOR, StageKind.LOST: LOST_COLOR}.get(
            kind, STAGE_COLORS[position % len(STAGE_COLORS)]
        )
        probability = {StageKind.WON: 100, StageKind.LOST: 0}.get(kind, 10)
        pipeline.stages.append(
            Stage(
                name=stage_name,
                position=position,
                kind=kind,
                probability=probability,
                color=colour,
                rot_days=0,
                required_fields=[],
                entry_tasks=[],
            )
        )
    session.flush()
    record_change(session, actor, pipeline, "pipeline created", None, clean_name)
    return pipeline.id


def rename_pipeline(session: Session, actor: Actor, pipeline_id: int, name: str, expected_version: int) -> int:
    pipeline = _pipeline_for_change(session, actor, pipeline_id, expected_version)
    errors: dict[str, Message] = {}
    clean_name = clean_text(errors, "name", name, required=True)
    if clean_name and session.scalar(
        select(Pipeline.id).where(func.lower(Pipeline.name) == clean_name.lower(), Pipeline.id != pipeline_id)
    ):
        errors["name"] = Message("pipeline.exists", name=clean_name)
    if errors:
        raise ValidationError(errors)
    old, pipeline.name = pipeline.name, clean_name
    return record_change(session, actor, pipeline, "pipeline renamed", old, clean_name)


def set_pipeline_archived(
    session: Session, actor: Actor, pipeline_id: int, archived: bool, expected_version: int
) -> int:
    """Archived pipelines leave the menus; their deals and history stay."""
    pipeline = _pipeline_for_change(session, actor, pipeline_id, expected_version)
    old, pipeline.is_archived = pipeline.is_archived, bool(archived)
    return record_change(session, actor, pipeline, "archived", old, pipeline.is_archived)


def add_stage(
    session: Session,
    actor: Actor,
    pipeline_id: int,
    expected_version: int,
    *,
    name: str,
    after_stage_id: int | None = None,
    probability: int = 0,
    rot_days: int = 0,
    color: str | None = None,
) -> int:
    """Add an open stage after `after_stage_id` (an open stage), or first when None."""
    pipeline = _pipeline_for_change(session, actor, pipeline_id, expected_version)
    ever = session.scalar(select(func.count()).where(Stage.pipeline_id == pipeline_id, Stage.kind == StageKind.OPEN))
    if ever >= MAX_OPEN_STAGES:
        raise ValidationError({"name": Message("pipeline.open_stages_limit_ever", maximum=MAX_OPEN_STAGES)})
    stages = _active_stages(session, pipeline_id)
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    values = _clean_settings(
        session,
        pipeline_id,
        {
            "name": name,
            "probability": probability,
            "rot_days": rot_days,
            "color": color or STAGE_COLORS[len(open_stages) % len(STAGE_COLORS)],
        },
        kind=StageKind.OPEN,
    )
    if after_stage_id is None:
        index = 0
    else:
        after = [i for i, s in enumerate(open_stages) if s.id == after_stage_id]
        if not after:
            raise ValidationError({"after_stage_id": Message("stage.open_stage_after")})
        index = after[0] + 1
    stage = Stage(
        pipeline_id=pipeline_id,
        kind=StageKind.OPEN,
        position=0,
        required_fields=[],
        entry_tasks=[],
        added_at=utcnow(),
        **values,
    )
    session.add(stage)
    open_stages.insert(index, stage)
    _renumber(open_stages + [s for s in stages if s.kind != StageKind.OPEN])
    session.flush()
    record_change(session, actor, pipeline, "stage added", None, f"{stage.name} (position {index + 1})")
    return stage.id


def update_stage(session: Session, actor: Actor, stage_id: int, expected_version: int, **changes: Any) -> int:
    """Change a stage's name, probability, colour, rot days, required fields, entry tasks or automation."""
    stage = _stage(session, stage_id)
    pipeline = _pipeline_for_change(session, actor, stage.pipeline_id, expected_version)
    allowed = {"name", "probability", "color", "rot_days", "required_fields", "entry_tasks", "automation"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, Message("cannot_change_here")))
    values = _clean_settings(session, stage.pipeline_id, changes, kind=stage.kind, stage_id=stage.id)
    version = pipeline.version
    for name, value in values.items():
        old = getattr(stage, name)
        if old != value:
            setattr(stage, name, value)
            version = record_change(
                session, actor, pipeline, f"stage {stage.name!r}: {name}", _shown(old), _shown(value)
            )
    return version


def move_stage(session: Session, actor: Actor, stage_id: int, offset: int, expected_version: int) -> int:
    """Move an open stage up (-1) or down (+1) among the open stages; won and lost stay last."""
    stage = _stage(session, stage_id)
    pipeline = _pipeline_for_change(session, actor, stage.pipeline_id, expected_version)
    if stage.kind != StageKind.OPEN:
        raise ValidationError({"stage_id": Message("stage.closed_stay_last")})
    stages = _active_stages(session, stage.pipeline_id)
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    index = open_stages.index(stage)
    target = index + (1 if offset > 0 else -1)
    if not 0 <= target < len(open_stages):
        edge = (
            Message("stage.already_last", name=stage.name)
            if offset > 0
            else Message("stage.already_first", name=stage.name)
        )
        raise ValidationError({"stage_id": edge})
    open_stages[index], open_stages[target] = open_stages[target], open_stages[index]
    _renumber(open_stages + [s for s in stages if s.kind != StageKind.OPEN])
    return record_change(session, actor, pipeline, f"stage {stage.name!r}: position", index + 1, target + 1)


def delete_stage(
    session: Session, actor: Actor, stage_id: int, target_stage_id: int | None, expected_version: int
) -> int:
    """Delete an open stage. Its deals move to `target_stage_id` with ordinary transitions (by this
    admin, now); the stage leaves the editor and the menus and stays in the history."""
    stage = _stage(session, stage_id)
    pipeline = _pipeline_for_change(session, actor, stage.pipeline_id, expected_version)
    if stage.kind != StageKind.OPEN:
        raise ValidationError({"stage_id": Message("stage.closed_not_deleted")})
    open_stages = [s for s in _active_stages(session, stage.pipeline_id) if s.kind == StageKind.OPEN]
    if len(open_stages) == 1:
        raise ValidationError({"stage_id": Message("pipeline.keeps_open_stage")})
    deals_inside = _deals_inside(session, stage_id)
    target = session.get(Stage, target_stage_id) if target_stage_id is not None else None
    if deals_inside and (
        target is None
        or target.id == stage.id
        or target.pipeline_id != stage.pipeline_id
        or target.kind != StageKind.OPEN
        or target.deleted_at is not None
    ):
        raise ValidationError({"target_stage_id": Message("stage.target_for_deals", count=deals_inside)})
    now = utcnow()
    if deals_inside:
        moved_ids = session.scalars(select(Deal.id).where(Deal.stage_id == stage_id)).all()
        history.moved_in_bulk(
            session,
            select(Deal.id, Deal.stage_id).where(Deal.stage_id == stage_id),
            target.id,
            now,
            actor.id,
            ChangeOperation.STAGE_DELETION,
        )
        moved = select(
            Deal.id,
            Deal.stage_id,
            literal(target.id, Integer),
            literal(now, UTCDateTime()),
            literal(actor.id, Integer),
            Deal.stage_entered_at,
        ).where(Deal.stage_id == stage_id)
        columns = ["deal_id", "from_stage_id", "to_stage_id", "at", "by_user_id", "from_entered_at"]
        with upkeep.changing(session, moved_ids):
            session.execute(insert(StageTransition).from_select(columns, moved))
            session.execute(
                update(Deal)
                .where(Deal.stage_id == stage_id)
                .values(stage_id=target.id, stage_entered_at=now, version=Deal.version + 1)
                .execution_options(synchronize_session="fetch")
            )
    stage.deleted_at = now  # a watched row: this flush bumps the data version for the bulk moves too
    _renumber([s for s in _active_stages(session, stage.pipeline_id) if s.id != stage.id])
    detail = f"{stage.name} ({deals_inside} deals moved to {target.name})" if deals_inside else stage.name
    return record_change(session, actor, pipeline, "stage deleted", detail, None)


def deals_to_move(session: Session, actor: Actor, stage_id: int) -> int:
    """How many deals deleting the stage moves on: every deal in it (only an open stage is deleted)."""
    require_role(actor, Role.ADMIN, action="configure_pipelines")
    return _deals_inside(session, _stage(session, stage_id).id)


def _deals_inside(session: Session, stage_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Deal).where(Deal.stage_id == stage_id))


def pipeline_changes(session: Session, actor: Actor, pipeline_id: int, limit: int = 200) -> pd.DataFrame:
    require_role(actor, Role.ADMIN, action="read_change_log")
    rows = session.execute(
        select(
            PipelineChange.at,
            func.coalesce(User.display_name, "system"),
            PipelineChange.what,
            PipelineChange.old_value,
            PipelineChange.new_value,
        )
        .outerjoin(User, User.id == PipelineChange.by_user_id)
        .where(PipelineChange.pipeline_id == pipeline_id)
        .order_by(PipelineChange.at.desc(), PipelineChange.id.desc())
        .limit(limit)
    ).all()
    return pd.DataFrame(rows, columns=["at", "by", "what", "old_value", "new_value"])


def pipeline_version(session: Session, pipeline_id: int) -> int:
    pipeline = session.get(Pipeline, pipeline_id)
    if pipeline is None:
        raise NotFound(Message("not_found.pipeline", id=pipeline_id))
    return pipeline.version


def _stage(session: Session, stage_id: int) -> Stage:
    stage = session.get(Stage, stage_id)
    if stage is None or stage.deleted_at is not None:
        raise NotFound(Message("not_found.stage", id=stage_id))
    return stage


def _task_shown(task: dict) -> str:
    count, unit = task_due(task)
    return f"{task['title']} (+{count} {_UNIT_SHORT[unit]})"


_UNIT_SHORT = {"days": "d", "hours": "h", "minutes": "min"}


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{name}: {each}" for name, each in value.items() if each not in (None, False)) or "—"
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_task_shown(v) if isinstance(v, dict) else str(v) for v in value) or "—"
    return str(value)

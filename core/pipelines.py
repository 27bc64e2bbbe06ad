"""Pipelines and their stages: creation from templates, listing, archiving."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import NotFound, ValidationError
from core.messages import Message
from core.permissions import Actor, require_role
from core.templates import TEMPLATES
from core.validation import clean_text
from db.models import Pipeline, PipelineChange, Role, Stage, StageKind

STAGE_COLORS = ("#4c78a8", "#72b7b2", "#54a24b", "#eeca3b", "#f58518", "#b279a2", "#9d755d")
WON_COLOR = "#2ca02c"
# An entry task is due so many days, hours or minutes after the deal enters: {"title": …, "due_hours": 1}.
TASK_UNITS = ("days", "hours", "minutes")
LOST_COLOR = "#d62728"


@dataclass(frozen=True)
class StageInfo:
    id: int
    name: str
    position: int
    kind: StageKind
    probability: int
    color: str
    rot_days: int
    required_fields: tuple[str, ...]
    entry_tasks: tuple[dict, ...] = ()
    deleted: bool = False
    automation: dict | None = None  # core.automation

    @property
    def is_open(self) -> bool:
        return self.kind == StageKind.OPEN

    @property
    def is_won(self) -> bool:
        return self.kind == StageKind.WON

    @property
    def is_lost(self) -> bool:
        return self.kind == StageKind.LOST


@dataclass(frozen=True)
class PipelineInfo:
    id: int
    name: str
    is_archived: bool
    version: int = 1


def create_from_template(
    session: Session, actor: Actor, template_key: str, language: str = "en", name: str | None = None
) -> int:
    require_role(actor, Role.ADMIN, action="create_pipelines")
    template = TEMPLATES.get(template_key)
    if template is None:
        raise ValidationError({"template": Message("template.unknown", template=template_key)})
    if language not in ("en", "ru"):
        raise ValidationError({"language": Message("language")})
    errors: dict[str, Message] = {}
    pipeline_name = clean_text(errors, "name", name or template.name(language), required=True)
    if errors:
        raise ValidationError(errors)
    taken = session.scalar(select(func.count()).where(func.lower(Pipeline.name) == pipeline_name.lower()))
    if taken:
        raise ValidationError({"name": Message("pipeline.exists", name=pipeline_name)})
    pipeline = Pipeline(name=pipeline_name, created_at=utcnow())
    session.add(pipeline)
    for position, stage in enumerate(template.stages):
        color = {StageKind.WON: WON_COLOR, StageKind.LOST: LOST_COLOR}.get(
            stage.kind, STAGE_COLORS[position % len(STAGE_COLORS)]
        )
        pipeline.stages.append(
            Stage(
                name=stage.ru if language == "ru" else stage.en,
                position=position,
                kind=stage.kind,
                probability=stage.probability,
                color=color,
                rot_days=stage.rot_days,
                required_fields=[],
                entry_tasks=[],
            )
        )
    session.flush()
    record_change(session, actor, pipeline, "pipeline created", None, f"{pipeline_name} ({template.name(language)})")
    return pipeline.id


def record_change(session: Session, actor: Actor, pipeline: Pipeline, what: str, old: object, new: object) -> int:
    """Write a line of the pipeline's change log and bump its version; returns the new version."""
    pipeline.version += 1
    session.add(
        PipelineChange(
            pipeline_id=pipeline.id,
            at=utcnow(),
            by_user_id=actor.id,
            what=what,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
        )
    )
    session.flush()
    return pipeline.version


def list_pipelines(session: Session, *, include_archived: bool = False) -> list[PipelineInfo]:
    query = select(Pipeline).order_by(Pipeline.id)
    if not include_archived:
        query = query.where(Pipeline.is_archived.is_(False))
    return [PipelineInfo(p.id, p.name, p.is_archived, p.version) for p in session.scalars(query)]


def list_stages(session: Session, pipeline_id: int, *, include_deleted: bool = False) -> list[StageInfo]:
    """The pipeline's stages in order; deleted ones (kept for history) only when asked for."""
    if session.get(Pipeline, pipeline_id) is None:
        raise NotFound(Message("not_found.pipeline", id=pipeline_id))
    query = select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position, Stage.id)
    if not include_deleted:
        query = query.where(Stage.deleted_at.is_(None))
    return [
        StageInfo(
            s.id,
            s.name,
            s.position,
            s.kind,
            s.probability,
            s.color,
            s.rot_days,
            tuple(s.required_fields),
            tuple(s.entry_tasks),
            s.deleted_at is not None,
            dict(s.automation) if s.automation else None,
        )
        for s in session.scalars(query)
    ]


def next_stage(stages: Sequence[StageInfo], stage_id: int) -> StageInfo | None:
    """Where a deal in `stage_id` goes next: the following open stage in pipeline order, or Won after
    the last open one; none for a closed deal (or a stage not among `stages`)."""
    open_stages = [s for s in stages if s.is_open]
    ids = [s.id for s in open_stages]
    if stage_id not in ids:
        return None
    position = ids.index(stage_id)
    if position + 1 < len(open_stages):
        return open_stages[position + 1]
    return next((s for s in stages if s.is_won), None)


def set_archived(session: Session, actor: Actor, pipeline_id: int, archived: bool) -> None:
    require_role(actor, Role.ADMIN, action="archive_pipelines")
    pipeline = session.get(Pipeline, pipeline_id)
    if pipeline is None:
        raise NotFound(Message("not_found.pipeline", id=pipeline_id))
    pipeline.is_archived = archived


def task_due(task: dict) -> tuple[int, str]:
    """An entry task's due time after entry, as a number and its unit ("days", "hours", "minutes")."""
    unit = next((unit for unit in TASK_UNITS if task.get(f"due_{unit}") is not None), "days")
    return int(task.get(f"due_{unit}") or 0), unit


def task_delay(task: dict) -> timedelta:
    count, unit = task_due(task)
    return timedelta(**{unit: count})

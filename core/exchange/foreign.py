"""Importing deals from another CRM's export: a table whose columns the user maps to deal fields and
whose stage values the user maps to stages. `prepare` reads and checks every row and writes
nothing; `apply` writes the prepared deals in the caller's transaction, all of them or none.

Where the export has only the current stage, each deal gets the minimal honest history: it entered
its pipeline's first open stage (or, when open, its current stage) when it was created, and its won
or lost stage when it was closed.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from core import customers, lost_reasons, stage_editor, users
from core.clock import utcnow
from core.errors import ValidationError
from core.exchange import batches
from core.exchange.files import UNREADABLE, looks_like_formula
from core.messages import Message
from core.permissions import Actor, require_role
from core.validation import MAX_AMOUNT
from db import changes
from db.models import Company, Deal, LostReason, Pipeline, Role, Stage, StageKind, StageTransition, Team, User
from db.rollups import upkeep

TEXT, MONEY, TIMESTAMP, DATE = "text", "money", "timestamp", "date"
# Deal field → (kind, required, column names it is guessed from: English, Russian, other CRMs' exports).
FIELDS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "external_id": (TEXT, False, ("external_id", "id", "opportunity_id", "deal_id", "ид", "id сделки", "номер")),
    "title": (TEXT, False, ("title", "name", "deal", "deal_name", "opportunity", "название", "сделка")),
    "owner": (
        TEXT,
        True,
        ("owner", "sales_agent", "manager", "agent", "responsible", "salesperson", "ответственный", "менеджер"),
    ),
    "stage": (TEXT, True, ("stage", "deal_stage", "status", "этап", "стадия", "статус")),
    "amount": (MONEY, False, ("amount", "close_value", "value", "deal_value", "sum", "budget", "сумма", "бюджет")),
    "created_at": (TIMESTAMP, False, ("created_at", "created", "create_date", "engage_date", "дата создания")),
    "closed_at": (TIMESTAMP, False, ("closed_at", "close_date", "closed", "дата закрытия")),
    "expected_close_date": (DATE, False, ("expected_close_date", "expected_close", "ожидаемая дата закрытия")),
    "company": (TEXT, False, ("company", "account", "organization", "client", "компания", "контрагент", "клиент")),
    "source": (TEXT, False, ("source", "lead_source", "channel", "источник")),
    "region": (TEXT, False, ("region", "город", "регион")),
    "segment": (TEXT, False, ("segment", "product", "сегмент", "продукт")),
    "lost_reason": (TEXT, False, ("lost_reason", "loss_reason", "причина отказа", "причина проигрыша")),
    "lost_comment": (TEXT, False, ("lost_comment", "комментарий к отказу")),
}
MAX_TEXT = {
    "external_id": 100,
    "title": 200,
    "company": 200,
    "source": 100,
    "region": 100,
    "segment": 100,
    "lost_reason": 200,
    "lost_comment": 2000,
    "owner": 200,
    "stage": 200,
}
NOT_RECORDED = "Not recorded (imported)"
NUL = "\x00"  # a text column of PostgreSQL cannot hold it; a row with one is refused, on SQLite too
UTC_ZONE = ZoneInfo("UTC")
PREVIEW_ROWS = 20
BATCH = 1_000
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
)


@dataclass(frozen=True)
class NewPipeline:
    """A pipeline made from the file's stage values: these open ones in order, one won, the lost ones."""

    name: str
    open_stages: tuple[str, ...]
    won: str
    lost: tuple[str, ...]


@dataclass(frozen=True)
class Mapping:
    """How a foreign table becomes deals. `columns`: deal field → column (the title may join several);
    `stages`: foreign stage value → stage name of `pipeline` (or of `new_pipeline`, where each value
    names its own stage); `owner_teams`: owner as written → team name (from a second file)."""

    columns: dict[str, str | tuple[str, ...]]
    pipeline: str | None = None
    new_pipeline: NewPipeline | None = None
    stages: dict[str, str] = field(default_factory=dict)
    create_owners: bool = True
    create_companies: bool = True
    owner_teams: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field → {value as written: value stored}
    day_first: bool = True  # 03/04/2017 is 3 April
    default_created_at: date | None = None  # for rows without a created date; None: the import day

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "Mapping":
        """The mapping as written in a JSON file (README, "Importing from another CRM")."""
        errors: dict[str, Message] = {}
        columns = raw.get("columns")
        if not isinstance(columns, dict) or not columns:
            errors["columns"] = Message("mapping.columns")
            columns = {}
        unknown = sorted(set(columns) - set(FIELDS))
        if unknown:
            errors["columns"] = Message("mapping.unknown_fields", unknown=", ".join(unknown), fields=", ".join(FIELDS))
        new = raw.get("new_pipeline")
        new_pipeline = None
        if new is not None:
            try:
                new_pipeline = NewPipeline(
                    str(new["name"]), tuple(map(str, new["open"])), str(new["won"]), tuple(map(str, new["lost"]))
                )
            except (KeyError, TypeError) as error:
                errors["new_pipeline"] = Message("mapping.new_pipeline", error=str(error))
        elif not raw.get("pipeline"):
            errors["pipeline"] = Message("mapping.pipeline")
        choices = {}
        for name in ("unknown_owners", "unknown_companies"):
            value = raw.get(name, "create")
            if value not in ("create", "reject"):
                errors[name] = Message("mapping.create_or_reject")
            choices[name] = value == "create"
        default_created = raw.get("default_created_at")
        try:
            default_created = date.fromisoformat(default_created) if default_created else None
        except (TypeError, ValueError):
            errors["default_created_at"] = Message("mapping.date")
        if errors:
            raise ValidationError(errors)
        return cls(
            columns={k: tuple(v) if isinstance(v, list) else v for k, v in columns.items()},
            pipeline=raw.get("pipeline"),
            new_pipeline=new_pipeline,
            stages={str(k): str(v) for k, v in (raw.get("stages") or {}).items()},
            create_owners=choices["unknown_owners"],
            create_companies=choices["unknown_companies"],
            owner_teams={str(k): str(v) for k, v in (raw.get("owner_teams") or {}).items()},
            values={
                str(f): {str(k): str(v) for k, v in aliases.items()} for f, aliases in (raw.get("values") or {}).items()
            },
            day_first=bool(raw.get("day_first", True)),
            default_created_at=default_created,
        )


@dataclass(frozen=True)
class Problem:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: Message
    blocking: bool = True


@dataclass
class _Row:
    number: int
    problems: list[Problem] = field(default_factory=list)

    def report(self, column: str, message: Message, blocking: bool = True) -> None:
        self.problems.append(Problem(self.number, column, message, blocking))


@dataclass
class Prepared:
    """Everything the import would write, checked; nothing written yet."""

    deals: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    already_imported: int = 0
    new_owners: dict[str, str] = field(default_factory=dict)  # owner as written → team name or ""
    new_companies: set[str] = field(default_factory=set)
    new_reasons: set[str] = field(default_factory=set)
    pipeline: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    def preview(self, rows: int = PREVIEW_ROWS) -> pd.DataFrame:
        """The first deals as they will be stored."""
        shown = [
            "row",
            "external_id",
            "title",
            "owner",
            "stage",
            "status",
            "amount",
            "created_at",
            "closed_at",
            "company",
            "source",
            "region",
            "segment",
            "lost_reason",
        ]
        return pd.DataFrame([{name: deal.get(name) for name in shown} for deal in self.deals[:rows]], columns=shown)

    def problem_table(self) -> pd.DataFrame:
        """Every error by row; the notes (defaults used) once per kind, with how many rows and which."""
        error, note = Message("problem.error"), Message("problem.note")
        errors = [(str(p.row), p.column, p.message, error) for p in self.errors]
        grouped: dict[tuple[str, Message], list[int]] = {}
        for p in self.problems:
            if not p.blocking:
                grouped.setdefault((p.column, p.message), []).append(p.row)
        notes = [(_rows_text(rows), column, message, note) for (column, message), rows in grouped.items()]
        # object, not pandas' own string type, so that the messages keep their codes for a translation
        return pd.DataFrame(errors + notes, columns=["row", "column", "problem", "kind"], dtype=object)


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:5]))
    return shown if len(rows) <= 5 else Message("problem.more_rows", rows=shown, count=len(rows))


@dataclass(frozen=True)
class Imported:
    deals: int
    already_imported: int
    new_owners: int
    new_companies: int
    pipeline_id: int
    batch_id: int


def guess_columns(columns: list[str]) -> dict[str, str]:
    """A first mapping of deal fields to the file's columns, by their names; each column used once."""
    normalised = {re.sub(r"[\s\-]+", "_", c.strip().lower()): c for c in columns}
    guessed, used = {}, set()
    for name, (_, _, synonyms) in FIELDS.items():
        for synonym in synonyms:
            column = normalised.get(re.sub(r"[\s\-]+", "_", synonym))
            if column is not None and column not in used:
                guessed[name] = column
                used.add(column)
                break
    return guessed


def stage_values(frame: pd.DataFrame, stage_column: str) -> list[str]:
    """The distinct stage values of the file, in the order they first appear."""
    return list(dict.fromkeys(str(v).strip() for v in frame[stage_column] if str(v).strip()))


def owner_teams(frame: pd.DataFrame, owner_column: str, team_column: str) -> dict[str, str]:
    """Owner → team from a second file (e.g. a list of sales agents and their offices)."""
    missing = [c for c in (owner_column, team_column) if c not in frame.columns]
    if missing:
        problem = Message("foreign.teams_file_columns", missing=", ".join(missing), columns=", ".join(frame.columns))
        raise ValidationError({"teams_file": problem})
    teams = {}
    for number, (owner, team) in enumerate(zip(frame[owner_column], frame[team_column], strict=True), start=2):
        owner, team = str(owner).strip(), str(team).strip()
        if NUL in owner + team:
            raise ValidationError(
                {"teams_file": Message("foreign.teams_file_row", row=number, problem=Message("problem.nul"))}
            )
        if owner and team:
            teams[owner] = team
    return teams


def prepare(
    session: Session,
    actor: Actor,
    frame: pd.DataFrame,
    mapping: Mapping,
    *,
    zone: ZoneInfo = UTC_ZONE,
    today: date | None = None,
) -> Prepared:
    """Read and check every row against the mapping and the database; write nothing."""
    require_role(actor, Role.ADMIN, action="import_deals")
    _check_columns(frame, mapping)
    today = today or utcnow().astimezone(zone).date()
    check = _Check(
        mapping=mapping,
        zone=zone,
        stages=_target_stages(session, mapping),
        people=_people(session),
        companies={name.lower(): company_id for company_id, name in session.execute(select(Company.id, Company.name))},
        reasons={
            name.lower(): reason_id for reason_id, name in session.execute(select(LostReason.id, LostReason.name))
        },
        default_created=datetime.combine(mapping.default_created_at or today, time(0), zone).astimezone(UTC),
    )
    result = Prepared(pipeline=mapping.new_pipeline.name if mapping.new_pipeline else str(mapping.pipeline))
    records = frame.to_dict("records")
    external_ids = [_external_id(record, mapping) for record in records]
    stored = _stored_external_ids(session, [e for e in external_ids if e and NUL not in e])
    seen: dict[str, int] = {}
    for index, (record, external_id) in enumerate(zip(records, external_ids, strict=True)):
        if external_id in stored:
            result.already_imported += 1
            continue
        row = _Row(index + 2)
        deal = check.row(row, record, external_id, seen.setdefault(external_id, row.number))
        result.problems.extend(row.problems)
        if deal is not None:
            check.note_new(result, deal)
            result.deals.append(deal)
    return result


def _check_columns(frame: pd.DataFrame, mapping: Mapping) -> None:
    """The mapped columns are in the file, and the required fields are mapped."""
    missing = sorted({c for cols in mapping.columns.values() for c in _as_tuple(cols)} - set(frame.columns))
    required = [name for name, (_, needed, _) in FIELDS.items() if needed and name not in mapping.columns]
    errors = {}
    if missing:
        errors["columns"] = Message(
            "foreign.file_columns", missing=", ".join(missing), columns=", ".join(frame.columns)
        )
    if required:
        errors["mapping"] = Message("foreign.map_required", fields=", ".join(required))
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class _Check:
    """What each row is checked against: the mapping, the target stages, and the users, companies and
    lost reasons there are."""

    mapping: Mapping
    zone: ZoneInfo
    stages: dict[str, Stage]
    people: dict[str, int]
    companies: dict[str, int]
    reasons: dict[str, int]
    default_created: datetime

    def row(self, row: _Row, record: dict, external_id: str, first_seen: int) -> dict | None:
        """The deal the row makes, or None when a problem blocks it; each problem reported on the row
        (`first_seen`: the row the same id was first on)."""
        mapping, report = self.mapping, row.report
        values = {name: _text(record, mapping, name, report) for name, (kind, _, _) in FIELDS.items() if kind == TEXT}
        if first_seen != row.number:
            report(_column(mapping, "external_id"), Message("problem.same_id", id=external_id, row=first_seen))
        owner_name, stage_value, company = values["owner"], values["stage"], values["company"]
        if not owner_name:
            report(_column(mapping, "owner"), Message("problem.no_owner"))
        elif owner_name.lower() not in self.people and not mapping.create_owners:
            report(_column(mapping, "owner"), Message("problem.unknown_owner", name=owner_name))
        stage = self.stages.get(stage_value) if stage_value else None
        if not stage_value:
            report(_column(mapping, "stage"), Message("problem.no_stage"))
        elif stage is None:
            report(_column(mapping, "stage"), Message("problem.unmapped_stage", stage=stage_value))
        amount = _money(record, mapping, report)
        created, closed, expected = self._dates(row, record, stage)
        if company and company.lower() not in self.companies and not mapping.create_companies:
            report(_column(mapping, "company"), Message("problem.unknown_company", name=company))
        if any(p.blocking for p in row.problems):
            return None
        kind = stage.kind
        return {
            "row": row.number,
            "external_id": external_id,
            "title": values["title"] or f"{company or owner_name} — {external_id}"[:200],
            "owner": owner_name,
            "stage": stage.name,
            "status": kind.value,
            "amount": amount,
            "created_at": created,
            "closed_at": closed if kind != StageKind.OPEN else None,
            "expected_close_date": _expected_close(expected, closed, kind),
            "company": company,
            "source": values["source"],
            "region": values["region"],
            "segment": values["segment"],
            "lost_reason": (values["lost_reason"] or NOT_RECORDED) if kind == StageKind.LOST else None,
            "lost_comment": values["lost_comment"] if kind == StageKind.LOST else None,
        }

    def _dates(self, row: _Row, record: dict, stage: Stage | None) -> tuple[datetime | None, ...]:
        """Created (the default day where the file has none), closed and expected to close."""
        mapping, report = self.mapping, row.report
        created = _timestamp(record, mapping, "created_at", self.zone, report)
        closed = _timestamp(record, mapping, "closed_at", self.zone, report)
        expected = _timestamp(record, mapping, "expected_close_date", self.zone, report)
        if created is None and _blank(record, mapping, "created_at"):
            created = self.default_created
            if "created_at" in mapping.columns:
                note = Message("problem.default_created", day=self.default_created.date())
                report(_column(mapping, "created_at"), note, False)
        if stage is not None and stage.kind in (StageKind.WON, StageKind.LOST):
            if closed is None and _blank(record, mapping, "closed_at"):
                report(_column(mapping, "closed_at") or "closed_at", Message("problem.closed_date_needed"))
            elif closed is not None and created is not None and closed < created:
                report(_column(mapping, "closed_at"), Message("problem.closed_before_created"))
        return created, closed, expected

    def note_new(self, result: Prepared, deal: dict) -> None:
        """The owner, company and lost reason of a deal that the import must create first."""
        if deal["owner"].lower() not in self.people:
            result.new_owners.setdefault(deal["owner"], self.mapping.owner_teams.get(deal["owner"], ""))
        if deal["company"] and deal["company"].lower() not in self.companies:
            result.new_companies.add(deal["company"])
        if deal["lost_reason"] and deal["lost_reason"].lower() not in self.reasons:
            result.new_reasons.add(deal["lost_reason"])


def apply(
    session: Session,
    actor: Actor,
    prepared: Prepared,
    mapping: Mapping,
    progress: Callable[[int, int], None] | None = None,
    *,
    file_name: str = "",
) -> Imported:
    """Write the prepared deals, their history, and the owners, companies, teams and lost reasons they
    need, in the caller's transaction, as one import batch of `file_name` (core.exchange.batches: it
    can be undone). Refused while any row has an error."""
    require_role(actor, Role.ADMIN, action="import_deals")
    if prepared.errors:
        raise ValidationError({"file": Message("foreign.rows_with_problems", count=len(prepared.errors))})
    existed = {model: set(session.scalars(select(model.id))) for model in (Pipeline, Team, LostReason)}
    pipeline_id = _pipeline_id(session, actor, mapping)
    stage_of = {
        s.name: s
        for s in session.scalars(select(Stage).where(Stage.pipeline_id == pipeline_id, Stage.deleted_at.is_(None)))
    }
    first_open = min((s for s in stage_of.values() if s.kind == StageKind.OPEN), key=lambda s: s.position)
    people, companies, reasons = _parties(session, actor, prepared)
    imported_ids: list[int] = []
    total = len(prepared.deals)
    for start in range(0, total, BATCH):
        batch = prepared.deals[start : start + BATCH]
        rows = [_deal_row(deal, stage_of[deal["stage"]], people, companies, reasons) for deal in batch]
        ids = session.scalars(insert(Deal).returning(Deal.id, sort_by_parameter_order=True), rows).all()
        imported_ids += ids
        history = []
        for deal_id, deal in zip(ids, batch, strict=True):
            history.extend(_history(deal_id, deal, stage_of[deal["stage"]], first_open, actor))
        session.execute(insert(StageTransition), history)
        upkeep.add_deals(session, ids)
        if progress:
            progress(min(start + BATCH, total), total)
    batch_id = batches.record(
        session,
        actor,
        "foreign",
        file_name,
        deal_ids=imported_ids,
        user_ids=[people[name.lower()] for name in prepared.new_owners],
        company_ids=[companies[name.lower()] for name in prepared.new_companies],
        created={model: set(session.scalars(select(model.id))) - ids for model, ids in existed.items()},
    )
    changes.bump(session)
    return Imported(
        total, prepared.already_imported, len(prepared.new_owners), len(prepared.new_companies), pipeline_id, batch_id
    )


def _parties(session: Session, actor: Actor, prepared: Prepared) -> tuple[dict, dict, dict]:
    """Users, companies and lost reasons by lower-cased name, with those the import needs created
    through their services."""
    people = _people(session)
    for name, team in prepared.new_owners.items():
        team_id = (users.find_team(session, team) or users.create_team(session, actor, team)) if team else None
        people[name.lower()] = users.create_user(
            session,
            actor,
            login=_free_login(session, name),
            display_name=name,
            role=Role.MANAGER,
            password="",
            team_id=team_id,
            password_hash=users.NO_PASSWORD_HASH,
        )
    companies = {name.lower(): company_id for company_id, name in session.execute(select(Company.id, Company.name))}
    for name in sorted(prepared.new_companies):
        companies[name.lower()] = customers.create_company(session, actor, name)
    reasons = {name.lower(): reason_id for reason_id, name in session.execute(select(LostReason.id, LostReason.name))}
    for name in sorted(prepared.new_reasons):
        reasons[name.lower()] = lost_reasons.create_lost_reason(session, actor, name)
    return people, companies, reasons


def _history(deal_id: int, deal: dict, stage: Stage, first_open: Stage, actor: Actor) -> list[dict]:
    """The minimal honest history: the deal entered its stage when created, or, closed, the first
    open stage when created and its won or lost stage when closed."""
    steps = [(None, stage, deal["created_at"])]
    if stage.kind != StageKind.OPEN:
        steps = [(None, first_open, deal["created_at"]), (first_open, stage, deal["closed_at"])]
    return [
        {
            "deal_id": deal_id,
            "from_stage_id": before.id if before else None,
            "to_stage_id": after.id,
            "at": at,
            "by_user_id": actor.id,
            "from_entered_at": deal["created_at"] if before else None,
        }
        for before, after, at in steps
    ]


def _expected_close(expected: datetime | None, closed: datetime | None, kind: StageKind) -> date | None:
    if expected is not None:
        return expected.date()
    return closed.date() if closed is not None and kind != StageKind.OPEN else None


def _deal_row(deal: dict, stage: Stage, people: dict, companies: dict, reasons: dict) -> dict:
    closed = deal["closed_at"]
    owner_id = people[deal["owner"].lower()]
    return {
        "title": deal["title"],
        "company_id": companies.get((deal["company"] or "").lower()),
        "amount": deal["amount"],
        "owner_id": owner_id,
        "pipeline_id": stage.pipeline_id,
        "stage_id": stage.id,
        "status": deal["status"],
        "lost_reason_id": reasons[deal["lost_reason"].lower()] if deal["lost_reason"] else None,
        "lost_comment": deal["lost_comment"],
        "source": deal["source"],
        "region": deal["region"],
        "segment": deal["segment"],
        "expected_close_date": deal["expected_close_date"],
        "created_at": deal["created_at"],
        "closed_at": closed,
        "closing_owner_id": owner_id if closed else None,
        "stage_entered_at": closed or deal["created_at"],
        "external_id": deal["external_id"],
        "version": 1,
    }


def _as_tuple(columns: str | tuple[str, ...]) -> tuple[str, ...]:
    return (columns,) if isinstance(columns, str) else tuple(columns)


def _column(mapping: Mapping, name: str) -> str:
    return " + ".join(_as_tuple(mapping.columns[name])) if name in mapping.columns else ""


def _raw(record: dict, mapping: Mapping, name: str) -> list[Any]:
    return [record[c] for c in _as_tuple(mapping.columns[name])] if name in mapping.columns else []


def _blank(record: dict, mapping: Mapping, name: str) -> bool:
    return all(_is_blank(v) for v in _raw(record, mapping, name))


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == ""


def _text(record: dict, mapping: Mapping, name: str, report) -> str | None:
    parts = [str(v).strip() for v in _raw(record, mapping, name) if not _is_blank(v)]
    if not parts:
        return None
    text = " — ".join(mapping.values.get(name, {}).get(part, part) for part in parts)
    if NUL in text:
        report(_column(mapping, name), Message("problem.nul"))
        return None
    if UNREADABLE in text:
        report(_column(mapping, name), Message("problem.undecodable"))
        return None
    if looks_like_formula(text):
        report(_column(mapping, name), Message("problem.formula", text=text[:40]))
        return None
    if len(text) > MAX_TEXT[name]:
        report(_column(mapping, name), Message("problem.too_long", maximum=MAX_TEXT[name]))
        return None
    return text


def _money(record: dict, mapping: Mapping, report) -> Decimal:
    raw = _raw(record, mapping, "amount")
    if not raw or _is_blank(raw[0]):
        return Decimal(0)
    value = raw[0]
    try:
        amount = Decimal(str(value)) if isinstance(value, int | float) else _parse_money(str(value))
    except (InvalidOperation, ValueError):
        report(_column(mapping, "amount"), Message("problem.not_amount", value=str(value)[:40]))
        return Decimal(0)
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        report(_column(mapping, "amount"), Message("problem.amount_range", value=str(value)[:40], maximum=MAX_AMOUNT))
        return Decimal(0)
    return amount.quantize(Decimal("0.01"))


def _parse_money(text: str) -> Decimal:
    """'1 234,56', '1,234.56', '$1,234', '1234' → Decimal. The last of ',' and '.' is the decimal
    separator when two or fewer digits follow it; otherwise both are thousands separators."""
    cleaned = re.sub(r"[^\d,.\-]", "", text.replace("\u00a0", "").replace("\u202f", ""))
    if not re.search(r"\d", cleaned):
        raise ValueError(text)
    last = max(cleaned.rfind(","), cleaned.rfind("."))
    if last >= 0 and 0 < len(cleaned) - last - 1 <= 2:
        whole, fraction = cleaned[:last], cleaned[last + 1 :]
        return Decimal(re.sub(r"[,.]", "", whole) + "." + fraction)
    return Decimal(re.sub(r"[,.]", "", cleaned))


def _timestamp(record: dict, mapping: Mapping, name: str, zone: ZoneInfo, report) -> datetime | None:
    raw = _raw(record, mapping, name)
    if not raw or _is_blank(raw[0]):
        return None
    value = raw[0]
    if isinstance(value, datetime | pd.Timestamp):
        moment = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0))
    else:
        moment = _parse_date(str(value).strip(), mapping.day_first)
        if moment is None:
            report(_column(mapping, name), Message("problem.not_date", value=str(value)[:40]))
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _parse_date(text: str, day_first: bool) -> datetime | None:
    formats = (
        *_DATE_FORMATS,
        "%d/%m/%Y" if day_first else "%m/%d/%Y",
        "%d/%m/%Y %H:%M" if day_first else "%m/%d/%Y %H:%M",
    )
    for pattern in formats:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _external_id(record: dict, mapping: Mapping) -> str:
    """The file's id of the deal, or, without an id column, a fingerprint of the whole row (so the
    same file imported twice is still recognised)."""
    if "external_id" in mapping.columns:
        text = " ".join(str(v).strip() for v in _raw(record, mapping, "external_id") if not _is_blank(v))
        if text:
            return text[:100]
    fingerprint = hashlib.sha1("\x1f".join(str(v) for v in record.values()).encode()).hexdigest()
    return f"row:{fingerprint}"


def _stored_external_ids(session: Session, external_ids: list[str]) -> set[str]:
    stored = set()
    for start in range(0, len(external_ids), 500):
        chunk = external_ids[start : start + 500]
        stored |= set(session.scalars(select(Deal.external_id).where(Deal.external_id.in_(chunk))))
    return stored


def _people(session: Session) -> dict[str, int]:
    """Users by lower-cased login and display name."""
    people = {}
    for user_id, login, name in session.execute(select(User.id, User.login, User.display_name).order_by(User.id)):
        people.setdefault(name.lower(), user_id)
        people.setdefault(login.lower(), user_id)
    return people


def _free_login(session: Session, name: str) -> str:
    base = re.sub(r"[^\w.]+", ".", name.strip().lower()).strip(".")[:90] or "user"
    login, number = base, 1
    while session.scalar(select(func.count()).where(User.login == login)):
        number += 1
        login = f"{base}{number}"
    return login


def _target_stages(session: Session, mapping: Mapping) -> dict[str, Stage]:
    """Foreign stage value → stage. A new pipeline not made yet gets stand-ins named after the values;
    one made by an earlier import of the same mapping is used as it is."""
    new = mapping.new_pipeline
    name = new.name if new is not None else str(mapping.pipeline)
    pipeline = session.scalar(select(Pipeline).where(func.lower(Pipeline.name) == name.lower()))
    if pipeline is None and new is not None:
        kinds = {
            **dict.fromkeys(new.open_stages, StageKind.OPEN),
            new.won: StageKind.WON,
            **dict.fromkeys(new.lost, StageKind.LOST),
        }
        return {value: Stage(name=value, kind=kind) for value, kind in kinds.items()}
    if pipeline is None:
        raise ValidationError({"pipeline": Message("foreign.no_pipeline", name=name)})
    stages = {
        s.name: s
        for s in session.scalars(select(Stage).where(Stage.pipeline_id == pipeline.id, Stage.deleted_at.is_(None)))
    }
    wanted = mapping.stages if new is None else {v: v for v in (*new.open_stages, new.won, *new.lost)}
    unknown = sorted({stage for stage in wanted.values() if stage not in stages})
    if unknown:
        raise ValidationError(
            {"stages": Message("foreign.no_stages", pipeline=pipeline.name, stages=", ".join(map(repr, unknown)))}
        )
    return {value: stages[stage] for value, stage in wanted.items()}


def _pipeline_id(session: Session, actor: Actor, mapping: Mapping) -> int:
    new = mapping.new_pipeline
    name = new.name if new is not None else str(mapping.pipeline)
    existing = session.scalar(select(Pipeline.id).where(func.lower(Pipeline.name) == name.lower()))
    if existing is not None or new is None:
        return existing
    return stage_editor.create_pipeline(
        session, actor, new.name, open_stages=new.open_stages, won=new.won, lost=new.lost
    )

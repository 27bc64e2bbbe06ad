"""The native format: every table of the database as a CSV file (or a sheet of one workbook) with its
own column names and ids, so an export imported into an empty database gives back the same data,
and therefore the same figures.

Values: empty = none; amounts in currency units with two decimals ("1500.00"); timestamps in UTC,
ISO 8601 ("2026-07-01T09:30:00+00:00"); dates ISO ("2026-07-01"); flags "true"/"false"; lists (a
stage's required fields and entry tasks) as JSON. Text a spreadsheet would run as a formula is
written with a leading apostrophe, and read back without it.
"""

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import JSON, Boolean, Date, Enum, Integer, Table, func, insert, select, text
from sqlalchemy.orm import Session

from core.customers import email_key, phone_key
from core.errors import ValidationError
from core.exchange import batches
from core.exchange.files import neutralised, restored
from core.messages import Message
from core.permissions import Actor, require_role
from db import changes, history
from db.engine import advance_sequences
from db.models import Base, Deal, Role
from db.rollups import build
from db.rollups.sources import TABLES
from db.types import Money, UTCDateTime

# Bookkeeping of this installation (who is signed in, who tried, the API tokens, the webhooks with their
# secrets and deliveries, the notifications) and sums derived from the data (rebuilt on import): not exported.
SKIPPED = {
    "data_version",
    "login_attempts",
    "login_events",
    "user_sessions",
    "api_tokens",
    "webhooks",
    "outbox",
    "deliveries",
    "delivery_attempts",
    "notifications",
} | TABLES
BATCH = 5_000
# Tables added after the first exports were made: an export without them loads, with none of their rows
# (the deals' field history then starts at the import).
LATER_TABLES = {"deal_changes", "import_batches", "import_batch_rows"}
# Columns added after the first exports were made: an export without them loads, with them empty.
LATER_COLUMNS = {
    "stages": ("added_at", "automation"),
    "contacts": ("phone_key", "email_key"),
    "users": ("email",),
}
BROWSER_EXPORT_MAX_DEALS = 200_000  # beyond this the export belongs to the CLI, not to a browser download
EXCEL_MAX_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, the header included


def tables() -> list[Table]:
    """The exported tables, each after the tables it refers to."""
    return [table for table in Base.metadata.sorted_tables if table.name not in SKIPPED]


def deal_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Deal))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(neutralised(str(value)) if isinstance(value, str) else value)


def _rows(session: Session, table: Table) -> Iterator[list[str]]:
    query = select(table).order_by(*table.primary_key.columns)
    for row in session.execute(query.execution_options(yield_per=BATCH)):
        yield [_cell(value) for value in row]


def export_csv(
    session: Session, actor: Actor, folder: Path, progress: Callable[[str, int], None] | None = None
) -> dict:
    """Write every table to `folder`/<table>.csv (UTF-8). Returns the rows written per table."""
    require_role(actor, Role.ADMIN, action="export_database")
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for table in tables():
        with (folder / f"{table.name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([column.name for column in table.columns])
            count = 0
            for row in _rows(session, table):
                writer.writerow(row)
                count += 1
        written[table.name] = count
        if progress:
            progress(table.name, count)
    return written


def export_zip(session: Session, actor: Actor) -> bytes:
    """Every table as a CSV file of one zip archive (what export_csv writes to a folder)."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        export_csv(session, actor, Path(folder))
        for path in sorted(Path(folder).glob("*.csv")):
            archive.write(path, path.name)
    return buffer.getvalue()


def export_excel(session: Session, actor: Actor) -> bytes:
    """Every table as a sheet of one workbook (refused when a table is too long for a sheet)."""
    require_role(actor, Role.ADMIN, action="export_database")
    for table in tables():
        rows = session.scalar(select(func.count()).select_from(table))
        if rows > EXCEL_MAX_ROWS:
            raise ValidationError({"format": Message("native.sheet_too_long", table=table.name, rows=rows)})
    workbook = openpyxl.Workbook(write_only=True)
    for table in tables():
        sheet = workbook.create_sheet(table.name)
        sheet.append([column.name for column in table.columns])
        for row in _rows(session, table):
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _parser(column) -> Callable[[str], Any]:
    kind = column.type
    if isinstance(kind, Money):
        return lambda raw: Decimal(raw)
    if isinstance(kind, UTCDateTime):
        return lambda raw: datetime.fromisoformat(raw)
    if isinstance(kind, Boolean):
        return lambda raw: {"true": True, "false": False}[raw.lower()]
    if isinstance(kind, Date):
        return lambda raw: date.fromisoformat(raw)
    if isinstance(kind, JSON):
        return json.loads
    if isinstance(kind, Integer):
        return int
    if isinstance(kind, Enum):
        return str
    return restored


def _sheets_of(source: Path) -> Callable[[str], Iterator[list[str]] | None]:
    """Rows (header first) of one table from a folder of CSV files or a workbook; None where missing."""
    if source.is_dir():

        def from_folder(name: str) -> Iterator[list[str]] | None:
            path = source / f"{name}.csv"
            if not path.exists():
                return None
            return csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")))

        return from_folder
    workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)

    def from_workbook(name: str) -> Iterator[list[str]] | None:
        if name not in workbook.sheetnames:
            return None
        return (
            [_cell(value) if not isinstance(value, str) else value for value in row]
            for row in workbook[name].iter_rows(values_only=True)
        )

    return from_workbook


def import_native(
    session: Session, actor: Actor, source: Path, progress: Callable[[str, int], None] | None = None
) -> dict:
    """Load an export (a folder of CSV files or a workbook) into an empty database, all of it or
    nothing: a bad value stops the import with the table, row and column. Returns rows per table."""
    require_role(actor, Role.ADMIN, action="import_database")
    occupied = [t.name for t in tables() if session.scalar(select(func.count()).select_from(t))]
    if occupied:
        raise ValidationError({"database": Message("native.not_empty", tables=", ".join(occupied))})
    if not source.exists():
        raise ValidationError({"source": Message("native.no_source", source=str(source))})
    read = _sheets_of(source)
    loaded, missing = {}, set()
    for table in tables():
        rows = read(table.name)
        if rows is None and table.name not in LATER_TABLES:
            raise ValidationError({"source": Message("native.table_missing", table=table.name)})
        if rows is None:
            missing.add(table.name)
        loaded[table.name] = 0 if rows is None else _load(session, table, rows)
        if progress:
            progress(table.name, loaded[table.name])
    if "deal_changes" in missing:
        history.baseline(session)
    advance_sequences(session)
    session.execute(text("ANALYZE"))  # the planner sees the loaded tables before the rollups are computed
    build.rebuild(session.connection())
    batches.record(session, actor, "native", source.name, deals=loaded["deals"])
    changes.bump(session)
    return loaded


def _load(session: Session, table: Table, rows: Iterator[list[str]]) -> int:
    header = next(rows, None)
    every = [column.name for column in table.columns]
    names = None if header is None else [name.strip() for name in header]
    # An older export lacks some of the columns added since (any of them), the rest in order.
    left_out = set(every) - set(names or ())
    if names != [name for name in every if name in set(names or ())] or not left_out <= set(
        LATER_COLUMNS.get(table.name, ())
    ):
        raise ValidationError({table.name: Message("native.columns", columns=", ".join(every))})
    parsers = [_parser(table.c[name]) for name in names]
    batch, count = [], 0
    for line, row in enumerate(rows, start=2):
        if not any(row):
            continue
        record = {}
        for name, parse, raw in zip(names, parsers, row, strict=False):
            try:
                record[name] = None if raw == "" else parse(raw)
            except (ValueError, KeyError, InvalidOperation, json.JSONDecodeError) as error:
                problem = Message("native.bad_value", line=line, column=name, value=raw[:40], error=str(error))
                raise ValidationError({table.name: problem}) from error
        if table.name == "contacts" and "phone_key" not in names:
            record |= {"phone_key": phone_key(record.get("phone")), "email_key": email_key(record.get("email"))}
        batch.append(record)
        count += 1
        if len(batch) == BATCH:
            session.execute(insert(table), batch)
            batch = []
    if batch:
        session.execute(insert(table), batch)
    return count

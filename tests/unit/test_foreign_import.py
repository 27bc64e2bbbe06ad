"""Importing another CRM's export: the mapping, every kind of bad file, all or nothing, no duplicates."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from core.errors import PermissionDenied, ValidationError
from core.exchange import files, foreign
from core.exchange.foreign import Mapping
from db.models import Company, Deal, StageKind, StageTransition, User

HEADER = "id,title,owner,stage,amount,created,closed,company\n"
GOOD = (
    HEADER
    + "A-1,Server upgrade,anna,Qualification,1 200,2026-03-01,,Acme Ltd\n"
    + 'A-2,Licences,Boris,Won,"2,500.50",01.03.2026,15.03.2026,New Customer LLC\n'
    + "A-3,Support,Новый Менеджер,Lost,0,2026-03-02,2026-03-20,\n"
)


def mapping(**changes) -> Mapping:
    raw = {
        "pipeline": "B2B classic",
        "columns": {
            "external_id": "id",
            "title": "title",
            "owner": "owner",
            "stage": "stage",
            "amount": "amount",
            "created_at": "created",
            "closed_at": "closed",
            "company": "company",
        },
        "stages": {"Qualification": "Qualification", "Won": "Won", "Lost": "Lost"},
    }
    raw.update(changes)
    return Mapping.from_dict(raw)


def table(text: str, name: str = "deals.csv", encoding: str = "utf-8"):
    return files.read_table(text.encode(encoding), name)


def deals_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Deal))


def run(session, world, text: str, **changes):
    prepared = foreign.prepare(session, world.admin, table(text), mapping(**changes), today=date(2026, 11, 23))
    return prepared, foreign.apply(session, world.admin, prepared, mapping(**changes))


def test_a_good_file_becomes_deals_with_a_minimal_history(session, world):
    prepared, result = run(session, world, GOOD)

    assert (result.deals, result.new_owners, result.new_companies) == (3, 1, 1)
    stored = {d.external_id: d for d in session.scalars(select(Deal).where(Deal.external_id.is_not(None)))}
    licences = stored["A-2"]
    assert (licences.amount, licences.status, licences.owner_id, licences.closing_owner_id) == (
        Decimal("2500.50"),
        StageKind.WON,
        world.boris.id,
        world.boris.id,
    )
    assert licences.closed_at == datetime(2026, 3, 15, tzinfo=UTC) and licences.expected_close_date == date(2026, 3, 15)
    assert stored["A-1"].amount == Decimal(1200) and stored["A-1"].closed_at is None
    newcomer = session.get(User, stored["A-3"].owner_id)
    assert (newcomer.display_name, newcomer.login, newcomer.role) == ("Новый Менеджер", "новый.менеджер", "manager")
    assert stored["A-3"].lost_reason_id is not None and stored["A-3"].company_id is None
    assert session.scalar(select(Company.id).where(Company.name == "New Customer LLC")) == licences.company_id
    # Open: created → its stage. Closed: created → the first open stage, closed → won or lost.
    history = session.execute(
        select(StageTransition.from_stage_id, StageTransition.to_stage_id, StageTransition.at)
        .where(StageTransition.deal_id == licences.id)
        .order_by(StageTransition.at)
    ).all()
    s = world.stages
    assert history == [
        (None, s["Qualification"], datetime(2026, 3, 1, tzinfo=UTC)),
        (s["Qualification"], s["Won"], datetime(2026, 3, 15, tzinfo=UTC)),
    ]


def test_the_same_file_twice_adds_nothing(session, world):
    run(session, world, GOOD)
    prepared, result = run(session, world, GOOD)

    assert (result.deals, result.already_imported) == (0, 3)
    assert deals_count(session) == 3


def test_a_file_without_an_id_column_is_recognised_by_its_rows(session, world):
    columns = {"title": "title", "owner": "owner", "stage": "stage", "created_at": "created", "closed_at": "closed"}
    run(session, world, GOOD, columns=columns)
    _, again = run(session, world, GOOD, columns=columns)

    assert (again.deals, again.already_imported, deals_count(session)) == (0, 3, 3)


@pytest.mark.parametrize(
    ("text", "row", "column", "message"),
    [
        (HEADER + "B-1,T,anna,Qualification,a lot,2026-03-01,,\n", 2, "amount", "'a lot' is not an amount"),
        (HEADER + "B-1,T,anna,Qualification,-5,2026-03-01,,\n", 2, "amount", "must be an amount from 0"),
        (HEADER + "B-1,T,anna,Qualification,5,yesterday,,\n", 2, "created", "'yesterday' is not a date"),
        (HEADER + "B-1,T,anna,Won,5,2026-03-01,,\n", 2, "closed", "needs its closed date"),
        (HEADER + "B-1,T,anna,Won,5,2026-03-05,2026-03-01,\n", 2, "closed", "closed before it was created"),
        (HEADER + "B-1,T,,Qualification,5,2026-03-01,,\n", 2, "owner", "no owner"),
        (HEADER + "B-1,T,anna,Negotiation,5,2026-03-01,,\n", 2, "stage", "'Negotiation' is not mapped"),
        (
            HEADER + "B-1,a,anna,Won,1,2026-03-01,2026-03-02,\nB-1,b,anna,Won,1,2026-03-01,2026-03-02,\n",
            3,
            "id",
            "the same id 'B-1' is on row 5",
        ),
        (
            HEADER + 'B-1,"=HYPERLINK(""http://evil"")",anna,Won,1,2026-03-01,2026-03-02,\n',
            2,
            "title",
            "looks like a spreadsheet formula",
        ),
    ],
    ids=["amount", "negative", "date", "no-close", "closed-first", "owner", "stage", "duplicate-id", "formula"],
)
def test_bad_rows_are_listed_by_row_and_reason_and_nothing_is_written(session, world, text, row, column, message):
    before = deals_count(session)
    prepared = foreign.prepare(session, world.admin, table(GOOD + text[len(HEADER) :]), mapping())

    problems = [p for p in prepared.errors if p.row == row + 3 and p.column == column]
    assert problems and message in problems[0].message, prepared.problem_table()
    with pytest.raises(ValidationError) as error:
        foreign.apply(session, world.admin, prepared, mapping())
    assert "nothing was imported" in error.value.errors["file"]
    assert deals_count(session) == before


def test_unknown_owners_and_companies_can_be_refused(session, world):
    prepared = foreign.prepare(
        session, world.admin, table(GOOD), mapping(unknown_owners="reject", unknown_companies="reject")
    )

    assert {(p.row, p.column) for p in prepared.errors} == {(3, "company"), (4, "owner")}
    assert "no user named 'Новый Менеджер'" in prepared.errors[-1].message


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1251"])
def test_russian_files_in_both_encodings_and_with_semicolons(session, world, encoding):
    text = (
        "Ид;Название;Ответственный;Этап;Сумма;Дата создания;Дата закрытия;Компания\n"
        "R-1;Поставка серверов;anna;Квалификация;1 500,00;01.03.2026;;ООО Ромашка\n"
    )
    frame = table(text, encoding=encoding)
    guessed = foreign.guess_columns(list(frame.columns))

    assert guessed == {
        "external_id": "Ид",
        "title": "Название",
        "owner": "Ответственный",
        "stage": "Этап",
        "amount": "Сумма",
        "created_at": "Дата создания",
        "closed_at": "Дата закрытия",
        "company": "Компания",
    }
    prepared = foreign.prepare(
        session,
        world.admin,
        frame,
        Mapping(columns=guessed, pipeline="B2B classic", stages={"Квалификация": "Qualification"}),
    )
    assert not prepared.problems
    assert prepared.deals[0]["amount"] == Decimal(1500) and prepared.deals[0]["company"] == "ООО Ромашка"


def test_an_excel_export_reads_like_a_csv(session, world):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "title", "owner", "stage", "amount", "created", "closed", "company"])
    sheet.append(["X-1", "From Excel", "anna", "Won", 1234.5, datetime(2026, 3, 1), datetime(2026, 3, 9), None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    frame = files.read_table(buffer.getvalue(), "export.xlsx")
    prepared = foreign.prepare(session, world.admin, frame, mapping())

    assert not prepared.problems
    assert (prepared.deals[0]["amount"], prepared.deals[0]["closed_at"]) == (
        Decimal("1234.50"),
        datetime(2026, 3, 9, tzinfo=UTC),
    )


def test_a_missing_column_or_mapping_is_named(session, world):
    with pytest.raises(ValidationError) as error:
        foreign.prepare(session, world.admin, table("id;owner;stage\n1;anna;Won\n"), mapping())
    assert "the file has no column amount, closed, company, created, title" in error.value.errors["columns"]

    with pytest.raises(ValidationError) as error:
        foreign.prepare(session, world.admin, table(GOOD), mapping(columns={"title": "title"}))
    assert error.value.errors["mapping"] == "map a column to owner, stage"

    with pytest.raises(ValidationError) as error:  # a delimiter no one expects: one column named by the whole line
        foreign.prepare(session, world.admin, table(GOOD.replace(",", ":")), mapping())
    assert "it has id:title:owner:stage" in error.value.errors["columns"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "deals.csv", "the file is empty"),
        (b"\n\n", "deals.csv", "the file is empty"),
        (b"id,title\n" + b"1,x\n" * (50 * 1024 * 1024 // 4), "deals.csv", "the file is 50.0 MB; the limit is 25 MB"),
        (b"not a workbook", "deals.xlsx", "not a readable Excel workbook"),
        (bytes([0x81, 0x98, 0xFF, 0xFE]) * 10, "deals.csv", "neither UTF-8 nor Windows-1251"),
        (b"id,id\n1,2\n", "deals.csv", "columns named twice: id"),
    ],
    ids=["empty", "blank-lines", "too-big", "not-excel", "encoding", "duplicate-columns"],
)
def test_unreadable_files_are_refused_with_a_reason(data, name, message):
    with pytest.raises(ValidationError) as error:
        files.read_table(data, name)
    assert message in error.value.errors["file"]


def test_only_admins_import(session, world):
    with pytest.raises(PermissionDenied):
        foreign.prepare(session, world.executive, table(GOOD), mapping())


def test_a_new_pipeline_is_made_from_the_stage_values(session, world):
    new = {"name": "Old CRM", "open": ["Qualification"], "won": "Won", "lost": ["Lost"]}
    prepared, result = run(session, world, GOOD, pipeline=None, new_pipeline=new, stages={})

    assert result.deals == 3
    assert session.scalar(select(func.count()).select_from(Deal).where(Deal.pipeline_id == result.pipeline_id)) == 3


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"columns": {"owner": "o", "stage": "s"}}, "pipeline"),
        ({"pipeline": "P", "columns": {}}, "columns"),
        ({"pipeline": "P", "columns": {"owner": "o", "price": "p"}}, "columns"),
        ({"pipeline": "P", "columns": {"owner": "o"}, "unknown_owners": "maybe"}, "unknown_owners"),
        ({"pipeline": "P", "columns": {"owner": "o"}, "default_created_at": "soon"}, "default_created_at"),
        ({"new_pipeline": {"name": "N"}, "columns": {"owner": "o"}}, "new_pipeline"),
    ],
)
def test_a_bad_mapping_file_is_explained(raw, field):
    with pytest.raises(ValidationError) as error:
        Mapping.from_dict(raw)
    assert field in error.value.errors


def test_downloaded_tables_neutralise_formula_cells_but_not_numbers():
    frame = pd.DataFrame(
        {"name": ["=cmd|' /C calc'!A0", "+1 555", "-x", "@SUM(A1)", "plain"], "amount": [-5, 1, 2, 3, 4]}
    )

    csv_rows = files.csv_bytes(frame).decode().splitlines()
    sheet = openpyxl.load_workbook(io.BytesIO(files.excel_bytes([("t", frame)]))).active

    assert csv_rows[1:3] == ["'=cmd|' /C calc'!A0,-5", "'+1 555,1"]
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [
        "'=cmd|' /C calc'!A0",
        "'+1 555",
        "'-x",
        "'@SUM(A1)",
        "plain",
    ]
    assert sheet["B2"].value == -5

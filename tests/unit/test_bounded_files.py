"""Files measured before they are parsed: zip bombs, oversized tables, NUL bytes, mixed encodings."""

import io
import json
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from core.errors import ValidationError
from core.exchange import files, foreign
from db.models import Deal
from tests.unit.test_foreign_import import mapping

ROOT = Path(__file__).resolve().parents[2]
SHEET = "xl/worksheets/sheet1.xml"
SHEET_START = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_END = b"</sheetData></worksheet>"
MB = 1024 * 1024
Chunks = Callable[[], Iterator[bytes]]


def workbook(sheets: dict[str, Chunks], sheet_count: int = 1) -> bytes:
    """A workbook openpyxl writes, with the XML of some of its sheets replaced, written a chunk at a time."""
    book = openpyxl.Workbook()
    book.active.append(["id"])
    for index in range(1, sheet_count):
        book.create_sheet(f"Sheet{index + 1}").append(["id"])
    written = io.BytesIO()
    book.save(written)
    out = io.BytesIO()
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            if part.filename not in sheets:
                target.writestr(part, source.read(part))
                continue
            with target.open(part.filename, "w") as stream:
                for chunk in sheets[part.filename]():
                    stream.write(chunk)
    return out.getvalue()


def repeated(cell: bytes, total_bytes: int) -> Chunks:
    """A sheet of one cell repeated to `total_bytes`: what deflate packs hundreds of times over."""

    def chunks() -> Iterator[bytes]:
        yield SHEET_START + b'<row r="1">'
        block = cell * (MB // len(cell))
        for _ in range(total_bytes // len(block)):
            yield block
        yield b"</row>" + SHEET_END

    return chunks


def sheet_of(xml: bytes) -> Chunks:
    return lambda: iter([SHEET_START + xml + SHEET_END])


def declaring(data: bytes, name: str, size: int) -> bytes:
    """The archive with part `name` declaring `size` unpacked bytes (a lie), in its local header and in
    the central directory, which is what a reader believes."""
    patched = bytearray(data)
    local = zipfile.ZipFile(io.BytesIO(data)).getinfo(name).header_offset
    patched[local + 22 : local + 26] = struct.pack("<I", size)
    central = data.find(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name.encode():
        central = data.find(b"PK\x01\x02", central + 4)
    patched[central + 24 : central + 28] = struct.pack("<I", size)
    return bytes(patched)


def refusal(data: bytes, name: str) -> str:
    with pytest.raises(ValidationError) as refused:
        files.read_table(data, name)
    return refused.value.errors["file"]


MEASURED = r"""
import json, sys, time
import openpyxl, pandas  # what the old path imports on its way: not counted as growth
from core.errors import ValidationError
from core.exchange import files

def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(field + ":"))

data = open(sys.argv[1], "rb").read()
try:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the peak (VmHWM) back to what is resident now
except OSError:
    pass
before, start = status("VmRSS"), time.perf_counter()
try:
    files.read_table(data, sys.argv[2])
    refused = None
except ValidationError as error:
    refused = str(error.errors["file"])
print(json.dumps({"seconds": time.perf_counter() - start, "growth_mb": (status("VmHWM") - before) / 2**20,
                  "refused": refused}))
"""


def measured(path: Path) -> dict:
    """Reading the file in a process of its own, so that its peak memory is the read's alone."""
    finished = subprocess.run(
        [sys.executable, "-c", MEASURED, str(path), path.name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )
    return json.loads(finished.stdout)


@pytest.mark.parametrize(
    ("bomb", "sentence"),
    [
        (
            lambda: workbook({SHEET: repeated(b'<c r="A1"><v>1</v></c>', 300 * MB)}),
            "the workbook unpacks to 300 MB; the limit is 200 MB unpacked",
        ),
        (
            lambda: declaring(workbook({SHEET: repeated(b'<c r="A1"><v>1</v></c>', 60 * MB)}), SHEET, 4_000),
            f"{SHEET} in the workbook unpacks to more than the 4,000 bytes it declares",
        ),
    ],
    ids=["300-MB-of-xml", "declared-size-lie"],
)
def test_a_zip_bomb_is_refused_quickly_without_being_unpacked(bomb, sentence, tmp_path):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb())
    assert path.stat().st_size < 3 * MB

    read = measured(path)

    assert read["refused"] is not None and sentence in read["refused"]
    assert read["seconds"] < 3
    assert read["growth_mb"] < 200


def test_a_part_packed_like_a_bomb_is_refused_within_the_unpacked_limit():
    bomb = workbook({SHEET: repeated(b'<c r="A1"><v>1</v></c>', 20 * MB)})

    refused = refusal(bomb, "bomb.xlsx")
    assert refused.startswith(f"{SHEET} in the workbook unpacks to ")
    assert refused.endswith(" times its packed size; the limit is 100 times, far above what a real spreadsheet reaches")


def test_a_sheet_declaring_a_document_type_is_refused():
    entities = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    cell = b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row>'

    def sheet() -> Iterator[bytes]:
        yield entities + SHEET_START + cell + SHEET_END

    assert "declares a document type (<!DOCTYPE>)" in refusal(workbook({SHEET: sheet}), "entities.xlsx")


COLUMNS_REFUSED = "the table has more than 200 columns, which is the limit; remove the columns not imported"
CELLS_REFUSED = (
    "the table has more than 2,000,000 cells (rows × columns), which is the limit; split it into smaller files"
)


@pytest.mark.parametrize(
    ("xml", "sentence"),
    [
        (b'<row r="1"><c r="A1"><v>1</v></c><c r="GS1"><v>1</v></c></row>', COLUMNS_REFUSED),  # GS: column 201
        (b'<row r="1"><c r="$GS$1"><v>1</v></c></row>', COLUMNS_REFUSED),
        (b"<row>" + b"<c><v>1</v></c>" * 201 + b"</row>", COLUMNS_REFUSED),  # cells placed one after another
        (b'<row r="1"><c r="A1"/><c r="XFD1" s="1"/></row>', COLUMNS_REFUSED),  # openpyxl makes the row that wide
        # 200 columns × 10,001 rows in two cells: openpyxl yields a row for every number up to the last.
        (b'<row r="1"><c r="GR1"><v>1</v></c></row><row r="10001"><c r="A10001"><v>1</v></c></row>', CELLS_REFUSED),
        (b'<row r="3000000"><c r="A1"><v>1</v></c></row>', CELLS_REFUSED),  # the row's number counts, not the cell's
        (b'<row r="3e6"><c r="A1"><v>1</v></c></row>', CELLS_REFUSED),  # as openpyxl reads it: float, if whole
    ],
    ids=["wide", "dollar-reference", "no-references", "formatted-far-right", "long", "far-row", "float-row"],
)
def test_the_first_sheet_is_measured_before_it_is_parsed(xml, sentence):
    assert refusal(workbook({SHEET: sheet_of(xml)}), "sheet.xlsx") == sentence


def test_a_sheet_within_the_limits_is_read_and_only_the_first_sheet_is_measured():
    fits = b'<row r="1"><c r="GR1"><v>1</v></c></row><row r="10000"><c r="A10000"><v>1</v></c></row>'
    wide = b'<row r="1"><c r="A1"><v>1</v></c><c r="GS1"><v>1</v></c></row>'

    assert files.read_table(workbook({SHEET: sheet_of(fits)}), "fits.xlsx").shape == (9_999, 200)
    assert refusal(workbook({SHEET: sheet_of(wide)}, sheet_count=2), "first wide.xlsx") == COLUMNS_REFUSED
    second = workbook({"xl/worksheets/sheet2.xml": sheet_of(wide)}, sheet_count=2)
    assert list(files.read_table(second, "second wide.xlsx").columns) == ["id"]


def test_a_csv_beyond_the_column_or_cell_limit_is_refused_before_it_is_parsed():
    wide = (",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" * 10_000) + "\n").encode()
    header = ",".join(f"c{i}" for i in range(200)) + "\n"
    long = (header + ("1," * 199 + "1\n") * 10_000).encode()  # 10,001 rows × 200 columns

    assert refusal(wide, "wide.csv") == COLUMNS_REFUSED
    assert refusal(long, "long.csv") == CELLS_REFUSED
    # 10,000 rows × 200 columns on 20,000 lines: a cell spread over two lines is in one row.
    fits = (header + ('"two\nlines",' + "1," * 198 + "1\n") * 9_999).encode()
    assert files.read_table(fits, "fits.csv").shape == (9_999, 200)


HEADER = "id,title,owner,stage,amount,created,closed,company\n"


def deals_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Deal))


def test_a_nul_byte_is_its_rows_problem_and_nothing_is_written(session, world):
    data = (
        HEADER
        + "N-1,Clean,anna,Qualification,100,2026-03-01,,\n"
        + "N-2,Bro\x00ken,anna,Qualification,100,2026-03-01,,\n"
        + "N-\x003,Id with a NUL,boris,Won,5,2026-03-01,2026-03-02,\n"
    ).encode()
    before = deals_count(session)

    prepared = foreign.prepare(session, world.admin, files.read_table(data, "nul.csv"), mapping())

    assert [(p.row, p.column, p.message.code) for p in prepared.errors] == [
        (3, "title", "problem.nul"),
        (4, "id", "problem.nul"),
    ]
    assert prepared.errors[0].message == "contains a NUL character (code 0), which cannot be stored; remove it"
    with pytest.raises(ValidationError) as refused:
        foreign.apply(session, world.admin, prepared, mapping())
    assert refused.value.errors["file"] == "2 rows have problems; nothing was imported"
    assert deals_count(session) == before


def test_a_nul_byte_in_the_teams_file_is_refused_with_its_row():
    teams = files.read_table(b"agent,office\nanna,North\nboris,So\x00uth\n", "teams.csv")

    with pytest.raises(ValidationError) as refused:
        foreign.owner_teams(teams, "agent", "office")
    assert refused.value.errors["teams_file"] == (
        "row 3: contains a NUL character (code 0), which cannot be stored; remove it"
    )


def test_mixed_encodings_are_read_line_by_line_with_a_note_naming_the_rows(session, world):
    utf8 = HEADER + "M-1,Ромашка,Новый Менеджер,Qualification,1,2026-03-01,,\n"
    cp1251 = "M-2,Лютик,Новый Менеджер,Qualification,2,2026-03-01,,\n"
    more_utf8 = "M-3,Василёк,Новый Менеджер,Qualification,3,2026-03-01,,\n"
    more_cp1251 = "M-4,Лютик,Новый Менеджер,Qualification,4,2026-03-01,,\n"
    data = utf8.encode() + cp1251.encode("cp1251") + more_utf8.encode() + more_cp1251.encode("cp1251")

    table = files.read(data, "mixed.csv")

    assert list(table.frame["title"]) == ["Ромашка", "Лютик", "Василёк", "Лютик"]
    assert set(table.frame["owner"]) == {"Новый Менеджер"}
    assert table.notes == (
        "the file mixes text encodings: rows 3, 5 were read as Windows-1251, the rest as UTF-8; "
        "check those rows, or save the whole file as UTF-8",
    )
    # A file in one encoding throughout has nothing to check.
    assert files.read((utf8 + more_utf8).encode("cp1251"), "cp1251.csv").notes == ()
    prepared = foreign.prepare(session, world.admin, table.frame, mapping(), today=date(2026, 11, 23))
    assert not prepared.errors


def test_a_row_in_neither_encoding_is_its_rows_problem(session, world):
    data = (
        (HEADER + "U-1,Ромашка,anna,Qualification,1,2026-03-01,,\n").encode()
        + b"U-2,Bad \x98 byte,anna,Qualification,1,2026-03-01,,\n"  # 0x98: no letter in Windows-1251 either
    )

    prepared = foreign.prepare(session, world.admin, files.read_table(data, "broken.csv"), mapping())

    assert [(p.row, p.column, p.message.code) for p in prepared.errors] == [(3, "title", "problem.undecodable")]

"""Reading tables people send (CSV in any common encoding and delimiter, or Excel) and writing
tables that spreadsheets open safely.

A file is measured before it is parsed. An .xlsx is a zip archive whose parts may unpack to a thousand
times their size, so the sizes its parts declare, how tightly they are packed and what they really
unpack to (a chunk at a time, never all at once), and the extent of its first sheet, are checked before
openpyxl reads it; a CSV's rows and columns are counted before pandas builds its table."""

import codecs
import csv
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

import pandas as pd

from core.errors import ValidationError
from core.messages import Message

MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # what the parts of a workbook may unpack to, together
MAX_COLUMNS = 200
MAX_CELLS = 2_000_000  # rows × columns of the table, the header row included; for a sheet, its cells too
# A part's unpacked size over its packed size. Real sheets pack 5-20 times (Excel's, openpyxl's, even
# rows of one repeated value); deflate reaches about 1,000 on repeated text, which is what a zip bomb is.
MAX_PACKING_RATIO = 100
PACKING_CHECKED_FROM_BYTES = 1024 * 1024  # a smaller part cannot hurt, however tightly packed
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UTF8, CP1251 = "UTF-8", "Windows-1251"  # the encodings a CSV is read in, as people name them
UNREADABLE = "\ufffd"  # stands in a CSV's text for bytes that are neither UTF-8 nor Windows-1251
DELIMITERS = ",;\t|"
# A character UTF-8 decodes beyond ASCII (not one of the surrogates surrogateescape leaves for a bad byte).
_UTF8_BEYOND_ASCII = re.compile("[\x80-\ud7ff\ue000-\U0010ffff]")
ROWS_NAMED = 10  # the rows a note names before it only counts the rest
_CHUNK_BYTES = 1024 * 1024
_WORKBOOK_PART_MAX_BYTES = 10 * 1024 * 1024  # the workbook's list of sheets, its content types and links
# The workbook part's content types, in the order openpyxl looks for them (openpyxl.reader.excel).
_WORKBOOK_TYPES = (
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
)
# In a sheet's XML, with or without a namespace prefix: a cell; a row with its attributes; a row or a
# cell with its attributes; a reference (r="B7", r='7', r="$B$7", even r="1e6" for a row, as openpyxl
# reads them); a cell as Excel and openpyxl write one, with the column of its reference first.
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row(?=[\s/>])([^>]*)>")
_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_REFERENCE = re.compile(rb"""\sr\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_COORDINATE = re.compile(rb"\$?([A-Za-z]{1,3})\$?\d+")
_COLUMN = re.compile(rb'<c r="\$?([A-Za-z]{1,3})')
_TAG_KEPT_BYTES = 64 * 1024  # of an unfinished tag at a chunk's end; a longer tag is not a cell's


@dataclass(frozen=True)
class Table:
    """A file's table, and what reading it had to guess that the person should check (`notes`)."""

    frame: pd.DataFrame
    notes: tuple[Message, ...] = ()


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def neutralised(value: object) -> object:
    """A text a spreadsheet would run as a formula, made inert by a leading apostrophe."""
    return f"'{value}" if isinstance(value, str) and looks_like_formula(value) else value


def restored(value: str) -> str:
    """The text `neutralised` was given (the native import reads back what the export wrote)."""
    return value[1:] if value.startswith("'") and looks_like_formula(value[1:]) else value


def neutralised_frame(frame: pd.DataFrame) -> pd.DataFrame:
    safe = frame.copy()
    for name in safe.columns:
        if safe[name].dtype == object or pd.api.types.is_string_dtype(safe[name]):
            safe[name] = [neutralised(value) for value in safe[name]]
    return safe


def read(data: bytes, filename: str) -> Table:
    """The first sheet of an .xlsx, or a CSV (UTF-8 with or without BOM, UTF-16 with its BOM, or cp1251;
    comma, semicolon, tab or bar), as text cells ("" where empty; Excel dates and numbers kept as they
    are), named by the first row; with a note where the lines of a CSV mix encodings. Refuses an empty
    file, one over MAX_FILE_BYTES, a workbook unpacking beyond MAX_UNPACKED_BYTES or packed like a zip
    bomb, a table beyond MAX_COLUMNS or MAX_CELLS (measured before it is parsed), and a header naming no
    or the same column."""
    if not data:
        raise ValidationError({"file": Message("file.empty")})
    if len(data) > MAX_FILE_BYTES:
        size_mb, limit_mb = len(data) / 1024 / 1024, MAX_FILE_BYTES // 1024 // 1024
        raise ValidationError({"file": Message("file.too_big", size_mb=size_mb, limit_mb=limit_mb)})
    if filename.lower().endswith((".xlsx", ".xlsm")):
        frame, notes = _read_excel(data), ()
    else:
        frame, notes = _read_csv(data)
    if frame.empty:
        raise ValidationError({"file": Message("file.empty")})
    _check_extent(*frame.shape)  # what was measured before, as parsed
    header = ["" if _blank_cell(name) else str(name).strip() for name in frame.iloc[0]]
    if not any(header):
        raise ValidationError({"file": Message("file.no_header")})
    duplicates = sorted({name for name in header if name and header.count(name) > 1})
    if duplicates:
        raise ValidationError({"file": Message("file.columns_twice", columns=", ".join(duplicates))})
    frame = frame.iloc[1:].reset_index(drop=True)
    frame.columns = [name or f"column {index + 1}" for index, name in enumerate(header)]
    return Table(frame, notes)


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """`read`'s table, without its notes."""
    return read(data, filename).frame


def _blank_cell(value: object) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == ""


def _check_extent(rows: int, columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise ValidationError({"file": Message("file.too_many_columns", limit=MAX_COLUMNS)})
    if rows * columns > MAX_CELLS:
        raise ValidationError({"file": Message("file.too_many_cells", limit=MAX_CELLS)})


def _rows_named(rows: list[int]) -> str | Message:
    shown = ", ".join(map(str, rows[:ROWS_NAMED]))
    return shown if len(rows) <= ROWS_NAMED else Message("problem.more_rows", rows=shown, count=len(rows))


def _read_excel(data: bytes) -> pd.DataFrame:
    _check_workbook(data)
    try:
        frame = pd.read_excel(io.BytesIO(data), dtype=object, engine="openpyxl", header=None)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as error:
        raise _not_excel(str(error)) from error
    return frame.map(lambda value: "" if _blank_cell(value) else value)


def _not_excel(error: str) -> ValidationError:
    return ValidationError({"file": Message("file.not_excel", error=error)})


def _check_workbook(data: bytes) -> None:
    """Refuses a workbook that would unpack or parse beyond the limits, before anything is parsed: by the
    sizes its parts declare and how tightly they are packed, then by what they really unpack to, a chunk
    at a time: no part beyond its declared size, no document type declaration (the way in for entity
    expansion), and a first sheet within MAX_COLUMNS and MAX_CELLS."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as error:
        raise _not_excel(str(error)) from error
    with archive:
        parts = archive.infolist()
        declared = sum(part.file_size for part in parts)
        if declared > MAX_UNPACKED_BYTES:
            size_mb, limit_mb = declared / 1024 / 1024, MAX_UNPACKED_BYTES // 1024 // 1024
            raise ValidationError({"file": Message("file.unpacked_too_big", size_mb=size_mb, limit_mb=limit_mb)})
        for part in parts:
            ratio = part.file_size / max(part.compress_size, 1)
            if part.file_size > PACKING_CHECKED_FROM_BYTES and ratio > MAX_PACKING_RATIO:
                problem = Message("file.packed_too_tightly", part=part.filename, ratio=ratio, limit=MAX_PACKING_RATIO)
                raise ValidationError({"file": problem})
        first = _first_worksheet(data, archive)
        for part in parts:
            # Where the first sheet cannot be found (openpyxl will not read it either), every sheet is measured.
            sheet = part.filename == first if first else "worksheets/" in part.filename
            if part.filename.endswith((".xml", ".rels")) or sheet:
                scan = _PartScan(part.filename, sheet)
                for chunk in _unpacked(data, part):
                    scan.feed(chunk)
                scan.feed(b"", last=True)
            else:
                for _ in _unpacked(data, part):
                    pass


def _unpacked(data: bytes, part: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's bytes as they unpack, a chunk at a time; refused as soon as they outgrow the size the part
    declares (zipfile would cut them there and blame the checksum, openpyxl with it)."""
    if part.flag_bits & 0x1:
        raise _not_excel(f"{part.filename} is encrypted")
    if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _not_excel(f"{part.filename} is packed with method {part.compress_type}")
    header = data[part.header_offset : part.header_offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _not_excel(f"{part.filename} has no local header")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = part.header_offset + 30 + name_length + extra_length
    packed = memoryview(data)[start : start + part.compress_size]
    if part.compress_type == zipfile.ZIP_DEFLATED:
        chunks = _inflated(part.filename, packed)
    else:
        chunks = (bytes(packed[offset : offset + _CHUNK_BYTES]) for offset in range(0, len(packed), _CHUNK_BYTES))
    unpacked = 0
    for chunk in chunks:
        unpacked += len(chunk)
        if unpacked > part.file_size:
            raise ValidationError({"file": Message("file.size_lie", part=part.filename, declared=part.file_size)})
        yield chunk


def _inflated(name: str, packed: memoryview) -> Iterator[bytes]:
    """Deflated bytes unpacked, at most a chunk of output at a time whatever the input holds."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        for offset in range(0, len(packed), _CHUNK_BYTES):
            rest = packed[offset : offset + _CHUNK_BYTES]
            while rest and not inflater.eof:
                yield inflater.decompress(rest, _CHUNK_BYTES)
                rest = inflater.unconsumed_tail
        # What zlib held back where the output filled a chunk just as the input ran out.
        while not inflater.eof and (chunk := inflater.decompress(b"", _CHUNK_BYTES)):
            yield chunk
    except zlib.error as error:
        raise _not_excel(f"{name}: {error}") from error


def _xml_part(data: bytes, archive: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    """A small XML part of the workbook (its content types, its list of sheets, their links), parsed;
    None where it is missing, too big for one, declares a document type or does not parse."""
    try:
        part = archive.getinfo(name)
    except KeyError:
        return None
    if part.file_size > _WORKBOOK_PART_MAX_BYTES:
        return None
    text = b"".join(_unpacked(data, part))
    if b"<!DOCTYPE" in text:
        return None
    try:
        return ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _first_worksheet(data: bytes, archive: zipfile.ZipFile) -> str | None:
    """The part pandas reads: the first of the workbook's sheets that is a worksheet, found as openpyxl
    finds it (the workbook part by its content type, the sheets by its links; chart sheets skipped)."""
    types = _xml_part(data, archive, "[Content_Types].xml")
    if types is None:
        return None
    overrides = {o.get("ContentType"): o.get("PartName", "") for o in types if _local(o.tag) == "Override"}
    workbook = next((overrides[kind] for kind in _WORKBOOK_TYPES if kind in overrides), "/xl/workbook.xml")
    workbook = workbook.lstrip("/")
    sheets = _xml_part(data, archive, workbook)
    folder, name = posixpath.split(workbook)
    links = _xml_part(data, archive, posixpath.join(folder, "_rels", f"{name}.rels"))
    if sheets is None or links is None:
        return None
    targets = {}
    for link in links:
        target = link.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        targets[link.get("Id")] = (link.get("Type", ""), path)
    names = set(archive.namelist())
    for sheet in sheets.iter():
        if _local(sheet.tag) != "sheet":
            continue
        link_id = next((value for key, value in sheet.attrib.items() if _local(key) == "id"), None)
        kind, path = targets.get(link_id, ("", ""))
        if path in names and "chartsheet" not in kind:
            return path
    return None


class _PartScan:
    """Reads an XML part as it unpacks: refuses a document type declaration, and, in a sheet, counts its
    cells and finds its last row and column as openpyxl reads them (a row for every number up to the
    last one, as wide as its last cell: the lists pandas builds), refusing as soon as they pass
    MAX_COLUMNS or MAX_CELLS."""

    def __init__(self, name: str, sheet: bool):
        self.name, self.sheet = name, sheet
        self.cells = self.rows = self.columns = 0
        self._row = self._column = 0  # the last row and cell seen, for those that do not say where they are
        self._tail = b""

    def feed(self, chunk: bytes, last: bool = False) -> None:
        text = self._tail + chunk
        # A "<" cannot stand inside a tag, so every tag before the last "<" is whole.
        cut = len(text) if last else text.rfind(b"<")
        if cut < 0:
            self._tail = b""
            return
        head, self._tail = text[:cut], text[cut : cut + _TAG_KEPT_BYTES]
        if b"<!DOCTYPE" in head:
            raise ValidationError({"file": Message("file.doctype", part=self.name)})
        if self.sheet:
            self._measure(head)

    def _measure(self, xml: bytes) -> None:
        cells = len(_CELL.findall(xml))
        self.cells += cells
        if self.cells > MAX_CELLS:
            raise ValidationError({"file": Message("file.too_many_cells", limit=MAX_CELLS)})
        if xml.count(b'<c r="') < cells:
            self._walk(xml)
        else:  # every cell written as Excel and openpyxl write them: the rows are walked, not the cells
            for attributes in _ROW.findall(xml):
                self._row = _row_number(attributes, self._row)
                self.rows = max(self.rows, self._row)
            if columns := _COLUMN.findall(xml):
                self.columns = max(self.columns, *map(_column_number, set(columns)))
                self._column = _column_number(columns[-1])
        _check_extent(self.rows, self.columns)

    def _walk(self, xml: bytes) -> None:
        for element, attributes in _ROW_OR_CELL.findall(xml):
            if element == b"row":
                self._row, self._column = _row_number(attributes, self._row), 0
                self.rows = max(self.rows, self._row)
            else:
                self._column = _cell_column(attributes, self._column)
                self.columns = max(self.columns, self._column)


def _reference(attributes: bytes) -> bytes | None:
    found = _REFERENCE.search(attributes)
    return None if found is None else found.group(1) if found.group(1) is not None else found.group(2)


def _row_number(attributes: bytes, previous: int) -> int:
    """The row a <row> is as openpyxl reads it: its r, a whole number (written 7, or 7.0, or 7e0), or,
    without one, the row after the last; an r openpyxl refuses leaves the count as it was."""
    reference = _reference(attributes)
    if not reference:
        return previous + 1
    try:
        return int(reference)
    except ValueError:
        pass
    try:
        number = float(reference)
    except ValueError:
        return previous
    return int(number) if number.is_integer() else previous


def _cell_column(attributes: bytes, previous: int) -> int:
    """The column of a <c> as openpyxl reads it: its reference's, or, without one, the one after the last."""
    reference = _reference(attributes)
    if not reference:
        return previous + 1
    coordinate = _COORDINATE.fullmatch(reference)
    return _column_number(coordinate.group(1)) if coordinate else previous


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


def _read_csv(data: bytes) -> tuple[pd.DataFrame, tuple[Message, ...]]:
    text, odd_lines, odd, usual = _decoded(data)
    if not text.strip():
        raise ValidationError({"file": Message("file.empty")})
    sample = "\n".join(text.splitlines()[:20])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    odd_rows = _measured_csv(text, delimiter, odd_lines)
    notes = (Message("file.mixed_encodings", rows=_rows_named(odd_rows), odd=odd, usual=usual),) if odd_rows else ()
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, skip_blank_lines=True, header=None
        )
    except pd.errors.ParserError as error:
        raise ValidationError({"file": Message("file.not_csv", error=str(error))}) from error
    return frame, notes


def _measured_csv(text: str, delimiter: str, odd_lines: frozenset[int]) -> list[int]:
    """Refuses a table beyond MAX_COLUMNS or MAX_CELLS before pandas builds it (as wide as its first row:
    pandas refuses a longer one); the rows (numbered as a spreadsheet numbers them, the header row 1, as
    the import's problems are) holding any of `odd_lines`. Rows are counted one by one only where the
    lines, which a cell may spread over, would pass the limit, or where `odd_lines` are to be found."""
    try:
        records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        columns = len(next((record for record in records if record), []))
        _check_extent(1, columns)
        lines = text.count("\n") + text.count("\r") - text.count("\r\n") + 1
        if lines * columns <= MAX_CELLS and not odd_lines:
            return []
        records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = line = 0
        odd_rows = []
        for record in records:
            first, line = line + 1, records.line_num
            if not record:  # a blank line, which pandas skips too
                continue
            rows += 1
            _check_extent(rows, columns)
            if odd_lines and not odd_lines.isdisjoint(range(first, line + 1)):
                odd_rows.append(rows)
    except csv.Error as error:
        raise ValidationError({"file": Message("file.not_csv", error=str(error))}) from error
    return odd_rows


def _decoded(data: bytes) -> tuple[str, frozenset[int], str, str]:
    """The text; and where its lines mix UTF-8 and Windows-1251 (a file pasted together from two), each
    line read in its own, the lines (numbered from 1) in the rarer one, that one and the usual one. A line
    in neither keeps UNREADABLE for its bad bytes, for the import to refuse its row; a header in neither,
    or a file with no line in either but ASCII, is refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16"), frozenset(), "", ""
        except UnicodeDecodeError as error:
            raise ValidationError({"file": Message("file.encoding")}) from error
    try:
        return data.decode("utf-8-sig"), frozenset(), "", ""
    except UnicodeDecodeError:
        pass
    if not _UTF8_BEYOND_ASCII.search(data.decode("utf-8", errors="surrogateescape")):
        try:  # no line in UTF-8 but ASCII ones: the whole file in Windows-1251
            return data.decode("cp1251"), frozenset(), "", ""
        except UnicodeDecodeError:
            pass
    lines, in_utf8, in_cp1251, in_neither = [], set(), set(), set()
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        try:
            lines.append(line.decode("utf-8-sig"))
            if not line.isascii():
                in_utf8.add(number)
        except UnicodeDecodeError:
            try:
                lines.append(line.decode("cp1251"))
                in_cp1251.add(number)
            except UnicodeDecodeError:
                lines.append(line.decode("cp1251", errors="replace"))
                in_neither.add(number)
    if 1 in in_neither or not (in_utf8 or in_cp1251):
        raise ValidationError({"file": Message("file.encoding")})
    if len(in_utf8) < len(in_cp1251):
        return "".join(lines), frozenset(in_utf8), UTF8, CP1251
    return "".join(lines), frozenset(in_cp1251), CP1251, UTF8


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return neutralised_frame(frame).to_csv(index=False).encode("utf-8")


def excel_bytes(sheets: Iterable[tuple[str, pd.DataFrame]]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets:
            neutralised_frame(frame).to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()

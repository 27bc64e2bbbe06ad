"""Reading tables people send (CSV in any common encoding and delimiter, or Excel) and writing
tables that spreadsheets open safely."""

import csv
import io
import zipfile
from collections.abc import Iterable

import pandas as pd

from core.errors import ValidationError
from core.messages import Message

MAX_FILE_BYTES = 25 * 1024 * 1024
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ENCODINGS = ("utf-8-sig", "cp1251")  # UTF-8 with or without BOM, then the Windows Cyrillic code page
DELIMITERS = ",;\t|"


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


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """The first sheet of an .xlsx, or a CSV (UTF-8 with or without BOM, or cp1251; comma, semicolon,
    tab or bar), as text cells ("" where empty; Excel dates and numbers kept as they are), named by the
    first row. Refuses an empty file, one over MAX_FILE_BYTES, and a header naming no or the same column."""
    if not data:
        raise ValidationError({"file": Message("file.empty")})
    if len(data) > MAX_FILE_BYTES:
        size_mb, limit_mb = len(data) / 1024 / 1024, MAX_FILE_BYTES // 1024 // 1024
        raise ValidationError({"file": Message("file.too_big", size_mb=size_mb, limit_mb=limit_mb)})
    frame = _read_excel(data) if filename.lower().endswith((".xlsx", ".xlsm")) else _read_csv(data)
    if frame.empty:
        raise ValidationError({"file": Message("file.empty")})
    header = ["" if _blank_cell(name) else str(name).strip() for name in frame.iloc[0]]
    if not any(header):
        raise ValidationError({"file": Message("file.no_header")})
    duplicates = sorted({name for name in header if name and header.count(name) > 1})
    if duplicates:
        raise ValidationError({"file": Message("file.columns_twice", columns=", ".join(duplicates))})
    frame = frame.iloc[1:].reset_index(drop=True)
    frame.columns = [name or f"column {index + 1}" for index, name in enumerate(header)]
    return frame


def _blank_cell(value: object) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == ""


def _read_excel(data: bytes) -> pd.DataFrame:
    try:
        frame = pd.read_excel(io.BytesIO(data), dtype=object, engine="openpyxl", header=None)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as error:
        raise ValidationError({"file": Message("file.not_excel", error=str(error))}) from error
    return frame.map(lambda value: "" if _blank_cell(value) else value)


def _read_csv(data: bytes) -> pd.DataFrame:
    text = _decoded(data)
    if not text.strip():
        raise ValidationError({"file": Message("file.empty")})
    sample = "\n".join(text.splitlines()[:20])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    try:
        return pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, skip_blank_lines=True, header=None
        )
    except pd.errors.ParserError as error:
        raise ValidationError({"file": Message("file.not_csv", error=str(error))}) from error


def _decoded(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": Message("file.encoding")})


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return neutralised_frame(frame).to_csv(index=False).encode("utf-8")


def excel_bytes(sheets: Iterable[tuple[str, pd.DataFrame]]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets:
            neutralised_frame(frame).to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()

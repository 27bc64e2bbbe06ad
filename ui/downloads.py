"""Tables as files to download: CSV and Excel of exactly what a page shows, with text cells that a
spreadsheet would run as a formula (=, +, -, @ first) neutralised by a leading apostrophe."""

import io

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    safe = frame.copy()
    for name in safe.columns:
        if safe[name].dtype == object or pd.api.types.is_string_dtype(safe[name]):
            safe[name] = [f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in safe[name]]
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return neutralised(frame).to_csv(index=False).encode("utf-8")


def excel_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        neutralised(frame).to_excel(writer, sheet_name=sheet[:31], index=False)
    return buffer.getvalue()

"""The CSV and Excel buttons under a table: the table as shown, formula-looking cells made inert."""

import pandas as pd
import streamlit as st

from core.exchange import files
from ui.i18n import t

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_buttons(frame: pd.DataFrame, name: str, *, key: str, excel: pd.DataFrame | None = None, where=st) -> None:
    """CSV (key `key`) and Excel (key `key`_excel) of `frame`; `excel` replaces it in the workbook
    (e.g. with the headers translated). The files are made when a button is clicked, not on every
    run of a live page."""
    row = where.container(horizontal=True)  # each button as wide as its label, side by side, wrapping
    row.download_button(
        t("funnel.download"),
        lambda: files.csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=key,
        on_click="ignore",
    )
    row.download_button(
        t("plan.download_excel"),
        lambda: files.excel_bytes([(name, frame if excel is None else excel)]),
        file_name=f"{name}.xlsx",
        mime=XLSX,
        key=f"{key}_excel",
        on_click="ignore",
    )

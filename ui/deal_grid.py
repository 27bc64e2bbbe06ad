"""The deals grid (streamlit-aggrid, Community features only): one page of deals, three editable cells.

The grid sends back only what the user did — a cell edit or a row selection — never the whole table;
the page applies an edit through the same service as the form, then redraws the grid from the
database, so a rejected edit snaps back to the stored value.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
from st_aggrid import JsCode

from ui.grid import NUMBER_FORMAT, event_grid

EDITABLE_FIELDS = ("title", "amount", "expected_close_date")

# Runs in the browser on each grid event the grid reports; returns a small JSON-able object.
_GRID_EVENT = JsCode("""
function ({streamlitRerunEventTriggerName, eventData}) {
  if (streamlitRerunEventTriggerName === "cellValueChanged") {
    return {kind: "edit", deal_id: eventData.data.id, version: eventData.data.version,
            field: eventData.colDef.field, value: eventData.newValue, at: Date.now()};
  }
  const selected = eventData.api.getSelectedRows();
  return {kind: "select", deal_id: selected.length ? selected[0].id : null, at: Date.now()};
}
""")
_STAGE_STYLE = JsCode("""
function (params) {
  return {borderLeft: "6px solid " + params.data.stage_color};
}
""")
_ROW_ID = JsCode("function (params) { return String(params.data.id); }")


@dataclass(frozen=True)
class GridEvent:
    kind: str  # "edit" or "select"
    deal_id: int | None
    at: int
    version: int | None = None
    field: str | None = None
    value: object = None


def grid_frame(rows: pd.DataFrame, zone: ZoneInfo, flag_texts: dict[str, str]) -> pd.DataFrame:
    """The page of deals as the grid shows it: local times, dates as text, flags in words."""

    def local(moment: datetime | None) -> str:
        return "" if moment is None or pd.isna(moment) else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return pd.DataFrame(
        {
            "id": rows["id"],
            "version": rows["version"],
            "title": rows["title"],
            "company": rows["company"].fillna(""),
            "amount": rows["amount"],
            "stage": rows["stage"],
            "stage_color": rows["stage_color"],
            "days_in_stage": rows["days_in_stage"],
            "next_activity": [local(m) for m in rows["next_activity_at"]],
            "expected_close_date": [d.isoformat() if pd.notna(d) and d else "" for d in rows["expected_close_date"]],
            "owner": rows["owner"],
            "flags": [
                " · ".join(text for flag, text in flag_texts.items() if row[flag])
                for row in rows[list(flag_texts)].to_dict("records")
            ],
        }
    )


def deal_grid(frame: pd.DataFrame, headers: dict[str, str], *, key: str, height: int = 460) -> GridEvent | None:
    columns = [
        {"field": "title", "editable": True, "flex": 3, "minWidth": 180},
        {"field": "company", "flex": 2, "minWidth": 140},
        {
            "field": "amount",
            "editable": True,
            "type": "numericColumn",
            "cellEditor": "agNumberCellEditor",
            "valueFormatter": NUMBER_FORMAT,
            "minWidth": 110,
        },
        {"field": "stage", "cellStyle": _STAGE_STYLE, "minWidth": 140},
        {"field": "days_in_stage", "type": "numericColumn", "minWidth": 90},
        {"field": "next_activity", "minWidth": 140},
        {"field": "expected_close_date", "editable": True, "cellEditor": "agDateStringCellEditor", "minWidth": 130},
        {"field": "owner", "minWidth": 120},
        {"field": "flags", "minWidth": 120},
        {"field": "id", "hide": True},
        {"field": "version", "hide": True},
        {"field": "stage_color", "hide": True},
    ]
    for column in columns:
        column["headerName"] = headers.get(column["field"], column["field"])
    options = {
        "columnDefs": columns,
        "defaultColDef": {"sortable": False, "filter": False, "resizable": True},
        "rowSelection": {"mode": "singleRow", "checkboxes": True, "enableClickSelection": False},
        "getRowId": _ROW_ID,
        "stopEditingWhenCellsLoseFocus": True,
    }
    raw = event_grid(
        frame,
        options,
        key=key,
        height=height,
        update_on=["cellValueChanged", "selectionChanged"],
        collector=_GRID_EVENT,
    )
    if raw is None or raw.get("kind") not in ("edit", "select"):
        return None
    return GridEvent(
        kind=raw["kind"],
        deal_id=raw.get("deal_id"),
        at=int(raw.get("at") or 0),
        version=raw.get("version"),
        field=raw.get("field"),
        value=raw.get("value"),
    )

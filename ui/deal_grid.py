"""The deals grid (streamlit-aggrid, Community features only): one page of deals, three editable cells.

The grid sends back only what the user did — a cell edit or a row selection — never the whole table;
the page applies an edit through the deal service (`core.deals.edit_cell`, which saves as the form
does), then redraws the grid from the database, so a rejected edit snaps back to the stored value.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
from st_aggrid import JsCode

from ui import format
from ui.grid import NUMBER_FORMAT, event_grid

EDITABLE_FIELDS = ("title", "amount", "expected_close_date")

# Runs in the browser on each grid event the grid reports; returns a small JSON-able object.
_GRID_EVENT = JsCode("""
function ({streamlitRerunEventTriggerName, eventData}) {
  if (streamlitRerunEventTriggerName === "cellClicked") {
    return {kind: "next", deal_id: eventData.data.id, version: eventData.data.version, at: Date.now()};
  }
  if (streamlitRerunEventTriggerName === "cellValueChanged") {
    return {kind: "edit", deal_id: eventData.data.id, version: eventData.data.version,
            field: eventData.colDef.field, value: eventData.newValue, at: Date.now()};
  }
  const ticked = eventData.api.getSelectedRows().map((row) => ({id: row.id, version: row.version, title: row.title}));
  return {kind: "select", ticked: ticked, at: Date.now()};
}
""")
# What reaches the page: a click on a row's "next stage" cell (no other click), a cell typed over,
# and a selection the user changed (not the one the grid changes itself when its rows are replaced).
_REPORTED = JsCode("""
function ({streamlitRerunEventTriggerName, eventData}) {
  if (streamlitRerunEventTriggerName === "cellClicked") {
    return eventData.colDef.field === "next_stage" && Boolean(eventData.data.next_stage);
  }
  if (streamlitRerunEventTriggerName === "selectionChanged") {
    return !["rowDataChanged", "gridInitializing"].includes(eventData.source);
  }
  return true;
}
""")
_STAGE_STYLE = JsCode("""
function (params) {
  return {borderLeft: "6px solid " + params.data.stage_color};
}
""")
_AS_TYPED = JsCode("function (params) { return params.newValue; }")
_NEXT_STYLE = {"color": "#c4314b", "cursor": "pointer", "fontWeight": "600"}
_ROW_ID = JsCode("function (params) { return String(params.data.id); }")


@dataclass(frozen=True)
class GridEvent:
    kind: str  # "edit", "select" or "next" (the row's next-stage cell clicked)
    deal_id: int | None
    at: int
    ticked: tuple[dict, ...] = ()  # of a "select": each ticked row's id, version and title
    version: int | None = None
    field: str | None = None
    value: object = None


def grid_frame(
    rows: pd.DataFrame, zone: ZoneInfo, flag_texts: dict[str, str], next_stages: dict[int, str]
) -> pd.DataFrame:
    """The page of deals as the grid shows it: local times, dates as text, flags in words, and the
    label of each deal's move to its next stage (`next_stages`: by stage id; none for closed ones)."""

    def local(moment: datetime | None) -> str:
        return format.moment(moment, zone)

    return pd.DataFrame(
        {
            "id": rows["id"],
            "version": rows["version"],
            "title": rows["title"],
            "company": rows["company"].fillna(""),
            "amount": rows["amount"],
            "stage": rows["stage"],
            "stage_color": rows["stage_color"],
            "next_stage": [next_stages.get(stage_id, "") for stage_id in rows["stage_id"]],
            "days_in_stage": rows["days_in_stage"],
            "next_activity": [local(m) for m in rows["next_activity_at"]],
            "expected_close_date": [d.isoformat() if pd.notna(d) and d else None for d in rows["expected_close_date"]],
            "owner": rows["owner"],
            "flags": [
                " · ".join(text for flag, text in flag_texts.items() if row[flag])
                for row in rows[list(flag_texts)].to_dict("records")
            ],
        }
    )


def deal_grid(frame: pd.DataFrame, headers: dict[str, str], *, key: str, height: int = 460) -> GridEvent | None:
    # Each editable column's data type is given, not inferred from the first row's value: a first deal
    # without a close date made that column text, and AG Grid's date editor then threw ("Component
    # Error: getDateParserFunction is not a function") and took the grid down until a reload.
    columns = [
        {"field": "title", "editable": True, "cellDataType": "text", "flex": 3, "minWidth": 180},
        {"field": "company", "flex": 2, "minWidth": 140},
        {
            "field": "amount",
            "editable": True,
            # Typed as text and read by the service, as the form's amount is: "12,5", "2,500",
            # "12 500,50" (a number editor would drop the comma and store 125).
            "cellDataType": False,
            "type": "numericColumn",
            "cellEditor": "agTextCellEditor",
            "valueParser": _AS_TYPED,
            "valueFormatter": NUMBER_FORMAT,
            "minWidth": 110,
        },
        {"field": "stage", "cellStyle": _STAGE_STYLE, "minWidth": 140},
        {"field": "next_stage", "cellClass": "next-stage", "cellStyle": _NEXT_STYLE, "minWidth": 150},
        {"field": "days_in_stage", "type": "numericColumn", "minWidth": 90},
        {"field": "next_activity", "minWidth": 140},
        # Typed as text, not in the browser's date input, which read 15.03.2027 as another date and a
        # date it could not read as none; the service reads 2027-03-15 or 15.03.2027 and refuses the rest.
        {
            "field": "expected_close_date",
            "editable": True,
            "cellDataType": "text",
            "cellEditor": "agTextCellEditor",
            "minWidth": 130,
        },
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
        "rowSelection": {"mode": "multiRow", "checkboxes": True, "headerCheckbox": True, "enableClickSelection": False},
        "getRowId": _ROW_ID,
        "stopEditingWhenCellsLoseFocus": True,
    }
    raw = event_grid(
        frame,
        options,
        key=key,
        height=height,
        update_on=["cellValueChanged", "selectionChanged", "cellClicked"],
        collector=_GRID_EVENT,
        reported=_REPORTED,
    )
    if raw is None or raw.get("kind") not in ("edit", "select", "next"):
        return None
    return GridEvent(
        kind=raw["kind"],
        deal_id=raw.get("deal_id"),
        at=int(raw.get("at") or 0),
        version=raw.get("version"),
        field=raw.get("field"),
        value=raw.get("value"),
        ticked=tuple(raw.get("ticked") or ()),
    )

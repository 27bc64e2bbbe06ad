"""The plans grid: one target (won amount, won count, calls or meetings) of a quarter or a year, a row
per manager and per team, a column per month. Each edited cell goes through the plans service on its
own; the grid is then redrawn from the database, so a refused value snaps back."""

from dataclasses import dataclass
from datetime import date

import pandas as pd
from st_aggrid import JsCode

from ui.grid import NUMBER_FORMAT, event_grid

_CELL_EDIT = JsCode("""
function ({eventData}) {
  return {row: eventData.data.row_key, month: eventData.colDef.field, value: eventData.newValue, at: Date.now()};
}
""")
_ROW_ID = JsCode("function (params) { return params.data.row_key; }")


@dataclass(frozen=True)
class PlanEdit:
    user_id: int | None
    team_id: int | None
    month: date
    value: object
    at: int


def plans_frame(plans: pd.DataFrame, rows: list[tuple[str, str]], months: list[date], target: str) -> pd.DataFrame:
    """`rows` are (row key, label) pairs, "user:ID" or "team:ID"; a cell is the target of that month
    (empty where there is no plan), and a total."""
    values: dict[tuple[str, date], object] = {}
    for plan in plans.itertuples():
        key = f"user:{int(plan.user_id)}" if pd.notna(plan.user_id) else f"team:{int(plan.team_id)}"
        values[(key, plan.month)] = getattr(plan, target)
    frame = pd.DataFrame({"row_key": [key for key, _ in rows], "who": [label for _, label in rows]})
    for month in months:
        frame[month.isoformat()] = [_plain(values.get((key, month))) for key, _ in rows]
    frame["total"] = frame[[m.isoformat() for m in months]].apply(pd.to_numeric).sum(axis=1, min_count=1)
    return frame


def _plain(value: object) -> object:
    return None if value is None or pd.isna(value) else float(value)


def plan_grid(
    frame: pd.DataFrame, headers: dict[str, str], *, editable: bool, key: str, decimals: bool
) -> PlanEdit | None:
    months = [name for name in frame.columns if name not in ("row_key", "who", "total")]
    columns = [
        {"field": "who", "headerName": headers["who"], "pinned": "left", "minWidth": 170},
        *[
            {
                "field": month,
                "headerName": headers[month],
                "editable": editable,
                "type": "numericColumn",
                "cellEditor": "agNumberCellEditor",
                # No "min": a negative number reaches the service, which says what is wrong with it.
                "cellEditorParams": {"precision": 2 if decimals else 0},
                "valueFormatter": NUMBER_FORMAT,
                "minWidth": 100,
            }
            for month in months
        ],
        {"field": "total", "headerName": headers["total"], "type": "numericColumn", "valueFormatter": NUMBER_FORMAT},
        {"field": "row_key", "hide": True},
    ]
    options = {
        "columnDefs": columns,
        "defaultColDef": {"sortable": False, "filter": False, "resizable": True, "flex": 1},
        "getRowId": _ROW_ID,
        "stopEditingWhenCellsLoseFocus": True,
        "singleClickEdit": True,
    }
    raw = event_grid(
        frame,
        options,
        key=key,
        height=min(80 + 42 * len(frame), 520),
        update_on=["cellValueChanged"],
        collector=_CELL_EDIT,
    )
    if raw is None or not str(raw.get("row", "")).count(":") or raw.get("month") not in months:
        return None
    kind, number = str(raw["row"]).split(":")
    return PlanEdit(
        user_id=int(number) if kind == "user" else None,
        team_id=int(number) if kind == "team" else None,
        month=date.fromisoformat(raw["month"]),
        value=raw.get("value"),
        at=int(raw.get("at") or 0),
    )

"""An AgGrid (Community features only) that sends back only what the user did, as a small object
built in the browser by `collector`, never the whole table; and the handling every editable grid of
the app shares: each edit saved through its service on its own, then the grid redrawn from the
database, so a refused value snaps back and the reason shows above it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from st_aggrid import AgGrid, DataReturnMode, JsCode

from ui.actions import perform, toast

# A number as the browser's locale writes it; an empty cell stays empty, and anything else (a value
# on its way to the service, which refuses it) shows as it is: a formatter that throws takes the whole
# grid down ("Component Error") until the page is reloaded.
NUMBER_FORMAT = JsCode("""
function (params) {
  const value = params.value;
  if (typeof value === "number") return Number.isNaN(value) ? "" : value.toLocaleString();
  return value == null ? "" : String(value);
}
""")


def event_grid(
    frame: pd.DataFrame,
    options: dict,
    *,
    key: str,
    height: int,
    update_on: list[str],
    collector: JsCode,
    reported: JsCode | None = None,
) -> dict | None:
    """The grid; what `collector` built of the last event it reported (all those of `update_on`, or
    those `reported` returns true for)."""
    response = AgGrid(
        frame,
        gridOptions=options,
        height=height,
        key=key,
        update_on=update_on,
        data_return_mode=DataReturnMode.CUSTOM,
        custom_jscode_for_grid_return=collector,
        should_grid_return=reported,
        allow_unsafe_jscode=True,
        show_toolbar=False,
        theme="streamlit",
    )
    raw = getattr(response, "raw_data", None)
    return raw if isinstance(raw, dict) else None


@dataclass(frozen=True)
class EditedGrid:
    """One editable grid of a page, kept in session state under `name`: a new grid (a new key) after
    each save, the last event handled (the grid sends each again on later runs), and why the last
    edit was refused (shown after the redraw)."""

    name: str

    def key(self, *shown: object) -> str:
        """The grid's widget key: a new one after each save, and for each choice of what it shows."""
        nonce = st.session_state.setdefault(f"{self.name}_nonce", 0)
        return "_".join((self.name, *map(str, shown), str(nonce)))

    def refusal(self) -> str | None:
        """Why the last edit was refused, once."""
        return st.session_state.pop(f"{self.name}_message", None)

    def is_new(self, at: int) -> bool:
        """Whether the event stamped `at` (ms) is one not handled yet; from now on it is."""
        last = f"{self.name}_last_event"
        if at <= st.session_state.get(last, 0):
            return False
        st.session_state[last] = at
        return True

    def save(self, action: Callable[..., Any], *, success: str) -> None:
        """Save one edit through `action`, then redraw the grid from the database. An action that
        returns None found nothing to save (the value typed is the one stored), and says nothing."""
        outcome = perform(action, where=None)
        if not outcome.ok:
            st.session_state[f"{self.name}_message"] = outcome.message
        elif outcome.value is not None:
            toast(success)
        self.redraw()

    def renew(self) -> None:
        """A new grid, drawn from the database, from the next time `key` is asked for."""
        st.session_state[f"{self.name}_nonce"] = st.session_state.get(f"{self.name}_nonce", 0) + 1

    def redraw(self) -> None:
        self.renew()
        st.rerun()

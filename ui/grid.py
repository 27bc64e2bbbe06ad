"""An AgGrid (Community features only) that sends back only what the user did, as a small object
built in the browser by `collector`, never the whole table."""

import pandas as pd
from st_aggrid import AgGrid, DataReturnMode, JsCode


def event_grid(
    frame: pd.DataFrame, options: dict, *, key: str, height: int, update_on: list[str], collector: JsCode
) -> dict | None:
    response = AgGrid(
        frame,
        gridOptions=options,
        height=height,
        key=key,
        update_on=update_on,
        data_return_mode=DataReturnMode.CUSTOM,
        custom_jscode_for_grid_return=collector,
        allow_unsafe_jscode=True,
        show_toolbar=False,
        theme="streamlit",
    )
    raw = getattr(response, "raw_data", None)
    return raw if isinstance(raw, dict) else None

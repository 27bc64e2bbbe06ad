"""Altair presentation of the analytics DataFrames (the data comes from core.analytics)."""

import altair as alt
import pandas as pd


def current_pipeline_bars(frame: pd.DataFrame, *, stage_title: str, amount_title: str, deals_title: str) -> alt.Chart:
    """Horizontal bars of open amount per stage, in pipeline order, each in its stage's color."""
    order = frame.sort_values("position")["stage"].tolist()
    base = alt.Chart(frame).encode(y=alt.Y("stage:N", sort=order, title=stage_title, axis=alt.Axis(labelLimit=220)))
    bars = base.mark_bar().encode(
        x=alt.X("amount:Q", title=amount_title),
        color=alt.Color("color:N", scale=None),
        tooltip=[
            alt.Tooltip("stage:N", title=stage_title),
            alt.Tooltip("deals:Q", title=deals_title),
            alt.Tooltip("amount:Q", title=amount_title, format=",.0f"),
        ],
    )
    labels = base.mark_text(align="left", dx=4).encode(x="amount:Q", text=alt.Text("deals:Q"))
    return (bars + labels).properties(height=alt.Step(28))

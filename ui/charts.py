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


def funnel_chart(frame: pd.DataFrame, *, count_title: str, stage_title: str) -> alt.Chart:
    """A centred funnel: one bar per stage (then won) as wide as the deals that reached it, with the
    count and the conversion from the step before written beside it."""
    data = frame.assign(
        order=range(len(frame)),
        left=-frame["reached"] / 2,
        right=frame["reached"] / 2,
        label=[
            f"{int(count):,} · {amount:,.0f}" + ("" if index == 0 or previous == 0 else f"  ({count / previous:.0%})")
            for index, (count, amount, previous) in enumerate(
                zip(frame["reached"], frame["reached_amount"], [0, *frame["reached"][:-1]], strict=True)
            )
        ],
    )
    order = data["stage"].tolist()
    base = alt.Chart(data).encode(y=alt.Y("stage:N", sort=order, title=stage_title, axis=alt.Axis(labelLimit=220)))
    bars = base.mark_bar().encode(
        x=alt.X("left:Q", axis=None),
        x2="right:Q",
        color=alt.Color("kind:N", legend=None, scale=alt.Scale(domain=["open", "won"], range=["#4c78a8", "#2ca02c"])),
        tooltip=[
            alt.Tooltip("stage:N", title=stage_title),
            alt.Tooltip("reached:Q", title=count_title),
            alt.Tooltip("reached_amount:Q", format=",.0f"),
        ],
    )
    labels = base.mark_text(align="left", dx=6).encode(x="right:Q", text="label:N")
    return (bars + labels).properties(height=alt.Step(34))


def stage_bars(frame: pd.DataFrame, *, count_title: str, stage_title: str) -> alt.Chart:
    order = frame["stage"].tolist()
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("stage:N", sort=order, title=stage_title, axis=alt.Axis(labelAngle=-20, labelLimit=160)),
            y=alt.Y("reached:Q", title=count_title),
            color=alt.Color(
                "kind:N", legend=None, scale=alt.Scale(domain=["open", "won"], range=["#4c78a8", "#2ca02c"])
            ),
        )
    )


def monthly_trend_chart(frame: pd.DataFrame, *, created_title: str, win_rate_title: str) -> alt.LayerChart:
    base = alt.Chart(frame).encode(x=alt.X("yearmonth(month):T", title=None))
    created = base.mark_bar(opacity=0.6).encode(y=alt.Y("created:Q", title=created_title))
    win_rate = base.mark_line(point=True, color="#2ca02c").encode(
        y=alt.Y("funnel_win_rate:Q", title=win_rate_title, axis=alt.Axis(format="%"))
    )
    return alt.layer(created, win_rate).resolve_scale(y="independent")

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


def waterfall_chart(frame: pd.DataFrame, *, amount_title: str) -> alt.Chart:
    """The pipeline's waterfall, top to bottom (long labels, narrow screens): the start and the end as
    whole bars from zero, each change as a bar from the running total before it to the one after
    (green adds, red takes away); `frame` has bucket (its label), amount and key (the bucket's name,
    for a click)."""
    totals = frame["amount"].where(frame["key"].isin(["start", "end"]), frame["amount"].cumsum())
    low = [
        0.0 if key in ("start", "end") else total - amount
        for key, total, amount in zip(frame["key"], totals, frame["amount"], strict=True)
    ]
    data = frame.assign(
        order=range(len(frame)),
        low=low,
        high=[
            lo + amount if key not in ("start", "end") else amount
            for key, lo, amount in zip(frame["key"], low, frame["amount"], strict=True)
        ],
        shade=[
            "total" if key in ("start", "end") else "up" if amount >= 0 else "down"
            for key, amount in zip(frame["key"], frame["amount"], strict=True)
        ],
    )
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("bucket:N", sort=data["bucket"].tolist(), title=None, axis=alt.Axis(labelLimit=240)),
            x=alt.X("low:Q", title=amount_title),
            x2="high:Q",
            color=alt.Color(
                "shade:N",
                scale=alt.Scale(domain=["total", "up", "down"], range=["#6b7a90", "#3d9a50", "#d1495b"]),
                legend=None,
            ),
            tooltip=[alt.Tooltip("bucket:N", title=" "), alt.Tooltip("amount:Q", title=amount_title, format=",.0f")],
        )
        .add_params(alt.selection_point(name="bar", fields=["key"]))
    )
    return bars.properties(height=alt.Step(30))

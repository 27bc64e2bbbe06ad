"""Altair presentation of the analytics DataFrames (the data comes from core.analytics)."""

from datetime import date, timedelta

import altair as alt
import pandas as pd

from ui import format
from ui.i18n import language

# How Vega writes numbers and dates in Russian: a decimal comma, a space between thousands, the months'
# names (d3-format and d3-time-format locales, as Vega-Lite's config.locale takes them).
RUSSIAN = {
    "number": {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", "\u00a0₽"]},
    "time": {
        "dateTime": "%A, %e %B %Y г. %X",
        "date": "%d.%m.%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"],
        "shortDays": ["вс", "пн", "вт", "ср", "чт", "пт", "сб"],
        "months": [
            "январь",
            "февраль",
            "март",
            "апрель",
            "май",
            "июнь",
            "июль",
            "август",
            "сентябрь",
            "октябрь",
            "ноябрь",
            "декабрь",
        ],
        "shortMonths": ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"],
    },
}


def localised(chart):
    """The chart with its axes, tooltips and labels' numbers and dates in the chosen language."""
    return chart.configure(locale=RUSSIAN) if language() == "ru" else chart


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


def funnel_chart(frame: pd.DataFrame, *, count_title: str, stage_title: str, amount_title: str) -> alt.Chart:
    """A centred funnel: one bar per stage (then won) as wide as the deals that reached it, with the
    count and the conversion from the step before written beside it."""
    data = frame.assign(
        order=range(len(frame)),
        left=-frame["reached"] / 2,
        right=frame["reached"] / 2,
        label=[
            f"{format.count(count, language())} · {format.count(round(amount), language())}"
            + ("" if index == 0 or previous == 0 else f"  ({format.percent(count / previous)})")
            for index, (count, amount, previous) in enumerate(
                zip(frame["reached"], frame["reached_amount"], [0, *frame["reached"][:-1]], strict=True)
            )
        ],
    )
    order = data["stage"].tolist()
    base = alt.Chart(data).encode(y=alt.Y("stage:N", sort=order, title=stage_title, axis=alt.Axis(labelLimit=220)))
    bars = (
        base.mark_bar()
        .encode(
            x=alt.X("left:Q", axis=None),
            x2="right:Q",
            color=alt.Color(
                "kind:N", legend=None, scale=alt.Scale(domain=["open", "won"], range=["#4c78a8", "#2ca02c"])
            ),
            tooltip=[
                alt.Tooltip("stage:N", title=stage_title),
                alt.Tooltip("reached:Q", title=count_title),
                alt.Tooltip("reached_amount:Q", title=amount_title, format=",.0f"),
            ],
        )
        .add_params(_clicked_stage())
    )
    labels = base.mark_text(align="left", dx=6).encode(x="right:Q", text="label:N")
    return (bars + labels).properties(height=alt.Step(34))


def _clicked_stage():
    """The selection a click on a stage's bar makes (`stage`): its stage id, name and kind."""
    return alt.selection_point(name="stage", fields=["stage_id", "stage", "kind"])


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
            tooltip=[alt.Tooltip("stage:N", title=stage_title), alt.Tooltip("reached:Q", title=count_title)],
        )
        .add_params(_clicked_stage())
    )


def monthly_trend_chart(
    frame: pd.DataFrame, *, created_title: str, win_rate_title: str, first: date, last: date, today: date, so_far: str
) -> alt.LayerChart:
    """Bars of the deals created per month of the period [first, last], the funnel win rate's points at
    the middle of each month; a month the period does not cover whole, or not over yet, drawn lighter
    and labelled `so_far`."""
    partial = [_partial_month(month, first, last, today) for month in frame["month"]]
    data = frame.assign(partial=partial, note=[so_far if p else "" for p in partial])
    base = alt.Chart(data).encode(x=alt.X("yearmonth(month):T", title=None))
    created = base.mark_bar().encode(
        y=alt.Y("created:Q", title=created_title),
        opacity=alt.Opacity("partial:N", scale=alt.Scale(domain=[False, True], range=[0.6, 0.25]), legend=None),
    )
    notes = base.mark_text(dy=-6, baseline="bottom", color="#6b7a90").encode(y="created:Q", text="note:N")
    win_rate = base.mark_line(point=True, color="#2ca02c").encode(
        x=alt.X("yearmonth(month):T", title=None, bandPosition=0.5),  # the middle of its month's bar
        y=alt.Y("funnel_win_rate:Q", title=win_rate_title, axis=alt.Axis(format="%")),
    )
    return alt.layer(alt.layer(created, notes), win_rate).resolve_scale(y="independent")


def _partial_month(month: date, first: date, last: date, today: date) -> bool:
    """Whether the period leaves out some of the month's days, or the month is not over yet."""
    month_end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first > month or last < month_end or today <= month_end


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


def weekly_chart(
    weekly: pd.DataFrame, *, names: dict[str, str], week_title: str, period: tuple[date, date], today: date, so_far: str
) -> alt.LayerChart:
    """Calls and meetings per week (from Monday) of the period: lines, with a week the period does not
    cover whole, or not over yet, as a lighter point labelled `so_far`."""
    first, last = period
    partial = [
        first > week or last < week + timedelta(days=6) or today < week + timedelta(days=6) for week in weekly["week"]
    ]
    long = weekly.assign(partial=partial).melt(["week", "partial"], var_name="kind", value_name="count")
    long["kind"] = long["kind"].map(names)
    long["note"] = [so_far if p else "" for p in long["partial"]]
    base = alt.Chart(long).encode(
        x=alt.X("week:T", title=week_title, axis=alt.Axis(format="%d %b")),
        y=alt.Y("count:Q", title=None),
        color=alt.Color("kind:N", title=None),
    )
    points = base.mark_point(filled=True, size=50).encode(
        opacity=alt.Opacity("partial:N", scale=alt.Scale(domain=[False, True], range=[1.0, 0.35]), legend=None)
    )
    notes = base.transform_filter(alt.datum.partial).mark_text(dy=-10, color="#6b7a90").encode(text="note:N")
    return alt.layer(base.mark_line(), points, notes)

"""Funnel: the cohort funnel of a pipeline and period, its rates, time in stage, lost deals and the
diagnosis; live."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from core import pipelines, users
from core.analytics import diagnosis, funnel, history
from core.analytics.filters import FunnelFilter
from core.clock import utcnow
from core.live import data_version
from core.periods import DateRange, Period, PeriodKind
from core.permissions import Actor
from ui import format, pickers, resources, session, url_state
from ui.actions import figures, live, read
from ui.charts import funnel_chart, monthly_trend_chart, stage_bars, waterfall_chart
from ui.downloads import download_buttons
from ui.i18n import language, t
from ui.navigation import deal_line
from ui.periods import PRESETS, period
from ui.slippage import slippage_section
from ui.state import Funnel

CATEGORIES = ("source", "region", "segment")
VIEWS = ("funnel", "bars", "trend")
ADDRESS = ("pipeline", "period", "from", "to", "compare", "team", *CATEGORIES)  # the filters' names in the URL


def page() -> None:
    actor = session.actor()
    st.title(t("funnel.title"))
    pipeline_list = pickers.active_pipelines()
    funnel_filter, compare_ids = filters(actor, pipeline_list)

    @live
    def live_funnel(version: int) -> None:
        shown(figures(version, funnel_figures, actor, funnel_filter, compare_ids))

    live_funnel()
    changes_section(actor, funnel_filter)
    slippage_section(
        actor,
        funnel_filter.date_from,
        funnel_filter.date_to,
        where="funnel",
        pipeline_id=funnel_filter.pipeline_id,
        team_id=funnel_filter.team_id,
    )


def filters(actor: Actor, pipeline_list: list[pipelines.PipelineInfo]) -> tuple[FunnelFilter, tuple[int, ...]]:
    """The pipeline, the period, the team, source, region and segment the funnel is of; and the
    managers whose conversions are set beside the team's (executives and admins choose them)."""
    zone = resources.settings().zone
    address = url_state.Address(*ADDRESS)
    row = st.columns([2, 2, 2, 2])
    ids = [p.id for p in pipeline_list]
    address.restore("pipeline", Funnel.PIPELINE, default=ids[0], options=ids)
    pipeline_id = pickers.pipeline(pipeline_list, key=Funnel.PIPELINE, where=row[0])
    # Dates alone (?from=2026-10-01&to=2026-12-31) ask for a custom period.
    dated = any(address.asked(name, parse=url_state.day) for name in ("from", "to"))
    implied = "custom" if dated else None
    address.restore("period", Funnel.PRESET, default="last_quarter", options=PRESETS, implied=implied)
    preset = row[1].selectbox(t("funnel.period"), PRESETS, format_func=lambda p: t(f"funnel.{p}"), key=Funnel.PRESET)
    today = utcnow().astimezone(zone).date()
    date_from, date_to = period(preset, today)
    if preset == "custom":
        address.restore("from", Funnel.FROM, default=today.replace(month=1, day=1), parse=url_state.day)
        date_from = row[2].date_input(t("funnel.from"), key=Funnel.FROM)
        address.restore("to", Funnel.TO, default=today, parse=url_state.day)
        date_to = row[3].date_input(t("funnel.to"), key=Funnel.TO)
    else:
        row[2].caption(f"{date_from:%Y-%m-%d} — {date_to:%Y-%m-%d}")
    options = read(funnel.filter_options, pipeline_id)
    more = st.columns(5)
    managers = {u.id: u.display_name for u in read(users.list_managers)} if actor.sees_everyone else {}
    address.restore("compare", Funnel.COMPARE, default=[], options=managers, many=True)
    compare = more[0].multiselect(
        t("funnel.compare"),
        list(managers),
        format_func=managers.get,
        key=Funnel.COMPARE,
        placeholder=t("funnel.compare_none"),
    )
    teams = read(users.list_teams)
    address.restore("team", Funnel.TEAM, default=None, options=[team.id for team in teams])
    team_id = pickers.team(teams, key=Funnel.TEAM, everyone=t("deals.all"), where=more[1])
    chosen = {}
    for column, name in zip(more[2:], CATEGORIES, strict=True):
        address.restore(name, Funnel.CATEGORY(name), default=None, options=options[name])
        chosen[name] = column.selectbox(
            t(f"field.{name}"),
            [None, *options[name]],
            key=Funnel.CATEGORY(name),
            format_func=lambda v: t("deals.all") if v is None else v,
        )
    address.write()
    return FunnelFilter(pipeline_id, date_from, date_to, zone, team_id=team_id, **chosen), tuple(compare)


def funnel_figures(db, who: Actor, funnel_filter: FunnelFilter, compare: tuple[int, ...]) -> dict:
    """Every figure of the page, in one read."""
    now = utcnow()
    result = {
        "funnel": funnel.cohort_funnel(db, who, funnel_filter),
        "rates": funnel.win_rates(db, who, funnel_filter),
        "trend": funnel.monthly_trend(db, who, funnel_filter),
        "time": funnel.time_in_stage(db, who, funnel_filter, now=now),
        "lost": funnel.lost_analysis(db, who, funnel_filter),
        "compare": {},
    }
    result["findings"] = diagnosis.diagnose(
        db, who, funnel_filter, now=now, funnel=result["funnel"], stays=result["time"]
    )
    for manager_id in compare:
        mine = FunnelFilter(**{**funnel_filter.__dict__, "owner_ids": (manager_id,)})
        result["compare"][users.get_user(db, manager_id).display_name] = funnel.cohort_funnel(db, who, mine)
    return result


def shown(data: dict) -> None:
    tiles(data["rates"])
    chart(data)
    diagnosis_panel(data["findings"])
    funnel_table(data["funnel"])
    if data["compare"]:
        comparison(data["funnel"], data["compare"])
    left, right = st.columns(2)
    with left:
        st.subheader(t("funnel.time_in_stage"))
        time_table = data["time"].drop(columns=["stage_id"]).round(1)
        st.dataframe(time_table, hide_index=True, width="stretch", key=Funnel.TIME)
        download_buttons(time_table, "time_in_stage", key=Funnel.TIME_DOWNLOAD)
    with right:
        st.subheader(t("funnel.lost"))
        st.dataframe(data["lost"], hide_index=True, width="stretch", key=Funnel.LOST)
        download_buttons(data["lost"], "lost", key=Funnel.LOST_DOWNLOAD)


def tiles(rates: dict) -> None:
    lang, currency = language(), resources.settings().currency
    columns = st.columns(5)
    columns[0].metric(t("funnel.created"), format.count(rates["created"], lang))
    columns[1].metric(t("funnel.win_rate_closed"), format.percent(rates["win_rate_closed"]))
    columns[2].metric(t("funnel.funnel_win_rate"), format.percent(rates["funnel_win_rate"]))
    columns[3].metric(
        t("funnel.average_deal"), format.or_dash(lambda v: format.money(v, currency, lang))(rates["average_deal_size"])
    )
    median_days, mean_days = rates["cycle_median_days"], rates["cycle_mean_days"]
    columns[4].metric(
        t("funnel.cycle"),
        format.or_dash(lambda days: t("funnel.days", days=f"{days:.0f}"))(median_days),
        help=None if mean_days is None else t("funnel.cycle_help", mean=f"{mean_days:.1f}"),
    )


def chart(data: dict) -> None:
    address = url_state.Address("view")  # apart: the view is chosen in the live part, which reruns alone
    address.restore("view", Funnel.VIEW, default="funnel", options=VIEWS)
    view = st.segmented_control(t("funnel.view"), VIEWS, format_func=lambda v: t(f"funnel.view_{v}"), key=Funnel.VIEW)
    address.write()
    if view == "bars":
        drawn = stage_bars(data["funnel"], count_title=t("column.deals"), stage_title=t("column.stage"))
    elif view == "trend":
        drawn = monthly_trend_chart(
            data["trend"], created_title=t("funnel.created"), win_rate_title=t("funnel.funnel_win_rate")
        )
    else:
        drawn = funnel_chart(data["funnel"], count_title=t("column.deals"), stage_title=t("column.stage"))
    st.altair_chart(drawn, width="stretch")


def diagnosis_panel(findings: list[diagnosis.Finding]) -> None:
    if findings:  # a healthy funnel needs no panel
        st.subheader(t("funnel.diagnosis"))
    for finding in findings:
        who = ", ".join(f"{format.plain(name)} ({_figure(finding.shape, value)})" for name, value in finding.managers)
        st.warning(
            t(
                f"diagnosis.{finding.shape}",
                stage=format.plain(finding.stage),
                value=_figure(finding.shape, finding.value),
                reference=_figure(finding.shape, finding.reference),
            )
            + (" " + t("diagnosis.managers", managers=who) if who else "")
        )


def _figure(shape: str, value: float) -> str:
    return f"{value:.0f} d" if shape == "bottleneck" else format.percent(value)


def funnel_table(frame: pd.DataFrame) -> None:
    st.subheader(t("funnel.table"))
    table = frame.drop(columns=["stage_id"])
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key=Funnel.TABLE,
        column_config={
            "stage": t("column.stage"),
            "kind": t("editor.kind"),
            "reached": t("funnel.reached"),
            "reached_amount": st.column_config.NumberColumn(t("column.amount"), format="localized"),
            "next_step_conversion": st.column_config.NumberColumn(t("funnel.next_step"), format="percent"),
            "cumulative_conversion": st.column_config.NumberColumn(t("funnel.cumulative"), format="percent"),
        },
    )
    download_buttons(table, "funnel", key=Funnel.DOWNLOAD)


def comparison(frame: pd.DataFrame, compare: dict[str, pd.DataFrame]) -> None:
    """Each chosen manager's next-step conversions beside the team's, cells below the team in red."""
    st.subheader(t("funnel.comparison"))
    table = pd.DataFrame({t("funnel.team"): frame["next_step_conversion"].values}, index=frame["stage"])
    for name, theirs in compare.items():
        table[name] = theirs["next_step_conversion"].values
    team = table.columns[0]

    def behind(column: pd.Series) -> list[str]:
        if column.name == team:
            return [""] * len(column)
        return [
            "background-color: #fde2e1" if pd.notna(v) and pd.notna(ours) and v < ours else ""
            for v, ours in zip(column, table[team], strict=True)
        ]

    st.caption(t("funnel.comparison_caption"))
    st.dataframe(table.style.apply(behind).format(format.percent), width="stretch", key=Funnel.COMPARISON)


def changes_section(actor: Actor, funnel_filter: FunnelFilter) -> None:
    """What moved in the open pipeline between the ends of two days (a week by default), for the
    page's pipeline, team, source, region and segment: a waterfall, its table, and any bar's deals."""
    zone = resources.settings().zone
    today = utcnow().astimezone(zone).date()
    st.subheader(t("changes.title"), anchor=False)
    # Read from the deals' history, not the summary tables (seconds at a million deals): when asked.
    if not st.toggle(t("changes.show"), key=Funnel.CHANGES_SHOWN):
        return
    st.caption(t("changes.caption"))
    row = st.columns([2, 2, 3])
    day_from = row[0].date_input(
        t("changes.from"), value=today - timedelta(days=7), max_value=today, key=Funnel.CHANGES_FROM
    )
    day_to = row[1].date_input(t("changes.to"), value=today, max_value=today, key=Funnel.CHANGES_TO)
    closing = [None, *_closing_periods(today)]
    closing_in = row[2].selectbox(
        t("changes.closing_in"),
        closing,
        format_func=lambda p: t("changes.closing_any") if p is None else str(p),
        key=Funnel.CHANGES_CLOSING,
    )
    if day_from is None or day_to is None:
        st.info(t("changes.pick_days"))
        return
    if day_to < day_from:
        st.error(t("changes.to_before_from"))
        return
    closing_range = DateRange(closing_in.first, closing_in.last) if closing_in else None
    chosen = tuple((name, getattr(funnel_filter, name)) for name in CATEGORIES)
    found = figures(
        read(data_version),
        _changes,
        actor,
        funnel_filter.pipeline_id,
        day_from,
        day_to,
        zone,
        funnel_filter.team_id,
        chosen,
        closing_range,
    )
    table = history.changes_table(found)
    labels = [_bucket_label(name, day_from, day_to) for name in table["bucket"]]
    shown_table = table.assign(key=table["bucket"], bucket=labels)
    drawn = shown_table[(shown_table["amount"] != 0) | shown_table["key"].isin(["start", "end"])]
    amount_title = t("column.amount")
    clicked = st.altair_chart(
        waterfall_chart(drawn, amount_title=amount_title), width="stretch", on_select="rerun", key=Funnel.CHANGES_CHART
    )
    points = (clicked.selection.get("bar") or []) if clicked else []
    if points and points[0].get("key") in table["bucket"].tolist():
        st.session_state[Funnel.CHANGES_BUCKET] = points[0]["key"]
    st.dataframe(
        shown_table[["bucket", "deals", "amount"]],
        hide_index=True,
        width="stretch",
        key=Funnel.CHANGES_TABLE,
        column_config={
            "bucket": st.column_config.TextColumn(t("changes.bucket")),
            "deals": st.column_config.NumberColumn(t("column.deals")),
            "amount": st.column_config.NumberColumn(t("changes.amount"), format="localized"),
        },
    )
    download_buttons(shown_table[["bucket", "deals", "amount"]], "pipeline-changes", key=Funnel.CHANGES_DOWNLOAD)
    names = [b.name for b in found.buckets if b.deals]
    if st.session_state.get(Funnel.CHANGES_BUCKET) not in names:
        st.session_state.pop(Funnel.CHANGES_BUCKET, None)
    bucket = st.selectbox(
        t("changes.open"),
        [None, *names],
        format_func=lambda name: t("changes.open_none") if name is None else _bucket_label(name, day_from, day_to),
        key=Funnel.CHANGES_BUCKET,
    )
    if bucket is not None:
        asked = (funnel_filter.pipeline_id, day_from, day_to, zone, funnel_filter.team_id, chosen, closing_range)
        bucket_list(actor, bucket, asked)


def _changes(db, actor: Actor, pipeline_id, day_from, day_to, zone, team_id, chosen, closing_in):
    """history.pipeline_changes with its arguments in order: a view of the shared figures, computed
    once per data version for every viewer, not on every rerun of the page."""
    return history.pipeline_changes(
        db, actor, pipeline_id, day_from, day_to, zone, team_id=team_id, categories=dict(chosen), closing_in=closing_in
    )


def _bucket_deals(db, actor: Actor, bucket, pipeline_id, day_from, day_to, zone, team_id, chosen, closing_in):
    """history.bucket_deals with its arguments in order, a view of the shared figures like _changes."""
    return history.bucket_deals(
        db,
        actor,
        pipeline_id,
        day_from,
        day_to,
        zone,
        bucket,
        team_id=team_id,
        categories=dict(chosen),
        closing_in=closing_in,
    )


def bucket_list(actor: Actor, bucket: str, asked: tuple) -> None:
    """The deals of one bar (of the changes `asked`: _changes' arguments), largest first, each opening
    its deal page."""
    deals_shown, total = figures(read(data_version), _bucket_deals, actor, bucket, *asked)
    day_from, day_to = asked[1], asked[2]
    currency, lang = resources.settings().currency, language()
    st.caption(
        t("changes.list_caption", bucket=_bucket_label(bucket, day_from, day_to), shown=len(deals_shown), total=total)
    )
    for item in deals_shown.itertuples():
        text = f"{item.title} — {item.stage}, {format.money(item.amount, currency, lang)} ({item.owner})"
        deal_line(text, item.id, key=Funnel.CHANGES_DEAL(item.id))


def _bucket_label(name: str, day_from, day_to) -> str:
    if name == "start":
        return t("changes.start", day=day_from)
    if name == "end":
        return t("changes.end", day=day_to)
    return t(f"changes.{name}")


def _closing_periods(today) -> list[Period]:
    """The months and quarters a deal may be expected to close in: this one and the next."""
    month, quarter = (Period.containing(kind, today) for kind in (PeriodKind.MONTH, PeriodKind.QUARTER))
    return [month, month.shifted(1), quarter, quarter.shifted(1)]


page()

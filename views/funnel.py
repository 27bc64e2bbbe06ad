import pandas as pd
import streamlit as st

from core import live, pipelines, users
from core.analytics import diagnosis, funnel
from core.analytics.filters import FunnelFilter
from core.clock import utcnow
from core.permissions import Actor
from db.engine import transaction
from db.models import Role
from ui import format, resources, session
from ui.actions import shielded
from ui.charts import funnel_chart, monthly_trend_chart, stage_bars
from ui.downloads import download_buttons
from ui.i18n import language, t
from ui.periods import PRESETS, period

LIVE_SECONDS = 5  # an open page shows a change made anywhere within this (plus one query time)

actor = session.actor()
settings = resources.settings()
lang = language()
st.title(t("funnel.title"))


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def figures(version: int, who: Actor, funnel_filter: FunnelFilter, compare: tuple[int, ...], hour: str) -> dict:
    """Every figure of the page; recomputed only when the data version, the filters or the hour change."""
    now = utcnow()
    with transaction(resources.engine()) as db:
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


with transaction(resources.engine()) as db:
    pipeline_list = pipelines.list_pipelines(db)
    managers = users.list_users(db, role=Role.MANAGER) if actor.role != Role.MANAGER else []
    teams = users.list_teams(db)
if not pipeline_list:
    st.info(t("overview.empty"))
    st.stop()

row = st.columns([2, 2, 2, 2])
names = {p.id: p.name for p in pipeline_list}
pipeline_id = row[0].selectbox(t("field.pipeline_id"), list(names), format_func=names.get, key="funnel_pipeline")
preset = row[1].selectbox(
    t("funnel.period"), PRESETS, index=3, format_func=lambda p: t(f"funnel.{p}"), key="funnel_preset"
)
today = utcnow().astimezone(settings.zone).date()
date_from, date_to = period(preset, today)
if preset == "custom":
    date_from = row[2].date_input(t("funnel.from"), value=today.replace(month=1, day=1), key="funnel_from")
    date_to = row[3].date_input(t("funnel.to"), value=today, key="funnel_to")
else:
    row[2].caption(f"{date_from:%Y-%m-%d} — {date_to:%Y-%m-%d}")
with transaction(resources.engine()) as db:
    options = funnel.filter_options(db, pipeline_id)
more = st.columns(5)
manager_names = {u.id: u.display_name for u in managers}
compare_ids = tuple(
    more[0].multiselect(
        t("funnel.compare"),
        list(manager_names),
        format_func=manager_names.get,
        key="funnel_compare",
        placeholder=t("funnel.compare_none"),
    )
)
team_names = {team.id: team.name for team in teams}
team_id = more[1].selectbox(
    t("field.team"),
    [None, *team_names],
    key="funnel_team",
    format_func=lambda i: t("deals.all") if i is None else team_names[i],
)
chosen = {}
for column, name in zip(more[2:], ("source", "region", "segment"), strict=True):
    chosen[name] = column.selectbox(
        t(f"field.{name}"),
        [None, *options[name]],
        key=f"funnel_{name}",
        format_func=lambda v: t("deals.all") if v is None else v,
    )
funnel_filter = FunnelFilter(pipeline_id, date_from, date_to, settings.zone, team_id=team_id, **chosen)


@st.fragment(run_every=LIVE_SECONDS)
@shielded
def live_figures() -> None:
    with transaction(resources.engine()) as db:
        version = live.data_version(db)
    data = figures(version, actor, funnel_filter, compare_ids, utcnow().strftime("%Y%m%d%H"))
    frame, rates = data["funnel"], data["rates"]

    tiles = st.columns(5)
    tiles[0].metric(t("funnel.created"), format.count(rates["created"], lang))
    tiles[1].metric(t("funnel.win_rate_closed"), _percent(rates["win_rate_closed"]))
    tiles[2].metric(t("funnel.funnel_win_rate"), _percent(rates["funnel_win_rate"]))
    tiles[3].metric(
        t("funnel.average_deal"),
        "—"
        if rates["average_deal_size"] is None
        else format.money(rates["average_deal_size"], settings.currency, lang),
    )
    tiles[4].metric(
        t("funnel.cycle"),
        "—" if rates["cycle_median_days"] is None else t("funnel.days", days=f"{rates['cycle_median_days']:.0f}"),
        help=None
        if rates["cycle_mean_days"] is None
        else t("funnel.cycle_help", mean=f"{rates['cycle_mean_days']:.1f}"),
    )

    view = st.segmented_control(
        t("funnel.view"),
        ["funnel", "bars", "trend"],
        default="funnel",
        format_func=lambda v: t(f"funnel.view_{v}"),
        key="funnel_view",
    )
    if view == "bars":
        st.altair_chart(
            stage_bars(frame, count_title=t("column.deals"), stage_title=t("column.stage")), width="stretch"
        )
    elif view == "trend":
        st.altair_chart(
            monthly_trend_chart(
                data["trend"], created_title=t("funnel.created"), win_rate_title=t("funnel.funnel_win_rate")
            ),
            width="stretch",
        )
    else:
        st.altair_chart(
            funnel_chart(frame, count_title=t("column.deals"), stage_title=t("column.stage")), width="stretch"
        )

    findings = data["findings"]
    if findings:  # a healthy funnel needs no panel
        st.subheader(t("funnel.diagnosis"))
    for finding in findings:
        who = ", ".join(f"{name} ({_figure(finding.shape, value)})" for name, value in finding.managers)
        st.warning(
            t(
                f"diagnosis.{finding.shape}",
                stage=finding.stage,
                value=_figure(finding.shape, finding.value),
                reference=_figure(finding.shape, finding.reference),
            )
            + (" " + t("diagnosis.managers", managers=who) if who else "")
        )

    st.subheader(t("funnel.table"))
    table = frame.drop(columns=["stage_id"])
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="funnel_table",
        column_config={
            "stage": t("column.stage"),
            "kind": t("editor.kind"),
            "reached": t("funnel.reached"),
            "reached_amount": st.column_config.NumberColumn(t("column.amount"), format="localized"),
            "next_step_conversion": st.column_config.NumberColumn(t("funnel.next_step"), format="percent"),
            "cumulative_conversion": st.column_config.NumberColumn(t("funnel.cumulative"), format="percent"),
        },
    )
    download_buttons(table, "funnel", key="funnel_download")

    if data["compare"]:
        st.subheader(t("funnel.comparison"))
        comparison = pd.DataFrame({t("funnel.team"): frame["next_step_conversion"].values}, index=frame["stage"])
        for name, theirs in data["compare"].items():
            comparison[name] = theirs["next_step_conversion"].values
        team_column = comparison.columns[0]

        def behind(column: pd.Series) -> list[str]:
            if column.name == team_column:
                return [""] * len(column)
            return [
                "background-color: #fde2e1" if pd.notna(v) and pd.notna(team) and v < team else ""
                for v, team in zip(column, comparison[team_column], strict=True)
            ]

        st.caption(t("funnel.comparison_caption"))
        st.dataframe(
            comparison.style.apply(behind).format("{:.0%}", na_rep="—"), width="stretch", key="funnel_comparison"
        )

    left, right = st.columns(2)
    with left:
        st.subheader(t("funnel.time_in_stage"))
        time_table = data["time"].drop(columns=["stage_id"]).round(1)
        st.dataframe(time_table, hide_index=True, width="stretch", key="funnel_time")
        download_buttons(time_table, "time_in_stage", key="funnel_time_download")
    with right:
        st.subheader(t("funnel.lost"))
        st.dataframe(data["lost"], hide_index=True, width="stretch", key="funnel_lost")
        download_buttons(data["lost"], "lost", key="funnel_lost_download")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _figure(shape: str, value: float) -> str:
    return f"{value:.0f} d" if shape == "bottleneck" else f"{value:.0%}"


live_figures()

from collections.abc import Callable
from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from core import live, pipelines, plans, users
from core.analytics import plan_fact
from core.clock import utcnow
from core.periods import Period, PeriodKind
from core.permissions import Actor
from db.engine import transaction
from db.models import Role
from ui import format, resources, session
from ui.actions import perform, shielded
from ui.downloads import download_buttons
from ui.i18n import language, t
from ui.plan_grid import plan_grid, plans_frame
from ui.state import PLAN_COPY_MESSAGE, PLAN_GRID_MESSAGE, PLAN_GRID_NONCE, PLAN_LAST_GRID_EVENT

LIVE_SECONDS = 5
PERIODS_BACK, PERIODS_AHEAD = 8, 4  # how many periods the period picker offers around today
TARGETS = ("target_amount", "target_count", "target_calls", "target_meetings")

actor = session.actor()
settings = resources.settings()
lang = language()
today = utcnow().astimezone(settings.zone).date()
may_edit = actor.role in (Role.EXECUTIVE, Role.ADMIN)
st.title(t("plan.title"))

with transaction(resources.engine()) as db:
    pipeline_list = pipelines.list_pipelines(db)
    managers = users.list_users(db, role=Role.MANAGER)
    teams = users.list_teams(db)

row = st.columns([2, 2, 3, 3])
kind = row[0].selectbox(
    t("plan.period_kind"),
    list(PeriodKind),
    index=1,
    format_func=lambda k: t(f"plan.{k}"),
    key="plan_period_kind",
)
current = Period.containing(kind, today)
choices = [current.shifted(step) for step in range(-PERIODS_BACK, PERIODS_AHEAD + 1)]
period = row[1].selectbox(t("funnel.period"), choices, index=PERIODS_BACK, format_func=str, key=f"plan_period_{kind}")
pipeline_names = {p.id: p.name for p in pipeline_list}
pipeline_id = row[2].selectbox(
    t("field.pipeline_id"),
    [None, *pipeline_names],
    format_func=lambda i: t("plan.all_pipelines") if i is None else pipeline_names[i],
    key="plan_pipeline",
)
team_id = None
if actor.role != Role.MANAGER:
    team_names = {team.id: team.name for team in teams}
    team_id = row[3].selectbox(
        t("field.team"),
        [None, *team_names],
        format_func=lambda i: t("dashboard.company") if i is None else team_names[i],
        key="plan_team",
    )
row[0].caption(f"{period.first:%Y-%m-%d} — {period.last:%Y-%m-%d}")


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def figures(version: int, who: Actor, period: Period, pipeline: int | None, team: int | None, day) -> dict:
    """Every figure of the page; recomputed only when the data version, the choice or the day change."""
    with transaction(resources.engine()) as db:
        return {
            "rows": plan_fact.plan_fact(
                db, who, period=period, today=day, zone=settings.zone, pipeline_id=pipeline, team_id=team
            ),
            "monthly": plan_fact.monthly_plan_fact(
                db, who, year=period.first.year, today=day, zone=settings.zone, pipeline_id=pipeline, team_id=team
            ),
        }


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def assumptions(version: int, who: Actor, manager_id: int, pipeline: int | None, day) -> plan_fact.Assumptions:
    with transaction(resources.engine()) as db:
        return plan_fact.assumptions(
            db, who, manager_id=manager_id, today=day, zone=settings.zone, pipeline_id=pipeline
        )


def money(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else format.money_short(value, settings.currency, lang)


def or_dash(shown: Callable[[float], str]) -> Callable[[float | None], str]:
    return lambda value: "—" if value is None or pd.isna(value) else shown(value)


def share(value: float | None) -> str:
    return t("plan.no_plan") if value is None or pd.isna(value) else f"{value:.0%}"


@st.fragment(run_every=LIVE_SECONDS)
@shielded
def live_figures() -> None:
    with transaction(resources.engine()) as db:
        version = live.data_version(db)
    data = figures(version, actor, period, pipeline_id, team_id, today)
    rows, monthly = data["rows"], data["monthly"]
    level = "manager" if actor.role == Role.MANAGER else "team" if team_id is not None else "company"
    scope = rows[rows["level"] == level]
    if scope.empty:
        st.info(t("plan.nobody"))
        return
    top = scope.iloc[0]
    tiles = st.columns(4)
    tiles[0].metric(t("plan.plan"), money(top["plan_amount"]))
    tiles[1].metric(t("plan.fact"), money(top["fact_amount"]), help=t("plan.fact_help"))
    tiles[2].metric(t("plan.completion"), share(top["completion_amount"]))
    needed = top["deals_needed"]
    tiles[3].metric(t("plan.deals_needed"), "—" if pd.isna(needed) else format.count(int(needed), lang))
    tiles = st.columns(4)
    tiles[0].metric(t("plan.run_rate"), money(top["run_rate_amount"]), help=t("plan.run_rate_help"))
    tiles[1].metric(t("plan.weighted"), money(top["weighted_forecast"]), help=t("plan.weighted_help"))
    tiles[2].metric(t("plan.gap"), money(top["gap"]), help=t("plan.gap_help"))

    people = rows[rows["level"] == "manager"].copy()
    left, right = st.columns([3, 2])
    with left:
        st.subheader(t("plan.completion_by_manager"))
        st.caption(t("plan.completion_caption"))
        if not people.empty:
            st.altair_chart(completion_chart(people), width="stretch")
    with right:
        st.subheader(t("plan.dynamics", year=period.first.year))
        cumulative = st.toggle(t("plan.cumulative"), key="plan_cumulative")
        st.altair_chart(dynamics_chart(monthly, cumulative), width="stretch")

    st.subheader(t("funnel.table"))
    table = plan_fact.report_table(rows, company_label=t("dashboard.company"))
    table["level"] = table["level"].map(lambda v: t(f"plan.level_{v}"))
    table["basis"] = table["basis"].map(lambda v: t(f"plan.level_{v}"))
    # Figures that may not exist are shown as text ("no plan", "—"); the downloads keep the numbers.
    whole = "{:,.0f}".format
    text_of = {
        "completion_amount": share,
        "completion_count": share,
        "run_rate_amount": or_dash(whole),
        "run_rate_count": or_dash("{:,.1f}".format),
        "deals_needed": or_dash(whole),
        "win_rate": or_dash("{:.0%}".format),
        "average_deal": or_dash(whole),
    }
    shown = table.assign(**{name: table[name].map(text) for name, text in text_of.items()}).style.format(
        dict.fromkeys(["plan_amount", "fact_amount", "weighted_forecast", "gap", "plan_count", "fact_count"], whole)
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key="plan_table",
        column_config={name: t(f"plan.column.{name}") for name in table.columns},
    )
    headed = table.rename(columns={name: t(f"plan.column.{name}") for name in table.columns})
    download_buttons(table, f"plan-fact-{period}", key="plan_csv", excel=headed)


def completion_chart(people: pd.DataFrame) -> alt.LayerChart:
    """Per manager: the fact as a bar, the plan as a tick, a whisker from the fact to the weighted forecast."""
    people = people.assign(
        completion_text=[share(v) for v in people["completion_amount"]],
        order=people["completion_amount"].fillna(-1),
    )
    base = alt.Chart(people).encode(
        y=alt.Y("name:N", title=None, sort=alt.EncodingSortField("order", order="descending")),
        tooltip=[
            alt.Tooltip("name:N", title=t("plan.column.name")),
            alt.Tooltip("plan_amount:Q", title=t("plan.plan"), format=",.0f"),
            alt.Tooltip("fact_amount:Q", title=t("plan.fact"), format=",.0f"),
            alt.Tooltip("completion_text:N", title=t("plan.completion")),
            alt.Tooltip("weighted_forecast:Q", title=t("plan.weighted"), format=",.0f"),
            alt.Tooltip("run_rate_amount:Q", title=t("plan.run_rate"), format=",.0f"),
        ],
    )
    fact = base.mark_bar(color="#4c78a8", height=14).encode(x=alt.X("fact_amount:Q", title=t("plan.amount")))
    whisker = base.mark_rule(color="#4c78a8", strokeWidth=2, strokeDash=[4, 2]).encode(
        x="fact_amount:Q", x2="weighted_forecast:Q"
    )
    plan = base.mark_tick(color="#d62728", thickness=3, size=22).encode(x="plan_amount:Q")
    return alt.layer(fact, whisker, plan).properties(height=max(120, 28 * len(people)))


def dynamics_chart(monthly: pd.DataFrame, cumulative: bool) -> alt.Chart:
    plan_column, fact_column = ("cumulative_plan", "cumulative_fact") if cumulative else ("plan_amount", "fact_amount")
    series = [t("plan.plan"), t("plan.fact")]  # the plan dashed and red, the fact solid and blue
    long = monthly.rename(columns={plan_column: t("plan.plan"), fact_column: t("plan.fact")}).melt(
        "month", [t("plan.plan"), t("plan.fact")], var_name="series", value_name="amount"
    )
    long["month"] = pd.to_datetime(long["month"])
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:T", title=None, axis=alt.Axis(format="%b")),
            y=alt.Y("amount:Q", title=t("plan.amount")),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=series, range=["#d62728", "#4c78a8"]),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash("series:N", legend=None, scale=alt.Scale(domain=series, range=[[4, 2], [1, 0]])),
            tooltip=[alt.Tooltip("month:T", format="%B %Y"), "series:N", alt.Tooltip("amount:Q", format=",.0f")],
        )
    )


def calculator(rows: pd.DataFrame, version: int) -> None:
    """Deals needed for one manager, with its assumptions shown and open to what-if values."""
    st.subheader(t("plan.calculator"))
    people = rows[rows["level"] == "manager"]
    if people.empty:
        st.caption(t("plan.nobody"))
        return
    names = dict(zip(people["manager_id"].astype(int), people["name"], strict=True))
    if actor.role == Role.MANAGER:
        manager_id = actor.id
    else:
        weakest = int(people.sort_values("completion_amount", na_position="last").iloc[0]["manager_id"])
        manager_id = st.selectbox(
            t("dashboard.manager"),
            list(names),
            index=list(names).index(weakest),
            format_func=names.get,
            key="plan_calculator_manager",
            help=t("plan.weakest_first"),
        )
    mine = people[people["manager_id"] == manager_id].iloc[0]
    basis = assumptions(version, actor, manager_id, pipeline_id, today)
    st.caption(
        t(
            f"plan.basis_{basis.basis}",
            closed=format.count(basis.closed, lang),
            start=f"{basis.window_from:%Y-%m-%d}",
            end=f"{basis.window_to:%Y-%m-%d}",
            minimum=plan_fact.MIN_CLOSED_FOR_OWN_RATES,
        )
    )
    suffix = f"{manager_id}_{period}_{pipeline_id}"
    inputs = st.columns(4)
    gap = inputs[0].number_input(
        t("plan.gap"), min_value=0.0, value=float(mine["gap"]), step=1000.0, key=f"plan_gap_{suffix}"
    )
    win_rate = inputs[1].number_input(
        t("funnel.funnel_win_rate") + ", %",
        min_value=0.0,
        max_value=100.0,
        value=round((basis.win_rate or 0) * 100, 1),
        step=1.0,
        key=f"plan_win_rate_{suffix}",
    )
    average = inputs[2].number_input(
        t("funnel.average_deal"),
        min_value=0.0,
        value=round(basis.average_deal or 0.0, 2),
        step=500.0,
        key=f"plan_average_{suffix}",
    )
    needed = plan_fact.deals_needed(gap, average, win_rate / 100)
    inputs[3].metric(t("plan.deals_needed"), "—" if needed is None else format.count(needed, lang))
    if needed is None:
        st.warning(t("plan.cannot_estimate"))
    if basis.cycle_median_days is not None:
        closes = today + timedelta(days=round(basis.cycle_median_days))
        st.caption(t("plan.cycle", days=round(basis.cycle_median_days), date=f"{closes:%Y-%m-%d}"))
        if needed and closes > period.last:
            st.warning(t("plan.too_late", end=f"{period.last:%Y-%m-%d}"))


live_figures()
with transaction(resources.engine()) as db:
    page_version = live.data_version(db)
calculator(figures(page_version, actor, period, pipeline_id, team_id, today)["rows"], page_version)


def plans_editor() -> None:
    st.subheader(t("plan.plans"))
    # A month's plans are edited with the rest of its quarter.
    shown_period = period if period.kind != PeriodKind.MONTH else Period.containing(PeriodKind.QUARTER, period.first)
    months = shown_period.months
    if message := st.session_state.pop(PLAN_COPY_MESSAGE, None):
        st.success(message)
    target = (
        st.segmented_control(
            t("plan.target"),
            TARGETS,
            default="target_amount",
            format_func=lambda name: t(f"field.{name}"),
            key="plan_target",
        )
        or "target_amount"
    )
    with transaction(resources.engine()) as db:
        stored = plans.list_plans(db, actor, period=shown_period, pipeline_id=pipeline_id, team_id=team_id)
    if actor.role == Role.MANAGER:
        rows = [(f"user:{actor.id}", actor_name())]
    else:
        in_scope = [u for u in managers if team_id is None or u.team_id == team_id]
        rows = [(f"user:{u.id}", u.display_name) for u in in_scope] + [
            (f"team:{team.id}", t("plan.team_row", team=team.name))
            for team in teams
            if team_id is None or team.id == team_id
        ]
    headers = {"who": t("plan.who"), "total": t("plan.total")} | {m.isoformat(): f"{m:%b %Y}" for m in months}
    st.caption(t("plan.grid_caption") if may_edit else t("plan.read_only"))
    if message := st.session_state.pop(PLAN_GRID_MESSAGE, None):
        st.error(message)
    edit = plan_grid(
        plans_frame(stored, rows, months, target),
        headers,
        editable=may_edit,
        key=f"plan_grid_{target}_{shown_period}_{pipeline_id}_{team_id}_{st.session_state[PLAN_GRID_NONCE]}",
        decimals=target == "target_amount",
    )
    if may_edit and edit is not None and edit.at > st.session_state[PLAN_LAST_GRID_EVENT]:
        st.session_state[PLAN_LAST_GRID_EVENT] = edit.at
        outcome = perform(
            lambda db: plans.set_target(
                db,
                actor,
                month=edit.month,
                user_id=edit.user_id,
                team_id=edit.team_id,
                pipeline_id=pipeline_id,
                field=target,
                value=edit.value,
            ),
            success=t("plan.saved"),
            where=None,
        )
        if not outcome.ok:
            st.session_state[PLAN_GRID_MESSAGE] = outcome.message
        st.session_state[PLAN_GRID_NONCE] += 1
        st.rerun()
    if may_edit:
        copy_form(shown_period)
        with st.expander(t("plan.history")):
            with transaction(resources.engine()) as db:
                history = plans.plan_history(db, actor, limit=50)
            history["target"] = history["target"].map(lambda name: t(f"field.{name}"))
            history["at"] = [moment.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M") for moment in history["at"]]
            st.dataframe(
                history,
                hide_index=True,
                width="stretch",
                column_config={name: t(f"plan.history_{name}") for name in history.columns},
            )


def copy_form(shown: Period) -> None:
    """Copy the plans of an earlier period onto the chosen one, raised (or lowered) by a percentage."""
    with st.form("plan_copy", border=True):
        st.markdown(f"**{t('plan.copy_title')}**")
        columns = st.columns([2, 2, 1, 1], vertical_alignment="bottom")
        sources = [shown.shifted(-step) for step in range(1, PERIODS_BACK + 1)] + [shown.shifted(1)]
        source = columns[0].selectbox(t("plan.copy_from"), sources, format_func=str, key=f"plan_copy_source_{shown}")
        target = columns[1].selectbox(
            t("plan.copy_to"),
            [shown.shifted(step) for step in range(0, PERIODS_AHEAD + 1)],
            format_func=str,
            key=f"plan_copy_target_{shown}",
        )
        uplift = columns[2].number_input(
            t("plan.uplift"), min_value=-100.0, max_value=1000.0, value=10.0, step=1.0, key=f"plan_copy_uplift_{shown}"
        )
        submitted = columns[3].form_submit_button(t("plan.copy"), type="primary")
        st.caption(t("plan.copy_caption"))
    if submitted:
        outcome = perform(
            lambda db: plans.copy_plans(
                db,
                actor,
                source=source,
                target=target,
                uplift_percent=uplift,
                team_id=team_id,
                pipeline_id=pipeline_id,
            ),
        )
        if outcome.ok:
            st.session_state[PLAN_COPY_MESSAGE] = t(
                "plan.copied", count=outcome.value, source=str(source), target=str(target)
            )
            st.session_state[PLAN_GRID_NONCE] += 1
            st.rerun()


def actor_name() -> str:
    return next((u.display_name for u in managers if u.id == actor.id), "")


plans_editor()

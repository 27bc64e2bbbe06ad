"""Plan vs fact: the plan, the fact and the forecasts of a month, a quarter or a year; the deals-needed
calculator; and the plans themselves, edited in a grid (executives and admins); live."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from core import pipelines, plans, users
from core.analytics import plan_fact
from core.analytics.behind import Behind, deals_behind
from core.analytics.plan_fact import Level
from core.clock import utcnow
from core.errors import ValidationError
from core.live import data_version
from core.periods import Period, PeriodKind
from core.permissions import Actor
from core.users import TeamInfo, UserInfo
from ui import format, pickers, resources, session, url_state
from ui.actions import figures, live, perform, read
from ui.behind import Asked, asked_in, deals_button, help_of, kept, panel
from ui.behind import choose as choose_asked
from ui.charts import localised
from ui.confirm import Confirmation
from ui.downloads import download_buttons
from ui.grid import EditedGrid
from ui.i18n import field_errors, language, t
from ui.plan_grid import plan_grid, plans_frame
from ui.state import PlanFact

PERIODS_BACK, PERIODS_AHEAD = 8, 4  # how many periods the period picker offers around today
TARGETS = ("target_amount", "target_count", "target_calls", "target_meetings")
PLANS_GRID = EditedGrid(PlanFact.GRID)
COPYING = Confirmation(PlanFact.COPY_CONFIRMATION)
ADDRESS = ("kind", "period", "pipeline", "team")  # the filters' names in the URL; and "cumulative"


@dataclass(frozen=True)
class Choice:
    """What the page is of: the period, all pipelines (None) or one, the company (None) or a team."""

    period: Period
    pipeline_id: int | None
    team_id: int | None
    today: date


def page() -> None:
    actor = session.actor()
    st.title(t("plan.title"))
    pipeline_list, managers, teams = read(
        lambda db: (pipelines.list_pipelines(db), users.list_managers(db), users.list_teams(db))
    )
    choice = choose(actor, pipeline_list, teams)

    @live
    def live_plan(version: int) -> None:
        data = figures(version, plan_figures, actor, choice)
        kept(PlanFact.BEHIND, lambda: offered(data["rows"]))
        shown(actor, choice, data)
        asked = asked_in(PlanFact.BEHIND, "table")
        if asked is not None:
            panel(PlanFact.BEHIND, asked, figures(version, fact_behind, actor, choice, *asked.args))

    live_plan()
    version = read(data_version)
    calculator(actor, choice, figures(version, plan_figures, actor, choice)["rows"], version)
    plans_editor(actor, choice, managers, teams)


def choose(actor: Actor, pipeline_list: list[pipelines.PipelineInfo], teams: list[TeamInfo]) -> Choice:
    address = url_state.Address(*ADDRESS)
    row = st.columns([2, 2, 3, 3])
    asked = address.asked("period", parse=Period.parse)  # a period alone (?period=2026-07) says its kind too
    address.restore("kind", PlanFact.KIND, default=PeriodKind.QUARTER, options=PeriodKind, implied=asked and asked.kind)
    kind = row[0].selectbox(
        t("plan.period_kind"), list(PeriodKind), format_func=lambda k: t(f"plan.{k}"), key=PlanFact.KIND
    )
    today = utcnow().astimezone(resources.settings().zone).date()
    current = Period.containing(kind, today)
    choices = [current.shifted(step) for step in range(-PERIODS_BACK, PERIODS_AHEAD + 1)]
    address.restore("period", PlanFact.PERIOD(kind), default=current, options=choices)
    period = row[1].selectbox(t("funnel.period"), choices, format_func=str, key=PlanFact.PERIOD(kind))
    address.restore("pipeline", PlanFact.PIPELINE, default=None, options=[p.id for p in pipeline_list])
    pipeline_id = pickers.pipeline(pipeline_list, key=PlanFact.PIPELINE, everyone=t("plan.all_pipelines"), where=row[2])
    team_id = None
    if actor.sees_everyone:
        address.restore("team", PlanFact.TEAM, default=None, options=[team.id for team in teams])
        team_id = pickers.team(teams, key=PlanFact.TEAM, everyone=t("dashboard.company"), where=row[3])
    address.write()
    row[0].caption(f"{period.first:%Y-%m-%d} — {period.last:%Y-%m-%d}")
    return Choice(period, pipeline_id, team_id, today)


def plan_figures(db, who: Actor, choice: Choice) -> dict:
    """Every figure of the page, in one read."""
    zone = resources.settings().zone
    return {
        "rows": plan_fact.plan_fact(
            db,
            who,
            period=choice.period,
            today=choice.today,
            zone=zone,
            pipeline_id=choice.pipeline_id,
            team_id=choice.team_id,
        ),
        "monthly": plan_fact.monthly_plan_fact(
            db,
            who,
            year=choice.period.first.year,
            today=choice.today,
            zone=zone,
            pipeline_id=choice.pipeline_id,
            team_id=choice.team_id,
        ),
    }


def money(value: float | None) -> str:
    return format.or_dash(lambda v: format.money_short(v, resources.settings().currency, language()))(value)


def share(value: float | None) -> str:
    return t("plan.no_plan") if format.missing(value) else f"{value:.0%}"


def shown(actor: Actor, choice: Choice, data: dict) -> None:
    rows = data["rows"]
    level = Level.TEAM if choice.team_id is not None else Level.COMPANY
    scope = rows[rows["level"] == (level if actor.sees_everyone else Level.MANAGER)]
    if scope.empty:
        st.info(t("plan.nobody"))
        return
    tiles(scope.iloc[0])
    left, right = st.columns([3, 2])
    with left:
        st.subheader(t("plan.completion_by_manager"))
        st.caption(t("plan.completion_caption"))
        people = rows[rows["level"] == Level.MANAGER].copy()
        if not people.empty:
            st.altair_chart(localised(completion_chart(people)), width="stretch")
    with right:
        st.subheader(t("plan.dynamics", year=choice.period.first.year))
        address = url_state.Address("cumulative")  # apart: the toggle is in the live part, which reruns alone
        address.restore("cumulative", PlanFact.CUMULATIVE, default=False, parse=url_state.flag)
        cumulative = st.toggle(t("plan.cumulative"), key=PlanFact.CUMULATIVE)
        address.write()
        st.altair_chart(localised(dynamics_chart(data["monthly"], cumulative)), width="stretch")
    report(rows, choice.period)


def fact_behind(db, who: Actor, choice: Choice, level: str, manager_id: int | None, team_id: int | None) -> Behind:
    """The deals behind one row's fact: a view of the shared figures, like the page's own."""
    found = plan_fact.fact_deals(
        db,
        who,
        period=choice.period,
        zone=resources.settings().zone,
        pipeline_id=choice.pipeline_id,
        level=level,
        manager_id=manager_id,
        team_id=team_id,
    )
    return deals_behind(db, found)


def offered(rows: pd.DataFrame) -> Iterator[Asked]:
    """Every list the page offers with these figures: each row's fact (the Fact tile's is its top row's)."""
    names = plan_fact.report_table(rows, company_label=t("dashboard.company"))["name"]
    yield from (_row_asked(rows.iloc[i], str(names.iloc[i])) for i in range(len(rows)))


def _row_asked(row: pd.Series, label: str) -> Asked:
    """The deals behind a row's fact, asked for from the table (or the Fact tile, of the top row)."""
    ids = tuple(None if format.missing(row[name]) else int(row[name]) for name in ("manager_id", "team_id"))
    return Asked("table", "won_at_close", label, (str(row["level"]), *ids))


def tiles(top: pd.Series) -> None:
    lang = language()
    columns = st.columns(4)
    columns[0].metric(t("plan.plan"), money(top["plan_amount"]), help=help_of("plan"))
    columns[1].metric(t("plan.fact"), money(top["fact_amount"]), help=help_of("won_at_close"))
    label = t("dashboard.company") if format.missing(top["name"]) else str(top["name"])
    deals_button(PlanFact.BEHIND, _row_asked(top, label), key=PlanFact.BEHIND_TILE, where=columns[1])
    columns[2].metric(t("plan.completion"), share(top["completion_amount"]), help=help_of("completion"))
    needed = format.or_dash(lambda n: format.count(int(n), lang))(top["deals_needed"])
    columns[3].metric(t("plan.deals_needed"), needed, help=help_of("deals_needed"))
    columns = st.columns(4)
    columns[0].metric(t("plan.run_rate"), money(top["run_rate_amount"]), help=help_of("run_rate"))
    columns[1].metric(t("plan.weighted"), money(top["weighted_forecast"]), help=help_of("weighted_forecast"))
    columns[2].metric(t("plan.gap"), money(top["gap"]), help=help_of("gap"))


def report(rows: pd.DataFrame, period: Period) -> None:
    """The table of every figure per manager, team and the company, with its downloads."""
    st.subheader(t("funnel.table"))
    table = plan_fact.report_table(rows, company_label=t("dashboard.company"))
    table["level"] = table["level"].map(lambda v: t(f"plan.level_{v}"))
    table["basis"] = table["basis"].map(lambda v: t(f"plan.level_{v}"))
    # Figures that may not exist are shown as text ("no plan", "—"); the downloads keep the numbers.
    whole = "{:,.0f}".format
    text_of = {
        "completion_amount": share,
        "completion_count": share,
        "run_rate_amount": format.or_dash(whole),
        "run_rate_count": format.or_dash("{:,.1f}".format),
        "deals_needed": format.or_dash(whole),
        "win_rate": format.percent,
        "average_deal": format.or_dash(whole),
        "team": lambda team: format.DASH if format.missing(team) else team,  # a team's or the company's row
    }
    shown = format.as_texts(table, text_of).style.format(
        dict.fromkeys(["plan_amount", "fact_amount", "weighted_forecast", "gap", "plan_count", "fact_count"], whole)
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key=PlanFact.TABLE,
        on_select=lambda: _fact_clicked(rows.reset_index(drop=True), table),
        selection_mode="single-row",
        column_config={name: t(f"plan.column.{name}") for name in table.columns},
    )
    st.caption(t("plan.row_hint"))
    headed = table.rename(columns={name: t(f"plan.column.{name}") for name in table.columns})
    download_buttons(table, f"plan-fact-{period}", key=PlanFact.DOWNLOAD, excel=headed)


def _fact_clicked(rows: pd.DataFrame, table: pd.DataFrame) -> None:
    """A row of the table was clicked: list the deals behind its fact."""
    event = st.session_state.get(PlanFact.TABLE)
    picked = event.selection.rows if event else []
    if picked:
        choose_asked(PlanFact.BEHIND, _row_asked(rows.iloc[picked[0]], str(table["name"].iloc[picked[0]])))


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


def calculator(actor: Actor, choice: Choice, rows: pd.DataFrame, version: int) -> None:
    """Deals needed for one manager, with its assumptions shown and open to what-if values."""
    st.subheader(t("plan.calculator"))
    people = rows[rows["level"] == Level.MANAGER]
    if people.empty:
        st.caption(t("plan.nobody"))
        return
    manager_id = actor.id if not actor.sees_everyone else weakest_first(people)
    mine = people[people["manager_id"] == manager_id].iloc[0]
    basis = figures(version, assumptions, actor, manager_id, choice)
    st.caption(
        t(
            f"plan.basis_{basis.basis}",
            closed=format.count(basis.closed, language()),
            start=f"{basis.window_from:%Y-%m-%d}",
            end=f"{basis.window_to:%Y-%m-%d}",
            minimum=plan_fact.MIN_CLOSED_FOR_OWN_RATES,
        )
    )
    needed = what_if(float(mine["gap"]), basis, (manager_id, choice.period, choice.pipeline_id))
    if basis.cycle_median_days is not None:
        closes = choice.today + timedelta(days=round(basis.cycle_median_days))
        st.caption(t("plan.cycle", days=round(basis.cycle_median_days), date=f"{closes:%Y-%m-%d}"))
        if needed and closes > choice.period.last:
            st.warning(t("plan.too_late", end=f"{choice.period.last:%Y-%m-%d}"))


def weakest_first(people: pd.DataFrame) -> int:
    """An executive picks the manager; the one furthest behind plan comes first."""
    names = dict(zip(people["manager_id"].astype(int), people["name"], strict=True))
    weakest = int(people.sort_values("completion_amount", na_position="last").iloc[0]["manager_id"])
    return st.selectbox(
        t("dashboard.manager"),
        list(names),
        index=list(names).index(weakest),
        format_func=names.get,
        key=PlanFact.CALCULATOR_MANAGER,
        help=t("plan.weakest_first"),
    )


def assumptions(db, who: Actor, manager_id: int, choice: Choice) -> plan_fact.Assumptions:
    return plan_fact.assumptions(
        db,
        who,
        manager_id=manager_id,
        today=choice.today,
        zone=resources.settings().zone,
        pipeline_id=choice.pipeline_id,
    )


def what_if(gap: float, basis: plan_fact.Assumptions, whose: tuple) -> int | None:
    """The gap, win rate and average deal, each open to another value (kept per manager, period and
    pipeline: `whose`), and the deals they need."""
    inputs = st.columns(4)
    gap = inputs[0].number_input(
        t("plan.gap"), min_value=0.0, value=gap, step=1000.0, key=PlanFact.WHAT_IF("gap", *whose)
    )
    win_rate = inputs[1].number_input(
        t("funnel.funnel_win_rate") + ", %",
        min_value=0.0,
        max_value=100.0,
        value=round((basis.win_rate or 0) * 100, 1),
        step=1.0,
        key=PlanFact.WHAT_IF("win_rate", *whose),
    )
    average = inputs[2].number_input(
        t("funnel.average_deal"),
        min_value=0.0,
        value=round(basis.average_deal or 0.0, 2),
        step=500.0,
        key=PlanFact.WHAT_IF("average", *whose),
    )
    needed = plan_fact.deals_needed(gap, average, win_rate / 100)
    inputs[3].metric(t("plan.deals_needed"), format.or_dash(lambda n: format.count(n, language()))(needed))
    if needed is None:
        st.warning(t("plan.cannot_estimate"))
    return needed


def plans_editor(actor: Actor, choice: Choice, managers: list[UserInfo], teams: list[TeamInfo]) -> None:
    st.subheader(t("plan.plans"))
    # A month's plans are edited with the rest of its quarter.
    period = choice.period
    shown_period = period if period.kind != PeriodKind.MONTH else Period.containing(PeriodKind.QUARTER, period.first)
    if message := st.session_state.pop(PlanFact.COPY_MESSAGE, None):
        st.success(message)
    target = (
        st.segmented_control(
            t("plan.target"),
            TARGETS,
            default="target_amount",
            format_func=lambda name: t(f"field.{name}"),
            key=PlanFact.TARGET,
        )
        or "target_amount"
    )
    stored = read(plans.list_plans, actor, period=shown_period, pipeline_id=choice.pipeline_id, team_id=choice.team_id)
    st.caption(t("plan.grid_caption") if actor.oversees else t("plan.read_only"))
    if message := PLANS_GRID.refusal():
        st.error(message)
    months = shown_period.months
    headers = {"who": t("plan.who"), "total": t("plan.total")} | {m.isoformat(): f"{m:%b %Y}" for m in months}
    edit = plan_grid(
        plans_frame(stored, grid_rows(actor, choice, managers, teams), months, target),
        headers,
        editable=actor.oversees,
        key=PLANS_GRID.key(target, shown_period, choice.pipeline_id, choice.team_id),
        decimals=target == "target_amount",
    )
    if actor.oversees and edit is not None and PLANS_GRID.is_new(edit.at):
        PLANS_GRID.save(
            lambda db: plans.set_target(
                db,
                actor,
                month=edit.month,
                user_id=edit.user_id,
                team_id=edit.team_id,
                pipeline_id=choice.pipeline_id,
                field=target,
                value=edit.value,
            ),
            success=t("plan.saved"),
        )
    if actor.oversees:
        copy_form(actor, choice, shown_period)
        history(actor)


def grid_rows(actor: Actor, choice: Choice, managers: list[UserInfo], teams: list[TeamInfo]) -> list[tuple[str, str]]:
    """The grid's rows: (row key, label), "user:ID" for a manager, "team:ID" for a team."""
    if not actor.sees_everyone:
        return [(f"user:{actor.id}", next((u.display_name for u in managers if u.id == actor.id), ""))]
    in_scope = [u for u in managers if choice.team_id is None or u.team_id == choice.team_id]
    return [(f"user:{u.id}", u.display_name) for u in in_scope] + [
        (f"team:{team.id}", t("plan.team_row", team=team.name))
        for team in teams
        if choice.team_id is None or team.id == choice.team_id
    ]


def history(actor: Actor) -> None:
    zone = resources.settings().zone
    with st.expander(t("plan.history")):
        changes = read(plans.plan_history, actor, limit=50)
        changes["target"] = changes["target"].map(lambda name: t(f"field.{name}"))
        changes["at"] = [format.moment(moment, zone) for moment in changes["at"]]
        st.dataframe(
            changes,
            hide_index=True,
            width="stretch",
            column_config={name: t(f"plan.history_{name}") for name in changes.columns},
        )


def copy_form(actor: Actor, choice: Choice, shown: Period) -> None:
    """Copy the plans of one period onto another, raised (or lowered) by a percentage. It starts from
    the copy most likely wanted, never onto plans already set when another is offered; Copy first
    names how many plans it writes and how many of them replace plans already set; Confirm writes."""
    scope = {"team_id": choice.team_id, "pipeline_id": choice.pipeline_id}
    suggested = read(plans.suggested_copy, actor, shown=shown, earlier=PERIODS_BACK, later=PERIODS_AHEAD, **scope)
    sources = [shown.shifted(step) for step in range(1, -PERIODS_BACK - 1, -1)]  # the latest first
    targets = [shown.shifted(step) for step in range(0, PERIODS_AHEAD + 1)]
    with st.form(PlanFact.COPY, border=True):
        st.markdown(f"**{t('plan.copy_title')}**")
        columns = st.columns([2, 2, 1, 1], vertical_alignment="bottom")
        source = columns[0].selectbox(
            t("plan.copy_from"),
            sources,
            index=sources.index(suggested[0]),
            format_func=str,
            key=PlanFact.COPY_SOURCE(shown, *scope.values()),
        )
        target = columns[1].selectbox(
            t("plan.copy_to"),
            targets,
            index=targets.index(suggested[1]),
            format_func=str,
            key=PlanFact.COPY_TARGET(shown, *scope.values()),
        )
        uplift = columns[2].number_input(
            t("plan.uplift"),
            min_value=-100.0,
            max_value=1000.0,
            value=10.0,
            step=1.0,
            key=PlanFact.COPY_UPLIFT(shown),
        )
        submitted = columns[3].form_submit_button(t("plan.copy"), type="primary")
        st.caption(t("plan.copy_caption"))
    request = (source, target, uplift, choice.team_id, choice.pipeline_id)
    if submitted:
        COPYING.ask(request)
    if not COPYING.waits(request):
        return
    try:
        preview = read(plans.preview_copy, actor, source=source, target=target, **scope)
    except ValidationError as error:
        COPYING.forget()
        st.error(field_errors(error))
        return
    if not preview.copied:
        COPYING.forget()
        st.info(t("plan.copy_nothing", source=str(source)))
        return
    question = t(
        "plan.copy_question" if preview.replaced else "plan.copy_question_new",
        count=preview.copied,
        replaced=preview.replaced,
        source=str(source),
        target=str(target),
        uplift=f"{uplift:+g}",
    )
    if not COPYING.confirmed(question, confirm=t("plan.copy_confirm")):
        return
    outcome = perform(
        lambda db: plans.copy_plans(db, actor, source=source, target=target, uplift_percent=uplift, **scope),
    )
    if outcome.ok:
        st.session_state[PlanFact.COPY_MESSAGE] = t(
            "plan.copied", count=outcome.value, source=str(source), target=str(target)
        )
        PLANS_GRID.redraw()


page()

"""Funnel: the cohort funnel of a pipeline and period, its rates, time in stage, lost deals and the
diagnosis; live."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from functools import partial

import pandas as pd
import streamlit as st

from core import pipelines, users
from core.analytics import change, diagnosis, funnel, history
from core.analytics.behind import Behind, deals_behind
from core.analytics.filters import FunnelFilter
from core.analytics.rates import TOO_FEW, differs, wilson
from core.clock import utcnow
from core.definitions import definition
from core.live import data_version
from core.periods import DateRange, Period, PeriodKind
from core.permissions import Actor
from ui import behind as ui_behind
from ui import format, pickers, resources, session, url_state
from ui.actions import figures, live, read
from ui.behind import Asked, asked_in, choose, deals_button, panel
from ui.charts import funnel_chart, localised, monthly_trend_chart, stage_bars, waterfall_chart
from ui.downloads import download_buttons
from ui.i18n import language, t
from ui.navigation import deal_line
from ui.periods import PRESETS, period, previous, year_before
from ui.slippage import slippage_section
from ui.state import Funnel

CATEGORIES = ("source", "region", "segment")
VIEWS = ("funnel", "bars", "trend")
ALL_PIPELINES = "all"  # the pipeline picker's choice of every pipeline (in the address: ?pipeline=all)
ADDRESS = ("pipeline", "period", "from", "to", "compare", "team", *CATEGORIES)  # the filters' names in the URL
CHANGES_ADDRESS = ("changes", "changes_from", "changes_to", "closing", "moved")  # the pipeline changes' names


def page() -> None:
    actor = session.actor()
    st.title(t("funnel.title"))
    pipeline_list = pickers.active_pipelines()
    funnel_filter, compare_ids = filters(actor, pipeline_list)

    @live
    def live_funnel(version: int) -> None:
        shown(figures(version, funnel_figures, actor, funnel_filter, compare_ids), actor, funnel_filter)

    live_funnel()
    if funnel_filter.pipeline_id is not None:  # the open pipeline's changes are per stage
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
    address.restore("pipeline", Funnel.PIPELINE, default=ids[0], options=[*ids, ALL_PIPELINES])
    names = {p.id: p.name for p in pipeline_list} | {ALL_PIPELINES: t("funnel.all_pipelines")}
    chosen_pipeline = row[0].selectbox(t("field.pipeline_id"), list(names), format_func=names.get, key=Funnel.PIPELINE)
    pipeline_id = None if chosen_pipeline == ALL_PIPELINES else chosen_pipeline
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
        "rates": funnel.win_rates(db, who, funnel_filter),
        "trend": funnel.monthly_trend(db, who, funnel_filter),
        "lost": funnel.lost_analysis(db, who, funnel_filter),
        "compare": {},
    }
    if funnel_filter.pipeline_id is None:  # every pipeline: no stage funnel, no figure per stage
        return result | {"funnel": None, "time": None, "findings": []}
    result["funnel"] = funnel.cohort_funnel(db, who, funnel_filter)
    result["late"] = funnel.late_stages(db, who, funnel_filter)
    result["time"] = funnel.time_in_stage(db, who, funnel_filter, now=now)
    result["findings"] = diagnosis.diagnose(
        db, who, funnel_filter, now=now, funnel=result["funnel"], stays=result["time"]
    )
    for manager_id in compare:
        mine = FunnelFilter(**{**funnel_filter.__dict__, "owner_ids": (manager_id,)})
        result["compare"][users.get_user(db, manager_id).display_name] = funnel.cohort_funnel(db, who, mine)
    return result


def shown(data: dict, actor: Actor, funnel_filter: FunnelFilter) -> None:
    version = read(data_version)

    def deals_of(part: str) -> None:
        """The panel of the deals behind the figure asked for in `part` of the page, if one was."""
        asked = asked_in(Funnel.BEHIND, part)
        if asked is not None:
            panel(Funnel.BEHIND, asked, figures(version, _behind, actor, funnel_filter, asked.figure, asked.args))

    ui_behind.kept(Funnel.BEHIND, lambda: offered(data))
    tiles(data["rates"])
    deals_of("tiles")
    if data["funnel"] is None:
        st.info(t("funnel.per_pipeline"))
        trend_chart(data, (funnel_filter.date_from, funnel_filter.date_to))
        lost_table(data["lost"])
        deals_of("lost")
        return
    change_section(actor, funnel_filter, version)
    chart(data, (funnel_filter.date_from, funnel_filter.date_to))
    deals_of("chart")
    diagnosis_panel(data["findings"], data["funnel"])
    funnel_table(data["funnel"], data["late"])
    deals_of("table")
    if data["compare"]:
        comparison(data["funnel"], data["compare"])
    left, right = st.columns(2)
    with left:
        time_table(data["time"])
    with right:
        lost_table(data["lost"])
    deals_of("time")
    deals_of("lost")


TILE_FIGURES = ("created", "win_rate_closed", "funnel_win_rate", "average_deal", "cycle")


def offered(data: dict) -> Iterator[Asked]:
    """Every list of deals the page offers with these figures: a tile's, a stage's (bar or row), a
    stage's stays, a lost row's."""
    yield from (Asked("tiles", figure) for figure in TILE_FIGURES)
    if data["funnel"] is not None:
        for _, row in data["funnel"].iterrows():
            yield from (_stage_asked(part, row) for part in ("chart", "table"))
        for _, row in data["time"].iterrows():
            yield from (_time_asked(row, column) for column in ("stays", "open_now"))
    yield from (_lost_asked(row) for _, row in data["lost"].iterrows())


def _stage_asked(part: str, row) -> Asked:
    """The deals that reached a stage of the funnel (a bar's, a row's): of the won stage, those won."""
    figure = "cohort_won" if row["kind"] == "won" else "reached"
    return Asked(part, figure, row["stage"], (int(row["stage_id"]),))


def _time_asked(row, column: str) -> Asked:
    """A time-in-stage cell's deals: a stay's column, the stays that ended in the period; an open one's,
    the deals in the stage now."""
    figure = "open_now" if column.startswith("open") else "time_in_stage"
    return Asked("time", figure, row["stage"], (int(row["stage_id"]),))


def _lost_asked(row) -> Asked:
    label = f"{_stage_named(row['stage'])} · {_reason_named(row['reason'])}"
    return Asked("lost", "lost_reason", label, (int(row["stage_id"]), int(row["lost_reason_id"])))


def _behind(db, actor: Actor, funnel_filter: FunnelFilter, figure: str, args: tuple) -> Behind:
    """The deals behind one of the page's figures: a view of the shared figures, like the page's own."""
    return deals_behind(db, funnel.figure_deals(db, actor, funnel_filter, figure, *args))


RATES = {"win_rate_closed": ("won", "closed"), "funnel_win_rate": ("created_and_won", "created")}


def tiles(rates: dict) -> None:
    """The five tiles, each with its definition as help and a button listing its deals; a rate with its
    number of deals and its 90 % interval."""
    lang, currency = language(), resources.settings().currency
    rates = {**rates, "closed": rates["won"] + rates["lost"]}
    median_days, mean_days = rates["cycle_median_days"], rates["cycle_mean_days"]
    shown_as = {
        "created": format.count(rates["created"], lang),
        "win_rate_closed": format.percent(rates["win_rate_closed"]),
        "funnel_win_rate": format.percent(rates["funnel_win_rate"]),
        "average_deal": format.or_dash(lambda v: format.money_short(v, currency, lang))(rates["average_deal_size"]),
        "cycle": format.or_dash(lambda days: t("funnel.days", days=f"{days:.0f}"))(median_days),
    }
    for column, figure in zip(st.columns(len(TILE_FIGURES)), TILE_FIGURES, strict=True):
        value = shown_as[figure]
        help_text = ui_behind.help_of(figure)
        if figure == "cycle" and mean_days is not None:
            help_text += "\n\n" + t("funnel.cycle_help", mean=f"{mean_days:.1f}")
        column.metric(definition(figure).title[lang], value, help=help_text)
        if figure in RATES:
            successes, n = (rates[name] for name in RATES[figure])
            column.caption(sample(successes, n))
        else:  # the deals it is of: the cohort, or the deals won
            counted = rates["created"] if figure == "created" else rates["won"]
            column.caption(t("funnel.of_deals", n=format.count(counted, lang)))
        deals_button(Funnel.BEHIND, Asked("tiles", figure), key=Funnel.BEHIND_TILE(figure), where=column)


def sample(successes: int, n: int) -> str:
    """A rate's number of deals and its 90 % interval; "too few deals" below rates.TOO_FEW."""
    interval = wilson(successes, n)
    if interval is None:
        return t("funnel.too_few", n=0, low=format.DASH, high=format.DASH)
    low, high = (format.percent(bound) for bound in interval)
    return t("funnel.sample" if n >= TOO_FEW else "funnel.too_few", n=format.count(n, language()), low=low, high=high)


COMPARED = ("previous", "year_before", "none")


def change_section(actor: Actor, funnel_filter: FunnelFilter, version: int) -> None:
    """Why the funnel win rate changed against the period before (or the same one a year before): each
    step's part of the change, and the sources, regions and segments whose share of new deals moved."""
    compared = st.segmented_control(
        t("change.against"),
        COMPARED,
        format_func=lambda name: t(f"change.{name}"),
        key=Funnel.CHANGE_AGAINST,
        default="previous",
    )
    if compared in (None, "none"):
        return
    earlier = (previous if compared == "previous" else year_before)(funnel_filter.date_from, funnel_filter.date_to)
    before = replace(funnel_filter, date_from=earlier[0], date_to=earlier[1])
    found = figures(version, change.win_rate_change, actor, funnel_filter, before)
    period_text = f"{earlier[0]:%Y-%m-%d} — {earlier[1]:%Y-%m-%d}"
    if found is None:
        st.caption(t("change.nothing", period=period_text))
        return
    total = float(found.total)
    st.markdown(
        t(
            "change.summary",
            before=format.percent(float(found.before)),
            after=format.percent(float(found.after)),
            points=_points(total),
            period=period_text,
        )
    )
    steps = [step for step in found.steps if step.part or step.stage != change.ENTRY]
    names = [
        t("change.entry", stage=step.to_stage) if step.stage == change.ENTRY else f"{step.stage} → {step.to_stage}"
        for step in steps
    ]
    table = pd.DataFrame(
        {
            "step": names,
            "before": [float(step.before) * 100 for step in steps],
            "after": [float(step.after) * 100 for step in steps],
            "part": [float(step.part) * 100 for step in steps],
        }
    )
    if total:
        biggest = max(steps, key=lambda step: abs(step.part) if (step.part < 0) == (total < 0) else -1)
        st.caption(
            t("change.most", step=format.plain(names[steps.index(biggest)]), points=_points(float(biggest.part)))
        )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key=Funnel.CHANGE_TABLE,
        column_config={
            "step": t("change.step"),
            "before": st.column_config.NumberColumn(t("change.before"), format="%.1f %%"),
            "after": st.column_config.NumberColumn(t("change.after"), format="%.1f %%"),
            "part": st.column_config.NumberColumn(t("change.part"), format="%+.1f", help=t("change.part_help")),
        },
    )
    for shift in found.mix:
        st.caption(
            t(
                "change.mix",
                field=t(f"field.{shift.field}"),
                value=format.plain(shift.value),
                before=format.percent(float(shift.before)),
                after=format.percent(float(shift.after)),
            )
        )


def _points(share: float) -> str:
    """A change of a rate in percentage points, signed."""
    return t("change.points", points=f"{share * 100:+.1f}")


def chart(data: dict, period_of: tuple) -> None:
    address = url_state.Address("view")  # apart: the view is chosen in the live part, which reruns alone
    address.restore("view", Funnel.VIEW, default="funnel", options=VIEWS)
    view = st.segmented_control(t("funnel.view"), VIEWS, format_func=lambda v: t(f"funnel.view_{v}"), key=Funnel.VIEW)
    address.write()
    frame = data["funnel"]
    if view == "trend":
        trend_chart(data, period_of)
        return
    titles = {"count_title": t("column.deals"), "stage_title": t("column.stage")}
    if view == "bars":
        drawn = stage_bars(frame, **titles)
    else:
        drawn = funnel_chart(frame, **titles, amount_title=t("column.amount"))
    st.altair_chart(localised(drawn), width="stretch", key=Funnel.CHART, on_select=_bar_clicked, selection_mode="stage")
    for late in data["late"]:
        st.caption(
            t(
                "funnel.late_stage",
                stage=format.plain(late.stage),
                day=late.added_on.isoformat(),
                deals=format.count(late.counted, language()),
            )
        )
    st.caption(t("funnel.pick_hint"))


def trend_chart(data: dict, period_of: tuple) -> None:
    """The deals created per month of the period and their funnel win rate."""
    drawn = monthly_trend_chart(
        data["trend"],
        created_title=t("funnel.created"),
        win_rate_title=t("funnel.funnel_win_rate"),
        first=period_of[0],
        last=period_of[1],
        today=utcnow().astimezone(resources.settings().zone).date(),
        so_far=t("chart.so_far"),
    )
    st.altair_chart(localised(drawn), width="stretch")


def _bar_clicked() -> None:
    """A bar of the funnel was clicked: list the deals that reached its stage."""
    event = st.session_state.get(Funnel.CHART)
    points = (event.selection.get("stage") or []) if event else []
    if points and "stage_id" in points[0]:
        point = points[0]
        choose(Funnel.BEHIND, _stage_asked("chart", {"stage": "", "kind": None} | point))


def diagnosis_panel(findings: list[diagnosis.Finding], frame: pd.DataFrame) -> None:
    """What the diagnosis found, or that it found nothing after its four checks (or had too few deals)."""
    st.subheader(t("funnel.diagnosis"))
    if not findings:
        cohort = int(frame["reached"].iloc[0]) if len(frame) else 0
        if cohort < diagnosis.MIN_COHORT:
            st.info(t("funnel.diagnosis_small", n=diagnosis.MIN_COHORT))
        else:
            st.success(t("funnel.diagnosis_clear"))
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
    return t("funnel.days", days=f"{value:.0f}") if shape == "bottleneck" else format.percent(value)


def funnel_table(frame: pd.DataFrame, late: list[funnel.LateStage]) -> None:
    st.subheader(t("funnel.table"))
    added = {stage.stage_id: stage.added_on.isoformat() for stage in late}
    table = frame.drop(columns=["stage_id"]).assign(
        kind=[t(f"funnel.kind_{kind}") for kind in frame["kind"]],
        stage=[
            t("funnel.late_mark", stage=name, day=added[stage_id]) if stage_id in added else name
            for stage_id, name in zip(frame["stage_id"], frame["stage"], strict=True)
        ],
    )
    # Shares as text: the won row has no next step, and the grid draws a missing value as "None".
    table = format.as_texts(table, dict.fromkeys(SHARES, partial(format.share, language=language())))
    right = partial(st.column_config.TextColumn, alignment="right")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key=Funnel.TABLE,
        on_select=lambda: _row_clicked(Funnel.TABLE, frame, "table"),
        selection_mode="single-row",
        column_config={
            "stage": st.column_config.TextColumn(t("column.stage"), width="large" if late else None),
            "kind": t("editor.kind"),
            "reached": st.column_config.NumberColumn(t("funnel.reached"), help=_plain_help("reached")),
            "reached_amount": st.column_config.NumberColumn(
                t("column.amount"), format="localized", help=_plain_help("reached")
            ),
            "next_step_conversion": right(t("funnel.next_step"), help=_plain_help("next_step_conversion")),
            "cumulative_conversion": right(t("funnel.cumulative"), help=_plain_help("cumulative_conversion")),
        },
    )
    download_buttons(funnel.as_filed(frame.drop(columns=["stage_id"])), "funnel", key=Funnel.DOWNLOAD)


def _row_clicked(table_key: str, frame: pd.DataFrame, part: str) -> None:
    """A row of one of the tables was clicked: list the deals behind it (the funnel's: those that
    reached its stage; the lost table's: its lost deals)."""
    event = st.session_state.get(table_key)
    rows = event.selection.rows if event else []
    if not rows:
        return
    row = frame.iloc[rows[0]]
    choose(Funnel.BEHIND, {"table": partial(_stage_asked, "table"), "lost": _lost_asked}[part](row))


def _time_clicked(frame: pd.DataFrame) -> None:
    """A cell of the time in stage was clicked: list its stays, or the deals open in the stage now."""
    event = st.session_state.get(Funnel.TIME)
    cells = event.selection.get("cells", []) if event else []
    if cells:
        row, column = cells[0]
        choose(Funnel.BEHIND, _time_asked(frame.iloc[int(row)], str(column)))


def _plain_help(figure: str) -> str:
    """A column's help: what its figure counts, in one paragraph."""
    return definition(figure).formula[language()]


def _stage_named(stage) -> str:
    return t("funnel.no_stage") if format.missing(stage) else stage


def _reason_named(reason: str) -> str:
    return reason or t("funnel.no_reason")


SHARES = ("next_step_conversion", "cumulative_conversion")
TIME_COLUMNS = ("stays", "median_days", "mean_days", "open_now", "open_age_median_days", "open_age_mean_days")


def time_table(frame: pd.DataFrame) -> None:
    st.subheader(t("funnel.time_in_stage"))
    table = frame.drop(columns=["stage_id"]).round(1)
    # Days as text: a stage no stay left, or with no deal in it now, has none, which the grid draws as "None".
    days = [name for name in TIME_COLUMNS if name not in ("stays", "open_now")]
    shown_days = format.as_texts(table, dict.fromkeys(days, partial(format.number, places=1, language=language())))
    st.dataframe(
        shown_days,
        hide_index=True,
        width="stretch",
        key=Funnel.TIME,
        on_select=lambda: _time_clicked(frame),
        selection_mode="single-cell",
        column_config={"stage": t("column.stage")}
        | {
            name: (st.column_config.TextColumn if name in days else st.column_config.NumberColumn)(
                t(f"funnel.{name}"),
                help=_plain_help("open_now" if name.startswith("open") else "time_in_stage"),
                alignment="right",
            )
            for name in TIME_COLUMNS
        },
    )
    download_buttons(table, "time_in_stage", key=Funnel.TIME_DOWNLOAD)


def lost_table(frame: pd.DataFrame) -> None:
    st.subheader(t("funnel.lost"))
    table = frame.drop(columns=["stage_id", "lost_reason_id"]).assign(
        stage=[_stage_named(stage) for stage in frame["stage"]], reason=[_reason_named(r) for r in frame["reason"]]
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key=Funnel.LOST,
        on_select=lambda: _row_clicked(Funnel.LOST, frame, "lost"),
        selection_mode="single-row",
        column_config={
            "stage": t("column.stage"),
            "reason": t("funnel.reason"),
            "deals": st.column_config.NumberColumn(t("column.deals"), help=_plain_help("lost_reason")),
            "amount": st.column_config.NumberColumn(t("column.amount"), format="localized"),
        },
    )
    download_buttons(funnel.as_filed(table), "lost", key=Funnel.LOST_DOWNLOAD)


def comparison(frame: pd.DataFrame, compare: dict[str, pd.DataFrame]) -> None:
    """Each chosen manager's next-step conversions beside the team's; a cell coloured only where it
    differs from the rest of the team by more than chance (rates.differs)."""
    st.subheader(t("funnel.comparison"))
    steps = frame.index[:-1]  # the won row has no next step
    table = pd.DataFrame({t("funnel.team"): frame["next_step_conversion"].values[:-1]}, index=frame["stage"][:-1])
    colours = pd.DataFrame("", index=table.index, columns=[table.columns[0]])
    for name, theirs in compare.items():
        table[name] = theirs["next_step_conversion"].values[:-1]
        cells = []
        for i in steps:
            mine = (int(theirs["reached"].iloc[i + 1]), int(theirs["reached"].iloc[i]))
            rest = (int(frame["reached"].iloc[i + 1]) - mine[0], int(frame["reached"].iloc[i]) - mine[1])
            if not differs(mine, rest):
                cells.append("")
            else:
                below = mine[0] / mine[1] < rest[0] / rest[1]
                cells.append("background-color: #fde2e1" if below else "background-color: #e3f4e1")
        colours[name] = cells
    st.caption(t("funnel.comparison_significant", n=TOO_FEW))
    st.dataframe(
        table.style.apply(lambda _: colours, axis=None).format(format.percent),
        width="stretch",
        key=Funnel.COMPARISON,
    )


def changes_section(actor: Actor, funnel_filter: FunnelFilter) -> None:
    """What moved in the open pipeline between the ends of two days, when asked: shown or not, the days,
    the closing period and the bar opened are kept in the address."""
    today = utcnow().astimezone(resources.settings().zone).date()
    st.subheader(t("changes.title"), anchor=False)
    address = url_state.Address(*CHANGES_ADDRESS)  # apart from the filters: drawn after the live part
    address.restore("changes", Funnel.CHANGES_SHOWN, default=False, parse=url_state.flag)
    # Read from the deals' history, not the summary tables (seconds at a million deals): when asked.
    if st.toggle(t("changes.show"), key=Funnel.CHANGES_SHOWN):
        changes_shown(actor, funnel_filter, address, today)
    address.write()


def changes_shown(actor: Actor, funnel_filter: FunnelFilter, address: url_state.Address, today: date) -> None:
    """The changes between the ends of two days (a week by default), for the page's pipeline, team,
    source, region and segment: a waterfall, its table, and any bar's deals."""
    zone = resources.settings().zone
    st.caption(t("changes.caption"))
    row = st.columns([2, 2, 3])
    until_today = partial(url_state.day, latest=today)
    address.restore("changes_from", Funnel.CHANGES_FROM, default=today - timedelta(days=7), parse=until_today)
    day_from = row[0].date_input(t("changes.from"), max_value=today, key=Funnel.CHANGES_FROM)
    address.restore("changes_to", Funnel.CHANGES_TO, default=today, parse=until_today)
    day_to = row[1].date_input(t("changes.to"), max_value=today, key=Funnel.CHANGES_TO)
    closing = [None, *_closing_periods(today)]
    address.restore("closing", Funnel.CHANGES_CLOSING, default=None, options=closing)
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
        localised(waterfall_chart(drawn, amount_title=amount_title)),
        width="stretch",
        on_select="rerun",
        key=Funnel.CHANGES_CHART,
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
    address.restore("moved", Funnel.CHANGES_BUCKET, default=None, options=names)
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

"""Manager dashboard: activities, results, overdue and rotting work, the leaderboard; live."""

from collections.abc import Iterator

import pandas as pd
import streamlit as st

from core import users
from core.analytics import activity
from core.analytics.behind import Behind, activities_behind, deals_behind
from core.analytics.deal_list import overdue_activities
from core.analytics.rates import TOO_FEW, differs
from core.analytics.rotting import rotting_deals
from core.clock import utcnow
from core.periods import DateRange
from core.permissions import Actor
from ui import charts, format, pickers, resources, session, url_state
from ui.actions import figures, live, read
from ui.behind import Asked, asked_in, choose, deals_button, help_of, kept, panel
from ui.downloads import download_buttons
from ui.i18n import language, t
from ui.navigation import deal_line
from ui.periods import PRESETS, period, previous
from ui.slippage import slippage_section
from ui.state import Dashboard

LIST_LIMIT = 15  # the oldest overdue activities and the longest-idle deals; the tiles count them all
# Leaderboard and team view columns; for "overdue" fewer is better.
BOARD = ["won_amount", "won", "calls", "meetings", "win_rate_closed", "overdue"]
# The tiles: each figure, and whether it has a change against the previous period.
TILES = ("calls", "meetings", "overdue", "open_deals", "rotting", "won_amount", "win_rate_closed")
NOW_ONLY = ("overdue", "open_deals", "rotting")
ADDRESS = ("period", "team", "manager")  # the filters' names in the URL


def page() -> None:
    actor = session.actor()
    st.title(t("dashboard.title"))
    address = url_state.Address(*ADDRESS)
    row = st.columns(3)
    address.restore("period", Dashboard.PRESET, default="this_quarter", options=PRESETS[:-1])
    preset = row[0].selectbox(
        t("funnel.period"), PRESETS[:-1], format_func=lambda p: t(f"funnel.{p}"), key=Dashboard.PRESET
    )
    days = DateRange(*period(preset, utcnow().astimezone(resources.settings().zone).date()))
    before = DateRange(*previous(days.first, days.last))
    row[0].caption(f"{days.first:%Y-%m-%d} — {days.last:%Y-%m-%d}")
    team_id, manager_id = None, None if actor.sees_everyone else actor.id
    if actor.sees_everyone:
        team_id, manager_id = whose(row[1], row[2], address)
    address.write()

    @live
    def live_dashboard(version: int) -> None:
        data = figures(version, dashboard_figures, actor, days, before, team_id, manager_id)
        kept(Dashboard.BEHIND, lambda: offered(data["rows"]))
        places = shown(data, manager_id, days)
        owners = (manager_id,) if manager_id else tuple(int(i) for i in data["rows"]["manager_id"])
        for part in ("tiles", "leaderboard"):
            asked = asked_in(Dashboard.BEHIND, part)
            if asked is not None:
                whose = asked.args or owners
                found = figures(version, rows_behind, actor, asked.figure, whose, days.first, days.last)
                with places[part]:
                    panel(Dashboard.BEHIND, asked, found)

    live_dashboard()
    slippage_section(
        actor, days.first, days.last, where="dashboard", team_id=team_id, owner_ids=(manager_id,) if manager_id else ()
    )


def whose(team_column, manager_column, address: url_state.Address) -> tuple[int | None, int | None]:
    """The team (or the company) and the manager (or everyone in it) an executive looks at."""
    managers, teams = read(lambda db: (users.list_managers(db), users.list_teams(db)))
    address.restore("team", Dashboard.TEAM, default=None, options=[team.id for team in teams])
    team_id = pickers.team(teams, key=Dashboard.TEAM, everyone=t("dashboard.company"), where=team_column)
    in_scope = [u for u in managers if team_id is None or u.team_id == team_id]
    address.restore("manager", Dashboard.MANAGER, default=None, options=[u.id for u in in_scope])
    manager_id = pickers.manager(
        in_scope, key=Dashboard.MANAGER, everyone=t("dashboard.everyone"), where=manager_column
    )
    return team_id, manager_id


def dashboard_figures(
    db, who: Actor, days: DateRange, before: DateRange, team: int | None, manager: int | None
) -> dict:
    """Every figure of the dashboard, in one read."""
    now, zone = utcnow(), resources.settings().zone
    rows = activity.manager_activity(db, who, date_from=days.first, date_to=days.last, now=now, zone=zone, team_id=team)
    earlier = activity.manager_activity(
        db, who, date_from=before.first, date_to=before.last, now=now, zone=zone, team_id=team
    )
    owners = (manager,) if manager else tuple(int(i) for i in rows["manager_id"])
    return {
        "rows": rows,
        "earlier": earlier,
        "weekly": activity.weekly_activity(
            db, who, date_from=days.first, date_to=days.last, zone=zone, manager_ids=owners
        ),
        "overdue": overdue_activities(db, who, owner_ids=owners, now=now, limit=LIST_LIMIT),
        "rotting": rotting_deals(db, who, owner_ids=owners, now=now, limit=LIST_LIMIT),
    }


def shown(data: dict, manager_id: int | None, days: DateRange) -> dict:
    """The dashboard's parts; returns where each part's list of the deals behind a figure goes (under the
    tiles, under the leaderboard)."""
    places = {}
    tiles(subject(data["rows"], manager_id), subject(data["earlier"], manager_id))
    places["tiles"] = st.container()
    weekly_chart(data["weekly"], days)
    left, right = st.columns(2)
    with left:
        overdue_list(data["overdue"])
    with right:
        rotting_list(data["rotting"])
    leaderboard(data["rows"], manager_id)
    places["leaderboard"] = st.container()
    return places


# The registry's name of each tile's figure: the dashboard credits a closed deal to who closed it.
DEFINED = {name: name for name in TILES} | {"won_amount": "won_at_close", "win_rate_closed": "win_rate_at_close"}
# A leaderboard column's figure whose rows can be listed.
LISTED = {"won_amount": "won_at_close", "won": "won_at_close", "calls": "calls", "meetings": "meetings"}
LISTED |= {"win_rate_closed": "win_rate_at_close", "overdue": "overdue"}


def offered(rows: pd.DataFrame) -> Iterator[Asked]:
    """Every list the page offers with these figures: a tile's, a leaderboard cell's."""
    yield from (Asked("tiles", DEFINED[name]) for name in TILES)
    for manager in rows.itertuples():
        yield from (_cell_asked(manager, figure) for figure in dict.fromkeys(LISTED.values()))


def _cell_asked(manager, figure: str) -> Asked:
    return Asked("leaderboard", figure, str(manager.manager), (int(manager.manager_id),))


def rows_behind(db, actor: Actor, figure: str, owners: tuple[int, ...], first, last) -> Behind:
    """The deals or activities behind a tile or a leaderboard cell: a view of the shared figures."""
    found = activity.figure_rows(
        db, actor, figure, owner_ids=owners, date_from=first, date_to=last, now=utcnow(), zone=resources.settings().zone
    )
    return activities_behind(db, found) if figure in activity.OF_ACTIVITIES else deals_behind(db, found)


def subject(rows: pd.DataFrame, manager: int | None) -> dict:
    """The chosen manager's row, or the total of everyone shown."""
    label = t("dashboard.total")
    if manager is not None:
        chosen = rows[rows["manager_id"] == manager]
        return chosen.iloc[0].to_dict() if not chosen.empty else activity.totals(chosen, label).iloc[0].to_dict()
    return activity.totals(rows, label).iloc[0].to_dict()


def tiles(now_row: dict, then_row: dict) -> None:
    lang, currency = language(), resources.settings().currency
    shown_as = {
        "won_amount": lambda v: format.money_short(v, currency, lang),
        "win_rate_closed": format.percent,
    }
    # Two rows: seven tiles in one cut their labels and values on a laptop's screen.
    columns = [*st.columns(4), *st.columns(4)[:3]]
    for column, name in zip(columns, TILES, strict=True):
        value, earlier = now_row[name], then_row[name]
        delta = None
        if name not in NOW_ONLY and not format.missing(value) and not format.missing(earlier):
            delta = f"{(value - earlier):+.0%}" if name == "win_rate_closed" else f"{value - earlier:+,.0f}"
        help_text = help_of(DEFINED[name]) + ("\n\n" + t("dashboard.versus_previous") if delta is not None else "")
        column.metric(
            t(f"dashboard.{name}"),
            shown_as.get(name, lambda v: format.count(v, lang))(value),
            delta=delta,
            help=help_text,
        )
        deals_button(Dashboard.BEHIND, Asked("tiles", DEFINED[name]), key=Dashboard.BEHIND_TILE(name), where=column)


def weekly_chart(weekly: pd.DataFrame, days: DateRange) -> None:
    today = utcnow().astimezone(resources.settings().zone).date()
    names = {"calls": t("dashboard.calls"), "meetings": t("dashboard.meetings")}
    drawn = charts.weekly_chart(
        weekly,
        names=names,
        week_title=t("dashboard.week"),
        period=(days.first, days.last),
        today=today,
        so_far=t("chart.so_far"),
    )
    st.altair_chart(charts.localised(drawn), width="stretch")


def overdue_list(overdue: pd.DataFrame) -> None:
    zone = resources.settings().zone
    st.subheader(t("dashboard.overdue_list"))
    if overdue.empty:
        st.caption(t("tasks.none"))
    for item in overdue.itertuples():
        due = format.moment(item.due_at, zone)
        deal = item.deal if isinstance(item.deal, str) else "—"
        text = f"{due}  {t(f'activity.{item.kind}')}: {item.subject} — {deal} ({item.owner})"
        deal_line(text, item.deal_id, key=Dashboard.OVERDUE(item.id))


def rotting_list(rotting: pd.DataFrame) -> None:
    st.subheader(t("dashboard.rotting_list"))
    if rotting.empty:
        st.caption(t("tasks.none"))
    for item in rotting.itertuples():
        text = f"{item.title} — {item.stage}, {t('deal.days_in_stage', days=item.days_in_stage)} ({item.owner})"
        deal_line(text, item.id, key=Dashboard.ROTTING(item.id))


def leaderboard(rows: pd.DataFrame, manager_id: int | None) -> None:
    """Every manager's figures, coloured against the team median (the win rate: against the rest of the
    team, where the difference is unlikely to be chance), the chosen manager in bold; a cell lists its
    deals or activities."""
    board = rows[["manager_id", "manager", *BOARD]].sort_values("won_amount", ascending=False)
    closed = rows.set_index("manager_id")[["won", "lost"]]
    st.subheader(t("dashboard.leaderboard"))
    st.caption(t("dashboard.leaderboard_caption") + " " + t("dashboard.win_rate_caption", n=TOO_FEW))
    medians = board[BOARD].apply(pd.to_numeric).median()  # NaN where nobody has the figure

    def against_the_rest(manager: int) -> str:
        won, lost = (int(closed.loc[manager, name]) for name in ("won", "lost"))
        rest_won, rest_lost = int(closed["won"].sum()) - won, int(closed["lost"].sum()) - lost
        if not differs((won, won + lost), (rest_won, rest_won + rest_lost)):
            return ""
        better = won / (won + lost) > rest_won / (rest_won + rest_lost)
        return "background-color: #e3f4e1" if better else "background-color: #fde2e1"

    def colour(column: pd.Series) -> list[str]:
        if column.name not in BOARD:
            return ["font-weight: bold" if i == manager_id else "" for i in board["manager_id"]]
        if column.name == "win_rate_closed":
            return [against_the_rest(int(manager)) for manager in board["manager_id"]]
        values = pd.to_numeric(column)
        better = (values < medians[column.name]) if column.name == "overdue" else (values > medians[column.name])
        worse = (values > medians[column.name]) if column.name == "overdue" else (values < medians[column.name])
        return [
            "background-color: #e3f4e1" if b else "background-color: #fde2e1" if w else ""
            for b, w in zip(better, worse, strict=True)
        ]

    # The win rate as text: a manager with nothing closed has none, which the grid draws as "None".
    styled = format.as_texts(board, {"win_rate_closed": format.percent}).style.apply(colour)
    styled = styled.format({"won_amount": "{:,.0f}"})
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        key=Dashboard.LEADERBOARD,
        on_select=lambda: _cell_clicked(board),
        selection_mode="single-cell",
        column_config={"manager_id": None}
        | {name: t(f"dashboard.{name}") for name in ["manager", *BOARD]}
        | {"win_rate_closed": st.column_config.TextColumn(t("dashboard.win_rate_closed"), alignment="right")},
    )
    st.caption(t("dashboard.cell_hint"))
    download_buttons(board.drop(columns=["manager_id"]), "leaderboard", key=Dashboard.DOWNLOAD)


def _cell_clicked(board: pd.DataFrame) -> None:
    """A leaderboard cell was clicked: list its manager's deals or activities behind that figure."""
    event = st.session_state.get(Dashboard.LEADERBOARD)
    cells = event.selection.get("cells", []) if event else []
    if not cells or cells[0][1] not in LISTED:
        return
    row, column = cells[0]
    manager = next(board.iloc[[int(row)]].itertuples())
    choose(Dashboard.BEHIND, _cell_asked(manager, LISTED[column]))


page()

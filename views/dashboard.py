import altair as alt
import pandas as pd
import streamlit as st

from core import live, users
from core.analytics import activity
from core.analytics.deal_list import overdue_activities
from core.analytics.rotting import rotting_deals
from core.clock import utcnow
from core.permissions import Actor
from db.engine import transaction
from db.models import Role
from ui import format, resources, session
from ui.actions import shielded
from ui.downloads import download_buttons
from ui.i18n import language, t
from ui.periods import PRESETS, period, previous
from ui.state import DEALS_SELECTED_ID

LIVE_SECONDS = 5
LIST_LIMIT = 15  # the oldest overdue activities and the longest-idle deals; the tiles count them all
# Leaderboard and team view columns; for "overdue" fewer is better.
BOARD = ["won_amount", "won", "calls", "meetings", "win_rate_closed", "overdue"]

actor = session.actor()
settings = resources.settings()
lang = language()
st.title(t("dashboard.title"))

with transaction(resources.engine()) as db:
    managers = users.list_users(db, role=Role.MANAGER)
    teams = users.list_teams(db)
row = st.columns(3)
preset = row[0].selectbox(
    t("funnel.period"), PRESETS[:-1], index=2, format_func=lambda p: t(f"funnel.{p}"), key="dashboard_preset"
)
today = utcnow().astimezone(settings.zone).date()
date_from, date_to = period(preset, today)
before_from, before_to = previous(date_from, date_to)
row[0].caption(f"{date_from:%Y-%m-%d} — {date_to:%Y-%m-%d}")
team_id, manager_id = None, actor.id if actor.role == Role.MANAGER else None
if actor.role != Role.MANAGER:
    team_names = {team.id: team.name for team in teams}
    team_id = row[1].selectbox(
        t("field.team"),
        [None, *team_names],
        key="dashboard_team",
        format_func=lambda i: t("dashboard.company") if i is None else team_names[i],
    )
    in_scope = {u.id: u.display_name for u in managers if team_id is None or u.team_id == team_id}
    manager_id = row[2].selectbox(
        t("dashboard.manager"),
        [None, *in_scope],
        key="dashboard_manager",
        format_func=lambda i: t("dashboard.everyone") if i is None else in_scope[i],
    )


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def figures(version: int, who: Actor, dates: tuple, team: int | None, manager: int | None, hour: str) -> dict:
    """Every figure of the dashboard; recomputed only when the data version, the choice or the hour change."""
    now = utcnow()
    date_from, date_to, before_from, before_to = dates
    with transaction(resources.engine()) as db:
        rows = activity.manager_activity(
            db, who, date_from=date_from, date_to=date_to, now=now, zone=settings.zone, team_id=team
        )
        earlier = activity.manager_activity(
            db, who, date_from=before_from, date_to=before_to, now=now, zone=settings.zone, team_id=team
        )
        owners = (manager,) if manager else tuple(int(i) for i in rows["manager_id"])
        return {
            "rows": rows,
            "earlier": earlier,
            "weekly": activity.weekly_activity(
                db, who, date_from=date_from, date_to=date_to, zone=settings.zone, manager_ids=owners
            ),
            "overdue": overdue_activities(db, who, owner_ids=owners, now=now, limit=LIST_LIMIT),
            "rotting": rotting_deals(db, who, owner_ids=owners, now=now, limit=LIST_LIMIT),
        }


def subject(rows: pd.DataFrame, manager: int | None, label: str) -> dict:
    if manager is not None:
        chosen = rows[rows["manager_id"] == manager]
        return chosen.iloc[0].to_dict() if not chosen.empty else activity.totals(chosen, label).iloc[0].to_dict()
    return activity.totals(rows, label).iloc[0].to_dict()


def open_deal(deal_id: int) -> None:
    st.session_state[DEALS_SELECTED_ID] = int(deal_id)
    st.switch_page("views/deals.py")


@st.fragment(run_every=LIVE_SECONDS)
@shielded
def live_dashboard() -> None:
    with transaction(resources.engine()) as db:
        version = live.data_version(db)
    data = figures(
        version, actor, (date_from, date_to, before_from, before_to), team_id, manager_id, utcnow().strftime("%Y%m%d%H")
    )
    now_row = subject(data["rows"], manager_id, t("dashboard.total"))
    then_row = subject(data["earlier"], manager_id, t("dashboard.total"))

    tiles = st.columns(7)
    for column, (name, shown) in zip(
        tiles,
        (
            ("calls", lambda v: format.count(v, lang)),
            ("meetings", lambda v: format.count(v, lang)),
            ("overdue", lambda v: format.count(v, lang)),
            ("open_deals", lambda v: format.count(v, lang)),
            ("rotting", lambda v: format.count(v, lang)),
            ("won_amount", lambda v: format.money(v, settings.currency, lang)),
            ("win_rate_closed", lambda v: "—" if v is None else f"{v:.0%}"),
        ),
        strict=True,
    ):
        value, earlier = now_row[name], then_row[name]
        delta = None
        if name not in ("overdue", "open_deals", "rotting") and value is not None and earlier is not None:
            delta = f"{(value - earlier):+.0%}" if name == "win_rate_closed" else f"{value - earlier:+,.0f}"
        column.metric(
            t(f"dashboard.{name}"),
            shown(value),
            delta=delta,
            help=t("dashboard.versus_previous") if delta is not None else None,
        )

    weekly = data["weekly"].melt("week", var_name="kind", value_name="count")
    weekly["kind"] = weekly["kind"].map({"calls": t("dashboard.calls"), "meetings": t("dashboard.meetings")})
    st.altair_chart(
        alt.Chart(weekly)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:T", title=t("dashboard.week"), axis=alt.Axis(format="%d %b")),
            y=alt.Y("count:Q", title=None),
            color=alt.Color("kind:N", title=None),
        ),
        width="stretch",
    )

    left, right = st.columns(2)
    with left:
        st.subheader(t("dashboard.overdue_list"))
        if data["overdue"].empty:
            st.caption(t("tasks.none"))
        for item in data["overdue"].itertuples():
            text, button = st.columns([5, 1], vertical_alignment="center")
            due = item.due_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
            deal = item.deal if isinstance(item.deal, str) else "—"
            text.text(f"{due}  {t(f'activity.{item.kind}')}: {item.subject} — {deal} ({item.owner})")
            if pd.notna(item.deal_id) and button.button(t("tasks.open_deal"), key=f"overdue_{item.id}"):
                open_deal(item.deal_id)
    with right:
        st.subheader(t("dashboard.rotting_list"))
        if data["rotting"].empty:
            st.caption(t("tasks.none"))
        for item in data["rotting"].itertuples():
            text, button = st.columns([5, 1], vertical_alignment="center")
            text.text(f"{item.title} — {item.stage}, {t('deal.days_in_stage', days=item.days_in_stage)} ({item.owner})")
            if button.button(t("tasks.open_deal"), key=f"rotting_{item.id}"):
                open_deal(item.id)

    board = data["rows"][["manager_id", "manager", *BOARD]].sort_values("won_amount", ascending=False)
    st.subheader(t("dashboard.leaderboard"))
    st.caption(t("dashboard.leaderboard_caption"))
    medians = board[BOARD].apply(pd.to_numeric).median()  # NaN where nobody has the figure

    def colour(column: pd.Series) -> list[str]:
        if column.name not in BOARD:
            return ["font-weight: bold" if i == manager_id else "" for i in board["manager_id"]]
        values = pd.to_numeric(column)
        better = (values < medians[column.name]) if column.name == "overdue" else (values > medians[column.name])
        worse = (values > medians[column.name]) if column.name == "overdue" else (values < medians[column.name])
        return [
            "background-color: #e3f4e1" if b else "background-color: #fde2e1" if w else ""
            for b, w in zip(better, worse, strict=True)
        ]

    styled = board.style.apply(colour).format({"won_amount": "{:,.0f}", "win_rate_closed": "{:.0%}"}, na_rep="—")
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        key="dashboard_leaderboard",
        column_config={"manager_id": None} | {name: t(f"dashboard.{name}") for name in ["manager", *BOARD]},
    )
    download_buttons(board.drop(columns=["manager_id"]), "leaderboard", key="dashboard_download")


live_dashboard()

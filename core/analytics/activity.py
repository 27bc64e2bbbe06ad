"""Manager activity and results (SPEC §3 "Activities", "Rotting deal"), one row per manager,
aggregated in the database; team and company rows are sums of the numerators, not means of rates."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import literal_column, select
from sqlalchemy.orm import Session

from core.analytics import rates
from core.analytics.behind import Members
from core.analytics.rates import Rates, share
from core.analytics.rotting import rotting_counts, rotting_ids
from core.analytics.sums import members, summed
from core.periods import DateRange
from core.permissions import Actor, visible_owner_ids
from db.models import ActivityKind, Role, RollupIdle, Stage, StageKind, Team, User
from db.rollups.sources import ACTIVITIES, CLOSED, DONE_EVENTS, OPEN

UTC_ZONE = ZoneInfo("UTC")
COUNTS = [
    "calls",
    "meetings",
    "planned",
    "overdue",
    "done_with_due",
    "done_on_time",
    "open_deals",
    "open_amount",
    "rotting",
    "won",
    "won_amount",
    "lost",
]


def manager_activity(
    session: Session,
    actor: Actor,
    *,
    date_from: date,
    date_to: date,
    now: datetime,
    zone: ZoneInfo = UTC_ZONE,
    team_id: int | None = None,
    manager_ids: tuple[int, ...] = (),
) -> pd.DataFrame:
    """Per manager, for the period: calls and meetings done, activities planned (due in the period),
    overdue now, done-on-time share; open deals and amount, rotting deals; won (count, amount),
    closed win rate and average deal of the deals closed in the period. `now` is passed in, never
    read from the clock here. A manager sees only their own row."""
    frame = _managers(session, visible_owner_ids(actor, manager_ids), team_id)
    ids = frame["manager_id"].tolist()
    period = DateRange(date_from, date_to).bounds(zone)
    by_owner = {manager_id: dict.fromkeys(COUNTS, 0) for manager_id in ids}
    _count_activities(session, by_owner, period, now)
    for (owner,), deals in summed(session, OPEN, ("owner_id",), match={"owner_id": tuple(ids)}).items():
        by_owner[owner].update(open_deals=deals.count, open_amount=float(deals.amount))
    # Closed deals count for their owner at close, as the plan's fact does.
    closers = rates.closed(
        session, counted_for="closing_owner_id", match={"closing_owner_id": tuple(ids)}, period=period
    )
    for owner, counts in closers.items():
        if counts.won:
            by_owner[owner].update(won=counts.won, won_amount=float(counts.won_amount))
        by_owner[owner]["lost"] = counts.lost
    stages = session.scalars(select(Stage).where(Stage.deleted_at.is_(None))).all()
    for owner, count in rotting_counts(session, stages, now, ids).items():
        by_owner[owner]["rotting"] = count
    for name in COUNTS:
        frame[name] = [by_owner[manager_id][name] for manager_id in ids]
    return with_rates(frame)


# The dashboard's figures whose deals (or activities) can be listed, as core.definitions names them.
DASHBOARD_FIGURES = ("calls", "meetings", "overdue", "open_deals", "rotting", "won_at_close", "win_rate_at_close")
OF_ACTIVITIES = ("calls", "meetings", "overdue")


def figure_rows(
    session: Session,
    actor: Actor,
    figure: str,
    *,
    owner_ids: tuple[int, ...],
    date_from: date,
    date_to: date,
    now: datetime,
    zone: ZoneInfo = UTC_ZONE,
) -> Members:
    """The activities (calls, meetings, overdue) or deals behind one of manager_activity's figures for the
    owners given (a manager: their own), as manager_activity counts them: the page's click-through asks
    here. Closed deals count for their owner at close."""
    owners = visible_owner_ids(actor, owner_ids) or owner_ids
    period = DateRange(date_from, date_to).bounds(zone)
    if figure in ("calls", "meetings"):
        kind = ActivityKind.CALL if figure == "calls" else ActivityKind.MEETING
        match = {"owner_id": owners, "kind": (kind.value,), "event": DONE_EVENTS}
        return Members(
            members(session, ACTIVITIES, match=match, period=period), counted="activities", with_amount=False
        )
    if figure == "overdue":
        match = {"owner_id": owners, "event": ("open",)}
        rows = members(session, ACTIVITIES, match=match, period=(None, now))
        return Members(rows, counted="activities", with_amount=False)
    if figure == "open_deals":
        return Members(members(session, OPEN, match={"owner_id": owners}))
    if figure == "rotting":
        stages = session.scalars(select(Stage).where(Stage.deleted_at.is_(None))).all()
        rotting = rotting_ids(stages, now).where(RollupIdle.owner_id.in_(owners))
        rows = rotting.with_only_columns(RollupIdle.deal_id.label("row_id"), literal_column("1").label("deals"))
        return Members(rows.subquery(), with_amount=False)
    if figure in ("won_at_close", "win_rate_at_close"):
        rows = members(session, CLOSED, match={"closing_owner_id": owners}, period=period)
        if figure == "won_at_close":
            rows = select(rows).where(rows.c.status == StageKind.WON.value).subquery()
        return Members(rows)
    raise ValueError(f"no rows are listed behind {figure!r}")


def _managers(session: Session, manager_ids: tuple[int, ...], team_id: int | None) -> pd.DataFrame:
    """The active managers asked for (of a team; none asked for: all), by name."""
    people = (
        select(User.id, User.display_name, Team.name)
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.role == Role.MANAGER, User.is_active.is_(True))
    )
    if team_id is not None:
        people = people.where(User.team_id == team_id)
    if manager_ids:
        people = people.where(User.id.in_(manager_ids))
    return pd.DataFrame(
        session.execute(people.order_by(User.display_name)).all(), columns=["manager_id", "manager", "team"]
    )


def _count_activities(session: Session, by_owner: dict[int, dict], period: tuple, now: datetime) -> None:
    """Calls and meetings done in the period, on time or not; activities due in it; overdue now."""
    mine = {"owner_id": tuple(by_owner)}
    # Done in the period (keyed by the day done), due in it and still to do (by the day due).
    for (owner, kind, event), done in summed(
        session, ACTIVITIES, ("owner_id", "kind", "event"), match=mine, period=period
    ).items():
        figures, count = by_owner[owner], done.count
        if event in DONE_EVENTS:
            figures["calls"] += count if kind == ActivityKind.CALL else 0
            figures["meetings"] += count if kind == ActivityKind.MEETING else 0
            figures["done_with_due"] += count if event != "done_undated" else 0
            figures["done_on_time"] += count if event == "done_on_time" else 0
        elif event == "due":
            figures["planned"] += count
    overdue = summed(session, ACTIVITIES, ("owner_id",), match={**mine, "event": ("open",)}, period=(None, now))
    for (owner,), activities in overdue.items():
        by_owner[owner]["overdue"] = activities.count


def with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the ratios, each from its own numerator and denominator (None where there is nothing to divide)."""
    frame = frame.copy()
    frame["done_on_time_share"] = [
        share(a, b) for a, b in zip(frame["done_on_time"], frame["done_with_due"], strict=True)
    ]
    counts = [
        Rates(won=won, lost=lost, won_amount=amount)
        for won, lost, amount in zip(frame["won"], frame["lost"], frame["won_amount"], strict=True)
    ]
    frame["win_rate_closed"] = [row.win_rate_closed for row in counts]
    frame["average_deal"] = [row.average_deal for row in counts]
    return frame


def totals(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """One row summing the managers' counts, with its ratios recomputed from the sums."""
    row = {name: frame[name].sum() for name in COUNTS}
    return with_rates(pd.DataFrame([{"manager_id": None, "manager": label, "team": None, **row}]))


def weekly_activity(
    session: Session,
    actor: Actor,
    *,
    date_from: date,
    date_to: date,
    zone: ZoneInfo = UTC_ZONE,
    manager_ids: tuple[int, ...] = (),
) -> pd.DataFrame:
    """Calls and meetings done per week (weeks start on Monday) of the period, for the managers given
    (a manager: their own; nobody given: everyone)."""
    manager_ids = visible_owner_ids(actor, manager_ids)
    match = {"kind": (ActivityKind.CALL.value, ActivityKind.MEETING.value), "event": DONE_EVENTS}
    if manager_ids:
        match["owner_id"] = tuple(manager_ids)
    weeks, calls, meetings = [], [], []
    monday = date_from - timedelta(days=date_from.weekday())
    while monday <= date_to:
        week = DateRange(max(monday, date_from), min(monday + timedelta(days=6), date_to)).bounds(zone)
        done = summed(session, ACTIVITIES, ("kind",), match=match, period=week)
        weeks.append(monday)
        calls.append(done.get((ActivityKind.CALL.value,), ACTIVITIES.zero).count)
        meetings.append(done.get((ActivityKind.MEETING.value,), ACTIVITIES.zero).count)
        monday += timedelta(days=7)
    return pd.DataFrame({"week": weeks, "calls": calls, "meetings": meetings})

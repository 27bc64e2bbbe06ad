"""Manager activity and results (SPEC §3 "Activities", "Rotting deal"), one row per manager,
aggregated in the database; team and company rows are sums of the numerators, not means of rates."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.analytics.rotting import rotting_condition
from core.filters import day_bounds, visible_owner_ids
from core.permissions import Actor
from db.models import Activity, ActivityKind, Deal, Role, Stage, StageKind, Team, User

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
    manager_ids = visible_owner_ids(actor, manager_ids)
    start, end = day_bounds(date_from, date_to, zone)
    people = (
        select(User.id, User.display_name, Team.name)
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.role == Role.MANAGER, User.is_active.is_(True))
    )
    if team_id is not None:
        people = people.where(User.team_id == team_id)
    if manager_ids:
        people = people.where(User.id.in_(manager_ids))
    frame = pd.DataFrame(
        session.execute(people.order_by(User.display_name)).all(), columns=["manager_id", "manager", "team"]
    )
    ids = frame["manager_id"].tolist()

    # Three index ranges (done in the period, due in the period, not done and due before now) rather
    # than one pass over every activity of these owners.
    done_rows = session.execute(
        select(
            Activity.owner_id,
            func.count().filter(Activity.kind == ActivityKind.CALL),
            func.count().filter(Activity.kind == ActivityKind.MEETING),
            func.count().filter(Activity.due_at.is_not(None)),
            func.count().filter(Activity.due_at.is_not(None), Activity.done_at <= Activity.due_at),
        )
        .where(Activity.owner_id.in_(ids), Activity.done_at >= start, Activity.done_at < end)
        .group_by(Activity.owner_id)
    ).all()
    planned_rows = session.execute(
        select(Activity.owner_id, func.count())
        .where(Activity.owner_id.in_(ids), Activity.due_at >= start, Activity.due_at < end)
        .group_by(Activity.owner_id)
    ).all()
    overdue_rows = session.execute(
        select(Activity.owner_id, func.count())
        .where(Activity.owner_id.in_(ids), Activity.done_at.is_(None), Activity.due_at < now)
        .group_by(Activity.owner_id)
    ).all()
    open_rows = session.execute(
        select(Deal.owner_id, func.count(), func.coalesce(func.sum(Deal.amount), 0))
        .where(Deal.owner_id.in_(ids), Deal.status == StageKind.OPEN)
        .group_by(Deal.owner_id)
    ).all()
    # Closed deals count for their owner at close, as the plan's fact does.
    closed_rows = session.execute(
        select(
            Deal.closing_owner_id,
            func.count().filter(Deal.status == StageKind.WON),
            func.coalesce(func.sum(Deal.amount).filter(Deal.status == StageKind.WON), 0),
            func.count().filter(Deal.status == StageKind.LOST),
        )
        # Only closed deals have a closed_at: the range alone finds them, along the closed_at index.
        .where(Deal.closing_owner_id.in_(ids), Deal.closed_at >= start, Deal.closed_at < end)
        .group_by(Deal.closing_owner_id)
    ).all()
    stages = session.scalars(select(Stage).where(Stage.deleted_at.is_(None))).all()
    rotting_rows = session.execute(
        select(Deal.owner_id, func.count())
        .where(Deal.owner_id.in_(ids), rotting_condition(stages, now))
        .group_by(Deal.owner_id)
    ).all()

    by_owner = {manager_id: dict.fromkeys(COUNTS, 0) for manager_id in ids}
    for owner, calls, meetings, with_due, on_time in done_rows:
        by_owner[owner].update(calls=calls, meetings=meetings, done_with_due=with_due, done_on_time=on_time)
    for owner, planned in planned_rows:
        by_owner[owner]["planned"] = planned
    for owner, overdue in overdue_rows:
        by_owner[owner]["overdue"] = overdue
    for owner, open_deals, open_amount in open_rows:
        by_owner[owner].update(open_deals=open_deals, open_amount=float(open_amount))
    for owner, won, won_amount, lost in closed_rows:
        by_owner[owner].update(won=won, won_amount=float(won_amount), lost=lost)
    for owner, rotting in rotting_rows:
        by_owner[owner]["rotting"] = rotting
    for name in COUNTS:
        frame[name] = [by_owner[manager_id][name] for manager_id in ids]
    return with_rates(frame)


def with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the ratios, each from its own numerator and denominator (None where there is nothing to divide)."""
    frame = frame.copy()
    frame["done_on_time_share"] = [
        _share(a, b) for a, b in zip(frame["done_on_time"], frame["done_with_due"], strict=True)
    ]
    frame["win_rate_closed"] = [_share(w, w + lost) for w, lost in zip(frame["won"], frame["lost"], strict=True)]
    frame["average_deal"] = [_share(a, w) for a, w in zip(frame["won_amount"], frame["won"], strict=True)]
    return frame


def totals(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """One row summing the managers' counts, with its ratios recomputed from the sums."""
    row = {name: frame[name].sum() for name in COUNTS}
    return with_rates(pd.DataFrame([{"manager_id": None, "manager": label, "team": None, **row}]))


def _share(part: float, whole: float) -> float | None:
    return None if not whole else float(part) / float(whole)


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
    weeks = []
    monday = date_from - timedelta(days=date_from.weekday())
    while monday <= date_to:
        weeks.append(monday)
        monday += timedelta(days=7)
    week_of = case(
        *[
            (Activity.done_at < day_bounds(week, week, zone)[0] + timedelta(days=7), index)
            for index, week in enumerate(weeks)
        ],
        else_=None,
    )
    start, end = day_bounds(date_from, date_to, zone)
    query = (
        select(week_of, Activity.kind, func.count())
        .where(
            Activity.done_at >= start,
            Activity.done_at < end,
            Activity.kind.in_((ActivityKind.CALL, ActivityKind.MEETING)),
        )
        .group_by(week_of, Activity.kind)
    )
    if manager_ids:
        query = query.where(Activity.owner_id.in_(manager_ids))
    counts = {(int(index), str(kind)): n for index, kind, n in session.execute(query).all() if index is not None}
    return pd.DataFrame(
        {
            "week": weeks,
            "calls": [counts.get((i, "call"), 0) for i in range(len(weeks))],
            "meetings": [counts.get((i, "meeting"), 0) for i in range(len(weeks))],
        }
    )

"""The deals behind a figure: the rows a figure counts (core.analytics.sums.members), listed with what a
person needs to recognise each deal, and their count and sum, which are the figure's."""

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Subquery, func, null, select
from sqlalchemy.orm import Session

from db.models import Activity, Company, Deal, Stage, User

LIST_LIMIT = 1000  # the deals listed at most, largest first; the count and the sum are of all of them
COLUMNS = ["id", "title", "company", "stage", "status", "amount", "owner", "created_at", "closed_at", "counted"]
ACTIVITY_COLUMNS = ["id", "kind", "subject", "deal_id", "deal", "owner", "due_at", "done_at"]


@dataclass(frozen=True)
class Members:
    """The rows a figure counts: `rows` (sums.members), the column that counts them (deals, or stays for
    the time in a stage: a deal may stay in a stage twice) and whether they carry an amount."""

    rows: Subquery
    counted: str = "deals"
    with_amount: bool = True


@dataclass(frozen=True)
class Behind:
    rows: pd.DataFrame  # COLUMNS: the first `limit` deals, largest amount first; `counted`: its stays (or 1)
    count: int  # what the figure counts: deals (stays), all of them
    deals: int  # the distinct deals (or activities), all of them
    amount: float | None  # their summed amount, where the figure has one
    of_activities: bool = False  # rows are ACTIVITY_COLUMNS

    @property
    def complete(self) -> bool:
        """Whether every deal is listed."""
        return len(self.rows) == self.deals


def deals_behind(session: Session, members: Members, *, limit: int = LIST_LIMIT) -> Behind:
    """The deals behind a figure, the largest first (then by id), at most `limit` of them; the count and
    the amount of all of them, summed over every deal by the same query (the members are read once)."""
    rows = members.rows
    sums = [func.sum(rows.c[members.counted]).label("counted")]
    sums += [func.sum(rows.c.amount).label("amount")] if members.with_amount else []
    per_deal = select(rows.c.row_id, *sums).group_by(rows.c.row_id).subquery()
    of_all = [
        func.sum(per_deal.c.counted).over(),
        func.count().over(),
        func.sum(per_deal.c.amount).over() if members.with_amount else null(),
    ]
    query = (
        select(
            Deal.id,
            Deal.title,
            Company.name,
            Stage.name,
            Deal.status,
            Deal.amount,
            User.display_name,
            Deal.created_at,
            Deal.closed_at,
            per_deal.c.counted,
            *of_all,
        )
        .join(per_deal, per_deal.c.row_id == Deal.id)
        .join(Stage, Stage.id == Deal.stage_id)
        .join(User, User.id == Deal.owner_id)
        .outerjoin(Company, Company.id == Deal.company_id)
        .order_by(Deal.amount.desc(), Deal.id)
        .limit(limit)
    )
    found = session.execute(query).all()
    count, deals, total = found[0][len(COLUMNS) :] if found else (0, 0, 0)
    frame = pd.DataFrame([row[: len(COLUMNS)] for row in found], columns=COLUMNS)
    frame["amount"] = frame["amount"].astype(float)
    frame["counted"] = frame["counted"].astype(int)
    return Behind(frame, int(count), int(deals), float(total or 0) if members.with_amount else None)


def activities_behind(session: Session, members: Members, *, limit: int = LIST_LIMIT) -> Behind:
    """The activities behind a figure (calls, meetings, overdue), the latest due first (then by id), at
    most `limit` of them; their count of all."""
    rows = members.rows
    count = session.scalar(select(func.coalesce(func.sum(rows.c[members.counted]), 0)))
    query = (
        select(
            Activity.id,
            Activity.kind,
            Activity.subject,
            Activity.deal_id,
            Deal.title,
            User.display_name,
            Activity.due_at,
            Activity.done_at,
        )
        .where(Activity.id.in_(select(rows.c.row_id)))
        .outerjoin(Deal, Deal.id == Activity.deal_id)
        .join(User, User.id == Activity.owner_id)
        .order_by(Activity.due_at.is_(None), Activity.due_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=ACTIVITY_COLUMNS)
    return Behind(frame, int(count), int(count), None, of_activities=True)

"""The pipeline on a past day, reconstructed from the deals' history (SPEC §3).

A deal's stage at a moment is the target of its last stage transition up to then; any other field's
value is the old value of its first change after that moment (deal_changes), or its current value
when none came after. A deal counts in the pipeline of day D when it was created by the end of D and
its stage then was open. Amounts are weighted with the stages' probabilities of today.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import (
    Integer,
    Numeric,
    String,
    Subquery,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from core.analytics.funnel import pipeline_frame
from core.analytics.sums import period_rows, rows_only, summed
from core.errors import ValidationError
from core.messages import Message
from core.periods import DateRange
from core.permissions import Actor, visible_owner_ids
from db.models import Deal, DealChange, Stage, StageKind, StageTransition, User
from db.rollups.sources import CHANGES, CLOSED, CREATED, FLOW, MOVED, REASSIGNED
from db.types import CENTS, day_number


def pipeline_as_of(
    session: Session, actor: Actor, pipeline_id: int, day: date, zone, *, owner_ids: tuple[int, ...] = ()
) -> pd.DataFrame:
    """The open deals at the end of `day` (in `zone`) in each open stage of the pipeline: count, amount
    then, and amount × the stage's probability today; the columns of the current pipeline. A stage
    deleted since shows when deals were in it that day. Owners are the owners of that day: a manager
    sees the deals that were theirs."""
    _, moment = DateRange(day, day).bounds(zone)  # the start of the next day: everything of `day`
    owners = visible_owner_ids(actor, owner_ids)
    per_stage = {
        stage_id: (deals, round(float(amount), 2))
        for stage_id, deals, amount in _flowed(session, pipeline_id, moment, owners)
    }
    stages = session.scalars(
        select(Stage)
        .where(Stage.pipeline_id == pipeline_id, Stage.kind == StageKind.OPEN)
        .order_by(Stage.position, Stage.id)
    )
    shown = [stage for stage in stages if stage.deleted_at is None or stage.id in per_stage]
    return pipeline_frame(shown, per_stage)


def _flowed(session: Session, pipeline_id: int, moment: datetime, owners) -> list[tuple[int, int, Decimal]]:
    """(stage id, deals, amount) of the pipeline's deals open at `moment` (of `owners` then, when
    given): the sum of the open pipeline's changes before it (rollup_flow)."""
    match = {"pipeline_id": (pipeline_id,)} | ({"owner_id": tuple(sorted(owners))} if owners else {})
    sums = summed(session, FLOW, ("stage_id",), match=match, period=(None, moment))
    return [(stage_id, total.deals, total.amount) for (stage_id,), total in sorted(sums.items()) if total.deals]


def _open_then(
    session: Session,
    pipeline_id: int,
    moment: datetime,
    *,
    owners=(),
    chosen: list | None = None,
    closing_in: DateRange | None = None,
) -> list[tuple[int, int, Decimal]]:
    """(stage id, deals, amount in cents) of the pipeline's deals open at `moment`: in the stage of
    their last transition before it, with the amount, owner (among `owners`, when given) and expected
    close date (in `closing_in`, when given) of then; `chosen`, conditions on the deals as they are."""
    last_move = (
        select(
            StageTransition.deal_id,
            StageTransition.to_stage_id.label("stage_id"),
            func.row_number()
            .over(partition_by=StageTransition.deal_id, order_by=(StageTransition.at.desc(), StageTransition.id.desc()))
            .label("latest"),
        )
        .join(Deal, Deal.id == StageTransition.deal_id)
        .where(Deal.pipeline_id == pipeline_id, Deal.created_at < moment, StageTransition.at < moment, *(chosen or []))
        .subquery()
    )
    amount_then = _value_after("amount", moment)
    # In cents, as the amounts are stored (db.types.Money).
    cents = func.coalesce(cast(amount_then.c.old_value, Numeric(20, 2)) * int(CENTS), Deal.amount, type_=Numeric())
    query = (
        select(last_move.c.stage_id, func.count(), func.coalesce(func.sum(cents, type_=Numeric()), 0))
        .join(Deal, Deal.id == last_move.c.deal_id)
        .join(Stage, Stage.id == last_move.c.stage_id)
        .outerjoin(amount_then, and_(amount_then.c.deal_id == Deal.id, amount_then.c.first == 1))
        .where(last_move.c.latest == 1, Stage.kind == StageKind.OPEN)
        .group_by(last_move.c.stage_id)
    )
    if owners:
        owner_then = _value_after("owner_id", moment)
        owner = func.coalesce(cast(owner_then.c.old_value, Integer), Deal.owner_id)
        query = query.outerjoin(owner_then, and_(owner_then.c.deal_id == Deal.id, owner_then.c.first == 1))
        query = query.where(owner.in_(sorted(owners)))
    if closing_in:
        close_then = _value_after("expected_close_date", moment)
        # ISO dates as text: the stored old value, or today's date written the same way.
        close = case(
            (close_then.c.deal_id.is_not(None), close_then.c.old_value),
            else_=cast(Deal.expected_close_date, String),
        )
        query = query.outerjoin(close_then, and_(close_then.c.deal_id == Deal.id, close_then.c.first == 1))
        query = query.where(close.between(closing_in.first.isoformat(), closing_in.last.isoformat()))
    return [tuple(row) for row in session.execute(query)]


def _value_after(field: str, moment: datetime | None, deal_ids: list[int] | None = None):
    """Each deal's changes of `field` from `moment` on (None: all), the first of them numbered 1: its
    old value is the deal's value at `moment` (at its creation)."""
    query = select(
        DealChange.deal_id,
        DealChange.old_value,
        func.row_number().over(partition_by=DealChange.deal_id, order_by=(DealChange.at, DealChange.id)).label("first"),
    ).where(DealChange.field == field)
    if moment is not None:
        query = query.where(DealChange.at >= moment)
    if deal_ids is not None:
        query = query.where(DealChange.deal_id.in_(deal_ids))
    return query.subquery()


# --- what changed between two days -------------------------------------------------------------------

# The waterfall's bars between the start and the end, in their order.
BUCKETS = (
    "new",
    "won",
    "lost",
    "reopened",
    "amount_increased",
    "amount_decreased",
    "moved_forward",
    "moved_backward",
    "reassigned_in",
    "reassigned_out",
    "pulled_in",
    "pushed_out",
)
CHUNK = 1_000  # ids per IN list


@dataclass(frozen=True)
class _State:
    stage_id: int
    amount: Decimal
    owner_id: int
    expected_close_date: date | None


@dataclass(frozen=True)
class Bucket:
    name: str
    amount: Decimal = Decimal(0)  # what its changes added to the pipeline (negative: took away)
    deals: int = 0  # the deals that made them


@dataclass
class PipelineChanges:
    """The open pipeline at the end of day A, what changed it up to the end of day B (each bucket the
    sum of its changes' amounts, and how many deals made them), and the pipeline at the end of B:
    start + Σ buckets = end."""

    start_amount: Decimal
    start_deals: int
    buckets: list[Bucket]
    end_amount: Decimal
    end_deals: int


@dataclass(frozen=True)
class _Looked:
    """The part of the open pipeline the changes are of, and the moments [start, end) between them."""

    pipeline_id: int
    start: datetime
    end: datetime
    owners: frozenset[int]  # owners of the time (none: every owner)
    chosen: tuple  # conditions on the deals as they are now
    closing_in: DateRange | None

    @property
    def replayed(self) -> bool:
        """rollup_changes keeps neither the categories nor the expected close dates: those deals are
        replayed (and every deal, when reading from the rows: to compare the two)."""
        return bool(self.chosen or self.closing_in) or rows_only()


def _looked_at(
    session: Session,
    actor: Actor,
    pipeline_id: int,
    day_from: date,
    day_to: date,
    zone,
    owner_ids: tuple[int, ...],
    team_id: int | None,
    categories: dict[str, str | None] | None,
    closing_in: DateRange | None,
) -> _Looked:
    if day_to < day_from:
        raise ValidationError({"to": Message("report.to_before_from")})
    owners = set(visible_owner_ids(actor, owner_ids))
    if team_id is not None:
        members = set(session.scalars(select(User.id).where(User.team_id == team_id)))
        owners = owners & members if owners else members or {0}  # a team without members: nobody's deals
    _, start = DateRange(day_from, day_from).bounds(zone)
    _, end = DateRange(day_to, day_to).bounds(zone)
    chosen = tuple(getattr(Deal, name) == value for name, value in (categories or {}).items() if value is not None)
    return _Looked(pipeline_id, start, end, frozenset(owners), chosen, closing_in)


def pipeline_changes(
    session: Session,
    actor: Actor,
    pipeline_id: int,
    day_from: date,
    day_to: date,
    zone,
    *,
    owner_ids: tuple[int, ...] = (),
    team_id: int | None = None,
    categories: dict[str, str | None] | None = None,
    closing_in: DateRange | None = None,
) -> PipelineChanges:
    """What moved between the end of `day_from` and the end of `day_to` in the open pipeline — of
    these owners or of the team's members (owners of the day; a manager: their own deals), of the
    deals whose source, region or segment is the one given (as it is now), and with `closing_in`, of
    the deals expected to close in it.

    Each change adds to its bucket the amount by which it changed the deal's part of the pipeline: a
    new deal its amount, a won or lost one minus its amount, an amount edit the difference, a
    reassignment into or out of the owners, an expected close date moved into or out of `closing_in`,
    the deal's amount; a move between open stages nothing (it is counted, forward or backward by the
    stages' order). A deal changed several times counts in each bucket by the sum of its changes
    there, and once among its deals. The buckets are rollup_changes summed over the period; with a
    category or `closing_in`, the changed deals replayed."""
    looked = _looked_at(session, actor, pipeline_id, day_from, day_to, zone, owner_ids, team_id, categories, closing_in)
    if looked.replayed:
        ends = [
            [
                (stage_id, deals, Decimal(cents) / CENTS)
                for stage_id, deals, cents in _open_then(
                    session,
                    pipeline_id,
                    moment,
                    owners=looked.owners,
                    chosen=list(looked.chosen),
                    closing_in=closing_in,
                )
            ]
            for moment in (looked.start, looked.end)
        ]
        per_bucket = {name: (amount, len(ids)) for name, (amount, ids) in _replayed_buckets(session, looked).items()}
    else:
        ends = [_flowed(session, pipeline_id, moment, looked.owners) for moment in (looked.start, looked.end)]
        per_bucket = _summed_buckets(session, looked)
    (start_deals, start_amount), (end_deals, end_amount) = (
        (sum(row[1] for row in rows), sum((row[2] for row in rows), Decimal(0))) for rows in ends
    )
    buckets = [Bucket(name, *per_bucket.get(name, (Decimal(0), 0))) for name in BUCKETS]
    return PipelineChanges(start_amount, start_deals, buckets, end_amount, end_deals)


def _bucket_rows(looked: _Looked) -> Subquery:
    """rollup_changes' rows of the period (name: the bucket, None when the owners looked at see no
    change; deal_id; amount), each reassignment in or out and each move forward or backward."""
    rows = period_rows(CHANGES, {"pipeline_id": (looked.pipeline_id,)}, (looked.start, looked.end)).subquery()
    was, now = aliased(Stage), aliased(Stage)
    moved = case((now.position > was.position, literal("moved_forward")), else_=literal("moved_backward"))
    owners = sorted(looked.owners)
    reassigned, amount, mine = null(), null(), true()
    if owners:
        into = and_(rows.c.owner_after.in_(owners), rows.c.owner_before.not_in(owners))
        out_of = and_(rows.c.owner_before.in_(owners), rows.c.owner_after.not_in(owners))
        reassigned = case((into, literal("reassigned_in")), (out_of, literal("reassigned_out")))
        amount = case((into, rows.c.amount), (out_of, -rows.c.amount))
        mine = or_(rows.c.bucket == REASSIGNED, rows.c.owner_after.in_(owners))
    return (
        select(
            case((rows.c.bucket == MOVED, moved), (rows.c.bucket == REASSIGNED, reassigned), else_=rows.c.bucket).label(
                "name"
            ),
            rows.c.deal_id,
            case((rows.c.bucket == REASSIGNED, amount), else_=rows.c.amount).label("amount"),
        )
        .outerjoin(was, was.id == rows.c.stage_before)
        .outerjoin(now, now.id == rows.c.stage_after)
        .where(mine)
        .subquery()
    )


def _summed_buckets(session: Session, looked: _Looked) -> dict[str, tuple[Decimal, int]]:
    rows = _bucket_rows(looked)
    query = (
        select(
            rows.c.name, type_coerce(func.sum(rows.c.amount), Deal.amount.type), func.count(distinct(rows.c.deal_id))
        )
        .where(rows.c.name.is_not(None))
        .group_by(rows.c.name)
    )
    return {name: (amount, deals) for name, amount, deals in session.execute(query)}


def _replayed_buckets(session: Session, looked: _Looked) -> dict[str, tuple[Decimal, set[int]]]:
    """Each bucket's amount and deals, from a replay of every deal that changed in the period: from its
    state at the start, each of its changes in order."""
    stages = {
        stage.id: stage for stage in session.scalars(select(Stage).where(Stage.pipeline_id == looked.pipeline_id))
    }
    owners, closing_in = looked.owners, looked.closing_in

    def part(state: _State | None) -> Decimal | None:
        """The deal's amount when it is in the pipeline looked at, else None."""
        if state is None or stages[state.stage_id].kind != StageKind.OPEN:
            return None
        if owners and state.owner_id not in owners:
            return None
        if closing_in and not (
            state.expected_close_date and closing_in.first <= state.expected_close_date <= closing_in.last
        ):
            return None
        return state.amount

    start, end = looked.start, looked.end
    # Only the deals that changed between the ends are replayed: the others count the same in both.
    in_pipeline = [Deal.pipeline_id == looked.pipeline_id, Deal.created_at < end, *looked.chosen]
    moved = select(StageTransition.deal_id).join(Deal, Deal.id == StageTransition.deal_id)
    moved = moved.where(StageTransition.at >= start, StageTransition.at < end, *in_pipeline)
    edited = select(DealChange.deal_id).join(Deal, Deal.id == DealChange.deal_id)
    edited = edited.where(DealChange.field.in_(_REPLAYED), DealChange.at >= start, DealChange.at < end, *in_pipeline)
    changed = sorted(set(session.scalars(moved)) | set(session.scalars(edited)))
    at_start = _states(session, changed, start)
    created = _states(session, [deal_id for deal_id in changed if deal_id not in at_start], None)
    events = _events(session, changed, start, end, created)
    found: dict[str, tuple[Decimal, set[int]]] = {}
    for deal_id in changed:
        state = at_start.get(deal_id)
        for event in events.get(deal_id, ()):
            before, state = state, event.applied(state)
            name = _bucket(event, before, state, stages, part(before), part(state))
            if name is not None:
                amount, ids = found.get(name, (Decimal(0), set()))
                found[name] = (amount + (part(state) or Decimal(0)) - (part(before) or Decimal(0)), ids | {deal_id})
    return found


def bucket_deals(
    session: Session,
    actor: Actor,
    pipeline_id: int,
    day_from: date,
    day_to: date,
    zone,
    bucket: str,
    *,
    owner_ids: tuple[int, ...] = (),
    team_id: int | None = None,
    categories: dict[str, str | None] | None = None,
    closing_in: DateRange | None = None,
    limit: int = 200,
) -> tuple[pd.DataFrame, int]:
    """The `limit` largest deals of one bucket of pipeline_changes (the same arguments) as they are
    now (id, title, stage, owner, amount), and how many it has."""
    looked = _looked_at(session, actor, pipeline_id, day_from, day_to, zone, owner_ids, team_id, categories, closing_in)
    if looked.replayed:
        ids = sorted(_replayed_buckets(session, looked).get(bucket, (0, set()))[1])
        parts, total = [Deal.id.in_(ids[begin : begin + CHUNK]) for begin in range(0, len(ids), CHUNK)], len(ids)
    else:
        rows = _bucket_rows(looked)
        parts = [Deal.id.in_(select(rows.c.deal_id).where(rows.c.name == bucket))]
        total = session.scalar(select(func.count(distinct(rows.c.deal_id))).where(rows.c.name == bucket))
    found = []
    for part in parts:
        found += session.execute(
            select(Deal.id, Deal.title, Stage.name, User.display_name, Deal.amount)
            .join(Stage, Stage.id == Deal.stage_id)
            .join(User, User.id == Deal.owner_id)
            .where(part)
            .order_by(Deal.amount.desc(), Deal.id)
            .limit(limit)
        ).all()
    found = sorted(found, key=lambda row: (-row.amount, row.id))[:limit]
    frame = pd.DataFrame(found, columns=["id", "title", "stage", "owner", "amount"])
    frame["amount"] = frame["amount"].astype(float)
    return frame, total


def changes_table(changes: PipelineChanges, *, every_bucket: bool = False) -> pd.DataFrame:
    """The waterfall as rows: "start", each bucket with changes (or every one), "end"; the deals and
    amount of each (a bucket's amount is what it added; negative, what it took away)."""
    rows = [("start", changes.start_deals, float(changes.start_amount))]
    rows += [
        (bucket.name, bucket.deals, float(bucket.amount)) for bucket in changes.buckets if bucket.deals or every_bucket
    ]
    rows.append(("end", changes.end_deals, float(changes.end_amount)))
    return pd.DataFrame(rows, columns=["bucket", "deals", "amount"])


# --- slippage: expected close dates pushed later ----------------------------------------------------------


@dataclass(frozen=True)
class Slippage:
    """The deals whose expected close date was pushed later in a period, and how each manager's did."""

    managers: pd.DataFrame  # manager_id, manager, open_deals, slipped, share, pushes, average_push_days
    deals: pd.DataFrame  # id, title, owner, pushes, days (the most pushed first)
    pushed_deals: int  # how many deals were pushed (the list shows the first `limit`)


def slippage(
    session: Session,
    actor: Actor,
    date_from: date,
    date_to: date,
    zone,
    *,
    pipeline_id: int | None = None,
    team_id: int | None = None,
    owner_ids: tuple[int, ...] = (),
    limit: int = 50,
) -> Slippage:
    """Pushes of the expected close date to a later day made in the period (edits in the deals'
    history), of the deals of these owners, a team's or (a manager) their own, by the deal's owner now.
    Per manager: the deals open at some time in the period, the share of them pushed, the pushes and
    the average push in days. The deals: pushes and days pushed in all, the most pushed first."""
    start, end = DateRange(date_from, date_to).bounds(zone)
    owners = set(visible_owner_ids(actor, owner_ids))
    if team_id is not None:
        members = set(session.scalars(select(User.id).where(User.team_id == team_id)))
        owners = owners & members if owners else members or {0}  # a team without members: nobody's deals
    match = ({"pipeline_id": (pipeline_id,)} if pipeline_id is not None else {}) | (
        {"owner_id": tuple(sorted(owners))} if owners else {}
    )
    scope = [getattr(Deal, name).in_(values) for name, values in match.items()]
    days = day_number(DealChange.new_value) - day_number(DealChange.old_value)
    pushes = (
        select(DealChange.deal_id, func.count().label("pushes"), func.sum(days).label("days"))
        .join(Deal, Deal.id == DealChange.deal_id)
        .where(
            DealChange.field == "expected_close_date",
            DealChange.at >= start,
            DealChange.at < end,
            DealChange.old_value.is_not(None),
            DealChange.new_value > DealChange.old_value,  # ISO dates: later is greater
            *scope,
        )
        .group_by(DealChange.deal_id)
        .subquery()
    )
    per_owner = session.execute(
        select(Deal.owner_id, func.count(), func.sum(pushes.c.pushes), func.sum(pushes.c.days))
        .join(pushes, pushes.c.deal_id == Deal.id)
        .group_by(Deal.owner_id)
    ).all()
    # Open at some time in the period: created before its end, less those closed before its start.
    created = summed(session, CREATED, ("owner_id",), match=match, period=(None, end))
    closed = summed(session, CLOSED, ("owner_id",), match=match, period=(None, start))
    open_then = {
        owner: total.deals - (closed[(owner,)].deals if (owner,) in closed else 0)
        for (owner,), total in created.items()
    }
    open_then = {owner: deals for owner, deals in open_then.items() if deals}
    names = dict(session.execute(select(User.id, User.display_name)).all())
    slipped = {owner: (deals, int(count), int(total)) for owner, deals, count, total in per_owner}
    managers = pd.DataFrame(
        [
            (
                owner,
                names.get(owner, "?"),
                open_deals,
                slipped.get(owner, (0, 0, 0))[0],
                slipped.get(owner, (0, 0, 0))[0] / open_deals if open_deals else None,
                slipped.get(owner, (0, 0, 0))[1],
                slipped[owner][2] / slipped[owner][1] if owner in slipped else None,
            )
            for owner, open_deals in sorted(open_then.items(), key=lambda item: names.get(item[0], ""))
        ],
        columns=["manager_id", "manager", "open_deals", "slipped", "share", "pushes", "average_push_days"],
    )
    rows = session.execute(
        select(Deal.id, Deal.title, User.display_name, pushes.c.pushes, pushes.c.days)
        .join(pushes, pushes.c.deal_id == Deal.id)
        .join(User, User.id == Deal.owner_id)
        .order_by(pushes.c.pushes.desc(), pushes.c.days.desc(), Deal.id)
        .limit(limit)
    ).all()
    deals = pd.DataFrame(rows, columns=["id", "title", "owner", "pushes", "days"])
    return Slippage(managers, deals, sum(deals for deals, _, _ in slipped.values()))


# The fields whose changes the replay follows beside the stage (what decides a deal's part).
_REPLAYED = ("amount", "owner_id", "expected_close_date")


@dataclass(frozen=True)
class _Event:
    at: datetime
    order: int  # at the same moment a field change comes before the stage change (a won deal's amount)
    id: int
    kind: str  # "stage" or a field of _REPLAYED
    value: Any
    created: _State | None = None  # a creation's: the deal as it was created

    def applied(self, state: _State | None) -> _State | None:
        if self.kind == "stage":
            return replace(state, stage_id=self.value) if state is not None else self.created
        return replace(state, **{self.kind: self.value}) if state is not None else None


def _bucket(
    event: _Event, before: _State | None, after: _State | None, stages: dict, was: Decimal | None, now: Decimal | None
) -> str | None:
    """The bucket of a change of the deal from `before` to `after` (its part: `was`, `now`)."""
    if event.kind == "stage":
        if before is None:
            return "new" if now is not None else None
        kind = stages[after.stage_id].kind
        if kind != StageKind.OPEN:
            return ("won" if kind == StageKind.WON else "lost") if was is not None else None
        if stages[before.stage_id].kind != StageKind.OPEN:
            return "reopened" if now is not None else None
        if was is None and now is None:
            return None
        ahead = stages[after.stage_id].position > stages[before.stage_id].position
        return "moved_forward" if ahead else "moved_backward"
    if was is None and now is None:
        return None
    if event.kind == "amount":
        if was is None or now is None or was == now:
            return None
        return "amount_increased" if now > was else "amount_decreased"
    if was is not None and now is not None:
        return None
    if event.kind == "owner_id":
        return "reassigned_in" if now is not None else "reassigned_out"
    return "pulled_in" if now is not None else "pushed_out"


def _states(session: Session, deal_ids: list[int], moment: datetime | None) -> dict[int, _State]:
    """The deals that existed at `moment` as they were then; with None, as they were created."""
    found = {}
    for begin in range(0, len(deal_ids), CHUNK):
        ids = deal_ids[begin : begin + CHUNK]
        moves = select(
            StageTransition.deal_id,
            StageTransition.to_stage_id,
            func.row_number()
            .over(
                partition_by=StageTransition.deal_id,
                order_by=(StageTransition.at, StageTransition.id)
                if moment is None
                else (StageTransition.at.desc(), StageTransition.id.desc()),
            )
            .label("n"),
        ).where(StageTransition.deal_id.in_(ids))
        if moment is not None:
            moves = moves.where(StageTransition.at < moment)
        moves = moves.subquery()
        later = {name: _value_after(name, moment, ids) for name in _REPLAYED}
        query = select(
            Deal.id,
            moves.c.to_stage_id,
            Deal.amount,
            Deal.owner_id,
            Deal.expected_close_date,
            *(later[name].c.old_value.label(f"{name}_then") for name in _REPLAYED),
            *(later[name].c.deal_id.label(f"{name}_changed") for name in _REPLAYED),
        ).join(moves, and_(moves.c.deal_id == Deal.id, moves.c.n == 1))
        for name in _REPLAYED:
            query = query.outerjoin(later[name], and_(later[name].c.deal_id == Deal.id, later[name].c.first == 1))
        for row in session.execute(query):
            values = row._mapping
            current = {"amount": row.amount, "owner_id": row.owner_id, "expected_close_date": row.expected_close_date}
            found[row.id] = _State(
                row.to_stage_id,
                **{
                    name: _decoded(name, values[f"{name}_then"])
                    if values[f"{name}_changed"] is not None
                    else current[name]
                    for name in _REPLAYED
                },
            )
    return found


def _events(
    session: Session, deal_ids: list[int], start: datetime, end: datetime, created: dict[int, _State]
) -> dict[int, list[_Event]]:
    """Each deal's stage and field changes from `start` up to `end`, in order."""
    found: dict[int, list[_Event]] = {}
    for begin in range(0, len(deal_ids), CHUNK):
        ids = deal_ids[begin : begin + CHUNK]
        moves = session.execute(
            select(StageTransition.deal_id, StageTransition.at, StageTransition.id, StageTransition.to_stage_id).where(
                StageTransition.deal_id.in_(ids), StageTransition.at >= start, StageTransition.at < end
            )
        )
        for deal_id, at, row_id, stage_id in moves:
            found.setdefault(deal_id, []).append(_Event(at, 1, row_id, "stage", stage_id, created.get(deal_id)))
        edits = session.execute(
            select(DealChange.deal_id, DealChange.at, DealChange.id, DealChange.field, DealChange.new_value).where(
                DealChange.deal_id.in_(ids),
                DealChange.field.in_(_REPLAYED),
                DealChange.at >= start,
                DealChange.at < end,
            )
        )
        for deal_id, at, row_id, name, value in edits:
            found.setdefault(deal_id, []).append(_Event(at, 0, row_id, name, _decoded(name, value)))
    for events in found.values():
        events.sort(key=lambda event: (event.at, event.order, event.id))
    return found


def _decoded(name: str, value: str | None) -> Any:
    """A stored value of a replayed field (db.history.encoded) as the deal holds it."""
    if value is None:
        return None
    if name == "amount":
        return Decimal(value)
    if name == "owner_id":
        return int(value)
    return date.fromisoformat(value)

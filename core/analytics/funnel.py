"""Funnel metrics (SPEC §3), aggregated in the database."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.analytics import rates
from core.analytics.behind import Members
from core.analytics.filters import DealFilter, FunnelFilter, Scope, deal_conditions, funnel_scope
from core.analytics.rates import share
from core.analytics.sums import Sums, mean_days, median_days, members, summed
from core.clock import utcnow
from core.permissions import Actor, visible_owner_ids
from db.models import Deal, LostReason, Pipeline, Stage, StageKind
from db.rollups.sources import CATEGORIES, CLOSED, CREATED, CYCLES, LOST, OPEN, SECONDS_PER_DAY, STAYS, stages_by_bit
from db.types import epoch_seconds, whole_seconds

CURRENT_PIPELINE_COLUMNS = [
    "stage_id",
    "stage",
    "position",
    "probability",
    "color",
    "deals",
    "amount",
    "weighted_amount",
]


def current_pipeline(
    session: Session, actor: Actor, deal_filter: DealFilter, *, now: datetime | None = None
) -> pd.DataFrame:
    """The open deals now in each open stage: count, amount, and amount × stage probability.

    A manager sees their own deals; executives and admins see everyone's (or the owners filtered).
    """
    stages = _open_stages(session, deal_filter.pipeline_id)
    owners = visible_owner_ids(actor, deal_filter.owner_ids)
    if replace(deal_filter, owner_ids=()) == DealFilter(deal_filter.pipeline_id):
        match = {"pipeline_id": (deal_filter.pipeline_id,), **({"owner_id": owners} if owners else {})}
        open_now = summed(session, OPEN, ("stage_id",), match=match)
        per_stage = {stage_id: (deals.count, deals.amount) for (stage_id,), deals in open_now.items()}
    else:  # the workspace's filters (stages, text, rotting, overdue) are not kept in the rollup
        conditions = deal_conditions(session, actor, deal_filter, now or utcnow())
        rows = session.execute(
            select(Deal.stage_id, func.count(), func.sum(Deal.amount))
            .where(Deal.status == StageKind.OPEN, *conditions)
            .group_by(Deal.stage_id)
        )
        per_stage = {stage_id: (deals, amount) for stage_id, deals, amount in rows}
    return pipeline_frame(stages, per_stage)


def pipeline_frame(stages: list[Stage], per_stage: dict[int, tuple[int, float]]) -> pd.DataFrame:
    """The current pipeline's columns: each stage with its deals and amount (stage id → (count,
    amount); none: 0), and the amount weighted by its probability."""
    records = []
    for stage in stages:
        deals, amount = per_stage.get(stage.id, (0, 0))
        records.append((stage.id, stage.name, stage.position, stage.probability, stage.color, deals, float(amount)))
    frame = pd.DataFrame(records, columns=CURRENT_PIPELINE_COLUMNS[:-1])
    frame["weighted_amount"] = (frame["amount"] * frame["probability"] / 100).round(2)
    return frame


def _open_stages(session: Session, pipeline_id: int) -> list[Stage]:
    return list(
        session.scalars(
            select(Stage)
            .where(Stage.pipeline_id == pipeline_id, Stage.kind == StageKind.OPEN, Stage.deleted_at.is_(None))
            .order_by(Stage.position, Stage.id)
        )
    )


def _won_stage(session: Session, pipeline_id: int) -> Stage:
    return session.scalars(
        select(Stage).where(Stage.pipeline_id == pipeline_id, Stage.kind == StageKind.WON, Stage.deleted_at.is_(None))
    ).first()


COHORT_COLUMNS = [
    "stage_id",
    "stage",
    "kind",
    "reached",
    "reached_amount",
    "next_step_conversion",
    "cumulative_conversion",
]


def cohort_funnel(session: Session, actor: Actor, funnel_filter: FunnelFilter) -> pd.DataFrame:
    """The deals created in the period: for each open stage (current order) how many reached it and
    their amount, then the won row; with next-step and cumulative conversion (SPEC §3).

    A deal reached stage S if it ever entered S or a later open stage, or is won now; a lost deal
    reached the stages up to the furthest one it entered. Skipped stages count as passed.
    """
    stages = _open_stages(session, funnel_filter.pipeline_id)
    won = _won_stage(session, funnel_filter.pipeline_id)
    scope = funnel_scope(session, actor, funnel_filter)
    furthest = _furthest(session, funnel_filter.pipeline_id, stages)
    reached = [0] * len(stages)
    reached_amount = [Decimal(0)] * len(stages)
    won_count, won_amount = 0, Decimal(0)
    cohort = _over_period(session, scope, funnel_filter)(CREATED, ("entered_stages", "status"))
    for (entered, status), deals in cohort.items():
        for index in range(0, furthest(entered, status) + 1):
            reached[index] += deals.count
            reached_amount[index] += deals.amount
        if status == StageKind.WON:
            won_count += deals.count
            won_amount += deals.amount
    counts = [*reached, won_count]
    amounts = [*reached_amount, won_amount]
    records = []
    for index, stage in enumerate([*stages, won]):
        records.append(
            {
                "stage_id": stage.id,
                "stage": stage.name,
                "kind": stage.kind.value,
                "reached": counts[index],
                "reached_amount": float(amounts[index]),
                "next_step_conversion": share(counts[index + 1], counts[index]) if index < len(stages) else None,
                "cumulative_conversion": share(counts[index], counts[0]) if counts else None,
            }
        )
    return pd.DataFrame(records, columns=COHORT_COLUMNS)


@dataclass(frozen=True)
class LateStage:
    """An open stage added to its pipeline during the period: the deals created before it was added could
    not enter it, yet `counted` of them count as having reached it, as they reached a later stage."""

    stage_id: int
    stage: str
    added_on: date
    counted: int


def late_stages(session: Session, actor: Actor, funnel_filter: FunnelFilter) -> list[LateStage]:
    """The stages of cohort_funnel added after the period began whose count includes deals created
    before, that passed them without entering them (SPEC §3: a skipped stage counts as passed)."""
    stages = _open_stages(session, funnel_filter.pipeline_id)
    furthest = _furthest(session, funnel_filter.pipeline_id, stages)
    bits = stages_by_bit(session.connection(), funnel_filter.pipeline_id)
    scope = funnel_scope(session, actor, funnel_filter)
    found = []
    for index, stage in enumerate(stages):
        added_on = stage.added_at and stage.added_at.astimezone(funnel_filter.zone).date()
        if not added_on or added_on <= funnel_filter.date_from:
            continue
        before = replace(funnel_filter, date_to=min(funnel_filter.date_to, added_on - timedelta(days=1)))
        cohort = _over_period(session, scope, before)(CREATED, ("entered_stages", "status"))
        bit = 1 << bits.index(stage.id)
        counted = sum(
            deals.count
            for (entered, status), deals in cohort.items()
            if furthest(entered, status) >= index and not entered & bit
        )
        if counted:
            found.append(LateStage(stage.id, stage.name, added_on, counted))
    return found


def _furthest(session: Session, pipeline_id: int, stages: list[Stage]) -> Callable[[int, str], int]:
    """The index (in `stages`, the open stages in order) of the furthest stage a cohort deal reached, by
    the open stages it entered (entered_stages) and its status: a won deal has passed every one; -1, none."""
    rank = {stage.id: index for index, stage in enumerate(stages)}
    bits = stages_by_bit(session.connection(), pipeline_id)

    def furthest(entered: int, status: str) -> int:
        if status == StageKind.WON:
            return len(stages) - 1
        return max((rank.get(stage_id, -1) for bit, stage_id in enumerate(bits) if entered >> bit & 1), default=-1)

    return furthest


def created_deals(session: Session, actor: Actor, funnel_filter: FunnelFilter) -> Members:
    """The deals behind the cohort (win_rates' created, the funnel's first row's cohort): those created
    in the period."""
    scope = funnel_scope(session, actor, funnel_filter)
    rows = members(session, CREATED, match=scope.match, period=funnel_filter.bounds(), categories=scope.categories)
    return Members(rows)


def reached_deals(session: Session, actor: Actor, funnel_filter: FunnelFilter, stage_id: int) -> Members:
    """The deals behind one row of cohort_funnel: those of the cohort that reached the open stage, or
    for the won stage, those of the cohort won by now."""
    scope = funnel_scope(session, actor, funnel_filter)
    within = {"match": scope.match, "period": funnel_filter.bounds(), "categories": scope.categories}
    rows = members(session, CREATED, **within)
    stages = _open_stages(session, funnel_filter.pipeline_id)
    index = next((i for i, stage in enumerate(stages) if stage.id == stage_id), None)
    if index is None:  # the won stage (or a stage not in the funnel: nobody)
        won = _won_stage(session, funnel_filter.pipeline_id)
        passed = rows.c.status == (StageKind.WON.value if won is not None and won.id == stage_id else None)
    else:
        # The cohort's few paths (the open stages entered), read off the rollup: those that pass the stage.
        furthest = _furthest(session, funnel_filter.pipeline_id, stages)
        paths = summed(session, CREATED, ("entered_stages",), **within)
        entered = sorted(path for (path,) in paths if furthest(path, StageKind.OPEN) >= index)
        passed = or_(rows.c.status == StageKind.WON.value, rows.c.entered_stages.in_(entered))
    return Members(select(rows).where(passed).subquery())


def closed_deals(
    session: Session, actor: Actor, funnel_filter: FunnelFilter, status: StageKind | None = None
) -> Members:
    """The deals behind win_rates' won, lost (`status`) and closed win rate (both): those closed in the
    period, counted for their owner now."""
    scope = funnel_scope(session, actor, funnel_filter)
    rows = members(session, CLOSED, match=scope.match, period=funnel_filter.bounds(), categories=scope.categories)
    return Members(rows if status is None else select(rows).where(rows.c.status == status.value).subquery())


def cycle_deals(session: Session, actor: Actor, funnel_filter: FunnelFilter) -> Members:
    """The deals behind win_rates' sales cycle: those won in the period."""
    scope = funnel_scope(session, actor, funnel_filter)
    rows = members(session, CYCLES, match=scope.match, period=funnel_filter.bounds(), categories=scope.categories)
    return Members(rows, with_amount=False)


def as_filed(frame: pd.DataFrame) -> pd.DataFrame:
    """A funnel table as its CSV and the CLI give it: shares to four places, amounts to the cent."""
    shares = [name for name in ("next_step_conversion", "cumulative_conversion") if name in frame]
    amounts = [name for name in ("reached_amount", "amount") if name in frame]
    return frame.round({**dict.fromkeys(shares, 4), **dict.fromkeys(amounts, 2)})


def win_rates(session: Session, actor: Actor, funnel_filter: FunnelFilter) -> dict[str, float | int | None]:
    """Closed win rate, funnel win rate, average deal size and sales cycle (SPEC §3) of the funnel's
    deals, counted for their owner now; the cycle's median in completed days, its mean to the second."""
    scope = funnel_scope(session, actor, funnel_filter)
    within = {"match": scope.match, "period": funnel_filter.bounds(), "categories": scope.categories}
    counts = rates.total(rates.closed(session, counted_for="owner_id", **within).values())
    counts += rates.total(rates.created(session, **within).values())
    cycle = rates.sales_cycle(session, **within)
    return {
        "won": counts.won,
        "lost": counts.lost,
        "win_rate_closed": counts.win_rate_closed,
        "created": counts.created,
        "created_and_won": counts.created_and_won,
        "funnel_win_rate": counts.funnel_win_rate,
        "won_amount": float(counts.won_amount),
        "average_deal_size": counts.average_deal,
        "cycle_median_days": cycle.median_days,
        "cycle_mean_days": cycle.mean_days,
    }


def _over_period(session: Session, scope: Scope, funnel_filter: FunnelFilter) -> Callable[..., Sums]:
    """summed() over the funnel's deals in its period."""
    return partial(summed, session, match=scope.match, period=funnel_filter.bounds(), categories=scope.categories)


TIME_IN_STAGE_COLUMNS = [
    "stage_id",
    "stage",
    "stays",
    "median_days",
    "mean_days",
    "open_now",
    "open_age_median_days",
    "open_age_mean_days",
]


def time_in_stage(session: Session, actor: Actor, funnel_filter: FunnelFilter, *, now: datetime) -> pd.DataFrame:
    """For each open stage: the stays (entered → left) that ended in the period, their median in
    completed days and mean; and the age in the stage of the open deals sitting there now (median and
    mean, to the second)."""
    stages = _open_stages(session, funnel_filter.pipeline_id)
    scope = funnel_scope(session, actor, funnel_filter)
    stays = _over_period(session, scope, funnel_filter)(
        STAYS, ("stage_id", "days"), match={**scope.match, "stage_id": tuple(stage.id for stage in stages)}
    )
    histograms: dict[int, Sums] = {stage.id: {} for stage in stages}
    for (stage_id, days), lengths in stays.items():
        histograms[stage_id][(days,)] = lengths
    sitting = summed(session, OPEN, ("stage_id",), match=scope.match, categories=scope.categories)
    # The stage says the pipeline: the walk stays in the (stage, entered, owner) index.
    who = [getattr(Deal, name) == value for name, value in scope.categories]
    if "owner_id" in scope.match:
        who.append(Deal.owner_id.in_(scope.match["owner_id"]))
    now_seconds = whole_seconds(now)
    records = []
    for stage in stages:
        histogram = histograms[stage.id]
        deals = sitting.get((stage.id,), OPEN.zero)
        open_now = deals.count
        median_entered = _median_entered(session, stage.id, who, open_now)
        records.append(
            {
                "stage_id": stage.id,
                "stage": stage.name,
                "stays": sum(lengths.count for lengths in histogram.values()),
                "median_days": median_days(histogram),
                "mean_days": mean_days(histogram),
                "open_now": open_now,
                "open_age_median_days": _age(now_seconds, median_entered),
                "open_age_mean_days": _age(now_seconds, deals.entered_seconds / open_now if open_now else None),
            }
        )
    return pd.DataFrame(records, columns=TIME_IN_STAGE_COLUMNS)


def stay_deals(session: Session, actor: Actor, funnel_filter: FunnelFilter, stage_id: int) -> Members:
    """The deals behind one row of time_in_stage's stays: those whose stay in the stage ended in the
    period, each with its stays."""
    scope = funnel_scope(session, actor, funnel_filter)
    match = {**scope.match, "stage_id": (stage_id,)}
    rows = members(session, STAYS, match=match, period=funnel_filter.bounds(), categories=scope.categories)
    return Members(rows, counted="stays", with_amount=False)


def open_deals(session: Session, actor: Actor, funnel_filter: FunnelFilter, stage_id: int) -> Members:
    """The deals behind one row of time_in_stage's open now: the open deals in the stage (whenever made)."""
    scope = funnel_scope(session, actor, funnel_filter)
    return Members(members(session, OPEN, match={**scope.match, "stage_id": (stage_id,)}, categories=scope.categories))


def _age(now_seconds: int, entered_seconds: float | None) -> float | None:
    return None if entered_seconds is None else (now_seconds - entered_seconds) / SECONDS_PER_DAY


def _median_entered(session: Session, stage_id: int, who: list, count: int) -> float | None:
    """The median of when the `count` open deals in a stage entered it (epoch seconds), walked along
    the stage's deals in order of entry: only up to the middle, whatever the table holds."""
    if not count:
        return None
    middle = session.scalars(
        select(epoch_seconds(Deal.stage_entered_at))
        .where(Deal.stage_id == stage_id, *who)
        .order_by(Deal.stage_entered_at)
        .offset((count - 1) // 2)
        .limit(2 - count % 2)
    ).all()
    return sum(middle) / len(middle)


LOST_COLUMNS = ["stage_id", "lost_reason_id", "stage", "reason", "deals", "amount"]


def lost_analysis(session: Session, actor: Actor, funnel_filter: FunnelFilter) -> pd.DataFrame:
    """Deals lost in the period by the stage they were in when lost and by reason: count and amount.
    A stage or reason id of 0: none recorded (a deal imported lost, a reason left out). Of every
    pipeline, each stage is named with its pipeline's name ("B2B classic · Presentation")."""
    scope = funnel_scope(session, actor, funnel_filter)
    lost = _over_period(session, scope, funnel_filter)(LOST, ("stage_id", "lost_reason_id"))
    if funnel_filter.pipeline_id is None:
        named = select(Stage.id, Pipeline.name + " · " + Stage.name).join(Pipeline, Pipeline.id == Stage.pipeline_id)
    else:
        named = select(Stage.id, Stage.name).where(Stage.pipeline_id == funnel_filter.pipeline_id)
    stage_names = dict(session.execute(named).all())
    reason_names = dict(session.execute(select(LostReason.id, LostReason.name)).all())
    rows = sorted(
        (
            (stage_id, reason_id, stage_names.get(stage_id), reason_names.get(reason_id, ""), deals.count)
            + (float(deals.amount),)
            for (stage_id, reason_id), deals in lost.items()
        ),
        key=lambda row: (-row[4], row[2] or "", row[3]),
    )
    return pd.DataFrame(rows, columns=LOST_COLUMNS)


def lost_deals(
    session: Session, actor: Actor, funnel_filter: FunnelFilter, stage_id: int, lost_reason_id: int
) -> Members:
    """The deals behind one row of lost_analysis: lost in the period from the stage, for the reason."""
    scope = funnel_scope(session, actor, funnel_filter)
    rows = members(
        session,
        LOST,
        match={**scope.match, "stage_id": (stage_id,), "lost_reason_id": (lost_reason_id,)},
        period=funnel_filter.bounds(),
        categories=scope.categories,
    )
    return Members(rows)


def filter_options(session: Session, pipeline_id: int | None) -> dict[str, list[str]]:
    """The values the funnel can be filtered on: sources, regions and segments used in the pipeline (None:
    in any)."""
    options: dict[str, list[str]] = {"source": [], "region": [], "segment": []}
    match = {} if pipeline_id is None else {"pipeline_id": (pipeline_id,)}
    for field, value in sorted(summed(session, CATEGORIES, ("field", "value"), match=match)):
        options[field].append(value)
    return options


def monthly_trend(session: Session, actor: Actor, funnel_filter: FunnelFilter) -> pd.DataFrame:
    """Per calendar month of the period: the deals created (the cohort) and the share of them won."""
    scope = funnel_scope(session, actor, funnel_filter)
    rows = []
    month = funnel_filter.date_from.replace(day=1)
    while month <= funnel_filter.date_to:
        following = (month + timedelta(days=32)).replace(day=1)
        part = replace(
            funnel_filter,
            date_from=max(month, funnel_filter.date_from),
            date_to=min(following - timedelta(days=1), funnel_filter.date_to),
        )
        counts = rates.total(
            rates.created(session, match=scope.match, period=part.bounds(), categories=scope.categories).values()
        )
        rows.append(
            {
                "month": month,
                "created": counts.created,
                "won": counts.created_and_won,
                "funnel_win_rate": counts.funnel_win_rate,
            }
        )
        month = following
    return pd.DataFrame(rows, columns=["month", "created", "won", "funnel_win_rate"])


# The funnel's figures whose deals can be listed (core.definitions names), and what each needs besides
# the filter: a stage (reached, its stays, its open deals), a stage and a lost reason (a lost row).
WITH_STAGE = ("reached", "time_in_stage", "open_now")
FIGURES = ("created", "cohort_won", "funnel_win_rate", "won", "lost", "win_rate_closed", "average_deal", "cycle")
FIGURES += (*WITH_STAGE, "lost_reason")


def figure_deals(
    session: Session,
    actor: Actor,
    funnel_filter: FunnelFilter,
    figure: str,
    stage_id: int | None = None,
    lost_reason_id: int | None = None,
) -> Members:
    """The deals behind the funnel's figure named `figure` (one of FIGURES): the page's click-through and
    `report deals` both ask here."""
    if figure in ("created", "funnel_win_rate"):
        return created_deals(session, actor, funnel_filter)
    if figure == "cohort_won":
        return reached_deals(session, actor, funnel_filter, _won_stage(session, funnel_filter.pipeline_id).id)
    if figure in ("won", "average_deal"):
        return closed_deals(session, actor, funnel_filter, StageKind.WON)
    if figure == "lost":
        return closed_deals(session, actor, funnel_filter, StageKind.LOST)
    if figure == "win_rate_closed":
        return closed_deals(session, actor, funnel_filter)
    if figure == "cycle":
        return cycle_deals(session, actor, funnel_filter)
    if figure == "reached":
        return reached_deals(session, actor, funnel_filter, stage_id)
    if figure == "time_in_stage":
        return stay_deals(session, actor, funnel_filter, stage_id)
    if figure == "open_now":
        return open_deals(session, actor, funnel_filter, stage_id)
    if figure == "lost_reason":
        return lost_deals(session, actor, funnel_filter, stage_id, lost_reason_id)
    raise ValueError(f"no deals are listed behind {figure!r}")

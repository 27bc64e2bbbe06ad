"""Why the funnel win rate changed between two periods (SPEC §3's funnel win rate, won ÷ created of
each period's cohort).

The rate is the product of its steps: the share of the cohort that entered the first stage, then each
stage's next-step conversion up to won. Each step's part of the change is its Shapley value: the
change in the product when that step alone takes its new value, averaged over every order in which
the steps could change. The parts add up to the whole change exactly (they are kept as fractions of
the counts), whatever the order of the steps; a funnel of n steps costs 2ⁿ products (12 steps: 4,096).

The mix says whose share of the cohort moved most: each source, region and segment's share of the
deals created in each period.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import factorial

import pandas as pd
from sqlalchemy.orm import Session

from core.analytics.filters import FunnelFilter, funnel_scope
from core.analytics.funnel import cohort_funnel
from core.analytics.sums import summed
from core.permissions import Actor
from db.rollups.sources import CATEGORY_FIELDS, CREATED

ENTRY = ""  # the first step's stage: the share of the cohort that entered the funnel's first stage
MIX_SHOWN = 3  # the categories whose share moved most


@dataclass(frozen=True)
class Step:
    stage: str  # the stage the step leaves (ENTRY: the step into the first stage)
    to_stage: str  # the stage it enters (the last step's: the won stage)
    before: Fraction
    after: Fraction
    part: Fraction  # of the change of the win rate


@dataclass(frozen=True)
class Shift:
    field: str  # source, region or segment
    value: str
    before: Fraction  # its share of the cohort
    after: Fraction


@dataclass(frozen=True)
class Change:
    before: Fraction
    after: Fraction
    steps: tuple[Step, ...]
    mix: tuple[Shift, ...]  # the largest moves first

    @property
    def total(self) -> Fraction:
        return self.after - self.before


def shapley_parts(before: Sequence[Fraction], after: Sequence[Fraction]) -> list[Fraction]:
    """Each factor's part of the change of their product, from `before` to `after` (Shapley values)."""
    n = len(before)
    products = []
    for chosen in range(1 << n):  # the factors in `chosen` at their new values
        product = Fraction(1)
        for i in range(n):
            product *= after[i] if chosen >> i & 1 else before[i]
        products.append(product)
    weights = [Fraction(factorial(k) * factorial(n - k - 1), factorial(n)) for k in range(n)]
    parts = []
    for i in range(n):
        bit = 1 << i
        differences = (
            weights[chosen.bit_count()] * (products[chosen | bit] - products[chosen])
            for chosen in range(1 << n)
            if not chosen & bit
        )
        parts.append(sum(differences, start=Fraction(0)))
    return parts


def _steps(frame: pd.DataFrame, created: int) -> list[Fraction]:
    """The win rate's factors: entered the first stage of the created, then each step to won (a step
    from a stage nobody reached: 0, as the rate then is)."""
    counts = [created, *(int(count) for count in frame["reached"])]
    return [Fraction(counts[i + 1], counts[i]) if counts[i] else Fraction(0) for i in range(len(counts) - 1)]


def win_rate_change(session: Session, actor: Actor, after: FunnelFilter, before: FunnelFilter) -> Change | None:
    """How the funnel win rate changed from `before`'s period to `after`'s (the same pipeline and
    filters); None when either period created no deal."""
    frames, created = {}, {}
    for name, chosen in (("before", before), ("after", after)):
        frames[name] = cohort_funnel(session, actor, chosen)
        created[name] = _created(session, actor, chosen)
    if not created["before"] or not created["after"]:
        return None
    old, new = _steps(frames["before"], created["before"]), _steps(frames["after"], created["after"])
    names = frames["after"]["stage"].tolist()
    parts = zip([ENTRY, *names[:-1]], names, old, new, shapley_parts(old, new), strict=True)
    steps = tuple(Step(*step) for step in parts)
    won = {name: int(frame["reached"].iloc[-1]) for name, frame in frames.items()}
    rates = {name: Fraction(won[name], created[name]) for name in won}
    return Change(rates["before"], rates["after"], steps, _mix(session, actor, before, after))


def _created(session: Session, actor: Actor, chosen: FunnelFilter) -> int:
    scope = funnel_scope(session, actor, chosen)
    sums = summed(session, CREATED, ("status",), match=scope.match, period=chosen.bounds(), categories=scope.categories)
    return sum(deals.count for deals in sums.values())


def _mix(session: Session, actor: Actor, before: FunnelFilter, after: FunnelFilter) -> tuple[Shift, ...]:
    """The sources, regions and segments (those not filtered on) whose share of the deals created moved
    most between the periods."""
    shares = {}
    for name, chosen in (("before", before), ("after", after)):
        scope = funnel_scope(session, actor, chosen)
        fields = tuple(field for field in CATEGORY_FIELDS if getattr(chosen, field) is None)
        match = {**scope.match, "category": fields}
        counts = summed(
            session, CREATED, ("category", "category_value"), match=match, period=chosen.bounds(), categories=()
        )
        total = _created(session, actor, chosen)
        per_value: dict[tuple[str, str], int] = {}
        for key, deals in counts.items():
            per_value[key] = per_value.get(key, 0) + deals.count
        shares[name] = {key: Fraction(count, total) for key, count in per_value.items()} if total else {}
    keys = set(shares["before"]) | set(shares["after"])
    moved = [
        Shift(
            field,
            value,
            shares["before"].get((field, value), Fraction(0)),
            shares["after"].get((field, value), Fraction(0)),
        )
        for field, value in keys
    ]
    moved.sort(key=lambda shift: (-abs(shift.after - shift.before), shift.field, shift.value))
    return tuple(shift for shift in moved[:MIX_SHOWN] if shift.after != shift.before)

"""The rates of SPEC §3, each defined once: the closed win rate, the funnel win rate, the average deal
and the sales cycle; and the deals closed and created in a period that they are computed from. The
Funnel page, Plan vs fact, the Manager dashboard and the CLI all take them from here.

A group's rates (a team's, the company's) come from its members' counts added up, never from their
rates averaged.
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from math import sqrt
from statistics import NormalDist

from sqlalchemy.orm import Session

from core.analytics.sums import mean_days, median_days, summed
from db.models import StageKind
from db.rollups.sources import CLOSED, CREATED, CYCLES

Match = Mapping[str, Collection]
Period = tuple[datetime | None, datetime]
Categories = Sequence[tuple[str, str]]


def share(part: float | Decimal, whole: float | Decimal) -> float | None:
    """part / whole, or None where there is nothing to divide by."""
    return None if not whole else float(part) / float(whole)


# How sure a rate's interval is, and a difference between two rates before the pages colour it.
CONFIDENCE = 0.90
# Below this many deals a rate is said to rest on too few deals: shown, with its interval, but never
# coloured as better or worse than another.
TOO_FEW = 20


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The Wilson score interval of successes / n at `confidence` (90 %: z = 1.645): unlike p ± z·se,
    it stays within 0–1 and holds for small n and rates near 0 or 1. None for n = 0."""
    if n <= 0:
        return None
    z, p = _z(confidence), successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def differs(ours: tuple[int, int], theirs: tuple[int, int], confidence: float = CONFIDENCE) -> bool:
    """Whether two rates (successes, n) differ by more than chance would make them at `confidence`: the
    two-proportion z-test with the pooled rate; never when either rests on fewer than TOO_FEW."""
    (x1, n1), (x2, n2) = ours, theirs
    if n1 < TOO_FEW or n2 < TOO_FEW:
        return False
    pooled = (x1 + x2) / (n1 + n2)
    spread = sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return False
    return abs(x1 / n1 - x2 / n2) / spread > _z(confidence)


@dataclass(frozen=True)
class Rates:
    """The counts behind the rates, for one owner or a group; adding two adds their counts."""

    won: int = 0
    lost: int = 0
    won_amount: Decimal = Decimal(0)
    created: int = 0  # deals created in the period
    created_and_won: int = 0  # of those, the ones won by now

    def __add__(self, other: "Rates") -> "Rates":
        return Rates(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate_closed(self) -> float | None:
        """Won / (won + lost), of the deals closed in the period."""
        return share(self.won, self.closed)

    @property
    def funnel_win_rate(self) -> float | None:
        """Won / created, of the deals created in the period (won by now)."""
        return share(self.created_and_won, self.created)

    @property
    def average_deal(self) -> float | None:
        """The won amount per deal won in the period."""
        return share(self.won_amount, self.won)


def total(rates: Iterable[Rates]) -> Rates:
    return sum(rates, Rates())


def closed(
    session: Session, *, counted_for: str, match: Match, period: Period, categories: Categories = ()
) -> dict[int, Rates]:
    """The deals won and lost in the period (and the amount won), per owner: `counted_for` is
    "owner_id" (the owner now) or "closing_owner_id" (the owner when the deal was closed, whom Plan vs
    fact and the dashboard credit)."""
    sums = summed(session, CLOSED, (counted_for, "status"), match=match, period=period, categories=categories)
    rates: dict[int, Rates] = {}
    for (owner, status), deals in sums.items():
        won = status == StageKind.WON
        counts = Rates(won=deals.count, won_amount=deals.amount) if won else Rates(lost=deals.count)
        rates[owner] = rates.get(owner, Rates()) + counts
    return rates


def created(session: Session, *, match: Match, period: Period, categories: Categories = ()) -> dict[int, Rates]:
    """The deals created in the period, and of them the ones won by now, per owner."""
    sums = summed(session, CREATED, ("owner_id", "status"), match=match, period=period, categories=categories)
    rates: dict[int, Rates] = {}
    for (owner, status), deals in sums.items():
        won = deals.count if status == StageKind.WON else 0
        rates[owner] = rates.get(owner, Rates()) + Rates(created=deals.count, created_and_won=won)
    return rates


@dataclass(frozen=True)
class Cycle:
    """The sales cycle: from a deal's creation to its win."""

    median_days: float | None  # in completed days
    mean_days: float | None  # to the second


def sales_cycle(session: Session, *, match: Match, period: Period, categories: Categories = ()) -> Cycle:
    """The sales cycle of the deals won in the period."""
    lengths = summed(session, CYCLES, ("days",), match=match, period=period, categories=categories)
    return Cycle(median_days(lengths), mean_days(lengths))

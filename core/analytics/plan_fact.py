"""Plan vs fact, run-rate and weighted forecasts, and deals needed (SPEC §3), for managers, teams and
the company, for a month, a quarter or a year; aggregated in the database.

Scope of a view: "all pipelines" compares the plans made for all pipelines with every won deal;
a pipeline's view compares that pipeline's plans with its deals. A team's plan for a month is the
team's own plan when one is set, otherwise the sum of its managers' plans; the company's is the sum
of the teams' and of the plans of managers in no team. Facts follow the owner at close; teams are
the managers' current teams.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.analytics.sums import Sums, median_days, summed
from core.errors import NotFound, PermissionDenied
from core.filters import day_bounds
from core.periods import Period, PeriodKind, add_months
from core.permissions import Actor
from db.models import Plan, Role, RollupForecast, Stage, StageKind, Team, User
from db.rollups import CLOSED, CREATED, CYCLES

UTC_ZONE = ZoneInfo("UTC")
# Below this many deals closed in the last 12 months a manager's own rates are too noisy: the team's are used.
MIN_CLOSED_FOR_OWN_RATES = 10
RATE_WINDOW_MONTHS = 12

PLAN_FACT_COLUMNS = [
    "level",  # manager, team or company
    "manager_id",
    "team_id",
    "name",
    "team",
    "plan_amount",
    "plan_count",
    "fact_amount",
    "fact_count",
    "completion_amount",
    "completion_count",
    "run_rate_amount",
    "run_rate_count",
    "weighted_forecast",
    "gap",
    "deals_needed",
    "basis",
    "win_rate",
    "average_deal",
]


@dataclass
class _Rates:
    """The counts behind the deals-needed assumptions, summable over managers."""

    won: int = 0
    lost: int = 0
    won_amount: Decimal = Decimal(0)
    created: int = 0
    created_and_won: int = 0

    def __iadd__(self, other: "_Rates") -> "_Rates":
        self.won += other.won
        self.lost += other.lost
        self.won_amount += other.won_amount
        self.created += other.created
        self.created_and_won += other.created_and_won
        return self

    @property
    def win_rate(self) -> float | None:
        return self.created_and_won / self.created if self.created else None

    @property
    def average_deal(self) -> float | None:
        return float(self.won_amount) / self.won if self.won else None


@dataclass(frozen=True)
class Assumptions:
    """What "deals needed" rests on, and whose figures they are."""

    basis: str  # "manager", "team" or "company"
    closed: int  # deals the basis closed in the window (won + lost)
    win_rate: float | None  # funnel win rate: won / created over the deals created in the window
    average_deal: float | None
    cycle_median_days: float | None
    window_from: date
    window_to: date


def deals_needed(gap: float, average_deal: float | None, win_rate: float | None) -> int | None:
    """ceil(gap / (average deal × funnel win rate)): new deals that must enter the first stage.
    No gap needs no deals; without an average deal or a win rate it cannot be estimated (None)."""
    if gap <= 0:
        return 0
    if not average_deal or not win_rate:
        return None
    # Rounded first, so that float noise in an exact quotient (2.0000000001) does not add a deal.
    return math.ceil(round(gap / (average_deal * win_rate), 9))


def run_rate(fact: float, period: Period, today: date) -> float | None:
    """fact × days in period / days elapsed (today included, capped at the period's length);
    None before the period starts."""
    elapsed = period.days_elapsed(today)
    return None if elapsed == 0 else fact * period.days / elapsed


def rate_window(today: date) -> tuple[date, date]:
    """The previous 12 months, up to and including today (from the day after the same day a year ago)."""
    first = add_months(today.replace(day=1), -RATE_WINDOW_MONTHS)
    last_day_of_that_month = (add_months(first, 1) - timedelta(days=1)).day
    return first.replace(day=min(today.day, last_day_of_that_month)) + timedelta(days=1), today


def plan_fact(
    session: Session,
    actor: Actor,
    *,
    period: Period,
    today: date,
    zone: ZoneInfo = UTC_ZONE,
    pipeline_id: int | None = None,
    team_id: int | None = None,
) -> pd.DataFrame:
    """One row per manager, then per team, then the company (columns PLAN_FACT_COLUMNS). A manager
    gets their own row only. Completion is None where there is no plan ("no plan")."""
    everyone = _all_people(session)
    members_of = defaultdict(list)
    for person in everyone:
        members_of[person.team_id].append(person.id)
    people = _people(session, actor, everyone, period, zone, pipeline_id, team_id)
    plans = _plans(session, period, pipeline_id)
    facts = _facts(session, period, zone, pipeline_id)
    weighted = _weighted(session, period, today, pipeline_id)
    rates = _rates(session, today, zone, pipeline_id)

    rows = []
    for person in people:
        plan_amount, plan_count = _sum_months(plans, [("user", person.id)], period)
        rows.append(
            _row(
                level="manager",
                manager_id=person.id,
                team_id=person.team_id,
                name=person.name,
                team=person.team,
                plan=(plan_amount, plan_count),
                fact=_fact_of(facts, [person.id], period),
                weighted=weighted.get(person.id, Decimal(0)),
                rates=_pick_rates(rates, person, team_members=members_of[person.team_id]),
                period=period,
                today=today,
            )
        )
    if actor.role == Role.MANAGER:
        return _frame(rows)

    teams = session.execute(select(Team.id, Team.name).order_by(Team.name)).all()
    for team in teams:
        if team_id is not None and team.id != team_id:
            continue
        members = [p for p in everyone if p.team_id == team.id]
        rows.append(
            _row(
                level="team",
                manager_id=None,
                team_id=team.id,
                name=team.name,
                team=team.name,
                plan=_team_plan(plans, team.id, members, period),
                fact=_fact_of(facts, [p.id for p in members], period),
                weighted=sum((weighted.get(p.id, Decimal(0)) for p in members), Decimal(0)),
                rates=_summed(rates, [p.id for p in members], "team"),
                period=period,
                today=today,
            )
        )
    if team_id is None:
        rows.append(
            _row(
                level="company",
                manager_id=None,
                team_id=None,
                name=None,
                team=None,
                plan=_group_plan(plans, everyone, [team.id for team in teams], period),
                fact=_fact_of(facts, [p.id for p in everyone], period),
                weighted=sum(weighted.values(), Decimal(0)),
                rates=_summed(rates, [p.id for p in everyone], "company"),
                period=period,
                today=today,
            )
        )
    return _frame(rows)


def _frame(rows: list[dict]) -> pd.DataFrame:
    """Figures as floats (NaN where a figure does not exist: no plan, not started, cannot estimate)."""
    numbers = [name for name in PLAN_FACT_COLUMNS if name not in ("level", "name", "team", "basis")]
    return pd.DataFrame(rows, columns=PLAN_FACT_COLUMNS).astype(dict.fromkeys(numbers, float))


def monthly_plan_fact(
    session: Session,
    actor: Actor,
    *,
    year: int,
    today: date,
    zone: ZoneInfo = UTC_ZONE,
    pipeline_id: int | None = None,
    team_id: int | None = None,
    manager_id: int | None = None,
) -> pd.DataFrame:
    """Per month of the year: plan and fact (won amount and count), and both running totals, for the
    company, one team or one manager (a manager: their own). A month without any plan in the scope has
    no plan (NaN), a month after today's no fact (NaN)."""
    if actor.role == Role.MANAGER:
        if manager_id not in (None, actor.id):
            raise PermissionDenied("Managers see their own plans only.")
        manager_id = actor.id
    period = Period(date(year, 1, 1), PeriodKind.YEAR)
    plans = _plans(session, period, pipeline_id)
    facts = _facts(session, period, zone, pipeline_id)
    everyone = _all_people(session)
    if manager_id is not None:
        members, teams = [p for p in everyone if p.id == manager_id], []
    elif team_id is not None:
        members, teams = [p for p in everyone if p.team_id == team_id], [team_id]
    else:
        members, teams = everyone, list(session.scalars(select(Team.id)))
    rows = []
    scope = {("user", p.id) for p in members} | {("team", team) for team in teams}
    for month in period.months:
        one = Period(month, PeriodKind.MONTH)
        planned = any((*who, month) in plans for who in scope)
        plan_amount, plan_count = _group_plan(plans, members, teams, one)
        fact_amount, fact_count = _fact_of(facts, [p.id for p in members], one)
        future = month > today
        rows.append(
            {
                "month": month,
                "plan_amount": float(plan_amount) if planned else None,
                "plan_count": plan_count if planned else None,
                "fact_amount": None if future else float(fact_amount),
                "fact_count": None if future else fact_count,
            }
        )
    frame = pd.DataFrame(rows).astype(dict.fromkeys(["plan_amount", "plan_count", "fact_amount", "fact_count"], float))
    frame["cumulative_plan"] = frame["plan_amount"].fillna(0).cumsum()
    frame["cumulative_fact"] = frame["fact_amount"].cumsum(skipna=False)
    return frame


def assumptions(
    session: Session,
    actor: Actor,
    *,
    manager_id: int,
    today: date,
    zone: ZoneInfo = UTC_ZONE,
    pipeline_id: int | None = None,
) -> Assumptions:
    """The win rate, average deal and median sales cycle behind one manager's "deals needed": the
    manager's over the previous 12 months, or their team's (the company's, for a manager in no team)
    when they closed fewer than MIN_CLOSED_FOR_OWN_RATES deals in that time."""
    if actor.role == Role.MANAGER and manager_id != actor.id:
        raise PermissionDenied("Managers see their own plans only.")
    everyone = _all_people(session)
    person = next((p for p in everyone if p.id == manager_id), None)
    if person is None:
        raise NotFound(f"No such manager ({manager_id}).")
    team_members = [p.id for p in everyone if person.team_id is not None and p.team_id == person.team_id]
    rates = _rates(session, today, zone, pipeline_id)
    chosen = _pick_rates(rates, person, team_members=team_members)
    window_from, window_to = rate_window(today)
    basis_owners = {
        "manager": [manager_id],
        "team": team_members,
        "company": list(rates),
    }[chosen.basis]
    cycles = summed(
        session,
        CYCLES,
        ("days",),
        match={"closing_owner_id": tuple(basis_owners), **_pipeline(pipeline_id)},
        period=day_bounds(window_from, window_to, zone),
    )
    return Assumptions(
        basis=chosen.basis,
        closed=chosen.closed,
        win_rate=chosen.win_rate,
        average_deal=chosen.average_deal,
        cycle_median_days=median_days(cycles),
        window_from=window_from,
        window_to=window_to,
    )


@dataclass(frozen=True)
class _Person:
    id: int
    name: str
    team_id: int | None
    team: str | None


def _all_people(session: Session) -> list[_Person]:
    """Everyone a plan or a fact can belong to: the managers, and anyone else who owns deals."""
    rows = session.execute(
        select(User.id, User.display_name, User.team_id, Team.name)
        .outerjoin(Team, Team.id == User.team_id)
        .order_by(User.display_name, User.id)
    ).all()
    return [_Person(r.id, r.display_name, r.team_id, r.name) for r in rows]


def _people(
    session: Session,
    actor: Actor,
    everyone: list[_Person],
    period: Period,
    zone: ZoneInfo,
    pipeline_id: int | None,
    team_id: int | None,
) -> list[_Person]:
    """The rows to show: active managers, and anyone with a plan or a fact in the period."""
    if actor.role == Role.MANAGER:
        return [p for p in everyone if p.id == actor.id]
    closers = _won_by_closer(session, pipeline_id, day_bounds(period.first, period.last, zone))
    planned = select(Plan.user_id).where(Plan.month.in_(period.months), Plan.user_id.is_not(None))
    shown = (
        set(session.scalars(select(User.id).where(User.role == Role.MANAGER, User.is_active.is_(True))).all())
        | {owner for (owner,) in closers}
        | set(session.scalars(planned.distinct()).all())
    )
    return [p for p in everyone if p.id in shown and (team_id is None or p.team_id == team_id)]


def _plans(session: Session, period: Period, pipeline_id: int | None) -> dict[tuple[str, int, date], tuple]:
    """(who kind, who id, month) → (target amount, target count) for the period's months."""
    rows = session.execute(
        select(Plan.user_id, Plan.team_id, Plan.month, Plan.target_amount, Plan.target_count).where(
            Plan.month.in_(period.months),
            Plan.pipeline_id.is_(None) if pipeline_id is None else Plan.pipeline_id == pipeline_id,
        )
    ).all()
    return {
        (("user", user_id) if user_id is not None else ("team", team_id)) + (month,): (amount, count)
        for user_id, team_id, month, amount, count in rows
    }


def _sum_months(plans: dict, whos: list[tuple[str, int]], period: Period) -> tuple[Decimal, int]:
    amount, count = Decimal(0), 0
    for who in whos:
        for month in period.months:
            month_amount, month_count = plans.get((*who, month), (Decimal(0), 0))
            amount += month_amount
            count += month_count
    return amount, count


def _team_plan(plans: dict, team_id: int, members: list[_Person], period: Period) -> tuple[Decimal, int]:
    """Month by month: the team's own plan when set, otherwise the sum of its members' plans."""
    amount, count = Decimal(0), 0
    for month in period.months:
        one = Period(month, PeriodKind.MONTH)
        if ("team", team_id, month) in plans:
            month_amount, month_count = plans[("team", team_id, month)]
        else:
            month_amount, month_count = _sum_months(plans, [("user", p.id) for p in members], one)
        amount += month_amount
        count += month_count
    return amount, count


def _group_plan(plans: dict, members: list[_Person], teams: list[int], period: Period) -> tuple[Decimal, int]:
    """The plan of these managers and teams: each team's (its own or its managers'), plus the plans
    of the managers in none of the teams."""
    amount, count = _sum_months(plans, [("user", p.id) for p in members if p.team_id not in teams], period)
    for team in teams:
        team_amount, team_count = _team_plan(plans, team, [p for p in members if p.team_id == team], period)
        amount += team_amount
        count += team_count
    return amount, count


def _facts(session: Session, period: Period, zone: ZoneInfo, pipeline_id: int | None) -> dict[tuple[int, date], tuple]:
    """(owner at close, month) → (won amount, won count) of the deals won in the period."""
    facts = {}
    for month in period.months:
        won = _won_by_closer(session, pipeline_id, day_bounds(month, Period(month, PeriodKind.MONTH).last, zone))
        facts.update({(owner, month): (amount, count) for (owner,), (count, amount) in won.items()})
    return facts


def _won_by_closer(session: Session, pipeline_id: int | None, bounds: tuple[datetime, datetime]) -> Sums:
    """Deals won in [start, end), counted for whoever closed them: {(closer,): [count, amount]}."""
    match = {"status": (StageKind.WON.value,), **_pipeline(pipeline_id)}
    return summed(session, CLOSED, ("closing_owner_id",), match=match, period=bounds)


def _pipeline(pipeline_id: int | None) -> dict[str, tuple]:
    return {} if pipeline_id is None else {"pipeline_id": (pipeline_id,)}


def _fact_of(facts: dict, owner_ids: list[int], period: Period) -> tuple[Decimal, int]:
    amount, count = Decimal(0), 0
    owners, months = set(owner_ids), set(period.months)
    for (owner, month), (month_amount, month_count) in facts.items():
        if owner in owners and month in months:
            amount += month_amount
            count += month_count
    return amount, count


def _weighted(session: Session, period: Period, today: date, pipeline_id: int | None) -> dict[int, Decimal]:
    """Per owner: Σ amount × stage probability of the open deals expected to close in the rest of the
    period (today included)."""
    rest_from = max(today, period.first)
    if rest_from > period.last:
        return {}
    query = (
        select(RollupForecast.owner_id, Stage.probability, func.sum(RollupForecast.amount))
        .join(Stage, Stage.id == RollupForecast.stage_id)
        .where(RollupForecast.expected_close_date >= rest_from, RollupForecast.expected_close_date <= period.last)
        .group_by(RollupForecast.owner_id, Stage.probability)
    )
    if pipeline_id is not None:
        query = query.where(RollupForecast.pipeline_id == pipeline_id)
    weighted: dict[int, Decimal] = defaultdict(Decimal)
    for owner, probability, amount in session.execute(query):
        weighted[owner] += Decimal(amount) * probability / 100
    return dict(weighted)


def _rates(session: Session, today: date, zone: ZoneInfo, pipeline_id: int | None) -> dict[int, _Rates]:
    """Per owner, over the previous 12 months: deals closed (won, lost, won amount) by the owner at
    close, and deals created (and of them won by now) by the owner."""
    window = day_bounds(*rate_window(today), zone)
    closed = summed(
        session,
        CLOSED,
        ("closing_owner_id", "status"),
        match=_pipeline(pipeline_id),
        period=window,
    )
    created = summed(session, CREATED, ("owner_id", "status"), match=_pipeline(pipeline_id), period=window)
    rates: dict[int, _Rates] = defaultdict(_Rates)
    for (owner, status), (count, amount) in closed.items():
        won = status == StageKind.WON
        rates[owner] += _Rates(won=count if won else 0, lost=0 if won else count, won_amount=amount if won else 0)
    for (owner, status), (count, _) in created.items():
        rates[owner] += _Rates(created=count, created_and_won=count if status == StageKind.WON else 0)
    return dict(rates)


@dataclass(frozen=True)
class _Chosen:
    basis: str
    closed: int
    win_rate: float | None
    average_deal: float | None


def _summed(rates: dict[int, _Rates], owner_ids: list[int], basis: str) -> _Chosen:
    total = _Rates()
    for owner in owner_ids:
        total += rates.get(owner, _Rates())
    return _Chosen(basis, total.won + total.lost, total.win_rate, total.average_deal)


def _pick_rates(rates: dict[int, _Rates], person: _Person, *, team_members: list[int]) -> _Chosen:
    own = _summed(rates, [person.id], "manager")
    if own.closed >= MIN_CLOSED_FOR_OWN_RATES:
        return own
    if person.team_id is not None:
        return _summed(rates, team_members, "team")
    return _summed(rates, list(rates), "company")


def _row(
    *,
    level: str,
    manager_id: int | None,
    team_id: int | None,
    name: str | None,
    team: str | None,
    plan: tuple[Decimal, int],
    fact: tuple[Decimal, int],
    weighted: Decimal,
    rates: _Chosen,
    period: Period,
    today: date,
) -> dict:
    plan_amount, plan_count = plan
    fact_amount, fact_count = fact
    forecast = fact_amount + weighted
    gap = max(Decimal(0), plan_amount - forecast)
    return {
        "level": level,
        "manager_id": manager_id,
        "team_id": team_id,
        "name": name,
        "team": team,
        "plan_amount": float(plan_amount),
        "plan_count": plan_count,
        "fact_amount": float(fact_amount),
        "fact_count": fact_count,
        "completion_amount": float(fact_amount / plan_amount) if plan_amount else None,
        "completion_count": fact_count / plan_count if plan_count else None,
        "run_rate_amount": _rounded(run_rate(float(fact_amount), period, today)),
        "run_rate_count": _rounded(run_rate(fact_count, period, today)),
        "weighted_forecast": float(forecast.quantize(Decimal("0.01"))),
        "gap": float(gap.quantize(Decimal("0.01"))),
        "deals_needed": deals_needed(float(gap), rates.average_deal, rates.win_rate),
        "basis": rates.basis,
        "win_rate": rates.win_rate,
        "average_deal": rates.average_deal,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def report_table(frame: pd.DataFrame, company_label: str = "Whole company") -> pd.DataFrame:
    """The plan-fact rows as a report shows them (page table, downloads, CLI): no ids, the company named."""
    table = frame.drop(columns=["manager_id", "team_id"]).copy()
    table.loc[table["level"] == "company", "name"] = company_label
    return table.reset_index(drop=True)

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
from enum import StrEnum
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.analytics import rates
from core.analytics.behind import Members
from core.analytics.rates import Rates
from core.analytics.sums import members
from core.errors import NotFound, PermissionDenied
from core.messages import Message
from core.periods import DateRange, Period, PeriodKind, add_months
from core.permissions import Actor
from db.models import Plan, Role, RollupForecast, Stage, StageKind, Team, User
from db.rollups.sources import CLOSED

UTC_ZONE = ZoneInfo("UTC")
# Below this many deals closed in the last 12 months a manager's own rates are too noisy: the team's are used.
MIN_CLOSED_FOR_OWN_RATES = 10
RATE_WINDOW_MONTHS = 12


class Level(StrEnum):
    """Whose row a figure is, and whose rates a manager's "deals needed" rests on."""

    MANAGER = "manager"
    TEAM = "team"
    COMPANY = "company"


@dataclass(frozen=True)
class Month:
    """One month of one manager's (Level.MANAGER) or one team's (Level.TEAM) plan or fact."""

    level: Level
    id: int
    month: date


Who = tuple[Level, int]  # a manager or a team

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


@dataclass(frozen=True)
class Assumptions:
    """What "deals needed" rests on, and whose figures they are."""

    basis: Level
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


def rate_window(today: date) -> DateRange:
    """The previous 12 months, up to and including today (from the day after the same day a year ago)."""
    first = add_months(today.replace(day=1), -RATE_WINDOW_MONTHS)
    last_day_of_that_month = (add_months(first, 1) - timedelta(days=1)).day
    return DateRange(first.replace(day=min(today.day, last_day_of_that_month)) + timedelta(days=1), today)


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
    figures = _Figures.read(session, period, today, zone, pipeline_id)
    people = _people(session, actor, figures.everyone, period, zone, pipeline_id, team_id)
    rows = [figures.manager_row(person) for person in people]
    if not actor.sees_everyone:
        return _frame(rows)
    teams = session.execute(select(Team.id, Team.name).order_by(Team.name)).all()
    rows += [figures.team_row(team.id, team.name) for team in teams if team_id is None or team.id == team_id]
    if team_id is None:
        rows.append(figures.company_row([team.id for team in teams]))
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
    if not actor.sees_everyone:
        if manager_id not in (None, actor.id):
            raise PermissionDenied(Message("permission.own_plans"))
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
    scope = [(Level.MANAGER, p.id) for p in members] + [(Level.TEAM, team) for team in teams]
    for month in period.months:
        one = Period(month, PeriodKind.MONTH)
        planned = any(Month(*who, month) in plans for who in scope)
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
    if not actor.sees_everyone and manager_id != actor.id:
        raise PermissionDenied(Message("permission.own_plans"))
    everyone = _all_people(session)
    person = next((p for p in everyone if p.id == manager_id), None)
    if person is None:
        raise NotFound(Message("not_found.manager", id=manager_id))
    team_members = [p.id for p in everyone if person.team_id is not None and p.team_id == person.team_id]
    by_owner = _rates(session, today, zone, pipeline_id)
    chosen = _pick_rates(by_owner, person, team_members=team_members)
    window = rate_window(today)
    basis_owners = {Level.MANAGER: [manager_id], Level.TEAM: team_members, Level.COMPANY: list(by_owner)}[chosen.level]
    cycle = rates.sales_cycle(
        session, match={"closing_owner_id": tuple(basis_owners), **_pipeline(pipeline_id)}, period=window.bounds(zone)
    )
    return Assumptions(
        basis=chosen.level,
        closed=chosen.counts.closed,
        win_rate=chosen.counts.funnel_win_rate,
        average_deal=chosen.counts.average_deal,
        cycle_median_days=cycle.median_days,
        window_from=window.first,
        window_to=window.last,
    )


@dataclass(frozen=True)
class _Person:
    id: int
    name: str
    team_id: int | None
    team: str | None


@dataclass(frozen=True)
class _Basis:
    """Whose counts a manager's rates are taken from, and the counts."""

    level: Level
    counts: Rates


@dataclass(frozen=True)
class _Figures:
    """What the rows of one period are computed from, read once."""

    period: Period
    today: date
    everyone: list[_Person]
    plans: dict[Month, tuple[Decimal, int]]
    facts: dict[Month, tuple[Decimal, int]]
    weighted: dict[int, Decimal]  # per owner
    rates: dict[int, Rates]  # per owner

    @classmethod
    def read(cls, session: Session, period: Period, today: date, zone: ZoneInfo, pipeline_id: int | None):
        return cls(
            period=period,
            today=today,
            everyone=_all_people(session),
            plans=_plans(session, period, pipeline_id),
            facts=_facts(session, period, zone, pipeline_id),
            weighted=_weighted(session, period, today, pipeline_id),
            rates=_rates(session, today, zone, pipeline_id),
        )

    def members(self, team_id: int | None) -> list[_Person]:
        return [p for p in self.everyone if p.team_id == team_id]

    def manager_row(self, person: _Person) -> dict:
        return self._row(
            level=Level.MANAGER,
            manager_id=person.id,
            team_id=person.team_id,
            name=person.name,
            team=person.team,
            plan=_sum_months(self.plans, [(Level.MANAGER, person.id)], self.period),
            owners=[person.id],
            basis=_pick_rates(self.rates, person, team_members=[p.id for p in self.members(person.team_id)]),
        )

    def team_row(self, team_id: int, name: str) -> dict:
        members = self.members(team_id)
        return self._row(
            level=Level.TEAM,
            manager_id=None,
            team_id=team_id,
            name=name,
            team=name,
            plan=_team_plan(self.plans, team_id, members, self.period),
            owners=[p.id for p in members],
            basis=_summed(self.rates, [p.id for p in members], Level.TEAM),
        )

    def company_row(self, team_ids: list[int]) -> dict:
        return self._row(
            level=Level.COMPANY,
            manager_id=None,
            team_id=None,
            name=None,
            team=None,
            plan=_group_plan(self.plans, self.everyone, team_ids, self.period),
            owners=[p.id for p in self.everyone],
            basis=_summed(self.rates, [p.id for p in self.everyone], Level.COMPANY),
        )

    def _row(self, *, plan: tuple[Decimal, int], owners: list[int], basis: _Basis, **who) -> dict:
        plan_amount, plan_count = plan
        fact_amount, fact_count = _fact_of(self.facts, owners, self.period)
        forecast = fact_amount + sum((self.weighted.get(owner, Decimal(0)) for owner in owners), Decimal(0))
        gap = max(Decimal(0), plan_amount - forecast)
        counts = basis.counts
        return {
            **who,
            "plan_amount": float(plan_amount),
            "plan_count": plan_count,
            "fact_amount": float(fact_amount),
            "fact_count": fact_count,
            "completion_amount": float(fact_amount / plan_amount) if plan_amount else None,
            "completion_count": fact_count / plan_count if plan_count else None,
            "run_rate_amount": _rounded(run_rate(float(fact_amount), self.period, self.today)),
            "run_rate_count": _rounded(run_rate(fact_count, self.period, self.today)),
            "weighted_forecast": float(forecast.quantize(Decimal("0.01"))),
            "gap": float(gap.quantize(Decimal("0.01"))),
            "deals_needed": deals_needed(float(gap), counts.average_deal, counts.funnel_win_rate),
            "basis": basis.level,
            "win_rate": counts.funnel_win_rate,
            "average_deal": counts.average_deal,
        }


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
    if not actor.sees_everyone:
        return [p for p in everyone if p.id == actor.id]
    closers = _won_by_closer(session, pipeline_id, period.bounds(zone))
    planned = select(Plan.user_id).where(Plan.month.in_(period.months), Plan.user_id.is_not(None))
    shown = (
        set(session.scalars(select(User.id).where(User.role == Role.MANAGER, User.is_active.is_(True))).all())
        | set(closers)
        | set(session.scalars(planned.distinct()).all())
    )
    return [p for p in everyone if p.id in shown and (team_id is None or p.team_id == team_id)]


def _plans(session: Session, period: Period, pipeline_id: int | None) -> dict[Month, tuple[Decimal, int]]:
    """Each plan's month → (target amount, target count), for the period's months."""
    rows = session.execute(
        select(Plan.user_id, Plan.team_id, Plan.month, Plan.target_amount, Plan.target_count).where(
            Plan.month.in_(period.months),
            Plan.pipeline_id.is_(None) if pipeline_id is None else Plan.pipeline_id == pipeline_id,
        )
    ).all()
    return {
        (Month(Level.MANAGER, user_id, month) if user_id is not None else Month(Level.TEAM, team_id, month)): (
            amount,
            count,
        )
        for user_id, team_id, month, amount, count in rows
    }


def _sum_months(plans: dict[Month, tuple], whos: list[Who], period: Period) -> tuple[Decimal, int]:
    amount, count = Decimal(0), 0
    for who in whos:
        for month in period.months:
            month_amount, month_count = plans.get(Month(*who, month), (Decimal(0), 0))
            amount += month_amount
            count += month_count
    return amount, count


def _team_plan(plans: dict[Month, tuple], team_id: int, members: list[_Person], period: Period) -> tuple[Decimal, int]:
    """Month by month: the team's own plan when set, otherwise the sum of its members' plans."""
    amount, count = Decimal(0), 0
    for month in period.months:
        one = Period(month, PeriodKind.MONTH)
        if (own := Month(Level.TEAM, team_id, month)) in plans:
            month_amount, month_count = plans[own]
        else:
            month_amount, month_count = _sum_months(plans, [(Level.MANAGER, p.id) for p in members], one)
        amount += month_amount
        count += month_count
    return amount, count


def _group_plan(
    plans: dict[Month, tuple], members: list[_Person], teams: list[int], period: Period
) -> tuple[Decimal, int]:
    """The plan of these managers and teams: each team's (its own or its managers'), plus the plans
    of the managers in none of the teams."""
    amount, count = _sum_months(plans, [(Level.MANAGER, p.id) for p in members if p.team_id not in teams], period)
    for team in teams:
        team_amount, team_count = _team_plan(plans, team, [p for p in members if p.team_id == team], period)
        amount += team_amount
        count += team_count
    return amount, count


def _facts(session: Session, period: Period, zone: ZoneInfo, pipeline_id: int | None) -> dict[Month, tuple]:
    """Each closer's month → (won amount, won count) of the deals won in the period."""
    facts = {}
    for month in period.months:
        won = _won_by_closer(session, pipeline_id, Period(month, PeriodKind.MONTH).bounds(zone))
        facts.update(
            {Month(Level.MANAGER, owner, month): (counts.won_amount, counts.won) for owner, counts in won.items()}
        )
    return facts


def _won_by_closer(session: Session, pipeline_id: int | None, bounds: tuple[datetime, datetime]) -> dict[int, Rates]:
    """The deals won in [start, end), counted for whoever closed them (those who won none left out)."""
    closed = rates.closed(session, counted_for="closing_owner_id", match=_pipeline(pipeline_id), period=bounds)
    return {owner: counts for owner, counts in closed.items() if counts.won}


def fact_deals(
    session: Session,
    actor: Actor,
    *,
    period: Period,
    zone: ZoneInfo = UTC_ZONE,
    pipeline_id: int | None = None,
    level: str,
    manager_id: int | None = None,
    team_id: int | None = None,
) -> Members:
    """The deals behind one row's fact of plan_fact (a manager's, a team's, the company's): won in the
    period, counted for whoever closed them, of the pipeline if one is given. A manager: their own."""
    everyone = _all_people(session)
    if level == Level.MANAGER:
        owners = (manager_id,)
    elif level == Level.TEAM:
        owners = tuple(p.id for p in everyone if p.team_id == team_id)
    else:
        owners = tuple(p.id for p in everyone)
    if not actor.sees_everyone and owners != (actor.id,):
        raise PermissionDenied(Message("permission.own_deals"))
    match = {"closing_owner_id": owners, **_pipeline(pipeline_id)}
    rows = members(session, CLOSED, match=match, period=period.bounds(zone))
    return Members(select(rows).where(rows.c.status == StageKind.WON.value).subquery())


def _pipeline(pipeline_id: int | None) -> dict[str, tuple]:
    return {} if pipeline_id is None else {"pipeline_id": (pipeline_id,)}


def _fact_of(facts: dict[Month, tuple], owner_ids: list[int], period: Period) -> tuple[Decimal, int]:
    amount, count = Decimal(0), 0
    owners, months = set(owner_ids), set(period.months)
    for key, (month_amount, month_count) in facts.items():
        if key.id in owners and key.month in months:
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


def _rates(session: Session, today: date, zone: ZoneInfo, pipeline_id: int | None) -> dict[int, Rates]:
    """Per owner, over the previous 12 months: deals closed (won, lost, won amount) by the owner at
    close, and deals created (and of them won by now) by the owner."""
    window = {"match": _pipeline(pipeline_id), "period": rate_window(today).bounds(zone)}
    closed = rates.closed(session, counted_for="closing_owner_id", **window)
    created = rates.created(session, **window)
    return {owner: closed.get(owner, Rates()) + created.get(owner, Rates()) for owner in {**closed, **created}}


def _summed(by_owner: dict[int, Rates], owner_ids: list[int], level: Level) -> _Basis:
    return _Basis(level, rates.total(by_owner.get(owner, Rates()) for owner in owner_ids))


def _pick_rates(by_owner: dict[int, Rates], person: _Person, *, team_members: list[int]) -> _Basis:
    own = _summed(by_owner, [person.id], Level.MANAGER)
    if own.counts.closed >= MIN_CLOSED_FOR_OWN_RATES:
        return own
    if person.team_id is not None:
        return _summed(by_owner, team_members, Level.TEAM)
    return _summed(by_owner, list(by_owner), Level.COMPANY)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def report_table(frame: pd.DataFrame, company_label: str = "Whole company") -> pd.DataFrame:
    """The plan-fact rows as a report shows them (page table, downloads, CLI): no ids, the company named."""
    table = frame.drop(columns=["manager_id", "team_id"]).copy()
    table.loc[table["level"] == "company", "name"] = company_label
    return table.reset_index(drop=True)

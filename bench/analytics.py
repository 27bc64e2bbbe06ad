"""Analytics at scale, in three parts (--part, repeatable; all by default):

- functions: each function behind the pages, against (a) a naive version that reads the tables into
  pandas and aggregates there, (b) a bare indexed count of the same rows, and (c) the same function
  with its sums read from the rows instead of the rollups (what the summary tables buy);
- filters: the Funnel page's figures (cohort funnel, rates, trend, time in stage, lost analysis,
  diagnosis) for each filter: none, source, region, segment, team, manager, and combinations, in UTC
  and in another zone;
- lists: the Manager dashboard's overdue and rotting lists (their first LIST_LIMIT rows) for
  everyone, a team and a manager.

    python -m bench.analytics --database-url sqlite:///data/bench/sqlite-10000.db \
        --database-url sqlite:///data/bench/sqlite-1000000.db

Seed the databases first (`python -m cli seed --deals N`; `make bench` does); each is upgraded to the
newest schema when opened. For each database it prints the seconds (best of --runs); with two or more
databases of one kind (SQLite, PostgreSQL), the time ratio of the largest to the smallest, each against
its target. The period is the last whole quarter; the pipeline the first one.
"""

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select, text

from core import pipelines, users
from core.analytics import activity, diagnosis, funnel, history, plan_fact
from core.analytics.deal_list import overdue_activities
from core.analytics.filters import DealFilter, FunnelFilter
from core.analytics.rotting import rotting_deals
from core.analytics.sums import from_rows, period_rows
from core.clock import utcnow
from core.periods import Period, PeriodKind
from core.permissions import Actor
from db.engine import make_engine, transaction
from db.migrate import upgrade
from db.models import Activity, Deal, DealChange, StageKind, StageTransition
from db.rollups.sources import CHANGES

SYSTEM = Actor.system()
# The targets of the scale issue, at the largest database: faster than naive, close to a bare count, and
# a one-quarter figure nearly as fast at a million deals as at ten thousand.
AT_LEAST_FASTER_THAN_NAIVE = 30
AT_MOST_BARE = 2
AT_MOST_LARGE_OVER_SMALL = 5
# The sales floor's target: every filter, and the dashboard's lists, nearly as fast at a million deals.
AT_MOST_FILTER_LARGE_OVER_SMALL = 2
LIST_LIMIT = 15  # as views/dashboard.py shows
# Values every demo database has (core/seed.py), so each database is asked the same.
SOURCE, REGION, SEGMENT = "website", "Moscow", "SMB"
OTHER_ZONE = ZoneInfo("America/Los_Angeles")


def best(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def read(session, sql: str) -> pd.DataFrame:
    return pd.read_sql(text(sql), session.connection())


def naive_cohort(session, pipeline_id: int, start: datetime, end: datetime) -> pd.Series:
    deals = read(session, f"SELECT id, status, created_at FROM deals WHERE pipeline_id = {pipeline_id}")
    history = read(session, "SELECT deal_id, to_stage_id FROM stage_transitions")
    stages = read(session, f"SELECT id, position, kind FROM stages WHERE pipeline_id = {pipeline_id}")
    deals["created_at"] = pd.to_datetime(deals["created_at"], utc=True)
    cohort = deals[(deals["created_at"] >= start) & (deals["created_at"] < end)]
    open_rank = stages[stages["kind"] == "open"].sort_values("position").reset_index(drop=True)
    rank = dict(zip(open_rank["id"], open_rank.index, strict=True))
    history = history[history["deal_id"].isin(cohort["id"])]
    history["rank"] = history["to_stage_id"].map(rank)
    furthest = history.groupby("deal_id")["rank"].max()
    reach = cohort.set_index("id")["status"].map(lambda s: len(rank) - 1 if s == "won" else -1)
    reach = pd.concat([reach, furthest], axis=1).max(axis=1)
    return pd.Series([(reach >= i).sum() for i in range(len(rank))])


def naive_current(session, pipeline_id: int) -> pd.DataFrame:
    deals = read(session, f"SELECT stage_id, status, amount FROM deals WHERE pipeline_id = {pipeline_id}")
    return deals[deals["status"] == "open"].groupby("stage_id")["amount"].agg(["count", "sum"])


def naive_time_in_stage(session, start: datetime, end: datetime) -> pd.DataFrame:
    history = read(session, "SELECT deal_id, to_stage_id, at FROM stage_transitions")
    history["at"] = pd.to_datetime(history["at"], utc=True)
    history = history.sort_values(["deal_id", "at"])
    history["left"] = history.groupby("deal_id")["at"].shift(-1)
    ended = history[(history["left"] >= start) & (history["left"] < end)]
    return ((ended["left"] - ended["at"]).dt.total_seconds() / 86400).groupby(ended["to_stage_id"]).median()


def naive_managers(session, start: datetime, end: datetime) -> pd.DataFrame:
    acts = read(session, "SELECT owner_id, kind, due_at, done_at FROM activities")
    deals = read(session, "SELECT owner_id, closing_owner_id, status, amount, closed_at FROM deals")
    acts["done_at"] = pd.to_datetime(acts["done_at"], utc=True)
    deals["closed_at"] = pd.to_datetime(deals["closed_at"], utc=True)
    done = acts[(acts["done_at"] >= start) & (acts["done_at"] < end)]
    won = deals[(deals["status"] == "won") & (deals["closed_at"] >= start) & (deals["closed_at"] < end)]
    return pd.concat(
        [done.groupby(["owner_id", "kind"]).size().unstack(), won.groupby("closing_owner_id")["amount"].sum()], axis=1
    )


def naive_plan_fact(session, period: Period) -> pd.DataFrame:
    deals = read(session, "SELECT closing_owner_id, status, amount, closed_at FROM deals")
    plans = read(session, "SELECT user_id, month, target_amount FROM plans")
    deals["closed_at"] = pd.to_datetime(deals["closed_at"], utc=True)
    start = pd.Timestamp(period.first, tz="UTC")
    end = pd.Timestamp(period.last + timedelta(days=1), tz="UTC")
    won = deals[(deals["status"] == "won") & (deals["closed_at"] >= start) & (deals["closed_at"] < end)]
    plans = plans[plans["month"].astype(str).isin([m.isoformat() for m in period.months])]
    return pd.concat(
        [won.groupby("closing_owner_id")["amount"].sum(), plans.groupby("user_id")["target_amount"].sum()], axis=1
    )


def naive_as_of(session, pipeline_id: int, moment: datetime) -> pd.DataFrame:
    """The open deals per stage at `moment` from the whole tables: the last transition before it, the
    amount then (the old value of the first later edit, else today's)."""
    deals = read(session, f"SELECT id, created_at, amount FROM deals WHERE pipeline_id = {pipeline_id}")
    moves = read(session, "SELECT id, deal_id, to_stage_id, at FROM stage_transitions")
    edits = read(session, "SELECT id, deal_id, old_value, at FROM deal_changes WHERE field = 'amount'")
    stages = read(session, f"SELECT id, kind FROM stages WHERE pipeline_id = {pipeline_id}")
    deals["created_at"] = pd.to_datetime(deals["created_at"], utc=True, format="ISO8601")
    for frame in (moves, edits):
        frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
    deals = deals[deals["created_at"] < moment]
    last = moves[moves["at"] < moment].sort_values(["at", "id"]).groupby("deal_id").tail(1)
    later = edits[edits["at"] >= moment].sort_values(["at", "id"]).groupby("deal_id").head(1)
    frame = deals.merge(last, left_on="id", right_on="deal_id").merge(stages, left_on="to_stage_id", right_on="id")
    frame = frame.merge(later[["deal_id", "old_value"]], on="deal_id", how="left")
    frame["then"] = frame["old_value"].astype(float).mul(100).fillna(frame["amount"])
    return frame[frame["kind"] == "open"].groupby("to_stage_id")["then"].agg(["count", "sum"])


def naive_changes(session, pipeline_id: int, start: datetime, end: datetime) -> tuple:
    """The pipeline at both ends from the whole tables, and every change between them by deal."""
    events = read(session, "SELECT deal_id, field, at FROM deal_changes")
    events["at"] = pd.to_datetime(events["at"], utc=True, format="ISO8601")
    inside = events[(events["at"] >= start) & (events["at"] < end)].groupby(["deal_id", "field"]).size()
    return naive_as_of(session, pipeline_id, start), naive_as_of(session, pipeline_id, end), inside


def naive_slippage(session, start: datetime, end: datetime) -> pd.DataFrame:
    edits = read(
        session, "SELECT deal_id, old_value, new_value, at FROM deal_changes WHERE field = 'expected_close_date'"
    )
    deals = read(session, "SELECT id, owner_id FROM deals")
    edits["at"] = pd.to_datetime(edits["at"], utc=True, format="ISO8601")
    pushed = edits[(edits["at"] >= start) & (edits["at"] < end) & (edits["new_value"] > edits["old_value"])].copy()
    pushed["days"] = (pd.to_datetime(pushed["new_value"]) - pd.to_datetime(pushed["old_value"])).dt.days
    per_deal = pushed.groupby("deal_id")["days"].agg(["count", "sum"])
    return per_deal.join(deals.set_index("id")).groupby("owner_id").agg({"count": "sum", "sum": "sum"})


def rows_only(work: Callable[[], object]) -> Callable[[], object]:
    def unsummed() -> object:
        with from_rows():
            return work()

    return unsummed


def functions(session, runs: int) -> dict[str, tuple[float, float, float, float]]:
    """Each function against its naive version, a bare count and its rows-only version."""
    today = utcnow().date()
    quarter = last_quarter()
    start = datetime.combine(quarter.first, datetime.min.time(), UTC)
    end = datetime.combine(quarter.last + timedelta(days=1), datetime.min.time(), UTC)
    pipeline_id = pipelines.list_pipelines(session)[0].id
    scope = FunnelFilter(pipeline_id, quarter.first, quarter.last)
    now = utcnow()
    cases = {
        "cohort funnel": (
            lambda: funnel.cohort_funnel(session, SYSTEM, scope),
            lambda: naive_cohort(session, pipeline_id, start, end),
            select(func.count()).where(
                Deal.pipeline_id == pipeline_id, Deal.created_at >= start, Deal.created_at < end
            ),
        ),
        "current pipeline": (
            lambda: funnel.current_pipeline(session, SYSTEM, DealFilter(pipeline_id), now=now),
            lambda: naive_current(session, pipeline_id),
            select(func.count()).where(Deal.pipeline_id == pipeline_id, Deal.status == StageKind.OPEN),
        ),
        "time in stage": (
            lambda: funnel.time_in_stage(session, SYSTEM, scope, now=now),
            lambda: naive_time_in_stage(session, start, end),
            select(func.count()).where(StageTransition.at >= start, StageTransition.at < end),
        ),
        "manager dashboard": (
            lambda: activity.manager_activity(session, SYSTEM, date_from=quarter.first, date_to=quarter.last, now=now),
            lambda: naive_managers(session, start, end),
            select(func.count()).where(Activity.done_at >= start, Activity.done_at < end),
        ),
        "plan vs fact": (
            lambda: plan_fact.plan_fact(session, SYSTEM, period=quarter, today=today),
            lambda: naive_plan_fact(session, quarter),
            select(func.count()).where(Deal.closed_at >= start, Deal.closed_at < end, Deal.status == StageKind.WON),
        ),
        # The deals' history (issue: deal history); these read rows, not rollups ("rows" is the same).
        "pipeline as of": (
            lambda: history.pipeline_as_of(session, SYSTEM, pipeline_id, quarter.last, UTC),
            lambda: naive_as_of(session, pipeline_id, end),
            select(func.count()).select_from(StageTransition).where(StageTransition.at < end),
        ),
        "pipeline changes": (
            lambda: history.pipeline_changes(
                session, SYSTEM, pipeline_id, quarter.first - timedelta(days=1), quarter.last, UTC
            ),
            lambda: naive_changes(session, pipeline_id, start, end),
            # the rollup_changes rows it reads (the quarter's months)
            select(func.count()).select_from(
                period_rows(CHANGES, {"pipeline_id": (pipeline_id,)}, (start, end)).subquery()
            ),
        ),
        "slippage": (
            lambda: history.slippage(session, SYSTEM, quarter.first, quarter.last, UTC, pipeline_id=pipeline_id),
            lambda: naive_slippage(session, start, end),
            select(func.count())
            .select_from(DealChange)
            .where(DealChange.at >= start, DealChange.at < end, DealChange.field == "expected_close_date"),
        ),
    }
    return {
        name: (
            best(runs, ours),
            best(1, naive),
            best(runs, lambda bare=bare: session.execute(bare).scalar()),
            best(1, rows_only(ours)),
        )
        for name, (ours, naive, bare) in cases.items()
    }


def last_quarter() -> Period:
    return Period.containing(PeriodKind.QUARTER, utcnow().date()).shifted(-1)


def funnel_figures(session, funnel_filter: FunnelFilter, now: datetime) -> None:
    """What the Funnel page computes for one filter (views/funnel.py, without the comparison)."""
    cohort = funnel.cohort_funnel(session, SYSTEM, funnel_filter)
    funnel.win_rates(session, SYSTEM, funnel_filter)
    funnel.monthly_trend(session, SYSTEM, funnel_filter)
    stays = funnel.time_in_stage(session, SYSTEM, funnel_filter, now=now)
    funnel.lost_analysis(session, SYSTEM, funnel_filter)
    diagnosis.diagnose(session, SYSTEM, funnel_filter, now=now, funnel=cohort, stays=stays)


def filters(session, runs: int) -> dict[str, float]:
    """The Funnel page's figures for each filter, over the last whole quarter."""
    quarter = last_quarter()
    pipeline_id = pipelines.list_pipelines(session)[0].id
    team = users.list_teams(session)[0]
    manager = next(person for person in users.list_managers(session) if person.team_id == team.id)
    chosen = {
        "none": {},
        "source": {"source": SOURCE},
        "region": {"region": REGION},
        "segment": {"segment": SEGMENT},
        "team": {"team_id": team.id},
        "manager": {"owner_ids": (manager.id,)},
        "source+team": {"source": SOURCE, "team_id": team.id},
        "region+manager": {"region": REGION, "owner_ids": (manager.id,)},
        "segment+team": {"segment": SEGMENT, "team_id": team.id},
        "source+region": {"source": SOURCE, "region": REGION},
        "source+region+segment": {"source": SOURCE, "region": REGION, "segment": SEGMENT},
        "none, L.A. time": {"zone": OTHER_ZONE},
        "source, L.A. time": {"source": SOURCE, "zone": OTHER_ZONE},
        "segment+team, L.A. time": {"segment": SEGMENT, "team_id": team.id, "zone": OTHER_ZONE},
    }
    now = utcnow()
    results = {}
    for name, values in chosen.items():
        funnel_filter = FunnelFilter(pipeline_id, quarter.first, quarter.last, **values)
        results[name] = best(runs, lambda funnel_filter=funnel_filter: funnel_figures(session, funnel_filter, now))
    return results


def lists(session, runs: int) -> dict[str, float]:
    """The dashboard's overdue and rotting lists, as it asks for them: everyone's (every manager named),
    a team's, a manager's."""
    managers = users.list_managers(session)
    team_id = users.list_teams(session)[0].id
    team = tuple(person.id for person in managers if person.team_id == team_id)
    whose = {"everyone": tuple(person.id for person in managers), "team": team, "manager": team[:1]}
    now = utcnow()
    results = {}
    for name, owners in whose.items():
        for kind, read_list in (("overdue", overdue_activities), ("rotting", rotting_deals)):
            results[f"{kind}, {name}"] = best(
                runs,
                lambda read_list=read_list, owners=owners: read_list(
                    session, SYSTEM, owner_ids=owners, now=now, limit=LIST_LIMIT
                ),
            )
    return results


MEASURES = {"functions": functions, "filters": filters, "lists": lists}


def measure(url: str, runs: int, parts: list[str]) -> tuple[int, dict[str, dict]]:
    engine = make_engine(url)
    upgrade(engine)
    results = {}
    with transaction(engine) as session:
        deals = session.scalar(select(func.count()).select_from(Deal))
        for part in parts:
            results[part] = MEASURES[part](session, runs)
    engine.dispose()
    return deals, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", action="append", required=True, help="repeatable: each database measured")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--part", action="append", choices=MEASURES, help="repeatable; default: all")
    args = parser.parse_args()
    parts = args.part or list(MEASURES)
    measured = []
    for url in args.database_url:
        deals, results = measure(url, args.runs, parts)
        measured.append((deals, url, results))
        print(f"\n{deals:,} deals — {_where(url)}", flush=True)
        if "functions" in results:
            print_functions(results["functions"])
    by_kind: dict[str, list] = {}
    for one in measured:
        by_kind.setdefault(one[1].split(":")[0].split("+")[0], []).append(one)
    for kind, ones in by_kind.items():
        small, large = min(ones), max(ones)
        if "functions" in parts:
            print_function_targets(small, large)
        for part, title in (("filters", "Funnel page figures, by filter"), ("lists", "Dashboard lists")):
            if part in parts and small != large:
                print_ratios(f"{title} ({kind})", small, large, part)


def print_functions(results: dict[str, tuple[float, float, float, float]]) -> None:
    print(
        f"  {'function':18} {'ours s':>8} {'naive s':>8} {'naive/ours':>10} {'bare s':>8} {'ours/bare':>9}"
        f" {'rows s':>8} {'rows/ours':>9}"
    )
    for name, (ours, naive, bare, rows) in results.items():
        figures = f"{ours:8.3f} {naive:8.3f} {naive / ours:9.1f}x {bare:8.3f} {_over_bare(ours, bare):8.1f}x"
        print(f"  {name:18} {figures} {rows:8.3f} {rows / ours:8.1f}x")


def print_function_targets(small: tuple, large: tuple) -> None:
    targets = f"naive/ours ≥ {AT_LEAST_FASTER_THAN_NAIVE}x, ours/bare ≤ {AT_MOST_BARE}x"
    if small != large:
        targets += f", {large[0]:,} / {small[0]:,} deals time ratio ≤ {AT_MOST_LARGE_OVER_SMALL}x"
    print(f"\nTargets at {large[0]:,} deals ({_where(large[1])}): {targets}")
    for name, (ours, naive, bare, _) in large[2]["functions"].items():
        faster, near = naive / ours, _over_bare(ours, bare)
        line = f"naive/ours {faster:7.1f}x {_met(faster >= AT_LEAST_FASTER_THAN_NAIVE)};"
        line += f" ours/bare {near:4.1f}x {_met(near <= AT_MOST_BARE)}"
        if small != large:
            ratio = ours / small[2]["functions"][name][0]
            line += f"; ratio {ratio:.1f}x {_met(ratio <= AT_MOST_LARGE_OVER_SMALL)}"
        print(f"  {name:18} {line}")


def print_ratios(title: str, small: tuple, large: tuple, part: str) -> None:
    """Seconds at the smallest and the largest database, and their ratio against the target."""
    print(f"\n{title}: seconds, target {large[0]:,} / {small[0]:,} deals ≤ {AT_MOST_FILTER_LARGE_OVER_SMALL}x")
    print(f"  {'':26} {small[0]:>11,} {large[0]:>11,} {'ratio':>7}")
    for name, seconds in large[2][part].items():
        ratio = seconds / small[2][part][name]
        print(
            f"  {name:26} {small[2][part][name]:11.4f} {seconds:11.4f} {ratio:6.1f}x"
            f" {_met(ratio <= AT_MOST_FILTER_LARGE_OVER_SMALL)}"
        )


def _where(url: str) -> str:
    return url.split("@")[-1]


def _over_bare(ours: float, bare: float) -> float:
    return ours / max(bare, 1e-4)  # a bare count under 0.1 ms is measured as 0.1 ms


def _met(passed: bool) -> str:
    return "met" if passed else "NOT MET"


if __name__ == "__main__":
    main()

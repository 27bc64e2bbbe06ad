"""How long the Plan vs fact figures take on a big database, against pandas reading the deals table.

    python -m bench.plan_fact --database-url sqlite:///data/million.db [--period 2026-Q4]

Seed the database first (`make seed-1m`). Prints the seconds of each function behind the page (best
of three), and of a naive version of just the fact that reads the won deals into pandas and groups
them there, with the ratio, measured in the same run.
"""

import argparse

import pandas as pd
from sqlalchemy import text

from bench.analytics import best
from core.analytics import plan_fact
from core.clock import utcnow
from core.periods import Period, PeriodKind
from core.permissions import Actor
from db.engine import make_engine, transaction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--period", help="default: this quarter")
    args = parser.parse_args()
    today = utcnow().date()
    period = Period.parse(args.period) if args.period else Period.containing(PeriodKind.QUARTER, today)
    engine = make_engine(args.database_url)
    system = Actor.system()
    with transaction(engine) as session:
        deals = session.execute(text("SELECT count(*) FROM deals")).scalar_one()
        rows = plan_fact.plan_fact(session, system, period=period, today=today)
        weakest = int(rows[rows["level"] == "manager"].sort_values("completion_amount").iloc[0]["manager_id"])
        figures = {
            "plan_fact (every manager, team, company)": lambda: plan_fact.plan_fact(
                session, system, period=period, today=today
            ),
            "monthly_plan_fact (the year)": lambda: plan_fact.monthly_plan_fact(
                session, system, year=period.first.year, today=today
            ),
            "assumptions (one manager)": lambda: plan_fact.assumptions(
                session, system, manager_id=weakest, today=today
            ),
        }
        print(f"{deals:,} deals, period {period}, {engine.dialect.name}")
        for name, work in figures.items():
            print(f"  {name:45} {best(3, work):7.3f} s")

        def naive_fact() -> pd.DataFrame:
            won = pd.read_sql(
                text("SELECT closing_owner_id, amount, closed_at FROM deals WHERE status = 'won'"), session.connection()
            )
            won["closed_at"] = pd.to_datetime(won["closed_at"])
            start, end = pd.Timestamp(period.first), pd.Timestamp(period.last) + pd.Timedelta(days=1)
            in_period = won[(won["closed_at"] >= start) & (won["closed_at"] < end)]
            return in_period.groupby("closing_owner_id")["amount"].agg(["sum", "count"])

        ours = best(3, figures["plan_fact (every manager, team, company)"])
        naive = best(3, naive_fact)
        print(f"  {'naive pandas, the fact alone':45} {naive:7.3f} s")
        print(f"  every figure in SQL is {naive / ours:.1f}x faster than the naive fact alone")
    engine.dispose()


if __name__ == "__main__":
    main()

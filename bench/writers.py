"""Concurrent writers on shared deals: throughput, latency against a single writer, and afterwards a
check that nothing was lost.

    python -m bench.writers --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_writers --threads 16
    python -m bench.writers --database-url sqlite:///data/bench/writers.db --processes 4

The database is emptied and prepared (an admin, a pipeline, 100 shared deals, 1,000 planned calls).
Each worker performs --ops random operations through the services, each in its own transaction:
move a deal to another open stage, raise its amount by 1 (with the version it read), or complete a
planned call. A refused save (someone else changed the deal) and a database busy past its timeout
are counted, never hidden. Then: every deal's stage equals its last transition; transitions = the
deals' first entries + successful moves; each deal's amount = 1,000 + its successful raises (no lost
update slipped past the version check); the summary tables kept by every write equal the data.
"""

import argparse
import multiprocessing
import random
import statistics
import threading
import time
from collections import Counter
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError

from core import activities, deals, pipelines, users
from core.clock import utcnow
from core.errors import Conflict, ValidationError
from core.permissions import Actor
from db.engine import make_engine, transaction
from db.migrate import upgrade
from db.models import Activity, Base, Deal, StageTransition
from db.rollups import build

SHARED_DEALS = 100
PLANNED_CALLS = 1_000


def prepare(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with transaction(engine, write=True) as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in ("data_version", "alembic_version", "rollup_state"):
                session.execute(delete(table))
        system = Actor.system()
        admin_id = users.create_user(
            session,
            system,
            login="bench",
            display_name="Bench",
            role="admin",
            password="",
            password_hash=users.NO_PASSWORD_HASH,
        )
        pipeline_id = pipelines.create_from_template(session, system, "b2b_classic", "en")
        admin = Actor(admin_id, users.get_user(session, admin_id).role)
        first = pipelines.list_stages(session, pipeline_id)[0].id
        ids = [
            deals.create_deal(
                session,
                admin,
                pipeline_id=pipeline_id,
                stage_id=first,
                owner_id=admin_id,
                fields={"title": f"Shared {n}", "amount": 1000},
            )
            for n in range(SHARED_DEALS)
        ]
        rng = random.Random(1)
        for _ in range(PLANNED_CALLS):
            activities.plan_activity(
                session, admin, kind="call", subject="Call", deal_id=rng.choice(ids), due_at=utcnow()
            )
    engine.dispose()


def work(url: str, ops: int, seed: int, results) -> None:
    """One writer: `ops` random operations; appends (kind, outcome, seconds) to `results`."""
    engine = make_engine(url)
    rng = random.Random(seed)
    with transaction(engine) as session:
        admin = users.find_user(session, "bench").as_actor()
        pipeline_id = pipelines.list_pipelines(session)[0].id
        open_stages = [s.id for s in pipelines.list_stages(session, pipeline_id) if s.kind == "open"]
        deal_ids = list(session.scalars(select(Deal.id)))
        call_ids = list(session.scalars(select(Activity.id)))
    outcomes = []
    for _ in range(ops):
        kind = rng.choice(("move", "raise", "complete"))
        started = time.perf_counter()
        try:
            with transaction(engine, write=True) as session:
                if kind == "complete":
                    activities.complete_activity(session, admin, rng.choice(call_ids))
                else:
                    deal = deals.get_deal(session, admin, rng.choice(deal_ids))
                    if kind == "move":
                        target = rng.choice([s for s in open_stages if s != deal.stage_id])
                        deals.move_deal(session, admin, deal.id, target, deal.version)
                    else:
                        deals.update_deal(session, admin, deal.id, deal.version, {"amount": deal.amount + 1})
            outcome = "ok"
        except Conflict:
            outcome = "changed by someone else"
        except ValidationError:
            outcome = "refused (e.g. already done)"
        except OperationalError:
            outcome = "database busy"
        outcomes.append((kind, outcome, time.perf_counter() - started))
    engine.dispose()
    results.extend(outcomes)


def run(url: str, workers: int, ops: int, processes: bool) -> tuple[list, float]:
    started = time.perf_counter()
    if processes:
        with multiprocessing.Manager() as manager:
            shared = manager.list()
            jobs = [multiprocessing.Process(target=work, args=(url, ops, n, shared)) for n in range(workers)]
            for job in jobs:
                job.start()
            for job in jobs:
                job.join()
            results = list(shared)
    else:
        results = []
        threads = [threading.Thread(target=work, args=(url, ops, n, results)) for n in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return results, time.perf_counter() - started


def report(label: str, results: list, seconds: float) -> float:
    latencies = sorted(r[2] for r in results)
    ok = sum(1 for r in results if r[1] == "ok")
    p50 = statistics.median(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(
        f"{label}: {len(results):,} operations in {seconds:.1f} s = {len(results) / seconds:,.0f}/s "
        f"({ok / seconds:,.0f} successful/s); latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
    )
    for (kind, outcome), count in sorted(Counter((r[0], r[1]) for r in results).items()):
        print(f"    {kind:9} {outcome:28} {count:6,}")
    return p50


def check(url: str, results: list) -> None:
    engine = make_engine(url)
    with transaction(engine) as session:
        rows = session.execute(select(Deal.id, Deal.stage_id, Deal.amount)).all()
        transitions = session.scalar(select(func.count()).select_from(StageTransition))
        mismatched = 0
        for deal_id, stage_id, _ in rows:
            last = session.scalar(
                select(StageTransition.to_stage_id)
                .where(StageTransition.deal_id == deal_id)
                .order_by(StageTransition.at.desc(), StageTransition.id.desc())
                .limit(1)
            )
            mismatched += last != stage_id
        raised = sum(amount - Decimal(1000) for _, _, amount in rows)
        differences = build.check(session.connection())
    engine.dispose()
    moves = sum(1 for r in results if r[:2] == ("move", "ok"))
    raises = sum(1 for r in results if r[:2] == ("raise", "ok"))
    busy = sum(1 for r in results if r[1] == "database busy")
    print(f"  check: deals whose stage differs from their last transition: {mismatched}")
    print(
        f"  check: transitions {transitions:,} = {len(rows)} first entries + {moves:,} moves: "
        f"{transitions == len(rows) + moves}"
    )
    print(f"  check: amounts raised {raised:,.0f} = successful raises {raises:,}: {raised == raises} (no lost update)")
    print(f"  check: operations that met a busy database (a clear retry message in the app): {busy}")
    print(f"  check: summary tables equal the data after the concurrent writes: {not differences} {differences or ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--processes", type=int, default=0)
    parser.add_argument("--ops", type=int, default=500, help="operations per worker")
    args = parser.parse_args()
    workers, processes = (args.processes, True) if args.processes else (args.threads or 1, False)
    prepare(args.database_url)
    single, single_seconds = run(args.database_url, 1, args.ops, processes)
    single_p50 = report("1 writer", single, single_seconds)
    prepare(args.database_url)
    many, many_seconds = run(args.database_url, workers, args.ops, processes)
    many_p50 = report(f"{workers} {'processes' if processes else 'threads'}", many, many_seconds)
    print(f"  p50 latency against a single writer: {many_p50 / single_p50:.1f}x")
    check(args.database_url, many)


if __name__ == "__main__":
    main()

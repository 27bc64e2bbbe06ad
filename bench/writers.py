"""Concurrent writers on shared deals: throughput, latency against a single writer, and afterwards a
check that nothing was lost. On PostgreSQL also writer processes on different deals, 1 against 8.

    python -m bench.writers --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_writers --threads 16
    python -m bench.writers --database-url sqlite:///data/bench/writers.db --processes 4

The database is emptied and prepared (an admin, a pipeline, 100 shared deals, 1,000 planned calls).
Each worker performs --ops random operations through the services, each in its own transaction:
move a deal to another open stage, raise its amount by 1 (with the version it read), or complete a
planned call. A refused save (someone else changed the deal) and a database busy past its timeout
are counted, never hidden. Then: every deal's stage equals its last transition; transitions = the
deals' first entries + successful moves; each deal's amount = 1,000 + its successful raises (no lost
update slipped past the version check); the summary tables kept by every write equal the data.

Writers on different deals (PostgreSQL): each writer process moves its own deal between open stages,
one move per transaction, for --seconds; first 1 process, then 8. Nothing they touch is shared but
what every change must touch (the change marker, the summary tables), so 8 processes should do more
than one: the target is 8 writers >= 1.3x one writer's moves/s (issue 18).
"""

import argparse
import multiprocessing
import random
import statistics
import threading
import time
from collections import Counter
from decimal import Decimal

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core import activities, deals, pipelines, users
from core.clock import utcnow
from core.errors import Conflict, ValidationError
from core.permissions import Actor
from db import changes
from db.engine import make_engine, transaction, write
from db.migrate import upgrade
from db.models import Activity, Base, DataVersion, Deal, StageTransition
from db.rollups import build

SHARED_DEALS = 100
PLANNED_CALLS = 1_000
OWN_DEAL_WRITERS = (1, 8)
OWN_DEAL_TARGET = 1.3  # 8 writers' moves/s against one writer's
MAX_MOVES_PER_WRITER = 100_000  # with --seconds, bounds each writer's loop
START_TIMEOUT_S = 120  # the writer processes' imports and connections, before the clock starts


def emptied(url: str) -> tuple[Engine, int, int]:
    """The database migrated and emptied, with an admin and a pipeline: (engine, admin id, pipeline id)."""
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
    return engine, admin_id, pipeline_id


def prepare(url: str) -> None:
    engine, admin_id, pipeline_id = emptied(url)
    with transaction(engine, write=True) as session:
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


def prepare_own_deals(url: str, writers: int) -> list[int]:
    """One manager per writer, each with one deal of their own, as on a sales floor: the deals' ids."""
    engine, admin_id, pipeline_id = emptied(url)
    with transaction(engine, write=True) as session:
        admin = Actor(admin_id, users.get_user(session, admin_id).role)
        ids = []
        for n in range(writers):
            manager_id = users.create_user(
                session,
                admin,
                login=f"manager{n}",
                display_name=f"Manager {n}",
                role="manager",
                password="",
                password_hash=users.NO_PASSWORD_HASH,
            )
            fields = {"title": f"Own {n}", "amount": 1000}
            ids.append(deals.create_deal(session, admin, pipeline_id=pipeline_id, owner_id=manager_id, fields=fields))
    engine.dispose()
    return ids


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

        def operation(session, kind=kind) -> None:
            if kind == "complete":
                activities.complete_activity(session, admin, rng.choice(call_ids))
                return
            deal = deals.get_deal(session, admin, rng.choice(deal_ids))
            if kind == "move":
                target = rng.choice([s for s in open_stages if s != deal.stage_id])
                deals.move_deal(session, admin, deal.id, target, deal.version)
            else:
                deals.update_deal(session, admin, deal.id, deal.version, {"amount": deal.amount + 1})

        try:
            write(engine, operation)  # as the app writes: run again when PostgreSQL broke a deadlock
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


def bump_one_row(session: Session) -> None:
    """The change marker before issue 18, for --single-row-marker: every change bumps row 1."""
    session.execute(update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1))


def move_own_deal(url: str, deal_id: int, seconds: float, single_row_marker: bool, start, results) -> None:
    """Deal `deal_id`'s owner moving it (no other writer touches it) for `seconds` once every writer
    is ready; appends (started, finished, [(outcome, seconds) per move]) to `results`."""
    if single_row_marker:
        changes.bump = bump_one_row  # this process only
    engine = make_engine(url)
    rng = random.Random(deal_id)
    with transaction(engine) as session:
        owner_id = session.scalar(select(Deal.owner_id).where(Deal.id == deal_id))
        owner = users.get_user(session, owner_id).as_actor()
        pipeline_id = pipelines.list_pipelines(session)[0].id
        open_stages = [s.id for s in pipelines.list_stages(session, pipeline_id) if s.kind == "open"]
    start.wait(START_TIMEOUT_S)
    moves = []
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline and len(moves) < MAX_MOVES_PER_WRITER:
        began = time.perf_counter()
        try:
            with transaction(engine, write=True) as session:
                deal = deals.get_deal(session, owner, deal_id)
                target = rng.choice([s for s in open_stages if s != deal.stage_id])
                deals.move_deal(session, owner, deal_id, target, deal.version)
            outcome = "ok"
        except ValidationError:
            outcome = "refused"
        except OperationalError:
            outcome = "database busy"
        moves.append((outcome, time.perf_counter() - began))
    finished = time.perf_counter()
    engine.dispose()
    results.append((started, finished, moves))


def own_deals(url: str, workers: int, seconds: float, single_row_marker: bool) -> tuple[float, float, float, Counter]:
    """`workers` processes, each moving its own deal: (successful moves/s, p50 s, p95 s, outcomes)."""
    deal_ids = prepare_own_deals(url, workers)
    with multiprocessing.Manager() as manager:
        shared = manager.list()
        start = multiprocessing.Barrier(workers)
        jobs = [
            multiprocessing.Process(
                target=move_own_deal,
                args=(url, deal_id, seconds, single_row_marker, start, shared),
            )
            for deal_id in deal_ids
        ]
        for job in jobs:
            job.start()
        for job in jobs:
            job.join(START_TIMEOUT_S + seconds * 2)
        if stuck := [job for job in jobs if job.is_alive()]:
            for job in stuck:
                job.kill()
            raise SystemExit(f"writer processes {[job.pid for job in stuck]} did not finish in time")
        results = list(shared)
    if len(results) != workers:
        raise SystemExit(f"{workers - len(results)} of {workers} writer processes failed (their error is above)")
    window = max(r[1] for r in results) - min(r[0] for r in results)
    moves = [move for r in results for move in r[2]]
    latencies = sorted(s for outcome, s in moves if outcome == "ok")
    p95 = latencies[max(int(len(latencies) * 0.95) - 1, 0)]
    return len(latencies) / window, statistics.median(latencies), p95, Counter(outcome for outcome, _ in moves)


def report_own_deals(url: str, seconds: float, single_row_marker: bool) -> None:
    marker = "the single-row change marker of before, for comparison" if single_row_marker else "the change marker"
    print(f"Writers on different deals (each process moves its own deal, {seconds:.0f} s; {marker}):")
    rates = {}
    for workers in OWN_DEAL_WRITERS:
        rate, p50, p95, outcomes = own_deals(url, workers, seconds, single_row_marker)
        rates[workers] = rate
        others = ", ".join(f"{n:,} {outcome}" for outcome, n in sorted(outcomes.items()) if outcome != "ok")
        print(
            f"  {workers} process{'es' if workers > 1 else ''}: {rate:,.1f} moves/s; "
            f"latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms{f' ({others})' if others else ''}"
        )
    one, many = rates[OWN_DEAL_WRITERS[0]], rates[OWN_DEAL_WRITERS[-1]]
    ratio = many / one
    verdict = "met" if ratio >= OWN_DEAL_TARGET else "not met"
    print(f"  {OWN_DEAL_WRITERS[-1]} writers against 1: {ratio:.2f}x (target >= {OWN_DEAL_TARGET}x): {verdict}")
    engine = make_engine(url)
    with engine.connect() as connection:
        differences = build.check(connection)
    engine.dispose()
    print(f"  check: summary tables equal the data after the writers: {not differences} {differences or ''}")


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
    parser.add_argument("--seconds", type=float, default=15, help="per run of the writers on different deals")
    parser.add_argument("--only-different-deals", action="store_true", help="skip the writers on shared deals")
    parser.add_argument(
        "--single-row-marker", action="store_true", help="writers on different deals bump one row, as before issue 18"
    )
    args = parser.parse_args()
    if make_url(args.database_url).get_backend_name() == "postgresql":
        report_own_deals(args.database_url, args.seconds, args.single_row_marker)
    if args.only_different_deals:
        return
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

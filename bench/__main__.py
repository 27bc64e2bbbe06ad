"""`make bench`: seed what is missing, then run every benchmark and print its figures.

    python -m bench [--sizes 10000,1000000] [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432]

Databases: data/bench/sqlite-<N>.db and, when PostgreSQL answers, databases bench_<N> (seeded once,
all at once, with the demo generator, --seed 42, and kept for the next run). Then: analytics at scale
(SQLite and PostgreSQL), pages in Chromium (SQLite), a sales floor of live viewers (the 1M databases:
SQLite with one process, PostgreSQL with two behind nginx), concurrent writers (16 threads on PostgreSQL, 4
processes on SQLite).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from db.engine import make_engine, transaction
from db.migrate import upgrade
from db.models import Deal

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_ROOT / "data" / "bench"
FLOOR_DEALS = 1_000_000  # the sales-floor benchmark's database


def deal_count(url: str) -> int:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with transaction(engine) as session:
            return session.scalar(select(func.count()).select_from(Deal))
    finally:
        engine.dispose()


def seed_missing(wanted: list[tuple[str, int]]) -> None:
    """Seed each empty database of `wanted` (url, deals), all at once: one process each, so the two
    cores are busy (an SQLite seed runs in Python; a PostgreSQL one mostly in the server)."""
    with ExitStack() as logs:
        seeding = []
        for url, deals in wanted:
            have = deal_count(url)
            if have and have != deals:
                raise SystemExit(f"{url} holds {have:,} deals, not {deals:,}: remove it and run again")
            if not have:
                command = [sys.executable, "-m", "cli", "seed", "--deals", str(deals), "--seed", "42"]
                log = logs.enter_context(tempfile.TemporaryFile(mode="w+"))  # its progress line, shown if it fails
                process = subprocess.Popen(
                    command,
                    cwd=PROJECT_ROOT,
                    env={**os.environ, "DATABASE_URL": url},
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
                seeding.append((url, deals, process, log, time.perf_counter()))
        while seeding:
            time.sleep(1)
            for one in [one for one in seeding if one[2].poll() is not None]:
                url, deals, process, log, started = one
                seeding.remove(one)
                if process.returncode:
                    log.seek(0)
                    raise SystemExit(f"seeding {url} failed:\n{log.read()[-2000:]}")
                seconds = time.perf_counter() - started
                print(f"seeded {deals:,} deals into {url.split('@')[-1]} in {seconds:.0f} s", flush=True)


def vacuumed(url: str) -> str:
    """PostgreSQL after a bulk load: VACUUM sets the visibility map (index-only scans), as autovacuum would."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return url


def postgres_database(server: str, name: str) -> str | None:
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    except (OperationalError, ProgrammingError) as error:
        print(f"PostgreSQL benchmarks skipped: {server} does not answer ({error.orig})", flush=True)
        return None
    finally:
        admin.dispose()
    return f"{server}/{name}"


def step(command: list[str]) -> None:
    result = subprocess.run(command, cwd=PROJECT_ROOT)
    if result.returncode:
        raise SystemExit(f"failed: {' '.join(command)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sqlite = [f"sqlite:///{BENCH_DIR / f'sqlite-{size}.db'}" for size in sizes]
    postgres = []
    if postgres_database(args.postgres_url, "postgres"):
        postgres = [postgres_database(args.postgres_url, f"bench_{size}") for size in sizes]
    seed_missing([*zip(sqlite, sizes, strict=True), *zip(postgres, sizes, strict=False)])
    postgres = [vacuumed(url) for url in postgres]
    python = [sys.executable, "-m"]
    print("\n== Analytics at scale: ours against naive pandas and a bare indexed count ==", flush=True)
    for urls in (sqlite, postgres):
        if urls:
            step([*python, "bench.analytics", *[a for url in urls for a in ("--database-url", url)]])
    print("\n== Pages in Chromium, signed in as the executive ==", flush=True)
    step([*python, "bench.pages", *[a for url in sqlite for a in ("--database-url", url)]])
    if FLOOR_DEALS in sizes:
        print("\n== A sales floor: N live viewers in Chromium, a manager, a writer ==", flush=True)
        floor = ["--sqlite-url", sqlite[sizes.index(FLOOR_DEALS)]]
        if postgres:
            floor += ["--postgres-url", postgres[sizes.index(FLOOR_DEALS)]]
        step([*python, "bench.floor", *floor, *([] if postgres else ["--only", "sqlite"])])
    print("\n== Concurrent writers ==", flush=True)
    writers_pg = postgres_database(args.postgres_url, "bench_writers") if postgres else None
    if writers_pg:
        step([*python, "bench.writers", "--database-url", writers_pg, "--threads", "16"])
    step([*python, "bench.writers", "--database-url", f"sqlite:///{BENCH_DIR / 'writers.db'}", "--processes", "4"])
    print(f"\nmake bench took {(time.perf_counter() - started) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()

"""`make bench`: seed what is missing, then run every benchmark and print its figures.

    python -m bench [--sizes 10000,1000000] [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432]

Databases: data/bench/sqlite-<N>.db and, when PostgreSQL answers, databases bench_<N> (seeded once
with the demo generator, --seed 42, and kept for the next run). Then: analytics at scale (SQLite and
PostgreSQL), pages in Chromium (SQLite), concurrent writers (16 threads on PostgreSQL, 4 processes on
SQLite).
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from db.engine import make_engine, transaction
from db.migrate import upgrade
from db.models import Deal

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_ROOT / "data" / "bench"


def deal_count(url: str) -> int:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with transaction(engine) as session:
            return session.scalar(select(func.count()).select_from(Deal))
    finally:
        engine.dispose()


def seeded(url: str, deals: int) -> str:
    """`url` holding exactly `deals` demo deals, seeding it when empty."""
    have = deal_count(url)
    if have == deals:
        return url
    if have:
        raise SystemExit(f"{url} holds {have:,} deals, not {deals:,}: remove it and run again")
    started = time.perf_counter()
    step([sys.executable, "-m", "core", "seed", "--deals", str(deals), "--seed", "42"], env_url=url, quiet=True)
    print(f"seeded {deals:,} deals into {url.split('@')[-1]} in {time.perf_counter() - started:.0f} s", flush=True)
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


def step(command: list[str], *, env_url: str | None = None, quiet: bool = False) -> None:
    env = {**os.environ, **({"DATABASE_URL": env_url} if env_url else {})}
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL if quiet else None)
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
    sqlite = [seeded(f"sqlite:///{BENCH_DIR / f'sqlite-{size}.db'}", size) for size in sizes]
    postgres = []
    for size in sizes:
        url = postgres_database(args.postgres_url, f"bench_{size}")
        if url is None:
            break
        postgres.append(seeded(url, size))
    python = [sys.executable, "-m"]
    print("\n== Analytics at scale: ours against naive pandas and a bare indexed count ==", flush=True)
    for urls in (sqlite, postgres):
        if urls:
            step([*python, "bench.analytics", *[a for url in urls for a in ("--database-url", url)]])
    print("\n== Pages in Chromium, signed in as the executive ==", flush=True)
    step([*python, "bench.pages", *[a for url in sqlite for a in ("--database-url", url)]])
    print("\n== Concurrent writers ==", flush=True)
    writers_pg = postgres_database(args.postgres_url, "bench_writers") if postgres else None
    if writers_pg:
        step([*python, "bench.writers", "--database-url", writers_pg, "--threads", "16"])
    step([*python, "bench.writers", "--database-url", f"sqlite:///{BENCH_DIR / 'writers.db'}", "--processes", "4"])
    print(f"\nmake bench took {(time.perf_counter() - started) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()

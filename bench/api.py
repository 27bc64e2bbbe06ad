"""Deal creation through the API against the same creates through the services: requests/s and p95.

    python -m bench.api --database-url sqlite:///data/bench/api.db [--clients 4] [--seconds 10]
    python -m bench.api --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_api

The database is emptied and prepared (an admin, the B2B pipeline, a manager with an API token).
Then, for --seconds each, --clients threads create deals: first calling the services directly in
this process (each create its own transaction, as the API does), then POSTing /api/v1/deals to the
app's own server (server.py, started here with no rate limit). The figures: creates/s, p50 and p95
latency of each, and the API's share of the direct figures.
"""

import argparse
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import Engine

from bench.writers import emptied
from core import deals, tokens, users
from core.permissions import Actor
from db.engine import transaction, write
from db.models import Role
from deploy.floor import app_command, free_port, wait_healthy

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def prepare(url: str) -> tuple[Engine, Actor, int, str]:
    """The emptied database's engine, a manager, the pipeline's id, and the manager's API token."""
    engine, _admin_id, pipeline_id = emptied(url)
    with transaction(engine, write=True) as session:
        manager_id = users.create_user(
            session,
            Actor.system(),
            login="manager",
            display_name="Bench Manager",
            role=Role.MANAGER,
            password="",
            password_hash=users.NO_PASSWORD_HASH,
        )
        manager = Actor(manager_id, Role.MANAGER)
        _, secret = tokens.create(session, manager, "bench")
    return engine, manager, pipeline_id, secret


def timed(clients: int, seconds: float, create: Callable[[int], None]) -> list[float]:
    """Each client creating deals one after another for `seconds`: every create's latency."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            create(number)
            latencies[number].append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [latency for each in latencies for latency in each]


def summary(name: str, latencies: list[float], seconds: float) -> tuple[float, float]:
    rate = len(latencies) / seconds
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
    print(
        f"{name:>9}: {len(latencies):6,} creates, {rate:7.1f}/s, "
        f"p50 {statistics.median(latencies) * 1000:6.1f} ms, p95 {p95:6.1f} ms"
    )
    return rate, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    engine, manager, pipeline_id, secret = prepare(args.database_url)

    def direct(number: int) -> None:
        write(engine, lambda s: deals.create_deal(s, manager, pipeline_id=pipeline_id, fields=_fields(number)))

    print(f"deal creation, {args.clients} clients, {args.seconds:.0f} s each, {engine.dialect.name}")
    direct_rate, direct_p95 = summary("services", timed(args.clients, args.seconds, direct), args.seconds)

    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "app.log"
        env = {**os.environ, "DATABASE_URL": args.database_url, "API_RATE_PER_MINUTE": "100000000"}
        with log.open("w") as output:
            server = subprocess.Popen(app_command(port), cwd=PROJECT_ROOT, env=env, stdout=output, stderr=output)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", server, log)
            local = threading.local()

            def over_http(number: int) -> None:
                if not hasattr(local, "client"):
                    local.client = httpx.Client(
                        base_url=f"http://127.0.0.1:{port}/api/v1", headers={"Authorization": f"Bearer {secret}"}
                    )
                answer = local.client.post("/deals", json={"pipeline_id": pipeline_id, **_fields(number)})
                if answer.status_code != 201:
                    raise SystemExit(f"the API answered {answer.status_code}: {answer.text}")

            api_rate, api_p95 = summary("API", timed(args.clients, args.seconds, over_http), args.seconds)
        finally:
            server.terminate()
            server.wait(10)
    print(f"API / services: {api_rate / direct_rate:.2f}x the creates/s, {api_p95 / direct_p95:.2f}x the p95")
    engine.dispose()


def _fields(number: int) -> dict:
    return {"title": f"Bench deal {number}", "amount": "1500.00", "source": "bench"}


if __name__ == "__main__":
    main()

"""Bad days: the process killed (SIGKILL) in the middle of a bulk import and of a burst of writes.
After it, the database is consistent: the import applied completely or not at all, and every deal's
stage, version and history agree, and the summary tables with them."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from core import deals, pipelines, users
from core.permissions import Actor
from db.engine import transaction
from db.models import Deal, StageTransition
from db.rollups import build
from tests.conftest import POSTGRES_URL, new_database

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ROWS = 3_000  # three batches of the import: the kill comes after the first, before the commit
# Moves random deals of the B2B pipeline forever, each move its own transaction, printing each one.
WRITER = """
import random, sys
from core import deals, pipelines, users
from db.engine import make_engine, transaction
engine = make_engine(sys.argv[1])
rng = random.Random(7)
with transaction(engine) as session:
    actor = users.find_user(session, "writer").as_actor()
    pipeline = pipelines.list_pipelines(session)[0].id
    stages = [s.id for s in pipelines.list_stages(session, pipeline) if s.kind == "open"]
    ids = [int(i) for i in sys.argv[2].split(",")]
done = 0
while True:
    with transaction(engine, write=True) as session:
        deal = deals.get_deal(session, actor, rng.choice(ids))
        target = rng.choice([s for s in stages if s != deal.stage_id])
        deals.move_deal(session, actor, deal.id, target, deal.version)
    done += 1
    print(done, flush=True)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    engine, drop = new_database(request.param, tmp_path)
    if request.param == "sqlite":
        url = str(engine.url)
    else:
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with transaction(engine, write=True) as session:
        system = Actor.system()
        pipelines.create_from_template(session, system, "b2b_classic", "en")
        users.create_user(
            session,
            system,
            login="writer",
            display_name="Writer",
            role="manager",
            password="",
            password_hash=users.NO_PASSWORD_HASH,
        )
    yield engine, url
    drop()


def run_until(args: list[str], url: str, marker: str, timeout: float = 120) -> subprocess.Popen:
    """Start a process and return once it has printed `marker` (on stdout or stderr)."""
    process = subprocess.Popen(
        args,
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        chunk = process.stdout.read(1) if process.stdout else ""
        if not chunk and process.poll() is not None:
            raise AssertionError(f"the process ended before {marker!r}: {seen[-2000:]}")
        seen += chunk
        if marker in seen:
            return process
    process.kill()
    raise AssertionError(f"no {marker!r} within {timeout} s: {seen[-2000:]}")


def test_a_bulk_import_killed_half_way_leaves_nothing_and_runs_again(database, tmp_path):
    engine, url = database
    source = tmp_path / "big.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "owner", "stage", "amount", "created"])
        for number in range(ROWS):
            writer.writerow([f"K-{number}", f"Agent {number % 7}", "Qualification", number, "2026-01-05"])
    mapping = tmp_path / "mapping.json"
    columns = {"external_id": "id", "owner": "owner", "stage": "stage", "amount": "amount", "created_at": "created"}
    stages = {"Qualification": "Qualification"}
    mapping.write_text(json.dumps({"pipeline": "B2B classic", "stages": stages, "columns": columns}))
    command = [sys.executable, "-m", "cli", "import", "foreign", str(source), "--mapping", str(mapping)]

    process = run_until(command, url, f"/{ROWS:,} deals")  # the first batches are written, not yet committed
    process.send_signal(signal.SIGKILL)
    process.wait(10)

    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Deal)) == 0
        assert session.scalar(select(func.count()).select_from(StageTransition)) == 0
        assert build.check(session.connection()) == {}
        if engine.dialect.name == "sqlite":
            assert session.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    finished = subprocess.run(
        command, cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Deal)) == ROWS
        assert session.scalar(select(func.count()).select_from(StageTransition)) == ROWS
        assert build.check(session.connection()) == {}


def test_a_burst_of_writes_killed_leaves_every_deal_consistent(database):
    engine, url = database
    with transaction(engine, write=True) as session:
        writer = users.find_user(session, "writer").as_actor()
        pipeline = pipelines.list_pipelines(session)[0].id
        ids = [deals.create_deal(session, writer, pipeline_id=pipeline, fields={"title": f"D{i}"}) for i in range(20)]

    process = run_until([sys.executable, "-c", WRITER, url, ",".join(map(str, ids))], url, "\n60\n")
    process.send_signal(signal.SIGKILL)
    process.wait(10)

    with transaction(engine) as session:
        rows = session.execute(select(Deal.id, Deal.stage_id, Deal.version)).all()
        last_stage = {
            deal_id: session.scalar(
                select(StageTransition.to_stage_id)
                .where(StageTransition.deal_id == deal_id)
                .order_by(StageTransition.at.desc(), StageTransition.id.desc())
                .limit(1)
            )
            for deal_id, _, _ in rows
        }
        moves = dict(
            session.execute(select(StageTransition.deal_id, func.count() - 1).group_by(StageTransition.deal_id)).all()
        )
        assert build.check(session.connection()) == {}  # the summary tables went with each committed move
    assert sum(moves.values()) >= 60
    for deal_id, stage_id, version in rows:
        assert stage_id == last_stage[deal_id]
        assert version == 1 + moves[deal_id]  # every committed move bumped the version once and wrote one transition

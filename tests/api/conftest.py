"""The API against a running server: uvicorn serving api.routes on a free port over a database of
each kind (SQLite, PostgreSQL), called with httpx as any other program would call it."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, func, select
from starlette.applications import Starlette

import api
from core import tokens
from core.permissions import Actor
from core.settings import Settings
from db.engine import transaction
from db.models import Activity, Company, Contact, Deal, Role, Stage
from deploy.floor import free_port
from tests.conftest import new_database
from tests.unit.conftest import World, add_user, make_world

SETTINGS = Settings(api_rate_per_minute=100_000)


@contextmanager
def serving(engine: Engine, settings: Settings = SETTINGS) -> Iterator[httpx.Client]:
    """The API on a free port until the block ends, and a client of it."""
    app = Starlette(routes=api.routes(lambda: engine, lambda: settings))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=30) as client:
        yield client
    server.should_exit = True
    thread.join(10)


@dataclass(frozen=True)
class Served:
    client: httpx.Client
    engine: Engine
    world: World
    vera: Actor  # a third manager of the team
    secrets: dict[str, str]  # login → an API token of theirs; "intake" → the intake token

    def call(self, method: str, path: str, who: str = "root", **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.secrets[who]}"} if who else {}
        return self.client.request(method, path, headers=headers, **kwargs)

    def counts(self) -> dict[str, int]:
        """How many rows each table a write may touch holds now."""
        with transaction(self.engine) as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Deal, Contact, Company, Activity)
            }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, tmp_path_factory) -> Iterator[Served]:
    engine, drop = new_database(request.param, tmp_path_factory.mktemp("api"))
    with transaction(engine, write=True) as session:
        world = make_world(session)
        vera = add_user(session, "vera", Role.MANAGER, world.anna.team_id)
        first = session.scalar(
            select(Stage).where(Stage.pipeline_id == world.pipeline_id).order_by(Stage.position).limit(1)
        )
        first.entry_tasks = [{"title": "Classify the request", "due_hours": 1}]
        secrets = {
            login: tokens.create(session, actor, f"{login}'s script")[1]
            for login, actor in (
                ("root", world.admin),
                ("chief", world.executive),
                ("anna", world.anna),
                ("boris", world.boris),
            )
        }
        intake = tokens.Intake(pipeline_id=world.pipeline_id, team_id=world.anna.team_id, window_days=30)
        secrets["intake"] = tokens.create(session, world.admin, "Website form", intake=intake)[1]
    with serving(engine) as client:
        yield Served(client, engine, world, vera, secrets)
    drop()


@pytest.fixture
def limited(served) -> Iterator[httpx.Client]:
    """The same database behind a server that lets a token make 3 calls a minute."""
    with serving(served.engine, replace(SETTINGS, api_rate_per_minute=3)) as client:
        yield client

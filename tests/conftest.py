"""Databases for the tests: every service test runs on SQLite and on PostgreSQL.

Migrations run once per database per test session; each test runs inside a transaction that is
rolled back, with the services' own commits turned into savepoints.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db.engine import make_engine, new_session
from db.migrate import upgrade

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


def postgres_unavailable(reason: str) -> None:
    if REQUIRE_POSTGRES:
        pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def postgres_admin(statement: str) -> Engine:
    """An autocommit engine on the test server, after running `statement` with it (the test skips,
    or fails when PostgreSQL is required, when the server does not answer)."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    except OperationalError as error:
        admin.dispose()
        postgres_unavailable(f"cannot connect to {POSTGRES_URL}: {error.orig}")
    return admin


def new_database(kind: str, tmp_dir, revision: str = "head") -> tuple[Engine, callable]:
    """A freshly migrated (to `revision`), empty database of `kind`, and the function that removes it."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_dir / f'{uuid.uuid4().hex}.db'}")
        upgrade(engine, revision)
        return engine, engine.dispose
    schema = f"funnel_test_{uuid.uuid4().hex[:12]}"
    admin = postgres_admin(f'CREATE SCHEMA "{schema}"')
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(engine, revision)

    def drop() -> None:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return engine, drop


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request, tmp_path_factory) -> Iterator[Engine]:
    engine, drop = new_database(request.param, tmp_path_factory.mktemp("db"))
    yield engine
    drop()


@pytest.fixture
def fresh_engine(engine, tmp_path) -> Iterator[Engine]:
    """An empty database of the same kind, for tests that must commit (concurrency)."""
    fresh, drop = new_database(engine.dialect.name, tmp_path)
    yield fresh
    drop()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    yield from session_of(engine)


def session_of(engine) -> Iterator[Session]:
    """A session in a transaction that is rolled back after it."""
    with engine.connect() as connection:
        outer = connection.begin()
        session = new_session(bind=connection, join_transaction_mode="create_savepoint")
        yield session
        session.close()
        outer.rollback()


DEMO_DEALS = 300
DEMO_PASSWORD = "demo-pass"
# A user and a deal whose names are markup: every page must show them as plain text.
HOSTILE_LOGIN = "mallory"
HOSTILE_NAME = "<script>alert(1)</script> Mallory"
HOSTILE_TITLE = "<img src=x onerror=alert(1)> Deal"


def _add_hostile_records(session) -> None:
    from core import deals, pipelines, users
    from core.permissions import Actor
    from db.models import Role

    user_id = users.create_user(
        session,
        Actor.system(),
        login=HOSTILE_LOGIN,
        display_name=HOSTILE_NAME,
        role=Role.MANAGER,
        password=DEMO_PASSWORD,
    )
    first_pipeline = pipelines.list_pipelines(session)[0].id
    deals.create_deal(
        session, Actor(user_id, Role.MANAGER), pipeline_id=first_pipeline, fields={"title": HOSTILE_TITLE, "amount": 1}
    )


@pytest.fixture(scope="session")
def demo_database_url(seeded_demo_url) -> str:
    """The demo database the page tests read (the browser tests write to their own copy)."""
    return seeded_demo_url


@pytest.fixture(scope="session")
def seeded_demo_url(tmp_path_factory) -> str:
    """An SQLite file with a small demo company, as seeded: nothing writes to it."""
    from core.seed import seed_demo
    from db.engine import transaction

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(engine, write=True) as session:
        seed_demo(session, deals=DEMO_DEALS, seed=1)
        _add_hostile_records(session)
    engine.dispose()
    return url


def copy_of(url: str, copy: Path) -> str:
    """A copy of the SQLite database at `url`, written to `copy`."""
    import shutil

    engine = make_engine(url)
    with engine.connect() as connection:  # fold the WAL into the file before copying it
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    shutil.copy(Path(url.removeprefix("sqlite:///")), copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def writable_demo_url(demo_database_url, tmp_path) -> str:
    """A private copy of the demo database, for a test that writes."""
    return copy_of(demo_database_url, tmp_path / "demo-copy.db")


def signed_in_session(url: str, login: str) -> int:
    """A session opened for `login` on the database at `url`, as a sign-in opens one: its id."""
    from core import sessions, users
    from core.settings import load_settings
    from db.engine import transaction

    engine = make_engine(url)
    with transaction(engine, write=True) as session:
        started = sessions.start(session, users.find_user(session, login), lifetimes=load_settings().session_lifetimes)
    engine.dispose()
    return started.id


def user_of(url: str, login: str):
    """The user `login` of the database at `url` (core.users.UserInfo)."""
    from core import users
    from db.engine import transaction

    engine = make_engine(url)
    with transaction(engine) as session:
        user = users.find_user(session, login)
    engine.dispose()
    return user


def user_id_of(url: str, login: str) -> int:
    return user_of(url, login).id

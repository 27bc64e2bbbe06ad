"""The one engine factory and unit of work; the caller creates one engine per process."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, Integer, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from db import changes, history
from db.models import Base
from db.rollups import upkeep

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'funnel.db'}"
SQLITE_BUSY_TIMEOUT_MS = 15_000
T = TypeVar("T")

# The one session factory: each of its sessions bumps the data version, keeps the deals' field history
# and the summary tables in every flush (in that order: the bump first).
new_session = sessionmaker()
changes.install(new_session)
history.install(new_session)  # before the upkeep: it sees the field changes a flush adds
upkeep.install(new_session)


def make_engine(url: str = DEFAULT_DATABASE_URL, **kwargs) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so SAVEPOINTs work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A writing transaction takes the write lock up front (BEGIN IMMEDIATE) and waits for it
        # with the busy timeout, instead of failing when it upgrades a stale read snapshot.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """One unit of work: commits when the block ends normally, rolls back otherwise, always closes."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if write else engine
    with new_session(bind=bind) as session, session.begin():
        yield session


# PostgreSQL undid the transaction to break a deadlock (two writers adding to the same summary rows
# in opposite orders) or a serialization conflict: running it again from the start is safe.
RETRIED_STATES = ("40P01", "40001")
WRITE_ATTEMPTS = 3


def write(engine: Engine, action: Callable[[Session], T]) -> T:
    """`action(session)` in its own write transaction, run again (up to WRITE_ATTEMPTS in all) when
    PostgreSQL undid it to break a deadlock; any other failure, or the last one, is raised."""
    attempt = 1
    while True:
        try:
            with transaction(engine, write=True) as session:
                return action(session)
        except OperationalError as error:
            if attempt == WRITE_ATTEMPTS or getattr(error.orig, "sqlstate", None) not in RETRIED_STATES:
                raise
            attempt += 1


def advance_sequences(session: Session) -> None:
    """Rows inserted with explicit ids leave PostgreSQL's sequences behind; move each forward."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        id_column = table.columns.get("id")
        if id_column is not None and id_column.primary_key and isinstance(id_column.type, Integer):
            latest = f"COALESCE((SELECT max(id) FROM {table.name}), 1)"
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), {latest})"))

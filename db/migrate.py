"""Alembic, driven from code: the app and the CLI upgrade to head on start."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, text

from db.rollups import build

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Several app instances may start at once against one PostgreSQL; only one migrates at a time.
PG_MIGRATION_LOCK_ID = 74_656_001


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite's batch mode rebuilds a table (copy, drop, rename); with foreign keys on, dropping a
            # table other tables refer to fails. The pragma only takes effect outside a transaction.
            _pragma(connection, "foreign_keys=OFF")
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": PG_MIGRATION_LOCK_ID})
                config.attributes["connection"] = connection
                before = MigrationContext.configure(connection).get_current_revision()
                command.upgrade(config, revision)
                if revision == "head" and not build.is_current(connection):
                    # New tables, or a new definition of them: computed once from the data (5–6 minutes at
                    # 1M deals on 2 cores).
                    build.rebuild(connection)
                if MigrationContext.configure(connection).get_current_revision() != before:
                    # New indexes and tables need statistics, or the planner may pick them badly (a sort of
                    # every deal instead of reading the newest from an index).
                    connection.execute(text("ANALYZE"))
                    # A rebuilt table must still point at existing rows; with no migration there is nothing
                    # to check (the whole file: seconds at a million deals).
                    if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                        raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys=ON")


def _pragma(connection: Connection, setting: str) -> None:
    connection.connection.driver_connection.execute(f"PRAGMA {setting}")

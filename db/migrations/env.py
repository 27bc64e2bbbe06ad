"""Alembic environment: runs on the caller's connection, or on DATABASE_URL from the command line."""

import os

from alembic import context

from db.engine import DEFAULT_DATABASE_URL, make_engine
from db.models import Base


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    with engine.begin() as own_connection:
        _run(own_connection)

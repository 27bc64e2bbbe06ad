from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from db.migrate import alembic_config, upgrade
from db.models import Base


def test_migrations_produce_exactly_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert context.get_current_revision() == head


def test_upgrade_is_idempotent_and_keeps_the_tables(engine):
    upgrade(engine)

    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables

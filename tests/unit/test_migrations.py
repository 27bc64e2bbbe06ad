from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect

from db.engine import make_engine
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


def test_a_start_with_nothing_to_migrate_checks_nothing_across_the_file(tmp_path):
    """The whole-file foreign key check runs after a migration, not on every start (seconds at 1M deals)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'start.db'}")
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        upgrade(engine, "0010")
        upgrade(engine)
        migrated = list(statements)
        statements.clear()
        upgrade(engine)
    finally:
        engine.dispose()

    assert any("foreign_key_check" in statement for statement in migrated)
    assert not any("foreign_key_check" in statement or "ANALYZE" in statement for statement in statements)

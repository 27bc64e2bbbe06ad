"""Backup and restore through the CLI: a backup restored into an empty database gives every report
back, on SQLite and on PostgreSQL; a database with data is replaced only when asked."""

import io
import shutil
import uuid
from contextlib import redirect_stderr, redirect_stdout

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cli.main import main
from tests.conftest import POSTGRES_URL, postgres_admin, postgres_unavailable

REPORTS = [
    ("report", "funnel", "--pipeline", "B2B classic", "--from", "2025-01-01", "--to", "2026-12-31"),
    ("report", "managers", "--from", "2025-01-01", "--to", "2026-12-31"),
    ("report", "plan-fact", "--period", "2026"),
    ("report", "changes", "--pipeline", "B2B classic", "--from", "2026-06-30", "--to", "2026-09-30"),
    ("import", "list"),
]


def run_cli(monkeypatch, url: str, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", url)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def reports(monkeypatch, url: str) -> list[str]:
    return [run_cli(monkeypatch, url, *report)[1] for report in REPORTS]


def test_an_sqlite_backup_restored_into_an_empty_database_gives_every_report_back(
    monkeypatch, writable_demo_url, tmp_path
):
    saved, empty = tmp_path / "backup.db", f"sqlite:///{tmp_path / 'restored.db'}"

    code, out, _ = run_cli(monkeypatch, writable_demo_url, "backup", "--to", str(saved))
    restored = run_cli(monkeypatch, empty, "restore", str(saved))

    assert code == 0 and out.startswith(f"backed up into {saved}")
    assert restored[0] == 0, restored
    assert reports(monkeypatch, empty) == reports(monkeypatch, writable_demo_url)
    again = run_cli(monkeypatch, writable_demo_url, "backup", "--to", str(saved))
    assert again[0] == 1 and "exists already" in again[2]  # never over an older backup


def test_a_restore_over_data_is_refused_unless_replacing(monkeypatch, writable_demo_url, demo_database_url, tmp_path):
    from core import deals, pipelines, users
    from db.engine import make_engine, transaction

    saved = tmp_path / "backup.db"
    run_cli(monkeypatch, demo_database_url, "backup", "--to", str(saved))
    engine = make_engine(writable_demo_url)
    with transaction(engine, write=True) as session:
        anna = users.find_user(session, "anna").as_actor()
        fields = {"title": "Made after the backup", "amount": "1000"}
        deals.create_deal(session, anna, pipeline_id=pipelines.list_pipelines(session)[0].id, fields=fields)
    engine.dispose()
    assert reports(monkeypatch, writable_demo_url) != reports(monkeypatch, demo_database_url)

    refused = run_cli(monkeypatch, writable_demo_url, "restore", str(saved))
    replaced = run_cli(monkeypatch, writable_demo_url, "restore", str(saved), "--replace")

    assert refused[0] == 1 and "--replace" in refused[2]
    assert replaced[0] == 0
    assert reports(monkeypatch, writable_demo_url) == reports(monkeypatch, demo_database_url)


def test_a_postgresql_backup_restored_into_an_empty_database_gives_every_report_back(
    monkeypatch, demo_database_url, tmp_path
):
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        postgres_unavailable("pg_dump and pg_restore are not installed (Debian: postgresql-client)")
    names = [f"funnel_backup_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = postgres_admin(f'CREATE DATABASE "{names[0]}"')
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{names[1]}"'))
        source, target = (make_url(POSTGRES_URL).set(database=name).render_as_string(False) for name in names)
        export = tmp_path / "export"
        assert run_cli(monkeypatch, demo_database_url, "export", "--to", str(export))[0] == 0
        assert run_cli(monkeypatch, source, "import", "native", str(export))[0] == 0
        saved = tmp_path / "backup.dump"

        code, out, err = run_cli(monkeypatch, source, "backup", "--to", str(saved))
        restored = run_cli(monkeypatch, target, "restore", str(saved))

        assert code == 0, err
        assert restored[0] == 0, restored
        assert reports(monkeypatch, target) == reports(monkeypatch, source)
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("missing", ["pg_dump"])
def test_a_missing_pg_dump_is_named(monkeypatch, tmp_path, missing):
    from core import backup
    from core.errors import ValidationError
    from db.engine import make_engine

    monkeypatch.setattr(shutil, "which", lambda tool: None)
    engine = make_engine(POSTGRES_URL)
    with pytest.raises(ValidationError) as error:
        backup.backup(engine, tmp_path / "x.dump")
    engine.dispose()
    assert "apt-get install postgresql-client" in str(error.value.errors["tool"]) and missing in str(error.value)

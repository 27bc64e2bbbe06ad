"""Backup and restore of the whole database (`python -m cli backup` and `restore`).

SQLite: the online backup API copies the file page by page, consistent while the app writes. PostgreSQL:
`pg_dump` in its custom format, read back by `pg_restore`; both must be installed (Debian: the
postgresql-client package) and of the server's major version or newer. A restore replaces the whole
database with the backup's, schema version included (the next start migrates an older one); it is
refused on a database with users or deals unless asked to replace them.
"""

import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine

from core.errors import ValidationError
from core.messages import Message
from core.seed import database_is_empty
from db.engine import transaction

PG_TIMEOUT_S = 6 * 3600  # bounds a dump or a restore of a large database


def backup(engine: Engine, target: Path) -> None:
    """The whole database into `target` (a new file)."""
    if target.exists():
        raise ValidationError({"to": Message("backup.exists", path=str(target))})
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        with closing(_sqlite(engine)) as live, closing(sqlite3.connect(target)) as copy:
            live.backup(copy)
        return
    _pg("pg_dump", "--format=custom", "--no-owner", f"--file={target}", _dsn(engine))


def restore(engine: Engine, source: Path, *, replace: bool = False) -> None:
    """The database becomes the backup in `source`."""
    if not source.is_file():
        raise ValidationError({"file": Message("backup.no_file", path=str(source))})
    with transaction(engine) as session:
        empty = database_is_empty(session)
    if not empty and not replace:
        raise ValidationError({"database": Message("backup.not_empty")})
    if engine.dialect.name == "sqlite":
        engine.dispose()  # no pooled connection keeps the old pages
        with closing(sqlite3.connect(source)) as saved, closing(_sqlite(engine)) as live:
            saved.backup(live)
        return
    _pg(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        f"--dbname={_dsn(engine)}",
        str(source),
    )
    engine.dispose()


def _sqlite(engine: Engine) -> sqlite3.Connection:
    return sqlite3.connect(engine.url.database)


def _dsn(engine: Engine) -> str:
    """The libpq address of the engine's database (postgresql://…, without the driver's name)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg(tool: str, *arguments: str) -> None:
    if shutil.which(tool) is None:
        raise ValidationError({"tool": Message("backup.no_tool", tool=tool)})
    done = subprocess.run([tool, *arguments], capture_output=True, text=True, timeout=PG_TIMEOUT_S, check=False)
    if done.returncode:
        raise ValidationError({"tool": Message("backup.failed", tool=tool, error=done.stderr.strip()[-500:])})

"""When the database does not answer, people get a sentence, not a stack trace, and nothing half-saved."""

import sqlite3
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError

import db.engine
from tests.pages.conftest import open_app, open_view
from ui.confirm import CONFIRM
from ui.state import PlanFact, key

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def test_an_unreachable_database_is_a_message(monkeypatch):
    app = open_app(UNREACHABLE, monkeypatch)
    app.run()

    assert not app.exception
    assert "The database did not answer" in app.warning[0].value


def copy_confirmed(app) -> None:
    """The plans copied as offered: Copy, then Confirm (the question reads the database; the copy writes)."""
    next(b for b in app.button if b.label == "Copy").click().run()
    app.button(key=key(PlanFact.COPY_CONFIRMATION, CONFIRM)).click().run()


def test_a_locked_database_during_a_save_is_a_message_and_saves_nothing(writable_app_as, monkeypatch):
    app = open_view(writable_app_as("ceo"), "views/plan_fact.py")
    unlocked = db.engine.transaction

    @contextmanager
    def locked(engine, *, write=False):
        """Reads go on (as SQLite's readers do beside a writer); a write cannot take the lock."""
        if write:
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
        with unlocked(engine) as session:
            yield session

    monkeypatch.setattr(db.engine, "transaction", locked)  # what db.engine.write, the app's writes, opens
    copy_confirmed(app)

    assert not app.exception
    assert [e.value for e in app.error] == [
        "The database did not answer (busy or restarting). Nothing was saved; try again in a moment."
    ]
    assert not app.success


def test_a_save_meeting_a_real_write_lock_says_try_again_and_the_next_save_goes_through(
    writable_app_as, writable_demo_url, monkeypatch
):
    """Another process holds SQLite's write lock past the busy timeout (shortened here from 15 s):
    the user reads the sentence, not "database is locked", and nothing is saved until the lock goes."""
    monkeypatch.setattr(db.engine, "SQLITE_BUSY_TIMEOUT_MS", 300)
    app = open_view(writable_app_as("ceo"), "views/plan_fact.py")
    path = writable_demo_url.removeprefix("sqlite:///")
    plans = "SELECT count(*) FROM plan_changes"  # every plan a copy writes is in the history
    other = sqlite3.connect(path, isolation_level=None)
    before = other.execute(plans).fetchone()[0]
    other.execute("BEGIN IMMEDIATE")

    copy_confirmed(app)

    assert not app.exception
    assert [e.value for e in app.error] == [
        "The database did not answer (busy or restarting). Nothing was saved; try again in a moment."
    ]
    other.execute("ROLLBACK")
    assert other.execute(plans).fetchone()[0] == before

    copy_confirmed(app)

    assert not app.error and "plans copied" in app.success[0].value
    assert other.execute(plans).fetchone()[0] > before
    other.close()

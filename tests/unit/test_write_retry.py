"""Writers adding to the same summary rows in opposite orders may deadlock on PostgreSQL, which then
undoes one of them: the app runs that one again, so both writes land and the user sees no error."""

import threading

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError, ProgrammingError

from db import engine as db_engine
from db.engine import write
from db.models import DataVersion


def test_a_writer_undone_to_break_a_deadlock_is_run_again_and_both_land(fresh_engine):
    if fresh_engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers take the database's write lock first: they cannot deadlock")
    both_hold_one = threading.Barrier(2, timeout=30)
    runs: list[str] = []

    def writer(first: int, second: int, name: str):
        def action(session) -> None:
            runs.append(name)
            session.execute(update(DataVersion).where(DataVersion.id == first).values(version=DataVersion.version + 1))
            if runs.count(name) == 1:  # the first time, wait until the other holds its row too
                both_hold_one.wait()
            session.execute(update(DataVersion).where(DataVersion.id == second).values(version=DataVersion.version + 1))

        return lambda: write(fresh_engine, action)

    failures: list[BaseException] = []

    def run(target) -> None:
        try:
            target()
        except OperationalError as error:
            failures.append(error)

    threads = [
        threading.Thread(target=run, args=(writer(1, 2, "a"),)),
        threading.Thread(target=run, args=(writer(2, 1, "b"),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert failures == []
    assert sorted(runs) in (["a", "a", "b"], ["a", "b", "b"])  # one of them was undone and run again
    with db_engine.transaction(fresh_engine) as session:
        versions = dict(session.query(DataVersion.id, DataVersion.version).filter(DataVersion.id.in_([1, 2])).all())
    assert versions[1] >= 2 and versions[2] >= 2


def test_other_failures_are_not_run_again(fresh_engine):
    runs = []

    def broken(session) -> None:
        runs.append(1)
        session.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises((OperationalError, ProgrammingError)):  # SQLite says OperationalError, without a state
        write(fresh_engine, broken)
    assert runs == [1]

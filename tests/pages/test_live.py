"""Live pages share their figures: every session of a process showing the same view gets one
computation per change; a manager's own figures are shared with nobody; downloads are made when
asked for, not on every run."""

import pytest

from core.exchange import files
from core.figures import SharedFigures
from db import changes
from db.engine import make_engine, transaction
from tests.pages.conftest import open_view
from ui import actions

PAGES = ("views/funnel.py", "views/dashboard.py", "views/plan_fact.py")


@pytest.fixture
def store(monkeypatch) -> SharedFigures:
    """A store of this test's own, counting every computation, with no coalescing (every change is
    computed anew)."""
    fresh = SharedFigures(fresh_for=0)
    monkeypatch.setattr(actions, "_SHARED", fresh)
    return fresh


def change(url: str) -> None:
    engine = make_engine(url)
    with transaction(engine, write=True) as session:
        changes.bump(session)
    engine.dispose()


@pytest.mark.parametrize("script", PAGES)
def test_two_sessions_of_one_view_cause_one_computation_per_change(writable_app_as, writable_demo_url, store, script):
    first = open_view(writable_app_as("ceo"), script)
    per_view = store.computations
    second = open_view(writable_app_as("ceo"), script)
    assert per_view >= 1
    assert store.computations == per_view  # the second viewer took the first one's figures

    first.run()
    second.run()
    assert store.computations == per_view  # nothing changed: nothing computed

    change(writable_demo_url)
    first.run()
    second.run()
    assert store.computations == 2 * per_view
    assert not first.exception and not second.exception


def test_a_managers_figures_are_shared_with_nobody(writable_app_as, store):
    open_view(writable_app_as("ceo"), "views/funnel.py")
    executives = store.computations
    open_view(writable_app_as("anna"), "views/funnel.py")
    anna = store.computations - executives
    open_view(writable_app_as("boris"), "views/funnel.py")
    open_view(writable_app_as("anna"), "views/funnel.py")

    assert anna == executives
    assert store.computations == 3 * executives  # the executive, Anna and Boris; Anna's second session shares hers


def test_a_live_part_says_when_its_figures_were_computed(app_as, store):
    app = open_view(app_as("ceo"), "views/dashboard.py")

    assert any(caption.value.startswith(":material/bolt: Live · updated ") for caption in app.caption)


@pytest.mark.parametrize("script", ["views/funnel.py", "views/dashboard.py", "views/plan_fact.py", "views/overview.py"])
def test_download_files_are_made_only_when_asked_for(app_as, monkeypatch, script):
    made = []
    monkeypatch.setattr(files, "csv_bytes", lambda frame: made.append("csv") or b"")
    monkeypatch.setattr(files, "excel_bytes", lambda sheets: made.append("xlsx") or b"")
    app = open_view(app_as("ceo"), script)
    app.run()

    assert app.get("download_button")
    assert made == []

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import user_id_of
from ui.state import USER_ID

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_app(url: str, monkeypatch, login: str | None = None) -> AppTest:
    """The app on the database at `url`, signed in as `login` (or signed out)."""
    monkeypatch.setenv("DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=60)
    if login is not None:
        app.session_state[USER_ID] = user_id_of(url, login)
    return app


@pytest.fixture
def app_as(demo_database_url, monkeypatch):
    return lambda login=None: open_app(demo_database_url, monkeypatch, login)


@pytest.fixture
def writable_app_as(writable_demo_url, monkeypatch):
    return lambda login=None: open_app(writable_demo_url, monkeypatch, login)


def open_view(app: AppTest, script: str) -> AppTest:
    """Run the app, then switch to the page `script` (as the menu would) and run it."""
    app.run()
    app.switch_page(script).run()
    assert not app.exception
    return app

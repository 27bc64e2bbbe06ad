from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import signed_in_session
from ui.state import LANGUAGE, SESSION_ID

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_app(url: str, monkeypatch, login: str | None = None) -> AppTest:
    """The app on the database at `url`, signed in as `login` (or signed out)."""
    monkeypatch.setenv("DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=60)
    if login is not None:
        app.session_state[SESSION_ID] = signed_in_session(url, login)
    return app


@pytest.fixture
def app_as(demo_database_url, monkeypatch):
    return lambda login=None: open_app(demo_database_url, monkeypatch, login)


@pytest.fixture
def writable_app_as(writable_demo_url, monkeypatch):
    return lambda login=None: open_app(writable_demo_url, monkeypatch, login)


@pytest.fixture
def russian(monkeypatch):
    """Makes an app Russian, as the sidebar's language choice does. AppTest formats a selectbox's
    options in the test's own thread, outside the app's session, so that thread reads Russian too
    (else a click on a page with translated options fails to find the English label)."""
    monkeypatch.setitem(st.session_state, LANGUAGE, "ru")

    def in_russian(app: AppTest) -> AppTest:
        app.session_state[LANGUAGE] = "ru"
        return app

    return in_russian


def open_view(app: AppTest, script: str) -> AppTest:
    """Run the app, then switch to the page `script` (as the menu would) and run it."""
    app.run()
    app.switch_page(script).run()
    assert not app.exception
    return app

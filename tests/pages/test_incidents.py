"""An unexpected error: one sentence with an incident number for the user, the traceback in the log."""

import logging
import tomllib
from pathlib import Path

from streamlit.testing.v1 import AppTest

import server
from ui.incidents import report

ROOT = Path(__file__).resolve().parents[2]


def _failing_page() -> None:
    import streamlit as st

    from ui.incidents import report

    try:
        raise RuntimeError("SELECT secret FROM users WHERE password = 'hunter2'")
    except RuntimeError as error:
        st.session_state["handled"] = report(error)


def test_the_user_reads_an_incident_number_and_the_log_has_the_traceback(caplog):
    with caplog.at_level(logging.ERROR, logger="sales_funnel.incidents"):
        app = AppTest.from_function(_failing_page).run()

    assert app.session_state["handled"] is True
    [shown] = [error.value for error in app.error]
    number = shown.rsplit(" ", 1)[-1].rstrip(".")
    assert shown.startswith("Something went wrong on our side") and len(number) == 8
    assert "hunter2" not in shown and "SELECT" not in shown
    [record] = caplog.records
    assert number in record.getMessage() and "hunter2" in str(record.exc_info[1])


def test_the_server_uses_it_and_streamlit_shows_no_details():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())

    assert server.app._on_script_error is report
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False

"""What a user sees when something unexpected breaks: one sentence with an incident number, never a
traceback; the traceback goes to the server's log under that number."""

import secrets

import streamlit as st
from streamlit.logger import get_logger

from ui.i18n import t

_log = get_logger("sales_funnel.incidents")


def report(error: Exception) -> bool:
    """st.App's on_script_error: True, so Streamlit shows nothing of its own."""
    number = secrets.token_hex(4).upper()
    _log.error("incident %s", number, exc_info=error)
    st.error(t("error.incident", number=number), icon=":material/error:")
    return True

"""Session-state keys, named once and initialised in one place."""

import streamlit as st

from core.settings import Settings

LANGUAGE = "language"


def init_state(settings: Settings) -> None:
    st.session_state.setdefault(LANGUAGE, settings.language)

"""Session-state keys, named once and initialised in one place."""

import streamlit as st

from core.settings import Settings

LANGUAGE = "language"
USER_ID = "user_id"
USER = "user"  # the signed-in UserInfo, re-read from the database on every run

SIGN_IN_LOGIN = "sign_in_login"
SIGN_IN_PASSWORD = "sign_in_password"
USERS_EDITED_ID = "users_edited_id"


def init_state(settings: Settings) -> None:
    st.session_state.setdefault(LANGUAGE, settings.language)
    st.session_state.setdefault(USER_ID, None)
    st.session_state.setdefault(USER, None)


def clear_for_sign_out() -> None:
    """Forget everything of the session but the chosen language."""
    language = st.session_state.get(LANGUAGE)
    st.session_state.clear()
    st.session_state[LANGUAGE] = language

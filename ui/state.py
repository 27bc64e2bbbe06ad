"""Session-state keys, named once and initialised in one place."""

import streamlit as st

from core.settings import Settings

LANGUAGE = "language"
USER_ID = "user_id"
USER = "user"  # the signed-in UserInfo, re-read from the database on every run

SIGN_IN_LOGIN = "sign_in_login"
SIGN_IN_PASSWORD = "sign_in_password"
USERS_EDITED_ID = "users_edited_id"

STAGE_EDITOR_PIPELINE = "stage_editor_pipeline"
STAGE_EDITOR_STAGE = "stage_editor_stage"
STAGE_EDITOR_SEEN_VERSION = "stage_editor_seen_version"  # pipeline id -> the version the page last showed

DEALS_PIPELINE = "deals_pipeline"
DEALS_PAGE = "deals_page"
DEALS_SELECTED_ID = "deals_selected_id"
DEALS_MOVE_TARGET = "deals_move_target"  # a stage chosen on the board or a quick action, for the move step
DEALS_GRID_NONCE = "deals_grid_nonce"  # a new grid after each edit, redrawn from the database
DEALS_LAST_GRID_EVENT = "deals_last_grid_event"
DEALS_GRID_MESSAGE = "deals_grid_message"  # why the last grid edit was refused, shown after the redraw

PLAN_GRID_NONCE = "plan_grid_nonce"  # a new plans grid after each edit or copy, redrawn from the database
PLAN_LAST_GRID_EVENT = "plan_last_grid_event"
PLAN_GRID_MESSAGE = "plan_grid_message"  # why the last cell edit was refused
PLAN_COPY_MESSAGE = "plan_copy_message"  # what the last copy wrote, shown after the redraw

DATA_IMPORT_RESULT = "data_import_result"  # what the last import wrote, shown after the rerun


def init_state(settings: Settings) -> None:
    st.session_state.setdefault(LANGUAGE, settings.language)
    st.session_state.setdefault(USER_ID, None)
    st.session_state.setdefault(USER, None)
    st.session_state.setdefault(DEALS_PAGE, 0)
    st.session_state.setdefault(DEALS_SELECTED_ID, None)
    st.session_state.setdefault(DEALS_GRID_NONCE, 0)
    st.session_state.setdefault(DEALS_LAST_GRID_EVENT, 0)
    st.session_state.setdefault(PLAN_GRID_NONCE, 0)
    st.session_state.setdefault(PLAN_LAST_GRID_EVENT, 0)


def clear_for_sign_out() -> None:
    """Forget everything of the session but the chosen language."""
    language = st.session_state.get(LANGUAGE)
    st.session_state.clear()
    st.session_state[LANGUAGE] = language

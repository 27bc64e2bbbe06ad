"""Who is signed in: the user id lives in session state, the user itself is re-read every run."""

import streamlit as st

from core import users
from core.permissions import Actor
from core.users import UserInfo
from ui.actions import read
from ui.state import USER, USER_ID, clear_for_sign_out


def refresh_signed_in_user() -> UserInfo | None:
    """The signed-in user as stored now; a user deactivated meanwhile is signed out."""
    user_id = st.session_state.get(USER_ID)
    if user_id is None:
        return None
    user = read(users.active_user, user_id)
    if user is None:
        clear_for_sign_out()
        return None
    st.session_state[USER] = user
    return user


def sign_in_as(user: UserInfo) -> None:
    st.session_state[USER_ID] = user.id
    st.session_state[USER] = user


def signed_in_user() -> UserInfo:
    """For pages, which run only for a signed-in user."""
    return st.session_state[USER]


def actor() -> Actor:
    return signed_in_user().as_actor()

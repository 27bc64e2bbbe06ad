"""The sign-in form, shown at every address until someone signs in."""

import streamlit as st

from core import auth, users
from ui import resources
from ui.actions import DATABASE_UNAVAILABLE, read
from ui.i18n import t
from ui.session import sign_in_as
from ui.state import SignIn


def render_sign_in() -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(t("sign_in.title"))
        st.caption(t("sign_in.caption"))
        with st.form(SignIn.FORM):
            st.text_input(t("sign_in.login"), key=SignIn.LOGIN, autocomplete="username")
            st.text_input(t("sign_in.password"), type="password", key=SignIn.PASSWORD, autocomplete="current-password")
            submitted = st.form_submit_button(t("sign_in.submit"), type="primary", width="stretch")
        if not read(users.has_users):
            st.warning(t("sign_in.no_users"))
        elif resources.settings().demo_mode:
            st.info(t("sign_in.demo"))
    if not submitted:
        return
    # The sign-in counts, checks and logs in transactions of its own, so a lock holds across app instances.
    login, password = st.session_state[SignIn.LOGIN], st.session_state[SignIn.PASSWORD]
    try:
        result = auth.sign_in(
            resources.engine(),
            login,
            password,
            client=st.context.ip_address or "",
            user_agent=st.context.headers.get("User-Agent", ""),
        )
    except DATABASE_UNAVAILABLE:
        middle.error(t("error.database"))
        return
    if result.outcome == auth.Outcome.SIGNED_IN:
        opened = sign_in_as(result.user)
        if not opened.ok:
            middle.error(opened.message)
            return
        del st.session_state[SignIn.PASSWORD]
        st.rerun()
    elif result.outcome == auth.Outcome.LOCKED:
        middle.error(t("sign_in.locked", time=f"{result.locked_until:%H:%M}"))
    else:
        middle.error(t("sign_in.wrong"))
